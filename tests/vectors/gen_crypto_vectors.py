"""Write tests/vectors/crypto.json: known-answer vectors of evote's crypto core (docs/spec.md 2-5).

Run from the repository root::

    python -m tests.vectors.gen_crypto_vectors

The file is regenerated only on purpose, when the specification changes (a new encoding rule,
a new hash input, new group parameters): the vectors pin the protocol, so a change in them is a
protocol change, which must be reviewed as one and recorded in docs/spec.md. Never regenerate
it to make a failing test pass. Other implementations (the voter's browser, an auditor's
verifier) check themselves against the same file.

Contents (every integer is a decimal string, every scalar 32 bytes big-endian in hex, every
element its canonical encoding in hex, hash inputs as typed JSON values, see :func:`to_json`):

* ``encode``: values and their encodings (section 2.1);
* ``digest``: purpose, items, the exact hash input, SHA-512 digest and 32-byte digest (2.2);
* ``hash_to_scalar``, ``hash_to_element``: both groups (2.4, 2.5);
* ``base_exp``: g^k for fixed k on both groups (3);
* ``encrypt``: a fixed key pair and encrypt_with_nonce for fixed (m, r) (4.1);
* ``challenge``: the Fiat–Shamir hash input and challenge for fixed commitments (4);
* ``proofs``: one valid Schnorr, Chaum–Pedersen and [0, 2] range proof per group; proofs are
  randomised, so these only have to verify (the script draws its randomness from a
  deterministic generator so that a regeneration without a protocol change gives the same file).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evote.crypto.elgamal import SecretKey, encrypt_with_nonce
from evote.crypto.encoding import Encodable, Value, encode
from evote.crypto.groups import (
    ED25519,
    MODP4096,
    MODP_COFACTOR,
    MODP_G,
    MODP_P,
    MODP_Q,
    Element,
    Group,
    all_groups,
    group_by_name,
)
from evote.crypto.hashing import PROTOCOL, Purpose, digest, digest32
from evote.crypto.proofs import (
    ProofContext,
    _prove_equal_logs_with_nonce,
    _prove_schnorr_with_nonce,
    challenge,
    prove_range,
)

VECTORS_PATH = Path(__file__).with_name("crypto.json")
FORMAT = "evote-crypto-vectors/1"

JSON = Any


# -- typed JSON values ------------------------------------------------------------------------


def to_json(value: Value) -> JSON:
    """A hash input as typed JSON: {"int": "-5"}, {"bytes": "00ff"}, {"list": [...]}, ..."""
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, str):
        return {"str": value}
    if value is None:
        return {"none": None}
    if isinstance(value, (list, tuple)):
        return {"list": [to_json(item) for item in value]}
    if isinstance(value, Element):
        return {"element": {"group": value.group.name, "hex": value.to_bytes().hex()}}
    if isinstance(value, Encodable):
        raise TypeError("only group elements are encodable objects in the vectors")
    raise TypeError(f"cannot write {type(value).__name__} as a vector value")


def from_json(obj: JSON) -> Value:
    """The inverse of :func:`to_json` (elements are decoded, hence validated)."""
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ValueError(f"not a typed vector value: {obj!r}")
    ((kind, payload),) = obj.items()
    if kind == "bool":
        return bool(payload)
    if kind == "int":
        return int(payload)
    if kind == "bytes":
        return bytes.fromhex(payload)
    if kind == "str":
        return str(payload)
    if kind == "none":
        return None
    if kind == "list":
        return [from_json(item) for item in payload]
    if kind == "element":
        return group_by_name(payload["group"]).decode(bytes.fromhex(payload["hex"]))
    raise ValueError(f"unknown vector value kind {kind!r}")


def scalar_hex(value: int) -> str:
    return Group.scalar_to_bytes(value).hex()


def element_hex(element: Element) -> str:
    return element.to_bytes().hex()


# -- fixed inputs -----------------------------------------------------------------------------


def fixed_secret(group: Group) -> int:
    """The vectors' secret key: a hashed label, so that anyone can recompute it."""
    return group.hash_to_scalar(Purpose.TEST, "vector secret key")


def fixed_exponents(group: Group) -> list[int]:
    return [
        0,
        1,
        2,
        3,
        255,
        2**64 + 1,
        group.order - 1,
        group.hash_to_scalar(Purpose.TEST, "vector exponent"),
    ]


ENCODE_VALUES: list[Value] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    255,
    256,
    -(2**64),
    2**255 - 19,
    b"",
    b"\x00",
    "",
    "évote",
    [],
    [[]],
    [b"", "", 0, None, False],
    ["ab"],
    ["a", "b"],
    [1, [2, [3, [b"\x04"]]]],
]


