"""Credentials: codes and their check symbol, the KDF, the public list, the registrar, letters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots import credentials
from evote.ballots.credentials import (
    ALPHABET,
    CODE_LENGTH,
    DATA_LENGTH,
    ENTROPY_BITS,
    GROUP_SIZE,
    MAX_WEIGHT,
    CredentialEntry,
    CredentialList,
    Registrar,
    RegistrationResult,
    check_symbol,
    credential_keypair,
    credential_letter,
    derive_credential_secret,
    format_credential_code,
    generate_credential_code,
    kdf_info,
    parse_credential_code,
    public_credential,
)
from evote.crypto.encoding import encode
from evote.crypto.groups import ED25519, MODP4096, Group, all_groups
from evote.errors import (
    InvalidCredential,
    InvalidGroupElement,
    InvalidInput,
    UnknownCredential,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "credentials.json").read_text("utf-8")
)
CODE = "01234-56789-ABCDE-FGHJT"  # the first vector code
ELECTION = "test-2025"
MISTYPED = "credential mistyped: the check character does not match; please re-read it"


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    """Each group; module-scoped so that hypothesis tests may take it."""
    chosen: Group = request.param
    return chosen


def data_symbols() -> st.SearchStrategy[str]:
    return st.text(alphabet=ALPHABET, min_size=DATA_LENGTH, max_size=DATA_LENGTH)


def complete(data: str) -> str:
    return format_credential_code(data + check_symbol(data))


def bare(code: str) -> str:
    return code.replace("-", "")


# -- an independent reference for the check symbol and the KDF -------------------------------


def gf32_multiply(a: int, b: int) -> int:
    """Carry-less multiplication modulo x^5 + x^2 + 1, written independently of the module."""
    product = 0
    for bit in range(5):
        if b >> bit & 1:
            product ^= a << bit
    for bit in range(8, 4, -1):
        if product >> bit & 1:
            product ^= 0b100101 << (bit - 5)
    return product


def reference_check_sum(symbols: str) -> int:
    total = 0
    alpha_power = 1
    for symbol in reversed(symbols):
        total ^= gf32_multiply(ALPHABET.index(symbol), alpha_power)
        alpha_power = gf32_multiply(alpha_power, 2)
    return total


def reference_hkdf_sha512(ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 with hmac from the standard library (no salt: 64 zero bytes)."""
    prk = hmac.new(bytes(64), ikm, hashlib.sha512).digest()
    okm, block = b"", b""
    for counter in range(1, math.ceil(length / 64) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha512).digest()
        okm += block
    return okm[:length]


# -- known answers ---------------------------------------------------------------------------


def test_check_symbol_vectors() -> None:
    for vector in VECTORS["check_symbols"]:
        assert complete(vector["data"]) == vector["code"]
        assert reference_check_sum(bare(vector["code"])) == 0
        assert parse_credential_code(vector["code"]) == vector["code"]


@pytest.mark.parametrize("group_name", [group.name for group in all_groups()])
def test_derivation_vectors(group_name: str) -> None:
    group = {g.name: g for g in all_groups()}[group_name]
    for vector in VECTORS["groups"][group_name]["derivations"]:
        code, election_id = vector["code"], vector["election_id"]
        info = kdf_info(group, election_id)
        assert info.hex() == vector["kdf_info"]
        assert info == encode("evote/1", "credential-kdf", [group_name, election_id])
        okm = reference_hkdf_sha512(bare(code).encode("ascii"), info, 64)
        assert okm.hex() == vector["kdf_output"]
        secret = derive_credential_secret(group, election_id, code)
        assert secret == int.from_bytes(okm, "big") % group.order
        assert Group.scalar_to_bytes(secret).hex() == vector["secret"]
        assert public_credential(group, election_id, code).to_bytes().hex() == vector["public"]


@pytest.mark.parametrize("group_name", [group.name for group in all_groups()])
def test_list_vectors(group_name: str) -> None:
    group = {g.name: g for g in all_groups()}[group_name]
    vector = VECTORS["groups"][group_name]["list"]
    entries = tuple(
        CredentialEntry(public_credential(group, vector["election_id"], code), weight)
        for code, weight in zip(vector["codes"], vector["weights"], strict=True)
    )
    listed = CredentialList(group, entries)
    assert listed.to_json_obj() == vector["json"]
    assert listed.digest().hex() == vector["digest"]
    assert CredentialList.from_json_obj(group, vector["json"]).digest().hex() == vector["digest"]


