"""The ceremony as separate steps that exchange files, one trustee per machine.

Each trustee works in its own folder (``workdir``). A step reads the public files that the other
trustees produced at the previous step, writes its own public files under ``workdir/out/`` (to
be carried to the others) and returns their paths. Secrets (the transport private key, the
polynomial, finally the share) live only in ``workdir/key.json``, a passphrase-protected key
file (:mod:`evote.ceremony.keyfile`), rewritten at each step that changes them. Public progress
is in ``workdir/state.json``; a step run out of order raises :class:`CeremonyError` saying which
step comes next.

=========================  =====================================  ========================
step                       reads                                  writes (under out/)
=========================  =====================================  ========================
:func:`trustee_init`       nothing                                announce-<i>.json
:func:`trustee_commit`     every announce-*.json                  commit-<i>.json
:func:`trustee_reveal`     every commit-*.json                    commitments-<i>.json
:func:`trustee_send`       every commitments-*.json               share-<i>-to-<j>.json
:func:`trustee_receive`    the share-*-to-<i>.json files          complaints-<i>.json
:func:`trustee_answer`     every complaints-*.json                answer-<i>-to-<j>.json,
                           (the accused only)                     one per complaint
:func:`trustee_confirm`    every complaints-*.json and            confirm-<i>.json
                           answer-*.json
:func:`ceremony_finalize`  announce, commit, commitments,         the result file
                           complaints, answer, confirm files
                           (anyone may run it)
:func:`ceremony_judge`     announce, commit, commitments,         nothing: the verdicts
                           complaints, answer files
=========================  =====================================  ========================

The ``evote trustee`` commands (:mod:`evote.cli.trustee`) wrap these functions one to one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from evote import jsonstrict
from evote.ceremony import wire
from evote.ceremony.dkg import (
    Announcement,
    Answer,
    CeremonyResult,
    CeremonySetup,
    CommitmentHash,
    Complaint,
    TrusteeCommitments,
    TrusteeShare,
    Verdict,
    answer_complaint,
    ceremony_setup,
    check_commitment_hashes,
    check_commitments,
    check_parameters,
    commitment_hash,
    complete_share,
    compute_keys,
    compute_transcript_hash,
    confirm,
    draw_polynomial,
    finalize_ceremony,
    judge_complaints,
    make_commitments,
    order_complaints,
    raise_for_cheaters,
    receive_shares,
    seal_shares,
)
from evote.ceremony.keyfile import KdfStrength, read_key_file, write_atomically, write_key_file
from evote.ceremony.transport import TransportKeyPair
from evote.crypto.groups import Group, group_by_name
from evote.errors import CeremonyError, InvalidInput, InvalidKeyFile

KEY_FILE: Final = "key.json"
STATE_FILE: Final = "state.json"
SETUP_FILE: Final = "setup.json"
OWN_COMMITMENTS_FILE: Final = "own-commitments.json"
HASHES_FILE: Final = "commitment-hashes.json"
COMMITMENTS_FILE: Final = "commitments.json"
OUT_DIR: Final = "out"
MAX_INPUT_BYTES: Final = 16 * 1024 * 1024
_READ = jsonstrict.Reader(InvalidInput)

# The stages, in order; each step needs the stage before it.
ANNOUNCED: Final = "announced"
COMMITTED: Final = "committed"
REVEALED: Final = "revealed"
SENT: Final = "sent"
RECEIVED: Final = "received"
CONFIRMED: Final = "confirmed"
_NEXT_STEP: Final = {
    ANNOUNCED: "commit",
    COMMITTED: "reveal",
    REVEALED: "send shares",
    SENT: "receive shares",
    RECEIVED: "answer the complaints against it, if any, then confirm",
    CONFIRMED: "nothing (the trustee has confirmed; finalize the ceremony)",
}


# -- the trustee's folder ---------------------------------------------------------------------


class _Workdir:
    """A trustee's folder: its public state, its key file and its outbox."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.out = self.path / OUT_DIR

    def read_state(self) -> dict[str, Any]:
        state_path = self.path / STATE_FILE
        if not state_path.exists():
            raise CeremonyError(f"{self.path}: no trustee here (run the init step first)")
        where = str(state_path)
        obj = _READ.object(
            jsonstrict.loads(state_path.read_bytes(), where),
            where,
            ("group", "election_id", "index", "trustee_count", "threshold", "stage"),
        )
        return obj

    def require(self, stage: str, action: str) -> dict[str, Any]:
        state = self.read_state()
        if state["stage"] != stage:
            raise CeremonyError(
                f"trustee {state['index']}: cannot {action} now; it is at stage"
                f" {state['stage']!r} and its next step is {_NEXT_STEP.get(state['stage'], '?')}"
            )
        return state

    def write_state(self, state: dict[str, Any], stage: str) -> None:
        self.write(self.path / STATE_FILE, jsonstrict.dumps({**state, "stage": stage}))

    def write(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
        return path

    def setup(self) -> CeremonySetup:
        where = str(self.path / SETUP_FILE)
        return wire.setup_from_obj(
            jsonstrict.loads((self.path / SETUP_FILE).read_bytes(), where), where
        )


def _secret_payload(
    stage: str, transport: TransportKeyPair | None, coefficients: Sequence[int], share: int | None
) -> bytes:
    return jsonstrict.dumps(
        {
            "stage": stage,
            "transport": None
            if transport is None
            else jsonstrict.b64encode(transport.private_bytes()),
            "coefficients": [jsonstrict.b64encode(Group.scalar_to_bytes(a)) for a in coefficients],
            "share": None if share is None else jsonstrict.b64encode(Group.scalar_to_bytes(share)),
        }
    )


def _key_header(state: dict[str, Any], stage: str) -> dict[str, str | int]:
    return {
        "kind": "evote-trustee",
        "group": state["group"],
        "election_id": state["election_id"],
        "index": state["index"],
        "stage": stage,
    }


class _Secrets:
    """The opened key file; the secrets stay in this object, which has no repr of them."""

    __slots__ = ("coefficients", "share", "transport")

    def __init__(
        self, transport: TransportKeyPair | None, coefficients: list[int], share: int | None
    ) -> None:
        self.transport = transport
        self.coefficients = coefficients
        self.share = share

    def __repr__(self) -> str:
        return "_Secrets(<hidden>)"


def _open_secrets(
    key_path: Path, passphrase: str, group: Group, election_id: str, index: int, stage: str
) -> _Secrets:
    opened = read_key_file(key_path, passphrase)
    expected = {
        "kind": "evote-trustee",
        "group": group.name,
        "election_id": election_id,
        "index": index,
        "stage": stage,
    }
    if dict(opened.header) != expected:
        raise InvalidKeyFile(
            f"key file {key_path}: it is for {dict(opened.header)}, expected {expected}"
        )
    where = f"key file {key_path}"
    reader = jsonstrict.Reader(InvalidKeyFile)
    obj = reader.object(
        jsonstrict.loads(opened.secret, where, InvalidKeyFile),
        where,
        ("stage", "transport", "coefficients", "share"),
    )
    transport = None
    if obj["transport"] is not None:
        transport = TransportKeyPair(reader.b64(obj["transport"], f"{where}.transport", 32))
    coefficients = [
        group.scalar_from_bytes(reader.b64(a, f"{where}.coefficients[{k}]", 32))
        for k, a in enumerate(reader.array(obj["coefficients"], f"{where}.coefficients"))
    ]
    share = None
    if obj["share"] is not None:
        share = group.scalar_from_bytes(reader.b64(obj["share"], f"{where}.share", 32))
    return _Secrets(transport, coefficients, share)


def _read_inputs(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[str, bytes]]:
    inputs = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as error:
            raise InvalidInput(f"cannot read {path}: {error.strerror}") from error
        if len(data) > MAX_INPUT_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_INPUT_BYTES} bytes")
        inputs.append((str(path), data))
    return inputs


