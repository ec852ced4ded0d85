"""Write the election-layer known-answer vectors (docs/spec.md sections 6 to 10).

Run from the repository root::

    python tests/vectors/gen_election_vectors.py

It writes, for each group G in (ed25519, modp4096):

* ``tests/vectors/election-G.json``: one small election's values, each with its inputs: the
  manifest and its digest (6.2), the credential list and its digest (7.4), the fingerprint and
  its inputs (6.3), the key ceremony's context and transcript hash H_T (8.2), h_0 and the chain
  links h_i, p_i of the setup, open, first ballot and close entries (10.2), the open and close
  checkpoints with their Ed25519 signatures (10.4), whole ballots with their plaintext choices,
  nonces, canonical JSON, signed bytes, hash and tracking code (6.4, 6.5, 7.5), a spoiled
  ballot's audit and ciphertext marks (6.7), a trustee's decryption share with its proofs (9.2),
  and under ``mixnet_ballots`` whole ballots of another manifest of the same election (the
  referendum with a grades and a ranking question, 6.2), with its digest and fingerprint;
* ``tests/vectors/record-G/``: that election's whole published record (3 voters, one revote,
  one Benaloh audit, 3 trustees with threshold 2, tallied with trustee 3 absent), which
  ``evote verify --complete`` accepts (docs/record-format.md).

Everything is made by the library itself (never a formula written again here), with its
randomness pinned:

* every scalar the library draws through ``Group.random_scalar`` (proof nonces, signature
  nonces) comes, while a value is made, from a hash counter under a label:
  ``1 + hash_to_scalar(TEST, "vector nonce", label, k) mod (q - 1)`` for k = 1, 2, ...; the
  scalars drawn are written next to the value (``draws``), in the order the library drew them,
  so that a second implementation which draws in the same order can rebuild the bytes, and
  tests/vectors/test_election_vectors.py replays them without knowing the counter;
* the encryption nonces of ballots go to the private nonce-taking
  ``evote.ballots.encrypted._encrypt_ballot_with_nonces``;
* the ceremony runs its steps with fixed polynomials and fixed X25519 transport keys;
* the launch code is given to ``Board.setup``, the board's Ed25519 key comes from a fixed seed
  and checkpoint timestamps from a fixed clock (:func:`pinned_clock`).

So two runs write the same bytes. The files change only when the specification does (a new
field, a new hash input): regenerate them then, and say why in the commit; never to make a
failing test pass. Encodings in the JSON files: bytes are hex, scalars 32-byte big-endian hex,
elements the hex of their canonical encoding, canonical JSON documents are kept as text.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from nacl.signing import SigningKey

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import evote.board.checkpoint as checkpoint_module
import evote.crypto.proofs as proofs
from evote import jsonstrict
from evote.ballots.audit import spoil_ballot
from evote.ballots.credentials import (
    CredentialEntry,
    CredentialKey,
    CredentialList,
    check_symbol,
    format_credential_code,
)
from evote.ballots.encrypted import (
    BallotSecrets,
    EncryptedBallot,
    QuestionSecrets,
    _encrypt_ballot_with_nonces,
    ciphertext_marks,
)
from evote.ballots.manifest import (
    ApprovalQuestion,
    BudgetQuestion,
    Grade,
    GradesQuestion,
    Manifest,
    Option,
    RankingQuestion,
    RankingRule,
    ScoreQuestion,
    SingleChoiceQuestion,
    WinnerRule,
)
from evote.ballots.plaintext import PlaintextBallot
from evote.board.board import Board
from evote.board.chain import BoardEntry, EntryKind, genesis_hash
from evote.board.checkpoint import Checkpoint
from evote.board.receipt import Receipt
from evote.ceremony.dkg import (
    Announcement,
    CeremonyResult,
    TrusteeShare,
    ceremony_setup,
    commitment_hash,
    compute_keys,
    compute_transcript_hash,
    confirm,
    finalize_ceremony,
    make_commitments,
    receive_shares,
    seal_shares,
)
from evote.ceremony.transport import TransportKeyPair
from evote.ceremony.wire import ceremony_result_to_json
from evote.crypto.groups import Group, all_groups
from evote.crypto.hashing import Purpose
from evote.election import Election
from evote.record import export_record
from evote.record.publish import encrypted_tally_to_json_obj
from evote.tally import (
    DecryptionShare,
    aggregate,
    compute_decryption_share,
    compute_result,
    decrypt_counts,
)
from evote.tally.result import turnout_of
from evote.tally.wire import decryption_share_to_json
from evote.tallying import publish_result, publish_tally

VECTORS_DIR = Path(__file__).resolve().parent
FORMAT = "evote-election-vectors/1"

#: record.json's ``generator`` in the golden records (docs/record-format.md): fixed, so that
#: the vectors stay byte for byte the same from release to release.
VECTOR_GENERATOR = "evote (test vectors)"

ELECTION_ID = "vectors-2026"
TRUSTEES = 3
THRESHOLD = 2
ABSENT_TRUSTEE = 3
LAUNCH_CODE = "00112233445566778899aabbccddeeff"
# The board's Ed25519 key (RFC 8032 signatures are deterministic for a given key and message).
BOARD_SEED = bytes(range(100, 132))
# Checkpoint timestamps: opening at OPENED, every later checkpoint one hour after the previous.
OPENED = 1_780_000_000
# Credential codes' data symbols; each code is completed by its check symbol (spec 7.2).
VOTER_DATA = ("VECT0RS000000000001", "VECT0RS000000000002", "VECT0RS000000000003")


def vectors_path(group: Group, directory: Path = VECTORS_DIR) -> Path:
    return directory / f"election-{group.name}.json"


def record_path(group: Group, directory: Path = VECTORS_DIR) -> Path:
    return directory / f"record-{group.name}"


# -- pinned randomness ------------------------------------------------------------------------


def vector_scalar(group: Group, label: str, counter: int) -> int:
    """The counter-th scalar of ``label``: 1 + hash_to_scalar(TEST, ...) mod (q - 1)."""
    return 1 + group.hash_to_scalar(Purpose.TEST, "vector nonce", label, counter) % (
        group.order - 1
    )


@contextmanager
def pinned_scalars(group: Group, label: str) -> Iterator[list[int]]:
    """``group.random_scalar`` draws from :func:`vector_scalar` under ``label``; yields the draws.

    The list grows as the library draws, in order. The group's CSPRNG method is restored on
    exit (the instance attribute hides the class's method only while the block runs).
    """
    drawn: list[int] = []

    def next_scalar() -> int:
        drawn.append(vector_scalar(group, label, len(drawn) + 1))
        return drawn[-1]

    group.random_scalar = next_scalar  # type: ignore[method-assign]
    try:
        with pinned_hedged_nonces(next_scalar):
            yield drawn
    finally:
        del group.random_scalar


@contextmanager
def pinned_hedged_nonces(next_scalar: Callable[[], int]) -> Iterator[None]:
    """Proofs about long-term secrets draw their nonce k from ``next_scalar`` too.

    Their nonces are hedged (spec 4.6: a hash of the secret, the statement and fresh bytes);
    a vector pins k itself, the one value a second implementation needs to rebuild the proof,
    whatever way it derives its nonces.
    """
    with mock.patch.object(proofs, "hedged_nonce", lambda *_args: next_scalar()):
        yield


class _Clock:
    """A stand-in for the time module in :mod:`evote.board.checkpoint`: one hour a reading."""

    def __init__(self, start: int) -> None:
        self.now = start - 3600

    def time(self) -> float:
        self.now += 3600
        return float(self.now)


@contextmanager
def pinned_clock(start: int = OPENED) -> Iterator[None]:
    """Checkpoint timestamps start, start + 3600, ... instead of the board's clock."""
    with mock.patch.object(checkpoint_module, "time", _Clock(start)):
        yield


# -- JSON helpers -----------------------------------------------------------------------------


def scalar_hex(value: int) -> str:
    return Group.scalar_to_bytes(value).hex()


def draws_json(draws: Sequence[int]) -> list[str]:
    return [scalar_hex(value) for value in draws]


def marker_json(marker: Any) -> Any:
    """Ciphertext marks as hex: one digest, or a list of them (one per ciphertext)."""
    if isinstance(marker, bytes):
        return marker.hex()
    return [marker_json(item) for item in marker]


def text(english: str, french: str) -> dict[str, str]:
    return {"en": english, "fr": french}


# -- the election -----------------------------------------------------------------------------


def voter_codes() -> tuple[str, ...]:
    return tuple(format_credential_code(data + check_symbol(data)) for data in VOTER_DATA)


def vector_manifest(group: Group) -> Manifest:
    """One question of each kind: a referendum with blank, approval, score with a total, budget."""
    options = (Option("yes", text("Yes", "Oui")), Option("no", text("No", "Non")))
    colours = tuple(
        Option(name, text(name.title(), french))
        for name, french in (("red", "Rouge"), ("green", "Vert"), ("blue", "Bleu"))
    )
    projects = (
        Option("park", text("A park", "Un parc"), 4),
        Option("pool", text("A pool", "Une piscine"), 7),
        Option("trees", text("Trees", "Des arbres"), 2),
    )
    return Manifest(
        election_id=ELECTION_ID,
        title=text("Known-answer vectors", "Vecteurs de test"),
        opens=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        closes=datetime(2026, 5, 8, 20, 0, tzinfo=UTC),
        questions=(
            SingleChoiceQuestion("referendum", text("Adopt?", "Adopter ?"), options, True),
            ApprovalQuestion("colours", text("Colours", "Couleurs"), colours, 1, 2, True),
            ScoreQuestion("chefs", text("Chefs", "Cheffes"), colours, 3, 5),
            BudgetQuestion(
                "budget",
                text("Budget", "Budget"),
                projects,
                10,
                2,
                None,
                2,
                WinnerRule.GREEDY_BY_VOTES,
            ),
        ),
        group_name=group.name,
    )


def credential_list(group: Group) -> CredentialList:
    return CredentialList(
        group,
        tuple(
            CredentialEntry(CredentialKey.derive(group, ELECTION_ID, code).public, 1)
            for code in voter_codes()
        ),
    )


def board_signing_key() -> SigningKey:
    return SigningKey(BOARD_SEED)


def build_election(
    group: Group, manifest: Manifest, ceremony: CeremonyResult, credentials: CredentialList
) -> Election:
    """The one place the vectors' Election is built, here and in test_election_vectors.py.

    A new field of Election (an input of the fingerprint) is passed here, e.g. the board's key
    from :func:`board_signing_key`, and added to the ``fingerprint`` inputs in
    :func:`group_vectors` and in the test that recomputes them.
    """
    return Election(
        manifest, group, ceremony.public_key, credentials, ceremony.transcript_hash,
        bytes(board_signing_key().verify_key),
    )  # fmt: skip


# -- the ceremony -----------------------------------------------------------------------------


def transport_private_key(index: int) -> bytes:
    return bytes([index]) * 32


def polynomial(group: Group, index: int) -> list[int]:
    """Trustee ``index``'s fixed coefficients a_{i,0}, ..., a_{i,t-1}."""
    return [vector_scalar(group, f"polynomial {index}", k + 1) for k in range(THRESHOLD)]


@dataclass(frozen=True)
class Ceremony:
    result: CeremonyResult
    shares: tuple[TrusteeShare, ...]
    draws: list[int]


def ceremony_from_parts(
    group: Group, transport_keys: Sequence[bytes], polynomials: Sequence[Sequence[int]]
) -> tuple[CeremonyResult, tuple[TrusteeShare, ...]]:
    """The key ceremony of docs/spec.md 8.2, step by step, with given polynomials and keys.

    Trustee i (from 1) has the X25519 private key ``transport_keys[i - 1]`` and the polynomial
    ``polynomials[i - 1]`` (t coefficients). The Schnorr proofs draw their nonces from
    ``group.random_scalar``: per trustee, one per coefficient; then one confirmation per
    trustee. The sealed boxes draw theirs from :mod:`secrets`; they are not in the transcript.
    """
    transports = [TransportKeyPair(key) for key in transport_keys]
    count = len(transports)
    announcements = [Announcement(i, pair.public) for i, pair in enumerate(transports, 1)]
    setup = ceremony_setup(group, ELECTION_ID, count, THRESHOLD, announcements)
    indexed = list(enumerate(zip(transports, polynomials, strict=True), 1))
    revealed = [make_commitments(setup, i, coefficients) for i, (_, coefficients) in indexed]
    hashes = [commitment_hash(setup, item) for item in revealed]
    sealed = [
        box for i, (pair, coefficients) in indexed
        for box in seal_shares(setup, i, pair, coefficients)
    ]  # fmt: skip
    joint, verification_keys = compute_keys(setup, revealed)
    shares = []
    for j, (pair, coefficients) in indexed:
        received = receive_shares(
            setup, j, pair, coefficients, revealed, [box for box in sealed if box.recipient == j]
        )
        if received.complaints:
            raise RuntimeError(f"trustee {j}: complained about an honest dealer")
        shares.append(TrusteeShare(group, j, received.partial, verification_keys[j - 1]))
    transcript = compute_transcript_hash(setup, hashes, revealed, joint, verification_keys)
    confirmations = [confirm(share, transcript) for share in shares]
    result = finalize_ceremony(setup, hashes, revealed, (), confirmations)
    return result, tuple(shares)


def run_vector_ceremony(group: Group) -> Ceremony:
    """:func:`ceremony_from_parts` with the fixed keys and polynomials, pinned proof nonces."""
    keys = [transport_private_key(i) for i in range(1, TRUSTEES + 1)]
    polynomials = [polynomial(group, i) for i in range(1, TRUSTEES + 1)]
    with pinned_scalars(group, "ceremony") as draws:
        result, shares = ceremony_from_parts(group, keys, polynomials)
    return Ceremony(result, shares, draws)


# -- ballots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorBallot:
    """A ballot made with fixed nonces, and everything needed to make it again."""

    label: str
    voter: int  # index into voter_codes()
    selection: dict[str, Any]
    plaintext: PlaintextBallot
    nonces: tuple[QuestionSecrets, ...]
    draws: list[int]
    ballot: EncryptedBallot
    secrets: BallotSecrets


# (label, voter, choices): a question left out, or None, is blank.
BALLOTS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    (
        "voter-1",
        0,
        {
            "referendum": ["yes"],
            "colours": ["red", "blue"],
            "chefs": {"red": 3, "green": 1, "blue": 0},
            "budget": ["park", "trees"],
        },
    ),
    (
        "voter-2-audited",
        1,
        {
            "referendum": ["no"],
            "colours": ["green"],
            "chefs": {"red": 0, "green": 0, "blue": 0},
            "budget": ["pool"],
        },
    ),
    (
        "voter-2",
        1,
        {
            "referendum": None,
            "colours": None,
            "chefs": {"red": 1, "green": 2, "blue": 2},
            "budget": ["pool", "trees"],
        },
    ),
    (
        "voter-3",
        2,
        {
            "referendum": ["no"],
            "colours": ["green", "blue"],
            "chefs": {"red": 0, "green": 3, "blue": 0},
            "budget": ["park"],
        },
    ),
    (
        "voter-1-revote",
        0,
        {
            "referendum": ["no"],
            "colours": ["red"],
            "chefs": {"red": 2, "green": 0, "blue": 1},
            "budget": ["trees"],
        },
    ),
)
AUDITED = "voter-2-audited"
# The ballots written out in full (the others are in the golden record only): one with a choice
# in every question, one blank wherever blank is allowed, and the audited one.
VECTOR_BALLOTS = ("voter-1", "voter-2", AUDITED)


