"""Export and strict import of the published record, on both groups."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote import __version__, jsonstrict
from evote.ballots.credentials import parse_credential_code
from evote.board.board import Board
from evote.board.chain import EntryKind, genesis_hash, verify_chain
from evote.crypto.groups import ED25519
from evote.errors import (
    ContextMismatch,
    InvalidInput,
    InvalidProof,
    InvalidRecord,
    UnreadableRecord,
)
from evote.record import (
    ElectionRecord,
    export_record,
    load_record,
    publish_result,
    publish_tally,
    reseal_record,
)
from evote.record import archive as archive_module
from evote.tally.decryption import CombinedTally, DecryptionShare
from evote.verify import verify_record
from tests.record.conftest import ELECTION_ID, VOTERS, Published, run_election

# -- helpers ----------------------------------------------------------------------------------


def read_doc(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_bytes())


def write_doc(directory: Path, name: str, value: Any, reseal: bool = True) -> None:
    (directory / name).write_bytes(jsonstrict.dumps(value) + b"\n")
    if reseal:
        reseal_record(directory)


def edit_doc(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    value = read_doc(directory, name)
    change(value)
    write_doc(directory, name, value)


def board_lines(directory: Path) -> list[bytes]:
    return (directory / "board.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(directory: Path, lines: list[bytes]) -> None:
    (directory / "board.jsonl").write_bytes(b"".join(lines))
    reseal_record(directory)


def edit_line(directory: Path, number: int, change: Callable[[dict[str, Any]], None]) -> None:
    lines = board_lines(directory)
    value = json.loads(lines[number - 1])
    change(value)
    lines[number - 1] = jsonstrict.dumps(value) + b"\n"
    write_lines(directory, lines)


def refused(path: Path, *parts: str) -> str:
    with pytest.raises(InvalidRecord) as caught:
        load_record(path)
    message = str(caught.value)
    for part in parts:
        assert part in message, (part, message)
    return message


def same_record(a: ElectionRecord, b: ElectionRecord) -> None:
    assert a.election == b.election
    assert a.election.fingerprint == b.election.fingerprint
    assert a.ceremony == b.ceremony
    assert a.launch_code == b.launch_code
    assert a.board_key == b.board_key
    assert a.checkpoints == b.checkpoints
    assert a.tally == b.tally
    assert a.shares == b.shares
    assert a.result == b.result
    assert a.combined_trustees == b.combined_trustees
    assert list(a.entries()) == list(b.entries())


# -- round trips ------------------------------------------------------------------------------


def test_round_trip_gives_the_board_objects(published: Published) -> None:
    record = load_record(published.record)
    assert record.election == published.election
    assert record.election.fingerprint == published.election.fingerprint
    assert record.ceremony == published.ceremony
    assert record.result == published.result
    assert record.combined_trustees == (1, 3)
    assert [share.trustee for share in record.shares] == [1, 3]
    assert record.tally is not None and record.tally.ballot_count == 4
    with published.board() as board:
        assert record.checkpoints == tuple(board.checkpoints(ELECTION_ID))
        assert record.board_key == board.board_key
        assert record.launch_code == board.setup_record(ELECTION_ID).launch_code
        on_board = list(board.entries(ELECTION_ID))
        head = board.verify(ELECTION_ID)
    loaded = list(record.entries())
    assert record.entry_count == len(on_board) == len(loaded)
    for mine, theirs in zip(loaded, on_board, strict=True):
        assert (mine.position, mine.kind, mine.payload, mine.payload_hash, mine.chain_hash) == (
            theirs.position,
            theirs.kind,
            theirs.payload,
            theirs.payload_hash,
            theirs.chain_hash,
        )
        if theirs.kind is EntryKind.BALLOT:
            assert (mine.tracking_code, mine.ballot_hash) == (
                theirs.tracking_code,
                theirs.ballot_hash,
            )
    genesis = genesis_hash(ELECTION_ID, record.election.fingerprint, record.launch_code)
    assert verify_chain(record.entries(), genesis) == head
    ballots = list(record.ballot_lines())
    assert [position for position, _ in ballots] == [
        entry.position for entry in on_board if entry.kind is EntryKind.BALLOT
    ]


def test_entries_are_streamed_afresh_each_time(published: Published) -> None:
    record = load_record(published.record)
    first = record.entries()
    assert next(first).kind is EntryKind.SETUP
    assert list(record.entries()) == list(load_record(published.record).entries())


@pytest.mark.parametrize("which", [0, 1], ids=["tar.gz", "zip"])
def test_archive_round_trip(published: Published, which: int) -> None:
    same_record(load_record(published.archives[which]), load_record(published.record))


def test_export_is_reproducible(published: Published, tmp_path: Path) -> None:
    again = published.record.parent / "record-again"
    for path in published.record.iterdir():
        assert path.read_bytes() == (again / path.name).read_bytes()
    archive_module.write_archive(published.record, tmp_path / "a.tar.gz")
    archive_module.write_archive(again, tmp_path / "b.tar.gz")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()


def test_record_before_the_tally(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    published = run_election(ED25519, tmp_path / "full")
    # A second election on a new board, stopped after closing: no tally.json, no result.json.
    with Board(str(tmp_path / "open.sqlite"), published.board_key) as board:
        board.setup(published.election, load_record(published.record).ceremony)
        board.open_election(ELECTION_ID)
        record = export_record(board, ELECTION_ID, tmp_path / "early")
    names = {path.name for path in record.iterdir()}
    assert "tally.json" not in names and "result.json" not in names
    loaded = load_record(record)
    assert (loaded.tally, loaded.shares, loaded.result) == (None, (), None)
    assert loaded.entry_count == 2


# -- no personal data -------------------------------------------------------------------------


# A run of base64 (group elements, proofs, hashes): random letters in which a short name, read
# without case, turns up by chance (a 5-letter needle in a modp4096 record: a few per cent).
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")


def _all_bytes(directory: Path) -> bytes:
    """Every file's bytes, plus every board payload decoded from base64."""
    blobs = []
    for path in sorted(directory.iterdir()):
        blobs.append(path.read_bytes())
    for line in board_lines(directory):
        blobs.append(base64.b64decode(json.loads(line)["payload"]))
    return b"\n".join(blobs)


