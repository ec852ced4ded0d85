"""The tally: aggregation, decryption shares, any t of n, bad shares, bounds, the result."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evote.ballots.manifest import BudgetQuestion, Option
from evote.crypto.elgamal import encrypt
from evote.crypto.groups import ED25519, Group
from evote.errors import (
    InsufficientShares,
    InvalidBallot,
    InvalidInput,
    InvalidProof,
    InvalidResult,
    TallyOutOfRange,
)
from evote.tally import (
    CiphertextMatrix,
    DecryptedCounts,
    DecryptionShare,
    EncryptedTally,
    Turnout,
    aggregate,
    check_decryption_share,
    check_result,
    combine_shares,
    compute_decryption_share,
    compute_result,
    decrypt_counts,
)
from evote.tally.aggregate import MAX_WEIGHT_CLASSES
from tests.tally.conftest import TallySetup, make_setup, text

Plain = tuple[list[list[int]], list[int | None]]


def encrypt_plain(setup: TallySetup, plain: Plain) -> CiphertextMatrix:
    key = setup.election.public_key
    values, blanks = plain
    return CiphertextMatrix(
        tuple(tuple(encrypt(key, v).ciphertext for v in row) for row in values),
        tuple(None if b is None else encrypt(key, b).ciphertext for b in blanks),
    )


def random_plain(rng: random.Random) -> Plain:
    """A valid answer to the sample questions (blank where allowed, now and then)."""
    ref_blank = rng.random() < 0.2
    ref = [0, 0] if ref_blank else rng.choice([[1, 0], [0, 1]])
    council_blank = rng.random() < 0.2
    council = [0] * 4
    if not council_blank:
        for i in rng.sample(range(4), rng.randint(1, 2)):
            council[i] = 1
    rate = [rng.randint(0, 5) for _ in range(3)]
    budget = rng.choice([[1, 1, 1, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]])
    return [ref, council, rate, budget], [int(ref_blank), int(council_blank), None, None]


def expected_counts(ballots: Sequence[tuple[Plain, int]]) -> DecryptedCounts:
    options = [[0, 0], [0] * 4, [0] * 3, [0] * 4]
    blanks: list[int | None] = [0, 0, None, None]
    for (values, ballot_blanks), weight in ballots:
        for q, row in enumerate(values):
            for o, value in enumerate(row):
                options[q][o] += weight * value
        for q, blank in enumerate(ballot_blanks):
            if blank is not None:
                blanks[q] = (blanks[q] or 0) + weight * blank
    return DecryptedCounts(tuple(tuple(row) for row in options), tuple(blanks))


def decryption_shares(
    setup: TallySetup, tally: EncryptedTally, indices: Sequence[int]
) -> list[DecryptionShare]:
    context = setup.election.proof_context()
    return [
        compute_decryption_share(
            tally.group,
            share.share,
            share.index,
            share.verification_key,
            tally,
            context,
        )
        for share in setup.shares
        if share.index in indices
    ]


def decrypt(
    setup: TallySetup, tally: EncryptedTally, shares: Sequence[DecryptionShare]
) -> DecryptedCounts:
    counts, _ = decrypt_counts(
        setup.election.manifest,
        tally,
        shares,
        setup.ceremony.threshold,
        setup.ceremony.verification_key_map(),
        setup.election.proof_context(),
    )
    return counts


def small_tally(
    setup: TallySetup, seed: int = 1, count: int = 4
) -> tuple[EncryptedTally, list[tuple[Plain, int]]]:
    rng = random.Random(seed)
    ballots = [(random_plain(rng), rng.randint(1, 3)) for _ in range(count)]
    tally = aggregate(setup.election, ((encrypt_plain(setup, p), w) for p, w in ballots))
    return tally, ballots


def test_every_three_of_five_agree(setup: TallySetup) -> None:
    tally, ballots = small_tally(setup)
    expected = expected_counts(ballots)
    shares = decryption_shares(setup, tally, range(1, 6))
    results = set()
    for subset in itertools.combinations(range(5), 3):
        counts = decrypt(setup, tally, [shares[i] for i in subset])
        assert counts == expected
        results.add(compute_result(setup.election.manifest, counts, Turnout(4, tally.total_weight)))
    assert len(results) == 1
    assert tally.ballot_count == 4
    assert tally.total_weight == sum(w for _, w in ballots)


def test_two_trustees_are_not_enough(setup: TallySetup) -> None:
    tally, _ = small_tally(setup, count=1)
    shares = decryption_shares(setup, tally, [2, 5])
    with pytest.raises(InsufficientShares, match=r"2 valid decryption shares.*threshold is 3"):
        decrypt(setup, tally, shares)


def test_share_counted_twice_refused(group: Group) -> None:
    setup = make_setup(group, 3, 2)
    tally, ballots = small_tally(setup, count=2)
    one, two = decryption_shares(setup, tally, [1, 2])
    context = setup.election.proof_context()
    keys = setup.ceremony.verification_key_map()
    with pytest.raises(InsufficientShares, match=r"trustee 1: a share from it is already counted"):
        combine_shares(tally, [one, one], 2, keys, context)
    combined = combine_shares(tally, [one, one, two], 2, keys, context)
    assert combined.trustees == (1, 2)
    assert [r.trustee for r in combined.rejected] == [1]
    assert decrypt(setup, tally, [one, one, two]) == expected_counts(ballots)


def test_bad_shares_rejected_and_tally_completes(setup: TallySetup) -> None:
    tally, ballots = small_tally(setup, count=2)
    group = tally.group
    context = setup.election.proof_context()
    keys = setup.ceremony.verification_key_map()
    honest = decryption_shares(setup, tally, range(1, 6))
    by_index = {share.index: share for share in setup.shares}
    # Trustee 1 proves with another trustee's secret (a valid proof, against the wrong key).
    with_other_secret = dataclasses.replace(
        compute_decryption_share(
            group, by_index[4].share, 4, by_index[4].verification_key, tally, context
        ),
        trustee=1,
    )
    # Trustee 2 swaps the factors and proofs of two ciphertexts: each proof is valid elsewhere.
    factors, proofs = list(honest[1].factors), list(honest[1].proofs)
    factors[0], factors[1] = factors[1], factors[0]
    proofs[0], proofs[1] = proofs[1], proofs[0]
    swapped = dataclasses.replace(honest[1], factors=tuple(factors), proofs=tuple(proofs))
    # Trustee 3's share for another election's context.
    other_context = compute_decryption_share(
        group,
        by_index[3].share,
        3,
        by_index[3].verification_key,
        tally,
        context.extend("another election"),
    )
    bad = [with_other_secret, swapped, other_context]
    for share in bad:
        with pytest.raises(InvalidProof, match=rf"trustee {share.trustee}: decryption share"):
            check_decryption_share(group, share, keys[share.trustee], tally, context)
    truncated = dataclasses.replace(honest[3], factors=honest[3].factors[:-1])
    with pytest.raises(InvalidProof, match=r"trustee 4: decryption share has"):
        check_decryption_share(group, truncated, keys[4], tally, context)
    shares = [*bad, truncated, honest[3], honest[4], honest[0]]
    combined = combine_shares(tally, shares, 3, keys, context)
    assert combined.trustees == (1, 4, 5)
    assert sorted(r.trustee for r in combined.rejected) == [1, 2, 3, 4]
    assert decrypt(setup, tally, shares) == expected_counts(ballots)
    with pytest.raises(InsufficientShares, match=r"rejected: trustee 1"):
        combine_shares(tally, [*bad, honest[3]], 3, keys, context)


def test_share_checked_against_a_tally_with_swapped_betas_fails(setup: TallySetup) -> None:
    """The proof binds the column's beta (spec 9.2): same alphas, betas of two columns swapped."""
    tally, _ = small_tally(setup, count=2)
    context = setup.election.proof_context()
    keys = setup.ceremony.verification_key_map()
    (share,) = decryption_shares(setup, tally, [2])
    check_decryption_share(tally.group, share, keys[2], tally, context)
    first, second = tally.options[0][0], tally.options[0][1]
    assert first.beta != second.beta
    swapped_row = (
        dataclasses.replace(first, beta=second.beta),
        dataclasses.replace(second, beta=first.beta),
        *tally.options[0][2:],
    )
    swapped = dataclasses.replace(tally, options=(swapped_row, *tally.options[1:]))
    with pytest.raises(
        InvalidProof, match=r"trustee 2: decryption share for question 0 option 0: Chaum"
    ):
        check_decryption_share(tally.group, share, keys[2], swapped, context)


