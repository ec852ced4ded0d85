"""What the service reads from and writes to the board, apart from HTTP.

Every answer about the board's state is read from the database at each request (officers
change it with the ``evote`` command at any time); only what never changes is kept: an
election's setup (the Board caches it), its voter kit, and the record of a tallied election
(exported once, from then on immutable).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.encrypted import decode_ballot, parse_tracking_code
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.board.payloads import decode_spoiled
from evote.board.receipt import Receipt
from evote.board.schema import entries_table
from evote.board.storage import read_connection
from evote.board.store import BoardStore, Head
from evote.election import Election
from evote.errors import ElectionNotOpen, InvalidBallot
from evote.record import documents as doc
from evote.record.export import export_record
from evote.service.errors import NotFound, ServiceMisconfigured

LOG: Final = logging.getLogger("evote.service")

#: The state of an election from the kind of its last board entry (docs/spec.md 10.3).
STATE_OF_HEAD: Final = {
    EntryKind.SETUP: "setup",
    EntryKind.OPEN: "open",
    EntryKind.BALLOT: "open",
    EntryKind.SPOILED: "open",
    EntryKind.CLOSE: "closed",
    EntryKind.TALLY: "closed",
    EntryKind.RESULT: "tallied",
}
RECORD_ARCHIVE: Final = "record.tar.gz"
RECORD_FILES: Final = frozenset({doc.INDEX, *doc.KNOWN_FILES})


def state_of(head: Head) -> str:
    return STATE_OF_HEAD[head.kind]


@dataclass(frozen=True, slots=True)
class Counts:
    """Entries cast so far: ballots (revotes included), spoiled ballots, revotes."""

    ballots: int
    spoiled: int
    revotes: int


@dataclass(frozen=True, slots=True)
class BallotStatus:
    tracking_code: str
    position: int
    ballot_hash: bytes
    status: str

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "tracking_code": self.tracking_code,
            "position": self.position,
            "ballot_hash": jsonstrict.b64encode(self.ballot_hash),
            "status": self.status,
        }


class BoardView:
    """The service's one Board in this process, and the reads each endpoint needs."""

    def __init__(
        self,
        board: Board,
        signing_key: SigningKey | None,
        record_cache: Path | None = None,
    ) -> None:
        self.board = board
        self.signing_key = signing_key
        self._kits: dict[str, bytes] = {}
        self._counts: dict[str, tuple[tuple[int, bytes], Counts]] = {}
        self._own_cache = record_cache is None
        self.record_cache = (
            Path(tempfile.mkdtemp(prefix="evote-records-")) if record_cache is None
            else Path(record_cache)
        )  # fmt: skip
        self._export_lock = threading.Lock()

    def close(self) -> None:
        self.board.dispose()
        if self._own_cache:
            shutil.rmtree(self.record_cache, ignore_errors=True)

    # -- elections

    def election(self, election_id: str) -> Election:
        """The election (UnknownElection if the board has none of this id)."""
        return self.board.load_election(election_id)

    def head(self, election_id: str) -> Head:
        return self.board.head(election_id)

    def election_ids(self) -> list[str]:
        return self.board.election_ids()

    def counts(self, election_id: str, head: Head | None = None) -> Counts:
        """The counts at ``head`` (read if not given). Counted once per head and kept: the
        board is append-only, so the same head position means the same entries; counting a
        large board at every request would let any client load the database."""
        at = self.head(election_id) if head is None else head
        kept = self._counts.get(election_id)
        if kept is not None and kept[0] == (at.position, at.chain_hash):
            return kept[1]
        counts = self._count(election_id, at.position)
        self._counts[election_id] = ((at.position, at.chain_hash), counts)
        return counts

    def _count(self, election_id: str, last: int) -> Counts:
        entries = entries_table.c
        query = (
            sa.select(entries.kind, sa.func.count(), sa.func.count(sa.distinct(entries.credential)))
            .where(
                entries.election_id == election_id,
                entries.kind.in_([EntryKind.BALLOT.value, EntryKind.SPOILED.value]),
                entries.position <= last,
            )
            .group_by(entries.kind)
        )
        with read_connection(self.board.engine, f"counts of {election_id!r}") as connection:
            rows = {row[0]: (int(row[1]), int(row[2])) for row in connection.execute(query)}
        ballots, credentials = rows.get(EntryKind.BALLOT.value, (0, 0))
        spoiled, _ = rows.get(EntryKind.SPOILED.value, (0, 0))
        return Counts(ballots, spoiled, ballots - credentials)

    def summary(self, election_id: str) -> dict[str, Any]:
        election = self.election(election_id)
        head = self.head(election_id)
        counts = self.counts(election_id, head)
        manifest = election.manifest
        return {
            "election_id": election_id,
            "title": dict(manifest.title),
            "state": state_of(head),
            "fingerprint": election.fingerprint.hex(),
            "board_key": election.board_key.hex(),
            "group": election.group.name,
            "ballots": counts.ballots,
            "spoiled": counts.spoiled,
            "head": {"position": head.position, "chain_hash": head.chain_hash.hex()},
            "opens": manifest.opens.isoformat(),
            "closes": manifest.closes.isoformat(),
        }

    def listing(self) -> list[dict[str, Any]]:
        listed = []
        for election_id in self.election_ids():
            election = self.election(election_id)
            listed.append(
                {
                    "election_id": election_id,
                    "title": dict(election.manifest.title),
                    "state": state_of(self.head(election_id)),
                    "fingerprint": election.fingerprint.hex(),
                }
            )
        return listed

    def voter_kit(self, election_id: str) -> bytes:
        """The record's election.json, group.json and manifest.json, and the credential list's
        digest (docs/spec.md 7.4, hex): with it the device recomputes the fingerprint (6.3)
        without fetching the whole list."""
        kit = self._kits.get(election_id)
        if kit is None:
            record = self.board.setup_record(election_id)
            setup = self.board.entry_at(election_id, 1)
            manifest = doc.setup_body_without_entries(setup.payload)["manifest"]
            kit = jsonstrict.dumps(
                {
                    "election": doc.election_document(record.election, record.launch_code),
                    "group": doc.group_document(record.election.group),
                    "manifest": manifest,
                    "credential_list_digest": record.election.credentials.digest().hex(),
                }
            )
            self._kits[election_id] = kit
        return kit

    def head_document(self, election_id: str) -> dict[str, Any]:
        self.election(election_id)
        head = self.head(election_id)
        return {
            "election_id": election_id,
            "state": state_of(head),
            "position": head.position,
            "chain_hash": head.chain_hash.hex(),
        }

    def checkpoints_document(self, election_id: str) -> dict[str, Any]:
        election = self.election(election_id)
        checkpoints = self.board.checkpoints(election_id)
        return doc.checkpoints_document(election_id, election.board_key, checkpoints)

    # -- ballots

    def cast(self, election_id: str, data: bytes) -> tuple[Receipt, bool]:
        """Cast the ballot's canonical bytes; (receipt, True) if it was on the board already."""
        election = self.election(election_id)
        key = self.signing_key
        if key is None:
            raise ServiceMisconfigured(
                f"election {election_id!r}: this service was started without the board's"
                " signing key (--board-key), so it cannot sign receipts"
            )
        if not hmac.compare_digest(election.board_key, bytes(key.verify_key)):
            raise ServiceMisconfigured(
                f"election {election_id!r} names another board key than the one this service"
                " was started with (--board-key)"
            )
        return self.board.cast_ballot(election_id, data)

    def spoil(self, election_id: str, data: bytes) -> BallotStatus:
        """Publish a Benaloh-audited ballot (docs/spec.md 6.7, 10.3) from the request body
        ``{"audit", "ballot"}`` (the spoiled entry's payload: the ballot's canonical bytes in
        base64 and the revealed audit). The board publishes only an audit that holds
        (``Board.spoil`` runs ``check_audit``) and refuses the others with InvalidBallot (the
        voter's device keeps its audit to show). Nothing is written on any error.
        """
        election = self.election(election_id)
        ballot_bytes, revealed = decode_spoiled(data, "audit request", InvalidBallot)
        ballot = decode_ballot(election, ballot_bytes)
        entry = self.board.spoil(election_id, ballot, revealed)
        return BallotStatus(ballot.tracking_code, entry.position, ballot.ballot_hash(), "spoiled")

    def ballot_status(self, election_id: str, typed_code: str) -> BallotStatus:
        """The ballot with this tracking code: counted, superseded by a revote, or spoiled."""
        code = parse_tracking_code(typed_code)
        self.election(election_id)
        entry = self.board.ballot_by_tracking_code(election_id, code)
        if entry.ballot_hash is None:
            raise NotFound(f"election {election_id!r}: entry {entry.position} is not a ballot")
        if entry.kind is EntryKind.SPOILED or entry.credential is None:
            status = "spoiled"
        else:
            with read_connection(self.board.engine, f"ballot {code}") as connection:
                last = BoardStore.last_position_of(connection, election_id, entry.credential)
            status = "counted" if last == entry.position else "superseded"
        return BallotStatus(code, entry.position, entry.ballot_hash, status)

    # -- the record

    def record_directory(self, election_id: str) -> Path:
        """The record exported at the current head (once closed), from the cache when it is
        there: the head's position and chain hash name it, so a later step exports anew."""
        self.election(election_id)
        head = self.head(election_id)
        state = state_of(head)
        if state not in ("closed", "tallied"):
            raise ElectionNotOpen(
                f"election {election_id!r} is {state}: its record is published once it is closed"
            )
        name = hashlib.sha256(election_id.encode()).hexdigest()[:32]
        target = self.record_cache / name / f"{head.position}-{head.chain_hash.hex()[:32]}"
        # The archive is written last: once it is there, the directory is complete.
        if _archive_of(target).is_file():
            return target
        with self._export_lock:
            if not _archive_of(target).is_file():
                LOG.info("exporting the record of %r at position %d", election_id, head.position)
                self._export(election_id, target)
        return target

    def _export(self, election_id: str, target: Path) -> None:
        """Export into scratch names, then rename: another worker sharing the cache directory
        may export the same head at the same time, and the first complete one stays."""
        token = secrets.token_hex(4)
        scratch = target.parent / f".{target.name}.{token}"
        scratch_archive = target.parent / f".{target.name}.{token}.tar.gz"
        try:
            export_record(self.board, election_id, scratch, archive=scratch_archive)
            try:
                scratch.rename(target)
            except OSError:
                if not (target / doc.INDEX).is_file():
                    raise
            os.replace(scratch_archive, _archive_of(target))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            scratch_archive.unlink(missing_ok=True)

    def record_archive(self, election_id: str) -> Path:
        return _archive_of(self.record_directory(election_id))

    def record_file(self, election_id: str, name: str) -> Path:
        if name not in RECORD_FILES:
            raise NotFound(
                f"{name[:64]!r} is not a file of the record (docs/record-format.md lists them)"
            )
        path = self.record_directory(election_id) / name
        if not path.is_file():
            raise NotFound(f"election {election_id!r}: the record has no {name} yet")
        return path

    def result(self, election_id: str) -> bytes:
        self.election(election_id)
        state = state_of(self.head(election_id))
        if state != "tallied":
            raise NotFound(f"election {election_id!r} has no result yet (it is {state})")
        return self.record_file(election_id, doc.RESULT).read_bytes()

    def is_immutable(self, election_id: str) -> bool:
        return state_of(self.head(election_id)) == "tallied"


def _archive_of(directory: Path) -> Path:
    return directory.parent / f"{directory.name}.tar.gz"
