"""Threshold key generation in one process: correctness and every fault that stops it."""

from __future__ import annotations

import dataclasses
import itertools
import json
import pickle
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ceremony import wire
from evote.ceremony.dkg import (
    Announcement,
    Answer,
    CeremonyResult,
    CeremonySetup,
    CommitmentHash,
    Complaint,
    Confirmation,
    SealedShare,
    Trustee,
    TrusteeCommitments,
    ceremony_setup,
    check_ceremony_result,
    check_commitments,
    compute_keys,
    draw_polynomial,
    finalize_ceremony,
    judge_complaints,
    make_commitments,
    make_complaint,
    raise_for_cheaters,
    run_ceremony,
    share_context,
)
from evote.ceremony.transport import seal_share
from evote.crypto.groups import ED25519, MODP4096, Group, all_groups
from evote.crypto.proofs import Proof
from evote.crypto.shamir import recover_secret
from evote.errors import CeremonyError, InvalidInput, InvalidShare

GROUPS = [pytest.param(g, id=g.name) for g in all_groups()]
ELECTION = "dkg-test"


@pytest.fixture(params=GROUPS)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


class Run:
    """A ceremony run step by step, so that a test can tamper between steps."""

    def __init__(self, group: Group, n: int = 5, t: int = 3) -> None:
        self.trustees = [Trustee(group, ELECTION, i) for i in range(1, n + 1)]
        self.setup = ceremony_setup(
            group, ELECTION, n, t, [tr.announcement() for tr in self.trustees]
        )
        self.hashes: list[CommitmentHash] = [tr.commit(self.setup) for tr in self.trustees]

    def reveal(self) -> list[TrusteeCommitments]:
        return [tr.reveal(self.hashes) for tr in self.trustees]

    def send(self, revealed: Sequence[TrusteeCommitments]) -> list[SealedShare]:
        return [box for tr in self.trustees for box in tr.send_shares(revealed)]

    def receive(self, sealed: Sequence[SealedShare]) -> list[Complaint]:
        complaints: list[Complaint] = []
        for tr in self.trustees:
            complaints += tr.receive_shares([s for s in sealed if s.recipient == tr.index])
        return complaints

    def answer(self, complaints: Sequence[Complaint]) -> list[Answer]:
        return [answer for tr in self.trustees for answer in tr.answer(complaints)]

    def finish(
        self,
        revealed: Sequence[TrusteeCommitments],
        complaints: Sequence[Complaint],
        answers: Sequence[Answer],
    ) -> CeremonyResult:
        confirmations = [tr.confirm(complaints, answers) for tr in self.trustees]
        result = finalize_ceremony(
            self.setup, self.hashes, revealed, complaints, confirmations, answers
        )
        assert {tr.transcript_hash for tr in self.trustees} == {result.transcript_hash}
        return result


def test_ceremony_five_three(group: Group) -> None:
    result, trustees = run_ceremony(group, ELECTION, 5, 3)
    check_ceremony_result(result)
    shares = {tr.index: tr.share().share for tr in trustees}
    for tr in trustees:
        assert group.base_exp(shares[tr.index]) == result.verification_key(tr.index)
        assert tr.transcript_hash == result.transcript_hash
    # Any three shares give the joint secret; two give something else.
    for subset in itertools.combinations(range(1, 6), 3):
        secret = recover_secret({i: shares[i] for i in subset}, group.order)
        assert group.base_exp(secret) == result.joint_key
    secret_from_two = recover_secret({1: shares[1], 2: shares[2]}, group.order)
    assert group.base_exp(secret_from_two) != result.joint_key
    assert result.joint_key == group.product(c.commitments[0] for c in result.commitments)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_ceremony_any_parameters(nt: tuple[int, int]) -> None:
    n, t = nt
    result, trustees = run_ceremony(ED25519, ELECTION, n, t)
    check_ceremony_result(result)
    shares = {tr.index: tr.share().share for tr in trustees}
    subset = list(range(n - t + 1, n + 1))
    secret = recover_secret({i: shares[i] for i in subset}, ED25519.order)
    assert ED25519.base_exp(secret) == result.public_key.element


