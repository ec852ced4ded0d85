"""The JSON Schemas hold the limits the code enforces (docs/spec.md 6.2, 7.4, 8, record-format).

Each constraint gets a document that breaks only it: the schema must refuse it, and where evote
reads the same document (a manifest, a credential list), evote must refuse it too. Documents
that evote writes, at the edges of every limit, must validate.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.credentials import MAX_WEIGHT, CredentialList
from evote.ballots.manifest import (
    MAX_BUDGET,
    MAX_COST,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_SCORE,
    ApprovalQuestion,
    BudgetQuestion,
    Manifest,
    Option,
    ScoreQuestion,
    SingleChoiceQuestion,
    manifest_from_json_obj,
)
from evote.crypto.groups import ED25519
from evote.errors import InvalidInput
from tests.record.conftest import Published
from tests.record.test_schema import validator

Mutation = Callable[[dict[str, Any]], None]


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr)", "de-CH": f"{word} (de)"}


def _options(count: int, prefix: str = "o") -> tuple[Option, ...]:
    return tuple(Option(f"{prefix}{i}", _text(f"{prefix}{i}")) for i in range(count))


def _projects(*costs: int) -> tuple[Option, ...]:
    return tuple(Option(f"p{i}", _text(f"p{i}"), cost) for i, cost in enumerate(costs))


def _edge_manifest() -> Manifest:
    """Every question kind, at the edges of the limits the code allows."""
    return Manifest(
        election_id="E" + "x" * 127,
        title=_text("Edges"),
        opens=datetime(2025, 3, 1, 8, 0, 0, 250, tzinfo=timezone(timedelta(hours=-5))),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion("single", _text("s"), _options(2), False),
            SingleChoiceQuestion("single-blank", _text("s"), _options(MAX_OPTIONS), True),
            ApprovalQuestion("approval", _text("a"), _options(1), 0, 1, True),
            ScoreQuestion("score", _text("c"), _options(3), max_score=MAX_SCORE),
            ScoreQuestion("score.total", _text("c"), _options(1), 1, MAX_SCORE * MAX_OPTIONS),
            BudgetQuestion("budget", _text("b"), _projects(1, MAX_COST), budget=MAX_BUDGET),
            BudgetQuestion(
                "q" * 64,
                _text("b"),
                _projects(1, 1, 1),  # a project dearer than the budget is refused
                budget=1,
                min_spend=1,
                min_projects=0,
                max_projects=3,
            ),
        ),
    )


EDGE = _edge_manifest().to_json_obj()
SCHEMA_MANIFEST = validator("manifest")


def test_a_manifest_at_every_edge_validates() -> None:
    SCHEMA_MANIFEST.validate(json.loads(json.dumps(EDGE)))
    assert manifest_from_json_obj(copy.deepcopy(EDGE)).to_json_obj() == EDGE


def _question(index: int, field: str, value: Any) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        obj["questions"][index][field] = value

    return mutate


def _project_cost(value: int) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        obj["questions"][5]["projects"][0]["cost"] = value

    return mutate


def _top(field: str, value: Any) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        obj[field] = value

    return mutate


def _title(value: dict[str, str]) -> Mutation:
    return _question(0, "title", value)


def _options_of(index: int, count: int) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        obj["questions"][index]["options"] = [
            {"id": f"o{i}", "label": _text("x")} for i in range(count)
        ]

    return mutate


def _questions(count: int) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        obj["questions"] = [{**obj["questions"][0], "id": f"q{i}"} for i in range(count)]

    return mutate


MANIFEST_VIOLATIONS: dict[str, Mutation] = {
    "cost 0": _project_cost(0),
    "cost above 10^12": _project_cost(MAX_COST + 1),
    "budget 0": _question(5, "budget", 0),
    "budget above 10^15": _question(5, "budget", MAX_BUDGET + 1),
    "min_spend negative": _question(5, "min_spend", -1),
    "min_spend above 10^15": _question(5, "min_spend", MAX_BUDGET + 1),
    "min_projects negative": _question(6, "min_projects", -1),
    "min_projects above 1000": _question(6, "min_projects", MAX_OPTIONS + 1),
    "max_projects 0": _question(6, "max_projects", 0),
    "max_projects above 1000": _question(6, "max_projects", MAX_OPTIONS + 1),
    "rule unknown": _question(5, "rule", "greedy-by-cost"),
    "max_score 0": _question(3, "max_score", 0),
    "max_score above 10^6": _question(3, "max_score", MAX_SCORE + 1),
    "max_total 0": _question(4, "max_total", 0),
    "max_total above 10^9": _question(4, "max_total", MAX_SCORE * MAX_OPTIONS + 1),
    "approval min negative": _question(2, "min", -1),
    "approval max 0": _question(2, "max", 0),
    "approval max above 1000": _question(2, "max", MAX_OPTIONS + 1),
    "blank not a boolean": _question(0, "blank", 1),
    "single with one option": _options_of(0, 1),
    "approval with no option": _options_of(2, 0),
    "more than 1000 options": _options_of(2, MAX_OPTIONS + 1),
    "no question": _questions(0),
    "more than 200 questions": _questions(MAX_QUESTIONS + 1),
    "question id starting with a dash": _question(0, "id", "-q"),
    "question id of 65 characters": _question(0, "id", "q" * 65),
    "question id with a colon": _question(0, "id", "a:b"),
    "election id of 129 characters": _top("election_id", "E" * 129),
    "election id with a space": _top("election_id", "a b"),
    "group unknown": _top("group", "p256"),
    "revote unknown": _top("revote", "first-counts"),
    "version 2": _top("version", 2),
    "language code in capitals": _title({"en": "x", "fr": "x", "EN": "x"}),
    "language code too long": _title({"en": "x", "fr": "x", "english": "x"}),
    "French missing": _title({"en": "x"}),
    "empty text": _title({"en": "", "fr": "x"}),
    "text of spaces only": _title({"en": "   ", "fr": "x"}),
    "text above 10000 characters": _title({"en": "x" * 10_001, "fr": "x"}),
    "date without offset": _top("opens", "2025-03-01T08:00:00"),
    "unknown field in a question": _question(0, "weight", 1),
    "cost on a score option": _question(
        3, "options", [{"id": "a", "label": _text("a"), "cost": 1}]
    ),
}


@pytest.mark.parametrize("name", sorted(MANIFEST_VIOLATIONS))
def test_the_schema_and_evote_both_refuse_a_manifest_that(name: str) -> None:
    document = copy.deepcopy(EDGE)
    MANIFEST_VIOLATIONS[name](document)
    assert not SCHEMA_MANIFEST.is_valid(document), name
    with pytest.raises(InvalidInput):
        manifest_from_json_obj(document)


@pytest.mark.parametrize(
    "date", ["2025-03-01T08:00:00Z", "2025-03-01T08:00+00:00", "2025-03-01 08:00:00+00:00"]
)
def test_dates_in_another_form_than_the_written_one_are_refused(date: str) -> None:
    # The digest is computed over the written form (docs/spec.md section 6.2): schema and code
    # both hold that form only, so no reader has to reproduce Python's normalisation.
    document = copy.deepcopy(EDGE)
    document["opens"] = date
    assert not SCHEMA_MANIFEST.is_valid(document)
    with pytest.raises(InvalidInput, match=r"manifest\.opens: .* not in the written form; write"):
        manifest_from_json_obj(document)


# -- credentials ------------------------------------------------------------------------------


def _credentials(weights: list[int]) -> dict[str, Any]:
    publics = sorted(ED25519.base_exp(k + 2).to_bytes() for k in range(len(weights)))
    entries = [
        {"public": jsonstrict.b64encode(public), "weight": weight}
        for public, weight in zip(publics, weights, strict=True)
    ]
    return {"group": "ed25519", "entries": entries}


def _as_record_document(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "credential-list", "version": 1, "election_id": "e", **obj}


@pytest.mark.parametrize("weight", [1, MAX_WEIGHT])
def test_credential_weights_at_the_edges_validate(weight: int) -> None:
    obj = _credentials([weight])
    CredentialList.from_json_obj(ED25519, obj)
    validator("credentials").validate(_as_record_document(obj))


@pytest.mark.parametrize("weight", [0, MAX_WEIGHT + 1])
def test_credential_weights_beyond_the_edges_are_refused(weight: int) -> None:
    obj = _credentials([weight])
    with pytest.raises(InvalidInput):
        CredentialList.from_json_obj(ED25519, obj)
    assert not validator("credentials").is_valid(_as_record_document(obj))


@pytest.mark.parametrize(
    "public",
    [
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY",  # padding missing
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZ=",  # non-zero trailing bits
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm==",  # 31 bytes
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZg==",  # 33 bytes
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=\n",  # trailing newline
    ],
)
def test_a_public_credential_not_canonical_base64_of_an_element_is_refused(public: str) -> None:
    document = _as_record_document(_credentials([1]))
    document["entries"][0]["public"] = public
    assert not validator("credentials").is_valid(document)


# -- the published documents ----------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(obj: dict[str, Any]) -> None:
        target: Any = obj
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


RECORD_VIOLATIONS: dict[str, tuple[str, str, Mutation]] = {
    "trustee count 0": ("ceremony.json", "ceremony", _set(("setup", "trustee_count"), 0)),
    "trustee count 1001": ("ceremony.json", "ceremony", _set(("setup", "trustee_count"), 1001)),
    "threshold 0": ("ceremony.json", "ceremony", _set(("setup", "threshold"), 0)),
    "trustee index 0": ("ceremony.json", "ceremony", _set(("commitment_hashes", 0, "index"), 0)),
    "transport key of 31 bytes": (
        "ceremony.json",
        "ceremony",
        _set(("setup", "transport_keys", 0), "A" * 40 + "AA=="),
    ),
    "no commitment": ("ceremony.json", "ceremony", _set(("commitments", 0, "commitments"), [])),
    "digest of 33 bytes": (
        "ceremony.json",
        "ceremony",
        _set(("transcript_hash",), "A" * 44 + "AA=="),
    ),
    "signature of 63 bytes": (
        "checkpoints.json",
        "checkpoints",
        _set(("checkpoints", 0, "signature"), "A" * 84),
    ),
    "signature not canonical": (
        "checkpoints.json",
        "checkpoints",
        _set(("checkpoints", 0, "signature"), "A" * 85 + "B=="),
    ),
    "negative timestamp": (
        "checkpoints.json",
        "checkpoints",
        _set(("checkpoints", 0, "timestamp"), -1),
    ),
    "weight 2^32": ("credentials.json", "credentials", _set(("entries", 0, "weight"), 2**32)),
    "rejected reason above 2000 characters": (
        "tally.json",
        "tally",
        _set(("rejected",), [{"trustee": 2, "reason": "x" * 2001}]),
    ),
    "combined trustee 0": ("tally.json", "tally", _set(("combined",), [0])),
    "share trustee 1001": ("tally.json", "tally", _set(("shares", 0, "trustee"), 1001)),
    "no question in the tally": (
        "tally.json",
        "tally",
        _set(("encrypted_tally", "questions"), []),
    ),
    "negative count": ("result.json", "result", _set(("questions", 0, "counts", 0, 1), -1)),
    "launch code empty": ("election.json", "election", _set(("launch_code",), "")),
}


@pytest.mark.parametrize("name", sorted(RECORD_VIOLATIONS))
def test_the_schema_refuses_a_record_document_with(published: Published, name: str) -> None:
    file, schema, mutate = RECORD_VIOLATIONS[name]
    document = json.loads((published.record / file).read_bytes())
    validator(schema).validate(document)
    mutate(document)
    assert not validator(schema).is_valid(document), name


def test_a_tally_event_must_carry_a_tally(published: Published) -> None:
    tally = json.loads((published.record / "tally.json").read_bytes())
    event = validator("event-payload")
    event.validate({"event": "tally", "version": 1, "body": tally})
    assert not event.is_valid({"event": "tally", "version": 1, "body": {"kind": "tally"}})
    assert not event.is_valid({"event": "result", "version": 1, "body": tally})
    event.validate({"event": "open", "version": 1, "body": None})
