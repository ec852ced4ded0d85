"""What the officers' commands say, where no election needs to be run: help, labels, errors.

``evote results --lang``: every label in the chosen language, the result's own words too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evote.ballots.manifest import Manifest, manifest_from_json
from evote.cli import main
from evote.cli.election import _warn_outside_dates
from evote.cli.results import LANGUAGES, WORDS, render_csv, render_json, render_table
from evote.errors import InvalidInput
from evote.tally.result import DecryptedCounts, ElectionResult, Turnout, compute_result
from evote.tally.wire import result_from_json, result_to_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _result(name: str) -> tuple[Manifest, ElectionResult]:
    manifest = manifest_from_json((EXAMPLES / name).read_bytes())
    counts = DecryptedCounts(
        tuple(tuple(1 for _ in q.options) for q in manifest.questions),
        tuple(1 if q.blank_allowed else None for q in manifest.questions),
    )
    turnout = Turnout(3, 3)
    return manifest, compute_result(manifest, counts, turnout)


def test_every_language_has_every_word() -> None:
    assert set(LANGUAGES) == {"en", "fr"}
    assert all(WORDS[lang].keys() == WORDS["en"].keys() for lang in LANGUAGES)


def test_french_table_has_no_english_word() -> None:
    manifest, result = _result("referendum.json")
    table = render_table(manifest, result, "fr")
    assert "blanc" in table and "bulletins comptés (poids total 3)" in table
    assert "blank" not in table and "ballots" not in table
    assert "blanc" in render_csv(manifest, result, "fr")
    assert "blank" in render_table(manifest, result, "en")


def test_french_budget_words() -> None:
    manifest, result = _result("participatory-budget.json")
    table = render_table(manifest, result, "fr")
    assert "coût" in table and "financés (*) :" in table and "dépensé" in table
    assert "cost" not in table and "funded" not in table and "spent" not in table
    assert ",oui" in render_csv(manifest, result, "fr")


def test_json_is_the_record_s_result_json_in_every_language() -> None:
    manifest, result = _result("participatory-budget.json")
    expected = result_to_json(result) + b"\n"
    for lang in LANGUAGES:
        assert render_json(manifest, result, lang).encode() == expected
    assert result_from_json(expected) == result


def test_unknown_language_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["results", ".", "--lang", "de"])
    assert info.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err


def test_cast_help_says_what_a_left_out_question_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a question left out is blank if it allows blank, and refused if not" in text


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (
            '{"tram-north": ["yes"],}',
            "--choices: not JSON (Expecting property name enclosed in double quotes at line 1,"
            " column 24; character 23); give an object such as",
        ),
        ('{"tram-north": ["yes"], "tram-north": []}', "--choices.tram-north: duplicate key"),
    ],
)
def test_choices_syntax_error_gives_the_column(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    choices: str,
    message: str,
) -> None:
    election = tmp_path / "election"
    manifest = str(EXAMPLES / "referendum.json")
    assert main(["election", "init", manifest, "--election", str(election)]) == 0
    monkeypatch.setenv("VOTER_CODE", "x")
    status = main(
        ["cast", "--election", str(election), "--credential-env", "VOTER_CODE",
         "--choices", choices]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert message in err


@pytest.mark.parametrize(
    ("now", "warning"),
    [
        (datetime(2027, 3, 1, 7, 0, tzinfo=UTC), ""),
        (datetime(2027, 3, 1, 6, 59, tzinfo=UTC), "before the manifest's opening date"),
        (datetime(2027, 3, 14, 19, 0, tzinfo=UTC), ""),
        (datetime(2027, 3, 14, 19, 1, tzinfo=UTC), "after its closing date"),
    ],
)
def test_open_warns_outside_the_manifest_dates(
    now: datetime, warning: str, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = manifest_from_json((EXAMPLES / "referendum.json").read_bytes())
    _warn_outside_dates(manifest.opens, manifest.closes, now)
    err = capsys.readouterr().err
    assert (warning in err) and (bool(err) == bool(warning))


def test_init_refuses_a_budget_no_ballot_could_satisfy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((EXAMPLES / "participatory-budget.json").read_text())
    document["questions"][0]["projects"][0]["cost"] = 1_500_000
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(document))
    status = main(["election", "init", str(manifest), "--election", str(tmp_path / "e")])
    assert status == 2
    assert (
        "projects[0] (bike-lanes): costs 1500000, more than the whole budget 1000000:"
        " no ballot can choose it"
    ) in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_result_with_an_unknown_question_kind_lists_the_kinds() -> None:
    _, result = _result("referendum.json")
    document = json.loads(result_to_json(result))
    document["questions"][0]["kind"] = "ranked"
    with pytest.raises(InvalidInput) as info:
        result_from_json(json.dumps(document).encode(), "result.json")
    assert (
        "result.json.questions[0].kind: unknown question kind: 'ranked' is not one of 'single',"
        " 'approval', 'score', 'budget'"
    ) in str(info.value)
