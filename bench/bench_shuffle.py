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

from collections.abc import Callable

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

#: Each benchmark on both groups, for N = 100 and N = 1,000 answers.
pytestmark = [
    pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name),
    pytest.mark.parametrize("n", [100, 1000], ids=lambda n: f"{n}-answers"),
]


#: A public key and the answers encrypted under it.
Answers = tuple[PublicKey, tuple[Answer, ...]]


@pytest.fixture
def answers(group: Group, n: int) -> Answers:
    """A public key and N answers encrypted under it; the generators h_0..h_N computed."""
    _, key = generate_keypair(group)
    inputs = tuple(
        tuple(encrypt(key, (i + k) % 4).ciphertext for k in range(WIDTH)) for i in range(n)
    )
    shuffle_generators(group, n)
    return key, inputs


#: Times a call on the group and N of the test, and records it with its per-answer figure.
Measure = Callable[..., None]


@pytest.fixture
def measure(benchmark: BenchmarkFixture, bench_report: BenchReport, n: int) -> Measure:
    def run(function: Callable[..., object], *args: object) -> None:
        benchmark.pedantic(function, args=args, rounds=_ROUNDS[n])  # type: ignore[no-untyped-call]
        bench_report.record(benchmark)
        if benchmark.stats is not None:
            median_ms = benchmark.stats.stats.median * 1000
            benchmark.extra_info["per_answer_ms"] = round(median_ms / n, 4)

    return run


def test_shuffle(measure: Measure, answers: Answers) -> None:
    key, inputs = answers
    measure(shuffle, key, inputs)


def test_prove_shuffle(measure: Measure, answers: Answers) -> None:
    key, inputs = answers
    measure(prove_shuffle, key, CONTEXT, inputs, shuffle(key, inputs))


def test_check_shuffle(measure: Measure, answers: Answers) -> None:
    key, inputs = answers
    shuffled = shuffle(key, inputs)
    proof = prove_shuffle(key, CONTEXT, inputs, shuffled)
    measure(check_shuffle, key, CONTEXT, inputs, shuffled.outputs, proof)
