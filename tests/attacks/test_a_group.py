"""Layer A of the threat model: group elements and encodings (Moscow 2019, libsodium 2025)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import gmpy2
import pytest

from evote.ballots.encrypted import EncryptedBallot, EncryptedOption
from evote.ballots.manifest import manifest_from_json_obj
from evote.board.board import Board
from evote.crypto.elgamal import Ciphertext
from evote.crypto.groups import MODP_G, MODP_P, MODP_Q, Group, group_by_name
from evote.crypto.hashing import Purpose, digest32
from evote.errors import InvalidBallot, InvalidGroupElement, InvalidInput, InvalidProof
from evote.record import documents as doc
from evote.record import load_record
from tests.attacks.conftest import World, mutate_json
from tests.attacks.records import (
    COUNTED,
    assert_fails_at,
    assert_refused_at_load,
    replace_entry,
    rewrite_json,
)
from tests.crypto import edwards25519 as ref


def bad_elements(group: Group) -> dict[str, bytes]:
    """Encodings that are not members: off-curve or outside the subgroup, small and mixed order."""
    if group.name == "ed25519":
        torsion = ref.eight_torsion()
        off_curve = next(
            bytes([y]) + bytes(31)
            for y in range(2, 50)
            if ref.decode(bytes([y]) + bytes(31)) is None
        )
        return {
            "off-curve": off_curve,
            "identity": ref.encode(ref.IDENTITY),
            "order-8": ref.encode(torsion[1]),
            "order-2": ref.encode(torsion[4]),
            "mixed-order": ref.encode(ref.add(ref.multiply(7, ref.BASE), torsion[1])),
            "non-canonical-y": (2**255 - 19 + 1).to_bytes(32, "little"),
        }
    return {
        "zero": bytes(512),
        "one": (1).to_bytes(512, "big"),
        "order-2": (MODP_P - 1).to_bytes(512, "big"),
        "p": MODP_P.to_bytes(512, "big"),
        "non-residue": (MODP_P - 2).to_bytes(512, "big"),
        # Quadratic residues outside the order-q subgroup (an order-r' component): they pass
        # the Jacobi pre-check, so only the batch subgroup test of decode_many can stop them.
        "residue outside the subgroup": _OUTSIDE_RESIDUE.to_bytes(512, "big"),
        "g times such a residue": (MODP_G * _OUTSIDE_RESIDUE % MODP_P).to_bytes(512, "big"),
    }


_OUTSIDE_RESIDUE = 3 * 3


def test_modp_residues_outside_the_subgroup_pass_the_pre_check() -> None:
    """The rows above must reach the batch test: residues, yet not in the order-q subgroup."""
    for value in (_OUTSIDE_RESIDUE, MODP_G * _OUTSIDE_RESIDUE % MODP_P):
        assert gmpy2.jacobi(value, MODP_P) == 1
        assert pow(value, MODP_Q, MODP_P) != 1


def _set_alpha(encoded: bytes) -> Any:
    def change(obj: Any) -> None:
        obj["q"][0]["o"][0]["a"] = base64.b64encode(encoded).decode()

    return change


@pytest.mark.attack("A1")
@pytest.mark.attack("A2")
def test_a1_a2_non_members_refused_in_every_position(world: World, board: Board) -> None:
    group = world.group
    honest = world.ballot(0).canonical_bytes()
    for name, encoded in bad_elements(group).items():
        with pytest.raises(InvalidGroupElement):
            group.decode(encoded, name)
        with pytest.raises(InvalidInput):
            group.decode_many([encoded, group.generator.to_bytes(), group.generator.to_bytes()])
        for key in ("a", "b"):

            def change(obj: Any, key: str = key, encoded: bytes = encoded) -> None:
                obj["q"][0]["o"][0][key] = base64.b64encode(encoded).decode()

            with pytest.raises(InvalidBallot):
                board.cast(world.election_id, mutate_json(honest, change))

        def credential(obj: Any, encoded: bytes = encoded) -> None:
            obj["c"] = base64.b64encode(encoded).decode()

        with pytest.raises(InvalidBallot):
            board.cast(world.election_id, mutate_json(honest, credential))
    assert board.head(world.election_id).position == 2


@pytest.mark.attack("A1", path="verify")
@pytest.mark.attack("A2", path="verify")
@pytest.mark.parametrize(
    "kind",
    ["order-2", "mixed-order", "off-curve", "non-residue", "residue outside the subgroup"],
)
def test_a1_a2_non_member_in_record_ballot(world: World, record: Path, kind: str) -> None:
    bad = bad_elements(world.group)
    if kind not in bad:
        pytest.skip(f"{kind} does not exist in {world.group.name}")
    payload = mutate_json(world.ballot(0).canonical_bytes(), _set_alpha(bad[kind]))
    replace_entry(record, world, COUNTED, payload)
    assert_fails_at(record, "11.7")


@pytest.mark.attack("A3")
def test_a3_reencoded_copy_is_never_a_new_ballot(world: World, board: Board) -> None:
    ballot = world.ballot(0)
    receipt = board.cast(world.election_id, ballot)
    data = ballot.canonical_bytes()
    variants = [
        data.replace(b",", b", ", 1),  # whitespace
        data[:-1] + b" }",
    ]

    def padded(obj: Any) -> None:  # non-canonical base64: a set pad bit
        text = obj["f"]
        obj["f"] = text[:-2] + chr(ord(text[-2]) + 1) + text[-1]

    variants.append(mutate_json(data, padded))
    for variant in variants:
        try:
            again = board.cast(world.election_id, variant)
        except InvalidInput:
            continue
        assert again.position == receipt.position  # the same ballot, not a new one
    assert board.head(world.election_id).position == receipt.position


def _reordered(data: bytes) -> bytes:
    obj = json.loads(data)
    return json.dumps(dict(reversed(obj.items())), separators=(",", ":")).encode()


NON_CANONICAL_FORMS = {
    "whitespace": lambda data: data.replace(b",", b", ", 1),
    "reordered keys": _reordered,
    "\\u0065 escape": lambda data: data.replace(b'"e":', b'"\\u0065":', 1),
    "\\/ escape": lambda data: data.replace(b"/", b"\\/", 1),
    "trailing newline": lambda data: data + b"\n",
}


@pytest.mark.attack("A3")
@pytest.mark.parametrize("form", list(NON_CANONICAL_FORMS))
def test_a3_non_canonical_bytes_of_a_valid_ballot_refused(
    world: World, board: Board, form: str
) -> None:
    data = world.ballot(0).canonical_bytes()
    variant = NON_CANONICAL_FORMS[form](data)
    assert variant != data and json.loads(variant) == json.loads(data)
    with pytest.raises(InvalidBallot, match=r"^ballot: not canonical JSON"):
        board.cast(world.election_id, variant)
    assert board.head(world.election_id).position == 2
    # The canonical bytes are accepted, once; the same bytes again are a retry.
    receipt = board.cast(world.election_id, data)
    assert board.cast(world.election_id, data) == receipt
    assert receipt.ballot_hash == digest32(Purpose.BALLOT, data)
    assert board.head(world.election_id).position == 3


@pytest.mark.attack("A3", path="verify")
def test_a3_non_canonical_payload_in_record(world: World, record: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]
    replace_entry(record, world, COUNTED, payload.replace(b",", b", ", 1))
    assert_fails_at(record, "11.7")


@pytest.mark.attack("A4")
def test_a4_no_other_group_or_generator(world: World) -> None:
    for name in ("modp2048", "secp256k1", "ED25519", "", None):
        with pytest.raises(InvalidInput):
            group_by_name(name)
    manifest = world.election.manifest.to_json_obj()
    manifest["group"] = "modp2048"
    with pytest.raises(InvalidInput):
        manifest_from_json_obj(manifest)


@pytest.mark.attack("A4", path="verify")
@pytest.mark.parametrize("field", ["generator", "name"])
def test_a4_other_generator_in_record(world: World, record: Path, field: str) -> None:
    def change(value: Any) -> None:
        if field == "name":
            value["name"] = "modp2048" if world.group.name == "modp4096" else "curve25519"
            return
        key = next(k for k in value if k in ("generator", "g", "base_point"))
        text = value[key]
        value[key] = text[:-1] + ("0" if text[-1] != "0" else "1")

    rewrite_json(record, doc.GROUP, change)
    assert_refused_at_load(record)


def _shifted_off_g_to_the_m(world: World) -> EncryptedBallot:
    """Voter 0's ballot, re-signed, with its first option's beta moved from g^m to h·g^m.

    Same alpha, same proof: not a g^m encoding, so the option's proof must fail.
    """
    honest = world.ballot(0)
    option = honest.questions[0].options[0]
    other_base = world.group.hash_to_element(Purpose.TEST, "another base")
    moved = Ciphertext(option.ciphertext.alpha, option.ciphertext.beta * other_base)
    question = replace(honest.questions[0], options=(EncryptedOption(moved, option.proof),
                                                     *honest.questions[0].options[1:]))  # fmt: skip
    return world.resign(0, honest, (question, *honest.questions[1:]))


@pytest.mark.attack("A5")
def test_a5_only_g_to_the_m_encodes_a_vote(world: World, board: Board) -> None:
    forged = _shifted_off_g_to_the_m(world)
    with pytest.raises(InvalidProof):
        board.cast(world.election_id, forged)


@pytest.mark.attack("A6")
def test_a6_extra_generators_are_hashed(group: Group) -> None:
    first = group.hash_to_element(Purpose.GENERATOR, "h", 1)
    assert first == group.hash_to_element(Purpose.GENERATOR, "h", 1)
    assert first != group.hash_to_element(Purpose.GENERATOR, "h", 2)
    assert first != group.generator
    assert group.decode(first.to_bytes()) == first  # a member of the prime-order subgroup
    # No API takes a generator from outside: a group is only ever chosen by name.
    assert group_by_name(group.name) is group


@pytest.mark.attack("A5", path="verify")
def test_a5_non_g_encoding_forced_into_record(world: World, record: Path) -> None:
    forged = _shifted_off_g_to_the_m(world)
    replace_entry(record, world, COUNTED, forged.canonical_bytes())
    assert_fails_at(record, "11.7")


@pytest.mark.attack("A6", path="verify")
@pytest.mark.parametrize("document", [doc.GROUP, doc.ELECTION])
def test_a6_supplied_generator_in_record_is_refused(
    world: World, record: Path, document: str
) -> None:
    # A record cannot carry an extra generator for the verifier to use: any field beyond the
    # documented ones is refused when the record is read.
    supplied = group_by_name(world.group.name).base_exp(7).to_bytes()

    def change(value: Any) -> None:
        value["h"] = base64.b64encode(supplied).decode()

    rewrite_json(record, document, change)
    assert_refused_at_load(record)
