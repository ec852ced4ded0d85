"""A record anchored to what was announced: the fingerprint, held checkpoints, signed receipts.

One ed25519 election (two, for a record with the same id and another fingerprint), through
``evote verify`` / ``evote verify-ballot`` in process and ``verify_record``.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.board.chain import EntryKind
from evote.board.receipt import Receipt
from evote.cli import main
from evote.crypto.groups import ED25519
from evote.record.export import reseal_record
from evote.record.load import load_record
from evote.record.strict import document_bytes
from evote.verify import verify_record
from evote.verify.report import StepStatus
from tests.verify.conftest import BuiltRecord, build_record, rewrite_board


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(ED25519, tmp_path_factory.mktemp("anchored") / "record")


@pytest.fixture(scope="module")
def impostor(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    """The same election id, another ceremony, credential list and board key."""
    return build_record(ED25519, tmp_path_factory.mktemp("impostor") / "record", seed=8)


@pytest.fixture
def copy(honest: BuiltRecord, tmp_path: Path) -> BuiltRecord:
    target = tmp_path / "record"
    shutil.copytree(honest.path, target)
    return BuiltRecord(target, honest.board_key, honest.group, dict(honest.codes), honest.voters)


def _receipts(built: BuiltRecord) -> dict[str, Receipt]:
    """The receipts the board signed for the record's ballots, by tracking code."""
    return {
        entry.tracking_code: Receipt.of(entry, built.board_key)
        for entry in load_record(built.path).entries()
        if entry.kind is EntryKind.BALLOT and entry.tracking_code is not None
    }


def _write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path


# -- the anchors in the report ----------------------------------------------------------------


