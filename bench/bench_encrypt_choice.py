"""Encryption time against the vote: one option encrypted for a 0 and for a 1, side by side.

Run with::

    python -m pytest bench/bench_encrypt_choice.py --benchmark-only -q

One option of a yes/no question is what a booth does per option: the ciphertext
(g^r, g^m · K^r) and its 0/1 disjunctive proof (docs/spec.md sections 4.1 and 4.4). The same
group operations run for m = 0 and m = 1 (tests/ballots/test_constant_operations.py counts
them); this benchmark shows what remains in the wall-clock time. The medians are quoted in
docs/performance.md ("Encryption time and the vote"); a gap between the two columns larger than
the run-to-run noise would mean a dependence on the vote.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.conftest import BenchReport
from evote.crypto.elgamal import PublicKey, encrypt_with_nonce, generate_keypair
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import DisjunctiveProof, ProofContext, prove_range

_CONTEXT = ProofContext(bytes(32), ("question", 0, "option", 0))


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="module")
def key(group: Group) -> PublicKey:
    _, public_key = generate_keypair(group)
    public_key.table.exp(1)  # build the key's table outside the measurement
    return public_key


def _encrypt_option(key: PublicKey, choice: int) -> DisjunctiveProof:
    nonce = key.group.random_scalar()
    ciphertext = encrypt_with_nonce(key, choice, nonce)
    return prove_range(key, Purpose.OPTION_PROOF, _CONTEXT, ciphertext, choice, nonce, 1)


@pytest.mark.parametrize("choice", [0, 1])
def test_encrypt_option(
    benchmark: BenchmarkFixture, bench_report: BenchReport, key: PublicKey, choice: int
) -> None:
    """One option's ciphertext and 0/1 proof for ``choice``."""
    benchmark.group = f"encrypt one option, {key.group.name}"
    benchmark.pedantic(_encrypt_option, (key, choice), rounds=400, iterations=1, warmup_rounds=20)
    benchmark.extra_info["choice"] = choice
    bench_report.record(benchmark)