def test_unknown_trustee_rejected(setup: TallySetup) -> None:
    tally, _ = small_tally(setup, count=1)
    shares = decryption_shares(setup, tally, [1, 2, 3])
    stranger = dataclasses.replace(shares[0], trustee=9)
    combined = combine_shares(
        tally,
        [stranger, *shares],
        3,
        setup.ceremony.verification_key_map(),
        setup.election.proof_context(),
    )
    assert combined.rejected[0].trustee == 9


def test_tally_out_of_range(setup: TallySetup) -> None:
    # One ballot (weight 2) with 3 in a 0/1 option: the count 6 is beyond the bound 2.
    values, blanks = random_plain(random.Random(3))
    values[1] = [3, 0, 0, 0]
    tally = aggregate(setup.election, [(encrypt_plain(setup, (values, blanks)), 2)])
    shares = decryption_shares(setup, tally, [1, 2, 3])
    with pytest.raises(TallyOutOfRange, match=r"question 1 option 0.*\[0, 2\]"):
        decrypt(setup, tally, shares)


def test_aggregate_refuses_bad_input(setup: TallySetup) -> None:
    plain = random_plain(random.Random(4))
    good = encrypt_plain(setup, plain)
    no_blank = dataclasses.replace(good, blanks=(None, *good.blanks[1:]))
    with pytest.raises(InvalidBallot, match=r"counted ballot #1, question 0: blank ciphertext"):
        aggregate(setup.election, [(good, 1), (no_blank, 1)])
    short = dataclasses.replace(good, options=(good.options[0][:1], *good.options[1:]))
    with pytest.raises(InvalidBallot, match=r"counted ballot #0, question 0: 1 options"):
        aggregate(setup.election, [(short, 1)])
    with pytest.raises(InvalidBallot, match=r"3 questions"):
        aggregate(
            setup.election,
            [(CiphertextMatrix(good.options[:3], good.blanks[:3]), 1)],
        )
    for weight in (0, -1, True):
        with pytest.raises(InvalidInput, match=r"weight"):
            aggregate(setup.election, [(good, weight)])


