"""Share transport: round trips, known answers, wrong keys, wrong contexts, bad public keys."""

from __future__ import annotations

import base64
import copy
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import Box, PrivateKey, PublicKey

from evote.ceremony import transport
from evote.ceremony.transport import (
    ShareContext,
    TransportKeyPair,
    check_public_key,
    decode_public_key,
    encode_public_key,
    open_share,
    seal_share,
)
from evote.crypto.encoding import encode
from evote.crypto.hashing import PROTOCOL
from evote.errors import CeremonyError, InvalidInput, InvalidShare

ALICE = TransportKeyPair(bytes(range(1, 33)))
BOB = TransportKeyPair(bytes(range(33, 65)))
CAROL = TransportKeyPair(bytes(range(65, 97)))
CONTEXT = ShareContext("demo-2025", 1, 2)
SHARE = b"share of trustee 1 for trustee 2"

KAT_NONCE = bytes(range(200, 224))
KAT_ALICE_PUBLIC = bytes.fromhex("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c")
KAT_BOB_PUBLIC = bytes.fromhex("5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b")
KAT_SEALED = bytes.fromhex(
    "01c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfd2f5fd2e2aee5b552ac3eab95c9f109af02a18"
    "cafea120882b29fdd34ddbc8f7404f898acdf9bde8a6c164a1bae9e2ef43cf29921a1740a3838c52028e1b53"
    "0289fbb0d432bfcf7cea60cd7ac6b7ecac4b9043cdf65d511b6152e4483a0bc3fb4f3f0cb79005c9e88cef76"
    "b484846269a2a4"
)
KAT_CONTEXT_BYTES = bytes.fromhex(
    "0500000005020000000765766f74652f310200000010636572656d6f6e792d73686172652f3102000000096465"
    "6d6f2d323032350300000000010103000000000102"
)

# --- small-order X25519 points, found independently of libsodium -------------------------------

_P = 2**255 - 19
_A = 486662


def _is_small_order(u: int) -> bool:
    """Whether the Montgomery point with u-coordinate ``u`` has order 1, 2, 4 or 8.

    x-only doubling (RFC 7748 section 5 works with these coordinates): u(2P) =
    (u^2 - 1)^2 / (4u(u^2 + Au + 1)); the point at infinity appears as a zero denominator, and
    u = 0 is the point of order 2. Three doublings kill exactly the points of order dividing 8.
    """
    u %= _P
    for _ in range(3):
        denominator = 4 * u * (u * u + _A * u + 1) % _P
        if denominator == 0:
            return True
        u = (u * u - 1) ** 2 * pow(denominator, -1, _P) % _P
    return u == 0


SMALL_ORDER_U = [
    0,
    1,
    int.from_bytes(
        bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), "little"
    ),
    int.from_bytes(
        bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), "little"
    ),
    _P - 1,
]
NON_CANONICAL_U = [_P, _P + 1, _P + 5, 2**255 - 1, 2**255 + 9]


def _le(u: int) -> bytes:
    return u.to_bytes(32, "little")


def test_small_order_list_is_right() -> None:
    for u in SMALL_ORDER_U:
        assert _is_small_order(u)
    assert not _is_small_order(int.from_bytes(ALICE.public, "little"))
    assert not _is_small_order(9)  # the base point


BAD_PUBLIC_KEYS: list[tuple[object, str]] = [
    *[(_le(u), "small order") for u in SMALL_ORDER_U],
    *[(_le(u % 2**256), "not canonical") for u in NON_CANONICAL_U],
    (bytes(ALICE.public[:31]) + bytes([ALICE.public[31] | 0x80]), "not canonical"),
    (ALICE.public[:31], "31 bytes, expected 32"),
    (ALICE.public + b"\x00", "33 bytes, expected 32"),
    (b"", "0 bytes, expected 32"),
    (ALICE.public.hex(), "must be bytes"),
    (None, "must be bytes"),
]


