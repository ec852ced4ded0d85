"""The election manifest: what is asked, in which languages, when, and under which rules.

A manifest is a frozen value, validated when it is built (``InvalidManifest`` names the
question, the option and the rule broken). Its canonical bytes are canonical JSON
(:func:`evote.jsonstrict.dumps`) and its digest, ``digest32(Purpose.MANIFEST, bytes)``, is bound
into the election fingerprint: changing any word of it changes every proof's context.
The format is described in docs/spec.md section 6.2.

Six kinds of questions (docs/spec.md section 6.2); the first four are counted by adding the
encrypted ballots (homomorphically), the last two by a mixnet (docs/spec.md section 14), which
decrypts each answer after the mix has cut it from its voter:

* :class:`SingleChoiceQuestion`: exactly one of n options (a referendum is yes/no), optional blank;
* :class:`ApprovalQuestion`: between ``minimum`` and ``maximum`` of n options, optional blank;
* :class:`ScoreQuestion`: each option scored 0..``max_score``, optional bound on the total;
* :class:`BudgetQuestion`: a participatory budget, projects with integer costs, the spend within
  [``min_spend``, ``budget``], optional bounds on the number of projects, and the rule that
  picks the winners (``greedy-by-votes``);
* :class:`GradesQuestion`: every option given one of 2..16 named grades, best first; counted by
  majority judgment;
* :class:`RankingQuestion`: options ranked, most preferred first, possibly partially; counted
  by Condorcet–Schulze or by single transferable vote for ``seats`` seats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeAlias

from evote import jsonstrict
from evote.crypto.groups import Group, group_by_name
from evote.crypto.hashing import Purpose, digest32
from evote.errors import InvalidInput, InvalidManifest, not_one_of

MANIFEST_VERSION: Final = 1
REQUIRED_LANGUAGES: Final = ("en", "fr")
MAX_OPTIONS: Final = 1000
MAX_QUESTIONS: Final = 200
MAX_SCORE: Final = 10**6
MAX_COST: Final = 10**12
MAX_BUDGET: Final = 10**15
MAX_TEXT: Final = 10_000
MAX_MANIFEST_BYTES: Final = 4 * 1024 * 1024
MIN_GRADES: Final = 2
MAX_GRADES: Final = 16

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ELECTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_READ = jsonstrict.Reader(InvalidManifest)

Text: TypeAlias = Mapping[str, str]


class QuestionKind(StrEnum):
    SINGLE = "single"
    APPROVAL = "approval"
    SCORE = "score"
    BUDGET = "budget"
    GRADES = "grades"
    RANKING = "ranking"


class RevotePolicy(StrEnum):
    """Which ballot of a credential counts: its last one, or its only one (docs/spec.md 6.2)."""

    LAST_COUNTS = "last-counts"
    SINGLE = "single"


class WinnerRule(StrEnum):
    """How a budget question's winners are picked (docs/spec.md section 6.2)."""

    GREEDY_BY_VOTES = "greedy-by-votes"


class GradeRule(StrEnum):
    """How a grades question is counted (docs/spec.md sections 6.2 and 13.1)."""

    MAJORITY_JUDGMENT = "majority-judgment"


class RankingRule(StrEnum):
    """How a ranking question is counted (docs/spec.md sections 6.2, 13.2 and 13.3)."""

    SCHULZE = "schulze"
    STV = "stv"


def _check_id(value: str, where: str) -> None:
    if not _ID.fullmatch(value):
        raise InvalidManifest(
            f"{where}: id {value!r} must be 1-64 characters among letters, digits, '_', '.', '-'"
            " and start with a letter or digit"
        )


