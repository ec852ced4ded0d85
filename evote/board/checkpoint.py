"""Signed checkpoints of the board's head (docs/spec.md section 10.4).

A checkpoint is the tuple (election id, position, chain hash, timestamp) signed by the board
with Ed25519 (RFC 8032 section 5.1, through libsodium in PyNaCl). The board publishes one when
the election opens, when it closes, and on demand. Anyone holding an earlier checkpoint can
check that a later board *extends* it (:func:`check_extends`): the entry at the checkpoint's
position still has the signed chain hash, and every later entry links from it. A board that
rewrote, dropped or reordered anything before the checkpoint cannot pass, short of a collision
in SHA-512 (the chain argument of Haber and Stornetta, J. Cryptology 3(2), 1991).

The signed message is ``digest32(BOARD_CHECKPOINT, election_id, position, chain_hash,
timestamp)``: a domain-separated digest, never a string joined with separators.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from evote.board.chain import HASH_LENGTH, BoardEntry, ChainHead, check_entry_link
from evote.crypto.hashing import Purpose, digest32
from evote.errors import BoardIntegrityError, ContextMismatch, InvalidInput, InvalidSignature
from evote.jsonstrict import Reader, b64encode

KEY_LENGTH = 32
SIGNATURE_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed head of one election's board.

    ``timestamp`` is in whole seconds since the Unix epoch (UTC), as read from the board's
    clock: it says when the board claimed this head, it is not a trusted time.
    """

    election_id: str
    position: int
    chain_hash: bytes
    timestamp: int
    board_key: bytes
    signature: bytes

    def message(self) -> bytes:
        """The 32 bytes that the board signs."""
        return checkpoint_message(self.election_id, self.position, self.chain_hash, self.timestamp)

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "election_id": self.election_id,
            "position": self.position,
            "chain_hash": b64encode(self.chain_hash),
            "timestamp": self.timestamp,
            "board_key": b64encode(self.board_key),
            "signature": b64encode(self.signature),
        }

    @classmethod
    def from_json_obj(cls, obj: Any, where: str = "checkpoint") -> Checkpoint:
        """Strictly decode a checkpoint (exact fields and types); the signature is not checked."""
        read = Reader(InvalidInput)
        fields = read.object(
            obj,
            where,
            ("election_id", "position", "chain_hash", "timestamp", "board_key", "signature"),
        )
        return cls(
            election_id=read.string(fields["election_id"], f"{where}.election_id"),
            position=read.integer(fields["position"], f"{where}.position", minimum=1),
            chain_hash=read.b64(fields["chain_hash"], f"{where}.chain_hash", HASH_LENGTH),
            timestamp=read.integer(fields["timestamp"], f"{where}.timestamp", minimum=0),
            board_key=read.b64(fields["board_key"], f"{where}.board_key", KEY_LENGTH),
            signature=read.b64(fields["signature"], f"{where}.signature", SIGNATURE_LENGTH),
        )


def checkpoint_message(election_id: str, position: int, chain_hash: bytes, timestamp: int) -> bytes:
    """``digest32(BOARD_CHECKPOINT, election_id, position, chain_hash, timestamp)``."""
    return digest32(Purpose.BOARD_CHECKPOINT, election_id, position, chain_hash, timestamp)


def sign_checkpoint(
    signing_key: SigningKey, election_id: str, head: ChainHead, timestamp: int | None = None
) -> Checkpoint:
    """Sign ``head`` of ``election_id``'s board; ``timestamp`` defaults to the clock now."""
    if head.position < 1:
        raise InvalidInput(f"checkpoint of election {election_id!r}: the board is empty")
    when = int(time.time()) if timestamp is None else timestamp
    message = checkpoint_message(election_id, head.position, head.chain_hash, when)
    signature = signing_key.sign(message).signature
    return Checkpoint(
        election_id=election_id,
        position=head.position,
        chain_hash=head.chain_hash,
        timestamp=when,
        board_key=bytes(signing_key.verify_key),
        signature=signature,
    )