# -- codes -----------------------------------------------------------------------------------


def test_alphabet_and_entropy() -> None:
    assert len(set(ALPHABET)) == len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)
    assert "".join(sorted(ALPHABET)) == ALPHABET
    assert ENTROPY_BITS == DATA_LENGTH * math.log2(len(ALPHABET)) == 95
    assert ENTROPY_BITS >= 80
    assert CODE_LENGTH == DATA_LENGTH + 1 == 4 * GROUP_SIZE


def test_generated_codes_are_well_formed_and_fresh() -> None:
    codes = [generate_credential_code() for _ in range(300)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        groups = code.split("-")
        assert [len(part) for part in groups] == [GROUP_SIZE] * 4
        assert set(bare(code)) <= set(ALPHABET)
        assert parse_credential_code(code) == code
        assert reference_check_sum(bare(code)) == 0
    # Every symbol appears in every data position over enough draws: no position is constant.
    for position in range(DATA_LENGTH):
        assert len({bare(code)[position] for code in codes}) > 16


def test_every_substitution_is_detected_exhaustively() -> None:
    symbols = bare(CODE)
    for position in range(CODE_LENGTH):
        for replacement in ALPHABET:
            if replacement == symbols[position]:
                continue
            typed = symbols[:position] + replacement + symbols[position + 1 :]
            with pytest.raises(InvalidCredential, match=MISTYPED):
                parse_credential_code(typed)


def test_every_transposition_is_detected_exhaustively() -> None:
    symbols = bare(CODE)
    for first in range(CODE_LENGTH):
        for second in range(first + 1, CODE_LENGTH):
            if symbols[first] == symbols[second]:
                continue
            swapped = list(symbols)
            swapped[first], swapped[second] = swapped[second], swapped[first]
            with pytest.raises(InvalidCredential, match=MISTYPED):
                parse_credential_code("".join(swapped))


@settings(max_examples=60, deadline=None)
@given(data_symbols(), st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_random_substitution_is_detected(data: str, position: int, replacement: str) -> None:
    symbols = bare(complete(data))
    if replacement == symbols[position]:
        return
    with pytest.raises(InvalidCredential, match=MISTYPED):
        parse_credential_code(symbols[:position] + replacement + symbols[position + 1 :])


@settings(max_examples=60, deadline=None)
@given(data_symbols(), st.integers(0, CODE_LENGTH - 2))
def test_random_adjacent_swap_is_detected(data: str, position: int) -> None:
    symbols = list(bare(complete(data)))
    if symbols[position] == symbols[position + 1]:
        return
    symbols[position], symbols[position + 1] = symbols[position + 1], symbols[position]
    with pytest.raises(InvalidCredential, match=MISTYPED):
        parse_credential_code("".join(symbols))


@pytest.mark.parametrize("data", ["0123o", "ABCDU", "abc", None])
def test_check_symbol_refuses_non_canonical_symbols(data: object) -> None:
    with pytest.raises(InvalidCredential, match="canonical symbols"):
        check_symbol(data)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(data_symbols())
def test_check_symbol_matches_the_reference(data: str) -> None:
    assert reference_check_sum(data + check_symbol(data)) == 0


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        CODE.lower(),
        bare(CODE),
        bare(CODE).lower(),
        "  01234 56789 abcde fghjt \n",
        "0-1-2-3-4-5-6-7-8-9-A-B-C-D-E-F-G-H-J-T",
        "O1234-56789-ABCDE-FGHJT",  # the letter O for zero
        "0I234-56789-ABCDE-FGHJT",  # the letter I for one
        "0l234-56789-ABCDE-FGHJT",  # a lower-case L for one
        "01234\u201056789\u2013ABCDE\u2014FGHJT",  # Unicode dashes pasted from a document
        "01234\u00a056789\tABCDE FGHJT",  # a non-breaking space and a tab
    ],
)
def test_normalisation(typed: str) -> None:
    assert parse_credential_code(typed) == CODE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("01234-56U89-ABCDE-FGHJT", r"'U' at position 9 \(group 2\)"),
        ("01234-56789-ABCDE-FGH*T", r"'\*' at position 22 \(group 4\)"),
        ("01234-56789-ABCDÉ-FGHJT", r"'É' at position 17 \(group 3\)"),
        ("01234_56789-ABCDE-FGHJT", r"'_' at position 6 \(group 2\)"),
        ("01234-56789-ABCDE-FGHJ", r"19 letters and digits, expected 20 .*missing"),
        ("01234-56789-ABCDE-FGHJTT", r"21 letters and digits, expected 20 .*extra"),
        ("", r"0 letters and digits"),
        ("0" * 500, r"500 characters typed"),
        ("01234-56789-ABCDE-FGHJ0", MISTYPED),
    ],
)
def test_parse_errors_say_what_and_where(typed: str, message: str) -> None:
    with pytest.raises(InvalidCredential, match=message):
        parse_credential_code(typed)


