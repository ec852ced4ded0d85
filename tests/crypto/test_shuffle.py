"""The verifiable re-encryption shuffle and its proof (docs/spec.md section 12), both groups."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evote import jsonstrict
from evote.crypto.elgamal import (
    Ciphertext,
    PublicKey,
    SecretKey,
    decrypt_to_element,
    encrypt,
)
from evote.crypto.groups import ED25519, MODP4096, Element, Group
from evote.crypto.proofs import ProofContext
from evote.crypto.shuffle import (
    Answer,
    Shuffle,
    ShuffleProof,
    check_shuffle,
    prove_shuffle,
    random_permutation,
    shuffle,
    shuffle_generators,
    shuffle_proof_from_json,
    shuffle_proof_to_json,
    shuffle_with,
)
from evote.errors import (
    ContextMismatch,
    InvalidGroupElement,
    InvalidInput,
    InvalidProof,
    InvalidScalar,
)

CONTEXT = ProofContext(bytes(range(32)), ("mix", 1, "question", 0))


@dataclass(frozen=True)
class Mixed:
    inputs: tuple[Answer, ...]
    shuffled: Shuffle
    proof: ShuffleProof


def _answers(key: PublicKey, messages: Sequence[Sequence[int]]) -> tuple[Answer, ...]:
    return tuple(tuple(encrypt(key, m).ciphertext for m in row) for row in messages)


@pytest.fixture(scope="module")
def mixed(public_key: PublicKey) -> Mixed:
    """Five answers of width 3, shuffled and proven once per group."""
    inputs = _answers(public_key, [[i, i + 1, 2 * i] for i in range(5)])
    shuffled = shuffle(public_key, inputs)
    return Mixed(inputs, shuffled, prove_shuffle(public_key, CONTEXT, inputs, shuffled))


def _plain(key: SecretKey, answer: Answer) -> list[Element]:
    return [decrypt_to_element(key, c) for c in answer]


# -- completeness --------------------------------------------------------------------------------


def test_an_honest_shuffle_verifies(public_key: PublicKey, mixed: Mixed) -> None:
    check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, mixed.proof)


def test_outputs_decrypt_to_the_permuted_inputs(
    secret_key: SecretKey, public_key: PublicKey, mixed: Mixed
) -> None:
    outputs = mixed.shuffled.outputs
    for i, source in enumerate(mixed.shuffled.permutation):
        assert _plain(secret_key, outputs[i]) == _plain(secret_key, mixed.inputs[source])
        # Re-randomised: no output ciphertext equals its input.
        assert not set(outputs[i]) & set(mixed.inputs[source])


def test_a_single_answer_of_width_one_verifies(public_key: PublicKey) -> None:
    inputs = _answers(public_key, [[1]])
    shuffled = shuffle(public_key, inputs)
    proof = prove_shuffle(public_key, CONTEXT, inputs, shuffled)
    check_shuffle(public_key, CONTEXT, inputs, shuffled.outputs, proof)


def test_the_proof_survives_its_json(public_key: PublicKey, mixed: Mixed) -> None:
    group = public_key.group
    data = shuffle_proof_to_json(group, mixed.proof)
    assert jsonstrict.dumps(json.loads(data)) == data
    decoded = shuffle_proof_from_json(data, group)
    assert decoded == mixed.proof
    check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, decoded)


def test_random_permutations_are_permutations() -> None:
    for size in (1, 2, 7):
        assert sorted(random_permutation(size)) == list(range(size))


def test_generators_are_distinct_and_stable(group: Group) -> None:
    generators = shuffle_generators(group, 4)
    assert len(set(generators)) == 5
    assert group.generator not in generators
    assert shuffle_generators(group, 2) == generators[:3]


# -- soundness-style negative tests --------------------------------------------------------------


def _refused(key: PublicKey, mixed: Mixed, outputs: Sequence[Answer], error: type[Exception],
             match: str) -> None:  # fmt: skip
    with pytest.raises(error, match=match):
        check_shuffle(key, CONTEXT, mixed.inputs, outputs, mixed.proof)


def test_a_dropped_answer_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    outputs = mixed.shuffled.outputs[:-1]
    _refused(public_key, mixed, outputs, InvalidProof, "4 output answers for 5 input answers")


def test_a_duplicated_answer_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    outputs = list(mixed.shuffled.outputs)
    outputs[1] = outputs[0]
    _refused(public_key, mixed, outputs, InvalidProof, "proof of shuffle does not verify")


def test_a_replaced_answer_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    outputs = list(mixed.shuffled.outputs)
    outputs[2] = _answers(public_key, [[0, 0, 0]])[0]
    _refused(public_key, mixed, outputs, InvalidProof, "proof of shuffle does not verify")


def test_a_re_randomised_component_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    group = public_key.group
    outputs = list(mixed.shuffled.outputs)
    first = outputs[0][0]
    outputs[0] = (Ciphertext(first.alpha * group.generator, first.beta * public_key.element),
                  *outputs[0][1:])  # fmt: skip
    _refused(public_key, mixed, outputs, InvalidProof, "proof of shuffle does not verify")


def test_outputs_in_another_order_are_refused(public_key: PublicKey, mixed: Mixed) -> None:
    outputs = list(mixed.shuffled.outputs)
    outputs[0], outputs[1] = outputs[1], outputs[0]
    _refused(public_key, mixed, outputs, InvalidProof, "proof of shuffle does not verify")


def test_an_output_that_is_not_a_permutation_is_refused(
    secret_key: SecretKey, public_key: PublicKey, mixed: Mixed
) -> None:
    # Components of two answers swapped between them: each output is a re-encryption of
    # some input ciphertext, but the answers are not a permutation of the input answers.
    outputs = list(mixed.shuffled.outputs)
    outputs[0], outputs[1] = (
        (outputs[1][0], *outputs[0][1:]),
        (outputs[0][0], *outputs[1][1:]),
    )
    _refused(public_key, mixed, outputs, InvalidProof, "proof of shuffle does not verify")


def test_a_valid_proof_for_another_input_list_is_refused(
    public_key: PublicKey, mixed: Mixed
) -> None:
    others = _answers(public_key, [[i, i + 1, 2 * i] for i in range(5)])
    with pytest.raises(InvalidProof, match="does not verify"):
        check_shuffle(public_key, CONTEXT, others, mixed.shuffled.outputs, mixed.proof)


def test_a_proof_for_another_election_or_position_is_refused(
    public_key: PublicKey, mixed: Mixed
) -> None:
    outputs = mixed.shuffled.outputs
    other_election = ProofContext(bytes(32), CONTEXT.binding)
    other_mix = ProofContext(CONTEXT.fingerprint, ("mix", 2, "question", 0))
    for context in (other_election, other_mix):
        with pytest.raises(InvalidProof, match="does not verify"):
            check_shuffle(public_key, context, mixed.inputs, outputs, mixed.proof)


def test_a_proof_under_another_key_is_refused(mixed: Mixed, group: Group) -> None:
    other = PublicKey(group, group.base_exp(12345))
    with pytest.raises(InvalidProof, match="does not verify"):
        check_shuffle(other, CONTEXT, mixed.inputs, mixed.shuffled.outputs, mixed.proof)


@pytest.mark.parametrize(
    "name",
    ["challenge", "s1", "s2", "s3", "s4", "chain_responses", "permutation_responses"],
)
def test_a_tampered_response_is_refused(public_key: PublicKey, mixed: Mixed, name: str) -> None:
    q = public_key.group.order
    value = getattr(mixed.proof, name)
    changed = (value + 1) % q if isinstance(value, int) else ((value[0] + 1) % q, *value[1:])
    proof = dataclasses.replace(mixed.proof, **{name: changed})
    with pytest.raises(InvalidProof, match="does not verify"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)


@pytest.mark.parametrize("name", ["permutation_commitments", "chain"])
def test_a_tampered_commitment_is_refused(public_key: PublicKey, mixed: Mixed, name: str) -> None:
    elements = getattr(mixed.proof, name)
    changed = (elements[0] * public_key.group.generator, *elements[1:])
    proof = dataclasses.replace(mixed.proof, **{name: changed})
    with pytest.raises(InvalidProof, match="does not verify"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)


@pytest.mark.parametrize(
    "name", ["permutation_commitments", "chain", "s4", "chain_responses", "permutation_responses"]
)
def test_a_vector_of_the_wrong_length_is_refused(
    public_key: PublicKey, mixed: Mixed, name: str
) -> None:
    proof = dataclasses.replace(mixed.proof, **{name: getattr(mixed.proof, name)[:-1]})
    with pytest.raises(InvalidProof, match=f"proof.{name}: expected"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)


def test_an_out_of_range_scalar_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    q = public_key.group.order
    proof = dataclasses.replace(mixed.proof, s2=mixed.proof.s2 + q)
    with pytest.raises(InvalidProof, match=r"shuffle.proof.s2: scalar out of range"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)
    proof = dataclasses.replace(mixed.proof, permutation_responses=(-1,) * 5)
    with pytest.raises(InvalidProof, match=r"permutation_responses\[0\]: scalar out of range"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)


def test_answers_of_unequal_width_or_none_are_refused(public_key: PublicKey, mixed: Mixed) -> None:
    ragged = (mixed.inputs[0][:2], *mixed.inputs[1:])
    with pytest.raises(InvalidInput, match=r"inputs\[0\]|inputs\[1\]"):
        check_shuffle(public_key, CONTEXT, ragged, mixed.shuffled.outputs, mixed.proof)
    with pytest.raises(InvalidInput, match="at least one answer"):
        check_shuffle(public_key, CONTEXT, (), (), mixed.proof)
    narrower = tuple(answer[:2] for answer in mixed.shuffled.outputs)
    with pytest.raises(InvalidProof, match="output answers of width 2, inputs of 3"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, narrower, mixed.proof)


def test_a_ciphertext_of_another_group_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    other = ED25519 if public_key.group is MODP4096 else MODP4096
    foreign = Ciphertext(other.generator, other.generator)
    outputs = list(mixed.shuffled.outputs)
    outputs[0] = (foreign, *outputs[0][1:])
    with pytest.raises(InvalidGroupElement, match=r"outputs\[0\]\[0\]"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, outputs, mixed.proof)


def test_the_prover_refuses_a_witness_that_is_not_a_permutation(
    public_key: PublicKey, mixed: Mixed
) -> None:
    with pytest.raises(InvalidInput, match="not a permutation"):
        shuffle_with(public_key, mixed.inputs, [0, 0, 1, 2, 3], [[1, 1, 1]] * 5)


# -- the JSON document -----------------------------------------------------------------------


def _document(group: Group, proof: ShuffleProof) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(shuffle_proof_to_json(group, proof))
    return loaded


def test_json_refuses_malformed_elements_and_scalars(public_key: PublicKey, mixed: Mixed) -> None:
    group = public_key.group
    identity = jsonstrict.b64encode(group.identity.to_bytes())
    bad_element = _document(group, mixed.proof)
    bad_element["chain"] = [identity, *bad_element["chain"][1:]]  # type: ignore[index]
    with pytest.raises(InvalidGroupElement, match=r"chain\[0\]"):
        shuffle_proof_from_json(jsonstrict.dumps(bad_element), group)
    bad_scalar = _document(group, mixed.proof)
    bad_scalar["s1"] = jsonstrict.b64encode(b"\xff" * 32)
    with pytest.raises(InvalidScalar, match=r"shuffle proof.s1: scalar out of range"):
        shuffle_proof_from_json(jsonstrict.dumps(bad_scalar), group)
    short = _document(group, mixed.proof)
    short["s3"] = jsonstrict.b64encode(b"\x01" * 31)
    with pytest.raises(InvalidInput, match=r"shuffle proof.s3: expected 32 bytes"):
        shuffle_proof_from_json(jsonstrict.dumps(short), group)
    extra = _document(group, mixed.proof)
    extra["t1"] = identity
    with pytest.raises(InvalidInput, match=r"shuffle proof.t1: unknown field"):
        shuffle_proof_from_json(jsonstrict.dumps(extra), group)


def test_json_refuses_a_proof_of_the_other_group(public_key: PublicKey, mixed: Mixed) -> None:
    group = public_key.group
    document = _document(group, mixed.proof)
    document["group"] = "ed25519" if group is MODP4096 else "modp4096"
    with pytest.raises(ContextMismatch, match="expected " + group.name):
        shuffle_proof_from_json(jsonstrict.dumps(document), group)


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_permutation_verifies_and_any_swap_of_outputs_fails(
    public_key: PublicKey, data: st.DataObject
) -> None:
    """On modp4096 too: few examples, each a small shuffle (the proof is linear in N·w)."""
    n = data.draw(st.integers(2, 4), label="answers")
    width = data.draw(st.integers(1, 2), label="width")
    permutation = data.draw(st.permutations(range(n)), label="permutation")
    group = public_key.group
    inputs = _answers(public_key, [[(i + k) % 3 for k in range(width)] for i in range(n)])
    nonces = [[group.random_scalar() for _ in range(width)] for _ in range(n)]
    shuffled = shuffle_with(public_key, inputs, permutation, nonces)
    proof = prove_shuffle(public_key, CONTEXT, inputs, shuffled)
    check_shuffle(public_key, CONTEXT, inputs, shuffled.outputs, proof)
    i = data.draw(st.integers(0, n - 2), label="swap")
    swapped = list(shuffled.outputs)
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    with pytest.raises(InvalidProof):
        check_shuffle(public_key, CONTEXT, inputs, swapped, proof)


def test_a_commitment_of_another_group_is_refused(public_key: PublicKey, mixed: Mixed) -> None:
    other = ED25519 if public_key.group is MODP4096 else MODP4096
    chain = (other.generator, *mixed.proof.chain[1:])
    proof = dataclasses.replace(mixed.proof, chain=chain)
    with pytest.raises(InvalidGroupElement, match=r"shuffle.proof.chain\[0\]: element of another"):
        check_shuffle(public_key, CONTEXT, mixed.inputs, mixed.shuffled.outputs, proof)
