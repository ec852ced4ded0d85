"""The ceremony as separate steps that exchange files, one trustee per machine.

Each trustee works in its own folder (``workdir``). A step reads the public files that the other
trustees produced at the previous step, writes its own public files under ``workdir/out/`` (to
be carried to the others) and returns their paths. Secrets (the transport private key, the
polynomial, finally the share) live only in ``workdir/key.json``, a passphrase-protected key
file (:mod:`evote.ceremony.keyfile`), rewritten at each step that changes them. Public progress
is in ``workdir/state.json``; the stages and the steps between them are
:mod:`evote.ceremony.stages`', and a step run out of order raises :class:`CeremonyError` saying
which step comes next. A step writes its files in one transaction (``pending.json``, see
:class:`_Workdir`), so that a crash between two of its writes never strands the trustee.

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
:func:`trustee_write_mix`  (the CLI reads the board and the        mix-<k>.json
                           previous mixes, docs/spec.md 14)
=========================  =====================================  ========================

The ``evote trustee`` commands (:mod:`evote.cli.trustee`) wrap these functions one to one.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from evote import jsonstrict
from evote.ceremony import keyfile, stages, wire
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
from evote.ceremony.keyfile import KdfParams, KdfStrength, read_key_file, seal_secret
from evote.ceremony.stages import Stage
from evote.ceremony.transport import TransportKeyPair
from evote.crypto.groups import Group, group_by_name
from evote.errors import CeremonyError, InvalidInput, InvalidKeyFile

KEY_FILE: Final = "key.json"
STATE_FILE: Final = "state.json"
PENDING_FILE: Final = "pending.json"
SETUP_FILE: Final = "setup.json"
OWN_COMMITMENTS_FILE: Final = "own-commitments.json"
HASHES_FILE: Final = "commitment-hashes.json"
COMMITMENTS_FILE: Final = "commitments.json"
OUT_DIR: Final = "out"
MAX_INPUT_BYTES: Final = 16 * 1024 * 1024
_READ = jsonstrict.Reader(InvalidInput)

# The stages, in order (the table is evote.ceremony.stages'); the values state.json holds.
ANNOUNCED: Final = Stage.ANNOUNCED
COMMITTED: Final = Stage.COMMITTED
REVEALED: Final = Stage.REVEALED
SENT: Final = Stage.SENT
RECEIVED: Final = Stage.RECEIVED
CONFIRMED: Final = Stage.CONFIRMED


# -- the trustee's folder ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrusteeState:
    """A trustee's public state (``state.json``): who it is, in which ceremony, how far."""

    group: str
    election_id: str
    index: int
    trustee_count: int
    threshold: int
    stage: Stage

    def to_json(self) -> bytes:
        return jsonstrict.dumps(
            {
                "group": self.group,
                "election_id": self.election_id,
                "index": self.index,
                "trustee_count": self.trustee_count,
                "threshold": self.threshold,
                "stage": self.stage.value,
            }
        )

    @classmethod
    def from_json(cls, data: bytes, where: str) -> TrusteeState:
        obj = _READ.object(
            jsonstrict.loads(data, where),
            where,
            ("group", "election_id", "index", "trustee_count", "threshold", "stage"),
        )
        return cls(
            _READ.string(obj["group"], f"{where}.group"),
            _READ.string(obj["election_id"], f"{where}.election_id"),
            _READ.integer(obj["index"], f"{where}.index"),
            _READ.integer(obj["trustee_count"], f"{where}.trustee_count"),
            _READ.integer(obj["threshold"], f"{where}.threshold"),
            stages.stage_from_text(obj["stage"], f"{where}.stage"),
        )


@dataclass(frozen=True)
class Completed:
    """A step found stopped halfway and finished: which one, and the public files it wrote."""

    step: stages.Step
    outputs: tuple[Path, ...]


