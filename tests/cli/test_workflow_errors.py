"""Bad input to the officers' and trustees' commands: one line, exit status 2, no traceback.

A missing or corrupt file, a wrong passphrase, a step run out of order, an unknown option: the
line says what is wrong and what to do (the command to run first, the option to give).
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from evote.cli.workspace import read_passphrase
from evote.errors import InvalidInput
from tests.cli.test_workflow import (
    REFERENDUM,
    VOTERS,
    Ceremony,
    cast,
    fails,
    ok,
    read_codes,
    run_cli_process,
    write_voters,
)


@dataclass(frozen=True)
class World:
    root: Path
    ceremony: Ceremony
    result_file: Path
    voters: Path


def make_world(root: Path) -> World:
    """Two trustees' ceremony (threshold 2) for the referendum, and its voters, in ``root``."""
    ceremony = Ceremony(root / "trustees", trustees=2, threshold=2)
    result_file = ceremony.run(REFERENDUM, root / "exchange")
    voters = root / "voters.csv"
    write_voters(voters, VOTERS)
    return World(root, ceremony, result_file, voters)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("world"))


def init_trustee_args(folder: Path) -> tuple[str | Path, ...]:
    """``evote trustee init`` for trustee 1 of 2 (threshold 1) of election "e", cheap KDF."""
    return (
        "trustee", "init", "--trustee", folder, "--election-id", "e", "--index", "1",
        "--trustees", "2", "--threshold", "1", "--kdf", "interactive",
    )  # fmt: skip


def new_election(tmp_path: Path, world: World, *, until: str) -> Path:
    """An election directory taken through the steps up to ``until`` (included)."""
    election = tmp_path / "election"
    ok("election", "init", REFERENDUM, "--election", election)
    steps = ["ceremony", "credentials", "open", "close", "tally"]
    for step in steps[: steps.index(until) + 1] if until != "init" else []:
        if step == "ceremony":
            ok("election", "attach-ceremony", world.result_file, "--election", election)
        elif step == "credentials":
            ok(
                "credentials",
                "generate",
                world.voters,
                "--election",
                election,
                "--out",
                tmp_path / "registrar",
            )
        elif step in ("open", "close"):
            ok("election", step, "--election", election)
            if step == "open":
                code = read_codes(tmp_path / "registrar")["erin"]
                cast(election, code, {"tram-north": ["no"]})
        else:
            ok("tally", "--election", election)
    return election


# -- options and files ------------------------------------------------------------------------


def test_unknown_option_is_refused(tmp_path: Path) -> None:
    line = fails("election", "open", "--election", tmp_path, "--bogus")
    assert "unrecognized arguments: --bogus" in line


def test_passphrase_is_never_a_command_line_value(tmp_path: Path) -> None:
    line = fails(
        "trustee",
        "init",
        "--trustee",
        tmp_path / "t",
        "--election-id",
        "e",
        "--index",
        "1",
        "--trustees",
        "1",
        "--threshold",
        "1",
        "--passphrase",
        "secret",
    )
    assert "--passphrase" in line


def test_missing_manifest(tmp_path: Path) -> None:
    line = fails("election", "init", tmp_path / "nope.json", "--election", tmp_path / "e")
    assert "no manifest" in line


def test_corrupt_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(REFERENDUM.read_bytes()[:-20])
    line = fails("election", "init", manifest, "--election", tmp_path / "e")
    assert "InvalidManifest" in line


def test_not_an_election_directory(tmp_path: Path) -> None:
    line = fails("election", "open", "--election", tmp_path)
    assert "evote election init" in line


def test_corrupt_ceremony_result(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="init")
    broken = tmp_path / "ceremony.json"
    document = json.loads(world.result_file.read_text())
    document["threshold" if "threshold" in document else "version"] = 99
    broken.write_text(json.dumps(document))
    fails("election", "attach-ceremony", broken, "--election", election)


