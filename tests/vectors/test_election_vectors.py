"""Known-answer tests: recompute every value of tests/vectors/election-*.json from its inputs.

The files and the golden records next to them are written by
tests/vectors/gen_election_vectors.py. Each test reads a value's inputs from the file, remakes
the value through the library (randomised proofs replay the scalars the file lists under
``draws``) and compares byte for byte; a failure means the code no longer implements
docs/spec.md as recorded. The golden records must pass ``evote verify --complete``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.audit import audited_ballot_from_json, check_audit
from evote.ballots.credentials import CredentialEntry, CredentialKey, CredentialList
from evote.ballots.encrypted import (
    QuestionSecrets,
    _encrypt_ballot_with_nonces,
    check_ballot,
    ciphertext_marks,
    decode_ballot,
    tracking_code,
)
from evote.ballots.manifest import manifest_from_json
from evote.ballots.plaintext import PlaintextBallot
from evote.board.chain import EntryKind, genesis_hash, link_hash, payload_hash
from evote.board.checkpoint import Checkpoint, check_checkpoint, checkpoint_message
from evote.board.receipt import Receipt, check_receipt_signature, receipt_message
from evote.ceremony.dkg import Announcement, ceremony_setup, check_ceremony_result
from evote.ceremony.transport import TransportKeyPair
from evote.ceremony.wire import ceremony_result_from_json, ceremony_result_to_json
from evote.cli import main
from evote.crypto.groups import Group, group_by_name
from evote.crypto.shamir import evaluate_polynomial
from evote.election import Election
from evote.errors import InvalidBallot, InvalidProof, InvalidSignature
from evote.record import load_record
from evote.record.publish import encrypted_tally_from_json_obj
from evote.tally import check_decryption_share, compute_decryption_share
from evote.tally.wire import decryption_share_from_json, decryption_share_to_json
from tests.vectors import gen_election_vectors as gen

GROUPS = ("ed25519", "modp4096")
VECTORS: dict[str, dict[str, Any]] = {
    name: json.loads(gen.vectors_path(group_by_name(name)).read_text("utf-8")) for name in GROUPS
}


@pytest.fixture(params=GROUPS)
def name(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def _scalar(hex_text: str) -> int:
    if len(hex_text) != 64:
        raise AssertionError(f"scalar {hex_text!r} is not 32 bytes")
    return int(hex_text, 16)


@contextmanager
def replayed_scalars(group: Group, draws: Sequence[str]) -> Iterator[None]:
    """``group.random_scalar`` returns the file's ``draws`` in order, and nothing more."""
    queue = [_scalar(value) for value in draws]

    def next_scalar() -> int:
        if not queue:
            raise AssertionError("the library drew more scalars than the vector lists")
        return queue.pop(0)

    group.random_scalar = next_scalar  # type: ignore[method-assign]
    try:
        with gen.pinned_hedged_nonces(next_scalar):
            yield
    finally:
        del group.random_scalar
    if queue:
        raise AssertionError(f"the library drew {len(queue)} scalars fewer than the vector lists")


def _election(vectors: dict[str, Any], manifest_json: str | None = None) -> Election:
    """The election rebuilt from the file's manifest (or ``manifest_json``), ceremony result and
    credential list."""
    group = group_by_name(vectors["group"])
    manifest = manifest_from_json((manifest_json or vectors["manifest"]["json"]).encode())
    ceremony = ceremony_result_from_json(vectors["ceremony"]["result"].encode())
    credentials = CredentialList.from_json_obj(
        group, jsonstrict.loads(vectors["credentials"]["json"].encode(), "vector")
    )
    return gen.build_election(group, manifest, ceremony, credentials)


def test_header(name: str) -> None:
    assert VECTORS[name]["format"] == gen.FORMAT
    assert VECTORS[name]["group"] == name
    assert VECTORS[name]["record"] == f"record-{name}"


def test_manifest(name: str) -> None:
    vector = VECTORS[name]["manifest"]
    manifest = manifest_from_json(vector["json"].encode())
    assert manifest.canonical_bytes() == vector["json"].encode()
    assert manifest.digest().hex() == vector["digest"]
    assert {question.kind.value for question in manifest.questions} == {
        "single",
        "approval",
        "score",
        "budget",
    }


