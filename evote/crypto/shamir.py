"""Shamir secret sharing and Lagrange interpolation modulo a prime order.

Shamir, "How to share a secret", CACM 22(11), 1979. A polynomial f of degree t - 1 over Z_q
hides f(0); the share of participant i (1 <= i <= n) is f(i); any t shares give f(0) back
through the Lagrange coefficients at 0, lambda_i = prod_{j != i} j / (j - i) mod q.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from evote.errors import InvalidInput


def check_indices(indices: Sequence[int], order: int) -> None:
    """Indices must be distinct integers in [1, order): raise InvalidInput naming the bad one."""
    seen: set[int] = set()
    for index in indices:
        if type(index) is not int or not 0 < index < order:
            raise InvalidInput(f"participant index {index!r} is not in [1, order)")
        if index in seen:
            raise InvalidInput(f"participant index {index} is repeated")
        seen.add(index)


def evaluate_polynomial(coefficients: Sequence[int], x: int, order: int) -> int:
    """f(x) mod order for f = sum coefficients[k] · x^k (Horner's rule)."""
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % order
    return result


def random_polynomial(secret: int, threshold: int, order: int) -> list[int]:
    """Coefficients of a uniform polynomial of degree threshold - 1 with f(0) = secret."""
    if threshold < 1:
        raise InvalidInput(f"threshold {threshold} must be at least 1")
    return [secret % order] + [secrets.randbelow(order) for _ in range(threshold - 1)]


def split_secret(secret: int, threshold: int, count: int, order: int) -> dict[int, int]:
    """Shares f(1)..f(count) of ``secret`` for any ``threshold`` of them to recover it."""
    if not 1 <= threshold <= count:
        raise InvalidInput(f"need 1 <= threshold ({threshold}) <= count ({count})")
    polynomial = random_polynomial(secret, threshold, order)
    return {i: evaluate_polynomial(polynomial, i, order) for i in range(1, count + 1)}


def lagrange_coefficient(index: int, indices: Sequence[int], order: int) -> int:
    """lambda_index at 0 for the set ``indices`` (which must contain ``index``)."""
    check_indices(indices, order)
    if index not in indices:
        raise InvalidInput(f"index {index} is not among the participants {list(indices)}")
    numerator, denominator = 1, 1
    for other in indices:
        if other != index:
            numerator = numerator * other % order
            denominator = denominator * (other - index) % order
    return numerator * pow(denominator, -1, order) % order


def lagrange_coefficients(indices: Sequence[int], order: int) -> dict[int, int]:
    """Every participant's Lagrange coefficient at 0."""
    return {i: lagrange_coefficient(i, indices, order) for i in indices}


def recover_secret(shares: Mapping[int, int], order: int) -> int:
    """f(0) from shares {index: f(index)}."""
    coefficients = lagrange_coefficients(list(shares), order)
    return sum(coefficients[i] * share for i, share in shares.items()) % order
