"""Signed receipts: what the board tells a voter it accepted (docs/spec.md section 10.5).

A receipt names the ballot's place on the board: (election id, position, chain hash, tracking
code, ballot hash). The board signs it with its Ed25519 key (RFC 8032 section 5.1, through
libsodium in PyNaCl), the key that the election's fingerprint binds (docs/spec.md section
6.3), over ``digest32(BOARD_RECEIPT, election_id, position, chain_hash, tracking_code,
ballot_hash)``: a domain-separated digest, never a string joined with separators. A voter who
holds a receipt that verifies under the election's board key holds proof that the board
accepted the ballot at that position: a published record without it is evidence that the
board dropped it (``evote verify-ballot --receipt``, docs/spec.md section 11.15).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from evote.board.chain import HASH_LENGTH, BoardEntry
from evote.board.checkpoint import KEY_LENGTH, SIGNATURE_LENGTH
from evote.crypto.hashing import Purpose, digest32
from evote.errors import InvalidInput, InvalidSignature
from evote.jsonstrict import Reader, b64encode

RECEIPT_KIND: Final = "board-receipt"
RECEIPT_VERSION: Final = 1
#: A tracking code is 21 symbols in 5 groups (docs/spec.md section 6.5); room to spare.
MAX_TRACKING_CODE_LENGTH: Final = 64
_FIELDS: Final = (
    "kind",
    "version",
    "election_id",
    "position",
    "tracking_code",
    "chain_hash",
    "ballot_hash",
    "signature",
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the voter keeps: where the ballot is on the board, the chain hash there, signed."""

    election_id: str
    position: int
    tracking_code: str
    chain_hash: bytes
    ballot_hash: bytes
    signature: bytes

    @classmethod
    def of(cls, entry: BoardEntry, signing_key: SigningKey) -> Receipt:
        """The receipt of the ballot ``entry``, signed with the board's ``signing_key``."""
        if entry.tracking_code is None or entry.ballot_hash is None:
            raise InvalidInput(f"board entry {entry.position} is not a ballot")
        message = receipt_message(
            entry.election_id,
            entry.position,
            entry.chain_hash,
            entry.tracking_code,
            entry.ballot_hash,
        )
        return cls(
            election_id=entry.election_id,
            position=entry.position,
            tracking_code=entry.tracking_code,
            chain_hash=entry.chain_hash,
            ballot_hash=entry.ballot_hash,
            signature=signing_key.sign(message).signature,
        )

    def message(self) -> bytes:
        """The 32 bytes that the board signs."""
        return receipt_message(
            self.election_id, self.position, self.chain_hash, self.tracking_code, self.ballot_hash
        )

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "kind": RECEIPT_KIND,
            "version": RECEIPT_VERSION,
            "election_id": self.election_id,
            "position": self.position,
            "tracking_code": self.tracking_code,
            "chain_hash": b64encode(self.chain_hash),
            "ballot_hash": b64encode(self.ballot_hash),
            "signature": b64encode(self.signature),
        }

    @classmethod
    def from_json_obj(cls, obj: Any, where: str = "receipt") -> Receipt:
        """Strictly decode a receipt (exact fields and types); the signature is not checked."""
        read = Reader(InvalidInput)
        fields = read.object(obj, where, _FIELDS)
        kind = read.string(fields["kind"], f"{where}.kind", 100)
        if kind != RECEIPT_KIND:
            read.fail(f"{where}.kind", f"{kind!r}, expected {RECEIPT_KIND!r}")
        read.integer(fields["version"], f"{where}.version", RECEIPT_VERSION, RECEIPT_VERSION)
        return cls(
            election_id=read.string(fields["election_id"], f"{where}.election_id"),
            position=read.integer(fields["position"], f"{where}.position", minimum=1),
            tracking_code=read.string(
                fields["tracking_code"], f"{where}.tracking_code", MAX_TRACKING_CODE_LENGTH
            ),
            chain_hash=read.b64(fields["chain_hash"], f"{where}.chain_hash", HASH_LENGTH),
            ballot_hash=read.b64(fields["ballot_hash"], f"{where}.ballot_hash", HASH_LENGTH),
            signature=read.b64(fields["signature"], f"{where}.signature", SIGNATURE_LENGTH),
        )


def receipt_message(
    election_id: str, position: int, chain_hash: bytes, tracking_code: str, ballot_hash: bytes
) -> bytes:
    """``digest32(BOARD_RECEIPT, election_id, position, chain_hash, tracking_code,
    ballot_hash)`` (docs/spec.md section 10.5)."""
    return digest32(
        Purpose.BOARD_RECEIPT, election_id, position, chain_hash, tracking_code, ballot_hash
    )


def check_receipt_signature(receipt: Receipt, board_key: bytes) -> None:
    """Check that ``receipt`` is signed by the board whose Ed25519 public key is ``board_key``.

    ``board_key`` is the election's (:attr:`evote.election.Election.board_key`), never a key
    the receipt's holder was handed with it. Raises :class:`InvalidSignature`.
    """
    where = f"receipt {receipt.tracking_code} (position {receipt.position})"
    if len(board_key) != KEY_LENGTH or len(receipt.signature) != SIGNATURE_LENGTH:
        raise InvalidSignature(f"{where}: malformed key or signature")
    try:
        VerifyKey(board_key).verify(receipt.message(), receipt.signature)
    except BadSignatureError:
        raise InvalidSignature(
            f"{where}: this receipt was not signed by this election's board key"
        ) from None
