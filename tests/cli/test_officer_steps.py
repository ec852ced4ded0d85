"""The officer's steps: stopped halfway, finished by running them again; what they say.

An officer's step stopped halfway (a crash, Ctrl-C) is finished by running it again.
Each step that writes more than once (``election init``, ``election open``, ``tally combine``,
``publish``) is stopped at each of its writes in turn, by a monkeypatched write function that
raises KeyboardInterrupt instead of writing; the same command is then run again, must say what
it found, and the election must complete to a record that ``evote verify --complete`` accepts.
The commands run in this process (``evote.cli.main``) so that the writes can be patched.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from evote.cli import election as election_cli
from evote.cli import main
from evote.cli.workspace import BOARD_KEY_FILE, CONFIG_FILE, MANIFEST_FILE
from tests.cli.test_workflow import PASSPHRASES, REFERENDUM
from tests.cli.test_workflow_errors import World, make_world, new_election


@dataclass(frozen=True)
class Closed:
    """A closed election with its encrypted tally and both trustees' decryption shares."""

    world: World
    election: Path
    shares: Path


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Closed:
    root = tmp_path_factory.mktemp("resume")
    world = make_world(root)
    election = new_election(root, world, until="tally")
    shares = root / "shares"
    shares.mkdir()
    for i in (1, 2):
        world.ceremony.step(
            i,
            "decrypt",
            "--tally",
            election / "tally" / "encrypted-tally.json",
            "--ceremony",
            election / "ceremony.json",
            "--out",
            shares / f"decryption-share-{i}.json",
        )
    return Closed(world, election, shares)


