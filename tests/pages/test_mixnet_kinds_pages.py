"""The pages and the open data show a grades or ranking question by its rule and winners.

Such a question has no votes per option (its count is the record's decrypted answers,
docs/spec.md 6.2 and 14): the results page names the rule and the winners without a chart,
results.csv leaves it out and results.json gives its rule, options and winners.
"""

from __future__ import annotations

import csv
import io

import pytest

from evote.ballots.manifest import QuestionKind, RankingRule
from evote.pages.html import render_results_page
from evote.pages.opendata import results_csv, results_document
from evote.pages.view import ElectionView
from evote.tally.result import ElectionResult, QuestionResult, Turnout
from tests.ballots.conftest import grades, make_manifest, ranking, referendum
from tests.pages.test_html import check_accessible, parse

MANIFEST = make_manifest((referendum(), grades(), ranking(5, RankingRule.STV, 2)))
RESULT = ElectionResult(
    MANIFEST.election_id,
    Turnout(3, 3),
    (
        QuestionResult("ref", QuestionKind.SINGLE, (("yes", 2), ("no", 1)), None, 3),
        QuestionResult("grades", QuestionKind.GRADES, (), None, 3, winners=("g2",)),
        QuestionResult("rank", QuestionKind.RANKING, (), None, 3, winners=("r4", "r0")),
    ),
)
VIEW = ElectionView(MANIFEST, "tallied", bytes(32), bytes(32), 3, 0, None, RESULT)


@pytest.mark.parametrize(
    ("lang", "rules", "winners"),
    [
        (
            "en",
            ["Counted by majority judgment.", "Counted by single transferable vote, 2 seats."],
            ["Winners: g2.", "Winners: r4, r0."],
        ),
        (
            "fr",
            ["Décompte : jugement majoritaire.", "Décompte : vote unique transférable, 2 sièges."],
            ["Gagnants : g2 (fr).", "Gagnants : r4 (fr), r0 (fr)."],
        ),
    ],
)
def test_the_results_page_names_the_rule_and_the_winners(
    lang: str, rules: list[str], winners: list[str]
) -> None:
    root = parse(render_results_page(VIEW, lang))
    check_accessible(root, lang)
    sections = root.with_class("question")
    assert len(sections) == 3
    # The referendum keeps its chart; the grades and ranking questions have none.
    assert [len(section.find_all("svg")) for section in sections] == [1, 0, 0]
    for section, rule, named in zip(sections[1:], rules, winners, strict=True):
        text = section.all_text()
        assert rule in text
        assert section.with_class("winners")[0].all_text() == named
        assert "result.json" in text


def test_results_csv_leaves_the_mixnet_questions_out() -> None:
    rows = list(csv.DictReader(io.StringIO(results_csv(VIEW).decode())))
    assert {row["question_id"] for row in rows} == {"ref"}


def test_results_json_gives_rule_options_and_winners() -> None:
    questions = results_document(VIEW)["questions"]
    assert [question["kind"] for question in questions] == ["single", "grades", "ranking"]
    assert questions[1] == {
        "id": "grades",
        "kind": "grades",
        "title": dict(MANIFEST.questions[1].title),
        "rule": "majority-judgment",
        "options": [
            {"id": option.id, "label": dict(option.label)}
            for option in MANIFEST.questions[1].options
        ],
        "winners": ["g2"],
    }
    assert questions[2]["rule"] == "stv" and questions[2]["seats"] == 2
    assert questions[2]["winners"] == ["r4", "r0"]
