"""`evote results` shows a grades or ranking question by its rule and winners (spec 6.2, 14)."""

from __future__ import annotations

import csv
import io

from evote.cli.results import render_csv, render_table
from tests.pages.test_mixnet_kinds_pages import MANIFEST, RESULT


def test_the_table_names_the_rule_and_the_winners() -> None:
    table = render_table(MANIFEST, RESULT, "en").splitlines()
    grades_at = table.index("Judge")
    assert table[grades_at + 1] == (
        "  counted by majority-judgment; winners: g2 (every answer and the count: result.json)"
    )
    rank_at = table.index("Rank")
    assert table[rank_at + 1].startswith("  counted by stv; winners: r4, r0 (")
    french = render_table(MANIFEST, RESULT, "fr")
    assert "décompte : majority-judgment ; gagnants : g2" in french


def test_the_csv_has_rows_for_the_other_questions_only() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(MANIFEST, RESULT, "en"))))
    assert {row["question_id"] for row in rows} == {"ref"}