# -- step 1 -----------------------------------------------------------------------------------


def trustee_init(
    workdir: str | os.PathLike[str],
    group: Group,
    election_id: str,
    index: int,
    trustee_count: int,
    threshold: int,
    passphrase: str,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
) -> Path:
    """Create trustee ``index``'s folder and key file; return its announcement file."""
    folder = _Workdir(workdir)
    if (folder.path / STATE_FILE).exists() or (folder.path / KEY_FILE).exists():
        raise CeremonyError(f"{folder.path}: a trustee already lives here")
    check_parameters(trustee_count, threshold)
    if type(index) is not int or not 1 <= index <= trustee_count:
        raise CeremonyError(f"trustee {index!r}: index must be in [1, n = {trustee_count}]")
    if not isinstance(election_id, str) or not election_id:
        raise CeremonyError("ceremony: election_id must be a non-empty string")
    folder.path.mkdir(parents=True, exist_ok=True)
    state = {
        "group": group.name,
        "election_id": election_id,
        "index": index,
        "trustee_count": trustee_count,
        "threshold": threshold,
    }
    transport = TransportKeyPair.generate()
    write_key_file(
        folder.path / KEY_FILE,
        _secret_payload(ANNOUNCED, transport, [], None),
        passphrase,
        _key_header(state, ANNOUNCED),
        strength=strength,
    )
    announcement = wire.announcement_to_json(
        group, election_id, trustee_count, threshold, Announcement(index, transport.public)
    )
    path = folder.write(folder.out / f"announce-{index}.json", announcement)
    folder.write_state(state, ANNOUNCED)
    return path


