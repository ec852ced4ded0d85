"""Benchmarks of the crypto core on both groups, against the raw primitives underneath.

Run with::

    python -m pytest bench/bench_crypto.py --benchmark-only -q

Every evote operation is compared with the textbook cost of the same operation in raw
primitives (libsodium through PyNaCl for ed25519, gmpy2 for modp4096), measured in the same run:
``benchmark.extra_info`` holds the median, the raw baseline (as a formula and in ms), their ratio
("overhead_ratio": below 1 means evote's fixed-base tables, simultaneous exponentiation or batch
checks beat the textbook; above 1 is Python overhead) and, where docs/performance.md sets one,
the target.

Raw operations, per group:

====================  ===================================  =============================
name                  ed25519                               modp4096
====================  ===================================  =============================
EXP (public)          crypto_scalarmult_ed25519_noclamp     gmpy2.powmod, 256-bit exponent
BASE (g^k)            crypto_scalarmult_ed25519_base_noclamp gmpy2.powmod (no raw table)
SEC (secret)          crypto_scalarmult_ed25519_noclamp     gmpy2.powmod_sec
MUL                   crypto_core_ed25519_add               x * y % p on mpz
MEMBER (validation)   crypto_core_ed25519_is_valid_point    gmpy2.powmod(x, q, p)
====================  ===================================  =============================
"""

from __future__ import annotations

import math
import statistics
import timeit
from collections.abc import Callable
from typing import Any

import gmpy2
import nacl.bindings as sodium
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.conftest import BenchReport
from evote.crypto import dlog
from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import (
    Ciphertext,
    PublicKey,
    decode_ciphertext,
    encrypt,
    generate_keypair,
)
from evote.crypto.groups import MODP_P, MODP_Q, Element, Group, all_groups
from evote.crypto.hashing import Purpose
from evote.crypto.proofs import (
    DisjunctiveProof,
    ProofContext,
    check_equal_logs,
    check_range,
    check_schnorr,
    prove_equal_logs,
    prove_range,
    prove_schnorr,
)
from evote.crypto.rangeproof import IntervalProof, bit_count, check_interval, prove_interval
from evote.crypto.shamir import recover_secret, split_secret

CONTEXT = ProofContext(bytes(range(32)), ("question", 0, "option", 1))

# The targets of docs/performance.md, in milliseconds (median).
TARGETS: dict[tuple[str, str], float] = {
    ("modp4096", "fixed_base"): 0.35,
    ("modp4096", "encrypt_with_proof"): 2.0,
    ("ed25519", "encrypt_with_proof"): 0.6,
    ("modp4096", "check_proof"): 6.0,
    ("ed25519", "check_proof"): 0.8,
}


@pytest.fixture(scope="module", params=all_groups(), ids=lambda group: group.name)
def group(request: pytest.FixtureRequest) -> Group:
    chosen: Group = request.param
    return chosen


@pytest.fixture(scope="module")
def key(group: Group) -> PublicKey:
    _, public = generate_keypair(group)
    public.table.exp(1)  # build the key's table before anything is timed
    return public


# -- raw primitives -----------------------------------------------------------------------------


def _raw_operations(group: Group) -> dict[str, Callable[[], Any]]:
    """The raw primitive behind each of EXP, BASE, SEC, MUL, MEMBER for ``group``."""
    k = group.random_scalar()
    point = group.base_exp(group.random_scalar())
    other = group.base_exp(group.random_scalar())
    if group.name == "ed25519":
        scalar, raw_point, raw_other = k.to_bytes(32, "little"), point.to_bytes(), other.to_bytes()
        return {
            "EXP": lambda: sodium.crypto_scalarmult_ed25519_noclamp(scalar, raw_point),
            "BASE": lambda: sodium.crypto_scalarmult_ed25519_base_noclamp(scalar),
            "SEC": lambda: sodium.crypto_scalarmult_ed25519_noclamp(scalar, raw_point),
            "MUL": lambda: sodium.crypto_core_ed25519_add(raw_point, raw_other),
            "MEMBER": lambda: sodium.crypto_core_ed25519_is_valid_point(raw_point),
        }
    p, x, y, g = gmpy2.mpz(MODP_P), point.value, other.value, group.generator.value
    exponent = gmpy2.mpz(k)
    return {
        "EXP": lambda: gmpy2.powmod(x, exponent, p),
        "BASE": lambda: gmpy2.powmod(g, exponent, p),
        "SEC": lambda: gmpy2.powmod_sec(x, exponent, p),
        "MUL": lambda: x * y % p,
        "MEMBER": lambda: gmpy2.powmod(x, MODP_Q, p),
    }


