"""Strict JSON: every leniency of the json module is refused with a located message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote import jsonstrict
from evote.errors import InvalidBallot, InvalidInput

READ = jsonstrict.Reader(InvalidBallot)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate key 'a'"),
        (b'{"a":1.5}', "floats are not allowed"),
        (b'{"a":1e3}', "floats are not allowed"),
        (b'{"a":NaN}', "NaN is not allowed"),
        (b'{"a":-Infinity}', "-Infinity is not allowed"),
        (b'{"a":' + b"9" * 81 + b"}", "81 digits"),
        (b"[" * 40 + b"]" * 40, "nested deeper"),
        (b'{"a":"\xff"}', "invalid UTF-8"),
        (b'{"a":"\\ud800"}', "lone surrogate"),
        (b'{"a":', "not JSON"),
        (b'{"a":1} x', "not JSON"),
    ],
)
def test_loads_refuses(data: bytes, message: str) -> None:
    with pytest.raises(InvalidBallot, match=r"^ballot") as info:
        jsonstrict.loads(data, "ballot", InvalidBallot)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "ballot.a: duplicate key 'a'"),
        (b'{"q":[{"o":1},{"o":2,"x":[],"o":3}]}', "ballot.q[1].o: duplicate key 'o'"),
        (b'{"a":{"b":[0,' + b"9" * 81 + b"]}}", "ballot.a.b[1]: integer with 81 digits"),
        (b"9" * 81, "ballot: integer with 81 digits"),
        (b'{"v":1' + b"0" * 5000 + b"}", "ballot.v: integer with 5001 digits"),
        (b'{"q":[{"o":1},{"o":2.5}]}', "ballot.q[1].o: number '2.5' is not an integer"),
        (b'{"a":[1,NaN]}', "ballot.a[1]: NaN is not allowed"),
        # Each fault where the strict parse meets it: a value inside an object before the
        # object's duplicate key (refused once the object closes), even after that key.
        (b'{"a":{"b":1,"b":2,"c":1.5}}', "ballot.a.c: number '1.5' is not an integer"),
        (b'{"a":{"b":1,"b":[1.5]}}', "ballot.a.b[0]: number '1.5' is not an integer"),
        (b'{"a":{"b":1,"b":2},"c":1.5}', "ballot.a.b: duplicate key 'b'"),
    ],
)
def test_loads_names_the_path_of_a_duplicate_key_a_long_integer_or_a_float(
    data: bytes, message: str
) -> None:
    with pytest.raises(InvalidBallot) as info:
        jsonstrict.loads(data, "ballot", InvalidBallot)
    assert str(info.value).startswith(message)


def test_syntax_error_gives_line_and_column() -> None:
    data = b'{\n  "a": 1,\n  "b": 2,,\n}'
    with pytest.raises(InvalidBallot) as info:
        jsonstrict.loads(data, "manifest.json", InvalidBallot)
    message = str(info.value)
    assert message.startswith("manifest.json: not JSON (")
    assert "at line 3, column 10;" in message


def test_loads_refuses_oversized_input() -> None:
    with pytest.raises(InvalidBallot, match="exceeds the limit of 10"):
        jsonstrict.loads(b"[1,2,3,4,5,6]", "ballot", InvalidBallot, max_size=10)


def test_default_error_class_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        jsonstrict.loads(b"{", "x")


def test_deep_nesting_at_the_limit_is_accepted() -> None:
    depth = jsonstrict.MAX_DEPTH
    assert jsonstrict.loads(b"[" * depth + b"]" * depth, "x") is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(json_values)
def test_canonical_round_trip(value: object) -> None:
    data = jsonstrict.dumps(value)
    assert jsonstrict.loads(data, "x") == value
    assert jsonstrict.dumps(jsonstrict.loads(data, "x")) == data


def test_dumps_is_canonical() -> None:
    assert jsonstrict.dumps({"b": 1, "a": ["é", True]}) == '{"a":["é",true],"b":1}'.encode()


def test_object_fields() -> None:
    obj = {"a": 1, "b": 2}
    assert READ.object(obj, "x", ("a",), ("b", "c")) is obj
    with pytest.raises(InvalidBallot, match=r"^x\.b: unknown field"):
        READ.object(obj, "x", ("a",))
    with pytest.raises(InvalidBallot, match=r"^x\.c: missing field"):
        READ.object(obj, "x", ("a", "b", "c"))
    with pytest.raises(InvalidBallot, match="expected an object, got an array"):
        READ.object([], "x", ())


def test_exact_types() -> None:
    with pytest.raises(InvalidBallot, match=r"x: expected an integer, got a boolean"):
        READ.integer(True, "x")
    with pytest.raises(InvalidBallot, match="below the minimum 0"):
        READ.integer(-1, "x", minimum=0)
    with pytest.raises(InvalidBallot, match="above the maximum 3"):
        READ.integer(4, "x", maximum=3)
    with pytest.raises(InvalidBallot, match="expected true or false"):
        READ.boolean(1, "x")
    with pytest.raises(InvalidBallot, match="expected a string"):
        READ.string(1, "x")
    with pytest.raises(InvalidBallot, match="expected 2 items, got 1"):
        READ.exact_array([1], "x", 2)
    with pytest.raises(InvalidBallot, match="at most 1 items"):
        READ.array([1, 2], "x", max_length=1)


@pytest.mark.parametrize("text", ["AA=", "AA", "AB==", "A A==", "AA==\n", "-_8=", "ÀA=="])
def test_b64_refuses_non_canonical(text: str) -> None:
    with pytest.raises(InvalidBallot, match=r"^ballot\.q\[1\]\.a: not canonical base64"):
        READ.b64(text, "ballot.q[1].a")


def test_b64_round_trip_and_length() -> None:
    raw = bytes(range(32))
    assert READ.b64(jsonstrict.b64encode(raw), "x", 32) == raw
    with pytest.raises(InvalidBallot, match="expected 31 bytes, got 32"):
        READ.b64(jsonstrict.b64encode(raw), "x", 31)
