"""The group constants written out in docs/spec.md section 3 are the code's, digit for digit.

A second implementation copies p, q, r and g from the specification: these tests read them
from the text, so the two can never drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evote.crypto.groups import ED25519, MODP4096, MODP_COFACTOR, MODP_G, MODP_P, MODP_Q

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec.md"
_BLOCK = re.compile(r"^```text (modp4096\.[a-z]) [^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _spec_blocks() -> dict[str, int]:
    blocks: dict[str, int] = {}
    for name, body in _BLOCK.findall(SPEC.read_text(encoding="utf-8")):
        digits = "".join(body.split())
        if not re.fullmatch(r"[0-9a-f]+", digits) or digits.startswith("0"):
            raise ValueError(f"docs/spec.md: block {name} is not lowercase hex without leading 0")
        if name in blocks:
            raise ValueError(f"docs/spec.md: block {name} appears twice")
        blocks[name] = int(digits, 16)
    return blocks


BLOCKS = _spec_blocks()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("modp4096.p", MODP_P),
        ("modp4096.q", MODP_Q),
        ("modp4096.r", MODP_COFACTOR),
        ("modp4096.g", MODP_G),
    ],
)
def test_modp_constant_in_the_spec_is_the_code_constant(name: str, value: int) -> None:
    assert name in BLOCKS, f"docs/spec.md has no block {name}"
    assert BLOCKS[name] == value


def test_modp_constants_in_the_spec_are_consistent() -> None:
    p, q, r, g = (BLOCKS[f"modp4096.{name}"] for name in "pqrg")
    assert p.bit_length() == 4096
    assert q == 2**256 - 189
    assert r * q == p - 1
    assert g == pow(2, r, p)
    assert int(MODP4096.generator.value) == g
    assert MODP4096.order == q


def test_ed25519_order_in_the_spec_is_the_code_order() -> None:
    text = SPEC.read_text(encoding="utf-8")
    found = re.search(r"Order q = L = 2\^252 \+ (\d+) \(prime\)", text)
    assert found is not None, "docs/spec.md section 3.1 no longer states L"
    assert 2**252 + int(found.group(1)) == ED25519.order
    generator = re.search(r"encoded\s+`([0-9a-f]{64})`", text)
    assert generator is not None
    assert bytes.fromhex(generator.group(1)) == ED25519.generator.to_bytes()
