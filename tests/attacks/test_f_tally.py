"""Layer F of the threat model: the tally (docs/spec.md section 9).

Cast path: ``combine_shares`` / ``decrypt_counts`` / ``publish_tally`` with a cheating or absent
trustee, and the board's counted set. Verify path: a forged TALLY event (``tally.json``) in a
published record, the chain recomputed, and the verifier's steps 11.9 to 11.13.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.credentials import MAX_WEIGHT, CredentialEntry, CredentialList
from evote.ballots.encrypted import EncryptedBallot, decode_ballot
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.crypto.elgamal import encrypt_with_nonce
from evote.election import Election
from evote.errors import InsufficientShares, InvalidInput, InvalidRecord, TallyOutOfRange
from evote.record import documents as doc
from evote.record import load_record
from evote.record.export import reseal_record
from evote.record.publish import PublishedTally, published_tally_to_json_obj
from evote.tally import DecryptionShare, EncryptedTally, aggregate, combine_shares
from tests.attacks.conftest import THRESHOLD, World
from tests.attacks.records import (
    COUNTED,
    SUPERSEDED,
    assert_fails_at,
    assert_refused_at_load,
    rewrite_event,
    rewrite_setup,
    tally_and_export,
    verify,
)


def _closed(world: World, board: Board) -> EncryptedTally:
    for voter in range(3):
        board.cast(world.election_id, world.ballot(voter, "yes" if voter else "no"))
    board.close_election(world.election_id)
    return world.tally_of(board)


def _decrypt(world: World, tally: EncryptedTally, shares: Sequence[DecryptionShare]) -> Any:
    return world.decrypt(tally, shares)


def _bad(world: World, share: DecryptionShare) -> DecryptionShare:
    """The share with its first factor off by g: its proof no longer holds."""
    factors = (share.factors[0] * world.group.generator, *share.factors[1:])
    return dataclasses.replace(share, factors=factors)


# -- F1 ---------------------------------------------------------------------------------------


@pytest.mark.attack("F1")
def test_f1_too_few_trustees_or_a_share_counted_twice(world: World, board: Board) -> None:
    tally = _closed(world, board)
    shares = world.decryption_shares(tally)
    with pytest.raises(InsufficientShares, match="1 valid decryption shares"):
        _decrypt(world, tally, shares[:1])
    with pytest.raises(InsufficientShares, match="already counted"):
        _decrypt(world, tally, [shares[0], shares[0]])
    renamed = dataclasses.replace(shares[0], trustee=2)  # trustee 1's factors as trustee 2's
    with pytest.raises(InsufficientShares):
        _decrypt(world, tally, [shares[0], renamed])


@pytest.mark.attack("F1", path="verify")
@pytest.mark.parametrize("how", ["one-share", "twice"])
def test_f1_too_few_or_repeated_shares_in_record(world: World, record: Path, how: str) -> None:
    def change(body: Any) -> None:
        first = body["shares"][0]
        body["shares"] = [first] if how == "one-share" else [first, first]

    rewrite_event(record, world, EntryKind.TALLY, change)
    expected = "threshold is 2" if how == "one-share" else "two decryption shares from trustee 1"
    assert_fails_at(record, "11.11", expected)


# -- F2 ---------------------------------------------------------------------------------------


@pytest.mark.attack("F2")
def test_f2_bad_share_tally_completes_with_the_honest(world: World, board: Board) -> None:
    tally = _closed(world, board)
    shares = world.decryption_shares(tally)
    honest_counts, _ = _decrypt(world, tally, shares)
    counts, combined = _decrypt(world, tally, [_bad(world, shares[0]), *shares[1:]])
    assert combined.trustees == (2, 3)
    assert [r.trustee for r in combined.rejected] == [1]
    assert counts == honest_counts


@pytest.mark.attack("F2", path="verify")
def test_f2_record_of_a_tally_with_a_bad_share_verifies(world: World, tmp_path: Path) -> None:
    """The tallier publishes the accepted shares and lists the rejected one with its reason.

    *Found by this suite*: publish_tally put the rejected share among the record's shares, so
    that the verifier's step 11.11 (every published share valid) failed on an honest tally
    that a cheating trustee had tried to spoil. It now publishes only the accepted shares.
    """
    original = World.decryption_shares

    def one_bad(self: World, tally: EncryptedTally) -> list[DecryptionShare]:
        shares = original(self, tally)
        return [_bad(self, shares[0]), *shares[1:]]

    World.decryption_shares = one_bad  # type: ignore[method-assign]
    try:
        with world.new_board(tmp_path) as board:
            for voter in range(2):
                board.cast(world.election_id, world.ballot(voter, "yes"))
            record = tally_and_export(world, board, tmp_path / "record")
    finally:
        World.decryption_shares = original  # type: ignore[method-assign]
    report = verify(record)
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    loaded = load_record(record)
    assert [share.trustee for share in loaded.shares] == [2, 3]
    assert loaded.combined_trustees == (2, 3)
    assert loaded.result is not None
    assert loaded.result.questions[0].counts[0] == ("yes", 2)
    body = jsonstrict.loads((record / "tally.json").read_bytes(), "tally")
    assert [item["trustee"] for item in body["rejected"]] == [1]


# -- F3 ---------------------------------------------------------------------------------------


@pytest.mark.attack("F3")
def test_f3_tally_above_its_bound_ends_fast(world: World, board: Board) -> None:
    tally = _closed(world, board)
    group = world.group
    huge = encrypt_with_nonce(world.election.public_key, 10**9, group.random_scalar())
    options = list(tally.options)
    options[0] = (huge, *options[0][1:])
    forged = dataclasses.replace(tally, options=tuple(options))
    shares = world.decryption_shares(forged)  # the trustees decrypt what they are given
    with pytest.raises(TallyOutOfRange, match=r"not in \[0, 3\]"):
        _decrypt(world, forged, shares)


@pytest.mark.attack("F3", path="verify")
def test_f3_forged_tally_weight_in_record(world: World, record: Path) -> None:
    """The tally claims one ballot of weight 1: its counts (2 yes) exceed the bound."""

    def change(body: Any) -> None:
        body["encrypted_tally"]["ballots"] = 1
        body["encrypted_tally"]["weight"] = 1

    rewrite_event(record, world, EntryKind.TALLY, change)
    report = assert_fails_at(record, "11.9")
    dlog = next(step for step in report.steps if step.number == "11.13")
    assert not dlog.ok
    assert dlog.error is not None and dlog.error.startswith("TallyOutOfRange")


# -- F4 ---------------------------------------------------------------------------------------


@pytest.mark.attack("F4")
def test_f4_board_counts_each_credential_once(world: World, board: Board) -> None:
    first = world.ballot(0, "no")
    board.cast(world.election_id, first)
    for voter in range(3):
        board.cast(world.election_id, world.ballot(voter, "yes"))
    board.close_election(world.election_id)
    counted = [ballot for ballot, _ in board.counted_ballots(world.election_id)]
    assert [b.credential for b in counted] == [world.keys[v].public for v in range(3)]
    assert first not in counted
    honest = world.tally_of(board)
    for wrong in (counted[1:], [*counted, counted[0]], [first, *counted[1:]]):
        assert aggregate(world.election, [(b, 1) for b in wrong]).options != honest.options


def _forged_tally(world: World, ballots: list[EncryptedBallot]) -> Any:
    """A TALLY body over ``ballots`` claiming the honest count (3 ballots of weight 3)."""
    tally = aggregate(world.election, [(ballot, 1) for ballot in ballots])
    tally = dataclasses.replace(tally, ballot_count=3, total_weight=3)
    shares = world.decryption_shares(tally)
    combined = combine_shares(
        tally, shares, THRESHOLD, world.ceremony.verification_key_map(),
        world.election.proof_context(),
    )  # fmt: skip
    published = PublishedTally(tally, tuple(shares), combined.trustees, ())
    return published_tally_to_json_obj(world.election, published)


@pytest.mark.attack("F4", path="verify")
@pytest.mark.parametrize("how", ["dropped", "duplicated", "superseded"])
def test_f4_aggregation_forged_in_record(world: World, record: Path, how: str) -> None:
    lines = dict(load_record(record).ballot_lines())
    ballots = {p: decode_ballot(world.election, lines[p]) for p in lines}
    counted = [ballots[4], ballots[5], ballots[COUNTED]]
    if how == "dropped":
        chosen = counted[:2]
    elif how == "duplicated":
        chosen = [*counted, counted[0]]
    else:
        chosen = [ballots[4], ballots[5], ballots[SUPERSEDED]]
    body = _forged_tally(world, chosen)

    def change(old: Any) -> None:
        old.clear()
        old.update(body)

    rewrite_event(record, world, EntryKind.TALLY, change)
    assert_fails_at(record, "11.10", "not the product of the counted ballots")


# -- F5: an election whose tally could not be decrypted ------------------------------------------


def _heavy_entries(world: World) -> list[CredentialEntry]:
    """The world's credentials and 48 more, all of the largest weight: total weight > 2^40 / 5."""
    group = world.group
    extra = [group.base_exp(group.random_scalar()) for _ in range(48)]
    publics = [entry.public for entry in world.election.credentials.entries] + extra
    return [CredentialEntry(public, MAX_WEIGHT) for public in publics]


@pytest.mark.attack("F5")
def test_f5_setup_refuses_an_election_it_could_not_tally(world: World) -> None:
    heavy = CredentialList(world.group, _heavy_entries(world))
    bound = heavy.total_weight * 5  # the score question's columns: weight x 0..5
    election = world.election
    with pytest.raises(InvalidInput, match=rf"question 1 \(rate\).* reach {bound} "):
        Election(
            election.manifest, world.group, election.public_key, heavy, election.ceremony_digest,
            election.board_key,
        )  # fmt: skip


@pytest.mark.attack("F5", path="verify")
def test_f5_record_of_an_election_it_could_not_tally(world: World, record: Path) -> None:
    heavy = CredentialList(world.group, _heavy_entries(world)).to_json_obj()

    def change(setup: Any) -> None:
        setup["credentials"] = heavy

    rewrite_setup(record, world, change)
    (record / doc.CREDENTIALS).write_bytes(jsonstrict.dumps(heavy))
    reseal_record(record)
    with pytest.raises(InvalidRecord, match="could not be tallied"):
        load_record(record)
    assert_refused_at_load(record)
