"""Signatures by a credential: round trips, known answers, and every mutation rejected."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.credentials import credential_keypair
from evote.ballots.signature import (
    Signature,
    check_signature,
    message_digest,
    sign_message,
    signature_from_json_obj,
    signature_to_json_obj,
)
from evote.crypto.groups import ED25519, MODP4096, Element, Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import Proof, ProofContext, challenge
from evote.errors import InvalidCredential, InvalidInput, InvalidScalar, InvalidSignature

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "credentials.json").read_text("utf-8")
)
CODE = "01234-56789-ABCDE-FGHJT"
OTHER_CODE = "KMNPQ-RSTVW-XYZ00-0000W"
ELECTION = "test-2025"
FINGERPRINT = bytes(range(32))
MESSAGE = b'{"ballot": "canonical bytes without the signature"}'


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    """Each group; module-scoped so that hypothesis tests may take it."""
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="module")
def keypair(group: Group) -> tuple[int, Element]:
    return credential_keypair(group, ELECTION, CODE)


@pytest.fixture(scope="module")
def signed(group: Group, keypair: tuple[int, Element]) -> Signature:
    secret, public = keypair
    return sign_message(group, secret, public, FINGERPRINT, MESSAGE)


def test_round_trip(group: Group, keypair: tuple[int, Element], signed: Signature) -> None:
    check_signature(group, keypair[1], FINGERPRINT, MESSAGE, signed, "ballot.signature")
    group.check_scalar(signed.proof.challenge)
    group.check_scalar(signed.proof.response)


@settings(max_examples=10, deadline=None)
@given(st.binary(max_size=2000))
def test_round_trip_any_message(group: Group, keypair: tuple[int, Element], data: bytes) -> None:
    secret, public = keypair
    signature = sign_message(group, secret, public, FINGERPRINT, data)
    check_signature(group, public, FINGERPRINT, data, signature)


def test_signatures_are_randomised(group: Group, keypair: tuple[int, Element]) -> None:
    secret, public = keypair
    first = sign_message(group, secret, public, FINGERPRINT, MESSAGE)
    assert first != sign_message(group, secret, public, FINGERPRINT, MESSAGE)


def test_signature_nonces_survive_a_repeated_random_state(
    group: Group, keypair: tuple[int, Element], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every random draw repeated (a restored VM snapshot), two messages get two nonces."""
    secret, public = keypair
    monkeypatch.setattr("evote.crypto.proofs.secrets.token_bytes", bytes)
    monkeypatch.setattr(type(group), "random_scalar", lambda self: 5)
    nonces = set()
    for message in (MESSAGE, MESSAGE + b" ", b"another ballot"):
        proof = sign_message(group, secret, public, FINGERPRINT, message).proof
        check_signature(group, public, FINGERPRINT, message, Signature(proof))
        nonces.add((proof.response + proof.challenge * secret) % group.order)
    assert len(nonces) == 3


def test_json_round_trip(group: Group, signed: Signature) -> None:
    obj = signature_to_json_obj(signed)
    assert isinstance(obj, list)
    assert len(obj) == 2
    assert all(len(base64.b64decode(item)) == 32 for item in obj)
    assert int.from_bytes(base64.b64decode(obj[0]), "big") == signed.proof.challenge
    assert signature_from_json_obj(group, json.loads(json.dumps(obj))) == signed


# -- known answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("group_name", [group.name for group in all_groups()])
def test_signature_vector(group_name: str) -> None:
    group = {g.name: g for g in all_groups()}[group_name]
    vector = VECTORS["groups"][group_name]["signature"]
    fingerprint = bytes.fromhex(vector["fingerprint"])
    message = bytes.fromhex(vector["message"])
    assert message_digest(message).hex() == vector["message_digest"]
    secret, public = credential_keypair(group, vector["election_id"], vector["code"])
    signature = signature_from_json_obj(group, vector["signature"])
    check_signature(group, public, fingerprint, message, signature)
    # Recompute the signature from its pinned nonce: commitment, challenge and response.
    nonce = int.from_bytes(bytes.fromhex(vector["nonce"]), "big")
    commitment = group.base_exp(nonce)
    assert commitment.to_bytes().hex() == vector["commitment"]
    context = ProofContext(fingerprint, (message_digest(message),))
    c = challenge(
        group, Purpose.CREDENTIAL_SIGNATURE, context, [group.generator, public], [commitment]
    )
    assert signature.proof == Proof(c, (nonce - c * secret) % group.order)


