"""Benchmarks of the tally's decryption and of the bounded discrete logarithm.

Run with ``python -m pytest bench/bench_tally.py --benchmark-only``.

* Decryption of an election of 20 questions (approval, 5 options and a blank ciphertext each:
  120 tally ciphertexts) with 3 trustees (n = 3, t = 3) and 100 counted ballots: the three
  decryption shares with their proofs, the check of every proof, the Lagrange combination and
  the discrete logs. The aggregation is done once, outside the timing. Target: under 1 s on
  ed25519.
* The discrete logarithm alone at the bounds 10^6 and 10^9, worst case (the value is the
  bound), with the baby-step table already built (it is built once per process and group).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey
from pytest_benchmark.fixture import BenchmarkFixture

from bench.conftest import BenchReport
from evote.ballots.credentials import Registrar
from evote.ballots.manifest import ApprovalQuestion, Manifest, Option
from evote.ceremony.dkg import run_ceremony
from evote.crypto.dlog import discrete_log
from evote.crypto.elgamal import encrypt
from evote.crypto.groups import ED25519, Group, all_groups
from evote.election import Election
from evote.tally import CiphertextMatrix, aggregate, compute_decryption_share, decrypt_counts

QUESTIONS = 20
OPTIONS = 5
BALLOTS = 100


def _text(word: str) -> dict[str, str]:
    return {"en": word, "fr": word}


def _manifest(group: Group) -> Manifest:
    questions = tuple(
        ApprovalQuestion(
            f"q{q}",
            _text(f"question {q}"),
            tuple(Option(f"q{q}o{o}", _text(f"option {o}")) for o in range(OPTIONS)),
            0,
            2,
            True,
        )
        for q in range(QUESTIONS)
    )
    return Manifest(
        election_id="bench-tally",
        title=_text("bench"),
        opens=datetime(2025, 3, 1, tzinfo=UTC),
        closes=datetime(2025, 3, 8, tzinfo=UTC),
        questions=questions,
        group_name=group.name,
    )


@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_decrypt_twenty_questions(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group
) -> None:
    manifest = _manifest(group)
    ceremony, trustees = run_ceremony(group, manifest.election_id, 3, 3)
    registration = Registrar.generate(group, manifest.election_id, ["v"])
    election = Election(
        manifest,
        group,
        ceremony.public_key,
        registration.credential_list,
        ceremony.transcript_hash,
        bytes(SigningKey.generate().verify_key),
    )
    rng = random.Random(1)
    key = election.public_key
    # A few distinct ballots, counted many times: the aggregation is not what is measured.
    samples = [
        CiphertextMatrix(
            tuple(
                tuple(encrypt(key, rng.randint(0, 1)).ciphertext for _ in range(OPTIONS))
                for _ in range(QUESTIONS)
            ),
            tuple(encrypt(key, 0).ciphertext for _ in range(QUESTIONS)),
        )
        for _ in range(4)
    ]
    tally = aggregate(election, ((samples[i % 4], 1) for i in range(BALLOTS)))
    shares = [trustee.share() for trustee in trustees]
    context = election.proof_context()
    keys = ceremony.verification_key_map()

    def decrypt() -> None:
        decryption_shares = [
            compute_decryption_share(
                group, share.share, share.index, share.verification_key, tally, context
            )
            for share in shares
        ]
        decrypt_counts(manifest, tally, decryption_shares, 3, keys, context)

    benchmark.pedantic(decrypt, rounds=5, warmup_rounds=1)  # type: ignore[no-untyped-call]
    bench_report.record(benchmark, target_ms=1000.0 if group is ED25519 else None)


@pytest.mark.parametrize("bound", [10**6, 10**9], ids=["1e6", "1e9"])
@pytest.mark.parametrize("group", all_groups(), ids=lambda group: group.name)
def test_discrete_log(
    benchmark: BenchmarkFixture, bench_report: BenchReport, group: Group, bound: int
) -> None:
    element = group.base_exp(bound)
    discrete_log(element, bound)  # builds the baby-step table once

    def solve() -> None:
        if discrete_log(element, bound) != bound:
            raise RuntimeError("wrong discrete log")

    benchmark.pedantic(solve, rounds=3, warmup_rounds=0)  # type: ignore[no-untyped-call]
    bench_report.record(benchmark)