# -- step 2 -----------------------------------------------------------------------------------


def _setup_from_announcements(
    files: Sequence[str | os.PathLike[str]],
    group: Group,
    election_id: str,
    trustee_count: int,
    threshold: int,
) -> CeremonySetup:
    announcements = []
    for where, data in _read_inputs(files):
        a_group, a_election, n, t, item = wire.announcement_from_json(data, where)
        if (a_group, a_election, n, t) != (group, election_id, trustee_count, threshold):
            raise CeremonyError(
                f"trustee {item.index}: announced ({a_group.name}, {a_election!r}, n = {n},"
                f" t = {t}), not ({group.name}, {election_id!r}, n = {trustee_count},"
                f" t = {threshold}) ({where})"
            )
        announcements.append(item)
    return ceremony_setup(group, election_id, trustee_count, threshold, announcements)


def trustee_commit(
    workdir: str | os.PathLike[str],
    announcement_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
) -> Path:
    """Fix the setup from every announcement, draw the polynomial, publish its hash only."""
    folder = _Workdir(workdir)
    state = folder.require(ANNOUNCED, "commit")
    group = group_by_name(state["group"])
    index = state["index"]
    setup = _setup_from_announcements(
        announcement_files,
        group,
        state["election_id"],
        state["trustee_count"],
        state["threshold"],
    )
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, group, state["election_id"], index, ANNOUNCED
    )
    if secrets_.transport is None or setup.transport_key(index) != secrets_.transport.public:
        raise CeremonyError(f"trustee {index}: the announcements hold another transport key")
    coefficients = draw_polynomial(setup)
    commitments = make_commitments(setup, index, coefficients)
    write_key_file(
        folder.path / KEY_FILE,
        _secret_payload(COMMITTED, secrets_.transport, coefficients, None),
        passphrase,
        _key_header(state, COMMITTED),
        strength=strength,
        overwrite=True,
    )
    folder.write(folder.path / SETUP_FILE, jsonstrict.dumps(wire.setup_to_obj(setup)))
    folder.write(folder.path / OWN_COMMITMENTS_FILE, wire.commitments_to_json(setup, commitments))
    path = folder.write(
        folder.out / f"commit-{index}.json",
        wire.commitment_hash_to_json(setup, commitment_hash(setup, commitments)),
    )
    folder.write_state(state, COMMITTED)
    return path


