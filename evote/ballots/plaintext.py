"""Plaintext ballots: a voter's choices before encryption, and the rules they must follow.

A :class:`PlaintextBallot` holds, per question of the manifest, an :class:`Answer`: either blank
or one integer per option (0/1 for single choice, approval and budget projects; 0..M for
scores; for a grades question the grade's integer, G − 1 for the best of G grades down to 0 for
the worst; for a ranking question the option's rank, 1 for the most preferred, 0 for an option
left out: docs/spec.md section 6.2). :func:`check_plaintext` refuses choices that break the
manifest's rules, naming the question and the rule, so that a portal reports the fault before
anything is encrypted (the encrypted ballot could not be proven valid anyway).
:meth:`PlaintextBallot.from_selection` builds a ballot from option ids, the form a portal has at
hand.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    GradesQuestion,
    Manifest,
    Question,
    RankingQuestion,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.errors import InvalidBallot


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question: ``values`` per option, all zero when ``blank``."""

    values: tuple[int, ...]
    blank: bool = False

    @property
    def total(self) -> int:
        return sum(self.values)


#: What a portal passes per question id: ``None`` for blank; option ids for single choice,
#: approval and budget; ``{option_id: score}`` for scores; ``{option_id: grade_id}`` for grades
#: (every option); a sequence of option ids, most preferred first, for a ranking.
Selection: TypeAlias = Collection[str] | Mapping[str, int] | Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class PlaintextBallot:
    """A voter's answers, one per question of the manifest, in manifest order."""

    answers: tuple[Answer, ...]

    @classmethod
    def from_selection(
        cls, manifest: Manifest, selection: Mapping[str, Selection]
    ) -> PlaintextBallot:
        """Build a ballot from ``{question_id: selection}`` and check it against ``manifest``.

        A question left out is blank; one that allows no blank (score, budget, grades,
        ranking, or ``blank: false``) must be given. Examples: ``{"q1": ["yes"], "q2":
        {"proj-a", "proj-c"}, "q3": {"alice": 4, "bob": 0}, "q4": None, "q5": {"alice":
        "good", "bob": "reject"}, "q6": ["carol", "alice"]}`` (q6 ranks carol first, alice
        second, and the other options below both; ``[]`` ranks none).
        """
        for question_id in selection:
            if manifest.question_index(question_id) is None:
                raise InvalidBallot(f"selection: unknown question {question_id!r}")
        for question in manifest.questions:
            if question.id not in selection and not question.blank_allowed:
                raise InvalidBallot(
                    f"selection: question {question.id!r} is left out, and it allows no blank"
                    " vote: give a selection for it"
                )
        answers = tuple(
            _answer_from_selection(question, selection.get(question.id))
            for question in manifest.questions
        )
        ballot = cls(answers)
        check_plaintext(manifest, ballot)
        return ballot

    def to_selection(self, manifest: Manifest) -> dict[str, Selection]:
        """The inverse of :meth:`from_selection` (blank questions map to ``None``)."""
        check_plaintext(manifest, self)
        result: dict[str, Selection] = {}
        for question, answer in zip(manifest.questions, self.answers, strict=True):
            if answer.blank:
                result[question.id] = None
            elif isinstance(question, ScoreQuestion):
                result[question.id] = dict(zip(question.option_ids, answer.values, strict=True))
            elif isinstance(question, GradesQuestion):
                result[question.id] = {
                    option.id: question.grade_of_value(value).id
                    for option, value in zip(question.options, answer.values, strict=True)
                }
            elif isinstance(question, RankingQuestion):
                ranked = sorted(
                    (value, option.id)
                    for option, value in zip(question.options, answer.values, strict=True)
                    if value
                )
                result[question.id] = [option_id for _, option_id in ranked]
            else:
                result[question.id] = [
                    option.id
                    for option, value in zip(question.options, answer.values, strict=True)
                    if value
                ]
        return result


def _answer_from_selection(question: Question, chosen: Selection) -> Answer:
    where = f"question {question.id!r}"
    count = len(question.options)
    if chosen is None:
        return Answer((0,) * count, blank=True)
    if isinstance(question, ScoreQuestion):
        if not isinstance(chosen, Mapping):
            raise InvalidBallot(f"{where}: scores are given as {{option id: score}}")
        values = [0] * count
        for option_id, score in chosen.items():
            index = _index_of(question, option_id, where)
            if type(score) is not int:
                raise InvalidBallot(f"{where}: score of {option_id!r} is not an integer")
            values[index] = score
        return Answer(tuple(values))
    if isinstance(question, GradesQuestion):
        return _grades_answer(question, chosen, where)
    if isinstance(question, RankingQuestion):
        return _ranking_answer(question, chosen, where)
    if isinstance(chosen, (str, bytes, Mapping)):
        raise InvalidBallot(f"{where}: expected a collection of option ids")
    values = [0] * count
    for option_id in chosen:
        index = _index_of(question, option_id, where)
        if values[index]:
            raise InvalidBallot(f"{where}: option {option_id!r} chosen twice")
        values[index] = 1
    return Answer(tuple(values))


def _grades_answer(question: GradesQuestion, chosen: Selection, where: str) -> Answer:
    """``{option_id: grade_id}`` grading every option, as the grades' integers."""
    if not isinstance(chosen, Mapping):
        raise InvalidBallot(f"{where}: grades are given as {{option id: grade id}}")
    values: list[int | None] = [None] * len(question.options)
    for option_id, grade_id in chosen.items():
        index = _index_of(question, option_id, where)
        value = question.grade_value(grade_id) if isinstance(grade_id, str) else None
        if value is None:
            raise InvalidBallot(
                f"{where}, option {option_id!r}: unknown grade {grade_id!r}"
                f" (grades: {', '.join(question.grade_ids)})"
            )
        values[index] = value
    graded: list[int] = []
    for option, value in zip(question.options, values, strict=True):
        if value is None:
            raise InvalidBallot(
                f"{where}, option {option.id!r}: no grade given; every option must be graded"
            )
        graded.append(value)
    return Answer(tuple(graded))


