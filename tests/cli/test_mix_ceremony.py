"""The mix ceremony with the `evote` command: an election with a graded question, end to end.

One election in this process (``evote.cli.main``) on SQLite: examples/majority-judgment.json,
three trustees with threshold two (so a chain of max(2, t) = 2 mixes), four voters. The key
ceremony's files go through one exchange folder; the voters cast through the library (the
portal's path). Then the steps of docs/ceremony.md section 5a, as the document writes them:
each mixer mixes on the chain the officer has collected, the officer checks and adds each mix,
the present trustees decrypt, the officer combines, publishes, and ``evote verify`` passes.
Along the way the refusals: a mix with one answer replaced, a mix out of its place, a trustee
mixing twice, a decryption before the chain is long enough.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import manifest_from_json
from evote.ballots.plaintext import PlaintextBallot
from evote.ceremony import files, keyfile
from evote.cli import main
from evote.cli.simulated import random_selection
from evote.cli.workspace import ElectionDir
from tests.cli.helpers import stopping_at

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "examples" / "majority-judgment.json"
RUNBOOK = ROOT / "docs" / "ceremony.md"
TRUSTEES = 3
THRESHOLD = 2
VOTERS = 4
PASSPHRASE = "mixing trustee horse battery"
CEREMONY_STEPS = ("commit", "reveal", "send", "receive", "confirm")


def run(capsys: pytest.CaptureFixture[str], *args: str | Path, stdin: str = "") -> str:
    """One command that must succeed; its standard output."""
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    assert status == 0, f"{args}: {err}"
    return out


def refused(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """One command that must fail as bad input: status 2 and one line, which is returned."""
    capsys.readouterr()
    status = main([str(arg) for arg in args])
    _, err = capsys.readouterr()
    assert status == 2, f"{args}: status {status}: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def mix_block() -> list[str]:
    """The commands of docs/ceremony.md's mix code block, as written."""
    text = RUNBOOK.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    (block,) = [block for block in blocks if "evote trustee mix" in block]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("evote ")]


def as_written(command: str, **values: str | Path) -> list[str]:
    """A command of the document with its capitals replaced by ``values``."""
    return [str(values.get(word, word)) for word in shlex.split(command)[1:]]


