"""``evote verify`` and ``evote verify-ballot`` through the command line; Dask gives the same."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from evote.cli import main
from evote.cli.verify import tasks_in_flight
from evote.record.load import load_record
from evote.verify import STEPS, BallotState, verify_ballot_on_record, verify_record
from evote.verify.cluster import DaskExecutor
from evote.verify.verifier import DEFAULT_MAX_PENDING
from tests.verify.conftest import BuiltRecord, edit_event

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, optimise: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *(["-O"] if optimise else []), "-m", "evote.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


def _tamper_result(built: BuiltRecord) -> None:
    def change(body: dict[str, Any]) -> None:
        body["questions"][0]["counts"][0][1] += 1

    edit_event(built, "result", change)


def test_cli_honest_json(honest: BuiltRecord, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(honest.path), "--json", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and [step["number"] for step in report["steps"]] == [n for n, _ in STEPS]
    assert [audit["verdict"] for audit in report["audits"]] == ["audit holds"]


def test_cli_table_names_the_failed_step(
    record_copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper_result(record_copy)
    assert main(["verify", str(record_copy.path), "--jobs", "2", "--chunk-size", "2"]) == 1
    out = capsys.readouterr().out
    assert "VERIFICATION FAILED at step(s) 11.14" in out
    assert "11.14 result and winners: InvalidResult" in out


def test_cli_cut_board_fails_step_11_0_and_missing_path_exits_2(
    record_copy: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    board = record_copy.path / "board.jsonl"
    board.write_bytes(board.read_bytes()[:-20])  # cut inside the last line
    assert main(["verify", str(record_copy.path)]) == 1
    out = capsys.readouterr().out
    assert "VERIFICATION FAILED at step(s) 11.0" in out
    assert "11.0 record files: InvalidRecord: record.json: line 1:" in out
    assert main(["verify", str(record_copy.path / "missing")]) == 2
    assert "UnreadableRecord" in capsys.readouterr().err


def test_cli_same_verdict_under_python_O(record_copy: BuiltRecord) -> None:
    """Without asserts, the verdicts of the tests above: 0 on the honest record (as in
    test_cli_honest_json), 1 at step 11.14 on the same tampered result (as in
    test_cli_table_names_the_failed_step)."""
    honest = _run("verify", str(record_copy.path), "--jobs", "1", optimise=True)
    assert honest.returncode == 0, honest.stderr + honest.stdout
    _tamper_result(record_copy)
    tampered = _run("verify", str(record_copy.path), "--jobs", "1", optimise=True)
    assert tampered.returncode == 1, tampered.stderr + tampered.stdout
    assert "11.14" in tampered.stdout


def test_verify_ballot_states(honest: BuiltRecord, capsys: pytest.CaptureFixture[str]) -> None:
    record = load_record(honest.path)
    seen = set()
    for code, expected in honest.codes.items():
        status = verify_ballot_on_record(record, code.lower().replace("-", " "))
        assert status.state.value == expected
        assert status.tracking_code == code
        seen.add(status.state)
        if status.state is BallotState.SUPERSEDED:
            assert status.superseded_by is not None and status.counted_tracking_code is not None
            later = verify_ballot_on_record(record, status.counted_tracking_code)
            assert later.state is BallotState.COUNTED and later.position == status.superseded_by
    assert seen == {BallotState.COUNTED, BallotState.SUPERSEDED, BallotState.SPOILED}
    absent = "0000-0000-0000-0000-00000"
    assert verify_ballot_on_record(record, absent).state is BallotState.ABSENT
    counted = next(code for code, state in honest.codes.items() if state == "counted")
    assert main(["verify-ballot", str(honest.path), counted]) == 0
    assert "counted" in capsys.readouterr().out
    assert main(["verify-ballot", str(honest.path), absent, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["state"] == "absent"
    assert main(["verify-ballot", str(honest.path), "not-a-code"]) == 2


def test_verify_ballot_reads_any_spelling_and_names_a_typo(
    honest: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    counted = next(code for code, state in honest.codes.items() if state == "counted")
    assert main(["verify-ballot", str(honest.path), counted.lower().replace("-", "")]) == 0
    assert f"ballot {counted}: on the board" in capsys.readouterr().out
    odd_end = counted[:-1] + "1"  # the last symbol of a tracking code is even
    assert main(["verify-ballot", str(honest.path), odd_end]) == 2
    error = capsys.readouterr().err
    assert error.startswith("evote: InvalidInput: this is not a tracking code: ")
    assert "check the characters" in error and len(error.strip().splitlines()) == 1
    assert main(["verify-ballot", str(honest.path), counted[:5] + "U" + counted[6:]]) == 2
    assert "this is not a tracking code" in capsys.readouterr().err


def test_dask_local_cluster_gives_the_process_pool_report(honest: BuiltRecord) -> None:
    distributed = pytest.importorskip("distributed")
    record = load_record(honest.path)
    with ProcessPoolExecutor(2) as pool:
        pooled = verify_record(record, executor=pool, chunk_size=2)
    with (
        distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        dasked = verify_record(record, executor=DaskExecutor(client), chunk_size=2)
    assert pooled.ok and dasked.ok
    assert [(s.number, s.items, s.status, s.error) for s in pooled.steps] == [
        (s.number, s.items, s.status, s.error) for s in dasked.steps
    ]


class _CountingPool(ThreadPoolExecutor):
    """A thread pool that shares like a cluster: it notes what it was given and what it ran."""

    def __init__(self) -> None:
        super().__init__(2)
        self.shared: list[Any] = []
        self.sources: list[Any] = []

    def share(self, value: Any) -> Any:
        self.shared.append(value)
        return value

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.sources.append(args[0])
        return super().submit(fn, *args, **kwargs)


def test_a_sharing_executor_gets_the_election_once(honest: BuiltRecord) -> None:
    record = load_record(honest.path)
    with _CountingPool() as pool:
        report = verify_record(record, executor=pool, chunk_size=2)
    assert report.ok
    assert len(pool.shared) == 1
    (source,) = pool.shared
    assert source.setup_payload is not None  # the payload itself, for workers anywhere
    assert len(pool.sources) > 1
    assert all(task_source is source for task_source in pool.sources)


@contextmanager
def _threaded_cluster(workers: int, threads: int) -> Iterator[tuple[Any, Any]]:
    """A Dask LocalCluster of in-process workers and its client: (cluster, client)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=threads, processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield cluster, client


def test_evote_verify_on_a_dask_scheduler(
    honest: BuiltRecord, capsys: pytest.CaptureFixture[str]
) -> None:
    with _threaded_cluster(2, 1) as (cluster, client):
        executor = DaskExecutor(client)
        assert executor.worker_threads() == 2
        assert tasks_in_flight(executor, None) == DEFAULT_MAX_PENDING  # 2 x 2 is fewer
        assert tasks_in_flight(executor, 5) == 5
        command = ["verify", str(honest.path), "--json", "--chunk-size", "2"]
        assert main([*command, "--dask", cluster.scheduler_address]) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True
        assert main([*command, "--dask", cluster.scheduler_address, "--in-flight", "0"]) == 2
        assert "--in-flight 0" in capsys.readouterr().err


def test_a_large_cluster_gets_two_tasks_per_worker_thread() -> None:
    with _threaded_cluster(1, 40) as (_, client):
        assert tasks_in_flight(DaskExecutor(client), None) == 80
    assert tasks_in_flight(None, None) == DEFAULT_MAX_PENDING
