"""Range proof for large intervals by bit decomposition (docs/spec.md section 4.5).

To prove that a ciphertext C = Enc(m; r) has lower <= m <= upper when upper - lower is large
(a participatory budget in the millions), the prover writes d = m - lower and e = upper - m in
k = bitlen(upper - lower) bits, encrypts every bit b_i as E_i = Enc(b_i; r_i) with a 0/1
disjunctive proof, and chooses the bit nonces so that prod E_i^(2^i) equals C / g^lower (for d)
and g^upper / C (for e), which the verifier checks homomorphically. Since every bit is 0 or 1,
d and e lie in [0, 2^k), so lower <= m <= upper as integers (2^(k+1) is far below the group
order). The cost is 2k bit proofs instead of an (upper - lower + 1)-way disjunction. This is
the classic construction of Mao ("Guaranteed correct sharing of integer factorization with
off-line shareholders", PKC 1998) and of Boudot's survey ("Efficient proofs that a committed
number lies in an interval", EUROCRYPT 2000, section 1.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from evote.crypto.elgamal import Ciphertext, PublicKey, encrypt_with_nonce
from evote.crypto.groups import Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import DisjunctiveProof, ProofContext, check_range, prove_range
from evote.errors import InvalidInput, InvalidProof


@dataclass(frozen=True, slots=True)
class BitDecomposition:
    """Encrypted bits of one side of the interval, least significant first, with their proofs."""

    bits: tuple[Ciphertext, ...]
    proofs: tuple[DisjunctiveProof, ...]


@dataclass(frozen=True, slots=True)
class IntervalProof:
    """Proof that a ciphertext encrypts a value in [lower, upper]: m - lower and upper - m."""

    above_lower: BitDecomposition
    below_upper: BitDecomposition


def bit_count(lower: int, upper: int) -> int:
    """k: the number of bits of each side (at least 1)."""
    if lower > upper:
        raise InvalidInput(f"empty interval [{lower}, {upper}]")
    return max(1, (upper - lower).bit_length())


def _sides(group: Group, ciphertext: Ciphertext, lower: int, upper: int) -> tuple[Ciphertext, ...]:
    # C / g^lower encrypts m - lower (nonce r); g^upper / C encrypts upper - m (nonce -r).
    above = Ciphertext(ciphertext.alpha, ciphertext.beta * group.base_exp(-lower))
    below = Ciphertext(group.inverse(ciphertext.alpha), group.base_exp(upper) / ciphertext.beta)
    return above, below


def _prove_side(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    value: int,
    nonce: int,
    bits: int,
) -> BitDecomposition:
    group = key.group
    q = group.order
    nonces = [group.random_scalar() for _ in range(bits - 1)]
    # Choose the last nonce so that sum 2^i · r_i = nonce: the bits then recombine into C.
    partial = sum(r_i << i for i, r_i in enumerate(nonces))
    nonces.append((nonce - partial) * pow(1 << (bits - 1), -1, q) % q)
    ciphertexts = []
    proofs = []
    for i, r_i in enumerate(nonces):
        bit = (value >> i) & 1
        ciphertext = encrypt_with_nonce(key, bit, r_i)
        ciphertexts.append(ciphertext)
        proofs.append(prove_range(key, purpose, context.extend("bit", i), ciphertext, bit, r_i, 1))
    return BitDecomposition(tuple(ciphertexts), tuple(proofs))


def prove_interval(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    value: int,
    nonce: int,
    lower: int,
    upper: int,
) -> IntervalProof:
    """Prove that ``ciphertext`` = Enc(value; nonce) with lower <= value <= upper."""
    if not lower <= value <= upper:
        raise InvalidInput(f"value {value} is outside [{lower}, {upper}]: it cannot be proven")
    bits = bit_count(lower, upper)
    q = key.group.order
    return IntervalProof(
        _prove_side(key, purpose, context.extend("above", lower), value - lower, nonce, bits),
        _prove_side(key, purpose, context.extend("below", upper), upper - value, -nonce % q, bits),
    )


def _recombine(group: Group, bits: tuple[Ciphertext, ...]) -> Ciphertext:
    # Horner's rule: prod E_i^(2^i) with one squaring and one product per bit.
    alpha, beta = group.identity, group.identity
    for bit in reversed(bits):
        alpha = alpha * alpha * bit.alpha
        beta = beta * beta * bit.beta
    return Ciphertext(alpha, beta)


def _check_side(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    target: Ciphertext,
    side: BitDecomposition,
    bits: int,
    where: str,
) -> None:
    if len(side.bits) != bits or len(side.proofs) != bits:
        raise InvalidProof(f"{where}: expected {bits} encrypted bits and proofs")
    if _recombine(key.group, side.bits) != target:
        raise InvalidProof(f"{where}: the encrypted bits do not recombine into the ciphertext")
    for i, (bit, proof) in enumerate(zip(side.bits, side.proofs, strict=True)):
        check_range(key, purpose, context.extend("bit", i), bit, 1, proof, f"{where}.bits[{i}]")


def check_interval(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    lower: int,
    upper: int,
    proof: IntervalProof,
    where: str = "proof",
) -> None:
    """Verify that ``ciphertext`` encrypts a value in [lower, upper]."""
    bits = bit_count(lower, upper)
    if bits + 2 >= key.group.order.bit_length():
        raise InvalidInput(f"interval [{lower}, {upper}] is too wide for the group")
    above, below = _sides(key.group, ciphertext, lower, upper)
    _check_side(
        key,
        purpose,
        context.extend("above", lower),
        above,
        proof.above_lower,
        bits,
        f"{where}.above_lower",
    )
    _check_side(
        key,
        purpose,
        context.extend("below", upper),
        below,
        proof.below_upper,
        bits,
        f"{where}.below_upper",
    )
