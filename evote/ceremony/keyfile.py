"""Trustee key files: a trustee's secret share, encrypted under a passphrase.

A key file is a UTF-8 JSON document (layout in docs/spec.md section 8.5). The passphrase is
stretched with Argon2id (RFC 9106) into a 256-bit key, which encrypts the secret with
XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03; libsodium's
``crypto_aead_xchacha20poly1305_ietf``). Everything in the file except the ciphertext (the
format, version, the caller's public header, the KDF parameters, the salt and the nonce) is the
AEAD's associated data, so changing any of it makes the file fail to open, exactly as a wrong
passphrase does.

The KDF parameters are read from the file, so stronger settings stay readable later; opening
refuses parameters below libsodium's INTERACTIVE level (a forged file cannot make the trustee
derive a cheap key) and above its SENSITIVE level (a forged file cannot exhaust the memory of
the machine that opens it). Every structural check runs before the expensive derivation.

The secret is opaque bytes: the caller serialises it. Python cannot wipe memory, so the secret
and the derived key live until the garbage collector frees them; no repr() shows them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import nacl.exceptions
import nacl.pwhash.argon2id
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)

from evote import jsonstrict
from evote.crypto.encoding import encode
from evote.errors import InvalidInput, InvalidKeyFile

FORMAT = "evote-trustee-key"
VERSION = 1
KDF_ALGORITHM = "argon2id"
ARGON2_VERSION = 0x13  # RFC 9106 section 3.1: v = 0x13 (19), the only version libsodium runs
ARGON2_PARALLELISM = 1  # libsodium's crypto_pwhash always uses one lane
AEAD_ALGORITHM = "xchacha20poly1305-ietf"
SALT_BYTES = 16
NONCE_BYTES = 24
KEY_BYTES = 32
# The passphrase floor of docs/spec.md section 8.5.2 (checked when a key file is written).
MIN_PASSPHRASE_CHARACTERS = 12
MIN_DISTINCT_CHARACTERS = 6
TAG_BYTES = 16
MAX_FILE_BYTES = 1 << 20
FILE_MODE = 0o600

HeaderValue = str | int
Header = Mapping[str, HeaderValue]


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost parameters in RFC 9106 terms: passes (t) and memory in KiB (m)."""

    passes: int
    memory_kib: int

    @property
    def opslimit(self) -> int:
        """The same passes, in libsodium's name."""
        return self.passes

    @property
    def memlimit(self) -> int:
        """The memory in bytes, as libsodium takes it."""
        return self.memory_kib * 1024


class KdfStrength(Enum):
    """libsodium's Argon2id presets (``crypto_pwhash_argon2id_*``), fixed here in the format.

    MODERATE (256 MiB, 3 passes, about a second) is the default for real key files;
    INTERACTIVE (64 MiB, 2 passes) is the floor, for tests; SENSITIVE (1 GiB, 4 passes) the
    ceiling that opening accepts.
    """

    INTERACTIVE = "interactive"
    MODERATE = "moderate"
    SENSITIVE = "sensitive"

    @property
    def params(self) -> KdfParams:
        """The Argon2id cost of this preset."""
        return _PRESETS[self]


_PRESETS: dict[KdfStrength, KdfParams] = {
    KdfStrength.INTERACTIVE: KdfParams(passes=2, memory_kib=64 * 1024),
    KdfStrength.MODERATE: KdfParams(passes=3, memory_kib=256 * 1024),
    KdfStrength.SENSITIVE: KdfParams(passes=4, memory_kib=1024 * 1024),
}
MIN_KDF = _PRESETS[KdfStrength.INTERACTIVE]
MAX_KDF = _PRESETS[KdfStrength.SENSITIVE]


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SealedSecret:
    """An opened key file: its authenticated public header and the secret it protected."""

    header: Header
    secret: bytes
    kdf: KdfParams = _PRESETS[KdfStrength.MODERATE]  # its Argon2id cost, kept on a rewrite

    def __repr__(self) -> str:
        return f"SealedSecret(header={dict(self.header)!r}, secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class _Envelope:
    """A key file parsed and checked, everything but the decryption."""

    header: Header
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def seal_secret(
    secret: bytes,
    passphrase: str,
    header: Header,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
) -> bytes:
    """Encrypt ``secret`` under ``passphrase``: the bytes of a key file.

    The passphrase must pass :func:`check_passphrase_strength` (InvalidInput saying why not).
    ``header`` (string keys; string or integer values: the election id, the trustee's index and
    name...) is stored in clear and authenticated. Salt and nonce are fresh random values.
    """
    if not isinstance(strength, KdfStrength):
        raise InvalidInput(f"strength must be a KdfStrength, not {type(strength).__name__}")
    check_passphrase_strength(passphrase)
    return _seal_with(
        secret,
        passphrase,
        header,
        strength.params,
        salt=secrets.token_bytes(SALT_BYTES),
        nonce=secrets.token_bytes(NONCE_BYTES),
    )


