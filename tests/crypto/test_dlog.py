"""Bounded discrete logarithm: right answers inside the bound, TallyOutOfRange past it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto import dlog
from evote.crypto.dlog import MAX_BOUND, discrete_log
from evote.crypto.groups import Group
from evote.errors import InvalidInput, TallyOutOfRange


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_small_values_are_found(group: Group, data: st.DataObject) -> None:
    bound = data.draw(st.integers(0, 5000), label="bound")
    value = data.draw(st.integers(0, bound), label="value")
    assert discrete_log(group.base_exp(value), bound) == value


def test_bound_one_million_edges(group: Group) -> None:
    bound = 10**6
    for value in (0, 1, 999, 1000, 1001, 999_999, bound):
        assert discrete_log(group.base_exp(value), bound) == value
    with pytest.raises(TallyOutOfRange, match=r"question 3: .*\[0, 1000000\]"):
        discrete_log(group.base_exp(bound + 1), bound, "question 3")


@pytest.mark.parametrize("bound", [0, 1, 2, 3, 15, 16, 17, 99, 100])
def test_just_past_the_bound_is_refused(group: Group, bound: int) -> None:
    assert discrete_log(group.base_exp(bound), bound) == bound
    for past in (bound + 1, bound + 2, 2 * bound + 5, -1, group.order // 2):
        with pytest.raises(TallyOutOfRange):
            discrete_log(group.base_exp(past), bound)


def test_a_random_element_is_out_of_range(group: Group) -> None:
    with pytest.raises(TallyOutOfRange):
        discrete_log(group.base_exp(group.random_scalar() | 2**200), 10**4)


def test_bad_bounds_are_refused(group: Group) -> None:
    for bound in (-1, MAX_BOUND + 1):
        with pytest.raises(InvalidInput, match="bound"):
            discrete_log(group.generator, bound)


def test_smaller_bounds_reuse_a_larger_table(group: Group) -> None:
    discrete_log(group.base_exp(10), 10**6)
    # The cached table is larger than needed: the search must still stop at the small bound.
    assert discrete_log(group.base_exp(7), 7) == 7
    with pytest.raises(TallyOutOfRange):
        discrete_log(group.base_exp(8), 7)
    with pytest.raises(TallyOutOfRange):
        discrete_log(group.base_exp(1500), 1499)


def test_a_capped_table_finds_values_by_more_giant_steps(group: Group) -> None:
    # A table of 16 entries for a bound of 10^4: 626 giant steps, the same answers.
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(dlog, "TABLE_LIMIT", 16)
        patched.setattr(dlog, "_CACHE", {})
        for value in (0, 15, 16, 17, 9_999, 10_000):
            assert discrete_log(group.base_exp(value), 10_000) == value
        for past in (10_001, 10_015, 10_016, 10_017):
            with pytest.raises(TallyOutOfRange, match=r"\[0, 10000\]"):
                discrete_log(group.base_exp(past), 10_000)
        assert dlog._CACHE[group.name].size == 16


def test_a_key_collision_never_gives_a_wrong_answer(group: Group) -> None:
    # Forge collisions: g^5's key also names exponent 6 (first) and 7 (later); g^9's key names
    # 4 alone. Only the exponent whose power matches in full is returned.
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(dlog, "_CACHE", {})
        steps = dlog._baby_steps(group, 101)
        key5 = hash(group.base_exp(5).value)
        key9 = hash(group.base_exp(9).value)
        patched.setitem(steps.table, key5, 6)
        patched.setitem(steps.collided, key5, [7, 5])
        patched.setitem(steps.table, key9, 4)
        assert discrete_log(group.base_exp(5), 100) == 5
        assert discrete_log(group.base_exp(105), 200) == 105
        with pytest.raises(TallyOutOfRange):
            discrete_log(group.base_exp(9), 100)
