"""Interval proofs by bit decomposition: honest proofs verify; forgeries and mutations fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto.elgamal import Ciphertext, PublicKey, encrypt_with_nonce, generate_keypair
from evote.crypto.groups import Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import DisjunctiveProof, Proof, ProofContext, prove_range
from evote.crypto.rangeproof import (
    BitDecomposition,
    IntervalProof,
    bit_count,
    check_interval,
    prove_interval,
)
from evote.errors import InvalidInput, InvalidProof
from tests.strategies import contexts, intervals

PURPOSE = Purpose.BUDGET_PROOF


def _prove(
    key: PublicKey, context: ProofContext, value: int, lower: int, upper: int
) -> tuple[Ciphertext, int, IntervalProof]:
    nonce = key.group.random_scalar()
    ciphertext = encrypt_with_nonce(key, value, nonce)
    proof = prove_interval(key, PURPOSE, context, ciphertext, value, nonce, lower, upper)
    return ciphertext, nonce, proof


@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_honest_interval_proofs_verify(
    group: Group, public_key: PublicKey, data: st.DataObject
) -> None:
    lower, upper, value = data.draw(intervals(max_bits=40), label="lower, upper, value")
    context = data.draw(contexts(), label="context")
    ciphertext, _, proof = _prove(public_key, context, value, lower, upper)
    bits = bit_count(lower, upper)
    assert len(proof.above_lower.bits) == len(proof.below_upper.bits) == bits
    check_interval(public_key, PURPOSE, context, ciphertext, lower, upper, proof)


@pytest.mark.parametrize(
    ("lower", "upper", "value"),
    [
        (0, 0, 0),
        (5, 5, 5),
        (-3, -3, -3),
        (0, 1, 1),
        (0, 10**6, 10**6),
        (0, 10**6, 0),
        (-(10**6), 10**6, -17),
        (0, 2**64, 2**63 + 12345),
    ],
)
def test_interval_edges(
    public_key: PublicKey, context: ProofContext, lower: int, upper: int, value: int
) -> None:
    ciphertext, _, proof = _prove(public_key, context, value, lower, upper)
    check_interval(public_key, PURPOSE, context, ciphertext, lower, upper, proof)


def test_bit_count() -> None:
    assert bit_count(0, 0) == 1
    assert bit_count(0, 1) == 1
    assert bit_count(0, 2) == 2
    assert bit_count(10, 10 + 2**20 - 1) == 20
    assert bit_count(0, 10**6) == 20
    with pytest.raises(InvalidInput, match="empty interval"):
        bit_count(3, 2)


def test_out_of_range_values_cannot_be_proven(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    nonce = group.random_scalar()
    for value, lower, upper in ((11, 0, 10), (-1, 0, 10), (4, 5, 9)):
        ciphertext = encrypt_with_nonce(public_key, value, nonce)
        with pytest.raises(InvalidInput, match="outside"):
            prove_interval(public_key, PURPOSE, context, ciphertext, value, nonce, lower, upper)
    ciphertext = encrypt_with_nonce(public_key, 1, nonce)
    with pytest.raises(InvalidInput, match=r"\[2, 1\]"):
        prove_interval(public_key, PURPOSE, context, ciphertext, 1, nonce, 2, 1)


def test_bad_intervals_are_refused_by_the_verifier(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    ciphertext, _, proof = _prove(public_key, context, 1, 0, 3)
    with pytest.raises(InvalidInput, match="empty interval"):
        check_interval(public_key, PURPOSE, context, ciphertext, 3, 0, proof)
    too_wide = 2 ** (group.order.bit_length() - 2)
    with pytest.raises(InvalidInput, match="too wide"):
        check_interval(public_key, PURPOSE, context, ciphertext, 0, too_wide, proof)


def _mutate_side(side: BitDecomposition, **changes: object) -> BitDecomposition:
    return replace(side, **changes)  # type: ignore[arg-type]


def test_interval_mutations_and_other_statements_are_refused(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    lower, upper, value = 10, 20, 13
    ciphertext, _, proof = _prove(public_key, context, value, lower, upper)
    check_interval(public_key, PURPOSE, context, ciphertext, lower, upper, proof)
    above, below = proof.above_lower, proof.below_upper

    fresh_nonce = group.random_scalar()
    fresh_bit = encrypt_with_nonce(public_key, value - lower & 1, fresh_nonce)
    fresh_proof = prove_range(
        public_key,
        PURPOSE,
        context.extend("above", lower).extend("bit", 0),
        fresh_bit,
        value - lower & 1,
        fresh_nonce,
        1,
    )
    first_proof = above.proofs[0]
    bad_branch = DisjunctiveProof(
        (
            replace(
                first_proof.branches[0],
                response=(first_proof.branches[0].response + 1) % group.order,
            ),
            first_proof.branches[1],
        )
    )
    mutated_proofs: dict[str, IntervalProof] = {
        "sides swapped": IntervalProof(below, above),
        "bits 0 and 1 swapped": IntervalProof(
            _mutate_side(above, bits=(above.bits[1], above.bits[0], *above.bits[2:])), below
        ),
        "bit 0 re-encrypted (does not recombine)": IntervalProof(
            _mutate_side(
                above, bits=(fresh_bit, *above.bits[1:]), proofs=(fresh_proof, *above.proofs[1:])
            ),
            below,
        ),
        "a bit removed": IntervalProof(BitDecomposition(above.bits[:-1], above.proofs[:-1]), below),
        "a proof removed": IntervalProof(_mutate_side(above, proofs=above.proofs[:-1]), below),
        "a bit added": IntervalProof(
            BitDecomposition((*above.bits, above.bits[0]), (*above.proofs, above.proofs[0])), below
        ),
        "bit proofs swapped": IntervalProof(
            above, _mutate_side(below, proofs=(below.proofs[1], below.proofs[0], *below.proofs[2:]))
        ),
        "a bit proof's response changed": IntervalProof(
            _mutate_side(above, proofs=(bad_branch, *above.proofs[1:])), below
        ),
        "a bit proof's challenge not canonical": IntervalProof(
            _mutate_side(
                above,
                proofs=(
                    DisjunctiveProof(
                        (
                            Proof(
                                first_proof.branches[0].challenge + group.order,
                                first_proof.branches[0].response,
                            ),
                            first_proof.branches[1],
                        )
                    ),
                    *above.proofs[1:],
                ),
            ),
            below,
        ),
    }
    accepted = []
    for name, mutated in mutated_proofs.items():
        try:
            check_interval(public_key, PURPOSE, context, ciphertext, lower, upper, mutated)
        except InvalidProof:
            continue
        accepted.append(name)
    assert not accepted, f"mutations accepted: {accepted}"

    _, other_key = generate_keypair(group)
    fingerprint = bytes([context.fingerprint[0] ^ 1]) + context.fingerprint[1:]
    others: list[tuple[str, Callable[[], None]]] = [
        (
            "other ciphertext",
            lambda: check_interval(
                public_key,
                PURPOSE,
                context,
                encrypt_with_nonce(public_key, value, 7),
                lower,
                upper,
                proof,
            ),
        ),
        (
            "other lower (same width)",
            lambda: check_interval(
                public_key, PURPOSE, context, ciphertext, lower + 1, upper + 1, proof
            ),
        ),
        (
            "other upper (same bit count)",
            lambda: check_interval(
                public_key, PURPOSE, context, ciphertext, lower, upper + 1, proof
            ),
        ),
        (
            "other key",
            lambda: check_interval(other_key, PURPOSE, context, ciphertext, lower, upper, proof),
        ),
        (
            "other purpose",
            lambda: check_interval(
                public_key, Purpose.OPTION_PROOF, context, ciphertext, lower, upper, proof
            ),
        ),
        (
            "other fingerprint",
            lambda: check_interval(
                public_key,
                PURPOSE,
                ProofContext(fingerprint, context.binding),
                ciphertext,
                lower,
                upper,
                proof,
            ),
        ),
        (
            "other binding",
            lambda: check_interval(
                public_key, PURPOSE, context.extend("question", 9), ciphertext, lower, upper, proof
            ),
        ),
    ]
    accepted = []
    for name, run in others:
        try:
            run()
        except InvalidProof:
            continue
        accepted.append(name)
    assert not accepted, f"accepted for another statement: {accepted}"


def test_bits_that_do_not_recombine_are_named(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    ciphertext, _, proof = _prove(public_key, context, 3, 0, 7)
    above = proof.above_lower
    bits = (*above.bits[:-1], above.bits[-1] * encrypt_with_nonce(public_key, 0, 1))
    broken = IntervalProof(_mutate_side(above, bits=bits), proof.below_upper)
    with pytest.raises(InvalidProof, match=r"budget\.above_lower: the encrypted bits do not"):
        check_interval(public_key, PURPOSE, context, ciphertext, 0, 7, broken, "budget")


def test_a_bit_that_encrypts_two_is_refused(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    # The forger wants 4 to pass as a value of [0, 3] (2 bits): 4 = 0 + 2·2, so the bits it
    # encrypts are 0 and 2, with nonces that recombine exactly into the ciphertext. The 0/1 proof
    # of the "bit" 2 is made by lying to the prover (claiming 1): it cannot verify.
    q = group.order
    lower, upper, value = 0, 3, 4
    nonce = group.random_scalar()
    ciphertext = encrypt_with_nonce(public_key, value, nonce)
    above_context = context.extend("above", lower)
    r0 = group.random_scalar()
    r1 = (nonce - r0) * pow(2, -1, q) % q
    bit0 = encrypt_with_nonce(public_key, 0, r0)
    bit1 = encrypt_with_nonce(public_key, 2, r1)
    proof0 = prove_range(public_key, PURPOSE, above_context.extend("bit", 0), bit0, 0, r0, 1)
    proof1 = prove_range(public_key, PURPOSE, above_context.extend("bit", 1), bit1, 1, r1, 1)
    above = BitDecomposition((bit0, bit1), (proof0, proof1))
    # The below side cannot even be built honestly (3 - 4 = -1): reuse an honest one.
    _, _, honest = _prove(public_key, context, 3, lower, upper)
    forged = IntervalProof(above, honest.below_upper)
    with pytest.raises(InvalidProof, match=r"above_lower\.bits\[1\]: range proof"):
        check_interval(public_key, PURPOSE, context, ciphertext, lower, upper, forged)