def test_init_with_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://officer:s3cret-pw@127.0.0.1:{port}/evote"
    line = fails("election", "init", REFERENDUM, "--election", tmp_path / "e", "--database", url)
    assert line.startswith("evote: StorageUnavailable: board database postgresql://officer:***@")
    assert "s3cret-pw" not in line
    assert not (tmp_path / "e").exists()  # nothing half-made


@pytest.mark.parametrize("damage", ["not a database", "truncated"])
def test_command_on_an_unusable_board_is_one_line(
    tmp_path: Path, world: World, damage: str
) -> None:
    election = new_election(tmp_path, world, until="open")
    board = election / "board.sqlite"
    data = board.read_bytes()
    for extra in ("-wal", "-shm"):
        (election / f"board.sqlite{extra}").unlink(missing_ok=True)
    board.write_bytes(b"not a database\n" * 300 if damage == "not a database" else data[:4096])
    line = fails("election", "close", "--election", election)
    assert line.startswith(f"evote: StorageUnavailable: board database {board}: cannot be opened")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    # A process: in this one, the exception --debug lets through would reach the test.
    done = run_cli_process("--debug", "election", "open", "--election", tmp_path)
    assert done.returncode != 0
    assert "Traceback" in done.stderr


# -- steps out of order -----------------------------------------------------------------------


def test_open_before_the_ceremony_is_attached(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="init")
    line = fails("election", "open", "--election", election)
    assert "attach-ceremony" in line


def test_open_before_the_credentials(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="ceremony")
    line = fails("election", "open", "--election", election)
    assert "credentials generate" in line


def test_tally_before_open_and_before_close(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="credentials")
    assert "election open" in fails("tally", "--election", election)
    assert "election open" in fails("election", "close", "--election", election)
    ok("election", "open", "--election", election)
    assert "election close" in fails("tally", "--election", election)
    assert "opened already" in fails("election", "open", "--election", election)
    assert "tally" in fails("tally", "combine", "--election", election, tmp_path)


def test_nothing_changes_once_open(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="open")
    line = fails(
        "credentials",
        "generate",
        world.voters,
        "--election",
        election,
        "--replace",
        "--out",
        tmp_path / "again",
    )
    assert "already on the board" in line
    line = fails("election", "attach-ceremony", world.result_file, "--election", election)
    assert "already on the board" in line


def test_cast_after_close(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="close")
    code = read_codes(tmp_path / "registrar")["alice"]
    line = fails(
        "cast",
        "--election",
        election,
        "--credential-env",
        "VOTER_CODE",
        "--choices",
        '{"tram-north": ["yes"]}',
        env={"VOTER_CODE": code},
    )
    assert "ElectionNotOpen" in line
    assert "closed already" in fails("election", "close", "--election", election)


def test_cast_bad_choices_and_unknown_credential(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="open")
    code = read_codes(tmp_path / "registrar")["alice"]
    env = {"VOTER_CODE": code}
    assert "not JSON" in fails(
        "cast",
        "--election",
        election,
        "--credential-env",
        "VOTER_CODE",
        "--choices",
        "{yes",
        env=env,
    )
    line = fails(
        "cast",
        "--election",
        election,
        "--credential-env",
        "VOTER_CODE",
        "--choices",
        '{"tram-north": ["maybe"]}',
        env=env,
    )
    assert "InvalidBallot" in line
    cast(election, code, {"tram-north": ["yes"]})


