"""Forcing a bad item into a published record, for the verify path of every attack row.

An honest record is built once per group (``honest_record``): a board where three voters cast
(one of them twice), closed, tallied by the three trustees, with the result, exported with
``export_record``. A test copies it, rewrites ``board.jsonl`` through :func:`forge_board` and
runs ``verify_record`` and ``evote verify``. Where the attack is about the board's content the
forger plays the board operator: it recomputes every payload hash and chain hash, re-signs the
checkpoints with the board's key, rewrites ``tally.json`` / ``result.json`` from the events and
reseals ``record.json``, so that only the check under attack can catch the forgery.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evote import jsonstrict
from evote.board.board import Board
from evote.board.chain import ChainHead, EntryKind, genesis_hash, link_hash, payload_hash
from evote.board.checkpoint import Checkpoint, sign_checkpoint
from evote.cli import main
from evote.errors import InvalidRecord, UnreadableRecord
from evote.record import documents as doc
from evote.record import export_record, load_record
from evote.record.export import reseal_record
from evote.record.strict import document_bytes
from evote.tally import DecryptionShare, compute_result
from evote.tally.result import turnout_of
from evote.tally.wire import decryption_share_to_json
from evote.tallying import publish_result, publish_tally
from evote.verify import VerificationReport, verify_record
from evote.verify.report import StepStatus
from evote.verify.verifier import read_record
from tests.attacks.conftest import World


@dataclass
class Line:
    """One board entry as the forger edits it: only kind and payload enter the chain."""

    kind: EntryKind
    payload: bytes


def build_honest_record(world: World, directory: Path) -> Path:
    """Board, votes (voter 0 twice), close, tally by every trustee, result, export."""
    directory.mkdir(parents=True, exist_ok=True)
    with world.new_board(directory) as board:
        election_id = world.election_id
        board.cast(election_id, world.ballot(0, "no"))
        board.cast(election_id, world.ballot(1, "yes", {"x": 5, "y": 1}))
        board.cast(election_id, world.ballot(2, None, {"x": 0, "y": 0}))
        board.cast(election_id, world.ballot(0, "yes"))  # supersedes voter 0's first ballot
        board.close_election(election_id)
        tally = world.tally_of(board)
        shares = world.decryption_shares(tally)
        counts, combined = world.decrypt(tally, shares)
        publish_tally(board, world.election, world.ceremony, tally, shares, combined)
        result = compute_result(world.election.manifest, counts, turnout_of(tally))
        publish_result(board, world.election, result)
        return export_record(board, election_id, directory / "record")


def copy_record(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def read_board(record: Path) -> list[Line]:
    lines = []
    for raw in (record / doc.BOARD).read_bytes().splitlines():
        obj = jsonstrict.loads(raw, "board line")
        lines.append(Line(EntryKind(obj["kind"]), base64.b64decode(obj["payload"], validate=True)))
    return lines


def forge_board(
    record: Path, world: World, edit: Callable[[list[Line]], list[Line] | None]
) -> None:
    """Rewrite the record's board with ``edit`` applied, as the board operator could."""
    loaded = load_record(record)
    lines = read_board(record)
    before = list(lines)
    edited = edit(lines)
    lines = lines if edited is None else edited
    # A checkpoint follows its entry when entries are inserted or removed before it.
    moved = {id(line): position for position, line in enumerate(lines, start=1)}
    renumber = {
        old: moved[id(line)] for old, line in enumerate(before, start=1) if id(line) in moved
    }
    head = ChainHead(
        0, genesis_hash(world.election_id, world.election.fingerprint, loaded.launch_code)
    )
    out = []
    hashes: dict[int, bytes] = {}
    events: dict[str, Any] = {}
    for position, line in enumerate(lines, start=1):
        digest = payload_hash(line.kind, line.payload)
        chain = link_hash(position, head.chain_hash, digest)
        head = ChainHead(position, chain)
        hashes[position] = chain
        out.append(
            jsonstrict.dumps(
                {
                    "position": position,
                    "kind": line.kind.value,
                    "payload": jsonstrict.b64encode(line.payload),
                    "payload_hash": jsonstrict.b64encode(digest),
                    "chain_hash": jsonstrict.b64encode(chain),
                }
            )
            + b"\n"
        )
        if line.kind in (EntryKind.TALLY, EntryKind.RESULT):
            events[line.kind.value] = jsonstrict.loads(line.payload, "event")["body"]
    (record / doc.BOARD).write_bytes(b"".join(out))
    resign_checkpoints(record, world, hashes, renumber)
    for kind, name in ((EntryKind.TALLY, doc.TALLY), (EntryKind.RESULT, doc.RESULT)):
        path = record / name
        if kind.value in events:
            path.write_bytes(document_bytes(events[kind.value]))
        elif path.exists():
            path.unlink()
    reseal_record(record)


def resign_checkpoints(
    record: Path, world: World, hashes: dict[int, bytes], renumber: dict[int, int]
) -> None:
    """Re-sign every checkpoint at its entry's new position (dropped when the entry is gone)."""
    path = record / doc.CHECKPOINTS
    document = jsonstrict.loads(path.read_bytes(), "checkpoints")
    kept = []
    for item in document["checkpoints"]:
        old = Checkpoint.from_json_obj(item)
        position = renumber.get(old.position)
        if position is None:
            continue
        fresh = sign_checkpoint(
            world.board_key, world.election_id, ChainHead(position, hashes[position]), old.timestamp
        )
        kept.append(fresh.to_json_obj())
    document["checkpoints"] = kept
    path.write_bytes(document_bytes(document))


