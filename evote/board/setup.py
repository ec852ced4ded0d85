"""The setup event: what the board's first entry says about the election (docs/spec.md 10.3).

The payload is canonical JSON (:func:`evote.jsonstrict.dumps`) of an object with exactly the
fields ``version`` (2), ``election_id``, ``manifest`` (the manifest's JSON object), ``group``,
``public_key``, ``ceremony_digest``, ``credentials`` (the public credential list's JSON object),
``board_key`` (the board's Ed25519 public key, which the fingerprint binds),
``trustees`` (the trustees' public data: an opaque JSON value given by the caller, which the
ceremony package reads), ``fingerprint`` and ``launch_code``; binary values in canonical
base64. Decoding rebuilds the :class:`~evote.election.Election` and checks that its fingerprint
is the one recorded, so a setup entry cannot describe one election and claim another's
fingerprint.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Final

from evote import canonical, jsonstrict
from evote.ballots.credentials import MAX_JSON_BYTES, CredentialList
from evote.ballots.manifest import manifest_from_json_obj
from evote.crypto.elgamal import PublicKey
from evote.crypto.groups import group_by_name
from evote.election import BOARD_KEY_BYTES, Election
from evote.errors import InvalidInput, InvalidRecord

#: 2 since the board key is part of the election (version 1 had no ``board_key``).
SETUP_VERSION: Final = 2
LAUNCH_CODE_BYTES: Final = 16
MAX_LAUNCH_CODE_LENGTH: Final = 200
# A setup holds the whole credential list: ~70 bytes a voter on ed25519, ~700 on modp4096.
MAX_SETUP_BYTES: Final = MAX_JSON_BYTES
_FIELDS: Final = (
    "version",
    "election_id",
    "manifest",
    "group",
    "public_key",
    "ceremony_digest",
    "credentials",
    "board_key",
    "trustees",
    "fingerprint",
    "launch_code",
)


def new_launch_code() -> str:
    """A fresh random launch code (128 bits from :mod:`secrets`, hex)."""
    return secrets.token_hex(LAUNCH_CODE_BYTES)


@dataclass(frozen=True, slots=True)
class SetupRecord:
    """The content of a setup entry."""

    election: Election
    trustees: Any
    launch_code: str

    def __post_init__(self) -> None:
        if not isinstance(self.launch_code, str) or not (
            0 < len(self.launch_code) <= MAX_LAUNCH_CODE_LENGTH
        ):
            raise InvalidInput(
                f"launch code: expected 1 to {MAX_LAUNCH_CODE_LENGTH} characters of text"
            )
        # Refused now rather than at the first reader: the payload must be canonical JSON.
        jsonstrict.dumps(self.trustees)

    def to_payload(self) -> bytes:
        election = self.election
        return jsonstrict.dumps(
            {
                "version": SETUP_VERSION,
                "election_id": election.election_id,
                "manifest": election.manifest.to_json_obj(),
                "group": election.group.name,
                "public_key": jsonstrict.b64encode(election.public_key.element.to_bytes()),
                "ceremony_digest": jsonstrict.b64encode(election.ceremony_digest),
                "credentials": election.credentials.to_json_obj(),
                "board_key": jsonstrict.b64encode(election.board_key),
                "trustees": self.trustees,
                "fingerprint": jsonstrict.b64encode(election.fingerprint),
                "launch_code": self.launch_code,
            }
        )


def split_credential_list(payload: bytes) -> tuple[bytes, bytes] | None:
    """(the payload with an empty entries list, the credential list's JSON), or None.

    A million entries parsed as a JSON tree take ~600 MB; cut out of the canonical payload,
    they are read by :meth:`CredentialList.from_json` at the cost of their bytes. The
    cut is made only where the canonical form puts the list: no quote can appear unescaped in
    a string and the entries hold only base64 and integers, so the list ends at the first
    ``],"group":"`` after it, and the group name (letters and digits) at the next ``"}``.
    Anything else returns None and is read whole.
    """
    return canonical.split_setup_credentials(payload)


def decode_setup(payload: bytes, where: str = "setup") -> SetupRecord:
    """Strictly decode a setup payload and rebuild the election (InvalidRecord on faults)."""
    read = jsonstrict.Reader(InvalidRecord)
    split = split_credential_list(payload)
    try:
        outer = payload if split is None else split[0]
        value = jsonstrict.loads(outer, where, InvalidRecord, max_size=MAX_SETUP_BYTES)
    except InvalidRecord:
        if split is None:
            raise
        # Named as a strict read of the whole payload names it (its line and column).
        split = None
        value = jsonstrict.loads(payload, where, InvalidRecord, max_size=MAX_SETUP_BYTES)
    if isinstance(value, dict) and value.get("version") == 1:
        read.fail(
            f"{where}.version",
            "setup payload version 1 was written by an earlier evote (no board key in the"
            f" election); this evote reads version {SETUP_VERSION} only",
        )
    fields = read.object(value, where, _FIELDS)
    read.integer(fields["version"], f"{where}.version", SETUP_VERSION, SETUP_VERSION)
    try:
        group = group_by_name(read.string(fields["group"], f"{where}.group"))
        manifest = manifest_from_json_obj(fields["manifest"])
        public_key = PublicKey(
            group, group.decode(read.b64(fields["public_key"], f"{where}.public_key"), "public_key")
        )
        credentials = (
            CredentialList.from_json_obj(group, fields["credentials"], f"{where}.credentials")
            if split is None
            else CredentialList.from_json(group, split[1], f"{where}.credentials")
        )
        election = Election(
            manifest=manifest,
            group=group,
            public_key=public_key,
            credentials=credentials,
            ceremony_digest=read.b64(fields["ceremony_digest"], f"{where}.ceremony_digest", 32),
            board_key=read.b64(fields["board_key"], f"{where}.board_key", BOARD_KEY_BYTES),
        )
    except InvalidRecord:
        raise
    except InvalidInput as fault:
        raise InvalidRecord(f"{where}: {fault}") from fault
    election_id = read.string(fields["election_id"], f"{where}.election_id")
    if election_id != election.election_id:
        read.fail(f"{where}.election_id", f"{election_id!r} differs from the manifest's")
    fingerprint = read.b64(fields["fingerprint"], f"{where}.fingerprint", 32)
    if not hmac.compare_digest(fingerprint, election.fingerprint):
        read.fail(f"{where}.fingerprint", "differs from the fingerprint of the election described")
    return SetupRecord(
        election=election,
        trustees=fields["trustees"],
        launch_code=read.string(
            fields["launch_code"], f"{where}.launch_code", MAX_LAUNCH_CODE_LENGTH
        ),
    )