def _check_text(text: Text, where: str) -> None:
    if not isinstance(text, Mapping):
        raise InvalidManifest(f"{where}: expected a mapping of language code to text")
    for language, value in text.items():
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise InvalidManifest(f"{where}: {language!r} is not a language code")
        if not isinstance(value, str) or not value.strip():
            raise InvalidManifest(f"{where}.{language}: text must be a non-empty string")
        if len(value) > MAX_TEXT:
            raise InvalidManifest(f"{where}.{language}: text longer than {MAX_TEXT} characters")
    for language in REQUIRED_LANGUAGES:
        if language not in text:
            raise InvalidManifest(f"{where}: missing language {language!r}")


def _check_int(value: object, where: str, minimum: int, maximum: int) -> None:
    if type(value) is not int:
        raise InvalidManifest(f"{where}: expected an integer, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise InvalidManifest(f"{where}: {value} is outside [{minimum}, {maximum}]")


@dataclass(frozen=True, slots=True)
class Option:
    """An option of a question (a candidate, an answer, a project with its ``cost``)."""

    id: str
    label: Text
    cost: int | None = None  # only for projects of a budget question


def _check_labelled_items(
    items: tuple[object, ...],
    item_class: type[Option | Grade],
    expected_item: str,
    noun: str,
    where: str,
) -> None:
    """Check that each of ``items`` (a question's options or grades, at ``where``) is an
    ``item_class`` with a well-formed id unique among them and a well-formed label."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, item_class):
            raise InvalidManifest(f"{here}: expected {expected_item}")
        _check_id(item.id, f"{here}.id")
        if item.id in seen:
            raise InvalidManifest(f"{here}: duplicate {noun} id {item.id!r}")
        seen.add(item.id)
        _check_text(item.label, f"{here} ({item.id}).label")


@dataclass(frozen=True, slots=True)
class _QuestionBase:
    id: str
    title: Text
    options: tuple[Option, ...]

    def validate(self, where: str) -> None:
        """Check the question's rules; ``where`` is its path in the manifest."""
        raise NotImplementedError

    @property
    def counted_by_mixnet(self) -> bool:
        """Whether the answers are mixed and decrypted one by one (grades, ranking), rather
        than added up encrypted (docs/spec.md sections 6.2 and 14)."""
        return False

    def _check_common(self, where: str, minimum_options: int) -> str:
        _check_id(self.id, f"{where}.id")
        where = f"{where} ({self.id})"
        _check_text(self.title, f"{where}.title")
        if not isinstance(self.options, tuple):
            raise InvalidManifest(f"{where}.options: expected a tuple of options")
        if not minimum_options <= len(self.options) <= MAX_OPTIONS:
            raise InvalidManifest(
                f"{where}: {len(self.options)} options, expected {minimum_options} to {MAX_OPTIONS}"
            )
        _check_labelled_items(self.options, Option, "an Option", "option", f"{where}.options")
        return where

    def _refuse_costs(self, where: str) -> None:
        for index, option in enumerate(self.options):
            if option.cost is not None:
                raise InvalidManifest(
                    f"{where}.options[{index}] ({option.id}): only projects have a cost"
                )

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)

    def option_index(self, option_id: str) -> int | None:
        for index, option in enumerate(self.options):
            if option.id == option_id:
                return index
        return None


@dataclass(frozen=True, slots=True)
class SingleChoiceQuestion(_QuestionBase):
    """Exactly one of n options (n >= 2), or blank when ``blank_allowed``."""

    blank_allowed: bool = False
    kind: QuestionKind = field(default=QuestionKind.SINGLE, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 2)
        self._refuse_costs(where)
        _check_bool(self.blank_allowed, f"{where}.blank")

    @property
    def option_maximum(self) -> int:
        return 1

    @property
    def count_range(self) -> tuple[int, int] | None:
        return (1, 1)


