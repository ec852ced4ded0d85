"""Layer B of the threat model: forged, replayed and malleated zero-knowledge proofs.

Helios (Bernhard, Pereira, Warinschi, ASIACRYPT 2012) and the Swiss Post system (Haines, Lewis,
Pereira, Teague, IEEE S&P 2020) both hashed too little into their Fiat–Shamir challenges. Each
test here builds the forgery concretely, shows where useful that a deliberately weak checker
written in the test accepts it, and that evote refuses it: through the cast path (the crypto
checks, ``Board.cast``, the tally) and, in test_v_record.py, through ``evote verify``.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evote.ballots.encrypted import EncryptedOption, EncryptedQuestion, check_ballot
from evote.board.board import Board
from evote.ceremony.dkg import (
    TrusteeCommitments,
    check_trustee_commitments,
    commitment_hash,
    make_commitments,
)
from evote.crypto.elgamal import Ciphertext, PublicKey
from evote.crypto.encoding import encode
from evote.crypto.groups import Element, Group
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import (
    DisjunctiveProof,
    Proof,
    ProofContext,
    check_range,
    check_schnorr,
    prove_equal_logs,
    prove_schnorr,
)
from evote.crypto.shamir import recover_secret
from evote.errors import CeremonyError, InvalidBallot, InvalidProof
from evote.record import load_record
from evote.tally import DecryptionShare, EncryptedTally, check_decryption_share, combine_shares
from tests.attacks.conftest import (
    World,
    forge_question,
    mutate_json,
    named_context,
    option_context,
    with_question,
)
from tests.attacks.records import (
    COUNTED,
    assert_fails_at,
    replace_entry,
    replace_share,
    rewrite_ceremony,
)

# -- weak checkers, written here on purpose (never in evote) ----------------------------------


def weak_challenge(group: Group, commitments: list[Element]) -> int:
    """The Helios bug: the challenge hashes the commitments only, not the statement."""
    return group.hash_to_scalar(Purpose.TEST, commitments)


def weak_check_01(key: PublicKey, ciphertext: Ciphertext, proof: DisjunctiveProof) -> bool:
    """A CDS 0/1 check that recomputes the commitments as evote does but hashes only them."""
    group = key.group
    commitments: list[Element] = []
    for j, branch in enumerate(proof.branches):
        commitments.append(group.exp2(group.generator, branch.response, ciphertext.alpha,
                                      branch.challenge))  # fmt: skip
        shifted = ciphertext.beta / group.base_exp(j)
        commitments.append(group.exp2(key.element, branch.response, shifted, branch.challenge))
    total = sum(branch.challenge for branch in proof.branches) % group.order
    return total == weak_challenge(group, commitments)


def forge_01_proof(key: PublicKey) -> tuple[Ciphertext, DisjunctiveProof, int]:
    """The weak Fiat–Shamir forgery: a 0/1 proof for a ciphertext of m = 1 + e/c.

    Commit first (a_0, b_0) = (g^x0, K^x0), (a_1, b_1) = (g^x1, K^x1 · g^e); hash them
    (the statement is not hashed, so it may still be chosen); then take c_0 = 0, c_1 = c and
    the ciphertext (g^r, g^m K^r) with m = 1 + e · c^-1: branch 1 then reads
    g^v1 α^c = g^x1 and K^v1 (β/g)^c = K^x1 g^((m-1)c) = b_1 with v1 = x1 - r·c. The value m is
    fixed by the hash (no value can be aimed at: e and c are both needed first), and is
    neither 0 nor 1: the tally would add a random 256-bit number.
    """
    group = key.group
    q = group.order
    x0, x1, e, r = (group.random_scalar() for _ in range(4))
    commitments = [
        group.base_exp(x0),
        key.table.exp(x0),
        group.base_exp(x1),
        key.table.exp(x1) * group.base_exp(e),
    ]
    c = weak_challenge(group, commitments)
    m = (1 + e * pow(c, -1, q)) % q
    ciphertext = Ciphertext(group.base_exp(r), group.base_exp(m) * key.table.exp(r))
    proof = DisjunctiveProof((Proof(0, x0), Proof(c, (x1 - r * c) % q)))
    return ciphertext, proof, m


def joint_secret(world: World) -> int:
    return recover_secret({s.index: s.share for s in world.shares}, world.group.order)


# -- B1 -------------------------------------------------------------------------------------


@pytest.mark.attack("B1")
def test_b1_weak_fiat_shamir_forgery_passes_weak_check_only(world: World) -> None:
    key = world.election.public_key
    ciphertext, proof, m = forge_01_proof(key)
    assert weak_check_01(key, ciphertext, proof)
    # The forged ciphertext really encrypts m, and m is not a vote.
    s = joint_secret(world)
    assert ciphertext.beta / world.group.exp(ciphertext.alpha, s) == world.group.base_exp(m)
    assert m not in (0, 1)
    with pytest.raises(InvalidProof):
        check_range(key, Purpose.OPTION_PROOF, option_context(world, 0, 0, 0), ciphertext, 1,
                    proof)  # fmt: skip


@pytest.mark.attack("B1")
def test_b1_forged_option_is_refused_by_check_ballot_and_the_board(
    world: World, board: Board
) -> None:
    honest = world.ballot(0)
    ciphertext, proof, _ = forge_01_proof(world.election.public_key)
    question = honest.questions[0]
    forged_question = replace(
        question, options=(EncryptedOption(ciphertext, proof), *question.options[1:])
    )
    forged = with_question(world, 0, honest, 0, forged_question)
    with pytest.raises(InvalidProof, match=r"questions\[0\]\.options\[0\]"):
        check_ballot(world.election, forged)
    with pytest.raises(InvalidProof, match=r"options\[0\]"):
        board.cast(world.election_id, forged.canonical_bytes())
    assert board.head(world.election_id).position == 2  # setup, open: nothing appended


# -- B2 -------------------------------------------------------------------------------------


def _commit_as(world: World, index: int, commitments: TrusteeCommitments) -> None:
    """Run the ceremony's reveal check on ``commitments`` with a hash that matches them.

    The hash is recomputed, so that only the proof check can catch the forgery.
    """
    setup = world.ceremony.setup
    check_trustee_commitments(setup, commitment_hash(setup, commitments), commitments)


@pytest.mark.attack("B2")
def test_b2_rogue_key_without_knowledge_is_refused(world: World) -> None:
    group = world.group
    setup = world.ceremony.setup
    others = group.product(item.commitments[0] for item in world.ceremony.commitments[1:])
    x = group.random_scalar()
    rogue = group.base_exp(x) / others  # joint key would be g^x: the attacker alone decrypts
    honest = make_commitments(setup, 1, [x, group.random_scalar()])
    # The attacker cannot prove knowledge of log(rogue); it proves what it knows instead.
    forged = replace(honest, commitments=(rogue, *honest.commitments[1:]))
    with pytest.raises(CeremonyError, match="coefficient 0"):
        _commit_as(world, 1, forged)
    # A Schnorr proof made for the known part, transplanted: refused too.
    proof = prove_schnorr(group, Purpose.KEY_PROOF, setup.coefficient_context(1, 0), x,
                          group.base_exp(x))  # fmt: skip
    forged = replace(forged, proofs=(proof, *honest.proofs[1:]))
    with pytest.raises(CeremonyError, match="coefficient 0"):
        _commit_as(world, 1, forged)


@pytest.mark.attack("B2")
def test_b2_key_proof_replayed_from_another_trustee_or_election(
    world: World, other_world: World
) -> None:
    victim = world.ceremony.commitments[1]  # trustee 2
    copied = TrusteeCommitments(1, victim.commitments, victim.proofs)
    with pytest.raises(CeremonyError, match="trustee 1: proof of knowledge of coefficient 0"):
        _commit_as(world, 1, copied)
    foreign = other_world.ceremony.commitments[0]  # trustee 1 of another election
    with pytest.raises(CeremonyError, match="coefficient 0"):
        _commit_as(world, 1, foreign)
    # The same proof checked in its own place passes: the refusal is the binding, nothing else.
    check_schnorr(world.group, Purpose.KEY_PROOF, world.ceremony.setup.coefficient_context(2, 0),
                  victim.commitments[0], victim.proofs[0])  # fmt: skip


# -- B3 -------------------------------------------------------------------------------------


def weak_check_equal_logs(group: Group, key_j: Element, alpha: Element, factor: Element,
                          proof: Proof) -> bool:  # fmt: skip
    """A Chaum–Pedersen check whose challenge hashes only the commitments (not the statement)."""
    a = group.exp2(group.generator, proof.response, key_j, proof.challenge)
    b = group.exp2(alpha, proof.response, factor, proof.challenge)
    return proof.challenge == weak_challenge(group, [a, b])


def forge_decryption_factor(group: Group, secret: int, alpha: Element) -> tuple[Element, Proof]:
    """A trustee's wrong factor M != alpha^s with a proof the weak check accepts.

    Commit A = g^w, B = alpha^u, hash; answer v = w - s·c (the trustee knows s), and only then
    choose the statement's factor M = (B / alpha^v)^(1/c) = alpha^((u - v)/c).
    """
    q = group.order
    w, u = group.random_scalar(), group.random_scalar()
    c = weak_challenge(group, [group.base_exp(w), group.exp(alpha, u)])
    v = (w - secret * c) % q
    factor = group.exp(alpha, (u - v) * pow(c, -1, q))
    return factor, Proof(c, v)


def _closed_tally(world: World, tmp_path: Path) -> tuple[Board, EncryptedTally]:
    board = world.new_board(tmp_path)
    for voter in range(3):
        board.cast(world.election_id, world.ballot(voter, "yes" if voter else "no"))
    board.close_election(world.election_id)
    return board, world.tally_of(board)


@pytest.mark.attack("B3")
def test_b3_wrong_decryption_share_passes_weak_check_only(world: World, tmp_path: Path) -> None:
    board, tally = _closed_tally(world, tmp_path)
    with board:
        group = world.group
        honest = world.decryption_shares(tally)
        cheater = world.shares[0]
        columns = tally.columns()
        factors, proofs = list(honest[0].factors), list(honest[0].proofs)
        alpha = columns[0][2].alpha
        factors[0], proofs[0] = forge_decryption_factor(group, cheater.share, alpha)
        assert factors[0] != group.exp(alpha, cheater.share)
        assert weak_check_equal_logs(group, cheater.verification_key, alpha, factors[0],
                                     proofs[0])  # fmt: skip
        forged = DecryptionShare(cheater.index, tuple(factors), tuple(proofs))
        context = world.election.proof_context()
        with pytest.raises(InvalidProof, match="trustee 1"):
            check_decryption_share(group, forged, cheater.verification_key, tally, context)
        combined = combine_shares(
            tally, [forged, *honest[1:]], 2, world.ceremony.verification_key_map(), context
        )
        assert [r.trustee for r in combined.rejected] == [1]
        assert combined.trustees == (2, 3)


# -- B4 -------------------------------------------------------------------------------------


def _shift_first_challenge(group: Group, data: bytes) -> bytes:
    """JSON ballot with the first option proof's challenge shifted by the order (33 bytes)."""

    def change(obj: dict) -> None:  # type: ignore[type-arg]
        pair = obj["q"][0]["o"][0]["p"][0]
        value = int.from_bytes(base64.b64decode(pair[0]), "big") + group.order
        pair[0] = (
            base64.b64encode(value.to_bytes(32, "big")).decode()
            if value < 2**256
            else (base64.b64encode(value.to_bytes(33, "big")).decode())
        )

    return mutate_json(data, change)


