"""Trustee key files: round trips, known answers, and every way a file can be wrong."""

from __future__ import annotations

import base64
import functools
import json
import os
import stat
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ceremony import keyfile
from evote.ceremony.keyfile import (
    KdfStrength,
    SealedSecret,
    check_passphrase_strength,
    open_secret,
    read_key_file,
    read_public_header,
    seal_secret,
    write_key_file,
)
from evote.errors import InvalidInput, InvalidKeyFile

FAST = KdfStrength.INTERACTIVE
PASSPHRASE = "correct horse battery staple"
HEADER: dict[str, str | int] = {
    "election_id": "demo-2025",
    "trustee_index": 2,
    "trustee_name": "Zoë",
}
SECRET = bytes(range(32))

# Known answer: INTERACTIVE cost, salt 00..0f, nonce 64..7b ("defg...{").
KAT_SALT = bytes(range(16))
KAT_NONCE = bytes(range(100, 124))
KAT_KEY = bytes.fromhex("c05ce4c4dd7e0e45ee6011cc59d068ade47df1b01fc0cf9cd4678bdf68a5b7b0")
KAT_CIPHERTEXT = base64.b64decode(
    "jBwsEFFjvuZKA98mDrdfq85CCWaGRiWCHO7X84iyEptlv42UzcbPunx0ruBWJHFc"
)


