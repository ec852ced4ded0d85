"""Layer G of the threat model: the verifier itself (no fail-open, shared checks, secrets).

G1: a verifier that passes what it could not read or check is worse than none. G2: the Helios
lesson, a check that one path never reaches is no check: the cast path and the verifier must
call the same function objects. G3: secret exponents go through the constant-time paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import evote.ballots.credentials as credentials_module
import evote.ceremony.dkg as dkg
import evote.crypto.proofs as proofs
from evote.ballots.credentials import CredentialKey
from evote.ballots.signature import sign_with_key
from evote.cli import main
from evote.crypto.groups import FixedBase, Group
from evote.errors import InvalidRecord, UnreadableRecord
from evote.record import documents as doc
from evote.record import load_record
from evote.record.export import reseal_record
from evote.tally import aggregate, compute_decryption_share
from evote.verify import verify_record
from tests.attacks.conftest import World
from tests.attacks.records import COUNTED, assert_fails_at, replace_entry, verify

ROOT = Path(__file__).resolve().parents[2]

# -- G1 ---------------------------------------------------------------------------------------


@pytest.mark.attack("G1", path="verify")
def test_g1_empty_or_partial_record_is_never_passed(record: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnreadableRecord):
        load_record(empty)
    assert main(["verify", str(empty)]) == 2  # no record.json: not a record, nothing judged
    for missing in (doc.BOARD, doc.TALLY, doc.CHECKPOINTS):
        partial = tmp_path / f"without-{missing}"
        shutil.copytree(record, partial)
        (partial / missing).unlink()
        with pytest.raises(InvalidRecord, match=r"missing|no such"):
            load_record(partial)
        assert main(["verify", str(partial)]) == 1  # a listed file is missing: step 11.0
    truncated = tmp_path / "truncated"
    shutil.copytree(record, truncated)
    board = (truncated / doc.BOARD).read_bytes().splitlines(keepends=True)
    (truncated / doc.BOARD).write_bytes(b"".join(board[:COUNTED]))
    reseal_record(truncated)  # even resealed: the tally and result have no entries left
    with pytest.raises(InvalidRecord):
        load_record(truncated)
    assert main(["verify", str(truncated)]) == 1


@pytest.mark.attack("G1", path="verify")
@pytest.mark.parametrize(
    ("target", "step"),
    [
        ("evote.verify.work.check_ballot", "11.7"),
        ("evote.verify.verifier.check_ceremony_result", "11.3"),
        ("evote.verify.verifier.verify_chain", "11.5"),
        ("evote.verify.verifier.check_checkpoint", "11.6"),
        ("evote.verify.verifier.check_decryption_share", "11.11"),
        ("evote.verify.verifier.check_result", "11.14"),
    ],
)
def test_g1_exception_inside_a_check_fails_the_step(
    honest_record: Path, monkeypatch: pytest.MonkeyPatch, target: str, step: str
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug inside the check")

    monkeypatch.setattr(target, explode)
    report = verify_record(load_record(honest_record))
    assert not report.ok
    failed = next(s for s in report.steps if s.number == step)
    assert not failed.ok and failed.error is not None and "RuntimeError" in failed.error
    for later in report.steps:
        if float(later.number.split(".")[1]) > float(step.split(".")[1]):
            assert later.ok or later.status.value in ("blocked", "failed", "skipped")


@pytest.mark.attack("G1", path="verify")
def test_g1_python_dash_o_gives_the_same_verdict(world: World, record: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]
    replace_entry(record, world, COUNTED, payload.replace(b'"v":1', b'"v":1,"v":1'))
    assert_fails_at(record, "11.7")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for flags in ([], ["-O"], ["-OO"]):
        done = subprocess.run(
            [sys.executable, *flags, "-m", "evote.cli", "verify", str(record)],
            capture_output=True, env=env, cwd=ROOT, check=False,
        )  # fmt: skip
        assert done.returncode == 1, (flags, done.stderr[-500:])


# -- G2 ---------------------------------------------------------------------------------------


class Spy:
    """One recording wrapper installed at every place a check is looked up."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.phase = "none"
        self.calls: dict[str, int] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls[self.phase] = self.calls.get(self.phase, 0) + 1
        return self.function(*args, **kwargs)


