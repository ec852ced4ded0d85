"""Fixtures of the tally tests: elections keyed by a real ceremony, on every group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey

from evote.ballots.credentials import Registrar
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Manifest,
    Option,
    Question,
    ScoreQuestion,
    SingleChoiceQuestion,
)
from evote.ceremony.dkg import CeremonyResult, TrusteeShare, run_ceremony
from evote.crypto.groups import Group, all_groups
from evote.election import Election
from tests.ballots.conftest import options, text


def sample_questions() -> tuple[Question, ...]:
    return (
        SingleChoiceQuestion("ref", text("Agree?"), options("yes", "no"), True),
        ApprovalQuestion("council", text("Council"), options("a", "b", "c", "d"), 1, 2, True),
        ScoreQuestion("rate", text("Rate"), options("x", "y", "z"), 5, None),
        BudgetQuestion(
            "budget",
            text("Budget"),
            tuple(
                Option(f"p{i}", text(f"project {i}"), cost)
                for i, cost in enumerate((300, 500, 200, 400))
            ),
            1000,
            0,
            None,
            None,
        ),
    )


def make_manifest(
    group: Group, questions: tuple[Question, ...] | None = None, election_id: str = "tally-test"
) -> Manifest:
    return Manifest(
        election_id=election_id,
        title=text("Tally test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=sample_questions() if questions is None else questions,
        group_name=group.name,
    )


@dataclass(frozen=True)
class TallySetup:
    """An election whose key comes from a ceremony, with the trustees' shares."""

    election: Election
    ceremony: CeremonyResult
    shares: tuple[TrusteeShare, ...]
    codes: tuple[str, ...]


def make_setup(
    group: Group,
    trustees: int = 5,
    threshold: int = 3,
    questions: tuple[Question, ...] | None = None,
    voters: int = 3,
    manifest: Manifest | None = None,
    board_key: SigningKey | None = None,
) -> TallySetup:
    """The election of ``manifest`` (else :func:`make_manifest` of ``questions``) with a
    ceremony's key, ``voters`` credentials and ``board_key`` (else a new one)."""
    if manifest is None:
        manifest = make_manifest(group, questions)
    ceremony, members = run_ceremony(group, manifest.election_id, trustees, threshold)
    registration = Registrar.generate(
        group, manifest.election_id, [f"voter-{i}" for i in range(voters)]
    )
    key = SigningKey.generate() if board_key is None else board_key
    election = Election.create(manifest, ceremony, registration.credential_list, key)
    return TallySetup(
        election,
        ceremony,
        tuple(member.share() for member in members),
        tuple(registration.codes.values()),
    )


_SETUPS: dict[str, TallySetup] = {}


@pytest.fixture(params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture
def setup(group: Group) -> TallySetup:
    """A 5-trustee, threshold-3 election with every question kind (built once per group)."""
    if group.name not in _SETUPS:
        _SETUPS[group.name] = make_setup(group)
    return _SETUPS[group.name]