@dataclass(frozen=True, slots=True)
class ApprovalQuestion(_QuestionBase):
    """Between ``minimum`` and ``maximum`` of n options, or blank when ``blank_allowed``."""

    minimum: int = 0
    maximum: int = 1
    blank_allowed: bool = False
    kind: QuestionKind = field(default=QuestionKind.APPROVAL, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 1)
        self._refuse_costs(where)
        _check_bool(self.blank_allowed, f"{where}.blank")
        count = len(self.options)
        _check_int(self.maximum, f"{where}.max", 1, MAX_OPTIONS)
        _check_int(self.minimum, f"{where}.min", 0, MAX_OPTIONS)
        if self.minimum > self.maximum:
            raise InvalidManifest(f"{where}: min {self.minimum} is above max {self.maximum}")
        if self.maximum > count:
            raise InvalidManifest(
                f"{where}: max {self.maximum} is above the number of options {count}"
            )

    @property
    def option_maximum(self) -> int:
        return 1

    @property
    def count_range(self) -> tuple[int, int] | None:
        return (self.minimum, self.maximum)


@dataclass(frozen=True, slots=True)
class ScoreQuestion(_QuestionBase):
    """Each option scored 0..``max_score``; the total at most ``max_total`` when given."""

    max_score: int = 10
    max_total: int | None = None
    kind: QuestionKind = field(default=QuestionKind.SCORE, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 1)
        self._refuse_costs(where)
        _check_int(self.max_score, f"{where}.max_score", 1, MAX_SCORE)
        if self.max_total is not None:
            _check_int(self.max_total, f"{where}.max_total", 1, MAX_SCORE * MAX_OPTIONS)

    @property
    def blank_allowed(self) -> bool:
        return False

    @property
    def option_maximum(self) -> int:
        return self.max_score

    @property
    def count_range(self) -> tuple[int, int] | None:
        return None if self.max_total is None else (0, self.max_total)