# -- step 3 -----------------------------------------------------------------------------------


def _hashes_obj(hashes: Sequence[CommitmentHash]) -> bytes:
    return jsonstrict.dumps(
        [{"index": h.index, "digest": jsonstrict.b64encode(h.digest)} for h in hashes]
    )


def _read_hashes(folder: _Workdir) -> list[CommitmentHash]:
    where = str(folder.path / HASHES_FILE)
    items = _READ.array(jsonstrict.loads((folder.path / HASHES_FILE).read_bytes(), where), where)
    result = []
    for i, value in enumerate(items):
        obj = _READ.object(value, f"{where}[{i}]", ("index", "digest"))
        result.append(
            CommitmentHash(
                _READ.integer(obj["index"], f"{where}[{i}].index"),
                _READ.b64(obj["digest"], f"{where}[{i}].digest", 32),
            )
        )
    return result


def trustee_reveal(
    workdir: str | os.PathLike[str], commit_files: Sequence[str | os.PathLike[str]]
) -> Path:
    """Reveal the commitments, once every trustee's commitment hash is in."""
    folder = _Workdir(workdir)
    state = folder.require(COMMITTED, "reveal")
    setup = folder.setup()
    index = state["index"]
    hashes = check_commitment_hashes(
        setup,
        [
            wire.commitment_hash_from_json(data, setup, where)
            for where, data in _read_inputs(commit_files)
        ],
    )
    own_where = str(folder.path / OWN_COMMITMENTS_FILE)
    own_data = (folder.path / OWN_COMMITMENTS_FILE).read_bytes()
    own = wire.commitments_from_json(own_data, setup, own_where)
    if hashes[index - 1] != commitment_hash(setup, own):
        raise CeremonyError(f"trustee {index}: the commitment hash given for it is not its own")
    folder.write(folder.path / HASHES_FILE, _hashes_obj(hashes))
    path = folder.write(folder.out / f"commitments-{index}.json", own_data)
    folder.write_state(state, REVEALED)
    return path


# -- step 4 -----------------------------------------------------------------------------------


def _read_commitments(
    setup: CeremonySetup, files: Sequence[str | os.PathLike[str]]
) -> list[TrusteeCommitments]:
    return [wire.commitments_from_json(data, setup, where) for where, data in _read_inputs(files)]


def trustee_send(
    workdir: str | os.PathLike[str],
    commitments_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
) -> list[Path]:
    """Check every reveal against its hash, then seal a share for every other trustee."""
    folder = _Workdir(workdir)
    state = folder.require(REVEALED, "send shares")
    setup = folder.setup()
    index = state["index"]
    revealed = check_commitments(
        setup, _read_hashes(folder), _read_commitments(setup, commitments_files)
    )
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, setup.group, setup.election_id, index, COMMITTED
    )
    if secrets_.transport is None:
        raise InvalidKeyFile(f"key file {folder.path / KEY_FILE}: no transport key")
    sealed = seal_shares(setup, index, secrets_.transport, secrets_.coefficients)
    folder.write(
        folder.path / COMMITMENTS_FILE,
        jsonstrict.dumps(
            [jsonstrict.loads(wire.commitments_to_json(setup, c), "c") for c in revealed]
        ),
    )
    paths = [
        folder.write(
            folder.out / f"share-{index}-to-{item.recipient}.json",
            wire.sealed_share_to_json(setup, item),
        )
        for item in sealed
    ]
    folder.write_state(state, SENT)
    return paths


# -- step 5 -----------------------------------------------------------------------------------


