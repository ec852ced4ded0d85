"""The setup payload's credential list, cut out of the canonical form and read without a tree."""

from __future__ import annotations

import json

import pytest

from evote.board.setup import SetupRecord, decode_setup, split_credential_list
from evote.errors import InvalidRecord
from tests.board.helpers import make_election


def payload_of(voters: int) -> tuple[SetupRecord, bytes]:
    record = SetupRecord(make_election(voters).election, {"trustees": "opaque"}, "launch")
    return record, record.to_payload()


def test_canonical_payload_is_split_at_the_credential_list() -> None:
    record, payload = payload_of(5)
    split = split_credential_list(payload)
    assert split is not None
    outer, listed = split
    assert json.loads(outer)["credentials"]["entries"] == []
    assert json.loads(listed) == json.loads(payload)["credentials"]
    assert decode_setup(payload).election == record.election


def test_non_canonical_payload_is_read_whole_with_the_same_result() -> None:
    record, payload = payload_of(3)
    spaced = json.dumps(json.loads(payload), indent=1).encode()
    assert split_credential_list(spaced) is None
    assert decode_setup(spaced).election.fingerprint == record.election.fingerprint


def test_a_tampered_entry_in_the_cut_list_is_still_refused() -> None:
    _, payload = payload_of(3)
    entries = json.loads(payload)["credentials"]["entries"]
    first = entries[0]["public"].encode()
    forged = payload.replace(first, first[:-3] + (b"AAA" if first[-3:] != b"AAA" else b"BBB"), 1)
    with pytest.raises(InvalidRecord):
        decode_setup(forged)


def test_a_setup_larger_than_the_json_default_is_accepted() -> None:
    # 16 MiB is the strict reader's default: the payload of ~240,000 voters on ed25519. The
    # setup's limit follows the credential list's (256 MiB); opaque trustee data stands in for
    # the size here.
    election = make_election(2).election
    bulky = {"padding": "x" * (17 * 2**20)}
    payload = SetupRecord(election, bulky, "launch").to_payload()
    assert len(payload) > 16 * 2**20
    assert decode_setup(payload).trustees == bulky
