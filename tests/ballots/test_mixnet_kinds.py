"""Grades and ranking questions: manifest, JSON, plaintext answers (docs/spec.md 6.2, 6.3)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from evote.ballots.manifest import (
    MAX_GRADES,
    Grade,
    GradeRule,
    GradesQuestion,
    QuestionKind,
    RankingQuestion,
    RankingRule,
    manifest_from_json,
    manifest_from_json_obj,
)
from evote.ballots.plaintext import Answer, PlaintextBallot, check_answer
from evote.errors import InvalidBallot, InvalidInput, InvalidManifest
from tests.ballots.conftest import (
    GRADE_IDS,
    all_kinds,
    grades,
    make_election,
    make_manifest,
    options,
    ranking,
    referendum,
    text,
)

MIXNET_KINDS = (grades(), ranking(), ranking(5, RankingRule.STV, 2))


# -- manifest ---------------------------------------------------------------------------------


def test_round_trip_with_the_mixnet_kinds() -> None:
    manifest = make_manifest((*all_kinds(), grades(), ranking(5, RankingRule.STV, 2)))
    data = manifest.to_json()
    again = manifest_from_json(data)
    assert again == manifest
    assert again.to_json() == data
    questions = json.loads(data)["questions"]
    assert questions[4] == {
        "id": "grades",
        "kind": "grades",
        "title": text("Judge"),
        "options": [{"id": f"g{i}", "label": text(f"g{i}")} for i in range(3)],
        "grades": [{"id": grade_id, "label": text(grade_id)} for grade_id in GRADE_IDS],
        "rule": "majority-judgment",
    }
    assert questions[5]["rule"] == "stv" and questions[5]["seats"] == 2
    assert "seats" not in json.loads(make_manifest((ranking(),)).to_json())["questions"][0]


def test_only_the_new_kinds_are_counted_by_a_mixnet() -> None:
    assert [question.counted_by_mixnet for question in (*all_kinds(), *MIXNET_KINDS)] == [
        False, False, False, False, True, True, True,
    ]  # fmt: skip
    assert grades().kind is QuestionKind.GRADES and ranking().kind is QuestionKind.RANKING


def test_option_maximum_and_grade_encoding() -> None:
    question = grades()
    assert question.option_maximum == len(GRADE_IDS) - 1
    # Best first in the manifest, higher is better as an integer (docs/spec.md 6.2).
    assert [question.grade_value(grade_id) for grade_id in GRADE_IDS] == [4, 3, 2, 1, 0]
    assert question.grade_value("excellent") is None
    assert [question.grade_of_value(value).id for value in (4, 0)] == ["very-good", "reject"]
    with pytest.raises(InvalidInput, match="5 encodes no grade"):
        question.grade_of_value(5)
    assert ranking(7).option_maximum == 7
    assert not question.blank_allowed and not ranking().blank_allowed


@pytest.mark.parametrize(
    ("match", "question"),
    [
        (r"\(grades\)\.grades: 1 grades, expected 2 to 16", grades(grade_ids=("pass",))),
        (
            r"\(grades\)\.grades: 17 grades, expected 2 to 16",
            grades(grade_ids=tuple(f"g{i}" for i in range(MAX_GRADES + 1))),
        ),
        (r"grades\[1\]: duplicate grade id 'ok'", grades(grade_ids=("ok", "ok"))),
        (r"grades\[0\]\.id: id 'very good'", grades(grade_ids=("very good", "bad"))),
        (
            r"grades\[1\] \(bad\)\.label: missing language 'fr'",
            dataclasses.replace(
                grades(), grades=(Grade("good", text("good")), Grade("bad", {"en": "bad"}))
            ),
        ),
        (r"\(grades\)\.rule: unknown rule", dataclasses.replace(grades(), rule="median")),
        (r"\(rank\): 1 options, expected 2", ranking(1)),
        (r"\(rank\)\.seats: the rule stv needs a number of seats", ranking(4, RankingRule.STV)),
        (r"\(rank\)\.seats: 4 is outside \[1, 3\]", ranking(4, RankingRule.STV, 4)),
        (r"\(rank\)\.seats: 0 is outside \[1, 3\]", ranking(4, RankingRule.STV, 0)),
        (r"\(rank\)\.seats: only the rule stv has seats", ranking(4, RankingRule.SCHULZE, 2)),
        (r"\(rank\)\.rule: unknown rule", dataclasses.replace(ranking(), rule="borda")),
    ],
)
def test_mixnet_question_rules(match: str, question: Any) -> None:
    with pytest.raises(InvalidManifest, match=match):
        make_manifest((question,))


def _json_with(question: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = make_manifest((referendum(),)).to_json_obj()
    document["questions"] = [question]
    return document


GRADES_OBJ = make_manifest((grades(),)).to_json_obj()["questions"][0]
STV_OBJ = make_manifest((ranking(4, RankingRule.STV, 1),)).to_json_obj()["questions"][0]


def _changed(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    for name, value in changes.items():
        if value is None:
            del changed[name]
        else:
            changed[name] = value
    return changed


@pytest.mark.parametrize(
    ("match", "question"),
    [
        (r"questions\[0\]\.seats: unknown field", _changed(GRADES_OBJ, seats=1)),
        (r"questions\[0\]\.grades: missing field", _changed(GRADES_OBJ, grades=None)),
        (r"questions\[0\]\.rule: missing field", _changed(GRADES_OBJ, rule=None)),
        (r"questions\[0\]\.rule: unknown rule", _changed(GRADES_OBJ, rule="schulze")),
        (
            r"questions\[0\]\.grades\[0\]\.cost: unknown field",
            _changed(GRADES_OBJ, grades=[{"id": "a", "label": text("a"), "cost": 1}]),
        ),
        (r"questions\[0\]\.grades: unknown field", _changed(STV_OBJ, grades=[])),
        (r"questions\[0\]\.rule: unknown rule", _changed(STV_OBJ, rule="irv")),
        (r"\(rank\)\.seats: the rule stv needs", _changed(STV_OBJ, seats=None)),
        (r"\(rank\)\.seats: only the rule stv", _changed(STV_OBJ, rule="schulze")),
        (r"questions\[0\]\.seats: expected an integer", _changed(STV_OBJ, seats=True)),
    ],
)
def test_mixnet_question_json_is_read_strictly(match: str, question: dict[str, Any]) -> None:
    with pytest.raises(InvalidManifest, match=match):
        manifest_from_json_obj(_json_with(question))


# -- election: no weights with a mixnet question (docs/spec.md 6.3) ---------------------------


@pytest.mark.parametrize("question", MIXNET_KINDS, ids=lambda q: q.kind.value)
def test_a_weighted_list_is_refused_with_a_mixnet_question(question: Any) -> None:
    manifest = make_manifest((referendum(), question))
    with pytest.raises(
        InvalidInput, match=rf"question 1 \({question.id}\) is a {question.kind.value} question"
    ):
        make_election(manifest, voters=2, weights={"voter-1": 2})
    make_election(manifest, voters=2)  # every weight 1: accepted
    make_election(make_manifest((referendum(),)), voters=2, weights={"voter-1": 2})


# -- plaintext --------------------------------------------------------------------------------


def _ballot(selection: dict[str, Any]) -> PlaintextBallot:
    return PlaintextBallot.from_selection(make_manifest((grades(), ranking())), selection)


def test_grades_and_ranking_from_selection_and_back() -> None:
    manifest = make_manifest((grades(), ranking()))
    selection = {"grades": {"g0": "good", "g1": "reject", "g2": "very-good"}, "rank": ["r2", "r0"]}
    ballot = PlaintextBallot.from_selection(manifest, selection)
    assert ballot.answers == (Answer((3, 0, 4)), Answer((2, 0, 1, 0)))
    assert ballot.to_selection(manifest) == selection
    empty = PlaintextBallot.from_selection(manifest, {**selection, "rank": []})
    assert empty.answers[1] == Answer((0, 0, 0, 0))
    assert empty.to_selection(manifest)["rank"] == []
    full = PlaintextBallot.from_selection(manifest, {**selection, "rank": ("r3", "r2", "r1", "r0")})
    assert full.answers[1] == Answer((4, 3, 2, 1))


GOOD_GRADES = {"g0": "good", "g1": "fair", "g2": "poor"}


@pytest.mark.parametrize(
    ("selection", "match"),
    [
        ({"grades": GOOD_GRADES}, r"question 'rank' is left out"),
        ({"rank": []}, r"question 'grades' is left out"),
        (
            {"grades": {"g0": "good", "g1": "fair"}, "rank": []},
            r"question 'grades', option 'g2': no grade given; every option must be graded",
        ),
        (
            {"grades": {**GOOD_GRADES, "g1": "excellent"}, "rank": []},
            r"question 'grades', option 'g1': unknown grade 'excellent'",
        ),
        (
            {"grades": {**GOOD_GRADES, "g1": 3}, "rank": []},
            r"question 'grades', option 'g1': unknown grade 3",
        ),
        ({"grades": {**GOOD_GRADES, "g9": "good"}, "rank": []}, r"unknown option 'g9'"),
        ({"grades": ["g0"], "rank": []}, r"grades are given as \{option id: grade id\}"),
        ({"grades": GOOD_GRADES, "rank": ["r1", "r0", "r1"]}, r"option 'r1': ranked twice"),
        ({"grades": GOOD_GRADES, "rank": ["r1", "r7"]}, r"question 'rank': unknown option 'r7'"),
        ({"grades": GOOD_GRADES, "rank": {"r1", "r0"}}, r"a ranking is given as a list"),
        ({"grades": GOOD_GRADES, "rank": "r1"}, r"a ranking is given as a list"),
        ({"grades": GOOD_GRADES, "rank": None}, r"question 'rank': a blank vote is not allowed"),
    ],
)
def test_invalid_grades_and_rankings(selection: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidBallot, match=match):
        _ballot(selection)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ((1, 2, 2, 0), r"option 'r2': rank 2 is also held by option 'r1'; a ranking has no ties"),
        ((1, 3, 0, 0), r"option 'r1': rank 3, but no option has rank 2"),
        ((2, 0, 0, 0), r"option 'r0': rank 2, but no option has rank 1"),
        ((5, 1, 2, 3), r"option 'r0': 5 is not a rank in \[0, 4\]"),
        ((-1, 1, 2, 3), r"option 'r0': -1 is not a rank in \[0, 4\]"),
    ],
)
def test_check_answer_refuses_an_improper_rank_vector(values: tuple[int, ...], match: str) -> None:
    with pytest.raises(InvalidBallot, match=rf"question 'rank', {match}"):
        check_answer(ranking(), Answer(values))


def test_check_answer_on_grades() -> None:
    check_answer(grades(), Answer((0, 4, 2)))
    with pytest.raises(InvalidBallot, match=r"option 'g1': 5 is not a grade's integer in \[0, 4\]"):
        check_answer(grades(), Answer((0, 5, 2)))
    with pytest.raises(InvalidBallot, match="a blank vote is not allowed"):
        check_answer(grades(), Answer((0, 0, 0), blank=True))
    with pytest.raises(InvalidBallot, match="3 values for 4 options"):
        check_answer(ranking(), Answer((1, 2, 3)))


def test_a_grades_question_with_one_option_and_two_grades() -> None:
    question = GradesQuestion(
        "yesno", text("q"), options("only"), (Grade("pass", text("p")), Grade("fail", text("f")))
    )
    manifest = make_manifest((question,))
    assert manifest.questions[0].option_maximum == 1
    assert question.rule is GradeRule.MAJORITY_JUDGMENT
    ballot = PlaintextBallot.from_selection(manifest, {"yesno": {"only": "fail"}})
    assert ballot.answers == (Answer((0,)),)
    assert isinstance(ranking(), RankingQuestion)
