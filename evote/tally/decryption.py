"""Threshold decryption of the tally (docs/spec.md sections 9.2 to 9.4).

Trustee j, holding the share s_j with verification key K_j = g^{s_j}, publishes for every
tally ciphertext (alpha, beta) the factor M_j = alpha^{s_j} with a Chaum–Pedersen proof that
log_g K_j = log_alpha M_j (Chaum, Pedersen, "Wallet databases with observers", CRYPTO 1992),
bound to the election fingerprint and to ("trustee", j, "question", q, "option", o, "beta",
beta) under Purpose.DECRYPTION_PROOF: the proof names the whole ciphertext, not alpha alone,
so a factor cannot be presented as the decryption of another ciphertext that shares its alpha.
Any t valid factors combine with the Lagrange coefficients at 0 of their indices:
prod_j M_j^{lambda_j} = alpha^s for the joint secret s (Shamir, CACM 1979; Pedersen,
EUROCRYPT 1991), so beta / alpha^s = g^m. A bad share is rejected, naming its trustee, and the
others carry on; fewer than t valid shares raise InsufficientShares. The small m is
then found by a bounded discrete logarithm (:mod:`evote.crypto.dlog`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evote.crypto.dlog import discrete_log
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import Proof, ProofContext, check_equal_logs, prove_equal_logs
from evote.crypto.shamir import lagrange_coefficients
from evote.errors import InsufficientShares, InvalidInput, InvalidProof
from evote.tally.aggregate import EncryptedTally

if TYPE_CHECKING:
    from evote.crypto.elgamal import Ciphertext
    from evote.tally.mixnet import MixedShare


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Trustee ``trustee``'s factors alpha^{s_j}, one per tally column, with their proofs.

    Columns are in :meth:`EncryptedTally.columns` order. ``mixed`` is the trustee's
    decryption of the mixed answers (docs/spec.md section 14.4): present (possibly with no
    factor) iff the election has a question counted by the mixnet, else None.
    """

    trustee: int
    factors: tuple[Element, ...]
    proofs: tuple[Proof, ...]
    mixed: MixedShare | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A decryption share left out of the combination, and why."""

    trustee: int
    reason: str


@dataclass(frozen=True, slots=True)
class CombinedTally:
    """g^m for every tally column, from the shares of ``trustees``; the rejected shares."""

    plaintexts: tuple[Element, ...]
    trustees: tuple[int, ...]
    rejected: tuple[Rejection, ...]


def share_context(
    context: ProofContext, trustee: int, question: int, option: int | str, beta: Element
) -> ProofContext:
    """("trustee", j, "question", q, "option", o, "beta", beta) appended to the context.

    The statement [g, K_j, alpha, M_j] holds alpha only; the binding adds the column's beta so
    that the proof is about the ciphertext (alpha, beta) (docs/spec.md section 9.2).
    """
    return context.extend("trustee", trustee, "question", question, "option", option, "beta", beta)


def prove_decryption_factor(
    group: Group,
    secret: int,
    verification_key: Element,
    ciphertext: Ciphertext,
    context: ProofContext,
) -> tuple[Element, Proof]:
    """The factor alpha^s of ``ciphertext`` and its Chaum–Pedersen proof that
    log_g K = log_alpha factor, bound to ``context`` (docs/spec.md sections 9.2 and 14.4);
    constant-time in ``secret``."""
    factor = group.exp_secret(ciphertext.alpha, secret)
    proof = prove_equal_logs(
        group,
        Purpose.DECRYPTION_PROOF,
        context,
        secret,
        group.generator,
        verification_key,
        ciphertext.alpha,
        factor,
    )
    return factor, proof


def check_decryption_factor(
    group: Group,
    verification_key: Element,
    ciphertext: Ciphertext,
    factor: Element,
    proof: Proof,
    context: ProofContext,
    where: str,
) -> None:
    """The check of prove_decryption_factor; InvalidProof starting with ``where``."""
    if factor.group is not group:
        raise InvalidProof(f"{where}: factor of another group")
    check_equal_logs(
        group,
        Purpose.DECRYPTION_PROOF,
        context,
        group.generator,
        verification_key,
        ciphertext.alpha,
        factor,
        proof,
        where,
    )


def compute_decryption_share(
    group: Group,
    trustee_secret_share: int,
    index: int,
    verification_key: Element,
    tally: EncryptedTally,
    context: ProofContext,
) -> DecryptionShare:
    """alpha^{s_j} for every tally ciphertext with a Chaum–Pedersen proof (constant-time in s_j)."""
    if tally.group is not group or verification_key.group is not group:
        raise InvalidInput(f"trustee {index}: tally, key and group disagree")
    if group.base_exp_secret(trustee_secret_share) != verification_key:
        raise InvalidInput(f"trustee {index}: the share does not match the verification key")
    factors = []
    proofs = []
    for question, option, ciphertext in tally.columns():
        factor, proof = prove_decryption_factor(
            group,
            trustee_secret_share,
            verification_key,
            ciphertext,
            share_context(context, index, question, option, ciphertext.beta),
        )
        factors.append(factor)
        proofs.append(proof)
    return DecryptionShare(index, tuple(factors), tuple(proofs))


def check_decryption_share(
    group: Group,
    share: DecryptionShare,
    verification_key: Element,
    tally: EncryptedTally,
    context: ProofContext,
) -> None:
    """Every factor's proof against K_j; InvalidProof naming the trustee, question and option."""
    j = share.trustee
    columns = tally.columns()
    if len(share.factors) != len(columns) or len(share.proofs) != len(columns):
        raise InvalidProof(
            f"trustee {j}: decryption share has {len(share.factors)} factors and"
            f" {len(share.proofs)} proofs for {len(columns)} tally ciphertexts"
        )
    for (question, option, ciphertext), factor, proof in zip(
        columns, share.factors, share.proofs, strict=True
    ):
        check_decryption_factor(
            group,
            verification_key,
            ciphertext,
            factor,
            proof,
            share_context(context, j, question, option, ciphertext.beta),
            f"trustee {j}: decryption share for question {question} option {option}",
        )