class _Workdir:
    """A trustee's folder: its public state, its key file and its outbox.

    A step changes the folder in one transaction, written ahead: every file the step writes
    (the key file, the public state, the outbox) goes first into ``pending.json``, written
    whole or not at all; then each file is written; then ``pending.json`` is removed. A step
    stopped before ``pending.json`` exists changed nothing; one stopped after it is finished
    by :func:`complete_pending`, which every step runs first. So the key file and
    ``state.json`` never disagree, whatever the moment of a crash.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.out = self.path / OUT_DIR

    def read_state(self) -> TrusteeState:
        complete_pending(self.path)
        state_path = self.path / STATE_FILE
        if not state_path.exists():
            raise CeremonyError(f"{self.path}: no trustee here (run '{stages.INIT.command}' first)")
        return TrusteeState.from_json(state_path.read_bytes(), str(state_path))

    def require(self, step: stages.Step) -> TrusteeState:
        state = self.read_state()
        stages.require(state.index, state.stage, step)
        return state

    def apply(self, step: stages.Step, state: TrusteeState, writes: Sequence[_Write]) -> None:
        """Write ``writes`` and the state after ``step`` as one transaction (see the class)."""
        after = replace(state, stage=step.gives)
        journal = {
            "step": step.name,
            "writes": [
                {"path": name, "data": jsonstrict.b64encode(data)}
                for name, data in (*writes, (STATE_FILE, after.to_json()))
            ],
        }
        self.path.mkdir(parents=True, exist_ok=True)
        keyfile.write_atomically(self.path / PENDING_FILE, jsonstrict.dumps(journal))
        _replay(self.path)

    def setup(self) -> CeremonySetup:
        where = str(self.path / SETUP_FILE)
        return wire.setup_from_json_obj(
            jsonstrict.loads((self.path / SETUP_FILE).read_bytes(), where), where
        )


# One file a step writes: its path in the trustee's folder ("key.json", "out/commit-1.json").
_Write = tuple[str, bytes]


def _read_journal(folder: Path) -> tuple[stages.Step, list[_Write]]:
    where = str(folder / PENDING_FILE)
    obj = _READ.object(
        jsonstrict.loads((folder / PENDING_FILE).read_bytes(), where), where, ("step", "writes")
    )
    step = stages.STEPS_BY_NAME.get(obj["step"])
    if step is None:
        raise CeremonyError(f"{where}.step: unknown step {obj['step']!r}")
    writes: list[_Write] = []
    for k, item in enumerate(_READ.array(obj["writes"], f"{where}.writes")):
        entry = _READ.object(item, f"{where}.writes[{k}]", ("path", "data"))
        name = _READ.string(entry["path"], f"{where}.writes[{k}].path")
        parts = Path(name).parts
        # The folder's own files only: nothing absolute, nothing above it.
        if not parts or Path(name).is_absolute() or ".." in parts or len(parts) > 2:
            raise CeremonyError(f"{where}.writes[{k}].path: {name!r} is not in the folder")
        writes.append((name, _READ.b64(entry["data"], f"{where}.writes[{k}].data")))
    return step, writes


def _replay(folder: Path) -> tuple[stages.Step, list[_Write]]:
    step, writes = _read_journal(folder)
    for name, data in writes:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        keyfile.write_atomically(target, data)
    (folder / PENDING_FILE).unlink()
    keyfile.fsync_directory(folder)
    return step, writes


def complete_pending(workdir: str | os.PathLike[str]) -> Completed | None:
    """Finish a step stopped after it wrote ``pending.json``; None when there is none.

    Run first by every step (and by the ``evote trustee`` commands, which say what they
    found): the files the stopped step decided on are written, exactly as it would have.
    """
    folder = Path(workdir)
    if not (folder / PENDING_FILE).exists():
        return None
    step, writes = _replay(folder)
    outputs = tuple(folder / name for name, _ in writes if Path(name).parts[0] == OUT_DIR)
    return Completed(step, outputs)


def check_step(workdir: str | os.PathLike[str], step: stages.Step) -> TrusteeState:
    """The trustee's state, if it may take ``step`` now; CeremonyError naming the next step."""
    return _Workdir(workdir).require(step)