def encryption_nonces(
    election: Election, plaintext: PlaintextBallot, label: str
) -> tuple[QuestionSecrets, ...]:
    """Fixed encryption nonces: options then blank, question by question, from a counter."""
    group = election.group
    counter = 0

    def nonce() -> int:
        nonlocal counter
        counter += 1
        return vector_scalar(group, f"{label} encryption", counter)

    return tuple(
        QuestionSecrets(
            tuple(nonce() for _ in answer.values),
            nonce() if question.blank_allowed else None,
        )
        for question, answer in zip(election.manifest.questions, plaintext.answers, strict=True)
    )


def make_ballot(
    election: Election, label: str, voter: int, selection: dict[str, Any]
) -> VectorBallot:
    plaintext = PlaintextBallot.from_selection(election.manifest, selection)
    nonces = encryption_nonces(election, plaintext, label)
    with pinned_scalars(election.group, f"{label} proofs") as draws:
        ballot, secrets = _encrypt_ballot_with_nonces(
            election, voter_codes()[voter], plaintext, nonces
        )
    return VectorBallot(label, voter, selection, plaintext, nonces, draws, ballot, secrets)


def ballot_json(item: VectorBallot) -> dict[str, Any]:
    ballot = item.ballot
    return {
        "label": item.label,
        "code": voter_codes()[item.voter],
        "selection": item.selection,
        "plaintext": [
            {"values": list(answer.values), "blank": answer.blank}
            for answer in item.plaintext.answers
        ],
        "nonces": [
            {
                "options": [scalar_hex(nonce) for nonce in question.options],
                "blank": None if question.blank is None else scalar_hex(question.blank),
            }
            for question in item.nonces
        ],
        "draws": draws_json(item.draws),
        "signed_bytes": ballot.signed_bytes().decode("utf-8"),
        "canonical": ballot.canonical_bytes().decode("utf-8"),
        "ballot_hash": ballot.ballot_hash().hex(),
        "tracking_code": ballot.tracking_code,
    }