@pytest.mark.parametrize(("n", "t"), [(3, 0), (3, 4), (0, 0), (2, -1)])
def test_bad_parameters(n: int, t: int) -> None:
    with pytest.raises(CeremonyError, match=r"(threshold t|trustee count n)"):
        run_ceremony(ED25519, ELECTION, n, t)


def _announcements(n: int) -> list[Announcement]:
    return [Trustee(ED25519, ELECTION, i).announcement() for i in range(1, n + 1)]


def test_index_zero_refused() -> None:
    items = _announcements(3)
    items[0] = dataclasses.replace(items[0], index=0)
    with pytest.raises(CeremonyError, match=r"trustee 0: index 0"):
        ceremony_setup(ED25519, ELECTION, 3, 2, items)
    with pytest.raises(CeremonyError, match=r"trustee 0"):
        Trustee(ED25519, ELECTION, 0)


def test_repeated_index_refused() -> None:
    items = _announcements(3)
    items[2] = dataclasses.replace(items[2], index=2)
    with pytest.raises(CeremonyError, match=r"trustee 2: index 2 is announced twice"):
        ceremony_setup(ED25519, ELECTION, 3, 2, items)


def test_missing_and_duplicate_transport_key() -> None:
    items = _announcements(3)
    with pytest.raises(CeremonyError, match=r"trustee 3: has not announced"):
        ceremony_setup(ED25519, ELECTION, 3, 2, items[:2])
    items[1] = dataclasses.replace(items[1], transport_key=items[0].transport_key)
    with pytest.raises(CeremonyError, match=r"trustee 2: transport key is the same"):
        ceremony_setup(ED25519, ELECTION, 3, 2, items)
    items[1] = dataclasses.replace(items[1], transport_key=bytes(32))
    with pytest.raises(CeremonyError, match=r"trustee 2: transport key"):
        ceremony_setup(ED25519, ELECTION, 3, 2, items)


def test_context_binds_parameters() -> None:
    items = _announcements(3)
    keys = tuple(a.transport_key for a in items)
    base = CeremonySetup(ED25519, ELECTION, 3, 2, keys)
    others = [
        CeremonySetup(MODP4096, ELECTION, 3, 2, keys),
        CeremonySetup(ED25519, "other", 3, 2, keys),
        CeremonySetup(ED25519, ELECTION, 3, 3, keys),
        CeremonySetup(ED25519, ELECTION, 3, 2, (keys[1], keys[0], keys[2])),
    ]
    assert len({base.context, *(o.context for o in others)}) == 5


def test_wrong_number_of_commitments(group: Group) -> None:
    run = Run(group)
    revealed = run.reveal()
    short = revealed[1]
    revealed[1] = TrusteeCommitments(2, short.commitments[:2], short.proofs[:2])
    with pytest.raises(CeremonyError, match=r"trustee 2: 2 commitments, expected t = 3"):
        check_commitments(run.setup, run.hashes, revealed)
    revealed[1] = TrusteeCommitments(2, short.commitments, short.proofs[:2])
    with pytest.raises(CeremonyError, match=r"trustee 2: 2 proofs for 3 commitments"):
        run.trustees[0].send_shares(revealed)


def test_bad_proof_of_knowledge(group: Group) -> None:
    run = Run(group)
    revealed = run.reveal()
    proofs = list(revealed[3].proofs)
    proofs[1] = revealed[2].proofs[1]  # a valid proof, for another trustee's coefficient
    revealed[3] = dataclasses.replace(revealed[3], proofs=tuple(proofs))
    with pytest.raises(CeremonyError, match=r"trustee 4: proof of knowledge of coefficient 1"):
        check_commitments(run.setup, run.hashes, revealed)


def test_proof_bound_to_index() -> None:
    # A trustee that copies another's commitments and proofs wholesale is caught.
    run = Run(ED25519, 3, 2)
    revealed = run.reveal()
    revealed[2] = dataclasses.replace(revealed[1], index=3)
    with pytest.raises(CeremonyError, match=r"trustee 3: proof of knowledge of coefficient 0"):
        check_commitments(run.setup, run.hashes, revealed)


