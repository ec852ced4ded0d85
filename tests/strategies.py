"""Hypothesis strategies shared by evote's tests (one module, reused by every package's tests).

Strategies that depend on a group take it as an argument; tests get the group from the
parametrised ``group`` fixture and draw with ``data.draw(scalars(group))``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from evote.crypto.encoding import Value
from evote.crypto.groups import Element, Group
from evote.crypto.proofs import ProofContext

# -- scalars and elements -------------------------------------------------------------------


def scalars(group: Group) -> st.SearchStrategy[int]:
    """Canonical scalars in [0, order), with the edges 0, 1 and order - 1 tried early."""
    return st.one_of(
        st.sampled_from([0, 1, 2, group.order - 1]),
        st.integers(min_value=0, max_value=group.order - 1),
    )


def nonzero_scalars(group: Group) -> st.SearchStrategy[int]:
    """Scalars in [1, order): secret keys, nonces, exponents of elements other than 1."""
    return st.one_of(
        st.sampled_from([1, 2, group.order - 1]),
        st.integers(min_value=1, max_value=group.order - 1),
    )


def exponents(group: Group) -> st.SearchStrategy[int]:
    """Any integer a public exponentiation must accept: negative, zero, past the order."""
    order = group.order
    return st.one_of(
        st.sampled_from([0, 1, -1, order, order + 1, -order, 2 * order - 1]),
        st.integers(min_value=-(2**300), max_value=2**300),
        st.integers(min_value=-64, max_value=64),
    )


def elements(group: Group) -> st.SearchStrategy[Element]:
    """Members of ``group`` other than the identity (as decode would accept them)."""
    return nonzero_scalars(group).map(group.base_exp)


def small_messages(max_value: int = 20) -> st.SearchStrategy[int]:
    """Plaintexts as ballots hold them: small non-negative counts."""
    return st.integers(min_value=0, max_value=max_value)


# -- encodable values -----------------------------------------------------------------------


def encodable_atoms() -> st.SearchStrategy[Value]:
    """Leaves of a hash input: bytes, text, integers of any sign and size, bools, None."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-3, max_value=300),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.binary(max_size=8),
        st.text(max_size=6),
        st.sampled_from([b"", "", 0, b"\x00", "\x00", b"\x01", 1, -1, 255, 256, "ab", b"ab"]),
    )


def encodable_values(max_leaves: int = 12) -> st.SearchStrategy[Value]:
    """Nested lists and tuples of atoms, as :func:`evote.crypto.encoding.encode` takes them."""
    return st.recursive(
        encodable_atoms(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=4).map(tuple),
        ),
        max_leaves=max_leaves,
    )


def fingerprints() -> st.SearchStrategy[bytes]:
    """32-byte election fingerprints."""
    return st.binary(min_size=32, max_size=32)


def contexts() -> st.SearchStrategy[ProofContext]:
    """Proof contexts: a fingerprint and a short binding of atoms."""
    return st.builds(
        ProofContext,
        fingerprints(),
        st.lists(encodable_atoms(), max_size=4).map(tuple),
    )


# -- ranges, intervals, thresholds ----------------------------------------------------------


@st.composite
def ranges(draw: st.DrawFn, max_maximum: int = 5) -> tuple[int, int]:
    """(maximum, value) with 0 <= value <= maximum <= ``max_maximum``: a [0, L] range proof."""
    maximum = draw(st.integers(min_value=0, max_value=max_maximum))
    value = draw(st.integers(min_value=0, max_value=maximum))
    return maximum, value


@st.composite
def intervals(draw: st.DrawFn, max_bits: int = 64) -> tuple[int, int, int]:
    """(lower, upper, value) with lower <= value <= upper: widths from 0 to 2^max_bits."""
    lower = draw(st.one_of(st.just(0), st.integers(min_value=-(10**6), max_value=10**9)))
    width = draw(
        st.one_of(
            st.sampled_from([0, 1, 2, 3, 10**6]),
            st.integers(min_value=0, max_value=2**max_bits),
        )
    )
    upper = lower + width
    value = draw(st.one_of(st.sampled_from([lower, upper]), st.integers(lower, upper)))
    return lower, upper, value


@st.composite
def thresholds(draw: st.DrawFn, max_count: int = 8, min_threshold: int = 1) -> tuple[int, int]:
    """(threshold, count) with ``min_threshold`` <= threshold <= count <= ``max_count``."""
    count = draw(st.integers(min_value=min_threshold, max_value=max_count))
    threshold = draw(st.integers(min_value=min_threshold, max_value=count))
    return threshold, count