@dataclass(frozen=True, slots=True)
class BudgetQuestion(_QuestionBase):
    """A participatory budget: choose projects whose total cost lies in [min_spend, budget]."""

    budget: int = 1
    min_spend: int = 0
    min_projects: int | None = None
    max_projects: int | None = None
    rule: WinnerRule = WinnerRule.GREEDY_BY_VOTES
    kind: QuestionKind = field(default=QuestionKind.BUDGET, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 1)
        for index, option in enumerate(self.options):
            here = f"{where}.projects[{index}] ({option.id}).cost"
            if type(option.cost) is not int:
                raise InvalidManifest(f"{here}: a project needs an integer cost")
            if option.cost <= 0:
                raise InvalidManifest(f"{here}: cost {option.cost} must be a positive integer")
            if option.cost > MAX_COST:
                raise InvalidManifest(f"{here}: cost {option.cost} is above {MAX_COST}")
        _check_int(self.budget, f"{where}.budget", -(2**63), MAX_BUDGET)
        if self.budget <= 0:
            raise InvalidManifest(f"{where}.budget: {self.budget} must be positive")
        _check_int(self.min_spend, f"{where}.min_spend", 0, MAX_BUDGET)
        if self.min_spend > self.budget:
            raise InvalidManifest(
                f"{where}: min_spend {self.min_spend} is above the budget {self.budget}"
            )
        count = len(self.options)
        if self.min_projects is not None:
            _check_int(self.min_projects, f"{where}.min_projects", 0, count)
        if self.max_projects is not None:
            _check_int(self.max_projects, f"{where}.max_projects", 1, count)
        if (
            self.min_projects is not None
            and self.max_projects is not None
            and self.min_projects > self.max_projects
        ):
            raise InvalidManifest(
                f"{where}: min_projects {self.min_projects} is above"
                f" max_projects {self.max_projects}"
            )
        if not isinstance(self.rule, WinnerRule):
            raise InvalidManifest(
                f"{where}.rule: unknown rule: {not_one_of(self.rule, list(WinnerRule))}"
            )
        self._check_satisfiable(where)

    def _check_satisfiable(self, where: str) -> None:
        """InvalidManifest, with the reason, if no ballot could follow the rules.

        A budget question has no blank: a manifest where no choice of projects costs between
        ``min_spend`` and ``budget`` with an allowed number of projects would refuse every
        ballot. The reasons that can be named are checked first; then an exact search over
        the reachable (number of projects, spend) pairs, bounded in work
        (``_SATISFIABLE_SEARCH_LIMIT``): beyond the bound the manifest is accepted.
        """
        costs = self.costs
        for index, option in enumerate(self.options):
            if option.cost is not None and option.cost > self.budget:
                raise InvalidManifest(
                    f"{where}.projects[{index}] ({option.id}): costs {option.cost}, more than the"
                    f" whole budget {self.budget}: no ballot can choose it"
                )
        low, high = self.count_range or (0, len(costs))
        ordered = sorted(costs)
        cheapest = sum(ordered[:low])
        if cheapest > self.budget:
            raise InvalidManifest(
                f"{where}: the {low} cheapest projects (min_projects) cost {cheapest}, more than"
                f" the budget {self.budget}: no ballot can follow the rules"
            )
        dearest = sum(ordered[len(ordered) - high :])
        if dearest < self.min_spend:
            chosen = "all the projects" if high == len(costs) else f"the {high} dearest projects"
            raise InvalidManifest(
                f"{where}: {chosen} cost {dearest}, less than min_spend {self.min_spend}:"
                " no ballot can follow the rules"
            )
        if _reachable_spend(costs, low, high, self.min_spend, self.budget) is False:
            projects = "" if self.count_range is None else f" with {low} to {high} projects"
            raise InvalidManifest(
                f"{where}: no choice of projects{projects} costs between min_spend"
                f" {self.min_spend} and the budget {self.budget}: no ballot can follow the rules"
            )

    @property
    def blank_allowed(self) -> bool:
        return False

    @property
    def option_maximum(self) -> int:
        return 1

    @property
    def costs(self) -> tuple[int, ...]:
        return tuple(option.cost or 0 for option in self.options)

    @property
    def count_range(self) -> tuple[int, int] | None:
        if self.min_projects is None and self.max_projects is None:
            return None
        upper = len(self.options) if self.max_projects is None else self.max_projects
        return (self.min_projects or 0, upper)

    def winners(self, votes: Sequence[int]) -> tuple[str, ...]:
        """The funded projects under ``greedy-by-votes`` for per-project ``votes``.

        Projects are taken by votes descending, ties broken by lower cost, then by manifest
        order, each one while it still fits in the budget.
        """
        if len(votes) != len(self.options):
            raise InvalidInput(f"expected {len(self.options)} vote counts, got {len(votes)}")
        order = sorted(
            range(len(self.options)), key=lambda i: (-votes[i], self.options[i].cost or 0, i)
        )
        remaining = self.budget
        chosen: list[int] = []
        for index in order:
            cost = self.options[index].cost or 0
            if cost <= remaining:
                chosen.append(index)
                remaining -= cost
        return tuple(self.options[index].id for index in sorted(chosen))


