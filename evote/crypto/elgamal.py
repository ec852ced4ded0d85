"""Exponential ElGamal over a prime-order group (docs/spec.md section 4.1).

A message m is encrypted under the public key K = g^s with a nonce r as
(alpha, beta) = (g^r, g^m · K^r) (ElGamal, "A public key cryptosystem and a signature scheme
based on discrete logarithms", IEEE Trans. IT 31(4), 1985; the exponential variant of Cramer,
Gennaro, Schoenmakers, "A secure and optimally efficient multi-authority election scheme",
EUROCRYPT 1997). The product of two ciphertexts encrypts the sum of their messages; raising a
ciphertext to a public integer multiplies its message. Decryption yields g^m; the small m is
recovered by :mod:`evote.crypto.dlog`.

The public :func:`encrypt` draws its nonce from ``secrets``; :func:`encrypt_with_nonce` takes it,
for the prover (which must know every nonce) and for known-answer tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from evote.crypto.groups import Element, FixedBase, Group
from evote.errors import InvalidGroupElement, InvalidInput


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An ElGamal ciphertext (alpha, beta) = (g^r, g^m · K^r): public."""

    alpha: Element
    beta: Element

    def __mul__(self, other: Ciphertext) -> Ciphertext:
        """The homomorphic sum: it encrypts the sum of the two messages."""
        return Ciphertext(self.alpha * other.alpha, self.beta * other.beta)

    def scale(self, factor: int) -> Ciphertext:
        """The homomorphic product by a public integer (a weight, a cost)."""
        group = self.alpha.group
        return Ciphertext(group.exp(self.alpha, factor), group.exp(self.beta, factor))

    def elements(self) -> tuple[Element, Element]:
        return (self.alpha, self.beta)


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An election public key K = g^s, with its fixed-base table built on first use."""

    group: Group
    element: Element
    _table: list[FixedBase] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.element.group is not self.group:
            raise InvalidGroupElement("public key: element of another group")
        if self.element == self.group.identity:
            raise InvalidGroupElement("public key: the identity is not a valid key")

    def __reduce__(self) -> tuple[object, ...]:
        # Pickle (process pools) without the table: 4 MB on modp4096, rebuilt on first use.
        return (PublicKey, (self.group, self.element))

    @property
    def table(self) -> FixedBase:
        """The fixed-base table of K, shared by every encryption under this key."""
        if not self._table:
            self._table.append(self.group.fixed_base(self.element))
        return self._table[0]


@dataclass(frozen=True, slots=True)
class SecretKey:
    """A secret exponent s with K = g^s. Its repr never shows the secret."""

    group: Group
    scalar: int = field(repr=False)

    def public_key(self) -> PublicKey:
        return PublicKey(self.group, self.group.base_exp_secret(self.scalar))


@dataclass(frozen=True, slots=True)
class Encryption:
    """A ciphertext together with the secret nonce that made it: private to the encrypter."""

    ciphertext: Ciphertext
    nonce: int = field(repr=False)


def generate_keypair(group: Group) -> tuple[SecretKey, PublicKey]:
    """A fresh key pair (for tests and single-authority use; elections use the key ceremony)."""
    secret = SecretKey(group, group.random_scalar())
    return secret, secret.public_key()


def encrypt_with_nonce(key: PublicKey, message: int, nonce: int) -> Ciphertext:
    """(g^nonce, g^message · K^nonce), with every exponentiation on a fixed base.

    The message is a voter's choice: g^message goes through :meth:`Group.mul_base_exp`, so that
    the same group operations run for every message (docs/spec.md section 4.1); on modp4096
    the comb's multiplications are also the same for every message below 255.
    """
    group = key.group
    if not 0 <= nonce < group.order:
        raise InvalidInput("nonce out of range [0, order)")
    # Offset 1: g^(message + 1) · g^-1, one comb multiplication on modp4096 for every choice
    # below 255, and never a zero scalar for libsodium.
    masked = group.mul_base_exp(key.table.exp(nonce), message, offset=1)
    return Ciphertext(group.base_exp(nonce), masked)


def encrypt(key: PublicKey, message: int) -> Encryption:
    """Encrypt ``message`` with a fresh nonce from ``secrets``."""
    nonce = key.group.random_scalar()
    return Encryption(encrypt_with_nonce(key, message, nonce), nonce)


def decrypt_to_element(key: SecretKey, ciphertext: Ciphertext) -> Element:
    """g^m = beta / alpha^s (constant-time in s)."""
    return ciphertext.beta / key.group.exp_secret(ciphertext.alpha, key.scalar)


def homomorphic_sum(group: Group, ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The product of ``ciphertexts``: it encrypts the sum of their messages."""
    alpha, beta = group.identity, group.identity
    for ciphertext in ciphertexts:
        alpha = alpha * ciphertext.alpha
        beta = beta * ciphertext.beta
    return Ciphertext(alpha, beta)


def weighted_sum(group: Group, terms: Iterable[tuple[int, Ciphertext]]) -> Ciphertext:
    """prod ciphertext^weight: it encrypts sum(weight · message)."""
    return homomorphic_sum(group, (ciphertext.scale(weight) for weight, ciphertext in terms))


def decode_ciphertext(group: Group, alpha: bytes, beta: bytes, where: str) -> Ciphertext:
    """Validate and decode a ciphertext from outside."""
    return Ciphertext(group.decode(alpha, f"{where}.alpha"), group.decode(beta, f"{where}.beta"))
