"""Known-answer tests of the signed mix document: tests/vectors/mix.json (docs/spec.md 14.2)."""

from __future__ import annotations

import base64
import json

import pytest

from evote import jsonstrict
from evote.crypto.groups import Group, group_by_name
from evote.crypto.hashing import Purpose, digest32
from evote.crypto.proofs import Proof, ProofContext, check_schnorr
from evote.errors import InvalidProof
from tests.vectors.gen_mix_vectors import VECTORS_PATH, build
from tests.vectors.gen_shuffle_vectors import vector_key

VECTORS = json.loads(VECTORS_PATH.read_text())


@pytest.mark.parametrize("name", sorted(VECTORS["groups"]))
def test_the_mix_document_and_its_signature_are_the_vectors(name: str) -> None:
    assert build(group_by_name(name)) == VECTORS["groups"][name]


@pytest.mark.parametrize("name", sorted(VECTORS["groups"]))
def test_the_signature_verifies_from_the_vector_alone(name: str) -> None:
    """What a second implementation does: the document minus its signature, its digest, the
    binding of spec 14.2 and the Schnorr check of spec 4.2."""
    group = group_by_name(name)
    vector = VECTORS["groups"][name]
    document = jsonstrict.loads(vector["document"].encode(), "mix")
    signature = document.pop("signature")
    unsigned = jsonstrict.dumps(document)
    assert unsigned.decode() == vector["unsigned_document"]
    digest = digest32(Purpose.MIX, unsigned)
    assert digest.hex() == vector["digest"]
    proof = Proof(
        int.from_bytes(base64.b64decode(signature["challenge"]), "big"),
        int.from_bytes(base64.b64decode(signature["response"]), "big"),
    )
    assert Group.scalar_to_bytes(proof.challenge).hex() == vector["signature"]["challenge"]
    assert Group.scalar_to_bytes(proof.response).hex() == vector["signature"]["response"]
    context = ProofContext(bytes.fromhex(VECTORS["fingerprint"]), ("mix", 1, "trustee", 1, digest))
    key = vector_key(group).element
    check_schnorr(group, Purpose.MIX, context, key, proof)
    with pytest.raises(InvalidProof):
        check_schnorr(
            group,
            Purpose.MIX,
            ProofContext(context.fingerprint, ("mix", 2, "trustee", 1, digest)),
            key,
            proof,
        )
