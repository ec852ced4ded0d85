"""Strict import of a published record (docs/record-format.md section "Reading a record").

:func:`load_record` reads a record directory, or an archive (through
:mod:`evote.record.archive`), in this order, and raises :class:`~evote.errors.InvalidRecord`
``<file>: line <n>: <field>: <what>`` at the first fault:

1. ``record.json`` (a regular file, opened without blocking): format name and version, the
   list of files;
2. the directory holds exactly ``record.json`` and the listed files (regular files, no links);
   each file's size (from ``fstat``, before it is read) and SHA-256 are those listed;
3. ``board.jsonl``, streamed: every line strictly parsed, positions 1, 2, ... in order, line 1
   the setup entry, the last TALLY entry and the RESULT entry kept;
4. the election, rebuilt from the setup entry (:func:`evote.board.setup.decode_setup`);
5. every document decoded strictly and compared with what the board says: a document that
   differs from the board's entries is refused, so the record cannot say two things.

What makes nothing judgeable (no such path, permission denied, not a directory or an archive,
no record.json) raises :class:`~evote.errors.UnreadableRecord`, a subclass of InvalidRecord: a
caller that must tell "cannot read" from "read and wrong" (the verifier's step 11.0) catches
it first. Proofs, signatures and the hash chain are *not* checked here: that is the
verifier's job.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

from evote import jsonstrict
from evote.ballots.credentials import CredentialList
from evote.ballots.manifest import manifest_from_json_obj
from evote.board.chain import BoardEntry, EntryKind
from evote.board.setup import SetupRecord, decode_setup
from evote.ceremony.dkg import CeremonyResult
from evote.ceremony.wire import ceremony_result_from_json
from evote.election import Election
from evote.errors import EvoteError, InvalidRecord, UnreadableRecord
from evote.record import documents as doc
from evote.record.archive import extract_archive
from evote.record.jsonl import event_body, parse_line, read_lines
from evote.record.model import ElectionRecord
from evote.record.publish import (
    PublishedTally,
    published_tally_from_json_obj,
    result_from_json_obj,
    wrapped,
)
from evote.record.strict import DOCUMENT_LINE, fail, open_regular, parse_document

_T = TypeVar("_T")
#: A document (credentials.json of a million voters is ~70 MB).
MAX_DOCUMENT_BYTES: Final = 256 * 1024 * 1024
HASH_CHUNK: Final = 1 << 20


def load_record(path: Path) -> ElectionRecord:
    """Load a record directory or archive (``.tar.gz``, ``.tgz``, ``.zip``); see the module doc.

    Raises :class:`~evote.errors.UnreadableRecord` (an InvalidRecord) when nothing could be
    judged: no such path, permission denied, neither a directory nor an archive, no
    ``record.json``; InvalidRecord when the record was read and something in it is wrong.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as fault:
        raise UnreadableRecord(f"{path}: cannot be read ({fault.strerror})") from fault
    if stat.S_ISDIR(mode):
        return load_directory(path)
    if stat.S_ISREG(mode):
        return load_directory(extract_archive(path))
    raise UnreadableRecord(f"{path}: not a record (expected a directory or an archive file)")


def read_index_file(directory: Path) -> tuple[str, dict[str, tuple[int, str, str]]]:
    """record.json of ``directory``: (election id, {name: (size, SHA-256 hex, field)}).

    A directory without a readable ``record.json`` regular file is not a record at all
    (UnreadableRecord); a record.json that is read and wrong raises InvalidRecord.
    """
    try:
        stream, _ = open_regular(directory / doc.INDEX, doc.INDEX)
    except UnreadableRecord as fault:
        raise UnreadableRecord(f"{directory}: not a record: {fault}") from fault
    except InvalidRecord as fault:
        raise UnreadableRecord(f"{directory}: not a record: {fault}") from fault
    with stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        fail(doc.INDEX, DOCUMENT_LINE, "record", f"larger than {MAX_DOCUMENT_BYTES} bytes")
    return doc.read_index(parse_document(data, doc.INDEX, "record", MAX_DOCUMENT_BYTES))


