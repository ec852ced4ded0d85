"""Counting rules over decrypted answers: majority judgment, Schulze, STV (docs/spec.md section 13).

Pure functions: they take the plaintext answers that the mixnet's decryption yields (in the
mixed order, which carries no information) and return the outcome, with every tie reported
or broken by the documented rule. Nothing here is cryptographic; the verifier recomputes the
count with the same functions.

* :func:`majority_judgment`: Balinski, Laraki, "A theory of measuring, electing and ranking",
  PNAS 104(21), 2007, and *Majority Judgment: Measuring, Ranking, and Electing*, MIT Press
  2011, chapter 13 (the majority grade is the lower middlemost grade; the majority value, the
  sequence of majority grades as the median grades are removed one by one, ranks the options
  lexicographically).
* :func:`schulze`: Schulze, "A new monotonic, clone-independent, reversal symmetric, and
  Condorcet-consistent single-winner election method", Social Choice and Welfare 36(2), 2011,
  section 2 (the strongest paths, with the strength of a link measured by winning votes).
* :func:`stv`: single transferable vote under the Scottish STV rules (The Scottish Local
  Government Elections Order 2007, SSI 2007/42, schedule 1, rules 45 to 52): Droop quota,
  weighted inclusive Gregory transfers with transfer values truncated to five decimals, largest
  surplus first, exclusion of the lowest, ties broken by the earliest stage at which the votes
  differed; what evote fixes where the rules leave a choice (an exclusion is one transfer, not
  one per transfer value; the lot is a fixed rule) is listed in docs/spec.md section 13.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Final

from evote.errors import InvalidInput

#: The Scottish rules compute transfer values are computed to five decimal places, fractions beyond
#: ignored. Votes are counted in units of 10^-5 so that every value is an exact integer.
STV_UNIT: Final = 100_000


# -- shared -------------------------------------------------------------------------------------


def _check_options(options: int) -> None:
    if type(options) is not int or options < 1:
        raise InvalidInput(f"options: expected a positive number of options, got {options!r}")


def _check_ranking(ranking: Sequence[int], options: int, where: str) -> None:
    """A ranking lists distinct option indices, most preferred first (possibly partial)."""
    seen: set[int] = set()
    for position, option in enumerate(ranking):
        if type(option) is not int or not 0 <= option < options:
            raise InvalidInput(
                f"{where}[{position}]: {option!r} is not an option in 0..{options - 1}"
            )
        if option in seen:
            raise InvalidInput(f"{where}[{position}]: option {option} is ranked twice")
        seen.add(option)


def ranking_from_ranks(ranks: Sequence[int]) -> tuple[int, ...]:
    """The ranking (option indices, most preferred first) that a decrypted rank vector reads as.

    ``ranks[j]`` is option j's rank: 1 for the most preferred, 2, ..., 0 for an option left
    out (docs/spec.md section 6.2). The ballot's proofs put every rank in [0, n] but do not
    prove them distinct, so the vector is read as a Scottish STV paper is read up to its first
    ambiguity (docs/spec.md section 6.4): the option with rank 1, then the one with rank 2,
    ..., stopping at the first rank that no option holds or that several options hold; the
    ranks above it are ignored. A proper ranking (ranks 1..k, distinct) reads as itself; the
    empty ranking (all 0) reads as ``()``. Raises InvalidInput for a rank outside [0, n].
    """
    count = len(ranks)
    holders: list[int | None] = [None] * (count + 1)
    held = [0] * (count + 1)
    for option, rank in enumerate(ranks):
        if type(rank) is not int or not 0 <= rank <= count:
            raise InvalidInput(f"ranks[{option}]: {rank!r} is not a rank in 0..{count}")
        held[rank] += 1
        holders[rank] = option
    ranking: list[int] = []
    for rank in range(1, count + 1):
        holder = holders[rank]
        if held[rank] != 1 or holder is None:
            break
        ranking.append(holder)
    return tuple(ranking)


# -- majority judgment --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MajorityJudgmentResult:
    """The majority grade of each option and the majority ranking.

    ``ranking`` lists groups of option indices, best first; options in one group have the same
    majority value (the same multiset of grades) and are tied. ``winners`` is the first group.
    """

    majority_grades: tuple[int, ...]
    ranking: tuple[tuple[int, ...], ...]

    @property
    def winners(self) -> tuple[int, ...]:
        return self.ranking[0]


def majority_value(grades: Sequence[int]) -> tuple[int, ...]:
    """The majority grades of ``grades`` as the median grade is removed one at a time.

    The majority grade of n grades is the lower middlemost, the grade at position ⌊(n − 1)/2⌋
    of the ascending order (Balinski–Laraki). Removing it and repeating gives, for the
    ascending a_0..a_(n−1) and m = ⌊(n − 1)/2⌋, the grades a_m, then alternately one step
    below and one above the middle: a_(m−1), a_(m+1), a_(m−2), ... when n is odd, and
    a_(m+1), a_(m−1), a_(m+2), ... when n is even.
    """
    ordered = sorted(grades)
    n = len(ordered)
    if n == 0:
        return ()
    middle = (n - 1) // 2
    sequence = [ordered[middle]]
    below, above = middle - 1, middle + 1
    take_below = n % 2 == 1
    while below >= 0 or above < n:
        if (take_below and below >= 0) or above >= n:
            sequence.append(ordered[below])
            below -= 1
        else:
            sequence.append(ordered[above])
            above += 1
        take_below = not take_below
    return tuple(sequence)


def majority_judgment(
    ballots: Sequence[Sequence[int]],
    options: int,
    grades: int,
    weights: Sequence[int] | None = None,
) -> MajorityJudgmentResult:
    """Rank ``options`` by majority judgment.

    Each ballot gives every option a grade in 0..grades − 1, **higher is better**. An option
    ranks above another when its majority value is lexicographically greater (the first
    majority grade that differs decides); equal majority values are a tie. A ballot of weight
    w counts as w identical ballots (``weights``, one per ballot, default 1 each).
    """
    _check_options(options)
    if type(grades) is not int or grades < 2:
        raise InvalidInput(f"grades: expected at least 2 grades, got {grades!r}")
    if not ballots:
        raise InvalidInput("ballots: majority judgment needs at least one ballot")
    ballot_weights = _check_weights(weights, len(ballots))
    counts = [[0] * grades for _ in range(options)]
    for index, ballot in enumerate(ballots):
        if len(ballot) != options:
            raise InvalidInput(f"ballots[{index}]: {len(ballot)} grades for {options} options")
        for option, grade in enumerate(ballot):
            if type(grade) is not int or not 0 <= grade < grades:
                raise InvalidInput(
                    f"ballots[{index}][{option}]: {grade!r} is not a grade in 0..{grades - 1}"
                )
            counts[option][grade] += ballot_weights[index]
    values = [_RunLengthMajorityValue.of(row) for row in counts]

    def better_first(a: int, b: int) -> int:
        return values[b].compare(values[a])

    order = sorted(range(options), key=cmp_to_key(better_first))
    ranking: list[list[int]] = []
    for option in order:
        if ranking and values[ranking[-1][0]].compare(values[option]) == 0:
            ranking[-1].append(option)
        else:
            ranking.append([option])
    return MajorityJudgmentResult(
        majority_grades=tuple(value.head[0] for value in values),
        ranking=tuple(tuple(group) for group in ranking),
    )


@dataclass(frozen=True, slots=True)
class _RunLengthMajorityValue:
    """A majority value in run-length form, for weights too large to expand.

    With the ascending grades a_0..a_(n−1) and m = ⌊(n − 1)/2⌋, the majority value
    (:func:`majority_value`) is a ``head`` (a_m when n is odd; a_m, a_(m+1) when even) followed
    by pairs (a_(m−i), a_(m+i)) for odd n, (a_(m−i), a_(m+1+i)) for even n, i = 1, 2, ...:
    one grade below the middle, then one above. ``pairs`` holds those pairs as runs.
    """

    head: tuple[int, ...]
    pairs: tuple[tuple[tuple[int, int], int], ...]

    @staticmethod
    def of(counts: Sequence[int]) -> _RunLengthMajorityValue:
        runs = [(grade, count) for grade, count in enumerate(counts) if count]
        n = sum(counts)
        middle = (n - 1) // 2
        head_length = 1 if n % 2 else 2
        head = tuple(_grade_at(runs, middle + k) for k in range(head_length))
        below = list(reversed(_slice_runs(runs, 0, middle)))
        above = _slice_runs(runs, middle + head_length, n)
        return _RunLengthMajorityValue(head, _zip_runs(below, above))

    def compare(self, other: _RunLengthMajorityValue) -> int:
        """-1, 0 or 1 as this value is lexicographically below, equal to or above ``other``."""
        if self.head != other.head:
            return -1 if self.head < other.head else 1
        mine, theirs = list(self.pairs), list(other.pairs)
        i = j = 0
        left = right = 0
        while i < len(mine) and j < len(theirs):
            pair, left = mine[i][0], left or mine[i][1]
            other_pair, right = theirs[j][0], right or theirs[j][1]
            if pair != other_pair:
                return -1 if pair < other_pair else 1
            step = min(left, right)
            left, right = left - step, right - step
            i += left == 0
            j += right == 0
        return 0


def _grade_at(runs: Sequence[tuple[int, int]], index: int) -> int:
    for grade, count in runs:
        if index < count:
            return grade
        index -= count
    raise IndexError(index)


def _slice_runs(runs: Sequence[tuple[int, int]], start: int, stop: int) -> list[tuple[int, int]]:
    """The runs of the ascending positions start..stop − 1."""
    sliced = []
    offset = 0
    for grade, count in runs:
        low, high = max(start, offset), min(stop, offset + count)
        if low < high:
            sliced.append((grade, high - low))
        offset += count
    return sliced


def _zip_runs(
    first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> tuple[tuple[tuple[int, int], int], ...]:
    """Runs of (first[i], second[i]) for two run lists of equal length."""
    pairs: list[tuple[tuple[int, int], int]] = []
    i = j = 0
    left = right = 0
    while i < len(first) and j < len(second):
        left = left or first[i][1]
        right = right or second[j][1]
        step = min(left, right)
        pairs.append(((first[i][0], second[j][0]), step))
        left, right = left - step, right - step
        i += left == 0
        j += right == 0
    return tuple(pairs)


def _check_weights(weights: Sequence[int] | None, count: int) -> list[int]:
    if weights is None:
        return [1] * count
    if len(weights) != count:
        raise InvalidInput(f"weights: {len(weights)} weights for {count} ballots")
    for index, weight in enumerate(weights):
        if type(weight) is not int or weight < 1:
            raise InvalidInput(f"weights[{index}]: expected a positive integer, got {weight!r}")
    return list(weights)


# -- Schulze ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchulzeResult:
    """Pairwise counts, strongest paths and the Schulze ranking.

    ``pairwise[i][j]`` is the number of ballots that rank i above j; ``strongest[i][j]`` the
    strength of the strongest path from i to j. ``ranking`` lists groups, best first: each
    group is the set of options that no remaining option beats (p[j][i] > p[i][j]), so that
    options in one group are tied. ``winners`` is the first group (Schulze winners).
    """

    pairwise: tuple[tuple[int, ...], ...]
    strongest: tuple[tuple[int, ...], ...]
    ranking: tuple[tuple[int, ...], ...]

    @property
    def winners(self) -> tuple[int, ...]:
        return self.ranking[0]


def pairwise_preferences(
    ballots: Sequence[Sequence[int]], options: int, weights: Sequence[int] | None = None
) -> tuple[tuple[int, ...], ...]:
    """d[i][j]: the weight of the ballots ranking i above j (unranked options rank last)."""
    _check_options(options)
    ballot_weights = _check_weights(weights, len(ballots))
    d = [[0] * options for _ in range(options)]
    for index, ballot in enumerate(ballots):
        weight = ballot_weights[index]
        _check_ranking(ballot, options, f"ballots[{index}]")
        unranked = set(range(options)) - set(ballot)
        for position, preferred in enumerate(ballot):
            row = d[preferred]
            for other in ballot[position + 1 :]:
                row[other] += weight
            for other in unranked:
                row[other] += weight
    return tuple(tuple(row) for row in d)


def schulze(
    ballots: Sequence[Sequence[int]], options: int, weights: Sequence[int] | None = None
) -> SchulzeResult:
    """Rank ``options`` by Schulze's method (winning votes).

    Each ballot is a ranking: distinct option indices, most preferred first; options it leaves
    out are ranked below all it lists and equal among themselves. A ballot of weight w counts
    as w identical ballots.
    """
    d = pairwise_preferences(ballots, options, weights)
    p = [
        [d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(options)]
        for i in range(options)
    ]
    # Floyd–Warshall on the widest path (Schulze 2011, section 2.3).
    for i in range(options):
        for j in range(options):
            if i == j:
                continue
            for k in range(options):
                if k not in (i, j):
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    remaining = list(range(options))
    ranking: list[tuple[int, ...]] = []
    while remaining:
        unbeaten = tuple(
            i for i in remaining if not any(p[j][i] > p[i][j] for j in remaining if j != i)
        )
        ranking.append(unbeaten)
        remaining = [i for i in remaining if i not in unbeaten]
    return SchulzeResult(d, tuple(tuple(row) for row in p), tuple(ranking))


def condorcet_winner(
    ballots: Sequence[Sequence[int]], options: int, weights: Sequence[int] | None = None
) -> int | None:
    """The option that beats every other one pairwise, if there is one."""
    d = pairwise_preferences(ballots, options, weights)
    for i in range(options):
        if all(d[i][j] > d[j][i] for j in range(options) if j != i):
            return i
    return None


# -- STV ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StvStage:
    """One stage of the count: what happened, and every continuing option's votes after it.

    Votes are in units of 10^-5 (``STV_UNIT``). ``action`` is ``"first"`` (first preferences),
    ``"surplus"`` or ``"exclusion"``; ``option`` the option whose votes were transferred.
    """

    action: str
    option: int | None
    votes: tuple[int, ...]
    elected: tuple[int, ...]
    excluded: tuple[int, ...]
    non_transferable: int


@dataclass(frozen=True, slots=True)
class StvResult:
    """The elected options in order of election, the quota and the stages of the count."""

    elected: tuple[int, ...]
    quota: int
    stages: tuple[StvStage, ...]


@dataclass(slots=True)
class _Paper:
    """``weight`` identical ballot papers, each worth ``value`` units (one vote: STV_UNIT)."""

    ranking: tuple[int, ...]
    value: int
    weight: int = 1
    position: int = 0

    @property
    def votes(self) -> int:
        return self.value * self.weight


def stv(
    ballots: Sequence[Sequence[int]],
    options: int,
    seats: int,
    weights: Sequence[int] | None = None,
) -> StvResult:
    """Elect ``seats`` options by STV under the Scottish rules (docs/spec.md section 13.3).

    Each ballot is a ranking (most preferred first, possibly partial); an empty ranking is not
    a valid vote and is not counted. A ballot of weight w counts as w identical ballots (the
    transfer value is truncated per ballot, then multiplied by w).
    """
    _check_options(options)
    if type(seats) is not int or not 1 <= seats <= options:
        raise InvalidInput(f"seats: expected 1..{options} seats, got {seats!r}")
    ballot_weights = _check_weights(weights, len(ballots))
    for index, ballot in enumerate(ballots):
        _check_ranking(ballot, options, f"ballots[{index}]")
    papers = [
        _Paper(tuple(ballot), STV_UNIT, weight)
        for ballot, weight in zip(ballots, ballot_weights, strict=True)
        if ballot
    ]
    if not papers:
        raise InvalidInput("ballots: STV needs at least one non-empty ballot")
    count = _StvCount(options, seats, sum(paper.weight for paper in papers))
    for paper in papers:
        count.place(paper)
    count.record("first", None)
    while len(count.elected) < seats:
        remaining = count.continuing()
        if len(remaining) <= seats - len(count.elected):
            count.fill(remaining)
        elif count.pending_surplus:
            count.transfer_surplus()
        else:
            count.exclude_lowest(remaining)
    return StvResult(tuple(count.elected), count.quota, tuple(count.stages))


class _StvCount:
    """The state of an STV count; votes in units of 10^-5 (``STV_UNIT``)."""

    def __init__(self, options: int, seats: int, valid: int) -> None:
        self.options = options
        self.seats = seats
        # The Droop quota: ⌊valid votes / (seats + 1)⌋ + 1 (in whole votes).
        self.quota = (valid // (seats + 1) + 1) * STV_UNIT
        self.piles: dict[int, list[_Paper]] = {option: [] for option in range(options)}
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.pending_surplus: list[int] = []
        self.non_transferable = 0
        self.stages: list[StvStage] = []

    def continuing(self) -> list[int]:
        return [o for o in range(self.options) if o not in self.elected and o not in self.excluded]

    def total(self, option: int) -> int:
        return sum(paper.votes for paper in self.piles[option])

    def key(self, option: int) -> tuple[int, ...]:
        return _stv_order_key(option, self.total(option), self.stages)

    def place(self, paper: _Paper) -> None:
        """Give ``paper`` to its next continuing preference, or set it aside as exhausted."""
        open_options = set(self.continuing())
        while paper.position < len(paper.ranking):
            option = paper.ranking[paper.position]
            if option in open_options:
                self.piles[option].append(paper)
                return
            paper.position += 1
        self.non_transferable += paper.votes

    def record(self, action: str, option: int | None) -> None:
        """Elect who reached the quota (largest vote first), then log the stage."""
        reached = sorted(
            (o for o in self.continuing() if self.total(o) >= self.quota),
            key=self.key,
            reverse=True,
        )
        for o in reached:
            if len(self.elected) < self.seats:
                self.elected.append(o)
                if self.total(o) > self.quota:
                    self.pending_surplus.append(o)
        self.stages.append(
            StvStage(
                action,
                option,
                tuple(self.total(o) for o in range(self.options)),
                tuple(self.elected),
                tuple(self.excluded),
                self.non_transferable,
            )
        )

    def fill(self, remaining: list[int]) -> None:
        """As many continuing candidates as seats left: all of them are elected."""
        self.elected.extend(sorted(remaining, key=self.key, reverse=True))
        self.record("fill", None)

    def transfer_surplus(self) -> None:
        """Transfer the largest surplus (weighted inclusive Gregory method)."""
        option = max(self.pending_surplus, key=self.key)
        self.pending_surplus.remove(option)
        pile_total = self.total(option)
        surplus = pile_total - self.quota
        transferred, self.piles[option] = self.piles[option], []
        kept = 0
        for paper in transferred:
            # The transfer value, truncated to 10^-5 of a vote.
            new_value = surplus * paper.value // pile_total
            kept += (paper.value - new_value) * paper.weight
            paper.value = new_value
            paper.position += 1
            self.place(paper)
        # The elected option keeps exactly the quota; what truncation loses is set aside as
        # non-transferable, so that the votes always sum to the valid votes.
        self.piles[option] = [_Paper((), self.quota)]
        self.non_transferable += kept - self.quota
        self.record("surplus", option)

    def exclude_lowest(self, remaining: list[int]) -> None:
        """Exclude the continuing option with the fewest votes, move its papers on."""
        option = min(remaining, key=self.key)
        self.excluded.append(option)
        transferred, self.piles[option] = self.piles[option], []
        for paper in transferred:
            paper.position += 1
            self.place(paper)
        self.record("exclusion", option)


def _stv_order_key(option: int, votes: int, stages: Sequence[StvStage]) -> tuple[int, ...]:
    """Sort key for "more votes": current votes, then the votes at the earliest stage at which
    the options had unequal votes (the stages in chronological order), then the lot, which
    evote draws by a fixed rule: the option earlier in the manifest counts as having more."""
    history = tuple(stage.votes[option] for stage in stages)
    return (votes, *history, -option)