def test_reveal_must_match_commit_hash(group: Group) -> None:
    run = Run(group)
    revealed = run.reveal()
    # Trustee 5 picks a new polynomial after seeing the others' reveals: valid proofs, but the
    # commitments are not those it committed to.
    revealed[4] = make_commitments(run.setup, 5, draw_polynomial(run.setup))
    with pytest.raises(CeremonyError, match=r"trustee 5: revealed commitments do not match"):
        check_commitments(run.setup, run.hashes, revealed)


def test_reveal_waits_for_every_hash() -> None:
    run = Run(ED25519, 3, 2)
    with pytest.raises(CeremonyError, match=r"trustee 3: commitment hash missing"):
        run.trustees[0].reveal(run.hashes[:2])


def test_bad_share_answered_with_a_good_one_is_dismissed(group: Group) -> None:
    """Trustee 2 seals a bad share for 4 but publishes the right one: 4 is named, 4 carries on."""
    run = Run(group)
    revealed = run.reveal()
    sealed = run.send(revealed)
    sender = run.trustees[1]
    position = next(i for i, s in enumerate(sealed) if (s.sender, s.recipient) == (2, 4))
    random_share = group.scalar_to_bytes(group.random_scalar())
    sealed[position] = SealedShare(
        2,
        4,
        seal_share(
            sender._transport,
            run.setup.transport_key(4),
            share_context(run.setup, 2, 4),
            random_share,
        ),
    )
    complaints = run.receive(sealed)
    assert [(c.accuser, c.accused) for c in complaints] == [(4, 2)]
    with pytest.raises(CeremonyError, match=r"trustee 2: has not answered the complaint of"):
        run.trustees[3].confirm(complaints)
    answers = run.answer(complaints)
    assert [(a.accused, a.accuser) for a in answers] == [(2, 4)]
    (verdict,) = judge_complaints(run.setup, revealed, complaints, answers)
    assert (verdict.upheld, verdict.cheater) == (False, 4)
    result = run.finish(revealed, complaints, answers)
    assert result.complaints == tuple(complaints) and result.answers == tuple(answers)
    check_ceremony_result(result)
    fourth = run.trustees[3].share()
    assert group.base_exp(fourth.share) == result.verification_key(4)
    # The complaints and answers are in the transcript: without them it is another hash.
    with pytest.raises(CeremonyError, match=r"confirmation"):
        finalize_ceremony(
            run.setup, run.hashes, revealed, (), result.confirmations
        )


def test_false_complaint_names_the_complainer_and_keeps_the_key(group: Group) -> None:
    """A dishonest trustee 1 complains about trustee 3's good share to abort the ceremony."""
    run = Run(group, 4, 2)
    revealed = run.reveal()
    assert run.receive(run.send(revealed)) == []
    liar = run.trustees[0]
    false = make_complaint(run.setup, 1, liar._coefficients, revealed[0], 3, "made up")
    answers = run.answer([false])
    (verdict,) = judge_complaints(run.setup, revealed, [false], answers)
    assert verdict.cheater == 1
    assert verdict.describe().startswith("trustee 1: its complaint about trustee 3 is false")
    result = run.finish(revealed, [false], answers)
    # The joint key is what it would have been: the complaint changed nothing but the record.
    assert result.joint_key == group.product(c.commitments[0] for c in revealed)
    assert dict(result.verification_key_map()) == dict(
        zip(run.setup.indices, compute_keys(run.setup, revealed)[1], strict=True)
    )


