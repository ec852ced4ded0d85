"""One honest small election per group, exported once per module; tools to tamper with a copy.

The election: 3 trustees (threshold 2), 4 voters, a referendum with blank and a participatory
budget; one voter revotes, one ballot is spoiled (Benaloh audit); trustees 1 and 3 decrypt.
Each test gets its own copy of the exported record directory. Tampering keeps the record
*consistent* (payload hashes, chain hashes, checkpoint signatures by the board's key, file
hashes), as a corrupt board operator would: only the content the verifier judges is wrong.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from evote import jsonstrict
from evote.ballots.audit import spoil_ballot
from evote.ballots.credentials import CredentialKey, Registrar
from evote.ballots.encrypted import encrypt_ballot, encrypt_ballot_for_audit
from evote.ballots.plaintext import PlaintextBallot
from evote.ballots.signature import sign_with_key, signature_to_json_obj
from evote.board.board import Board
from evote.board.chain import ChainHead, EntryKind, genesis_hash, link_hash, payload_hash
from evote.board.checkpoint import sign_checkpoint
from evote.ceremony.dkg import run_ceremony
from evote.cli.demo import demo_manifest, random_choices
from evote.crypto.groups import Group, all_groups, group_by_name
from evote.election import Election
from evote.record.export import export_record, reseal_record
from evote.record.load import load_record
from evote.record.strict import document_bytes
from evote.tally import aggregate, compute_decryption_share, compute_result, decrypt_counts
from evote.tally.result import turnout_of
from evote.tallying import publish_result, publish_tally

ELECTION_ID = "metropolis-2027"


@dataclass(frozen=True)
class BuiltRecord:
    path: Path
    board_key: SigningKey
    group: Group
    codes: dict[str, str]  # tracking code -> "counted" / "superseded" / "spoiled"
    voters: tuple[str, ...] = ()  # credential codes; ballot i < len(voters) is voter i's


def build_record(group: Group, out: Path, voters: int = 4, seed: int = 7) -> BuiltRecord:
    rng = random.Random(seed)
    ceremony, trustees = run_ceremony(group, ELECTION_ID, 3, 2)
    registration = Registrar.generate(group, ELECTION_ID, [f"v{i}" for i in range(voters)])
    key = SigningKey.generate()
    election = Election(
        demo_manifest(group), group, ceremony.public_key, registration.credential_list,
        ceremony.transcript_hash, bytes(key.verify_key),
    )  # fmt: skip
    codes: dict[str, str] = {}
    credential_codes = list(registration.codes.values())
    with Board(str(out.parent / f"{out.name}.sqlite"), key) as board:
        board.setup(election, ceremony)
        board.open_election(ELECTION_ID)
        first_of_revoter = None
        for index, code in enumerate(credential_codes):
            plaintext = PlaintextBallot.from_selection(election.manifest, random_choices(rng))
            receipt = board.cast(ELECTION_ID, encrypt_ballot(election, code, plaintext))
            codes[receipt.tracking_code] = "counted"
            if index == 0:
                first_of_revoter = receipt.tracking_code
        spoiled, secrets = encrypt_ballot_for_audit(
            election, credential_codes[1],
            PlaintextBallot.from_selection(election.manifest, random_choices(rng)),
        )  # fmt: skip
        board.spoil(ELECTION_ID, spoiled, spoil_ballot(spoiled, secrets))
        codes[spoiled.tracking_code] = "spoiled"
        plaintext = PlaintextBallot.from_selection(election.manifest, random_choices(rng))
        receipt = board.cast(ELECTION_ID, encrypt_ballot(election, credential_codes[0], plaintext))
        codes[receipt.tracking_code] = "counted"
        if first_of_revoter is not None:
            codes[first_of_revoter] = "superseded"
        board.close_election(ELECTION_ID)
        tally = aggregate(election, board.counted_ballots(ELECTION_ID))
        context = election.proof_context()
        shares = []
        for trustee in (trustees[0], trustees[2]):
            own = trustee.share()
            shares.append(compute_decryption_share(
                group, own.share, own.index, own.verification_key, tally, context
            ))  # fmt: skip
        counts, combined = decrypt_counts(
            election.manifest, tally, shares, 2, ceremony.verification_key_map(), context
        )
        publish_tally(board, election, ceremony, tally, shares, combined)
        result = compute_result(election.manifest, counts, turnout_of(tally))
        publish_result(board, election, result)
        export_record(board, ELECTION_ID, out)
    return BuiltRecord(out, key, group, codes, tuple(credential_codes))


@pytest.fixture(scope="module", params=[group.name for group in all_groups()])
def honest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    group = group_by_name(request.param)
    return build_record(group, tmp_path_factory.mktemp(f"honest-{group.name}") / "record")


@pytest.fixture
def record_copy(honest: BuiltRecord, tmp_path: Path) -> BuiltRecord:
    target = tmp_path / "record"
    shutil.copytree(honest.path, target)
    return BuiltRecord(
        target, honest.board_key, honest.group, dict(honest.codes), honest.voters
    )


# -- tampering --------------------------------------------------------------------------------


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "board.jsonl").read_bytes().splitlines()]


def payload_of(line: dict[str, Any]) -> bytes:
    return base64.b64decode(line["payload"], validate=True)


def _b64(data: bytes) -> str:
    return jsonstrict.b64encode(data)


def rewrite_board(
    built: BuiltRecord,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    rechain: bool = True,
    resign: bool = True,
) -> None:
    """Apply ``edit`` to the decoded board lines, then make the record consistent again.

    Payload and chain hashes are recomputed from the genesis (``rechain``), the checkpoints
    re-signed with the board's key at the same positions (``resign``), tally.json and
    result.json rewritten from their board events, and record.json resealed.
    """
    path = built.path
    record = load_record(path)
    lines = edit(read_lines(path))
    if rechain:
        previous = genesis_hash(record.election_id, record.election.fingerprint, record.launch_code)
        for position, line in enumerate(lines, 1):
            line["position"] = position
            digest = payload_hash(EntryKind(line["kind"]), payload_of(line))
            previous = link_hash(position, previous, digest)
            line["payload_hash"] = _b64(digest)
            line["chain_hash"] = _b64(previous)
    (path / "board.jsonl").write_bytes(b"".join(jsonstrict.dumps(line) + b"\n" for line in lines))
    if resign:
        checkpoints = json.loads((path / "checkpoints.json").read_bytes())
        timestamps = [item["timestamp"] for item in checkpoints["checkpoints"]]
        events = [line for line in lines if line["kind"] in ("open", "close")]
        checkpoints["checkpoints"] = [
            sign_checkpoint(
                built.board_key, record.election_id,
                ChainHead(line["position"], base64.b64decode(line["chain_hash"])),
                timestamps[min(index, len(timestamps) - 1)],
            ).to_json_obj()
            for index, line in enumerate(events)
        ]  # fmt: skip
        (path / "checkpoints.json").write_bytes(document_bytes(checkpoints))
    for line in lines:
        if line["kind"] in ("tally", "result"):
            body = json.loads(payload_of(line))["body"]
            (path / f"{line['kind']}.json").write_bytes(document_bytes(body))
    reseal_record(path)


def edit_event(
    built: BuiltRecord, kind: str, change: Callable[[Any], None]
) -> None:
    """Change the body of the (last) ``kind`` event in place, keeping the record consistent."""

    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        line = [item for item in lines if item["kind"] == kind][-1]
        event = json.loads(payload_of(line))
        change(event["body"])
        line["payload"] = _b64(jsonstrict.dumps(event))
        return lines

    rewrite_board(built, edit)


def ballot_lines(lines: list[dict[str, Any]], kind: str = "ballot") -> list[dict[str, Any]]:
    return [line for line in lines if line["kind"] == kind]


def resign_ballot(built: BuiltRecord, voter: int, ballot: dict[str, Any]) -> None:
    """Sign ``ballot`` (JSON object) again with voter ``voter``'s credential, in place."""
    key = CredentialKey.derive(built.group, ELECTION_ID, built.voters[voter])
    unsigned = {name: value for name, value in ballot.items() if name != "s"}
    fingerprint = base64.b64decode(ballot["f"])
    signature = sign_with_key(key, fingerprint, jsonstrict.dumps(unsigned))
    ballot["s"] = [signature_to_json_obj(signature)]