def test_no_personal_data_in_the_record(published: Published) -> None:
    raw = _all_bytes(published.record)
    # Names and addresses are sought without case, outside base64; codes (20 symbols and more,
    # never a chance match) in every byte, as written and in lower case.
    text = _BASE64_RUN.sub(b" ", raw).lower()
    for archive in published.archives:
        assert archive.stat().st_size > 0
    for voter in VOTERS:
        name, address = voter[:-1].split(" <")
        for needle in (voter, name, address, address.split("@")[0], name.split()[0]):
            assert needle.lower().encode() not in text, needle
    assert b"example." not in text
    for code in published.codes.values():
        for form in (code, parse_credential_code(code), code.replace("-", "")):
            for spelling in (form, form.lower()):
                assert spelling.encode() not in raw, "a credential code leaked"


# -- strictness -------------------------------------------------------------------------------


def _drop_manifest(d: Path) -> None:
    (d / "manifest.json").unlink()


def _record_version(d: Path) -> None:
    value = read_doc(d, "record.json")
    value["version"] = 3
    write_doc(d, "record.json", value, reseal=False)


def _record_generator(value: object) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        index = read_doc(d, "record.json")
        index["generator"] = value
        write_doc(d, "record.json", index, reseal=False)

    return mutate


def _record_unknown_field(d: Path) -> None:
    index = read_doc(d, "record.json")
    index["writer"] = "evote 0.1.0"
    write_doc(d, "record.json", index, reseal=False)


def _record_version_1(d: Path) -> None:
    value = read_doc(d, "record.json")
    value["version"] = 1
    write_doc(d, "record.json", value, reseal=False)


def _document_version(d: Path) -> None:
    edit_doc(d, "election.json", lambda v: v.update(version=2))


def _wrong_type_document(d: Path) -> None:
    edit_doc(d, "election.json", lambda v: v.update(launch_code=12))


def _wrong_type_line(d: Path) -> None:
    edit_line(d, 3, lambda v: v.update(position="3"))


def _unknown_field_document(d: Path) -> None:
    edit_doc(d, "manifest.json", lambda v: v.update(comment="hello"))


def _unknown_field_line(d: Path) -> None:
    edit_line(d, 4, lambda v: v.update(note="x"))


def _unknown_field_tally(d: Path) -> None:
    edit_doc(d, "tally.json", lambda v: v["encrypted_tally"].update(extra=1))


