"""Canonical JSON as docs/spec.md section 6.1 words it, written independently of json.dumps.

A voting booth in another language implements canonical JSON from the specification's rule:
this encoder follows that text only, and must give exactly the bytes of jsonstrict.dumps.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evote import jsonstrict

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def spec_canonical(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(spec_canonical(item) for item in value) + "]"
    items = sorted(value.items(), key=lambda item: [ord(c) for c in item[0]])
    return "{" + ",".join(f"{_string(k)}:{spec_canonical(v)}" for k, v in items) + "}"


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(_VALUES)
def test_the_spec_rule_gives_the_bytes_of_dumps(value: Any) -> None:
    assert spec_canonical(value).encode("utf-8") == jsonstrict.dumps(value)


def test_every_escape_the_spec_lists() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\/\x7f\u2028\u2029é\U0001f600'
    expected = (
        '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r'
        "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
        '\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\"\\\\/\x7f\u2028\u2029é\U0001f600"'
    )
    assert jsonstrict.dumps(text) == expected.encode("utf-8")


def test_keys_sort_by_code_point_not_utf16() -> None:
    # U+FFFF < U+1F600 by code point; in UTF-16 (RFC 8785) the surrogate 0xD83D sorts first.
    assert (
        jsonstrict.dumps({"\U0001f600": 1, "\uffff": 2}) == '{"\uffff":2,"\U0001f600":1}'.encode()
    )