def _secret_payload(
    stage: Stage, transport: TransportKeyPair | None, coefficients: Sequence[int], share: int | None
) -> bytes:
    return jsonstrict.dumps(
        {
            "stage": stage.value,
            "transport": None
            if transport is None
            else jsonstrict.b64encode(transport.private_bytes()),
            "coefficients": [jsonstrict.b64encode(Group.scalar_to_bytes(a)) for a in coefficients],
            "share": None if share is None else jsonstrict.b64encode(Group.scalar_to_bytes(share)),
        }
    )


def _key_header(state: TrusteeState, stage: Stage) -> dict[str, str | int]:
    return {
        "kind": "evote-trustee",
        "group": state.group,
        "election_id": state.election_id,
        "index": state.index,
        "stage": stage.value,
    }


def _strength_of(kdf: KdfParams) -> KdfStrength:
    """The Argon2id preset a key file was sealed with, kept when the file is rewritten."""
    for strength in KdfStrength:
        if (strength.params.passes, strength.params.memory_kib) == (kdf.passes, kdf.memory_kib):
            return strength
    return KdfStrength.MODERATE


def _sealed_key(
    state: TrusteeState,
    step: stages.Step,
    secrets_: _Secrets,
    passphrase: str,
    strength: KdfStrength | None,
    *,
    transport: TransportKeyPair | None,
    coefficients: Sequence[int],
    share: int | None,
) -> _Write:
    """The key file after ``step``: the secrets kept, sealed with the same Argon2id cost."""
    return (
        KEY_FILE,
        seal_secret(
            _secret_payload(step.gives, transport, coefficients, share),
            passphrase,
            _key_header(state, step.gives),
            strength=secrets_.strength if strength is None else strength,
        ),
    )


class _Secrets:
    """The opened key file; the secrets stay in this object, which has no repr of them."""

    __slots__ = ("coefficients", "share", "strength", "transport")

    def __init__(
        self,
        transport: TransportKeyPair | None,
        coefficients: list[int],
        share: int | None,
        strength: KdfStrength,
    ) -> None:
        self.transport = transport
        self.coefficients = coefficients
        self.share = share
        self.strength = strength

    def __repr__(self) -> str:
        return "_Secrets(<hidden>)"


