"""Layer C of the threat model: ballots and eligibility (Helios ballot copying, replays)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.encrypted import decode_ballot
from evote.ballots.signature import sign_with_key
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.errors import (
    ContextMismatch,
    DuplicateBallot,
    ElectionNotOpen,
    InvalidBallot,
    InvalidProof,
    InvalidSignature,
    UnknownCredential,
)
from evote.record import load_record
from tests.attacks.conftest import World, mutate_json
from tests.attacks.records import (
    COUNTED,
    SUPERSEDED,
    Line,
    assert_fails_at,
    insert_entry,
    replace_entry,
)


@pytest.mark.attack("C1")
def test_c1_copied_ballot_resigned_by_another_voter(world: World, board: Board) -> None:
    victim = world.ballot(0)
    board.cast(world.election_id, victim)
    copied = world.resign(1, victim)  # voter 1 re-signs voter 0's ciphertexts and proofs
    with pytest.raises(InvalidProof):
        board.cast(world.election_id, copied)
    assert board.head(world.election_id).position == 3


@pytest.mark.attack("C1", path="verify")
def test_c1_copied_ballot_in_record(world: World, record: Path) -> None:
    victim = decode_ballot(world.election, dict(load_record(record).ballot_lines())[COUNTED])
    copy = world.resign(1, victim).canonical_bytes()
    insert_entry(record, world, COUNTED + 1, Line(EntryKind.BALLOT, copy))
    assert_fails_at(record, "11.7")


@pytest.mark.attack("C2")
def test_c2_ballot_of_another_election_or_phase(
    world: World, other_world: World, board: Board, tmp_path: Path
) -> None:
    foreign = other_world.ballot(0)
    with pytest.raises(ContextMismatch):
        board.cast(world.election_id, foreign)
    forged = world.resign(0, world.ballot(0), fingerprint=other_world.election.fingerprint)
    with pytest.raises(ContextMismatch):
        board.cast(world.election_id, forged)
    closed_dir = tmp_path / "closed"
    closed_dir.mkdir()
    with world.new_board(closed_dir, open_it=False) as not_open, pytest.raises(ElectionNotOpen):
        not_open.cast(world.election_id, world.ballot(0))


@pytest.mark.attack("C2", path="verify")
def test_c2_foreign_ballot_in_record(world: World, other_world: World, record: Path) -> None:
    replace_entry(record, world, COUNTED, other_world.ballot(0).canonical_bytes())
    assert_fails_at(record, "11.7")


@pytest.mark.attack("C4")
def test_c4_unknown_credential(world: World, other_world: World, board: Board) -> None:
    outsider = other_world.keys[0]
    draft = world.ballot(0)
    forged = replace(draft, credential=outsider.public)
    forged = replace(forged, signature=sign_with_key(outsider, world.election.fingerprint,
                                                     forged.signed_bytes()))  # fmt: skip
    with pytest.raises((UnknownCredential, ContextMismatch)):
        board.cast(world.election_id, forged)


@pytest.mark.attack("C5")
def test_c5_changed_field_or_unknown_field(world: World, board: Board) -> None:
    data = world.ballot(0).canonical_bytes()
    other = world.ballot(0, "no").canonical_bytes()

    def swap_option(obj: Any) -> None:
        obj["q"][0]["o"][0] = jsonstrict.loads(other, "x")["q"][0]["o"][0]

    with pytest.raises((InvalidSignature, InvalidProof)):
        board.cast(world.election_id, mutate_json(data, swap_option))

    def extra(obj: Any) -> None:
        obj["x"] = 1

    with pytest.raises(InvalidBallot):
        board.cast(world.election_id, mutate_json(data, extra))


@pytest.mark.attack("C7")
def test_c7_replay_of_own_superseded_ballot(world: World, board: Board) -> None:
    first = world.ballot(0, "no")
    board.cast(world.election_id, first)
    board.cast(world.election_id, world.ballot(0, "yes"))
    with pytest.raises(DuplicateBallot, match="superseded"):
        board.cast(world.election_id, first)


@pytest.mark.attack("C7", path="verify")
def test_c7_superseded_replay_in_record(world: World, record: Path) -> None:
    superseded = dict(load_record(record).ballot_lines())[SUPERSEDED]
    insert_entry(record, world, COUNTED + 1, Line(EntryKind.BALLOT, superseded))
    assert_fails_at(record, "11.8")


@pytest.mark.attack("C9")
@pytest.mark.parametrize(
    "attack",
    ["bool-version", "float-version", "duplicate-key", "huge-integer", "deep", "oversized"],
)
def test_c9_parser_attacks(world: World, board: Board, attack: str) -> None:
    data = world.ballot(0).canonical_bytes()
    if attack == "bool-version":
        bad = data.replace(b'"v":1', b'"v":true')
    elif attack == "float-version":
        bad = data.replace(b'"v":1', b'"v":1.0')
    elif attack == "duplicate-key":
        bad = data.replace(b'"v":1', b'"v":1,"v":1')
    elif attack == "huge-integer":
        bad = data.replace(b'"v":1', b'"v":' + b"9" * 5000)
    elif attack == "deep":
        bad = data.replace(b'"v":1', b'"v":' + b"[" * 10000 + b"]" * 10000)
    else:
        bad = data[:-1] + b',"z":"' + b"A" * (65 * 1024 * 1024) + b'"}'
    with pytest.raises(InvalidBallot):
        board.cast(world.election_id, bad)


@pytest.mark.attack("C9", path="verify")
def test_c9_duplicate_key_in_record(world: World, record: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]
    replace_entry(record, world, COUNTED, payload.replace(b'"v":1', b'"v":1,"v":1'))
    assert_fails_at(record, "11.7")
