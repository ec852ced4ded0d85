"""Benchmarks of credentials and signatures on both groups.

Run with ``pytest bench/bench_credentials.py --benchmark-only``. What a registrar pays per
voter is code generation plus one derivation and one constant-time exponentiation; what the
board pays per ballot is one signature check (and a list lookup).
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from evote.ballots.credentials import (
    CredentialList,
    Registrar,
    credential_keypair,
    derive_credential_secret,
    generate_credential_code,
    parse_credential_code,
    public_credential,
)
from evote.ballots.signature import check_signature, sign_message
from evote.crypto.groups import Element, Group, all_groups

ELECTION = "bench-2025"
CODE = "01234-56789-ABCDE-FGHJT"
FINGERPRINT = bytes(range(32))
MESSAGE = b"x" * 4096  # about the canonical bytes of a ballot with a few questions


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="module")
def keypair(group: Group) -> tuple[int, Element]:
    return credential_keypair(group, ELECTION, CODE)


def test_generate_code(benchmark: BenchmarkFixture) -> None:
    benchmark(generate_credential_code)


def test_parse_code(benchmark: BenchmarkFixture) -> None:
    benchmark(parse_credential_code, "o1234 56789 abcde fghjt")


def test_derive_secret(benchmark: BenchmarkFixture, group: Group) -> None:
    benchmark(derive_credential_secret, group, ELECTION, CODE)


def test_public_credential(benchmark: BenchmarkFixture, group: Group) -> None:
    benchmark(public_credential, group, ELECTION, CODE)


def test_sign(benchmark: BenchmarkFixture, group: Group, keypair: tuple[int, Element]) -> None:
    secret, public = keypair
    benchmark(sign_message, group, secret, public, FINGERPRINT, MESSAGE)


def test_verify(benchmark: BenchmarkFixture, group: Group, keypair: tuple[int, Element]) -> None:
    secret, public = keypair
    signature = sign_message(group, secret, public, FINGERPRINT, MESSAGE)
    benchmark(check_signature, group, public, FINGERPRINT, MESSAGE, signature, "signature")


def test_register_100_voters(benchmark: BenchmarkFixture, group: Group) -> None:
    voters = [f"voter-{i}" for i in range(100)]
    # pytest-benchmark's pedantic() carries no annotations.
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        Registrar.generate, (group, ELECTION, voters), rounds=3, iterations=1
    )


def test_decode_list_of_1000(benchmark: BenchmarkFixture, group: Group) -> None:
    listed = Registrar.generate(group, ELECTION, [f"v{i}" for i in range(1000)]).credential_list
    obj = listed.to_json_obj()
    decoded = benchmark.pedantic(  # type: ignore[no-untyped-call]
        CredentialList.from_json_obj, (group, obj), rounds=3, iterations=1
    )
    assert decoded == listed
