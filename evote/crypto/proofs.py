"""Sigma proofs made non-interactive with strong Fiat–Shamir (docs/spec.md section 4).

Every proof is stored compact, as (challenge, response) pairs; the verifier recomputes the
commitments from them and compares the hash. Every challenge hashes the domain tag (a
:class:`~evote.crypto.hashing.Purpose`), the group, the election fingerprint and the caller's
binding (question and option positions, the voter's public credential, the trustee index...),
the whole statement and the commitments: the "strong" Fiat–Shamir transform whose absence
broke Helios and the Swiss Post system (Bernhard, Pereira, Warinschi, "How not to prove
yourself", ASIACRYPT 2012; Haines, Lewis, Pereira, Teague, "How not to prove your election
outcome", IEEE S&P 2020).

The provers know every secret, so their commitments are fixed-base exponentiations (g and the
election key); the verifiers compute g^v · X^c as one simultaneous exponentiation.

* Schnorr proof of knowledge of a discrete logarithm (Schnorr, "Efficient signature generation
  by smart cards", J. Cryptology 4(3), 1991).
* Chaum–Pedersen proof of equality of discrete logarithms (Chaum, Pedersen, "Wallet databases
  with observers", CRYPTO 1992).
* Proofs about a long-term secret (a trustee's coefficient or share, a credential) take a
  *hedged* nonce (:func:`hedged_nonce`): a hash of the secret, the whole statement and fresh
  randomness, so that a repeated random state (a restored virtual machine) cannot give two
  proofs with one nonce, which would reveal the secret.
* Disjunctive proof that an ElGamal ciphertext encrypts a value in [0, L], by the OR
  composition of Cramer, Damgård, Schoenmakers ("Proofs of partial knowledge and simplified
  design of witness hiding protocols", CRYPTO 1994), as in Cramer, Gennaro, Schoenmakers
  (EUROCRYPT 1997) and Belenios' "intervals" proof.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from evote.crypto.elgamal import Ciphertext, PublicKey
from evote.crypto.encoding import Value
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import Purpose
from evote.errors import InvalidInput, InvalidProof, InvalidScalar


@dataclass(frozen=True, slots=True)
class ProofContext:
    """What every challenge binds besides the statement: the election and the proof's place.

    ``fingerprint`` is the election fingerprint (a hash of the manifest, the group, the joint key
    and the credential list); ``binding`` lists what pins the proof to its position, e.g.
    ``("question", 2, "option", 0, credential)``.
    """

    fingerprint: bytes
    binding: tuple[Value, ...] = ()

    def extend(self, *items: Value) -> ProofContext:
        """A context bound to more items (a sub-position)."""
        return ProofContext(self.fingerprint, (*self.binding, *items))


@dataclass(frozen=True, slots=True)
class Proof:
    """A compact sigma proof: the challenge c and the response v, both scalars."""

    challenge: int
    response: int


@dataclass(frozen=True, slots=True)
class DisjunctiveProof:
    """A proof that a ciphertext encrypts one of 0..L: one (c_j, v_j) per value j."""

    branches: tuple[Proof, ...]


def challenge(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    statement: Sequence[Value],
    commitments: Sequence[Element],
) -> int:
    """The Fiat–Shamir challenge: H(tag, group, fingerprint, binding, statement, commitments)."""
    return group.hash_to_scalar(
        purpose, context.fingerprint, list(context.binding), list(statement), list(commitments)
    )


def check_proof_scalars(group: Group, proof: Proof, where: str) -> None:
    """Both numbers of a proof must be canonical scalars (no value shifted by the order)."""
    try:
        group.check_scalar(proof.challenge, f"{where}.challenge")
        group.check_scalar(proof.response, f"{where}.response")
    except InvalidScalar as error:
        raise InvalidProof(str(error)) from None


# -- hedged nonces ----------------------------------------------------------------------------

NONCE_RANDOM_BYTES = 32


def hedged_nonce(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    secret: int,
    statement: Sequence[Value],
) -> int:
    """The commitment nonce of a proof about a long-term ``secret`` (docs/spec.md section 4.6).

    k = hash_to_scalar_G(NONCE, purpose, fingerprint, [binding...], [statement...],
    BE(secret, 32), 32 fresh bytes from ``secrets``), drawn again in the negligible case k = 0.
    Deterministic nonces derived from the secret and the message (RFC 6979 section 3.2,
    RFC 8032 section 5.1.6) make a nonce reused across two statements impossible whatever the
    random generator does; the fresh bytes added to the hash ("hedged" signatures:
    draft-irtf-cfrg-det-sigs-with-noise-04; the XEdDSA specification, Perrin 2016,
    section 5) keep it unpredictable while the generator works, and blunt the fault and
    side-channel attacks that a purely deterministic nonce invites. The hash is the wide
    reduction of section 2.4, so k is uniform up to 2^-250.
    """
    secret_bytes = Group.scalar_to_bytes(secret % group.order)
    while True:
        nonce = group.hash_to_scalar(
            Purpose.NONCE,
            purpose.value,
            context.fingerprint,
            list(context.binding),
            list(statement),
            secret_bytes,
            secrets.token_bytes(NONCE_RANDOM_BYTES),
        )
        if nonce:
            return nonce


# -- Schnorr ----------------------------------------------------------------------------------


def prove_schnorr(
    group: Group, purpose: Purpose, context: ProofContext, secret: int, public: Element
) -> Proof:
    """Prove knowledge of x with public = g^x, with a hedged nonce (constant-time path)."""
    statement = [group.generator, public]
    nonce = hedged_nonce(group, purpose, context, secret, statement)
    return _prove_schnorr_with_nonce(group, purpose, context, secret, public, nonce)


def _prove_schnorr_with_nonce(
    group: Group, purpose: Purpose, context: ProofContext, secret: int, public: Element, nonce: int
) -> Proof:
    """:func:`prove_schnorr` with the nonce given: for known-answer vectors and tests only."""
    commitment = group.base_exp_secret(nonce)
    c = challenge(group, purpose, context, [group.generator, public], [commitment])
    return Proof(c, (nonce - c * secret) % group.order)


def check_schnorr(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    public: Element,
    proof: Proof,
    where: str = "proof",
) -> None:
    """Verify a Schnorr proof: commitment = g^v · public^c must hash to c."""
    check_proof_scalars(group, proof, where)
    commitment = group.exp2(group.generator, proof.response, public, proof.challenge)
    expected = challenge(group, purpose, context, [group.generator, public], [commitment])
    if expected != proof.challenge:
        raise InvalidProof(f"{where}: Schnorr proof does not verify")


# -- Chaum–Pedersen ---------------------------------------------------------------------------


def prove_equal_logs(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    secret: int,
    base1: Element,
    public1: Element,
    base2: Element,
    public2: Element,
) -> Proof:
    """Prove log_base1(public1) = log_base2(public2) = secret, with a hedged nonce.

    Constant-time in the secret and the nonce.
    """
    statement = [base1, public1, base2, public2]
    nonce = hedged_nonce(group, purpose, context, secret, statement)
    return _prove_equal_logs_with_nonce(
        group, purpose, context, secret, base1, public1, base2, public2, nonce
    )


def _prove_equal_logs_with_nonce(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    secret: int,
    base1: Element,
    public1: Element,
    base2: Element,
    public2: Element,
    nonce: int,
) -> Proof:
    """:func:`prove_equal_logs` with the nonce given: for known-answer vectors and tests only."""
    commitments = [group.exp_secret(base1, nonce), group.exp_secret(base2, nonce)]
    c = challenge(group, purpose, context, [base1, public1, base2, public2], commitments)
    return Proof(c, (nonce - c * secret) % group.order)


def check_equal_logs(
    group: Group,
    purpose: Purpose,
    context: ProofContext,
    base1: Element,
    public1: Element,
    base2: Element,
    public2: Element,
    proof: Proof,
    where: str = "proof",
) -> None:
    """Verify a Chaum–Pedersen proof: (base_i^v · public_i^c) must hash to c."""
    check_proof_scalars(group, proof, where)
    commitments = [
        group.exp2(base1, proof.response, public1, proof.challenge),
        group.exp2(base2, proof.response, public2, proof.challenge),
    ]
    expected = challenge(group, purpose, context, [base1, public1, base2, public2], commitments)
    if expected != proof.challenge:
        raise InvalidProof(f"{where}: Chaum–Pedersen proof does not verify")


# -- Disjunctive range proof ------------------------------------------------------------------


def _range_statement(key: PublicKey, ciphertext: Ciphertext, maximum: int) -> list[Value]:
    return [key.group.generator, key.element, ciphertext.alpha, ciphertext.beta, maximum]


def prove_range(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    value: int,
    nonce: int,
    maximum: int,
) -> DisjunctiveProof:
    """Prove that ``ciphertext`` = Enc(value; nonce) with value in [0, maximum].

    For j != value the branch is simulated: with c_j, v_j random, a_j = g^(v_j + r·c_j) and
    b_j = K^(v_j + r·c_j) · g^((value - j)·c_j), which equal g^v_j·alpha^c_j and
    K^v_j·(beta/g^j)^c_j; the real branch commits a = g^w, b = K^w. Knowing r, the prover thus
    needs only fixed-base exponentiations.

    Every branch, the real one included, runs the same group operations (docs/spec.md
    section 4.1): the real branch's b = K^w is computed as K^w · g^0 through
    :meth:`Group.mul_base_exp`, like the simulated K^s · g^((value - j)·c_j), so neither the
    count nor the kind of operations shows which branch is real, that is the value.
    """
    group = key.group
    q = group.order
    if not 0 <= value <= maximum:
        raise InvalidInput(f"value {value} is outside [0, {maximum}]: it cannot be proven")
    branches: list[tuple[int, int]] = []
    commitments: list[Element] = []
    real_nonce = group.random_scalar()
    for j in range(maximum + 1):
        if j == value:
            c_j, exponent = 0, real_nonce
            branches.append((0, 0))
        else:
            c_j, v_j = group.random_scalar(), group.random_scalar()
            exponent = (v_j + nonce * c_j) % q
            branches.append((c_j, v_j))
        commitments += [
            group.base_exp(exponent),
            group.mul_base_exp(key.table.exp(exponent), (value - j) * c_j),
        ]
    c = challenge(group, purpose, context, _range_statement(key, ciphertext, maximum), commitments)
    c_real = (c - sum(c_j for c_j, _ in branches)) % q
    branches[value] = (c_real, (real_nonce - c_real * nonce) % q)
    return DisjunctiveProof(tuple(Proof(c_j, v_j) for c_j, v_j in branches))


def check_range(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    maximum: int,
    proof: DisjunctiveProof,
    where: str = "proof",
) -> None:
    """Verify that ``ciphertext`` encrypts a value in [0, maximum]."""
    group = key.group
    q = group.order
    if len(proof.branches) != maximum + 1:
        raise InvalidProof(
            f"{where}: expected {maximum + 1} branches for [0, {maximum}],"
            f" got {len(proof.branches)}"
        )
    for j, branch in enumerate(proof.branches):
        check_proof_scalars(group, branch, f"{where}.branches[{j}]")
    challenges = [branch.challenge for branch in proof.branches]
    alpha_powers = group.powers(ciphertext.alpha, challenges)
    beta_powers = group.powers(ciphertext.beta, challenges)
    commitments: list[Element] = []
    for j, branch in enumerate(proof.branches):
        b_j = key.table.exp(branch.response) * beta_powers[j]
        if j:
            b_j = b_j * group.base_exp(-j * branch.challenge)
        commitments += [group.base_exp(branch.response) * alpha_powers[j], b_j]
    expected = challenge(
        group, purpose, context, _range_statement(key, ciphertext, maximum), commitments
    )
    if sum(challenges) % q != expected:
        raise InvalidProof(f"{where}: range proof for [0, {maximum}] does not verify")