def _open_secrets(
    key_path: Path, passphrase: str, group: Group, election_id: str, index: int, stage: Stage
) -> _Secrets:
    opened = read_key_file(key_path, passphrase)
    expected = {
        "kind": "evote-trustee",
        "group": group.name,
        "election_id": election_id,
        "index": index,
        "stage": stage.value,
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
    return _Secrets(transport, coefficients, share, _strength_of(opened.kdf))


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
    complete_pending(folder.path)
    if (folder.path / STATE_FILE).exists() or (folder.path / KEY_FILE).exists():
        raise CeremonyError(f"{folder.path}: a trustee already lives here")
    check_parameters(trustee_count, threshold)
    if type(index) is not int or not 1 <= index <= trustee_count:
        raise CeremonyError(f"trustee {index!r}: index must be in [1, n = {trustee_count}]")
    if not isinstance(election_id, str) or not election_id:
        raise CeremonyError("ceremony: election_id must be a non-empty string")
    state = TrusteeState(group.name, election_id, index, trustee_count, threshold, ANNOUNCED)
    transport = TransportKeyPair.generate()
    key = seal_secret(
        _secret_payload(ANNOUNCED, transport, [], None),
        passphrase,
        _key_header(state, ANNOUNCED),
        strength=strength,
    )
    announcement = wire.announcement_to_json(
        group, election_id, trustee_count, threshold, Announcement(index, transport.public)
    )
    name = f"{OUT_DIR}/announce-{index}.json"
    folder.apply(stages.INIT, state, [(KEY_FILE, key), (name, announcement)])
    return folder.path / name


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
    strength: KdfStrength | None = None,
) -> Path:
    """Fix the setup from every announcement, draw the polynomial, publish its hash only.

    ``strength``: the Argon2id cost of the rewritten key file (by default the one chosen at
    :func:`trustee_init`), as at every step that rewrites it.
    """
    folder = _Workdir(workdir)
    state = folder.require(stages.COMMIT)
    group = group_by_name(state.group)
    index = state.index
    setup = _setup_from_announcements(
        announcement_files, group, state.election_id, state.trustee_count, state.threshold
    )
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, group, state.election_id, index, ANNOUNCED
    )
    if secrets_.transport is None or setup.transport_key(index) != secrets_.transport.public:
        raise CeremonyError(f"trustee {index}: the announcements hold another transport key")
    coefficients = draw_polynomial(setup)
    commitments = make_commitments(setup, index, coefficients)
    key = _sealed_key(
        state,
        stages.COMMIT,
        secrets_,
        passphrase,
        strength,
        transport=secrets_.transport,
        coefficients=coefficients,
        share=None,
    )
    name = f"{OUT_DIR}/commit-{index}.json"
    folder.apply(
        stages.COMMIT,
        state,
        [
            key,
            (SETUP_FILE, jsonstrict.dumps(wire.setup_to_json_obj(setup))),
            (OWN_COMMITMENTS_FILE, wire.commitments_to_json(setup, commitments)),
            (name, wire.commitment_hash_to_json(setup, commitment_hash(setup, commitments))),
        ],
    )
    return folder.path / name


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
    state = folder.require(stages.REVEAL)
    setup = folder.setup()
    index = state.index
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
    name = f"{OUT_DIR}/commitments-{index}.json"
    folder.apply(stages.REVEAL, state, [(HASHES_FILE, _hashes_obj(hashes)), (name, own_data)])
    return folder.path / name


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
    state = folder.require(stages.SEND)
    setup = folder.setup()
    index = state.index
    revealed = check_commitments(
        setup, _read_hashes(folder), _read_commitments(setup, commitments_files)
    )
    secrets_ = _open_secrets(
        folder.path / KEY_FILE, passphrase, setup.group, setup.election_id, index, COMMITTED
    )
    if secrets_.transport is None:
        raise InvalidKeyFile(f"key file {folder.path / KEY_FILE}: no transport key")
    sealed = seal_shares(setup, index, secrets_.transport, secrets_.coefficients)
    shares = [
        (
            f"{OUT_DIR}/share-{index}-to-{item.recipient}.json",
            wire.sealed_share_to_json(setup, item),
        )
        for item in sealed
    ]
    stored = jsonstrict.dumps(
        [jsonstrict.loads(wire.commitments_to_json(setup, c), "c") for c in revealed]
    )
    folder.apply(stages.SEND, state, [(COMMITMENTS_FILE, stored), *shares])
    return [folder.path / name for name, _ in shares]


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
    strength: KdfStrength | None = None,
) -> tuple[Path, tuple[Complaint, ...]]:
    """Check the shares sent to this trustee; publish its complaints (possibly none).

    Share files addressed to other trustees are ignored, so the whole exchange folder may be
    passed. Writes ``out/complaints-<i>.json`` (signed complaints, one per bad or missing
    share) and returns it with the complaints. The key file keeps the polynomial (to answer
    complaints) and the sum of the good shares until :func:`trustee_confirm`.
    """
    folder = _Workdir(workdir)
    state = folder.require(stages.RECEIVE)
    setup = folder.setup()
    index = state.index
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
    key = _sealed_key(
        state,
        stages.RECEIVE,
        secrets_,
        passphrase,
        strength,
        transport=None,
        coefficients=secrets_.coefficients,
        share=received.partial,
    )
    name = f"{OUT_DIR}/complaints-{index}.json"
    folder.apply(
        stages.RECEIVE,
        state,
        [key, (name, wire.complaints_to_json(setup, index, received.complaints))],
    )
    return folder.path / name, received.complaints


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
    state = folder.require(stages.ANSWER)
    setup = folder.setup()
    index = state.index
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
    answers = [
        (
            f"{OUT_DIR}/answer-{index}-to-{complaint.accuser}.json",
            wire.answer_to_json(
                setup, answer_complaint(setup, index, secrets_.coefficients, revealed, complaint)
            ),
        )
        for complaint in against
    ]
    folder.apply(stages.ANSWER, state, answers)
    return [folder.path / name for name, _ in answers]