def test_many_weight_classes() -> None:
    setup = make_setup(ED25519, 3, 2)
    rng = random.Random(5)
    ballots = [(random_plain(rng), w) for w in range(1, MAX_WEIGHT_CLASSES + 6)]
    tally = aggregate(setup.election, ((encrypt_plain(setup, p), w) for p, w in ballots))
    shares = decryption_shares(setup, tally, [1, 3])
    assert decrypt(setup, tally, shares) == expected_counts(ballots)


def test_empty_election(setup: TallySetup) -> None:
    tally = aggregate(setup.election, [])
    counts = decrypt(setup, tally, decryption_shares(setup, tally, [1, 2, 3]))
    result = compute_result(setup.election.manifest, counts, Turnout(0, 0))
    assert all(count == 0 for q in result.questions for _, count in q.counts)
    # All tied at 0 votes: cheapest first (p2 200, p0 300, p3 400); p1 (500) no longer fits.
    assert result.question("budget").winners == ("p0", "p2", "p3")


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 6))
def test_random_elections_decrypt_to_plaintext_count(seed: int, count: int) -> None:
    setup = _ed25519_setup()
    rng = random.Random(seed)
    ballots = [(random_plain(rng), rng.choice([1, 1, 2, 7])) for _ in range(count)]
    tally = aggregate(setup.election, ((encrypt_plain(setup, p), w) for p, w in ballots))
    subset = rng.sample(range(1, 6), 3)
    counts = decrypt(setup, tally, decryption_shares(setup, tally, subset))
    assert counts == expected_counts(ballots)
    turnout = Turnout(tally.ballot_count, tally.total_weight)
    result = compute_result(setup.election.manifest, counts, turnout)
    check_result(setup.election.manifest, counts, turnout, result)


