"""The results page shows a grades or ranking question's count (spec 6.2, 13, 14.5): the
ballots per grade with each option's majority grade, or per rank, in an accessible table; the
ranking with ties; for STV the elected in order, the quota and the stages. Checked against a
result counted by the library (tests/pages/mixnet_results.py), in English and French."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import jsonschema
import pytest

from evote.ballots.manifest import GradesQuestion, RankingQuestion
from evote.cli.results import render_table
from evote.errors import InvalidInput
from evote.pages.html import render_results_page
from evote.pages.opendata import Publication, open_data_files
from evote.pages.outcome import mixnet_outcome, votes_text
from evote.tally.result import DecryptedCounts, ElectionResult, Turnout, compute_result
from evote.tally.rules import majority_value
from tests.ballots.conftest import GRADE_IDS
from tests.pages.mixnet_results import GRADES, MANIFEST, RESULT, VIEW
from tests.pages.test_html import Node, check_accessible, parse, read_number
from tests.pages.test_opendata import SCHEMA_PATH, schema_of, table_errors

RULES = {
    "en": [
        "Counted by majority judgment.",
        "Counted by the Condorcet–Schulze method.",
        "Counted by single transferable vote, 2 seats.",
    ],
    "fr": [
        "Décompte : jugement majoritaire.",
        "Décompte : méthode de Condorcet–Schulze.",
        "Décompte : vote unique transférable, 2 sièges.",
    ],
}
WINNERS = {
    "en": ["Winners: g0.", "Winners: r0, r1.", "Winners: r0, r1."],
    "fr": ["Gagnants : g0 (fr).", "Gagnants : r0 (fr), r1 (fr).", "Gagnants : r0 (fr), r1 (fr)."],
}


def label(option_id: str, lang: str) -> str:
    return option_id if lang == "en" else f"{option_id} (fr)"


def cells(row: Node) -> list[str]:
    return [cell.all_text() for cell in row.children if cell.tag in ("th", "td")]


@pytest.fixture(scope="module", params=["en", "fr"])
def page(request: pytest.FixtureRequest) -> tuple[str, list[Node]]:
    lang: str = request.param
    root = parse(render_results_page(VIEW, lang))
    check_accessible(root, lang)
    return lang, root.with_class("question")


def test_the_rule_and_the_winners_are_named(page: tuple[str, list[Node]]) -> None:
    lang, sections = page
    assert len(sections) == 4
    # The referendum keeps its chart; the grades and ranking questions have tables instead.
    assert [len(section.find_all("svg")) for section in sections] == [1, 0, 0, 0]
    for section, rule, named in zip(sections[1:], RULES[lang], WINNERS[lang], strict=True):
        text = section.all_text()
        assert rule in text
        assert section.with_class("winners")[0].all_text() == named
        assert "result.json" in text


def test_ballots_per_grade_and_the_majority_grade(page: tuple[str, list[Node]]) -> None:
    lang, sections = page
    question = MANIFEST.questions[1]
    assert isinstance(question, GradesQuestion)
    outcome = RESULT.question("grades")
    table = sections[1].with_class("distribution")[0]
    head = cells(table.find_all("thead")[0].find_all("tr")[0])
    assert head[1:6] == [label(grade.id, lang) for grade in question.grades]
    assert head[6] == ("Majority grade" if lang == "en" else "Mention majoritaire")
    rows = table.find_all("tbody")[0].find_all("tr")
    assert outcome.distribution is not None
    assert len(rows) == len(outcome.distribution)
    for o, (row, (option_id, ballots)) in enumerate(zip(rows, outcome.distribution, strict=True)):
        shown = cells(row)
        assert shown[0] == label(option_id, lang)
        assert [read_number(n) for n in shown[1:6]] == list(ballots)
        best = majority_value([answer[o] for answer in GRADES])[0]
        assert shown[6] == label(question.grades[len(question.grades) - 1 - best].id, lang)
    ranking = sections[1].with_class("ranking")[0].find_all("li")
    assert [item.all_text() for item in ranking] == [
        label(group[0], lang) for group in outcome.ranking or ()
    ]


def test_ballots_per_rank_and_a_tie(page: tuple[str, list[Node]]) -> None:
    lang, sections = page
    outcome = RESULT.question("rank")
    table = sections[2].with_class("distribution")[0]
    head = cells(table.find_all("thead")[0].find_all("tr")[0])
    assert head[1:] == [("Rank " if lang == "en" else "Rang ") + str(r) for r in range(1, 5)]
    rows = table.find_all("tbody")[0].find_all("tr")
    assert outcome.distribution is not None
    for row, (option_id, ballots) in zip(rows, outcome.distribution, strict=True):
        assert cells(row)[0] == label(option_id, lang)
        assert [read_number(n) for n in cells(row)[1:]] == list(ballots)
    items = sections[2].with_class("ranking")[0].find_all("li")
    assert [item.attrs["value"] for item in items] == ["1", "3", "4"]  # the tie shares place 1
    ranking = [item.all_text() for item in items]
    assert ranking == [f"{label('r0', lang)} = {label('r1', lang)}", label("r2", lang),
                       label("r3", lang)]  # fmt: skip


def test_stv_elected_quota_and_stages(page: tuple[str, list[Node]]) -> None:
    lang, sections = page
    outcome = RESULT.question("stv")
    section = sections[3]
    elected = [item.all_text() for item in section.with_class("ranking")[0].find_all("li")]
    assert elected == [label(option_id, lang) for option_id in outcome.winners]
    assert outcome.quota == 200_000 and outcome.stages
    quota = section.with_class("quota")[0].all_text()
    assert quota == ("Quota: 2 votes." if lang == "en" else "Quota : 2 voix.")
    table = section.with_class("stages")[0]
    head = cells(table.find_all("thead")[0].find_all("tr")[0])
    assert head[2:-1] == [label(f"r{i}", lang) for i in range(5)]
    rows = table.find_all("tbody")[0].find_all("tr")
    assert len(rows) == len(outcome.stages)
    decimal = "," if lang == "fr" else "."
    for number, (row, stage) in enumerate(zip(rows, outcome.stages, strict=True), start=1):
        shown = cells(row)
        assert shown[0] == str(number)
        if stage.option is not None:
            assert label(stage.option, lang) in shown[1]
        assert shown[2:-1] == [votes_text(units, decimal) for _, units in stage.votes]
        assert shown[-1] == votes_text(stage.non_transferable, decimal)
    assert "1.33333" in cells(rows[1]) if lang == "en" else "1,33333" in cells(rows[1])


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    publication = Publication(base_url="https://data.example.org/mj/", publisher="Ville")
    return open_data_files(VIEW, publication)


def test_the_open_data_lists_and_describes_the_new_tables(files: dict[str, bytes]) -> None:
    assert list(files) == [
        "results.csv", "turnout.csv", "results-distribution.csv", "stv-stages.csv",
        "results.json", "checkpoint.json", "datapackage.json", "dcat.jsonld",
    ]  # fmt: skip
    package = json.loads(files["datapackage.json"])
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(package)) == []
    for name in ("results.csv", "turnout.csv", "results-distribution.csv", "stv-stages.csv"):
        assert table_errors(files[name], schema_of(files, name)) == [], name
    dcat = json.loads(files["dcat.jsonld"])["@graph"][0]["dcat:distribution"]
    assert len(dcat) == 7
    publication = Publication(base_url="https://data.example.org/mj/", publisher="Ville")
    assert open_data_files(VIEW, publication) == files  # byte-stable


def test_the_distribution_table_holds_the_results_numbers(files: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(files["results-distribution.csv"].decode())))
    for question in MANIFEST.questions[1:]:
        outcome = RESULT.question(question.id)
        assert outcome.distribution is not None
        mine = [row for row in rows if row["question_id"] == question.id]
        places = {o: p for p, group in enumerate(outcome.ranking or (), start=1) for o in group}
        expected = []
        for o, (option_id, ballots) in enumerate(outcome.distribution):
            median = ""
            if isinstance(question, GradesQuestion):
                best = majority_value([answer[o] for answer in GRADES])[0]
                median = question.grades[len(question.grades) - 1 - best].id
            for column, count in enumerate(ballots):
                if isinstance(question, GradesQuestion):
                    grade = question.grades[column]
                    place = (grade.id, grade.label["fr"], "")
                else:
                    place = ("", "", str(column + 1))
                expected.append(
                    (option_id, *place, str(count), median,
                     str(places.get(option_id, "")) if option_id in places else "",
                     "true" if option_id in outcome.winners else "false")
                )  # fmt: skip
        shown = [
            (row["option_id"], row["grade_id"], row["grade_label_fr"], row["rank"],
             row["ballots"], row["majority_grade"], row["place"], row["winner"])
            for row in mine
        ]  # fmt: skip
        # Schulze's tie: r0 and r1 share place 1, r2 is third (competition ranking).
        if question.id == "rank":
            assert {row[0]: row[6] for row in shown} == {"r0": "1", "r1": "1", "r2": "3",
                                                          "r3": "4"}  # fmt: skip
            continue
        assert shown == expected


def test_the_stages_table_holds_every_stages_votes(files: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(files["stv-stages.csv"].decode())))
    outcome = RESULT.question("stv")
    assert outcome.stages is not None
    expected = [
        (str(number), stage.action, stage.option or "", option_id, votes_text(units),
         votes_text(stage.non_transferable))
        for number, stage in enumerate(outcome.stages, start=1)
        for option_id, units in stage.votes
    ]  # fmt: skip
    assert [
        (row["stage"], row["action"], row["action_option_id"], row["option_id"], row["votes"],
         row["non_transferable"])
        for row in rows
    ] == expected  # fmt: skip
    last = [row["status"] for row in rows if row["stage"] == str(len(outcome.stages))]
    assert last == ["elected", "elected", "excluded", "excluded", "excluded"]


def test_results_json_gives_the_count_of_each_rule(files: dict[str, bytes]) -> None:
    questions = json.loads(files["results.json"])["questions"]
    assert [question["kind"] for question in questions] == ["single", "grades", "ranking",
                                                            "ranking"]  # fmt: skip
    graded = questions[1]
    assert graded["rule"] == "majority-judgment" and graded["winners"] == ["g0"]
    assert [grade["id"] for grade in graded["grades"]] == list(GRADE_IDS)
    outcome = RESULT.question("grades")
    assert outcome.distribution is not None
    assert [(item["option"], tuple(item["ballots"])) for item in graded["distribution"]] == list(
        outcome.distribution
    )
    assert [item["majority_grade"] for item in graded["distribution"]] == ["very-good", "good",
                                                                          "fair"]  # fmt: skip
    assert questions[2]["ranking"] == [["r0", "r1"], ["r2"], ["r3"]]
    assert "majority_grade" not in questions[2]["distribution"][0]
    stv = questions[3]
    assert stv["rule"] == "stv" and stv["seats"] == 2 and stv["quota"] == "2"
    assert stv["winners"] == ["r0", "r1"] and stv["ranking"] == [["r0"], ["r1"]]


def test_every_view_of_a_count_without_ballots() -> None:
    empty = compute_result(
        MANIFEST,
        DecryptedCounts(((0, 0), (), (), ()), (None, None, None, None)),
        Turnout(0, 0),
        {1: [], 2: [], 3: []},
    )
    view = replace(VIEW, result=empty)
    for lang in ("en", "fr"):
        root = parse(render_results_page(view, lang))
        check_accessible(root, lang)
        stv = root.with_class("question")[3]
        assert stv.with_class("stages") == [] and stv.with_class("quota") == []
        heading = "Elected, in order of election" if lang == "en" else "Élus"
        assert heading in stv.find_all("h3")[0].all_text()
    table = render_table(MANIFEST, empty, "en")
    assert "ranking (*: winners): none" in table
    assert "elected (*), in order: none; quota - votes" in table
    files = open_data_files(view, Publication(base_url="https://data.example.org/", publisher="V"))
    rows = list(csv.DictReader(io.StringIO(files["results-distribution.csv"].decode())))
    assert {row["ballots"] for row in rows} == {"0"}
    assert {row["majority_grade"] + row["place"] for row in rows} == {""}
    assert files["stv-stages.csv"].count(b"\r\n") == 1  # the header only


def _with_question(q: int, **changes: object) -> ElectionResult:
    questions = list(RESULT.questions)
    questions[q] = replace(questions[q], **changes)  # type: ignore[arg-type]
    return replace(RESULT, questions=tuple(questions))


@pytest.mark.parametrize(
    ("q", "changes", "named"),
    [
        (2, {"ranking": (("nobody",), ("r1",))}, "ranking group 0 names 'nobody'"),
        (2, {"ranking": ((), ("r1",))}, "ranking group 0 is empty"),
        (1, {"winners": ("nobody",)}, "winners names 'nobody'"),
        (3, {"stages": "option"}, "stage 2 names 'nobody'"),
        (3, {"stages": "votes"}, "stage 1 names 'nobody'"),
    ],
)
def test_an_option_the_question_does_not_have_is_refused_by_every_view(
    q: int, changes: dict[str, object], named: str
) -> None:
    """A result (a record's, read unverified by `evote results`) that names an option the
    question lacks: InvalidInput naming it, not a KeyError in the middle of a view."""
    stages = RESULT.questions[3].stages
    assert stages is not None and len(stages) > 1
    if changes.get("stages") == "option":
        changes = {"stages": (stages[0], replace(stages[1], option="nobody"), *stages[2:])}
    elif changes.get("stages") == "votes":
        changes = {"stages": (replace(stages[0], votes=(("nobody", 1),)), *stages[1:])}
    result = _with_question(q, **changes)
    question = MANIFEST.questions[q]
    assert isinstance(question, (GradesQuestion, RankingQuestion))
    with pytest.raises(InvalidInput, match=named):
        mixnet_outcome(question, result.questions[q])
    with pytest.raises(InvalidInput, match=named):
        render_table(MANIFEST, result, "en")
    with pytest.raises(InvalidInput, match=named):
        render_results_page(replace(VIEW, result=result), "en")
