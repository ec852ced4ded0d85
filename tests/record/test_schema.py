"""Every document of an exported record validates against its JSON Schema (evote/record/schema/).

The schemas are what an independent verifier is written from: an exported record must pass
them, and a document mutated field by field must not.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")

from evote.ceremony.dkg import (  # noqa: E402
    Trustee,
    ceremony_setup,
    finalize_ceremony,
    make_complaint,
)
from evote.ceremony.wire import ceremony_result_to_json  # noqa: E402
from evote.crypto.groups import ED25519  # noqa: E402
from evote.record.schemas import json_schemas, schema_files  # noqa: E402
from tests.record.conftest import Published  # noqa: E402

URN = "urn:evote:record:1:"
DOCUMENTS = {
    "record.json": "record",
    "group.json": "group",
    "manifest.json": "manifest",
    "election.json": "election",
    "credentials.json": "credentials",
    "ceremony.json": "ceremony",
    "checkpoints.json": "checkpoints",
    "tally.json": "tally",
    "result.json": "result",
}


def _registry() -> Any:
    resources = []
    for identifier, schema in json_schemas().items():
        jsonschema.Draft202012Validator.check_schema(schema)
        resources.append((identifier, referencing.Resource.from_contents(schema)))
    return referencing.Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> Any:
    schema = REGISTRY.contents(URN + name)
    return jsonschema.Draft202012Validator(schema, registry=REGISTRY)


def test_every_schema_has_its_document() -> None:
    names = set(schema_files())
    assert set(DOCUMENTS.values()) | {"board-entry", "setup-payload", "event-payload"} == names


def test_every_exported_document_validates(published: Published) -> None:
    for file, name in DOCUMENTS.items():
        validator(name).validate(json.loads((published.record / file).read_bytes()))
    entry = validator("board-entry")
    event = validator("event-payload")
    for line in (published.record / "board.jsonl").read_bytes().splitlines():
        value = json.loads(line)
        entry.validate(value)
        payload = json.loads(base64.b64decode(value["payload"]))
        if value["kind"] == "setup":
            validator("setup-payload").validate(payload)
        elif value["kind"] in {"open", "close", "tally", "result"}:
            event.validate(payload)
            if value["kind"] in {"tally", "result"}:
                validator(value["kind"]).validate(payload["body"])


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Paths of every object in ``value`` (to add a field) and of every scalar (to retype)."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(value, dict):
        found.append((path, "add"))
        for key, item in value.items():
            found += _mutations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            found += _mutations(item, (*path, index))
    else:
        found.append((path, "retype"))
    return found


def _apply(value: Any, path: tuple[Any, ...], how: str) -> Any:
    mutated = copy.deepcopy(value)
    if how == "add":
        target = mutated
        for step in path:
            target = target[step]
        target["unexpected"] = 1
        return mutated
    parent = mutated
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    parent[path[-1]] = [old] if not isinstance(old, str) else 12
    return mutated


@pytest.mark.parametrize("file", sorted(DOCUMENTS))
def test_mutated_documents_do_not_validate(published: Published, file: str) -> None:
    value = json.loads((published.record / file).read_bytes())
    check = validator(DOCUMENTS[file])
    mutations = _mutations(value)
    assert mutations
    for path, how in mutations:
        if how == "retype" and path[-1:] in {("label",), ("title",)}:
            continue
        mutated = _apply(value, path, how)
        if how == "add" and path and path[-1] in {"label", "title"}:
            continue  # texts may hold any language
        assert not check.is_valid(mutated), (file, path, how)


def test_ceremony_result_with_a_dismissed_complaint_validates() -> None:
    """The optional complaints and answers of spec 8.4.1: valid together, refused apart."""
    trustees = [Trustee(ED25519, "schema-2025", i) for i in (1, 2, 3)]
    setup = ceremony_setup(ED25519, "schema-2025", 3, 2, [t.announcement() for t in trustees])
    hashes = [t.commit(setup) for t in trustees]
    revealed = [t.reveal(hashes) for t in trustees]
    sealed = [box for t in trustees for box in t.send_shares(revealed)]
    for t in trustees:
        t.receive_shares([s for s in sealed if s.recipient == t.index])
    false = make_complaint(setup, 1, trustees[0]._coefficients, revealed[0], 2, "made up")
    answers = [a for t in trustees for a in t.answer([false])]
    confirmations = [t.confirm([false], answers) for t in trustees]
    result = finalize_ceremony(setup, hashes, revealed, [false], confirmations, answers)
    document = json.loads(ceremony_result_to_json(result))
    assert [c["accuser"] for c in document["complaints"]] == [1]
    check = validator("ceremony")
    check.validate(document)
    for field in ("complaints", "answers"):
        alone = {k: v for k, v in document.items() if k != field}
        with pytest.raises(jsonschema.ValidationError):
            check.validate(alone)
