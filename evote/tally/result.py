"""The election result from the decrypted counts (docs/spec.md section 9.5).

:func:`compute_result` turns the decrypted counts into a frozen :class:`ElectionResult`: per
question the counts per option, the blank votes where the question allows blank, and the
turnout (counted ballots and their weight); for a budget question also the funded projects
under the manifest's rule (:meth:`BudgetQuestion.winners`: greedy by votes, ties by lower cost
then manifest order, each taken while it fits) and the money they spend.

:func:`check_result` calls :func:`compute_result` on the same counts and compares: one
implementation of the rules, two callers (the tally and the verifier).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from evote.ballots.manifest import (
    BudgetQuestion,
    GradesQuestion,
    Manifest,
    Question,
    QuestionKind,
    RankingQuestion,
    RankingRule,
)
from evote.crypto.groups import Element
from evote.crypto.proofs import ProofContext
from evote.errors import InvalidInput, InvalidResult
from evote.tally.aggregate import EncryptedTally
from evote.tally.decryption import (
    CombinedTally,
    DecryptionShare,
    column_bounds,
    combine_shares,
    solve_counts,
)
from evote.tally.rules import majority_judgment, ranking_from_ranks, schulze, stv


@dataclass(frozen=True, slots=True)
class DecryptedCounts:
    """Per question the weighted counts per option, and the blank count (None: no blank)."""

    options: tuple[tuple[int, ...], ...]
    blanks: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Turnout:
    """How many ballots were counted, and their total weight."""

    ballots: int
    weight: int


@dataclass(frozen=True, slots=True)
class StageResult:
    """One stage of an STV count (docs/spec.md section 13.3), options named by their ids.

    ``votes`` lists every option with its votes after the stage, in units of 10^-5.
    """

    action: str
    option: str | None
    votes: tuple[tuple[str, int], ...]
    elected: tuple[str, ...]
    excluded: tuple[str, ...]
    non_transferable: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question's result; ``winners`` and ``spent`` only for a budget question.

    A question counted by the mixnet (spec 14.5) has no ``counts`` (empty) and instead
    ``distribution`` (per option, the ballots per grade in the manifest's order, or per rank
    1..n), ``answers`` (the decrypted answers in the mixed order), ``ranking`` (groups of option
    ids, best first; for STV the elected, in order of election) and, for STV, ``quota`` and
    ``stages``; ``winners`` are the first group (majority judgment, Schulze) or the elected.
    """

    question_id: str
    kind: QuestionKind
    counts: tuple[tuple[str, int], ...]
    blank: int | None
    turnout: int
    winners: tuple[str, ...] = ()
    spent: int | None = None
    distribution: tuple[tuple[str, tuple[int, ...]], ...] | None = None
    answers: tuple[tuple[int, ...], ...] | None = None
    ranking: tuple[tuple[str, ...], ...] | None = None
    quota: int | None = None
    stages: tuple[StageResult, ...] | None = None


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """The result of an election: frozen, recomputable by :func:`check_result`."""

    election_id: str
    turnout: Turnout
    questions: tuple[QuestionResult, ...]

    def question(self, question_id: str) -> QuestionResult:
        for item in self.questions:
            if item.question_id == question_id:
                return item
        raise InvalidInput(f"no question {question_id!r} in the result")


def _check_counts(manifest: Manifest, counts: DecryptedCounts, turnout: Turnout) -> None:
    if type(turnout.ballots) is not int or type(turnout.weight) is not int:
        raise InvalidInput("turnout: ballots and weight must be integers")
    if not 0 <= turnout.ballots <= turnout.weight:
        raise InvalidInput(f"turnout: {turnout.ballots} ballots with total weight {turnout.weight}")
    questions = manifest.questions
    if len(counts.options) != len(questions) or len(counts.blanks) != len(questions):
        raise InvalidInput(f"counts for {len(counts.options)} questions, expected {len(questions)}")
    for q, (question, row, blank) in enumerate(
        zip(questions, counts.options, counts.blanks, strict=True)
    ):
        where = f"question {q} ({question.id})"
        if question.counted_by_mixnet:
            if row or blank is not None:
                raise InvalidInput(f"{where}: counted by the mixnet, it has no tally columns")
            continue
        if len(row) != len(question.options):
            raise InvalidInput(f"{where}: {len(row)} counts for {len(question.options)} options")
        bound = turnout.weight * question.option_maximum
        for o, value in enumerate(row):
            if type(value) is not int or not 0 <= value <= bound:
                raise InvalidInput(f"{where} option {o}: count {value!r} outside [0, {bound}]")
        if (blank is not None) != question.blank_allowed:
            raise InvalidInput(
                f"{where}: blank count given where blank is not allowed"
                if blank is not None
                else f"{where}: blank count missing"
            )
        if blank is not None and not 0 <= blank <= turnout.weight:
            raise InvalidInput(f"{where}: blank count {blank} outside [0, {turnout.weight}]")