@dataclass(frozen=True, slots=True)
class _MixnetQuestionBase(_QuestionBase):
    """A question whose answers are mixed and decrypted one by one (grades, ranking): no
    blank, no range on how many options are marked (docs/spec.md sections 6.2 and 14)."""

    @property
    def counted_by_mixnet(self) -> bool:
        return True

    @property
    def blank_allowed(self) -> bool:
        return False

    @property
    def count_range(self) -> tuple[int, int] | None:
        return None


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade of a grades question ("very-good", "reject", ...), with its label."""

    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class GradesQuestion(_MixnetQuestionBase):
    """Every option given one of ``grades`` (listed best first); counted by majority judgment.

    The grade at position p of the list (0 = best) is encoded as the integer G − 1 − p
    (G grades), so that a higher integer is a better grade (docs/spec.md sections 6.2, 13.1).
    """

    grades: tuple[Grade, ...] = ()
    rule: GradeRule = GradeRule.MAJORITY_JUDGMENT
    kind: QuestionKind = field(default=QuestionKind.GRADES, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 1)
        self._refuse_costs(where)
        if not isinstance(self.grades, tuple):
            raise InvalidManifest(f"{where}.grades: expected a tuple of grades")
        if not MIN_GRADES <= len(self.grades) <= MAX_GRADES:
            raise InvalidManifest(
                f"{where}.grades: {len(self.grades)} grades, expected {MIN_GRADES} to {MAX_GRADES}"
            )
        _check_labelled_items(self.grades, Grade, "a Grade", "grade", f"{where}.grades")
        if not isinstance(self.rule, GradeRule):
            raise InvalidManifest(
                f"{where}.rule: unknown rule: {not_one_of(self.rule, list(GradeRule))}"
            )

    @property
    def option_maximum(self) -> int:
        return len(self.grades) - 1

    @property
    def grade_ids(self) -> tuple[str, ...]:
        return tuple(grade.id for grade in self.grades)

    def grade_value(self, grade_id: str) -> int | None:
        """The integer encoding ``grade_id`` (G − 1 for the best grade, 0 for the worst)."""
        for position, grade in enumerate(self.grades):
            if grade.id == grade_id:
                return len(self.grades) - 1 - position
        return None

    def grade_of_value(self, value: int) -> Grade:
        """The grade that the integer ``value`` in [0, G − 1] encodes."""
        if type(value) is not int or not 0 <= value < len(self.grades):
            raise InvalidInput(f"question {self.id!r}: {value!r} encodes no grade")
        return self.grades[len(self.grades) - 1 - value]


@dataclass(frozen=True, slots=True)
class RankingQuestion(_MixnetQuestionBase):
    """Options ranked, most preferred first (a ranking may leave options out).

    Counted by Condorcet–Schulze or by single transferable vote for ``seats`` seats (given iff
    the rule is ``stv``, 1 to n − 1). Option j is encoded as its rank: 1 for the most preferred,
    2, ..., k for the k ranked options, 0 for an option left out (docs/spec.md section 6.2).
    """

    rule: RankingRule = RankingRule.SCHULZE
    seats: int | None = None
    kind: QuestionKind = field(default=QuestionKind.RANKING, init=False)

    def validate(self, where: str) -> None:
        where = self._check_common(where, 2)
        self._refuse_costs(where)
        if not isinstance(self.rule, RankingRule):
            raise InvalidManifest(
                f"{where}.rule: unknown rule: {not_one_of(self.rule, list(RankingRule))}"
            )
        if self.rule is RankingRule.STV:
            if self.seats is None:
                raise InvalidManifest(f"{where}.seats: the rule stv needs a number of seats")
            _check_int(self.seats, f"{where}.seats", 1, len(self.options) - 1)
        elif self.seats is not None:
            raise InvalidManifest(f"{where}.seats: only the rule stv has seats")

    @property
    def option_maximum(self) -> int:
        return len(self.options)


Question: TypeAlias = (
    SingleChoiceQuestion
    | ApprovalQuestion
    | ScoreQuestion
    | BudgetQuestion
    | GradesQuestion
    | RankingQuestion
)


def _check_bool(value: object, where: str) -> None:
    if not isinstance(value, bool):
        raise InvalidManifest(f"{where}: expected a boolean")


def _parse_date(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidManifest(f"{where}: {text!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidManifest(f"{where}: {text!r} has no timezone")
    # The manifest digest is computed over the written form (docs/spec.md section 6.2): a date
    # in any other form would hash as text its reader never saw, so only that form is read.
    written = moment.isoformat()
    if text != written:
        raise InvalidManifest(f"{where}: {text!r} is not in the written form; write {written!r}")
    return moment


#: How many (number of projects, spend) pairs the satisfiability search may hold.
_SATISFIABLE_SEARCH_LIMIT: Final = 200_000


def _reachable_spend(
    costs: Sequence[int], low: int, high: int, min_spend: int, budget: int
) -> bool | None:
    """Whether some set of ``low``..``high`` projects costs within [min_spend, budget].

    ``None`` when the search would exceed ``_SATISFIABLE_SEARCH_LIMIT`` pairs (undecided).
    """
    if low == 0 and min_spend == 0:
        return True  # choosing no project is a valid ballot
    reachable: list[set[int]] = [{0}] + [set() for _ in range(high)]
    held = 1
    for cost in costs:
        for count in range(high - 1, -1, -1):
            for spend in tuple(reachable[count]):
                total = spend + cost
                if total > budget or total in reachable[count + 1]:
                    continue
                if count + 1 >= low and total >= min_spend:
                    return True
                reachable[count + 1].add(total)
                held += 1
                if held > _SATISFIABLE_SEARCH_LIMIT:
                    return None
    return False


@dataclass(frozen=True, slots=True)
class Manifest:
    """An election's questions and rules; validated on construction."""

    election_id: str
    title: Text
    opens: datetime
    closes: datetime
    questions: tuple[Question, ...]
    group_name: str = "ed25519"
    revote: RevotePolicy = RevotePolicy.LAST_COUNTS

    def __post_init__(self) -> None:
        if not isinstance(self.election_id, str) or not _ELECTION_ID.fullmatch(self.election_id):
            raise InvalidManifest(
                f"manifest.election_id: {self.election_id!r} must be 1-128 characters among"
                " letters, digits, '_', '.', ':', '-'"
            )
        try:
            group_by_name(self.group_name)
        except InvalidInput as error:
            raise InvalidManifest(f"manifest.group: {error}") from None
        _check_text(self.title, "manifest.title")
        for name in ("opens", "closes"):
            moment = getattr(self, name)
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise InvalidManifest(f"manifest.{name}: expected a datetime with a timezone")
        if self.closes <= self.opens:
            raise InvalidManifest("manifest.closes: the closing date must be after the opening")
        if not isinstance(self.revote, RevotePolicy):
            raise InvalidManifest(
                f"manifest.revote: unknown policy: {not_one_of(self.revote, list(RevotePolicy))}"
            )
        if not isinstance(self.questions, tuple) or not 1 <= len(self.questions) <= MAX_QUESTIONS:
            raise InvalidManifest(f"manifest.questions: expected 1 to {MAX_QUESTIONS} questions")
        seen: set[str] = set()
        for index, question in enumerate(self.questions):
            where = f"manifest.questions[{index}]"
            if not isinstance(question, _QuestionBase):
                raise InvalidManifest(f"{where}: not a question")
            question.validate(where)
            if question.id in seen:
                raise InvalidManifest(f"{where}: duplicate question id {question.id!r}")
            seen.add(question.id)

    @property
    def group(self) -> Group:
        return group_by_name(self.group_name)

    def question_index(self, question_id: str) -> int | None:
        for index, question in enumerate(self.questions):
            if question.id == question_id:
                return index
        return None

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "election_id": self.election_id,
            "group": self.group_name,
            "title": dict(self.title),
            "opens": self.opens.isoformat(),
            "closes": self.closes.isoformat(),
            "revote": self.revote.value,
            "questions": [_question_to_obj(question) for question in self.questions],
        }

    def canonical_bytes(self) -> bytes:
        return jsonstrict.dumps(self.to_json_obj())

    def to_json(self) -> bytes:
        return self.canonical_bytes()

    def digest(self) -> bytes:
        """digest32(MANIFEST, canonical bytes): bound into the election fingerprint."""
        return digest32(Purpose.MANIFEST, self.canonical_bytes())