def open_secret(data: bytes, passphrase: str, *, source: str = "<bytes>") -> SealedSecret:
    """Decrypt a key file; ``source`` names it in error messages (a path, say).

    Raises :class:`InvalidKeyFile` on a wrong passphrase, any change to the file, a truncated or
    malformed file, an unknown format or version, or KDF parameters out of bounds; raises
    :class:`InvalidInput` on an empty passphrase.
    """
    passphrase_bytes = _passphrase_bytes(passphrase)
    envelope = _parse(data, source)
    key = _derive_key(passphrase_bytes, envelope.salt, envelope.kdf)
    associated = _associated_data(envelope.header, envelope.kdf, envelope.salt, envelope.nonce)
    try:
        secret = crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope.ciphertext, associated, envelope.nonce, key
        )
    except nacl.exceptions.CryptoError:
        raise InvalidKeyFile(f"wrong passphrase or tampered key file {source}") from None
    return SealedSecret(header=envelope.header, secret=bytes(secret), kdf=envelope.kdf)


def read_public_header(data: bytes, *, source: str = "<bytes>") -> Header:
    """The header of a key file, without the passphrase: to show whose file it is.

    The header is not authenticated until :func:`open_secret` succeeds; do not act on it.
    """
    return _parse(data, source).header


def write_key_file(
    path: str | os.PathLike[str],
    secret: bytes,
    passphrase: str,
    header: Header,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
    overwrite: bool = False,
) -> None:
    """Seal ``secret`` and write it to ``path`` atomically, readable by its owner only (0o600).

    The file appears complete or not at all: it is written to a temporary file in the same
    directory, flushed to disk, then renamed over ``path``. An existing file is replaced only
    with ``overwrite=True``, since it may hold the only copy of another share.
    """
    target = Path(path)
    if not overwrite and os.path.lexists(target):
        raise InvalidInput(f"key file {target} already exists; pass overwrite=True to replace it")
    data = seal_secret(secret, passphrase, header, strength=strength)
    write_atomically(target, data)


def read_key_file(path: str | os.PathLike[str], passphrase: str) -> SealedSecret:
    """Read and open the key file at ``path`` (see :func:`open_secret`)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise InvalidKeyFile(f"cannot read key file {source}: {error.strerror}") from error
    return open_secret(data, passphrase, source=source)


def _seal_with(
    secret: bytes,
    passphrase: str,
    header: Header,
    kdf: KdfParams,
    *,
    salt: bytes,
    nonce: bytes,
) -> bytes:
    # Salt and nonce are parameters so that known-answer tests can pin them.
    _check_secret(secret)
    passphrase_bytes = _passphrase_bytes(passphrase)
    clean_header = _checked_header(header)
    _check_kdf_bounds(kdf, "key file <new key file>")
    key = _derive_key(passphrase_bytes, salt, kdf)
    associated = _associated_data(clean_header, kdf, salt, nonce)
    ciphertext = bytes(crypto_aead_xchacha20poly1305_ietf_encrypt(secret, associated, nonce, key))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "header": dict(clean_header),
        "kdf": {
            "algorithm": KDF_ALGORITHM,
            "argon2_version": ARGON2_VERSION,
            "passes": kdf.passes,
            "memory_kib": kdf.memory_kib,
            "parallelism": ARGON2_PARALLELISM,
            "salt": jsonstrict.b64encode(salt),
        },
        "aead": {
            "algorithm": AEAD_ALGORITHM,
            "nonce": jsonstrict.b64encode(nonce),
            "ciphertext": jsonstrict.b64encode(ciphertext),
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _associated_data(header: Header, kdf: KdfParams, salt: bytes, nonce: bytes) -> bytes:
    # The injective encoding of every clear field; header items sorted so JSON order is moot.
    header_items = [[name, header[name]] for name in sorted(header)]
    return encode(
        FORMAT,
        VERSION,
        header_items,
        KDF_ALGORITHM,
        ARGON2_VERSION,
        kdf.passes,
        kdf.memory_kib,
        ARGON2_PARALLELISM,
        salt,
        AEAD_ALGORITHM,
        nonce,
    )


def _derive_key(passphrase: bytes, salt: bytes, kdf: KdfParams) -> bytes:
    """Argon2id (RFC 9106) with p = 1, T = 32, v = 0x13, through libsodium's crypto_pwhash."""
    return bytes(
        nacl.pwhash.argon2id.kdf(
            KEY_BYTES, passphrase, salt, opslimit=kdf.opslimit, memlimit=kdf.memlimit
        )
    )