@pytest.mark.attack("B4")
def test_b4_proof_values_shifted_by_the_order(world: World, board: Board) -> None:
    honest = world.ballot(0)
    option = honest.questions[0].options[0]
    assert isinstance(option.proof, DisjunctiveProof)
    q = world.group.order
    first, *rest = option.proof.branches
    for shifted in (Proof(first.challenge + q, first.response),
                    Proof(first.challenge, first.response + q)):  # fmt: skip
        # g^(x+q) = g^x: a weak checker that reduces would accept the shifted numbers.
        proof = DisjunctiveProof((shifted, *rest))
        with pytest.raises(InvalidProof, match="out of range"):
            check_range(world.election.public_key, Purpose.OPTION_PROOF,
                        option_context(world, 0, 0, 0), option.ciphertext, 1, proof)  # fmt: skip
        if max(shifted.challenge, shifted.response) >= 2**256:
            continue  # modp4096: a 32-byte field cannot even hold it (the wire test below)
        question = replace(honest.questions[0],
                           options=(EncryptedOption(option.ciphertext, proof),
                                    *honest.questions[0].options[1:]))  # fmt: skip
        forged = with_question(world, 0, honest, 0, question)
        # An object meets the checks of its bytes: the scalar is refused where it is read.
        with pytest.raises(InvalidBallot, match=r"ballot\.q\[0\]\.o\[0\]\.p\[0\]: .*out of range"):
            board.cast(world.election_id, forged)
    # On the wire the shifted number does not even decode.
    with pytest.raises(InvalidBallot):
        board.cast(world.election_id, _shift_first_challenge(world.group, honest.canonical_bytes()))
    # The signature's numbers too.
    signature = honest.signature.proof
    # (on modp4096 the shifted response does not even fit in the 32 bytes of a scalar)
    with pytest.raises(InvalidBallot, match=r"ballot\.s\[0\]: .*out of range|cannot be encoded"):
        check_ballot(world.election, replace(honest, signature=type(honest.signature)(
            Proof(signature.challenge, signature.response + q))))  # fmt: skip