def test_the_report_shows_the_anchors_in_full(
    honest: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    record = load_record(honest.path)
    last = record.checkpoints[-1]
    election = record.election
    when = datetime.fromtimestamp(last.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert main(["verify", str(honest.path), "--jobs", "1"]) == 0
    text = capsys.readouterr().out
    head = text.split("step")[0]
    assert f"election     {record.election_id}" in head
    assert f"fingerprint  {election.fingerprint.hex()}" in head
    assert f"board key    {election.board_key.hex()}" in head
    assert (
        f"last checkpoint: position {last.position}, chain hash {last.chain_hash.hex()},"
        f" time {when} ({last.timestamp})"
    ) in head
    assert main(["verify", str(honest.path), "--jobs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["election_id"] == record.election_id
    assert report["fingerprint"] == election.fingerprint.hex()
    assert report["board_key"] == election.board_key.hex()
    assert report["last_checkpoint"] == {
        "position": last.position,
        "chain_hash": last.chain_hash.hex(),
        "time": when,
        "timestamp": last.timestamp,
    }
    assert report["expected_fingerprint"] is None and report["held_checkpoints"] == []


# -- --fingerprint ----------------------------------------------------------------------------


def test_the_announced_fingerprint_pins_the_record(
    honest: BuiltRecord, impostor: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    announced = load_record(honest.path).election.fingerprint
    other = load_record(impostor.path)
    assert other.election_id == load_record(honest.path).election_id
    assert other.election.fingerprint != announced
    assert main(["verify", str(honest.path), "--jobs", "1", "--fingerprint",
                 announced.hex().upper()]) == 0  # fmt: skip
    capsys.readouterr()
    # The impostor verifies on its own, but not as the announced election.
    assert main(["verify", str(impostor.path), "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["verify", str(impostor.path), "--jobs", "1", "--fingerprint",
                 announced.hex()]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "VERIFICATION FAILED at step(s) 11.2" in out
    assert f"not the announced {announced.hex()}" in out
    report = verify_record(other, expected_fingerprint=announced)
    assert report.step("11.2").status is StepStatus.FAILED
    assert report.step("11.2").error_type == "ContextMismatch"


@pytest.mark.parametrize("text", ["abc", "g" * 64, "00" * 33, "0x" + "00" * 31, ""])
def test_a_malformed_fingerprint_is_a_usage_error(
    honest: BuiltRecord, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(honest.path), "--fingerprint", text]) == 2
    assert "--fingerprint" in capsys.readouterr().err


# -- --checkpoint and --save-checkpoint ------------------------------------------------------


def test_a_saved_checkpoint_anchors_a_later_run(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "close.json"
    assert main(["verify", str(copy.path), "--jobs", "1", "--json",
                 "--save-checkpoint", str(saved)]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["ok"] is True
    last = load_record(copy.path).checkpoints[-1]
    assert saved.read_bytes() == jsonstrict.dumps(last.to_json_obj()) + b"\n"
    capsys.readouterr()
    assert main(["verify", str(copy.path), "--jobs", "1", "--checkpoint", str(saved)]) == 0
    assert f"held checkpoints given: {saved}" in capsys.readouterr().out

    # The operator drops the superseded ballot (not counted: the tally still holds), re-chains
    # and re-signs with the board's own key: consistent with itself, behind the held one.
    def drop(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        superseded = [code for code, state in copy.codes.items() if state == "superseded"]
        receipts = _receipts(copy)
        position = receipts[superseded[0]].position
        return [line for line in lines if line["position"] != position]

    rewrite_board(copy, drop)
    assert main(["verify", str(copy.path), "--jobs", "1", "--complete"]) == 0
    capsys.readouterr()
    assert main(["verify", str(copy.path), "--jobs", "1", "--checkpoint", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "VERIFICATION FAILED at step(s) 11.6" in out
    assert f"held checkpoint {saved} (position {last.position})" in out
    # And a failed record gives no checkpoint to keep.
    again = tmp_path / "again.json"
    assert main(["verify", str(copy.path), "--jobs", "1", "--checkpoint", str(saved),
                 "--save-checkpoint", str(again)]) == 1  # fmt: skip
    assert not again.exists()


def test_a_held_checkpoint_of_a_truncated_record(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = load_record(copy.path).checkpoints[-1]
    saved = _write(tmp_path / "held.json", held.to_json_obj())
    rewrite_board(copy, lambda lines: lines[: held.position - 1])  # ends before the close
    for name in ("tally.json", "result.json"):
        (copy.path / name).unlink()
    reseal_record(copy.path)
    assert main(["verify", str(copy.path), "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["verify", str(copy.path), "--jobs", "1", "--checkpoint", str(saved)]) == 1
    out = capsys.readouterr().out
    assert f"11.6 checkpoints: BoardIntegrityError: held checkpoint {saved} (position" in out
    assert "ends before" in out


def test_a_held_checkpoint_of_another_board_key(
    honest: BuiltRecord, impostor: BuiltRecord, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    foreign = load_record(impostor.path).checkpoints[-1]
    saved = _write(tmp_path / "foreign.json", foreign.to_json_obj())
    assert main(["verify", str(honest.path), "--jobs", "1", "--checkpoint", str(saved)]) == 1
    out = capsys.readouterr().out
    assert f"InvalidSignature: held checkpoint {saved} (position {foreign.position})" in out


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'{"position": 1}', b"[]", b'{"a": 1, "a": 2}'],
)
def test_a_malformed_checkpoint_file_is_a_usage_error(
    honest: BuiltRecord, tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "bad.json"
    saved.write_bytes(content)
    assert main(["verify", str(honest.path), "--checkpoint", str(saved)]) == 2
    assert f"--checkpoint {saved}" in capsys.readouterr().err
    assert main(["verify", str(honest.path), "--checkpoint", str(tmp_path / "none.json")]) == 2


# -- the adversary's re-signed record ----------------------------------------------------------


def test_checkpoints_re_signed_with_a_fresh_key_fail_at_11_6(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = SigningKey.generate()
    superseded = next(code for code, state in copy.codes.items() if state == "superseded")
    position = _receipts(copy)[superseded].position
    forger = BuiltRecord(copy.path, fresh, copy.group, copy.codes, copy.voters)
    rewrite_board(forger, lambda lines: [ln for ln in lines if ln["position"] != position])
    path = copy.path / "checkpoints.json"
    document = json.loads(path.read_bytes())
    document["board_key"] = jsonstrict.b64encode(bytes(fresh.verify_key))
    path.write_bytes(document_bytes(document))
    reseal_record(copy.path)
    assert main(["verify", str(copy.path), "--jobs", "1", "--complete"]) == 1
    out = capsys.readouterr().out
    assert "VERIFICATION FAILED at step(s) 11.6" in out
    assert f"checkpoints.json names board key {bytes(fresh.verify_key).hex()}" in out


# -- a record of format version 1 -----------------------------------------------------------


def test_a_version_1_record_is_refused_with_one_message(
    copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    index = copy.path / "record.json"
    value = json.loads(index.read_bytes())
    value["version"] = 1
    index.write_bytes(document_bytes(value))
    assert main(["verify", str(copy.path)]) == 2
    err = capsys.readouterr().err
    assert (
        "record format version 1 was written by an earlier evote; this evote verifies"
        " format 2 only" in err
    )
    assert err.count("\n") == 1


# -- verify-ballot --receipt ----------------------------------------------------------------


def test_verify_ballot_with_receipts(
    honest: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipts = _receipts(honest)
    for code, state in honest.codes.items():
        if state == "spoiled":
            continue
        saved = _write(tmp_path / f"{code}.json", receipts[code].to_json_obj())
        assert main(["verify-ballot", str(honest.path), "--receipt", str(saved)]) == 0
        out = capsys.readouterr().out
        assert ("and counted" if state == "counted" else "superseded by") in out
        assert main(["verify-ballot", str(honest.path), code, "--receipt", str(saved)]) == 0
        capsys.readouterr()


def test_a_tampered_or_foreign_receipt_is_refused(
    honest: BuiltRecord, impostor: BuiltRecord, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    code = next(code for code, state in honest.codes.items() if state == "counted")
    obj = _receipts(honest)[code].to_json_obj()
    obj["position"] += 1
    saved = _write(tmp_path / "tampered.json", obj)
    assert main(["verify-ballot", str(honest.path), "--receipt", str(saved)]) == 1
    assert "this receipt was not signed by this election's board key" in capsys.readouterr().out
    foreign_code = next(iter(_receipts(impostor)))
    foreign = _write(tmp_path / "foreign.json", _receipts(impostor)[foreign_code].to_json_obj())
    assert main(["verify-ballot", str(honest.path), "--receipt", str(foreign)]) == 1
    assert "not signed by this election's board key" in capsys.readouterr().out
    # Malformed receipt files, or a code that is not the receipt's, are usage errors.
    saved.write_text("{}")
    assert main(["verify-ballot", str(honest.path), "--receipt", str(saved)]) == 2
    genuine = _write(tmp_path / "genuine.json", _receipts(honest)[code].to_json_obj())
    other_code = next(c for c in honest.codes if c != code)
    assert main(["verify-ballot", str(honest.path), other_code, "--receipt", str(genuine)]) == 2
    assert main(["verify-ballot", str(honest.path)]) == 2


def test_a_dropped_ballot_with_a_signed_receipt_is_evidence(
    copy: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    superseded = next(code for code, state in copy.codes.items() if state == "superseded")
    receipt = _receipts(copy)[superseded]
    saved = _write(tmp_path / "receipt.json", receipt.to_json_obj())
    rewrite_board(copy, lambda lines: [ln for ln in lines if ln["position"] != receipt.position])
    assert main(["verify", str(copy.path), "--jobs", "1", "--complete"]) == 0
    capsys.readouterr()
    assert main(["verify-ballot", str(copy.path), "--receipt", str(saved)]) == 1
    out = capsys.readouterr().out
    assert (
        f"ABSENT: the board signed a receipt for this ballot at position {receipt.position}"
        f" with chain hash {receipt.chain_hash.hex()}, and the record does not hold it:"
        " evidence that the board dropped a ballot it accepted"
    ) in out
    assert main(["verify-ballot", str(copy.path), "--receipt", str(saved), "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["state"] == "absent"
    assert answer["receipt"] == {
        "position": receipt.position,
        "chain_hash": receipt.chain_hash.hex(),
        "signature_verified": True,
    }
    # A later ballot now sits at the receipt's position: the receipt says it is not that one.
    counted = next(code for code, state in copy.codes.items() if state == "counted")
    moved = _write(tmp_path / "moved.json", _receipts_of_original(copy, counted))
    assert main(["verify-ballot", str(copy.path), "--receipt", str(moved)]) == 1
    assert "the board rewrote" in capsys.readouterr().out


def _receipts_of_original(copy: BuiltRecord, code: str) -> dict[str, Any]:
    """A receipt of ``code`` at one position beyond where the rewritten board now has it."""
    entry = next(
        entry for entry in load_record(copy.path).entries() if entry.tracking_code == code
    )
    shifted = Receipt.of(entry, copy.board_key)
    original = Receipt(
        shifted.election_id, shifted.position + 1, shifted.tracking_code,
        shifted.chain_hash, shifted.ballot_hash, b"",
    )  # fmt: skip
    message = original.message()
    signed = Receipt(
        original.election_id, original.position, original.tracking_code,
        original.chain_hash, original.ballot_hash, copy.board_key.sign(message).signature,
    )  # fmt: skip
    return signed.to_json_obj()