def _ranking_answer(question: RankingQuestion, chosen: Selection, where: str) -> Answer:
    """A sequence of option ids, most preferred first, as the options' ranks (0: not ranked)."""
    if not isinstance(chosen, Sequence) or isinstance(chosen, (str, bytes)):
        raise InvalidBallot(
            f"{where}: a ranking is given as a list of option ids, most preferred first"
        )
    values = [0] * len(question.options)
    for rank, option_id in enumerate(chosen, start=1):
        index = _index_of(question, option_id, where)
        if values[index]:
            raise InvalidBallot(f"{where}, option {option_id!r}: ranked twice")
        values[index] = rank
    return Answer(tuple(values))


def _index_of(question: Question, option_id: object, where: str) -> int:
    index = question.option_index(option_id) if isinstance(option_id, str) else None
    if index is None:
        raise InvalidBallot(f"{where}: unknown option {option_id!r}")
    return index


def check_plaintext(manifest: Manifest, ballot: PlaintextBallot) -> None:
    """Raise InvalidBallot unless ``ballot`` follows every rule of ``manifest``."""
    if not isinstance(ballot, PlaintextBallot):
        raise InvalidBallot("ballot: expected a PlaintextBallot")
    if len(ballot.answers) != len(manifest.questions):
        raise InvalidBallot(
            f"ballot: {len(ballot.answers)} answers for {len(manifest.questions)} questions"
        )
    for question, answer in zip(manifest.questions, ballot.answers, strict=True):
        check_answer(question, answer)


def check_answer(question: Question, answer: Answer) -> None:
    """Raise InvalidBallot unless ``answer`` follows the rules of ``question``."""
    where = f"question {question.id!r}"
    if not isinstance(answer, Answer) or not isinstance(answer.values, tuple):
        raise InvalidBallot(f"{where}: expected an Answer with a tuple of values")
    if len(answer.values) != len(question.options):
        raise InvalidBallot(
            f"{where}: {len(answer.values)} values for {len(question.options)} options"
        )
    if not isinstance(answer.blank, bool):
        raise InvalidBallot(f"{where}: blank must be a boolean")
    maximum = question.option_maximum
    for option, value in zip(question.options, answer.values, strict=True):
        if type(value) is not int or not 0 <= value <= maximum:
            rule = _VALUE_NAMES.get(type(question), "a value in")
            raise InvalidBallot(
                f"{where}, option {option.id!r}: {value!r} is not {rule} [0, {maximum}]"
            )
    if answer.blank:
        if not question.blank_allowed:
            raise InvalidBallot(f"{where}: a blank vote is not allowed")
        if answer.total:
            raise InvalidBallot(f"{where}: a blank vote chooses no option")
        return
    if isinstance(question, (SingleChoiceQuestion, ApprovalQuestion)):
        _check_count(question, answer.total, where, "options")
    elif isinstance(question, ScoreQuestion):
        if question.max_total is not None and answer.total > question.max_total:
            raise InvalidBallot(
                f"{where}: total score {answer.total} is above the bound {question.max_total}"
            )
    elif isinstance(question, RankingQuestion):
        _check_ranks(question, answer.values, where)
    elif isinstance(question, BudgetQuestion):
        _check_budget(question, answer.values, where)
    # A grades answer is valid as soon as every value is a grade's integer (checked above).


_VALUE_NAMES: dict[type, str] = {
    ScoreQuestion: "a score in",
    GradesQuestion: "a grade's integer in",
    RankingQuestion: "a rank in",
}


def _check_ranks(question: RankingQuestion, ranks: Sequence[int], where: str) -> None:
    """The nonzero ranks are exactly 1, 2, ..., k: a proper ranking, no tie, no gap."""
    holder: dict[int, str] = {}
    for option, rank in zip(question.options, ranks, strict=True):
        if not rank:
            continue
        if rank in holder:
            raise InvalidBallot(
                f"{where}, option {option.id!r}: rank {rank} is also held by option"
                f" {holder[rank]!r}; a ranking has no ties"
            )
        holder[rank] = option.id
    for rank, option_id in holder.items():
        if rank > 1 and rank - 1 not in holder:
            raise InvalidBallot(
                f"{where}, option {option_id!r}: rank {rank}, but no option has rank"
                f" {rank - 1}; ranks run 1, 2, ... without a gap"
            )


def _check_count(question: Question, count: int, where: str, what: str) -> None:
    bounds = question.count_range
    if bounds is None:
        return
    low, high = bounds
    if count > high:
        raise InvalidBallot(f"{where}: overvote, {count} {what} chosen, at most {high} allowed")
    if count < low:
        raise InvalidBallot(f"{where}: undervote, {count} {what} chosen, at least {low} required")


def _check_budget(question: BudgetQuestion, values: Sequence[int], where: str) -> None:
    spend = sum(cost * value for cost, value in zip(question.costs, values, strict=True))
    if spend > question.budget:
        raise InvalidBallot(f"{where}: over budget, spend {spend} above {question.budget}")
    if spend < question.min_spend:
        raise InvalidBallot(
            f"{where}: under minimum spend, spend {spend} below {question.min_spend}"
        )
    _check_count(question, sum(values), where, "projects")