def _stored_commitments(folder: _Workdir, setup: CeremonySetup) -> tuple[TrusteeCommitments, ...]:
    where = str(folder.path / COMMITMENTS_FILE)
    items = _READ.array(
        jsonstrict.loads((folder.path / COMMITMENTS_FILE).read_bytes(), where), where
    )
    return check_commitments(
        setup,
        _read_hashes(folder),
        [
            wire.commitments_from_json(jsonstrict.dumps(item), setup, f"{where}[{i}]")
            for i, item in enumerate(items)
        ],
    )


def trustee_receive(
    workdir: str | os.PathLike[str],
    share_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
) -> tuple[Path, tuple[Complaint, ...]]:
    """Check the shares sent to this trustee; publish its complaints (possibly none).

    Share files addressed to other trustees are ignored, so the whole exchange folder may be
    passed. Writes ``out/complaints-<i>.json`` (signed complaints, one per bad or missing
    share) and returns it with the complaints. The key file keeps the polynomial (to answer
    complaints) and the sum of the good shares until :func:`trustee_confirm`.
    """
    folder = _Workdir(workdir)
    state = folder.require(SENT, "receive shares")
    setup = folder.setup()
    index = state["index"]
    revealed = _stored_commitments(folder, setup)
    sealed = [
        item
        for item in (
            wire.sealed_share_from_json(data, setup, where)
            for where, data in _read_inputs(share_files)
        )
        if item.recipient == index
    ]
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, setup.group, setup.election_id, index, COMMITTED
    )
    if secrets_.transport is None:
        raise InvalidKeyFile(f"key file {folder.path / KEY_FILE}: no transport key")
    received = receive_shares(
        setup, index, secrets_.transport, secrets_.coefficients, revealed, sealed
    )
    # The transport key is no longer needed: dropped.
    write_key_file(
        folder.path / KEY_FILE,
        _secret_payload(RECEIVED, None, secrets_.coefficients, received.partial),
        passphrase,
        _key_header(state, RECEIVED),
        strength=strength,
        overwrite=True,
    )
    path = folder.write(
        folder.out / f"complaints-{index}.json",
        wire.complaints_to_json(setup, index, received.complaints),
    )
    folder.write_state(state, RECEIVED)
    return path, received.complaints


# -- step 5a ----------------------------------------------------------------------------------


def _read_complaints(
    setup: CeremonySetup, files: Sequence[str | os.PathLike[str]], *, every_trustee: bool
) -> list[Complaint]:
    """The complaints in ``complaints-*.json`` files: one file per trustee at most (or exactly)."""
    seen: set[int] = set()
    complaints: list[Complaint] = []
    for where, data in _read_inputs(files):
        index, items = wire.complaints_from_json(data, setup, where)
        if index in seen:
            raise CeremonyError(f"trustee {index}: two complaints files ({where})")
        seen.add(index)
        complaints += items
    missing = [i for i in setup.indices if i not in seen]
    if every_trustee and missing:
        raise CeremonyError(
            f"trustee {missing[0]}: its complaints file is missing (not yet in: {missing});"
            " every trustee publishes one at the receive step, even with no complaint"
        )
    return complaints


def _read_answers(setup: CeremonySetup, files: Sequence[str | os.PathLike[str]]) -> list[Answer]:
    return [wire.answer_from_json(data, setup, where) for where, data in _read_inputs(files)]


def trustee_answer(
    workdir: str | os.PathLike[str],
    complaints_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
) -> list[Path]:
    """Answer every complaint against this trustee: publish the disputed share, signed.

    Writes ``out/answer-<i>-to-<j>.json`` per complaint of trustee j against it (none if no
    one complained about it). The share is public from then on; it is the one j should have
    received, which j knows anyway.
    """
    folder = _Workdir(workdir)
    state = folder.require(RECEIVED, "answer complaints")
    setup = folder.setup()
    index = state["index"]
    revealed = _stored_commitments(folder, setup)
    against = [
        c
        for c in _read_complaints(setup, complaints_files, every_trustee=False)
        if c.accused == index
    ]
    if not against:
        return []
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, setup.group, setup.election_id, index, RECEIVED
    )
    paths = []
    for complaint in against:
        answer = answer_complaint(setup, index, secrets_.coefficients, revealed, complaint)
        paths.append(
            folder.write(
                folder.out / f"answer-{index}-to-{complaint.accuser}.json",
                wire.answer_to_json(setup, answer),
            )
        )
    return paths