def check_passphrase_strength(passphrase: str) -> None:
    """Refuse a passphrase too weak to protect a key file, saying why (InvalidInput).

    The rule (docs/spec.md section 8.5.2), on the NFC form, counted in characters (code
    points): at least 12 characters, at least 6 distinct ones, and not digits only. Argon2id
    makes each guess cost about a second, which protects a passphrase of some entropy, not a
    PIN or a word: the rule refuses the passphrases that are weak by construction (short,
    one character repeated, a short pattern repeated, a number), and cannot tell a strong
    passphrase from a guessable sentence; docs/ceremony.md asks for several random words.
    A file is opened whatever its passphrase: the rule binds only what is written.
    """
    text = _passphrase_bytes(passphrase).decode("utf-8")
    length = len(text)
    if length < MIN_PASSPHRASE_CHARACTERS:
        raise InvalidInput(
            f"passphrase too short: {length} characters, at least"
            f" {MIN_PASSPHRASE_CHARACTERS} are needed (several random words are best)"
        )
    distinct = len(set(text))
    if distinct < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput(
            f"passphrase too repetitive: {distinct} different characters, at least"
            f" {MIN_DISTINCT_CHARACTERS} are needed (several random words are best)"
        )
    if text.isdecimal():
        raise InvalidInput(
            "passphrase is only digits: add letters (several random words are best)"
        )


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC, as RFC 8265 section 4.2 (OpaqueString) does for passwords: the same passphrase typed
    # on two systems that compose accents differently derives the same key.
    if not isinstance(passphrase, str):
        raise InvalidInput(f"passphrase must be a str, not {type(passphrase).__name__}")
    normalised = unicodedata.normalize("NFC", passphrase)
    if not normalised:
        raise InvalidInput("passphrase is empty")
    try:
        return normalised.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("passphrase is not valid Unicode (lone surrogate)") from None


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, (bytes, bytearray)):
        raise InvalidInput(f"secret must be bytes, not {type(secret).__name__}")
    if not secret:
        raise InvalidInput("secret is empty")


def _checked_header(header: Header) -> Header:
    if not isinstance(header, Mapping):
        raise InvalidInput(f"header must be a mapping, not {type(header).__name__}")
    clean: dict[str, HeaderValue] = {}
    for name, value in header.items():
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"header field name {name!r} is not a non-empty str")
        # bool is an int subclass, but JSON would store it as true/false.
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidInput(
                f"header field {name!r} must be a str or an int, not {type(value).__name__}"
            )
        clean[name] = value
    return MappingProxyType(clean)