@pytest.mark.parametrize(("public", "message"), BAD_PUBLIC_KEYS)
def test_bad_public_keys_are_refused(public: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_public_key(public)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=f"recipient's transport public key .*{message}"):
        seal_share(ALICE, public, CONTEXT, SHARE)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=f"sender's transport public key .*{message}"):
        open_share(BOB, public, CONTEXT, KAT_SEALED)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("public", "message"), [(p, m) for p, m in BAD_PUBLIC_KEYS if isinstance(p, bytes)]
)
def test_bad_public_keys_are_refused_from_base64(public: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode_public_key(base64.b64encode(public).decode())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!" * 44, "not valid base64"),
        (base64.b64encode(bytes(KAT_BOB_PUBLIC)).decode().rstrip("="), "not valid base64"),
        (base64.b64encode(bytes(KAT_BOB_PUBLIC)).decode()[:-2] + "f=", "not canonical"),
        (" " + base64.b64encode(bytes(KAT_BOB_PUBLIC)).decode(), "not valid base64"),
        (bytes(KAT_BOB_PUBLIC), "must be a base64 str"),
    ],
)
def test_bad_base64_is_refused(text: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode_public_key(text)  # type: ignore[arg-type]


def test_public_key_base64_round_trip() -> None:
    text = encode_public_key(BOB.public)
    assert len(text) == 44
    assert decode_public_key(text) == BOB.public


def test_encode_refuses_a_bad_key() -> None:
    with pytest.raises(InvalidInput, match="small order"):
        encode_public_key(bytes(32))


# --- key pairs ---------------------------------------------------------------------------------


def test_generated_key_pairs_differ_and_are_valid() -> None:
    first, second = TransportKeyPair.generate(), TransportKeyPair.generate()
    assert first.public != second.public
    assert first.private_bytes() != second.private_bytes()
    check_public_key(first.public)
    assert len(first.public) == 32
    assert len(first.private_bytes()) == 32


def test_private_bytes_round_trip() -> None:
    pair = TransportKeyPair.generate()
    again = TransportKeyPair.from_private_bytes(pair.private_bytes())
    assert again.public == pair.public


def test_public_keys_agree_with_independent_x25519() -> None:
    # RFC 7748 X25519 in OpenSSL, through cryptography.
    for pair, expected in [(ALICE, KAT_ALICE_PUBLIC), (BOB, KAT_BOB_PUBLIC)]:
        independent = X25519PrivateKey.from_private_bytes(pair.private_bytes()).public_key()
        assert independent.public_bytes_raw() == expected == pair.public


@pytest.mark.parametrize("raw", [b"", bytes(31), bytes(33), "x" * 32, None])
def test_bad_private_key_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput, match="transport private key must be 32 bytes"):
        TransportKeyPair.from_private_bytes(raw)  # type: ignore[arg-type]


def _secret_forms(value: bytes) -> list[str]:
    return [repr(value), value.hex(), base64.b64encode(value).decode(), str(list(value))]


def test_repr_hides_the_private_key() -> None:
    pair = TransportKeyPair.generate()
    shown = repr(pair) + str(pair)
    assert encode_public_key(pair.public) in shown
    for form in _secret_forms(pair.private_bytes()):
        assert form not in shown


def test_key_pair_cannot_be_pickled_copied_or_changed() -> None:
    pair = TransportKeyPair.generate()
    for write_out in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="private_bytes"):
            write_out(pair)
    with pytest.raises(AttributeError, match="immutable"):
        pair._private_key = PrivateKey(bytes(32))
    with pytest.raises(AttributeError, match="immutable"):
        del pair._private_key
    with pytest.raises(AttributeError):
        pair.__dict__  # slots: no instance dictionary to poke at


# --- contexts ----------------------------------------------------------------------------------


def test_context_encoding_known_answer() -> None:
    assert CONTEXT.to_bytes() == KAT_CONTEXT_BYTES
    assert CONTEXT.to_bytes() == encode(PROTOCOL, "ceremony-share/1", "demo-2025", 1, 2)


contexts = st.builds(
    ShareContext,
    election_id=st.text(min_size=1, max_size=8),
    sender_index=st.integers(min_value=0, max_value=300),
    recipient_index=st.integers(min_value=0, max_value=300),
)


