"""The two prime-order groups of evote, behind one interface (docs/spec.md section 3).

* :data:`ED25519`: the prime-order subgroup of Curve25519 in Edwards form (RFC 8032 section 5.1,
  RFC 7748), through libsodium's point API in PyNaCl. Order
  L = 2^252 + 27742317777372353535851937790883648493.
* :data:`MODP4096`: the order-q subgroup of Z_p^* with the ElectionGuard 2.0 standard baseline
  parameters (ElectionGuard Design Specification 2.0, section 3.1.1): a 4096-bit prime p,
  q = 2^256 - 189, and the generator g given there, through gmpy2.

A group is always passed explicitly; there is no global or environment switch, and no
parameters are ever read from a file: :func:`group_by_name` knows exactly these two.

Elements that come from outside enter through :meth:`Group.decode` or
:meth:`Group.decode_many`, which validate them; an :class:`Element` object is therefore always
a member of its group, and nothing inside evote checks it again. Decoding refuses the identity
(it is of small order on Curve25519, and no honest protocol value is the identity except with
negligible probability); computations may still produce it, and it is handled explicitly.

Exponentiations come in two kinds:

* with a *public* exponent (challenges, responses, weights, verification): the fastest path;
* with a *secret* exponent (key shares, credential secrets, nonces of proofs about them):
  :meth:`Group.exp_secret` and :meth:`Group.base_exp_secret`, which go through constant-time
  code (libsodium's scalar multiplication, ``gmpy2.powmod_sec``);
* with an exponent that depends on the vote (a choice m, or the term (m - j)·c of a range
  proof): :meth:`Group.mul_base_exp`, which runs the same group operations for every value,
  0 included (docs/spec.md section 4.1).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, Final

import gmpy2
import nacl.bindings as sodium
from gmpy2 import mpz

from evote.crypto.hashing import Purpose, digest
from evote.errors import (
    InvalidGroupElement,
    InvalidInput,
    InvalidScalar,
    UnsafeDependency,
    not_one_of,
)

#: The default offset of :meth:`Group.mul_base_exp`: every 8-bit digit is 0x80, so that
#: R + m keeps the 32 nonzero digits of a full-size exponent for every small m (0 <= m < 128),
#: and the modp4096 comb does the same 32 multiplications for each (docs/spec.md section 4.1).
EXPONENT_OFFSET: Final = int("80" * 32, 16)


class Element:
    """An element of a :class:`Group`, known to be a valid member.

    Build elements only through the group (``decode``, ``generator``, arithmetic); the
    constructor trusts its ``value``.
    """

    __slots__ = ("group", "value")

    group: Group
    value: Any  # bytes (ed25519) or mpz (modp): the group's internal representation

    def __init__(self, group: Group, value: Any) -> None:
        object.__setattr__(self, "group", group)
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("group elements are immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (process pools) rebuilds the element in the receiving process's group.
        return (Element, (self.group, self.value))

    def __mul__(self, other: Element) -> Element:
        return self.group.mul(self, other)

    def __truediv__(self, other: Element) -> Element:
        return self.group.div(self, other)

    def __pow__(self, exponent: int) -> Element:
        return self.group.exp(self, exponent)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Element) and other.group is self.group and other.value == self.value
        )

    def __hash__(self) -> int:
        return hash((self.group.name, self.to_bytes()))

    def __repr__(self) -> str:
        return f"Element({self.group.name}, {self.to_bytes().hex()[:16]}...)"

    def to_bytes(self) -> bytes:
        """The canonical encoding (what is hashed, signed and published)."""
        return self.group.encode(self)


class FixedBase(ABC):
    """Precomputation for repeated exponentiations of one long-lived base (g, the election key)."""

    def __init__(self, base: Element) -> None:
        self.base = base

    @abstractmethod
    def exp(self, exponent: int) -> Element:
        """``base ** exponent`` for a public or ephemeral exponent, reduced modulo the order."""


class Group(ABC):
    """A cyclic group of prime order, written multiplicatively (Belenios' GROUP signature)."""

    name: str
    order: int
    element_size: int

    _generator: Element
    _identity: Element

    @property
    def generator(self) -> Element:
        """The standard generator g."""
        return self._generator

    @property
    def identity(self) -> Element:
        """The neutral element (never accepted by :meth:`decode`)."""
        return self._identity

    # -- encoding -------------------------------------------------------------------------

    @abstractmethod
    def encode(self, element: Element) -> bytes:
        """The canonical, fixed-length encoding of ``element``."""

    @abstractmethod
    def decode(self, data: bytes, where: str = "element") -> Element:
        """Validate and decode one element from outside (InvalidGroupElement names ``where``)."""

    def decode_many(self, data: Sequence[bytes], where: str = "element") -> list[Element]:
        """Validate and decode many elements; a group may check their membership in one batch."""
        return [self.decode(item, f"{where}[{index}]") for index, item in enumerate(data)]

    def decode_many_or_identity(
        self, data: Sequence[bytes], where: str = "element"
    ) -> list[Element]:
        """Like :meth:`decode_many`, but the identity's canonical encoding is accepted.

        Only for values where the identity is honest: the aggregates of an election in which
        no ballot was counted, and the decryption shares of those aggregates.
        """
        identity = self.encode(self.identity)
        others = [item for item in data if item != identity]
        try:
            decoded = iter(self.decode_many(others, where))
        except InvalidGroupElement:
            for index, item in enumerate(data):
                if item != identity:
                    self.decode(item, f"{where}[{index}]")
            raise
        return [self.identity if item == identity else next(decoded) for item in data]

    # -- arithmetic ---------------------------------------------------------------------

    def _check(self, element: Element) -> None:
        if element.group is not self:
            raise InvalidGroupElement(f"element of {element.group.name} used in {self.name}")

    @abstractmethod
    def mul(self, a: Element, b: Element) -> Element:
        """a · b."""

    @abstractmethod
    def div(self, a: Element, b: Element) -> Element:
        """a · b^-1."""

    @abstractmethod
    def exp(self, base: Element, exponent: int) -> Element:
        """base^exponent for a public exponent (any integer, reduced modulo the order)."""

    @abstractmethod
    def exp_secret(self, base: Element, exponent: int) -> Element:
        """base^exponent through a constant-time path: for secret exponents."""

    def inverse(self, a: Element) -> Element:
        """a^-1."""
        return self.div(self.identity, a)

    def base_exp(self, exponent: int) -> Element:
        """g^exponent through the generator's fixed-base table."""
        return self.fixed_base(self.generator).exp(exponent)

    def base_exp_secret(self, exponent: int) -> Element:
        """g^exponent through a constant-time path: for secret exponents."""
        return self.exp_secret(self.generator, exponent)

    def mul_base_exp(
        self, element: Element, exponent: int, offset: int = EXPONENT_OFFSET
    ) -> Element:
        """element · g^exponent by the same group operations whatever the exponent, 0 included.

        For an exponent that depends on the vote (docs/spec.md section 4.1): a voter's choice
        m in 0..M, or (m - j) · c in a range proof, which is 0 in the real branch. Computed as
        (element · g^(exponent + offset)) · g^-offset with a fixed public offset: the fixed-base
        exponentiation never sees a zero scalar (libsodium refuses 0, and a shortcut for 0
        or for the identity would show the choice in the time taken), and neither
        multiplication has the identity as an operand, except with negligible probability.
        The result is the same element, hence the same bytes, as
        ``element * base_exp(exponent)``.

        The offset sets what the modp4096 comb sees (it multiplies once per nonzero 8-bit
        digit): :data:`EXPONENT_OFFSET` makes exponent + offset full-size, 32 nonzero digits
        for 0 <= exponent < 128, the cost of a random exponent (the real branch of a range
        proof against the simulated ones); an offset of 1 makes a small choice m cost one
        multiplication for every 0 <= m < 255 (the ciphertexts).
        """
        shifted = self.mul(element, self.base_exp(exponent + offset))
        return self.mul(shifted, self._base_exp_negated(offset))

    def _base_exp_negated(self, offset: int) -> Element:
        """g^-offset for :meth:`mul_base_exp`, computed once per group and offset."""
        cache: dict[int, Element] = self.__dict__.setdefault("_negated_offsets", {})
        if offset not in cache:
            cache[offset] = self.base_exp(-offset)
        return cache[offset]

    def exp2(self, base1: Element, exp1: int, base2: Element, exp2: int) -> Element:
        """base1^exp1 · base2^exp2 (public exponents), the verifier's workhorse."""
        return self.mul(self.exp(base1, exp1), self.exp(base2, exp2))

    def powers(self, base: Element, exponents: Sequence[int]) -> list[Element]:
        """[base^e for e in exponents] (public exponents); a group may share work between them."""
        return [self.exp(base, e) for e in exponents]

    def product(self, elements: Iterable[Element]) -> Element:
        """The product of ``elements`` (the identity for none)."""
        result = self.identity
        for element in elements:
            result = self.mul(result, element)
        return result

    @abstractmethod
    def fixed_base(self, base: Element) -> FixedBase:
        """A precomputed table for ``base``, cached for the generator and recent bases."""

    # -- scalars ------------------------------------------------------------------------

    def random_scalar(self) -> int:
        """A uniform scalar in [1, order), from the operating system's CSPRNG."""
        return 1 + secrets.randbelow(self.order - 1)

    def check_scalar(self, value: object, where: str = "scalar") -> int:
        """Return ``value`` if it is an int in [0, order), else raise InvalidScalar."""
        if type(value) is not int:
            raise InvalidScalar(f"{where}: expected an integer, got {type(value).__name__}")
        if not 0 <= value < self.order:
            raise InvalidScalar(f"{where}: scalar out of range [0, order of {self.name})")
        return value

    def scalar_from_bytes(self, data: bytes, where: str = "scalar") -> int:
        """Decode a canonical 32-byte big-endian scalar, refusing values >= the order."""
        if len(data) != 32:
            raise InvalidScalar(f"{where}: a scalar is 32 bytes, got {len(data)}")
        return self.check_scalar(int.from_bytes(data, "big"), where)

    @staticmethod
    def scalar_to_bytes(value: int) -> bytes:
        """The canonical 32-byte big-endian encoding of a scalar."""
        return value.to_bytes(32, "big")

    def hash_to_scalar(self, purpose: Purpose, *items: Any) -> int:
        """A scalar in [0, order) from a 512-bit digest (bias below 2^-250)."""
        return int.from_bytes(digest(purpose, self.name, *items), "big") % self.order

    @abstractmethod
    def hash_to_element(self, purpose: Purpose, *items: Any) -> Element:
        """An element whose discrete logarithm nobody knows: for extra generators."""

    def __repr__(self) -> str:
        return f"Group({self.name})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A group pickles as its name, so that a process pool shares the one instance per
        # process (elements compare their group by identity) and never ships its tables.
        return (group_by_name, (self.name,))


# ---------------------------------------------------------------------------------------------
# Ed25519


class _Ed25519FixedBase(FixedBase):
    """libsodium offers no table for arbitrary points: a variable-base multiplication is used."""

    def exp(self, exponent: int) -> Element:
        return self.base.group.exp(self.base, exponent)


class _Ed25519BaseTable(FixedBase):
    """The base point goes through libsodium's constant-time, precomputed base multiplication."""

    def exp(self, exponent: int) -> Element:
        group = self.base.group
        scalar = exponent % group.order
        if scalar == 0:
            return group.identity
        return Element(group, sodium.crypto_scalarmult_ed25519_base_noclamp(_le32(scalar)))


def _le32(scalar: int) -> bytes:
    return scalar.to_bytes(32, "little")


# Points that a sound point check must refuse (docs/spec.md section 3.1): a point of order 8,
# and B + T with T that point (a mixed-order point, on the curve but outside the prime-order
# subgroup: the kind that CVE-2025-69277 let through).
_SMALL_ORDER_POINT: Final = bytes.fromhex(
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
)
_MIXED_ORDER_POINT: Final = bytes.fromhex(
    "98519eadf35b995233b51b5cd23e9cc5a28b639b5a4af0ec903cb960d81b7819"
)


class Ed25519Group(Group):
    """The prime-order subgroup of edwards25519 through libsodium (RFC 8032, RFC 7748).

    libsodium >= 1.0.20-stable (PyNaCl >= 1.6.2) is required: older releases accepted some
    mixed-order points in ``crypto_core_ed25519_is_valid_point`` (CVE-2025-69277). The first
    element decoded in a process runs a self-test of that check (:meth:`_check_point_check`):
    a version number says little about the library actually loaded, or how it was built.
    """

    name = "ed25519"
    order = 2**252 + 27742317777372353535851937790883648493
    element_size = 32
    _IDENTITY_BYTES: Final = bytes([1]) + bytes(31)

    def __init__(self) -> None:
        self._generator = Element(self, sodium.crypto_scalarmult_ed25519_base_noclamp(_le32(1)))
        self._identity = Element(self, self._IDENTITY_BYTES)
        self._base_table = _Ed25519BaseTable(self._generator)
        self._point_check_tested = False

    def _check_point_check(self) -> None:
        """Refuse to run on a libsodium whose point check accepts a small- or mixed-order point.

        Run once per process, at the first decode (two point checks, well under a millisecond);
        a race only runs it twice. Raises UnsafeDependency.
        """
        for kind, point in (
            ("small-order", _SMALL_ORDER_POINT),
            ("mixed-order", _MIXED_ORDER_POINT),
        ):
            if sodium.crypto_core_ed25519_is_valid_point(point):
                raise UnsafeDependency(
                    f"ed25519: the libsodium loaded by PyNaCl accepts a {kind} point as a member"
                    " of the prime-order subgroup (CVE-2025-69277): evote refuses to run on it;"
                    " install PyNaCl >= 1.6.2 built with a fixed libsodium (>= 1.0.20-stable)"
                )
        self._point_check_tested = True

    def encode(self, element: Element) -> bytes:
        return bytes(element.value)

    def decode(self, data: bytes, where: str = "element") -> Element:
        if not self._point_check_tested:
            self._check_point_check()
        if not isinstance(data, bytes) or len(data) != 32:
            raise InvalidGroupElement(f"{where}: an ed25519 element is 32 bytes")
        # is_valid_point refuses non-canonical encodings, points off the curve, points of small
        # order (the identity among them) and points outside the prime-order subgroup.
        if not sodium.crypto_core_ed25519_is_valid_point(data):
            raise InvalidGroupElement(f"{where}: not a point of the prime-order ed25519 subgroup")
        return Element(self, data)

    def mul(self, a: Element, b: Element) -> Element:
        self._check(a)
        self._check(b)
        return Element(self, sodium.crypto_core_ed25519_add(a.value, b.value))

    def div(self, a: Element, b: Element) -> Element:
        self._check(a)
        self._check(b)
        return Element(self, sodium.crypto_core_ed25519_sub(a.value, b.value))

    def exp(self, base: Element, exponent: int) -> Element:
        self._check(base)
        scalar = exponent % self.order
        # libsodium refuses the identity as input and as output: both are handled here.
        if scalar == 0 or base.value == self._IDENTITY_BYTES:
            return self._identity
        if base.value == self._generator.value:
            return self._base_table.exp(scalar)
        return Element(self, sodium.crypto_scalarmult_ed25519_noclamp(_le32(scalar), base.value))

    def exp_secret(self, base: Element, exponent: int) -> Element:
        # libsodium's scalar multiplication is constant-time in the scalar.
        return self.exp(base, exponent)

    def fixed_base(self, base: Element) -> FixedBase:
        self._check(base)
        if base.value == self._generator.value:
            return self._base_table
        return _Ed25519FixedBase(base)

    def hash_to_element(self, purpose: Purpose, *items: Any) -> Element:
        # Elligator 2 with cofactor clearing (libsodium's from_uniform): the result is in the
        # prime-order subgroup and its discrete logarithm is unknown.
        uniform = digest(purpose, self.name, *items)[:32]
        return self.decode(sodium.crypto_core_ed25519_from_uniform(uniform), "hashed element")


# ---------------------------------------------------------------------------------------------
# modp4096

_P_HEX = (
    "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"
    "B17217F7 D1CF79AB C9E3B398 03F2F6AF 40F34326 7298B62D 8A0D175B 8BAAFA2B"
    "E7B87620 6DEBAC98 559552FB 4AFA1B10 ED2EAE35 C1382144 27573B29 1169B825"
    "3E96CA16 224AE8C5 1ACBDA11 317C387E B9EA9BC3 B136603B 256FA0EC 7657F74B"
    "72CE87B1 9D6548CA F5DFA6BD 38303248 655FA187 2F20E3A2 DA2D97C5 0F3FD5C6"
    "07F4CA11 FB5BFB90 610D30F8 8FE551A2 EE569D6D FC1EFA15 7D2E23DE 1400B396"
    "17460775 DB8990E5 C943E732 B479CD33 CCCC4E65 9393514C 4C1A1E0B D1D6095D"
    "25669B33 3564A337 6A9C7F8A 5E148E82 074DB601 5CFE7AA3 0C480A54 17350D2C"
    "955D5179 B1E17B9D AE313CDB 6C606CB1 078F735D 1B2DB31B 5F50B518 5064C18B"
    "4D162DB3 B365853D 7598A195 1AE273EE 5570B6C6 8F969834 96D4E6D3 30AF889B"
    "44A02554 731CDC8E A17293D1 228A4EF9 8D6F5177 FBCF0755 268A5C1F 9538B982"
    "61AFFD44 6B1CA3CF 5E9222B8 8C66D3C5 422183ED C9942109 0BBB16FA F3D949F2"
    "36E02B20 CEE886B9 05C128D5 3D0BD2F9 62136319 6AF50302 0060E499 08391A0C"
    "57339BA2 BEBA7D05 2AC5B61C C4E9207C EF2F0CE2 D7373958 D7622658 90445744"
    "FB5F2DA4 B7510058 92D35689 0DEFE9CA D9B9D4B7 13E06162 A2D8FDD0 DF2FD608"
    "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"
)
_G_HEX = (
    "36036FED 214F3B50 DC566D3A 312FE413 1FEE1C2B CE6D02EA 39B477AC 05F7F885"
    "F38CFE77 A7E45ACF 4029114C 4D7A9BFE 058BF2F9 95D2479D 3DDA618F FD910D3C"
    "4236AB2C FDD783A5 016F7465 CF59BBF4 5D24A22F 130F2D04 FE93B2D5 8BB9C1D1"
    "D27FC9A1 7D2AF49A 779F3FFB DCA22900 C14202EE 6C996160 34BE35CB CDD3E7BB"
    "7996ADFE 534B63CC A41E21FF 5DC778EB B1B86C53 BFBE9998 7D7AEA07 56237FB4"
    "0922139F 90A62F2A A8D9AD34 DFF799E3 3C857A64 68D001AC F3B681DB 87DC4242"
    "755E2AC5 A5027DB8 1984F033 C4D17837 1F273DBB 4FCEA1E6 28C23E52 759BC776"
    "5728035C EA26B44C 49A65666 889820A4 5C33DD37 EA4A1D00 CB62305C D541BE1E"
    "8A92685A 07012B1A 20A746C3 591A2DB3 815000D2 AACCFE43 DC49E828 C1ED7387"
    "466AFD8E 4BF19355 93B2A442 EEC271C5 0AD39F73 3797A1EA 11802A25 57916534"
    "662A6B7E 9A9E449A 24C8CFF8 09E79A4D 806EB681 119330E6 C57985E3 9B200B48"
    "93639FDF DEA49F76 AD1ACD99 7EBA1365 7541E79E C57437E5 04EDA9DD 01106151"
    "6C643FB3 0D6D58AF CCD28B73 FEDA29EC 12B01A5E B86399A5 93A9D5F4 50DE39CB"
    "92962C5E C6925348 DB54D128 FD99C14B 457F883E C20112A7 5A6A0581 D3D80A3B"
    "4EF09EC8 6F9552FF DA1653F1 33AA2534 983A6F31 B0EE4697 935A6B1E A2F75B85"
    "E7EBA151 BA486094 D68722B0 54633FEC 51CA3F29 B31E77E3 17B178B6 B9D8AE0F"
)

MODP_P: Final = int(_P_HEX.replace(" ", ""), 16)
MODP_Q: Final = 2**256 - 189
MODP_G: Final = int(_G_HEX.replace(" ", ""), 16)
MODP_COFACTOR: Final = (MODP_P - 1) // MODP_Q

# Width of the fixed-base comb: 32 rows of 255 entries for a 256-bit exponent, so that g^k costs
# at most 32 modular multiplications (about 0.1 ms, against 1 ms for gmpy2.powmod).
_WINDOW_BITS: Final = 8
# Weights of the batch membership test: 128 bits bound the chance of a wrong batch passing.
_BATCH_WEIGHT_BITS: Final = 128


class _ModpFixedBase(FixedBase):
    """A comb of precomputed powers: row i holds base^(d · 2^(8i)) for every digit d."""

    def __init__(self, base: Element) -> None:
        super().__init__(base)
        group = base.group
        p = mpz(MODP_P)
        rows: list[list[Any]] = []
        row_base = mpz(base.value)
        for _ in range((group.order.bit_length() + _WINDOW_BITS - 1) // _WINDOW_BITS):
            row = [mpz(1), row_base]
            for _ in range(2, 1 << _WINDOW_BITS):
                row.append(row[-1] * row_base % p)
            rows.append(row)
            row_base = row[-1] * row_base % p
        self._rows = rows
        self._p = p

    def exp(self, exponent: int) -> Element:
        group = self.base.group
        k = exponent % group.order
        p = self._p
        acc = mpz(1)
        mask = (1 << _WINDOW_BITS) - 1
        for row in self._rows:
            digit = k & mask
            if digit:
                acc = acc * row[digit] % p
            k >>= _WINDOW_BITS
        return Element(group, acc)


class ModpGroup(Group):
    """The order-q subgroup of Z_p^* (ElectionGuard 2.0 standard parameters, section 3.1.1).

    p - 1 = q · r with r = 2 · r' and r' prime, which makes the batch membership test of
    :meth:`decode_many` sound: see its docstring.
    """

    name = "modp4096"
    order = MODP_Q
    element_size = 512

    def __init__(self) -> None:
        self._p = mpz(MODP_P)
        self._generator = Element(self, mpz(MODP_G))
        self._identity = Element(self, mpz(1))
        self._tables: dict[int, _ModpFixedBase] = {}

    def encode(self, element: Element) -> bytes:
        return int(element.value).to_bytes(self.element_size, "big")

    def _parse(self, data: bytes, where: str) -> Any:
        if not isinstance(data, bytes) or len(data) != self.element_size:
            raise InvalidGroupElement(f"{where}: a modp4096 element is 512 bytes")
        value = mpz(int.from_bytes(data, "big"))
        if not 1 < value < self._p:
            raise InvalidGroupElement(f"{where}: value outside (1, p)")
        return value

    def decode(self, data: bytes, where: str = "element") -> Element:
        value = self._parse(data, where)
        if gmpy2.powmod(value, MODP_Q, self._p) != 1:
            raise InvalidGroupElement(f"{where}: not in the order-q subgroup of Z_p^*")
        return Element(self, value)

    def decode_many(self, data: Sequence[bytes], where: str = "element") -> list[Element]:
        """Decode many elements with one subgroup test (a random-weight batch test).

        Z_p^* is the product of subgroups of orders 2, q and r' (all prime). Each value must have
        Jacobi symbol 1, which rules out the order-2 component; then (prod x_i^{e_i})^q = 1 for
        random odd 128-bit e_i fails, for any value with an order-r' component, except with
        probability at most 2^-127 (Bellare, Garay, Rabin, "Fast batch verification for modular
        exponentiation and digital signatures", EUROCRYPT 1998, the small-exponents test; it is
        sound here because every prime factor of p - 1 other than 2 is larger than 2^128).
        A failing batch is re-checked one by one to name the bad element.
        """
        if len(data) < 3:
            return super().decode_many(data, where)
        values = [self._parse(item, f"{where}[{index}]") for index, item in enumerate(data)]
        p = self._p
        for index, value in enumerate(values):
            if gmpy2.jacobi(value, p) != 1:
                raise InvalidGroupElement(f"{where}[{index}]: not a quadratic residue modulo p")
        weights = [secrets.randbits(_BATCH_WEIGHT_BITS) | 1 for _ in values]
        combined = _multi_exp_mod(values, weights, p)
        if gmpy2.powmod(combined, MODP_Q, p) != 1:
            return super().decode_many(data, where)  # raises, naming the first bad element
        return [Element(self, value) for value in values]

    def mul(self, a: Element, b: Element) -> Element:
        self._check(a)
        self._check(b)
        return Element(self, a.value * b.value % self._p)

    def div(self, a: Element, b: Element) -> Element:
        self._check(a)
        self._check(b)
        return Element(self, a.value * gmpy2.invert(b.value, self._p) % self._p)

    def inverse(self, a: Element) -> Element:
        self._check(a)
        return Element(self, gmpy2.invert(a.value, self._p))

    def exp(self, base: Element, exponent: int) -> Element:
        self._check(base)
        table = self._tables.get(id(base.value))
        if table is not None and table.base == base:
            return table.exp(exponent)
        return Element(self, gmpy2.powmod(base.value, exponent % MODP_Q, self._p))

    def exp_secret(self, base: Element, exponent: int) -> Element:
        self._check(base)
        scalar = exponent % MODP_Q
        if scalar == 0:
            return self._identity
        return Element(self, gmpy2.powmod_sec(base.value, scalar, self._p))

    def exp2(self, base1: Element, exp1: int, base2: Element, exp2: int) -> Element:
        self._check(base1)
        self._check(base2)
        table = self._tables.get(id(base1.value))
        if table is not None and table.base == base1:
            first = table.exp(exp1).value
            second = gmpy2.powmod(base2.value, exp2 % MODP_Q, self._p)
            return Element(self, first * second % self._p)
        return Element(
            self,
            _multi_exp_mod([base1.value, base2.value], [exp1 % MODP_Q, exp2 % MODP_Q], self._p),
        )

    def powers(self, base: Element, exponents: Sequence[int]) -> list[Element]:
        """base^e for several e, sharing the 256 squarings (Yao's method, 4-bit digits).

        Yao, "On the evaluation of powers", SIAM J. Comput. 5(1), 1976; Menezes, van Oorschot,
        Vanstone, Handbook of Applied Cryptography, algorithm 14.109. Two exponents cost about
        256 squarings and 180 multiplications, against 2 x 300 for two powmods.
        """
        self._check(base)
        if len(exponents) < 2:
            return [self.exp(base, e) for e in exponents]
        p = self._p
        chain = []
        y = base.value
        for _ in range(64):
            chain.append(y)
            y = y * y % p
            y = y * y % p
            y = y * y % p
            y = y * y % p
        results = []
        for exponent in exponents:
            k = exponent % MODP_Q
            buckets: list[Any] = [None] * 16
            for power in chain:
                digit = k & 15
                if digit:
                    bucket = buckets[digit]
                    buckets[digit] = power if bucket is None else bucket * power % p
                k >>= 4
            acc = None
            total = mpz(1)
            for digit in range(15, 0, -1):
                bucket = buckets[digit]
                if bucket is not None:
                    acc = bucket if acc is None else acc * bucket % p
                if acc is not None:
                    total = total * acc % p
            results.append(Element(self, total))
        return results

    def fixed_base(self, base: Element) -> FixedBase:
        self._check(base)
        table = self._tables.get(id(base.value))
        if table is None or table.base != base:
            table = _ModpFixedBase(base)
            # Keep the generator's table and a few recent ones (election keys); the id of the
            # value is stable while the element that holds it lives in the table.
            if len(self._tables) >= 8:
                for key in list(self._tables):
                    if self._tables[key].base is not self._generator:
                        del self._tables[key]
                        break
            self._tables[id(base.value)] = table
        return table

    def base_exp(self, exponent: int) -> Element:
        return self.fixed_base(self._generator).exp(exponent)

    def hash_to_element(self, purpose: Purpose, *items: Any) -> Element:
        # Hash to Z_p^* and raise to the cofactor r: the result lies in the order-q subgroup and
        # its discrete logarithm to base g is unknown (ElectionGuard 2.0 uses the same idea).
        counter = 0
        while True:
            wide = b"".join(
                digest(purpose, self.name, counter, block, *items) for block in range(9)
            )
            uniform = mpz(int.from_bytes(wide, "big")) % self._p
            candidate = gmpy2.powmod(uniform, MODP_COFACTOR, self._p)
            if candidate > 1:
                return Element(self, candidate)
            counter += 1


def _multi_exp_mod(bases: Sequence[Any], exponents: Sequence[int], p: Any) -> Any:
    """prod bases[i]^exponents[i] mod p by interleaved 4-bit windows (Straus' method).

    Straus, "Addition chains of vectors", Amer. Math. Monthly 71, 1964; HAC algorithm 14.88.
    The squarings are shared by all bases.
    """
    tables = []
    for base in bases:
        row = [mpz(1), base]
        for _ in range(2, 16):
            row.append(row[-1] * base % p)
        tables.append(row)
    width = max(e.bit_length() for e in exponents)
    windows = (width + 3) // 4
    acc = mpz(1)
    for window in range(windows - 1, -1, -1):
        if window != windows - 1:
            acc = acc * acc % p
            acc = acc * acc % p
            acc = acc * acc % p
            acc = acc * acc % p
        shift = 4 * window
        for row, exponent in zip(tables, exponents, strict=True):
            digit = (exponent >> shift) & 15
            if digit:
                acc = acc * row[digit] % p
    return acc


ED25519: Final = Ed25519Group()
MODP4096: Final = ModpGroup()

_GROUPS: Final[dict[str, Group]] = {ED25519.name: ED25519, MODP4096.name: MODP4096}
DEFAULT_GROUP: Final[Group] = ED25519


def group_by_name(name: object) -> Group:
    """The group called ``name``: only the two known groups exist, nothing else is accepted."""
    if not isinstance(name, str) or name not in _GROUPS:
        raise InvalidInput(f"unknown group: {not_one_of(name, sorted(_GROUPS))}")
    return _GROUPS[name]


def all_groups() -> tuple[Group, ...]:
    """Every group evote supports, for tests and benchmarks."""
    return tuple(_GROUPS.values())