@pytest.mark.parametrize("value", [None, 12345, b"01234-56789-ABCDE-FGHJT", ["0"]])
def test_parse_refuses_non_text(value: object) -> None:
    with pytest.raises(InvalidCredential, match="expected text"):
        parse_credential_code(value)  # type: ignore[arg-type]


# -- derivation ------------------------------------------------------------------------------


def test_secret_is_bound_to_the_election_and_the_group(group: Group) -> None:
    first = derive_credential_secret(group, "election-a", CODE)
    assert first != derive_credential_secret(group, "election-b", CODE)
    assert first != derive_credential_secret(group, "election-a", complete("1" * DATA_LENGTH))
    other = MODP4096 if group is ED25519 else ED25519
    assert first != derive_credential_secret(other, "election-a", CODE)
    assert 0 < first < group.order


def test_typed_forms_give_the_same_credential(group: Group) -> None:
    secret, public = credential_keypair(group, ELECTION, CODE)
    assert derive_credential_secret(group, ELECTION, bare(CODE).lower()) == secret
    assert public_credential(group, ELECTION, "o1234 56789 abcde fghjt") == public
    assert public == group.base_exp(secret)


def test_derivation_refuses_a_mistyped_code(group: Group) -> None:
    with pytest.raises(InvalidCredential, match=MISTYPED):
        derive_credential_secret(group, ELECTION, "11234-56789-ABCDE-FGHJT")


@pytest.mark.parametrize("election_id", ["", None, 7, b"id"])
def test_derivation_refuses_a_bad_election_id(election_id: object) -> None:
    with pytest.raises(InvalidInput, match="election_id"):
        derive_credential_secret(ED25519, election_id, CODE)  # type: ignore[arg-type]


def test_zero_scalar_is_refused(group: Group, monkeypatch: pytest.MonkeyPatch) -> None:
    class ZeroKdf:
        def __init__(self, **_: object) -> None:
            pass

        def derive(self, _: bytes) -> bytes:
            return group.order.to_bytes(64, "big")

    monkeypatch.setattr(credentials, "HKDF", ZeroKdf)
    with pytest.raises(InvalidCredential, match="zero scalar"):
        derive_credential_secret(group, ELECTION, CODE)


# -- the list --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def publics(group: Group) -> list[Any]:
    return [group.base_exp(k) for k in (3, 5, 7, 11)]


def test_list_is_sorted_and_indexed(group: Group, publics: list[Any]) -> None:
    entries = tuple(CredentialEntry(p, w) for p, w in zip(publics, (1, 2, 1, 4), strict=True))
    listed = CredentialList(group, entries)
    keys = [entry.public.to_bytes() for entry in listed.entries]
    assert keys == sorted(keys)
    assert len(listed) == 4
    assert listed.total_weight == 8
    for entry in entries:
        assert entry.public in listed
        assert listed.weight_of(entry.public) == entry.weight
    stranger = group.base_exp(13)
    assert stranger not in listed
    assert "not an element" not in listed
    with pytest.raises(UnknownCredential, match="not on the election's credential list"):
        listed.weight_of(stranger)
    assert CredentialList(group, tuple(reversed(entries))) == listed
    assert CredentialList(group, tuple(reversed(entries))).digest() == listed.digest()


