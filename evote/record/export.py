"""Export one election's complete public record from the board (docs/record-format.md).

Everything comes from the board: the setup entry (manifest, group, key, credentials, the
ceremony's public data, launch code), the TALLY and RESULT events (encrypted tally, decryption
shares, result; see :mod:`evote.record.publish`), every entry with its chain hash, and the
signed checkpoints. Nothing else is read, so nothing personal can leak in: the board never
holds a voter's name, address or the registrar's voter-to-credential mapping.

The record is written into a fresh directory next to ``out`` and renamed into place once
complete and read back (:func:`evote.record.load.load_record`), so a reader never sees a
half-written record, and an export that the loader would refuse never appears.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from evote import jsonstrict
from evote.board.chain import EntryKind
from evote.board.setup import decode_setup
from evote.errors import InvalidInput, InvalidRecord
from evote.record import documents as doc
from evote.record.archive import archive_format, write_archive
from evote.record.jsonl import entry_line, event_body
from evote.record.load import load_directory
from evote.record.strict import document_bytes

if TYPE_CHECKING:
    # The caller's board: exporting reads through it; importing the record needs no database.
    from evote.board.board import Board


class _HashingWriter:
    """Writes a file and keeps its size and SHA-256."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.hasher.update(data)
        self.size += len(data)


def export_record(
    board: Board,
    election_id: str,
    out: Path,
    *,
    archive: Path | None = None,
    check: bool = True,
    generator: str = doc.GENERATOR,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write ``election_id``'s public record into the directory ``out``; return ``out``.

    ``out`` must not exist or be an empty directory. With ``archive`` (a path ending in
    ``.tar.gz``, ``.tgz`` or ``.zip``) the same files are also written as one archive. With
    ``check`` (the default) the record is loaded back strictly before it is moved into place.
    ``generator`` is what ``record.json`` names as the program that wrote the record
    (information only; the default, ``evote VERSION``, suits every use but fixed test records).
    The board is streamed: memory stays bounded whatever the number of ballots; ``progress``,
    if given, is called with 1 for each board entry written (a progress bar). Raises
    InvalidInput (``out`` not empty, the board's key unknown), UnknownElection, InvalidRecord.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out}: exists and is not an empty directory")
    if archive is not None:
        archive_format(Path(archive))
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    scratch.mkdir()
    try:
        _write_record(board, election_id, scratch, generator, progress)
        if check:
            load_directory(scratch)
        if out.exists():
            out.rmdir()
        scratch.rename(out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if archive is not None:
        write_archive(out, Path(archive))
    return out


def _write_record(
    board: Board,
    election_id: str,
    directory: Path,
    generator: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    # Checkpoints first: the entries read afterwards reach at least every checkpoint's head.
    checkpoints = board.checkpoints(election_id)
    board_key = checkpoints[0].board_key if checkpoints else board.board_key
    if board_key is None:
        raise InvalidInput(
            f"election {election_id!r}: the board's public key is unknown (no checkpoint yet,"
            " and the Board was given no signing key)"
        )
    files: list[tuple[str, int, str]] = []
    setup_payload, events = _write_board(board, election_id, directory, files, progress)
    setup = decode_setup(setup_payload, f"election {election_id!r}: setup entry")
    election = setup.election
    # The manifest as the setup entry spells it; the credential list streamed from its
    # compact form: no JSON tree of a million credentials is built.
    setup_body = doc.setup_body_without_entries(setup_payload)
    del setup_payload
    documents: list[tuple[str, Any]] = [
        (doc.GROUP, doc.group_document(election.group)),
        (doc.MANIFEST, setup_body["manifest"]),
        (doc.ELECTION, doc.election_document(election, setup.launch_code)),
        (doc.CEREMONY, setup_body["trustees"]),
        (doc.CHECKPOINTS, doc.checkpoints_document(election_id, board_key, checkpoints)),
    ]
    documents += [(name, body) for name, body in events.items()]
    for name, value in documents:
        files.append(_write_file(directory / name, [document_bytes(value)]))
    files.append(
        _write_file(directory / doc.CREDENTIALS, doc.credentials_document_chunks(election))
    )
    index = doc.index_document(election_id, files, generator)
    _write_file(directory / doc.INDEX, [document_bytes(index)])


def _write_board(
    board: Board,
    election_id: str,
    directory: Path,
    files: list[tuple[str, int, str]],
    progress: Callable[[int], None] | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Stream board.jsonl; return the setup payload and the bodies of the last TALLY/RESULT."""
    setup_payload: bytes | None = None
    events: dict[str, Any] = {}
    path = directory / doc.BOARD
    with path.open("xb") as stream:
        writer = _HashingWriter(stream)
        for entry in board.entries(election_id):
            writer.write(entry_line(entry))
            if progress is not None:
                progress(1)
            if entry.kind is EntryKind.SETUP:
                setup_payload = entry.payload
            elif entry.kind is EntryKind.TALLY:
                events[doc.TALLY] = event_body(entry, entry.position)
            elif entry.kind is EntryKind.RESULT:
                events[doc.RESULT] = event_body(entry, entry.position)
        stream.flush()
        os.fsync(stream.fileno())
    if setup_payload is None:
        raise InvalidInput(f"election {election_id!r}: the board has no setup entry")
    files.append((doc.BOARD, writer.size, writer.hasher.hexdigest()))
    return setup_payload, events


def _write_file(path: Path, chunks: Iterable[bytes]) -> tuple[str, int, str]:
    with path.open("xb") as stream:
        writer = _HashingWriter(stream)
        for chunk in chunks:
            writer.write(chunk)
        stream.flush()
        os.fsync(stream.fileno())
    return path.name, writer.size, writer.hasher.hexdigest()


def reseal_record(directory: Path) -> None:
    """Rewrite ``record.json`` of ``directory`` from the files there now (sizes, SHA-256).

    For tests that alter a record on purpose (a verifier must then find the fault in the
    content, not in the hashes); never part of publishing.
    """
    directory = Path(directory)
    index = jsonstrict.loads((directory / doc.INDEX).read_bytes(), doc.INDEX, InvalidRecord)
    files = []
    for path in sorted(directory.iterdir()):
        if path.name == doc.INDEX:
            continue
        data = path.read_bytes()
        files.append((path.name, len(data), hashlib.sha256(data).hexdigest()))
    generator = str(index.get("generator", doc.GENERATOR))
    rewritten = doc.index_document(str(index["election_id"]), files, generator)
    (directory / doc.INDEX).write_bytes(document_bytes(rewritten))
