"""Manifest validation, canonical JSON and digest."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Manifest,
    Option,
    RevotePolicy,
    ScoreQuestion,
    SingleChoiceQuestion,
    manifest_from_json,
)
from evote.crypto.groups import MODP4096
from evote.errors import InvalidManifest
from tests.ballots.conftest import (
    all_kinds,
    approval,
    budget,
    make_manifest,
    options,
    projects,
    referendum,
    score,
    text,
)


def test_round_trip_every_kind() -> None:
    manifest = make_manifest(all_kinds())
    data = manifest.to_json()
    again = manifest_from_json(data)
    assert again == manifest
    assert again.to_json() == data
    assert again.digest() == manifest.digest()
    assert len(manifest.digest()) == 32


def test_defaults_and_group() -> None:
    manifest = make_manifest((referendum(),))
    assert manifest.group_name == "ed25519"
    assert manifest.revote is RevotePolicy.LAST_COUNTS
    assert make_manifest((referendum(),), "modp4096").group is MODP4096


def test_any_wording_change_changes_the_digest() -> None:
    manifest = make_manifest(all_kinds())
    changed_label = dataclasses.replace(
        manifest.questions[0],
        options=(Option("yes", {"en": "Yes!", "fr": "yes (fr)"}), manifest.questions[0].options[1]),
    )
    variants = [
        dataclasses.replace(manifest, title={"en": "Other", "fr": "Autre"}),
        dataclasses.replace(manifest, questions=(changed_label, *manifest.questions[1:])),
        dataclasses.replace(manifest, revote=RevotePolicy.SINGLE),
        dataclasses.replace(manifest, closes=datetime(2025, 3, 8, 20, 1, tzinfo=UTC)),
    ]
    digests = {manifest.digest(), *(variant.digest() for variant in variants)}
    assert len(digests) == 5


def _refused(match: str, **changes: Any) -> None:
    base: dict[str, Any] = {
        "election_id": "e1",
        "title": text("t"),
        "opens": datetime(2025, 1, 1, tzinfo=UTC),
        "closes": datetime(2025, 1, 2, tzinfo=UTC),
        "questions": (referendum(),),
    }
    base.update(changes)
    with pytest.raises(InvalidManifest, match=match):
        Manifest(**base)


@pytest.mark.parametrize(
    ("match", "questions"),
    [
        (r"\(appr\): min 3 is above max 2", (approval(minimum=3, maximum=2),)),
        (r"\(appr\): max 6 is above the number of options 5", (approval(maximum=6),)),
        (r"max: 0 is outside", (approval(minimum=0, maximum=0),)),
        (r"projects\[1\] \(p1\)\.cost: cost 0 must be a positive", (budget(costs=(1, 0)),)),
        (r"projects\[0\] \(p0\)\.cost: cost -5 must be a positive", (budget(costs=(-5, 1)),)),
        (r"budget: 0 must be positive", (budget(total=0, min_spend=0),)),
        (r"budget: -1 must be positive", (budget(total=-1, min_spend=0),)),
        (r"min_spend 2000 is above the budget 1000", (budget(min_spend=2000),)),
        (r"min_projects 3 is above max_projects 2", (budget(min_projects=3, max_projects=2),)),
        (r"max_score: 0 is outside", (score(max_score=0),)),
        (r"max_score: 1000001 is outside", (score(max_score=10**6 + 1),)),
        (r"duplicate question id 'ref'", (referendum(), referendum())),
        (
            r"options\[1\]: duplicate option id 'yes'",
            (SingleChoiceQuestion("q", text("q"), options("yes", "yes")),),
        ),
        (
            r"\(q\): 1001 options",
            (ApprovalQuestion("q", text("q"), options(*(f"o{i}" for i in range(1001))), 0, 1),),
        ),
        (r"\(q\): 1 options, expected 2", (SingleChoiceQuestion("q", text("q"), options("a")),)),
        (
            r"\(q\)\.options\[0\] \(p0\): only projects have a cost",
            (SingleChoiceQuestion("q", text("q"), projects(1, 2)),),
        ),
        (
            r"title: missing language 'fr'",
            (SingleChoiceQuestion("q", {"en": "x"}, options("a", "b")),),
        ),
        (
            r"options\[1\] \(b\)\.label: missing language 'en'",
            (
                SingleChoiceQuestion(
                    "q", text("q"), (Option("a", text("a")), Option("b", {"fr": "b"}))
                ),
            ),
        ),
        (r"id 'bad id'", (SingleChoiceQuestion("bad id", text("q"), options("a", "b")),)),
        (r"expected 1 to 200 questions", ()),
    ],
)
def test_question_rules(match: str, questions: tuple[Any, ...]) -> None:
    _refused(match, questions=questions)


@pytest.mark.parametrize(
    ("match", "question"),
    [
        (
            r"projects\[1\] \(p1\): costs 1500, more than the whole budget 1000: no ballot",
            budget(costs=(300, 1500), min_spend=0, max_projects=None),
        ),
        (
            r"all the projects cost 700, less than min_spend 800",
            budget(costs=(300, 400), min_spend=800, max_projects=None),
        ),
        (
            r"the 2 dearest projects cost 900, less than min_spend 950",
            budget(costs=(300, 500, 200, 400), min_spend=950, max_projects=2),
        ),
        (
            r"the 3 cheapest projects \(min_projects\) cost 900, more than the budget 800",
            budget(costs=(300, 500, 200, 400), total=800, min_spend=0, min_projects=3),
        ),
        (
            r"no choice of projects costs between min_spend 900 and the budget 1000",
            budget(costs=(500, 600), min_spend=900, max_projects=None),
        ),
        (
            r"no choice of projects with 2 to 2 projects costs between min_spend 400 and the"
            r" budget 900",
            budget(costs=(100, 200, 900), total=900, min_spend=400, min_projects=2, max_projects=2),
        ),
    ],
)
def test_budget_no_ballot_could_satisfy_is_refused(match: str, question: BudgetQuestion) -> None:
    _refused(match, questions=(question,))


@pytest.mark.parametrize(
    "question",
    [
        budget(costs=(500, 600), min_spend=500, max_projects=None),  # one project alone
        budget(costs=(1000,), min_spend=1000, max_projects=None),  # exactly the budget
        budget(costs=(600, 700, 300), min_spend=0, min_projects=2, max_projects=2),
        budget(costs=(7,) * 60, total=10**6, min_spend=0, min_projects=60, max_projects=60),
    ],
)
def test_budget_that_some_ballot_satisfies_is_accepted(question: BudgetQuestion) -> None:
    make_manifest((question,))


def test_budget_search_stops_at_its_bound_and_accepts() -> None:
    # Every spend is even and the only allowed one odd: unsatisfiable, but every subset has
    # its own spend, so the exact search gives up at its bound (documented) and accepts.
    costs = tuple(2**k for k in range(1, 39))
    odd = 2**38 + 1
    make_manifest((budget(costs=costs, total=odd, min_spend=odd, max_projects=None),))


def test_manifest_rules() -> None:
    _refused("unknown group: 'p256' is not one of 'ed25519', 'modp4096'", group_name="p256")
    _refused("closing date must be after", closes=datetime(2025, 1, 1, tzinfo=UTC))
    _refused("opens: expected a datetime with a timezone", opens=datetime(2024, 1, 1))
    _refused("missing language 'en'", title={"fr": "x"})
    _refused("manifest.title.en: text must be a non-empty", title={"fr": "x", "en": " "})
    _refused("manifest.election_id", election_id="")
    _refused(
        "manifest.revote: unknown policy: 'first' is not one of 'last-counts', 'single'",
        revote="first",
    )


def _obj() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(make_manifest(all_kinds()).to_json())
    return result


def _decode_refused(obj: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidManifest, match=match):
        manifest_from_json(json.dumps(obj).encode())


def test_decoding_is_strict() -> None:
    obj = _obj()
    obj["extra"] = 1
    _decode_refused(obj, r"manifest\.extra: unknown field")
    obj = _obj()
    obj["questions"][1]["kind"] = "ranked"
    _decode_refused(
        obj,
        r"questions\[1\]\.kind: unknown kind: 'ranked' is not one of 'single', 'approval',"
        r" 'score', 'budget'",
    )
    obj = _obj()
    obj["revote"] = "sometimes"
    _decode_refused(
        obj, "manifest.revote: unknown policy: 'sometimes' is not one of 'last-counts', 'single'"
    )
    obj = _obj()
    obj["questions"][3]["rule"] = "random"
    _decode_refused(obj, r"rule: unknown rule: 'random' is not one of 'greedy-by-votes'")
    obj = _obj()
    obj["questions"][1]["max"] = True
    _decode_refused(obj, r"questions\[1\]\.max: expected an integer, got a boolean")
    obj = _obj()
    obj["questions"][3]["projects"][0]["cost"] = 1.5
    _decode_refused(obj, "floats are not allowed")
    obj = _obj()
    obj["opens"] = "2025-03-01T08:00:00"
    _decode_refused(obj, "manifest.opens: .* has no timezone")
    obj = _obj()
    obj["opens"] = "March 1st"
    _decode_refused(obj, "not an ISO 8601 date")
    obj = _obj()
    obj["group"] = "secp256k1"
    _decode_refused(obj, "manifest.group: unknown group")
    obj = _obj()
    obj["version"] = 2
    _decode_refused(obj, "manifest.version")
    obj = _obj()
    del obj["questions"][0]["options"][0]["label"]
    _decode_refused(obj, r"options\[0\]\.label: missing field")
    with pytest.raises(InvalidManifest, match="duplicate key"):
        manifest_from_json(b'{"version":1,"version":1}')


def test_budget_winners_greedy_by_votes() -> None:
    question = BudgetQuestion("b", text("b"), projects(600, 500, 400, 100), budget=1000)
    # p1 and p2 tie on votes: the cheaper p2 goes first; p0 no longer fits; p3 does.
    assert question.winners([10, 12, 12, 1]) == ("p1", "p2", "p3")
    # equal votes and costs: manifest order decides.
    same = BudgetQuestion("b", text("b"), projects(600, 600), budget=1000)
    assert same.winners([3, 3]) == ("p0",)


def test_score_question_properties() -> None:
    question = ScoreQuestion("s", text("s"), options("a", "b"), 7, None)
    assert question.count_range is None
    assert question.option_maximum == 7
    assert not question.blank_allowed
