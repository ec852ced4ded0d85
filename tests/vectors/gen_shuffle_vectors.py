"""Write tests/vectors/shuffle.json: known-answer vectors of the proof of shuffle (docs/spec.md 12).

Run from the repository root::

    python -m tests.vectors.gen_shuffle_vectors

Like crypto.json, the file pins the protocol: regenerate it only for a reviewed change of
docs/spec.md section 12, never to make a failing test pass.

For each group, with every random value replaced by a hashed label (anyone can recompute them):

* the key: s = hash_to_scalar_G(test, "vector secret key"), K = g^s;
* the context: fingerprint = bytes 0..31, binding ["mix" (t), 1 (i), "question" (t), 0 (i)];
* the inputs: N = 3 answers of width 2, answer i component k = Enc(m_ik; r_ik) with
  m_ik = i + k and r_ik = hash_to_scalar_G(test, "shuffle input", i, k);
* the shuffle: psi = [2, 0, 1], rho_ik = hash_to_scalar_G(test, "shuffle nonce", i, k);
* the prover's random scalars, in the order of section 12.4 (r_psi(1), ..., r_psi(N), then
  r̂_1..r̂_N, ω_1, ω_2, ω_3, ω_4 (w), ω̂ (N), ω' (N)): the j-th drawn (from 0) is
  hash_to_scalar_G(test, "shuffle prover", j);

and the file records the generators h_0..h_N, the vector u, the outputs and the proof document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evote.crypto.elgamal import PublicKey, SecretKey, encrypt_with_nonce
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import ProofContext
from evote.crypto.shuffle import (
    Answer,
    _challenge_vector,
    _prove_shuffle_drawing,
    _statement,
    shuffle_generators,
    shuffle_proof_to_json,
    shuffle_with,
)

VECTORS_PATH = Path(__file__).with_name("shuffle.json")
FORMAT = "evote-shuffle-vectors/1"
CONTEXT = ProofContext(bytes(range(32)), ("mix", 1, "question", 0))
PERMUTATION = (2, 0, 1)
WIDTH = 2


def vector_key(group: Group) -> PublicKey:
    return SecretKey(group, group.hash_to_scalar(Purpose.TEST, "vector secret key")).public_key()


def vector_inputs(key: PublicKey) -> tuple[Answer, ...]:
    group = key.group
    return tuple(
        tuple(
            encrypt_with_nonce(
                key, i + k, group.hash_to_scalar(Purpose.TEST, "shuffle input", i, k)
            )
            for k in range(WIDTH)
        )
        for i in range(len(PERMUTATION))
    )


def prover_draw(group: Group) -> Callable[[], int]:
    counter = iter(range(1 << 30))
    return lambda: group.hash_to_scalar(Purpose.TEST, "shuffle prover", next(counter))


def _answers_hex(answers: tuple[Answer, ...]) -> list[list[list[str]]]:
    return [[[c.alpha.to_bytes().hex(), c.beta.to_bytes().hex()] for c in a] for a in answers]


def build(group: Group) -> dict[str, Any]:
    key = vector_key(group)
    inputs = vector_inputs(key)
    nonces = [
        [group.hash_to_scalar(Purpose.TEST, "shuffle nonce", i, k) for k in range(WIDTH)]
        for i in range(len(PERMUTATION))
    ]
    shuffled = shuffle_with(key, inputs, PERMUTATION, nonces)
    proof = _prove_shuffle_drawing(key, CONTEXT, inputs, shuffled, prover_draw(group))
    u = _challenge_vector(
        group, CONTEXT, _statement(key, inputs, shuffled.outputs), proof.permutation_commitments
    )
    return {
        "public_key": key.element.to_bytes().hex(),
        "generators": [h.to_bytes().hex() for h in shuffle_generators(group, len(inputs))],
        "inputs": _answers_hex(inputs),
        "outputs": _answers_hex(shuffled.outputs),
        "u": [Group.scalar_to_bytes(value).hex() for value in u],
        "proof": json.loads(shuffle_proof_to_json(group, proof)),
    }


def generate() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "fingerprint": CONTEXT.fingerprint.hex(),
        "binding": ["mix", 1, "question", 0],
        "permutation": list(PERMUTATION),
        "groups": {group.name: build(group) for group in all_groups()},
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
