"""`evote demo --manifest FILE`: any manifest's election end to end, and the examples it runs."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Manifest,
    Option,
    ScoreQuestion,
    SingleChoiceQuestion,
    manifest_from_json,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.cli import main, simulated
from evote.errors import InvalidInput

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": word}


def _options(count: int, costs: tuple[int, ...] | None = None) -> tuple[Option, ...]:
    return tuple(
        Option(f"o{i}", _text(f"option {i}"), None if costs is None else costs[i])
        for i in range(count)
    )


def _rules_manifest() -> Manifest:
    """One question of every kind the demo simulates, with rules that bind."""
    example = manifest_from_json((EXAMPLES / "referendum.json").read_bytes())
    return replace(
        example,
        questions=(
            SingleChoiceQuestion("single", _text("single"), _options(3), True),
            ApprovalQuestion("approval", _text("approval"), _options(5), 2, 3, False),
            ScoreQuestion("score", _text("score"), _options(4), 5, 7),
            # Only {o1, o2} (4 + 5) reaches min_spend 9 within the budget 9.
            BudgetQuestion("budget", _text("budget"), _options(3, (6, 4, 5)), 9, 9, 1, 2),
        ),
    )


RULES = _rules_manifest()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_every_example_loads_as_a_manifest(path: Path) -> None:
    manifest = manifest_from_json(path.read_bytes())
    assert manifest.election_id == json.loads(path.read_text())["election_id"]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_simulated_voters_follow_every_rule(seed: int) -> None:
    rng = random.Random(seed)
    for manifest in [RULES, *(manifest_from_json(p.read_bytes()) for p in EXAMPLE_FILES)]:
        selection = simulated.random_selection(manifest, rng)
        assert set(selection) == {question.id for question in manifest.questions}
        PlaintextBallot.from_selection(manifest, selection)  # raises if a rule is broken


def test_a_budget_the_random_draws_cannot_fill_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulated, "_BUDGET_ATTEMPTS", 0)
    with pytest.raises(InvalidInput, match="question 'budget': the demo's simulated voters"):
        simulated.random_selection(RULES, random.Random(1))


def test_demo_runs_a_manifest_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "consultation.json"
    out = tmp_path / "demo"
    status = main(
        ["demo", "--manifest", str(path), "--voters", "3", "--jobs", "1", "--seed", "5",
         "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    assert "record verified" in printed
    manifest = manifest_from_json(path.read_bytes())
    result = json.loads((out / "result.json").read_text())
    assert result["election_id"] == manifest.election_id
    (question,) = result["questions"]
    assert question["id"] == manifest.questions[0].id
    assert sum(votes for _, votes in question["counts"]) + question["blank"] == 3
    assert main(["verify", str(out / "record"), "--jobs", "1"]) == 0


def test_a_group_other_than_the_manifests_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["demo", "--manifest", str(EXAMPLES / "referendum.json"), "--group", "modp4096",
         "--voters", "2", "--out", str(tmp_path / "demo")]
    )  # fmt: skip
    error = capsys.readouterr().err
    assert status == 2
    assert "the manifest is on ed25519, not modp4096" in error
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()


def test_a_missing_manifest_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["demo", "--manifest", str(tmp_path / "none.json"), "--voters", "2"])
    error = capsys.readouterr().err
    assert status == 2
    assert "none.json: no manifest here" in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "heading"),
    [("majority-judgment.json", "ballots per grade"), ("ranking.json", "ballots per rank")],
)
def test_demo_counts_graded_and_ranked_answers_through_the_mixnet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, heading: str
) -> None:
    out = tmp_path / "demo"
    status = main(
        ["demo", "--manifest", str(EXAMPLES / name), "--voters", "3", "--jobs", "1",
         "--seed", "2", "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    assert heading in printed and "record verified" in printed
    manifest = manifest_from_json((EXAMPLES / name).read_bytes())
    result = json.loads((out / "result.json").read_text())
    for question, entry in zip(manifest.questions, result["questions"], strict=True):
        assert entry["kind"] == question.kind
        assert len(entry["answers"]) == 3  # decrypted one by one, in the mixed order
    tally = json.loads((out / "record" / "tally.json").read_text())
    # Trustees 1 and 3 are present (the demo's trustee 2 is absent): max(2, t) = 2 mixes.
    assert [mix["trustee"] for mix in tally["mixes"]] == [1, 3]
    assert main(["verify", str(out / "record"), "--jobs", "1"]) == 0