def test_list_digest_binds_entries_and_weights(group: Group, publics: list[Any]) -> None:
    base = CredentialList(group, tuple(CredentialEntry(p) for p in publics))
    assert len(base.digest()) == 32
    reweighted = CredentialList(
        group, (CredentialEntry(publics[0], 2), *(CredentialEntry(p) for p in publics[1:]))
    )
    shorter = CredentialList(group, tuple(CredentialEntry(p) for p in publics[1:]))
    assert len({base.digest(), reweighted.digest(), shorter.digest()}) == 3


def test_empty_list(group: Group) -> None:
    empty = CredentialList(group, ())
    assert len(empty) == 0
    assert empty.total_weight == 0
    assert CredentialList.from_json_obj(group, empty.to_json_obj()) == empty


def test_list_refuses_duplicates(group: Group, publics: list[Any]) -> None:
    entries = (CredentialEntry(publics[0]), CredentialEntry(publics[1], 3))
    with pytest.raises(InvalidCredential, match="duplicate public credential"):
        CredentialList(group, (*entries, CredentialEntry(publics[1])))


def test_list_refuses_identity_and_foreign_elements(group: Group) -> None:
    with pytest.raises(InvalidCredential, match="identity"):
        CredentialList(group, (CredentialEntry(group.identity),))
    other = MODP4096 if group is ED25519 else ED25519
    with pytest.raises(InvalidCredential, match=f"element of {other.name}"):
        CredentialList(group, (CredentialEntry(other.generator),))
    with pytest.raises(InvalidCredential, match="not a CredentialEntry"):
        CredentialList(group, (group.generator,))  # type: ignore[arg-type]


@pytest.mark.parametrize("weight", [0, -1, True, False, 1.0, "1", MAX_WEIGHT + 1, None])
def test_entry_refuses_bad_weights(weight: object) -> None:
    with pytest.raises(InvalidCredential, match="weight"):
        CredentialEntry(ED25519.generator, weight)  # type: ignore[arg-type]


def test_entry_refuses_a_non_element() -> None:
    with pytest.raises(InvalidCredential, match="expected a group element"):
        CredentialEntry(b"\x01" * 32)  # type: ignore[arg-type]


def test_entry_weights() -> None:
    assert CredentialEntry(ED25519.generator).weight == 1
    assert CredentialEntry(ED25519.generator, MAX_WEIGHT).weight == MAX_WEIGHT


# -- JSON ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(group: Group, publics: list[Any]) -> CredentialList:
    return CredentialList(
        group, tuple(CredentialEntry(p, w) for p, w in zip(publics, (1, 2, 1, 4), strict=True))
    )


def test_json_round_trip(group: Group, listed: CredentialList) -> None:
    obj = listed.to_json_obj()
    assert obj["group"] == group.name
    assert set(obj) == {"group", "entries"}
    assert all(set(entry) == {"public", "weight"} for entry in obj["entries"])
    decoded = CredentialList.from_json_obj(group, json.loads(json.dumps(obj)))
    assert decoded == listed
    assert decoded.digest() == listed.digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def outsider(group: Group) -> bytes:
    """A well-formed encoding of something that is not in the group."""
    if group is ED25519:
        return (2**255 - 20).to_bytes(32, "little")  # (0, -1): on the curve, of order 2
    return (4).to_bytes(512, "big")  # a square modulo p, outside the order-q subgroup


