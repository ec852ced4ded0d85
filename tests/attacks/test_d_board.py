"""Layer D of the threat model: the board's insider (Estonia: the operator and its DBA).

The insider writes to the database with raw SQL after dropping the append-only triggers, as a
DBA can. It does not hold the board's signing key, so the checkpoints published at open and
close (and on demand) still name the old heads. ``Board.verify`` (the cast path) and the
verifier on the record exported afterwards (the verify path) must both catch the change.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.board.board import Board
from evote.board.chain import ChainHead, EntryKind, link_hash, payload_hash
from evote.board.checkpoint import (
    Checkpoint,
    check_checkpoint,
    check_consistent,
    check_extends,
    sign_checkpoint,
)
from evote.board.receipt import Receipt, check_receipt_signature
from evote.cli import main
from evote.errors import BoardIntegrityError, ContextMismatch, InvalidRecord, InvalidSignature
from evote.record import documents as doc
from evote.record import export_record, load_record
from evote.record.export import reseal_record
from evote.record.strict import document_bytes
from evote.verify import verify_record
from evote.verify.report import StepStatus
from tests.attacks.conftest import World
from tests.attacks.records import (
    COUNTED,
    SUPERSEDED,
    Line,
    assert_fails_at,
    forge_board,
    rewrite_json,
)

ENTRIES = "evote_board_entries"


def insider(board: Board) -> sa.Engine:
    """A plain engine on the board's database with the append-only triggers dropped."""
    engine = sa.create_engine(board.engine.url)
    with engine.begin() as connection:
        names = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).scalars()
        for name in list(names):
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
    return engine


def voted_board(world: World, directory: Path) -> Board:
    """Open, three ballots (positions 3, 4, 5), closed at 6 (checkpoints at 2 and 6)."""
    board = world.new_board(directory)
    for voter in range(3):
        board.cast(world.election_id, world.ballot(voter, "yes"))
    board.close_election(world.election_id)
    return board


def rechain(engine: sa.Engine, election_id: str, start: int) -> None:
    """The insider recomputes every payload hash and chain hash from ``start`` on."""
    with engine.begin() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT position, kind, payload, chain_hash FROM {ENTRIES}"
            " WHERE election_id = ? ORDER BY position",
            (election_id,),
        ).all()
        previous = b""
        for new_position, (position, kind, payload, chain) in enumerate(rows, start=1):
            if new_position < start:
                previous = bytes(chain)
                continue
            digest = payload_hash(EntryKind(kind), bytes(payload))
            chain_hash = link_hash(new_position, previous, digest)
            connection.exec_driver_sql(
                f"UPDATE {ENTRIES} SET position = ?, payload_hash = ?, chain_hash = ?"
                " WHERE election_id = ? AND position = ?",
                (new_position, digest, chain_hash, election_id, position),
            )
            previous = chain_hash


def exported(board: Board, world: World, directory: Path) -> Path:
    return export_record(board, world.election_id, directory / "record", check=False)


@pytest.mark.attack("D1", path="both")
@pytest.mark.parametrize("how", ["delete", "replace", "replace-and-rechain", "delete-and-rechain"])
def test_d1_ballot_deleted_or_replaced_by_the_dba(world: World, tmp_path: Path, how: str) -> None:
    board = voted_board(world, tmp_path)
    engine = insider(board)
    election_id = world.election_id
    target = 4
    with engine.begin() as connection:
        if how.startswith("delete"):
            connection.exec_driver_sql(
                f"DELETE FROM {ENTRIES} WHERE election_id = ? AND position = ?",
                (election_id, target),
            )
        else:
            other = world.ballot(1, "no").canonical_bytes()  # voter 1's other, valid ballot
            connection.exec_driver_sql(
                f"UPDATE {ENTRIES} SET payload = ? WHERE election_id = ? AND position = ?",
                (other, election_id, target),
            )
    if how.endswith("rechain"):
        rechain(engine, election_id, target)
    engine.dispose()
    # The cast path: the board's own check.
    with pytest.raises(BoardIntegrityError):
        board.verify(election_id)
    # The verify path: the record exported from the tampered database.
    record = exported(board, world, tmp_path)
    board.dispose()
    if how == "delete":
        # A hole in the positions: the record was read and is wrong (step 11.0).
        with pytest.raises(InvalidRecord, match="position"):
            load_record(record)
        assert main(["verify", str(record)]) == 1
    elif how == "replace":
        assert_fails_at(record, "11.5", "payload hash")
    else:
        # Chain consistent again, but the close checkpoint names the old head.
        assert_fails_at(record, "11.6")


