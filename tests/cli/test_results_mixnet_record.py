"""`evote results` on the published record of a real election with grades and ranking
questions (encrypted, mixed, decrypted, counted: `evote demo --manifest`'s run on the two
examples, 4 voters): the table, the CSV, the open data and the static pages show the numbers
of the record's result (spec 14.5), read back from its result.json."""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.manifest import GradesQuestion, manifest_from_json
from evote.cli import main
from evote.cli.demo import run_demo
from evote.record import load_record
from evote.tally.result import ElectionResult

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module", params=["majority-judgment.json", "ranking.json"])
def record(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixnet-results")
    manifest = manifest_from_json((EXAMPLES / request.param).read_bytes())
    with contextlib.redirect_stdout(io.StringIO()):
        run_demo(4, manifest.group, out, workers=1, seed=5, manifest=manifest)
    return out / "record"


def _result(record: Path) -> ElectionResult:
    result = load_record(record).result
    assert result is not None
    return result


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def test_the_csv_is_the_record_s_distribution(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _result(record)
    for lang in ("en", "fr"):
        text = _run(["results", str(record), "--format", "csv", "--lang", lang], capsys)
        rows = list(csv.DictReader(io.StringIO(text)))
        for outcome in result.questions:
            assert outcome.distribution is not None
            mine = [row for row in rows if row["question_id"] == outcome.question_id]
            counts = [int(row["votes"]) for row in mine]
            assert counts == [n for _, ballots in outcome.distribution for n in ballots]
            assert sum(counts) > 0


def test_the_table_shows_the_record_s_numbers(
    record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_data = load_record(record)
    manifest = record_data.election.manifest
    result = _result(record)
    for lang in ("en", "fr"):
        table = _run(["results", str(record), "--lang", lang], capsys)
        for question, outcome in zip(manifest.questions, result.questions, strict=True):
            assert outcome.distribution is not None
            for option, (_, ballots) in zip(question.options, outcome.distribution, strict=True):
                line = next(
                    line
                    for line in table.splitlines()
                    if line.startswith("  " + option.label[lang])
                )
                numbers = line[len(option.label[lang]) + 2 :].split()[: len(ballots)]
                assert [int(n) for n in numbers] == list(ballots)
            if isinstance(question, GradesQuestion):
                grade = question.grades[0].label[lang]
                assert grade in table


def test_the_open_data_and_pages_hold_the_record_s_numbers(
    record: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _result(record)
    out = tmp_path / "data"
    _run(
        ["results", str(record), "--format", "opendata", "--out", str(out), "--base-url",
         "https://data.example.org/x/", "--publisher", "Ville"],
        capsys,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO((out / "results-distribution.csv").read_text())))
    document = json.loads((out / "results.json").read_text())
    for outcome, entry in zip(result.questions, document["questions"], strict=True):
        assert outcome.distribution is not None
        mine = [int(row["ballots"]) for row in rows if row["question_id"] == outcome.question_id]
        assert mine == [n for _, ballots in outcome.distribution for n in ballots]
        assert [(item["option"], tuple(item["ballots"])) for item in entry["distribution"]] == list(
            outcome.distribution
        )
        assert entry["ranking"] == [list(group) for group in outcome.ranking or ()]
        if outcome.quota is not None:
            stages = (out / "stv-stages.csv").read_text()
            assert stages.count("\n") - 1 == sum(len(stage.votes) for stage in outcome.stages or ())
    pages = tmp_path / "pages"
    _run(["results", str(record), "--format", "html", "--out", str(pages)], capsys)
    for lang in ("en", "fr"):
        page = (pages / f"results.{lang}.html").read_text()
        assert page.count('<table class="distribution">') == len(result.questions)


def _forged(record: Path, into: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of ``record`` whose result (result.json and the RESULT entry) ``change`` edited,
    record.json's digests made to match: what `evote results` reads without verifying."""
    shutil.copytree(record, into)
    result = json.loads((into / "result.json").read_bytes())
    change(result)
    data = jsonstrict.dumps(result)
    (into / "result.json").write_bytes(data + b"\n")
    lines = (into / "board.jsonl").read_bytes().splitlines()
    entry = json.loads(lines[-1])
    payload = json.loads(base64.b64decode(entry["payload"]))
    payload["body"] = result
    entry["payload"] = base64.b64encode(jsonstrict.dumps(payload)).decode()
    lines[-1] = jsonstrict.dumps(entry)
    (into / "board.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    index = json.loads((into / "record.json").read_bytes())
    for item in index["files"]:
        content = (into / item["name"]).read_bytes()
        item["sha256"], item["size"] = hashlib.sha256(content).hexdigest(), len(content)
    (into / "record.json").write_bytes(jsonstrict.dumps(index) + b"\n")
    return into


def _unknown_winner(result: dict[str, Any]) -> None:
    result["questions"][0]["ranking"][0] = ["nobody"]


def _question_of_another_kind(result: dict[str, Any]) -> None:
    result["questions"][0]["kind"] = "approval"
    for field in ("answers", "ranking", "quota", "stages"):
        result["questions"][0].pop(field, None)
    result["questions"][0]["counts"] = []
    result["questions"][0]["blank"] = 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_unknown_winner, "ranking group 0 names 'nobody'"),
        (_question_of_another_kind, "result question 0 is"),
    ],
)
def test_a_forged_result_is_refused_in_one_line(
    record: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    named: str,
) -> None:
    """A record whose result names an option its question lacks, or holds another question:
    every format refuses it in one line (exit 2), never a traceback, and writes nothing."""
    forged = _forged(record, tmp_path / "forged", change)
    for format_ in ("table", "csv", "json", "html"):
        out = tmp_path / f"out-{format_}"
        capsys.readouterr()
        args = ["results", str(forged), "--format", format_]
        status = main([*args, "--out", str(out)] if format_ == "html" else args)
        err = capsys.readouterr().err.strip().splitlines()
        if format_ == "json":  # prints the result as it is, labels come from the program
            continue
        assert status == 2 and len(err) == 1 and named in err[0], (format_, err)
        assert not out.exists()
