"""Fast paths over canonical JSON: regular expressions that read the large documents evote
writes itself without building a JSON tree (docs/spec.md 6.1, docs/record-format.md).

Canonical JSON (:func:`evote.jsonstrict.dumps`: sorted keys, no whitespace, canonical base64)
has one form per value, so a document already in that form can be matched by a pattern and
read at the cost of its bytes: a board.jsonl line (a setup line holds the whole credential
list, ~92 MB at a million voters), the credential list's entries, and where a setup payload
holds that list. Each function here returns ``None`` for anything not exactly in the
canonical form, valid or not, and refuses nothing: the caller then runs its strict reader
(:func:`evote.jsonstrict.loads` and :class:`evote.jsonstrict.Reader`), which decides and names
the fault. tests/test_canonical.py checks that, on random documents and mutations of them, the
fast and the strict path give the same answer or the same error.
"""

from __future__ import annotations

import binascii
import re
from array import array
from typing import Final

from evote import jsonstrict

#: Standard base64 with its padding (RFC 4648 section 4); :func:`canonical_b64` checks the rest.
B64: Final = rb"[A-Za-z0-9+/]*={0,2}"

#: One board.jsonl line (record-format.md): the five fields in key order, position without
#: leading zeros, a kind of lower-case letters (which need no escape).
BOARD_LINE: Final = re.compile(
    rb'\{"chain_hash":"(' + B64 + rb')","kind":"([a-z]{1,20})","payload":"(' + B64
    + rb')","payload_hash":"(' + B64 + rb')","position":([1-9][0-9]{0,17})\}\n\Z'
)  # fmt: skip

_ENTRY: Final = rb'\{"public":"(' + B64 + rb')","weight":([1-9][0-9]{0,9})\}'
#: One entry of the credential list (docs/spec.md 7): its public credential and its weight.
CREDENTIAL_ENTRY: Final = re.compile(_ENTRY)
#: The entries of a credential list, shaped as canonical JSON (their values are not checked).
_SHAPED_ENTRIES: Final = re.compile(
    rb"(?:" + _ENTRY.replace(b"(", b"(?:") + rb"(?:," + _ENTRY.replace(b"(", b"(?:") + rb")*)?"
)
#: The end of a setup payload's credential list: its group's name, then the list's brace.
_LIST_CLOSE: Final = re.compile(rb'\],"group":"[A-Za-z0-9_-]{1,64}"\}')

#: Where a canonical setup payload puts the credential list's entries: after the only two keys
#: that sort before "credentials", both base64 strings.
SETUP_CREDENTIALS_OPENING: Final = re.compile(
    rb'\{"board_key":"[A-Za-z0-9+/=]*","ceremony_digest":"[A-Za-z0-9+/=]*",'
    rb'"credentials":(\{"entries":\[)'
)


def canonical_b64(text: bytes | memoryview, length: int | None = None) -> bytes | None:
    """The bytes of ``text`` if it is their canonical base64 (RFC 4648 section 4), else None.

    Strict decoding refuses characters outside the alphabet and misplaced padding; what it
    still lets through is a last group whose unused bits are not zero (``QR==`` for ``QQ==``).
    Every group of four characters before the last decodes one-to-one, so re-encoding the last
    one to three bytes checks the whole text without a second copy of a 92 MB setup payload.
    """
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return None
    if length is not None and len(data) != length:
        return None
    if len(text) != 4 * ((len(data) + 2) // 3):
        return None
    tail = len(data) % 3 or 3
    if data and binascii.b2a_base64(data[-tail:], newline=False) != bytes(text[-4:]):
        return None
    return data


def board_line_fields(
    raw: bytes, hash_length: int
) -> tuple[int, str, bytes, bytes, bytes] | None:
    """(position, kind, payload, payload hash, chain hash) of a canonical line, else None.

    The kind is not checked against the known kinds, nor the position against the line number:
    the caller does.
    """
    match = BOARD_LINE.match(raw)
    if match is None:
        return None
    # Not match.groups(): that would copy the payload's base64 too.
    chain_text, kind_text, payload_hash_text, position_text = match.group(1, 2, 4, 5)
    # A view, not a copy: the setup entry's base64 is most of a line of ~92 MB.
    payload = canonical_b64(memoryview(raw)[match.start(3) : match.end(3)])
    payload_hash = canonical_b64(payload_hash_text, hash_length)
    chain_hash = canonical_b64(chain_text, hash_length)
    if payload is None or payload_hash is None or chain_hash is None:
        return None
    return int(position_text), kind_text.decode("ascii"), payload, payload_hash, chain_hash


def credential_entries(
    data: bytes, group_name: str, element_size: int, max_weight: int
) -> tuple[bytes, array[int]] | None:
    """(encodings concatenated, weights) of a canonical credential list, else None.

    The list is ``{"entries":[{"public","weight"}...],"group":<name>}``; each public
    credential must be the canonical base64 of ``element_size`` bytes and each weight at most
    ``max_weight``. Whether the encodings are group elements, sorted and distinct is the
    caller's to check (as for any list).
    """
    head = b'{"entries":['
    tail = b'],"group":' + jsonstrict.dumps(group_name) + b"}"
    if not (data.startswith(head) and data.endswith(tail)):
        return None
    position = len(head)
    end = len(data) - len(tail)
    blob = bytearray()
    weights = array("I")
    while position < end:
        if weights:
            if data[position] != ord(","):
                return None
            position += 1
        match = CREDENTIAL_ENTRY.match(data, position, end)
        if match is None:
            return None
        text, weight = match.groups()
        encoding = canonical_b64(text, element_size)
        number = int(weight)
        if encoding is None or number > max_weight:
            return None
        blob += encoding
        weights.append(number)
        position = match.end()
    return bytes(blob), weights


def split_setup_credentials(payload: bytes) -> tuple[bytes, bytes] | None:
    """(the setup payload with an empty entries list, the credential list's JSON), or None.

    The cut is made only where the canonical form puts the list, and only when the entries
    between are shaped as canonical entries (base64 and integers, which hold no quote or
    bracket) and the group's name (letters, digits, ``_``, ``-``) closes the list: then both
    parts are JSON exactly where the whole was, and a fault in either is reported as a strict
    read of the whole payload reports it (the same path, the same words).
    """
    opening = SETUP_CREDENTIALS_OPENING.match(payload)
    if opening is None:
        return None
    end = payload.find(b'],"group":"', opening.end())
    if end < 0 or _SHAPED_ENTRIES.fullmatch(payload, opening.end(), end) is None:
        return None
    close = _LIST_CLOSE.match(payload, end)
    if close is None:
        return None
    return payload[: opening.end()] + payload[end:], payload[opening.start(1) : close.end()]
