"""The manifest schema holds the grades and ranking kinds as evote reads them (docs/spec.md 6.2).

A manifest with both kinds at the edges of their limits validates; a document breaking one
rule is refused by the schema and by evote alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from evote.ballots.manifest import (
    MAX_GRADES,
    MAX_OPTIONS,
    Grade,
    GradesQuestion,
    Option,
    RankingQuestion,
    RankingRule,
    manifest_from_json_obj,
)
from evote.errors import InvalidInput
from tests.ballots.conftest import make_manifest, text
from tests.record.test_schema import validator

pytest.importorskip("jsonschema")

Mutation = Callable[[dict[str, Any]], None]


def _options(count: int) -> tuple[Option, ...]:
    return tuple(Option(f"o{i}", text(f"o{i}")) for i in range(count))


EDGE = make_manifest(
    (
        GradesQuestion(
            "grades", text("g"), _options(1), (Grade("pass", text("p")), Grade("fail", text("f")))
        ),
        GradesQuestion(
            "grades.wide",
            text("g"),
            _options(3),
            tuple(Grade(f"g{i}", text(f"g{i}")) for i in range(MAX_GRADES)),
        ),
        RankingQuestion("schulze", text("r"), _options(2)),
        RankingQuestion("stv", text("r"), _options(MAX_OPTIONS), RankingRule.STV, MAX_OPTIONS - 1),
        RankingQuestion("stv.one", text("r"), _options(2), RankingRule.STV, 1),
    )
).to_json_obj()
SCHEMA = validator("manifest")


def test_a_manifest_with_both_kinds_at_their_edges_validates() -> None:
    SCHEMA.validate(json.loads(json.dumps(EDGE)))
    assert manifest_from_json_obj(copy.deepcopy(EDGE)).to_json_obj() == EDGE


def _set(index: int, field: str, value: Any) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        if value is None:
            del obj["questions"][index][field]
        else:
            obj["questions"][index][field] = value

    return mutate


def _grades(count: int) -> list[dict[str, Any]]:
    return [{"id": f"g{i}", "label": text(f"g{i}")} for i in range(count)]


VIOLATIONS: dict[str, Mutation] = {
    "one grade": _set(0, "grades", _grades(1)),
    "17 grades": _set(1, "grades", _grades(MAX_GRADES + 1)),
    "grade without French": _set(0, "grades", [{"id": "a", "label": {"en": "a"}}, *_grades(1)]),
    "grade with a cost": _set(0, "grades", [{**_grades(1)[0], "cost": 1}, *_grades(2)[1:]]),
    "grade id with a space": _set(0, "grades", [{"id": "a b", "label": text("a")}, *_grades(1)]),
    "grades rule unknown": _set(0, "rule", "median"),
    "grades without rule": _set(0, "rule", None),
    "grades with seats": _set(0, "seats", 1),
    "grades without grades": _set(0, "grades", None),
    "ranking with one option": _set(2, "options", [{"id": "a", "label": text("a")}]),
    "ranking rule unknown": _set(2, "rule", "borda"),
    "schulze with seats": _set(2, "seats", 1),
    "stv without seats": _set(4, "seats", None),
    "stv with 0 seats": _set(4, "seats", 0),
    "stv with 1000 seats": _set(3, "seats", MAX_OPTIONS),
    "ranking with grades": _set(2, "grades", _grades(2)),
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_the_schema_and_evote_both_refuse_a_manifest_with(name: str) -> None:
    document = copy.deepcopy(EDGE)
    VIOLATIONS[name](document)
    assert not SCHEMA.is_valid(document), name
    with pytest.raises(InvalidInput):
        manifest_from_json_obj(document)
