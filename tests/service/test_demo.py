"""``evote serve --demo``: the demo election, open, its codes, reused on a second run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evote.ballots.credentials import CredentialKey
from evote.board.board import Board
from evote.board.chain import EntryKind
from evote.cli.demo import (
    CODES_FILE,
    ELECTION_ID,
    SHARES_FILE,
    close_and_tally_served_demo,
    prepare_served_demo,
)
from evote.errors import InvalidInput
from evote.service.settings import key_digest, parse_portal_keys
from evote.tallying import published_result
from tests.cli.test_workflow import fails, ok


def test_the_demo_is_open_with_one_code_a_line_and_is_reused(tmp_path: Path) -> None:
    demo = prepare_served_demo(tmp_path, 3)
    assert not demo.reused
    codes = (tmp_path / CODES_FILE).read_text().splitlines()
    assert len(codes) == 3
    assert (tmp_path / CODES_FILE).stat().st_mode & 0o077 == 0
    with Board(str(demo.database)) as board:
        assert board.head(ELECTION_ID).is_open
        election = board.load_election(ELECTION_ID)
    for code in codes:
        assert CredentialKey.derive(election.group, ELECTION_ID, code).public in (
            election.credentials
        )
    again = prepare_served_demo(tmp_path, 5)
    assert again.reused
    assert (tmp_path / CODES_FILE).read_text().splitlines() == codes


def test_a_demo_stopped_before_its_codes_is_made_anew(tmp_path: Path) -> None:
    (tmp_path / "board.sqlite").write_bytes(b"half a board")
    demo = prepare_served_demo(tmp_path, 2)
    assert not demo.reused and len(demo.codes.read_text().splitlines()) == 2


def test_codes_without_a_board_are_refused(tmp_path: Path) -> None:
    (tmp_path / CODES_FILE).write_text("x\n")
    with pytest.raises(InvalidInput, match="choose another --data"):
        prepare_served_demo(tmp_path, 2)


def test_the_command_says_what_is_missing(tmp_path: Path) -> None:
    assert "--demo needs --data DIR" in fails("serve", "--demo")
    assert "give --database URL" in fails("serve")
    loose = tmp_path / "key.json"
    loose.write_text("{}")
    loose.chmod(0o644)
    line = fails("serve", "--database", tmp_path / "b.sqlite", "--board-key", loose)
    assert "chmod 600" in line and "Traceback" not in line


def test_new_portal_key_prints_the_key_and_its_line(tmp_path: Path) -> None:
    out = ok("serve", "--new-portal-key", "city")
    key = out.split("keep it secret): ")[1].split()[0]
    line = out.split("--portal-keys file: ")[1].strip()
    [parsed] = parse_portal_keys(line, "keys")
    assert parsed.portal == "city" and parsed.digest == key_digest(key)
    assert "not a portal name" in fails("serve", "--new-portal-key", "a b")


def test_print_openapi_writes_the_kept_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    ok("serve", "--print-openapi", target)
    kept = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
    assert json.loads(target.read_text()) == json.loads(kept.read_text())


def test_close_and_tally_publishes_the_demo_s_result_and_runs_again(tmp_path: Path) -> None:
    demo = prepare_served_demo(tmp_path, 3)
    shares = tmp_path / SHARES_FILE
    assert shares.stat().st_mode & 0o077 == 0
    assert b"DEMO ONLY" in shares.read_bytes()
    out = ok("serve", "--demo", "--data", tmp_path, "--close-and-tally")
    assert "closed and tallied" in out and "0 ballot(s) counted" in out
    with Board(str(demo.database)) as board:
        assert board.head(ELECTION_ID).kind is EntryKind.RESULT
        result = published_result(board, ELECTION_ID)
    assert close_and_tally_served_demo(tmp_path) == result


def test_close_and_tally_says_what_is_missing(tmp_path: Path) -> None:
    assert "give --demo --data DIR" in fails("serve", "--close-and-tally")
    prepare_served_demo(tmp_path, 2)
    shares = tmp_path / SHARES_FILE
    kept = shares.read_bytes()
    shares.unlink()
    line = fails("serve", "--demo", "--data", tmp_path, "--close-and-tally")
    assert "made before its trustees' shares were kept" in line and "Traceback" not in line
    shares.write_bytes(kept.replace(b'"share":"', b'"share":"ff'))
    with pytest.raises(InvalidInput, match=r"shares\[0\]\.share"):
        close_and_tally_served_demo(tmp_path)
    with Board(str(tmp_path / "board.sqlite")) as board:
        assert board.head(ELECTION_ID).is_open  # refused before the close
