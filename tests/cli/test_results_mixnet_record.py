"""`evote results` on the published record of a real election with grades and ranking
questions (encrypted, mixed, decrypted, counted: `evote demo --manifest`'s run on the two
examples, 4 voters): the table, the CSV, the open data and the static pages show the numbers
of the record's result (spec 14.5), read back from its result.json."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest

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
