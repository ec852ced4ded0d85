"""``verify_ballot_on_record``: a voter looks for their ballot in the published record.

The voter holds a tracking code (docs/spec.md section 6.5). The record's board is read
once: its chain is recomputed from the genesis and must reach a checkpoint signed by the board
key at or after the ballot (so the entry is the one the board committed to), the ballot with
that code is checked with :func:`~evote.ballots.encrypted.check_ballot`, and a later ballot of
the same credential, if any, is the one counted instead (docs/spec.md section 10.6).

With the voter's signed receipt (docs/spec.md section 10.5), its signature is checked first
under the election's board key (the key the fingerprint binds), and the ballot must be at the
receipt's position with the receipt's chain hash: a ballot the board signed for and the record
does not hold is reported absent *with* the receipt, the evidence that the board dropped it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from evote import jsonstrict
from evote.ballots.encrypted import (
    check_ballot,
    decode_ballot,
    normalise_tracking_code,
    tracking_code,
)
from evote.board.chain import BoardEntry, EntryKind, genesis_hash, verify_chain
from evote.board.checkpoint import check_checkpoint
from evote.board.receipt import Receipt, check_receipt_signature
from evote.crypto.hashing import Purpose, digest32
from evote.errors import BoardIntegrityError, ContextMismatch, InvalidInput, InvalidRecord
from evote.record.model import ElectionRecord
from evote.verify.report import BallotState, BallotStatus
from evote.verify.work import spoiled_ballot_bytes


def _credential_of(payload: bytes, where: str) -> str:
    obj = jsonstrict.loads(payload, where, InvalidRecord)
    credential = obj.get("c") if isinstance(obj, dict) else None
    if not isinstance(credential, str):
        raise InvalidRecord(f"{where}: ballot without a credential")
    return credential


def verify_ballot_on_record(
    record: ElectionRecord, code: str, receipt: Receipt | None = None
) -> BallotStatus:
    """Find the ballot with tracking ``code``: counted, superseded (by which), spoiled, absent.

    With ``receipt`` (of that ballot), its signature must verify under the election's board key
    (:class:`~evote.errors.InvalidSignature` otherwise), and a found ballot must be where the
    receipt puts it. Raises :class:`~evote.errors.BoardIntegrityError` if the board's chain
    breaks, the ballot lies beyond every signed checkpoint or elsewhere than its receipt says,
    and the ballot's own check error if it does not verify.
    """
    wanted = normalise_tracking_code(code)
    election = record.election
    if receipt is not None:
        check_receipt_signature(receipt, election.board_key)
        if receipt.election_id != record.election_id:
            raise ContextMismatch(
                f"receipt of election {receipt.election_id!r}, record of {record.election_id!r}"
            )
        if normalise_tracking_code(receipt.tracking_code) != wanted:
            raise InvalidInput(f"tracking code {code}: not the receipt's {receipt.tracking_code}")
    found: BoardEntry | None = None
    credential: str | None = None
    last_position: int | None = None
    last_code: str | None = None
    shown = code
    signed_positions = {checkpoint.position for checkpoint in record.checkpoints}
    chain_hashes: dict[int, bytes] = {}

    def scan(entries: Iterator[BoardEntry]) -> Iterator[BoardEntry]:
        nonlocal found, credential, last_position, last_code, shown
        for entry in entries:
            if entry.position in signed_positions:
                chain_hashes[entry.position] = entry.chain_hash
            if entry.kind is EntryKind.BALLOT or entry.kind is EntryKind.SPOILED:
                where = f"board entry {entry.position}"
                data = (
                    spoiled_ballot_bytes(entry.payload, where)
                    if entry.kind is EntryKind.SPOILED
                    else entry.payload
                )
                this_code = tracking_code(digest32(Purpose.BALLOT, data))
                if found is None and this_code.replace("-", "") == wanted:
                    found, shown = entry, this_code
                    if entry.kind is EntryKind.BALLOT:
                        credential = _credential_of(data, where)
                        last_position, last_code = entry.position, this_code
                elif (
                    credential is not None
                    and entry.kind is EntryKind.BALLOT
                    and _credential_of(data, where) == credential
                ):
                    last_position, last_code = entry.position, this_code
            yield entry

    genesis = genesis_hash(record.election_id, election.fingerprint, record.launch_code)
    verify_chain(scan(record.entries()), genesis)
    for checkpoint in record.checkpoints:
        check_checkpoint(checkpoint, record.board_key)
        if not hmac.compare_digest(
            chain_hashes.get(checkpoint.position, b""), checkpoint.chain_hash
        ):
            raise BoardIntegrityError(
                f"checkpoint at {checkpoint.position}: the board's chain hash there differs"
            )
    if found is None:
        return BallotStatus(code, BallotState.ABSENT, receipt=receipt)
    if receipt is not None:
        _check_receipt_place(receipt, found)
    signed = [cp for cp in record.checkpoints if cp.position >= found.position]
    if not signed:
        raise BoardIntegrityError(
            f"ballot {shown} at {found.position}: no signed checkpoint covers it on this board"
        )
    if found.kind is EntryKind.SPOILED:
        where = f"board entry {found.position}"
        check_ballot(election, decode_ballot(election, spoiled_ballot_bytes(found.payload, where)))
        return BallotStatus(shown, BallotState.SPOILED, found.position, receipt=receipt)
    check_ballot(election, decode_ballot(election, found.payload))
    if last_position == found.position:
        return BallotStatus(shown, BallotState.COUNTED, found.position, None, shown, receipt)
    return BallotStatus(
        shown, BallotState.SUPERSEDED, found.position, last_position, last_code, receipt
    )


def _check_receipt_place(receipt: Receipt, found: BoardEntry) -> None:
    """The ballot is at the receipt's position with its chain hash (the board signed both)."""
    if (
        found.kind is not EntryKind.BALLOT
        or found.position != receipt.position
        or found.ballot_hash is None
        or not hmac.compare_digest(found.ballot_hash, receipt.ballot_hash)
    ):
        raise BoardIntegrityError(
            f"the board signed a receipt for ballot {receipt.tracking_code} at position"
            f" {receipt.position}; the record holds it at position {found.position} as a"
            f" {found.kind.value} entry (ballot hash"
            f" {'none' if found.ballot_hash is None else found.ballot_hash.hex()}): the board"
            " rewrote what it accepted"
        )
    if not hmac.compare_digest(found.chain_hash, receipt.chain_hash):
        raise BoardIntegrityError(
            f"the board signed a receipt for ballot {receipt.tracking_code} at position"
            f" {receipt.position} with chain hash {receipt.chain_hash.hex()}; the record's"
            f" chain hash there is {found.chain_hash.hex()}: the board rewrote its history"
            " before this ballot"
        )