def _duplicate_key(d: Path) -> None:
    data = (d / "tally.json").read_bytes()
    (d / "tally.json").write_bytes(
        data.replace(b'{"combined":[1,3],', b'{"combined":[1,3],"combined":[1,3],')
    )
    reseal_record(d)


def _duplicate_key_line(d: Path) -> None:
    lines = board_lines(d)
    lines[1] = lines[1].replace(b'"kind":"open",', b'"kind":"open","kind":"open",')
    write_lines(d, lines)


def _oversized_integer(d: Path) -> None:
    data = (d / "result.json").read_bytes()
    (d / "result.json").write_bytes(re.sub(rb'"ballots":\d+', b'"ballots":' + b"9" * 100, data))
    reseal_record(d)


def _truncated_line(d: Path) -> None:
    lines = board_lines(d)
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    write_lines(d, lines)


def _cut_line(d: Path) -> None:
    lines = board_lines(d)
    lines[4] = lines[4][: len(lines[4]) // 2] + b"\n"
    write_lines(d, lines)


def _extra_file(d: Path) -> None:
    (d / "notes.txt").write_text("voter list")


def _extra_file_listed(d: Path) -> None:
    (d / "notes.txt").write_text("voter list")
    reseal_record(d)


def _hash_mismatch(d: Path) -> None:
    lines = board_lines(d)
    value = json.loads(lines[3])
    payload = bytearray(base64.b64decode(value["payload"]))
    payload[40] ^= 1
    value["payload"] = base64.b64encode(bytes(payload)).decode()
    lines[3] = jsonstrict.dumps(value) + b"\n"
    (d / "board.jsonl").write_bytes(b"".join(lines))


def _unknown_group(d: Path) -> None:
    edit_doc(d, "group.json", lambda v: v.update(name="p256"))


def _other_parameters(d: Path) -> None:
    edit_doc(d, "group.json", lambda v: v.update(order=format(2**255 - 19, "x")))


def _manifest_other_group(d: Path) -> None:
    edit_doc(d, "manifest.json", lambda v: v.update(group="secp256k1"))


def _result_differs(d: Path) -> None:
    edit_doc(d, "result.json", lambda v: v["questions"][0]["counts"][0].__setitem__(1, 99))


def _ceremony_differs(d: Path) -> None:
    edit_doc(d, "ceremony.json", lambda v: v["confirmations"].reverse())


def _not_canonical(d: Path) -> None:
    value = read_doc(d, "election.json")
    (d / "election.json").write_text(json.dumps(value, indent=1) + "\n")
    reseal_record(d)


def _tally_without_entry(d: Path) -> None:
    lines = board_lines(d)
    write_lines(d, lines[:-2])


def _setup_not_first(d: Path) -> None:
    lines = board_lines(d)
    write_lines(d, lines[1:])


def _position_skips(d: Path) -> None:
    lines = board_lines(d)
    write_lines(d, lines[:3] + lines[4:])


def _bad_share_element(d: Path) -> None:
    def change(value: Any) -> None:
        size = len(base64.b64decode(value["shares"][0]["factors"][0]))
        value["shares"][0]["factors"][0] = base64.b64encode(b"\xff" * size).decode()

    edit_doc(d, "tally.json", change)


def _checkpoint_other_key(d: Path) -> None:
    edit_doc(
        d,
        "checkpoints.json",
        lambda v: v["checkpoints"][0].update(board_key=base64.b64encode(bytes(32)).decode()),
    )


CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "missing file": (_drop_manifest, ("record.json: line 1: record.files[", "manifest.json")),
    "unknown record version": (
        _record_version,
        ("record.json: line 1: record.version", "unknown format version 3"),
    ),
    "record format version 1": (
        _record_version_1,
        (
            "record.json: line 1: record.version: record format version 1 was written by an"
            " earlier evote; this evote verifies format 2 only",
        ),
    ),
    "generator not a string": (
        _record_generator(["evote", "0.1.0"]),
        ("record.json: line 1: record.generator", "expected a string"),
    ),
    "generator too long": (
        _record_generator("e" * 201),
        ("record.json: line 1: record.generator", "longer than 200"),
    ),
    "unknown field in record.json": (
        _record_unknown_field,
        ("record.json: line 1: record.writer", "unknown field"),
    ),
    "unknown document version": (
        _document_version,
        ("election.json: line 1: election.version", "unknown version 2"),
    ),
    "wrong type in a document": (
        _wrong_type_document,
        ("election.json: line 1: election.launch_code",),
    ),
    "wrong type in a line": (
        _wrong_type_line,
        ("board.jsonl: line 3: entry.position", "expected an integer"),
    ),
    "unknown field in a document": (
        _unknown_field_document,
        ("manifest.json: line 1: manifest.comment", "unknown field"),
    ),
    "unknown field in a line": (
        _unknown_field_line,
        ("board.jsonl: line 4: entry.note", "unknown field"),
    ),
    "unknown field in the tally": (
        _unknown_field_tally,
        ("tally.json: line 1: tally.encrypted_tally.extra", "unknown field"),
    ),
    "duplicate key": (_duplicate_key, ("tally.json: line 1: tally.combined", "duplicate key")),
    "duplicate key in a line": (
        _duplicate_key_line,
        ("board.jsonl: line 2: entry.kind", "duplicate key"),
    ),
    "oversized integer": (
        _oversized_integer,
        ("result.json: line 1: result.ballots", "100 digits"),
    ),
    "truncated line": (_truncated_line, ("board.jsonl: line 11", "truncated")),
    "line cut in the middle": (_cut_line, ("board.jsonl: line 5: entry", "not JSON")),
    "extra file": (_extra_file, ("record.json: line 1: record.files", "notes.txt")),
    "extra file listed": (_extra_file_listed, ("record.json: line 1: record.files[", "notes.txt")),
    "hash mismatch": (
        _hash_mismatch,
        ("record.json: line 1: record.files[0].sha256", "board.jsonl"),
    ),
    "unknown group": (_unknown_group, ("group.json: line 1: group.name", "unknown group")),
    "other group parameters": (_other_parameters, ("group.json: line 1: group.order", "differs")),
    "manifest of another group": (
        _manifest_other_group,
        ("manifest.json: line 1: manifest.group", "unknown group"),
    ),
    "result differs from the board": (
        _result_differs,
        ("result.json: line 1: result.questions[0].counts[0][1]", "RESULT entry"),
    ),
    "ceremony differs from the board": (
        _ceremony_differs,
        ("ceremony.json: line 1: ceremony.confirmations[0]", "setup entry"),
    ),
    "document not canonical": (_not_canonical, ("election.json: line 1: election", "line")),
    "tally.json without its entry": (
        _tally_without_entry,
        ("record.json: line 1: record.files[", "tally.json"),
    ),
    "setup not first": (_setup_not_first, ("board.jsonl: line 1: entry.position",)),
    "positions skip": (_position_skips, ("board.jsonl: line 4: entry.position", "expected 4")),
    "invalid group element": (
        _bad_share_element,
        ("tally.json: line 1: tally.shares[0].factors", "InvalidGroupElement"),
    ),
    "checkpoint of another key": (
        _checkpoint_other_key,
        ("checkpoints.json: line 1: checkpoints.checkpoints[0].board_key",),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_strict_import_refuses(published: Published, tmp_path: Path, case: str) -> None:
    mutate, parts = CASES[case]
    record = published.copy(tmp_path / "record")
    mutate(record)
    message = refused(record, *parts)
    assert re.match(r"^[a-z.]+(jsonl?|json): line \d+: ", message), message


def test_the_generator_is_information_only(published: Published, tmp_path: Path) -> None:
    """record.json names the evote that wrote it; any name, or none, reads and verifies alike."""
    assert read_doc(published.record, "record.json")["generator"] == f"evote {__version__}"
    original = load_record(published.record)
    for name, generator in (("other", "другой writer 9.9 ✓"), ("none", None)):
        record = published.copy(tmp_path / name)
        index = read_doc(record, "record.json")
        if generator is None:
            del index["generator"]
        else:
            index["generator"] = generator
        write_doc(record, "record.json", index, reseal=False)
        loaded = load_record(record)
        assert loaded.election.fingerprint == original.election.fingerprint
        report = verify_record(loaded)
        assert report.ok and report.complete, name


def test_missing_record_json(published: Published, tmp_path: Path) -> None:
    record = published.copy(tmp_path / "record")
    (record / "record.json").unlink()
    with pytest.raises(UnreadableRecord, match=r"not a record: record.json: cannot be read"):
        load_record(record)
    with pytest.raises(UnreadableRecord, match="nowhere: cannot be read"):
        load_record(tmp_path / "nowhere")


def test_symlink_in_record_is_refused(published: Published, tmp_path: Path) -> None:
    record = published.copy(tmp_path / "record")
    (record / "result.json").unlink()
    (record / "result.json").symlink_to(published.record / "result.json")
    refused(record, "result.json", "not a regular file")


# -- archives ---------------------------------------------------------------------------------


def _tar_with(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, None if data is None else io.BytesIO(data))
    return path


def _file(name: str, data: bytes = b"{}\n") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([_file("../record.json")], "'..'"),
        ([_file("/etc/record.json")], "absolute"),
        ([_file("sub/record.json")], "top level"),
        ([_link("record.json", "/etc/passwd")], "not a regular file"),
        ([_link("record.json", "manifest.json", tarfile.LNKTYPE)], "not a regular file"),
        ([_file("record.json"), _file("record.json")], "twice"),
        ([_file("passwords.txt")], "not a record file"),
    ],
)
def test_unsafe_tar_members_are_refused(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], expected: str
) -> None:
    path = _tar_with(tmp_path, members)
    refused(path, "bad.tar.gz: member", expected)
    assert not (tmp_path.parent / "record.json").exists()