def _question_to_obj(question: Question) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": question.id, "kind": question.kind.value}
    obj["title"] = dict(question.title)
    if isinstance(question, BudgetQuestion):
        obj["projects"] = [
            {"id": option.id, "label": dict(option.label), "cost": option.cost}
            for option in question.options
        ]
        obj["budget"] = question.budget
        obj["min_spend"] = question.min_spend
        obj["rule"] = question.rule.value
        if question.min_projects is not None:
            obj["min_projects"] = question.min_projects
        if question.max_projects is not None:
            obj["max_projects"] = question.max_projects
        return obj
    obj["options"] = [{"id": option.id, "label": dict(option.label)} for option in question.options]
    if isinstance(question, SingleChoiceQuestion):
        obj["blank"] = question.blank_allowed
    elif isinstance(question, ApprovalQuestion):
        obj["blank"] = question.blank_allowed
        obj["min"] = question.minimum
        obj["max"] = question.maximum
    elif isinstance(question, GradesQuestion):
        obj["grades"] = [{"id": grade.id, "label": dict(grade.label)} for grade in question.grades]
        obj["rule"] = question.rule.value
    elif isinstance(question, RankingQuestion):
        obj["rule"] = question.rule.value
        if question.seats is not None:
            obj["seats"] = question.seats
    else:
        obj["max_score"] = question.max_score
        if question.max_total is not None:
            obj["max_total"] = question.max_total
    return obj


