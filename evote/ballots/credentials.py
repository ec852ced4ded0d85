"""Eligibility credentials, after Belenios (docs/spec.md section 7).

A registrar gives every voter a *credential code*: 20 characters that can be printed on paper and
typed back, for example ``7KQ4M-9XH2A-0RT5V-BC3WD``. A KDF bound to the election and the group
turns the code into a secret scalar s; the voter's *public credential* is g^s. The registrar
publishes the sorted list of public credentials (no names), which the election fingerprint
binds; a ballot is accepted only if it is signed (:mod:`evote.ballots.signature`) by a
credential on that list. The registrar's mapping from voters to codes never reaches the board
and can be destroyed after the election.

Reference: Cortier, Gaudry, Glondu, "Belenios: a simple private and verifiable electronic
voting system", in Foundations of Security, Protocols, and Equational Reasoning, LNCS 11565,
2019, section 3 (credentials).

**Codes.** The alphabet is Crockford's base32 (https://www.crockford.com/base32.html): the
digits and the upper-case letters without I, L, O and U. Reading is forgiving as Crockford
specifies: case is ignored, O is read as 0, I and L as 1, and spaces and dashes are skipped.
A code is 19 random symbols (95 bits from :mod:`secrets`) and one check symbol, shown as four
groups of five.

**Check symbol.** Symbols are elements of GF(2^5) (GF(2)[x] modulo x^5 + x^2 + 1); a code
c_1 ... c_20 is valid when c_1·α^19 + c_2·α^18 + ... + c_20 = 0 with α = x. This is Damm's check
digit scheme over the totally anti-symmetric quasigroup u ∘ v = α·u + v (H. M. Damm, "Totally
anti-symmetric quasigroups for all orders n ≠ 2, 6", Discrete Mathematics 307(6), 2007): the
check symbol is the one that brings the running value u back to 0. A substitution e ≠ 0 at
position i changes the sum by e·α^(20-i) ≠ 0, and swapping positions i < j changes it by
(c_i + c_j)·α^(20-j)·(α^(j-i) + 1), which is zero only if c_i = c_j, because α has
multiplicative order 31 (a prime) and j - i < 31. So every single substitution and every
transposition, adjacent or not, is detected; a random string passes with probability 1/32.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import secrets
import unicodedata
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, overload

from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from evote import canonical, jsonstrict
from evote.crypto.encoding import TAG_ELEMENT, TAG_LIST, encode
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import PROTOCOL, Purpose
from evote.errors import InvalidCredential, InvalidInput, UnknownCredential

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32 symbols, in value order: symbol i has value i."""

DATA_LENGTH: Final = 19
"""Random symbols in a code."""

CODE_LENGTH: Final = DATA_LENGTH + 1
"""Symbols in a code: the random ones and the check symbol."""

GROUP_SIZE: Final = 5
"""Symbols per dash-separated group when a code is printed."""

ENTROPY_BITS: Final = DATA_LENGTH * (len(ALPHABET).bit_length() - 1)
"""Bits of entropy of a code: 19 uniform symbols of 5 bits, 95 bits."""

KDF_OUTPUT_BYTES: Final = 64
"""HKDF output length: 512 bits reduced modulo a 253- or 256-bit order (wide reduction)."""

MAX_WEIGHT: Final = 2**32 - 1
"""Largest voting weight: totals of a million voters stay exact in every implementation."""

_VALUES: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's decoding aliases: letters that look like digits are read as those digits.
_ALIASES: Final = {"O": "0", "I": "1", "L": "1"}
# GF(2^5) modulo x^5 + x^2 + 1 (a primitive polynomial): the reduction of x^5.
_FIELD_HIGH_BIT: Final = 0b100000
_FIELD_POLYNOMIAL: Final = 0b100101
# Longer text than this cannot be a code with any amount of spacing: refused before parsing.
_MAX_TEXT_LENGTH: Final = 200
_MISTYPED: Final = "credential mistyped: the check character does not match; please re-read it"


# -- codes --------------------------------------------------------------------------------


def _times_alpha(value: int) -> int:
    """value · x in GF(2^5)."""
    value <<= 1
    if value & _FIELD_HIGH_BIT:
        value ^= _FIELD_POLYNOMIAL
    return value


