"""The runbook is a test: every command of docs/ceremony.md, in order, as the document spells it.

The commands are read from the document's text: its code blocks (the lines that start with
``evote``; a line ending in ``\\`` continues on the next; a ``# comment`` is dropped; an optional
part in square brackets is left out) and the commands of the key ceremony's step table (the
first backticked command of each row). The voters file is the document's CSV example. They run
in this process (``evote.cli.main``) on SQLite, one election of three trustees with threshold
two (the document's example), one of whom is absent at the tally, as the document allows.

How the document's words become a run (the humans' part, done by this test):

* every machine is a folder of a temporary directory: the officer's and the registrar's
  commands run in ``desk/``; trustee *i*'s in ``trustee-i/``, where ``TRUSTEE`` is ``folder``
  and ``INBOX`` is ``inbox``; ``i``, ``n`` and ``t`` are the trustee's number, 3 and 2;
* the other capitals name folders of the machine: ``ELECTION``, ``PRIVATE``, ``EXCHANGE`` and
  ``SHARES_FOLDER`` become ``election``, ``private``, ``exchange`` and ``shares``;
  ``FINGERPRINT`` is what ``election open`` printed; ``manifest.json`` is
  ``examples/referendum.json``;
* files are carried as the document says: ``manifest.json`` to every trustee; each ceremony
  step's ``out/`` files to the inboxes the table's last column names; the public files to
  ``EXCHANGE``; ``encrypted-tally.json`` and ``ceremony.json`` to the trustees; each
  decryption share to ``SHARES_FOLDER``;
* passphrases are one line of standard input, as the document says a script gives them, and
  the confirmation at ``trustee decrypt`` is the line before it; the trustees' key files use
  the cheapest Argon2id preset (the document's commands take the default), to keep the test
  fast;
* between the opening and the closing the voters vote with the document's ``evote cast``
  command.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evote.ceremony.keyfile import KdfStrength
from evote.cli import main
from evote.cli import trustee as trustee_cli

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "ceremony.md"
MANIFEST = ROOT / "examples" / "referendum.json"
TRUSTEES = 3
THRESHOLD = 2
ABSENT_AT_TALLY = 2
FOLDERS = {
    "ELECTION": "election",
    "PRIVATE": "private",
    "EXCHANGE": "exchange",
    "SHARES_FOLDER": "shares",
    "TRUSTEE": "folder",
    "INBOX": "inbox",
}


def passphrase(index: int) -> str:
    return f"runbook trustee {index} horse battery"


# -- reading the document ---------------------------------------------------------------------


@dataclass(frozen=True)
class Runbook:
    blocks: list[list[str]]  # each code block's commands, in order
    table: list[tuple[str, str, str]]  # the ceremony table: step, command, "→ whom"
    csv: str
    cast: str
    used: set[int] = field(default_factory=set)  # the blocks run so far


def _commands(block: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        command = line.split("  #", 1)[0].strip()
        if command.startswith("evote "):
            commands.append(re.sub(r"\s*\[[^\]]*\]", "", command))
    return commands


def read_runbook() -> Runbook:
    text = RUNBOOK.read_text(encoding="utf-8")
    raw_blocks = re.findall(r"^```\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    blocks = [commands for commands in map(_commands, raw_blocks) if commands]
    csv_blocks = [block for block in raw_blocks if block.startswith("voter_id,")]
    table = [
        (step, command, whom)
        for step, command, whom in re.findall(
            r"^\| (2\.\d) \| `(evote trustee [^`]+)`[^|]*\|[^|]*\|[^|]*→ ([^|]+)\|$",
            text,
            flags=re.MULTILINE,
        )
    ]
    cast = re.search(r"`(evote cast --election [^`]+)`", text)
    assert len(csv_blocks) == 1 and cast is not None
    return Runbook(blocks, table, csv_blocks[0], cast.group(1))


# -- running it -------------------------------------------------------------------------------


class Machines:
    def __init__(
        self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.desk = root / "desk"
        self.desk.mkdir()
        self.fingerprint = ""

    def trustee(self, index: int) -> Path:
        machine = self.root / f"trustee-{index}"
        machine.mkdir(exist_ok=True)
        return machine

    def run(self, command: str, where: Path, stdin: str = "", **values: str) -> str:
        words = shlex.split(command)
        assert words[0] == "evote", command
        argv = [self._value(word, values) for word in words[1:]]
        self.monkeypatch.chdir(where)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        status = main(argv)
        out, err = self.capsys.readouterr()
        assert status == 0, f"{command} ({where.name}): {err}"
        return out

    def _value(self, word: str, values: dict[str, str]) -> str:
        if word in FOLDERS:
            return FOLDERS[word]
        if word == "FINGERPRINT":
            return self.fingerprint
        return values.get(word, word)


def _carry(source: Path, pattern: str, target: Path, only: set[str] | None = None) -> None:
    """Copy ``source``'s files matching ``pattern`` (of ``only``, if given) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob(pattern):
        if only is None or path.name in only:
            shutil.copy(path, target / path.name)


def _outbox(machine: Path) -> Path:
    return machine / "folder" / "out"


def _names(folder: Path) -> set[str]:
    return {path.name for path in folder.glob("*.json")}