def test_credential_list(name: str) -> None:
    group = group_by_name(name)
    vector = VECTORS[name]["credentials"]
    listed = CredentialList(
        group,
        tuple(
            CredentialEntry(CredentialKey.derive(group, vector["election_id"], code).public, 1)
            for code in vector["codes"]
        ),
    )
    assert jsonstrict.dumps(listed.to_json_obj()).decode() == vector["json"]
    assert listed.digest().hex() == vector["digest"]


def test_ceremony_context(name: str) -> None:
    group = group_by_name(name)
    vector = VECTORS[name]["ceremony"]
    pairs = [TransportKeyPair(bytes.fromhex(key)) for key in vector["transport_private_keys"]]
    assert [pair.public.hex() for pair in pairs] == vector["transport_public_keys"]
    setup = ceremony_setup(
        group,
        vector["election_id"],
        vector["trustees"],
        vector["threshold"],
        [Announcement(i, pair.public) for i, pair in enumerate(pairs, 1)],
    )
    assert setup.context.hex() == vector["context"]


def test_ceremony_transcript(name: str) -> None:
    """The published result re-checks (H_T recomputed from its messages) and has H_T."""
    group = group_by_name(name)
    vector = VECTORS[name]["ceremony"]
    result = ceremony_result_from_json(vector["result"].encode())
    check_ceremony_result(result)
    assert result.transcript_hash.hex() == vector["transcript_hash"]
    assert result.joint_key.to_bytes().hex() == vector["joint_key"]
    assert [key.to_bytes().hex() for key in result.verification_keys] == vector["verification_keys"]
    polynomials = [[_scalar(a) for a in coefficients] for coefficients in vector["polynomials"]]
    for j, share in enumerate(vector["secret_shares"], 1):
        expected = sum(evaluate_polynomial(f, j, group.order) for f in polynomials) % group.order
        assert _scalar(share) == expected
        assert group.base_exp(expected) == result.verification_key(j)


def test_ceremony_rerun_gives_the_same_bytes(name: str) -> None:
    group = group_by_name(name)
    vector = VECTORS[name]["ceremony"]
    keys = [bytes.fromhex(key) for key in vector["transport_private_keys"]]
    polynomials = [[_scalar(a) for a in coefficients] for coefficients in vector["polynomials"]]
    with replayed_scalars(group, vector["draws"]):
        result, shares = gen.ceremony_from_parts(group, keys, polynomials)
    assert ceremony_result_to_json(result).decode() == vector["result"]
    assert [gen.scalar_hex(share.share) for share in shares] == vector["secret_shares"]


def test_fingerprint(name: str) -> None:
    vectors = VECTORS[name]
    vector = vectors["fingerprint"]
    election = _election(vectors)
    assert vector["group"] == election.group.name == name
    assert election.manifest.digest().hex() == vector["manifest_digest"]
    assert election.public_key.element.to_bytes().hex() == vector["public_key"]
    assert election.ceremony_digest.hex() == vector["ceremony_digest"]
    assert election.credentials.digest().hex() == vector["credential_list_digest"]
    assert election.board_key.hex() == vector["board_key"]
    assert election.fingerprint.hex() == vector["fingerprint"]


def test_receipt(name: str) -> None:
    """The board's signed receipt of the first cast ballot (spec 10.5), byte for byte."""
    vector = VECTORS[name]["receipt"]
    receipt = Receipt.from_json_obj(jsonstrict.loads(vector["json"].encode(), "receipt"))
    expected = receipt_message(
        vector["election_id"], vector["position"], bytes.fromhex(vector["chain_hash"]),
        vector["tracking_code"], bytes.fromhex(vector["ballot_hash"]),
    )  # fmt: skip
    assert receipt.message() == expected == bytes.fromhex(vector["message"])
    key = SigningKey(bytes.fromhex(vector["board_seed"]))
    # Ed25519 is deterministic (RFC 8032): the signature is a known answer too.
    assert key.sign(expected).signature == bytes.fromhex(vector["signature"])
    check_receipt_signature(receipt, bytes(key.verify_key))
    codes = [ballot["tracking_code"] for ballot in VECTORS[name]["ballots"]]
    assert receipt.tracking_code in codes