def _check_sum(values: Iterable[int]) -> int:
    """Horner's rule for sum c_i·α^(n-i): Damm's running value over u ∘ v = α·u + v."""
    running = 0
    for value in values:
        running = _times_alpha(running) ^ value
    return running


def check_symbol(data: str) -> str:
    """The check symbol that completes ``data`` (canonical symbols) into a valid code."""
    if not isinstance(data, str) or not all(symbol in _VALUES for symbol in data):
        raise InvalidCredential("check_symbol: expected canonical symbols of the alphabet")
    values = [_VALUES[symbol] for symbol in data]
    # The check symbol c must satisfy α·running + c = 0, i.e. c = α·running (characteristic 2).
    return ALPHABET[_times_alpha(_check_sum(values))]


def format_credential_code(symbols: str) -> str:
    """Canonical symbols printed in dash-separated groups of five."""
    return "-".join(symbols[i : i + GROUP_SIZE] for i in range(0, len(symbols), GROUP_SIZE))


def generate_credential_code() -> str:
    """A fresh code: 19 uniform symbols from :mod:`secrets` (95 bits) and the check symbol."""
    data = "".join(ALPHABET[secrets.randbelow(len(ALPHABET))] for _ in range(DATA_LENGTH))
    return format_credential_code(data + check_symbol(data))


def _skipped(character: str) -> bool:
    """Spaces and dashes (any Unicode dash, as copied from a PDF) carry no symbol."""
    return character.isspace() or unicodedata.category(character) == "Pd"


def _canonical_symbols(text: object) -> str:
    """The 20 canonical symbols of a typed code, checksum verified; InvalidCredential if not."""
    if not isinstance(text, str):
        raise InvalidCredential(f"credential: expected text, got {type(text).__name__}")
    if len(text) > _MAX_TEXT_LENGTH:
        raise InvalidCredential(
            f"credential: {len(text)} characters typed, a credential has {CODE_LENGTH}"
        )
    symbols: list[str] = []
    for position, character in enumerate(text, start=1):
        if _skipped(character):
            continue
        upper = character.upper() if character.isascii() else character
        symbol = _ALIASES.get(upper, upper)
        if symbol not in _VALUES:
            group_number = len(symbols) // GROUP_SIZE + 1
            raise InvalidCredential(
                f"credential: character {character!r} at position {position}"
                f" (group {group_number}) is not allowed; a credential has only digits and"
                " the letters A-Z without I, L, O, U"
            )
        symbols.append(symbol)
    if len(symbols) != CODE_LENGTH:
        raise InvalidCredential(
            f"credential: {len(symbols)} letters and digits, expected {CODE_LENGTH}"
            f" ({CODE_LENGTH // GROUP_SIZE} groups of {GROUP_SIZE}); a character is"
            f" {'missing' if len(symbols) < CODE_LENGTH else 'extra'}"
        )
    if _check_sum(_VALUES[symbol] for symbol in symbols) != 0:
        raise InvalidCredential(_MISTYPED)
    return "".join(symbols)


def parse_credential_code(text: str) -> str:
    """Normalise a typed code and verify its check symbol; return it in canonical printed form.

    Case is ignored, spaces and dashes are skipped, O reads as 0 and I, L as 1 (Crockford).
    Raises InvalidCredential naming a character that is not allowed and its position in
    ``text`` (1-based, with its group), a wrong number of symbols, or a check symbol mismatch.
    """
    return format_credential_code(_canonical_symbols(text))


# -- derivation ----------------------------------------------------------------------------


def _check_election_id(election_id: object) -> str:
    if not isinstance(election_id, str) or not election_id:
        raise InvalidInput("election_id: expected a non-empty string")
    return election_id


def kdf_info(group: Group, election_id: str) -> bytes:
    """The HKDF ``info``: encode("evote/1", "credential-kdf", [group name, election id])."""
    return encode(PROTOCOL, Purpose.CREDENTIAL_KDF.value, [group.name, election_id])


