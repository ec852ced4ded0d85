"""Plaintext ballots: construction from selections and the rules of every kind."""

from __future__ import annotations

import pytest

from evote.ballots.plaintext import Answer, PlaintextBallot, check_plaintext
from evote.errors import InvalidBallot
from tests.ballots.conftest import all_kinds, budget, make_manifest

MANIFEST = make_manifest(all_kinds())


def test_from_selection_and_back() -> None:
    selection = {
        "ref": ["yes"],
        "appr": {"c1", "c3"},
        "score": {"s0": 5, "s2": 3},
        "budget": ["p0", "p2"],
    }
    ballot = PlaintextBallot.from_selection(MANIFEST, selection)
    assert ballot.answers == (
        Answer((1, 0)),
        Answer((0, 1, 0, 1, 0)),
        Answer((5, 0, 3)),
        Answer((1, 0, 1, 0)),
    )
    assert ballot.to_selection(MANIFEST) == {
        "ref": ["yes"],
        "appr": ["c1", "c3"],
        "score": {"s0": 5, "s1": 0, "s2": 3},
        "budget": ["p0", "p2"],
    }


def test_blank_where_allowed() -> None:
    ballot = PlaintextBallot.from_selection(MANIFEST, {"ref": None, "score": {}, "budget": ["p1"]})
    assert ballot.answers[0] == Answer((0, 0), blank=True)
    assert ballot.answers[1] == Answer((0,) * 5, blank=True)


@pytest.mark.parametrize("left_out", ["score", "budget"])
def test_left_out_question_without_blank_is_named(left_out: str) -> None:
    selection: dict[str, object] = {"ref": ["no"], "score": {}, "budget": ["p0"]}
    del selection[left_out]
    with pytest.raises(InvalidBallot, match=rf"question '{left_out}' is left out, and it allows"):
        PlaintextBallot.from_selection(MANIFEST, selection)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("selection", "match"),
    [
        ({"ref": ["yes", "no"]}, r"'ref': overvote, 2 options chosen, at most 1"),
        ({"ref": []}, r"'ref': undervote, 0 options chosen, at least 1"),
        ({"appr": ["c0", "c1", "c2", "c3"]}, r"'appr': overvote, 4 options chosen, at most 3"),
        ({"appr": []}, r"'appr': undervote"),
        ({"score": {"s0": 6}}, r"'score', option 's0': 6 is not a score in \[0, 5\]"),
        ({"score": {"s0": -1}}, r"'score', option 's0': -1 is not"),
        ({"score": {"s0": 5, "s1": 4}}, r"'score': total score 9 is above the bound 8"),
        ({"score": None}, r"'score': a blank vote is not allowed"),
        ({"budget": ["p1", "p3", "p2"]}, r"'budget': over budget, spend 1100 above 1000"),
        ({"budget": []}, r"'budget': under minimum spend, spend 0 below 100"),
        ({"ref": ["maybe"]}, r"'ref': unknown option 'maybe'"),
        ({"ref": "yes"}, r"'ref': expected a collection of option ids"),
        ({"nope": None}, r"unknown question 'nope'"),
        ({"score": {"s0": True}}, r"score of 's0' is not an integer"),
        ({"budget": ["p0", "p0"]}, r"option 'p0' chosen twice"),
    ],
)
def test_invalid_selections(selection: dict[str, object], match: str) -> None:
    full: dict[str, object] = {"ref": ["no"], "appr": ["c0"], "score": {}, "budget": ["p0"]}
    full.update(selection)
    with pytest.raises(InvalidBallot, match=match):
        PlaintextBallot.from_selection(MANIFEST, full)  # type: ignore[arg-type]


def test_project_count_bounds() -> None:
    manifest = make_manifest((budget(costs=(1, 1, 1, 1), total=10, min_spend=0, min_projects=2),))
    with pytest.raises(InvalidBallot, match=r"'budget': undervote, 1 projects chosen, at least 2"):
        PlaintextBallot.from_selection(manifest, {"budget": ["p0"]})
    with pytest.raises(InvalidBallot, match=r"'budget': overvote, 4 projects chosen, at most 3"):
        PlaintextBallot.from_selection(manifest, {"budget": ["p0", "p1", "p2", "p3"]})


def test_structural_errors() -> None:
    good = PlaintextBallot.from_selection(
        MANIFEST, {"ref": ["no"], "appr": ["c0"], "score": {}, "budget": ["p0"]}
    )
    with pytest.raises(InvalidBallot, match="3 answers for 4 questions"):
        check_plaintext(MANIFEST, PlaintextBallot(good.answers[:3]))
    wrong_length = (Answer((1, 0, 0)), *good.answers[1:])
    with pytest.raises(InvalidBallot, match="'ref': 3 values for 2 options"):
        check_plaintext(MANIFEST, PlaintextBallot(wrong_length))
    blank_with_choice = (Answer((1, 0), blank=True), *good.answers[1:])
    with pytest.raises(InvalidBallot, match="'ref': a blank vote chooses no option"):
        check_plaintext(MANIFEST, PlaintextBallot(blank_with_choice))
