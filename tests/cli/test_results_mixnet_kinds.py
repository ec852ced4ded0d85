"""`evote results` shows a grades or ranking question's count: ballots per grade or rank, the
majority grade, the ranking with ties, STV's quota and stages (spec 6.2, 13, 14.5)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from evote.ballots.manifest import GradesQuestion
from evote.cli.results import check_result_shape, render_csv, render_table
from evote.errors import InvalidInput
from evote.pages.outcome import majority_grade, votes_text
from evote.tally.result import ElectionResult, QuestionResult
from evote.tally.rules import STV_UNIT, majority_value
from tests.pages.mixnet_results import GRADES, MANIFEST, RESULT

LABEL = {"en": "{}", "fr": "{} (fr)"}


def _block(table: str, question_id: str) -> list[str]:
    """The lines of one question's block (from its title to the next blank line)."""
    blocks = table.split("\n\n")
    index = [q.id for q in MANIFEST.questions].index(question_id)
    return blocks[index + 1].splitlines()


def _option_rows(block: list[str], lang: str, ids: tuple[str, ...]) -> dict[str, list[str]]:
    rows = {}
    for option_id in ids:
        label = LABEL[lang].format(option_id)
        line = next(line for line in block if line.startswith("  " + label + " "))
        rows[option_id] = line[len(label) + 2 :].split()
    return rows


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_table_shows_ballots_per_grade_and_the_majority_grade(lang: str) -> None:
    question = MANIFEST.questions[1]
    assert isinstance(question, GradesQuestion)
    outcome = RESULT.question("grades")
    block = _block(render_table(MANIFEST, RESULT, lang), "grades")
    header = ["ballots per grade", "bulletins par mention"][lang == "fr"]
    assert block[2].startswith("  " + header)
    for grade in question.grades:
        assert LABEL[lang].format(grade.id) in block[2]
    rows = _option_rows(block, lang, question.option_ids)
    assert outcome.distribution is not None
    for o, (option_id, ballots) in enumerate(outcome.distribution):
        cells = rows[option_id]
        assert [int(n) for n in cells[:5]] == list(ballots)
        # The majority grade, recomputed from the answers by the rule's own function.
        best = majority_value([answer[o] for answer in GRADES])[0]
        grade_id = question.grades[len(question.grades) - 1 - best].id
        assert " ".join(cells[5:]).removesuffix(" *") == LABEL[lang].format(grade_id)
        assert cells[-1] == "*" if option_id in outcome.winners else cells[-1] != "*"
    ranking = ["ranking (*: winners): ", "classement (* : gagnants) : "][lang == "fr"]
    assert block[-1] == "  " + ranking + " > ".join(
        LABEL[lang].format(group[0]) for group in outcome.ranking or ()
    )


def test_the_majority_grade_is_the_lower_middlemost() -> None:
    assert majority_grade((1, 1, 0, 0)) == 1  # 2 ballots: the lower (worse) of the two
    assert majority_grade((2, 0, 1)) == 0
    assert majority_grade((0, 0, 0)) is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_table_shows_ballots_per_rank_and_the_ties(lang: str) -> None:
    outcome = RESULT.question("rank")
    block = _block(render_table(MANIFEST, RESULT, lang), "rank")
    assert block[2].split()[-4:] == ["1", "2", "3", "4"]
    rows = _option_rows(block, lang, MANIFEST.questions[2].option_ids)
    assert outcome.distribution is not None
    for option_id, ballots in outcome.distribution:
        assert [int(n) for n in rows[option_id][:4]] == list(ballots)
    assert outcome.ranking == (("r0", "r1"), ("r2",), ("r3",))
    names = ["r0 = r1 > r2 > r3", "r0 (fr) = r1 (fr) > r2 (fr) > r3 (fr)"][lang == "fr"]
    assert block[-1].endswith(": " + names)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_table_shows_stv_quota_elected_and_stages(lang: str) -> None:
    outcome = RESULT.question("stv")
    block = _block(render_table(MANIFEST, RESULT, lang), "stv")
    assert outcome.quota is not None and outcome.stages
    quota = outcome.quota // STV_UNIT
    elected = ", ".join(LABEL[lang].format(o) for o in outcome.winners)
    assert (
        f"  elected (*), in order: {elected}; quota {quota} votes"
        if lang == "en"
        else f"  élus (*), dans l'ordre : {elected} ; quota {quota} voix"
    ) in block
    stages = block[
        block.index(next(line for line in block if "stages" in line or "étapes" in line)) + 1 :
    ]
    assert len(stages) == len(outcome.stages)
    decimal = "," if lang == "fr" else "."
    for number, (line, stage) in enumerate(zip(stages, outcome.stages, strict=True), start=1):
        assert line.startswith(f"    {number}. ")
        for option_id, units in stage.votes:
            shown = f"{LABEL[lang].format(option_id)} {votes_text(units, decimal)}"
            assert (shown in line) is (option_id not in stage.excluded)
    assert (
        "1.33333" in stages[1] and "0.66666" in stages[1]
        if lang == "en"
        else "1,33333" in stages[1]
    )


def test_votes_are_written_exactly() -> None:
    assert [votes_text(v) for v in (0, 200000, 133333, 1, 250000)] == [
        "0", "2", "1.33333", "0.00001", "2.5",
    ]  # fmt: skip
    assert votes_text(150000, ",") == "1,5"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_csv_has_one_row_per_option_and_grade_or_rank(lang: str) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(MANIFEST, RESULT, lang))))
    assert [row["question_id"] for row in rows[:2]] == ["ref", "ref"]
    yes = ["yes", "oui"][lang == "fr"]
    for question in MANIFEST.questions[1:]:
        outcome = RESULT.question(question.id)
        mine = [row for row in rows if row["question_id"] == question.id]
        assert outcome.distribution is not None
        expected = []
        for option_id, ballots in outcome.distribution:
            for column, count in enumerate(ballots):
                if isinstance(question, GradesQuestion):
                    grade = LABEL[lang].format(question.grades[column].id)
                    place = (grade, "")
                else:
                    place = ("", str(column + 1))
                winner = yes if option_id in outcome.winners else ""
                expected.append((option_id, str(count), winner, *place))
        assert [
            (row["option_id"], row["votes"], row["winner"], row["grade"], row["rank"])
            for row in mine
        ] == expected


def _question_replaced(q: int, by: QuestionResult) -> ElectionResult:
    return replace(RESULT, questions=(*RESULT.questions[:q], by, *RESULT.questions[q + 1 :]))


@pytest.mark.parametrize(
    ("result", "named"),
    [
        # The referendum's entry replaced by a ranking entry under its id (no counts).
        (
            _question_replaced(
                0, replace(RESULT.questions[2], question_id=MANIFEST.questions[0].id)
            ),
            "result question 0 is 'ref' \\(ranking\\), the manifest's is 'ref' \\(single\\)",
        ),
        (replace(RESULT, questions=RESULT.questions[:-1]), "the result has 3 questions"),
        (
            _question_replaced(
                0, replace(RESULT.questions[0], counts=RESULT.questions[0].counts[:1])
            ),
            "result question 0 \\(ref\\) does not count its options",
        ),
    ],
)
def test_a_result_unlike_its_manifest_is_refused_before_any_view(
    result: ElectionResult, named: str
) -> None:
    """A result whose questions are not the manifest's (a record's, read unverified by
    `evote results`): InvalidInput naming the question, not a ValueError traceback in a view."""
    with pytest.raises(InvalidInput, match=f"^record: {named}"):
        check_result_shape(MANIFEST, result, "record")
    check_result_shape(MANIFEST, RESULT, "record")
