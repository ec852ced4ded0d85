"""Layer E of the threat model: the key ceremony (docs/spec.md section 8).

The attacker is one trustee (it holds its own transport key, polynomial and share) or whoever
publishes the ceremony's messages. The cast path is the ceremony's own functions, run step by
step with :class:`~evote.ceremony.dkg.Trustee` objects; the verify path rewrites the ceremony
result in a published record (the setup entry and ``ceremony.json``, chain recomputed) and
expects the key ceremony step (11.3) to fail, or the record to be refused at load where the
wire format itself cannot hold the forgery.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ceremony import files
from evote.ceremony.dkg import (
    Announcement,
    CeremonyResult,
    Trustee,
    TrusteeCommitments,
    ceremony_setup,
    check_confirmations,
    check_parameters,
    check_share,
    check_trustee_commitments,
    commitment_hash,
    confirm,
    finalize_ceremony,
    judge_complaints,
    make_commitments,
    make_complaint,
)
from evote.ceremony.keyfile import write_key_file
from evote.ceremony.wire import ceremony_result_to_json
from evote.crypto.groups import Group
from evote.errors import CeremonyError, InvalidInput, InvalidShare
from tests.attacks.conftest import THRESHOLD, TRUSTEES, World
from tests.attacks.records import assert_fails_at, assert_refused_at_load, rewrite_ceremony


def started(group: Group, election_id: str) -> tuple[list[Trustee], Any]:
    trustees = [Trustee(group, election_id, i) for i in range(1, TRUSTEES + 1)]
    setup = ceremony_setup(
        group, election_id, TRUSTEES, THRESHOLD, [t.announcement() for t in trustees]
    )
    return trustees, setup


def replace_result(ceremony: Any, result: CeremonyResult) -> None:
    """Put ``result``'s JSON in place of the record's ceremony object (edited in place)."""
    ceremony.clear()
    ceremony.update(jsonstrict.loads(ceremony_result_to_json(result), "ceremony"))


# -- E1 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E1")
def test_e1_invalid_share_and_the_complaint_naming_its_sender(group: Group) -> None:
    trustees, setup = started(group, "e1")
    hashes = [t.commit(setup) for t in trustees]
    revealed = [t.reveal(hashes) for t in trustees]
    # Trustee 2 deals from another polynomial than the one it committed to (same constant term,
    # so that it can still sign), then publishes that polynomial's share when accused.
    cheater = trustees[1]
    cheater._coefficients = [
        cheater._coefficients[0],
        *(group.random_scalar() for _ in range(THRESHOLD - 1)),
    ]
    sealed = [box for t in trustees for box in t.send_shares(revealed)]
    complaints = [
        c for t in trustees for c in t.receive_shares([s for s in sealed if s.recipient == t.index])
    ]
    assert {(c.accuser, c.accused) for c in complaints} == {(i, 2) for i in range(1, TRUSTEES + 1)
                                                            if i != 2}  # fmt: skip
    assert "does not match its commitments" in complaints[0].reason
    answers = cheater.answer(complaints)
    verdicts = judge_complaints(setup, revealed, complaints, answers)
    assert {(v.cheater, v.upheld) for v in verdicts} == {(2, True)}
    for trustee in trustees:
        with pytest.raises(InvalidShare, match="trustee 2: cheated: the share it published"):
            trustee.confirm(complaints, answers)
    with pytest.raises(InvalidShare, match="start it again without trustee 2"):
        finalize_ceremony(setup, hashes, revealed, complaints, [], answers)
    # The check itself, on the value: the sender is named.
    with pytest.raises(InvalidShare, match="trustee 2: its share for trustee 1"):
        check_share(setup, revealed[1], 1, group.random_scalar())


@pytest.mark.attack("E1", path="verify")
def test_e1_verification_key_off_the_commitments_in_record(world: World, record: Path) -> None:
    group = world.group
    keys = list(world.ceremony.verification_keys)
    keys[1] = keys[1] * group.generator  # trustee 2's key no longer follows from the shares
    forged = dataclasses.replace(world.ceremony, verification_keys=tuple(keys))
    rewrite_ceremony(record, world, lambda ceremony: replace_result(ceremony, forged))
    assert_fails_at(record, "11.3")


# -- E2 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E2")
def test_e2_commitment_chosen_after_seeing_the_others(group: Group) -> None:
    trustees, setup = started(group, "e2")
    hashes = [t.commit(setup) for t in trustees]
    # Nobody reveals before every hash is in.
    with pytest.raises(CeremonyError, match="commitment hash missing"):
        trustees[0].reveal(hashes[:2])
    revealed = [t.reveal(hashes) for t in trustees[:2]]
    # Trustee 3 saw the reveals of 1 and 2; it now picks C_3,0 = g^x / (C_1,0 C_2,0) so that
    # it alone knows the joint key. Its hash was published before: the reveal does not match.
    others = group.product(item.commitments[0] for item in revealed)
    x = group.random_scalar()
    rogue = group.base_exp(x) / others
    honest = make_commitments(setup, 3, [x, group.random_scalar()])
    forged = TrusteeCommitments(3, (rogue, *honest.commitments[1:]), honest.proofs)
    with pytest.raises(CeremonyError, match="coefficient 0"):
        check_trustee_commitments(setup, hashes[2], forged)
    # Even with valid proofs (a fresh polynomial it knows), a late choice is refused.
    late = make_commitments(setup, 3, [group.random_scalar(), group.random_scalar()])
    with pytest.raises(CeremonyError, match="do not match the hash it committed to"):
        check_trustee_commitments(setup, hashes[2], late)
    check_trustee_commitments(setup, commitment_hash(setup, late), late)  # the binding alone


@pytest.mark.attack("E2", path="verify")
def test_e2_late_commitments_in_record(world: World, record: Path) -> None:
    setup = world.ceremony.setup
    late = make_commitments(setup, 1, [world.group.random_scalar() for _ in range(THRESHOLD)])
    commitments = (late, *world.ceremony.commitments[1:])
    forged = dataclasses.replace(world.ceremony, commitments=commitments)
    rewrite_ceremony(record, world, lambda ceremony: replace_result(ceremony, forged))
    assert_fails_at(record, "11.3", "do not match the hash")


# -- E3 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E3")
def test_e3_malformed_parameters(group: Group) -> None:
    for n, t in [(3, 0), (3, 4), (0, 0), (3, True), (3.0, 2)]:
        with pytest.raises(CeremonyError):
            check_parameters(n, t)  # type: ignore[arg-type]
    for index in (0, -1):
        with pytest.raises(CeremonyError, match="index"):
            Trustee(group, "e3", index)
    trustees, setup = started(group, "e3")
    keys = [t.announcement().transport_key for t in trustees]
    with pytest.raises(CeremonyError, match="is not in"):
        ceremony_setup(group, "e3", 3, 2, [Announcement(0, keys[0]), *[
            Announcement(i, keys[i - 1]) for i in (2, 3)]])  # fmt: skip
    with pytest.raises(CeremonyError, match="announced twice"):
        ceremony_setup(group, "e3", 3, 2, [Announcement(1, keys[0]), Announcement(1, keys[1]),
                                           Announcement(3, keys[2])])  # fmt: skip
    hashes = [t.commit(setup) for t in trustees]
    honest = trustees[0].reveal(hashes)
    for count in (THRESHOLD - 1, THRESHOLD + 1):
        coefficients = [group.random_scalar() for _ in range(count)]
        with pytest.raises(CeremonyError, match="coefficients"):
            make_commitments(setup, 1, coefficients)
        longer = TrusteeCommitments(1, honest.commitments[:1] * count, honest.proofs[:1] * count)
        with pytest.raises(CeremonyError, match=f"{count} commitments, expected t = 2"):
            check_trustee_commitments(setup, hashes[0], longer)


@pytest.mark.attack("E3", path="verify")
@pytest.mark.parametrize("case", ["t=0", "t>n", "commitments", "index-0", "repeated-index"])
def test_e3_malformed_parameters_in_record(world: World, record: Path, case: str) -> None:
    def change(ceremony: Any) -> None:
        if case == "t=0":
            ceremony["setup"]["threshold"] = 0
        elif case == "t>n":
            ceremony["setup"]["threshold"] = TRUSTEES + 1
        elif case == "commitments":
            item = ceremony["commitments"][0]
            item["commitments"].append(item["commitments"][0])
            item["proofs"].append(item["proofs"][0])
        elif case == "index-0":
            ceremony["commitments"][0]["index"] = 0
        else:
            ceremony["commitments"][1]["index"] = 1

    rewrite_ceremony(record, world, change)
    if case in ("t=0", "t>n"):
        assert_refused_at_load(record)  # the wire decoder builds the checked setup
    else:
        assert_fails_at(record, "11.3")


# -- E4 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E4")
def test_e4_confirmation_over_another_transcript(world: World) -> None:
    ceremony = world.ceremony
    other_transcript = bytes(32)
    confirmations = [confirm(share, ceremony.transcript_hash) for share in world.shares]
    confirmations[1] = confirm(world.shares[1], other_transcript)  # trustee 2 saw another one
    with pytest.raises(CeremonyError, match=r"trustee 2: confirmation.*transcript differs"):
        check_confirmations(
            ceremony.setup, ceremony.transcript_hash, ceremony.verification_keys, confirmations
        )
    with pytest.raises(CeremonyError, match="trustee 2"):
        finalize_ceremony(
            ceremony.setup, ceremony.commitment_hashes, ceremony.commitments, (), confirmations
        )


@pytest.mark.attack("E4", path="verify")
def test_e4_confirmation_over_another_transcript_in_record(world: World, record: Path) -> None:
    ceremony = world.ceremony
    confirmations = list(ceremony.confirmations)
    confirmations[0] = confirm(world.shares[0], bytes(32))
    forged = dataclasses.replace(ceremony, confirmations=tuple(confirmations))
    rewrite_ceremony(record, world, lambda value: replace_result(value, forged))
    assert_fails_at(record, "11.3", "transcript differs")


# -- E5 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E5")
@pytest.mark.parametrize("weak", ["x", "aaaaaaaaaaaaaaaa", "abababababab", "123456789012"])
def test_e5_weak_passphrase_never_protects_a_key_file(
    group: Group, tmp_path: Path, weak: str
) -> None:
    with pytest.raises(InvalidInput, match=r"passphrase (too short|too repetitive|is only)"):
        write_key_file(tmp_path / "key.json", b"a secret share", weak, {"election_id": "e5"})
    with pytest.raises(InvalidInput, match="passphrase"):
        files.trustee_init(tmp_path / "t1", group, "e5", 1, 2, 1, weak)
    assert not (tmp_path / "key.json").exists()
    assert not (tmp_path / "t1" / "key.json").exists()


# -- E6 ---------------------------------------------------------------------------------------


@pytest.mark.attack("E6")
def test_e6_false_complaint_names_the_complainer_and_cannot_abort(group: Group) -> None:
    trustees, setup = started(group, "e6")
    hashes = [t.commit(setup) for t in trustees]
    revealed = [t.reveal(hashes) for t in trustees]
    sealed = [box for t in trustees for box in t.send_shares(revealed)]
    for t in trustees:
        assert t.receive_shares([s for s in sealed if s.recipient == t.index]) == ()
    # Trustee 1 dislikes the joint key it now knows and accuses honest trustee 2.
    liar = trustees[0]
    false = make_complaint(setup, 1, liar._coefficients, revealed[0], 2, "bad share")
    answers = [a for t in trustees for a in t.answer([false])]
    (verdict,) = judge_complaints(setup, revealed, [false], answers)
    assert (verdict.upheld, verdict.cheater) == (False, 1)
    confirmations = [t.confirm([false], answers) for t in trustees]
    result = finalize_ceremony(setup, hashes, revealed, [false], confirmations, answers)
    assert result.joint_key == group.product(item.commitments[0] for item in revealed)
    assert result.complaints == (false,)
