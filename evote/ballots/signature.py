"""Signatures by an eligibility credential (docs/spec.md section 7.5).

A voter signs a message (the canonical bytes of a ballot without its signature) with the
credential's secret scalar s, public credential P = g^s. The signature is a Schnorr proof of
knowledge of s made non-interactive with Fiat–Shamir, with the message inside the challenge:
the Schnorr signature (C. P. Schnorr, "Efficient signature generation by smart cards", Journal
of Cryptology 4(3), 1991; the message-in-the-hash form of Pointcheval and Stern, "Security
arguments for digital signatures and blind signatures", Journal of Cryptology 13(3), 2000).

It is made by :func:`evote.crypto.proofs.prove_schnorr` with the purpose
``credential-signature`` and the context (fingerprint, [m]), where m = digest(CREDENTIAL_SIGNATURE,
message) is the 64-byte SHA-512 of the message under its own domain tag. The challenge is thus

    c = H(CREDENTIAL_SIGNATURE, group, fingerprint, [m], [g, P], [g^w])

and the signature is (c, v) with v = w - c·s mod q; the verifier recomputes g^v · P^c and the
hash (docs/spec.md section 7.5). The election fingerprint in the challenge keeps a
signature from being replayed into another election, and the statement's P keeps it from
being claimed for another credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from evote.ballots.credentials import CredentialKey, decode_base64, encode_base64
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import Purpose, digest
from evote.crypto.proofs import Proof, ProofContext, check_schnorr, prove_schnorr
from evote.errors import (
    InvalidCredential,
    InvalidInput,
    InvalidProof,
    InvalidSignature,
)

FINGERPRINT_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class Signature:
    """A Schnorr signature by a credential: the challenge c and the response v of its proof."""

    proof: Proof


def message_digest(message: bytes) -> bytes:
    """digest(CREDENTIAL_SIGNATURE, message): what the challenge binds of the message."""
    return digest(Purpose.CREDENTIAL_SIGNATURE, message)


def _context(fingerprint: object, message: object) -> ProofContext:
    if not isinstance(fingerprint, bytes) or len(fingerprint) != FINGERPRINT_BYTES:
        raise InvalidInput(f"fingerprint: expected {FINGERPRINT_BYTES} bytes")
    if not isinstance(message, bytes):
        raise InvalidInput(f"message: expected bytes, got {type(message).__name__}")
    return ProofContext(fingerprint, (message_digest(message),))


def _check_public(group: Group, public: object, where: str) -> Element:
    if not isinstance(public, Element) or public.group is not group:
        raise InvalidInput(f"{where}: expected an element of {group.name}")
    return public


def sign_message(
    group: Group, secret: int, public: Element, fingerprint: bytes, message: bytes
) -> Signature:
    """Sign ``message`` with the credential (secret, public) for the election ``fingerprint``.

    Refuses a secret that is not a nonzero scalar or does not match ``public`` (a signature that
    would not verify is never produced); the check costs one constant-time exponentiation.
    """
    public = _check_public(group, public, "public credential")
    context = _context(fingerprint, message)
    if type(secret) is not int or not 0 < secret < group.order:
        raise InvalidCredential("credential secret: expected a scalar in [1, order)")
    if group.base_exp_secret(secret) != public:
        raise InvalidCredential("credential secret: does not match the public credential")
    return Signature(prove_schnorr(group, Purpose.CREDENTIAL_SIGNATURE, context, secret, public))


def sign_with_key(key: CredentialKey, fingerprint: bytes, message: bytes) -> Signature:
    """Sign ``message`` with a derived credential key (consistent by construction: no re-check)."""
    context = _context(fingerprint, message)
    proof = prove_schnorr(key.group, Purpose.CREDENTIAL_SIGNATURE, context, key.secret, key.public)
    return Signature(proof)


def check_signature(
    group: Group,
    public: Element,
    fingerprint: bytes,
    message: bytes,
    signature: Signature,
    where: str = "signature",
) -> None:
    """Verify that ``signature`` signs ``message`` by ``public`` for the election ``fingerprint``.

    Raises InvalidSignature, naming ``where``, if it does not verify or if its numbers are not
    canonical scalars (a challenge or response shifted by the order is refused).
    """
    public = _check_public(group, public, f"{where}: public credential")
    context = _context(fingerprint, message)
    if not isinstance(signature, Signature) or not isinstance(signature.proof, Proof):
        raise InvalidSignature(f"{where}: expected a Signature")
    try:
        check_schnorr(group, Purpose.CREDENTIAL_SIGNATURE, context, public, signature.proof, where)
    except InvalidProof as error:
        raise InvalidSignature(
            f"{where}: the credential's signature does not verify ({error})"
        ) from None


def signature_to_json_obj(signature: Signature) -> list[str]:
    """[challenge, response], each the base64 of its 32 big-endian bytes."""
    return [
        encode_base64(Group.scalar_to_bytes(signature.proof.challenge)),
        encode_base64(Group.scalar_to_bytes(signature.proof.response)),
    ]


def signature_from_json_obj(group: Group, obj: object, where: str = "signature") -> Signature:
    """Decode [challenge, response] strictly: two canonical base64 strings of 32-byte scalars.

    Malformed data raises InvalidInput; a number not below the group order raises
    InvalidScalar (an InvalidInput), both naming ``where``.
    """
    if not isinstance(obj, list) or len(obj) != 2:
        raise InvalidInput(f"{where}: expected a list [challenge, response]")
    numbers = []
    for name, item in zip(("challenge", "response"), obj, strict=True):
        # scalar_from_bytes refuses any length but 32 and any value >= the order.
        numbers.append(
            group.scalar_from_bytes(decode_base64(item, f"{where}.{name}"), f"{where}.{name}")
        )
    return Signature(Proof(numbers[0], numbers[1]))
