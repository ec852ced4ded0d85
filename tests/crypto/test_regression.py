"""Regressions pinned on purpose."""

from __future__ import annotations

import re

import nacl
import nacl.bindings as sodium
import pytest

from evote.crypto.groups import ED25519
from evote.errors import InvalidGroupElement
from tests.crypto import edwards25519 as ref


def _version(text: str) -> tuple[int, ...]:
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise AssertionError(f"unparseable PyNaCl version {text!r}")
    return tuple(int(part) for part in match.groups())


def test_pynacl_is_at_least_1_6_2() -> None:
    # CVE-2025-69277: libsodium before 1.0.20-stable (bundled from PyNaCl 1.6.2) let some
    # mixed-order points through crypto_core_ed25519_is_valid_point. evote relies on it.
    assert _version(nacl.__version__) >= (1, 6, 2)


def test_version_parser() -> None:
    assert _version("1.6.2") == (1, 6, 2)
    assert _version("1.10.0rc1") == (1, 10, 0)
    assert _version("1.6.2") < _version("1.10.0")


@pytest.mark.parametrize("torsion_index", range(1, 8))
def test_mixed_order_points_are_refused(torsion_index: int) -> None:
    # B + T for every non-trivial T of the 8-torsion: on the curve, canonical, not of small
    # order, yet outside the prime-order subgroup.
    torsion = ref.eight_torsion()[torsion_index]
    mixed = ref.encode(ref.add(ref.BASE, torsion))
    assert ref.on_curve(ref.add(ref.BASE, torsion))
    assert not sodium.crypto_core_ed25519_is_valid_point(mixed)
    with pytest.raises(InvalidGroupElement, match="prime-order"):
        ED25519.decode(mixed, "credential")
    # The same with a random multiple of B, so that the refusal is not about B itself.
    point = ref.multiply(123456789, ref.BASE)
    mixed = ref.encode(ref.add(point, torsion))
    with pytest.raises(InvalidGroupElement):
        ED25519.decode(mixed)
