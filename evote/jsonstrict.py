"""Strict JSON decoding and canonical JSON encoding (docs/spec.md section 6.1).

Manifests, ballots and the election record come from outside; they are decoded here with no
leniency: duplicate keys, floats, ``NaN``/``Infinity``, integers longer than
:data:`MAX_INT_DIGITS` digits, nesting deeper than :data:`MAX_DEPTH`, oversized input, invalid
UTF-8 and lone surrogates are all refused, with a message that names where the fault lies: the
path of the value (``manifest.questions[2].id: duplicate key 'id'``), a duplicate key's, an
oversized integer's and a float's included.
:class:`Reader` then reads objects with an exact set of fields and exact types (``bool`` is
not an integer) and decodes binary fields from canonical base64.

Canonical JSON (what evote hashes, signs and stores) is ``json.dumps`` with sorted keys, no
whitespace, UTF-8 without escapes for non-ASCII text: the same object always gives the same
bytes, and :func:`loads` followed by :func:`dumps` reproduces canonical input exactly.

Every error is an instance of the caller's error class (a subclass of
:class:`~evote.errors.InvalidInput`: ``InvalidManifest``, ``InvalidBallot``, ``InvalidRecord``),
and its message starts with the path of the faulty value, e.g.
``ballot.q[1].o[0].a: not canonical base64``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from evote.errors import InvalidInput

MAX_INT_DIGITS: Final = 80
MAX_DEPTH: Final = 32
DEFAULT_MAX_SIZE: Final = 16 * 1024 * 1024


class _Duplicate(dict[str, Any]):
    """An object that held a duplicate key (the locating parse only); ``pairs`` are all its
    members in order, the later ones included."""

    duplicate: str = ""
    pairs: tuple[tuple[str, Any], ...] = ()


class _Big(int):
    """An integer beyond the digit limit (the locating parse only)."""


class _Float(float):
    """A float, NaN or an infinity (the locating parse only)."""


_Marker = type[_Duplicate] | type[_Big] | type[_Float]


class _Refused(Exception):
    """Raised inside the json hooks; turned into the caller's error class by :func:`loads`.

    ``located`` is the marker of the fault's kind for the faults whose path :func:`_locate`
    finds afterwards (the hooks see a value, never where it is).
    """

    def __init__(self, message: str, *, located: _Marker | None = None) -> None:
        super().__init__(message)
        self.located = located


def _refuse_float(text: str) -> NoReturn:
    raise _Refused(
        f"number {text[:20]!r} is not an integer (floats are not allowed)", located=_Float
    )


def _refuse_constant(text: str) -> NoReturn:
    raise _Refused(f"{text} is not allowed", located=_Float)


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise _Refused(
            f"integer with {len(digits)} digits (at most {MAX_INT_DIGITS})", located=_Big
        )
    return int(text)


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"duplicate key {key!r}", located=_Duplicate)
        result[key] = value
    return result


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            marked = _Duplicate(result)
            marked.duplicate = key
            marked.pairs = tuple(pairs)
            return marked
        result[key] = value
    return result


def _marking_int(text: str) -> int:
    # Never int() on an oversized literal: Python refuses more than 4300 digits.
    return _Big(0) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def _marking_float(text: str) -> float:
    return _Float(0.0)


def _marked_path(value: Any, path: str, marker: _Marker) -> str | None:
    """The path of the first fault of kind ``marker``, in the strict parse's order.

    A leaf (a float, an oversized integer) is refused as the parser reaches it, in the text's
    order; an object's duplicate key once the object is closed, after everything inside it.
    """
    if isinstance(value, (_Big, _Float)):
        return path if isinstance(value, marker) else None
    if isinstance(value, dict):
        members = value.pairs if isinstance(value, _Duplicate) else tuple(value.items())
        for key, item in members:
            found = _marked_path(item, f"{path}.{key}", marker)
            if found is not None:
                return found
        if isinstance(value, _Duplicate) and marker is _Duplicate:
            return f"{path}.{value.duplicate}"
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _marked_path(item, f"{path}[{index}]", marker)
            if found is not None:
                return found
    return None


def _locate(text: str, where: str, marker: _Marker) -> str:
    """The path of the first fault of kind ``marker`` in ``text``, else ``where``.

    The strict decoder refuses duplicate keys, oversized integers and floats inside its hooks,
    where the path is unknown; this second, marking parse runs only on input already refused
    (its size bounded by :func:`loads`).
    """
    try:
        tree = json.loads(
            text,
            object_pairs_hook=_marking_pairs,
            parse_int=_marking_int,
            parse_float=_marking_float,
            parse_constant=_marking_float,
        )
    except (ValueError, RecursionError):
        return where
    return _marked_path(tree, where, marker) or where


def _check_tree(value: Any, where: str, depth: int, error: type[InvalidInput]) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings that are not valid Unicode."""
    if depth > MAX_DEPTH:
        raise error(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_unicode(value, where, error)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key, where, error)
            _check_tree(item, f"{where}.{key}", depth + 1, error)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_tree(item, f"{where}[{index}]", depth + 1, error)


