"""End-to-end: `evote demo` as a separate process, the way a newcomer runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evote.board.board import Board
from evote.cli.demo import BUDGET, ELECTION_ID, PROJECTS, run_demo
from evote.crypto.groups import ED25519, MODP4096
from tests.cli.test_workflow import run_cli as run_in_process


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evote.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_runs_a_whole_election(tmp_path: Path) -> None:
    out = tmp_path / "record"
    done = run_cli("demo", "--voters", "12", "--jobs", "1", "--seed", "7", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "trustee 2 absent" in done.stdout
    assert "Benaloh audit" in done.stdout
    assert "record verified" in done.stdout
    assert (out / "record.tar.gz").is_file()
    audited = run_cli("verify", str(out / "record"), "--jobs", "1")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert run_cli("verify", str(out / "record.tar.gz"), "--jobs", "1").returncode == 0
    # The record's result.json, byte for byte: a result has one format.
    assert (out / "result.json").read_bytes() == (out / "record" / "result.json").read_bytes()
    result = json.loads((out / "result.json").read_text())
    referendum, budget = result["questions"]
    assert result["ballots"] == 12
    assert sum(votes for _, votes in referendum["counts"]) + referendum["blank"] == 12
    assert budget["spent"] <= BUDGET
    assert budget["spent"] == sum(
        cost for pid, _, _, cost in PROJECTS if pid in budget["winners"]
    )
    with Board(str(out / "board.sqlite")) as board:
        board.verify(ELECTION_ID)
        assert not board.head(ELECTION_ID).is_open
        counted = sum(1 for _ in board.counted_entries(ELECTION_ID))
    assert counted == 12


@pytest.mark.parametrize("group", [ED25519, MODP4096], ids=lambda g: g.name)
def test_demo_api_counts_every_voter_once(tmp_path: Path, group: object) -> None:
    outcome = run_demo(6, group, tmp_path, workers=1, seed=3)  # type: ignore[arg-type]
    assert outcome.result.turnout.ballots == 6
    assert outcome.accepted == 6 + outcome.revotes
    referendum = outcome.result.questions[0]
    assert sum(votes for _, votes in referendum.counts) + (referendum.blank or 0) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demo", "--voters", "1"), "at least 2 voters"),
        (("demo", "--group", "p256"), "invalid choice"),
        (("demo", "--jobs", "0"), "at least 1"),
        (("demo", "--bogus"), "unrecognized arguments"),
        (("nonsense",), "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(args: tuple[str, ...], message: str) -> None:
    # In this process: the demo as a process is the test above, refusals need no interpreter.
    done = run_in_process(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2


def test_existing_board_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "board.sqlite").write_bytes(b"")
    done = run_in_process("demo", "--voters", "2", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "exists already" in done.stderr


@pytest.mark.parametrize("stop_at", ["_tally", "_verify"])
def test_a_demo_stopped_halfway_leaves_nothing_and_runs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_at: str
) -> None:
    """Stopped once the board is written (the tally), or the record too (the verification)."""

    def stop(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    out = tmp_path / "demo"
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(f"evote.cli.demo.{stop_at}", stop)
        run_demo(3, ED25519, out, 1, seed=1)
    assert list(out.iterdir()) == []
    outcome = run_demo(3, ED25519, out, 1, seed=1)
    assert outcome.result.turnout.ballots >= 1
    assert sorted(path.name for path in out.iterdir()) == [
        "board.sqlite", "ceremony.json", "record", "record.tar.gz", "result.json",
    ]  # fmt: skip