def stop(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def completes(capsys: pytest.CaptureFixture[str], election: Path, record: Path) -> None:
    """The election goes on to a record that verifies completely."""
    status, out, err = run(capsys, "publish", "--election", election, "--out", record)
    assert status == 0, err
    status, out, err = run(capsys, "verify", record, "--complete", "--jobs", "1")
    assert status == 0, out + err
    status, out, err = run(capsys, "results", election)
    assert status == 0 and "blank" in out, err


def copy_election(closed: Closed, tmp_path: Path) -> Path:
    election = tmp_path / "election"
    shutil.copytree(closed.election, election)
    return election


# -- tally combine ----------------------------------------------------------------------------

COMBINE_WRITES = {
    # the stopped write: what the rerun must report finding (the TALLY event is stopped at the
    # board's own method: evote.tallying reaches it through helpers of its own)
    "evote.board.board.Board.publish_tally": "",
    "evote.tallying.publish_result": (
        "found: the tally is on the board but not the result: publishing the result"
    ),
    "evote.cli.tally.write_public": "found: the tally and the result are on the board already",
}


@pytest.mark.parametrize("write", sorted(COMBINE_WRITES))
def test_combine_stopped_at_each_write_is_finished_by_running_it_again(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    write: str,
) -> None:
    election = copy_election(closed, tmp_path)
    command = ("tally", "combine", "--election", election, closed.shares)
    with monkeypatch.context() as patch:
        patch.setattr(write, stop)
        status, _, err = run(capsys, *command)
    assert status == 130 and "interrupted" in err
    assert not (election / "result.json").exists()
    status, out, err = run(capsys, *command)
    assert status == 0, err
    assert COMBINE_WRITES[write] in out
    assert ("the share files given are not read" in out) == write.endswith("publish_result")
    assert "wrote" in out and (election / "result.json").exists()
    # Once finished, running it again changes nothing and says so.
    status, out, err = run(capsys, *command)
    assert status == 0, err
    assert "on the board already" in out and "holds the result already" in out
    completes(capsys, election, tmp_path / "record")


def test_finishing_a_combination_needs_no_shares(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    election = copy_election(closed, tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr("evote.tallying.publish_result", stop)
        run(capsys, "tally", "combine", "--election", election, closed.shares)
    # The board's TALLY event holds the shares: the rerun decrypts from it.
    status, out, err = run(capsys, "tally", "combine", "--election", election)
    assert status == 0, err
    assert "shares of trustees [1, 2] on the board" in out
    completes(capsys, election, tmp_path / "record")


def test_combine_from_a_closed_board_needs_the_shares(
    closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election = copy_election(closed, tmp_path)
    status, _, err = run(capsys, "tally", "combine", "--election", election)
    assert status == 2
    assert "no decryption share files" in err


# -- publish ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def combined(closed: Closed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    election = tmp_path_factory.mktemp("combined") / "election"
    shutil.copytree(closed.election, election)
    assert main(["tally", "combine", "--election", str(election), str(closed.shares)]) == 0
    return election


PUBLISH_WRITES = {
    "evote.cli.tally.export_record": "",
    "evote.record.export.write_archive": "found: {out} holds the record at board position",
}


@pytest.mark.parametrize("write", sorted(PUBLISH_WRITES))
def test_publish_stopped_at_each_write_is_finished_by_running_it_again(
    combined: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    write: str,
) -> None:
    out = tmp_path / "record"
    archive = tmp_path / "record.tar.gz"
    command = ("publish", "--election", combined, "--out", out, "--archive", archive)
    with monkeypatch.context() as patch:
        patch.setattr(write, stop)
        status, _, _ = run(capsys, *command)
    assert status == 130
    assert not archive.exists()
    status, printed, err = run(capsys, *command)
    assert status == 0, err
    assert PUBLISH_WRITES[write].format(out=out) in printed
    expected = f"wrote {archive}" if PUBLISH_WRITES[write] else f"wrote {out} and {archive}"
    assert expected in printed
    for source in (out, archive):
        status, printed, err = run(capsys, "verify", source, "--complete", "--jobs", "1")
        assert status == 0, printed + err


def test_publish_into_an_older_record_is_refused(
    combined: Path, closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "record"
    assert run(capsys, "publish", "--election", closed.election, "--out", out)[0] == 0
    status, _, err = run(capsys, "publish", "--election", combined, "--out", out)
    assert status == 2
    assert "holds an older record of this election" in err and "choose another --out" in err


# -- election init and open -------------------------------------------------------------------


def _stop_on(name: str, write: Callable[..., Any]) -> Callable[..., Any]:
    """``write``, except that writing the file ``name`` stops."""

    def patched(path: Path, *args: Any) -> Any:
        if path.name == name:
            raise KeyboardInterrupt
        return write(path, *args)

    return patched


@pytest.mark.parametrize("name", [MANIFEST_FILE, BOARD_KEY_FILE, CONFIG_FILE])
def test_init_stopped_at_each_write_is_finished_by_running_it_again(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    election = tmp_path / "election"
    command = ("election", "init", REFERENDUM, "--election", election)
    function = "write_secret" if name == BOARD_KEY_FILE else "write_public"
    with monkeypatch.context() as patch:
        patch.setattr(election_cli, function, _stop_on(name, getattr(election_cli, function)))
        assert run(capsys, *command)[0] == 130
    status, out, err = run(capsys, *command)
    assert status == 0, err
    assert ("half-initialised" in out) == (name != MANIFEST_FILE)
    assert (election / CONFIG_FILE).exists() and (election / BOARD_KEY_FILE).exists()
    # A directory with other files in it is not completed.
    other = tmp_path / "other"
    other.mkdir()
    (other / MANIFEST_FILE).write_text("{}")
    status, _, err = run(capsys, "election", "init", REFERENDUM, "--election", other)
    assert status == 2 and "not empty" in err


def test_open_stopped_after_the_setup_entry_is_finished_by_running_it_again(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    election = tmp_path / "election"
    shutil.copytree(closed.election, election)
    (election / "board.sqlite").unlink()
    with monkeypatch.context() as patch:
        patch.setattr("evote.board.board.Board.open_election", stop)
        assert run(capsys, "election", "open", "--election", election)[0] == 130
    monkeypatch.setattr(election_cli, "_now", lambda: datetime(2027, 1, 5, tzinfo=UTC))
    status, out, err = run(capsys, "election", "open", "--election", election)
    assert status == 0, err
    assert "found: the election is on the board but not open: opening it" in out
    assert "is open" in out
    # Opened before the manifest's dates: a warning naming both, not an error.
    assert err.startswith("evote: warning: opened at 2027-01-05T00:00:00+00:00, before the")
    assert "opens 2027-03-01T08:00:00+01:00 and closes 2027-03-14T20:00:00+01:00" in err


# -- trustee decrypt: what is decrypted, confirmed before the passphrase -----------------------


def _decrypt_args(closed: Closed, out: Path) -> list[str | Path]:
    return [
        "trustee", "decrypt", "--trustee", closed.world.ceremony.folder(2),
        "--tally", closed.election / "tally" / "encrypted-tally.json",
        "--ceremony", closed.election / "ceremony.json", "--out", out,
    ]  # fmt: skip


def _fingerprint(closed: Closed) -> str:
    document = json.loads((closed.election / "tally" / "encrypted-tally.json").read_text())
    return base64.b64decode(document["fingerprint"]).hex()


def test_decrypt_shows_the_fingerprint_and_asks_before_the_passphrase(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "share.json"
    # Refused: nothing decrypted, and the passphrase line is never read.
    stdin = io.StringIO(f"n\n{PASSPHRASES[2]}\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    status, printed, err = run(capsys, *_decrypt_args(closed, out))
    assert status == 2 and "decryption not confirmed" in err
    assert f"election fingerprint {_fingerprint(closed)}" in printed
    assert "1 counted ballots" in printed and "[y/N]" in printed
    assert stdin.readline() == f"{PASSPHRASES[2]}\n"
    assert not out.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"y\n{PASSPHRASES[2]}\n"))
    status, printed, err = run(capsys, *_decrypt_args(closed, out))
    assert status == 0, err
    assert out.exists()


def test_decrypt_yes_skips_the_question(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "share.json"
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSPHRASES[2]}\n"))
    status, printed, err = run(capsys, *_decrypt_args(closed, out), "--yes")
    assert status == 0, err
    assert "[y/N]" not in printed and _fingerprint(closed) in printed
    assert out.exists()


# -- a file of the wrong kind -----------------------------------------------------------------


def test_decrypt_with_swapped_tally_and_ceremony_says_so(
    closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = closed.election / "tally" / "encrypted-tally.json"
    ceremony = closed.election / "ceremony.json"
    args = ["trustee", "decrypt", "--trustee", closed.world.ceremony.folder(2), "--yes"]
    status, _, err = run(capsys, *args, "--tally", ceremony, "--ceremony", tally)
    assert status == 2
    assert (
        f"{ceremony} is a ceremony-result document; --tally expects an encrypted-tally document"
        " (did you swap --tally and --ceremony?)"
    ) in err
    status, _, err = run(capsys, *args, "--tally", tally, "--ceremony", tally)
    assert status == 2
    assert (
        f"{tally} is an encrypted-tally document; --ceremony expects a ceremony-result document"
        " (did you swap --ceremony and --tally?)"
    ) in err


def test_officer_commands_name_the_kind_of_a_wrong_file(
    closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = closed.election / "tally" / "encrypted-tally.json"
    election = tmp_path / "election"
    assert run(capsys, "election", "init", REFERENDUM, "--election", election)[0] == 0
    status, _, err = run(capsys, "election", "attach-ceremony", tally, "--election", election)
    assert status == 2
    assert (
        f"{tally} is an encrypted-tally document; 'evote election attach-ceremony' expects a"
        " ceremony-result document"
    ) in err
    assert "did you swap" not in err
    copy = copy_election(closed, tmp_path / "copy")
    status, _, err = run(capsys, "tally", "combine", "--election", copy, tally)
    assert status == 2
    assert "is an encrypted-tally document; 'evote tally combine' expects a decryption-share" in err
    # The encrypted tally file replaced by a share: named too.
    shutil.copy(closed.shares / "decryption-share-1.json", copy / "tally" / "encrypted-tally.json")
    status, _, err = run(capsys, "tally", "combine", "--election", copy, closed.shares)
    assert status == 2
    assert "is a decryption-share document; 'evote tally combine' expects an encrypted-tally" in err


# -- one encrypted-tally format, progress -----------------------------------------------------


def test_the_trustees_tally_file_holds_the_records_encrypted_tally(
    closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election = copy_election(closed, tmp_path)
    status, _, err = run(capsys, "tally", "combine", "--election", election, closed.shares)
    assert status == 0, err
    record = tmp_path / "record"
    status, _, err = run(capsys, "publish", "--election", election, "--out", record)
    assert status == 0, err
    handed = json.loads((election / "tally" / "encrypted-tally.json").read_bytes())
    published = json.loads((record / "tally.json").read_bytes())
    assert handed["kind"] == "encrypted-tally" and handed["version"] == 2
    assert handed["encrypted_tally"] == published["encrypted_tally"]


def test_a_tally_file_of_the_first_version_is_refused(
    closed: Closed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = json.loads((closed.election / "tally" / "encrypted-tally.json").read_bytes())
    old["version"] = 1
    path = tmp_path / "encrypted-tally.json"
    path.write_text(json.dumps(old))
    status, _, err = run(
        capsys, "trustee", "decrypt", "--trustee", closed.world.ceremony.folder(1), "--tally",
        path, "--ceremony", closed.election / "ceremony.json", "--yes",
    )  # fmt: skip
    assert status == 2 and "encrypted-tally.json.version" in err


def test_tally_prints_progress_lines_when_not_on_a_terminal(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    election = copy_election(closed, tmp_path)
    monkeypatch.setattr("evote.cli.progress.LINE_INTERVAL", 0.0)
    status, out, err = run(capsys, "tally", "--election", election)
    assert status == 0, err
    counted = re.search(r"encrypted tally of (\d+) counted ballots", out)
    assert counted is not None, out
    ballots = int(counted.group(1))
    lines = err.splitlines()
    assert [line.split(",")[0] for line in lines[:ballots]] == [
        f"tally: ballots: {n}" for n in range(1, ballots + 1)
    ]
    assert lines[-1].startswith(f"tally: ballots: {ballots}, ") and "/s, " in lines[-1]


def test_publish_prints_progress_lines_when_not_on_a_terminal(
    closed: Closed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("evote.cli.progress.LINE_INTERVAL", 0.0)
    status, out, err = run(
        capsys, "publish", "--election", closed.election, "--out", tmp_path / "record"
    )
    assert status == 0, err
    position = re.search(r"at board position (\d+)", out)
    assert position is not None, out
    entries = int(position.group(1))
    lines = [line.split(",")[0] for line in err.splitlines()]
    expected = [f"publish: board entries: {n}/{entries} ({n / entries:.0%})" for n in range(1, 4)]
    assert lines[:3] == expected, err
    assert lines[-1] == f"publish: board entries: {entries}/{entries} (100%)"
    # The auditor's verification of it, likewise.
    status, out, err = run(capsys, "verify", tmp_path / "record", "--jobs", "1")
    assert status == 0, out + err
    counted = re.findall(r"^(.+): (\d+)/(\d+) \(\d+%\), \d+/s, \d+ s$", err, re.MULTILINE)
    assert counted, err
    assert all(int(done) <= int(total) for _, done, total in counted)