def _check_unicode(text: str, where: str, error: type[InvalidInput]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{where}: string holds a lone surrogate escape") from None


def loads(
    data: bytes,
    where: str,
    error: type[InvalidInput] = InvalidInput,
    max_size: int = DEFAULT_MAX_SIZE,
) -> Any:
    """Decode one strict JSON document from UTF-8 ``data``; faults raise ``error``."""
    if not isinstance(data, (bytes, bytearray)):
        raise error(f"{where}: expected bytes, got {type(data).__name__}")
    if len(data) > max_size:
        raise error(f"{where}: document of {len(data)} bytes exceeds the limit of {max_size}")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as fault:
        raise error(f"{where}: invalid UTF-8 at byte {fault.start}") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_without_duplicates,
            parse_float=_refuse_float,
            parse_int=_parse_int,
            parse_constant=_refuse_constant,
        )
    except _Refused as fault:
        path = where if fault.located is None else _locate(text, where, fault.located)
        raise error(f"{path}: {fault}") from None
    except json.JSONDecodeError as fault:
        raise error(
            f"{where}: not JSON ({fault.msg} at line {fault.lineno}, column {fault.colno};"
            f" character {fault.pos})"
        ) from None
    except RecursionError:
        raise error(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(value, where, 0, error)
    return value


def dumps(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8; floats and NaN are refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 section 4): the one encoding evote accepts."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class Reader:
    """Typed access to decoded JSON values; every fault raises ``error`` naming the path."""

    error: type[InvalidInput]

    def fail(self, where: str, message: str) -> NoReturn:
        raise self.error(f"{where}: {message}")

    def object(
        self,
        value: Any,
        where: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, Any]:
        """An object whose keys are all of ``required`` and some of ``optional``, nothing else."""
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_json_type(value)}")
        required_keys = tuple(required)
        allowed = set(required_keys) | set(optional)
        for key in value:
            if key not in allowed:
                self.fail(f"{where}.{key}", "unknown field")
        for key in required_keys:
            if key not in value:
                self.fail(f"{where}.{key}", "missing field")
        return value

    def string(self, value: Any, where: str, max_length: int = 10_000) -> str:
        if not isinstance(value, str):
            self.fail(where, f"expected a string, got {_json_type(value)}")
        if len(value) > max_length:
            self.fail(where, f"string longer than {max_length} characters")
        return value

    def integer(
        self, value: Any, where: str, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        # bool is a subclass of int in Python, never in JSON.
        if type(value) is not int:
            self.fail(where, f"expected an integer, got {_json_type(value)}")
        if minimum is not None and value < minimum:
            self.fail(where, f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            self.fail(where, f"{value} is above the maximum {maximum}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {_json_type(value)}")
        return value

    def array(
        self, value: Any, where: str, min_length: int = 0, max_length: int | None = None
    ) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected an array, got {_json_type(value)}")
        if len(value) < min_length:
            self.fail(where, f"expected at least {min_length} items, got {len(value)}")
        if max_length is not None and len(value) > max_length:
            self.fail(where, f"expected at most {max_length} items, got {len(value)}")
        return value

    def exact_array(self, value: Any, where: str, length: int) -> list[Any]:
        items = self.array(value, where)
        if len(items) != length:
            self.fail(where, f"expected {length} items, got {len(items)}")
        return items

    def string_map(self, value: Any, where: str) -> dict[str, str]:
        """An object whose values are all strings."""
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_json_type(value)}")
        return {key: self.string(item, f"{where}.{key}") for key, item in value.items()}

    def b64(self, value: Any, where: str, length: int | None = None) -> bytes:
        """Canonical standard base64 with padding: decoding then re-encoding gives ``value``."""
        text = self.string(value, where, max_length=1 << 24)
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            self.fail(where, "not canonical base64")
        if b64encode(raw) != text:
            self.fail(where, "not canonical base64")
        if length is not None and len(raw) != length:
            self.fail(where, f"expected {length} bytes, got {len(raw)}")
        return raw


def _json_type(value: Any) -> str:
    names: Mapping[type, str] = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