def _median_ms(operation: Callable[[], Any]) -> float:
    timer = timeit.Timer(operation)
    loops, _ = timer.autorange()
    runs = timer.repeat(repeat=7, number=loops)
    return statistics.median(runs) / loops * 1000


@pytest.fixture(scope="module")
def raw_ms(group: Group) -> dict[str, float]:
    """The median cost of each raw primitive, measured once per group in this run."""
    return {name: _median_ms(operation) for name, operation in _raw_operations(group).items()}


def _baseline(raw: dict[str, float], counts: dict[str, int]) -> tuple[str, float]:
    text = " + ".join(f"{count} {name}" for name, count in counts.items() if count)
    return text, sum(count * raw[name] for name, count in counts.items())


def _record(
    report: BenchReport,
    benchmark: BenchmarkFixture,
    group: Group,
    raw: dict[str, float],
    counts: dict[str, int],
    target: str = "",
) -> None:
    """Add the median, its raw baseline (``counts`` of raw operations) and the target."""
    text, ms = _baseline(raw, counts)
    report.record(
        benchmark, baseline=text, baseline_ms=ms, target_ms=TARGETS.get((group.name, target))
    )


def _pedantic(
    benchmark: BenchmarkFixture,
    target: Callable[..., Any],
    *,
    args: tuple[Any, ...] = (),
    setup: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
    rounds: int,
) -> None:
    """benchmark.pedantic (untyped in pytest-benchmark) for the slow operations."""
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        target, args=args, setup=setup, rounds=rounds, iterations=1
    )


@pytest.mark.parametrize("operation", ["EXP", "BASE", "SEC", "MUL", "MEMBER"])
def test_raw(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, operation: str
) -> None:
    benchmark(_raw_operations(group)[operation])
    bench_report.record(benchmark)


# -- exponentiation ---------------------------------------------------------------------------