def derive_credential_secret(group: Group, election_id: str, code: str) -> int:
    """The secret scalar of a credential: HKDF-SHA512 of the code, bound to election and group.

    HKDF (RFC 5869) with SHA-512, no salt (RFC 5869 section 2.2: HashLen zero bytes), input
    keying material the 20 canonical ASCII symbols of the code (no dashes), ``info`` the
    injective encoding of the domain tag, the group name and the election id (:func:`kdf_info`),
    64 bytes of output read big-endian and reduced modulo the group order (bias below 2^-250).

    A fast KDF is enough: the code carries 95 uniform bits, so even against the published g^s of
    a million voters (2^20 targets at once) an offline search needs about 2^75 derivations and
    exponentiations. A slow, salted KDF (PBKDF2, Argon2) protects low-entropy passwords, which
    codes are not; the election id in ``info`` keeps one code from giving the same key in two
    elections. A zero scalar (probability 2^-250) is refused rather than used.
    """
    symbols = _canonical_symbols(code)
    hkdf = HKDF(
        algorithm=SHA512(),
        length=KDF_OUTPUT_BYTES,
        salt=None,
        info=kdf_info(group, _check_election_id(election_id)),
    )
    secret = int.from_bytes(hkdf.derive(symbols.encode("ascii")), "big") % group.order
    if secret == 0:
        raise InvalidCredential("credential: derives the zero scalar; issue a new credential")
    return secret


def credential_keypair(group: Group, election_id: str, code: str) -> tuple[int, Element]:
    """The secret scalar s and the public credential g^s (constant-time exponentiation)."""
    secret = derive_credential_secret(group, election_id, code)
    return secret, group.base_exp_secret(secret)


@dataclass(frozen=True, slots=True)
class CredentialKey:
    """A voter's signing key, derived once when the code is entered: private.

    Deriving costs a constant-time exponentiation (1.5 ms on modp4096); a portal derives the key
    once, checks at entry that it is on the list, and signs every ballot of the session with it.
    Build it only with :meth:`derive`, so that ``public`` is always g^``secret``.
    """

    group: Group
    election_id: str
    secret: int = field(repr=False)
    public: Element

    @classmethod
    def derive(cls, group: Group, election_id: str, code: str) -> CredentialKey:
        """Parse ``code`` (InvalidCredential names a mistyped character) and derive the key."""
        secret, public = credential_keypair(group, election_id, code)
        return cls(group, election_id, secret, public)


def public_credential(group: Group, election_id: str, code: str) -> Element:
    """The public credential g^s of a code (what the registrar publishes)."""
    return credential_keypair(group, election_id, code)[1]


# -- the public list -----------------------------------------------------------------------


def _short(element: Element) -> str:
    return element.to_bytes().hex()[:32] + "..."


def _check_weight(weight: object, where: str) -> int:
    # bool is an int subclass: True must not pass for a weight of 1.
    if type(weight) is not int:
        raise InvalidCredential(f"{where}: a weight is an integer, got {type(weight).__name__}")
    if not 1 <= weight <= MAX_WEIGHT:
        raise InvalidCredential(f"{where}: weight {weight} is outside [1, {MAX_WEIGHT}]")
    return weight


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    """One public credential on the list and the weight of its ballot (1 unless weighted)."""

    public: Element
    weight: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.public, Element):
            raise InvalidCredential(
                f"credential entry: expected a group element, got {type(self.public).__name__}"
            )
        _check_weight(self.weight, "credential entry")


#: Credentials validated per batch of ``Group.decode_many`` (bounds the Elements alive at once).
_VALIDATION_BATCH: Final = 4096
#: Lists whose membership check passed in this process (SHA-256 of group name and encodings).
_VALIDATED: OrderedDict[bytes, None] = OrderedDict()
_VALIDATED_KEPT: Final = 16


def _validation_key(group: Group, blob: bytes) -> bytes:
    return hashlib.sha256(group.name.encode("ascii") + b"\x00" + blob).digest()


def _check_members(group: Group, blob: bytes, where: str) -> None:
    """Every fixed-size encoding of ``blob`` decodes to a non-identity element of ``group``.

    A list is validated once per process: the same bytes decoded again (the setup entry, then
    credentials.json, then the verifier's step 11.2) skip the point checks, which dominate the
    cost of reading a list (an ed25519 subgroup check is a scalar multiplication). The key is
    the SHA-256 of the exact bytes, so only identical content is skipped. Forked worker
    processes inherit the memo.
    """
    key = _validation_key(group, blob)
    if key in _VALIDATED:
        _VALIDATED.move_to_end(key)
        return
    size = group.element_size
    step = _VALIDATION_BATCH * size
    for start in range(0, len(blob), step):
        batch = [blob[at : at + size] for at in range(start, min(start + step, len(blob)), size)]
        try:
            group.decode_many(batch, where)
        except InvalidInput:
            # Named again one by one, with the element's index in the whole list.
            first = start // size
            for offset, item in enumerate(batch):
                group.decode(item, f"{where}[{first + offset}]")
            raise
    _VALIDATED[key] = None
    while len(_VALIDATED) > _VALIDATED_KEPT:
        _VALIDATED.popitem(last=False)


