"""The canonical fast paths (evote.canonical) and the strict readers agree.

On random documents in canonical form and on random mutations of them (a byte replaced,
inserted or deleted), each reader gives the same answer, or the same error with the same
message, whether its fast path runs or is switched off (the strict reader alone): a board.jsonl
line, a credential list, a setup payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evote import canonical, jsonstrict
from evote.ballots import credentials as credentials_module
from evote.ballots.credentials import CredentialList
from evote.board import setup as board_setup
from evote.board.chain import EntryKind
from evote.board.setup import SetupRecord, decode_setup
from evote.crypto.groups import ED25519
from evote.errors import EvoteError
from evote.record import jsonl
from tests.board.helpers import make_election

#: Bytes a mutation puts in: JSON's punctuation, digits, base64 letters and padding, a space.
MUTATION_BYTES = b'"{}[],:0123456789AQZaz+/= \\x'


def _mutated(data: bytes, mutation: tuple[str, int, int]) -> bytes:
    action, where, byte = mutation
    if action == "none" or not data:
        return data
    index = where % len(data)
    new = MUTATION_BYTES[byte % len(MUTATION_BYTES) : byte % len(MUTATION_BYTES) + 1]
    if action == "replace":
        return data[:index] + new + data[index + 1 :]
    if action == "insert":
        return data[:index] + new + data[index:]
    return data[:index] + data[index + 1 :]


mutations = st.tuples(
    st.sampled_from(["none", "none", "replace", "insert", "delete"]),
    st.integers(0, 2**20),
    st.integers(0, 255),
)


def _outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", read()
    except EvoteError as fault:
        return type(fault).__name__, str(fault)


@settings(max_examples=150, deadline=None)
@given(
    position=st.integers(1, 10**6),
    kind=st.sampled_from(list(EntryKind)),
    payload=st.binary(max_size=40),
    payload_hash=st.binary(min_size=32, max_size=32),
    chain_hash=st.binary(min_size=32, max_size=32),
    mutation=mutations,
)
def test_a_board_line_reads_the_same_fast_or_strict(
    position: int,
    kind: EntryKind,
    payload: bytes,
    payload_hash: bytes,
    chain_hash: bytes,
    mutation: tuple[str, int, int],
) -> None:
    line = jsonstrict.dumps(
        {
            "position": position,
            "kind": kind.value,
            "payload": jsonstrict.b64encode(payload),
            "payload_hash": jsonstrict.b64encode(payload_hash),
            "chain_hash": jsonstrict.b64encode(chain_hash),
        }
    )
    raw = _mutated(line, mutation) + b"\n"
    fast = _outcome(lambda: jsonl.parse_line(raw, position, "e"))
    strict_path = jsonl._parse_canonical_line
    try:
        jsonl._parse_canonical_line = lambda *args: None  # type: ignore[assignment]
        strict = _outcome(lambda: jsonl.parse_line(raw, position, "e"))
    finally:
        jsonl._parse_canonical_line = strict_path  # type: ignore[assignment]
    assert fast == strict
    if mutation[0] == "none":
        assert fast[0] == "ok"
        assert canonical.board_line_fields(raw, 32) is not None


def _credential_json(secrets_: list[int], weights: list[int]) -> bytes:
    encodings = sorted({(ED25519.generator**k).to_bytes() for k in secrets_})
    return jsonstrict.dumps(
        {
            "entries": [
                {"public": jsonstrict.b64encode(encoding), "weight": weight}
                for encoding, weight in zip(encodings, weights, strict=False)
            ],
            "group": ED25519.name,
        }
    )


def _list_outcome(data: bytes) -> tuple[str, Any]:
    def read() -> Any:
        listed = CredentialList.from_json(ED25519, data)
        return len(listed), listed.digest()

    return _outcome(read)


@settings(max_examples=60, deadline=None)
@given(
    secrets_=st.lists(st.integers(1, 2**64), min_size=1, max_size=4, unique=True),
    weights=st.lists(st.integers(1, 2**32 + 1), min_size=4, max_size=4),
    mutation=mutations,
)
def test_a_credential_list_reads_the_same_fast_or_strict(
    secrets_: list[int], weights: list[int], mutation: tuple[str, int, int]
) -> None:
    data = _mutated(_credential_json(secrets_, weights), mutation)
    fast = _list_outcome(data)
    strict_path = credentials_module._scan_canonical_entries
    try:
        credentials_module._scan_canonical_entries = lambda *args: None  # type: ignore[assignment]
        strict = _list_outcome(data)
    finally:
        credentials_module._scan_canonical_entries = strict_path  # type: ignore[assignment]
    assert fast == strict


@pytest.fixture(scope="module")
def setup_payload() -> bytes:
    record = SetupRecord(make_election(3).election, {"trustees": "opaque"}, "launch")
    return record.to_payload()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutation=mutations, near_the_list=st.booleans())
def test_a_setup_payload_reads_the_same_fast_or_strict(
    setup_payload: bytes, mutation: tuple[str, int, int], near_the_list: bool
) -> None:
    if near_the_list:
        # Most mutations should hit the cut and the credential list, the fast path's part.
        start = setup_payload.index(b'"credentials"')
        action, where, byte = mutation
        mutation = (action, start + where % 400, byte)
    data = _mutated(setup_payload, mutation)

    def read() -> Any:
        return decode_setup(data).election.fingerprint

    fast = _outcome(read)
    strict_path = board_setup.split_credential_list
    try:
        board_setup.split_credential_list = lambda payload: None
        strict = _outcome(read)
    finally:
        board_setup.split_credential_list = strict_path
    assert fast == strict
    if mutation[0] == "none":
        assert fast[0] == "ok"
        assert canonical.split_setup_credentials(data) is not None
