"""How a decrypted rank vector reads as a ranking (docs/spec.md section 6.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evote.errors import InvalidInput
from evote.tally.rules import ranking_from_ranks


@pytest.mark.parametrize(
    ("ranks", "ranking"),
    [
        ((2, 1, 0, 3), (1, 0, 3)),  # a proper partial ranking reads as itself
        ((1, 3, 0, 0), (0,)),  # a gap at 2: the preferences end there
        ((1, 2, 2, 3), (0,)),  # rank 2 held twice: a tie ends them too
        ((2, 2, 1, 4), (2,)),
        ((3, 4, 2, 1), (3, 2, 0, 1)),
        ((0, 0, 0), ()),  # the empty ranking
        ((1, 1, 0), ()),  # a tie for the first place: nothing is read
        ((2, 3, 0), ()),  # no rank 1
        ((), ()),
    ],
)
def test_the_examples_of_the_spec(ranks: tuple[int, ...], ranking: tuple[int, ...]) -> None:
    assert ranking_from_ranks(ranks) == ranking


@given(st.integers(0, 12).flatmap(lambda n: st.permutations(range(n))), st.data())
def test_a_proper_ranking_reads_as_itself(order: list[int], data: st.DataObject) -> None:
    ranked = data.draw(st.integers(0, len(order)))
    ranks = [0] * len(order)
    for position, option in enumerate(order[:ranked], start=1):
        ranks[option] = position
    assert ranking_from_ranks(ranks) == tuple(order[:ranked])


@given(st.integers(1, 9).flatmap(lambda n: st.lists(st.integers(0, n), min_size=n, max_size=n)))
def test_any_rank_vector_reads_as_the_prefix_before_the_first_ambiguity(ranks: list[int]) -> None:
    ranking = ranking_from_ranks(ranks)
    assert len(set(ranking)) == len(ranking)
    for position, option in enumerate(ranking, start=1):
        assert ranks[option] == position and ranks.count(position) == 1
    assert ranks.count(len(ranking) + 1) != 1  # the stop: rank k + 1 missing or shared


@pytest.mark.parametrize("ranks", [(0, 3), (-1, 0), (1, True), (1, "2")])
def test_a_rank_outside_0_to_n_is_refused(ranks: tuple[object, ...]) -> None:
    with pytest.raises(InvalidInput, match=r"ranks\[1\]|ranks\[0\]"):
        ranking_from_ranks(ranks)  # type: ignore[arg-type]