_CACHE: list[TallySetup] = []


def _ed25519_setup() -> TallySetup:
    if not _CACHE:
        _CACHE.append(make_setup(ED25519))
    return _CACHE[0]


# -- the result -------------------------------------------------------------------------------


def test_budget_winners_and_spend() -> None:
    setup = _ed25519_setup()
    manifest = setup.election.manifest
    counts = DecryptedCounts(((5, 2), (3, 1, 0, 2), (10, 4, 0), (4, 6, 4, 5)), (1, 1, None, None))
    result = compute_result(manifest, counts, Turnout(8, 8))
    budget = result.question("budget")
    # By votes: p1 (6, cost 500), p3 (5, 400), then p0 and p2 tie at 4: p2 is cheaper (200)
    # but no longer fits (500 + 400 + 200 > 1000), nor does p0 (300).
    assert budget.winners == ("p1", "p3")
    assert budget.spent == 900
    referendum = result.question("ref")
    assert referendum.counts == (("yes", 5), ("no", 2))
    assert referendum.blank == 1
    assert referendum.turnout == 8
    assert result.question("rate").blank is None


def test_budget_tie_broken_by_cost_then_order() -> None:
    projects = tuple(
        Option(f"p{i}", text(f"p{i}"), cost) for i, cost in enumerate((400, 300, 300, 100))
    )
    question = BudgetQuestion("b", text("b"), projects, 700, 0, None, None)
    setup = make_setup(ED25519, 1, 1, (question,))
    counts = DecryptedCounts(((3, 3, 3, 1),), (None,))
    result = compute_result(setup.election.manifest, counts, Turnout(3, 3))
    # Tie at 3 votes: p1 and p2 (cost 300) before p0 (400); p1 before p2 by manifest order;
    # p0 no longer fits; p3 (100) does.
    assert result.questions[0].winners == ("p1", "p2", "p3")
    assert result.questions[0].spent == 700


def test_check_result_catches_every_change() -> None:
    setup = _ed25519_setup()
    manifest = setup.election.manifest
    counts = DecryptedCounts(((5, 2), (3, 1, 0, 2), (10, 4, 0), (4, 6, 4, 5)), (1, 1, None, None))
    turnout = Turnout(8, 8)
    result = compute_result(manifest, counts, turnout)
    check_result(manifest, counts, turnout, result)
    budget = result.questions[3]
    ref = result.questions[0]
    mutations = {
        "winners": dataclasses.replace(budget, winners=("p1", "p2")),
        "spent": dataclasses.replace(budget, spent=1000),
        "counts": dataclasses.replace(ref, counts=(("yes", 2), ("no", 5))),
        "blank": dataclasses.replace(ref, blank=0),
        "turnout": dataclasses.replace(ref, turnout=9),
    }
    for field_name, question in mutations.items():
        position = 3 if question.question_id == "budget" else 0
        questions = list(result.questions)
        questions[position] = question
        with pytest.raises(InvalidResult, match=rf"question {position} .*{field_name}"):
            check_result(
                manifest, counts, turnout, dataclasses.replace(result, questions=tuple(questions))
            )
    with pytest.raises(InvalidResult, match=r"turnout"):
        check_result(manifest, counts, turnout, dataclasses.replace(result, turnout=Turnout(7, 8)))
    with pytest.raises(InvalidResult, match=r"questions"):
        check_result(manifest, counts, turnout, dataclasses.replace(result, questions=()))