# -- grades and ranking: another manifest for the same ceremony and list -------------------------

MIXNET_BALLOTS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    (
        "mixnet-voter-1",
        0,
        {
            "referendum": ["yes"],
            "jury": {"red": "good", "green": "reject", "blue": "very-good"},
            "mayor": ["blue", "red"],
        },
    ),
    (
        "mixnet-voter-2",
        1,
        {
            "referendum": None,
            "jury": {"red": "fair", "green": "fair", "blue": "fair"},
            "mayor": [],
        },
    ),
)


def mixnet_manifest(group: Group) -> Manifest:
    """The vector manifest's referendum, a grades and a ranking question (docs/spec.md 6.2).

    The same election id, so the same ceremony and credential list serve; another manifest
    digest, hence another fingerprint.
    """
    base = vector_manifest(group)
    colours = base.questions[2].options
    grades = tuple(
        Grade(grade_id, text(english, french))
        for grade_id, english, french in (
            ("very-good", "Very good", "Très bien"),
            ("good", "Good", "Bien"),
            ("fair", "Fair", "Passable"),
            ("reject", "Reject", "À rejeter"),
        )
    )
    return dataclasses.replace(
        base,
        questions=(
            base.questions[0],
            GradesQuestion("jury", text("Jury", "Jury"), colours, grades),
            RankingQuestion("mayor", text("Mayor", "Maire"), colours, RankingRule.STV, 1),
        ),
    )


