"""Shared fixtures of the attack tests: a tiny real election on each group, and forging tools.

The election (built once per group and reused by every module) has a key from a real ceremony
of 3 trustees with threshold 2, 4 voter credentials, and two questions: a yes/no referendum
with blank allowed (options and blank are 0/1 CDS proofs, the sum a 3-value proof) and a score
question of 2 options scored 0..5 with a total of at most 8. The attacker is played by the
test: a voter who holds its own credential (it may re-sign what it forges), a trustee who holds
its own share, or whoever can write to the database or the published record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.credentials import CredentialKey, Registrar
from evote.ballots.encrypted import (
    EncryptedBallot,
    EncryptedOption,
    EncryptedQuestion,
    _rules,
    encrypt_ballot,
)
from evote.ballots.manifest import Manifest, Option, ScoreQuestion, SingleChoiceQuestion
from evote.ballots.plaintext import PlaintextBallot
from evote.ballots.signature import Signature, sign_with_key
from evote.board.board import Board
from evote.ceremony.dkg import CeremonyResult, TrusteeShare, run_ceremony
from evote.ceremony.wire import ceremony_result_to_json
from evote.crypto.elgamal import Ciphertext, PublicKey, encrypt_with_nonce, homomorphic_sum
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import DisjunctiveProof, Proof, ProofContext, prove_range
from evote.election import Election
from evote.tally import (
    CombinedTally,
    DecryptedCounts,
    DecryptionShare,
    EncryptedTally,
    aggregate,
    compute_decryption_share,
    decrypt_counts,
)

TRUSTEES = 3
THRESHOLD = 2
VOTERS = 4


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr)"}


def attack_manifest(group: Group, election_id: str) -> Manifest:
    referendum = SingleChoiceQuestion(
        "ref", _text("Agree?"), (Option("yes", _text("Yes")), Option("no", _text("No"))), True
    )
    score = ScoreQuestion(
        "rate", _text("Rate"), (Option("x", _text("x")), Option("y", _text("y"))), 5, 8
    )
    return Manifest(
        election_id=election_id,
        title=_text("Attack test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(referendum, score),
        group_name=group.name,
    )


@dataclass(frozen=True)
class World:
    """One election with everything an attacker or a test needs about it."""

    group: Group
    election: Election
    ceremony: CeremonyResult
    shares: tuple[TrusteeShare, ...]
    codes: tuple[str, ...]
    keys: tuple[CredentialKey, ...]
    board_key: SigningKey

    @property
    def election_id(self) -> str:
        return self.election.election_id

    def plaintext(self, ref: str | None = "yes", rate: dict[str, int] | None = None) -> Any:
        selection: dict[str, Any] = {"ref": None if ref is None else [ref]}
        selection["rate"] = {"x": 3, "y": 2} if rate is None else rate
        return PlaintextBallot.from_selection(self.election.manifest, selection)

    def ballot(
        self, voter: int, ref: str | None = "yes", rate: dict[str, int] | None = None
    ) -> EncryptedBallot:
        return encrypt_ballot(self.election, self.keys[voter], self.plaintext(ref, rate))

    def resign(
        self,
        voter: int,
        ballot: EncryptedBallot,
        questions: tuple[EncryptedQuestion, ...] | None = None,
        **fields: Any,
    ) -> EncryptedBallot:
        """``ballot`` with new questions (or fields), signed again by ``voter``'s credential.

        The attacker is the voter: it holds its credential, so the signature never stands in
        the way and only the check under attack can refuse the forgery.
        """
        draft = EncryptedBallot(
            fields.get("election_id", ballot.election_id),
            fields.get("fingerprint", ballot.fingerprint),
            fields.get("credential", self.keys[voter].public),
            ballot.questions if questions is None else questions,
            Signature(Proof(0, 0)),
        )
        signature = sign_with_key(self.keys[voter], draft.fingerprint, draft.signed_bytes())
        return dataclasses.replace(draft, signature=signature)

    def trustees_json(self) -> Any:
        return jsonstrict.loads(ceremony_result_to_json(self.ceremony), "ceremony")

    def new_board(self, directory: Path, *, open_it: bool = True) -> Board:
        board = Board(f"sqlite:///{directory / 'board.db'}", self.board_key)
        board.setup(self.election, self.ceremony)
        if open_it:
            board.open_election(self.election_id)
        return board

    def decryption_shares(self, tally: EncryptedTally) -> list[DecryptionShare]:
        context = self.election.proof_context()
        return [
            compute_decryption_share(
                self.group, s.share, s.index, s.verification_key, tally, context
            )
            for s in self.shares
        ]

    def decrypt(
        self, tally: EncryptedTally, shares: Sequence[DecryptionShare]
    ) -> tuple[DecryptedCounts, CombinedTally]:
        """The counts of ``tally`` from ``shares`` (threshold, keys and context of the world)."""
        return decrypt_counts(
            self.election.manifest,
            tally,
            shares,
            THRESHOLD,
            self.ceremony.verification_key_map(),
            self.election.proof_context(),
        )

    def tally_of(self, board: Board) -> EncryptedTally:
        return aggregate(self.election, board.counted_ballots(self.election_id))


def build_world(
    group: Group,
    election_id: str | None = None,
    manifest_of: Callable[[Group, str], Manifest] = attack_manifest,
    voters: int = VOTERS,
) -> World:
    """A fresh world: ``manifest_of(group, election_id)``, a ceremony of TRUSTEES (threshold
    THRESHOLD), ``voters`` registered voters and a board key."""
    election_id = election_id or f"attack-{group.name}"
    manifest = manifest_of(group, election_id)
    ceremony, trustees = run_ceremony(group, election_id, TRUSTEES, THRESHOLD)
    registration = Registrar.generate(group, election_id, [f"voter-{i}" for i in range(voters)])
    board_key = SigningKey.generate()
    election = Election(
        manifest, group, ceremony.public_key, registration.credential_list,
        ceremony.transcript_hash, bytes(board_key.verify_key),
    )  # fmt: skip
    codes = tuple(registration.codes.values())
    return World(
        group,
        election,
        ceremony,
        tuple(trustee.share() for trustee in trustees),
        codes,
        tuple(CredentialKey.derive(group, election_id, code) for code in codes),
        board_key,
    )


_WORLDS: dict[tuple[str, str], World] = {}


def world_for(group: Group, election_id: str | None = None) -> World:
    """The shared world of ``group`` (built once per session and election id)."""
    key = (group.name, election_id or "")
    if key not in _WORLDS:
        _WORLDS[key] = build_world(group, election_id)
    return _WORLDS[key]


@pytest.fixture(scope="session", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="session")
def world(group: Group) -> World:
    return world_for(group)


@pytest.fixture(scope="session")
def other_world(group: Group) -> World:
    """Another election on the same group (different id, key, credentials)."""
    return world_for(group, f"attack-other-{group.name}")


@pytest.fixture
def board(world: World, tmp_path: Path) -> Iterator[Board]:
    """A fresh open board of the world's election (SQLite file in the test's directory)."""
    with world.new_board(tmp_path) as opened:
        yield opened


def mutate_json(data: bytes, change: Callable[[Any], None]) -> bytes:
    """Canonical JSON ``data`` after ``change`` edited the decoded object in place."""
    obj = jsonstrict.loads(data, "test")
    change(obj)
    return jsonstrict.dumps(obj)


# -- forging ballots ---------------------------------------------------------------------------


def option_context(world: World, voter: int, question: int, option: int) -> ProofContext:
    credential = world.keys[voter].public.to_bytes()
    return world.election.proof_context("question", question, "option", option, credential)


def named_context(world: World, voter: int, question: int, name: str) -> ProofContext:
    credential = world.keys[voter].public.to_bytes()
    return world.election.proof_context("question", question, name, credential)


def _any_proof(
    key: PublicKey,
    purpose: Purpose,
    context: ProofContext,
    ciphertext: Ciphertext,
    value: int,
    nonce: int,
    maximum: int,
) -> DisjunctiveProof:
    """An honest proof when ``value`` is in [0, maximum], else a lying one claiming 0."""
    claim = value if 0 <= value <= maximum else 0
    return prove_range(key, purpose, context, ciphertext, claim, nonce, maximum)


def forge_question(
    world: World,
    voter: int,
    index: int,
    values: tuple[int, ...],
    blank: int | None = None,
    nonces: tuple[int, ...] | None = None,
) -> EncryptedQuestion:
    """Question ``index`` encrypting ``values`` (any integers, taken mod the order).

    Every option whose value is in its range gets an honest proof (it passes); the others and
    the sum get the best a cheater can do: a proof made as if the value were in range. This is
    how a voter's device that wants to overvote, or vote -1, must proceed.
    """
    key = world.election.public_key
    group = world.group
    question = world.election.manifest.questions[index]
    rules = _rules(question)
    if nonces is None:
        nonces = tuple(group.random_scalar() for _ in values)
    options = []
    for option, (value, nonce) in enumerate(zip(values, nonces, strict=True)):
        ciphertext = encrypt_with_nonce(key, value % group.order, nonce)
        proof = _any_proof(
            key,
            Purpose.OPTION_PROOF,
            option_context(world, voter, index, option),
            ciphertext,
            value,
            nonce,
            rules.option_maximum,
        )
        options.append(EncryptedOption(ciphertext, proof))
    blank_option = None
    blank_nonce = 0
    if rules.blank:
        blank_nonce = group.random_scalar()
        blank_value = 0 if blank is None else blank
        ciphertext = encrypt_with_nonce(key, blank_value % group.order, blank_nonce)
        proof = _any_proof(
            key,
            Purpose.OPTION_PROOF,
            named_context(world, voter, index, "blank"),
            ciphertext,
            blank_value,
            blank_nonce,
            1,
        )
        blank_option = EncryptedOption(ciphertext, proof)
    sum_proof = None
    if rules.sum_range is not None:
        lower, upper = rules.sum_range
        total = homomorphic_sum(group, [option.ciphertext for option in options])
        if blank_option is not None:
            total = total * blank_option.ciphertext.scale(rules.blank_weight)
        value = sum(values) + rules.blank_weight * (blank or 0) - lower
        nonce = (sum(nonces) + rules.blank_weight * blank_nonce) % group.order
        shifted = Ciphertext(total.alpha, total.beta * group.base_exp(-lower))
        sum_proof = _any_proof(
            key,
            Purpose.SUM_PROOF,
            named_context(world, voter, index, "sum"),
            shifted,
            value,
            nonce,
            upper - lower,
        )
    count_proof = None
    if rules.count_range is not None:
        lower, upper = rules.count_range
        count = homomorphic_sum(group, [option.ciphertext for option in options])
        count_proof = _any_proof(
            key,
            Purpose.SUM_PROOF,
            named_context(world, voter, index, "count"),
            count,
            sum(values) - lower,
            sum(nonces) % group.order,
            upper - lower,
        )
    return EncryptedQuestion(tuple(options), blank_option, sum_proof, None, count_proof)


def with_question(
    world: World, voter: int, ballot: EncryptedBallot, index: int, question: EncryptedQuestion
) -> EncryptedBallot:
    """``ballot`` with question ``index`` replaced, re-signed by ``voter``."""
    questions = list(ballot.questions)
    questions[index] = question
    return world.resign(voter, ballot, tuple(questions))


@pytest.fixture(scope="session")
def honest_record(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exported record of an honest, tallied election on the world's group (built once)."""
    from tests.attacks.records import build_honest_record  # noqa: PLC0415 (records imports us)

    return build_honest_record(world, tmp_path_factory.mktemp(f"record-{world.group.name}"))


@pytest.fixture
def record(honest_record: Path, tmp_path: Path) -> Path:
    """A private copy of the honest record, for a test to forge."""
    from tests.attacks.records import copy_record  # noqa: PLC0415 (records imports us)

    return copy_record(honest_record, tmp_path / "forged")
