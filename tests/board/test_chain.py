"""The hash chain and signed checkpoints, without a database."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from evote.board.chain import (
    BoardEntry,
    ChainHead,
    EntryKind,
    genesis_hash,
    link_hash,
    payload_hash,
    verify_chain,
)
from evote.board.checkpoint import (
    Checkpoint,
    check_checkpoint,
    check_extends,
    checkpoint_message,
    sign_checkpoint,
)
from evote.crypto.encoding import Value, encode
from evote.crypto.hashing import PROTOCOL, Purpose
from evote.errors import BoardIntegrityError, ContextMismatch, InvalidInput, InvalidSignature

KINDS = [EntryKind.SETUP, EntryKind.OPEN] + [EntryKind.BALLOT] * 6 + [EntryKind.CLOSE]


def build_chain(payloads: list[bytes], election_id: str = "e") -> tuple[bytes, list[BoardEntry]]:
    genesis = genesis_hash(election_id, b"\x01" * 32, "launch")
    entries = []
    previous = genesis
    for index, payload in enumerate(payloads, start=1):
        kind = KINDS[min(index - 1, len(KINDS) - 1)]
        digest = payload_hash(kind, payload)
        previous = link_hash(index, previous, digest)
        entries.append(BoardEntry(election_id, index, kind, payload, digest, previous))
    return genesis, entries


def test_hash_inputs_known_answer() -> None:
    expected = hashlib.sha512(
        encode(PROTOCOL, Purpose.BOARD_LINK.value, [3, b"\x00" * 32, b"\x11" * 32])
    ).digest()[:32]
    assert link_hash(3, b"\x00" * 32, b"\x11" * 32) == expected
    genesis = hashlib.sha512(
        encode(PROTOCOL, Purpose.BOARD_LINK.value, [0, "e", b"\x01" * 32, "launch"])
    ).digest()[:32]
    assert genesis_hash("e", b"\x01" * 32, "launch") == genesis
    assert (
        payload_hash(EntryKind.OPEN, b"x")
        == hashlib.sha512(encode(PROTOCOL, Purpose.BOARD_PAYLOAD.value, ["open", b"x"])).digest()[
            :32
        ]
    )


def test_genesis_binds_fingerprint_and_launch_code() -> None:
    base = genesis_hash("e", b"\x01" * 32, "launch")
    assert base != genesis_hash("e", b"\x02" * 32, "launch")
    assert base != genesis_hash("e", b"\x01" * 32, "launch2")
    assert base != genesis_hash("f", b"\x01" * 32, "launch")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=9))
def test_chain_verifies(payloads: list[bytes]) -> None:
    genesis, entries = build_chain(payloads)
    head = verify_chain(entries, genesis)
    assert head == ChainHead(len(payloads), entries[-1].chain_hash)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.binary(max_size=40), min_size=2, max_size=9),
    st.data(),
)
def test_any_mutation_breaks_the_chain(payloads: list[bytes], data: st.DataObject) -> None:
    genesis, entries = build_chain(payloads)
    index = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(
        st.sampled_from(["payload", "payload_hash", "chain_hash", "kind", "drop", "swap"])
    )
    mutated = list(entries)
    entry = entries[index]
    if field == "payload":
        mutated[index] = dataclasses.replace(entry, payload=entry.payload + b"!")
    elif field in ("payload_hash", "chain_hash"):
        value = bytearray(getattr(entry, field))
        value[0] ^= 1
        mutated[index] = dataclasses.replace(entry, **{field: bytes(value)})
    elif field == "kind":
        other = EntryKind.TALLY if entry.kind is not EntryKind.TALLY else EntryKind.RESULT
        mutated[index] = dataclasses.replace(entry, kind=other)
    elif field == "drop":
        del mutated[index]
        if index == len(entries) - 1:
            # Dropping the last entry leaves a valid shorter chain: the head is what changes
            # (which is why checkpoints exist).
            assert verify_chain(mutated, genesis).position == len(entries) - 1
            return
    else:
        other = (index + 1) % len(entries)
        mutated[index], mutated[other] = mutated[other], mutated[index]
    with pytest.raises(BoardIntegrityError):
        verify_chain(mutated, genesis)


def test_wrong_genesis_is_refused() -> None:
    _, entries = build_chain([b"a", b"b"])
    with pytest.raises(BoardIntegrityError, match="entry 1"):
        verify_chain(entries, genesis_hash("e", b"\x09" * 32, "launch"))


def test_checkpoint_signs_and_checks() -> None:
    key = SigningKey.generate()
    _, entries = build_chain([b"a", b"b", b"c"])
    checkpoint = sign_checkpoint(key, "e", ChainHead(3, entries[-1].chain_hash), timestamp=1000)
    check_checkpoint(checkpoint, bytes(key.verify_key))
    assert checkpoint.message() == checkpoint_message("e", 3, entries[-1].chain_hash, 1000)
    assert Checkpoint.from_json_obj(checkpoint.to_json_obj()) == checkpoint


@pytest.mark.parametrize(
    "change",
    [
        {"position": 2},
        {"chain_hash": b"\x00" * 32},
        {"timestamp": 1001},
        {"election_id": "other"},
        {"signature": b"\x00" * 64},
        {"signature": b"\x00" * 10},
    ],
)
def test_tampered_checkpoint_is_refused(change: dict[str, object]) -> None:
    key = SigningKey.generate()
    checkpoint = sign_checkpoint(key, "e", ChainHead(3, b"\x05" * 32), timestamp=1000)
    with pytest.raises(InvalidSignature):
        check_checkpoint(dataclasses.replace(checkpoint, **change), bytes(key.verify_key))  # type: ignore[arg-type]


def test_checkpoint_of_another_key_is_refused() -> None:
    checkpoint = sign_checkpoint(SigningKey.generate(), "e", ChainHead(1, b"\x05" * 32))
    with pytest.raises(InvalidSignature, match="another board key"):
        check_checkpoint(checkpoint, bytes(SigningKey.generate().verify_key))
    forged = dataclasses.replace(checkpoint, board_key=bytes(SigningKey.generate().verify_key))
    with pytest.raises(InvalidSignature):
        check_checkpoint(forged, forged.board_key)


def test_checkpoint_of_empty_board_is_refused() -> None:
    with pytest.raises(InvalidInput):
        sign_checkpoint(SigningKey.generate(), "e", ChainHead(0, b"\x05" * 32))


def test_checkpoint_json_is_strict() -> None:
    obj = sign_checkpoint(SigningKey.generate(), "e", ChainHead(1, b"\x05" * 32)).to_json_obj()
    with pytest.raises(InvalidInput, match="unknown field"):
        Checkpoint.from_json_obj({**obj, "extra": 1})
    with pytest.raises(InvalidInput, match="chain_hash"):
        Checkpoint.from_json_obj({**obj, "chain_hash": "AAAA"})


def test_extends() -> None:
    key = SigningKey.generate()
    _, entries = build_chain([bytes([i]) for i in range(8)])
    earlier = sign_checkpoint(key, "e", ChainHead(3, entries[2].chain_hash))
    later = sign_checkpoint(key, "e", ChainHead(7, entries[6].chain_hash))
    assert check_extends(earlier, entries).position == 8
    assert check_extends(earlier, entries[3:]).position == 8  # from the checkpoint on
    assert check_extends(earlier, entries, later).position == 8
    assert check_extends(earlier, entries[:3]).position == 3  # the board at the checkpoint itself


def test_extends_refuses_a_rewritten_board() -> None:
    key = SigningKey.generate()
    _, entries = build_chain([bytes([i]) for i in range(8)])
    _, forked = build_chain(
        [bytes([i]) for i in range(2)] + [b"forged"] + [bytes([i]) for i in range(3, 8)]
    )
    earlier = sign_checkpoint(key, "e", ChainHead(4, entries[3].chain_hash))
    with pytest.raises(BoardIntegrityError, match="does not extend"):
        check_extends(earlier, forked)
    with pytest.raises(BoardIntegrityError, match="ends before"):
        check_extends(earlier, entries[:2])
    with pytest.raises(BoardIntegrityError, match="jump"):
        check_extends(earlier, entries[5:])
    later_forked = sign_checkpoint(key, "e", ChainHead(6, forked[5].chain_hash))
    with pytest.raises(BoardIntegrityError, match="later checkpoint"):
        check_extends(
            sign_checkpoint(key, "e", ChainHead(1, entries[0].chain_hash)), entries, later_forked
        )
    beyond = sign_checkpoint(key, "e", ChainHead(20, entries[5].chain_hash))
    with pytest.raises(BoardIntegrityError, match="before the later"):
        check_extends(earlier, entries, beyond)
    with pytest.raises(BoardIntegrityError, match="before the earlier"):
        check_extends(
            earlier, entries, sign_checkpoint(key, "e", ChainHead(2, entries[1].chain_hash))
        )
    with pytest.raises(ContextMismatch):
        check_extends(
            earlier, entries, sign_checkpoint(key, "x", ChainHead(6, entries[5].chain_hash))
        )
    _, other = build_chain([bytes([i]) for i in range(8)], election_id="x")
    with pytest.raises(ContextMismatch):
        check_extends(earlier, other)


@settings(max_examples=60)
@given(
    kind=st.sampled_from(list(EntryKind)),
    payload=st.binary(max_size=3000),
    position=st.integers(min_value=0, max_value=2**70),
    previous=st.binary(min_size=31, max_size=33),
    payload_digest=st.binary(min_size=31, max_size=33),
)
def test_chain_hashes_are_the_generic_encoding(
    kind: EntryKind, payload: bytes, position: int, previous: bytes, payload_digest: bytes
) -> None:
    """The framed fast paths hash exactly what digest32 over the encoded values hashes."""

    def generic(purpose: Purpose, *items: Value) -> bytes:
        return hashlib.sha512(encode(PROTOCOL, purpose.value, list(items))).digest()[:32]

    assert payload_hash(kind, payload) == generic(Purpose.BOARD_PAYLOAD, kind.value, payload)
    assert link_hash(position, previous, payload_digest) == generic(
        Purpose.BOARD_LINK, position, previous, payload_digest
    )