def test_compute_result_refuses_impossible_counts() -> None:
    setup = _ed25519_setup()
    manifest = setup.election.manifest
    good = DecryptedCounts(((5, 2), (3, 1, 0, 2), (10, 4, 0), (4, 6, 4, 5)), (1, 1, None, None))
    with pytest.raises(InvalidInput, match=r"question 0 \(ref\) option 0: count 9"):
        compute_result(
            manifest, dataclasses.replace(good, options=((9, 2), *good.options[1:])), Turnout(8, 8)
        )
    with pytest.raises(InvalidInput, match=r"question 2 \(rate\): blank count given"):
        compute_result(manifest, dataclasses.replace(good, blanks=(1, 1, 0, None)), Turnout(8, 8))
    with pytest.raises(InvalidInput, match=r"turnout"):
        compute_result(manifest, good, Turnout(9, 8))


def test_tally_of_encrypted_ballots() -> None:
    encrypted = pytest.importorskip("evote.ballots.encrypted")
    plaintext = pytest.importorskip("evote.ballots.plaintext")
    setup = _ed25519_setup()
    manifest = setup.election.manifest
    selections = [
        {"ref": ["yes"], "council": ["a", "c"], "rate": {"x": 5, "y": 1}, "budget": ["p0", "p2"]},
        {"ref": None, "council": None, "rate": {"z": 2}, "budget": ["p1"]},
    ]
    ballots = [
        encrypted.encrypt_ballot(
            setup.election, code, plaintext.PlaintextBallot.from_selection(manifest, selection)
        )
        for code, selection in zip(setup.codes, selections, strict=False)
    ]
    tally = aggregate(setup.election, [(ballots[0], 1), (ballots[1], 3)])
    counts = decrypt(setup, tally, decryption_shares(setup, tally, [2, 4, 5]))
    assert counts.options == ((1, 0), (1, 0, 1, 0), (5, 1, 6), (1, 3, 1, 0))
    assert counts.blanks == (3, 3, None, None)


# -- aggregation in parallel from payloads ------------------------------------------


def test_aggregate_payloads_is_the_sequential_tally() -> None:
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    from evote.ballots.encrypted import encrypt_ballot  # noqa: PLC0415
    from evote.ballots.plaintext import PlaintextBallot  # noqa: PLC0415
    from evote.tally.aggregate import aggregate_payloads, share_election  # noqa: PLC0415

    setup = _ed25519_setup()
    election = setup.election
    selection = {"ref": ["yes"], "council": ["a"], "rate": {"x": 1}, "budget": ["p0"]}
    ballots = [
        encrypt_ballot(election, code, PlaintextBallot.from_selection(election.manifest, selection))
        for code in setup.codes
    ]
    expected = aggregate(election, [(ballot, 1) for ballot in ballots])
    payloads = [ballot.canonical_bytes() for ballot in ballots]
    assert aggregate_payloads(election, payloads, chunk_size=2) == expected
    share_election(election)
    with ProcessPoolExecutor(2) as pool:
        assert aggregate_payloads(election, payloads, executor=pool, chunk_size=1) == expected
    assert aggregate_payloads(election, []) == aggregate(election, [])
    with pytest.raises(InvalidInput, match="chunk size"):
        aggregate_payloads(election, payloads, chunk_size=0)


def test_aggregate_chunk_refuses_an_unknown_election() -> None:
    from evote.tally.aggregate import aggregate_chunk  # noqa: PLC0415

    with pytest.raises(InvalidInput, match="does not know the election"):
        aggregate_chunk(b"\x00" * 32, ())


def test_multiply_tallies_refuses_other_shapes() -> None:
    from evote.tally.aggregate import multiply_tallies  # noqa: PLC0415

    empty = aggregate(_ed25519_setup().election, [])
    shorter = EncryptedTally(empty.group, empty.options[:1], empty.blanks[:1], 0, 0)
    with pytest.raises(InvalidInput, match="shapes"):
        multiply_tallies(empty, shorter)
