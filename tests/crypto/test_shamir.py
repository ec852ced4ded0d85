"""Shamir secret sharing and Lagrange interpolation modulo the group order."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto.groups import Group
from evote.crypto.shamir import (
    check_indices,
    evaluate_polynomial,
    lagrange_coefficient,
    lagrange_coefficients,
    random_polynomial,
    recover_secret,
    split_secret,
)
from evote.errors import InvalidInput
from tests.strategies import scalars, thresholds

FEW = settings(max_examples=20, deadline=None)


@FEW
@given(data=st.data())
def test_any_t_shares_recover_the_secret(group: Group, data: st.DataObject) -> None:
    threshold, count = data.draw(thresholds(), label="t, n")
    secret = data.draw(scalars(group), label="secret")
    shares = split_secret(secret, threshold, count, group.order)
    assert sorted(shares) == list(range(1, count + 1))
    for subset in itertools.combinations(shares, threshold):
        assert recover_secret({i: shares[i] for i in subset}, group.order) == secret
    # More than t shares recover it too.
    assert recover_secret(shares, group.order) == secret


@FEW
@given(data=st.data())
def test_fewer_than_t_shares_fit_every_secret(group: Group, data: st.DataObject) -> None:
    # Perfect secrecy, constructively: for any t - 1 shares and any candidate secret there is a
    # polynomial of degree t - 1 through them with that constant term (Lagrange at t points).
    # t = 1 has nothing to hide from t - 1 = 0 shares: drawn from t = 2 on.
    threshold, count = data.draw(thresholds(min_threshold=2), label="t, n")
    q = group.order
    secret = data.draw(scalars(group), label="secret")
    shares = split_secret(secret, threshold, count, q)
    indices = data.draw(
        st.lists(
            st.sampled_from(sorted(shares)),
            min_size=threshold - 1,
            max_size=threshold - 1,
            unique=True,
        ),
        label="seen",
    )
    candidate = data.draw(scalars(group), label="candidate")
    points = {0: candidate, **{i: shares[i] for i in indices}}
    # The interpolating polynomial through (0, candidate) and the seen shares, evaluated at the
    # seen indices, gives the seen shares back and has constant term candidate.
    coefficients = _interpolate(points, q)
    assert len(coefficients) == threshold
    assert evaluate_polynomial(coefficients, 0, q) == candidate
    for i in indices:
        assert evaluate_polynomial(coefficients, i, q) == shares[i]
    # The seen shares alone do not give the secret away: shares of a polynomial of degree below
    # t - 1 would (their own interpolation at 0 would be the secret; chance 1/q otherwise).
    assert recover_secret({i: shares[i] for i in indices}, q) != secret


def _interpolate(points: dict[int, int], q: int) -> list[int]:
    """Coefficients of the polynomial of degree len(points) - 1 through ``points`` (mod q)."""
    coefficients = [0] * len(points)
    for x_i, y_i in points.items():
        basis = [1]
        denominator = 1
        for x_j in points:
            if x_j == x_i:
                continue
            basis = [
                ((basis[k - 1] if k else 0) - x_j * (basis[k] if k < len(basis) else 0)) % q
                for k in range(len(basis) + 1)
            ]
            denominator = denominator * (x_i - x_j) % q
        scale = y_i * pow(denominator, -1, q) % q
        for k, b in enumerate(basis):
            coefficients[k] = (coefficients[k] + scale * b) % q
    return coefficients


@FEW
@given(data=st.data())
def test_lagrange_coefficients_sum_to_one(group: Group, data: st.DataObject) -> None:
    indices = data.draw(
        st.lists(st.integers(1, 2**64), min_size=1, max_size=8, unique=True), label="indices"
    )
    coefficients = lagrange_coefficients(indices, group.order)
    assert sum(coefficients.values()) % group.order == 1
    assert set(coefficients) == set(indices)
    for index in indices:
        assert lagrange_coefficient(index, indices, group.order) == coefficients[index]


def test_polynomial_evaluation_and_shape(group: Group) -> None:
    q = group.order
    assert evaluate_polynomial([3, 2, 1], 5, q) == 3 + 10 + 25
    assert evaluate_polynomial([], 5, q) == 0
    polynomial = random_polynomial(q + 4, 3, q)
    assert len(polynomial) == 3
    assert polynomial[0] == 4
    with pytest.raises(InvalidInput, match="threshold"):
        random_polynomial(1, 0, q)


@pytest.mark.parametrize(("threshold", "count"), [(0, 3), (4, 3), (-1, 0), (1, 0)])
def test_split_refuses_bad_thresholds(group: Group, threshold: int, count: int) -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        split_secret(1, threshold, count, group.order)


def test_indices_are_checked(group: Group) -> None:
    q = group.order
    for bad in ([0], [1, 1], [-2], [q], [True], [1.0], ["1"]):
        with pytest.raises(InvalidInput, match="participant index"):
            check_indices(bad, q)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not among"):
        lagrange_coefficient(4, [1, 2, 3], q)
    with pytest.raises(InvalidInput, match="repeated"):
        lagrange_coefficients([1, 2, 2], q)
    check_indices([1, 2, q - 1], q)
