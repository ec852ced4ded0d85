"""run_tally and its parts (evote/tallying.py): the tally of a closed board in one call."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nacl.signing import SigningKey

import evote
from evote import jsonstrict
from evote.board.chain import EntryKind
from evote.ceremony.dkg import CeremonyResult, Trustee
from evote.record.publish import published_tally_from_json_obj
from evote.tally import aggregate, check_result, compute_decryption_share, compute_result
from evote.tally.result import decrypt_counts, turnout_of
from evote.tallying import publish_tally
from tests.board.helpers import closed_board

ELECTION_ID = "tallying-test"
BOARD_KEY = SigningKey(bytes(range(32)))
CHOICES = (["yes"], ["no"], ["yes"], None)


def _manifest(group: evote.Group) -> evote.Manifest:
    opens = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    question = evote.SingleChoiceQuestion(
        "ref",
        {"en": "Agree?", "fr": "D'accord ?"},
        (
            evote.Option("yes", {"en": "Yes", "fr": "Oui"}),
            evote.Option("no", {"en": "No", "fr": "Non"}),
        ),
        True,
    )
    return evote.Manifest(
        election_id=ELECTION_ID,
        title={"en": "Tallying test", "fr": "Test du dépouillement"},
        opens=opens,
        closes=opens + timedelta(days=7),
        questions=(question,),
        group_name=group.name,
    )


class Setting:
    """One election (ed25519, 3 trustees, threshold 2) and its ballots, built once."""

    def __init__(self) -> None:
        group = evote.group_by_name("ed25519")
        self.ceremony: CeremonyResult
        self.trustees: tuple[Trustee, ...]
        self.ceremony, self.trustees = evote.run_ceremony(group, ELECTION_ID, 3, 2)
        voters = [f"v{i}" for i in range(len(CHOICES))]
        registration = evote.Registrar.generate(group, ELECTION_ID, voters)
        self.election = evote.Election.create(
            _manifest(group), self.ceremony, registration.credential_list, BOARD_KEY
        )
        self.ballots = [
            evote.encrypt_ballot(
                self.election,
                registration.codes[voter],
                evote.PlaintextBallot.from_selection(self.election.manifest, {"ref": choice}),
            )
            for voter, choice in zip(voters, CHOICES, strict=True)
        ]

    def closed_board(self, path: Path) -> evote.Board:
        url = str(path / "board.sqlite")
        return closed_board(url, BOARD_KEY, self.election, self.ceremony, self.ballots)

    def shares(self, tally: evote.EncryptedTally, indices: tuple[int, ...]) -> list[
        evote.DecryptionShare
    ]:
        return [
            evote.trustee_decryption_share(self.election, tally, self.trustees[i - 1].share())
            for i in indices
        ]


@pytest.fixture(scope="module")
def setting() -> Setting:
    return Setting()


def _head_kind(board: evote.Board) -> EntryKind:
    return board.head(ELECTION_ID).kind


def test_run_tally_gives_the_cli_path_result_and_publishes_it(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        # What `evote tally` and `evote tally combine` compute, step by step.
        tally = aggregate(setting.election, board.counted_ballots(ELECTION_ID))
        context = setting.election.proof_context()
        cli_shares = []
        for trustee in setting.trustees[1:]:
            own = trustee.share()
            cli_shares.append(
                compute_decryption_share(
                    setting.election.group, own.share, own.index, own.verification_key, tally,
                    context,
                )
            )
        counts, _ = decrypt_counts(
            setting.election.manifest, tally, cli_shares, 2,
            setting.ceremony.verification_key_map(), context,
        )
        expected = compute_result(setting.election.manifest, counts, turnout_of(tally))
        check_result(setting.election.manifest, counts, turnout_of(tally), expected)

        result = evote.run_tally(board, ELECTION_ID, [t.share() for t in setting.trustees[1:]])

        assert result == expected
        assert result.question("ref").counts == (("yes", 2), ("no", 1))
        assert result.question("ref").blank == 1
        assert _head_kind(board) is EntryKind.RESULT


def test_run_tally_takes_decryption_shares_computed_elsewhere(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        _, tally = evote.encrypted_tally(board, ELECTION_ID)
        result = evote.run_tally(board, ELECTION_ID, setting.shares(tally, (1, 3)))
        assert result.turnout.ballots == len(CHOICES)
        assert _head_kind(board) is EntryKind.RESULT


def test_too_few_shares_raise_and_write_nothing(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        before = board.head(ELECTION_ID)
        with pytest.raises(evote.InsufficientShares, match="1 valid decryption shares"):
            evote.run_tally(board, ELECTION_ID, [setting.trustees[0].share()])
        assert board.head(ELECTION_ID) == before


def test_a_tampered_share_is_left_out_and_the_others_carry_on(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        _, tally = evote.encrypted_tally(board, ELECTION_ID)
        bad, *good = setting.shares(tally, (1, 2, 3))
        group = setting.election.group
        tampered = replace(bad, factors=(bad.factors[0] * group.generator, *bad.factors[1:]))
        result = evote.run_tally(board, ELECTION_ID, [tampered, *good])
        assert result.question("ref").counts == (("yes", 2), ("no", 1))
        head = board.head(ELECTION_ID)
        body = jsonstrict.loads(board.entry_at(ELECTION_ID, head.position - 1).payload, "tally")
        published = published_tally_from_json_obj(body["body"], setting.election)
        assert published.combined == (2, 3)
        assert [r.trustee for r in published.rejected] == [1]
        assert "trustee 1" in published.rejected[0].reason


def test_a_tampered_share_below_the_threshold_raises(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        _, tally = evote.encrypted_tally(board, ELECTION_ID)
        bad, good = setting.shares(tally, (1, 2))
        tampered = replace(bad, factors=(good.factors[0], *bad.factors[1:]))
        with pytest.raises(evote.InsufficientShares, match=r"rejected: trustee 1"):
            evote.run_tally(board, ELECTION_ID, [tampered, good])
        assert _head_kind(board) is EntryKind.CLOSE


def test_run_twice_returns_the_published_result_and_writes_nothing(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        first = evote.run_tally(board, ELECTION_ID, [t.share() for t in setting.trustees])
        head = board.head(ELECTION_ID)
        assert evote.run_tally(board, ELECTION_ID, []) == first
        assert board.head(ELECTION_ID) == head


def test_a_tally_without_result_is_finished_from_the_board(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        # A stop after the TALLY event, before the RESULT (as `evote tally combine` may).
        election, tally = evote.encrypted_tally(board, ELECTION_ID)
        shares = setting.shares(tally, (2, 3))
        counts, combined = decrypt_counts(
            election.manifest, tally, shares, 2, setting.ceremony.verification_key_map(),
            election.proof_context(),
        )
        publish_tally(board, election, setting.ceremony, tally, shares, combined)
        assert _head_kind(board) is EntryKind.TALLY
        result = evote.run_tally(board, ELECTION_ID, [])
        assert result == compute_result(election.manifest, counts, turnout_of(tally))
        assert _head_kind(board) is EntryKind.RESULT


def test_an_open_election_is_not_tallied(setting: Setting, tmp_path: Path) -> None:
    with evote.Board(str(tmp_path / "board.sqlite"), BOARD_KEY) as board:
        board.setup(setting.election, setting.ceremony)
        with pytest.raises(evote.ElectionNotOpen, match="never opened"):
            evote.run_tally(board, ELECTION_ID, [])
        board.open_election(ELECTION_ID)
        with pytest.raises(evote.ElectionNotOpen, match="still open"):
            evote.run_tally(board, ELECTION_ID, [])


def test_encrypted_tally_reports_each_counted_ballot(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        counted: list[int] = []
        _, tally = evote.tallying.encrypted_tally(board, ELECTION_ID, counted.append)
    assert counted == [1] * tally.ballot_count and tally.ballot_count == len(CHOICES)


def test_combine_and_publish_refuses_another_tally(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        _, tally = evote.encrypted_tally(board, ELECTION_ID)
        shares = setting.shares(tally, (1, 2))
        other = replace(tally, ballot_count=tally.ballot_count - 1)
        with pytest.raises(evote.ContextMismatch, match="not the tally of the counted ballots"):
            evote.combine_and_publish(board, ELECTION_ID, other, shares)
        result = evote.combine_and_publish(board, ELECTION_ID, tally, shares)
        assert result.turnout.ballots == len(CHOICES)
        with pytest.raises(evote.ElectionNotOpen, match="on the board already"):
            evote.combine_and_publish(board, ELECTION_ID, tally, shares)


def test_election_create_refuses_a_ceremony_of_another_election(setting: Setting) -> None:
    group = setting.election.group
    other, _ = evote.run_ceremony(group, "another-election", 3, 2)
    with pytest.raises(evote.ContextMismatch, match="run for election 'another-election'"):
        evote.Election.create(
            setting.election.manifest, other, setting.election.credentials, BOARD_KEY
        )
    same = evote.Election.create(
        setting.election.manifest, setting.ceremony, setting.election.credentials,
        BOARD_KEY.verify_key,
    )
    assert same.fingerprint == setting.election.fingerprint


def test_run_tally_refuses_what_is_no_share(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        with pytest.raises(evote.InvalidInput, match=r"got Trustee$"):
            evote.run_tally(board, ELECTION_ID, [setting.trustees[0]])  # type: ignore[list-item]
        assert _head_kind(board) is EntryKind.CLOSE
