"""The bulletin board: many elections in one database, each an append-only hash chain.

:class:`Board` is what a voting portal talks to (docs/spec.md section 10). It
records an election's life cycle as board events (setup, open, ballots, close, tally, result),
casts ballots after every check the verifier would run, signs checkpoints of the head with the
board's Ed25519 key, and reads the board back (streams, never whole tables in memory).

Casting (:meth:`Board.cast`) runs ``check_ballot`` first, outside any transaction (it is the
expensive part), then the board's own checks and the append inside one transaction that
serialises the election's head; the receipt is returned only after the commit. A refused
ballot leaves the board byte for byte as it was.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from nacl.signing import SigningKey
from sqlalchemy.exc import SQLAlchemyError

from evote import jsonstrict
from evote.ballots.audit import AuditedBallot, check_audit
from evote.ballots.encrypted import (
    EncryptedBallot,
    check_ballot,
    ciphertext_marks,
    decode_ballot,
    validated_ballot,
)
from evote.ballots.manifest import RevotePolicy
from evote.board.chain import BoardEntry, ChainHead, EntryKind, genesis_hash, verify_chain
from evote.board.checkpoint import Checkpoint, check_checkpoint, check_consistent
from evote.board.migrations import open_schema
from evote.board.payloads import event_payload, spoiled_payload
from evote.board.receipt import Receipt
from evote.board.setup import SetupRecord, decode_setup, new_launch_code
from evote.board.storage import make_engine, storage_unavailable
from evote.board.store import BallotColumns, BoardStore, Head
from evote.ceremony.dkg import CeremonyResult, check_ceremony_result
from evote.ceremony.wire import ceremony_result_to_json
from evote.election import Election
from evote.errors import (
    BoardIntegrityError,
    ContextMismatch,
    InvalidInput,
    InvalidRecord,
)
from evote.sysmem import release_free_memory


def check_receipt(receipt: Receipt, entry: BoardEntry) -> None:
    """Check that the board ``entry`` is the one ``receipt`` names; BoardIntegrityError if not."""
    where = f"receipt {receipt.tracking_code} (position {receipt.position})"
    if (
        entry.election_id != receipt.election_id
        or entry.position != receipt.position
        or entry.kind is not EntryKind.BALLOT
        or entry.tracking_code != receipt.tracking_code
        or entry.ballot_hash is None
        or not hmac.compare_digest(entry.ballot_hash, receipt.ballot_hash)
        or not hmac.compare_digest(entry.chain_hash, receipt.chain_hash)
    ):
        raise BoardIntegrityError(f"{where}: the board entry at that position differs")


def check_setup_ceremony(election: Election, ceremony: object) -> None:
    """The ceremony result that ``Board.setup`` publishes is ``election``'s, and checks.

    The election binds the ceremony through its public key and its ``ceremony_digest`` (the
    transcript hash, docs/spec.md section 6.3); a result of another election or another run
    of the ceremony would be exported beside ballots it cannot decrypt, and refused by the
    verifier (step 11.3).
    """
    if not isinstance(ceremony, CeremonyResult):
        raise InvalidInput(
            f"setup of {election.election_id!r}: expected the key ceremony's CeremonyResult,"
            f" got {type(ceremony).__name__}"
        )
    where = f"setup of {election.election_id!r}: the ceremony result"
    if ceremony.setup.election_id != election.election_id:
        raise ContextMismatch(f"{where} is election {ceremony.setup.election_id!r}'s")
    if ceremony.group is not election.group:
        raise ContextMismatch(f"{where} is on {ceremony.group.name}, the election on"
                              f" {election.group.name}")  # fmt: skip
    if ceremony.joint_key != election.public_key.element:
        raise ContextMismatch(f"{where} has another joint key than the election's public key")
    if not hmac.compare_digest(ceremony.transcript_hash, election.ceremony_digest):
        raise ContextMismatch(
            f"{where} has another transcript hash than the election's ceremony digest"
        )
    check_ceremony_result(ceremony)


def ballot_columns(ballot: EncryptedBallot) -> BallotColumns:
    return BallotColumns(
        credential=ballot.credential.to_bytes(),
        ballot_hash=ballot.ballot_hash(),  # the tracking code derives from it
        marks=ciphertext_marks(ballot),
    )


class Board:
    """A bulletin board in one database (a SQLite file path, or a SQLAlchemy URL).

    ``signing_key`` is the board's Ed25519 key, whose public key every election on this board
    names (:attr:`Election.board_key`, bound by its fingerprint): opening and closing an
    election publish a checkpoint signed with it, and casting returns a receipt signed with
    it, so these need it; reading does not. An empty database gets the schema (every migration
    of :mod:`evote.board.migrations`); a board whose schema revision is older or newer than this
    evote's is refused with SchemaVersionMismatch (``evote db upgrade`` upgrades it). A
    database that cannot be opened raises StorageUnavailable naming it (password masked) and
    the cause.
    """

    def __init__(
        self,
        location: str,
        signing_key: SigningKey | None = None,
        *,
        sqlite_synchronous: str = "FULL",
        busy_timeout: float = 60.0,
    ) -> None:
        self.engine = make_engine(
            location, sqlite_synchronous=sqlite_synchronous, busy_timeout=busy_timeout
        )
        try:
            open_schema(self.engine, location)
        except SQLAlchemyError as fault:
            # The first connection: a server down, a wrong password, a missing directory, a
            # file that is no database or a damaged one all end here.
            self.engine.dispose()
            raise storage_unavailable(location, fault) from fault
        except BaseException:
            self.engine.dispose()
            raise
        self.store = BoardStore(self.engine)
        self._signing_key = signing_key
        self._setups: dict[str, SetupRecord] = {}
        self._process = os.getpid()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close the database connections (the board can be used again afterwards).

        In a process forked from the one that opened the board, the connections inherited from
        the parent are dropped, not closed: closing one ends the parent's session with it.
        """
        self.store.close()
        self.engine.dispose(close=self._process == os.getpid())

    @property
    def board_key(self) -> bytes | None:
        """The board's Ed25519 public key, if it was given its signing key."""
        return None if self._signing_key is None else bytes(self._signing_key.verify_key)

    # ------------------------------------------------------------------------ life cycle

    def setup(
        self, election: Election, ceremony: CeremonyResult, launch_code: str | None = None
    ) -> BoardEntry:
        """Record the election (entry 1): manifest, group, key, credentials, the ceremony.

        ``ceremony`` is the key ceremony's result, published in the setup entry (its
        ``trustees`` field, docs/spec.md section 10.3) so that the tally and the record can use
        it. It must be the election's: refused (before anything is written) if it is not a
        CeremonyResult (InvalidInput), if its election id, group, joint key or transcript hash
        differ from the election's (ContextMismatch), or if it does not check
        (``check_ceremony_result``: CeremonyError). An election set up with any other value
        could never produce a record. The launch code defaults to a fresh random one; the
        genesis hash binds it.
        An election whose board key is not this board's signing key (when it has one) is refused
        with ContextMismatch: nothing this board signs would verify under the election's key.
        """
        if self.board_key is not None and not hmac.compare_digest(
            election.board_key, self.board_key
        ):
            raise ContextMismatch(
                f"election {election.election_id!r}: its board key"
                f" {election.board_key.hex()} is not this board's signing key"
                f" {self.board_key.hex()}"
            )
        check_setup_ceremony(election, ceremony)
        record = SetupRecord(
            election=election,
            trustees=jsonstrict.loads(ceremony_result_to_json(ceremony), "ceremony result"),
            launch_code=new_launch_code() if launch_code is None else launch_code,
        )
        entry = self.store.create_election(
            election.election_id, election.fingerprint, record.launch_code, record.to_payload()
        )
        self._setups[election.election_id] = record
        return entry

    def open_election(self, election_id: str) -> Checkpoint:
        """Open the election for ballots; returns the signed checkpoint of the open event."""
        return self._event_with_checkpoint(election_id, EntryKind.OPEN, None)

    def close_election(self, election_id: str) -> Checkpoint:
        """Close the election; later ballots raise ElectionNotOpen. Returns the checkpoint."""
        return self._event_with_checkpoint(election_id, EntryKind.CLOSE, None)

    def publish_tally(self, election_id: str, tally: Any) -> BoardEntry:
        """Append a tally event (aggregates, decryption shares...: a JSON value) after close."""
        entry, _ = self.store.append_event(
            election_id, EntryKind.TALLY, event_payload(EntryKind.TALLY, tally)
        )
        return entry

    def publish_result(self, election_id: str, result: Any) -> BoardEntry:
        """Append the result (a JSON value) after the tally; nothing may follow it."""
        entry, _ = self.store.append_event(
            election_id, EntryKind.RESULT, event_payload(EntryKind.RESULT, result)
        )
        return entry

    def checkpoint(self, election_id: str) -> Checkpoint:
        """Sign and publish a checkpoint of the current head."""
        return self.store.publish_checkpoint(election_id, self._require_key("a checkpoint"))

    def _event_with_checkpoint(self, election_id: str, kind: EntryKind, body: Any) -> Checkpoint:
        key = self._require_key(f"the {kind.value} event")
        _, checkpoint = self.store.append_event(election_id, kind, event_payload(kind, body), key)
        if checkpoint is None:
            raise BoardIntegrityError(f"{kind.value} event of {election_id!r}: no checkpoint made")
        return checkpoint

    def _require_key(self, what: str) -> SigningKey:
        if self._signing_key is None:
            raise InvalidInput(f"{what} needs the board's signing key; none was given")
        return self._signing_key

    # ------------------------------------------------------------------------------ cast

    def cast(self, election_id: str, ballot: EncryptedBallot | bytes) -> Receipt:
        """Check and append a ballot (an EncryptedBallot or its canonical bytes).

        Bytes are read by ``decode_ballot`` and must be the ballot's canonical JSON (the
        tracking code is the hash of exactly these bytes); an object is read again from its
        canonical bytes by ``validated_ballot``, so both meet the same element checks.
        Runs ``check_ballot`` (proofs, signature, context), then checks that the credential is
        on the list, the election is open, the ballot is not already on the board as another
        credential's superseded or spoiled ballot, and the revote policy allows it; then
        appends. Casting an accepted ballot again (while it is its credential's last) returns
        the same receipt. The receipt is signed with the board's key (docs/spec.md section
        10.5), which must be the election's. Raises ContextMismatch, UnknownCredential,
        InvalidBallot, InvalidProof, InvalidSignature, ElectionNotOpen, DuplicateBallot,
        StorageUnavailable; InvalidInput without a signing key.
        """
        receipt, _ = self.cast_ballot(election_id, ballot)
        return receipt

    def cast_ballot(
        self, election_id: str, ballot: EncryptedBallot | bytes
    ) -> tuple[Receipt, bool]:
        """:meth:`cast`, and whether the ballot was on the board already (a retried cast).

        A web service answers a retry differently (HTTP 200 instead of 201) with the same
        receipt; the flag comes from the append's own transaction, so no second lookup races.
        """
        key = self._require_key("a receipt")
        election = self.load_election(election_id)
        if not hmac.compare_digest(election.board_key, bytes(key.verify_key)):
            raise ContextMismatch(
                f"election {election_id!r}: its board key is not this board's signing key"
            )
        if isinstance(ballot, (bytes, bytearray, memoryview)):
            ballot = decode_ballot(election, bytes(ballot))
        self._check_context(election, ballot)
        election.credentials.weight_of(ballot.credential)
        ballot = validated_ballot(election, ballot)
        check_ballot(election, ballot)
        entry, retried = self.store.append_ballot(
            election_id,
            EntryKind.BALLOT,
            ballot.canonical_bytes(),
            ballot_columns(ballot),
            one_ballot_per_credential=election.manifest.revote is RevotePolicy.SINGLE,
        )
        return Receipt.of(entry, key), retried

    def spoil(self, election_id: str, ballot: EncryptedBallot, audit: AuditedBallot) -> BoardEntry:
        """Publish a spoiled (Benaloh-audited) ballot; it can never be cast afterwards.

        ``audit`` is what the voter's device revealed (choices and nonces, section 6.7). It is
        published only if it holds (``check_audit``, the check the verifier's step 11.7.1
        runs): a false audit on the board would make the whole election fail verification,
        and anyone holding a credential could post one. A device whose reveal does not hold is
        refused with InvalidBallot, and the voter keeps the refused ballot and audit as the
        evidence that the device cheated (anyone can judge them with ``check_audit``). The entry
        carries the ballot's hash and tracking code, and its ciphertext marks go to the marks
        table (evote.ballots.encrypted.ciphertext_marks), so that a later cast of the same
        ballot, or of any ballot reusing even one of its alphas (whose nonce the audit made
        public), is refused with DuplicateBallot; it carries no
        credential, so it is never counted.
        """
        if not isinstance(audit, AuditedBallot):
            raise InvalidInput(
                f"spoil: the audit must be an AuditedBallot (the device's reveal), not a"
                f" {type(audit).__name__}"
            )
        election = self.load_election(election_id)
        self._check_context(election, ballot)
        election.credentials.weight_of(ballot.credential)
        ballot = validated_ballot(election, ballot)
        check_audit(election, ballot, audit)
        payload = spoiled_payload(ballot.canonical_bytes(), audit)
        columns = ballot_columns(ballot)
        entry, _ = self.store.append_ballot(
            election_id,
            EntryKind.SPOILED,
            payload,
            BallotColumns(None, columns.ballot_hash, columns.marks),
            one_ballot_per_credential=False,
        )
        return entry

    @staticmethod
    def _check_context(election: Election, ballot: EncryptedBallot) -> None:
        if ballot.election_id != election.election_id:
            raise ContextMismatch(
                f"ballot {ballot.tracking_code}: for election {ballot.election_id!r}, "
                f"cast on the board of {election.election_id!r}"
            )
        if not hmac.compare_digest(ballot.fingerprint, election.fingerprint):
            raise ContextMismatch(
                f"ballot {ballot.tracking_code}: made for another version of election "
                f"{election.election_id!r} (fingerprint differs)"
            )

    # ----------------------------------------------------------------------------- reads

    def election_ids(self) -> list[str]:
        return self.store.election_ids()

    def setup_record(self, election_id: str) -> SetupRecord:
        """The decoded setup entry (cached: it never changes)."""
        record = self._setups.get(election_id)
        if record is None:
            record = self._read_setup(election_id)
            self._setups[election_id] = record
        return record

    def _read_setup(self, election_id: str) -> SetupRecord:
        info = self.store.election_info(election_id)
        payload = self.store.entry_at(election_id, 1).payload
        record = decode_setup(payload, f"{election_id}.setup")
        del payload
        # A casting process reads this once; without it, it would keep the read's peak.
        release_free_memory()
        if (
            record.launch_code != info.launch_code
            or record.election.fingerprint != info.fingerprint
        ):
            raise BoardIntegrityError(
                f"election {election_id!r}: setup entry differs from the election's row"
            )
        return record

    def load_election(self, election_id: str) -> Election:
        """Rebuild the Election from its setup entry."""
        return self.setup_record(election_id).election

    def head(self, election_id: str) -> Head:
        return self.store.head(election_id)

    def entries(
        self, election_id: str, start: int = 1, stop: int | None = None
    ) -> Iterator[BoardEntry]:
        """Stream every entry (events and ballots) with ``start <= position < stop``."""
        return self.store.entries(election_id, start, stop)

    def entry_at(self, election_id: str, position: int) -> BoardEntry:
        return self.store.entry_at(election_id, position)

    def ballot_entries(
        self, election_id: str, start: int = 1, stop: int | None = None
    ) -> Iterator[BoardEntry]:
        """Stream the ballot entries with ``start <= position < stop``, in board order."""
        return self.store.entries(election_id, start, stop, EntryKind.BALLOT)

    def ballot_at(self, election_id: str, position: int) -> EncryptedBallot:
        entry = self.store.entry_at(election_id, position)
        if entry.kind is not EntryKind.BALLOT:
            raise InvalidInput(
                f"election {election_id!r}: entry {position} is a {entry.kind.value}"
            )
        return decode_ballot(self.load_election(election_id), entry.payload)

    def ballot_by_tracking_code(self, election_id: str, tracking_code: str) -> BoardEntry:
        return self.store.entry_by_tracking_code(election_id, tracking_code)

    def counted_entries(self, election_id: str) -> Iterator[BoardEntry]:
        """Stream the last ballot entry of each credential, in board order."""
        return self.store.counted_entries(election_id)

    def counted_ballots(self, election_id: str) -> Iterator[tuple[EncryptedBallot, int]]:
        """Stream (ballot, credential weight) of the counted ballots, in board order."""
        election = self.load_election(election_id)
        for entry in self.store.counted_entries(election_id):
            ballot = decode_ballot(election, entry.payload)
            yield ballot, election.credentials.weight_of(ballot.credential)

    def checkpoints(self, election_id: str) -> list[Checkpoint]:
        return self.store.checkpoints(election_id)

    def verify(self, election_id: str) -> ChainHead:
        """Recompute the chain from the genesis and check the published checkpoints against it.

        Checkpoint signatures are checked against the election's board key (bound by its
        fingerprint).
        Returns the head; raises BoardIntegrityError or InvalidSignature.
        """
        try:
            record = self._read_setup(election_id)
        except InvalidRecord as fault:
            raise BoardIntegrityError(f"election {election_id!r}: setup entry: {fault}") from fault
        genesis = genesis_hash(election_id, record.election.fingerprint, record.launch_code)
        checkpoints = self.store.checkpoints(election_id)
        expected = {}
        for checkpoint in checkpoints:
            check_checkpoint(checkpoint, record.election.board_key)
            expected[checkpoint.position] = checkpoint.chain_hash
        check_consistent(checkpoints)

        def checked(stream: Iterator[BoardEntry]) -> Iterator[BoardEntry]:
            for entry in stream:
                signed = expected.get(entry.position)
                if signed is not None and not hmac.compare_digest(signed, entry.chain_hash):
                    raise BoardIntegrityError(
                        f"election {election_id!r}: entry {entry.position} differs from the "
                        "checkpoint signed at that position"
                    )
                yield entry

        head = verify_chain(checked(self.store.entries(election_id)), genesis)
        beyond = [position for position in expected if position > head.position]
        if beyond:
            raise BoardIntegrityError(
                f"election {election_id!r}: checkpoint at {beyond[0]} is beyond the head "
                f"{head.position}"
            )
        return head