def mixnet_vectors(
    group: Group, ceremony: CeremonyResult, credentials: CredentialList
) -> dict[str, Any]:
    manifest = mixnet_manifest(group)
    election = build_election(group, manifest, ceremony, credentials)
    return {
        "manifest": {
            "json": manifest.canonical_bytes().decode("utf-8"),
            "digest": manifest.digest().hex(),
        },
        "fingerprint": election.fingerprint.hex(),
        "ballots": [
            ballot_json(make_ballot(election, label, voter, selection))
            for label, voter, selection in MIXNET_BALLOTS
        ],
    }


# -- the board, the tally, the record ---------------------------------------------------------


@dataclass(frozen=True)
class BoardRun:
    entries: list[BoardEntry]
    checkpoints: list[Checkpoint]
    receipts: list[Receipt]
    tally_json: dict[str, Any]
    share: DecryptionShare
    share_draws: list[int]


def run_board(
    election: Election,
    ceremony: Ceremony,
    ballots: dict[str, VectorBallot],
    out: Path,
) -> BoardRun:
    """Set up, open, vote, audit, close, tally and export ``election`` into ``out``."""
    group = election.group
    with tempfile.TemporaryDirectory(prefix="evote-vectors-") as scratch, pinned_clock():
        board = Board(str(Path(scratch) / "board.sqlite"), board_signing_key())
        with board:
            board.setup(election, ceremony.result, launch_code=LAUNCH_CODE)
            board.open_election(ELECTION_ID)
            receipts: list[Receipt] = []
            for label, _, _ in BALLOTS:
                item = ballots[label]
                if label == AUDITED:
                    audited = spoil_ballot(item.ballot, item.secrets)
                    board.spoil(ELECTION_ID, item.ballot, audited)
                else:
                    receipts.append(board.cast(ELECTION_ID, item.ballot))
            board.close_election(ELECTION_ID)
            tally = aggregate(election, board.counted_ballots(ELECTION_ID))
            context = election.proof_context()
            shares = []
            share_draws: list[int] = []
            for share in ceremony.shares:
                if share.index == ABSENT_TRUSTEE:
                    continue
                with pinned_scalars(group, f"decryption share {share.index}") as draws:
                    shares.append(
                        compute_decryption_share(
                            group, share.share, share.index, share.verification_key, tally,
                            context,
                        )
                    )  # fmt: skip
                if share.index == 1:
                    share_draws = draws
            counts, combined = decrypt_counts(
                election.manifest, tally, shares, THRESHOLD,
                ceremony.result.verification_key_map(), context,
            )  # fmt: skip
            result = compute_result(election.manifest, counts, turnout_of(tally))
            publish_tally(board, election, ceremony.result, tally, shares, combined)
            publish_result(board, election, result)
            entries = list(board.entries(ELECTION_ID))
            checkpoints = board.checkpoints(ELECTION_ID)
            # A fixed generator name: the golden record must not change with evote's version.
            written = export_record(
                board, ELECTION_ID, Path(scratch) / "record", generator=VECTOR_GENERATOR
            )
            if out.exists():
                shutil.rmtree(out)
            shutil.copytree(written, out)
    tally_json = encrypted_tally_to_json_obj(tally)
    return BoardRun(entries, checkpoints, receipts, tally_json, shares[0], share_draws)


