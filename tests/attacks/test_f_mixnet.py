"""Layer F of the threat model, rows F6 to F9: graded and ranked questions counted by the mixnet.

An honest record of an election with a referendum, a grades question and a ranking question
(3 trustees, threshold 2: a chain of 2 mixes) is built once per group with ``run_tally``. Each
test forces one bad item into a copy, as the board operator or a cheating trustee could (a
trustee holds its share, so it re-signs the mix it forges), and the verifier must refuse the
record at the step of docs/spec.md section 11 that the attack targets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from evote import jsonstrict
from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import (
    Grade,
    GradesQuestion,
    Manifest,
    Option,
    RankingQuestion,
    RankingRule,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.chain import EntryKind
from evote.crypto.elgamal import encrypt
from evote.crypto.groups import Group
from evote.record import export_record, load_record
from evote.tally import mixnet
from evote.tally.wire import decryption_share_from_json, decryption_share_to_json
from evote.tallying import run_tally
from tests.attacks.conftest import World, build_world
from tests.attacks.records import (
    assert_fails_at,
    assert_refused_at_load,
    copy_record,
    rewrite_event,
    verify,
)
from tests.ballots.conftest import text

GRADES = 1  # the index of the grades question
SELECTIONS: tuple[dict[str, Any], ...] = (
    {"ref": ["yes"], "judge": {"a": "good", "b": "fair", "c": "poor"}, "order": ["p", "q"]},
    {"ref": ["no"], "judge": {"a": "good", "b": "poor", "c": "fair"}, "order": ["q", "p", "r"]},
    {"ref": None, "judge": {"a": "fair", "b": "good", "c": "poor"}, "order": []},
)


def _manifest(group: Group, election_id: str) -> Manifest:
    options = tuple(Option(name, text(name)) for name in ("a", "b", "c"))
    return Manifest(
        election_id=election_id,
        title=text("Mixnet attack test"),
        opens=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2025, 3, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion(
                "ref", text("Agree?"), (Option("yes", text("Yes")), Option("no", text("No"))),
                True,
            ),
            GradesQuestion(
                "judge", text("Judge"), options,
                tuple(Grade(name, text(name)) for name in ("good", "fair", "poor")),
            ),
            RankingQuestion(
                "order", text("Order"),
                tuple(Option(name, text(name)) for name in ("p", "q", "r")),
                RankingRule.SCHULZE,
            ),
        ),
        group_name=group.name,
    )  # fmt: skip


def _world(group: Group) -> World:
    return build_world(group, f"mixnet-attack-{group.name}", _manifest, len(SELECTIONS))


_RECORDS: dict[str, tuple[World, Path]] = {}


@pytest.fixture
def mixed(
    group: Group, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> tuple[World, Path]:
    """The mixnet world and a private copy of its honest record (built once per group)."""
    if group.name not in _RECORDS:
        world = _world(group)
        directory = tmp_path_factory.mktemp(f"mixnet-{group.name}")
        with world.new_board(directory) as board:
            for voter, selection in enumerate(SELECTIONS):
                plaintext = PlaintextBallot.from_selection(world.election.manifest, selection)
                board.cast(
                    world.election_id, encrypt_ballot(world.election, world.keys[voter], plaintext)
                )
            board.close_election(world.election_id)
            run_tally(board, world.election_id, world.shares)
            record = export_record(board, world.election_id, directory / "record")
        _RECORDS[group.name] = (world, record)
    world, record = _RECORDS[group.name]
    return world, copy_record(record, tmp_path / "forged")


def _rewrite_mix(
    world: World, record: Path, position: int, change: Callable[[mixnet.Mix], mixnet.Mix]
) -> None:
    """Replace mix ``position`` by ``change`` of it (re-signed by whoever ``change`` chose)."""

    def edit(body: Any) -> None:
        mix = mixnet.mix_from_json_obj(world.election, body["mixes"][position - 1])
        body["mixes"][position - 1] = mixnet.mix_to_json_obj(change(mix))

    rewrite_event(record, world, EntryKind.TALLY, edit)


def _signed_by(world: World, mix: mixnet.Mix, trustee: int) -> mixnet.Mix:
    return mixnet.sign_mix(dataclasses.replace(mix, trustee=trustee), world.shares[trustee - 1])


def _with_outputs(world: World, mix: mixnet.Mix, question: int, outputs: Any) -> mixnet.Mix:
    items = tuple(
        dataclasses.replace(item, outputs=outputs) if item.question == question else item
        for item in mix.questions
    )
    return _signed_by(world, dataclasses.replace(mix, questions=items), mix.trustee)


def test_the_honest_mixnet_record_verifies(mixed: tuple[World, Path]) -> None:
    _, record = mixed
    report = verify(record)
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    numbers = {step.number: step for step in report.steps}
    assert numbers["11.16"].items == 2 and numbers["11.18"].items == 6
    loaded = load_record(record)
    assert loaded.result is not None and loaded.mixes is not None
    assert loaded.result.question("judge").winners == ("a",)
    assert loaded.result.question("order").winners == ("p", "q")  # tied: no lot is drawn


# -- F6: a mix that cheats on its answers ------------------------------------------------------


@pytest.mark.attack("F6", path="verify")
@pytest.mark.parametrize("how", ["drop", "duplicate", "replace"])
def test_f6_a_mix_that_drops_duplicates_or_replaces_an_answer(
    mixed: tuple[World, Path], how: str
) -> None:
    world, record = mixed

    def change(mix: mixnet.Mix) -> mixnet.Mix:
        outputs = next(item.outputs for item in mix.questions if item.question == GRADES)
        if how == "drop":
            forged = outputs[:-1]
        elif how == "duplicate":
            forged = (*outputs[:-1], outputs[0])
        else:
            key = world.election.public_key
            forged = (*outputs[:-1], tuple(encrypt(key, 2).ciphertext for _ in range(3)))
        return _with_outputs(world, mix, GRADES, forged)

    _rewrite_mix(world, record, 2, change)
    assert_fails_at(record, "11.16", "mix 2 question 1")


@pytest.mark.attack("F6", path="verify")
def test_f6_a_valid_proof_for_another_input_list(mixed: tuple[World, Path]) -> None:
    world, record = mixed
    loaded = load_record(record)
    assert loaded.mixes is not None
    # Trustee 1 mixes an input where one answer was swapped for its own: a valid mix of that
    # list, with a valid proof, but not of the counted ballots' answers.
    honest = mixnet.mix_input(world.election, [])
    first = loaded.mixes[0]
    answers = tuple(
        (*first.questions[i].outputs[:-1], first.questions[i].outputs[0])
        for i in range(len(first.questions))
    )
    other = dataclasses.replace(honest, answers=answers)
    forged = mixnet.compute_mix(world.election, world.ceremony, world.shares[0], other, ())

    _rewrite_mix(world, record, 1, lambda _: forged)
    assert_fails_at(record, "11.16", "mix 1 question 1")


# -- F7: who mixed, and how many ---------------------------------------------------------------


@pytest.mark.attack("F7", path="verify")
@pytest.mark.parametrize("how", ["stranger", "other-key"])
def test_f7_a_mix_signed_by_a_non_trustee(mixed: tuple[World, Path], how: str) -> None:
    world, record = mixed
    claimed = 9 if how == "stranger" else 3
    _rewrite_mix(world, record, 2, lambda mix: dataclasses.replace(mix, trustee=claimed))
    expected = "trustee 9 is not a trustee" if how == "stranger" else "does not verify"
    report = assert_fails_at(record, "11.16", expected)
    assert next(s for s in report.steps if s.number == "11.16").error_type == "InvalidSignature"


@pytest.mark.attack("F7", path="verify")
def test_f7_the_same_trustee_mixes_twice(mixed: tuple[World, Path]) -> None:
    world, record = mixed
    first = load_record(record).mixes
    assert first is not None
    _rewrite_mix(world, record, 2, lambda mix: _signed_by(world, mix, first[0].trustee))
    assert_fails_at(record, "11.16", f"trustee {first[0].trustee} mixed already")


@pytest.mark.attack("F7", path="verify")
def test_f7_too_few_mixes(mixed: tuple[World, Path]) -> None:
    world, record = mixed

    def change(body: Any) -> None:
        body["mixes"] = body["mixes"][:1]

    rewrite_event(record, world, EntryKind.TALLY, change)
    assert_fails_at(record, "11.16", "1 mixes, the chain needs at least 2")


@pytest.mark.attack("F7", path="verify")
def test_f7_a_tally_without_its_mixes_is_refused(mixed: tuple[World, Path]) -> None:
    world, record = mixed

    def change(body: Any) -> None:
        del body["mixes"]

    rewrite_event(record, world, EntryKind.TALLY, change)
    assert_refused_at_load(record)


# -- F8: a decryption of another ciphertext -----------------------------------------------------


@pytest.mark.attack("F8", path="verify")
def test_f8_a_mixed_factor_for_another_ciphertext(mixed: tuple[World, Path]) -> None:
    world, record = mixed

    def change(body: Any) -> None:
        share = decryption_share_from_json(
            jsonstrict.dumps(body["shares"][0]), world.group, world.election_id
        )
        assert share.mixed is not None
        factors = list(share.mixed.factors)
        proofs = list(share.mixed.proofs)
        # Answers 0 and 1 of the grades question swapped: each factor and proof is valid, for
        # another ciphertext.
        factors[0:3], factors[3:6] = factors[3:6], factors[0:3]
        proofs[0:3], proofs[3:6] = proofs[3:6], proofs[0:3]
        swapped = dataclasses.replace(share.mixed, factors=tuple(factors), proofs=tuple(proofs))
        forged = dataclasses.replace(share, mixed=swapped)
        body["shares"][0] = jsonstrict.loads(
            decryption_share_to_json(world.group, world.election_id, forged), "share"
        )

    rewrite_event(record, world, EntryKind.TALLY, change)
    assert_fails_at(record, "11.17", "mixed decryption of question 1 answer 0 option 0")


# -- F9: a count that does not follow ------------------------------------------------------------


@pytest.mark.attack("F9", path="verify")
@pytest.mark.parametrize("field", ["answers", "counts", "winners", "ranking"])
def test_f9_a_count_that_does_not_follow_from_the_decryptions(
    mixed: tuple[World, Path], field: str
) -> None:
    world, record = mixed

    def change(body: Any) -> None:
        entry = body["questions"][GRADES]
        if field == "answers":
            entry["answers"][0] = [0, 0, 0]
        elif field == "counts":
            entry["counts"][0][1] = [3, 0, 0]
        elif field == "winners":
            entry["winners"] = ["b"]
        else:
            entry["ranking"] = [["b"], ["a"], ["c"]]

    rewrite_event(record, world, EntryKind.RESULT, change)
    assert_fails_at(record, "11.18", "question 1 (judge)")
