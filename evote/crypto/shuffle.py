"""A verifiable re-encryption shuffle of ElGamal ciphertext vectors (docs/spec.md section 12).

A mix server receives N answers, each a vector of w exponential ElGamal ciphertexts (one per
option, section 4.1), permutes them with a secret permutation psi and re-randomises every
component: output i is input psi(i), each component (alpha, beta) becoming
(alpha · g^rho, beta · K^rho) with a fresh secret rho.

The proof that the output is such a shuffle of the input is the proof of Terelius and
Wikström ("Proofs of restricted shuffles", AFRICACRYPT 2010), in the form of the algorithms
GenPermutationCommitment, GenCommitmentChain, GenProof and CheckProof of Haenni, Locher,
Koenig, Dubuis, "Pseudo-code algorithms for verifiable re-encryption mix-nets", Financial
Cryptography 2017 workshops (Voting'17), LNCS 10323; it is the proof that Verificatum, CHVote
and Belenios implement. Answers of width w > 1 are shuffled with one permutation and the
re-encryption randomness lives in Z_q^w, the product ciphertext space of Wikström, "How to
implement a stand-alone verifier for the Verificatum mix-net", version 1.4.1, sections 7.3
and 8.3 (``omega`` ciphertexts of width > 1); Haines, "A description and proof of a
generalised and optimised variant of Wikström's mixnet", arXiv:1901.08371, 2019, proves this
parallel variant of Haenni et al.'s algorithms secure. The proof is made non-interactive as there:
the vector u is expanded from a hash of the whole statement and the permutation commitment,
and the challenge hashes the statement and every commitment, with evote's domain tags, the
group, the election fingerprint and the caller's binding (strong Fiat–Shamir, section 4).

The independent generators h_0, h_1, ..., h_N are ``hash_to_element_G(generator, "shuffle",
i)`` (section 2.5): nobody knows a discrete logarithm between them and g.

Secret exponents (the re-encryption nonces, the permutation commitment's randomness, the
permuted vector u' and the masks multiplied with it, all of which would reveal the
permutation) go through :meth:`Group.exp_secret` and :meth:`Group.base_exp_secret`; the
verifier's exponents are public and use simultaneous exponentiation.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gmpy2 import mpz

from evote import jsonstrict
from evote.crypto.elgamal import Ciphertext, PublicKey
from evote.crypto.encoding import Value
from evote.crypto.groups import MODP4096, MODP_P, Element, Group, _multi_exp_mod, group_by_name
from evote.crypto.hashing import Purpose, digest
from evote.crypto.proofs import ProofContext
from evote.errors import (
    ContextMismatch,
    InvalidGroupElement,
    InvalidInput,
    InvalidProof,
    InvalidScalar,
)

#: An answer: one ciphertext per option of the question.
Answer = tuple[Ciphertext, ...]

VERSION: Final = 1
#: Bounds on what a document from outside may claim (a million answers of 1,000 options).
MAX_ANSWERS: Final = 1_000_000
MAX_WIDTH: Final = 1_000

_READ = jsonstrict.Reader(InvalidInput)
_MODP_P: Final = mpz(MODP_P)


@dataclass(frozen=True, slots=True)
class Shuffle:
    """The output of a shuffle and its secret witness (private to the mix server).

    ``outputs[i]`` re-encrypts ``inputs[permutation[i]]``, component k with ``nonces[i][k]``.
    """

    outputs: tuple[Answer, ...]
    permutation: tuple[int, ...] = field(repr=False)
    nonces: tuple[tuple[int, ...], ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class ShuffleProof:
    """A compact Terelius–Wikström proof of shuffle (docs/spec.md section 12.4).

    ``permutation_commitments`` (c_1..c_N) and ``chain`` (ĉ_1..ĉ_N) are group elements; the
    challenge and every response are scalars. The other commitments (t_1, t_2, t_3, t_4, t̂)
    are recomputed by the verifier, which checks that they hash to the challenge.
    """

    permutation_commitments: tuple[Element, ...]
    chain: tuple[Element, ...]
    challenge: int
    s1: int
    s2: int
    s3: int
    s4: tuple[int, ...]
    chain_responses: tuple[int, ...]
    permutation_responses: tuple[int, ...]


# -- generators ---------------------------------------------------------------------------------

_GENERATORS: dict[str, list[Element]] = {}
_GENERATORS_LOCK: Final = threading.Lock()


def shuffle_generators(group: Group, count: int) -> tuple[Element, ...]:
    """(h_0, h_1, ..., h_count): h_i = hash_to_element_G(generator, "shuffle", i) (section 12.2).

    They depend on the group and the index only, so one list serves every election; it is
    computed once per process and extended on demand (on modp4096 each costs an exponentiation
    by the 3,840-bit cofactor).
    """
    with _GENERATORS_LOCK:
        # Under the lock: two threads extending the list at once would append one index twice.
        known = _GENERATORS.setdefault(group.name, [])
        while len(known) <= count:
            known.append(group.hash_to_element(Purpose.GENERATOR, "shuffle", len(known)))
        return tuple(known[: count + 1])


# -- shuffling ----------------------------------------------------------------------------------


def random_permutation(size: int) -> tuple[int, ...]:
    """A uniform permutation of range(size): Fisher–Yates with indices from ``secrets``."""
    items = list(range(size))
    for i in range(size - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        items[i], items[j] = items[j], items[i]
    return tuple(items)


def reencrypt(key: PublicKey, ciphertext: Ciphertext, nonce: int) -> Ciphertext:
    """(alpha · g^nonce, beta · K^nonce), constant-time in the secret nonce."""
    group = key.group
    return Ciphertext(
        ciphertext.alpha * group.base_exp_secret(nonce),
        ciphertext.beta * group.exp_secret(key.element, nonce),
    )


def shuffle(key: PublicKey, inputs: Sequence[Answer]) -> Shuffle:
    """Shuffle ``inputs`` with a fresh permutation and fresh nonces from ``secrets``."""
    width = _check_answers(key.group, inputs, "inputs")
    permutation = random_permutation(len(inputs))
    nonces = tuple(
        tuple(key.group.random_scalar() for _ in range(width)) for _ in range(len(inputs))
    )
    return shuffle_with(key, inputs, permutation, nonces)


def shuffle_with(
    key: PublicKey,
    inputs: Sequence[Answer],
    permutation: Sequence[int],
    nonces: Sequence[Sequence[int]],
) -> Shuffle:
    """The shuffle of ``inputs`` by a given permutation and nonces: for tests and vectors."""
    group = key.group
    width = _check_answers(group, inputs, "inputs")
    _check_permutation(permutation, len(inputs))
    if len(nonces) != len(inputs) or any(len(row) != width for row in nonces):
        raise InvalidInput(f"nonces: expected {len(inputs)} rows of {width}")
    for i, row in enumerate(nonces):
        for k, nonce in enumerate(row):
            group.check_scalar(nonce, f"nonces[{i}][{k}]")
    outputs = tuple(
        tuple(
            reencrypt(key, component, nonce)
            for component, nonce in zip(inputs[source], nonces[i], strict=True)
        )
        for i, source in enumerate(permutation)
    )
    return Shuffle(outputs, tuple(permutation), tuple(tuple(row) for row in nonces))


# -- the proof ----------------------------------------------------------------------------------


def _statement(key: PublicKey, inputs: Sequence[Answer], outputs: Sequence[Answer]) -> list[Value]:
    """[g, K, N, w, inputs, outputs] with each answer [[alpha, beta], ...] (section 12.4)."""
    width = len(inputs[0])
    return [
        key.group.generator,
        key.element,
        len(inputs),
        width,
        [[[c.alpha, c.beta] for c in answer] for answer in inputs],
        [[[c.alpha, c.beta] for c in answer] for answer in outputs],
    ]


def _challenge_vector(
    group: Group,
    context: ProofContext,
    statement: list[Value],
    permutation_commitments: Sequence[Element],
) -> list[int]:
    """u_1..u_N, expanded from a seed that hashes the statement and the commitments c."""
    seed = digest(
        Purpose.SHUFFLE_VECTOR,
        group.name,
        context.fingerprint,
        list(context.binding),
        statement,
        list(permutation_commitments),
    )
    return [
        group.hash_to_scalar(Purpose.SHUFFLE_VECTOR, seed, i)
        for i in range(len(permutation_commitments))
    ]


def _main_challenge(
    group: Group,
    context: ProofContext,
    statement: list[Value],
    proof_elements: tuple[Sequence[Element], Sequence[Element]],
    t1: Element,
    t2: Element,
    t3: Element,
    t4: Sequence[tuple[Element, Element]],
    t_hat: Sequence[Element],
) -> int:
    permutation_commitments, chain = proof_elements
    commitments: list[Value] = [
        list(permutation_commitments),
        list(chain),
        t1,
        t2,
        t3,
        [[a, b] for a, b in t4],
        list(t_hat),
    ]
    return group.hash_to_scalar(
        Purpose.SHUFFLE_PROOF, context.fingerprint, list(context.binding), statement, commitments
    )


def prove_shuffle(
    key: PublicKey, context: ProofContext, inputs: Sequence[Answer], shuffled: Shuffle
) -> ShuffleProof:
    """Prove that ``shuffled.outputs`` is a re-encryption shuffle of ``inputs``."""
    return _prove_shuffle_drawing(key, context, inputs, shuffled, key.group.random_scalar)


def _prove_shuffle_drawing(
    key: PublicKey,
    context: ProofContext,
    inputs: Sequence[Answer],
    shuffled: Shuffle,
    draw: Callable[[], int],
) -> ShuffleProof:
    """GenProof of Haenni et al. (algorithm 4), with the prover's random scalars from ``draw``.

    ``draw`` is ``group.random_scalar`` except for known-answer vectors.
    """
    group = key.group
    q = group.order
    n = len(inputs)
    width = _check_answers(group, inputs, "inputs")
    psi = shuffled.permutation
    _check_permutation(psi, n)
    outputs = shuffled.outputs
    generators = shuffle_generators(group, n)
    h, hs = generators[0], generators[1:]

    # GenPermutationCommitment: c_psi(i) = g^r_psi(i) · h_i.
    r = [0] * n
    commitments: list[Element] = [group.identity] * n
    for i, j in enumerate(psi):
        r[j] = draw()
        commitments[j] = group.base_exp_secret(r[j]) * hs[i]

    statement = _statement(key, inputs, outputs)
    u = _challenge_vector(group, context, statement, commitments)
    u_permuted = [u[j] for j in psi]

    # GenCommitmentChain: ĉ_i = g^r̂_i · ĉ_(i-1)^u'_i, ĉ_0 = h.
    r_hat = [draw() for _ in range(n)]
    chain: list[Element] = []
    previous = h
    for i in range(n):
        previous = group.base_exp_secret(r_hat[i]) * group.exp_secret(previous, u_permuted[i])
        chain.append(previous)

    omega1, omega2, omega3 = draw(), draw(), draw()
    omega4 = [draw() for _ in range(width)]
    omega_hat = [draw() for _ in range(n)]
    omega_prime = [draw() for _ in range(n)]

    t1 = group.base_exp_secret(omega1)
    t2 = group.base_exp_secret(omega2)
    t3 = group.base_exp_secret(omega3) * _secret_product(group, hs, omega_prime)
    t4 = [
        (
            group.inverse(group.base_exp_secret(omega4[k]))
            * _secret_product(group, [answer[k].alpha for answer in outputs], omega_prime),
            group.inverse(group.exp_secret(key.element, omega4[k]))
            * _secret_product(group, [answer[k].beta for answer in outputs], omega_prime),
        )
        for k in range(width)
    ]
    previous_chain = [h, *chain[:-1]]
    t_hat = [
        group.base_exp_secret(omega_hat[i]) * group.exp_secret(previous_chain[i], omega_prime[i])
        for i in range(n)
    ]
    c = _main_challenge(group, context, statement, (commitments, chain), t1, t2, t3, t4, t_hat)

    r_bar = sum(r) % q
    # v_i = u'_(i+1) · ... · u'_N: the weight of r̂_i in the last element of the chain.
    v = [1] * n
    for i in range(n - 2, -1, -1):
        v[i] = v[i + 1] * u_permuted[i + 1] % q
    r_hat_sum = sum(a * b for a, b in zip(r_hat, v, strict=True)) % q
    r_tilde = sum(a * b for a, b in zip(r, u, strict=True)) % q
    rho = [sum(shuffled.nonces[i][k] * u_permuted[i] for i in range(n)) % q for k in range(width)]
    return ShuffleProof(
        permutation_commitments=tuple(commitments),
        chain=tuple(chain),
        challenge=c,
        s1=(omega1 - c * r_bar) % q,
        s2=(omega2 - c * r_hat_sum) % q,
        s3=(omega3 - c * r_tilde) % q,
        s4=tuple((omega4[k] - c * rho[k]) % q for k in range(width)),
        chain_responses=tuple((omega_hat[i] - c * r_hat[i]) % q for i in range(n)),
        permutation_responses=tuple((omega_prime[i] - c * u_permuted[i]) % q for i in range(n)),
    )


def check_shuffle(
    key: PublicKey,
    context: ProofContext,
    inputs: Sequence[Answer],
    outputs: Sequence[Answer],
    proof: ShuffleProof,
    where: str = "shuffle",
) -> None:
    """CheckProof of Haenni et al. (algorithm 5): raise unless the proof verifies.

    Malformed statements raise :class:`InvalidInput` (no answers, answers of unequal widths);
    an output list of another length, a proof whose vectors have the wrong lengths or that
    does not verify raises :class:`InvalidProof`, as does a scalar of the proof out of [0, q)
    (as in :func:`evote.crypto.proofs.check_proof_scalars`); an element of another group
    raises :class:`InvalidGroupElement`.
    """
    group = key.group
    q = group.order
    g = group.generator
    n = len(inputs)
    width = _check_answers(group, inputs, f"{where}.inputs")
    if len(outputs) != n:
        raise InvalidProof(f"{where}: {len(outputs)} output answers for {n} input answers")
    output_width = _check_answers(group, outputs, f"{where}.outputs")
    if output_width != width:
        raise InvalidProof(f"{where}: output answers of width {output_width}, inputs of {width}")
    _check_proof_shape(group, proof, n, width, where)

    generators = shuffle_generators(group, n)
    h, hs = generators[0], generators[1:]
    statement = _statement(key, inputs, outputs)
    u = _challenge_vector(group, context, statement, proof.permutation_commitments)
    c = proof.challenge
    u_product = 1
    for value in u:
        u_product = u_product * value % q

    c_bar = group.product(proof.permutation_commitments) / group.product(hs)
    c_hat = proof.chain[-1] / group.exp(h, u_product)
    c_tilde = _public_product(group, proof.permutation_commitments, u)
    t1 = group.exp2(c_bar, c, g, proof.s1)
    t2 = group.exp2(c_hat, c, g, proof.s2)
    t3 = group.exp2(c_tilde, c, g, proof.s3) * _public_product(
        group, hs, proof.permutation_responses
    )
    t4 = []
    for k in range(width):
        a = _public_product(group, [answer[k].alpha for answer in inputs], u)
        b = _public_product(group, [answer[k].beta for answer in inputs], u)
        t4.append(
            (
                group.exp2(a, c, g, -proof.s4[k])
                * _public_product(
                    group, [answer[k].alpha for answer in outputs], proof.permutation_responses
                ),
                group.exp2(b, c, key.element, -proof.s4[k])
                * _public_product(
                    group, [answer[k].beta for answer in outputs], proof.permutation_responses
                ),
            )
        )
    previous_chain = [h, *proof.chain[:-1]]
    t_hat = [
        _public_product(
            group,
            [proof.chain[i], g, previous_chain[i]],
            [c, proof.chain_responses[i], proof.permutation_responses[i]],
        )
        for i in range(n)
    ]
    expected = _main_challenge(
        group,
        context,
        statement,
        (proof.permutation_commitments, proof.chain),
        t1,
        t2,
        t3,
        t4,
        t_hat,
    )
    if expected != c:
        raise InvalidProof(f"{where}: the proof of shuffle does not verify")


# -- helpers ------------------------------------------------------------------------------------


def _secret_product(group: Group, bases: Sequence[Element], exponents: Sequence[int]) -> Element:
    """prod bases[i]^exponents[i], each power through the constant-time path."""
    return group.product(
        group.exp_secret(base, exponent) for base, exponent in zip(bases, exponents, strict=True)
    )


def _public_product(group: Group, bases: Sequence[Element], exponents: Sequence[int]) -> Element:
    """prod bases[i]^exponents[i] for public exponents (Straus' method on modp4096)."""
    if group is MODP4096 and bases:
        for base in bases:
            if base.group is not group:
                raise InvalidGroupElement(f"element of {base.group.name} used in {group.name}")
        reduced = [exponent % group.order for exponent in exponents]
        if not any(reduced):
            return group.identity
        return Element(group, _multi_exp_mod([b.value for b in bases], reduced, _MODP_P))
    return group.product(
        group.exp(base, exponent) for base, exponent in zip(bases, exponents, strict=True)
    )


def _check_answers(group: Group, answers: Sequence[Answer], where: str) -> int:
    """The common width of ``answers``; InvalidInput if there are none or widths differ."""
    if not answers:
        raise InvalidInput(f"{where}: a shuffle needs at least one answer")
    if len(answers) > MAX_ANSWERS:
        raise InvalidInput(f"{where}: more than {MAX_ANSWERS} answers")
    width = len(answers[0])
    if not 1 <= width <= MAX_WIDTH:
        raise InvalidInput(f"{where}[0]: an answer has 1 to {MAX_WIDTH} ciphertexts")
    for i, answer in enumerate(answers):
        if len(answer) != width:
            raise InvalidInput(f"{where}[{i}]: {len(answer)} ciphertexts, answer 0 has {width}")
        for k, ciphertext in enumerate(answer):
            if ciphertext.alpha.group is not group or ciphertext.beta.group is not group:
                raise InvalidGroupElement(f"{where}[{i}][{k}]: ciphertext of another group")
    return width


def _check_permutation(permutation: Sequence[int], size: int) -> None:
    if sorted(permutation) != list(range(size)):
        raise InvalidInput(f"permutation: not a permutation of 0..{size - 1}")


def _check_proof_shape(group: Group, proof: ShuffleProof, n: int, width: int, where: str) -> None:
    for name, items, length in (
        ("permutation_commitments", proof.permutation_commitments, n),
        ("chain", proof.chain, n),
        ("s4", proof.s4, width),
        ("chain_responses", proof.chain_responses, n),
        ("permutation_responses", proof.permutation_responses, n),
    ):
        if len(items) != length:
            raise InvalidProof(f"{where}.proof.{name}: expected {length} items, got {len(items)}")
    for name, elements in (
        ("permutation_commitments", proof.permutation_commitments),
        ("chain", proof.chain),
    ):
        for i, element in enumerate(elements):
            if element.group is not group:
                raise InvalidGroupElement(f"{where}.proof.{name}[{i}]: element of another group")
    # A non-canonical scalar inside a proof is a proof that does not verify (section 4).
    try:
        for name, value in (
            ("challenge", proof.challenge),
            ("s1", proof.s1),
            ("s2", proof.s2),
            ("s3", proof.s3),
        ):
            group.check_scalar(value, f"{where}.proof.{name}")
        for name, values in (
            ("s4", proof.s4),
            ("chain_responses", proof.chain_responses),
            ("permutation_responses", proof.permutation_responses),
        ):
            for i, value in enumerate(values):
                group.check_scalar(value, f"{where}.proof.{name}[{i}]")
    except InvalidScalar as error:
        raise InvalidProof(str(error)) from None


# -- JSON ---------------------------------------------------------------------------------------


def _scalar(value: int) -> str:
    return jsonstrict.b64encode(Group.scalar_to_bytes(value))


def _element(element: Element) -> str:
    return jsonstrict.b64encode(element.to_bytes())


def shuffle_proof_to_json(group: Group, proof: ShuffleProof) -> bytes:
    """The canonical JSON document of a proof (docs/spec.md section 12.6)."""
    return jsonstrict.dumps(
        {
            "kind": "shuffle-proof",
            "version": VERSION,
            "group": group.name,
            "permutation_commitments": [_element(e) for e in proof.permutation_commitments],
            "chain": [_element(e) for e in proof.chain],
            "challenge": _scalar(proof.challenge),
            "s1": _scalar(proof.s1),
            "s2": _scalar(proof.s2),
            "s3": _scalar(proof.s3),
            "s4": [_scalar(s) for s in proof.s4],
            "chain_responses": [_scalar(s) for s in proof.chain_responses],
            "permutation_responses": [_scalar(s) for s in proof.permutation_responses],
        }
    )


def shuffle_proof_from_json(
    data: bytes, group: Group, where: str = "shuffle proof"
) -> ShuffleProof:
    """Decode strictly; elements and scalars are validated, the proof still has to be checked."""
    fields = (
        "kind",
        "version",
        "group",
        "permutation_commitments",
        "chain",
        "challenge",
        "s1",
        "s2",
        "s3",
        "s4",
        "chain_responses",
        "permutation_responses",
    )
    obj = _READ.object(jsonstrict.loads(data, where), where, fields)
    if obj["kind"] != "shuffle-proof":
        _READ.fail(f"{where}.kind", f"expected 'shuffle-proof', got {obj['kind']!r}")
    _READ.integer(obj["version"], f"{where}.version", VERSION, VERSION)
    if group_by_name(obj["group"]) is not group:
        raise ContextMismatch(f"{where}: a proof on {obj['group']}, expected {group.name}")

    def elements(name: str) -> tuple[Element, ...]:
        items = _READ.array(obj[name], f"{where}.{name}", 1, MAX_ANSWERS)
        raw = [
            _READ.b64(item, f"{where}.{name}[{i}]", group.element_size)
            for i, item in enumerate(items)
        ]
        return tuple(group.decode_many(raw, f"{where}.{name}"))

    def scalar(value: Any, name: str) -> int:
        return group.scalar_from_bytes(_READ.b64(value, name, 32), name)

    def scalars(name: str, maximum: int) -> tuple[int, ...]:
        items = _READ.array(obj[name], f"{where}.{name}", 1, maximum)
        return tuple(scalar(item, f"{where}.{name}[{i}]") for i, item in enumerate(items))

    return ShuffleProof(
        permutation_commitments=elements("permutation_commitments"),
        chain=elements("chain"),
        challenge=scalar(obj["challenge"], f"{where}.challenge"),
        s1=scalar(obj["s1"], f"{where}.s1"),
        s2=scalar(obj["s2"], f"{where}.s2"),
        s3=scalar(obj["s3"], f"{where}.s3"),
        s4=scalars("s4", MAX_WIDTH),
        chain_responses=scalars("chain_responses", MAX_ANSWERS),
        permutation_responses=scalars("permutation_responses", MAX_ANSWERS),
    )


__all__ = [
    "Answer",
    "Shuffle",
    "ShuffleProof",
    "check_shuffle",
    "prove_shuffle",
    "random_permutation",
    "reencrypt",
    "shuffle",
    "shuffle_generators",
    "shuffle_proof_from_json",
    "shuffle_proof_to_json",
    "shuffle_with",
]