MixedAnswers = Mapping[int, Sequence[Sequence[int]]]


def _mixed_question_result(
    question: GradesQuestion | RankingQuestion,
    answers: Sequence[tuple[int, ...]],
    turnout: int,
    distribution: Sequence[Sequence[int]],
    ranking: tuple[tuple[str, ...], ...],
    winners: tuple[str, ...],
    quota: int | None = None,
    stages: tuple[StageResult, ...] | None = None,
) -> QuestionResult:
    """The result of a question counted by the mixnet: no counts nor blank, each option's row
    of ``distribution`` under its id, the decrypted ``answers`` in the mixed order."""
    ids = question.option_ids
    return QuestionResult(
        question_id=question.id,
        kind=question.kind,
        counts=(),
        blank=None,
        turnout=turnout,
        winners=winners,
        distribution=tuple((i, tuple(row)) for i, row in zip(ids, distribution, strict=True)),
        answers=tuple(answers),
        ranking=ranking,
        quota=quota,
        stages=stages,
    )


def _grades_result(
    question: GradesQuestion, answers: Sequence[tuple[int, ...]], turnout: int
) -> QuestionResult:
    """Majority judgment (spec 13.1) over grade integers v = G − 1 − p (p: the position in
    the manifest's grade list, best first)."""
    ids = question.option_ids
    grades = len(question.grades)
    distribution = [[0] * grades for _ in ids]
    for answer in answers:
        for o, value in enumerate(answer):
            distribution[o][grades - 1 - value] += 1
    ranking: tuple[tuple[str, ...], ...] = ()
    if answers:
        outcome = majority_judgment(answers, len(ids), grades)
        ranking = tuple(tuple(ids[o] for o in group) for group in outcome.ranking)
    return _mixed_question_result(
        question, answers, turnout, distribution, ranking, ranking[0] if ranking else ()
    )


def _ranking_result(
    question: RankingQuestion, answers: Sequence[tuple[int, ...]], turnout: int
) -> QuestionResult:
    """Schulze (spec 13.2) or STV (13.3) over the rankings the rank vectors give (spec 14.5:
    read up to the first gap or tie, :func:`ranking_from_ranks`)."""
    ids = question.option_ids
    n = len(ids)
    rankings = [ranking_from_ranks(answer) for answer in answers]
    distribution = [[0] * n for _ in ids]
    for ranking in rankings:
        for place, o in enumerate(ranking):
            distribution[o][place] += 1
    groups: tuple[tuple[str, ...], ...] = ()
    winners: tuple[str, ...] = ()
    quota = None
    stages: tuple[StageResult, ...] | None = None
    if question.rule is RankingRule.STV:
        stages = ()
        if any(rankings):
            outcome = stv(rankings, n, question.seats or 1)
            winners = tuple(ids[o] for o in outcome.elected)
            groups = tuple((winner,) for winner in winners)
            quota = outcome.quota
            stages = tuple(
                StageResult(
                    stage.action,
                    None if stage.option is None else ids[stage.option],
                    tuple(zip(ids, stage.votes, strict=True)),
                    tuple(ids[o] for o in stage.elected),
                    tuple(ids[o] for o in stage.excluded),
                    stage.non_transferable,
                )
                for stage in outcome.stages
            )
    elif rankings:
        schulze_ranking = schulze(rankings, n).ranking
        groups = tuple(tuple(ids[o] for o in group) for group in schulze_ranking)
        winners = groups[0]
    return _mixed_question_result(
        question, answers, turnout, distribution, groups, winners, quota, stages
    )


def _mixed_result(
    question: Question, answers: Sequence[Sequence[int]], turnout: Turnout, where: str
) -> QuestionResult:
    width = len(question.options)
    maximum = question.option_maximum
    checked = []
    for i, answer in enumerate(answers):
        if len(answer) != width or any(type(v) is not int or not 0 <= v <= maximum for v in answer):
            raise InvalidInput(f"{where} answer {i}: not {width} values in [0, {maximum}]")
        checked.append(tuple(answer))
    if len(checked) != turnout.ballots:
        raise InvalidInput(f"{where}: {len(checked)} answers for {turnout.ballots} ballots")
    if isinstance(question, GradesQuestion):
        return _grades_result(question, checked, turnout.weight)
    if isinstance(question, RankingQuestion):
        return _ranking_result(question, checked, turnout.weight)
    raise InvalidInput(f"{where}: a {question.kind.value} question is not counted by the mixnet")


