"""The hash-input encoding is injective, and hashing separates purposes and groups."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gmpy2
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evote.crypto.encoding import (
    TAG_BOOL,
    TAG_BYTES,
    TAG_ELEMENT,
    TAG_INT,
    TAG_LIST,
    TAG_NONE,
    TAG_STR,
    Value,
    encode,
)
from evote.crypto.groups import Group
from evote.crypto.hashing import PROTOCOL, Purpose, digest, digest32, hash_to_int_mod
from evote.errors import InvalidInput
from tests.strategies import encodable_values

Tagged = tuple[Any, ...]


def normalise(value: object) -> Tagged:
    """The value as the encoding sees it: tuples are lists, byte-likes are bytes, bool != int."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(value))
    if isinstance(value, str):
        return ("str", value)
    if value is None:
        return ("none",)
    if isinstance(value, (list, tuple)):
        return ("list", tuple(normalise(item) for item in value))
    to_bytes = value.to_bytes  # type: ignore[attr-defined]
    return ("element", to_bytes())


def parse(data: bytes) -> Tagged:
    """An independent decoder of the encoding (docs/spec.md section 2.1): must consume all."""
    value, end = _parse_at(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes")
    return value


def _take(data: bytes, start: int, count: int) -> bytes:
    if start + count > len(data):
        raise ValueError("truncated")
    return data[start : start + count]


def _length_at(data: bytes, start: int) -> int:
    return int.from_bytes(_take(data, start, 4), "big")


def _parse_at(data: bytes, start: int) -> tuple[Tagged, int]:
    tag = _take(data, start, 1)[0]
    position = start + 1
    if tag == TAG_NONE:
        return ("none",), position
    if tag == TAG_BOOL:
        flag = _take(data, position, 1)[0]
        if flag not in (0, 1):
            raise ValueError("bad bool")
        return ("bool", flag == 1), position + 1
    if tag == TAG_INT:
        sign = _take(data, position, 1)[0]
        length = _length_at(data, position + 1)
        raw = _take(data, position + 5, length)
        if raw[:1] == b"\x00" or sign not in (0, 1) or (sign == 1 and not raw):
            raise ValueError("non-minimal integer")
        magnitude = int.from_bytes(raw, "big")
        return ("int", -magnitude if sign else magnitude), position + 5 + length
    if tag in (TAG_BYTES, TAG_STR, TAG_ELEMENT):
        length = _length_at(data, position)
        raw = _take(data, position + 4, length)
        end = position + 4 + length
        if tag == TAG_STR:
            return ("str", raw.decode("utf-8")), end
        return ("bytes" if tag == TAG_BYTES else "element", raw), end
    if tag == TAG_LIST:
        count = _length_at(data, position)
        position += 4
        items = []
        for _ in range(count):
            item, position = _parse_at(data, position)
            items.append(item)
        return ("list", tuple(items)), position
    raise ValueError(f"unknown tag {tag}")


# -- byte-exact examples (docs/spec.md section 2.1) -----------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "07"),
        (True, "0601"),
        (False, "0600"),
        (0, "030000000000"),
        (1, "03000000000101"),
        (-1, "03010000000101"),
        (255, "030000000001ff"),
        (256, "0300000000020100"),
        (-256, "0301000000020100"),
        (b"", "0100000000"),
        (b"\x00", "010000000100"),
        ("", "0200000000"),
        ("é", "0200000002c3a9"),
        ([], "0500000000"),
        ([[]], "05000000010500000000"),
        ((1, "a"), "0500000002" + "03000000000101" + "020000000161"),
    ],
)
def test_encode_known_bytes(value: Value, expected: str) -> None:
    # encode(*values) wraps its arguments in one list: strip that outer header.
    assert encode(value) == bytes.fromhex("0500000001" + expected)


def test_encode_of_several_values_is_one_list() -> None:
    assert encode(1, "a") == bytes.fromhex("0500000002" + "03000000000101" + "020000000161")


def test_element_encoding_is_tagged_and_length_prefixed(group: Group) -> None:
    element = group.generator
    raw = element.to_bytes()
    assert encode(element) == (
        bytes.fromhex("0500000001") + bytes([TAG_ELEMENT]) + len(raw).to_bytes(4, "big") + raw
    )
    assert encode(element) != encode(raw)


def test_mpz_encodes_as_the_integer_it_is() -> None:
    # Regression: gmpy2.mpz has a to_bytes method and was once encoded as an element.
    for number in (0, 5, -5, 2**300, -(2**300)):
        assert encode(gmpy2.mpz(number)) == encode(number)


def test_tuples_and_lists_and_byte_likes_encode_alike() -> None:
    assert encode((1, (2, b"x"))) == encode([1, [2, bytearray(b"x")]])
    assert encode(memoryview(b"xy")) == encode(b"xy")


