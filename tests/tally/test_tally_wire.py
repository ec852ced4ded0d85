"""Strict JSON of decryption shares and results: round trips and refusals."""

from __future__ import annotations

import json
import random

import pytest

from evote.errors import ContextMismatch, InvalidInput
from evote.tally import Turnout, aggregate, check_decryption_share, compute_result
from evote.tally.wire import (
    decryption_share_from_json,
    decryption_share_to_json,
    result_from_json,
    result_to_json,
)
from tests.tally.conftest import TallySetup
from tests.tally.test_tally import decrypt, decryption_shares, encrypt_plain, random_plain


def test_decryption_share_round_trip(setup: TallySetup) -> None:
    tally = aggregate(setup.election, [(encrypt_plain(setup, random_plain(random.Random(7))), 2)])
    share = decryption_shares(setup, tally, [2])[0]
    group = tally.group
    election_id = setup.election.election_id
    data = decryption_share_to_json(group, election_id, share)
    decoded = decryption_share_from_json(data, group, election_id)
    assert decoded == share
    check_decryption_share(
        group, decoded, setup.ceremony.verification_key(2), tally, setup.election.proof_context()
    )
    with pytest.raises(ContextMismatch):
        decryption_share_from_json(data, group, "another election")
    obj = json.loads(data)
    obj["factors"][0] = obj["factors"][0][:8]
    with pytest.raises(InvalidInput, match=r"factors\[0\]"):
        decryption_share_from_json(json.dumps(obj).encode(), group, election_id)
    obj = json.loads(data)
    obj["trustee"] = True
    with pytest.raises(InvalidInput, match=r"trustee"):
        decryption_share_from_json(json.dumps(obj).encode(), group, election_id)


def test_result_round_trip(setup: TallySetup) -> None:
    tally = aggregate(setup.election, [(encrypt_plain(setup, random_plain(random.Random(8))), 3)])
    counts = decrypt(setup, tally, decryption_shares(setup, tally, [1, 2, 3]))
    result = compute_result(setup.election.manifest, counts, Turnout(1, 3))
    data = result_to_json(result)
    assert result_from_json(data) == result
    obj = json.loads(data)
    obj["questions"][0]["extra"] = 1
    with pytest.raises(InvalidInput, match=r"questions\[0\].extra: unknown field"):
        result_from_json(json.dumps(obj).encode())
    obj = json.loads(data)
    obj["questions"][3]["spent"] = -5
    with pytest.raises(InvalidInput, match=r"spent"):
        result_from_json(json.dumps(obj).encode())