def test_tally_of_no_ballot_counts_zero(tmp_path: Path, world: World) -> None:
    election = tmp_path / "empty"
    ok("election", "init", REFERENDUM, "--election", election)
    ok("election", "attach-ceremony", world.result_file, "--election", election)
    ok(
        "credentials",
        "generate",
        world.voters,
        "--election",
        election,
        "--out",
        tmp_path / "registrar",
    )
    ok("election", "open", "--election", election)
    ok("election", "close", "--election", election)
    # Nobody voted: every aggregate is the identity, and the whole chain still runs to a result
    # of zeros that the auditor's verifier accepts.
    ok("tally", "--election", election)
    shares = tmp_path / "shares"
    shares.mkdir()
    for i in (1, 2):
        out = shares / f"decryption-share-{i}.json"
        world.ceremony.step(
            i,
            "decrypt",
            "--tally",
            election / "tally" / "encrypted-tally.json",
            "--ceremony",
            election / "ceremony.json",
            "--out",
            out,
        )
    ok("tally", "combine", "--election", election, shares)
    result = json.loads(ok("results", election, "--format", "json"))
    votes = [votes for question in result["questions"] for _, votes in question["counts"]]
    assert votes == [0, 0]
    assert result["ballots"] == 0
    ok("publish", "--election", election, "--out", tmp_path / "record")
    ok("verify", tmp_path / "record", "--jobs", "1")


def test_trustee_decrypt_before_the_tally(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="close")
    line = fails(
        "trustee",
        "decrypt",
        "--trustee",
        world.ceremony.folder(1),
        "--tally",
        election / "tally" / "encrypted-tally.json",
        "--ceremony",
        election / "ceremony.json",
        "--passphrase-env",
        "P",
        env={"P": "x"},
    )
    assert "evote tally" in line


def test_ceremony_step_out_of_order(tmp_path: Path) -> None:
    trustee = tmp_path / "t1"
    ok(*init_trustee_args(trustee), stdin="a passphrase for tests\n")
    line = fails("trustee", "reveal", "--trustee", trustee, trustee / "out")
    assert "next step is evote trustee commit" in line
    line = fails(
        "trustee",
        "commit",
        "--trustee",
        trustee,
        tmp_path / "empty-inbox",
        stdin="a passphrase for tests\n",
    )
    assert "no such file or directory" in line


def test_trustee_init_twice(tmp_path: Path) -> None:
    args = init_trustee_args(tmp_path / "t1")
    ok(*args, stdin="a passphrase for tests\n")
    assert "already lives here" in fails(*args, stdin="a passphrase for tests\n")


# -- passphrases ------------------------------------------------------------------------------


def test_wrong_passphrase(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="tally")
    line = fails(
        "trustee",
        "decrypt",
        "--trustee",
        world.ceremony.folder(2),
        "--tally",
        election / "tally" / "encrypted-tally.json",
        "--ceremony",
        election / "ceremony.json",
        stdin="y\nnot the passphrase\n",
    )
    assert "wrong passphrase" in line
    assert "type the passphrase chosen at 'evote trustee init'" in line


def test_empty_or_unset_passphrase(tmp_path: Path) -> None:
    args = init_trustee_args(tmp_path / "t1")
    assert "empty passphrase" in fails(*args, stdin="\n")
    assert "is not set" in fails(*args, "--passphrase-env", "EVOTE_UNSET_VARIABLE")


# -- the tally --------------------------------------------------------------------------------


def test_too_few_and_tampered_shares(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="tally")
    shares = tmp_path / "shares"
    shares.mkdir()
    for i in (1, 2):
        out = tmp_path / f"share-{i}.json"
        world.ceremony.step(
            i,
            "decrypt",
            "--tally",
            election / "tally" / "encrypted-tally.json",
            "--ceremony",
            election / "ceremony.json",
            "--out",
            out,
        )
        shutil.copy(out, shares / f"decryption-share-{i}.json")
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(shares / "decryption-share-1.json", one)
    assert "InsufficientShares" in fails("tally", "combine", "--election", election, one)
    # Trustee 2's share claims to be trustee 1's: rejected, and too few remain.
    forged = json.loads((shares / "decryption-share-2.json").read_text())
    forged["trustee"] = 1
    (shares / "decryption-share-2.json").write_text(json.dumps(forged))
    assert "InsufficientShares" in fails("tally", "combine", "--election", election, shares)