def mutations(group: Group, obj: dict[str, Any]) -> list[tuple[str, Any, type[Exception], str]]:
    """(name, mutated object, error class, message pattern) for every strict rule."""
    entries = obj["entries"]
    first = entries[0]

    def with_entries(*new: Any) -> dict[str, Any]:
        return {"group": obj["group"], "entries": list(new)}

    def with_first(**changes: Any) -> dict[str, Any]:
        return with_entries({**first, **changes}, *entries[1:])

    raw = base64.b64decode(first["public"])
    non_member = outsider(group)
    identity = group.identity.to_bytes()
    padded_badly = first["public"].rstrip("=")
    return [
        ("not an object", [], InvalidCredential, "expected an object"),
        ("unknown field", {**obj, "extra": 1}, InvalidCredential, "unknown field.*extra"),
        ("missing field", {"group": obj["group"]}, InvalidCredential, "missing field.*entries"),
        ("wrong group", {**obj, "group": "p256"}, InvalidCredential, "expected"),
        ("entries not a list", {**obj, "entries": {}}, InvalidCredential, "expected a list"),
        ("entry not an object", with_entries("x"), InvalidCredential, r"entries\[0\]"),
        ("entry unknown field", with_first(extra=0), InvalidCredential, "unknown field"),
        (
            "entry missing field",
            with_entries({"public": first["public"]}, *entries[1:]),
            InvalidCredential,
            "missing field.*weight",
        ),
        ("weight is text", with_first(weight="1"), InvalidCredential, r"\[0\]\.weight"),
        ("weight is bool", with_first(weight=True), InvalidCredential, "weight"),
        ("weight is zero", with_first(weight=0), InvalidCredential, "outside"),
        ("weight too big", with_first(weight=MAX_WEIGHT + 1), InvalidCredential, "outside"),
        ("public is int", with_first(public=5), InvalidCredential, "expected base64"),
        ("bad base64", with_first(public="!!" + first["public"][2:]), InvalidCredential, "base64"),
        ("unpadded base64", with_first(public=padded_badly), InvalidCredential, "base64"),
        (
            "non-canonical base64",
            with_first(public=first["public"][:-2] + chr(ord(first["public"][-2]) + 1) + "="),
            InvalidCredential,
            "base64",
        ),
        (
            "duplicate entry",
            with_entries(first, first, *entries[1:]),
            InvalidCredential,
            r"entries\[1\]: duplicate",
        ),
        ("unsorted", with_entries(*reversed(entries)), InvalidCredential, "not sorted"),
        (
            "non-member",
            with_entries({"public": b64(non_member), "weight": 1}),
            InvalidGroupElement,
            r"entries\[0\]",
        ),
        (
            "identity",
            with_entries({"public": b64(identity), "weight": 1}),
            InvalidGroupElement,
            r"entries\[0\]",
        ),
        (
            "short element",
            with_entries({"public": b64(raw[:-1]), "weight": 1}),
            InvalidGroupElement,
            r"entries\[0\]",
        ),
    ]


def test_json_strict_errors(group: Group, listed: CredentialList) -> None:
    obj = listed.to_json_obj()
    for name, mutated, error, pattern in mutations(group, obj):
        with pytest.raises(error, match=pattern):
            CredentialList.from_json_obj(group, mutated)
            pytest.fail(f"mutation {name!r} was accepted")


def test_json_batch_names_the_bad_element(group: Group, listed: CredentialList) -> None:
    obj = listed.to_json_obj()
    bad = outsider(group)
    obj["entries"][2]["public"] = b64(bad)
    obj["entries"] = sorted(obj["entries"], key=lambda entry: base64.b64decode(entry["public"]))
    position = next(i for i, entry in enumerate(obj["entries"]) if entry["public"] == b64(bad))
    with pytest.raises(InvalidGroupElement, match=rf"entries\[{position}\]"):
        CredentialList.from_json_obj(group, obj)


# -- the registrar ---------------------------------------------------------------------------


def test_registrar_generates_one_credential_per_voter(group: Group) -> None:
    voters = ["alice", "bob", "chloé", "dmitri"]
    result = Registrar.generate(group, ELECTION, voters, {"bob": 3})
    assert set(result.codes) == set(voters)
    assert len(set(result.codes.values())) == len(voters)
    listed = result.credential_list
    assert len(listed) == len(voters)
    assert listed.total_weight == 6
    for voter, code in result.codes.items():
        assert parse_credential_code(code) == code
        public = public_credential(group, ELECTION, code)
        assert listed.weight_of(public) == (3 if voter == "bob" else 1)
    assert Registrar().generate(group, ELECTION, []).credential_list.entries == ()


def test_registration_repr_hides_codes() -> None:
    result = Registrar.generate(ED25519, ELECTION, ["alice", "bob"])
    shown = repr(result) + str(result)
    assert "codes hidden" in shown
    for code in result.codes.values():
        assert code not in shown
        assert bare(code) not in shown
    assert isinstance(result, RegistrationResult)


def test_registrar_draws_again_on_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter([CODE, CODE, complete("1" * DATA_LENGTH)])
    monkeypatch.setattr(credentials, "generate_credential_code", lambda: next(drawn))
    result = Registrar.generate(ED25519, ELECTION, ["alice", "bob"])
    assert result.codes == {"alice": CODE, "bob": complete("1" * DATA_LENGTH)}
    assert len(result.credential_list) == 2