def test_chain(name: str) -> None:
    vector = VECTORS[name]["chain"]
    genesis = vector["genesis"]
    h0 = genesis_hash(
        genesis["election_id"], bytes.fromhex(genesis["fingerprint"]), genesis["launch_code"]
    )
    assert h0.hex() == genesis["h0"]
    assert genesis["fingerprint"] == VECTORS[name]["fingerprint"]["fingerprint"]
    links = vector["links"]
    assert [link["kind"] for link in links] == ["setup", "open", "ballot", "close"]
    assert (links[0]["position"], links[0]["previous_chain_hash"]) == (1, genesis["h0"])
    assert links[1]["previous_chain_hash"] == links[0]["chain_hash"]
    for link in links:
        p = payload_hash(EntryKind(link["kind"]), link["payload"].encode())
        assert p.hex() == link["payload_hash"]
        h = link_hash(link["position"], bytes.fromhex(link["previous_chain_hash"]), p)
        assert h.hex() == link["chain_hash"]


def test_chain_ballot_link_holds_the_first_ballot(name: str) -> None:
    ballot_link = VECTORS[name]["chain"]["links"][2]
    assert ballot_link["payload"] == VECTORS[name]["ballots"][0]["canonical"]


def test_checkpoints(name: str) -> None:
    for vector in VECTORS[name]["checkpoints"]:
        message = checkpoint_message(
            vector["election_id"],
            vector["position"],
            bytes.fromhex(vector["chain_hash"]),
            vector["timestamp"],
        )
        assert message.hex() == vector["message"]
        key = SigningKey(bytes.fromhex(vector["board_seed"]))
        assert bytes(key.verify_key).hex() == vector["board_key"]
        assert key.sign(message).signature.hex() == vector["signature"]
        checkpoint = Checkpoint.from_json_obj(jsonstrict.loads(vector["json"].encode(), "vector"))
        assert checkpoint.message() == message
        check_checkpoint(checkpoint, bytes.fromhex(vector["board_key"]))


def test_a_checkpoint_with_another_timestamp_is_refused() -> None:
    vector = VECTORS["ed25519"]["checkpoints"][0]
    obj = jsonstrict.loads(vector["json"].encode(), "vector")
    obj["timestamp"] += 1
    with pytest.raises(InvalidSignature, match="Ed25519 signature does not verify"):
        check_checkpoint(Checkpoint.from_json_obj(obj), bytes.fromhex(vector["board_key"]))


def _nonces(vector: dict[str, Any]) -> tuple[QuestionSecrets, ...]:
    return tuple(
        QuestionSecrets(
            tuple(_scalar(nonce) for nonce in question["options"]),
            None if question["blank"] is None else _scalar(question["blank"]),
        )
        for question in vector["nonces"]
    )


def test_ballots_are_remade_byte_for_byte(name: str) -> None:
    vectors = VECTORS[name]
    election = _election(vectors)
    assert [vector["label"] for vector in vectors["ballots"]] == list(gen.VECTOR_BALLOTS)
    for vector in vectors["ballots"]:
        _remake_ballot(election, vector)


def _remake_ballot(election: Election, vector: dict[str, Any]) -> None:
    plaintext = PlaintextBallot.from_selection(election.manifest, vector["selection"])
    assert [
        {"values": list(answer.values), "blank": answer.blank} for answer in plaintext.answers
    ] == vector["plaintext"]
    with replayed_scalars(election.group, vector["draws"]):
        ballot, _ = _encrypt_ballot_with_nonces(
            election, vector["code"], plaintext, _nonces(vector)
        )
    assert ballot.signed_bytes().decode() == vector["signed_bytes"]
    assert ballot.canonical_bytes().decode() == vector["canonical"]
    assert ballot.ballot_hash().hex() == vector["ballot_hash"]
    assert ballot.tracking_code == vector["tracking_code"]


