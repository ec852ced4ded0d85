"""The trustee's steps stopped at every write, and finished by running them again.

Three trustees run the ceremony in this process (``evote.cli.main``), exchanging their public
files through one folder; the share trustee 2 sends trustee 1 is damaged on the way, so that
trustee 1 complains and trustee 2 answers. Trustee 1's folder is kept before and after each of
its steps (trustee 2's for the answer). Each step is then run again from the folder it started
from, stopped at its first write, then
at its second, and so on until it runs whole (the one atomic-write helper,
``evote.ceremony.keyfile.write_atomically``, raises KeyboardInterrupt instead of its k-th
write). After each stop the same command is run again: it must finish, say what it found when
it found something, and leave the folder in the state an uninterrupted run leaves (the same
files, the same public state, the key file at the same stage), from which the trustee's next
step (or the ceremony's result) goes on with the other trustee's files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evote.ceremony import files, keyfile
from evote.cli import main
from tests.cli.helpers import stopping_at

ELECTION = "stops-2027"
PASSPHRASE = "trustee horse battery staple"
STEPS = ("init", "commit", "reveal", "send", "receive", "answer", "confirm")
TRUSTEES = 3
# The trustee whose steps are stopped: trustee 1, but the answer is the accused's.
SUBJECT = {"answer": 2}
# The step each one hands on to (for trustee 1, then the ceremony's result).
FOLLOWING = {
    "init": "commit",
    "commit": "reveal",
    "reveal": "send",
    "send": "receive",
    "receive": "confirm",
    "answer": "confirm",
    "confirm": "finalize",
}


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def step_args(step: str, folder: Path, exchange: Path, index: int = 1) -> list[str | Path]:
    if step == "finalize":
        return ["ceremony", "finalize", "--out", folder / "result.json", exchange]
    secret = ["--passphrase-env", "TRUSTEE_PASS"]
    if step == "init":
        return [
            "trustee", "init", "--trustee", folder, "--election-id", ELECTION, "--index",
            str(index), "--trustees", str(TRUSTEES), "--threshold", "2", "--kdf", "interactive",
            *secret,
        ]  # fmt: skip
    return ["trustee", step, "--trustee", folder, exchange, *([] if step == "reveal" else secret)]


@dataclass(frozen=True)
class Ceremony:
    exchange: Path
    before: dict[str, Path]
    after: dict[str, Path]


@pytest.fixture(scope="module")
def ceremony(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Ceremony]:
    root = tmp_path_factory.mktemp("trustee-stops")
    exchange = root / "exchange"
    exchange.mkdir()
    folders = {i: root / f"trustee-{i}" for i in range(1, TRUSTEES + 1)}
    before: dict[str, Path] = {}
    after: dict[str, Path] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTEE_PASS", PASSPHRASE)
        for step in STEPS:
            subject = folders[SUBJECT.get(step, 1)]
            if subject.exists():
                before[step] = shutil.copytree(subject, root / f"before-{step}")
            for index, folder in folders.items():
                status = main([str(a) for a in step_args(step, folder, exchange, index)])
                assert status == 0, f"trustee {index}: {step}"
                for path in (folder / "out").glob("*.json"):
                    shutil.copy(path, exchange / path.name)
            if step == "send":
                # Damaged on the way: trustee 1 cannot open it, complains; trustee 2 answers.
                swapped = json.loads((exchange / "share-2-to-3.json").read_bytes())
                swapped["recipient"] = 1
                (exchange / "share-2-to-1.json").write_text(json.dumps(swapped))
            after[step] = shutil.copytree(subject, root / f"after-{step}")
        assert (exchange / "answer-2-to-1.json").is_file()
        yield Ceremony(exchange, before, after)


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def key_stage(folder: Path) -> Any:
    header = keyfile.read_public_header((folder / files.KEY_FILE).read_bytes())
    return header["stage"]


def same_state(folder: Path, reference: Path) -> None:
    """The state an uninterrupted run leaves: the same files, public state and key stage.

    The secrets are drawn afresh when a step is run again from the start, so the bytes of
    the key file and of the files derived from the polynomial may differ.
    """
    found, expected = contents(folder), contents(reference)
    assert sorted(found) == sorted(expected)
    assert found[files.STATE_FILE] == expected[files.STATE_FILE]
    assert key_stage(folder) == key_stage(reference)
    assert files.PENDING_FILE not in found


def goes_on(
    capsys: pytest.CaptureFixture[str], ceremony: Ceremony, step: str, folder: Path, tmp: Path
) -> None:
    """The following step accepts the folder, given its own public files with the others'.

    A complaint run afresh is signed afresh: trustee 2's answer names the first one, so the
    confirmation can follow only a receive step that was finished, not run again from nothing.
    """
    complaints = Path("out") / "complaints-1.json"
    reference = ceremony.after[step] / complaints
    if step == "receive" and (folder / complaints).read_bytes() != reference.read_bytes():
        return
    exchange = shutil.copytree(ceremony.exchange, tmp / "exchange")
    for path in (folder / "out").glob("*.json"):
        shutil.copy(path, exchange / path.name)
    following = FOLLOWING[step]
    target = tmp if following == "finalize" else folder
    index = SUBJECT.get(step, 1)
    status, _, err = run(capsys, *step_args(following, target, exchange, index))
    assert status == 0, err


@pytest.mark.parametrize("step", STEPS)
def test_a_step_stopped_at_each_write_is_finished_by_running_it_again(
    ceremony: Ceremony,
    step: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTEE_PASS", PASSPHRASE)
    stops = 0
    for k in range(1, 50):
        attempt = tmp_path / f"stop-{k}"
        folder = attempt / "trustee"
        attempt.mkdir()
        if step in ceremony.before:
            shutil.copytree(ceremony.before[step], folder)
        command = step_args(step, folder, ceremony.exchange, SUBJECT.get(step, 1))
        with monkeypatch.context() as patch:
            patch.setattr(keyfile, "write_atomically", stopping_at(k))
            status, _, err = run(capsys, *command)
        if status == 0:
            break  # fewer than k writes: the step ran whole
        assert status == 130 and "interrupted" in err
        stops += 1
        status, out, err = run(capsys, *command)
        assert status == 0, err
        # The first write is the transaction's journal: stopped there, nothing was written.
        assert ("found: 'evote trustee " + step in out) == (k > 1), out
        assert "wrote" in out
        same_state(folder, ceremony.after[step])
        goes_on(capsys, ceremony, step, folder, attempt)
        if step != "answer":  # an answer may be given again; the other steps happen once
            status, _, err = run(capsys, *command)
            assert status == 2
            assert ("already lives here" if step == "init" else "cannot") in err
    assert stops >= 3  # the journal, at least one file, the public state


def test_a_journal_naming_a_file_outside_the_folder_is_refused(
    ceremony: Ceremony, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shutil.copytree(ceremony.after["confirm"], tmp_path / "trustee")
    journal = {"step": "confirm", "writes": [{"path": "../elsewhere.json", "data": "e30="}]}
    (folder / files.PENDING_FILE).write_text(json.dumps(journal))
    status, _, err = run(capsys, *step_args("confirm", folder, ceremony.exchange))
    assert status == 2 and "is not in the folder" in err
    assert not (tmp_path / "elsewhere.json").exists()


def test_each_step_says_whom_its_files_go_to_as_the_runbook_does(
    ceremony: Ceremony,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTEE_PASS", PASSPHRASE)
    said = {}
    for step in ("send", "answer"):
        folder = shutil.copytree(ceremony.before[step], tmp_path / step)
        index = SUBJECT.get(step, 1)
        status, out, err = run(capsys, *step_args(step, folder, ceremony.exchange, index))
        assert status == 0, err
        said[step] = out
    assert "give each share-<i>-to-<j>.json to trustee j only" in said["send"]
    assert "every other trustee" not in said["send"] and "officer" not in said["send"]
    assert "next: 'evote trustee receive'" in said["send"]
    assert "next: 'evote trustee confirm'" in said["answer"]


def test_a_journal_of_an_unknown_step_is_refused(
    ceremony: Ceremony, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shutil.copytree(ceremony.after["confirm"], tmp_path / "trustee")
    (folder / files.PENDING_FILE).write_text(json.dumps({"step": "vote", "writes": []}))
    status, _, err = run(capsys, *step_args("confirm", folder, ceremony.exchange))
    assert status == 2 and "pending.json.step: unknown step 'vote'" in err


def test_a_state_of_an_unknown_stage_is_refused(
    ceremony: Ceremony, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shutil.copytree(ceremony.after["confirm"], tmp_path / "trustee")
    state = json.loads((folder / files.STATE_FILE).read_bytes())
    state["stage"] = "decrypted"
    (folder / files.STATE_FILE).write_text(json.dumps(state))
    status, _, err = run(capsys, *step_args("confirm", folder, ceremony.exchange))
    assert status == 2 and "state.json.stage: unknown trustee stage 'decrypted'" in err