def combine_shares(
    tally: EncryptedTally,
    shares: Sequence[DecryptionShare],
    threshold: int,
    verification_keys: Mapping[int, Element],
    context: ProofContext,
) -> CombinedTally:
    """g^m per tally column from any ``threshold`` valid shares.

    Each share is checked; a share with a bad proof, from an unknown trustee, or from a trustee
    already counted is rejected (listed in the result) and the others carry on. The valid shares
    of the ``threshold`` lowest indices are combined. Fewer valid shares: InsufficientShares.
    """
    group = tally.group
    if type(threshold) is not int or threshold < 1:
        raise InvalidInput(f"threshold {threshold!r} must be an integer >= 1")
    valid: dict[int, DecryptionShare] = {}
    rejected: list[Rejection] = []
    for share in shares:
        j = share.trustee
        if j in valid:
            rejected.append(Rejection(j, f"trustee {j}: a share from it is already counted"))
            continue
        key = verification_keys.get(j)
        if key is None:
            rejected.append(Rejection(j, f"trustee {j}: no such trustee in the ceremony"))
            continue
        try:
            check_decryption_share(group, share, key, tally, context)
        except InvalidProof as error:
            rejected.append(Rejection(j, str(error)))
            continue
        valid[j] = share
    if len(valid) < threshold:
        reasons = "; ".join(r.reason for r in rejected)
        raise InsufficientShares(
            f"{len(valid)} valid decryption shares (trustees {sorted(valid)}), the threshold is"
            f" {threshold}" + (f"; rejected: {reasons}" if reasons else "")
        )
    chosen = sorted(valid)[:threshold]
    coefficients = lagrange_coefficients(chosen, group.order)
    plaintexts = []
    for column, (_, _, ciphertext) in enumerate(tally.columns()):
        alpha_s = group.product(
            group.exp(valid[j].factors[column], coefficients[j]) for j in chosen
        )
        plaintexts.append(ciphertext.beta / alpha_s)
    return CombinedTally(tuple(plaintexts), tuple(chosen), tuple(rejected))


def column_bounds(tally: EncryptedTally, option_maxima: Sequence[int]) -> list[int]:
    """The largest value each column can hold: total weight × the option's maximum (1 for blank)."""
    if len(option_maxima) != len(tally.options):
        raise InvalidInput(f"{len(option_maxima)} option maxima for {len(tally.options)} questions")
    return [
        tally.total_weight * (1 if option == "blank" else option_maxima[question])
        for question, option, _ in tally.columns()
    ]


def solve_counts(
    tally: EncryptedTally, combined: CombinedTally, bounds: Sequence[int]
) -> tuple[tuple[tuple[int, ...], ...], tuple[int | None, ...]]:
    """The counts per question and option, and the blank counts, by bounded discrete logs.

    A column beyond its bound raises TallyOutOfRange naming the question and the option, after
    bounded work (at most 2^21 + 1 group operations: evote.crypto.dlog).
    """
    columns = tally.columns()
    if len(bounds) != len(columns) or len(combined.plaintexts) != len(columns):
        raise InvalidInput("solve_counts: bounds, plaintexts and tally columns disagree")
    options: list[list[int]] = [[] for _ in tally.options]
    blanks: list[int | None] = [None] * len(tally.options)
    for (question, option, _), element, bound in zip(
        columns, combined.plaintexts, bounds, strict=True
    ):
        value = discrete_log(element, bound, f"question {question} option {option}")
        if option == "blank":
            blanks[question] = value
        else:
            options[question].append(value)
    return tuple(tuple(row) for row in options), tuple(blanks)