# -- step 6 -----------------------------------------------------------------------------------


def trustee_confirm(
    workdir: str | os.PathLike[str],
    complaints_files: Sequence[str | os.PathLike[str]],
    answer_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
    *,
    strength: KdfStrength = KdfStrength.MODERATE,
) -> tuple[Path, tuple[Verdict, ...]]:
    """Judge every complaint, complete the share, publish the confirmation.

    Needs every trustee's complaints file and every answer. An upheld complaint raises
    InvalidShare naming the accused (the ceremony stops); a dismissed one names the
    complainer, who takes the published share. Returns the confirmation and the verdicts.
    """
    folder = _Workdir(workdir)
    state = folder.require(RECEIVED, "confirm")
    setup = folder.setup()
    index = state["index"]
    revealed = _stored_commitments(folder, setup)
    complaints = _read_complaints(setup, complaints_files, every_trustee=True)
    answers = _read_answers(setup, answer_files)
    verdicts = judge_complaints(setup, revealed, complaints, answers)
    raise_for_cheaters(verdicts)
    ordered_complaints, ordered_answers = order_complaints(setup, revealed, complaints, answers)
    own_where = str(folder.out / f"complaints-{index}.json")
    _, own = wire.complaints_from_json(
        (folder.out / f"complaints-{index}.json").read_bytes(), setup, own_where
    )
    if any(complaint not in ordered_complaints for complaint in own):
        raise CeremonyError(
            f"trustee {index}: the complaints file given for it is not the one it wrote"
            f" ({own_where})"
        )
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, setup.group, setup.election_id, index, RECEIVED
    )
    if secrets_.share is None:
        raise InvalidKeyFile(f"key file {folder.path / KEY_FILE}: no partial share")
    joint, verification_keys = compute_keys(setup, revealed)
    value = complete_share(setup, secrets_.share, own, ordered_answers)
    if setup.group.base_exp_secret(value) != verification_keys[index - 1]:
        raise CeremonyError(f"trustee {index}: its share does not match its verification key")
    share = TrusteeShare(setup.group, index, value, verification_keys[index - 1])
    transcript_hash = compute_transcript_hash(
        setup,
        _read_hashes(folder),
        revealed,
        joint,
        verification_keys,
        ordered_complaints,
        ordered_answers,
    )
    # The final key file keeps the share alone: the polynomial is dropped.
    write_key_file(
        folder.path / KEY_FILE,
        _secret_payload(CONFIRMED, None, [], share.share),
        passphrase,
        _key_header(state, CONFIRMED),
        strength=strength,
        overwrite=True,
    )
    path = folder.write(
        folder.out / f"confirm-{index}.json",
        wire.confirmation_to_json(setup, transcript_hash, confirm(share, transcript_hash)),
    )
    folder.write_state(state, CONFIRMED)
    return path, verdicts


# -- step 7 -----------------------------------------------------------------------------------


def _public_setup(
    announcement_files: Sequence[str | os.PathLike[str]],
    commit_files: Sequence[str | os.PathLike[str]],
    commitments_files: Sequence[str | os.PathLike[str]],
) -> tuple[CeremonySetup, tuple[CommitmentHash, ...], tuple[TrusteeCommitments, ...]]:
    inputs = _read_inputs(announcement_files)
    if not inputs:
        raise CeremonyError("ceremony: no announcement files")
    group, election_id, n, t, _ = wire.announcement_from_json(inputs[0][1], inputs[0][0])
    setup = _setup_from_announcements(announcement_files, group, election_id, n, t)
    hashes = check_commitment_hashes(
        setup,
        [
            wire.commitment_hash_from_json(data, setup, where)
            for where, data in _read_inputs(commit_files)
        ],
    )
    revealed = check_commitments(setup, hashes, _read_commitments(setup, commitments_files))
    return setup, hashes, revealed