def test_verdicts_are_computed_from_the_public_messages_alone(group: Group) -> None:
    run = Run(group, 3, 2)
    revealed = run.reveal()
    cheater = run.trustees[2]
    # A new polynomial with the committed constant term: it can still sign its answers.
    cheater._coefficients = [cheater._coefficients[0], *draw_polynomial(run.setup)[1:]]
    complaints = run.receive(run.send(revealed))
    answers = run.answer(complaints)
    # What a bystander gets from the wire: decode every message again, judge.
    setup_obj = json.loads(json.dumps(wire.setup_to_json_obj(run.setup)))
    setup = wire.setup_from_json_obj(setup_obj, "setup")
    lists = [
        wire.complaints_from_json(
            wire.complaints_to_json(setup, i, [c for c in complaints if c.accuser == i]), setup
        )[1]
        for i in setup.indices
    ]
    decoded_answers = [wire.answer_from_json(wire.answer_to_json(setup, a), setup) for a in answers]
    every_complaint = [c for items in lists for c in items]
    public = judge_complaints(setup, revealed, every_complaint, decoded_answers)
    assert [(v.accuser, v.accused, v.upheld) for v in public] == [(1, 3, True), (2, 3, True)]
    for trustee in run.trustees:
        with pytest.raises(InvalidShare, match=r"trustee 3: cheated: the share it published"):
            trustee.confirm(complaints, answers)
    with pytest.raises(InvalidShare, match=r"start it again without trustee 3"):
        raise_for_cheaters(public)


def test_forged_complaints_and_answers_name_nobody(group: Group) -> None:
    run = Run(group, 3, 2)
    revealed = run.reveal()
    assert run.receive(run.send(revealed)) == []
    third = run.trustees[2]
    # Trustee 3 files a complaint in trustee 1's name: its signature is not trustee 1's.
    forged = make_complaint(run.setup, 3, third._coefficients, revealed[2], 2, "framed")
    in_ones_name = dataclasses.replace(forged, accuser=1)
    with pytest.raises(CeremonyError, match=r"not signed by trustee 1"):
        judge_complaints(run.setup, revealed, [in_ones_name], [])
    with pytest.raises(CeremonyError, match=r"not signed by trustee 1"):
        run.trustees[1].answer([in_ones_name])
    # A bad share published in trustee 2's name, to frame it: refused, not a verdict.
    honest = make_complaint(
        run.setup, 1, run.trustees[0]._coefficients, revealed[0], 2, "no share received"
    )
    (answer,) = run.answer([honest])
    framed = dataclasses.replace(answer, share=(answer.share + 1) % group.order)
    with pytest.raises(CeremonyError, match=r"answer of trustee 2 to trustee 1.*not signed by"):
        judge_complaints(run.setup, revealed, [honest], [framed])
    for bad, message in [
        ([honest, honest], "two complaints"),
        ([dataclasses.replace(honest, accused=1)], "accuses itself"),
        ([dataclasses.replace(honest, accused=9)], "accused 9 is not a trustee"),
    ]:
        with pytest.raises(CeremonyError, match=message):
            judge_complaints(run.setup, revealed, bad, [answer])
    with pytest.raises(CeremonyError, match=r"that nobody filed"):
        judge_complaints(run.setup, revealed, [], [answer])


def test_missing_and_unopenable_shares() -> None:
    run = Run(ED25519, 3, 2)
    sealed = run.send(run.reveal())
    to_three = [s for s in sealed if s.recipient == 3]
    # Trustee 1's share replaced by garbage, trustee 2's missing.
    garbage = SealedShare(1, 3, b"\x01" + bytes(60))
    complaints = run.trustees[2].receive_shares([garbage])
    assert {c.accused for c in complaints} == {1, 2}
    assert len(to_three) == 2


def test_polynomial_changed_after_commit_is_caught(group: Group) -> None:
    run = Run(group)
    revealed = run.reveal()
    cheater = run.trustees[2]
    # A new polynomial with the committed constant term: it can still sign its answers.
    cheater._coefficients = [cheater._coefficients[0], *draw_polynomial(run.setup)[1:]]
    complaints = run.receive(run.send(revealed))
    assert {c.accused for c in complaints} == {3}
    assert {c.accuser for c in complaints} == {1, 2, 4, 5}
    verdicts = judge_complaints(run.setup, revealed, complaints, run.answer(complaints))
    assert {(v.cheater, v.upheld) for v in verdicts} == {(3, True)}


def test_out_of_order_steps() -> None:
    trustee = Trustee(ED25519, ELECTION, 1)
    with pytest.raises(CeremonyError, match=r"1: cannot reveal now; it is at stage .announced"):
        trustee.reveal([])
    with pytest.raises(CeremonyError, match=r"cannot send shares"):
        trustee.send_shares([])
    with pytest.raises(CeremonyError, match=r"cannot give its share"):
        trustee.share()
    run = Run(ED25519, 3, 2)
    with pytest.raises(CeremonyError, match=r"cannot commit now; it is at stage .committed."):
        run.trustees[0].commit(run.setup)