def test_the_mix_ceremony(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRUSTEE_PASS", PASSPHRASE)
    secret = ["--passphrase-env", "TRUSTEE_PASS"]
    election = tmp_path / "election"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    folders = {i: tmp_path / f"trustee-{i}" for i in range(1, TRUSTEES + 1)}

    # Setup: the election directory, the key ceremony, the credentials, the opening.
    run(capsys, "election", "init", MANIFEST, "--election", election)
    for i, folder in folders.items():
        run(capsys, "trustee", "init", "--trustee", folder, "--manifest", MANIFEST,
            "--index", i, "--trustees", TRUSTEES, "--threshold", THRESHOLD,
            "--kdf", "interactive", *secret)  # fmt: skip
        shutil.copytree(folder / "out", exchange, dirs_exist_ok=True)
    for step in CEREMONY_STEPS:
        for folder in folders.values():
            run(capsys, "trustee", step, "--trustee", folder, exchange,
                *([] if step == "reveal" else secret))  # fmt: skip
        for folder in folders.values():
            shutil.copytree(folder / "out", exchange, dirs_exist_ok=True)
    for share in exchange.glob("share-*-to-*.json"):
        share.unlink()
    run(capsys, "ceremony", "finalize", "--out", tmp_path / "ceremony.json", exchange)
    run(capsys, "election", "attach-ceremony", tmp_path / "ceremony.json", "--election", election)
    voters = tmp_path / "voters.csv"
    voters.write_text("voter_id\n" + "".join(f"v-{k}\n" for k in range(VOTERS)))
    run(capsys, "credentials", "generate", voters, "--election", election,
        "--out", tmp_path / "private")  # fmt: skip
    run(capsys, "election", "open", "--election", election)

    # The voters vote (the portal's path: the library).
    manifest = manifest_from_json(MANIFEST.read_bytes())
    rng = random.Random(4)
    codes = (tmp_path / "private" / "codes.csv").read_text().splitlines()[1:]
    with ElectionDir(election).board(signing=True) as board:
        loaded = board.load_election(manifest.election_id)
        for line in codes:
            plaintext = PlaintextBallot.from_selection(manifest, random_selection(manifest, rng))
            code = line.split(",", 1)[1]
            board.cast(manifest.election_id, encrypt_ballot(loaded, code, plaintext))

    run(capsys, "election", "close", "--election", election)
    out = run(capsys, "tally", "--election", election)
    assert "mix-input.json" in out and "at least 2 trustees mix" in out
    assert (election / "tally" / "mix-input.json").is_file()

    # The mixes, as docs/ceremony.md writes them: trustee 1 mixes first, then trustee 3.
    mix, add_mix = mix_block()
    chain = election / "tally" / "mixes"
    for number, i in enumerate((1, 3), start=1):
        folder = folders[i]
        command = [*as_written(mix, TRUSTEE=folder, ELECTION=election), *secret]
        if number == 2:
            # Stopped after the mix was decided (pending.json), before its file: the same
            # command writes that very mix, without shuffling again.
            with monkeypatch.context() as patch:
                patch.setattr(keyfile, "write_atomically", stopping_at(2))
                assert main([str(word) for word in command]) == 130
            assert (folder / files.PENDING_FILE).is_file()
            assert not (folder / "out" / "mix-2.json").exists()
            decided = json.loads((folder / files.PENDING_FILE).read_bytes())["writes"][0]
            written = run(capsys, *command)
            assert "found: 'evote trustee mix' had stopped halfway" in written
            assert (folder / "out" / "mix-2.json").read_bytes() == base64.b64decode(decided["data"])
        written = run(capsys, *command) if number == 1 else written
        assert f"mix-{number}.json" in written
        mix_file = folder / "out" / f"mix-{number}.json"
        assert mix_file.is_file()
        if number == 1:
            _refusals_of_a_first_mix(capsys, election, folder, mix_file, secret, chain)
            # Trustee 2 mixes on the same empty chain: its mix 1 waits, then loses its place.
            rival = [*as_written(mix, TRUSTEE=folders[2], ELECTION=election), *secret]
            assert "mix-1.json" in run(capsys, *rival)
        added = run(capsys, *as_written(add_mix, ELECTION=election, FILE=mix_file))
        if number == 1:
            _a_superseded_mix_is_made_again(capsys, election, folders[2], rival)
        assert f"mix {number} by trustee {i} checks" in added
        if number == 1:
            # One mix is not a chain: a trustee refuses to decrypt its outputs.
            line = refused(capsys, *decrypt(folders[2], election, tmp_path), *secret)
            assert "1 mixes, the chain needs at least 2" in line
    assert sorted(path.name for path in chain.iterdir()) == ["mix-1.json", "mix-2.json"]
    assert "2 mixes (2 needed)" in added

    # The present trustees decrypt (trustee 3 is absent); without the chain, one refuses.
    shares = tmp_path / "shares"
    shares.mkdir()
    line = refused(capsys, *decrypt(folders[1], None, tmp_path), *secret)
    assert "graded or ranked questions" in line and "--election DIR" in line
    for i in (1, 2):
        out = run(capsys, *decrypt(folders[i], election, tmp_path), *secret)
        assert f"the {VOTERS} mixed answers" in out and "mixed by trustees [1, 3]" in out
        share = folders[i] / "out" / f"decryption-share-{i}.json"
        assert len(json.loads(share.read_bytes())["mixed"]["factors"]) == VOTERS * 5
        shutil.copy(share, shares)

    # The officer combines, publishes; the record verifies, the mixes and the count in it.
    out = run(capsys, "tally", "combine", "--election", election, shares)
    assert "the chain of 2 mixes" in out and "trustees [1, 2]" in out
    result = json.loads((election / "result.json").read_bytes())
    (question,) = result["questions"]
    assert question["kind"] == "grades"
    assert [sum(per_grade) for _, per_grade in question["counts"]] == [VOTERS] * 5
    run(capsys, "publish", "--election", election, "--out", tmp_path / "record")
    tally = json.loads((tmp_path / "record" / "tally.json").read_bytes())
    assert [mix["trustee"] for mix in tally["mixes"]] == [1, 3]
    report = run(capsys, "verify", tmp_path / "record", "--jobs", "1")
    assert "record verified" in report


def _a_superseded_mix_is_made_again(
    capsys: pytest.CaptureFixture[str], election: Path, folder: Path, rival: list[str | Path]
) -> None:
    """A trustee whose mix 1 lost its place to another trustee's mixes again, as mix 2; with
    that mix waiting for the officer, it may not mix a third time."""
    late = folder / "out" / "mix-1.json"
    line = refused(capsys, "tally", "add-mix", "--election", election, late)
    assert "is mix 1, the chain holds 1: the next mix is mix 2" in line
    again = run(capsys, *rival)
    assert "trustee 2 made mix 2" in again and (folder / "out" / "mix-2.json").is_file()
    line = refused(capsys, *rival)
    assert "has mixed already" in line and "mix-2.json" in line and "mix-1.json" not in line


def decrypt(folder: Path, election: Path | None, root: Path) -> list[str | Path]:
    tally = election / "tally" / "encrypted-tally.json" if election else root / "tally.json"
    if election is not None and not (root / "tally.json").exists():
        shutil.copy(tally, root / "tally.json")
    return [
        "trustee", "decrypt", "--trustee", folder, "--tally", root / "tally.json",
        "--ceremony", root / "ceremony.json", "--yes",
        *(["--election", election] if election is not None else []),
    ]  # fmt: skip


def _refusals_of_a_first_mix(
    capsys: pytest.CaptureFixture[str],
    election: Path,
    folder: Path,
    mix_file: Path,
    secret: list[str],
    chain: Path,
) -> None:
    """Before the first mix is added: what the officer and the trustee refuse."""
    # A trustee mixes once in a chain.
    again = refused(capsys, "trustee", "mix", "--trustee", folder, "--election", election,
                    *secret)  # fmt: skip
    assert "has mixed already" in again
    # One answer replaced by another's: its proof of shuffle no longer holds.
    document = json.loads(mix_file.read_bytes())
    outputs = document["questions"][0]["outputs"]
    outputs[0] = outputs[1]
    tampered = mix_file.parent.parent / "tampered-mix-1.json"
    tampered.write_text(json.dumps(document))
    line = refused(capsys, "tally", "add-mix", "--election", election, tampered)
    assert "tampered-mix-1.json: refused" in line
    assert list(chain.iterdir()) == []
    # A mix out of its place: position 2 on an empty chain.
    document = json.loads(mix_file.read_bytes())
    document["position"] = 2
    misplaced = mix_file.parent.parent / "misplaced-mix.json"
    misplaced.write_text(json.dumps(document))
    line = refused(capsys, "tally", "add-mix", "--election", election, misplaced)
    assert "is mix 2, the chain holds 0: the next mix is mix 1" in line
