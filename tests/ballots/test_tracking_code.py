"""Reading typed tracking codes (docs/spec.md section 6.5): forgiving spelling, strict symbols."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.encrypted import (
    TRACKING_CODE_BYTES,
    normalise_tracking_code,
    parse_tracking_code,
    tracking_code,
)
from evote.errors import InvalidInput

CODE = tracking_code(bytes(range(32)))


def test_known_code_reads_back_in_every_spelling() -> None:
    assert CODE == "000G-40R4-0M30-E209-185GR"
    for typed in (
        CODE,
        CODE.lower(),
        CODE.replace("-", ""),
        CODE.replace("-", " ").lower(),
        " " + CODE.replace("-", "\u2013") + "\n",  # an en dash, as copied from a PDF
        CODE.replace("0", "o").replace("1", "l"),  # Crockford's aliases
    ):
        assert parse_tracking_code(typed) == CODE
        assert normalise_tracking_code(typed) == CODE.replace("-", "")


@settings(max_examples=60)
@given(st.binary(min_size=TRACKING_CODE_BYTES, max_size=32), st.booleans(), st.booleans())
def test_every_computed_code_reads_back(digest: bytes, lower: bool, dashes: bool) -> None:
    code = tracking_code(digest)
    typed = code.lower() if lower else code
    typed = typed if dashes else typed.replace("-", "")
    assert parse_tracking_code(typed) == code


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        (CODE[:-1], "20 letters and digits, a tracking code has 21: a character is missing"),
        (CODE + "0", "22 letters and digits, a tracking code has 21: a character is extra"),
        ("", "0 letters and digits"),
        (CODE[:5] + "U" + CODE[6:], "'U' at position 6, which a tracking code never contains"),
        (CODE[:5] + "é" + CODE[6:], "'é' at position 6"),
        (CODE[:-1] + "S", "ends with 'S', but a tracking code's last character is always one"),
        (CODE[:-1] + "1", "ends with '1'"),
        ("x" * 201, "has 201 characters"),
    ],
)
def test_mistyped_codes_are_refused_with_a_hint(typed: str, hint: str) -> None:
    with pytest.raises(InvalidInput, match=r"^this is not a tracking code: ") as caught:
        normalise_tracking_code(typed)
    assert hint in str(caught.value)
    assert "check the characters" in str(caught.value)


def test_the_last_symbol_check_is_exactly_evenness() -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    accepted = set()
    for symbol in alphabet:
        try:
            normalise_tracking_code(CODE[:-1] + symbol)
        except InvalidInput:
            continue
        accepted.add(symbol)
    assert accepted == set(alphabet[::2])


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="expected text, got bytes"):
        normalise_tracking_code(CODE.encode())  # type: ignore[arg-type]