# -- decoding ---------------------------------------------------------------------------------


def manifest_from_json(data: bytes) -> Manifest:
    """Decode and validate a manifest from strict JSON."""
    obj = jsonstrict.loads(data, "manifest", InvalidManifest, MAX_MANIFEST_BYTES)
    return manifest_from_json_obj(obj)


def manifest_from_json_obj(obj: Any) -> Manifest:
    fields = _READ.object(
        obj,
        "manifest",
        ("version", "election_id", "group", "title", "opens", "closes", "revote", "questions"),
    )
    _READ.integer(fields["version"], "manifest.version", MANIFEST_VERSION, MANIFEST_VERSION)
    revote = _READ.string(fields["revote"], "manifest.revote")
    if revote not in RevotePolicy._value2member_map_:
        raise InvalidManifest(
            f"manifest.revote: unknown policy: {not_one_of(revote, list(RevotePolicy))}"
        )
    items = _READ.array(fields["questions"], "manifest.questions", 1, MAX_QUESTIONS)
    return Manifest(
        election_id=_READ.string(fields["election_id"], "manifest.election_id"),
        group_name=_READ.string(fields["group"], "manifest.group"),
        title=_READ.string_map(fields["title"], "manifest.title"),
        opens=_parse_date(_READ.string(fields["opens"], "manifest.opens"), "manifest.opens"),
        closes=_parse_date(_READ.string(fields["closes"], "manifest.closes"), "manifest.closes"),
        revote=RevotePolicy(revote),
        questions=tuple(
            _question_from_obj(item, f"manifest.questions[{index}]")
            for index, item in enumerate(items)
        ),
    )


_KIND_FIELDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "single": (("id", "kind", "title", "options", "blank"), ()),
    "approval": (("id", "kind", "title", "options", "blank", "min", "max"), ()),
    "score": (("id", "kind", "title", "options", "max_score"), ("max_total",)),
    "budget": (
        ("id", "kind", "title", "projects", "budget", "min_spend", "rule"),
        ("min_projects", "max_projects"),
    ),
    "grades": (("id", "kind", "title", "options", "grades", "rule"), ()),
    "ranking": (("id", "kind", "title", "options", "rule"), ("seats",)),
}


