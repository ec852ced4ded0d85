"""The board key in the election (fingerprint, setup payload) and the board's signed receipts."""

from __future__ import annotations

import dataclasses
import json

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.board.board import Board
from evote.board.receipt import Receipt, check_receipt_signature, receipt_message
from evote.board.setup import SETUP_VERSION, SetupRecord, decode_setup
from evote.ceremony.wire import ceremony_result_to_json
from evote.crypto.hashing import Purpose, digest32
from evote.election import Election
from evote.errors import ContextMismatch, InvalidInput, InvalidRecord, InvalidSignature
from tests.board.helpers import BOARD_KEY, BoardElection, make_election

ELECTION = "board-test"
PUBLIC = bytes(BOARD_KEY.verify_key)


@pytest.fixture
def referendum() -> BoardElection:
    return make_election()


@pytest.fixture
def open_board(database_url: str, referendum: BoardElection) -> Board:
    board = Board(database_url, BOARD_KEY)
    board.setup(referendum.election, referendum.ceremony)
    board.open_election(ELECTION)
    return board


def _with_board_key(election: Election, key: bytes) -> Election:
    return Election(
        election.manifest,
        election.group,
        election.public_key,
        election.credentials,
        election.ceremony_digest,
        key,
    )


# -- the election ----------------------------------------------------------------------------


def test_the_fingerprint_binds_the_board_key(referendum: BoardElection) -> None:
    election = referendum.election
    other = _with_board_key(election, bytes(SigningKey.generate().verify_key))
    assert other.fingerprint != election.fingerprint
    assert election.fingerprint == digest32(
        Purpose.FINGERPRINT,
        election.group.name,
        election.manifest.digest(),
        election.public_key.element,
        election.ceremony_digest,
        election.credentials.digest(),
        PUBLIC,
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (PUBLIC[:31], "32 bytes"),
        (PUBLIC + b"\x00", "32 bytes"),
        (bytearray(PUBLIC), "32 bytes"),
        (bytes(32), "not a valid Ed25519 public key"),  # a small-order point
        (b"\x01" + bytes(31), "not a valid Ed25519 public key"),  # the identity
        (b"\xff" * 32, "not a valid Ed25519 public key"),  # not canonical
    ],
)
def test_a_bad_board_key_is_refused(referendum: BoardElection, key: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _with_board_key(referendum.election, key)


def test_the_setup_payload_carries_the_board_key(referendum: BoardElection) -> None:
    payload = SetupRecord(
        referendum.election, json.loads(ceremony_result_to_json(referendum.ceremony)), "launch"
    ).to_payload()
    obj = json.loads(payload)
    assert obj["version"] == SETUP_VERSION == 2
    assert obj["board_key"] == jsonstrict.b64encode(PUBLIC)
    assert decode_setup(payload).election.board_key == PUBLIC
    # Another key in the payload gives another fingerprint than the one recorded.
    obj["board_key"] = jsonstrict.b64encode(bytes(SigningKey.generate().verify_key))
    with pytest.raises(InvalidRecord, match="fingerprint"):
        decode_setup(jsonstrict.dumps(obj))
    del obj["board_key"]
    with pytest.raises(InvalidRecord, match="board_key"):
        decode_setup(jsonstrict.dumps(obj))
    obj["version"] = 1
    with pytest.raises(InvalidRecord, match="version 1 was written by an earlier evote"):
        decode_setup(jsonstrict.dumps(obj))


def test_setup_refuses_an_election_of_another_board_key(
    database_url: str, referendum: BoardElection
) -> None:
    foreign = _with_board_key(referendum.election, bytes(SigningKey.generate().verify_key))
    with Board(database_url, BOARD_KEY) as board:
        with pytest.raises(ContextMismatch, match="not this board's signing key"):
            board.setup(foreign, referendum.ceremony)
        assert board.election_ids() == []


# -- receipts --------------------------------------------------------------------------------


def test_cast_returns_a_receipt_signed_by_the_board_key(
    open_board: Board, referendum: BoardElection
) -> None:
    ballot = referendum.ballot(0)
    receipt = open_board.cast(ELECTION, ballot)
    check_receipt_signature(receipt, PUBLIC)
    assert receipt.message() == digest32(
        Purpose.BOARD_RECEIPT,
        ELECTION,
        receipt.position,
        receipt.chain_hash,
        receipt.tracking_code,
        receipt.ballot_hash,
    )
    assert receipt.message() == receipt_message(
        ELECTION, receipt.position, receipt.chain_hash, receipt.tracking_code, ballot.ballot_hash()
    )
    # The idempotent retry returns the same signed receipt.
    assert open_board.cast(ELECTION, ballot) == receipt
    with pytest.raises(InvalidSignature, match="not signed by this election's board key"):
        check_receipt_signature(receipt, bytes(SigningKey.generate().verify_key))
    open_board.dispose()


@pytest.mark.parametrize("field", ["election_id", "position", "tracking_code", "chain_hash",
                                   "ballot_hash", "signature"])  # fmt: skip
def test_a_tampered_receipt_fails(open_board: Board, referendum: BoardElection, field: str) -> None:
    receipt = open_board.cast(ELECTION, referendum.ballot(0))
    value = getattr(receipt, field)
    if isinstance(value, bytes):
        changed: object = bytes([value[0] ^ 1]) + value[1:]
    elif isinstance(value, int):
        changed = value + 1
    else:
        # A tracking code is random: its first symbol may already be the one put in its place.
        other = "Z" if value[0] != "Z" else "Y"
        changed = value + "X" if field == "election_id" else other + value[1:]
    tampered = dataclasses.replace(receipt, **{field: changed})
    with pytest.raises(InvalidSignature, match="not signed by this election's board key"):
        check_receipt_signature(tampered, PUBLIC)
    open_board.dispose()


def test_receipt_json_round_trip_is_strict(open_board: Board, referendum: BoardElection) -> None:
    receipt = open_board.cast(ELECTION, referendum.ballot(0))
    obj = receipt.to_json_obj()
    assert obj["kind"] == "board-receipt"
    assert Receipt.from_json_obj(json.loads(jsonstrict.dumps(obj))) == receipt
    for broken, message in (
        ({**obj, "extra": 1}, "extra"),
        ({k: v for k, v in obj.items() if k != "signature"}, "signature"),
        ({**obj, "position": True}, "position"),
        ({**obj, "signature": obj["signature"][:-4]}, "signature"),
        ({**obj, "kind": "checkpoint"}, "kind"),
        ({**obj, "version": 2}, "version"),
    ):
        with pytest.raises(InvalidInput, match=message):
            Receipt.from_json_obj(broken)
    open_board.dispose()


def test_casting_needs_the_signing_key(open_board: Board, database_url: str,
                                       referendum: BoardElection) -> None:  # fmt: skip
    with Board(database_url) as keyless, pytest.raises(InvalidInput, match="signing key"):
        keyless.cast(ELECTION, referendum.ballot(0))
    open_board.dispose()