def encode_values_with_elements() -> list[Value]:
    return [
        *ENCODE_VALUES,
        [ED25519.generator, "ed25519"],
        [MODP4096.generator, "modp4096"],
    ]


DIGEST_INPUTS: list[tuple[Purpose, list[Value]]] = [
    (Purpose.TEST, []),
    (Purpose.TEST, [b"abc"]),
    (Purpose.BALLOT, ["election-1", 3, [b"\x01" * 32]]),
    (Purpose.FINGERPRINT, ["ed25519", b"\x00" * 32, None, True]),
    (Purpose.BOARD_LINK, [0, b"\xff" * 32]),
]


# -- deterministic randomness for the proofs ----------------------------------------------------


@contextmanager
def deterministic_scalars(group: Group, label: str) -> Iterator[None]:
    """Replace the group's random_scalar by a hash counter while the proofs are generated."""
    counter = 0

    def next_scalar() -> int:
        nonlocal counter
        counter += 1
        return 1 + group.hash_to_scalar(Purpose.TEST, "vector nonce", label, counter) % (
            group.order - 1
        )

    group.random_scalar = next_scalar  # type: ignore[method-assign]
    try:
        yield
    finally:
        del group.random_scalar  # back to the class's CSPRNG method


# -- sections -------------------------------------------------------------------------------


def encode_vectors() -> list[JSON]:
    return [
        {"value": to_json(value), "encoding": encode(value).hex()}
        for value in encode_values_with_elements()
    ]


def digest_vectors() -> list[JSON]:
    vectors = []
    for purpose, items in DIGEST_INPUTS:
        hash_input = encode(PROTOCOL, purpose.value, list(items))
        if hashlib.sha512(hash_input).digest() != digest(purpose, *items):
            raise RuntimeError(f"digest of {purpose} is not SHA-512 of the documented input")
        vectors.append(
            {
                "purpose": purpose.value,
                "items": [to_json(item) for item in items],
                "hash_input": hash_input.hex(),
                "digest": digest(purpose, *items).hex(),
                "digest32": digest32(purpose, *items).hex(),
            }
        )
    return vectors


def hash_to_scalar_vectors() -> list[JSON]:
    vectors = []
    for group in all_groups():
        for purpose, items in DIGEST_INPUTS[:3]:
            vectors.append(
                {
                    "group": group.name,
                    "purpose": purpose.value,
                    "items": [to_json(item) for item in items],
                    "scalar": scalar_hex(group.hash_to_scalar(purpose, *items)),
                }
            )
    return vectors


def hash_to_element_vectors() -> list[JSON]:
    vectors = []
    for group in all_groups():
        inputs: list[tuple[Purpose, list[Value]]] = [
            (Purpose.GENERATOR, ["evote", 0]),
            (Purpose.GENERATOR, ["evote", 1]),
            (Purpose.TEST, [b""]),
        ]
        for purpose, items in inputs:
            vectors.append(
                {
                    "group": group.name,
                    "purpose": purpose.value,
                    "items": [to_json(item) for item in items],
                    "element": element_hex(group.hash_to_element(purpose, *items)),
                }
            )
    return vectors


def base_exp_vectors() -> list[JSON]:
    return [
        {"group": group.name, "exponent": scalar_hex(k), "element": element_hex(group.base_exp(k))}
        for group in all_groups()
        for k in fixed_exponents(group)
    ]


def encrypt_vectors() -> list[JSON]:
    vectors = []
    for group in all_groups():
        secret = SecretKey(group, fixed_secret(group))
        key = secret.public_key()
        for message, nonce in (
            (0, 1),
            (1, 2),
            (1, group.order - 1),
            (5, group.hash_to_scalar(Purpose.TEST, "vector nonce")),
            (1000, 0),
        ):
            ciphertext = encrypt_with_nonce(key, message, nonce)
            vectors.append(
                {
                    "group": group.name,
                    "secret_key": scalar_hex(secret.scalar),
                    "public_key": element_hex(key.element),
                    "message": str(message),
                    "nonce": scalar_hex(nonce),
                    "alpha": element_hex(ciphertext.alpha),
                    "beta": element_hex(ciphertext.beta),
                }
            )
    return vectors


def vector_context() -> ProofContext:
    return ProofContext(bytes(range(32)), ("question", 0, "option", 1))


def context_json(context: ProofContext) -> JSON:
    return {
        "fingerprint": context.fingerprint.hex(),
        "binding": [to_json(item) for item in context.binding],
    }