# -- the vector file --------------------------------------------------------------------------


def entry_json(entry: BoardEntry, previous: bytes) -> dict[str, Any]:
    return {
        "position": entry.position,
        "kind": entry.kind.value,
        "payload": entry.payload.decode("utf-8"),
        "payload_hash": entry.payload_hash.hex(),
        "previous_chain_hash": previous.hex(),
        "chain_hash": entry.chain_hash.hex(),
    }


def chain_json(election: Election, entries: list[BoardEntry]) -> dict[str, Any]:
    """h_0 and the links of the setup, the open event, the first ballot and the close event."""
    h0 = genesis_hash(ELECTION_ID, election.fingerprint, LAUNCH_CODE)
    previous = {1: h0} | {entry.position + 1: entry.chain_hash for entry in entries}
    wanted = [EntryKind.SETUP, EntryKind.OPEN, EntryKind.BALLOT, EntryKind.CLOSE]
    links = []
    for kind in wanted:
        entry = next(entry for entry in entries if entry.kind is kind)
        links.append(entry_json(entry, previous[entry.position]))
    return {
        "genesis": {
            "election_id": ELECTION_ID,
            "fingerprint": election.fingerprint.hex(),
            "launch_code": LAUNCH_CODE,
            "h0": h0.hex(),
        },
        "links": links,
    }


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "election_id": checkpoint.election_id,
        "position": checkpoint.position,
        "chain_hash": checkpoint.chain_hash.hex(),
        "timestamp": checkpoint.timestamp,
        "message": checkpoint.message().hex(),
        "board_seed": BOARD_SEED.hex(),
        "board_key": checkpoint.board_key.hex(),
        "signature": checkpoint.signature.hex(),
        "json": jsonstrict.dumps(checkpoint.to_json_obj()).decode("utf-8"),
    }


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    """A signed receipt (spec 10.5): its message, the board's key and seed, its JSON."""
    return {
        "election_id": receipt.election_id,
        "position": receipt.position,
        "tracking_code": receipt.tracking_code,
        "chain_hash": receipt.chain_hash.hex(),
        "ballot_hash": receipt.ballot_hash.hex(),
        "message": receipt.message().hex(),
        "board_seed": BOARD_SEED.hex(),
        "signature": receipt.signature.hex(),
        "json": jsonstrict.dumps(receipt.to_json_obj()).decode("utf-8"),
    }


