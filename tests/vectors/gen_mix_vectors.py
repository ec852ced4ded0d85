"""Write tests/vectors/mix.json: known-answer vectors of a signed mix document (docs/spec.md 14.2).

Run from the repository root::

    python -m tests.vectors.gen_mix_vectors

Like shuffle.json, the file pins the protocol: regenerate it only for a reviewed change of
docs/spec.md section 14, never to make a failing test pass.

For each group, the shuffle of tests/vectors/shuffle.json (its key s, inputs, outputs and proof,
binding ("mix", 1, "question", 0)) becomes question 0 of mix 1 by trustee 1 of the election
"vector-election" with the fingerprint bytes 0..31, signed with s (K_1 = K) and the Schnorr
nonce w = hash_to_scalar_G(test, "mix signature nonce") in place of the hedged nonce of spec
4.6. The file records the document without its signature (canonical JSON, as text), its digest
D = digest32(mix, those bytes), the signature's challenge and response, and the whole signed
document (canonical JSON, as text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose, digest32
from evote.crypto.proofs import Proof, _prove_schnorr_with_nonce
from evote.crypto.shuffle import _prove_shuffle_drawing, shuffle_with
from evote.tally.mixnet import (
    Mix,
    MixedQuestion,
    _unsigned_bytes,
    mix_to_json,
    signature_context,
)
from tests.vectors.gen_shuffle_vectors import (
    CONTEXT,
    PERMUTATION,
    WIDTH,
    prover_draw,
    vector_inputs,
    vector_key,
)

VECTORS_PATH = Path(__file__).with_name("mix.json")
FORMAT = "evote-mix-vectors/1"
ELECTION_ID = "vector-election"


def vector_mix(group: Group) -> Mix:
    """Mix 1 of the vector election, signed as the module docstring says."""
    key = vector_key(group)
    inputs = vector_inputs(key)
    nonces = [
        [group.hash_to_scalar(Purpose.TEST, "shuffle nonce", i, k) for k in range(WIDTH)]
        for i in range(len(PERMUTATION))
    ]
    shuffled = shuffle_with(key, inputs, PERMUTATION, nonces)
    proof = _prove_shuffle_drawing(key, CONTEXT, inputs, shuffled, prover_draw(group))
    unsigned = Mix(
        group,
        ELECTION_ID,
        CONTEXT.fingerprint,
        1,
        1,
        (MixedQuestion(0, shuffled.outputs, proof),),
        Proof(0, 0),
    )
    secret = group.hash_to_scalar(Purpose.TEST, "vector secret key")
    context = signature_context(CONTEXT.fingerprint, 1, 1, _unsigned_bytes(unsigned))
    nonce = group.hash_to_scalar(Purpose.TEST, "mix signature nonce")
    signature = _prove_schnorr_with_nonce(group, Purpose.MIX, context, secret, key.element, nonce)
    return Mix(group, ELECTION_ID, CONTEXT.fingerprint, 1, 1, unsigned.questions, signature)


def build(group: Group) -> dict[str, Any]:
    mix = vector_mix(group)
    unsigned = _unsigned_bytes(mix)
    return {
        "unsigned_document": unsigned.decode(),
        "digest": digest32(Purpose.MIX, unsigned).hex(),
        "signature": {
            "challenge": Group.scalar_to_bytes(mix.signature.challenge).hex(),
            "response": Group.scalar_to_bytes(mix.signature.response).hex(),
        },
        "document": mix_to_json(mix).decode(),
    }


def generate() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "election_id": ELECTION_ID,
        "fingerprint": CONTEXT.fingerprint.hex(),
        "position": 1,
        "trustee": 1,
        "groups": {group.name: build(group) for group in all_groups()},
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
