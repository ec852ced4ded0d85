"""Complaints judged through the command line, in process (``evote.cli.main``).

Three trustees exchange their public files through one folder. A false complaint (trustee 1
cannot open the share trustee 2 sent it, because the file was swapped on the way) is answered
and dismissed, naming trustee 1, and the ceremony completes; a true one (trustee 2 deals from
another polynomial than it committed to) is upheld, naming trustee 2, and the ceremony stops.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evote.cli import main
from tests.ceremony.test_dkg_files import change_polynomial

ELECTION = "complaints-2025"
N = 3


def passphrase(index: int) -> str:
    return f"trustee {index} horse battery staple"


class Trustees:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys
        self.exchange = root / "exchange"
        self.exchange.mkdir()

    def folder(self, index: int) -> Path:
        return self.root / f"trustee-{index}"

    def run(self, *args: str | Path, index: int | None = None) -> tuple[int, str, str]:
        argv = [str(a) for a in args]
        if index is not None:
            argv += ["--trustee", str(self.folder(index)), "--passphrase-env", f"PASS_{index}"]
        self.capsys.readouterr()
        status = main(argv)
        out, err = self.capsys.readouterr()
        return status, out, err

    def step(self, index: int, *args: str | Path) -> str:
        status, out, err = self.run("trustee", *args, index=index)
        assert status == 0, err
        self.publish(index)
        return out

    def publish(self, index: int) -> None:
        for path in (self.folder(index) / "out").glob("*.json"):
            shutil.copy(path, self.exchange / path.name)

    def to_receive(self, monkeypatch: pytest.MonkeyPatch, cheat: bool = False) -> None:
        for i in range(1, N + 1):
            monkeypatch.setenv(f"PASS_{i}", passphrase(i))
            status, _, err = self.run(
                "trustee", "init", "--election-id", ELECTION, "--index", str(i), "--trustees",
                str(N), "--threshold", "2", "--kdf", "interactive", index=i,
            )  # fmt: skip
            assert status == 0, err
            self.publish(i)
        for step in ("commit", "reveal", "send"):
            if step == "send" and cheat:
                change_polynomial(self.folder(2), 2, ELECTION, passphrase(2))
            for i in range(1, N + 1):
                if step == "reveal":
                    status, _, err = self.run(
                        "trustee", step, "--trustee", self.folder(i), self.exchange
                    )
                    assert status == 0, err
                    self.publish(i)
                else:
                    self.step(i, step, self.exchange)


def test_false_complaint_is_dismissed_and_names_the_complainer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trustees = Trustees(tmp_path, capsys)
    trustees.to_receive(monkeypatch)
    exchange = trustees.exchange
    swapped = json.loads((exchange / "share-2-to-3.json").read_bytes())
    swapped["recipient"] = 1
    (exchange / "share-2-to-1.json").write_text(json.dumps(swapped))
    out = trustees.step(1, "receive", exchange)
    assert "complaint about trustee 2: cannot open the share from trustee 2" in out
    for i in (2, 3):
        assert "every share received checks" in trustees.step(i, "receive", exchange)
    status, _, err = trustees.run("ceremony", "judge", exchange)
    assert status == 2
    assert "trustee 2: has not answered the complaint of trustee 1" in err
    status, _, err = trustees.run("trustee", "confirm", exchange, index=3)
    assert status == 2 and "has not answered" in err
    assert "nothing to answer" in trustees.step(1, "answer", exchange)
    assert "answer-2-to-1.json" in trustees.step(2, "answer", exchange)
    status, out, _ = trustees.run("ceremony", "judge", exchange)
    assert status == 0
    assert "dismissed: trustee 1: its complaint about trustee 2 is false" in out
    assert "the ceremony continues" in out
    hashes = set()
    for i in range(1, N + 1):
        out = trustees.step(i, "confirm", exchange)
        assert "dismissed: trustee 1: its complaint about trustee 2 is false" in out
        hashes.add(out.split("transcript hash ", 1)[1].split()[0])
    assert len(hashes) == 1
    result = tmp_path / "ceremony.json"
    status, out, err = trustees.run("ceremony", "finalize", "--out", result, exchange)
    assert status == 0, err
    assert "1 complaints (all dismissed)" in out
    assert f"transcript hash  {hashes.pop()}" in out
    document = json.loads(result.read_bytes())
    assert [c["accuser"] for c in document["complaints"]] == [1]
    assert [a["accused"] for a in document["answers"]] == [2]


def test_true_complaint_is_upheld_and_names_the_accused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trustees = Trustees(tmp_path, capsys)
    trustees.to_receive(monkeypatch, cheat=True)
    exchange = trustees.exchange
    for i in (1, 3):
        out = trustees.step(i, "receive", exchange)
        assert "complaint about trustee 2: trustee 2: its share for trustee" in out
    trustees.step(2, "receive", exchange)
    assert "answer-2-to-1.json" in trustees.step(2, "answer", exchange)
    status, out, _ = trustees.run("ceremony", "judge", exchange)
    assert status == 1
    assert "UPHELD: trustee 2: cheated: the share it published for trustee 1" in out
    assert "start again without trustee 2" in out
    for i in range(1, N + 1):
        status, _, err = trustees.run("trustee", "confirm", exchange, index=i)
        assert status == 2
        assert "InvalidShare: trustee 2: cheated" in err
    status, _, err = trustees.run(
        "ceremony", "finalize", "--out", tmp_path / "ceremony.json", exchange
    )
    assert status == 2
    assert "no confirmation files" in err