def _published(record: Path) -> bytes:
    return (record / doc.CHECKPOINTS).read_bytes()


def _restore_checkpoints(record: Path, published: bytes) -> None:
    """The auditors hold the checkpoints published before the forgery: they come back."""
    (record / doc.CHECKPOINTS).write_bytes(published)
    reseal_record(record)


@pytest.mark.attack("D2")
def test_d2_board_rolled_back_or_rewritten_behind_a_checkpoint(
    world: World, tmp_path: Path
) -> None:
    board = voted_board(world, tmp_path)
    election_id = world.election_id
    held = board.checkpoints(election_id)[-1]  # the close checkpoint, kept by an auditor
    check_extends(held, board.entries(election_id))
    engine = insider(board)
    # Rewritten: ballot 4 replaced by another ballot of the same voter, chain recomputed.
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE {ENTRIES} SET payload = ? WHERE election_id = ? AND position = 4",
            (world.ballot(1, "no").canonical_bytes(), election_id),
        )
    rechain(engine, election_id, 4)
    with pytest.raises(BoardIntegrityError, match="does not extend"):
        check_extends(held, board.entries(election_id))
    # Rolled back: everything after the second ballot gone (the close and ballot 5 too).
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"DELETE FROM {ENTRIES} WHERE election_id = ? AND position > 4", (election_id,)
        )
    with pytest.raises(BoardIntegrityError, match="ends before"):
        check_extends(held, board.entries(election_id))
    engine.dispose()
    board.dispose()


@pytest.mark.attack("D2", path="verify")
@pytest.mark.parametrize("how", ["rewritten", "rolled-back"])
def test_d2_record_behind_its_published_checkpoints(world: World, record: Path, how: str) -> None:
    published = _published(record)

    def edit(lines: list[Line]) -> list[Line] | None:
        if how == "rolled-back":
            # The superseded ballot and everything after voter 0's first ballot dropped: the
            # forger rebuilds a shorter board (no close, tally or result yet).
            return lines[:SUPERSEDED]
        lines[COUNTED - 1], lines[COUNTED - 2] = lines[COUNTED - 2], lines[COUNTED - 1]
        return None

    forge_board(record, world, edit)
    _restore_checkpoints(record, published)
    if how == "rolled-back":
        assert_fails_at(record, "11.6", "ends")
    else:
        assert_fails_at(record, "11.6")


def _fork(world: World, checkpoint: Checkpoint) -> Checkpoint:
    """The board key signs a different head at the checkpoint's position."""
    other = ChainHead(checkpoint.position, bytes(b ^ 0xFF for b in checkpoint.chain_hash))
    return sign_checkpoint(world.board_key, checkpoint.election_id, other, checkpoint.timestamp)


@pytest.mark.attack("D3")
def test_d3_two_signed_heads_at_one_height(world: World, board: Board) -> None:
    for voter in range(2):
        board.cast(world.election_id, world.ballot(voter))
    shown_to_alice = board.checkpoint(world.election_id)
    shown_to_bob = _fork(world, shown_to_alice)
    # Each checkpoint alone is a valid signature by the board.
    again = board.checkpoint(world.election_id)
    check_consistent([shown_to_alice, again])  # the same head signed twice is no fork
    with pytest.raises(BoardIntegrityError, match="equivocation"):
        check_consistent([shown_to_alice, shown_to_bob])
    with pytest.raises(BoardIntegrityError, match="equivocation"):
        check_consistent([shown_to_bob, again, shown_to_alice])
    other_election = replace(shown_to_bob, election_id="another election")
    check_consistent([shown_to_alice, other_election])  # other elections are not compared


@pytest.mark.attack("D3", path="verify")
def test_d3_equivocating_checkpoints_in_record(world: World, record: Path) -> None:
    path = record / doc.CHECKPOINTS
    document = load_record(record)
    first = document.checkpoints[0]
    forked = _fork(world, first)
    value = {
        "kind": "checkpoints",
        "version": 1,
        "election_id": world.election_id,
        "board_key": base64.b64encode(document.board_key).decode(),
        "checkpoints": [
            first.to_json_obj(),
            forked.to_json_obj(),
            *(c.to_json_obj() for c in document.checkpoints[1:]),
        ],
    }
    path.write_bytes(document_bytes(value))
    reseal_record(record)
    assert_fails_at(record, "11.6", "equivocation")


# -- the board key in the election; held checkpoints; signed receipts --------------------------


