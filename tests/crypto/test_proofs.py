"""Sigma proofs: honest proofs verify; every mutation, and every other statement, is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto.elgamal import (
    Ciphertext,
    PublicKey,
    encrypt,
    encrypt_with_nonce,
    generate_keypair,
)
from evote.crypto.groups import Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import (
    DisjunctiveProof,
    Proof,
    ProofContext,
    challenge,
    check_equal_logs,
    check_proof_scalars,
    check_range,
    check_schnorr,
    hedged_nonce,
    prove_equal_logs,
    prove_range,
    prove_schnorr,
)
from evote.errors import InvalidInput, InvalidProof
from tests.strategies import contexts, elements, nonzero_scalars, ranges

FEW = settings(max_examples=10, deadline=None)


# -- mutations ------------------------------------------------------------------------------


def scalar_mutations(value: int, order: int) -> Iterator[tuple[str, object]]:
    """Every way a verifier must refuse one scalar field: changed, or not canonical."""
    yield "plus one", (value + 1) % order
    yield "minus one", (value - 1) % order
    yield "zero" if value else "one", 0 if value else 1
    yield "shifted by the order", value + order
    yield "the order", order
    yield "negative", value - order
    yield "minus one literal", -1
    yield "2^256", 2**256
    yield "a bool", bool(value % 2 == 0)


def proof_mutations(proof: Proof, order: int) -> Iterator[tuple[str, Proof]]:
    for name, value in scalar_mutations(proof.challenge, order):
        yield f"challenge {name}", Proof(value, proof.response)  # type: ignore[arg-type]
    for name, value in scalar_mutations(proof.response, order):
        yield f"response {name}", Proof(proof.challenge, value)  # type: ignore[arg-type]
    yield "fields swapped", Proof(proof.response, proof.challenge)


def disjunctive_mutations(
    proof: DisjunctiveProof, order: int
) -> Iterator[tuple[str, DisjunctiveProof]]:
    branches = proof.branches
    count = len(branches)
    for j, branch in enumerate(branches):
        for name, mutated in proof_mutations(branch, order):
            yield (
                f"branch {j} {name}",
                DisjunctiveProof((*branches[:j], mutated, *branches[j + 1 :])),
            )
        yield f"branch {j} removed", DisjunctiveProof((*branches[:j], *branches[j + 1 :]))
        yield f"branch {j} duplicated", DisjunctiveProof((*branches[: j + 1], *branches[j:]))
    yield "branch added at the end", DisjunctiveProof((*branches, Proof(0, 0)))
    yield "branch added at the front", DisjunctiveProof((Proof(1, 1), *branches))
    yield "no branches", DisjunctiveProof(())
    for i in range(count):
        for j in range(i + 1, count):
            swapped_challenges = list(branches)
            swapped_challenges[i] = Proof(branches[j].challenge, branches[i].response)
            swapped_challenges[j] = Proof(branches[i].challenge, branches[j].response)
            yield f"challenges {i} and {j} swapped", DisjunctiveProof(tuple(swapped_challenges))
            swapped = list(branches)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            yield f"branches {i} and {j} swapped", DisjunctiveProof(tuple(swapped))
    yield "reversed", DisjunctiveProof(tuple(reversed(branches)))


def expect_all_refused(
    check: Callable[[object], None], mutations: Iterator[tuple[str, object]]
) -> int:
    """Run ``check`` on every mutation; each must raise InvalidProof. Returns how many ran."""
    count = 0
    accepted = []
    for name, mutated in mutations:
        count += 1
        try:
            check(mutated)
        except InvalidProof:
            continue
        accepted.append(name)
    assert not accepted, f"mutations accepted: {accepted}"
    return count


def context_variants(context: ProofContext) -> Iterator[tuple[str, ProofContext]]:
    fingerprint = bytearray(context.fingerprint)
    fingerprint[0] ^= 1
    yield "other fingerprint", ProofContext(bytes(fingerprint), context.binding)
    yield "shorter fingerprint", ProofContext(context.fingerprint[:-1], context.binding)
    yield "binding extended", context.extend("option", 3)
    yield "binding dropped", ProofContext(context.fingerprint, ())
    yield "binding reversed", ProofContext(context.fingerprint, tuple(reversed(context.binding)))
    yield (
        "binding item retyped",
        ProofContext(context.fingerprint, tuple(str(item) for item in context.binding)),
    )
    yield "binding nested", ProofContext(context.fingerprint, (context.binding,))


OTHER_PURPOSE = Purpose.SUM_PROOF


# -- proof context ---------------------------------------------------------------------------


def test_context_extend_appends_to_the_binding() -> None:
    base = ProofContext(b"f" * 32, ("question", 1))
    assert base.extend("option", 2) == ProofContext(b"f" * 32, ("question", 1, "option", 2))
    assert base.extend() == base


def test_challenge_is_the_documented_hash(group: Group) -> None:
    context = ProofContext(b"\x07" * 32, ("q", 1))
    g = group.generator
    expected = group.hash_to_scalar(Purpose.SCHNORR, b"\x07" * 32, ["q", 1], [g], [g * g])
    assert challenge(group, Purpose.SCHNORR, context, [g], [g * g]) == expected


def test_check_proof_scalars(group: Group) -> None:
    check_proof_scalars(group, Proof(0, group.order - 1), "p")
    for bad in (Proof(group.order, 0), Proof(0, -1), Proof(True, 0)):
        with pytest.raises(InvalidProof, match=r"votes\[1\]"):
            check_proof_scalars(group, bad, "votes[1]")


# -- Schnorr ----------------------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_honest_schnorr_proofs_verify(group: Group, data: st.DataObject) -> None:
    secret = data.draw(nonzero_scalars(group), label="x")
    context = data.draw(contexts(), label="context")
    public = group.base_exp(secret)
    proof = prove_schnorr(group, Purpose.SCHNORR, context, secret, public)
    check_schnorr(group, Purpose.SCHNORR, context, public, proof)
    assert 0 <= proof.challenge < group.order
    assert 0 <= proof.response < group.order


def test_schnorr_mutations_and_other_statements_are_refused(
    group: Group, context: ProofContext
) -> None:
    secret = group.random_scalar()
    public = group.base_exp(secret)
    proof = prove_schnorr(group, Purpose.KEY_PROOF, context, secret, public)
    check_schnorr(group, Purpose.KEY_PROOF, context, public, proof)

    def check(mutated: object) -> None:
        check_schnorr(group, Purpose.KEY_PROOF, context, public, mutated, "key")  # type: ignore[arg-type]

    assert expect_all_refused(check, proof_mutations(proof, group.order)) >= 18
    statements: list[tuple[str, Callable[[], None]]] = [
        (
            "other public",
            lambda: check_schnorr(
                group, Purpose.KEY_PROOF, context, public * group.generator, proof
            ),
        ),
        (
            "inverse public",
            lambda: check_schnorr(group, Purpose.KEY_PROOF, context, group.inverse(public), proof),
        ),
        ("other purpose", lambda: check_schnorr(group, OTHER_PURPOSE, context, public, proof)),
    ]
    for name, other in context_variants(context):
        statements.append(
            (name, partial(check_schnorr, group, Purpose.KEY_PROOF, other, public, proof))
        )
    _expect_statements_refused(statements)


def test_schnorr_wrong_secret_does_not_verify(group: Group, context: ProofContext) -> None:
    secret = group.random_scalar()
    public = group.base_exp(secret)
    forged = prove_schnorr(group, Purpose.SCHNORR, context, secret + 1, public)
    with pytest.raises(InvalidProof, match="credential: Schnorr"):
        check_schnorr(group, Purpose.SCHNORR, context, public, forged, "credential")


def _expect_statements_refused(statements: list[tuple[str, Callable[[], None]]]) -> None:
    accepted = []
    for name, run in statements:
        try:
            run()
        except InvalidProof:
            continue
        accepted.append(name)
    assert not accepted, f"accepted for another statement: {accepted}"


# -- Chaum–Pedersen ---------------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_honest_chaum_pedersen_proofs_verify(group: Group, data: st.DataObject) -> None:
    secret = data.draw(nonzero_scalars(group), label="s")
    base2 = data.draw(elements(group), label="base2")
    context = data.draw(contexts(), label="context")
    g = group.generator
    public1, public2 = g**secret, base2**secret
    proof = prove_equal_logs(
        group, Purpose.DECRYPTION_PROOF, context, secret, g, public1, base2, public2
    )
    check_equal_logs(group, Purpose.DECRYPTION_PROOF, context, g, public1, base2, public2, proof)


def test_chaum_pedersen_mutations_and_other_statements_are_refused(
    group: Group, context: ProofContext
) -> None:
    secret = group.random_scalar()
    g = group.generator
    base2 = group.base_exp(group.random_scalar())
    public1, public2 = g**secret, base2**secret
    purpose = Purpose.DECRYPTION_PROOF
    proof = prove_equal_logs(group, purpose, context, secret, g, public1, base2, public2)
    statement = (g, public1, base2, public2)
    check_equal_logs(group, purpose, context, g, public1, base2, public2, proof)

    def check(mutated: object) -> None:
        check_equal_logs(group, purpose, context, g, public1, base2, public2, mutated, "share")  # type: ignore[arg-type]

    expect_all_refused(check, proof_mutations(proof, group.order))
    other = g**3
    statements: list[tuple[str, Callable[[], None]]] = []
    for position in range(4):
        changed = list(statement)
        changed[position] = changed[position] * other
        b1, p1, b2, p2 = changed
        statements.append(
            (
                f"statement[{position}] changed",
                partial(check_equal_logs, group, purpose, context, b1, p1, b2, p2, proof),
            )
        )
    statements += [
        (
            "pairs swapped",
            lambda: check_equal_logs(group, purpose, context, base2, public2, g, public1, proof),
        ),
        (
            "publics swapped",
            lambda: check_equal_logs(group, purpose, context, g, public2, base2, public1, proof),
        ),
        (
            "other purpose",
            lambda: check_equal_logs(
                group, OTHER_PURPOSE, context, g, public1, base2, public2, proof
            ),
        ),
    ]
    for name, variant in context_variants(context):
        statements.append(
            (
                name,
                partial(
                    check_equal_logs, group, purpose, variant, g, public1, base2, public2, proof
                ),
            )
        )
    _expect_statements_refused(statements)


def test_chaum_pedersen_unequal_logs_do_not_verify(group: Group, context: ProofContext) -> None:
    secret = group.random_scalar()
    g = group.generator
    base2 = group.base_exp(group.random_scalar())
    public1, public2 = g**secret, base2 ** (secret + 1)
    forged = prove_equal_logs(
        group, Purpose.CHAUM_PEDERSEN, context, secret, g, public1, base2, public2
    )
    with pytest.raises(InvalidProof, match="Chaum–Pedersen"):
        check_equal_logs(group, Purpose.CHAUM_PEDERSEN, context, g, public1, base2, public2, forged)


# -- disjunctive range proof ------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_honest_range_proofs_verify(
    group: Group, public_key: PublicKey, data: st.DataObject
) -> None:
    maximum, value = data.draw(ranges(5), label="L, m")
    context = data.draw(contexts(), label="context")
    encryption = encrypt(public_key, value)
    proof = prove_range(
        public_key,
        Purpose.OPTION_PROOF,
        context,
        encryption.ciphertext,
        value,
        encryption.nonce,
        maximum,
    )
    assert len(proof.branches) == maximum + 1
    check_range(public_key, Purpose.OPTION_PROOF, context, encryption.ciphertext, maximum, proof)


def test_range_proof_with_the_zero_nonce_and_homomorphic_sums(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    # A nonce of 0 (alpha = identity) and a sum of ciphertexts are still ordinary statements.
    ciphertext = encrypt_with_nonce(public_key, 1, 0)
    proof = prove_range(public_key, Purpose.SUM_PROOF, context, ciphertext, 1, 0, 2)
    check_range(public_key, Purpose.SUM_PROOF, context, ciphertext, 2, proof)
    first, second = encrypt(public_key, 1), encrypt(public_key, 1)
    total = first.ciphertext * second.ciphertext
    nonce = (first.nonce + second.nonce) % group.order
    proof = prove_range(public_key, Purpose.SUM_PROOF, context, total, 2, nonce, 3)
    check_range(public_key, Purpose.SUM_PROOF, context, total, 3, proof)


@pytest.mark.parametrize(("maximum", "value"), [(1, 0), (1, 1), (3, 2)])
def test_range_mutations_and_other_statements_are_refused(
    group: Group, public_key: PublicKey, context: ProofContext, maximum: int, value: int
) -> None:
    purpose = Purpose.OPTION_PROOF
    encryption = encrypt(public_key, value)
    ciphertext = encryption.ciphertext
    proof = prove_range(public_key, purpose, context, ciphertext, value, encryption.nonce, maximum)
    check_range(public_key, purpose, context, ciphertext, maximum, proof)

    def check(mutated: object) -> None:
        check_range(public_key, purpose, context, ciphertext, maximum, mutated, "option")  # type: ignore[arg-type]

    ran = expect_all_refused(check, disjunctive_mutations(proof, group.order))
    assert ran > 20 * (maximum + 1)

    _, other_key = generate_keypair(group)
    same_value_again = encrypt(public_key, value).ciphertext
    rerandomised = ciphertext * encrypt_with_nonce(public_key, 0, 5)
    statements: list[tuple[str, Ciphertext | None, PublicKey, int, Purpose]] = [
        ("other ciphertext, same value", same_value_again, public_key, maximum, purpose),
        ("re-randomised ciphertext", rerandomised, public_key, maximum, purpose),
        (
            "alpha and beta swapped",
            Ciphertext(ciphertext.beta, ciphertext.alpha),
            public_key,
            maximum,
            purpose,
        ),
        ("other key", None, other_key, maximum, purpose),
        ("other maximum", None, public_key, maximum + 1, purpose),
        ("other purpose", None, public_key, maximum, Purpose.BIT_PROOF),
    ]
    runs: list[tuple[str, Callable[[], None]]] = [
        (name, partial(check_range, k, p, context, c or ciphertext, m, proof))
        for name, c, k, m, p in statements
    ]
    for name, variant in context_variants(context):
        runs.append(
            (name, partial(check_range, public_key, purpose, variant, ciphertext, maximum, proof))
        )
    _expect_statements_refused(runs)


def test_range_proof_error_names_the_place(public_key: PublicKey, context: ProofContext) -> None:
    encryption = encrypt(public_key, 1)
    proof = prove_range(
        public_key, Purpose.OPTION_PROOF, context, encryption.ciphertext, 1, encryption.nonce, 1
    )
    broken = DisjunctiveProof((proof.branches[0], replace(proof.branches[1], response=-1)))
    with pytest.raises(InvalidProof, match=r"q2\.o1\.branches\[1\]\.response"):
        check_range(
            public_key, Purpose.OPTION_PROOF, context, encryption.ciphertext, 1, broken, "q2.o1"
        )
    with pytest.raises(InvalidProof, match=r"q2\.o1: expected 2 branches"):
        check_range(
            public_key,
            Purpose.OPTION_PROOF,
            context,
            encryption.ciphertext,
            1,
            DisjunctiveProof(proof.branches[:1]),
            "q2.o1",
        )


def test_out_of_range_value_cannot_be_proven(
    group: Group, public_key: PublicKey, context: ProofContext
) -> None:
    # The forger encrypts 2 where only 0 or 1 is allowed.
    nonce = group.random_scalar()
    two = encrypt_with_nonce(public_key, 2, nonce)
    purpose = Purpose.OPTION_PROOF
    with pytest.raises(InvalidInput, match="outside"):
        prove_range(public_key, purpose, context, two, 2, nonce, 1)
    with pytest.raises(InvalidInput, match="outside"):
        prove_range(public_key, purpose, context, two, -1, nonce, 1)
    # Lying to the prover about the value yields a proof that does not verify.
    for claimed in (0, 1):
        forged = prove_range(public_key, purpose, context, two, claimed, nonce, 1)
        with pytest.raises(InvalidProof, match="does not verify"):
            check_range(public_key, purpose, context, two, 1, forged)
    # A proof of a ciphertext of 1 does not transfer to the ciphertext of 2.
    one = encrypt_with_nonce(public_key, 1, nonce)
    honest = prove_range(public_key, purpose, context, one, 1, nonce, 1)
    with pytest.raises(InvalidProof):
        check_range(public_key, purpose, context, two, 1, honest)
    # And the [0, 2] proof of 2 is no [0, 1] proof.
    wide = prove_range(public_key, purpose, context, two, 2, nonce, 2)
    check_range(public_key, purpose, context, two, 2, wide)
    with pytest.raises(InvalidProof):
        check_range(public_key, purpose, context, two, 1, DisjunctiveProof(wide.branches[:2]))


# -- hedged nonces ----------------------------------------------------------------------------


def _schnorr_nonce(group: Group, proof: Proof, secret: int) -> int:
    """The nonce w behind a Schnorr or Chaum–Pedersen proof, from v = w - c·x."""
    return (proof.response + proof.challenge * secret) % group.order


def _repeat_the_random_state(monkeypatch: pytest.MonkeyPatch, group: Group) -> None:
    """What a restored VM snapshot does: every draw of randomness gives the same bytes."""
    monkeypatch.setattr("evote.crypto.proofs.secrets.token_bytes", lambda n: b"\x07" * n)
    monkeypatch.setattr(type(group), "random_scalar", lambda self: 5)


def test_hedged_nonces_differ_between_calls(group: Group, context: ProofContext) -> None:
    secret = group.random_scalar()
    public = group.base_exp(secret)
    proofs = [prove_schnorr(group, Purpose.SCHNORR, context, secret, public) for _ in range(3)]
    nonces = {_schnorr_nonce(group, proof, secret) for proof in proofs}
    assert len(nonces) == 3


def test_hedged_nonces_with_a_repeated_random_state(
    group: Group, context: ProofContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = group.random_scalar()
    other_secret = group.random_scalar()
    public, other_public = group.base_exp(secret), group.base_exp(other_secret)
    base2 = group.base_exp(group.random_scalar())
    _repeat_the_random_state(monkeypatch, group)

    def schnorr(ctx: ProofContext, x: int, pub: object) -> int:
        proof = prove_schnorr(group, Purpose.SCHNORR, ctx, x, pub)  # type: ignore[arg-type]
        check_schnorr(group, Purpose.SCHNORR, ctx, pub, proof)  # type: ignore[arg-type]
        return _schnorr_nonce(group, proof, x)

    def equal_logs(ctx: ProofContext) -> int:
        proof = prove_equal_logs(
            group, Purpose.CHAUM_PEDERSEN, ctx, secret, group.generator, public, base2,
            base2 ** secret,
        )
        check_equal_logs(
            group, Purpose.CHAUM_PEDERSEN, ctx, group.generator, public, base2, base2 ** secret,
            proof,
        )
        return _schnorr_nonce(group, proof, secret)

    messages = [context.extend("message", i) for i in range(4)]
    by_message = [schnorr(ctx, secret, public) for ctx in messages]
    # The same secret over different messages never shares a nonce, even with no randomness.
    assert len(set(by_message)) == len(messages)
    # With the randomness fixed the nonce is a function of (secret, statement) alone...
    assert schnorr(messages[0], secret, public) == by_message[0]
    # ...and another secret on the same message gets another nonce.
    assert schnorr(messages[0], other_secret, other_public) != by_message[0]
    cp_nonces = {equal_logs(ctx) for ctx in messages}
    assert len(cp_nonces) == len(messages)
    assert not cp_nonces & set(by_message)


def test_hedged_nonce_is_the_documented_hash(
    group: Group, context: ProofContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """k = hash_to_scalar(NONCE, purpose, fingerprint, binding, statement, secret, random)."""
    statement = [group.generator, group.base_exp(3)]
    monkeypatch.setattr("evote.crypto.proofs.secrets.token_bytes", lambda n: b"\x01" * n)
    base = hedged_nonce(group, Purpose.SCHNORR, context, 3, statement)
    assert base == group.hash_to_scalar(
        Purpose.NONCE,
        "schnorr",
        context.fingerprint,
        list(context.binding),
        statement,
        (3).to_bytes(32, "big"),
        b"\x01" * 32,
    )
    variants = [
        hedged_nonce(group, Purpose.KEY_PROOF, context, 3, statement),
        hedged_nonce(group, Purpose.SCHNORR, context.extend(0), 3, statement),
        hedged_nonce(group, Purpose.SCHNORR, context, 4, statement),
        hedged_nonce(group, Purpose.SCHNORR, context, 3, [*statement, group.generator]),
    ]
    assert base not in variants and len(set(variants)) == len(variants)
