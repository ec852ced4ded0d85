"""The board's hash chain (docs/spec.md section 10.2).

Every board entry, from the election's setup to its result, is a link of one chain:

* ``h_0 = digest32(BOARD_LINK, 0, election_id, fingerprint, launch_code)``: the genesis binds the
  election (its fingerprint) and a launch code drawn when the board was set up, so that no chain
  can be prepared before the election exists;
* ``p_i = digest32(BOARD_PAYLOAD, kind_i, payload_i)``: the payload hash of entry ``i``;
* ``h_i = digest32(BOARD_LINK, i, h_{i-1}, p_i)`` for positions ``i = 1, 2, ...``.

The encoding under :func:`~evote.crypto.hashing.digest32` is typed and length-prefixed, so the
genesis input (an integer and three more items) can never be read as a link input (an integer
and two byte strings). A head ``(i, h_i)`` therefore commits to every entry up to ``i``, as in a
Merkle-Damgard chain or the linked time-stamping of Haber and Stornetta ("How to time-stamp a
digital document", J. Cryptology 3(2), 1991).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from evote.crypto.encoding import MAX_LENGTH, encode, encode_item
from evote.crypto.hashing import PROTOCOL, Purpose, digest32
from evote.errors import BoardIntegrityError, InvalidInput

HASH_LENGTH = 32


class EntryKind(StrEnum):
    """What a board entry records; the order of the life cycle is enforced by the board."""

    SETUP = "setup"
    OPEN = "open"
    BALLOT = "ballot"
    SPOILED = "spoiled"
    CLOSE = "close"
    TALLY = "tally"
    RESULT = "result"


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One entry of the board, as stored (the ballot columns are ``None`` for events).

    The ballot columns are indexes derived from the payload; only ``kind`` and ``payload``
    enter the chain.
    """

    election_id: str
    position: int
    kind: EntryKind
    payload: bytes
    payload_hash: bytes
    chain_hash: bytes
    credential: bytes | None = None
    tracking_code: str | None = None
    ballot_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last position of a (verified) chain and its hash; position 0 is the genesis."""

    position: int
    chain_hash: bytes


def genesis_hash(election_id: str, fingerprint: bytes, launch_code: str) -> bytes:
    """``h_0``: binds the election fingerprint and the launch code (docs/spec.md section 10.2)."""
    return digest32(Purpose.BOARD_LINK, 0, election_id, fingerprint, launch_code)


def payload_hash(kind: EntryKind, payload: bytes) -> bytes:
    """``p_i = digest32(BOARD_PAYLOAD, kind, payload)``.

    Hashed as the encoder's frame for ``kind`` (:func:`_payload_frame`), the payload's length
    and the payload: the bytes :func:`~evote.crypto.encoding.encode` produces, without walking
    the value tree at every cast.
    """
    if len(payload) > MAX_LENGTH:
        raise InvalidInput(f"board payload of {len(payload)} bytes is too long to encode")
    frame = _payload_frame(kind)
    return digest_pieces(frame + len(payload).to_bytes(4, "big") + payload)


def link_hash(position: int, previous: bytes, payload_digest: bytes) -> bytes:
    """``h_i = digest32(BOARD_LINK, i, h_{i-1}, p_i)`` for ``i >= 1``."""
    if len(previous) != HASH_LENGTH or len(payload_digest) != HASH_LENGTH:
        return digest32(Purpose.BOARD_LINK, position, previous, payload_digest)
    # Both hashes are 32 bytes, so each is encoded as ``between`` (its tag and length)
    # followed by the hash.
    before, between = _link_frame()
    return digest_pieces(
        before + encode_item(position) + between + previous + between + payload_digest
    )


@functools.cache
def _payload_frame(kind: EntryKind) -> bytes:
    """What precedes the payload's 4-byte length in the payload hash's input, for ``kind``.

    Cut out of the encoder's own output for an empty payload (as :func:`_link_frame`).
    """
    full = encode(PROTOCOL, Purpose.BOARD_PAYLOAD.value, [kind.value, b""])
    empty_bytes = encode_item(b"")
    if not full.endswith(empty_bytes):
        raise BoardIntegrityError("the payload hash input does not split as expected")
    return full[: -len(empty_bytes)] + empty_bytes[:1]


@functools.cache
def _link_frame() -> tuple[bytes, bytes]:
    """What precedes ``i`` in the link hash's input, and the frame of a 32-byte hash item.

    ``encode(PROTOCOL, BOARD_LINK, [i, h_{i-1}, p_i])`` is ``before + item(i) + between +
    h_{i-1} + between + p_i``, the same ``before`` and ``between`` for every 32-byte hash.

    Cut out of the encoder's own output (position 1, zero hashes), so that the layout is never
    written twice: items are concatenated, hence these suffixes.
    """
    zero = bytes(HASH_LENGTH)
    full = encode(PROTOCOL, Purpose.BOARD_LINK.value, [1, zero, zero])
    with_zero = encode_item(zero)
    tail = encode_item(1) + with_zero + with_zero
    if not full.endswith(tail):
        raise BoardIntegrityError("the link hash input does not split as expected")
    return full[: -len(tail)], with_zero[:-HASH_LENGTH]


def digest_pieces(data: bytes) -> bytes:
    """The first 32 bytes of SHA-512 over an already encoded input (as :func:`digest32`)."""
    return hashlib.sha512(data).digest()[:HASH_LENGTH]


def check_entry_link(entry: BoardEntry, previous: ChainHead) -> ChainHead:
    """Check that ``entry`` follows ``previous``; return the new head, or raise.

    Raises :class:`BoardIntegrityError` naming the position when the entry is out of order,
    its payload hash does not match its payload, or its chain hash does not match the link.
    """
    where = f"board entry {entry.position} of election {entry.election_id!r}"
    if entry.position != previous.position + 1:
        raise BoardIntegrityError(
            f"{where}: expected position {previous.position + 1} after {previous.position}"
        )
    expected_payload = payload_hash(entry.kind, entry.payload)
    if not hmac.compare_digest(expected_payload, entry.payload_hash):
        raise BoardIntegrityError(f"{where}: payload hash does not match the payload")
    expected_link = link_hash(entry.position, previous.chain_hash, expected_payload)
    if not hmac.compare_digest(expected_link, entry.chain_hash):
        raise BoardIntegrityError(f"{where}: chain hash does not match h(i, h_(i-1), payload)")
    return ChainHead(entry.position, expected_link)


def verify_chain(entries: Iterable[BoardEntry], genesis: bytes) -> ChainHead:
    """Recompute the chain over ``entries`` (all of them, from position 1, in order).

    Returns the head reached (position 0 and ``genesis`` for an empty board); raises
    :class:`BoardIntegrityError` at the first entry that does not link. ``entries`` is consumed
    once, so a stream from :meth:`evote.board.Board.entries` verifies in constant memory.
    """
    head = ChainHead(0, genesis)
    for entry in entries:
        head = check_entry_link(entry, head)
    return head
