"""verify_record on an honest record (both groups), and one tampered record per numbered step.

Each tampered record keeps the chain, the checkpoint signatures and the file hashes consistent
(a corrupt board operator holding the board key), so the record loads and only the step under
test can find the fault: that step fails, names the fault, and no other step *fails* (steps
that need its output are blocked).
"""

from __future__ import annotations

import base64
import copy
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from evote import jsonstrict
from evote.ceremony.dkg import run_ceremony
from evote.cli import main
from evote.crypto.groups import all_groups
from evote.record.export import reseal_record
from evote.record.load import load_record
from evote.record.model import ElectionRecord
from evote.record.strict import document_bytes
from evote.verify import STEPS, StepStatus, VerificationReport, verify_record
from evote.verify import verifier as verifier_module
from tests.verify.conftest import (
    BuiltRecord,
    ballot_lines,
    edit_event,
    payload_of,
    resign_ballot,
    rewrite_board,
)


def _only_failure(report: VerificationReport, number: str, *words: str) -> None:
    failed = [step.number for step in report.failed()]
    assert failed == [number], [(s.number, s.status.value, s.error) for s in report.steps]
    step = report.step(number)
    assert not report.ok
    assert step.error is not None
    for word in words:
        assert word in step.error, step.error


def _first_failure(report: VerificationReport, number: str, *words: str) -> None:
    failed = report.failed()
    assert failed and failed[0].number == number, [(s.number, s.error) for s in report.steps]
    assert not report.ok
    for word in words:
        assert word in (failed[0].error or ""), failed[0].error


def _verify(built: BuiltRecord) -> VerificationReport:
    return verify_record(load_record(built.path), chunk_size=2)


def _edit_ballot(built: BuiltRecord, index: int, change: Any) -> None:
    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        line = ballot_lines(lines)[index]
        ballot = json.loads(payload_of(line))
        change(ballot)
        line["payload"] = jsonstrict.b64encode(jsonstrict.dumps(ballot))
        return lines

    rewrite_board(built, edit)


# -- honest ---------------------------------------------------------------------------------


def test_honest_record_passes_every_step(honest: BuiltRecord) -> None:
    report = verify_record(load_record(honest.path))
    assert report.ok and report.complete and report.readable
    assert [(step.number, step.name) for step in report.steps] == list(STEPS)
    assert all(step.status is StepStatus.PASSED and step.error is None for step in report.steps)
    assert report.step("11.7").items == 6  # 5 cast (one revote) and 1 spoiled
    assert report.step("11.9").items == 4  # the revote supersedes its voter's first ballot
    assert json.loads(json.dumps(report.to_json_obj()))["ok"] is True


def test_chunk_size_and_process_pool_give_the_same_report(honest: BuiltRecord) -> None:
    record = load_record(honest.path)
    single = verify_record(record, chunk_size=1)
    with ProcessPoolExecutor(2) as pool:
        pooled = verify_record(record, executor=pool, chunk_size=2, max_pending=1)
    assert [(s.number, s.items, s.status) for s in single.steps] == [
        (s.number, s.items, s.status) for s in pooled.steps
    ]
    assert pooled.ok


def test_progress_is_reported(honest: BuiltRecord) -> None:
    calls: list[tuple[str, int, int]] = []
    verify_record(load_record(honest.path), progress=lambda *a: calls.append(a))
    assert ("ballots", 6, 6) in calls


# -- 11.1 to 11.4 ---------------------------------------------------------------------------


def test_11_1_ceremony_of_another_group(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)
    other = next(g for g in all_groups() if g is not record.election.group)
    ceremony, _ = run_ceremony(other, record.election_id, 3, 2)
    _first_failure(verify_record(replace(record, ceremony=ceremony)), "11.1", "another group")


def test_11_2_launch_code_differs_from_the_board(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)
    report = verify_record(replace(record, launch_code="0" * 32))
    _only_failure(report, "11.2", "launch code")
    assert report.step("11.5").status is StepStatus.BLOCKED