def test_mixnet_ballots_are_remade_and_check(name: str) -> None:
    # Another manifest of the same election: the referendum, a grades and a ranking question.
    vectors = VECTORS[name]
    part = vectors["mixnet_ballots"]
    manifest = manifest_from_json(part["manifest"]["json"].encode())
    assert manifest.canonical_bytes().decode() == part["manifest"]["json"]
    assert manifest.digest().hex() == part["manifest"]["digest"]
    assert [question.kind.value for question in manifest.questions] == [
        "single",
        "grades",
        "ranking",
    ]
    election = _election(vectors, part["manifest"]["json"])
    assert election.fingerprint.hex() == part["fingerprint"]
    assert [vector["label"] for vector in part["ballots"]] == [
        label for label, _, _ in gen.MIXNET_BALLOTS
    ]
    for vector in part["ballots"]:
        _remake_ballot(election, vector)
        check_ballot(election, decode_ballot(election, vector["canonical"].encode()))
    # Grades best first as G - 1 - p; ranks 1, 2, ... and 0 for an option left out (spec 6.2).
    assert [answer["values"] for answer in part["ballots"][0]["plaintext"]] == [
        [1, 0],
        [2, 0, 3],
        [2, 0, 1],
    ]


def test_ballots_decode_and_check(name: str) -> None:
    vectors = VECTORS[name]
    election = _election(vectors)
    for vector in vectors["ballots"]:
        ballot = decode_ballot(election, vector["canonical"].encode())
        check_ballot(election, ballot)
        # The signed bytes are the canonical JSON of the ballot without "s" (spec 6.5).
        unsigned = jsonstrict.loads(vector["canonical"].encode(), "vector")
        del unsigned["s"]
        assert jsonstrict.dumps(unsigned).decode() == vector["signed_bytes"]
        assert tracking_code(bytes.fromhex(vector["ballot_hash"])) == vector["tracking_code"]


def test_blank_ballot_is_blank_where_allowed() -> None:
    blank = next(b for b in VECTORS["ed25519"]["ballots"] if b["label"] == "voter-2")
    assert [answer["blank"] for answer in blank["plaintext"]] == [True, True, False, False]


def test_audit_and_ciphertext_marks(name: str) -> None:
    vectors = VECTORS[name]
    election = _election(vectors)
    vector = vectors["audit"]
    spoiled = next(b for b in vectors["ballots"] if b["label"] == vector["label"])
    ballot = decode_ballot(election, spoiled["canonical"].encode())
    audited = audited_ballot_from_json(vector["json"].encode())
    assert audited.to_json().decode() == vector["json"]
    check_audit(election, ballot, audited)
    assert audited.ballot_hash.hex() == spoiled["ballot_hash"]
    assert gen.marker_json(ciphertext_marks(ballot)) == vector["ciphertext_marks"]


def test_an_audit_that_reveals_another_choice_is_refused() -> None:
    vectors = VECTORS["ed25519"]
    election = _election(vectors)
    vector = vectors["audit"]
    spoiled = next(b for b in vectors["ballots"] if b["label"] == vector["label"])
    ballot = decode_ballot(election, spoiled["canonical"].encode())
    obj = jsonstrict.loads(vector["json"].encode(), "vector")
    obj["q"][0]["x"] = [1 - value for value in obj["q"][0]["x"]]
    with pytest.raises(InvalidBallot, match="question 'referendum', option 0"):
        check_audit(election, ballot, audited_ballot_from_json(jsonstrict.dumps(obj)))


def test_decryption_share(name: str) -> None:
    vectors = VECTORS[name]
    election = _election(vectors)
    group = election.group
    vector = vectors["decryption_share"]
    trustee = vector["trustee"]
    secret = _scalar(vector["secret_share"])
    assert vector["secret_share"] == vectors["ceremony"]["secret_shares"][trustee - 1]
    key = group.decode(bytes.fromhex(vector["verification_key"]))
    assert group.base_exp(secret) == key
    assert vector["fingerprint"] == election.fingerprint.hex()
    tally = encrypted_tally_from_json_obj(
        jsonstrict.loads(vector["tally"].encode(), "vector"), election
    )
    context = election.proof_context()
    with replayed_scalars(group, vector["draws"]):
        share = compute_decryption_share(group, secret, trustee, key, tally, context)
    assert decryption_share_to_json(group, election.election_id, share).decode() == vector["json"]
    check_decryption_share(group, share, key, tally, context)


