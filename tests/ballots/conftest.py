"""Fixtures of the ballot tests: sample manifests, and elections on every group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey

from evote.ballots.credentials import Registrar
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Grade,
    GradesQuestion,
    Manifest,
    Option,
    Question,
    RankingQuestion,
    RankingRule,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.crypto.elgamal import SecretKey, generate_keypair
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election


def text(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr)"}


def options(*ids: str) -> tuple[Option, ...]:
    return tuple(Option(option_id, text(option_id)) for option_id in ids)


def projects(*costs: int) -> tuple[Option, ...]:
    return tuple(Option(f"p{i}", text(f"project {i}"), cost) for i, cost in enumerate(costs))


def referendum(blank: bool = False) -> SingleChoiceQuestion:
    return SingleChoiceQuestion("ref", text("Do you agree?"), options("yes", "no"), blank)


def approval(
    count: int = 5, minimum: int = 1, maximum: int = 3, blank: bool = True
) -> ApprovalQuestion:
    ids = tuple(f"c{i}" for i in range(count))
    return ApprovalQuestion("appr", text("Council"), options(*ids), minimum, maximum, blank)


def score(count: int = 3, max_score: int = 5, max_total: int | None = 8) -> ScoreQuestion:
    ids = tuple(f"s{i}" for i in range(count))
    return ScoreQuestion("score", text("Rate"), options(*ids), max_score, max_total)


def budget(
    costs: tuple[int, ...] = (300, 500, 200, 400),
    total: int = 1000,
    min_spend: int = 100,
    min_projects: int | None = None,
    max_projects: int | None = 3,
) -> BudgetQuestion:
    return BudgetQuestion(
        "budget", text("Budget"), projects(*costs), total, min_spend, min_projects, max_projects
    )


GRADE_IDS = ("very-good", "good", "fair", "poor", "reject")


def grades(count: int = 3, grade_ids: tuple[str, ...] = GRADE_IDS) -> GradesQuestion:
    """A majority-judgment question: ``count`` options g0.., the grades best first."""
    ids = tuple(f"g{i}" for i in range(count))
    return GradesQuestion(
        "grades",
        text("Judge"),
        options(*ids),
        tuple(Grade(grade_id, text(grade_id)) for grade_id in grade_ids),
    )


def ranking(
    count: int = 4, rule: RankingRule = RankingRule.SCHULZE, seats: int | None = None
) -> RankingQuestion:
    """A ranking question: ``count`` options r0.., counted by ``rule``."""
    ids = tuple(f"r{i}" for i in range(count))
    return RankingQuestion("rank", text("Rank"), options(*ids), rule, seats)


def make_manifest(
    questions: tuple[Question, ...], group: str = "ed25519", election_id: str = "test-2025"
) -> Manifest:
    return Manifest(
        election_id=election_id,
        title=text("Test election"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=questions,
        group_name=group,
    )


def all_kinds() -> tuple[Question, ...]:
    return (referendum(blank=True), approval(), score(), budget())


@pytest.fixture(params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture
def manifest(group: Group) -> Manifest:
    return make_manifest(all_kinds(), group.name)


# -- elections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionFixture:
    """An election with a single-authority key, and the codes of its voters."""

    election: Election
    secret_key: SecretKey
    codes: tuple[str, ...]


def make_election(
    manifest: Manifest, voters: int = 3, weights: dict[str, int] | None = None
) -> ElectionFixture:
    group = manifest.group
    secret_key, public_key = generate_keypair(group)
    registration = Registrar.generate(
        group, manifest.election_id, [f"voter-{i}" for i in range(voters)], weights
    )
    election = Election(
        manifest,
        group,
        public_key,
        registration.credential_list,
        digest32(Purpose.CEREMONY_TRANSCRIPT, "test"),
        bytes(SigningKey(digest32(Purpose.TEST, "board signing key")).verify_key),
    )
    return ElectionFixture(election, secret_key, tuple(registration.codes.values()))


_ELECTIONS: dict[str, ElectionFixture] = {}


@pytest.fixture
def test_election(group: Group) -> ElectionFixture:
    """An election with every question kind on ``group`` (built once per group)."""
    if group.name not in _ELECTIONS:
        _ELECTIONS[group.name] = make_election(make_manifest(all_kinds(), group.name))
    return _ELECTIONS[group.name]