def _fresh_key_forgery(record: Path, world: World) -> SigningKey:
    """The operator drops voter 0's superseded ballot, re-chains, and re-signs every checkpoint
    with a fresh key that it writes into checkpoints.json (record.json resealed)."""
    fresh = SigningKey.generate()

    def edit(lines: list[Line]) -> list[Line]:
        return [line for position, line in enumerate(lines, 1) if position != SUPERSEDED]

    forge_board(record, replace(world, board_key=fresh), edit)
    rewrite_json(
        record,
        doc.CHECKPOINTS,
        lambda value: value.__setitem__("board_key", jsonstrict.b64encode(bytes(fresh.verify_key))),
    )
    return fresh


@pytest.mark.attack("D2", path="verify")
def test_d2_record_re_signed_with_a_fresh_key(world: World, record: Path) -> None:
    fresh = _fresh_key_forgery(record, world)
    report = assert_fails_at(record, "11.6", "InvalidSignature")
    error = report.step("11.6").error or ""
    assert bytes(fresh.verify_key).hex() in error
    assert world.election.board_key.hex() in error
    assert main(["verify", "--complete", str(record)]) == 1


@pytest.mark.attack("D2", path="verify")
@pytest.mark.parametrize("how", ["rolled-back", "rewritten"])
def test_d2_record_behind_a_held_checkpoint(
    world: World, record: Path, tmp_path: Path, how: str
) -> None:
    held = load_record(record).checkpoints[-1]  # the close checkpoint, saved by an auditor
    saved = tmp_path / "close-checkpoint.json"
    saved.write_text(json.dumps(held.to_json_obj(), indent=2))  # any JSON layout
    assert main(["verify", str(record), "--checkpoint", str(saved)]) == 0

    def edit(lines: list[Line]) -> list[Line] | None:
        if how == "rolled-back":
            return lines[:SUPERSEDED]  # no close: the forger's checkpoints end earlier
        del lines[SUPERSEDED - 1]  # the superseded ballot dropped, the rest re-chained
        return None

    forge_board(record, world, edit)
    # Consistent with itself (re-signed with the board's own key): only the held one catches it.
    assert verify_record(load_record(record)).ok
    report = verify_record(load_record(record), held_checkpoints={str(saved): held})
    step = report.step("11.6")
    assert step.status is StepStatus.FAILED, step
    assert step.error is not None
    assert f"held checkpoint {saved} (position {held.position})" in step.error
    assert "BoardIntegrityError" in step.error
    assert main(["verify", str(record), "--checkpoint", str(saved)]) == 1


@pytest.mark.attack("D4")
def test_d4_a_checkpoint_or_receipt_of_another_key_fails(world: World, board: Board) -> None:
    receipt = board.cast(world.election_id, world.ballot(0))
    key = world.election.board_key
    check_receipt_signature(receipt, key)
    check_checkpoint(board.checkpoint(world.election_id), key)
    thief = SigningKey.generate()
    forged = sign_checkpoint(
        thief, world.election_id, ChainHead(receipt.position, receipt.chain_hash), 0
    )
    with pytest.raises(InvalidSignature, match="another board key"):
        check_checkpoint(forged, key)
    entry = board.entry_at(world.election_id, receipt.position)
    with pytest.raises(InvalidSignature, match="not signed by this election's board key"):
        check_receipt_signature(Receipt.of(entry, thief), key)
    # A board with another key cannot take the election over.
    with Board(str(board.engine.url.database), thief) as other:
        with pytest.raises(ContextMismatch, match="not this board's signing key"):
            other.setup(world.election, None)
        with pytest.raises(ContextMismatch, match="not this board's signing key"):
            other.cast(world.election_id, world.ballot(1))


@pytest.mark.attack("D4", path="verify")
def test_d4_a_held_checkpoint_of_another_key_fails(
    world: World, record: Path, tmp_path: Path
) -> None:
    last = load_record(record).checkpoints[-1]
    forged = sign_checkpoint(
        SigningKey.generate(), world.election_id, ChainHead(last.position, last.chain_hash), 0
    )
    saved = tmp_path / "forged.json"
    saved.write_bytes(document_bytes(forged.to_json_obj()))
    report = verify_record(load_record(record), held_checkpoints={str(saved): forged})
    assert report.step("11.6").status is StepStatus.FAILED
    assert "InvalidSignature" in (report.step("11.6").error or "")
    assert main(["verify", str(record), "--checkpoint", str(saved)]) == 1