def test_a_decryption_share_checked_against_another_key_is_refused() -> None:
    vectors = VECTORS["ed25519"]
    election = _election(vectors)
    group = election.group
    vector = vectors["decryption_share"]
    tally = encrypted_tally_from_json_obj(
        jsonstrict.loads(vector["tally"].encode(), "vector"), election
    )
    share = decryption_share_from_json(vector["json"].encode(), group, election.election_id)
    other = ceremony_result_from_json(vectors["ceremony"]["result"].encode()).verification_key(2)
    with pytest.raises(InvalidProof, match="trustee 1"):
        check_decryption_share(group, share, other, tally, election.proof_context())


def test_golden_record_verifies_complete(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = gen.record_path(group_by_name(name))
    assert main(["verify", "--complete", str(path)]) == 0
    assert "record verified" in capsys.readouterr().out
    record = load_record(path)
    assert record.election.fingerprint.hex() == VECTORS[name]["fingerprint"]["fingerprint"]


def test_golden_record_holds_the_vectors_values(name: str) -> None:
    """The record is the vector file's election: same chain, checkpoints, ballots and share."""
    vectors = VECTORS[name]
    record = load_record(gen.record_path(group_by_name(name)))
    assert record.launch_code == vectors["chain"]["genesis"]["launch_code"]
    assert record.board_key.hex() == vectors["checkpoints"][0]["board_key"]
    assert record.ceremony.transcript_hash.hex() == vectors["ceremony"]["transcript_hash"]
    entries = {entry.position: entry for entry in record.entries()}
    for link in vectors["chain"]["links"]:
        entry = entries[link["position"]]
        assert (entry.kind.value, entry.payload.decode()) == (link["kind"], link["payload"])
        assert entry.chain_hash.hex() == link["chain_hash"]
    assert [jsonstrict.dumps(c.to_json_obj()).decode() for c in record.checkpoints] == [
        vector["json"] for vector in vectors["checkpoints"]
    ]
    cast = {payload.decode() for _, payload in record.ballot_lines()}
    assert {b["canonical"] for b in vectors["ballots"] if b["label"] != gen.AUDITED} <= cast
    (spoiled,) = [e for e in entries.values() if e.kind is EntryKind.SPOILED]
    audit = jsonstrict.loads(vectors["audit"]["json"].encode(), "vector")
    assert jsonstrict.loads(spoiled.payload, "board")["audit"] == audit
    share = vectors["decryption_share"]
    published = next(s for s in record.shares if s.trustee == share["trustee"])
    group = record.election.group
    assert decryption_share_to_json(group, record.election_id, published).decode() == share["json"]


def test_golden_record_with_another_result_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "record"
    shutil.copytree(gen.record_path(group_by_name("ed25519")), path)
    result = json.loads((path / "result.json").read_text("utf-8"))
    result["questions"][0]["counts"][0][1] += 1
    (path / "result.json").write_bytes(jsonstrict.dumps(result))
    # The record's index pins every file's size and hash: read and wrong, step 11.0 (exit 1).
    assert main(["verify", "--complete", str(path)]) == 1
    output = capsys.readouterr()
    assert "11.0" in output.out
    assert "result.json" in output.out + output.err


def test_generator_is_deterministic(tmp_path: Path) -> None:
    """A second run writes the committed files again, byte for byte."""
    gen.write_vectors(tmp_path)
    for group in (group_by_name(name) for name in GROUPS):
        written = gen.vectors_path(group, tmp_path).read_bytes()
        assert written == gen.vectors_path(group).read_bytes(), f"{group.name} vectors differ"
        fresh, kept = gen.record_path(group, tmp_path), gen.record_path(group)
        names = sorted(p.name for p in kept.iterdir())
        assert sorted(p.name for p in fresh.iterdir()) == names
        for file_name in names:
            assert (fresh / file_name).read_bytes() == (kept / file_name).read_bytes(), file_name
