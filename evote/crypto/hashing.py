"""Domain-separated hashing: every hash evote computes names its purpose.

A hash is SHA-512 over ``encode(PROTOCOL, tag, items...)`` (see :mod:`evote.crypto.encoding`),
truncated where a 32-byte digest is wanted. Tags are the members of :class:`Purpose`: a value
hashed for one purpose can never be mistaken for a value hashed for another.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from evote.crypto.encoding import Value, encode

PROTOCOL = "evote/1"


class Purpose(StrEnum):
    """Domain tags, one per use of the hash function (docs/spec.md section 2.3)."""

    GROUP = "group"
    GENERATOR = "generator"
    KEY_PROOF = "key-proof"
    SCHNORR = "schnorr"
    CHAUM_PEDERSEN = "chaum-pedersen"
    OPTION_PROOF = "option-proof"
    SUM_PROOF = "sum-proof"
    BIT_PROOF = "bit-proof"
    BUDGET_PROOF = "budget-proof"
    DECRYPTION_PROOF = "decryption-proof"
    SHUFFLE_VECTOR = "shuffle-vector"
    SHUFFLE_PROOF = "shuffle-proof"
    MIX = "mix"
    CREDENTIAL_SIGNATURE = "credential-signature"
    CREDENTIAL_KDF = "credential-kdf"
    CREDENTIAL_LIST = "credential-list"
    MANIFEST = "manifest"
    FINGERPRINT = "fingerprint"
    BALLOT = "ballot"
    TRACKING_CODE = "tracking-code"
    BOARD_LINK = "board-link"
    BOARD_PAYLOAD = "board-payload"
    BOARD_CHECKPOINT = "board-checkpoint"
    BOARD_RECEIPT = "board-receipt"
    CEREMONY_TRANSCRIPT = "ceremony-transcript"
    RESULT = "result"
    BATCH = "batch"
    NONCE = "nonce"
    TEST = "test"


def digest(purpose: Purpose, *items: Value) -> bytes:
    """The 64-byte SHA-512 digest of ``items`` under the domain tag ``purpose``."""
    return hashlib.sha512(encode(PROTOCOL, purpose.value, list(items))).digest()


def digest32(purpose: Purpose, *items: Value) -> bytes:
    """A 32-byte digest (the first half of :func:`digest`): for hashes that name objects."""
    return digest(purpose, *items)[:32]


def hash_to_int_mod(modulus: int, purpose: Purpose, *items: Value) -> int:
    """Hash to an integer in [0, modulus) with bias below 2^-(512 - bitlen(modulus)).

    The 512-bit digest is reduced modulo ``modulus``; for the 253- and 256-bit orders of evote's
    groups the statistical distance from uniform is below 2^-256 (the "wide reduction" of
    RFC 9380 section 5, hash_to_field with L = 64).
    """
    return int.from_bytes(digest(purpose, *items), "big") % modulus