def rewrite_json(record: Path, name: str, change: Callable[[Any], None]) -> None:
    """Edit one JSON document of the record in place and reseal the index."""
    path = record / name
    value = jsonstrict.loads(path.read_bytes(), name)
    change(value)
    path.write_bytes(document_bytes(value))
    reseal_record(record)


def verify(record: Path) -> VerificationReport:
    return verify_record(load_record(record))


def failed_steps(report: VerificationReport) -> list[str]:
    return [f"{step.number} {step.name}" for step in report.steps if not step.ok]


def assert_fails_at(record: Path, step: str, match: str | None = None) -> VerificationReport:
    """verify_record fails, first at ``step`` (a number like "11.7"); evote verify exits 1."""
    report = verify(record)
    assert not report.ok
    failed = [s for s in report.steps if not s.ok and s.status is StepStatus.FAILED]
    assert failed, failed_steps(report)
    assert failed[0].number == step, [f"{s.number}: {s.error}" for s in failed]
    if match is not None:
        assert failed[0].error is not None
        assert match in failed[0].error, failed[0].error
    assert main(["verify", str(record)]) == 1
    return report


def assert_refused_at_load(record: Path) -> None:
    """The record was read and is wrong: InvalidRecord from load_record (not UnreadableRecord),
    and from evote verify a failed step 11.0 (record files), exit 1."""
    try:
        load_record(record)
    except UnreadableRecord as error:
        raise AssertionError(f"a forged record called unreadable: {error}") from error
    except InvalidRecord:
        pass
    else:
        raise AssertionError("load_record accepted the forged record")
    loaded, step = read_record(record)
    assert loaded is None and step.number == "11.0" and step.error_type == "InvalidRecord"
    assert main(["verify", str(record)]) == 1


def replace_entry(record: Path, world: World, position: int, payload: bytes) -> None:
    """Put ``payload`` in place of entry ``position`` (same kind), chain recomputed."""

    def edit(lines: list[Line]) -> None:
        lines[position - 1] = Line(lines[position - 1].kind, payload)

    forge_board(record, world, edit)


def insert_entry(record: Path, world: World, position: int, line: Line) -> None:
    """Insert ``line`` at ``position`` (the later entries move down), chain recomputed."""

    def edit(lines: list[Line]) -> None:
        lines.insert(position - 1, line)

    forge_board(record, world, edit)


#: Positions in the honest record: 1 setup, 2 open, 3-6 ballots (3 is voter 0's first,
#: superseded by 6), 7 close, 8 tally, 9 result.
SUPERSEDED, COUNTED, CLOSE, TALLY, RESULT = 3, 6, 7, 8, 9


def rewrite_ceremony(record: Path, world: World, change: Callable[[Any], None]) -> None:
    """Edit the ceremony result in the setup entry (and ceremony.json), chain recomputed."""
    holder: dict[str, Any] = {}

    def edit(lines: list[Line]) -> None:
        setup = jsonstrict.loads(lines[0].payload, "setup")
        change(setup["trustees"])
        holder["ceremony"] = setup["trustees"]
        lines[0] = Line(EntryKind.SETUP, jsonstrict.dumps(setup))

    forge_board(record, world, edit)
    (record / doc.CEREMONY).write_bytes(document_bytes(holder["ceremony"]))
    reseal_record(record)


def rewrite_event(
    record: Path, world: World, kind: EntryKind, change: Callable[[Any], None]
) -> None:
    """Edit the body of the (last) TALLY or RESULT event, chain and documents recomputed."""

    def edit(lines: list[Line]) -> None:
        for index in range(len(lines) - 1, -1, -1):
            if lines[index].kind is kind:
                payload = jsonstrict.loads(lines[index].payload, "event")
                change(payload["body"])
                lines[index] = Line(kind, jsonstrict.dumps(payload))
                return

    forge_board(record, world, edit)


def replace_share(record: Path, world: World, share: DecryptionShare) -> None:
    """Put ``share`` in place of its trustee's share in the TALLY event."""
    obj = jsonstrict.loads(decryption_share_to_json(world.group, world.election_id, share), "share")

    def change(body: Any) -> None:
        for index, item in enumerate(body["shares"]):
            if item["trustee"] == share.trustee:
                body["shares"][index] = obj

    rewrite_event(record, world, EntryKind.TALLY, change)


def tally_and_export(world: World, board: Board, directory: Path) -> Path:
    """Close ``board``'s election, tally it with every trustee, publish, export the record."""
    election_id = world.election_id
    board.close_election(election_id)
    tally = world.tally_of(board)
    shares = world.decryption_shares(tally)
    counts, combined = world.decrypt(tally, shares)
    publish_tally(board, world.election, world.ceremony, tally, shares, combined)
    publish_result(
        board, world.election, compute_result(world.election.manifest, counts, turnout_of(tally))
    )
    return export_record(board, election_id, directory)


def rewrite_setup(record: Path, world: World, change: Callable[[Any], None]) -> None:
    """Edit the setup entry (position 1) as JSON, chain and checkpoints recomputed."""

    def edit(lines: list[Line]) -> None:
        setup = jsonstrict.loads(lines[0].payload, "setup")
        change(setup)
        lines[0] = Line(EntryKind.SETUP, jsonstrict.dumps(setup))

    forge_board(record, world, edit)