@pytest.mark.attack("B4")
def test_b4_swapped_split_and_wrong_branch_count(world: World, board: Board) -> None:
    honest = world.ballot(0)
    question = honest.questions[0]
    option = question.options[0]
    assert isinstance(option.proof, DisjunctiveProof)
    a, b = option.proof.branches
    variants = {
        "swapped challenges": DisjunctiveProof((Proof(b.challenge, a.response),
                                                Proof(a.challenge, b.response))),
        "swapped branches": DisjunctiveProof((b, a)),
        "extra branch": DisjunctiveProof((a, b, Proof(0, 0))),
        "missing branch": DisjunctiveProof((a,)),
    }  # fmt: skip
    for name, proof in variants.items():
        forged_question = replace(question, options=(EncryptedOption(option.ciphertext, proof),
                                                     *question.options[1:]))  # fmt: skip
        forged = with_question(world, 0, honest, 0, forged_question)
        with pytest.raises((InvalidProof, InvalidBallot)):
            board.cast(world.election_id, forged)
        # The same forgery as bytes: refused at decoding (branch count) or at the proof.
        with pytest.raises((InvalidProof, InvalidBallot)):
            board.cast(world.election_id, forged.canonical_bytes())
        del name
    assert board.head(world.election_id).position == 2


# -- B5 -------------------------------------------------------------------------------------