def test_tampered_tally_is_not_decrypted_against_the_board(tmp_path: Path, world: World) -> None:
    election = new_election(tmp_path, world, until="tally")
    tally_file = election / "tally" / "encrypted-tally.json"
    document = json.loads(tally_file.read_text())
    document["encrypted_tally"]["ballots"] += 1
    forged = tmp_path / "forged-tally.json"
    forged.write_text(json.dumps(document))
    line = fails(
        "trustee",
        "decrypt",
        "--trustee",
        world.ceremony.folder(1),
        "--tally",
        forged,
        "--ceremony",
        election / "ceremony.json",
        "--election",
        election,
        "--passphrase-env",
        "P",
        env={"P": "unused: refused before"},
    )
    assert "not the product of the counted ballots" in line


# -- the registrar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,weight\nalice,1\n", "expected the header"),
        ("voter_id\nalice\nalice\n", "listed twice"),
        ("voter_id,weight\nalice,0\n", "whole number >= 1"),
        ("voter_id\n../etc/passwd\n", "cannot be a file name"),
        ("voter_id\n", "no voters"),
        # 257 voters of the largest weight: every question's columns exceed 2^40.
        pytest.param(
            "voter_id,weight\n" + "".join(f"v{i},{2**32 - 1}\n" for i in range(257)),
            "could not be tallied",
            id="untallyable-weights",
        ),
    ],
)
def test_bad_voters_file(tmp_path: Path, world: World, content: str, message: str) -> None:
    election = new_election(tmp_path, world, until="init")
    voters = tmp_path / "voters.csv"
    voters.write_text(content)
    line = fails(
        "credentials", "generate", voters, "--election", election, "--out", tmp_path / "registrar"
    )
    assert message in line
    assert not (election / "credentials.json").exists()


# -- the passphrase prompt, in process (a test has no terminal) -------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _args(env: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(passphrase_env=env)


def test_passphrase_prompted_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed secret words", "typed secret words"])
    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    assert read_passphrase(_args(), "trustee passphrase", confirm=True) == "typed secret words"


def test_passphrase_confirmation_must_match(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["one horse battery", "two horse battery"])
    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    with pytest.raises(InvalidInput, match="differ"):
        read_passphrase(_args(), "trustee passphrase", confirm=True)


def test_passphrase_from_stdin_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("from stdin\nnot read\n"))
    assert read_passphrase(_args(), "p") == "from stdin"
    monkeypatch.setenv("EVOTE_TEST_PASSPHRASE", "from env")
    assert read_passphrase(_args("EVOTE_TEST_PASSPHRASE"), "p") == "from env"


def test_weak_new_passphrase_refused_before_the_confirmation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return "x"

    monkeypatch.setattr(sys, "stdin", _Terminal(""))
    monkeypatch.setattr(getpass, "getpass", typed)
    with pytest.raises(InvalidInput, match=r"passphrase too short: 1 characters, at least 12"):
        read_passphrase(_args(), "trustee passphrase", confirm=True)
    assert prompts == ["trustee passphrase: "]


@pytest.mark.parametrize(
    ("weak", "why"),
    [
        ("x", "too short: 1 characters"),
        ("aaaaaaaaaaaaaaaa", "too repetitive: 1 different characters"),
        ("abababababab", "too repetitive: 2 different characters"),
        ("123456789012", "is only digits"),
    ],
)
def test_weak_passphrase_refused_by_trustee_init(tmp_path: Path, weak: str, why: str) -> None:
    args = ["trustee", "init", "--trustee", tmp_path / "t1", "--election-id", "e-2025"]
    args += ["--index", "1", "--trustees", "2", "--threshold", "1", "--kdf", "interactive"]
    line = fails(*args, stdin=weak + "\n")
    assert f"passphrase {why}" in line
    assert "choose another passphrase" in line
    assert not (tmp_path / "t1" / "key.json").exists()