def load_directory(directory: Path) -> ElectionRecord:
    election_id, listed = read_index_file(directory)
    _check_listing(directory, listed)
    for name, (size, digest, field) in sorted(listed.items()):
        _check_hash(directory / name, name, size, digest, field)
    scan = _scan_board(directory / doc.BOARD, election_id)
    setup = scan.setup
    election = setup.election
    if election.election_id != election_id:
        fail(doc.INDEX, DOCUMENT_LINE, "record.election_id", "differs from the setup entry's")
    _check_group(directory, election)
    _check_manifest(directory, election, scan.setup_body)
    _check_election(directory, doc.election_document(election, setup.launch_code))
    _check_credentials(directory, election)
    ceremony = _check_ceremony(directory, setup)
    board_key, checkpoints = doc.read_checkpoints(
        _read_file_document(directory, doc.CHECKPOINTS, "checkpoints"), election_id
    )
    published = _check_tally(directory, election, scan, listed)
    result = None
    if scan.result is not None:
        _require_listed(listed, doc.RESULT, scan.result[0])
        body = _event(scan.result)
        value = _read_file_document(directory, doc.RESULT, "result")
        result = _wrap_errors(doc.RESULT, lambda: result_from_json_obj(value, election, "result"))
        _compare(value, body, doc.RESULT, "result", f"the RESULT entry (line {scan.result[0]})")
    elif doc.RESULT in listed:
        fail(doc.INDEX, DOCUMENT_LINE, listed[doc.RESULT][2], "result.json but no RESULT entry")
    return ElectionRecord(
        path=directory,
        election=election,
        ceremony=ceremony,
        launch_code=setup.launch_code,
        board_key=board_key,
        checkpoints=checkpoints,
        tally=None if published is None else published.tally,
        shares=() if published is None else published.shares,
        result=result,
        entry_count=scan.count,
        combined_trustees=() if published is None else published.combined,
        mixes=None if published is None else published.mixes,
    )


# -- files ------------------------------------------------------------------------------------


def _read_file_document(directory: Path, name: str, root: str) -> Any:
    stream, _ = open_regular(directory / name, name)
    with stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        fail(name, DOCUMENT_LINE, root, f"larger than {MAX_DOCUMENT_BYTES} bytes")
    return parse_document(data, name, root, MAX_DOCUMENT_BYTES)


def _check_listing(directory: Path, listed: dict[str, tuple[int, str, str]]) -> None:
    """Exactly record.json and the listed files, as regular files; the required ones listed."""
    present = set()
    for item in sorted(directory.iterdir()):
        mode = item.lstat().st_mode
        if item.name != doc.INDEX and item.name not in listed:
            fail(
                doc.INDEX,
                DOCUMENT_LINE,
                "record.files",
                f"{item.name} is in the record but "
                "not listed (a record holds only the listed files)",
            )
        if not stat.S_ISREG(mode):
            fail(item.name, DOCUMENT_LINE, "(file)", "not a regular file (links are refused)")
        present.add(item.name)
    for name, (_, _, field) in sorted(listed.items(), key=lambda item: item[1][2]):
        if name not in present:
            fail(doc.INDEX, DOCUMENT_LINE, f"{field}.name", f"{name} is listed but missing")
    for name in doc.REQUIRED_FILES:
        if name not in listed:
            fail(doc.INDEX, DOCUMENT_LINE, "record.files", f"{name} is required but not listed")


def _check_hash(path: Path, name: str, size: int, digest: str, field: str) -> None:
    """The size first (from ``fstat``: a huge sparse file is refused unread), then the hash."""
    hasher = hashlib.sha256()
    stream, length = open_regular(path, name)
    with stream:
        if length == size:
            length = 0
            # One byte beyond the declared size is enough to know that the file grew.
            while length <= size and (chunk := stream.read(min(HASH_CHUNK, size + 1 - length))):
                hasher.update(chunk)
                length += len(chunk)
    if length != size:
        wrong_size(name, length, size, field)
    if hasher.hexdigest() != digest:
        fail(
            doc.INDEX,
            DOCUMENT_LINE,
            f"{field}.sha256",
            f"the SHA-256 of {name} is {hasher.hexdigest()}, record.json says {digest}",
        )