def test_11_3_ceremony_confirmation_swapped(record_copy: BuiltRecord) -> None:
    def swap(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        setup = json.loads(payload_of(lines[0]))
        confirmations = setup["trustees"]["confirmations"]
        first, second = confirmations[0]["proof"], confirmations[1]["proof"]
        confirmations[0]["proof"], confirmations[1]["proof"] = second, first
        lines[0]["payload"] = jsonstrict.b64encode(jsonstrict.dumps(setup))
        (record_copy.path / "ceremony.json").write_bytes(document_bytes(setup["trustees"]))
        return lines

    rewrite_board(record_copy, swap)
    _only_failure(_verify(record_copy), "11.3", "CeremonyError")


def test_11_4_credential_list_out_of_order(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)
    credentials = copy.copy(record.election.credentials)
    reversed_blob = b"".join(reversed(list(credentials.encodings())))
    object.__setattr__(credentials, "_blob", reversed_blob)  # a forged list, out of order
    election = copy.copy(record.election)
    object.__setattr__(election, "credentials", credentials)
    _only_failure(verify_record(replace(record, election=election)), "11.4", "not sorted")


# -- 11.5 and 11.6 ---------------------------------------------------------------------------


def test_11_5_ballot_after_close(record_copy: BuiltRecord) -> None:
    def move(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = ballot_lines(lines)[-1]
        lines.remove(last)
        close = next(i for i, line in enumerate(lines) if line["kind"] == "close")
        lines.insert(close + 1, last)
        return lines

    rewrite_board(record_copy, move)
    _only_failure(_verify(record_copy), "11.5", "cannot follow a close")


def test_11_5_broken_link(record_copy: BuiltRecord) -> None:
    def relink(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[3]["chain_hash"] = lines[4]["chain_hash"]
        return lines

    rewrite_board(record_copy, relink, rechain=False, resign=False)
    report = _verify(record_copy)
    _first_failure(report, "11.5", "chain hash")
    assert "11.6" in [step.number for step in report.failed()]


def test_11_6_checkpoint_signature(record_copy: BuiltRecord) -> None:
    path = record_copy.path / "checkpoints.json"
    document = json.loads(path.read_bytes())
    signature = bytearray(base64.b64decode(document["checkpoints"][-1]["signature"]))
    signature[0] ^= 1
    document["checkpoints"][-1]["signature"] = jsonstrict.b64encode(bytes(signature))
    path.write_bytes(document_bytes(document))
    reseal_record(record_copy.path)
    _only_failure(_verify(record_copy), "11.6", "InvalidSignature")


# -- 11.7 to 11.10 --------------------------------------------------------------------------


def test_11_7_swapped_proofs(record_copy: BuiltRecord) -> None:
    def swap(ballot: dict[str, Any]) -> None:
        options = ballot["q"][0]["o"]
        options[0]["p"], options[1]["p"] = options[1]["p"], options[0]["p"]
        resign_ballot(record_copy, 1, ballot)

    _edit_ballot(record_copy, 1, swap)
    _only_failure(_verify(record_copy), "11.7", "InvalidProof", "board entry 4")


def test_11_7_broken_signature(record_copy: BuiltRecord) -> None:
    def resign(ballot: dict[str, Any]) -> None:
        ballot["s"] = [[ballot["s"][0][1], ballot["s"][0][0]]]

    _edit_ballot(record_copy, 2, resign)
    _only_failure(_verify(record_copy), "11.7", "InvalidSignature")


def test_11_8_replayed_ballot(record_copy: BuiltRecord) -> None:
    def replay(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = ballot_lines(lines)[-1]
        lines.insert(lines.index(last) + 1, dict(last))
        return lines

    rewrite_board(record_copy, replay)
    _only_failure(_verify(record_copy), "11.8", "DuplicateBallot", "replay")


def test_11_8_spoiled_ballot_cast(record_copy: BuiltRecord) -> None:
    def cast_spoiled(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        spoiled = ballot_lines(lines, "spoiled")[0]
        inner = json.loads(payload_of(spoiled))["ballot"]
        close = next(i for i, line in enumerate(lines) if line["kind"] == "close")
        lines.insert(close, {"kind": "ballot", "payload": inner})
        return lines

    rewrite_board(record_copy, cast_spoiled)
    _first_failure(_verify(record_copy), "11.8", "DuplicateBallot")


def test_11_9_tally_counts_another_number_of_ballots(record_copy: BuiltRecord) -> None:
    def more(body: dict[str, Any]) -> None:
        body["encrypted_tally"]["ballots"] += 1
        body["encrypted_tally"]["weight"] += 1

    def turnout(body: dict[str, Any]) -> None:
        body["ballots"] += 1
        body["weight"] += 1
        for question in body["questions"]:
            question["turnout"] += 1

    edit_event(record_copy, "tally", more)
    edit_event(record_copy, "result", turnout)
    _only_failure(_verify(record_copy), "11.9", "counted ballots")


def test_11_10_tally_columns_swapped(record_copy: BuiltRecord) -> None:
    def swap(body: dict[str, Any]) -> None:
        options = body["encrypted_tally"]["questions"][0]["options"]
        options[0], options[1] = options[1], options[0]

    edit_event(record_copy, "tally", swap)
    report = _verify(record_copy)
    _only_failure(report, "11.10", "not the product")
    assert report.step("11.11").status is StepStatus.BLOCKED


# -- 11.11 to 11.14 -------------------------------------------------------------------------


def test_11_11_share_proofs_swapped(record_copy: BuiltRecord) -> None:
    def swap(body: dict[str, Any]) -> None:
        proofs = body["shares"][0]["proofs"]
        proofs[0], proofs[1] = proofs[1], proofs[0]

    edit_event(record_copy, "tally", swap)
    _only_failure(_verify(record_copy), "11.11", "InvalidProof")


def test_11_12_combined_trustee_without_share(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)
    report = verify_record(replace(record, combined_trustees=(1, 2)))
    _only_failure(report, "11.12", "InvalidResult", "[1, 2]", "lowest valid ones, [1, 3]")


@pytest.mark.parametrize("combined", [[], [3, 1], [1, 3, 3], [2, 3]])
def test_11_12_combined_must_be_the_t_lowest_valid_trustees(
    record_copy: BuiltRecord, combined: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """Section 9.3: tally.json's combined is exactly the t lowest valid indices; [] too fails."""

    def change(body: dict[str, Any]) -> None:
        body["combined"] = combined

    edit_event(record_copy, "tally", change)
    _only_failure(_verify(record_copy), "11.12", "InvalidResult", "lowest valid")
    if not combined:  # the command verifies again to the same report: once is enough
        assert main(["verify", str(record_copy.path), "--jobs", "1"]) == 1
        assert "VERIFICATION FAILED at step(s) 11.12" in capsys.readouterr().out


def test_11_13_count_beyond_its_bound(
    record_copy: BuiltRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A count beyond its bound cannot be forged without the trustees' keys: shrink the bound.
    monkeypatch.setattr(
        verifier_module, "column_bounds", lambda tally, maxima: [0] * len(tally.columns())
    )
    _only_failure(_verify(record_copy), "11.13", "TallyOutOfRange")


def test_11_14_result_count_changed(record_copy: BuiltRecord) -> None:
    def change(body: dict[str, Any]) -> None:
        body["questions"][0]["counts"][0][1] += 1

    edit_event(record_copy, "result", change)
    _only_failure(_verify(record_copy), "11.14", "InvalidResult", "counts")


def test_11_14_winners_changed(record_copy: BuiltRecord) -> None:
    def change(body: dict[str, Any]) -> None:
        body["questions"][1]["winners"] = body["questions"][1]["winners"][:-1]

    edit_event(record_copy, "result", change)
    _only_failure(_verify(record_copy), "11.14", "InvalidResult")


# -- never pass what could not be read or checked ---------------------------------------------


def test_result_without_tally_fails(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)
    report = verify_record(replace(record, tally=None, shares=()))
    assert not report.ok and report.readable  # read and wrong: exit 1, not 2
    assert report.step("11.10").error_type == "InvalidRecord"


def test_board_truncated_before_the_close_fails(record_copy: BuiltRecord) -> None:
    def truncate(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines[:5]

    rewrite_board(record_copy, truncate, rechain=False, resign=False)
    for name in ("tally.json", "result.json"):
        (record_copy.path / name).unlink()
    reseal_record(record_copy.path)
    try:
        record = load_record(record_copy.path)
    except Exception:  # the loader refusing is as good: the record is not passed
        return
    report = verify_record(record)
    assert not report.ok
    assert "11.6" in [step.number for step in report.failed()]


def test_record_before_the_tally_skips_the_tally_steps(record_copy: BuiltRecord) -> None:
    record = load_record(record_copy.path)

    def without_tally(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if line["kind"] not in ("tally", "result")]

    rewrite_board(record_copy, without_tally)
    for name in ("tally.json", "result.json"):
        (record_copy.path / name).unlink()
    reseal_record(record_copy.path)
    record = load_record(record_copy.path)
    report = verify_record(record)
    assert report.ok and not report.complete
    assert report.step("11.14").status is StepStatus.SKIPPED


@pytest.mark.parametrize("target", ["check_ceremony_result", "check_chunk", "check_result"])
def test_unexpected_exception_is_a_failed_step(
    record_copy: BuiltRecord, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(verifier_module, target, boom)
    report = verify_record(load_record(record_copy.path))
    assert not report.ok
    assert any("ZeroDivisionError" in (step.error or "") for step in report.failed())


def test_report_is_not_ok_without_steps() -> None:
    assert not VerificationReport("x", ()).ok


def test_record_type_is_the_contract(honest: BuiltRecord) -> None:
    assert isinstance(load_record(honest.path), ElectionRecord)


# -- how workers find the election (no setup payload in every task) -------------------


def test_spawned_and_threaded_workers_find_the_election(honest: BuiltRecord) -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415
    from multiprocessing import get_context  # noqa: PLC0415

    record = load_record(honest.path)
    expected = [(s.number, s.items, s.status) for s in verify_record(record).steps]
    with ThreadPoolExecutor(2) as threads:
        threaded = verify_record(record, executor=threads, chunk_size=2)
    # A spawned worker has no inherited cache: it reads line 1 of board.jsonl once.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as spawned:
        respawned = verify_record(record, executor=spawned, chunk_size=2)
    for report in (threaded, respawned):
        assert [(s.number, s.items, s.status) for s in report.steps] == expected


def test_election_source_reads_and_checks_line_one(honest: BuiltRecord, tmp_path: Any) -> None:
    import shutil  # noqa: PLC0415

    from evote.errors import InvalidInput, InvalidRecord  # noqa: PLC0415
    from evote.verify.work import ElectionSource, setup_digest  # noqa: PLC0415

    board = tmp_path / "board.jsonl"
    shutil.copy(honest.path / "board.jsonl", board)
    payload = next(load_record(honest.path).entries()).payload
    source = ElectionSource(None, setup_digest(payload), str(board))
    assert source.payload() == payload
    assert ElectionSource(payload).digest == setup_digest(payload)
    stale = ElectionSource(None, setup_digest(payload + b" "), str(board))
    with pytest.raises(InvalidRecord, match="changed"):
        stale.payload()
    with pytest.raises(InvalidRecord, match="cannot be read"):
        ElectionSource(None, setup_digest(payload), str(tmp_path / "missing")).payload()
    with pytest.raises(InvalidInput):
        ElectionSource(None)