def test_setup_of_another_trustee_refused() -> None:
    run = Run(ED25519, 3, 2)
    stranger = Trustee(ED25519, ELECTION, 2)
    with pytest.raises(CeremonyError, match=r"trustee 2: the setup holds another transport key"):
        stranger.commit(run.setup)
    with pytest.raises(CeremonyError, match=r"another election"):
        Trustee(ED25519, "elsewhere", 1).commit(run.setup)


def _finish(run: Run) -> tuple[list[TrusteeCommitments], list[Confirmation]]:
    revealed = run.reveal()
    assert run.receive(run.send(revealed)) == []
    return revealed, [tr.confirm() for tr in run.trustees]


def test_bad_confirmation(group: Group) -> None:
    run = Run(group, 3, 2)
    revealed, confirmations = _finish(run)
    finalize_ceremony(run.setup, run.hashes, revealed, (), confirmations)
    swapped = dataclasses.replace(confirmations[0], proof=confirmations[1].proof)
    with pytest.raises(CeremonyError, match=r"trustee 1: confirmation"):
        finalize_ceremony(
            run.setup,
            run.hashes,
            revealed,
            (),
            [swapped, *confirmations[1:]],
        )
    with pytest.raises(CeremonyError, match=r"trustee 3: has not confirmed"):
        finalize_ceremony(run.setup, run.hashes, revealed, (), confirmations[:2])


def test_check_result_mutations() -> None:
    result, _ = run_ceremony(ED25519, ELECTION, 3, 2)
    other, _ = run_ceremony(ED25519, ELECTION, 3, 2)
    keys = list(result.verification_keys)
    keys[1] = keys[0]
    mutations = [
        dataclasses.replace(result, joint_key=other.joint_key),
        dataclasses.replace(result, verification_keys=tuple(keys)),
        dataclasses.replace(result, transcript_hash=bytes(32)),
        dataclasses.replace(
            result, confirmations=(*result.confirmations[:2], result.confirmations[0])
        ),
        dataclasses.replace(result, commitments=other.commitments),
    ]
    for mutated in mutations:
        with pytest.raises(CeremonyError):
            check_ceremony_result(mutated)


def test_result_json_round_trip(group: Group) -> None:
    result, _ = run_ceremony(group, ELECTION, 3, 2)
    data = wire.ceremony_result_to_json(result)
    decoded = wire.ceremony_result_from_json(data)
    check_ceremony_result(decoded)
    assert decoded == result
    assert wire.ceremony_result_to_json(decoded) == data
    obj = json.loads(data)
    obj["extra"] = 1
    with pytest.raises(InvalidInput, match=r"extra: unknown field"):
        wire.ceremony_result_from_json(json.dumps(obj).encode())
    obj = json.loads(data)
    obj["joint_key"] = "AAAA"
    with pytest.raises(InvalidInput, match=r"joint_key"):
        wire.ceremony_result_from_json(json.dumps(obj).encode())


def test_nothing_secret_in_public_objects() -> None:
    result, trustees = run_ceremony(ED25519, ELECTION, 3, 2)
    data = wire.ceremony_result_to_json(result)
    for tr in trustees:
        share = tr.share()
        assert str(share.share) not in repr(share)
        assert ED25519.scalar_to_bytes(share.share).hex() not in data.hex()
        assert "share" not in repr(tr)
    with pytest.raises(TypeError):
        pickle.dumps(trustees[0])


def test_proof_scalars_checked() -> None:
    run = Run(ED25519, 3, 2)
    revealed = run.reveal()
    proofs = list(revealed[0].proofs)
    proofs[0] = Proof(proofs[0].challenge + ED25519.order, proofs[0].response)
    revealed[0] = dataclasses.replace(revealed[0], proofs=tuple(proofs))
    with pytest.raises(CeremonyError, match=r"trustee 1: proof of knowledge of coefficient 0"):
        check_commitments(run.setup, run.hashes, revealed)