@pytest.fixture
def cached_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memoise Argon2id: mutation tests that keep salt and cost then cost one derivation."""
    monkeypatch.setattr(keyfile, "_derive_key", functools.cache(keyfile._derive_key))


@pytest.fixture(scope="module")
def sealed() -> bytes:
    return seal_secret(SECRET, PASSPHRASE, HEADER, strength=FAST)


def _document(data: bytes) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(data)
    return result


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def _with(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document = _document(data)
    change(document)
    return _dump(document)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --- round trips ------------------------------------------------------------------------------


def _strong_enough(passphrase: str) -> bool:
    try:
        check_passphrase_strength(passphrase)
    except InvalidInput:
        return False
    return True


def test_round_trip(sealed: bytes) -> None:
    opened = open_secret(sealed, PASSPHRASE)
    assert opened.secret == SECRET
    assert dict(opened.header) == HEADER


@settings(max_examples=4, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=300),
    passphrase=st.text(min_size=12, max_size=40).filter(
        lambda p: not any(0xD800 <= ord(c) <= 0xDFFF for c in p) and _strong_enough(p)
    ),
    header=st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.one_of(st.text(max_size=20), st.integers(min_value=-(2**70), max_value=2**70)),
        max_size=4,
    ),
)
def test_round_trip_any_input(secret: bytes, passphrase: str, header: dict[str, Any]) -> None:
    opened = open_secret(seal_secret(secret, passphrase, header, strength=FAST), passphrase)
    assert opened.secret == secret
    assert dict(opened.header) == header


def test_passphrase_is_nfc_normalised() -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    data = seal_secret(SECRET, composed, HEADER, strength=FAST)
    assert open_secret(data, decomposed).secret == SECRET


def test_fresh_salt_and_nonce_each_time(sealed: bytes) -> None:
    again = _document(seal_secret(SECRET, PASSPHRASE, HEADER, strength=FAST))
    first = _document(sealed)
    assert again["kdf"]["salt"] != first["kdf"]["salt"]
    assert again["aead"]["nonce"] != first["aead"]["nonce"]


def test_default_strength_is_moderate_and_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[keyfile.KdfParams] = []

    def fake_derive(passphrase: bytes, salt: bytes, kdf: keyfile.KdfParams) -> bytes:
        seen.append(kdf)
        return bytes(32)

    monkeypatch.setattr(keyfile, "_derive_key", fake_derive)
    document = _document(seal_secret(SECRET, PASSPHRASE, HEADER))
    assert seen == [KdfStrength.MODERATE.params]
    assert document["kdf"]["passes"] == 3
    assert document["kdf"]["memory_kib"] == 256 * 1024


def test_presets_match_libsodium() -> None:
    argon = nacl.pwhash.argon2id
    for strength, ops, mem in [
        (KdfStrength.INTERACTIVE, argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE),
        (KdfStrength.MODERATE, argon.OPSLIMIT_MODERATE, argon.MEMLIMIT_MODERATE),
        (KdfStrength.SENSITIVE, argon.OPSLIMIT_SENSITIVE, argon.MEMLIMIT_SENSITIVE),
    ]:
        assert (strength.params.opslimit, strength.params.memlimit) == (ops, mem)


def test_read_public_header_needs_no_passphrase(sealed: bytes) -> None:
    assert dict(read_public_header(sealed)) == HEADER


# --- known answers and independent implementations ---------------------------------------------


def _kat_file() -> bytes:
    return keyfile._seal_with(
        SECRET, PASSPHRASE, HEADER, FAST.params, salt=KAT_SALT, nonce=KAT_NONCE
    )


def test_known_answer() -> None:
    document = _document(_kat_file())
    assert document == {
        "format": "evote-trustee-key",
        "version": 1,
        "header": HEADER,
        "kdf": {
            "algorithm": "argon2id",
            "argon2_version": 19,
            "passes": 2,
            "memory_kib": 65536,
            "parallelism": 1,
            "salt": _b64(KAT_SALT),
        },
        "aead": {
            "algorithm": "xchacha20poly1305-ietf",
            "nonce": _b64(KAT_NONCE),
            "ciphertext": _b64(KAT_CIPHERTEXT),
        },
    }


def test_key_derivation_agrees_with_rfc9106_parameters() -> None:
    # An independent Argon2 (OpenSSL, through cryptography) with the RFC 9106 names of the
    # stored parameters: t = passes, m = memory_kib, p = 1, T = 32, v = 0x13.
    independent = Argon2id(
        salt=KAT_SALT, length=32, iterations=2, lanes=1, memory_cost=65536
    ).derive(PASSPHRASE.encode())
    assert independent == KAT_KEY
    assert keyfile._derive_key(PASSPHRASE.encode(), KAT_SALT, FAST.params) == KAT_KEY


_MASK32 = 0xFFFFFFFF


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & _MASK32


def _hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """HChaCha20, draft-irtf-cfrg-xchacha-03 section 2.2: a test oracle, not used by evote."""
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def quarter(a: int, b: int, c: int, d: int) -> None:
        state[a] = (state[a] + state[b]) & _MASK32
        state[d] = _rotl(state[d] ^ state[a], 16)
        state[c] = (state[c] + state[d]) & _MASK32
        state[b] = _rotl(state[b] ^ state[c], 12)
        state[a] = (state[a] + state[b]) & _MASK32
        state[d] = _rotl(state[d] ^ state[a], 8)
        state[c] = (state[c] + state[d]) & _MASK32
        state[b] = _rotl(state[b] ^ state[c], 7)

    for _ in range(10):
        for column in range(4):
            quarter(column, column + 4, column + 8, column + 12)
        for a, b, c, d in [(0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)]:
            quarter(a, b, c, d)
    return struct.pack("<8I", *(state[0:4] + state[12:16]))


def test_hchacha20_oracle_matches_draft_vector() -> None:
    # draft-irtf-cfrg-xchacha-03 section 2.2.1.
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    expected = bytes.fromhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")
    assert _hchacha20(key, nonce) == expected


def test_ciphertext_agrees_with_independent_xchacha20poly1305() -> None:
    # XChaCha20-Poly1305 = ChaCha20-Poly1305 (RFC 8439) under HChaCha20(key, nonce[:16]) with
    # nonce 0^4 || nonce[16:]; the associated data is the injective encoding of the clear fields.
    associated = keyfile._associated_data(HEADER, FAST.params, KAT_SALT, KAT_NONCE)
    subkey = _hchacha20(KAT_KEY, KAT_NONCE[:16])
    independent = ChaCha20Poly1305(subkey).encrypt(bytes(4) + KAT_NONCE[16:], SECRET, associated)
    assert independent == KAT_CIPHERTEXT


def test_associated_data_ignores_header_order() -> None:
    reordered = dict(reversed(list(HEADER.items())))
    assert keyfile._associated_data(
        reordered, FAST.params, KAT_SALT, KAT_NONCE
    ) == keyfile._associated_data(HEADER, FAST.params, KAT_SALT, KAT_NONCE)


# --- wrong passphrase and tampering ------------------------------------------------------------


def test_wrong_passphrase(sealed: bytes) -> None:
    with pytest.raises(InvalidKeyFile, match="wrong passphrase or tampered key file <bytes>"):
        open_secret(sealed, PASSPHRASE + "!")


def _flip_each_byte(raw: bytes) -> Iterator[bytes]:
    for position in range(len(raw)):
        yield raw[:position] + bytes([raw[position] ^ 0x01]) + raw[position + 1 :]


def _tamper_section(data: bytes, section: str, name: str) -> Iterator[bytes]:
    raw = base64.b64decode(_document(data)[section][name])
    for mutated in _flip_each_byte(raw):

        def change(document: dict[str, Any], mutated: bytes = mutated) -> None:
            document[section][name] = _b64(mutated)

        yield _with(data, change)


@pytest.mark.usefixtures("cached_kdf")
@pytest.mark.parametrize(
    ("section", "name"), [("aead", "ciphertext"), ("aead", "nonce"), ("kdf", "salt")]
)
def test_every_byte_tampered_is_refused(sealed: bytes, section: str, name: str) -> None:
    for mutated in _tamper_section(sealed, section, name):
        with pytest.raises(InvalidKeyFile, match="wrong passphrase or tampered key file"):
            open_secret(mutated, PASSPHRASE)


def _header_mutations() -> Iterator[tuple[str, Callable[[dict[str, Any]], None]]]:
    for name, value in HEADER.items():
        changed: str | int = value + 1 if isinstance(value, int) else value + "x"
        retyped: str | int = str(value) if isinstance(value, int) else 7

        def change(header: dict[str, Any], n: str = name, v: str | int = changed) -> None:
            header[n] = v

        def retype(header: dict[str, Any], n: str = name, v: str | int = retyped) -> None:
            header[n] = v

        def drop(header: dict[str, Any], n: str = name) -> None:
            del header[n]

        def rename(header: dict[str, Any], n: str = name) -> None:
            header[n + "_"] = header.pop(n)

        yield f"change {name}", change
        yield f"retype {name}", retype
        yield f"drop {name}", drop
        yield f"rename {name}", rename

    def add(header: dict[str, Any]) -> None:
        header["role"] = "chair"

    yield "add a field", add


@pytest.mark.usefixtures("cached_kdf")
@pytest.mark.parametrize(("label", "mutate"), list(_header_mutations()))
def test_header_tampered_is_refused(
    sealed: bytes, label: str, mutate: Callable[[dict[str, Any]], None]
) -> None:
    tampered = _with(sealed, lambda document: mutate(document["header"]))
    with pytest.raises(InvalidKeyFile, match="wrong passphrase or tampered key file"):
        open_secret(tampered, PASSPHRASE)


@pytest.mark.parametrize(("name", "value"), [("passes", 3), ("memory_kib", 65536 + 1024)])
def test_raised_kdf_cost_is_refused(sealed: bytes, name: str, value: int) -> None:
    # Within bounds, so the file reaches the AEAD, which refuses the changed parameters.
    tampered = _with(sealed, lambda document: document["kdf"].__setitem__(name, value))
    with pytest.raises(InvalidKeyFile, match="wrong passphrase or tampered key file"):
        open_secret(tampered, PASSPHRASE)


@pytest.mark.usefixtures("cached_kdf")
def test_every_bit_of_the_file_matters() -> None:
    data = _kat_file()
    for position in range(len(data)):
        for bit in (0x01, 0x20):
            mutated = data[:position] + bytes([data[position] ^ bit]) + data[position + 1 :]
            with pytest.raises(InvalidKeyFile):
                open_secret(mutated, PASSPHRASE)


# --- downgrades, malformed files, unknown versions ---------------------------------------------


def _never_derive(passphrase: bytes, salt: bytes, kdf: keyfile.KdfParams) -> bytes:
    raise AssertionError("a malformed file must be refused before the key derivation")


@pytest.fixture
def no_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyfile, "_derive_key", _never_derive)


@pytest.mark.usefixtures("no_kdf")
@pytest.mark.parametrize(
    ("passes", "memory_kib", "message"),
    [
        (1, 65536, "below the minimum"),
        (2, 65535, "below the minimum"),
        (1, 8, "below the minimum"),
        (0, 0, "below the minimum"),
        (-1, 65536, "below the minimum"),
        (5, 65536, "above the maximum"),
        (2, 1024 * 1024 + 1, "above the maximum"),
        (2**64, 2**64, "above the maximum"),
    ],
)
def test_kdf_cost_out_of_bounds_is_refused(
    sealed: bytes, passes: int, memory_kib: int, message: str
) -> None:
    def change(document: dict[str, Any]) -> None:
        document["kdf"]["passes"] = passes
        document["kdf"]["memory_kib"] = memory_kib

    with pytest.raises(InvalidKeyFile, match=message):
        open_secret(_with(sealed, change), PASSPHRASE)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = document
        for parent in parents:
            target = target[parent]
        target[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = document
        for parent in parents:
            target = target[parent]
        del target[last]

    return change


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("format", _set("format", "evote-trustee-keys"), "format"),
    ("format type", _set("format", 1), "format"),
    ("version 2", _set("version", 2), "unknown version 2"),
    ("version 0", _set("version", 0), "unknown version 0"),
    ("version str", _set("version", "1"), r"\.version: expected an integer"),
    ("version bool", _set("version", True), r"\.version: expected an integer"),
    ("version float", _set("version", 1.0), r"\.version: number '1.0' is not an integer"),
    ("missing version", _delete("version"), r"\.version: missing field"),
    ("missing aead", _delete("aead"), r"\.aead: missing field"),
    ("unknown top field", _set("comment", "hi"), r"\.comment: unknown field"),
    ("header list", _set("header", []), r"\.header: expected an object"),
    ("header bool", _set("header.trustee_index", True), "must be a str or an int"),
    ("header float", _set("header.trustee_index", 2.0), r"trustee_index: number '2.0' is not"),
    ("header null", _set("header.trustee_name", None), "must be a str or an int"),
    ("header empty name", _set("header.", "x"), "not a non-empty str"),
    ("kdf list", _set("kdf", []), r"\.kdf: expected an object"),
    ("kdf algorithm", _set("kdf.algorithm", "argon2i"), r"\.kdf\.algorithm: 'argon2i', expected"),
    ("argon2 version", _set("kdf.argon2_version", 16), r"\.kdf\.argon2_version: 16, expected 19"),
    ("argon2 version bool", _set("kdf.argon2_version", True), r"argon2_version: expected an int"),
    ("parallelism", _set("kdf.parallelism", 4), r"\.kdf\.parallelism: 4, expected 1"),
    ("passes str", _set("kdf.passes", "2"), r"\.kdf\.passes: expected an integer"),
    ("memory float", _set("kdf.memory_kib", 65536.0), r"\.kdf\.memory_kib: number '65536.0'"),
    ("missing salt", _delete("kdf.salt"), r"\.kdf\.salt: missing field"),
    ("unknown kdf field", _set("kdf.pepper", "x"), r"\.kdf\.pepper: unknown field"),
    ("salt short", _set("kdf.salt", _b64(bytes(15))), "expected 16 bytes, got 15"),
    ("salt long", _set("kdf.salt", _b64(bytes(17))), "expected 16 bytes, got 17"),
    ("salt not base64", _set("kdf.salt", "!!!!"), r"\.kdf\.salt: not canonical base64"),
    ("salt not str", _set("kdf.salt", 5), r"\.kdf\.salt: expected a string"),
    ("salt unpadded", _set("kdf.salt", _b64(bytes(16)).rstrip("=")), "not canonical base64"),
    ("salt non-canonical", _set("kdf.salt", "AAAAAAAAAAAAAAAAAAAAAB=="), "not canonical"),
    (
        "salt with newline",
        _set("kdf.salt", _b64(bytes(16))[:8] + "\n" + _b64(bytes(16))[8:]),
        "not canonical base64",
    ),
    ("aead algorithm", _set("aead.algorithm", "aes-256-gcm"), r"\.aead\.algorithm: 'aes-256-gcm'"),
    ("nonce short", _set("aead.nonce", _b64(bytes(12))), "expected 24 bytes, got 12"),
    ("ciphertext tag only", _set("aead.ciphertext", _b64(bytes(16))), "too short"),
    ("ciphertext empty", _set("aead.ciphertext", ""), "too short"),
    ("unknown aead field", _set("aead.tag", "x"), r"\.aead\.tag: unknown field"),
]


@pytest.mark.usefixtures("no_kdf")
@pytest.mark.parametrize(
    ("label", "change", "message"), MALFORMED, ids=[label for label, _, _ in MALFORMED]
)
def test_malformed_file_is_refused(
    sealed: bytes, label: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(InvalidKeyFile, match=message):
        open_secret(_with(sealed, change), PASSPHRASE)


@pytest.mark.usefixtures("no_kdf")
def test_truncated_file_is_refused(sealed: bytes) -> None:
    for length in range(len(sealed) - 1):  # the last byte is the optional final newline
        with pytest.raises(InvalidKeyFile, match="key file <bytes>"):
            open_secret(sealed[:length], PASSPHRASE)


@pytest.mark.usefixtures("no_kdf")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "<bytes>: not JSON"),
        (b"\x00\x01garbage\xff", "invalid UTF-8 at byte 9"),
        (b"\xef\xbb\xbf{}", "not JSON"),
        (b"[1, 2]", "<bytes>: expected an object, got an array"),
        (b"null", "<bytes>: expected an object, got null"),
        (b'{"version": NaN}', "NaN is not allowed"),
        (b'{"format": "a", "format": "b"}', r"<bytes>\.format: duplicate key 'format'"),
        (b'{"version": 1' + b"0" * 5000 + b"}", r"\.version: integer with 5001 digits"),
        (b"{}", r"<bytes>\.format: missing field"),
        (b" " * (keyfile.MAX_FILE_BYTES + 1), "larger than"),
    ],
)
def test_garbage_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidKeyFile, match=message):
        open_secret(data, PASSPHRASE)


def test_data_must_be_bytes(sealed: bytes) -> None:
    with pytest.raises(InvalidInput, match="must be bytes"):
        open_secret(sealed.decode(), PASSPHRASE)  # type: ignore[arg-type]


# --- bad arguments -----------------------------------------------------------------------------


def test_empty_passphrase_is_refused(sealed: bytes) -> None:
    with pytest.raises(InvalidInput, match="passphrase is empty"):
        seal_secret(SECRET, "", HEADER, strength=FAST)
    with pytest.raises(InvalidInput, match="passphrase is empty"):
        open_secret(sealed, "")


def test_empty_passphrase_is_not_a_key_file_error(sealed: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_secret(sealed, "")
    assert not isinstance(caught.value, InvalidKeyFile)


@pytest.mark.parametrize(
    ("secret", "passphrase", "header", "message"),
    [
        (b"", PASSPHRASE, HEADER, "secret is empty"),
        ("text", PASSPHRASE, HEADER, "secret must be bytes"),
        (SECRET, b"bytes", HEADER, "passphrase must be a str"),
        (SECRET, "\ud800", HEADER, "lone surrogate"),
        (SECRET, PASSPHRASE, [("a", 1)], "header must be a mapping"),
        (SECRET, PASSPHRASE, {"": 1}, "not a non-empty str"),
        (SECRET, PASSPHRASE, {1: 1}, "not a non-empty str"),
        (SECRET, PASSPHRASE, {"flag": True}, "'flag' must be a str or an int"),
        (SECRET, PASSPHRASE, {"x": 1.5}, "'x' must be a str or an int"),
        (SECRET, PASSPHRASE, {"x": None}, "'x' must be a str or an int"),
        (SECRET, PASSPHRASE, {"x": b"raw"}, "'x' must be a str or an int"),
    ],
)
def test_bad_arguments_are_refused(secret: Any, passphrase: Any, header: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        seal_secret(secret, passphrase, header, strength=FAST)


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("x", "passphrase too short: 1 characters, at least 12"),
        ("eleven char", "passphrase too short: 11 characters"),
        ("cafe\u0301 laits!", "passphrase too short: 11 characters"),  # 12 before NFC
        ("aaaaaaaaaaaaaaaaaaaa", "passphrase too repetitive: 1 different characters"),
        ("abcabcabcabcabc", "passphrase too repetitive: 3 different characters"),
        ("314159265358979", "passphrase is only digits"),
    ],
)
def test_weak_passphrases_are_refused_when_writing(
    tmp_path: Path, sealed: bytes, weak: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_passphrase_strength(weak)
    with pytest.raises(InvalidInput, match=message):
        seal_secret(SECRET, weak, HEADER, strength=FAST)
    with pytest.raises(InvalidInput, match=message):
        write_key_file(tmp_path / "weak.key", SECRET, weak, HEADER, strength=FAST)
    assert not (tmp_path / "weak.key").exists()


def test_passphrase_rule_boundaries() -> None:
    check_passphrase_strength("abcdef123456")  # 12 characters, 12 distinct
    check_passphrase_strength("aaaaaabcdefg")  # 12 characters, exactly 6 distinct
    check_passphrase_strength(PASSPHRASE)
    with pytest.raises(InvalidInput, match="5 different characters"):
        check_passphrase_strength("aaaaaaabcdea")


def test_a_file_with_a_weak_passphrase_still_opens() -> None:
    """The rule binds what is written: an older file under a short passphrase stays readable."""
    data = keyfile._seal_with(
        SECRET, "short", HEADER, KdfStrength.INTERACTIVE.params, salt=bytes(16), nonce=bytes(24)
    )
    assert open_secret(data, "short").secret == SECRET


def test_strength_must_be_a_preset() -> None:
    with pytest.raises(InvalidInput, match="strength must be a KdfStrength"):
        seal_secret(SECRET, PASSPHRASE, HEADER, strength="interactive")  # type: ignore[arg-type]


# --- nothing secret shows ----------------------------------------------------------------------


def _secret_forms(value: bytes) -> list[str]:
    return [repr(value), value.hex(), _b64(value), str(list(value))]


def test_repr_hides_the_secret(sealed: bytes) -> None:
    opened = open_secret(sealed, PASSPHRASE)
    shown = repr(opened) + str(opened)
    assert "<hidden>" in shown
    assert "demo-2025" in shown
    for form in _secret_forms(SECRET):
        assert form not in shown


def test_opened_secret_is_frozen(sealed: bytes) -> None:
    opened = open_secret(sealed, PASSPHRASE)
    with pytest.raises(AttributeError):
        opened.secret = b"x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        opened.header["trustee_index"] = 3  # type: ignore[index]


def test_errors_do_not_show_the_passphrase(sealed: bytes) -> None:
    with pytest.raises(InvalidKeyFile) as caught:
        open_secret(sealed, "hunter2-wrong")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or "hunter2" not in repr(caught.value.__context__)


def test_sealed_secret_value_has_no_key_in_repr() -> None:
    value = SealedSecret(header={"a": 1}, secret=b"top secret")
    assert "top secret" not in repr(value)


# --- files on disk -----------------------------------------------------------------------------


def test_write_then_read(tmp_path: Path) -> None:
    path = tmp_path / "trustee-2.key"
    write_key_file(path, SECRET, PASSPHRASE, HEADER, strength=FAST)
    opened = read_key_file(path, PASSPHRASE)
    assert opened.secret == SECRET
    assert dict(opened.header) == HEADER
    assert os.listdir(tmp_path) == ["trustee-2.key"]


def test_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "trustee.key"
    previous = os.umask(0)
    try:
        write_key_file(path, SECRET, PASSPHRASE, HEADER, strength=FAST)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "trustee.key"
    write_key_file(path, b"first", PASSPHRASE, HEADER, strength=FAST)
    with pytest.raises(InvalidInput, match="already exists"):
        write_key_file(path, b"second", PASSPHRASE, HEADER, strength=FAST)
    assert read_key_file(path, PASSPHRASE).secret == b"first"
    write_key_file(path, b"second", PASSPHRASE, HEADER, strength=FAST, overwrite=True)
    assert read_key_file(path, PASSPHRASE).secret == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["trustee.key"]


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replace(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        write_key_file(tmp_path / "trustee.key", SECRET, PASSPHRASE, HEADER, strength=FAST)
    assert os.listdir(tmp_path) == []


def test_bad_arguments_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_key_file(tmp_path / "trustee.key", SECRET, "", HEADER, strength=FAST)
    assert os.listdir(tmp_path) == []


def test_wrong_passphrase_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "trustee.key"
    write_key_file(path, SECRET, PASSPHRASE, HEADER, strength=FAST)
    with pytest.raises(InvalidKeyFile, match=f"wrong passphrase or tampered key file {path}$"):
        read_key_file(path, "not it")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidKeyFile, match="cannot read key file"):
        read_key_file(tmp_path / "absent.key", PASSPHRASE)


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.key"
    path.write_bytes(b" " * (keyfile.MAX_FILE_BYTES + 10))
    with pytest.raises(InvalidKeyFile, match="larger than"):
        read_key_file(path, PASSPHRASE)


def test_truncated_file_on_disk(tmp_path: Path, sealed: bytes) -> None:
    path = tmp_path / "cut.key"
    path.write_bytes(sealed[: len(sealed) // 2])
    with pytest.raises(InvalidKeyFile, match=f"key file {path}: not JSON"):
        read_key_file(path, PASSPHRASE)