@settings(max_examples=200, deadline=None)
@given(first=contexts, second=contexts)
def test_context_encodings_are_prefix_free(first: ShareContext, second: ShareContext) -> None:
    # open_share relies on this: a plaintext cannot start with two different contexts.
    if first != second:
        assert not second.to_bytes().startswith(first.to_bytes())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("", 1, 2), "election_id must be a non-empty str"),
        ((b"demo", 1, 2), "election_id must be a non-empty str"),
        (("demo", -1, 2), "sender_index must be an int >= 0"),
        (("demo", True, 2), "sender_index must be an int >= 0"),
        (("demo", 1, 2.0), "recipient_index must be an int >= 0"),
        (("demo", 1, "2"), "recipient_index must be an int >= 0"),
    ],
)
def test_bad_context_is_refused(arguments: tuple[object, object, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ShareContext(*arguments)  # type: ignore[arg-type]


# --- sealing and opening -----------------------------------------------------------------------


def test_round_trip() -> None:
    sealed = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    assert open_share(BOB, ALICE.public, CONTEXT, sealed) == SHARE


@settings(max_examples=25, deadline=None)
@given(share=st.binary(min_size=1, max_size=2000), context=contexts)
def test_round_trip_any_share(share: bytes, context: ShareContext) -> None:
    sealed = seal_share(ALICE, BOB.public, context, share)
    assert open_share(BOB, ALICE.public, context, sealed) == share


def test_fresh_nonce_each_time() -> None:
    first = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    second = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    assert first[1:25] != second[1:25]
    assert first != second


def test_known_answer() -> None:
    sealed = transport._seal_share_with(ALICE, BOB.public, CONTEXT, SHARE, nonce=KAT_NONCE)
    assert sealed == KAT_SEALED
    assert open_share(BOB, ALICE.public, CONTEXT, KAT_SEALED) == SHARE


def test_layout_is_version_nonce_box() -> None:
    # Opened with a bare NaCl box, the plaintext is the context's encoding, then the share.
    assert KAT_SEALED[0] == 0x01
    assert KAT_SEALED[1:25] == KAT_NONCE
    assert len(KAT_SEALED) == 1 + 24 + 16 + len(KAT_CONTEXT_BYTES) + len(SHARE)
    bare = Box(PrivateKey(BOB.private_bytes()), PublicKey(ALICE.public))
    assert bare.decrypt(KAT_SEALED[25:], KAT_NONCE) == KAT_CONTEXT_BYTES + SHARE


def test_wrong_recipient() -> None:
    sealed = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    with pytest.raises(InvalidShare, match="wrong keys or tampered ciphertext"):
        open_share(CAROL, ALICE.public, CONTEXT, sealed)


def test_wrong_sender() -> None:
    sealed = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    with pytest.raises(InvalidShare, match="wrong keys or tampered ciphertext"):
        open_share(BOB, CAROL.public, CONTEXT, sealed)


def test_forged_by_a_third_trustee() -> None:
    # Carol cannot make a box that Bob would take for Alice's.
    forged = seal_share(CAROL, BOB.public, CONTEXT, b"bad share")
    with pytest.raises(InvalidShare, match="wrong keys"):
        open_share(BOB, ALICE.public, CONTEXT, forged)


@pytest.mark.parametrize(
    "other",
    [
        ShareContext("demo-2026", 1, 2),
        ShareContext("demo-2025", 3, 2),
        ShareContext("demo-2025", 1, 3),
        ShareContext("demo-2025", 2, 1),
    ],
)
def test_wrong_context(other: ShareContext) -> None:
    sealed = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    with pytest.raises(InvalidShare, match="sealed for another election or pair of trustees") as e:
        open_share(BOB, ALICE.public, other, sealed)
    assert other.describe() in str(e.value)


def test_reflection_to_the_sender_is_refused() -> None:
    # A box from Alice to Bob opens under Alice's keys too (one key per pair), so only the
    # context stops it from passing as Bob's share for Alice.
    sealed = seal_share(ALICE, BOB.public, CONTEXT, SHARE)
    reflected = ShareContext("demo-2025", 2, 1)
    with pytest.raises(InvalidShare, match="sealed for another"):
        open_share(ALICE, BOB.public, reflected, sealed)


def _flip_each_byte(raw: bytes) -> Iterator[tuple[int, bytes]]:
    for position in range(len(raw)):
        yield position, raw[:position] + bytes([raw[position] ^ 0x01]) + raw[position + 1 :]


def test_every_byte_tampered_is_refused() -> None:
    for position, mutated in _flip_each_byte(KAT_SEALED):
        expected = "unknown sealed-share version" if position == 0 else "wrong keys or tampered"
        with pytest.raises(InvalidShare, match=expected):
            open_share(BOB, ALICE.public, CONTEXT, mutated)


def test_truncated_or_extended_is_refused() -> None:
    for length in range(len(KAT_SEALED)):
        with pytest.raises(InvalidShare):
            open_share(BOB, ALICE.public, CONTEXT, KAT_SEALED[:length])
    with pytest.raises(InvalidShare, match="wrong keys or tampered"):
        open_share(BOB, ALICE.public, CONTEXT, KAT_SEALED + b"\x00")


def test_errors_name_the_context() -> None:
    with pytest.raises(InvalidShare) as caught:
        open_share(BOB, ALICE.public, CONTEXT, b"\x01" + bytes(60))
    message = str(caught.value)
    assert "from trustee 1 to trustee 2 in election 'demo-2025'" in message
    assert isinstance(caught.value, CeremonyError)


def test_authenticated_but_empty_share_is_refused() -> None:
    # Only another implementation could send this; evote refuses to seal an empty share.
    box = Box(PrivateKey(ALICE.private_bytes()), PublicKey(BOB.public))
    sealed = b"\x01" + bytes(box.encrypt(CONTEXT.to_bytes(), KAT_NONCE))
    with pytest.raises(InvalidShare, match="the share is empty"):
        open_share(BOB, ALICE.public, CONTEXT, sealed)


# Deliberately ill-typed arguments, hidden from the type checker as Any.
_TEXT: Any = "text"
_RAW_CONTEXT: Any = b"ctx"
_RAW_ALICE: Any = ALICE.private_bytes()
_RAW_BOB: Any = BOB.private_bytes()
_HEX_SEALED: Any = KAT_SEALED.hex()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: seal_share(ALICE, BOB.public, CONTEXT, b""), "is empty"),
        (lambda: seal_share(ALICE, BOB.public, CONTEXT, _TEXT), "share must be bytes"),
        (lambda: seal_share(ALICE, BOB.public, _RAW_CONTEXT, SHARE), "context must be a Share"),
        (lambda: seal_share(_RAW_ALICE, BOB.public, CONTEXT, SHARE), "sender must be"),
        (lambda: open_share(BOB, ALICE.public, CONTEXT, _HEX_SEALED), "sealed share must"),
        (lambda: open_share(BOB, ALICE.public, _RAW_CONTEXT, KAT_SEALED), "context must be"),
        (lambda: open_share(_RAW_BOB, ALICE.public, CONTEXT, KAT_SEALED), "recipient must be"),
    ],
)
def test_bad_arguments_are_refused(call: Callable[[], bytes], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()