@pytest.mark.attack("B5")
def test_b5_proof_moved_to_another_role(world: World, board: Board) -> None:
    honest = world.ballot(0, ref=None)  # blank: yes = no = 0, blank = 1
    question = honest.questions[0]
    assert question.blank is not None
    # The blank's ciphertext and 0/1 proof moved into the "yes" option (same statement shape).
    moved = replace(question, options=(question.blank, *question.options[1:]))
    forged = with_question(world, 0, honest, 0, moved)
    with pytest.raises(InvalidProof, match=r"options\[0\]"):
        board.cast(world.election_id, forged)
    # An option proof checked as a sum proof, or under another purpose: refused.
    option = question.options[0]
    assert isinstance(option.proof, DisjunctiveProof)
    for purpose, context in (
        (Purpose.SUM_PROOF, option_context(world, 0, 0, 0)),
        (Purpose.OPTION_PROOF, named_context(world, 0, 0, "blank")),
        (Purpose.BIT_PROOF, option_context(world, 0, 0, 0)),
    ):
        with pytest.raises(InvalidProof):
            check_range(world.election.public_key, purpose, context, option.ciphertext, 1,
                        option.proof)  # fmt: skip
    # The credential's signature is a Schnorr proof: it is no key proof.
    with pytest.raises(InvalidProof):
        check_schnorr(world.group, Purpose.KEY_PROOF, ProofContext(world.election.fingerprint),
                      honest.credential, honest.signature.proof)  # fmt: skip