def test_base_exp(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    k = group.random_scalar()
    benchmark(group.base_exp, k)
    _record(bench_report, benchmark, group, raw_ms, {"BASE": 1}, "fixed_base")


def test_fixed_base_election_key(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    k = group.random_scalar()
    benchmark(key.table.exp, k)
    _record(bench_report, benchmark, group, raw_ms, {"EXP": 1}, "fixed_base")


def test_fixed_base_table_build(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group
) -> None:
    def fresh_base() -> tuple[tuple[Element], dict[str, Any]]:
        return (group.base_exp(group.random_scalar()),), {}

    _pedantic(benchmark, group.fixed_base, setup=fresh_base, rounds=5)
    bench_report.record(benchmark)


def test_exp(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    base, k = group.base_exp(group.random_scalar()), group.random_scalar()
    benchmark(group.exp, base, k)
    _record(bench_report, benchmark, group, raw_ms, {"EXP": 1})


def test_exp_secret(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    base, k = group.base_exp(group.random_scalar()), group.random_scalar()
    benchmark(group.exp_secret, base, k)
    _record(bench_report, benchmark, group, raw_ms, {"SEC": 1})


def test_exp2(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    base1, base2 = (group.base_exp(group.random_scalar()) for _ in range(2))
    k1, k2 = group.random_scalar(), group.random_scalar()
    benchmark(group.exp2, base1, k1, base2, k2)
    _record(bench_report, benchmark, group, raw_ms, {"EXP": 2, "MUL": 1})


def test_powers_2(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    base = group.base_exp(group.random_scalar())
    exponents = [group.random_scalar(), group.random_scalar()]
    benchmark(group.powers, base, exponents)
    _record(bench_report, benchmark, group, raw_ms, {"EXP": 2})


# -- decoding ---------------------------------------------------------------------------------


def test_decode(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    raw = group.base_exp(group.random_scalar()).to_bytes()
    benchmark(group.decode, raw)
    _record(bench_report, benchmark, group, raw_ms, {"MEMBER": 1})


def test_decode_many_8(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    raw = [group.base_exp(group.random_scalar()).to_bytes() for _ in range(8)]
    benchmark(group.decode_many, raw)
    _record(bench_report, benchmark, group, raw_ms, {"MEMBER": 8})


# -- encryption and the 0/1 proof -------------------------------------------------------------

# Textbook counts: encryption g^r, g^m, K^r; CDS prover for [0, 1]: real branch g^w, K^w, the
# simulated one g^v·alpha^c and K^v·(beta/g^j)^c; verifier: both branches recomputed.
ENCRYPT = {"BASE": 2, "EXP": 1, "MUL": 1}
PROVE_01 = {"BASE": 2, "EXP": 4, "MUL": 2}
CHECK_01 = {"BASE": 2, "EXP": 6, "MUL": 5}


def _sum_counts(*parts: dict[str, int], times: int = 1) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for name, count in part.items():
            total[name] = total.get(name, 0) + count * times
    return total


def test_encrypt(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    benchmark(encrypt, key, 1)
    _record(bench_report, benchmark, group, raw_ms, ENCRYPT)


def _encrypt_with_proof(key: PublicKey, value: int) -> tuple[Ciphertext, DisjunctiveProof]:
    encryption = encrypt(key, value)
    proof = prove_range(
        key, Purpose.OPTION_PROOF, CONTEXT, encryption.ciphertext, value, encryption.nonce, 1
    )
    return encryption.ciphertext, proof


def test_encrypt_with_proof(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    benchmark(_encrypt_with_proof, key, 1)
    _record(
        bench_report, benchmark, group, raw_ms, _sum_counts(ENCRYPT, PROVE_01), "encrypt_with_proof"
    )


def test_check_proof(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    ciphertext, proof = _encrypt_with_proof(key, 1)
    benchmark(check_range, key, Purpose.OPTION_PROOF, CONTEXT, ciphertext, 1, proof)
    _record(bench_report, benchmark, group, raw_ms, CHECK_01, "check_proof")


def test_check_proof_with_decoding(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    ciphertext, proof = _encrypt_with_proof(key, 0)
    alpha, beta = ciphertext.alpha.to_bytes(), ciphertext.beta.to_bytes()

    def decode_and_check() -> None:
        decoded = decode_ciphertext(group, alpha, beta, "option")
        check_range(key, Purpose.OPTION_PROOF, CONTEXT, decoded, 1, proof)

    benchmark(decode_and_check)
    counts = _sum_counts(CHECK_01, {"MEMBER": 2})
    _record(bench_report, benchmark, group, raw_ms, counts, "check_proof")


# -- Schnorr and Chaum–Pedersen ---------------------------------------------------------------


def test_schnorr_prove(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    secret = group.random_scalar()
    public = group.base_exp(secret)
    benchmark(prove_schnorr, group, Purpose.SCHNORR, CONTEXT, secret, public)
    _record(bench_report, benchmark, group, raw_ms, {"SEC": 1})


def test_schnorr_check(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    secret = group.random_scalar()
    public = group.base_exp(secret)
    proof = prove_schnorr(group, Purpose.SCHNORR, CONTEXT, secret, public)
    benchmark(check_schnorr, group, Purpose.SCHNORR, CONTEXT, public, proof)
    _record(bench_report, benchmark, group, raw_ms, {"BASE": 1, "EXP": 1, "MUL": 1})


def _decryption_statement(group: Group) -> tuple[int, list[Element]]:
    secret = group.random_scalar()
    alpha = group.base_exp(group.random_scalar())
    return secret, [group.generator, group.base_exp(secret), alpha, alpha**secret]


def test_chaum_pedersen_prove(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    secret, (b1, p1, b2, p2) = _decryption_statement(group)
    benchmark(prove_equal_logs, group, Purpose.DECRYPTION_PROOF, CONTEXT, secret, b1, p1, b2, p2)
    _record(bench_report, benchmark, group, raw_ms, {"SEC": 2})


def test_chaum_pedersen_check(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, raw_ms: dict[str, float]
) -> None:
    secret, (b1, p1, b2, p2) = _decryption_statement(group)
    proof = prove_equal_logs(group, Purpose.DECRYPTION_PROOF, CONTEXT, secret, b1, p1, b2, p2)
    benchmark(check_equal_logs, group, Purpose.DECRYPTION_PROOF, CONTEXT, b1, p1, b2, p2, proof)
    _record(bench_report, benchmark, group, raw_ms, {"BASE": 1, "EXP": 3, "MUL": 2})


# -- interval proof for [0, 10^6] ----------------------------------------------------------------

BUDGET = 10**6
BITS = bit_count(0, BUDGET)


def _prove_budget(key: PublicKey, value: int) -> tuple[Ciphertext, IntervalProof]:
    encryption = encrypt(key, value)
    proof = prove_interval(
        key,
        Purpose.BUDGET_PROOF,
        CONTEXT,
        encryption.ciphertext,
        value,
        encryption.nonce,
        0,
        BUDGET,
    )
    return encryption.ciphertext, proof


def test_interval_prove(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    encryption = encrypt(key, 654_321)
    _pedantic(
        benchmark,
        prove_interval,
        args=(
            key,
            Purpose.BUDGET_PROOF,
            CONTEXT,
            encryption.ciphertext,
            654_321,
            encryption.nonce,
            0,
            BUDGET,
        ),
        rounds=5,
    )
    counts = _sum_counts(ENCRYPT, PROVE_01, times=2 * BITS)
    _record(bench_report, benchmark, group, raw_ms, counts)


def test_interval_check(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    key: PublicKey,
    raw_ms: dict[str, float],
) -> None:
    ciphertext, proof = _prove_budget(key, 654_321)
    _pedantic(
        benchmark,
        check_interval,
        args=(key, Purpose.BUDGET_PROOF, CONTEXT, ciphertext, 0, BUDGET, proof),
        rounds=5,
    )
    # Each bit proof, plus the recombination: a squaring and a product per bit and component.
    counts = _sum_counts(CHECK_01, {"MUL": 4}, times=2 * BITS)
    _record(bench_report, benchmark, group, raw_ms, counts)


# -- bounded discrete log ---------------------------------------------------------------------


@pytest.mark.parametrize("bound", [10**6, 10**9], ids=["1e6", "1e9"])
def test_discrete_log_table_build(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    raw_ms: dict[str, float],
    bound: int,
) -> None:
    target = group.base_exp(0)

    def clear() -> tuple[tuple[Element, int], dict[str, Any]]:
        dlog._CACHE.pop(group.name, None)  # the baby-step table is what is measured here
        return (target, bound), {}

    _pedantic(benchmark, discrete_log, setup=clear, rounds=3)
    _record(bench_report, benchmark, group, raw_ms, {"MUL": math.isqrt(bound) + 1})


@pytest.mark.parametrize("bound", [10**6, 10**9], ids=["1e6", "1e9"])
def test_discrete_log_warm_worst_case(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    raw_ms: dict[str, float],
    bound: int,
) -> None:
    # The value at the bound takes the most giant steps. The table is built for this bound before
    # timing (a larger cached table would shorten the search and flatter the figure).
    element = group.base_exp(bound)
    dlog._CACHE.pop(group.name, None)
    discrete_log(element, bound)
    _pedantic(benchmark, discrete_log, args=(element, bound), rounds=5)
    _record(bench_report, benchmark, group, raw_ms, {"MUL": bound // (math.isqrt(bound) + 1) + 1})


# -- Shamir -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "count"), [(3, 5), (7, 10)], ids=["3of5", "7of10"])
def test_shamir_recover(
    benchmark: BenchmarkFixture,
    bench_report: BenchReport,
    group: Group,
    threshold: int,
    count: int,
) -> None:
    shares = split_secret(group.random_scalar(), threshold, count, group.order)
    subset = {index: shares[index] for index in list(shares)[-threshold:]}
    benchmark(recover_secret, subset, group.order)
    bench_report.record(benchmark)
