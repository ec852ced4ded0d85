"""docs/spec.md section 2.6 types every hash input: recompute each hash from that table alone.

The encoder below follows section 2.1 with explicit types ("b" bytes, "t" text, "i" integer,
"e" element encoding, lists): it knows nothing of evote's encoder. Each test builds a hash input
as the table writes it and compares with what evote computed, so a wrong type in the
specification (an element hashed as bytes, an integer as bytes...) fails here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nacl.bindings as sodium
import pytest
from nacl.signing import SigningKey

from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import EncryptedBallot, ciphertext_marks, encrypt_ballot
from evote.ballots.manifest import (
    BudgetQuestion,
    Manifest,
    Option,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.chain import EntryKind, genesis_hash, link_hash, payload_hash
from evote.board.checkpoint import checkpoint_message
from evote.board.receipt import receipt_message
from evote.ceremony.dkg import CeremonyResult, Trustee, run_ceremony
from evote.crypto.elgamal import PublicKey
from evote.crypto.groups import ED25519, Element
from evote.crypto.proofs import DisjunctiveProof
from evote.crypto.rangeproof import IntervalProof
from evote.crypto.shuffle import shuffle_proof_from_json
from evote.election import Election
from evote.jsonstrict import dumps
from evote.tally import aggregate, compute_decryption_share
from tests.vectors.gen_shuffle_vectors import CONTEXT as SHUFFLE_CONTEXT
from tests.vectors.gen_shuffle_vectors import build as build_shuffle_vector

GROUP = ED25519
ELECTION_ID = "spec-2.6"
# An Ed25519 public key: the point of a fixed seed (the board key is hashed as its raw bytes).
BOARD_KEY = bytes(SigningKey(bytes(32)).verify_key)


# -- section 2.1, typed ------------------------------------------------------------------------


def _u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def enc(value: Any) -> bytes:
    """("b", bytes) | ("t", str) | ("i", int) | ("e", Element) | list of those."""
    if isinstance(value, list):
        return b"\x05" + _u32(len(value)) + b"".join(enc(item) for item in value)
    kind, payload = value
    if kind == "b":
        return b"\x01" + _u32(len(payload)) + bytes(payload)
    if kind == "t":
        raw = str(payload).encode("utf-8")
        return b"\x02" + _u32(len(raw)) + raw
    if kind == "i":
        number = int(payload)
        magnitude = abs(number).to_bytes((abs(number).bit_length() + 7) // 8, "big")
        return b"\x03" + bytes([number < 0]) + _u32(len(magnitude)) + magnitude
    if kind == "e":
        raw = bytes(payload.to_bytes())
        return b"\x04" + _u32(len(raw)) + raw
    raise AssertionError(kind)


def b(x: bytes) -> tuple[str, bytes]:
    return ("b", x)


def t(x: str) -> tuple[str, str]:
    return ("t", x)


def i(x: int) -> tuple[str, int]:
    return ("i", x)


def e(x: Element) -> tuple[str, Element]:
    return ("e", x)


def digest(tag: str, *items: Any) -> bytes:
    return hashlib.sha512(enc([t("evote/1"), t(tag), list(items)])).digest()


def digest32(tag: str, *items: Any) -> bytes:
    return digest(tag, *items)[:32]


def challenge(
    tag: str,
    fingerprint: bytes,
    binding: list[Any],
    statement: list[Any],
    commitments: list[Element],
) -> int:
    items = [t(GROUP.name), b(fingerprint), binding, statement, [e(c) for c in commitments]]
    return int.from_bytes(digest(tag, *items), "big") % GROUP.order


# -- one small election ------------------------------------------------------------------------


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": word}


@dataclass(frozen=True)
class Setup:
    ceremony: CeremonyResult
    trustees: list[Trustee]
    election: Election
    ballot: EncryptedBallot


@pytest.fixture(scope="module")
def setup() -> Setup:
    ceremony, trustees = run_ceremony(GROUP, ELECTION_ID, 2, 2)
    registration = Registrar.generate(GROUP, ELECTION_ID, ["v1", "v2"], {"v2": 7})
    manifest = Manifest(
        election_id=ELECTION_ID,
        title=_text("t"),
        opens=datetime(2025, 1, 1, tzinfo=UTC),
        closes=datetime(2025, 1, 2, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion(
                "ref", _text("r"), (Option("yes", _text("y")), Option("no", _text("n"))), True
            ),
            ScoreQuestion("score", _text("s"), (Option("a", _text("a")),), max_score=20),
            BudgetQuestion(
                "budget",
                _text("b"),
                (Option("p", _text("p"), 3), Option("q", _text("q"), 5)),
                budget=6,
                min_spend=1,
            ),
        ),
    )
    election = Election(
        manifest,
        GROUP,
        ceremony.public_key,
        registration.credential_list,
        ceremony.transcript_hash,
        BOARD_KEY,
    )
    plaintext = PlaintextBallot.from_selection(
        manifest, {"ref": ["yes"], "score": {"a": 17}, "budget": ["q"]}
    )
    ballot = encrypt_ballot(election, registration.codes["v2"], plaintext)
    return Setup(ceremony, list(trustees), election, ballot)


# -- the digests ---------------------------------------------------------------------------------


def test_manifest_digest_fingerprint_and_credential_list(setup: Setup) -> None:
    election = setup.election
    manifest_digest = digest32("manifest", b(election.manifest.canonical_bytes()))
    assert manifest_digest == election.manifest.digest()
    entries = [[e(entry.public), i(entry.weight)] for entry in election.credentials.entries]
    list_digest = digest32("credential-list", t(GROUP.name), entries)
    assert list_digest == election.credentials.digest()
    fingerprint = digest32(
        "fingerprint",
        t(GROUP.name),
        b(manifest_digest),
        e(election.public_key.element),
        b(election.ceremony_digest),
        b(list_digest),
        b(BOARD_KEY),
    )
    assert fingerprint == election.fingerprint


def test_ceremony_context_commitment_hashes_and_transcript(setup: Setup) -> None:
    result = setup.ceremony
    s = result.setup
    keys = [[i(index), b(key)] for index, key in s.indexed_keys()]
    ctx = digest32(
        "ceremony-transcript",
        t("context"),
        t(GROUP.name),
        t(s.election_id),
        i(s.trustee_count),
        i(s.threshold),
        keys,
    )
    assert ctx == s.context
    reveals = []
    for item, committed in zip(result.commitments, result.commitment_hashes, strict=True):
        pairs = [[i(p.challenge), i(p.response)] for p in item.proofs]
        commitments = [e(c) for c in item.commitments]
        h = digest32(
            "ceremony-transcript", t("commitments"), b(ctx), i(item.index), commitments, pairs
        )
        assert h == committed.digest
        reveals.append([i(item.index), commitments, pairs])
    transcript = digest32(
        "ceremony-transcript",
        t("transcript"),
        b(ctx),
        t(GROUP.name),
        t(s.election_id),
        i(s.trustee_count),
        i(s.threshold),
        keys,
        [[i(h.index), b(h.digest)] for h in result.commitment_hashes],
        reveals,
        e(result.joint_key),
        [e(k) for k in result.verification_keys],
    )
    assert transcript == result.transcript_hash


def test_ballot_hash_and_ciphertext_marks(setup: Setup) -> None:
    ballot = setup.ballot
    assert digest32("ballot", b(ballot.canonical_bytes())) == ballot.ballot_hash()
    marks = []
    for question in ballot.questions:
        for option in (*question.options, *([question.blank] if question.blank else [])):
            alpha = e(option.ciphertext.alpha)
            marks.append(digest32("ballot", t("alpha"), b(ballot.fingerprint), alpha))
    assert tuple(marks) == ciphertext_marks(ballot)


def test_board_chain_and_checkpoint() -> None:
    fingerprint, launch = bytes(range(32)), "0123456789abcdef0123456789abcdef"
    h0 = digest32("board-link", i(0), t("e-1"), b(fingerprint), t(launch))
    assert h0 == genesis_hash("e-1", fingerprint, launch)
    p1 = digest32("board-payload", t("setup"), b(b'{"x":1}'))
    assert p1 == payload_hash(EntryKind.SETUP, b'{"x":1}')
    assert digest32("board-link", i(1), b(h0), b(p1)) == link_hash(1, h0, p1)
    message = digest32("board-checkpoint", t("e-1"), i(300), b(h0), i(1_733_000_000))
    assert message == checkpoint_message("e-1", 300, h0, 1_733_000_000)
    code, ballot_hash = "A4P0-BEY8-AGXN-K7FP-T6YFM", bytes(range(1, 33))
    receipt = digest32("board-receipt", t("e-1"), i(301), b(h0), t(code), b(ballot_hash))
    assert receipt == receipt_message("e-1", 301, h0, code, ballot_hash)


# -- the challenges ----------------------------------------------------------------------------


def _range_challenge(
    key: Element,
    tag: str,
    fingerprint: bytes,
    binding: list[Any],
    alpha: Element,
    beta: Element,
    proof: DisjunctiveProof,
) -> tuple[int, int]:
    """(recomputed challenge, sum of the branch challenges) of a [0, L] proof (section 4.4)."""
    g = GROUP.generator
    commitments: list[Element] = []
    for j, branch in enumerate(proof.branches):
        commitments.append(GROUP.exp2(g, branch.response, alpha, branch.challenge))
        shifted = beta * GROUP.base_exp(-j)
        commitments.append(GROUP.exp2(key, branch.response, shifted, branch.challenge))
    maximum = len(proof.branches) - 1
    statement = [e(g), e(key), e(alpha), e(beta), i(maximum)]
    expected = challenge(tag, fingerprint, binding, statement, commitments)
    return expected, sum(branch.challenge for branch in proof.branches) % GROUP.order


def test_ballot_proof_bindings_hash_the_credential_as_bytes(setup: Setup) -> None:
    key = setup.election.public_key.element
    ballot, fingerprint = setup.ballot, setup.election.fingerprint
    credential = b(ballot.credential.to_bytes())
    ref = ballot.questions[0]
    option = ref.options[1]
    assert isinstance(option.proof, DisjunctiveProof)
    binding = [t("question"), i(0), t("option"), i(1), credential]
    got, want = _range_challenge(
        key,
        "option-proof",
        fingerprint,
        binding,
        option.ciphertext.alpha,
        option.ciphertext.beta,
        option.proof,
    )
    assert got == want
    # The same binding with the credential as an element (0x04) gives another challenge.
    wrong = [t("question"), i(0), t("option"), i(1), e(ballot.credential)]
    assert (
        _range_challenge(
            key,
            "option-proof",
            fingerprint,
            wrong,
            option.ciphertext.alpha,
            option.ciphertext.beta,
            option.proof,
        )[0]
        != want
    )
    assert ref.blank is not None
    blank = ref.blank
    assert isinstance(blank.proof, DisjunctiveProof)
    got, want = _range_challenge(
        key,
        "option-proof",
        fingerprint,
        [t("question"), i(0), t("blank"), credential],
        blank.ciphertext.alpha,
        blank.ciphertext.beta,
        blank.proof,
    )
    assert got == want


def test_a_score_of_twenty_is_an_interval_proof_with_typed_bit_bindings(setup: Setup) -> None:
    key = setup.election.public_key.element
    ballot, fingerprint = setup.ballot, setup.election.fingerprint
    proof = ballot.questions[1].options[0].proof
    assert isinstance(proof, IntervalProof)  # 21 values > 16: bits (section 6.4)
    assert len(proof.above_lower.bits) == 5  # bit length of 20
    credential = b(ballot.credential.to_bytes())
    for k, (bit, bit_proof) in enumerate(
        zip(proof.above_lower.bits, proof.above_lower.proofs, strict=True)
    ):
        binding = [
            t("question"),
            i(1),
            t("option"),
            i(0),
            credential,
            t("above"),
            i(0),
            t("bit"),
            i(k),
        ]
        got, want = _range_challenge(
            key, "option-proof", fingerprint, binding, bit.alpha, bit.beta, bit_proof
        )
        assert got == want


def test_the_signature_hashes_the_64_byte_message_digest(setup: Setup) -> None:
    ballot, fingerprint = setup.ballot, setup.election.fingerprint
    m = digest("credential-signature", b(ballot.signed_bytes()))
    proof = ballot.signature.proof
    commitment = GROUP.exp2(GROUP.generator, proof.response, ballot.credential, proof.challenge)
    statement = [e(GROUP.generator), e(ballot.credential)]
    got = challenge("credential-signature", fingerprint, [b(m)], statement, [commitment])
    assert got == proof.challenge


def test_coefficient_and_confirmation_proofs(setup: Setup) -> None:
    result = setup.ceremony
    g = GROUP.generator
    for item in result.commitments:
        for k, (c, proof) in enumerate(zip(item.commitments, item.proofs, strict=True)):
            commitment = GROUP.exp2(g, proof.response, c, proof.challenge)
            binding = [t("trustee"), i(item.index), t("coefficient"), i(k)]
            got = challenge("key-proof", result.setup.context, binding, [e(g), e(c)], [commitment])
            assert got == proof.challenge
    for confirmation in result.confirmations:
        key = result.verification_keys[confirmation.index - 1]
        proof = confirmation.proof
        commitment = GROUP.exp2(g, proof.response, key, proof.challenge)
        binding = [t("confirm"), i(confirmation.index)]
        got = challenge("key-proof", result.transcript_hash, binding, [e(g), e(key)], [commitment])
        assert got == proof.challenge


def test_decryption_share_bindings(setup: Setup) -> None:
    election = setup.election
    tally = aggregate(election, [(setup.ballot, 7)])
    own = setup.trustees[0].share()
    share = compute_decryption_share(
        GROUP, own.share, own.index, own.verification_key, tally, election.proof_context()
    )
    g = GROUP.generator
    positions = [(0, i(0)), (0, i(1)), (0, t("blank")), (1, i(0)), (2, i(0)), (2, i(1))]
    assert len(share.proofs) == len(positions)
    for (q, o), (_, _, ciphertext), factor, proof in zip(
        positions, tally.columns(), share.factors, share.proofs, strict=True
    ):
        commitments = [
            GROUP.exp2(g, proof.response, own.verification_key, proof.challenge),
            GROUP.exp2(ciphertext.alpha, proof.response, factor, proof.challenge),
        ]
        binding = [
            t("trustee"), i(own.index), t("question"), i(q), t("option"), o,
            t("beta"), e(ciphertext.beta),
        ]  # fmt: skip
        statement = [e(g), e(own.verification_key), e(ciphertext.alpha), e(factor)]
        got = challenge("decryption-proof", election.fingerprint, binding, statement, commitments)
        assert got == proof.challenge


def test_shuffle_seed_vector_and_challenge() -> None:
    """Section 12.4 and the rows of the proof of shuffle, on the known-answer vector."""
    vector = build_shuffle_vector(GROUP)
    q, g = GROUP.order, GROUP.generator
    key = PublicKey(GROUP, GROUP.decode(bytes.fromhex(vector["public_key"])))
    proof = shuffle_proof_from_json(dumps(vector["proof"]), GROUP)
    hs = [GROUP.decode(bytes.fromhex(h)) for h in vector["generators"]]
    for index, h in enumerate(hs):
        uniform = digest("generator", t(GROUP.name), t("shuffle"), i(index))[:32]
        assert h == GROUP.decode(sodium.crypto_core_ed25519_from_uniform(uniform))

    def answers(rows: list[list[list[str]]]) -> list[list[tuple[Element, Element]]]:
        return [
            [(GROUP.decode(bytes.fromhex(a)), GROUP.decode(bytes.fromhex(bb))) for a, bb in row]
            for row in rows
        ]

    inputs, outputs = answers(vector["inputs"]), answers(vector["outputs"])
    n, w = len(inputs), len(inputs[0])
    statement = [
        e(g), e(key.element), i(n), i(w),
        [[[e(a), e(bb)] for a, bb in row] for row in inputs],
        [[[e(a), e(bb)] for a, bb in row] for row in outputs],
    ]  # fmt: skip
    binding = [t("mix"), i(1), t("question"), i(0)]
    commitments = list(proof.permutation_commitments)
    seed = digest(
        "shuffle-vector", t(GROUP.name), b(SHUFFLE_CONTEXT.fingerprint), binding, statement,
        [e(c) for c in commitments],
    )  # fmt: skip
    u = [int.from_bytes(digest("shuffle-vector", t(GROUP.name), b(seed), i(j)), "big") % q
         for j in range(n)]  # fmt: skip
    assert [GROUP.scalar_to_bytes(x).hex() for x in u] == vector["u"]
    # Section 12.5, step 3, then the challenge of section 12.4, step 5.
    c = proof.challenge
    prod_u = 1
    for x in u:
        prod_u = prod_u * x % q
    chain = list(proof.chain)
    c_bar = GROUP.product(commitments) / GROUP.product(hs[1:])
    c_hat = chain[-1] / GROUP.exp(hs[0], prod_u)
    c_tilde = GROUP.product(GROUP.exp(cj, uj) for cj, uj in zip(commitments, u, strict=True))
    s_prime = proof.permutation_responses

    def weighted(bases: list[Element], exponents: Any) -> Element:
        return GROUP.product(GROUP.exp(x, y) for x, y in zip(bases, exponents, strict=True))

    t1 = GROUP.exp2(c_bar, c, g, proof.s1)
    t2 = GROUP.exp2(c_hat, c, g, proof.s2)
    t3 = GROUP.exp2(c_tilde, c, g, proof.s3) * weighted(hs[1:], s_prime)
    t4 = []
    for k in range(w):
        big_a = weighted([row[k][0] for row in inputs], u)
        big_b = weighted([row[k][1] for row in inputs], u)
        t4.append([
            e(GROUP.exp2(big_a, c, g, -proof.s4[k])
              * weighted([r[k][0] for r in outputs], s_prime)),
            e(GROUP.exp2(big_b, c, key.element, -proof.s4[k])
              * weighted([r[k][1] for r in outputs], s_prime)),
        ])  # fmt: skip
    previous = [hs[0], *chain[:-1]]
    t_hat = [
        weighted([chain[j], g, previous[j]], [c, proof.chain_responses[j], s_prime[j]])
        for j in range(n)
    ]
    items = [
        t(GROUP.name), b(SHUFFLE_CONTEXT.fingerprint), binding, statement,
        [[e(x) for x in commitments], [e(x) for x in chain], e(t1), e(t2), e(t3), t4,
         [e(x) for x in t_hat]],
    ]  # fmt: skip
    assert int.from_bytes(digest("shuffle-proof", *items), "big") % q == c