@pytest.mark.attack("B5")
def test_b5_hash_inputs_are_unambiguous(group: Group) -> None:
    # Pairs that a separator-joined or unprefixed encoding would hash alike.
    pairs: list[tuple[list[Any], list[Any]]] = [
        (["ab", "c"], ["a", "bc"]),
        ([b"ab", b"c"], [b"a", b"bc"]),
        ([1, 23], [12, 3]),
        (["1"], [1]),
        ([b"x"], ["x"]),
        ([[1, 2], 3], [1, [2, 3]]),
        ([[]], [[[]]]),
        ([group.generator, 1], [group.generator.to_bytes(), 1]),
    ]
    for first, second in pairs:
        assert encode(*first) != encode(*second), (first, second)
        assert group.hash_to_scalar(Purpose.TEST, *first) != group.hash_to_scalar(
            Purpose.TEST, *second
        )
    # The same items under two purposes never share a challenge.
    assert group.hash_to_scalar(Purpose.OPTION_PROOF, 1) != group.hash_to_scalar(
        Purpose.SUM_PROOF, 1
    )


# -- B6 -------------------------------------------------------------------------------------


@pytest.mark.attack("B6")
@pytest.mark.parametrize(
    ("index", "values", "blank", "where"),
    [
        pytest.param(0, (1, 1), 0, "count_proof", id="overvote-yes-and-no"),
        pytest.param(0, (1, 0), 1, "sum_proof", id="vote-and-blank"),
        pytest.param(0, (0, 0), 0, "sum_proof", id="undervote-without-blank"),
        pytest.param(0, (-1, 1), 0, r"options\[0\]", id="negative-option"),
        pytest.param(0, (2, 0), 0, r"options\[0\]", id="option-of-2"),
        pytest.param(0, (1, 0), -1, r"blank", id="negative-blank"),
        pytest.param(1, (5, 5), None, "sum_proof", id="score-total-above-bound"),
        pytest.param(1, (6, 0), None, r"options\[0\]", id="score-above-maximum"),
        pytest.param(1, (9, -1), None, r"options\[0\]", id="score-compensating-negative"),
    ],
)
def test_b6_invalid_plaintexts_with_passing_option_proofs(
    world: World,
    board: Board,
    index: int,
    values: tuple[int, ...],
    blank: int | None,
    where: str,
) -> None:
    honest = world.ballot(1)
    forged = with_question(world, 1, honest, index, forge_question(world, 1, index, values, blank))
    with pytest.raises(InvalidProof, match=where):
        check_ballot(world.election, forged)
    with pytest.raises(InvalidProof, match=where):
        board.cast(world.election_id, forged.canonical_bytes())
    assert board.head(world.election_id).position == 2


@pytest.mark.attack("B6")
def test_b6_forge_helper_makes_valid_ballots_for_valid_values(world: World) -> None:
    # The helper is honest when the values are: the refusals above are about the values.
    ballot = world.ballot(1)
    forged = with_question(world, 1, ballot, 0, forge_question(world, 1, 0, (0, 1), 0))
    forged = with_question(world, 1, forged, 1, forge_question(world, 1, 1, (4, 4)))
    check_ballot(world.election, forged)
    assert isinstance(forged.questions[0], EncryptedQuestion)


# -- the verify path: the same forgeries forced into a published record -----------------------


@pytest.mark.attack("B1", path="verify")
def test_b1_forged_option_in_record(world: World, record: Path) -> None:
    honest = world.ballot(0)
    ciphertext, proof, _ = forge_01_proof(world.election.public_key)
    question = honest.questions[0]
    forged_question = replace(
        question, options=(EncryptedOption(ciphertext, proof), *question.options[1:])
    )
    forged = with_question(world, 0, honest, 0, forged_question)
    replace_entry(record, world, COUNTED, forged.canonical_bytes())
    assert_fails_at(record, "11.7", "options[0]")


@pytest.mark.attack("B2", path="verify")
def test_b2_replayed_key_proof_in_record(world: World, record: Path) -> None:
    def change(ceremony: Any) -> None:
        # Trustee 1's coefficient proofs replaced by trustee 2's.
        commitments = ceremony["commitments"]
        commitments[0]["proofs"] = commitments[1]["proofs"]

    rewrite_ceremony(record, world, change)
    assert_fails_at(record, "11.3")