def wrong_size(name: str, length: int, size: int, field: str) -> NoReturn:
    """The InvalidRecord of a listed file whose size is not the one record.json declares."""
    fail(doc.INDEX, DOCUMENT_LINE, f"{field}.size",
         f"{name} has {length} bytes, record.json says {size}")  # fmt: skip


def _require_listed(listed: dict[str, tuple[int, str, str]], name: str, line: int) -> None:
    if name not in listed:
        fail(
            doc.INDEX,
            DOCUMENT_LINE,
            "record.files",
            f"{name} is missing, though board.jsonl line {line} has its entry",
        )


# -- board.jsonl ------------------------------------------------------------------------------


class _BoardScan:
    """What the one pass over board.jsonl keeps: the setup, the last tally, the result."""

    def __init__(self, setup: SetupRecord, setup_body: Any) -> None:
        self.setup = setup
        self.setup_body = setup_body
        self.tally: tuple[int, BoardEntry] | None = None
        self.result: tuple[int, BoardEntry] | None = None
        self.count = 1


def _scan_board(path: Path, election_id: str) -> _BoardScan:
    scan: _BoardScan | None = None
    stream, _ = open_regular(path, doc.BOARD)
    with stream:
        for number, raw in read_lines(stream):
            entry = parse_line(raw, number, election_id, index=False)
            if scan is None:
                scan = _first_entry(entry)
                continue
            scan.count = number
            if entry.kind is EntryKind.SETUP:
                fail(doc.BOARD, number, "entry.kind", "a second setup entry")
            if scan.result is not None:
                fail(doc.BOARD, number, "entry.kind", f"{entry.kind.value!r} after the result")
            if entry.kind is EntryKind.TALLY:
                scan.tally = (number, entry)
            elif entry.kind is EntryKind.RESULT:
                scan.result = (number, entry)
    if scan is None:
        fail(doc.BOARD, 1, "entry", "the board is empty (line 1 must be the setup entry)")
    return scan


def _first_entry(entry: BoardEntry) -> _BoardScan:
    if entry.kind is not EntryKind.SETUP:
        fail(doc.BOARD, 1, "entry.kind", f"{entry.kind.value!r}: line 1 must be the setup entry")
    where = f"{doc.BOARD}: line 1: entry.payload"
    try:
        setup = decode_setup(entry.payload, where)
    except InvalidRecord:
        raise
    except EvoteError as fault:
        raise InvalidRecord(f"{where}: {wrapped(fault)}") from fault
    body = doc.setup_body_without_entries(entry.payload)
    return _BoardScan(setup, {"manifest": body["manifest"]})


def _event(found: tuple[int, BoardEntry]) -> Any:
    line, entry = found
    return event_body(entry, line)


# -- the documents against the board ----------------------------------------------------------


def _wrap_errors(file: str, decode: Callable[[], _T]) -> _T:
    """Run ``decode``; an error from another layer becomes InvalidRecord naming ``file``."""
    prefix = f"{file}: line {DOCUMENT_LINE}: "
    try:
        return decode()
    except InvalidRecord as fault:
        if str(fault).startswith(prefix):
            raise
        raise InvalidRecord(prefix + str(fault)) from fault
    except EvoteError as fault:
        raise InvalidRecord(prefix + wrapped(fault)) from fault


def _check_group(directory: Path, election: Election) -> None:
    group = doc.read_group(_read_file_document(directory, doc.GROUP, "group"))
    if group is not election.group:
        fail(
            doc.GROUP,
            DOCUMENT_LINE,
            "group.name",
            f"{group.name!r}, the setup entry says {election.group.name!r}",
        )


def _check_manifest(directory: Path, election: Election, setup_body: Any) -> None:
    value = _read_file_document(directory, doc.MANIFEST, "manifest")
    _wrap_errors(doc.MANIFEST, lambda: manifest_from_json_obj(value))
    _compare(value, setup_body["manifest"], doc.MANIFEST, "manifest", "the setup entry (line 1)")


def _check_election(directory: Path, expected: dict[str, Any]) -> None:
    value = _read_file_document(directory, doc.ELECTION, "election")
    jsonstrict.Reader(InvalidRecord).object(
        value, f"{doc.ELECTION}: line {DOCUMENT_LINE}: election", tuple(expected)
    )
    doc.read_head(value, doc.ELECTION, "election", "election", expected["election_id"])
    _compare(value, expected, doc.ELECTION, "election", "the setup entry (line 1)")


