"""Benchmarks of the verifiable shuffle (docs/spec.md section 12) on both groups.

Run with ``python -m pytest bench/bench_shuffle.py --benchmark-only -q`` (about ten minutes
on the 2-core machine; ``-k 100-`` for the small lists only).

For N = 100 and N = 1,000 answers of width 5 (a question of five options): the shuffle
(permutation and 5·N re-encryptions), the proof (prove_shuffle) and its check (check_shuffle).
The input ciphertexts and the generators h_0..h_N (computed once per process and group) are
made outside the timing. ``extra_info["per_answer_ms"]`` holds the median divided by N, the
"per ballot" figure of docs/performance.md.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.conftest import BenchReport
from evote.crypto.elgamal import PublicKey, encrypt, generate_keypair
from evote.crypto.groups import Group, all_groups
from evote.crypto.proofs import ProofContext
from evote.crypto.shuffle import (
    Answer,
    check_shuffle,
    prove_shuffle,
    shuffle,
    shuffle_generators,
)

WIDTH = 5
CONTEXT = ProofContext(bytes(range(32)), ("mix", 1, "question", 0))
_ROUNDS = {100: 3, 1000: 1}


def _setup(group: Group, n: int) -> tuple[PublicKey, tuple[Answer, ...]]:
    _, key = generate_keypair(group)
    inputs = tuple(
        tuple(encrypt(key, (i + k) % 4).ciphertext for k in range(WIDTH)) for i in range(n)
    )
    shuffle_generators(group, n)
    return key, inputs


def _record(benchmark: BenchmarkFixture, bench_report: BenchReport, n: int) -> None:
    bench_report.record(benchmark)
    if benchmark.stats is not None:
        benchmark.extra_info["per_answer_ms"] = round(benchmark.stats.stats.median * 1000 / n, 4)


@pytest.mark.parametrize("n", [100, 1000], ids=lambda n: f"{n}-answers")
@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_shuffle(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, n: int
) -> None:
    key, inputs = _setup(group, n)
    benchmark.pedantic(shuffle, args=(key, inputs), rounds=_ROUNDS[n])  # type: ignore[no-untyped-call]
    _record(benchmark, bench_report, n)


@pytest.mark.parametrize("n", [100, 1000], ids=lambda n: f"{n}-answers")
@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_prove_shuffle(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, n: int
) -> None:
    key, inputs = _setup(group, n)
    shuffled = shuffle(key, inputs)
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        prove_shuffle, args=(key, CONTEXT, inputs, shuffled), rounds=_ROUNDS[n]
    )
    _record(benchmark, bench_report, n)


@pytest.mark.parametrize("n", [100, 1000], ids=lambda n: f"{n}-answers")
@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_check_shuffle(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, n: int
) -> None:
    key, inputs = _setup(group, n)
    shuffled = shuffle(key, inputs)
    proof = prove_shuffle(key, CONTEXT, inputs, shuffled)
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        check_shuffle, args=(key, CONTEXT, inputs, shuffled.outputs, proof), rounds=_ROUNDS[n]
    )
    _record(benchmark, bench_report, n)