# -- every mutation is rejected --------------------------------------------------------------


def test_rejects_another_message(
    group: Group, keypair: tuple[int, Element], signed: Signature
) -> None:
    for message in (MESSAGE + b" ", MESSAGE[:-1], b"", MESSAGE.upper()):
        with pytest.raises(InvalidSignature, match=r"ballot\.signature"):
            check_signature(group, keypair[1], FINGERPRINT, message, signed, "ballot.signature")


def test_rejects_another_fingerprint(
    group: Group, keypair: tuple[int, Element], signed: Signature
) -> None:
    for fingerprint in (
        bytes(32),
        FINGERPRINT[::-1],
        bytes([FINGERPRINT[0] ^ 1]) + FINGERPRINT[1:],
    ):
        with pytest.raises(InvalidSignature):
            check_signature(group, keypair[1], fingerprint, MESSAGE, signed)


def test_rejects_another_credential(group: Group, signed: Signature) -> None:
    other = credential_keypair(group, ELECTION, OTHER_CODE)[1]
    same_code_other_election = credential_keypair(group, "another-election", CODE)[1]
    for public in (other, same_code_other_election, group.generator):
        with pytest.raises(InvalidSignature):
            check_signature(group, public, FINGERPRINT, MESSAGE, signed)


def mutated_proofs(group: Group, proof: Proof) -> list[tuple[str, Proof]]:
    q = group.order
    c, v = proof.challenge, proof.response
    return [
        ("challenge + order", Proof(c + q, v)),
        ("response + order", Proof(c, v + q)),
        ("challenge - order", Proof(c - q, v)),
        ("response - order", Proof(c, v - q)),
        ("challenge + 1", Proof((c + 1) % q, v)),
        ("response + 1", Proof(c, (v + 1) % q)),
        ("challenge - 1", Proof((c - 1) % q, v)),
        ("response - 1", Proof(c, (v - 1) % q)),
        ("challenge negated", Proof(-c % q, v)),
        ("response negated", Proof(c, -v % q)),
        ("swapped", Proof(v, c)),
        ("zero", Proof(0, 0)),
        ("challenge zero", Proof(0, v)),
        ("response zero", Proof(c, 0)),
        ("bit flipped in challenge", Proof(c ^ (1 << 100), v)),
        ("bit flipped in response", Proof(c, v ^ (1 << 7))),
        ("bool challenge", Proof(True, v)),
    ]


def test_rejects_every_mutated_number(
    group: Group, keypair: tuple[int, Element], signed: Signature
) -> None:
    for name, proof in mutated_proofs(group, signed.proof):
        if proof == signed.proof and type(proof.challenge) is int:
            continue
        with pytest.raises(InvalidSignature):
            check_signature(group, keypair[1], FINGERPRINT, MESSAGE, Signature(proof))
            pytest.fail(f"mutation {name!r} was accepted")


@pytest.mark.parametrize("bad", [None, Proof(1, 2), (1, 2), "signature"])
def test_rejects_what_is_not_a_signature(bad: object) -> None:
    public = credential_keypair(ED25519, ELECTION, CODE)[1]
    with pytest.raises(InvalidSignature, match="expected a Signature"):
        check_signature(ED25519, public, FINGERPRINT, MESSAGE, bad)  # type: ignore[arg-type]


