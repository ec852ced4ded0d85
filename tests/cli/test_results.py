"""``evote results``: every label in the language of ``--lang``, the result's own words too."""

from __future__ import annotations

from pathlib import Path

import pytest

from evote.ballots.manifest import Manifest, manifest_from_json
from evote.cli import main
from evote.cli.results import LANGUAGES, WORDS, render_csv, render_table
from evote.tally.result import DecryptedCounts, ElectionResult, Turnout, compute_result

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


def test_unknown_language_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["results", ".", "--lang", "de"])
    assert info.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err
