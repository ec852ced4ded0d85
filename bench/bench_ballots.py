"""Benchmarks of ballot encryption and checking on both groups, with the JSON size.

Run with ``python -m pytest bench/bench_ballots.py --benchmark-only``. Three ballots: a
referendum (yes/no, no blank), an approval question of 10 options (at most 3), and a
participatory budget of 20 projects with a budget of 1,000,000. The size of each ballot's
canonical JSON is stored in ``benchmark.extra_info["json_bytes"]`` and printed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey
from pytest_benchmark.fixture import BenchmarkFixture

from evote.ballots.credentials import CredentialKey, Registrar
from evote.ballots.encrypted import check_ballot, decode_ballot, encrypt_ballot
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Manifest,
    Option,
    Question,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot, Selection
from evote.crypto.elgamal import generate_keypair
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": word}


def _options(count: int, prefix: str) -> tuple[Option, ...]:
    return tuple(Option(f"{prefix}{i}", _text(f"{prefix}{i}")) for i in range(count))


CASES: dict[str, tuple[Question, dict[str, Selection]]] = {
    "referendum": (
        SingleChoiceQuestion(
            "q", _text("Agree?"), (Option("yes", _text("yes")), Option("no", _text("no")))
        ),
        {"q": ["yes"]},
    ),
    "approval10": (
        ApprovalQuestion("q", _text("Council"), _options(10, "c"), 0, 3),
        {"q": ["c1", "c4", "c7"]},
    ),
    "budget20": (
        BudgetQuestion(
            "q",
            _text("Budget"),
            tuple(Option(f"p{i}", _text(f"p{i}"), 40_000 + 7_919 * i) for i in range(20)),
            budget=1_000_000,
        ),
        {"q": ["p0", "p3", "p5", "p11", "p19"]},
    ),
}


def _election(group: Group, question: Question) -> tuple[Election, str]:
    manifest = Manifest(
        "bench-2025",
        _text("Bench"),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 2, tzinfo=UTC),
        (question,),
        group.name,
    )
    _, public_key = generate_keypair(group)
    registration = Registrar.generate(group, manifest.election_id, ["voter"])
    election = Election(
        manifest,
        group,
        public_key,
        registration.credential_list,
        digest32(Purpose.CEREMONY_TRANSCRIPT, "bench"),
        bytes(SigningKey.generate().verify_key),
    )
    return election, registration.codes["voter"]


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest, group: Group) -> tuple[Election, str, PlaintextBallot]:
    question, selection = CASES[request.param]
    election, code = _election(group, question)
    return election, code, PlaintextBallot.from_selection(election.manifest, selection)


def test_encrypt(benchmark: BenchmarkFixture, case: tuple[Election, str, PlaintextBallot]) -> None:
    """Encryption with the voter's key derived once at entry, as a portal does."""
    election, code, plaintext = case
    key = CredentialKey.derive(election.group, election.election_id, code)
    ballot = benchmark(encrypt_ballot, election, key, plaintext)
    size = len(ballot.canonical_bytes())
    benchmark.extra_info["json_bytes"] = size
    print(f"\n{election.group.name} {election.manifest.questions[0].kind}: {size} JSON bytes")


def test_check(benchmark: BenchmarkFixture, case: tuple[Election, str, PlaintextBallot]) -> None:
    election, code, plaintext = case
    ballot = encrypt_ballot(election, code, plaintext)
    benchmark.extra_info["json_bytes"] = len(ballot.canonical_bytes())
    benchmark(check_ballot, election, ballot)


def test_decode_and_check(
    benchmark: BenchmarkFixture, case: tuple[Election, str, PlaintextBallot]
) -> None:
    """What the board pays for a ballot that arrives as JSON."""
    election, code, plaintext = case
    data = encrypt_ballot(election, code, plaintext).canonical_bytes()

    def run() -> None:
        check_ballot(election, decode_ballot(election, data))

    benchmark(run)
