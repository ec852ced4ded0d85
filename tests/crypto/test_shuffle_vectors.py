"""Known-answer tests of the proof of shuffle: tests/vectors/shuffle.json (docs/spec.md 12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evote import jsonstrict
from evote.crypto.elgamal import Ciphertext, PublicKey
from evote.crypto.groups import Group, all_groups
from evote.crypto.shuffle import Answer, check_shuffle, shuffle_proof_from_json
from evote.errors import InvalidProof
from tests.vectors.gen_shuffle_vectors import CONTEXT, VECTORS_PATH, build, vector_key

STORED: dict[str, Any] = json.loads(VECTORS_PATH.read_text())


def _answers(group: Group, rows: list[list[list[str]]]) -> tuple[Answer, ...]:
    return tuple(
        tuple(
            Ciphertext(group.decode(bytes.fromhex(a)), group.decode(bytes.fromhex(b)))
            for a, b in row
        )
        for row in rows
    )


def test_the_file_covers_both_groups() -> None:
    assert sorted(STORED["groups"]) == sorted(group.name for group in all_groups())
    assert bytes.fromhex(STORED["fingerprint"]) == CONTEXT.fingerprint
    assert tuple(STORED["binding"]) == CONTEXT.binding


@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_recomputing_gives_the_stored_bytes(group: Group) -> None:
    assert build(group) == STORED["groups"][group.name]


@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_the_stored_proof_verifies_and_a_changed_byte_does_not(group: Group) -> None:
    vector = STORED["groups"][group.name]
    key = PublicKey(group, group.decode(bytes.fromhex(vector["public_key"])))
    assert key == vector_key(group)
    inputs = _answers(group, vector["inputs"])
    outputs = _answers(group, vector["outputs"])
    proof = shuffle_proof_from_json(jsonstrict.dumps(vector["proof"]), group)
    check_shuffle(key, CONTEXT, inputs, outputs, proof)
    with pytest.raises(InvalidProof):
        check_shuffle(key, CONTEXT, inputs, (outputs[1], outputs[0], outputs[2]), proof)