def compute_result(
    manifest: Manifest,
    counts: DecryptedCounts,
    turnout: Turnout,
    mixed: MixedAnswers | None = None,
) -> ElectionResult:
    """The result that ``counts`` give under ``manifest``'s rules.

    ``mixed`` holds, per question counted by the mixnet (manifest index), the decrypted answers
    in the mixed order (spec 14.4); it is required iff the manifest has such a question.
    """
    _check_counts(manifest, counts, turnout)
    mixnet = [q for q, question in enumerate(manifest.questions) if question.counted_by_mixnet]
    if sorted(mixed or {}) != mixnet:
        raise InvalidInput(
            f"mixed answers for questions {sorted(mixed or {})}, the manifest's mixnet questions"
            f" are {mixnet}"
        )
    results = []
    for q, (question, row, blank) in enumerate(
        zip(manifest.questions, counts.options, counts.blanks, strict=True)
    ):
        if mixed is not None and q in mixed:
            where = f"question {q} ({question.id})"
            results.append(_mixed_result(question, mixed[q], turnout, where))
            continue
        winners: tuple[str, ...] = ()
        spent = None
        if isinstance(question, BudgetQuestion):
            winners = question.winners(row)
            costs = {option.id: option.cost or 0 for option in question.options}
            spent = sum(costs[project] for project in winners)
        results.append(
            QuestionResult(
                question_id=question.id,
                kind=question.kind,
                counts=tuple(zip(question.option_ids, row, strict=True)),
                blank=blank,
                turnout=turnout.weight,
                winners=winners,
                spent=spent,
            )
        )
    return ElectionResult(manifest.election_id, turnout, tuple(results))


def check_result(
    manifest: Manifest,
    counts: DecryptedCounts,
    turnout: Turnout,
    result: ElectionResult,
    mixed: MixedAnswers | None = None,
) -> None:
    """Recompute the result with :func:`compute_result`; InvalidResult names what differs.

    Without ``mixed`` for a manifest with questions counted by the mixnet, only the other
    questions' entries are compared (the verifier's step 11.14; step 11.18 compares all).
    """
    partial = mixed is None and any(q.counted_by_mixnet for q in manifest.questions)
    if partial:
        expected = _without_mixnet(manifest, counts, turnout, result)
    else:
        expected = compute_result(manifest, counts, turnout, mixed)
    if result == expected:
        return
    if result.election_id != expected.election_id:
        raise InvalidResult(
            f"result: election {result.election_id!r}, expected {expected.election_id!r}"
        )
    if result.turnout != expected.turnout:
        raise InvalidResult(f"result: turnout {result.turnout}, expected {expected.turnout}")
    if len(result.questions) != len(expected.questions):
        raise InvalidResult(
            f"result: {len(result.questions)} questions, expected {len(expected.questions)}"
        )
    for q, (given, wanted) in enumerate(zip(result.questions, expected.questions, strict=True)):
        for item in fields(QuestionResult):
            if getattr(given, item.name) != getattr(wanted, item.name):
                stated, computed = getattr(given, item.name), getattr(wanted, item.name)
                raise InvalidResult(
                    f"result: question {q} ({wanted.question_id}): {item.name} is {stated!r},"
                    f" the counts give {computed!r}"
                )
    raise InvalidResult("result: differs from the one the counts give")


def _without_mixnet(
    manifest: Manifest, counts: DecryptedCounts, turnout: Turnout, result: ElectionResult
) -> ElectionResult:
    """The expected result with the mixnet questions' entries taken from ``result`` (when
    ``result`` has them at their place, id and kind): what compares the other questions only."""
    stand_in = {
        q: [[0] * len(question.options)] * turnout.ballots
        for q, question in enumerate(manifest.questions)
        if question.counted_by_mixnet
    }
    expected = compute_result(manifest, counts, turnout, stand_in)
    questions = list(expected.questions)
    for q in stand_in:
        wanted = questions[q]
        if q < len(result.questions):
            given = result.questions[q]
            if (given.question_id, given.kind) == (wanted.question_id, wanted.kind):
                questions[q] = given
    return ElectionResult(expected.election_id, expected.turnout, tuple(questions))


def decrypt_counts(
    manifest: Manifest,
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    threshold: int,
    verification_keys: Mapping[int, Element],
    context: ProofContext,
) -> tuple[DecryptedCounts, CombinedTally]:
    """Combine the shares and solve every count within the bound its question allows.

    The bound of an option is the counted weight times the option's maximum (1, or the maximum
    score); of a blank, the counted weight. Beyond it: TallyOutOfRange naming the question
    and option.
    """
    combined = combine_shares(tally, shares, threshold, verification_keys, context)
    bounds = column_bounds(tally, [q.option_maximum for q in manifest.questions])
    options, blanks = solve_counts(tally, combined, bounds)
    return DecryptedCounts(options, blanks), combined


def turnout_of(tally: EncryptedTally) -> Turnout:
    return Turnout(tally.ballot_count, tally.total_weight)