def ceremony_judge(
    announcement_files: Sequence[str | os.PathLike[str]],
    commit_files: Sequence[str | os.PathLike[str]],
    commitments_files: Sequence[str | os.PathLike[str]],
    complaints_files: Sequence[str | os.PathLike[str]],
    answer_files: Sequence[str | os.PathLike[str]],
) -> tuple[Verdict, ...]:
    """The verdict on every complaint, from the public files alone (no secret needed).

    An unanswered complaint raises CeremonyError naming the accused who must answer.
    """
    setup, _, revealed = _public_setup(announcement_files, commit_files, commitments_files)
    return judge_complaints(
        setup,
        revealed,
        _read_complaints(setup, complaints_files, every_trustee=False),
        _read_answers(setup, answer_files),
    )


def ceremony_finalize(
    result_path: str | os.PathLike[str],
    announcement_files: Sequence[str | os.PathLike[str]],
    commit_files: Sequence[str | os.PathLike[str]],
    commitments_files: Sequence[str | os.PathLike[str]],
    confirmation_files: Sequence[str | os.PathLike[str]],
    complaints_files: Sequence[str | os.PathLike[str]] = (),
    answer_files: Sequence[str | os.PathLike[str]] = (),
) -> CeremonyResult:
    """Check every public file, judge the complaints, write the ceremony result (no secret)."""
    setup, hashes, revealed = _public_setup(announcement_files, commit_files, commitments_files)
    complaints = _read_complaints(setup, complaints_files, every_trustee=False)
    answers = _read_answers(setup, answer_files)
    raise_for_cheaters(judge_complaints(setup, revealed, complaints, answers))
    ordered_complaints, ordered_answers = order_complaints(setup, revealed, complaints, answers)
    confirmed = [
        wire.confirmation_from_json(data, setup, where)
        for where, data in _read_inputs(confirmation_files)
    ]
    joint, verification_keys = compute_keys(setup, revealed)
    transcript_hash = compute_transcript_hash(
        setup, hashes, revealed, joint, verification_keys, ordered_complaints, ordered_answers
    )
    for stated_hash, confirmation in confirmed:
        if stated_hash != transcript_hash:
            raise CeremonyError(
                f"trustee {confirmation.index}: confirmed another transcript hash (a complaints"
                " or answer file is missing here, or the trustee saw other ones)"
            )
    result = finalize_ceremony(
        setup,
        hashes,
        revealed,
        complaints,
        [confirmation for _, confirmation in confirmed],
        answers,
    )
    target = Path(result_path)
    if os.path.lexists(target):
        raise CeremonyError(f"{target}: a ceremony result is already there")
    write_atomically(target, wire.ceremony_result_to_json(result))
    return result


# -- key files for the tally ------------------------------------------------------------------


def read_share_key_file(
    path: str | os.PathLike[str], passphrase: str, result: CeremonyResult, index: int
) -> TrusteeShare:
    """Trustee ``index``'s share from its key file, checked against its verification key.

    A wrong passphrase or a changed file raises InvalidKeyFile; a share that does not match
    the ceremony result (another trustee's or another election's file) raises CeremonyError.
    """
    setup = result.setup
    verification_key = result.verification_key(index)
    opened = _open_secrets(Path(path), passphrase, setup.group, setup.election_id, index, CONFIRMED)
    if opened.share is None:
        raise InvalidKeyFile(f"key file {path}: holds no share")
    if setup.group.base_exp_secret(opened.share) != verification_key:
        raise CeremonyError(
            f"trustee {index}: the share in {path} does not match its verification key"
        )
    return TrusteeShare(setup.group, index, opened.share, verification_key)