class _Encodings(Sequence[bytes]):
    """The sorted encodings of a list as a read-only sequence (for :mod:`bisect`)."""

    __slots__ = ("_blob", "_size")

    def __init__(self, blob: bytes, size: int) -> None:
        self._blob = blob
        self._size = size

    def __len__(self) -> int:
        return len(self._blob) // self._size

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        at = index * self._size
        return self._blob[at : at + self._size]


class CredentialList:
    """The election's public credentials: sorted by canonical bytes, distinct, weights >= 1.

    The constructor sorts the entries (a list carries no order of registration, hence no link
    to the voters) and refuses duplicates, the identity, elements of another group and bad
    weights. :meth:`digest` is what the election fingerprint binds.

    A million-voter list is held compactly: one bytes object of the sorted canonical
    encodings, and an array of 32-bit weights (``None`` when every weight is 1). Membership
    is a binary search; :attr:`entries` rebuilds the :class:`CredentialEntry` objects on demand
    (each call re-decodes them: meant for small lists and tests). The digest streams the same
    encoding into SHA-512 as ``digest32`` over the entries, so it is byte-identical.
    """

    __slots__ = ("_blob", "_digest", "_weights", "group")

    group: Group
    _blob: bytes
    _weights: array[int] | None
    _digest: bytes

    def __init__(self, group: Group, entries: Iterable[CredentialEntry]) -> None:
        if not isinstance(group, Group):
            raise InvalidInput(f"credential list: expected a group, got {group!r}")
        keyed: list[tuple[bytes, int]] = []
        for position, entry in enumerate(entries):
            if not isinstance(entry, CredentialEntry):
                raise InvalidCredential(
                    f"credential list: entry {position} is a {type(entry).__name__},"
                    " not a CredentialEntry"
                )
            if entry.public.group is not group:
                raise InvalidCredential(
                    f"credential list: entry {position} is an element of"
                    f" {entry.public.group.name}, the list is on {group.name}"
                )
            if entry.public == group.identity:
                raise InvalidCredential(f"credential list: entry {position} is the identity")
            keyed.append((entry.public.to_bytes(), entry.weight))
        keyed.sort(key=lambda pair: pair[0])
        for (before, _), (after, _) in itertools.pairwise(keyed):
            if before == after:
                raise InvalidCredential(
                    f"credential list: duplicate public credential {before.hex()[:32]}..."
                )
        weights = [weight for _, weight in keyed]
        self._setup(group, b"".join(key for key, _ in keyed), weights)

    def _setup(self, group: Group, blob: bytes, weights: Sequence[int]) -> None:
        setter = object.__setattr__
        setter(self, "group", group)
        setter(self, "_blob", blob)
        setter(self, "_weights", None if all(w == 1 for w in weights) else array("I", weights))
        setter(self, "_digest", self._compute_digest())

    @classmethod
    def _from_checked(cls, group: Group, blob: bytes, weights: Sequence[int]) -> CredentialList:
        """A list from sorted, distinct, validated encodings and checked weights."""
        listed = cls.__new__(cls)
        listed._setup(group, blob, weights)
        return listed

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a credential list is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its compact bytes (a process pool ships an Election): no re-validation.
        weights = [] if self._weights is None else list(self._weights)
        return (_restore, (self.group, self._blob, weights))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CredentialList):
            return NotImplemented
        return (
            other.group is self.group
            and other._blob == self._blob
            and other._weights == self._weights
        )

    def __hash__(self) -> int:
        return hash((self.group.name, self._digest))

    def __len__(self) -> int:
        return len(self._blob) // self.group.element_size

    def __repr__(self) -> str:
        # A list may hold a million entries: show its size and its digest, not its contents.
        return (
            f"CredentialList({self.group.name}, {len(self)} credentials,"
            f" total weight {self.total_weight}, digest {self._digest.hex()[:16]}...)"
        )

    def _index_of(self, encoding: bytes) -> int | None:
        keys = _Encodings(self._blob, self.group.element_size)
        index = bisect_left(keys, encoding)
        if index < len(keys) and keys[index] == encoding:
            return index
        return None

    def __contains__(self, public: object) -> bool:
        return (
            isinstance(public, Element)
            and public.group is self.group
            and self._index_of(public.to_bytes()) is not None
        )

    def weight_of(self, public: Element) -> int:
        """The weight of ``public``; UnknownCredential if it is not on the list."""
        index = (
            self._index_of(public.to_bytes())
            if isinstance(public, Element) and public.group is self.group
            else None
        )
        if index is None:
            shown = _short(public) if isinstance(public, Element) else repr(public)
            raise UnknownCredential(f"credential {shown} is not on the election's credential list")
        return 1 if self._weights is None else self._weights[index]

    @property
    def total_weight(self) -> int:
        """The sum of the weights: the most ballots (counted with weight) the tally can see."""
        return len(self) if self._weights is None else sum(self._weights)

    @property
    def entries(self) -> tuple[CredentialEntry, ...]:
        """The entries in list order, decoded again from their bytes (costly for a large list)."""
        elements = self.group.decode_many(list(self.encodings()), "credential list")
        return tuple(
            CredentialEntry(element, weight)
            for element, weight in zip(elements, self.weights(), strict=True)
        )

    def encodings(self) -> Iterator[bytes]:
        """The canonical encodings of the public credentials, in list (sorted) order."""
        size = self.group.element_size
        blob = self._blob
        return (blob[at : at + size] for at in range(0, len(blob), size))

    def weights(self) -> Iterator[int]:
        """The weights, in list order."""
        if self._weights is None:
            return itertools.repeat(1, len(self))
        return iter(self._weights)

    def digest(self) -> bytes:
        """digest32(CREDENTIAL_LIST, group name, [[public, weight], ...] in list order)."""
        return self._digest

    def _compute_digest(self) -> bytes:
        # The bytes of encode(PROTOCOL, purpose, [group name, [[public, weight], ...]]) streamed
        # into SHA-512 (docs/spec.md section 2): never the whole encoding in memory at once.
        size = self.group.element_size
        count = len(self)
        head = bytearray(encode(PROTOCOL, Purpose.CREDENTIAL_LIST.value))
        head[1:5] = (3).to_bytes(4, "big")  # the outer list holds a third item: the body
        head += bytes([TAG_LIST]) + (2).to_bytes(4, "big") + encode(self.group.name)[5:]
        head += bytes([TAG_LIST]) + count.to_bytes(4, "big")
        hasher = hashlib.sha512(head)
        pair = bytes([TAG_LIST]) + (2).to_bytes(4, "big") + bytes([TAG_ELEMENT])
        pair += size.to_bytes(4, "big")
        one = encode(1)[5:]
        blob = self._blob
        batch: list[bytes] = []
        for index, weight in enumerate(self.weights()):
            at = index * size
            batch += (pair, blob[at : at + size], one if weight == 1 else encode(weight)[5:])
            if len(batch) >= 3 * 4096:
                hasher.update(b"".join(batch))
                batch.clear()
        hasher.update(b"".join(batch))
        return hasher.digest()[:32]

    # -- JSON ------------------------------------------------------------------------------

    def to_json_obj(self) -> dict[str, Any]:
        """{"group": name, "entries": [{"public": base64, "weight": int}, ...]}, sorted."""
        return {
            "group": self.group.name,
            "entries": [
                {"public": encode_base64(encoding), "weight": weight}
                for encoding, weight in zip(self.encodings(), self.weights(), strict=True)
            ],
        }

    def json_chunks(self) -> Iterator[bytes]:
        """The canonical JSON of :meth:`to_json_obj` (jsonstrict.dumps), in pieces.

        For writing or comparing a large list without building its JSON tree.
        """
        yield b'{"entries":['
        yield from self.entries_json_chunks()
        yield b'],"group":"%s"}' % self.group.name.encode("ascii")

    def entries_json_chunks(self) -> Iterator[bytes]:
        """The canonical JSON of the entries, comma-separated, without the list's brackets."""
        batch: list[bytes] = []
        for index, (encoding, weight) in enumerate(
            zip(self.encodings(), self.weights(), strict=True)
        ):
            batch.append(
                b'%s{"public":"%s","weight":%d}'
                % (b"," if index else b"", base64.b64encode(encoding), weight)
            )
            if len(batch) >= 4096:
                yield b"".join(batch)
                batch.clear()
        if batch:
            yield b"".join(batch)

    @classmethod
    def from_json_obj(cls, group: Group, obj: object, where: str = "credentials") -> CredentialList:
        """Decode :meth:`to_json_obj`'s form strictly.

        Refuses unknown or missing fields, wrong types, non-canonical base64, bad weights,
        entries out of order or repeated, and elements outside the group (checked last, in
        batches with ``group.decode_many``, once per process for the same list).
        """
        fields = _exact_fields(obj, {"group", "entries"}, where)
        if fields["group"] != group.name:
            raise InvalidCredential(
                f"{where}.group: the list is for {fields['group']!r}, expected {group.name!r}"
            )
        raw_entries = fields["entries"]
        if not isinstance(raw_entries, list):
            raise InvalidCredential(f"{where}.entries: expected a list")
        encodings: list[bytes] = []
        weights: list[int] = []
        for position, raw_entry in enumerate(raw_entries):
            here = f"{where}.entries[{position}]"
            entry_fields = _exact_fields(raw_entry, {"public", "weight"}, here)
            encodings.append(
                decode_base64(entry_fields["public"], f"{here}.public", InvalidCredential)
            )
            weights.append(_check_weight(entry_fields["weight"], f"{here}.weight"))
        return cls.from_encodings(group, encodings, weights, f"{where}.entries")

    @classmethod
    def from_json(cls, group: Group, data: bytes, where: str = "credentials") -> CredentialList:
        """Decode the canonical JSON of :meth:`to_json_obj` without building its JSON tree.

        A million entries as a tree of dicts take ~300 MB; read here with one pattern per
        entry they cost their bytes. Only the canonical form (what ``jsonstrict.dumps`` writes:
        no spaces, sorted keys, canonical base64) is read this way; any other input, valid or
        not, goes through ``jsonstrict.loads`` and :meth:`from_json_obj`, which accept and
        refuse exactly as before and name the fault.
        """
        parsed = _scan_canonical_entries(group, data)
        if parsed is not None:
            blob, weights = parsed
            keys = _Encodings(blob, group.element_size)
            return cls.from_encodings(group, keys, weights, f"{where}.entries")
        value = jsonstrict.loads(data, where, InvalidCredential, max_size=MAX_JSON_BYTES)
        return cls.from_json_obj(group, value, where)

    #: The name of :meth:`from_json` before the naming convention (docs/architecture.md).
    from_json_bytes = from_json

    @classmethod
    def from_encodings(
        cls,
        group: Group,
        encodings: Iterable[bytes],
        weights: Iterable[int],
        where: str = "credentials.entries",
    ) -> CredentialList:
        """A list from canonical encodings in sorted order and their weights, checked strictly.

        Refuses encodings out of order or repeated, of the wrong length or outside the group
        (InvalidGroupElement naming ``where[index]``), and bad weights. The membership checks
        run in batches through ``group.decode_many``, once per process for the same bytes.
        """
        size = group.element_size
        blob = bytearray()
        checked = array("I")
        previous = b""
        position = -1
        for position, (encoding, weight) in enumerate(zip(encodings, weights, strict=True)):
            here = f"{where}[{position}]"
            if len(encoding) != size:
                group.decode(bytes(encoding), here)  # names the fault
                raise InvalidCredential(f"{here}: a {group.name} element is {size} bytes")
            if position and encoding <= previous:
                if encoding == previous:
                    raise InvalidCredential(
                        f"{here}: duplicate public credential (same as entries[{position - 1}])"
                    )
                raise InvalidCredential(f"{here}: entries are not sorted by their bytes")
            previous = encoding
            blob += encoding
            checked.append(_check_weight(weight, f"{here}.weight"))
        data = bytes(blob)
        del blob
        _check_members(group, data, where)
        return cls._from_checked(group, data, checked)


