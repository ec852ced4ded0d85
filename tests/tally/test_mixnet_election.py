"""A whole election with graded and ranked questions, in process (docs/spec.md section 14):
board, votes, close, ``run_tally`` (mixes, decryption, count), ``export_record``, the verifier.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.credentials import Registrar
from evote.ballots.encrypted import encrypt_ballot
from evote.ballots.manifest import (
    Grade,
    GradesQuestion,
    Manifest,
    RankingQuestion,
    RankingRule,
    SingleChoiceQuestion,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.ceremony.dkg import CeremonyResult, TrusteeShare, run_ceremony
from evote.crypto.groups import group_by_name
from evote.election import Election
from evote.errors import InsufficientShares, InvalidInput
from evote.record import export_record, load_record
from evote.tally.rules import STV_UNIT
from evote.tallying import run_tally
from evote.verify import verify_record
from tests.ballots.conftest import options, text
from tests.board.helpers import closed_board

ELECTION_ID = "mixnet-election"
BOARD_KEY = SigningKey(bytes(range(32)))
#: Voter 3 votes twice: its first ballot is superseded.
SELECTIONS: tuple[dict[str, Any], ...] = (
    {"ref": ["yes"], "judge": {"a": "good", "b": "fair", "c": "poor"}, "order": ["p", "q"],
     "seat": ["q", "p", "r"]},
    {"ref": ["no"], "judge": {"a": "good", "b": "poor", "c": "fair"}, "order": ["q", "p", "r"],
     "seat": ["q"]},
    {"ref": None, "judge": {"a": "fair", "b": "good", "c": "poor"}, "order": ["p"],
     "seat": ["p", "r"]},
    {"ref": ["no"], "judge": {"a": "poor", "b": "poor", "c": "poor"}, "order": [], "seat": []},
    {"ref": ["yes"], "judge": {"a": "poor", "b": "fair", "c": "good"}, "order": ["p", "r", "q"],
     "seat": ["r", "p"]},
)  # fmt: skip
VOTERS = (0, 1, 2, 3, 3)


def _manifest() -> Manifest:
    return Manifest(
        election_id=ELECTION_ID,
        title=text("Mixnet election"),
        opens=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2026, 3, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion("ref", text("Agree?"), options("yes", "no"), True),
            GradesQuestion(
                "judge", text("Judge"), options("a", "b", "c"),
                tuple(Grade(name, text(name)) for name in ("good", "fair", "poor")),
            ),
            RankingQuestion("order", text("Order"), options("p", "q", "r"), RankingRule.SCHULZE),
            RankingQuestion("seat", text("Seat"), options("p", "q", "r"), RankingRule.STV, 1),
        ),
        group_name="ed25519",
    )  # fmt: skip


class Setting:
    """The election (ed25519, 3 trustees, threshold 2) and its ballots, built once."""

    def __init__(self) -> None:
        group = group_by_name("ed25519")
        self.ceremony: CeremonyResult
        self.ceremony, trustees = run_ceremony(group, ELECTION_ID, 3, 2)
        self.shares: tuple[TrusteeShare, ...] = tuple(t.share() for t in trustees)
        registration = Registrar.generate(group, ELECTION_ID, [f"v{i}" for i in range(4)])
        self.election = Election.create(
            _manifest(), self.ceremony, registration.credential_list, BOARD_KEY
        )
        codes = list(registration.codes.values())
        self.ballots = [
            encrypt_ballot(
                self.election,
                codes[voter],
                PlaintextBallot.from_selection(self.election.manifest, selection),
            )
            for voter, selection in zip(VOTERS, SELECTIONS, strict=True)
        ]

    def closed_board(self, path: Path) -> Board:
        url = f"sqlite:///{path / 'board.sqlite'}"
        return closed_board(url, BOARD_KEY, self.election, self.ceremony, self.ballots)


_SETTING: list[Setting] = []


@pytest.fixture
def setting() -> Setting:
    if not _SETTING:
        _SETTING.append(Setting())
    return _SETTING[0]


def test_a_whole_election_with_graded_and_ranked_questions(
    setting: Setting, tmp_path: Path
) -> None:
    with setting.closed_board(tmp_path) as board:
        result = run_tally(board, ELECTION_ID, setting.shares)
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    report = verify_record(load_record(record))
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    steps = {step.number: step for step in report.steps}
    assert steps["11.16"].items == 2  # max(2, t) mixes, t = 2
    assert steps["11.18"].items == 3 * 4

    assert result.question("ref").counts == (("yes", 2), ("no", 1))
    judge = result.question("judge")
    assert judge.counts == () and judge.blank is None and judge.spent is None
    # a: good, good, fair, poor; b: fair, poor, good, fair; c: poor, fair, poor, good
    assert judge.distribution == (("a", (2, 1, 1)), ("b", (1, 2, 1)), ("c", (1, 1, 2)))
    assert judge.ranking == (("a",), ("b",), ("c",)) and judge.winners == ("a",)
    assert judge.answers is not None
    assert Counter(judge.answers) == Counter([(2, 1, 0), (2, 0, 1), (1, 2, 0), (0, 1, 2)])
    order = result.question("order")
    assert order.winners == ("p",) and order.ranking == (("p",), ("q",), ("r",))
    # p is ranked 1st by 3 ballots and 2nd by 1; q 1st, 2nd, 3rd once each; r 2nd and 3rd
    assert order.distribution == (("p", (3, 1, 0)), ("q", (1, 1, 1)), ("r", (0, 1, 1)))
    seat = result.question("seat")
    assert seat.quota == 3 * STV_UNIT and seat.stages is not None
    assert seat.winners == ("q",) and seat.ranking == (("q",),)

    tally = jsonstrict.loads((record / "tally.json").read_bytes(), "tally")
    assert [q["options"] for q in tally["encrypted_tally"]["questions"][1:]] == [[], [], []]
    assert [mix["trustee"] for mix in tally["mixes"]] == [1, 2]
    assert all("mixed" in share for share in tally["shares"])
    document = jsonstrict.loads((record / "result.json").read_bytes(), "result")
    assert set(document["questions"][0]) == {
        "id", "kind", "counts", "blank", "turnout", "winners", "spent"
    }  # fmt: skip
    assert set(document["questions"][3]) == {
        "id", "kind", "counts", "blank", "turnout", "winners", "spent", "answers", "ranking",
        "quota", "stages",
    }  # fmt: skip


def test_run_tally_needs_enough_trustees_to_mix(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        with pytest.raises(InsufficientShares, match="1 trustees present to mix"):
            run_tally(board, ELECTION_ID, setting.shares[:1])
        assert board.head(ELECTION_ID).kind is EntryKind.CLOSE


def test_run_tally_run_again_returns_the_result(setting: Setting, tmp_path: Path) -> None:
    with setting.closed_board(tmp_path) as board:
        first = run_tally(board, ELECTION_ID, setting.shares[1:])
        assert run_tally(board, ELECTION_ID, ()) == first


def test_trustee_share_needs_the_mixes(setting: Setting, tmp_path: Path) -> None:
    from evote.tallying import encrypted_tally, trustee_decryption_share  # noqa: PLC0415

    with setting.closed_board(tmp_path) as board:
        election, tally = encrypted_tally(board, ELECTION_ID)
    with pytest.raises(InvalidInput, match="needs the ceremony, the mix input and the mixes"):
        trustee_decryption_share(election, tally, setting.shares[0])


def test_the_mixnet_record_documents_follow_their_schemas(setting: Setting, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tests.record.test_schema import validator  # noqa: PLC0415 (needs jsonschema)

    with setting.closed_board(tmp_path) as board:
        run_tally(board, ELECTION_ID, setting.shares)
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    tally = jsonstrict.loads((record / "tally.json").read_bytes(), "tally")
    result = jsonstrict.loads((record / "result.json").read_bytes(), "result")
    validator("tally").validate(tally)
    validator("result").validate(result)
    tally["mixes"][0]["position"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validator("tally").validate(tally)
    without_stages = copy.deepcopy(result)
    del without_stages["questions"][3]["stages"]  # quota without stages
    with pytest.raises(jsonschema.ValidationError):
        validator("result").validate(without_stages)
    result["questions"][1]["blank"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validator("result").validate(result)


def test_an_election_without_ballots_has_an_empty_chain(setting: Setting, tmp_path: Path) -> None:
    board = Board(f"sqlite:///{tmp_path / 'board.sqlite'}", BOARD_KEY)
    with board:
        board.setup(setting.election, setting.ceremony)
        board.open_election(ELECTION_ID)
        board.close_election(ELECTION_ID)
        result = run_tally(board, ELECTION_ID, setting.shares)
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    report = verify_record(load_record(record))
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    judge = result.question("judge")
    assert judge.answers == () and judge.winners == () and judge.ranking == ()
    assert judge.distribution == (("a", (0, 0, 0)), ("b", (0, 0, 0)), ("c", (0, 0, 0)))
    seat = result.question("seat")
    assert seat.quota is None and seat.stages == () and seat.winners == ()
    assert jsonstrict.loads((record / "tally.json").read_bytes(), "tally")["mixes"] == []


def test_the_reader_refuses_a_tally_without_the_mixed_part(
    setting: Setting, tmp_path: Path
) -> None:
    from evote.errors import InvalidRecord  # noqa: PLC0415
    from evote.record.publish import published_tally_from_json_obj  # noqa: PLC0415
    from evote.tally.wire import result_from_json  # noqa: PLC0415

    with setting.closed_board(tmp_path) as board:
        run_tally(board, ELECTION_ID, setting.shares)
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    body = jsonstrict.loads((record / "tally.json").read_bytes(), "tally")
    published_tally_from_json_obj(body, setting.election)
    del body["shares"][1]["mixed"]
    with pytest.raises(InvalidRecord, match=r"tally.shares\[1\].mixed: missing"):
        published_tally_from_json_obj(body, setting.election)
    result = jsonstrict.loads((record / "result.json").read_bytes(), "result")
    result["questions"][1]["quota"] = 1  # STV fields on a grades question
    with pytest.raises(InvalidInput, match=r"result.questions\[1\].quota: unknown field"):
        result_from_json(jsonstrict.dumps(result))
    del result["questions"][1]["quota"]
    stv = result["questions"][3]
    assert stv["stages"], "the STV question of this election has stages"
    stv["stages"][0]["action"] = "lottery"  # none of the four: the views have no words for it
    with pytest.raises(InvalidInput, match=r"questions\[3\].stages\[0\].action: unknown STV"):
        result_from_json(jsonstrict.dumps(result))
    del result["questions"][3]["stages"]
    with pytest.raises(InvalidInput, match="quota and stages come together"):
        result_from_json(jsonstrict.dumps(result))


def test_a_tally_stopped_after_its_tally_event_is_finished_from_the_board(
    setting: Setting, tmp_path: Path
) -> None:
    """The officer's steps one by one (as the command line spreads them), stopped after the
    TALLY event: run_tally counts the mixed answers from the published shares and mixes."""
    from evote.tallying import (  # noqa: PLC0415
        board_ceremony,
        board_mix_input,
        encrypted_tally,
        publish_tally,
        run_mixes,
        tally_result,
        trustee_decryption_share,
    )

    with setting.closed_board(tmp_path) as board:
        election, tally = encrypted_tally(board, ELECTION_ID)
        ceremony = board_ceremony(board, election)
        source = board_mix_input(board, election)
        mixes = run_mixes(election, ceremony, source, setting.shares[::-1])
        assert [mix.trustee for mix in mixes] == [3, 2]
        shares = [
            trustee_decryption_share(
                election, tally, trustee, ceremony=ceremony, source=source, mixes=mixes
            )
            for trustee in setting.shares[:2]
        ]
        result, combined = tally_result(election, ceremony, tally, shares, source, mixes)
        publish_tally(board, election, ceremony, tally, shares, combined, mixes)
        assert board.head(ELECTION_ID).kind is EntryKind.TALLY
        assert run_tally(board, ELECTION_ID, ()) == result
        assert result.question("judge").winners == ("a",)


def test_a_share_with_a_bad_mixed_part_is_left_out_and_the_record_verifies(
    setting: Setting, tmp_path: Path
) -> None:
    """The officer's last part (combine_and_publish) with the chain made elsewhere: trustee 1's
    share has a wrong mixed factor; the tally completes with trustees 2 and 3, the published
    record holds their shares only, names trustee 1 under ``rejected``, and verifies."""
    from dataclasses import replace  # noqa: PLC0415

    from evote.tallying import (  # noqa: PLC0415
        board_ceremony,
        board_mix_input,
        combine_and_publish,
        encrypted_tally,
        run_mixes,
        trustee_decryption_share,
    )

    with setting.closed_board(tmp_path) as board:
        election, tally = encrypted_tally(board, ELECTION_ID)
        ceremony = board_ceremony(board, election)
        source = board_mix_input(board, election)
        mixes = run_mixes(election, ceremony, source, setting.shares)
        shares = [
            trustee_decryption_share(
                election, tally, trustee, ceremony=ceremony, source=source, mixes=mixes
            )
            for trustee in setting.shares
        ]
        mixed = shares[0].mixed
        assert mixed is not None
        wrong = (mixed.factors[0] * election.group.generator, *mixed.factors[1:])
        shares[0] = replace(shares[0], mixed=replace(mixed, factors=wrong))
        result = combine_and_publish(board, ELECTION_ID, tally, shares, mixes)
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    assert result.question("judge").winners == ("a",)
    report = verify_record(load_record(record))
    assert report.ok, [(s.number, s.error) for s in report.steps if not s.ok]
    body = jsonstrict.loads((record / "tally.json").read_bytes(), "tally")
    assert [share["trustee"] for share in body["shares"]] == [2, 3]
    assert body["combined"] == [2, 3]
    assert [item["trustee"] for item in body["rejected"]] == [1]
    assert "mixed decryption of question 1 answer 0 option 0" in body["rejected"][0]["reason"]


def test_a_mixnet_record_before_its_tally_is_not_complete(setting: Setting, tmp_path: Path) -> None:
    from evote.cli import main  # noqa: PLC0415
    from evote.verify.report import StepStatus  # noqa: PLC0415

    with setting.closed_board(tmp_path) as board:
        record = export_record(board, ELECTION_ID, tmp_path / "record")
    report = verify_record(load_record(record))
    assert report.ok
    for number in ("11.16", "11.17", "11.18"):
        assert report.step(number).status is StepStatus.SKIPPED, number
    assert main(["verify", str(record)]) == 0
    assert main(["verify", str(record), "--complete"]) == 1
