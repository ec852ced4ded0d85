"""Counting rules over plaintext answers (docs/spec.md section 13)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evote.errors import InvalidInput
from evote.tally.rules import (
    STV_UNIT,
    condorcet_winner,
    majority_judgment,
    majority_value,
    pairwise_preferences,
    schulze,
    stv,
)


def _letters(text: str, alphabet: str = "ABCDE") -> tuple[int, ...]:
    return tuple(alphabet.index(letter) for letter in text)


# Tennessee capital (the example of Wikipedia's articles on voting methods): Memphis 0,
# Nashville 1, Chattanooga 2, Knoxville 3, voters by distance to their city.
TENNESSEE = [(0, 1, 2, 3)] * 42 + [(1, 2, 3, 0)] * 26 + [(2, 3, 1, 0)] * 15 + [(3, 2, 1, 0)] * 17


# -- Schulze ------------------------------------------------------------------------------------


def test_schulze_on_the_example_of_schulze_and_wikipedia() -> None:
    """45 voters, 5 candidates (Schulze 2011, section 3.1; Wikipedia "Schulze method")."""
    groups = {"ACBED": 5, "ADECB": 5, "BEDAC": 8, "CABED": 3,
              "CAEBD": 7, "CBADE": 2, "DCEBA": 7, "EBADC": 8}  # fmt: skip
    ballots = [_letters(order) for order, count in groups.items() for _ in range(count)]
    result = schulze(ballots, 5)
    assert result.pairwise[0] == (0, 20, 26, 30, 22)  # d[A, *]
    assert result.strongest == (
        (0, 28, 28, 30, 24),
        (25, 0, 28, 33, 24),
        (25, 29, 0, 29, 24),
        (25, 28, 28, 0, 24),
        (25, 28, 28, 31, 0),
    )
    assert result.ranking == tuple((i,) for i in _letters("EACBD"))
    assert result.winners == (4,)


def test_schulze_elects_the_condorcet_winner_of_tennessee() -> None:
    assert condorcet_winner(TENNESSEE, 4) == 1
    assert schulze(TENNESSEE, 4).ranking == ((1,), (2,), (3,), (0,))


def test_schulze_reports_a_tie_and_partial_rankings_rank_the_rest_last() -> None:
    assert schulze([(0, 1), (1, 0)], 2).ranking == ((0, 1),)
    # A ballot ranking only option 2 puts it above 0 and 1, which stay equal on it.
    assert pairwise_preferences([(2,)], 3) == ((0, 0, 0), (0, 0, 0), (1, 1, 0))
    # 2 ties with 0 and with 1 (one ballot each way), 0 beats 1: winners 0 and 2, then 1.
    assert schulze([(2,), (0, 1)], 3).ranking == ((0, 2), (1,))


@pytest.mark.parametrize(
    ("ballot", "message"),
    [((0, 0), r"ballots\[0\]\[1\]: option 0 is ranked twice"),
     ((3,), r"ballots\[0\]\[0\]: 3 is not an option in 0..2"),
     ((True,), r"ballots\[0\]\[0\]: True is not an option")],
)  # fmt: skip
def test_a_malformed_ranking_is_refused(ballot: tuple[int, ...], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        schulze([ballot], 3)
    with pytest.raises(InvalidInput, match=message):
        stv([ballot], 3, 1)


rankings = st.integers(2, 5).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.permutations(range(n)).flatmap(
            lambda order: st.integers(0, len(order)).map(lambda k: tuple(order[:k]))),
            min_size=1, max_size=25),
    )
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(rankings)
def test_a_condorcet_winner_is_the_only_schulze_winner(
    data: tuple[int, list[tuple[int, ...]]],
) -> None:
    options, ballots = data
    result = schulze(ballots, options)
    assert sorted(i for group in result.ranking for i in group) == list(range(options))
    winner = condorcet_winner(ballots, options)
    if winner is not None:
        assert result.winners == (winner,)


# -- majority judgment --------------------------------------------------------------------------


def _majority_value_by_removal(grades: Sequence[int]) -> tuple[int, ...]:
    """The definition: take the lower median, remove it, repeat."""
    remaining = sorted(grades)
    values = []
    while remaining:
        values.append(remaining.pop((len(remaining) - 1) // 2))
    return tuple(values)


@given(st.lists(st.integers(0, 5), max_size=30))
def test_majority_value_follows_its_definition(grades: list[int]) -> None:
    assert majority_value(grades) == _majority_value_by_removal(grades)


def test_majority_judgment_on_a_worked_example() -> None:
    """Grades 0 (reject) .. 5 (excellent); five judges, three projects.

    A: 0 2 2 2 3 -> majority value 2, 2, 2, 0, 3
    B: 1 2 2 2 2 -> 2, 2, 2, 1, 2   (beats A at the fourth grade)
    C: 3 3 1 1 4 -> 3, 1, 3, 1, 4   (the highest majority grade)
    """
    ballots = [(0, 1, 3), (2, 2, 3), (2, 2, 1), (2, 2, 1), (3, 2, 4)]
    result = majority_judgment(ballots, 3, 6)
    assert result.majority_grades == (2, 2, 3)
    assert result.ranking == ((2,), (1,), (0,))
    assert result.winners == (2,)


def test_majority_judgment_lower_median_and_exact_ties() -> None:
    # Four grades 1, 1, 3, 3: the lower middlemost is 1.
    result = majority_judgment([(1, 3), (1, 3), (3, 1), (3, 1)], 2, 4)
    assert result.majority_grades == (1, 1)
    assert result.ranking == ((0, 1),)  # the same grades: tied, reported, not broken


@pytest.mark.parametrize(
    ("ballots", "message"),
    [([(0, 1, 2)], r"ballots\[0\]: 3 grades for 2 options"),
     ([(0, 4)], r"ballots\[0\]\[1\]: 4 is not a grade in 0..3"),
     ([], "at least one ballot")],
)  # fmt: skip
def test_majority_judgment_refuses_malformed_ballots(
    ballots: list[tuple[int, ...]], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        majority_judgment(ballots, 2, 4)


grade_ballots = st.integers(1, 4).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(
        st.lists(st.integers(0, 4), min_size=n, max_size=n).map(tuple), min_size=1, max_size=30))
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(grade_ballots)
def test_a_ballot_of_the_majority_grades_changes_no_majority_grade(
    data: tuple[int, list[tuple[int, ...]]],
) -> None:
    options, ballots = data
    before = majority_judgment(ballots, options, 5)
    after = majority_judgment([*ballots, before.majority_grades], options, 5)
    assert after.majority_grades == before.majority_grades


@settings(max_examples=100, deadline=None)
@given(grade_ballots)
def test_an_option_graded_higher_by_everyone_ranks_higher(
    data: tuple[int, list[tuple[int, ...]]],
) -> None:
    options, ballots = data
    # Append an option that every ballot grades one above option 0 (capped at the top grade).
    extended = [(*ballot, min(ballot[0] + 1, 4)) for ballot in ballots]
    result = majority_judgment(extended, options + 1, 5)
    position = {option: rank for rank, group in enumerate(result.ranking) for option in group}
    assert position[options] <= position[0]


# -- STV ----------------------------------------------------------------------------------------


def test_stv_on_the_wikipedia_party_food_example() -> None:
    """Wikipedia, "Single transferable vote": 20 voters, 3 seats, Droop quota 6.

    Oranges 0, Pears 1, Chocolate 2, Strawberries 3, Bonbons 4.
    """
    ballots = ([(0,)] * 4 + [(1, 0)] * 2 + [(2, 3)] * 8 + [(2, 4)] * 4
               + [(3,)] * 1 + [(4,)] * 1)  # fmt: skip
    result = stv(ballots, 5, 3)
    assert result.quota == 6 * STV_UNIT
    assert result.elected == (2, 0, 3)
    first, surplus = result.stages[0], result.stages[1]
    assert first.votes == tuple(v * STV_UNIT for v in (4, 2, 12, 1, 1))
    # Chocolate's surplus of 6 moves at 6/12 = 0.5: 4 votes to Strawberries, 2 to Bonbons.
    assert surplus.action == "surplus"
    assert surplus.votes == tuple(v * STV_UNIT for v in (4, 2, 6, 5, 3))
    # Pears out (Oranges reach 6), Bonbons out (their papers exhaust), Strawberries last.
    assert [stage.action for stage in result.stages[2:]] == ["exclusion", "exclusion", "fill"]
    assert [stage.option for stage in result.stages[2:]] == [1, 4, None]
    assert result.stages[3].non_transferable == 3 * STV_UNIT


def test_stv_one_seat_on_tennessee_elects_knoxville() -> None:
    result = stv(TENNESSEE, 4, 1)
    assert result.elected == (3,)
    assert [stage.option for stage in result.stages[1:]] == [2, 1]


def test_stv_truncates_transfer_values_to_five_decimals() -> None:
    # 42 papers carry a surplus of 8: each moves at 8/42 = 0.190476... -> 0.19047.
    result = stv(TENNESSEE, 4, 2)
    after_surplus = result.stages[1]
    assert after_surplus.votes[1] == 26 * STV_UNIT + 42 * 19047
    assert after_surplus.non_transferable == 8 * STV_UNIT - 42 * 19047
    assert result.elected == (0, 1)


def test_stv_ties_go_to_the_earlier_stages_then_to_manifest_order() -> None:
    # 0 and 1 tie at the first stage; 1 is excluded (later in the manifest), 0 is elected.
    result = stv([(0,), (1,), (2,), (2,)], 3, 2)
    assert (result.stages[1].action, result.stages[1].option) == ("exclusion", 1)
    assert result.elected == (2, 0)


def test_stv_refuses_impossible_counts() -> None:
    with pytest.raises(InvalidInput, match=r"seats: expected 1\.\.2 seats, got 3"):
        stv([(0,)], 2, 3)
    with pytest.raises(InvalidInput, match="at least one non-empty ballot"):
        stv([()], 2, 1)


def _instant_runoff(ballots: Sequence[tuple[int, ...]], options: int) -> int | None:
    """An independent IRV; None where a tie for the lowest would need a tie-break."""
    remaining = set(range(options))
    while True:
        tops = Counter(next(o for o in b if o in remaining) for b in ballots
                       if any(o in remaining for o in b))  # fmt: skip
        continuing_votes = sum(tops.values())
        for option in remaining:
            if 2 * tops[option] > continuing_votes or len(remaining) == 1:
                return option
        lowest = min(tops[o] for o in remaining)
        losers = [o for o in remaining if tops[o] == lowest]
        if len(losers) > 1:
            return None
        remaining.remove(losers[0])


@settings(max_examples=80, deadline=None)
@given(rankings)
def test_stv_with_one_seat_is_instant_runoff(data: tuple[int, list[tuple[int, ...]]]) -> None:
    options, ballots = data
    assume(any(ballots))
    expected = _instant_runoff([b for b in ballots if b], options)
    assume(expected is not None)
    assert stv(ballots, options, 1).elected == (expected,)


@settings(max_examples=80, deadline=None)
@given(rankings, st.integers(1, 5))
def test_stv_fills_every_seat_and_keeps_every_vote(
    data: tuple[int, list[tuple[int, ...]]], seats: int
) -> None:
    options, ballots = data
    assume(any(ballots) and seats <= options)
    result = stv(ballots, options, seats)
    assert len(set(result.elected)) == seats
    valid = sum(1 for b in ballots if b) * STV_UNIT
    for stage in result.stages:
        assert sum(stage.votes) + stage.non_transferable == valid


# -- weights -----------------------------------------------------------------------------------


def _repeated(ballots: Sequence[tuple[int, ...]], weights: Sequence[int]) -> list[tuple[int, ...]]:
    return [ballot for ballot, weight in zip(ballots, weights, strict=True) for _ in range(weight)]


@settings(max_examples=60, deadline=None)
@given(grade_ballots, st.data())
def test_a_weighted_grade_ballot_counts_as_that_many_ballots(
    data: tuple[int, list[tuple[int, ...]]], draw: st.DataObject
) -> None:
    options, ballots = data
    weights = draw.draw(st.lists(st.integers(1, 4), min_size=len(ballots), max_size=len(ballots)))
    weighted = majority_judgment(ballots, options, 5, weights)
    assert weighted == majority_judgment(_repeated(ballots, weights), options, 5)


@settings(max_examples=60, deadline=None)
@given(rankings, st.data())
def test_a_weighted_ranking_counts_as_that_many_ballots(
    data: tuple[int, list[tuple[int, ...]]], draw: st.DataObject
) -> None:
    options, ballots = data
    assume(any(ballots))
    weights = draw.draw(st.lists(st.integers(1, 4), min_size=len(ballots), max_size=len(ballots)))
    repeated = _repeated(ballots, weights)
    assert schulze(ballots, options, weights) == schulze(repeated, options)
    seats = draw.draw(st.integers(1, options))
    assert stv(ballots, options, seats, weights) == stv(repeated, options, seats)


def test_huge_weights_are_counted_without_expanding_them() -> None:
    # 2^32 − 1 is evote's largest credential weight: A's lower median is 1, B's is 2.
    big = 2**32 - 1
    result = majority_judgment([(1, 2), (3, 1)], 2, 4, [big, big - 1])
    assert result.majority_grades == (1, 2)
    assert result.ranking == ((1,), (0,))
    # The same medians, told apart only deep in the majority values (1,3,1,3,... vs 1,2,...).
    close = majority_judgment([(1, 1), (3, 2)], 2, 4, [big, big])
    assert close.ranking == ((0,), (1,))


@pytest.mark.parametrize(
    ("weights", "message"),
    [([1], "weights: 1 weights for 2 ballots"),
     ([1, 0], r"weights\[1\]: expected a positive integer, got 0")],
)  # fmt: skip
def test_malformed_weights_are_refused(weights: list[int], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        majority_judgment([(0,), (1,)], 1, 2, weights)
    with pytest.raises(InvalidInput, match=message):
        schulze([(0,), (1,)], 2, weights)
    with pytest.raises(InvalidInput, match=message):
        stv([(0,), (1,)], 2, 1, weights)