# -- step 6 -----------------------------------------------------------------------------------


def trustee_confirm(
    workdir: str | os.PathLike[str],
    complaints_files: Sequence[str | os.PathLike[str]],
    answer_files: Sequence[str | os.PathLike[str]],
    passphrase: str,
    *,
    strength: KdfStrength | None = None,
) -> tuple[Path, tuple[Verdict, ...]]:
    """Judge every complaint, complete the share, publish the confirmation.

    Needs every trustee's complaints file and every answer. An upheld complaint raises
    InvalidShare naming the accused (the ceremony stops); a dismissed one names the
    complainer, who takes the published share. Returns the confirmation and the verdicts.
    """
    folder = _Workdir(workdir)
    state = folder.require(stages.CONFIRM)
    setup = folder.setup()
    index = state.index
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
    key = _sealed_key(
        state,
        stages.CONFIRM,
        secrets_,
        passphrase,
        strength,
        transport=None,
        coefficients=[],
        share=share.share,
    )
    name = f"{OUT_DIR}/confirm-{index}.json"
    confirmation = confirm(share, transcript_hash)
    folder.apply(
        stages.CONFIRM,
        state,
        [key, (name, wire.confirmation_to_json(setup, transcript_hash, confirmation))],
    )
    return folder.path / name, verdicts


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
    keyfile.write_atomically(target, wire.ceremony_result_to_json(result))
    return result


# -- the mix ----------------------------------------------------------------------------------


def written_mixes(workdir: str | os.PathLike[str]) -> list[Path]:
    """The mix documents this trustee has written (``out/mix-<k>.json``), by position."""
    found = (Path(workdir) / OUT_DIR).glob("mix-*.json")
    return sorted(found, key=lambda path: (mix_file_position(path) or 0, path.name))


def mix_file_position(path: Path) -> int | None:
    """k of a trustee's ``mix-<k>.json``; None for another name."""
    digits = path.name.removeprefix("mix-").removesuffix(".json")
    return int(digits) if digits.isdecimal() and digits[0] != "0" else None


def check_no_waiting_mix(
    workdir: str | os.PathLike[str], index: int, superseded: Collection[Path]
) -> None:
    """CeremonyError if trustee ``index`` has written a mix that is not ``superseded``: it is
    in the officer's chain already, or waits to be added; a trustee mixes once in a chain."""
    waiting = [path for path in written_mixes(workdir) if path not in superseded]
    if waiting:
        raise CeremonyError(
            f"trustee {index} has mixed already ({waiting[0]}) and the officer's chain holds no"
            " other trustee's mix at its place: give that file to the officer ('evote tally"
            " add-mix') if it is not in the chain yet; a trustee mixes once in a chain"
        )


def trustee_write_mix(
    workdir: str | os.PathLike[str],
    position: int,
    document: bytes,
    superseded: Collection[Path] = (),
) -> Path:
    """Write this trustee's mix ``document`` (mix number ``position``) as ``out/mix-<k>.json``.

    Written ahead like every step (``pending.json``): a stop after the mix was decided leaves
    the very same document to be written by the next ``evote trustee`` command, never a second
    shuffle. A trustee who has written a mix already is refused (CeremonyError naming it),
    unless that mix is in ``superseded``: made for a place of the chain that another trustee's
    mix has taken since (the caller judges it from the officer's chain), so it can never be
    added, and the trustee mixes again at the chain's next place.
    """
    folder = _Workdir(workdir)
    state = folder.require(stages.MIX)
    check_no_waiting_mix(folder.path, state.index, superseded)
    name = f"{OUT_DIR}/mix-{position}.json"
    folder.apply(stages.MIX, state, [(name, document)])
    return folder.path / name


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
