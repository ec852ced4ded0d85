"""One verdict rule for ``evote verify`` (docs/spec.md section 11.0), Benaloh audits (11.7.1)
and strict event payloads (section 10.3).

Exit 0: every step passed; 1: the record was read and something in it is wrong, named by its
step; 2: nothing could be judged. One ed25519 election is built for the whole module; each
test forges a copy of it.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.audit import audited_ballot_from_json_obj
from evote.board.chain import EntryKind
from evote.board.payloads import decode_event, decode_spoiled, event_payload
from evote.cli import main
from evote.crypto.groups import ED25519
from evote.errors import InvalidBallot, InvalidInput, InvalidRecord, UnreadableRecord
from evote.record import archive as archive_module
from evote.record import load as load_module
from evote.record import strict as strict_module
from evote.record.archive import write_archive
from evote.record.export import reseal_record
from evote.record.load import load_record
from evote.verify import STEPS, verify_record
from tests.verify.conftest import BuiltRecord, build_record, payload_of, rewrite_board

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(ED25519, tmp_path_factory.mktemp("verdicts") / "record")


@pytest.fixture
def copy(election: BuiltRecord, tmp_path: Path) -> BuiltRecord:
    target = tmp_path / "record"
    shutil.copytree(election.path, target)
    return BuiltRecord(target, election.board_key, election.group, dict(election.codes),
                       election.voters)  # fmt: skip


def _verify(path: Path, capsys: pytest.CaptureFixture[str], *more: str) -> tuple[int, str]:
    status = main(["verify", str(path), "--jobs", "1", *more])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _failed_at(output: str, *steps: str) -> None:
    assert f"VERIFICATION FAILED at step(s) {', '.join(steps)}" in output, output


# -- B: the exit classes ----------------------------------------------------------------------


def test_honest_record_exits_0_with_step_11_0(
    election: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = _verify(election.path, capsys, "--json")
    report = json.loads(output)
    assert status == 0
    assert [step["number"] for step in report["steps"]] == [number for number, _ in STEPS]
    assert report["steps"][0]["name"] == "record files" and report["steps"][0]["ok"]


def test_one_character_flipped_in_board_jsonl_exits_1_at_step_11_0(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    board = copy.path / "board.jsonl"
    data = bytearray(board.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("A") if data[middle] != ord("A") else ord("B")
    board.write_bytes(bytes(data))
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.0")
    assert "record.files" in output and "sha256" in output
    assert "not run: step 11.0 (record files) did not pass" in output


def test_same_forgery_resealed_exits_1_at_a_named_step(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    board = copy.path / "board.jsonl"
    lines = board.read_bytes().splitlines(keepends=True)
    ballot = next(i for i, line in enumerate(lines) if b'"kind":"ballot"' in line)
    line = json.loads(lines[ballot])
    payload = bytearray(payload_of(line))
    payload[len(payload) // 2] ^= 1
    line["payload"] = jsonstrict.b64encode(bytes(payload))
    lines[ballot] = jsonstrict.dumps(line) + b"\n"
    board.write_bytes(b"".join(lines))
    reseal_record(copy.path)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    assert "VERIFICATION FAILED at step(s) 11.5" in output  # the payload hash, first of all


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _verify(tmp_path / "nowhere", capsys)
    assert status == 2
    assert "UnreadableRecord" in output and "No such file" in output


def test_permission_denied_exits_2(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests run as root, who reads anything: refuse the open as the kernel would.
    real_open = os.open

    def refusing(path: Any, flags: int, *args: Any) -> int:
        if Path(path).name == "record.json":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(strict_module.os, "open", refusing)
    status, output = _verify(copy.path, capsys)
    assert status == 2
    assert "Permission denied" in output


def test_a_plain_file_that_is_not_an_archive_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a record\n")
    status, output = _verify(notes, capsys)
    assert status == 2 and "not a record" in output
    garbage = tmp_path / "record.zip"
    garbage.write_bytes(b"PK not really a zip")
    status, output = _verify(garbage, capsys)
    assert status == 2 and "not a readable .zip archive" in output


def test_directory_without_record_json_exits_2(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy.path / "record.json").unlink()
    status, output = _verify(copy.path, capsys)
    assert status == 2 and "not a record" in output


def test_fifo_named_record_json_does_not_hang(copy: BuiltRecord) -> None:
    (copy.path / "record.json").unlink()
    os.mkfifo(copy.path / "record.json")
    # The timeout is a safety net against a hang (the bug), not a measure of speed.
    done = subprocess.run(
        [sys.executable, "-m", "evote.cli", "verify", str(copy.path), "--jobs", "1"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr


def test_fifo_as_a_listed_file_fails_step_11_0(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy.path / "result.json").unlink()
    os.mkfifo(copy.path / "result.json")
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.0")
    assert "not a regular file" in output


def test_sparse_file_of_the_wrong_size_is_refused_before_hashing(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = 1 << 33  # 8 GiB, sparse: no disk used
    with (copy.path / "result.json").open("r+b") as stream:
        stream.truncate(huge)
    hashed = [0]
    real_sha256 = hashlib.sha256

    class CountingSha256:
        def __init__(self) -> None:
            self._inner = real_sha256()

        def update(self, data: bytes) -> None:
            hashed[0] += len(data)
            self._inner.update(data)

        def hexdigest(self) -> str:
            return self._inner.hexdigest()

    monkeypatch.setattr(load_module.hashlib, "sha256", CountingSha256)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.0")
    assert f"result.json has {huge} bytes, record.json says" in output, output
    total = sum(path.stat().st_size for path in copy.path.iterdir() if path.name != "result.json")
    assert hashed[0] <= total


def _bomb_archive(copy: BuiltRecord, tmp_path: Path, name: str) -> tuple[Path, int]:
    """An archive whose record.json declares the small honest result.json, while its
    result.json member decompresses to 50 MB (zeros: a few kB compressed)."""
    declared = (copy.path / "result.json").stat().st_size
    (copy.path / "result.json").write_bytes(bytes(50 * 1024 * 1024))
    return write_archive(copy.path, tmp_path / name), declared


@pytest.mark.parametrize("name", ["bomb.zip", "bomb.tar.gz"])
def test_archive_member_never_extracted_beyond_its_declared_size(
    copy: BuiltRecord,
    tmp_path: Path,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bomb, declared = _bomb_archive(copy, tmp_path, name)
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    monkeypatch.setattr(archive_module.tempfile, "mkdtemp", lambda prefix: str(extracted))
    monkeypatch.setattr(archive_module.shutil, "rmtree", lambda *args, **kwargs: None)
    status, output = _verify(bomb, capsys)
    assert status == 1
    _failed_at(output, "11.0")
    assert "result.json has" in output and f"record.json says {declared}" in output
    result = extracted / "result.json"
    assert not result.exists() or result.stat().st_size <= declared + 1


def test_bounded_copy_stops_one_byte_past_the_declared_size(tmp_path: Path) -> None:
    class Endless:
        read_bytes = 0

        def read(self, size: int = -1, /) -> bytes:
            Endless.read_bytes += size
            return bytes(size)

    with pytest.raises(InvalidRecord, match=r"more than 1024 bytes, record\.json says 1024"):
        archive_module._copy_bounded(
            Endless(), tmp_path / "board.jsonl", "board.jsonl", 1024, "record.files[0]"
        )
    assert (tmp_path / "board.jsonl").stat().st_size == 1025
    assert Endless.read_bytes == 1025


def test_archive_without_record_json_exits_2(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.write(copy.path / "manifest.json", "manifest.json")
    status, output = _verify(path, capsys)
    assert status == 2 and "holds no record.json" in output
    tar = tmp_path / "other.tar.gz"
    with tarfile.open(tar, "w:gz") as bundle:
        bundle.add(copy.path / "manifest.json", arcname="manifest.json")
    status, output = _verify(tar, capsys)
    assert status == 2 and "holds no record.json" in output


def test_honest_archive_still_verifies(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("record.zip", "record.tar.gz"):
        status, output = _verify(write_archive(copy.path, tmp_path / name), capsys)
        assert status == 0, output


def test_a_file_that_vanishes_during_the_verify_is_unreadable_not_forged(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    record = load_record(copy.path)
    (copy.path / "board.jsonl").unlink()
    report = verify_record(record)
    assert not report.ok and not report.readable
    assert report.step("11.2").error_type == "UnreadableRecord"
    with pytest.raises(UnreadableRecord):
        load_record(copy.path / "board.jsonl")


# -- A: Benaloh audits ------------------------------------------------------------------------


def _edit_audit(built: BuiltRecord, change: Any) -> None:
    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        line = next(item for item in lines if item["kind"] == "spoiled")
        payload = json.loads(payload_of(line))
        payload["audit"] = change(payload["audit"])
        line["payload"] = jsonstrict.b64encode(jsonstrict.dumps(payload))
        return lines

    rewrite_board(built, edit)


def _spoiled(built: BuiltRecord) -> tuple[int, str]:
    code = next(code for code, state in built.codes.items() if state == "spoiled")
    lines = (built.path / "board.jsonl").read_bytes().splitlines()
    position = next(i for i, line in enumerate(lines, 1) if b'"kind":"spoiled"' in line)
    return position, code


def test_honest_audit_is_listed_as_holding(
    election: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    position, code = _spoiled(election)
    status, output = _verify(election.path, capsys)
    assert status == 0
    assert "11.7.1 Benaloh audits:" not in output  # no error line
    assert f"position {position:<8} {code}  audit holds" in output
    status, output = _verify(election.path, capsys, "--json")
    report = json.loads(output)
    assert report["audits"] == [
        {"position": position, "tracking_code": code, "holds": True, "verdict": "audit holds"}
    ]
    assert report["steps"][[n for n, _ in STEPS].index("11.7.1")]["items"] == 1


def test_audit_revealing_other_choices_fails_step_11_7_1(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    def lie(audit: Any) -> Any:
        audit["q"][0]["x"][0] = 1 - audit["q"][0]["x"][0]  # another choice than encrypted
        return audit

    _edit_audit(copy, lie)
    position, code = _spoiled(copy)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.7.1")
    assert f"position {position:<8} {code}  audit FAILED: InvalidBallot: audit:" in output
    status, output = _verify(copy.path, capsys, "--json")
    (audit,) = json.loads(output)["audits"]
    assert audit["position"] == position and audit["tracking_code"] == code
    assert not audit["holds"] and audit["verdict"].startswith("audit FAILED: InvalidBallot")


def test_audit_off_its_schema_fails_step_11_7_1(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit_audit(copy, lambda audit: {"revealed": "yes"})
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.7.1")
    assert "audit FAILED: InvalidBallot" in output and "audit.revealed: unknown field" in output


def test_audit_runs_on_a_process_pool_too(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit_audit(copy, lambda audit: {**audit, "h": audit["h"][::-1]})
    status = main(["verify", str(copy.path), "--jobs", "2", "--chunk-size", "1"])
    assert status == 1
    _failed_at(capsys.readouterr().out, "11.7.1")


# -- C: strict payloads -----------------------------------------------------------------------


def _edit_payload(built: BuiltRecord, kind: str, payload: bytes) -> None:
    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        line = [item for item in lines if item["kind"] == kind][-1]
        line["payload"] = jsonstrict.b64encode(payload)
        return lines

    rewrite_board(built, edit)


@pytest.mark.parametrize(
    "payload",
    [
        b"any bytes at all",
        b'{"body":{"note":"x"},"event":"open","version":1}',
        b'{"body": null, "event": "open", "version": 1}',
        b'{"body":null,"event":"open","extra":1,"version":1}',
    ],
)
def test_open_payload_must_be_the_canonical_null_event(
    copy: BuiltRecord, payload: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit_payload(copy, "open", payload)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.5")
    assert "board entry 2: payload" in output


def test_close_payload_with_a_body_fails_step_11_5(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit_payload(copy, "close", b'{"body":[],"event":"close","version":1}')
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.5")
    assert "body of a close event is null" in output


@pytest.mark.parametrize("kind", ["tally", "result"])
def test_non_canonical_tally_or_result_payload_fails_step_11_0(
    copy: BuiltRecord, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (copy.path / "board.jsonl").read_bytes().splitlines()
    line = json.loads(next(line for line in lines if f'"kind":"{kind}"'.encode() in line))
    spaced = json.dumps(json.loads(payload_of(line)), sort_keys=True).encode()  # spaces
    _edit_payload(copy, kind, spaced)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.0")
    assert "not canonical JSON" in output


def test_non_canonical_spoiled_payload_fails(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (copy.path / "board.jsonl").read_bytes().splitlines()
    line = json.loads(next(line for line in lines if b'"kind":"spoiled"' in line))
    spaced = json.dumps(json.loads(payload_of(line)), sort_keys=True).encode()
    _edit_payload(copy, "spoiled", spaced)
    status, output = _verify(copy.path, capsys)
    assert status == 1
    _failed_at(output, "11.7", "11.7.1")
    assert "not canonical JSON" in output


def test_the_board_writes_only_what_the_reader_accepts() -> None:
    assert decode_event(EntryKind.OPEN, event_payload(EntryKind.OPEN), "open") is None
    with pytest.raises(InvalidInput, match="body of a open event is null"):
        event_payload(EntryKind.OPEN, {"note": "x"})
    with pytest.raises(InvalidInput, match="is an object"):
        event_payload(EntryKind.TALLY, [1, 2])
    with pytest.raises(InvalidRecord, match="not canonical"):
        decode_event(EntryKind.CLOSE, b'{"body":null,"event":"close", "version":1}', "x",
                     InvalidRecord)  # fmt: skip
    with pytest.raises(InvalidInput, match="'open' in a close entry"):
        decode_event(EntryKind.CLOSE, event_payload(EntryKind.OPEN), "x")


def test_spoiled_payload_round_trip(election: BuiltRecord) -> None:
    lines = (election.path / "board.jsonl").read_bytes().splitlines()
    line = json.loads(next(line for line in lines if b'"kind":"spoiled"' in line))
    payload = payload_of(line)
    ballot, audit = decode_spoiled(payload, "spoiled")
    assert audit == audited_ballot_from_json_obj(json.loads(payload)["audit"])
    assert base64.b64encode(ballot).decode() == json.loads(payload)["ballot"]
    with pytest.raises(InvalidBallot, match=r"spoiled\.audit"):
        decode_spoiled(b'{"audit":null,"ballot":""}', "spoiled")


def test_verify_ballot_follows_the_same_rule(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = next(code for code, state in copy.codes.items() if state == "counted")
    assert main(["verify-ballot", str(tmp_path / "nowhere"), code]) == 2
    board = copy.path / "board.jsonl"
    board.write_bytes(board.read_bytes()[:-20])  # read, and wrong
    assert main(["verify-ballot", str(copy.path), code]) == 1
    assert "InvalidRecord" in capsys.readouterr().out