def _check_kdf_bounds(kdf: KdfParams, where: str) -> None:
    if kdf.passes < MIN_KDF.passes or kdf.memory_kib < MIN_KDF.memory_kib:
        raise InvalidKeyFile(
            f"{where}: Argon2id cost (passes={kdf.passes}, memory_kib={kdf.memory_kib})"
            f" is below the minimum (passes={MIN_KDF.passes}, memory_kib={MIN_KDF.memory_kib})"
        )
    if kdf.passes > MAX_KDF.passes or kdf.memory_kib > MAX_KDF.memory_kib:
        raise InvalidKeyFile(
            f"{where}: Argon2id cost (passes={kdf.passes}, memory_kib={kdf.memory_kib})"
            f" is above the maximum (passes={MAX_KDF.passes}, memory_kib={MAX_KDF.memory_kib})"
        )


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``target`` whole or not at all: a 0o600 temporary file, fsync, rename, fsync dir."""
    directory = target.parent
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            # mkstemp already creates the file 0o600; say so explicitly.
            os.chmod(temporary, FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_directory(directory)


def fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable (POSIX); Windows cannot open a directory this way.
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Strict decoding (evote.jsonstrict): each level has exactly these fields, nothing missing,
# nothing extra; errors name the path below ``key file <source>``.
_TOP_FIELDS: Final = ("format", "version", "header", "kdf", "aead")
_KDF_FIELDS: Final = ("algorithm", "argon2_version", "passes", "memory_kib", "parallelism", "salt")
_AEAD_FIELDS: Final = ("algorithm", "nonce", "ciphertext")
_READ: Final = jsonstrict.Reader(InvalidKeyFile)


def _parse(data: bytes, source: str) -> _Envelope:
    where = f"key file {source}"
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidInput(f"{where} must be bytes, not {type(data).__name__}")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidKeyFile(f"{where} is larger than {MAX_FILE_BYTES} bytes")
    document = _READ.object(
        jsonstrict.loads(data, where, InvalidKeyFile, MAX_FILE_BYTES), where, _TOP_FIELDS
    )
    format_name = _READ.string(document["format"], f"{where}.format")
    if format_name != FORMAT:
        raise InvalidKeyFile(f"{where}: format {format_name!r} is not {FORMAT!r}")
    version = _READ.integer(document["version"], f"{where}.version")
    if version != VERSION:
        raise InvalidKeyFile(f"{where}: unknown version {version} (known: {VERSION})")
    header = _parse_header(document["header"], where)
    kdf, salt = _parse_kdf(document["kdf"], f"{where}.kdf")
    nonce, ciphertext = _parse_aead(document["aead"], f"{where}.aead")
    return _Envelope(header=header, kdf=kdf, salt=salt, nonce=nonce, ciphertext=ciphertext)


def _constant(obj: dict[str, Any], name: str, expected: str | int, where: str) -> None:
    path = f"{where}.{name}"
    value = (
        _READ.string(obj[name], path)
        if isinstance(expected, str)
        else _READ.integer(obj[name], path)
    )
    if value != expected:
        _READ.fail(path, f"{value!r}, expected {expected!r}")


def _parse_header(obj: object, where: str) -> Header:
    if not isinstance(obj, dict):
        _READ.fail(f"{where}.header", "expected an object")
    try:
        return _checked_header(obj)
    except InvalidInput as error:
        raise InvalidKeyFile(f"{where}: {error}") from None


def _parse_kdf(obj: object, where: str) -> tuple[KdfParams, bytes]:
    fields = _READ.object(obj, where, _KDF_FIELDS)
    _constant(fields, "algorithm", KDF_ALGORITHM, where)
    _constant(fields, "argon2_version", ARGON2_VERSION, where)
    _constant(fields, "parallelism", ARGON2_PARALLELISM, where)
    kdf = KdfParams(
        passes=_READ.integer(fields["passes"], f"{where}.passes"),
        memory_kib=_READ.integer(fields["memory_kib"], f"{where}.memory_kib"),
    )
    _check_kdf_bounds(kdf, where)
    salt = _READ.b64(fields["salt"], f"{where}.salt", SALT_BYTES)
    return kdf, salt


def _parse_aead(obj: object, where: str) -> tuple[bytes, bytes]:
    fields = _READ.object(obj, where, _AEAD_FIELDS)
    _constant(fields, "algorithm", AEAD_ALGORITHM, where)
    nonce = _READ.b64(fields["nonce"], f"{where}.nonce", NONCE_BYTES)
    ciphertext = _READ.b64(fields["ciphertext"], f"{where}.ciphertext")
    if len(ciphertext) <= TAG_BYTES:
        _READ.fail(
            f"{where}.ciphertext",
            f"{len(ciphertext)} bytes, too short to hold a tag and a secret",
        )
    return nonce, ciphertext
