"""The published election record, as read back (docs/record-format.md).

:class:`ElectionRecord` is what :func:`evote.record.load.load_record` returns: the election's
public objects, decoded strictly and checked against the board's own entries (the setup entry
holds the manifest, group, key, credentials and ceremony; the tally and result entries hold
the tally, the decryption shares and the result). The board entries themselves are never held
in memory: :meth:`ElectionRecord.entries` streams ``board.jsonl`` afresh on every call.

Loading checks the record's structure (files, hashes, formats, types); it does not verify
proofs, signatures or the hash chain: that is the verifier's job (:mod:`evote.verify`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from evote.board.chain import BoardEntry, EntryKind
from evote.board.checkpoint import Checkpoint
from evote.ceremony.dkg import CeremonyResult
from evote.election import Election
from evote.record.jsonl import read_entries
from evote.tally.aggregate import EncryptedTally
from evote.tally.decryption import DecryptionShare
from evote.tally.mixnet import Mix
from evote.tally.result import ElectionResult

FORMAT_NAME: Final = "evote-record"
#: 2 since the board key is part of the election (election.json ``board_key``, the setup
#: payload's version 2); a reader refuses version 1 with one clear message.
FORMAT_VERSION: Final = 2
BOARD_FILE: Final = "board.jsonl"


@dataclass(frozen=True, slots=True)
class ElectionRecord:
    """One election's published record, loaded from ``path`` (a directory).

    ``tally``, ``shares`` and ``result`` are empty (``None``, ``()``) when the record was
    published before the tally. ``combined_trustees`` are the trustees whose shares the
    tallier combined (any t valid shares give the same result).
    """

    path: Path
    election: Election
    ceremony: CeremonyResult
    launch_code: str
    board_key: bytes
    checkpoints: tuple[Checkpoint, ...]
    tally: EncryptedTally | None
    shares: tuple[DecryptionShare, ...]
    result: ElectionResult | None
    entry_count: int = 0
    combined_trustees: tuple[int, ...] = ()
    #: The mix chain of the questions counted by the mixnet (docs/spec.md section 14): None
    #: when the tally is not published or the election has no such question.
    mixes: tuple[Mix, ...] | None = None

    @property
    def election_id(self) -> str:
        return self.election.election_id

    @property
    def board_path(self) -> Path:
        return self.path / BOARD_FILE

    def entries(self, *, index: bool = True) -> Iterator[BoardEntry]:
        """Stream every board entry from ``board.jsonl``, strictly parsed, in file order.

        Raises :class:`~evote.errors.InvalidRecord` naming ``board.jsonl``, the line and the
        field at the first malformed line. The chain is not checked here
        (:func:`evote.board.chain.verify_chain` does it). ``index=False`` leaves out the ballot
        hash and tracking code of ballot entries (a hash per ballot the caller does not need).
        """
        return read_entries(self.board_path, self.election_id, index=index)

    def ballot_lines(self) -> Iterator[tuple[int, bytes]]:
        """Stream (position, canonical ballot bytes) of every BALLOT entry, in board order."""
        for entry in self.entries(index=False):
            if entry.kind is EntryKind.BALLOT:
                yield entry.position, entry.payload