def test_text_with_a_lone_surrogate_is_refused() -> None:
    # Regression: str.encode("utf-8") raised UnicodeEncodeError, an untyped error.
    for bad in ("\ud800", ["ok", "a\udfffb"]):
        with pytest.raises(InvalidInput, match="surrogate"):
            encode(bad)


def test_unencodable_values_are_refused() -> None:
    for bad in (1.5, {1: 2}, {1, 2}, object(), frozenset()):
        with pytest.raises(InvalidInput, match="cannot encode"):
            encode(bad)  # type: ignore[arg-type]


# -- injectivity --------------------------------------------------------------------------


TRICKY_PAIRS: list[tuple[Value, Value]] = [
    (b"", ""),
    (b"", None),
    ("", None),
    ([], [[]]),
    ([], None),
    ([], b""),
    (True, 1),
    (False, 0),
    (0, b"\x00"),
    (-0, b"\x00"),
    (0, ""),
    (0, False),
    (1, -1),
    (["ab"], ["a", "b"]),
    ([b"ab"], [b"a", b"b"]),
    ([["a"], "b"], ["a", ["b"]]),
    ([1, [2, 3]], [[1, 2], 3]),
    ("a", b"a"),
    ("\x00", b"\x00"),
    (255, -255),
    (256, b"\x01\x00"),
    ([None], [None, None]),
    ([b"", b""], [b""]),
]


@pytest.mark.parametrize(("first", "second"), TRICKY_PAIRS)
def test_tricky_pairs_encode_differently(first: Value, second: Value) -> None:
    assert encode(first) != encode(second)
    assert encode(first, second) != encode(second, first)


def test_zero_and_minus_zero_are_the_same_integer() -> None:
    assert encode(-0) == encode(0) == bytes.fromhex("0500000001030000000000")


@settings(max_examples=300, deadline=None)
@given(encodable_values())
def test_parse_inverts_encode(value: Value) -> None:
    # parse(encode(x)) = normalise(x) for all x implies injectivity on normalised values.
    assert parse(encode(value)) == ("list", (normalise(value),))


@settings(max_examples=300, deadline=None)
@given(encodable_values(), encodable_values())
def test_distinct_values_have_distinct_encodings(first: Value, second: Value) -> None:
    assume(normalise(first) != normalise(second))
    assert encode(first) != encode(second)
    assert digest(Purpose.TEST, first) != digest(Purpose.TEST, second)
    # Prefix-free: no value's encoding starts another's (strip the outer one-item list header).
    inner_first, inner_second = encode(first)[5:], encode(second)[5:]
    assert not inner_second.startswith(inner_first)
    assert not inner_first.startswith(inner_second)


@settings(max_examples=100, deadline=None)
@given(encodable_values(), st.binary(min_size=1, max_size=8))
def test_parser_refuses_trailing_bytes(value: Value, suffix: bytes) -> None:
    # The reference parser itself is strict, so that test_parse_inverts_encode means something.
    with pytest.raises(ValueError):
        parse(encode(value) + suffix)


# -- hashing ------------------------------------------------------------------------------


def test_digest_is_sha512_of_the_tagged_encoding() -> None:
    items = (1, b"x", "y")
    expected = hashlib.sha512(encode(PROTOCOL, "test", list(items))).digest()
    assert digest(Purpose.TEST, *items) == expected
    assert digest32(Purpose.TEST, *items) == expected[:32]
    assert PROTOCOL == "evote/1"


def test_purposes_are_distinct_lowercase_tags() -> None:
    values = [purpose.value for purpose in Purpose]
    assert len(set(values)) == len(values)
    for value in values:
        assert value == value.lower()
        assert value.replace("-", "").isalpha()


def test_digests_separate_purposes() -> None:
    digests = {digest(purpose, b"same input") for purpose in Purpose}
    assert len(digests) == len(Purpose)


def test_hash_to_scalar_binds_the_group_name(group: Group) -> None:
    value = group.hash_to_scalar(Purpose.TEST, b"x")
    assert value == hash_to_int_mod(group.order, Purpose.TEST, group.name, b"x")
    assert 0 <= value < group.order
    assert group.hash_to_scalar(Purpose.TEST, b"y") != value


def test_spec_lists_every_purpose() -> None:
    # docs/spec.md section 2.3 is the table of domain tags: a new Purpose must be added there.
    spec = (Path(__file__).parents[2] / "docs" / "spec.md").read_text(encoding="utf-8")
    missing = [purpose.value for purpose in Purpose if f"| `{purpose.value}` |" not in spec]
    assert not missing, f"docs/spec.md section 2.3 lacks the domain tags {missing}"