def _check_credentials(directory: Path, election: Election) -> None:
    """credentials.json is the setup entry's list, byte for byte (streamed, no JSON tree).

    A document that differs is read again the strict way, to name the first faulty field.
    """
    if _same_bytes(directory / doc.CREDENTIALS, doc.credentials_document_chunks(election)):
        return
    _check_credentials_strictly(directory, election)
    fail(doc.CREDENTIALS, DOCUMENT_LINE, "credentials", "differs from the setup entry (line 1)")


def _same_bytes(path: Path, expected: Iterable[bytes]) -> bool:
    """Whether the file at ``path`` holds exactly the concatenation of ``expected``."""
    stream, _ = open_regular(path, path.name)
    with stream:
        for piece in expected:
            if stream.read(len(piece)) != piece:
                return False
        return stream.read(1) == b""


def _check_credentials_strictly(directory: Path, election: Election) -> None:
    value = _read_file_document(directory, doc.CREDENTIALS, "credentials")
    root = "credentials"
    fields = jsonstrict.Reader(InvalidRecord).object(
        value,
        f"{doc.CREDENTIALS}: line {DOCUMENT_LINE}: {root}",
        ("kind", "version", "election_id", "group", "entries"),
    )
    expected = doc.credentials_document(election)
    doc.read_head(fields, doc.CREDENTIALS, root, "credential-list", election.election_id)
    listed = {"group": fields["group"], "entries": fields["entries"]}
    _wrap_errors(
        doc.CREDENTIALS, lambda: CredentialList.from_json_obj(election.group, listed, root)
    )
    _compare(value, expected, doc.CREDENTIALS, root, "the setup entry (line 1)")


def _check_ceremony(directory: Path, setup: SetupRecord) -> CeremonyResult:
    value = _read_file_document(directory, doc.CEREMONY, "ceremony")
    ceremony = _wrap_errors(
        doc.CEREMONY, lambda: ceremony_result_from_json(jsonstrict.dumps(value), "ceremony")
    )
    _compare(value, setup.trustees, doc.CEREMONY, "ceremony", "the setup entry's trustees (line 1)")
    return ceremony


def _check_tally(
    directory: Path, election: Election, scan: _BoardScan, listed: dict[str, tuple[int, str, str]]
) -> PublishedTally | None:
    if scan.tally is None:
        if doc.TALLY in listed:
            fail(doc.INDEX, DOCUMENT_LINE, listed[doc.TALLY][2], "tally.json but no TALLY entry")
        return None
    line = scan.tally[0]
    _require_listed(listed, doc.TALLY, line)
    body = _event(scan.tally)
    value = _read_file_document(directory, doc.TALLY, "tally")
    published = _wrap_errors(
        doc.TALLY, lambda: published_tally_from_json_obj(value, election, "tally")
    )
    _compare(value, body, doc.TALLY, "tally", f"the last TALLY entry (line {line})")
    return published


def _compare(found: Any, expected: Any, file: str, root: str, source: str) -> None:
    difference = first_difference(found, expected, root)
    if difference is not None:
        field, what = difference
        fail(file, DOCUMENT_LINE, field, f"{what}: differs from {source} of board.jsonl")


def first_difference(found: Any, expected: Any, path: str) -> tuple[str, str] | None:
    """The path of the first place where two JSON values differ, and how."""
    if type(found) is not type(expected):
        return path, f"a {type(found).__name__} where a {type(expected).__name__} belongs"
    if isinstance(found, dict):
        for key in sorted(set(found) | set(expected)):
            if key not in expected:
                return f"{path}.{key}", "unknown field"
            if key not in found:
                return f"{path}.{key}", "missing field"
            difference = first_difference(found[key], expected[key], f"{path}.{key}")
            if difference is not None:
                return difference
        return None
    if isinstance(found, list):
        for i, (a, b) in enumerate(zip(found, expected, strict=False)):
            difference = first_difference(a, b, f"{path}[{i}]")
            if difference is not None:
                return difference
        if len(found) != len(expected):
            return path, f"{len(found)} items, expected {len(expected)}"
        return None
    if found != expected:
        return path, "another value"
    return None