def test_oversized_members_are_refused(
    published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "MAX_DOCUMENT_BYTES", 100)
    refused(published.archives[0], "record.files", "larger than 100")
    refused(published.archives[1], "record.files", "larger than 100")


def test_oversized_member_lying_in_its_header_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "MAX_DOCUMENT_BYTES", 100)
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("record.json", b" " * 10_000)
    # Lie in the central directory: claim 10 bytes; decompression must still stop at the limit.
    data = path.read_bytes()
    data = data.replace((10_000).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    path.write_bytes(data)
    with pytest.raises(InvalidRecord):
        load_record(path)


@pytest.mark.parametrize(
    ("name", "mode", "expected"),
    [("../x.json", 0o100644, "'..'"), ("record.json", 0o120777, "not a regular file")],
)
def test_unsafe_zip_members_are_refused(
    tmp_path: Path, name: str, mode: int, expected: str
) -> None:
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        bundle.writestr(info, b"target")
    refused(path, "bad.zip: member", expected)


def test_garbage_archive_and_unknown_suffix(tmp_path: Path) -> None:
    (tmp_path / "junk.tar.gz").write_bytes(b"not gzip at all")
    refused(tmp_path / "junk.tar.gz", "junk.tar.gz", "not a readable")
    (tmp_path / "junk.rar").write_bytes(b"x")
    refused(tmp_path / "junk.rar", "junk.rar", ".tar.gz")


# -- export -----------------------------------------------------------------------------------


def test_export_refuses_a_non_empty_target(published: Published, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "x").write_text("x")
    with published.board() as board, pytest.raises(InvalidInput, match="not an empty"):
        export_record(board, ELECTION_ID, target)
    with published.board() as board, pytest.raises(InvalidInput, match="archive"):
        export_record(board, ELECTION_ID, tmp_path / "fresh", archive=tmp_path / "x.rar")
    assert not (tmp_path / "fresh").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]


