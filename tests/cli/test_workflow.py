"""End-to-end: the officers' and trustees' workflow, one command per step.

Each trustee has its own folder; the files a step produces are copied into the other trustees'
inboxes, as they would be carried between machines. Passphrases come from an environment
variable (``--passphrase-env``) or one line on standard input, never from the command line.

Each command runs through ``evote.cli.main`` in this process, with its own standard input,
output, error and environment (:func:`run_cli`): a command keeps nothing in memory for the next
one (the CLI's only caches are pure functions), so every step still starts from the files alone,
without the half second a new interpreter spends importing evote. ``python -m evote.cli`` as a
process is run by :func:`run_cli_process` (tests/cli/test_demo.py, the ``--debug`` traceback).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.cli import main

ROOT = Path(__file__).resolve().parents[2]
REFERENDUM = ROOT / "examples" / "referendum.json"
ELECTION_ID = "metro-2027-tram"
PASSPHRASES = {
    1: "correct horse one staple",
    2: "battery staple two horse",
    3: "trois chevaux de bataille",
}


def run_cli(
    *args: str | Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``evote ARGS`` in this process: its exit status, standard output and standard error.

    ``stdin`` is the command's whole standard input (none: empty, not a terminal, as for
    :func:`run_cli_process`); ``env`` is added to the environment for the command only, and
    whatever the command changes in the environment is undone after it. An exception that
    ``main`` lets through (a traceback in a process) fails the calling test.
    """
    argv = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    environ_before = dict(os.environ)
    stdin_before = sys.stdin
    os.environ.update(env or {})
    sys.stdin = io.StringIO(stdin if stdin is not None else "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exit_:  # argparse: --help, --version, a usage error
                status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    finally:
        sys.stdin = stdin_before
        for name in set(os.environ) - set(environ_before):
            del os.environ[name]
        os.environ.update(environ_before)
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def run_cli_process(
    *args: str | Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m evote.cli ARGS`` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "evote.cli", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin if stdin is not None else "",
        env={**os.environ, **(env or {})},
        timeout=600,
        check=False,
    )


def ok(*args: str | Path, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = run_cli(*args, stdin=stdin, env=env)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def fails(*args: str | Path, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail as bad input: status 2, one line, no traceback."""
    done = run_cli(*args, stdin=stdin, env=env)
    assert done.returncode == 2, f"{args}: status {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@dataclass
class Ceremony:
    """Trustees in their own folders, with the files copied between them."""

    root: Path
    trustees: int
    threshold: int
    folders: dict[int, Path] = field(default_factory=dict)

    def folder(self, index: int) -> Path:
        return self.root / f"trustee-{index}"

    def inbox(self, index: int) -> Path:
        return self.folder(index) / "inbox"

    def passphrase(self, index: int) -> tuple[list[str], str | None, dict[str, str]]:
        """Odd trustees use --passphrase-env, even ones type it on standard input."""
        if index % 2:
            return ["--passphrase-env", "TRUSTEE_PASS"], None, {"TRUSTEE_PASS": PASSPHRASES[index]}
        return [], PASSPHRASES[index] + "\n", {}

    def step(self, index: int, *args: str | Path, secret: bool = True) -> str:
        options, stdin, env = self.passphrase(index) if secret else ([], None, {})
        if args[0] == "decrypt":
            options = [*options, "--yes"]  # the confirmation is tested on its own
        return ok("trustee", *args, "--trustee", self.folder(index), *options, stdin=stdin, env=env)

    def deliver(self, pattern: str, only_addressed: bool = False) -> None:
        """Copy every trustee's out/<pattern> files into every trustee's inbox."""
        for recipient in range(1, self.trustees + 1):
            self.inbox(recipient).mkdir(parents=True, exist_ok=True)
            for sender in range(1, self.trustees + 1):
                for path in (self.folder(sender) / "out").glob(pattern):
                    if only_addressed and not path.name.endswith(f"-to-{recipient}.json"):
                        continue
                    shutil.copy(path, self.inbox(recipient) / path.name)

    def run(self, manifest: Path, exchange: Path) -> Path:
        everyone = range(1, self.trustees + 1)
        for i in everyone:
            self.step(
                i,
                "init",
                "--manifest",
                manifest,
                "--index",
                str(i),
                "--trustees",
                str(self.trustees),
                "--threshold",
                str(self.threshold),
                "--kdf",
                "interactive",
            )
        self.deliver("announce-*.json")
        for i in everyone:
            self.step(i, "commit", self.inbox(i))
        self.deliver("commit-*.json")
        for i in everyone:
            self.step(i, "reveal", self.inbox(i), secret=False)
        self.deliver("commitments-*.json")
        for i in everyone:
            self.step(i, "send", self.inbox(i))
        self.deliver("share-*-to-*.json", only_addressed=True)
        for i in everyone:
            out = self.step(i, "receive", self.inbox(i))
            assert "every share received checks" in out
        self.deliver("complaints-*.json")
        for i in everyone:
            out = self.step(i, "confirm", self.inbox(i))
            assert "transcript hash" in out
        exchange.mkdir()
        for i in everyone:
            for path in (self.folder(i) / "out").glob("*.json"):
                if not path.name.startswith("share-"):
                    shutil.copy(path, exchange / path.name)
        result = self.root / "ceremony-result.json"
        ok("ceremony", "finalize", "--out", result, exchange)
        return result


def write_voters(path: Path, voters: Iterable[tuple[str, int]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["voter_id", "weight"])
        writer.writerows(voters)


def read_codes(private: Path) -> dict[str, str]:
    with (private / "codes.csv").open(newline="") as handle:
        return {row["voter_id"]: row["code"] for row in csv.DictReader(handle)}


def check_board(election: Path, last: EntryKind, record: Path) -> None:
    """After a phase: the board's chain, then the published record through ``evote verify``."""
    with Board(str(election / "board.sqlite")) as board:
        board.verify(ELECTION_ID)
        assert board.head(ELECTION_ID).kind is last
    ok("publish", "--election", election, "--out", record)
    report = json.loads(ok("verify", record, "--json", "--jobs", "1"))
    assert report["ok"] is True, report


def cast(election: Path, code: str, choices: object, receipt: Path | None = None) -> str:
    keep = () if receipt is None else ("--receipt", receipt)
    out = ok(
        "cast",
        "--election",
        election,
        "--credential-env",
        "VOTER_CODE",
        "--choices",
        json.dumps(choices),
        *keep,
        env={"VOTER_CODE": code},
    )
    return str(json.loads(out)["tracking_code"])


# Voters, weights and the ballots they cast (the last ballot of a credential counts).
VOTERS = [("alice", 1), ("bob", 1), ("carol", 2), ("dave", 1), ("erin", 1)]
BALLOTS = [
    ("alice", {"tram-north": ["yes"]}),
    ("bob", {"tram-north": ["no"]}),
    ("carol", {"tram-north": ["no"]}),
    ("dave", {}),
    ("carol", {"tram-north": ["yes"]}),  # carol changes her mind: this one counts, weight 2
]
EXPECTED = {"yes": 3, "no": 1, "blank": 1, "ballots": 4, "weight": 5}


@pytest.mark.parametrize("present", [(1, 2, 3), (1, 3)], ids=["all-present", "trustee-2-absent"])
def test_whole_election_through_the_command_line(tmp_path: Path, present: tuple[int, ...]) -> None:
    election = tmp_path / "election"
    ok("election", "init", REFERENDUM, "--election", election)
    assert stat.S_IMODE((election / "board-key.json").stat().st_mode) == 0o600

    ceremony = Ceremony(tmp_path / "trustees", trustees=3, threshold=2)
    result_file = ceremony.run(REFERENDUM, tmp_path / "exchange")
    out = ok("election", "attach-ceremony", result_file, "--election", election)
    assert "transcript hash" in out

    voters_csv = tmp_path / "voters.csv"
    write_voters(voters_csv, VOTERS)
    private = tmp_path / "registrar"
    ok("credentials", "generate", voters_csv, "--election", election, "--out", private)
    codes = read_codes(private)
    assert sorted(codes) == sorted(name for name, _ in VOTERS)
    assert stat.S_IMODE((private / "codes.csv").stat().st_mode) == 0o600
    letter = (private / "letters" / "alice.txt").read_text()
    assert "alice" in letter and codes["alice"] in letter
    public = json.loads((election / "credentials.json").read_text())
    assert len(public["entries"]) == len(VOTERS)
    assert "alice" not in (election / "credentials.json").read_text()

    opened = ok("election", "open", "--election", election)
    announced = next(
        line.split()[1] for line in opened.splitlines() if line.startswith("fingerprint ")
    )
    check_board(election, EntryKind.OPEN, tmp_path / "record-opened")
    receipts = [tmp_path / f"receipt-{number}.json" for number in range(len(BALLOTS))]
    tracking = [
        cast(election, codes[voter], choices, receipt)
        for (voter, choices), receipt in zip(BALLOTS, receipts, strict=True)
    ]
    check_board(election, EntryKind.BALLOT, tmp_path / "record-voting")
    ok("election", "close", "--election", election)
    check_board(election, EntryKind.CLOSE, tmp_path / "record-closed")
    # An auditor keeps the checkpoint of the closed board, to pin the final record to it.
    held = tmp_path / "closed-checkpoint.json"
    ok("verify", tmp_path / "record-closed", "--jobs", "1", "--save-checkpoint", held)

    ok("tally", "--election", election)
    tally_file = election / "tally" / "encrypted-tally.json"
    ceremony_file = election / "ceremony.json"
    officer_inbox = tmp_path / "officer-inbox"
    officer_inbox.mkdir()
    for i in present:
        # The trustee's copy of the public files, on its own machine.
        copy = ceremony.folder(i) / "tally-inbox"
        copy.mkdir()
        shutil.copy(tally_file, copy / "encrypted-tally.json")
        shutil.copy(ceremony_file, copy / "ceremony.json")
        ceremony.step(
            i,
            "decrypt",
            "--tally",
            copy / "encrypted-tally.json",
            "--ceremony",
            copy / "ceremony.json",
        )
        share = ceremony.folder(i) / "out" / f"decryption-share-{i}.json"
        shutil.copy(share, officer_inbox / share.name)
    out = ok("tally", "combine", "--election", election, officer_inbox)
    if len(present) < 3:
        assert "absent: [2]" in out
    record = tmp_path / "record"
    check_board(election, EntryKind.RESULT, record)
    ok("verify-ballot", record, tracking[-1])
    assert "superseded" in run_cli("verify-ballot", record, tracking[2]).stdout  # carol's first
    assert "counted" in ok("verify-ballot", record, "--receipt", receipts[0])
    assert "superseded" in ok("verify-ballot", record, "--receipt", receipts[2])
    anchored = ok("verify", record, "--jobs", "1", "--fingerprint", announced, "--checkpoint", held)
    assert f"fingerprint  {announced}" in anchored

    assert ok("results", record) == ok("results", election)
    table = ok("results", election)
    assert "Yes" in table and "blank" in table
    printed = ok("results", election, "--format", "json")
    # The one format of a result: the record's result.json, byte for byte.
    assert printed.encode() == (record / "result.json").read_bytes()
    assert (election / "result.json").read_bytes() == (record / "result.json").read_bytes()
    document = json.loads(printed)
    (question,) = document["questions"]
    assert dict(question["counts"]) == {"yes": EXPECTED["yes"], "no": EXPECTED["no"]}
    assert question["blank"] == EXPECTED["blank"]
    assert (document["ballots"], document["weight"]) == (EXPECTED["ballots"], EXPECTED["weight"])
    rows = list(csv.DictReader(ok("results", record, "--format", "csv").splitlines()))
    assert {row["option"]: int(row["votes"]) for row in rows} == {
        "Yes": 3,
        "No": 1,
        "blank": 1,
    }