def test_registrar_draws_again_on_zero_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    real = credentials.public_credential
    calls = iter([True, False])

    def degenerate_once(group: Group, election_id: str, code: str) -> Any:
        if next(calls):
            raise InvalidCredential("credential: derives the zero scalar")
        return real(group, election_id, code)

    monkeypatch.setattr(credentials, "public_credential", degenerate_once)
    result = Registrar.generate(ED25519, ELECTION, ["alice"])
    assert len(result.credential_list) == 1


@pytest.mark.parametrize(
    ("voters", "weights", "message"),
    [
        (["alice", "alice"], None, r"voter_ids\[1\]: duplicate voter id 'alice'"),
        (["alice", ""], None, r"voter_ids\[1\]"),
        (["alice", 3], None, r"voter_ids\[1\]"),
        ("alice", None, "sequence"),
        (["alice"], {"bob": 2}, "'bob' is not among the voter ids"),
        (["alice"], {"alice": 0}, "outside"),
        (["alice"], {"alice": True}, "integer"),
        (["alice"], [("alice", 2)], "mapping"),
    ],
)
def test_registrar_refuses_bad_input(voters: Any, weights: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Registrar.generate(ED25519, ELECTION, voters, weights)


def test_registrar_refuses_bad_election_id() -> None:
    with pytest.raises(InvalidInput, match="election_id"):
        Registrar.generate(ED25519, "", ["alice"])


# -- letters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["WHAT IT IS FOR", "HOW TO TYPE IT", "KEEP IT SECRET", "in your place"]),
        ("fr", ["À QUOI IL SERT", "COMMENT LE SAISIR", "GARDEZ-LE SECRET", "à votre place"]),
    ],
)
def test_letter(lang: str, words: list[str]) -> None:
    letter = credential_letter("Zoë Martin", "Budget participatif 2025", bare(CODE).lower(), lang)
    assert f"    {CODE}\n" in letter
    assert "Zoë Martin" in letter
    assert "Budget participatif 2025" in letter
    for word in words:
        assert word in letter
    assert Registrar.credential_letter("Zoë Martin", "Budget participatif 2025", CODE, lang) == (
        letter
    )