def challenge_vectors() -> list[JSON]:
    vectors = []
    context = vector_context()
    for group in all_groups():
        g = group.generator
        statement: list[Value] = [g, group.base_exp(fixed_secret(group)), 7]
        commitments = [group.base_exp(11), group.base_exp(13)]
        hash_input = encode(
            PROTOCOL,
            Purpose.OPTION_PROOF.value,
            [group.name, context.fingerprint, list(context.binding), statement, commitments],
        )
        value = challenge(group, Purpose.OPTION_PROOF, context, statement, commitments)
        if value != int.from_bytes(hashlib.sha512(hash_input).digest(), "big") % group.order:
            raise RuntimeError("challenge is not the documented hash input reduced mod the order")
        vectors.append(
            {
                "group": group.name,
                "purpose": Purpose.OPTION_PROOF.value,
                "context": context_json(context),
                "statement": [to_json(item) for item in statement],
                "commitments": [element_hex(element) for element in commitments],
                "hash_input": hash_input.hex(),
                "challenge": scalar_hex(value),
            }
        )
    return vectors


def proof_vectors() -> list[JSON]:
    vectors: list[JSON] = []
    context = vector_context()
    for group in all_groups():
        with deterministic_scalars(group, "proofs"):
            secret = fixed_secret(group)
            key = SecretKey(group, secret).public_key()
            # prove_schnorr and prove_equal_logs hedge their nonces with fresh randomness
            # (section 4.6); the vectors take theirs from the deterministic generator instead.
            schnorr = _prove_schnorr_with_nonce(
                group, Purpose.KEY_PROOF, context, secret, key.element, group.random_scalar()
            )
            vectors.append(
                {
                    "kind": "schnorr",
                    "group": group.name,
                    "purpose": Purpose.KEY_PROOF.value,
                    "context": context_json(context),
                    "public": element_hex(key.element),
                    "challenge": scalar_hex(schnorr.challenge),
                    "response": scalar_hex(schnorr.response),
                }
            )
            ciphertext = encrypt_with_nonce(key, 1, 12345)
            share = group.exp_secret(ciphertext.alpha, secret)
            equal = _prove_equal_logs_with_nonce(
                group,
                Purpose.DECRYPTION_PROOF,
                context,
                secret,
                group.generator,
                key.element,
                ciphertext.alpha,
                share,
                group.random_scalar(),
            )
            vectors.append(
                {
                    "kind": "chaum-pedersen",
                    "group": group.name,
                    "purpose": Purpose.DECRYPTION_PROOF.value,
                    "context": context_json(context),
                    "base1": element_hex(group.generator),
                    "public1": element_hex(key.element),
                    "base2": element_hex(ciphertext.alpha),
                    "public2": element_hex(share),
                    "challenge": scalar_hex(equal.challenge),
                    "response": scalar_hex(equal.response),
                }
            )
            maximum = 2
            ranged = prove_range(key, Purpose.OPTION_PROOF, context, ciphertext, 1, 12345, maximum)
            vectors.append(
                {
                    "kind": "range",
                    "group": group.name,
                    "purpose": Purpose.OPTION_PROOF.value,
                    "context": context_json(context),
                    "public_key": element_hex(key.element),
                    "alpha": element_hex(ciphertext.alpha),
                    "beta": element_hex(ciphertext.beta),
                    "maximum": str(maximum),
                    "branches": [
                        {"challenge": scalar_hex(b.challenge), "response": scalar_hex(b.response)}
                        for b in ranged.branches
                    ],
                }
            )
    return vectors


def group_parameters() -> JSON:
    return {
        "ed25519": {
            "order": scalar_hex(ED25519.order),
            "generator": element_hex(ED25519.generator),
            "identity": element_hex(ED25519.identity),
            "element_size": str(ED25519.element_size),
        },
        "modp4096": {
            "p": f"{MODP_P:x}",
            "q": f"{MODP_Q:x}",
            "g": f"{MODP_G:x}",
            "cofactor": f"{MODP_COFACTOR:x}",
            "element_size": str(MODP4096.element_size),
        },
    }


def generate() -> JSON:
    return {
        "format": FORMAT,
        "protocol": PROTOCOL,
        "generator": "tests/vectors/gen_crypto_vectors.py",
        "groups": group_parameters(),
        "encode": encode_vectors(),
        "digest": digest_vectors(),
        "hash_to_scalar": hash_to_scalar_vectors(),
        "hash_to_element": hash_to_element_vectors(),
        "base_exp": base_exp_vectors(),
        "encrypt": encrypt_vectors(),
        "challenge": challenge_vectors(),
        "proofs": proof_vectors(),
    }


def main() -> int:
    text = json.dumps(generate(), indent=1, ensure_ascii=False) + "\n"
    VECTORS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS_PATH} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