def check_checkpoint(checkpoint: Checkpoint, board_key: bytes) -> None:
    """Check that ``checkpoint`` is signed by the board whose Ed25519 public key is ``board_key``.

    Raises :class:`InvalidSignature` if the checkpoint names another key or the signature does
    not verify over :meth:`Checkpoint.message`.
    """
    where = f"checkpoint of election {checkpoint.election_id!r} at {checkpoint.position}"
    if len(board_key) != KEY_LENGTH or not hmac.compare_digest(checkpoint.board_key, board_key):
        raise InvalidSignature(f"{where}: signed by another board key")
    if len(checkpoint.signature) != SIGNATURE_LENGTH:
        raise InvalidSignature(f"{where}: signature is not {SIGNATURE_LENGTH} bytes")
    try:
        VerifyKey(board_key).verify(checkpoint.message(), checkpoint.signature)
    except BadSignatureError:
        raise InvalidSignature(f"{where}: Ed25519 signature does not verify") from None


def check_extends(
    earlier: Checkpoint, entries: Iterable[BoardEntry], later: Checkpoint | None = None
) -> ChainHead:
    """Check that the board ``entries`` extends the ``earlier`` checkpoint; return the head.

    ``entries`` are one election's entries in board order: the whole board, or any stream that
    starts at or before ``earlier.position + 1``. Entries before the checkpoint are skipped (the
    signed chain hash commits to them); the entry at the checkpoint's position must carry its
    chain hash, and every entry after it must link. With ``later``, the chain must also pass
    through ``later``'s position with ``later``'s hash. Signatures are checked separately
    with :func:`check_checkpoint`. Raises :class:`BoardIntegrityError` (or
    :class:`ContextMismatch` for checkpoints or entries of another election).
    """
    if later is not None:
        if later.election_id != earlier.election_id:
            raise ContextMismatch(
                f"checkpoints of elections {earlier.election_id!r} and {later.election_id!r}"
            )
        if later.position < earlier.position:
            raise BoardIntegrityError(
                f"later checkpoint at {later.position} is before the earlier one at "
                f"{earlier.position}"
            )
    head = ChainHead(earlier.position, earlier.chain_hash)
    seen_anchor = False
    for entry in entries:
        if entry.election_id != earlier.election_id:
            raise ContextMismatch(
                f"board entry {entry.position} belongs to election {entry.election_id!r}, "
                f"not {earlier.election_id!r}"
            )
        if entry.position < earlier.position:
            continue
        if entry.position == earlier.position:
            if not hmac.compare_digest(entry.chain_hash, earlier.chain_hash):
                raise BoardIntegrityError(
                    f"board entry {entry.position} of election {entry.election_id!r}: chain hash "
                    "differs from the checkpoint's: the board does not extend it"
                )
            seen_anchor = True
            continue
        if not seen_anchor and entry.position != earlier.position + 1:
            raise BoardIntegrityError(
                f"board entries jump from before {earlier.position} to {entry.position}"
            )
        seen_anchor = True
        head = check_entry_link(entry, head)
        if later is not None and head.position == later.position:
            _check_reaches(head, later)
    if not seen_anchor:
        raise BoardIntegrityError(
            f"the board of election {earlier.election_id!r} ends before the checkpoint's "
            f"position {earlier.position}"
        )
    if later is not None and head.position < later.position:
        raise BoardIntegrityError(
            f"the board ends at {head.position}, before the later checkpoint's position "
            f"{later.position}"
        )
    if later is not None and later.position == earlier.position:
        _check_reaches(ChainHead(earlier.position, earlier.chain_hash), later)
    return head


def check_consistent(checkpoints: Iterable[Checkpoint]) -> None:
    """Check that no two ``checkpoints`` sign different heads at one position (equivocation).

    A board that shows one auditor a head and another auditor a different head at the same
    position (a forked chain) must sign both; two such checkpoints, whoever collected them, are
    proof of the fork (the split-view attack that gossip of signed heads detects: Certificate
    Transparency, RFC 9162 section 8.3). Checkpoints of different elections are never compared.
    Signatures are checked separately with :func:`check_checkpoint`. Raises
    :class:`BoardIntegrityError` naming the position.
    """
    signed: dict[tuple[str, int], Checkpoint] = {}
    for checkpoint in checkpoints:
        key = (checkpoint.election_id, checkpoint.position)
        earlier = signed.setdefault(key, checkpoint)
        if not hmac.compare_digest(earlier.chain_hash, checkpoint.chain_hash):
            raise BoardIntegrityError(
                f"checkpoints of election {checkpoint.election_id!r} at {checkpoint.position}:"
                " two different signed chain hashes at one position (equivocation: the board"
                " showed two different boards)"
            )


def _check_reaches(head: ChainHead, later: Checkpoint) -> None:
    if not hmac.compare_digest(head.chain_hash, later.chain_hash):
        raise BoardIntegrityError(
            f"chain hash at position {head.position} differs from the later checkpoint's"
        )
