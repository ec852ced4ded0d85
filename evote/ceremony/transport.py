"""Share transport: secret shares travel between trustees encrypted and authenticated.

Each trustee holds a transport key pair (X25519, RFC 7748). A share goes from trustee i to
trustee j in a NaCl box (``crypto_box_curve25519xsalsa20poly1305``: X25519, then XSalsa20 and
Poly1305 keyed from the shared secret; Bernstein, Lange, Schwabe, "The security impact of a new
cryptographic library", LATINCRYPT 2012; libsodium's "Authenticated encryption" page). Only
the holder of i's private key or of j's can make a box that opens under the pair (i, j): so j
knows that i sent it, which the ceremony's complaints rely on. A box does not prove that to a
third party (j could have made it too); a complaint is settled by i revealing the share.

The two directions of a pair share one key, and a box names neither the election nor the
trustees. So the plaintext starts with the injective encoding of a :class:`ShareContext`
(election id, sender index, recipient index), checked on opening: a share cannot be reflected
back to its sender, replayed to another trustee or carried into another election.

Sealed layout: version byte 0x01 || nonce (24 bytes) || box (16-byte Poly1305 tag || ciphertext
of ``context.to_bytes() || share``). Details in docs/spec.md section 8.6.

Nothing in this module knows about groups or polynomials: the share is opaque bytes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from typing import NoReturn

import nacl.exceptions
from nacl.bindings import crypto_scalarmult
from nacl.public import Box, PrivateKey, PublicKey

from evote.crypto.encoding import encode
from evote.crypto.hashing import PROTOCOL
from evote.errors import InvalidInput, InvalidShare

KEY_BYTES = 32
NONCE_BYTES = 24
MAC_BYTES = 16
SEALED_VERSION = 0x01
SHARE_LABEL = "ceremony-share/1"

# 2^255 - 19: u-coordinates are canonical below it (RFC 7748 section 5 accepts larger ones
# and reduces them; evote refuses them so that each key has one encoding).
_FIELD_PRIME = 2**255 - 19
# A fixed scalar for the low-order test: X25519 clamps it to 8 * (2^251 + 1), a multiple of
# the cofactor that is not a multiple of the subgroup order, so the product is the neutral
# (all-zero) point exactly when the input point has small order.
_PROBE_SCALAR = bytes([9]) + bytes(31)


@dataclass(frozen=True, slots=True)
class ShareContext:
    """Where a share belongs: the election and the trustees that send and receive it."""

    election_id: str
    sender_index: int
    recipient_index: int

    def __post_init__(self) -> None:
        if not isinstance(self.election_id, str) or not self.election_id:
            raise InvalidInput("share context: election_id must be a non-empty str")
        for name in ("sender_index", "recipient_index"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"share context: {name} must be an int >= 0, not {value!r}")

    def to_bytes(self) -> bytes:
        """The injective, prefix-free encoding that opens every plaintext (docs/spec.md 2)."""
        return encode(
            PROTOCOL, SHARE_LABEL, self.election_id, self.sender_index, self.recipient_index
        )

    def describe(self) -> str:
        """The context in words, for error messages."""
        return (
            f"the share from trustee {self.sender_index} to trustee {self.recipient_index}"
            f" in election {self.election_id!r}"
        )


class TransportKeyPair:
    """A trustee's X25519 transport key pair; the private half leaves only by private_bytes()."""

    __slots__ = ("_private_key",)

    _private_key: PrivateKey

    def __init__(self, private_key: bytes) -> None:
        if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != KEY_BYTES:
            raise InvalidInput(f"transport private key must be {KEY_BYTES} bytes")
        object.__setattr__(self, "_private_key", PrivateKey(bytes(private_key)))

    @classmethod
    def generate(cls) -> TransportKeyPair:
        """A fresh key pair (32 random bytes from :mod:`secrets`, clamped by X25519)."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_private_bytes(cls, private_key: bytes) -> TransportKeyPair:
        """The key pair whose private key :meth:`private_bytes` returned."""
        return cls(private_key)

    @property
    def public(self) -> bytes:
        """The 32-byte X25519 public key, to publish."""
        return bytes(self._private_key.public_key)

    def private_bytes(self) -> bytes:
        """The 32-byte private key: secret; store it only encrypted (see keyfile)."""
        return bytes(self._private_key)

    def __repr__(self) -> str:
        return f"TransportKeyPair(public={encode_public_key(self.public)!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("TransportKeyPair is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("TransportKeyPair is immutable")

    def __getstate__(self) -> NoReturn:
        # Pickling (and copying) would write the private key out by a side door.
        raise TypeError("a TransportKeyPair cannot be pickled; use private_bytes() explicitly")


def check_public_key(public: bytes, *, name: str = "transport public key") -> None:
    """Raise :class:`InvalidInput` unless ``public`` is a usable X25519 public key.

    It must be 32 bytes, canonical (top bit clear, u < 2^255 - 19) and not of small order
    (order 1, 2, 4 or 8, the all-zero key among them), whose shared secret an attacker knows.
    """
    if not isinstance(public, (bytes, bytearray)):
        raise InvalidInput(f"{name} must be bytes, not {type(public).__name__}")
    if len(public) != KEY_BYTES:
        raise InvalidInput(f"{name} has {len(public)} bytes, expected {KEY_BYTES}")
    if int.from_bytes(public, "little") >= _FIELD_PRIME:
        raise InvalidInput(f"{name} is not canonical (u >= 2^255 - 19 or top bit set)")
    try:
        product = bytes(crypto_scalarmult(_PROBE_SCALAR, bytes(public)))
    except nacl.exceptions.CryptoError:
        product = bytes(KEY_BYTES)  # libsodium refuses an all-zero result
    if product == bytes(KEY_BYTES):
        raise InvalidInput(f"{name} is a point of small order")


def encode_public_key(public: bytes) -> str:
    """A checked public key in standard base64 (44 characters), for the published record."""
    check_public_key(public)
    return base64.b64encode(public).decode("ascii")


def decode_public_key(text: str, *, name: str = "transport public key") -> bytes:
    """The public key that ``text`` encodes in canonical base64, checked (InvalidInput)."""
    if not isinstance(text, str):
        raise InvalidInput(f"{name} must be a base64 str, not {type(text).__name__}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{name} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise InvalidInput(f"{name} is not canonical base64")
    check_public_key(raw, name=name)
    return raw


def seal_share(
    sender: TransportKeyPair, recipient_public: bytes, context: ShareContext, share: bytes
) -> bytes:
    """Encrypt ``share`` from ``sender`` to the holder of ``recipient_public``, for ``context``."""
    return _seal_share_with(
        sender, recipient_public, context, share, nonce=secrets.token_bytes(NONCE_BYTES)
    )


def open_share(
    recipient: TransportKeyPair, sender_public: bytes, context: ShareContext, sealed: bytes
) -> bytes:
    """The share that the owner of ``sender_public`` sealed for ``recipient`` under ``context``.

    Raises :class:`InvalidShare` (naming the context) if the box does not open under this pair
    of keys or was sealed for another context, :class:`InvalidInput` on a bad public key.
    """
    _check_context(context)
    if not isinstance(recipient, TransportKeyPair):
        raise InvalidInput(f"recipient must be a TransportKeyPair, not {type(recipient).__name__}")
    check_public_key(sender_public, name="sender's transport public key")
    if not isinstance(sealed, (bytes, bytearray)):
        raise InvalidInput(f"sealed share must be bytes, not {type(sealed).__name__}")
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + MAC_BYTES:
        _refuse(context, f"it is {len(sealed)} bytes long, too short to be a sealed share")
    if sealed[0] != SEALED_VERSION:
        _refuse(context, f"unknown sealed-share version {sealed[0]}")
    box = Box(recipient._private_key, PublicKey(bytes(sender_public)))
    try:
        plaintext = bytes(box.decrypt(sealed[1 + NONCE_BYTES :], sealed[1 : 1 + NONCE_BYTES]))
    except nacl.exceptions.CryptoError:
        _refuse(context, "wrong keys or tampered ciphertext")
    expected = context.to_bytes()
    # The encoding is prefix-free: a plaintext that starts with this context's encoding was
    # sealed under this context and no other.
    if not hmac.compare_digest(plaintext[: len(expected)], expected):
        _refuse(context, "it was sealed for another election or pair of trustees")
    share = plaintext[len(expected) :]
    if not share:
        _refuse(context, "the share is empty")
    return share


def _seal_share_with(
    sender: TransportKeyPair,
    recipient_public: bytes,
    context: ShareContext,
    share: bytes,
    *,
    nonce: bytes,
) -> bytes:
    # The nonce is a parameter so that known-answer tests can pin it.
    _check_context(context)
    check_public_key(recipient_public, name="recipient's transport public key")
    if not isinstance(sender, TransportKeyPair):
        raise InvalidInput(f"sender must be a TransportKeyPair, not {type(sender).__name__}")
    if not isinstance(share, (bytes, bytearray)):
        raise InvalidInput(f"share must be bytes, not {type(share).__name__}")
    if not share:
        raise InvalidInput(f"{context.describe()} is empty")
    box = Box(sender._private_key, PublicKey(bytes(recipient_public)))
    boxed = bytes(box.encrypt(context.to_bytes() + bytes(share), nonce))
    # Box.encrypt returns nonce || tag || ciphertext.
    return bytes([SEALED_VERSION]) + boxed


def _check_context(context: ShareContext) -> None:
    if not isinstance(context, ShareContext):
        raise InvalidInput(f"context must be a ShareContext, not {type(context).__name__}")


def _refuse(context: ShareContext, reason: str) -> NoReturn:
    raise InvalidShare(f"cannot open {context.describe()}: {reason}")