def test_reseal_lists_current_hashes(published: Published, tmp_path: Path) -> None:
    record = published.copy(tmp_path / "record")
    reseal_record(record)
    assert (record / "record.json").read_bytes() == (published.record / "record.json").read_bytes()
    index = read_doc(record, "record.json")
    for item in index["files"]:
        data = (record / item["name"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["size"] == len(data)


# -- publish ----------------------------------------------------------------------------------


def test_publish_tally_refuses_a_bad_combined_share(published: Published, tmp_path: Path) -> None:
    record = load_record(published.record)
    assert record.tally is not None
    share = record.shares[0]
    forged = DecryptionShare(
        share.trustee, (share.factors[1], share.factors[0], *share.factors[2:]), share.proofs
    )
    combined = CombinedTally((), (share.trustee,), ())
    with Board(str(tmp_path / "b.sqlite"), published.board_key) as board:
        board.setup(record.election, record.ceremony)
        board.open_election(ELECTION_ID)
        board.close_election(ELECTION_ID)
        head = board.head(ELECTION_ID)
        with pytest.raises(InvalidProof):
            publish_tally(board, record.election, record.ceremony, record.tally, [forged], combined)
        with pytest.raises(InvalidInput, match="no share"):
            publish_tally(
                board,
                record.election,
                record.ceremony,
                record.tally,
                [],
                CombinedTally((), (3,), ()),
            )
        assert board.head(ELECTION_ID) == head
        other = type(published.result)("another", published.result.turnout, ())
        with pytest.raises(ContextMismatch):
            publish_result(board, record.election, other)


# -- large documents streamed -------------------------------------------------------


def test_credentials_document_chunks_are_the_document(published: Published) -> None:
    from evote.record import documents as doc  # noqa: PLC0415
    from evote.record.strict import document_bytes  # noqa: PLC0415

    streamed = b"".join(doc.credentials_document_chunks(published.election))
    assert streamed == document_bytes(doc.credentials_document(published.election))
    assert streamed == (published.record / "credentials.json").read_bytes()


def test_setup_payload_without_entries_keeps_the_rest(published: Published) -> None:
    from evote.record.documents import (  # noqa: PLC0415
        without_credential_entries as _without_credential_entries,
    )

    first = json.loads(board_lines(published.record)[0])
    payload = base64.b64decode(first["payload"])
    whole = jsonstrict.loads(payload, "setup", InvalidRecord)
    cut = jsonstrict.loads(_without_credential_entries(payload), "setup", InvalidRecord)
    assert cut["credentials"] == {"entries": [], "group": whole["credentials"]["group"]}
    assert whole["credentials"]["entries"]
    whole["credentials"]["entries"] = []
    assert cut == whole
    # Not in the canonical place: left whole (the full parse then reads it).
    shuffled = b" " + payload
    assert _without_credential_entries(shuffled) == shuffled


def test_credentials_one_byte_changed_is_refused_naming_the_field(
    published: Published, tmp_path: Path
) -> None:
    import shutil  # noqa: PLC0415

    copy = tmp_path / "record"
    shutil.copytree(published.record, copy)
    value = read_doc(copy, "credentials.json")
    value["entries"][0]["weight"] += 1
    write_doc(copy, "credentials.json", value)
    with pytest.raises(InvalidRecord, match=r"credentials\.json: .*entries\[0\]\.weight"):
        load_record(copy)


def test_canonical_lines_take_the_fast_path_and_others_the_strict_one(
    published: Published,
) -> None:
    from evote.record import jsonl  # noqa: PLC0415

    lines = board_lines(published.record)
    for number, raw in enumerate(lines, start=1):
        fast = jsonl._parse_canonical_line(raw, number, ELECTION_ID, True)
        assert fast is not None
        assert jsonl.entry_line(fast) == raw
        assert jsonl.parse_line(raw, number, ELECTION_ID) == fast
    raw = lines[1]
    value = json.loads(raw)
    spaced = json.dumps(value, sort_keys=True).encode() + b"\n"
    wrong_position = raw.replace(b'"position":2}', b'"position":3}')
    bad_base64 = raw.replace(b'"chain_hash":"', b'"chain_hash":"A', 1)
    for variant, message in (
        (spaced, "not canonical JSON"),
        (wrong_position, "expected 2"),
        (bad_base64, "chain_hash"),
        (raw[:-1], "no newline"),
    ):
        assert jsonl._parse_canonical_line(variant, 2, ELECTION_ID, True) is None
        with pytest.raises(InvalidRecord, match=message):
            jsonl.parse_line(variant, 2, ELECTION_ID)


_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(max_examples=200)
@given(data=st.binary(max_size=40))
def test_fast_base64_reader_accepts_exactly_the_canonical_encoding(data: bytes) -> None:
    from evote.record import jsonl  # noqa: PLC0415

    text = base64.b64encode(data)
    assert jsonl._canonical_b64(text) == data
    assert jsonl._canonical_b64(memoryview(b"x" + text + b"y")[1:-1]) == data
    if len(data) % 3:
        # The last character's lowest bit is unused when padding follows: set, strict base64
        # still decodes the text, and the record must refuse it.
        padding = text.count(b"=")
        body = text[: len(text) - padding]
        flipped = _BASE64_ALPHABET.index(body[-1:]) ^ 1
        altered = body[:-1] + _BASE64_ALPHABET[flipped : flipped + 1] + b"=" * padding
        assert jsonl._canonical_b64(altered) is None
        assert jsonl._canonical_b64(body) is None