def _block(runbook: Runbook, first_words: str) -> Iterator[str]:
    """The commands of the code block whose first command starts with ``first_words``."""
    for number, commands in enumerate(runbook.blocks):
        if commands[0].startswith(first_words):
            runbook.used.add(number)
            yield from commands
            return
    raise AssertionError(f"docs/ceremony.md has no code block starting {first_words!r}")


def test_the_runbook_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runbook = read_runbook()
    assert [step for step, _, _ in runbook.table] == [f"2.{k}" for k in range(1, 8)]
    cheap = KdfStrength.INTERACTIVE
    monkeypatch.setitem(trustee_cli._STRENGTHS, KdfStrength.MODERATE.value, cheap)
    machines = Machines(tmp_path, monkeypatch, capsys)
    desk = machines.desk
    shutil.copy(MANIFEST, desk / "manifest.json")
    every = range(1, TRUSTEES + 1)

    # 1. The officer creates the election directory.
    (init,) = _block(runbook, "evote election init")
    machines.run(init, desk)
    for i in every:
        shutil.copy(desk / "manifest.json", machines.trustee(i) / "manifest.json")

    # 2. The key ceremony, step by step as the table says.
    complaints_named: set[int] = set()
    for step, command, whom in runbook.table:
        before = {i: _names(_outbox(machines.trustee(i))) for i in every}
        for i in every:
            if step == "2.6" and i not in complaints_named:
                continue  # only a trustee a complaint names answers
            stdin = "" if "reveal" in command else passphrase(i) + "\n"
            values = {"i": str(i), "n": str(TRUSTEES), "t": str(THRESHOLD)}
            out = machines.run(command, machines.trustee(i), stdin, **values)
            complaints_named |= {int(j) for j in re.findall(r"complaint about trustee (\d+)", out)}
        for i in every:
            outbox = _outbox(machines.trustee(i))
            written = _names(outbox) - before[i]
            for j in every:
                inbox = machines.trustee(j) / "inbox"
                if "only" in whom:
                    _carry(outbox, f"share-{i}-to-{j}.json", inbox, written)
                elif "everyone" in whom:
                    _carry(outbox, "*.json", inbox, written)
    for i in every:
        outbox = _outbox(machines.trustee(i))
        for pattern in ("announce-*", "commit-*", "commitments-*", "complaints-*", "answer-*",
                        "confirm-*"):  # fmt: skip
            _carry(outbox, pattern, desk / "exchange")
    finalize, attach = _block(runbook, "evote ceremony finalize")
    machines.run(finalize, desk)
    machines.run(attach, desk)

    # 3. The registrar issues the credentials.
    (desk / "voters.csv").write_text(runbook.csv, encoding="utf-8")
    (generate,) = _block(runbook, "evote credentials generate")
    machines.run(generate, desk)
    assert (desk / "private" / "letters.pdf").is_file()

    # 4. The officer opens the election; the record of the opened board is published.
    (open_,) = _block(runbook, "evote election open")
    out = machines.run(open_, desk)
    fingerprint = re.search(r"fingerprint ([0-9a-f]{64})", out)
    assert fingerprint is not None, out
    machines.fingerprint = fingerprint.group(1)
    for command in _block(runbook, "evote publish --election ELECTION --out record-opened"):
        machines.run(command, desk)
    codes = dict(
        line.split(",", 1)
        for line in (desk / "private" / "codes.csv").read_text().splitlines()[1:]
    )
    for code in codes.values():
        monkeypatch.setenv("VOTER_CODE", code)
        machines.run(
            runbook.cast, desk, NAME="VOTER_CODE", JSON=json.dumps({"tram-north": ["yes"]})
        )

    # 5. The officer closes the election and computes the encrypted tally.
    close, tally = _block(runbook, "evote election close")
    machines.run(close, desk)
    machines.run(tally, desk)

    # 6. The present trustees decrypt.
    (decrypt,) = _block(runbook, "evote trustee decrypt")
    (desk / "shares").mkdir()
    for i in every:
        if i == ABSENT_AT_TALLY:
            continue
        machine = machines.trustee(i)
        shutil.copy(desk / "election" / "tally" / "encrypted-tally.json", machine)
        shutil.copy(desk / "election" / "ceremony.json", machine)
        out = machines.run(decrypt, machine, f"y\n{passphrase(i)}\n")
        assert machines.fingerprint in out
        _carry(_outbox(machine), "decryption-share-*.json", desk / "shares")

    # 7. The officer combines the shares, publishes the record and the result.
    combine, publish, verify, results, open_data, static_page = _block(
        runbook, "evote tally combine"
    )
    machines.run(combine, desk)
    machines.run(publish, desk)
    machines.run(verify, desk)
    out = machines.run(results, desk)
    assert re.search(r"\b1\b", out) and "yes" in out.lower(), out
    machines.run(open_data, desk)
    assert (desk / "open-data" / "datapackage.json").is_file()
    machines.run(static_page, desk)
    assert (desk / "site" / "results.fr.html").is_file()
    # Every command block of the document was run, but the mix steps' (section 5a, for graded
    # and ranked questions, which this referendum has not): tests/cli/test_mix_ceremony.py
    # runs that block.
    (mix,) = [n for n, block in enumerate(runbook.blocks) if "trustee mix" in block[0]]
    assert runbook.used == set(range(len(runbook.blocks))) - {mix}
