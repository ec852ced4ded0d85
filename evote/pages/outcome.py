"""What a person reads of a grades or ranking question's result, in every view of it.

A question counted by the mixnet (docs/spec.md sections 13 and 14.5) has no votes per option;
its result entry holds the ballots per grade or per rank of each option, the rule's ranking and,
for STV, the quota and the stages. :func:`mixnet_outcome` reads that entry into one language-free
:class:`MixnetOutcome` that `evote results`, `evote demo`, the results pages and the open data
all render, so that they show the same numbers:

* ``columns``: the grade ids, best first (the manifest's order), or the ranks ``1..n``;
* per option (manifest order) its ballots per column, its majority grade (majority judgment:
  the lower middlemost grade of its ballots, spec 13.1), its place (standard competition
  ranking over the rule's groups: tied options share a place, the next place skips; for STV
  the order of election; ``None`` for an option not placed) and whether it wins;
* ``ranking`` (groups of option ids, best first), ``quota`` and ``stages`` as in the result
  (an STV count without ballots has no quota and no stages), ``stv`` whether STV counts it.

STV counts in units of 10^-5 votes (spec 13.3); :func:`votes_text` writes them as an exact
decimal number of votes.
"""

from __future__ import annotations

from dataclasses import dataclass

from evote.ballots.manifest import GradesQuestion, RankingQuestion, RankingRule
from evote.errors import InvalidInput
from evote.tally.result import QuestionResult, StageResult
from evote.tally.rules import STV_UNIT


@dataclass(frozen=True, slots=True)
class OptionOutcome:
    """One option: its ballots per column, majority grade (grades only), place, winner."""

    option_id: str
    ballots: tuple[int, ...]
    majority_grade: str | None
    place: int | None
    winner: bool


@dataclass(frozen=True, slots=True)
class MixnetOutcome:
    """A grades or ranking question's result as the views show it (see the module's doc)."""

    columns: tuple[str, ...]
    options: tuple[OptionOutcome, ...]
    ranking: tuple[tuple[str, ...], ...]
    quota: int | None
    stages: tuple[StageResult, ...]
    stv: bool


def majority_grade(ballots_per_grade: tuple[int, ...]) -> int | None:
    """The position (0 = best) of the majority grade: the lower middlemost of the ballots'
    grades (spec 13.1), i.e. the grade at ⌊(N − 1)/2⌋ from the worst; None without ballots."""
    total = sum(ballots_per_grade)
    if total == 0:
        return None
    middle = (total - 1) // 2
    seen = 0
    for position in range(len(ballots_per_grade) - 1, -1, -1):
        seen += ballots_per_grade[position]
        if seen > middle:
            return position
    raise InvalidInput("majority grade: no grade holds the middle ballot")  # unreachable


def _places(ranking: tuple[tuple[str, ...], ...]) -> dict[str, int]:
    places: dict[str, int] = {}
    place = 1
    for group in ranking:
        for option_id in group:
            places[option_id] = place
        place += len(group)
    return places


def mixnet_outcome(
    question: GradesQuestion | RankingQuestion, outcome: QuestionResult
) -> MixnetOutcome:
    """The outcome of ``question`` as every view shows it; InvalidInput if ``outcome`` is not
    that question's mixnet result (no distribution, or not one row per option)."""
    distribution = outcome.distribution
    ids = question.option_ids
    if distribution is None or tuple(option for option, _ in distribution) != ids:
        raise InvalidInput(
            f"question {question.id}: the result has no ballots per grade or rank for its options"
        )
    _check_option_ids(question.id, set(ids), outcome)
    grades = question.grades if isinstance(question, GradesQuestion) else None
    columns = (
        tuple(grade.id for grade in grades)
        if grades is not None
        else tuple(str(rank) for rank in range(1, len(ids) + 1))
    )
    ranking = outcome.ranking or ()
    places = _places(ranking)
    options = []
    for option_id, ballots in distribution:
        if len(ballots) != len(columns):
            raise InvalidInput(
                f"question {question.id} option {option_id}: {len(ballots)} counts for"
                f" {len(columns)} columns"
            )
        median = majority_grade(ballots) if grades is not None else None
        options.append(
            OptionOutcome(
                option_id,
                ballots,
                None if median is None else columns[median],
                places.get(option_id),
                option_id in outcome.winners,
            )
        )
    stv = isinstance(question, RankingQuestion) and question.rule is RankingRule.STV
    return MixnetOutcome(columns, tuple(options), ranking, outcome.quota, outcome.stages or (), stv)


def _check_option_ids(question_id: str, ids: set[str], outcome: QuestionResult) -> None:
    """InvalidInput unless every option the result names (ranking, winners, the stages) is an
    option of the question and every group of the ranking holds one: the views look the ids
    up in the manifest, and a record read by `evote results` is not verified first."""
    named: list[tuple[str, str | None]] = []
    for k, group in enumerate(outcome.ranking or ()):
        if not group:
            raise InvalidInput(f"question {question_id}: the result's ranking group {k} is empty")
        named += [(f"ranking group {k}", option) for option in group]
    named += [("winners", option) for option in outcome.winners]
    for k, stage in enumerate(outcome.stages or ()):
        where = f"stage {k + 1}"
        named.append((where, stage.option))
        named += [(where, option) for option, _ in stage.votes]
        named += [(where, option) for option in (*stage.elected, *stage.excluded)]
    for where, option in named:
        if option is not None and option not in ids:
            raise InvalidInput(
                f"question {question_id}: the result's {where} names {option!r}, not one of its"
                " options"
            )


def votes_text(units: int, decimal: str = ".") -> str:
    """STV votes (units of 10^-5 votes, spec 13.3) as an exact decimal: 3, 2.5, 1.33333."""
    whole, fraction = divmod(units, STV_UNIT)
    digits = f"{fraction:05d}".rstrip("0")
    return f"{whole}{decimal}{digits}" if digits else str(whole)
