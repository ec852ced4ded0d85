"""Layer C of the threat model: ballots and eligibility (Helios ballot copying, replays)."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import gmpy2
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from evote import jsonstrict
from evote.ballots.audit import spoil_ballot
from evote.ballots.credentials import CredentialEntry, CredentialList
from evote.ballots.encrypted import (
    EncryptedBallot,
    EncryptedOption,
    check_ballot,
    decode_ballot,
    encrypt_ballot_for_audit,
)
from evote.ballots.signature import sign_with_key
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.crypto.elgamal import Ciphertext
from evote.crypto.groups import MODP_P, MODP_Q, Element, Group
from evote.errors import (
    ContextMismatch,
    DuplicateBallot,
    ElectionNotOpen,
    EvoteError,
    InvalidBallot,
    InvalidCredential,
    InvalidGroupElement,
    InvalidProof,
    InvalidSignature,
    UnknownCredential,
)
from evote.record import documents as doc
from evote.record import load_record
from evote.record.export import reseal_record
from evote.verify.work import ChunkEntry, ElectionSource, check_chunk
from tests.attacks.conftest import World, forge_question, mutate_json, with_question
from tests.attacks.records import (
    COUNTED,
    SUPERSEDED,
    Line,
    assert_fails_at,
    assert_refused_at_load,
    forge_board,
    insert_entry,
    replace_entry,
    rewrite_setup,
    tally_and_export,
    verify,
)
from tests.ballots.test_constant_operations import CASES, operations


@pytest.mark.attack("C1")
def test_c1_copied_ballot_resigned_by_another_voter(world: World, board: Board) -> None:
    victim = world.ballot(0)
    board.cast(world.election_id, victim)
    copied = world.resign(1, victim)  # voter 1 re-signs voter 0's ciphertexts and proofs
    with pytest.raises(InvalidProof):
        board.cast(world.election_id, copied)
    assert board.head(world.election_id).position == 3


@pytest.mark.attack("C1", path="verify")
def test_c1_copied_ballot_in_record(world: World, record: Path) -> None:
    victim = decode_ballot(world.election, dict(load_record(record).ballot_lines())[COUNTED])
    copy = world.resign(1, victim).canonical_bytes()
    insert_entry(record, world, COUNTED + 1, Line(EntryKind.BALLOT, copy))
    assert_fails_at(record, "11.7")


@pytest.mark.attack("C2")
def test_c2_ballot_of_another_election_or_phase(
    world: World, other_world: World, board: Board, tmp_path: Path
) -> None:
    foreign = other_world.ballot(0)
    with pytest.raises(ContextMismatch):
        board.cast(world.election_id, foreign)
    forged = world.resign(0, world.ballot(0), fingerprint=other_world.election.fingerprint)
    with pytest.raises(ContextMismatch):
        board.cast(world.election_id, forged)
    closed_dir = tmp_path / "closed"
    closed_dir.mkdir()
    with world.new_board(closed_dir, open_it=False) as not_open, pytest.raises(ElectionNotOpen):
        not_open.cast(world.election_id, world.ballot(0))


@pytest.mark.attack("C2", path="verify")
def test_c2_foreign_ballot_in_record(world: World, other_world: World, record: Path) -> None:
    replace_entry(record, world, COUNTED, other_world.ballot(0).canonical_bytes())
    assert_fails_at(record, "11.7")


@pytest.mark.attack("C4")
def test_c4_unknown_credential(world: World, other_world: World, board: Board) -> None:
    outsider = other_world.keys[0]
    draft = world.ballot(0)
    forged = replace(draft, credential=outsider.public)
    forged = replace(forged, signature=sign_with_key(outsider, world.election.fingerprint,
                                                     forged.signed_bytes()))  # fmt: skip
    with pytest.raises((UnknownCredential, ContextMismatch)):
        board.cast(world.election_id, forged)


@pytest.mark.attack("C5")
def test_c5_changed_field_or_unknown_field(world: World, board: Board) -> None:
    data = world.ballot(0).canonical_bytes()
    other = world.ballot(0, "no").canonical_bytes()

    def swap_option(obj: Any) -> None:
        obj["q"][0]["o"][0] = jsonstrict.loads(other, "x")["q"][0]["o"][0]

    with pytest.raises((InvalidSignature, InvalidProof)):
        board.cast(world.election_id, mutate_json(data, swap_option))

    def extra(obj: Any) -> None:
        obj["x"] = 1

    with pytest.raises(InvalidBallot):
        board.cast(world.election_id, mutate_json(data, extra))


@pytest.mark.attack("C7")
def test_c7_replay_of_own_superseded_ballot(world: World, board: Board) -> None:
    first = world.ballot(0, "no")
    board.cast(world.election_id, first)
    board.cast(world.election_id, world.ballot(0, "yes"))
    with pytest.raises(DuplicateBallot, match="superseded"):
        board.cast(world.election_id, first)


@pytest.mark.attack("C7", path="verify")
def test_c7_superseded_replay_in_record(world: World, record: Path) -> None:
    superseded = dict(load_record(record).ballot_lines())[SUPERSEDED]
    insert_entry(record, world, COUNTED + 1, Line(EntryKind.BALLOT, superseded))
    assert_fails_at(record, "11.8")


@pytest.mark.attack("C9")
@pytest.mark.parametrize(
    "attack",
    ["bool-version", "float-version", "duplicate-key", "huge-integer", "deep", "oversized"],
)
def test_c9_parser_attacks(world: World, board: Board, attack: str) -> None:
    data = world.ballot(0).canonical_bytes()
    if attack == "bool-version":
        bad = data.replace(b'"v":1', b'"v":true')
    elif attack == "float-version":
        bad = data.replace(b'"v":1', b'"v":1.0')
    elif attack == "duplicate-key":
        bad = data.replace(b'"v":1', b'"v":1,"v":1')
    elif attack == "huge-integer":
        bad = data.replace(b'"v":1', b'"v":' + b"9" * 5000)
    elif attack == "deep":
        bad = data.replace(b'"v":1', b'"v":' + b"[" * 10000 + b"]" * 10000)
    else:
        bad = data[:-1] + b',"z":"' + b"A" * (65 * 1024 * 1024) + b'"}'
    with pytest.raises(InvalidBallot):
        board.cast(world.election_id, bad)


@pytest.mark.attack("C9", path="verify")
def test_c9_duplicate_key_in_record(world: World, record: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]
    replace_entry(record, world, COUNTED, payload.replace(b'"v":1', b'"v":1,"v":1'))
    assert_fails_at(record, "11.7")


# -- C3 and C8: one ballot shown to two voters, nonces reused ----------------------------------


@contextmanager
def replayed_nonces(seed: int) -> Iterator[None]:
    """A broken or malicious voting device: every scalar it draws comes from ``seed``.

    Two ballots made under the same seed reuse every nonce (the encryption nonces, the proofs'
    and the signature's): with the same choices they have the same ciphertexts; with other
    choices the same alphas. The credential still enters every proof and the signature, so each
    ballot is valid on its own.
    """
    rng = random.Random(seed)
    original = Group.random_scalar

    def draw(self: Group) -> int:
        return 1 + rng.randrange(self.order - 1)

    Group.random_scalar = draw  # type: ignore[method-assign]
    try:
        yield
    finally:
        Group.random_scalar = original  # type: ignore[method-assign]


def same_nonce_ballots(
    world: World, voters: tuple[int, int], refs: tuple[str, str]
) -> tuple[EncryptedBallot, EncryptedBallot]:
    seed = random.randrange(2**32)
    ballots = []
    for voter, ref in zip(voters, refs, strict=True):
        with replayed_nonces(seed):
            ballots.append(world.ballot(voter, ref))
    return ballots[0], ballots[1]


def first_alpha(ballot: EncryptedBallot) -> bytes:
    return ballot.questions[0].options[0].ciphertext.alpha.to_bytes()


@pytest.mark.attack("C3")
@pytest.mark.attack("C8")
def test_c3_one_ballot_shown_to_two_voters(world: World, board: Board) -> None:
    shown, copy = same_nonce_ballots(world, (0, 1), ("yes", "yes"))
    assert shown.ciphertexts() == copy.ciphertexts()
    assert shown.tracking_code != copy.tracking_code  # the credential is in the hash
    check_ballot(world.election, copy)  # a valid ballot of voter 1 on its own
    board.cast(world.election_id, shown)
    with pytest.raises(DuplicateBallot, match="of the cast ballot at position 3; two ballots"):
        board.cast(world.election_id, copy)
    # Nor may voter 0 itself cast those ciphertexts again under a fresh signature.
    resigned = world.resign(0, shown)
    assert resigned.tracking_code != shown.tracking_code
    with pytest.raises(DuplicateBallot, match="alpha"):
        board.cast(world.election_id, resigned)
    # The same bytes again (the same tracking code) are a retry: one entry, the same receipt.
    receipt = board.cast(world.election_id, shown)
    assert receipt.position == 3
    assert board.head(world.election_id).position == 3
    assert board.ballot_by_tracking_code(world.election_id, shown.tracking_code).position == 3
    board.verify(world.election_id)


@pytest.mark.attack("C3", path="verify")
@pytest.mark.attack("C8", path="verify")
def test_c3_same_ciphertexts_in_record(world: World, record: Path) -> None:
    shown, copy = same_nonce_ballots(world, (1, 2), ("yes", "yes"))

    def edit(lines: list[Line]) -> None:
        lines[3] = Line(EntryKind.BALLOT, shown.canonical_bytes())  # voter 1's ballot
        lines[4] = Line(EntryKind.BALLOT, copy.canonical_bytes())  # voter 2's ballot

    forge_board(record, world, edit)
    assert_fails_at(record, "11.8", "of the cast ballot at position 4; two ballots never share")


@pytest.mark.attack("C3", path="verify")
def test_c3_same_tracking_code_in_record(world: World, record: Path) -> None:
    counted = dict(load_record(record).ballot_lines())[COUNTED]
    insert_entry(record, world, COUNTED + 1, Line(EntryKind.BALLOT, counted))
    assert_fails_at(record, "11.8", "again, as the entry at 6 (replay)")


@pytest.mark.attack("C8")
def test_c8_reused_nonces_with_other_choices(world: World, board: Board) -> None:
    """Nonces reused for other choices: the ciphertexts differ, their alphas do not.

    Their privacy would be gone (beta_1 / beta_2 = g^(m_1 - m_2)); the board keeps a mark of
    every alpha (docs/spec.md 6.7) and refuses the second ballot.
    """
    first, second = same_nonce_ballots(world, (0, 1), ("yes", "no"))
    assert first_alpha(first) == first_alpha(second)
    assert first.ciphertexts() != second.ciphertexts()
    board.cast(world.election_id, first)
    with pytest.raises(DuplicateBallot, match=r"cast ballot at position 3; .* reused nonces"):
        board.cast(world.election_id, second)


@pytest.mark.attack("C8", path="verify")
def test_c8_reused_nonces_with_other_choices_in_record(world: World, record: Path) -> None:
    first, second = same_nonce_ballots(world, (1, 2), ("yes", "no"))

    def edit(lines: list[Line]) -> None:
        lines[3] = Line(EntryKind.BALLOT, first.canonical_bytes())  # voter 1's ballot
        lines[4] = Line(EntryKind.BALLOT, second.canonical_bytes())  # voter 2's ballot

    forge_board(record, world, edit)
    assert_fails_at(record, "11.8", "the cast ballot at position 4; two ballots never share a")


# -- C11: a part of a spoiled ballot cast -------------------------------------------------------


def audited_and_recast(world: World, voter: int) -> tuple[EncryptedBallot, Any, EncryptedBallot]:
    """A spoiled ballot, its audit, and the voter's ballot reusing its referendum verbatim.

    The rating is changed, the referendum question (ciphertexts and proofs, which bind the
    credential and the position) is the audited one: its plaintext and nonces are public, so
    the cast ballot would be a receipt of that vote.
    """
    audited, nonces = encrypt_ballot_for_audit(
        world.election, world.keys[voter], world.plaintext("no")
    )
    changed = world.ballot(voter, "yes", {"x": 0, "y": 5})
    recast = world.resign(voter, changed, (audited.questions[0], changed.questions[1]))
    return audited, spoil_ballot(audited, nonces), recast


@pytest.mark.attack("C11")
def test_c11_an_audited_question_recast_with_others_changed(world: World, board: Board) -> None:
    audited, audit, recast = audited_and_recast(world, 0)
    check_ballot(world.election, recast)  # valid on its own: only the marks refuse it
    assert recast.ciphertexts()[1] != audited.ciphertexts()[1]
    board.spoil(world.election_id, audited, audit)
    with pytest.raises(DuplicateBallot, match="spoiled ballot at position 3; no part"):
        board.cast(world.election_id, recast)


@pytest.mark.attack("C11", path="verify")
def test_c11_audited_question_recast_in_record(world: World, record: Path) -> None:
    audited, audit, recast = audited_and_recast(world, 0)
    spoiled = jsonstrict.dumps(
        {"ballot": jsonstrict.b64encode(audited.canonical_bytes()), "audit": audit.to_json_obj()}
    )

    def edit(lines: list[Line]) -> None:
        # Voter 0's counted ballot (entry 6) becomes the recast, after the spoiled entry.
        lines[COUNTED - 1] = Line(EntryKind.BALLOT, recast.canonical_bytes())
        lines.insert(COUNTED - 1, Line(EntryKind.SPOILED, spoiled))

    forge_board(record, world, edit)
    assert_fails_at(
        record,
        "11.8",
        f"the spoiled ballot at position {COUNTED}; no part of a spoiled (audited) ballot can"
        " ever be cast",
    )


# -- C4 and C5 through the verify path ---------------------------------------------------------


def outsider_ballot(world: World, other_world: World, voter: int) -> EncryptedBallot:
    """A ballot signed by a credential of another election, on this election's ballot."""
    outsider = other_world.keys[voter]
    draft = replace(world.ballot(0), credential=outsider.public)
    signature = sign_with_key(outsider, world.election.fingerprint, draft.signed_bytes())
    return replace(draft, signature=signature)


@pytest.mark.attack("C4", path="verify")
def test_c4_unknown_credentials_in_record(world: World, other_world: World, record: Path) -> None:
    # Two more counted ballots than the list allows: 3 voted, 4 credentials, 2 outsiders.
    outsiders = [outsider_ballot(world, other_world, voter) for voter in (0, 1)]
    assert len(world.election.credentials) < 3 + len(outsiders)

    def edit(lines: list[Line]) -> None:
        for ballot in outsiders:
            lines.insert(COUNTED, Line(EntryKind.BALLOT, ballot.canonical_bytes()))

    forge_board(record, world, edit)
    report = assert_fails_at(record, "11.7", "UnknownCredential")
    first = next(step for step in report.steps if step.number == "11.7")
    assert first.error is not None and "1 more ballot" in first.error


@pytest.mark.attack("C5", path="verify")
def test_c5_unsigned_change_in_record(world: World, record: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]
    other = world.ballot(0, "no").canonical_bytes()

    def swap_option(obj: Any) -> None:
        obj["q"][0]["o"][0] = jsonstrict.loads(other, "x")["q"][0]["o"][0]

    replace_entry(record, world, COUNTED, mutate_json(payload, swap_option))
    assert_fails_at(record, "11.7")


@pytest.mark.attack("C5", path="verify")
def test_c5_unknown_field_in_record(world: World, record: Path, tmp_path: Path) -> None:
    payload = dict(load_record(record).ballot_lines())[COUNTED]

    def extra(obj: Any) -> None:
        obj["x"] = 1

    replace_entry(record, world, COUNTED, mutate_json(payload, extra))
    assert_fails_at(record, "11.7", "InvalidBallot")
    # An unknown field on a board line (outside the chained payload) is refused at load.
    lines = (record / doc.BOARD).read_bytes().splitlines(keepends=True)
    lines[COUNTED - 1] = lines[COUNTED - 1].replace(b"{", b'{"note":"x",', 1)
    (record / doc.BOARD).write_bytes(b"".join(lines))
    reseal_record(record)
    assert_refused_at_load(record)


# -- C6: degenerate credential lists -----------------------------------------------------------


def degenerate_entries(world: World, case: str) -> list[dict[str, Any]]:
    """The credential list's JSON entries with one fault (duplicate, identity, ...)."""
    entries: list[dict[str, Any]] = world.election.credentials.to_json_obj()["entries"]
    entries = [dict(entry) for entry in entries]
    group = world.group
    if case == "duplicate":
        entries.insert(1, dict(entries[0]))
    elif case == "identity":
        entries.insert(0, {"public": b64(group.identity.to_bytes()), "weight": 1})
    elif case == "non-member":
        entries.insert(0, {"public": b64(non_member(group)), "weight": 1})
    elif case == "weight-0":
        entries[0]["weight"] = 0
    elif case == "weight-bool":
        entries[0]["weight"] = True
    return entries


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def non_member(group: Group) -> bytes:
    """Bytes that decode to no element: y = 2 is on no point of the curve; 2 is no square mod p."""
    order = "little" if group.name == "ed25519" else "big"
    return (2).to_bytes(group.element_size, order)


DEGENERATE = ["duplicate", "identity", "non-member", "weight-0", "weight-bool"]


@pytest.mark.attack("C6")
@pytest.mark.parametrize("case", DEGENERATE)
def test_c6_degenerate_credential_list(world: World, case: str) -> None:
    group = world.group
    obj = {"group": group.name, "entries": degenerate_entries(world, case)}
    # An element that does not decode is named by the decoder (InvalidGroupElement).
    with pytest.raises((InvalidCredential, InvalidGroupElement), match="entries"):
        CredentialList.from_json_obj(group, obj)
    entries = list(world.election.credentials.entries)
    with pytest.raises(InvalidCredential):
        if case == "duplicate":
            CredentialList(group, (*entries, entries[0]))
        elif case == "identity":
            CredentialList(group, (*entries, CredentialEntry(group.identity)))
        elif case == "weight-0":
            CredentialEntry(entries[0].public, 0)
        elif case == "weight-bool":
            CredentialEntry(entries[0].public, True)
        else:
            CredentialList(group, (*entries, CredentialEntry(b"\x02" * 32)))  # type: ignore[arg-type]


@pytest.mark.attack("C6", path="verify")
@pytest.mark.parametrize("case", DEGENERATE)
def test_c6_degenerate_credentials_in_record(world: World, record: Path, case: str) -> None:
    entries = degenerate_entries(world, case)

    def change(setup: Any) -> None:
        setup["credentials"]["entries"] = entries

    rewrite_setup(record, world, change)
    credentials = jsonstrict.loads((record / doc.CREDENTIALS).read_bytes(), "credentials")
    credentials["entries"] = entries
    (record / doc.CREDENTIALS).write_bytes(jsonstrict.dumps(credentials))
    reseal_record(record)
    assert_refused_at_load(record)


# -- C10: what the board accepts, the tally counts ----------------------------------------------


SCORES = st.integers(0, 5)
FIXTURES = HealthCheck.function_scoped_fixture


@st.composite
def selections(draw: st.DrawFn) -> tuple[str | None, dict[str, int]]:
    ref = draw(st.sampled_from(["yes", "no", None]))
    x = draw(SCORES)
    y = draw(st.integers(0, min(5, 8 - x)))
    return ref, {"x": x, "y": y}


@pytest.mark.attack("C10")
@settings(max_examples=4, deadline=None, suppress_health_check=[FIXTURES])
@given(votes=st.lists(selections(), min_size=1, max_size=4))
def test_c10_every_accepted_ballot_is_tallied(
    world: World, tmp_path_factory: pytest.TempPathFactory, votes: list[Any]
) -> None:
    # One function, two callers: the verifier's workers check with the board's check_ballot.
    from evote.board import board as board_module  # noqa: PLC0415
    from evote.verify import work  # noqa: PLC0415

    assert work.check_ballot is board_module.check_ballot is check_ballot
    with world.new_board(tmp_path_factory.mktemp("c10")) as board:
        for voter, (ref, rate) in enumerate(votes):
            board.cast(world.election_id, world.ballot(voter, ref, rate))
        setup = board.entry_at(world.election_id, 1).payload
        chunk = tuple(
            ChunkEntry(entry.position, False, entry.payload)
            for entry in board.ballot_entries(world.election_id)
        )
        result = check_chunk(ElectionSource(setup), chunk)
        assert [fact.error for fact in result.facts] == [None] * len(votes)
        assert result.unaggregated == ()
        assert result.partial == world.tally_of(board)
        assert result.partial.ballot_count == len(votes)


@pytest.mark.attack("C10", path="verify")
@settings(max_examples=2, deadline=None, suppress_health_check=[FIXTURES])
@given(votes=st.lists(selections(), min_size=1, max_size=3))
def test_c10_accepted_ballots_verify_and_count(
    world: World, tmp_path_factory: pytest.TempPathFactory, votes: list[Any]
) -> None:
    directory = tmp_path_factory.mktemp("c10-record")
    with world.new_board(directory) as board:
        for voter, (ref, rate) in enumerate(votes):
            board.cast(world.election_id, world.ballot(voter, ref, rate))
        record = tally_and_export(world, board, directory / "record")
    report = verify(record)
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    counted = {step.number: step.items for step in report.steps}
    assert counted["11.7"] == counted["11.10"] == len(votes)
    result = load_record(record).result
    assert result is not None
    assert result.turnout.ballots == len(votes)


# -- C10 through every entry point: bytes and objects, honest and mutated ----------------------


def _torsion_point() -> bytes:
    from tests.crypto import edwards25519 as ref  # noqa: PLC0415

    return ref.encode(ref.eight_torsion()[1])


def _mixed_order(element: Element) -> Element:
    """``element`` plus a point of order 8: on the curve, outside the prime-order subgroup."""
    from tests.crypto import edwards25519 as ref  # noqa: PLC0415

    point = ref.decode(element.to_bytes())
    assert point is not None
    return Element(element.group, ref.encode(ref.add(point, ref.eight_torsion()[1])))


def _outside_subgroup_residue() -> int:
    """A quadratic residue mod p outside the order-q subgroup: it passes the Jacobi pre-check."""
    residue = 3 * 3 % MODP_P
    assert gmpy2.jacobi(residue, MODP_P) == 1 and pow(residue, MODP_Q, MODP_P) != 1
    return residue


def _with_alpha(world: World, ballot: EncryptedBallot, option: int, alpha: Element) -> Any:
    question = ballot.questions[0]
    options = list(question.options)
    ciphertext = Ciphertext(alpha, options[option].ciphertext.beta)
    options[option] = EncryptedOption(ciphertext, options[option].proof)
    return with_question(world, 0, ballot, 0, replace(question, options=tuple(options)))


def _with_beta(world: World, ballot: EncryptedBallot, option: int, beta: Element) -> Any:
    question = ballot.questions[0]
    options = list(question.options)
    ciphertext = Ciphertext(options[option].ciphertext.alpha, beta)
    options[option] = EncryptedOption(ciphertext, options[option].proof)
    return with_question(world, 0, ballot, 0, replace(question, options=tuple(options)))


def _mutated(world: World, honest: EncryptedBallot, mutation: str, option: int) -> Any:
    group = world.group
    alpha = honest.questions[0].options[option].ciphertext.alpha
    if mutation == "honest":
        return honest
    if mutation == "alpha identity, honest proofs":  # nonce 0
        nonces = [group.random_scalar(), group.random_scalar()]
        nonces[option] = 0
        forged = forge_question(world, 0, 0, (1, 0), 0, tuple(nonces))
        return with_question(world, 0, honest, 0, forged)
    if mutation == "alpha identity":
        return _with_alpha(world, honest, option, group.identity)
    if mutation == "beta identity":
        return _with_beta(world, honest, option, group.identity)
    if mutation == "swapped ciphertexts":
        question = honest.questions[0]
        first, second = question.options
        swapped = (
            EncryptedOption(second.ciphertext, first.proof),
            EncryptedOption(first.ciphertext, second.proof),
        )
        return with_question(world, 0, honest, 0, replace(question, options=swapped))
    if mutation == "minus alpha" and group.name == "modp4096":
        return _with_alpha(world, honest, option, Element(group, gmpy2.mpz(MODP_P - alpha.value)))
    if mutation == "residue outside the subgroup" and group.name == "modp4096":
        outside = alpha.value * _outside_subgroup_residue() % MODP_P
        return _with_alpha(world, honest, option, Element(group, gmpy2.mpz(outside)))
    if mutation == "small order" and group.name == "ed25519":
        return _with_alpha(world, honest, option, Element(group, _torsion_point()))
    if mutation == "mixed order" and group.name == "ed25519":
        return _with_alpha(world, honest, option, _mixed_order(alpha))
    return honest


MUTATIONS = (
    "honest",
    "alpha identity, honest proofs",
    "alpha identity",
    "beta identity",
    "swapped ciphertexts",
    "minus alpha",
    "residue outside the subgroup",
    "small order",
    "mixed order",
)
# The mutations that exist on one group only (on the other, _mutated leaves the ballot honest).
GROUP_OF_MUTATION = {
    "minus alpha": "modp4096",
    "residue outside the subgroup": "modp4096",
    "small order": "ed25519",
    "mixed order": "ed25519",
}


def _outcome(action: Any) -> str:
    """ "accepted", or the name of the evote error class (any other exception fails the test)."""
    try:
        action()
    except EvoteError as error:
        return type(error).__name__
    return "accepted"


def _verifier_errors(board: Board, world: World, spoiled: bool) -> list[str | None]:
    setup = board.entry_at(world.election_id, 1).payload
    kind = EntryKind.SPOILED if spoiled else EntryKind.BALLOT
    chunk = tuple(
        ChunkEntry(entry.position, spoiled, entry.payload)
        for entry in board.entries(world.election_id)
        if entry.kind is kind
    )
    return [fact.error for fact in check_chunk(ElectionSource(setup), chunk).facts]


@pytest.mark.attack("C10")
@pytest.mark.attack("A1")
@pytest.mark.attack("A2")
@settings(max_examples=12, deadline=None, suppress_health_check=[FIXTURES])
@given(
    mutation=st.sampled_from([name for name in MUTATIONS if name != "honest"]),
    option=st.integers(0, 1),
    ref=st.sampled_from(["yes", "no"]),
)
@example(mutation="alpha identity, honest proofs", option=0, ref="yes")
@example(mutation="minus alpha", option=0, ref="yes")
@example(mutation="residue outside the subgroup", option=1, ref="yes")
@example(mutation="mixed order", option=0, ref="no")
@example(mutation="small order", option=1, ref="no")
@example(mutation="honest", option=0, ref="yes")
@example(mutation="honest", option=1, ref="no")
def test_c10_every_entry_point_accepts_only_what_the_tally_and_verifier_accept(
    world: World,
    tmp_path_factory: pytest.TempPathFactory,
    mutation: str,
    option: int,
    ref: str,
) -> None:
    # The honest ballot, the costliest case (two tallies), has its two examples (a yes, a no);
    # the draws go to the mutations that apply to this group (one of the other group would
    # leave the ballot honest, and test that case again).
    assume(GROUP_OF_MUTATION.get(mutation, world.group.name) == world.group.name)
    honest, nonces = encrypt_ballot_for_audit(world.election, world.keys[0], world.plaintext(ref))
    # The device's reveal of the honest ballot: spoil publishes it as given (step 11.7.1 judges
    # it apart from the ballot's own checks, which are what this test compares).
    audit = spoil_ballot(honest, nonces)
    forged = _mutated(world, honest, mutation, option)
    boards = [
        world.new_board(tmp_path_factory.mktemp(f"c10-{name}"))
        for name in ("bytes", "object", "spoil")
    ]
    try:
        as_bytes, as_object, spoil = boards
        outcomes = {
            "cast bytes": _outcome(
                lambda: as_bytes.cast(world.election_id, forged.canonical_bytes())
            ),
            "cast object": _outcome(lambda: as_object.cast(world.election_id, forged)),
            "spoil object": _outcome(lambda: spoil.spoil(world.election_id, forged, audit)),
            "check_ballot": _outcome(lambda: check_ballot(world.election, forged)),
        }
        # Bytes and objects meet the same checks, on every entry point.
        assert len(set(outcomes.values())) == 1, outcomes
        expected = "accepted" if forged is honest else None
        if expected is None:
            assert outcomes["cast object"] != "accepted", (mutation, outcomes)
            return
        assert outcomes["cast object"] == "accepted"
        for board in (as_bytes, as_object):
            assert _verifier_errors(board, world, spoiled=False) == [None]
            tally = world.tally_of(board)
            counts, _ = world.decrypt(tally, world.decryption_shares(tally))
            assert counts is not None
        assert _verifier_errors(spoil, world, spoiled=True) == [None]
    finally:
        for board in boards:
            board.dispose()


# -- C12: the vote in the encryption's operations -----------------------------------------------


@pytest.mark.attack("C12", path="cast")
@pytest.mark.parametrize("case", ["referendum-blank", "score", "budget"])
def test_c12_an_observer_of_the_operations_cannot_tell_the_choice(
    group: Group, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spy on the voter's device records every group operation of the booth's encryption.

    An outside review timed 88 µs per option for a 0 against 100 µs for a 1 on ed25519 (g^0
    returned early). Every choice must now give the same list of primitive calls and operand
    shapes (docs/spec.md section 4.1), on both groups.
    """
    question, selections = CASES[case]
    operations(group, question, selections[0], monkeypatch)  # build the cached tables
    seen = {repr(s): operations(group, question, s, monkeypatch) for s in selections}
    distinct = {tuple(calls) for calls in seen.values()}
    assert len(distinct) == 1, f"{case}: the operations tell {len(distinct)} choices apart"
