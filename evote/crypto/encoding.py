"""Injective, typed, length-prefixed encoding of the values that evote hashes.

Every hash input in evote is a tree of values encoded by :func:`encode`. Each value starts with
a one-byte type tag; variable-length values carry their length as a 4-byte big-endian prefix;
lists carry their item count. Two different trees therefore never encode to the same bytes
(the encoding is prefix-free, see docs/spec.md section 2), which is what rules out the
"ambiguous hash input" attacks against Helios-era systems (Bernhard, Pereira, Warinschi,
"How not to prove yourself", ASIACRYPT 2012).

Group elements enter through their canonical encoding (:class:`Encodable`); scalars and
counts are integers. ``bool`` is its own type, never an integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Protocol, TypeAlias, runtime_checkable

from evote.errors import InvalidInput

TAG_BYTES = 0x01
TAG_STR = 0x02
TAG_INT = 0x03
TAG_ELEMENT = 0x04
TAG_LIST = 0x05
TAG_BOOL = 0x06
TAG_NONE = 0x07

MAX_LENGTH = 2**32 - 1


@runtime_checkable
class Encodable(Protocol):
    """A value with a canonical byte encoding: a group element."""

    def to_bytes(self) -> bytes: ...


Value: TypeAlias = bytes | str | int | bool | Encodable | Sequence["Value"] | None


def _length(n: int) -> bytes:
    if n > MAX_LENGTH:
        raise InvalidInput(f"value of length {n} is too long to encode")
    return n.to_bytes(4, "big")


def _encode_into(value: Value, out: bytearray) -> None:
    # bool before int: bool is a subclass of int and must not encode like one.
    if isinstance(value, bool):
        out.append(TAG_BOOL)
        out.append(1 if value else 0)
    elif isinstance(value, (int, Integral)):
        # Integral, not int: a gmpy2 mpz has a to_bytes method and would otherwise be taken for
        # an Encodable element (tag 0x04) instead of the integer it is.
        number = int(value)
        magnitude = abs(number)
        raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
        out.append(TAG_INT)
        out.append(1 if number < 0 else 0)
        out += _length(len(raw))
        out += raw
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        out.append(TAG_BYTES)
        out += _length(len(raw))
        out += raw
    elif isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate has no UTF-8 form: a typed error, not a UnicodeEncodeError.
            raise InvalidInput("text with a lone surrogate cannot be encoded as UTF-8") from None
        out.append(TAG_STR)
        out += _length(len(raw))
        out += raw
    elif value is None:
        out.append(TAG_NONE)
    elif isinstance(value, (list, tuple)):
        out.append(TAG_LIST)
        out += _length(len(value))
        for item in value:
            _encode_into(item, out)
    elif callable(getattr(value, "to_bytes", None)):
        # Duck-typed rather than isinstance(value, Encodable): a runtime Protocol check costs
        # more than the rest of the encoding of a ballot proof (measured with cProfile).
        raw = value.to_bytes()  # type: ignore[union-attr]
        out.append(TAG_ELEMENT)
        out += _length(len(raw))
        out += raw
    else:
        raise InvalidInput(f"cannot encode a value of type {type(value).__name__}")


def encode(*values: Value) -> bytes:
    """Encode ``values`` as one list: the bytes that evote hashes."""
    out = bytearray()
    _encode_into(values, out)
    return bytes(out)


def encode_item(value: Value) -> bytes:
    """The encoding of ``value`` as it appears inside a list (:func:`encode` concatenates these
    after the list's tag and count)."""
    out = bytearray()
    _encode_into(value, out)
    return bytes(out)
