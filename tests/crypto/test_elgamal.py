"""Exponential ElGamal: correctness, homomorphism, keys and ciphertext decoding."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import (
    Ciphertext,
    PublicKey,
    SecretKey,
    decode_ciphertext,
    decrypt_to_element,
    encrypt,
    encrypt_with_nonce,
    generate_keypair,
    homomorphic_sum,
    weighted_sum,
)
from evote.crypto.groups import ED25519, MODP4096, Group
from evote.errors import InvalidGroupElement, InvalidInput
from tests.strategies import nonzero_scalars, scalars, small_messages

FEW = settings(max_examples=10, deadline=None)
BOUND = 1000


def _decrypt(secret_key: SecretKey, ciphertext: Ciphertext) -> int:
    return discrete_log(decrypt_to_element(secret_key, ciphertext), BOUND)


@FEW
@given(data=st.data())
def test_decrypt_inverts_encrypt(
    group: Group, secret_key: SecretKey, public_key: PublicKey, data: st.DataObject
) -> None:
    message = data.draw(small_messages(), label="m")
    encryption = encrypt(public_key, message)
    assert _decrypt(secret_key, encryption.ciphertext) == message
    assert 0 < encryption.nonce < group.order
    assert encrypt_with_nonce(public_key, message, encryption.nonce) == encryption.ciphertext


@FEW
@given(data=st.data())
def test_encrypt_with_nonce_is_the_formula(
    group: Group, public_key: PublicKey, data: st.DataObject
) -> None:
    message = data.draw(small_messages(), label="m")
    nonce = data.draw(scalars(group), label="r")
    ciphertext = encrypt_with_nonce(public_key, message, nonce)
    assert ciphertext.alpha == group.generator**nonce
    assert ciphertext.beta == group.generator**message * public_key.element**nonce
    assert ciphertext.elements() == (ciphertext.alpha, ciphertext.beta)


def test_encrypt_with_nonce_refuses_out_of_range_nonces(public_key: PublicKey) -> None:
    for nonce in (-1, public_key.group.order, public_key.group.order + 5):
        with pytest.raises(InvalidInput, match="nonce"):
            encrypt_with_nonce(public_key, 1, nonce)


@FEW
@given(data=st.data())
def test_homomorphic_sum_and_product(
    group: Group, secret_key: SecretKey, public_key: PublicKey, data: st.DataObject
) -> None:
    messages = data.draw(st.lists(small_messages(10), max_size=5), label="messages")
    weights = data.draw(
        st.lists(st.integers(0, 10), min_size=len(messages), max_size=len(messages)),
        label="weights",
    )
    ciphertexts = [encrypt(public_key, m).ciphertext for m in messages]
    assert _decrypt(secret_key, homomorphic_sum(group, ciphertexts)) == sum(messages)
    weighted = weighted_sum(group, zip(weights, ciphertexts, strict=True))
    assert _decrypt(secret_key, weighted) == sum(
        w * m for w, m in zip(weights, messages, strict=True)
    )
    if ciphertexts:
        first = ciphertexts[0]
        assert _decrypt(secret_key, first.scale(3)) == 3 * messages[0]
        assert _decrypt(secret_key, first * first) == 2 * messages[0]
        assert _decrypt(secret_key, first.scale(0)) == 0


def test_empty_sum_encrypts_zero(
    group: Group, secret_key: SecretKey, public_key: PublicKey
) -> None:
    empty = homomorphic_sum(group, [])
    assert empty == Ciphertext(group.identity, group.identity)
    assert _decrypt(secret_key, empty) == 0


@FEW
@given(data=st.data())
def test_key_pair_and_secret_key_repr(group: Group, data: st.DataObject) -> None:
    scalar = data.draw(nonzero_scalars(group))
    secret = SecretKey(group, scalar)
    assert secret.public_key().element == group.generator**scalar
    assert "scalar" not in repr(secret)
    assert repr(secret) == f"SecretKey(group={group!r})"


def test_generate_keypair(group: Group) -> None:
    secret, public = generate_keypair(group)
    assert public.element == group.base_exp(secret.scalar)
    assert public.table.exp(3) == public.element**3
    assert public.table is public.table


def test_public_key_refuses_identity_and_foreign_elements() -> None:
    with pytest.raises(InvalidGroupElement, match="identity"):
        PublicKey(ED25519, ED25519.identity)
    with pytest.raises(InvalidGroupElement, match="another group"):
        PublicKey(ED25519, MODP4096.generator)
    with pytest.raises(InvalidGroupElement, match="another group"):
        PublicKey(MODP4096, ED25519.generator)


def test_decode_ciphertext(group: Group, public_key: PublicKey) -> None:
    ciphertext = encrypt(public_key, 1).ciphertext
    raw = [element.to_bytes() for element in ciphertext.elements()]
    assert decode_ciphertext(group, raw[0], raw[1], "c") == ciphertext
    bad = group.identity.to_bytes()
    with pytest.raises(InvalidGroupElement, match=r"ballot\[2\]\.alpha"):
        decode_ciphertext(group, bad, raw[1], "ballot[2]")
    with pytest.raises(InvalidGroupElement, match=r"ballot\[2\]\.beta"):
        decode_ciphertext(group, raw[0], raw[1][:-1], "ballot[2]")


def test_ciphertexts_are_frozen(public_key: PublicKey) -> None:
    ciphertext = encrypt(public_key, 0).ciphertext
    with pytest.raises(AttributeError):
        ciphertext.alpha = ciphertext.beta  # type: ignore[misc]


def test_keys_and_ciphertexts_pickle_without_the_table(group: Group, public_key: PublicKey) -> None:
    # Process pools pickle keys and ciphertexts: the group comes back as the same instance and
    # the public key's fixed-base table (4 MB on modp4096) is not shipped.
    public_key.table.exp(1)
    data = pickle.dumps(public_key)
    assert len(data) < 4 * group.element_size + 1024
    restored = pickle.loads(data)
    assert restored == public_key
    assert restored.group is group
    assert restored.table.exp(5) == public_key.element**5
    ciphertext = encrypt(public_key, 1).ciphertext
    assert pickle.loads(pickle.dumps(ciphertext)) == ciphertext
