"""Known-answer tests: recompute every vector of tests/vectors/crypto.json.

The file is written by tests/vectors/gen_crypto_vectors.py and changes only with the
specification; a failure here means the code no longer implements docs/spec.md as recorded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from evote.crypto.elgamal import Ciphertext, PublicKey, SecretKey, encrypt_with_nonce
from evote.crypto.encoding import encode
from evote.crypto.groups import MODP_COFACTOR, MODP_G, MODP_P, MODP_Q, Group, group_by_name
from evote.crypto.hashing import PROTOCOL, Purpose, digest, digest32
from evote.crypto.proofs import (
    DisjunctiveProof,
    Proof,
    ProofContext,
    challenge,
    check_equal_logs,
    check_range,
    check_schnorr,
)
from evote.errors import InvalidProof
from tests.vectors.gen_crypto_vectors import FORMAT, VECTORS_PATH, from_json

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def _scalar(hex_text: str) -> int:
    if len(hex_text) != 64:
        raise AssertionError(f"scalar {hex_text!r} is not 32 bytes")
    return int(hex_text, 16)


def _element(group: Group, hex_text: str) -> Any:
    return group.decode(bytes.fromhex(hex_text))


def _context(obj: dict[str, Any]) -> ProofContext:
    return ProofContext(
        bytes.fromhex(obj["fingerprint"]), tuple(from_json(item) for item in obj["binding"])
    )


def _ids(section: str) -> list[str]:
    return [
        f"{vector.get('group', '')}-{vector.get('kind', vector.get('purpose', ''))}-{index}"
        for index, vector in enumerate(VECTORS[section])
    ]


def test_header_and_group_parameters() -> None:
    assert VECTORS["format"] == FORMAT
    assert VECTORS["protocol"] == PROTOCOL
    ed, modp = VECTORS["groups"]["ed25519"], VECTORS["groups"]["modp4096"]
    ed25519 = group_by_name("ed25519")
    assert _scalar(ed["order"]) == ed25519.order
    assert ed["generator"] == ed25519.generator.to_bytes().hex()
    assert ed["identity"] == ed25519.identity.to_bytes().hex()
    assert (int(modp["p"], 16), int(modp["q"], 16)) == (MODP_P, MODP_Q)
    assert (int(modp["g"], 16), int(modp["cofactor"], 16)) == (MODP_G, MODP_COFACTOR)


def test_every_section_covers_both_groups() -> None:
    for section in (
        "hash_to_scalar",
        "hash_to_element",
        "base_exp",
        "encrypt",
        "challenge",
        "proofs",
    ):
        assert {vector["group"] for vector in VECTORS[section]} == {"ed25519", "modp4096"}


@pytest.mark.parametrize("vector", VECTORS["encode"], ids=_ids("encode"))
def test_encode(vector: dict[str, Any]) -> None:
    assert encode(from_json(vector["value"])).hex() == vector["encoding"]


@pytest.mark.parametrize("vector", VECTORS["digest"], ids=_ids("digest"))
def test_digest(vector: dict[str, Any]) -> None:
    purpose = Purpose(vector["purpose"])
    items = [from_json(item) for item in vector["items"]]
    hash_input = bytes.fromhex(vector["hash_input"])
    assert encode(PROTOCOL, purpose.value, items) == hash_input
    assert hashlib.sha512(hash_input).hexdigest() == vector["digest"]
    assert digest(purpose, *items).hex() == vector["digest"]
    assert digest32(purpose, *items).hex() == vector["digest32"]


@pytest.mark.parametrize("vector", VECTORS["hash_to_scalar"], ids=_ids("hash_to_scalar"))
def test_hash_to_scalar(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    items = [from_json(item) for item in vector["items"]]
    assert group.hash_to_scalar(Purpose(vector["purpose"]), *items) == _scalar(vector["scalar"])


@pytest.mark.parametrize("vector", VECTORS["hash_to_element"], ids=_ids("hash_to_element"))
def test_hash_to_element(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    items = [from_json(item) for item in vector["items"]]
    element = group.hash_to_element(Purpose(vector["purpose"]), *items)
    assert element.to_bytes().hex() == vector["element"]


@pytest.mark.parametrize("vector", VECTORS["base_exp"], ids=_ids("base_exp"))
def test_base_exp(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    k = _scalar(vector["exponent"])
    expected = vector["element"]
    assert group.base_exp(k).to_bytes().hex() == expected
    assert group.exp(group.generator, k).to_bytes().hex() == expected
    assert group.base_exp_secret(k).to_bytes().hex() == expected


@pytest.mark.parametrize("vector", VECTORS["encrypt"], ids=_ids("encrypt"))
def test_encrypt_with_nonce(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    secret = SecretKey(group, _scalar(vector["secret_key"]))
    key = secret.public_key()
    assert key.element.to_bytes().hex() == vector["public_key"]
    ciphertext = encrypt_with_nonce(key, int(vector["message"]), _scalar(vector["nonce"]))
    assert ciphertext.alpha.to_bytes().hex() == vector["alpha"]
    assert ciphertext.beta.to_bytes().hex() == vector["beta"]


@pytest.mark.parametrize("vector", VECTORS["challenge"], ids=_ids("challenge"))
def test_challenge(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    purpose = Purpose(vector["purpose"])
    context = _context(vector["context"])
    statement = [from_json(item) for item in vector["statement"]]
    commitments = [_element(group, item) for item in vector["commitments"]]
    hash_input = encode(
        PROTOCOL,
        purpose.value,
        [group.name, context.fingerprint, list(context.binding), statement, commitments],
    )
    assert hash_input.hex() == vector["hash_input"]
    expected = _scalar(vector["challenge"])
    assert int.from_bytes(hashlib.sha512(hash_input).digest(), "big") % group.order == expected
    assert challenge(group, purpose, context, statement, commitments) == expected


@pytest.mark.parametrize("vector", VECTORS["proofs"], ids=_ids("proofs"))
def test_stored_proofs_verify_and_their_mutations_do_not(vector: dict[str, Any]) -> None:
    group = group_by_name(vector["group"])
    purpose = Purpose(vector["purpose"])
    context = _context(vector["context"])
    other = context.extend("elsewhere")
    if vector["kind"] == "schnorr":
        public = _element(group, vector["public"])
        proof = Proof(_scalar(vector["challenge"]), _scalar(vector["response"]))
        check_schnorr(group, purpose, context, public, proof)
        with pytest.raises(InvalidProof):
            check_schnorr(group, purpose, other, public, proof)
    elif vector["kind"] == "chaum-pedersen":
        b1, p1, b2, p2 = (
            _element(group, vector[name]) for name in ("base1", "public1", "base2", "public2")
        )
        proof = Proof(_scalar(vector["challenge"]), _scalar(vector["response"]))
        check_equal_logs(group, purpose, context, b1, p1, b2, p2, proof)
        with pytest.raises(InvalidProof):
            check_equal_logs(group, purpose, other, b1, p1, b2, p2, proof)
    elif vector["kind"] == "range":
        key = PublicKey(group, _element(group, vector["public_key"]))
        ciphertext = Ciphertext(_element(group, vector["alpha"]), _element(group, vector["beta"]))
        ranged = DisjunctiveProof(
            tuple(
                Proof(_scalar(b["challenge"]), _scalar(b["response"])) for b in vector["branches"]
            )
        )
        maximum = int(vector["maximum"])
        check_range(key, purpose, context, ciphertext, maximum, ranged)
        with pytest.raises(InvalidProof):
            check_range(key, purpose, other, ciphertext, maximum, ranged)
    else:
        raise AssertionError(f"unknown proof kind {vector['kind']!r}")
