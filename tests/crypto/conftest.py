"""Fixtures of the crypto-core tests: every test that takes ``group`` runs on both groups."""

from __future__ import annotations

import pytest

from evote.crypto.elgamal import PublicKey, SecretKey, generate_keypair
from evote.crypto.groups import Group, all_groups
from evote.crypto.proofs import ProofContext


@pytest.fixture(scope="session", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    """Each group evote supports, by name ("ed25519", "modp4096").

    Session-scoped so that hypothesis' ``@given`` tests may use it (a group holds no test state).
    """
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="session")
def keypair(group: Group) -> tuple[SecretKey, PublicKey]:
    """One election key pair per group, shared by the tests (its table is built once)."""
    return generate_keypair(group)


@pytest.fixture(scope="session")
def secret_key(keypair: tuple[SecretKey, PublicKey]) -> SecretKey:
    return keypair[0]


@pytest.fixture(scope="session")
def public_key(keypair: tuple[SecretKey, PublicKey]) -> PublicKey:
    return keypair[1]


@pytest.fixture(scope="session")
def context() -> ProofContext:
    """A proof context as an election would build it: fingerprint plus a position."""
    return ProofContext(bytes(range(32)), ("question", 1, "option", 2))