def install(monkeypatch: pytest.MonkeyPatch, places: list[str]) -> Spy:
    import importlib  # noqa: PLC0415

    originals = []
    for place in places:
        module, name = place.rsplit(".", 1)
        originals.append(getattr(importlib.import_module(module), name))
    assert all(o is originals[0] for o in originals), f"{places}: not one function object"
    spy = Spy(originals[0])
    for place in places:
        monkeypatch.setattr(place, spy)
    return spy


@pytest.mark.attack("G2", path="both")
def test_g2_cast_path_and_verifier_call_the_same_checks(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.attacks.records import tally_and_export  # noqa: PLC0415

    spies = {
        "check_ballot": install(monkeypatch, [
            "evote.ballots.encrypted.check_ballot", "evote.board.board.check_ballot",
            "evote.verify.work.check_ballot"]),
        "check_decryption_share": install(monkeypatch, [
            "evote.tally.decryption.check_decryption_share",
            "evote.tallying.check_decryption_share",
            "evote.verify.verifier.check_decryption_share"]),
        "verify_chain": install(monkeypatch, [
            "evote.board.chain.verify_chain", "evote.board.board.verify_chain",
            "evote.verify.verifier.verify_chain"]),
        "check_checkpoint": install(monkeypatch, [
            "evote.board.checkpoint.check_checkpoint", "evote.board.board.check_checkpoint",
            "evote.verify.verifier.check_checkpoint"]),
        "check_consistent": install(monkeypatch, [
            "evote.board.checkpoint.check_consistent", "evote.board.board.check_consistent",
            "evote.verify.verifier.check_consistent"]),
        "check_ceremony_result": install(monkeypatch, [
            "evote.ceremony.dkg.check_ceremony_result", "evote.cli.election.check_ceremony_result",
            "evote.verify.verifier.check_ceremony_result"]),
        "check_result": install(monkeypatch, [
            "evote.tally.result.check_result", "evote.tallying.check_result",
            "evote.verify.verifier.check_result"]),
        # The board's rules: the store calls the judge through its module, step 11.8 by name.
        "judge_cast": install(monkeypatch, [
            "evote.board.rules.judge_cast", "evote.verify.facts.judge_cast"]),
    }  # fmt: skip
    for spy in spies.values():
        spy.phase = "cast"
    dkg_check = spies["check_ceremony_result"]
    dkg_check(world.ceremony)  # what `evote election attach-ceremony` runs on the officer's side
    with world.new_board(tmp_path) as board:
        for voter in range(2):
            board.cast(world.election_id, world.ballot(voter))
        record = tally_and_export(world, board, tmp_path / "record")
        board.verify(world.election_id)
    from evote.tally.result import DecryptedCounts, turnout_of  # noqa: PLC0415

    loaded = load_record(record)
    assert loaded.tally is not None and loaded.result is not None
    counts = DecryptedCounts(
        tuple(tuple(n for _, n in q.counts) for q in loaded.result.questions),
        tuple(q.blank for q in loaded.result.questions),
    )
    spies["check_result"](
        world.election.manifest, counts, turnout_of(loaded.tally), loaded.result
    )  # fmt: skip  (what `evote tally` runs)
    for spy in spies.values():
        spy.phase = "verify"
    report = verify(record)
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    for name, spy in spies.items():
        assert spy.calls.get("cast", 0) > 0, f"{name}: the cast path never called it"
        assert spy.calls.get("verify", 0) > 0, f"{name}: the verifier never called it"


# -- G3 ---------------------------------------------------------------------------------------


class ExponentLog:
    """Every exponent given to Group's public and constant-time paths (outermost calls only)."""

    def __init__(self) -> None:
        self.public: set[int] = set()
        self.secret: set[int] = set()
        self.depth = 0


@contextmanager
def logged_exponents(group: Group) -> Iterator[ExponentLog]:
    log = ExponentLog()
    cls = type(group)
    q = group.order
    patched: list[tuple[type, str, Any]] = []

    def wrap(owner: type, name: str, kind: str, positions: tuple[int, ...]) -> None:
        original = getattr(owner, name)

        def logged(self: Any, *args: Any) -> Any:
            if log.depth == 0:
                target = log.secret if kind == "secret" else log.public
                for position in positions:
                    if position < len(args):
                        target.add(args[position] % q)
            log.depth += 1
            try:
                return original(self, *args)
            finally:
                log.depth -= 1

        patched.append((owner, name, original))
        setattr(owner, name, logged)

    wrap(cls, "exp_secret", "secret", (1,))
    wrap(cls, "base_exp_secret", "secret", (0,)) if "base_exp_secret" in vars(cls) else wrap(
        Group, "base_exp_secret", "secret", (0,))  # fmt: skip
    wrap(cls, "exp", "public", (1,))
    wrap(cls, "exp2", "public", (1, 3)) if "exp2" in vars(cls) else wrap(
        Group, "exp2", "public", (1, 3))  # fmt: skip
    wrap(cls, "base_exp", "public", (0,)) if "base_exp" in vars(cls) else wrap(
        Group, "base_exp", "public", (0,))  # fmt: skip
    for table in FixedBase.__subclasses__():
        wrap(table, "exp", "public", (0,))
    try:
        yield log
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


@contextmanager
def drawn_scalars() -> Iterator[list[int]]:
    """Every secret scalar drawn: Group.random_scalar (the coefficients) and the proofs' hedged
    nonces (docs/spec.md section 4.6)."""
    drawn: list[int] = []
    original = Group.random_scalar
    original_nonce = proofs.hedged_nonce

    def draw(self: Group) -> int:
        value = original(self)
        drawn.append(value)
        return value

    def nonce(*args: Any) -> int:
        value = original_nonce(*args)
        drawn.append(value)
        return value

    Group.random_scalar = draw  # type: ignore[method-assign]
    proofs.hedged_nonce = nonce
    try:
        yield drawn
    finally:
        Group.random_scalar = original  # type: ignore[method-assign]
        proofs.hedged_nonce = original_nonce


@pytest.mark.attack("G3")
def test_g3_secret_exponents_take_the_constant_time_paths(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = world.group
    q = group.order
    coefficients: list[int] = []
    draw_polynomial = dkg.draw_polynomial

    def recorded_polynomial(setup: Any) -> list[int]:
        values = draw_polynomial(setup)
        coefficients.extend(values)
        return values

    monkeypatch.setattr(dkg, "draw_polynomial", recorded_polynomial)
    # The voter's ballot nonces go through fixed-base tables by design (docs/spec.md section 6.4):
    # the tally's ballot is made before the log starts; every scalar drawn inside is a secret
    # (coefficients, proof and signature nonces).
    tally = aggregate(world.election, [(world.ballot(0), 1)])
    trustee = world.shares[0]
    with drawn_scalars() as drawn, logged_exponents(group) as log:
        # A ceremony (polynomials, shares, proofs of knowledge, confirmations).
        dkg.run_ceremony(group, "g3", 3, 2)
        # A credential derivation and a signature with it.
        key = CredentialKey.derive(group, "g3", world.codes[0])
        sign_with_key(key, world.election.fingerprint, b"message")
        # A decryption share.
        compute_decryption_share(group, trustee.share, trustee.index, trustee.verification_key,
                                 tally, world.election.proof_context())  # fmt: skip
    secret_key = credentials_module.derive_credential_secret(group, "g3", world.codes[0])
    secrets_used = {*(c % q for c in coefficients), *(d % q for d in drawn)}
    secrets_used |= {secret_key % q, trustee.share % q}
    leaked = secrets_used & log.public
    assert not leaked, f"{len(leaked)} secret exponent(s) reached a public exponentiation"
    # And they did go through the constant-time paths.
    assert {secret_key % q, trustee.share % q} <= log.secret
    assert {c % q for c in coefficients} <= log.secret
    assert len(drawn) > len(coefficients)  # the proofs' nonces were drawn and logged too
    assert {d % q for d in drawn} <= log.secret | {c % q for c in coefficients}