#: The largest credential list read as JSON (about 3.5 million voters on ed25519).
MAX_JSON_BYTES: Final = 256 * 1024 * 1024


def _scan_canonical_entries(group: Group, data: bytes) -> tuple[bytes, array[int]] | None:
    """(encodings, weights) of a list in canonical JSON, or ``None`` if it is not in that form.

    Nothing is refused here: a fault of any kind returns ``None`` and the strict reader runs
    (the pattern is :func:`evote.canonical.credential_entries`).
    """
    return canonical.credential_entries(data, group.name, group.element_size, MAX_WEIGHT)


def _restore(group: Group, blob: bytes, weights: list[int]) -> CredentialList:
    return CredentialList._from_checked(group, blob, weights)


def _exact_fields(obj: object, names: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidCredential(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = sorted(str(key) for key in obj.keys() - names)
    if unknown:
        raise InvalidCredential(f"{where}: unknown field(s) {', '.join(unknown)}")
    missing = sorted(names - obj.keys())
    if missing:
        raise InvalidCredential(f"{where}: missing field(s) {', '.join(missing)}")
    return obj


def encode_base64(data: bytes) -> str:
    """Standard padded base64 (RFC 4648 section 4) of ``data``."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: object, where: str, error: type[InvalidInput] = InvalidInput) -> bytes:
    """Strict standard base64 (RFC 4648 section 4, padded): the only spelling of its bytes."""
    if not isinstance(text, str):
        raise error(f"{where}: expected base64 text, got {type(text).__name__}")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise error(f"{where}: not valid base64") from None
    # Trailing bits that are not zero give a second spelling of the same bytes: refused.
    if encode_base64(data) != text:
        raise error(f"{where}: not canonical base64")
    return data


# -- the registrar ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class RegistrationResult:
    """The registrar's output: the public list, and the private voter -> code mapping.

    ``codes`` must go only to the voters (letters) and never to the board; repr() hides it.
    """

    credential_list: CredentialList
    codes: dict[str, str]

    def __repr__(self) -> str:
        return (
            f"RegistrationResult({len(self.credential_list)} credentials on"
            f" {self.credential_list.group.name}, codes hidden)"
        )


def _check_voters(voter_ids: Sequence[str], weights: Mapping[str, int] | None) -> dict[str, int]:
    if isinstance(voter_ids, str) or not isinstance(voter_ids, Sequence):
        raise InvalidInput("voter_ids: expected a sequence of strings")
    voters: dict[str, int] = {}
    for position, voter_id in enumerate(voter_ids):
        if not isinstance(voter_id, str) or not voter_id:
            raise InvalidInput(f"voter_ids[{position}]: expected a non-empty string")
        if voter_id in voters:
            raise InvalidInput(f"voter_ids[{position}]: duplicate voter id {voter_id!r}")
        voters[voter_id] = 1
    if weights is not None:
        if not isinstance(weights, Mapping):
            raise InvalidInput("weights: expected a mapping from voter id to weight")
        for voter_id, weight in weights.items():
            if voter_id not in voters:
                raise InvalidInput(f"weights: {voter_id!r} is not among the voter ids")
            voters[voter_id] = _check_weight(weight, f"weights[{voter_id!r}]")
    return voters


class Registrar:
    """Issues the credentials of an election (Belenios' credential authority)."""

    @staticmethod
    def generate(
        group: Group,
        election_id: str,
        voter_ids: Sequence[str],
        weights: Mapping[str, int] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RegistrationResult:
        """One fresh code per voter, and the sorted list of the public credentials.

        ``weights`` maps some voter ids to their weight (others weigh 1). A code whose public
        credential is already taken (probability about n^2 / 2^96) is drawn again.
        ``progress``, if given, is called with 1 after each voter (a long step: one
        exponentiation per voter).
        """
        _check_election_id(election_id)
        voters = _check_voters(voter_ids, weights)
        codes: dict[str, str] = {}
        entries: list[CredentialEntry] = []
        taken: set[bytes] = set()
        for voter_id, weight in voters.items():
            while True:
                code = generate_credential_code()
                try:
                    public = public_credential(group, election_id, code)
                except InvalidCredential:  # the zero scalar: draw again
                    continue
                if public.to_bytes() not in taken:
                    break
            taken.add(public.to_bytes())
            codes[voter_id] = code
            entries.append(CredentialEntry(public, weight))
            if progress is not None:
                progress(1)
        return RegistrationResult(CredentialList(group, tuple(entries)), codes)

    @staticmethod
    def credential_letter(voter_id_or_name: str, election_title: str, code: str, lang: str) -> str:
        """The letter that carries a code to its voter: see :func:`credential_letter`."""
        return credential_letter(voter_id_or_name, election_title, code, lang)


# -- the letter ---------------------------------------------------------------------------

_LETTERS: Final = {
    "en": (
        "{title}\n"
        "Voting credential of: {name}\n"
        "\n"
        "Your voting credential:\n"
        "\n"
        "    {code}\n"
        "\n"
        "WHAT IT IS FOR\n"
        'You need this credential to vote in "{title}". It signs your ballot to show\n'
        "that you are entitled to vote, without showing who you are: the list of credentials\n"
        "that the election publishes contains no names.\n"
        "\n"
        "HOW TO TYPE IT\n"
        "Type the 20 letters and digits as printed. Upper or lower case does not matter, and\n"
        "the dashes and spaces are optional. The letters I, L, O and U are never used: an O is\n"
        "read as the digit zero, an I or an L as the digit one. The last character is a check\n"
        "character: if you mistype one character or swap two, you will be told at once.\n"
        "\n"
        "KEEP IT SECRET\n"
        "Anyone who knows this credential can vote in your place. Do not show it to anyone, do\n"
        "not send it by e-mail, and never give it to someone who asks for it, even in the name\n"
        "of the organisers. Nobody can recover it for you: if you lose it, contact the\n"
        "organisers of the election.\n"
    ),
    "fr": (
        "{title}\n"
        "Code de vote de : {name}\n"
        "\n"
        "Votre code de vote :\n"
        "\n"
        "    {code}\n"
        "\n"
        "À QUOI IL SERT\n"
        "Ce code vous permet de voter pour « {title} ». Il signe votre bulletin pour\n"
        "montrer que vous avez le droit de voter, sans révéler qui vous êtes : la liste des\n"
        "codes publiée par l’élection ne contient aucun nom.\n"
        "\n"
        "COMMENT LE SAISIR\n"
        "Saisissez les 20 lettres et chiffres tels qu’ils sont imprimés. Majuscules et\n"
        "minuscules sont équivalentes, et les tirets et espaces sont facultatifs. Les lettres\n"
        "I, L, O et U ne sont jamais utilisées : un O se lit comme le chiffre zéro, un I ou un L\n"
        "comme le chiffre un. Le dernier caractère est un caractère de contrôle : si vous vous\n"
        "trompez d’un caractère ou en inversez deux, vous en serez averti(e) aussitôt.\n"
        "\n"
        "GARDEZ-LE SECRET\n"
        "Quiconque connaît ce code peut voter à votre place. Ne le montrez à personne, ne\n"
        "l’envoyez pas par courriel, et ne le donnez jamais à qui vous le demande, même au nom\n"
        "des organisateurs. Personne ne peut le retrouver pour vous : si vous le perdez,\n"
        "adressez-vous aux organisateurs de l’élection.\n"
    ),
}

LETTER_LANGUAGES: Final = tuple(sorted(_LETTERS))
"""Languages of :func:`credential_letter`."""


def _check_line(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: expected a non-empty string")
    if any(unicodedata.category(character).startswith("C") for character in value):
        raise InvalidInput(f"{where}: control characters are not allowed in a letter")
    return value.strip()


def credential_letter(voter_id_or_name: str, election_title: str, code: str, lang: str) -> str:
    """The plain-text letter that carries ``code`` to its voter, in French or English.

    It says what the credential is for, how to type it, and that it must stay secret. The code
    is checked and printed in canonical form (four groups of five).
    """
    if lang not in _LETTERS:
        raise InvalidInput(f"lang: {lang!r} is not one of {', '.join(LETTER_LANGUAGES)}")
    return _LETTERS[lang].format(
        title=_check_line(election_title, "election_title"),
        name=_check_line(voter_id_or_name, "voter_id_or_name"),
        code=parse_credential_code(code),
    )


__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "DATA_LENGTH",
    "ENTROPY_BITS",
    "GROUP_SIZE",
    "LETTER_LANGUAGES",
    "MAX_WEIGHT",
    "CredentialEntry",
    "CredentialList",
    "Registrar",
    "RegistrationResult",
    "check_symbol",
    "credential_keypair",
    "credential_letter",
    "decode_base64",
    "derive_credential_secret",
    "encode_base64",
    "format_credential_code",
    "generate_credential_code",
    "kdf_info",
    "parse_credential_code",
    "public_credential",
]