def ceremony_json(ceremony: Ceremony) -> dict[str, Any]:
    setup = ceremony.result.setup
    return {
        "election_id": setup.election_id,
        "trustees": setup.trustee_count,
        "threshold": setup.threshold,
        "transport_private_keys": [transport_private_key(i).hex() for i in range(1, TRUSTEES + 1)],
        "transport_public_keys": [key.hex() for key in setup.transport_keys],
        "context": setup.context.hex(),
        "polynomials": [
            [scalar_hex(a) for a in polynomial(setup.group, i)] for i in range(1, TRUSTEES + 1)
        ],
        "draws": draws_json(ceremony.draws),
        "result": ceremony_result_to_json(ceremony.result).decode("utf-8"),
        "joint_key": ceremony.result.joint_key.to_bytes().hex(),
        "verification_keys": [key.to_bytes().hex() for key in ceremony.result.verification_keys],
        "transcript_hash": ceremony.result.transcript_hash.hex(),
        "secret_shares": [scalar_hex(share.share) for share in ceremony.shares],
    }


def group_vectors(group: Group, directory: Path = VECTORS_DIR) -> dict[str, Any]:
    """Every vector of ``group``; writes the golden record into ``directory`` on the way."""
    manifest = vector_manifest(group)
    credentials = credential_list(group)
    ceremony = run_vector_ceremony(group)
    election = build_election(group, manifest, ceremony.result, credentials)
    ballots = {
        label: make_ballot(election, label, voter, selection) for label, voter, selection in BALLOTS
    }
    run = run_board(election, ceremony, ballots, record_path(group, directory))
    audited = ballots[AUDITED]
    share = run.share
    return {
        "format": FORMAT,
        "description": f"evote election vectors on {group.name}; see docs/spec.md section 1.4",
        "group": group.name,
        "manifest": {
            "json": manifest.canonical_bytes().decode("utf-8"),
            "digest": manifest.digest().hex(),
        },
        "credentials": {
            "election_id": ELECTION_ID,
            "codes": list(voter_codes()),
            "json": jsonstrict.dumps(credentials.to_json_obj()).decode("utf-8"),
            "digest": credentials.digest().hex(),
        },
        "ceremony": ceremony_json(ceremony),
        "fingerprint": {
            "group": group.name,
            "manifest_digest": manifest.digest().hex(),
            "public_key": election.public_key.element.to_bytes().hex(),
            "ceremony_digest": election.ceremony_digest.hex(),
            "credential_list_digest": credentials.digest().hex(),
            "board_key": election.board_key.hex(),
            "fingerprint": election.fingerprint.hex(),
        },
        "receipt": receipt_json(run.receipts[0]),
        "chain": chain_json(election, run.entries),
        "checkpoints": [checkpoint_json(checkpoint) for checkpoint in run.checkpoints],
        "ballots": [ballot_json(ballots[label]) for label in VECTOR_BALLOTS],
        "audit": {
            "label": audited.label,
            "json": spoil_ballot(audited.ballot, audited.secrets).to_json().decode("utf-8"),
            "ciphertext_marks": marker_json(ciphertext_marks(audited.ballot)),
        },
        "decryption_share": {
            "trustee": share.trustee,
            "secret_share": scalar_hex(ceremony.shares[share.trustee - 1].share),
            "verification_key": ceremony.result.verification_key(share.trustee).to_bytes().hex(),
            "fingerprint": election.fingerprint.hex(),
            "tally": jsonstrict.dumps(run.tally_json).decode("utf-8"),
            "draws": draws_json(run.share_draws),
            "json": decryption_share_to_json(group, ELECTION_ID, share).decode("utf-8"),
        },
        "record": record_path(group).name,
        "mixnet_ballots": mixnet_vectors(group, ceremony.result, credentials),
    }


def write_vectors(directory: Path = VECTORS_DIR) -> list[Path]:
    """Write every group's vector file and golden record into ``directory``."""
    written = []
    for group in all_groups():
        path = vectors_path(group, directory)
        vectors = group_vectors(group, directory)
        path.write_text(json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", "utf-8")
        written += [path, record_path(group, directory)]
    return written


def main() -> None:
    for path in write_vectors():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