@pytest.mark.attack("B3", path="verify")
def test_b3_forged_decryption_share_in_record(world: World, record: Path) -> None:
    loaded = load_record(record)
    assert loaded.tally is not None
    cheater = world.shares[0]
    alpha = loaded.tally.columns()[0][2].alpha
    factor, proof = forge_decryption_factor(world.group, cheater.share, alpha)
    share = next(s for s in loaded.shares if s.trustee == 1)
    forged = DecryptionShare(1, (factor, *share.factors[1:]), (proof, *share.proofs[1:]))
    replace_share(record, world, forged)
    assert_fails_at(record, "11.11", "trustee 1")


@pytest.mark.attack("B4", path="verify")
def test_b4_shifted_scalar_in_record(world: World, record: Path) -> None:
    honest = load_record(record)
    payload = dict(honest.ballot_lines())[COUNTED]
    replace_entry(record, world, COUNTED, _shift_first_challenge(world.group, payload))
    assert_fails_at(record, "11.7")


@pytest.mark.attack("B5", path="verify")
def test_b5_blank_proof_moved_to_option_in_record(world: World, record: Path) -> None:
    honest = world.ballot(0, ref=None)
    question = honest.questions[0]
    assert question.blank is not None
    forged = with_question(
        world, 0, honest, 0, replace(question, options=(question.blank, *question.options[1:]))
    )
    replace_entry(record, world, COUNTED, forged.canonical_bytes())
    assert_fails_at(record, "11.7", "options[0]")


@pytest.mark.attack("B6", path="verify")
@pytest.mark.parametrize(
    ("index", "values", "blank"),
    [
        pytest.param(0, (1, 1), 0, id="overvote"),
        pytest.param(0, (1, 0), 1, id="vote-and-blank"),
        pytest.param(1, (5, 5), None, id="score-total"),
    ],
)
def test_b6_invalid_plaintext_in_record(
    world: World, record: Path, index: int, values: tuple[int, ...], blank: int | None
) -> None:
    honest = world.ballot(0)
    forged = with_question(world, 0, honest, index, forge_question(world, 0, index, values, blank))
    replace_entry(record, world, COUNTED, forged.canonical_bytes())
    assert_fails_at(record, "11.7")


# -- B7, B8 ---------------------------------------------------------------------------------


@pytest.mark.attack("B7")
def test_b7_repeated_random_state_does_not_reveal_a_share(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two decryption proofs from a restored snapshot: the classic nonce-reuse extraction fails."""
    group = world.group
    trustee = world.shares[0]
    monkeypatch.setattr("evote.crypto.proofs.secrets.token_bytes", bytes)
    monkeypatch.setattr(type(group), "random_scalar", lambda self: 7)
    alpha_one, alpha_two = group.base_exp(11), group.base_exp(13)
    context = world.election.proof_context()
    proofs = [
        prove_equal_logs(
            group, Purpose.DECRYPTION_PROOF, context, trustee.share, group.generator,
            trustee.verification_key, alpha, group.exp(alpha, trustee.share),
        )
        for alpha in (alpha_one, alpha_two)
    ]  # fmt: skip
    one, two = proofs
    # With one nonce w: v1 = w - c1·x and v2 = w - c2·x, so x = (v1 - v2) / (c2 - c1).
    extracted = (
        (one.response - two.response) * pow(two.challenge - one.challenge, -1, group.order)
    ) % group.order
    assert extracted != trustee.share
    nonces = {(p.response + p.challenge * trustee.share) % group.order for p in proofs}
    assert len(nonces) == 2


@pytest.mark.attack("B8")
def test_b8_decryption_factor_carried_to_another_beta(world: World, tmp_path: Path) -> None:
    """Same alpha, another beta: the proof binds beta, so the factor does not carry over."""
    board, tally = _closed_tally(world, tmp_path)
    with board:
        group = world.group
        share = world.decryption_shares(tally)[0]
        context = world.election.proof_context()
        key = world.ceremony.verification_key(share.trustee)
        check_decryption_share(group, share, key, tally, context)
        first = tally.options[0][0]
        moved = replace(first, beta=first.beta * group.generator)
        other = replace(tally, options=((moved, *tally.options[0][1:]), *tally.options[1:]))
        with pytest.raises(InvalidProof, match=r"trustee 1: decryption share for question 0"):
            check_decryption_share(group, share, key, other, context)