def test_check_refuses_bad_arguments(
    group: Group, keypair: tuple[int, Element], signed: Signature
) -> None:
    other = MODP4096 if group is ED25519 else ED25519
    with pytest.raises(InvalidInput, match="public credential"):
        check_signature(group, other.generator, FINGERPRINT, MESSAGE, signed)
    with pytest.raises(InvalidInput, match="fingerprint"):
        check_signature(group, keypair[1], FINGERPRINT[:31], MESSAGE, signed)
    with pytest.raises(InvalidInput, match="message"):
        check_signature(group, keypair[1], FINGERPRINT, "text", signed)  # type: ignore[arg-type]


# -- signing refuses what would not verify ---------------------------------------------------


def test_sign_refuses_a_secret_of_another_credential(
    group: Group, keypair: tuple[int, Element]
) -> None:
    secret, public = keypair
    with pytest.raises(InvalidCredential, match="does not match"):
        sign_message(group, (secret + 1) % group.order, public, FINGERPRINT, MESSAGE)
    with pytest.raises(InvalidCredential, match="does not match"):
        sign_message(group, 1, public, FINGERPRINT, MESSAGE)


@pytest.mark.parametrize("secret", [0, -1, True, 2**256, 1.0, "1"])
def test_sign_refuses_a_bad_secret(secret: object) -> None:
    public = credential_keypair(ED25519, ELECTION, CODE)[1]
    with pytest.raises(InvalidCredential, match=r"scalar in \[1, order\)"):
        sign_message(ED25519, secret, public, FINGERPRINT, MESSAGE)  # type: ignore[arg-type]


def test_sign_refuses_bad_arguments(group: Group, keypair: tuple[int, Element]) -> None:
    secret, public = keypair
    other = MODP4096 if group is ED25519 else ED25519
    with pytest.raises(InvalidInput, match="public credential"):
        sign_message(group, secret, other.generator, FINGERPRINT, MESSAGE)
    with pytest.raises(InvalidInput, match="fingerprint"):
        sign_message(group, secret, public, FINGERPRINT + b"\0", MESSAGE)
    with pytest.raises(InvalidInput, match="fingerprint"):
        sign_message(group, secret, public, FINGERPRINT.hex(), MESSAGE)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="message"):
        sign_message(group, secret, public, FINGERPRINT, bytearray(MESSAGE))  # type: ignore[arg-type]


# -- strict JSON -----------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_json_strict_errors(group: Group, signed: Signature) -> None:
    c, v = signature_to_json_obj(signed)
    too_big = b64((group.order).to_bytes(32, "big"))
    cases: list[tuple[object, type[Exception], str]] = [
        ({"challenge": c, "response": v}, InvalidInput, "expected a list"),
        ([c], InvalidInput, "expected a list"),
        ([c, v, v], InvalidInput, "expected a list"),
        ((c, v), InvalidInput, "expected a list"),
        ([c, 5], InvalidInput, r"sig\.response: expected base64"),
        ([None, v], InvalidInput, r"sig\.challenge: expected base64"),
        (["!" + c[1:], v], InvalidInput, r"sig\.challenge: not valid base64"),
        ([c.rstrip("="), v], InvalidInput, r"sig\.challenge: not valid base64"),
        ([c, v[:-2] + chr(ord(v[-2]) + 1) + "="], InvalidInput, "base64"),
        ([b64(bytes(31)), v], InvalidScalar, r"sig\.challenge: a scalar is 32 bytes, got 31"),
        ([c, b64(bytes(33))], InvalidScalar, r"sig\.response: a scalar is 32 bytes, got 33"),
        ([too_big, v], InvalidScalar, r"sig\.challenge: scalar out of range"),
        ([c, too_big], InvalidScalar, r"sig\.response: scalar out of range"),
        ([c, b64(b"\xff" * 32)], InvalidScalar, "out of range"),
        ([c, "é" * 44], InvalidInput, "base64"),
    ]
    for obj, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            signature_from_json_obj(group, obj, "sig")
            pytest.fail(f"{obj!r} was accepted")