@pytest.mark.parametrize(
    ("name", "title", "code", "lang", "error", "message"),
    [
        ("Zoë", "Vote", CODE, "de", InvalidInput, "lang"),
        ("Zoë", "Vote", "01234-56789-ABCDE-FGHJ0", "en", InvalidCredential, "mistyped"),
        ("", "Vote", CODE, "en", InvalidInput, "voter_id_or_name"),
        ("Zoë", "  ", CODE, "fr", InvalidInput, "election_title"),
        ("Zoë\x1b[2J", "Vote", CODE, "en", InvalidInput, "control characters"),
        ("Zoë", "Vote\nFake line", CODE, "en", InvalidInput, "control characters"),
    ],
)
def test_letter_refuses_bad_input(
    name: str, title: str, code: str, lang: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        credential_letter(name, title, code, lang)


# -- the compact list (a million credentials) ----------------------------------------


def _reference_digest(group: Group, listed: CredentialList) -> bytes:
    """The specification's formula over the entries (docs/spec.md section 7), not streamed."""
    from evote.crypto.hashing import Purpose, digest32  # noqa: PLC0415

    pairs = [[entry.public, entry.weight] for entry in listed.entries]
    return digest32(Purpose.CREDENTIAL_LIST, group.name, pairs)


@pytest.mark.parametrize("weights", [(1, 1, 1, 1), (1, 2, 1, 4), (MAX_WEIGHT, 1, 300, 1)])
def test_streamed_digest_is_the_specified_one(
    group: Group, publics: list[Any], weights: tuple[int, ...]
) -> None:
    listed = CredentialList(
        group, tuple(CredentialEntry(p, w) for p, w in zip(publics, weights, strict=True))
    )
    assert listed.digest() == _reference_digest(group, listed)
    assert listed.total_weight == sum(weights)
    empty = CredentialList(group, ())
    assert empty.digest() == _reference_digest(group, empty)


def test_json_chunks_are_the_canonical_json(group: Group, listed: CredentialList) -> None:
    from evote import jsonstrict  # noqa: PLC0415

    assert b"".join(listed.json_chunks()) == jsonstrict.dumps(listed.to_json_obj())
    empty = CredentialList(group, ())
    assert b"".join(empty.json_chunks()) == jsonstrict.dumps(empty.to_json_obj())


def test_membership_by_binary_search(group: Group, listed: CredentialList) -> None:
    for entry in listed.entries:
        assert entry.public in listed
        assert listed.weight_of(entry.public) == entry.weight
    stranger = group.generator ** 987654321
    assert stranger not in listed
    with pytest.raises(UnknownCredential):
        listed.weight_of(stranger)
    assert "not an element" not in listed
    assert list(listed.encodings()) == sorted(listed.encodings())


def test_pickle_round_trip_keeps_the_list(listed: CredentialList) -> None:
    import pickle  # noqa: PLC0415

    again = pickle.loads(pickle.dumps(listed))
    assert again == listed
    assert again.digest() == listed.digest()
    assert hash(again) == hash(listed)
    with pytest.raises(AttributeError):
        listed.group = ED25519  # type: ignore[misc]


def test_a_list_is_validated_once_per_process(
    group: Group, listed: CredentialList, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = listed.to_json_obj()
    credentials._VALIDATED.clear()
    calls: list[int] = []
    real = type(group).decode_many

    def counting(self: Group, data: Any, where: str = "element") -> Any:
        calls.append(len(data))
        return real(self, data, where)

    monkeypatch.setattr(type(group), "decode_many", counting)
    CredentialList.from_json_obj(group, obj)
    CredentialList.from_json_obj(group, obj)
    assert calls == [len(listed)]
    # Other bytes are checked again: one outsider is still refused after the memo.
    obj["entries"][0]["public"] = b64(outsider(group))
    obj["entries"] = sorted(obj["entries"], key=lambda entry: base64.b64decode(entry["public"]))
    with pytest.raises(InvalidGroupElement):
        CredentialList.from_json_obj(group, obj)


def test_a_large_list_names_the_bad_element_past_the_first_batch() -> None:
    group = ED25519
    count = 2 * credentials._VALIDATION_BATCH
    encodings = sorted((group.generator ** (i + 2)).to_bytes() for i in range(count))
    bad = outsider(group)
    encodings[-3] = bad
    encodings.sort()
    position = encodings.index(bad)
    assert position >= credentials._VALIDATION_BATCH  # the outsider's bytes start with 0xEC
    obj = {"group": group.name, "entries": [{"public": b64(e), "weight": 1} for e in encodings]}
    with pytest.raises(InvalidGroupElement, match=rf"entries\[{position}\]"):
        CredentialList.from_json_obj(group, obj)


def test_json_bytes_read_like_the_json_tree(group: Group, listed: CredentialList) -> None:
    from evote import jsonstrict  # noqa: PLC0415

    data = jsonstrict.dumps(listed.to_json_obj())
    assert CredentialList.from_json(group, data) == listed
    assert credentials._scan_canonical_entries(group, data) is not None
    empty = CredentialList(group, ())
    assert CredentialList.from_json(group, jsonstrict.dumps(empty.to_json_obj())) == empty
    # Valid but not canonical (spaces): the strict reader takes it, with the same result.
    spaced = json.dumps(listed.to_json_obj()).encode()
    assert credentials._scan_canonical_entries(group, spaced) is None
    assert CredentialList.from_json(group, spaced) == listed
    # The name before the naming convention stays: CredentialList is public API.
    assert CredentialList.from_json_bytes(group, data) == listed


def test_json_bytes_refuse_what_the_json_tree_refuses(
    group: Group, listed: CredentialList
) -> None:
    from evote import jsonstrict  # noqa: PLC0415

    for name, mutated, error, pattern in mutations(group, listed.to_json_obj()):
        try:
            data = jsonstrict.dumps(mutated)
        except (TypeError, ValueError, InvalidInput):
            continue  # not JSON at all (a Python-only mutation)
        with pytest.raises(error, match=pattern):
            CredentialList.from_json(group, data)
            pytest.fail(f"mutation {name!r} was accepted")