def _question_from_obj(obj: Any, where: str) -> Question:
    if not isinstance(obj, dict):
        raise InvalidManifest(f"{where}: expected an object")
    kind = _READ.string(obj.get("kind"), f"{where}.kind")
    if kind not in _KIND_FIELDS:
        raise InvalidManifest(f"{where}.kind: unknown kind: {not_one_of(kind, _KIND_FIELDS)}")
    required, optional = _KIND_FIELDS[kind]
    fields = _READ.object(obj, where, required, optional)
    question_id = _READ.string(fields["id"], f"{where}.id")
    title = _READ.string_map(fields["title"], f"{where}.title")
    if kind == "budget":
        projects = _READ.array(fields["projects"], f"{where}.projects", 0, MAX_OPTIONS)
        rule = _READ.string(fields["rule"], f"{where}.rule")
        if rule not in WinnerRule._value2member_map_:
            raise InvalidManifest(
                f"{where}.rule: unknown rule: {not_one_of(rule, list(WinnerRule))}"
            )
        return BudgetQuestion(
            id=question_id,
            title=title,
            options=tuple(
                _option_from_obj(item, f"{where}.projects[{index}]", with_cost=True)
                for index, item in enumerate(projects)
            ),
            budget=_READ.integer(fields["budget"], f"{where}.budget"),
            min_spend=_READ.integer(fields["min_spend"], f"{where}.min_spend"),
            min_projects=_optional_int(fields, "min_projects", where),
            max_projects=_optional_int(fields, "max_projects", where),
            rule=WinnerRule(rule),
        )
    raw_options = _READ.array(fields["options"], f"{where}.options", 0, MAX_OPTIONS)
    options = tuple(
        _option_from_obj(item, f"{where}.options[{index}]", with_cost=False)
        for index, item in enumerate(raw_options)
    )
    if kind == "single":
        return SingleChoiceQuestion(
            question_id, title, options, _READ.boolean(fields["blank"], f"{where}.blank")
        )
    if kind == "approval":
        return ApprovalQuestion(
            question_id,
            title,
            options,
            minimum=_READ.integer(fields["min"], f"{where}.min"),
            maximum=_READ.integer(fields["max"], f"{where}.max"),
            blank_allowed=_READ.boolean(fields["blank"], f"{where}.blank"),
        )
    if kind == "grades":
        return _grades_from_fields(fields, question_id, title, options, where)
    if kind == "ranking":
        rule = _READ.string(fields["rule"], f"{where}.rule")
        if rule not in RankingRule._value2member_map_:
            raise InvalidManifest(
                f"{where}.rule: unknown rule: {not_one_of(rule, list(RankingRule))}"
            )
        return RankingQuestion(
            question_id,
            title,
            options,
            rule=RankingRule(rule),
            seats=_optional_int(fields, "seats", where),
        )
    return ScoreQuestion(
        question_id,
        title,
        options,
        max_score=_READ.integer(fields["max_score"], f"{where}.max_score"),
        max_total=_optional_int(fields, "max_total", where),
    )


def _grades_from_fields(
    fields: dict[str, Any], question_id: str, title: Text, options: tuple[Option, ...], where: str
) -> GradesQuestion:
    rule = _READ.string(fields["rule"], f"{where}.rule")
    if rule not in GradeRule._value2member_map_:
        raise InvalidManifest(f"{where}.rule: unknown rule: {not_one_of(rule, list(GradeRule))}")
    items = _READ.array(fields["grades"], f"{where}.grades", 0, MAX_GRADES)
    grades = []
    for index, item in enumerate(items):
        here = f"{where}.grades[{index}]"
        grade = _READ.object(item, here, ("id", "label"))
        grades.append(
            Grade(
                _READ.string(grade["id"], f"{here}.id"),
                _READ.string_map(grade["label"], f"{here}.label"),
            )
        )
    return GradesQuestion(question_id, title, options, tuple(grades), GradeRule(rule))


def _optional_int(fields: dict[str, Any], name: str, where: str) -> int | None:
    if name not in fields:
        return None
    return _READ.integer(fields[name], f"{where}.{name}")


def _option_from_obj(obj: Any, where: str, *, with_cost: bool) -> Option:
    required = ("id", "label", "cost") if with_cost else ("id", "label")
    fields = _READ.object(obj, where, required)
    return Option(
        id=_READ.string(fields["id"], f"{where}.id"),
        label=_READ.string_map(fields["label"], f"{where}.label"),
        cost=_READ.integer(fields["cost"], f"{where}.cost") if with_cost else None,
    )
