"""The append-only store under :class:`evote.board.Board`: elections, chained entries, checkpoints.

This layer knows the life cycle and the chain but not what a ballot means: the board above it
runs the ballot checks and hands over the ballot's columns (credential, tracking code, hash).
Every append runs in one write transaction (:func:`~evote.board.storage.write_transaction`)
that first locks the election's row, reads the head, checks the phase, then inserts; the
transaction either commits whole or leaves nothing (a PostgreSQL cast is a compare-and-append
instead, below). The store issues INSERT and SELECT only.

A cast (:meth:`BoardStore.append_ballot`) is the hot path. On SQLite it takes five statements
(``BEGIN IMMEDIATE``, one check query, the two INSERTs, ``COMMIT``); the check query
(:class:`CastStatements`) returns in one row the head, the position of an entry with the same
ballot hash, of the first entry holding one of the ballot's ciphertext marks, and of the
credential's last ballot. The marks (one per ciphertext, naming its alpha: docs/spec.md 6.7)
go to their own table, keyed (election_id, mark), and travel as one bytes value, the 32-byte
marks concatenated, which the SQL splits (a recursive CTE on SQLite, ``generate_series`` on
PostgreSQL): one statement whatever the number of ciphertexts. Either way the row becomes the
facts (:class:`~evote.board.rules.CastFacts`) of the board's one judge,
:func:`~evote.board.rules.judge_cast`, which the verifier's step 11.8 uses too: it accepts,
names the entry of a retried cast, or gives the refusal the store raises; the store inserts
only what it accepted (on SQLite in the same transaction).

On PostgreSQL, where each statement is a round trip to the server, a cast is a
compare-and-append of two calls, each committed on its own (psycopg's autocommit: no BEGIN
or COMMIT round trips), the functions of migration 0003: ``evote_board_cast_facts`` returns
the check query's row from one snapshot, without a lock; the judge decides in the client,
which computes the entry's chain hash from the head's (as on SQLite); then
``evote_board_append_cast`` takes the election's row lock and inserts the entry and its marks
only if the head is still at the position the facts were read at, and says whether it did.
This is sound because the board is append-only and every entry goes in at the head under
that lock (events too): the facts are a function of the election's entries up to its head, so
an unchanged head means unchanged facts and the verdict is the one the lock would have given;
the server compares one position and judges nothing. When the head moved, the refused append
returns the facts as they are now (it calls ``evote_board_cast_facts``: one round trip per
retry, no second copy of the lookups) and the cast is judged again (:data:`CAST_ATTEMPTS`
times at most, then StorageUnavailable with nothing appended); the same ballot appended
meanwhile by another cast is then judged a retry and answered with its entry, so a retry is
idempotent either way. The reads of the rare casts that need more
than the row (a retry, a replay, a reused alpha) name positions up to that head, or are
bounded by it, so that every fact is of the one board state the head names.

The hash lookups name the hashed column alone, so that the planner can only use its own
index: PostgreSQL estimates a new election (one its statistics do not know yet) at one row and
would otherwise walk that election's entries by any index whose first column is
``election_id``, once per cast. A ballot is found by its hash through the tracking-code index:
the code is the hash's first 104 bits (:func:`~evote.ballots.encrypted.tracking_code`), so the
entry with a given hash is among those with its code, and the code's uniqueness makes the
hash's unique too; :class:`BallotColumns` derives the code from the hash, so no entry can
carry another.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa
from nacl.signing import SigningKey

from evote.ballots.encrypted import parse_tracking_code, tracking_code
from evote.board import rules
from evote.board.chain import (
    BoardEntry,
    ChainHead,
    EntryKind,
    genesis_hash,
    link_hash,
    payload_hash,
)
from evote.board.checkpoint import Checkpoint, sign_checkpoint
from evote.board.schema import checkpoints_table, elections_table, entries_table, marks_table
from evote.board.storage import (
    DriverConnections,
    DriverStatement,
    DriverTransaction,
    compile_for_driver,
    driver_integrity_error,
    read_connection,
    write_transaction,
)
from evote.errors import (
    BallotNotFound,
    BoardIntegrityError,
    DuplicateBallot,
    InvalidInput,
    StorageUnavailable,
    UnknownElection,
)

STREAM_BATCH: Final = 500

#: The life cycle (docs/spec.md 10.3), decided in evote.board.rules; kept here by name.
ALLOWED_AFTER: Final = rules.ALLOWED_AFTER
OPEN_KINDS: Final = rules.OPEN_KINDS


@dataclass(frozen=True, slots=True)
class Head:
    """The last entry of an election's board."""

    election_id: str
    position: int
    chain_hash: bytes
    kind: EntryKind

    @property
    def is_open(self) -> bool:
        """True while ballots may be cast."""
        return self.kind in OPEN_KINDS

    def chain_head(self) -> ChainHead:
        return ChainHead(self.position, self.chain_hash)


MARK_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class BallotColumns:
    """The indexed columns of a ballot entry (no credential for a spoiled ballot).

    ``tracking_code`` is derived from ``ballot_hash`` when the columns are made, never given:
    lookups by hash go through the code's index and rely on it (module docstring). ``marks``
    are the ciphertext marks (evote.ballots.encrypted.ciphertext_marks), 32 bytes each and
    distinct: two ciphertexts of one ballot with one alpha (a reused nonce) are refused here.
    """

    credential: bytes | None
    ballot_hash: bytes
    marks: tuple[bytes, ...]
    tracking_code: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tracking_code", tracking_code(self.ballot_hash))
        if not self.marks or any(len(mark) != MARK_LENGTH for mark in self.marks):
            raise InvalidInput(
                f"ballot {self.tracking_code}: expected ciphertext marks of 32 bytes each"
            )
        if len(set(self.marks)) != len(self.marks):
            raise rules.repeated_mark_refusal(self.tracking_code)

    @property
    def joined_marks(self) -> bytes:
        """The marks concatenated, as the cast statements take them."""
        return b"".join(self.marks)


@dataclass(frozen=True, slots=True)
class ElectionInfo:
    """The election's row: what the genesis hash binds."""

    election_id: str
    fingerprint: bytes
    launch_code: str

    def genesis(self) -> bytes:
        return genesis_hash(self.election_id, self.fingerprint, self.launch_code)


_ENTRY_COLUMNS = (
    entries_table.c.election_id,
    entries_table.c.position,
    entries_table.c.kind,
    entries_table.c.payload,
    entries_table.c.payload_hash,
    entries_table.c.chain_hash,
    entries_table.c.credential,
    entries_table.c.tracking_code,
    entries_table.c.ballot_hash,
)


# ``row`` holds _ENTRY_COLUMNS in order: a SQLAlchemy Row (whose generics differ between 2.0
# and 2.1) or a DB-API tuple.
def _entry(row: Any) -> BoardEntry:
    election_id, position, kind, payload, digest, chain, credential, code, ballot = row
    return BoardEntry(
        election_id=election_id,
        position=int(position),
        kind=EntryKind(kind),
        payload=bytes(payload),
        payload_hash=bytes(digest),
        chain_hash=bytes(chain),
        credential=None if credential is None else bytes(credential),
        tracking_code=code,
        ballot_hash=None if ballot is None else bytes(ballot),
    )


def _entry_values(entry: BoardEntry) -> dict[str, Any]:
    return {
        "election_id": entry.election_id,
        "position": entry.position,
        "kind": entry.kind.value,
        "payload": entry.payload,
        "payload_hash": entry.payload_hash,
        "chain_hash": entry.chain_hash,
        "credential": entry.credential,
        "tracking_code": entry.tracking_code,
        "ballot_hash": entry.ballot_hash,
    }


def _constant(kind: EntryKind) -> sa.ColumnElement[str]:
    """``kind`` as an SQL literal, not a parameter (as ``LIMIT 1`` in :func:`_check_query`).

    With bound constants PostgreSQL costed the generic plan of the prepared check query above
    its custom plans, so it kept planning the query afresh at every cast (0.2 ms each).
    """
    if not kind.value.isalpha():
        raise InvalidInput(f"entry kind {kind.value!r}: not a plain word")
    return sa.literal_column(f"'{kind.value}'")


def _mark_slots() -> sa.CTE:
    """0, 1, ..., (length(:marks) / 32) - 1: the slots of the marks in the joined bytes."""
    marks: sa.BindParameter[bytes] = sa.bindparam("marks")
    slots = sa.select(sa.literal_column("0").label("slot")).cte("slots", recursive=True)
    later = slots.c.slot + sa.literal_column("1")
    return slots.union_all(
        sa.select(later).where(later * sa.literal_column(str(MARK_LENGTH)) < sa.func.length(marks))
    )


def _mark_at(slots: sa.CTE) -> sa.ColumnElement[bytes]:
    """The mark in ``slots``' slot: substr(:marks, 32 * slot + 1, 32)."""
    size: sa.ColumnClause[int] = sa.literal_column(str(MARK_LENGTH))
    return sa.func.substr(sa.bindparam("marks"), slots.c.slot * size + sa.literal_column("1"), size)


def _check_query() -> sa.Select[Any]:
    """The head of the election and, in the same row, what a cast (ballot or spoiled) checks.

    Columns: head position, chain hash and kind; the position of this election's entry with
    the ballot's hash (``same``); of the first entry holding one of the ballot's ciphertext
    marks (``clash``: a cast or spoiled ballot with one of its alphas); of the credential's
    last ballot (``last``). The hash lookup filters on the hash column only and picks this
    election's row in the aggregate (module docstring: the planner must have no other index to
    choose); the marks are found by the marks table's primary key, one search per mark. A
    ballot and a spoiled ballot are judged alike: none of their marks may be on the board.
    """
    election: sa.BindParameter[str] = sa.bindparam("election_id")
    head = entries_table.alias("head")
    same = entries_table.alias("same")
    clash = marks_table.alias("clash")
    mine = entries_table.alias("mine")
    same_here = sa.and_(
        same.c.election_id == election, same.c.ballot_hash == sa.bindparam("ballot_hash")
    )
    same_position = (
        sa.select(sa.func.max(sa.case((same_here, same.c.position))))
        .where(same.c.tracking_code == sa.bindparam("tracking_code"))
        .scalar_subquery()
    )
    # One primary-key lookup per mark, as a correlated subquery: no join order for the planner
    # to choose, none that could walk the election's marks.
    slots = _mark_slots()
    holder = (
        sa.select(clash.c.position)
        .where(clash.c.election_id == election, clash.c.mark == _mark_at(slots))
        .scalar_subquery()
    )
    clash_position = sa.select(sa.func.min(holder)).select_from(slots).scalar_subquery()
    last_position = (
        sa.select(sa.func.max(mine.c.position))
        .where(
            mine.c.election_id == election,
            mine.c.credential == sa.bindparam("credential"),
            mine.c.kind == _constant(EntryKind.BALLOT),
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            head.c.position,
            head.c.chain_hash,
            head.c.kind,
            same_position.label("same"),
            clash_position.label("clash"),
            last_position.label("last"),
        )
        .where(head.c.election_id == election)
        .order_by(head.c.position.desc())
        .limit(sa.literal_column("1"))
    )


def _insert_marks() -> sa.Insert:
    """INSERT of every mark of :marks with the entry's election and :position."""
    slots = _mark_slots()
    rows = sa.select(
        sa.bindparam("election_id", type_=sa.String),
        _mark_at(slots),
        sa.bindparam("position", type_=sa.BigInteger),
    ).select_from(slots)
    return sa.insert(marks_table).from_select(["election_id", "mark", "position"], rows)


#: PostgreSQL: the check query in one call, one round trip, read without a lock
#: (evote_board_cast_facts, migration 0003); it returns the check query's row.
_FACTS_FUNCTION_CALL: Final = sa.text(
    "SELECT * FROM evote_board_cast_facts(CAST(:election_id AS text),"
    " CAST(:credential AS bytea), CAST(:tracking_code AS text), CAST(:ballot_hash AS bytea),"
    " CAST(:marks AS bytea))"
)

#: PostgreSQL: the entry and its marks appended under the election's row lock if the head is
#: still at :head_position (evote_board_append_cast, migration 0003); one row: whether it did,
#: then (if not) the check query's row read now; no row for an unknown election.
_APPEND_FUNCTION_CALL: Final = sa.text(
    "SELECT * FROM evote_board_append_cast(CAST(:election_id AS text),"
    " CAST(:head_position AS bigint), CAST(:kind AS text), CAST(:payload AS bytea),"
    " CAST(:payload_hash AS bytea),"
    " CAST(:chain_hash AS bytea), CAST(:credential AS bytea), CAST(:tracking_code AS text),"
    " CAST(:ballot_hash AS bytea), CAST(:marks AS bytea))"
)

#: Reads of the facts before a PostgreSQL cast gives up because the head kept moving (each
#: miss means another entry was appended meanwhile, so the board made progress).
CAST_ATTEMPTS: Final = 64


@dataclass(frozen=True, slots=True)
class CastStatements:
    """The statements of a cast, compiled once for the engine's dialect.

    ``check`` is the check query (:func:`_check_query`) on SQLite, run after ``BEGIN
    IMMEDIATE``; on PostgreSQL, the call of ``evote_board_cast_facts``, which returns the same
    row, read without a lock. On SQLite ``insert`` takes the entry's columns and
    ``insert_marks`` its ``marks``; on PostgreSQL both are None and ``append`` calls
    ``evote_board_append_cast`` (the entry and its marks, if the head is still at
    ``head_position``). ``last_of_credential`` is bounded by ``head_position``: the facts are
    those of the board as the check saw it.
    """

    check: DriverStatement
    entry_at: DriverStatement
    last_of_credential: DriverStatement
    insert: DriverStatement | None
    insert_marks: DriverStatement | None
    append: DriverStatement | None

    @classmethod
    def compile(cls, dialect: sa.Dialect) -> CastStatements:
        election: sa.BindParameter[str] = sa.bindparam("election_id")
        check: sa.ClauseElement = _check_query()
        insert: DriverStatement | None = compile_for_driver(
            sa.insert(entries_table).values(
                {column.name: sa.bindparam(column.name) for column in _ENTRY_COLUMNS}
            ),
            dialect,
        )
        insert_marks: DriverStatement | None = compile_for_driver(_insert_marks(), dialect)
        append = None
        if dialect.name == "postgresql":
            check, insert, insert_marks = _FACTS_FUNCTION_CALL, None, None
            append = compile_for_driver(_APPEND_FUNCTION_CALL, dialect)
        entry_at = sa.select(*_ENTRY_COLUMNS).where(
            entries_table.c.election_id == election,
            entries_table.c.position == sa.bindparam("position"),
        )
        last_of_credential = sa.select(sa.func.max(entries_table.c.position)).where(
            entries_table.c.election_id == election,
            entries_table.c.credential == sa.bindparam("credential"),
            entries_table.c.kind == _constant(EntryKind.BALLOT),
            entries_table.c.position <= sa.bindparam("head_position"),
        )
        return cls(
            check=compile_for_driver(check, dialect),
            entry_at=compile_for_driver(entry_at, dialect),
            last_of_credential=compile_for_driver(last_of_credential, dialect),
            insert=insert,
            insert_marks=insert_marks,
            append=append,
        )


class BoardStore:
    """Append-only storage of many elections' chains in one database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._is_postgres = engine.dialect.name == "postgresql"
        #: The cast's statements, compiled once for this engine's dialect.
        self.cast_statements = CastStatements.compile(engine.dialect)
        self._integrity_error = driver_integrity_error(engine)
        #: The connections casts write on (one kept between casts: see DriverConnections).
        self.driver = DriverConnections(engine)
        #: PostgreSQL casts whose append found the head moved and read the facts again.
        self.cast_retries = 0

    def close(self) -> None:
        """Give the connections kept for casts back to the engine's pool."""
        self.driver.close()

    # ----------------------------------------------------------------------------- writes

    def create_election(
        self, election_id: str, fingerprint: bytes, launch_code: str, setup_payload: bytes
    ) -> BoardEntry:
        """Insert the election's row and its setup entry (position 1) in one transaction."""
        info = ElectionInfo(election_id, fingerprint, launch_code)
        entry = self._entry_after(
            election_id, ChainHead(0, info.genesis()), EntryKind.SETUP, setup_payload, None
        )
        with write_transaction(self.engine, f"setup of election {election_id!r}") as connection:
            exists = connection.execute(
                sa.select(elections_table.c.election_id).where(
                    elections_table.c.election_id == election_id
                )
            ).first()
            if exists is not None:
                raise InvalidInput(f"election {election_id!r} is already set up on this board")
            connection.execute(
                sa.insert(elections_table).values(
                    election_id=election_id, fingerprint=fingerprint, launch_code=launch_code
                )
            )
            self._insert(connection, entry)
        return entry

    def append_event(
        self,
        election_id: str,
        kind: EntryKind,
        payload: bytes,
        signing_key: SigningKey | None = None,
    ) -> tuple[BoardEntry, Checkpoint | None]:
        """Append a life-cycle event; with ``signing_key``, also a checkpoint of the new head."""
        if kind in (EntryKind.SETUP, EntryKind.BALLOT, EntryKind.SPOILED):
            raise InvalidInput(f"append_event: {kind.value!r} entries have their own method")
        what = f"{kind.value} event of election {election_id!r}"
        with write_transaction(self.engine, what) as connection:
            head = self._locked_head(connection, election_id)
            self._check_phase(head, kind)
            entry = self._entry_after(election_id, head.chain_head(), kind, payload, None)
            self._insert(connection, entry)
            checkpoint = None
            if signing_key is not None:
                checkpoint = self._insert_checkpoint(
                    connection,
                    signing_key,
                    election_id,
                    ChainHead(entry.position, entry.chain_hash),
                )
        return entry, checkpoint

    def append_ballot(
        self,
        election_id: str,
        kind: EntryKind,
        payload: bytes,
        columns: BallotColumns,
        one_ballot_per_credential: bool,
    ) -> tuple[BoardEntry, bool]:
        """Append a ballot (or a spoiled ballot); return (entry, False), or (existing, True).

        Under the election's lock (on PostgreSQL: against an unmoved head, see the module
        docstring): the phase must be open; a ballot with this hash already on the board
        is returned as is when it is its credential's last ballot (a retried cast), and refused
        with :class:`DuplicateBallot` otherwise (a replay of a superseded or spoiled ballot);
        no ciphertext mark of the ballot (cast or spoiled) may be on the board already;
        with ``one_ballot_per_credential``, a second ballot of a credential is refused.
        """
        if kind not in (EntryKind.BALLOT, EntryKind.SPOILED):
            raise InvalidInput(f"append_ballot: {kind.value!r} is not a ballot kind")
        if kind is EntryKind.BALLOT and columns.credential is None:
            raise InvalidInput(f"ballot {columns.tracking_code}: no credential")
        # Hashed before the lock: only the link hash depends on the head.
        digest = payload_hash(kind, payload)
        statements = self.cast_statements
        values = {
            "election_id": election_id,
            "tracking_code": columns.tracking_code,
            "ballot_hash": columns.ballot_hash,
            "marks": columns.joined_marks,
            "credential": columns.credential,
        }
        what = f"ballot {columns.tracking_code} of election {election_id!r}"
        if statements.append is not None:
            return self._compare_and_append(statements.append, values, kind, payload, digest,
                                            columns, one_ballot_per_credential, what)  # fmt: skip
        with self.driver.write_transaction(what) as transaction:
            row = transaction.first(statements.check, values)
            entry, retried = self._judged(
                transaction, row, values, kind, payload, digest, columns, one_ballot_per_credential
            )
            if retried:
                return entry, True
            try:
                entry_values = _entry_values(entry) | {"marks": columns.joined_marks}
                if statements.insert is not None:
                    transaction.run(statements.insert, entry_values)
                if statements.insert_marks is not None:
                    transaction.run(statements.insert_marks, entry_values)
                transaction.commit()
            except self._integrity_error as fault:
                raise self._code_collision(election_id, columns) from fault
        return entry, False

    def _compare_and_append(
        self,
        append: DriverStatement,
        values: dict[str, Any],
        kind: EntryKind,
        payload: bytes,
        digest: bytes,
        columns: BallotColumns,
        one_ballot_per_credential: bool,
        what: str,
    ) -> tuple[BoardEntry, bool]:
        """PostgreSQL: read the facts, judge, append if the head has not moved; else again.

        Each call commits on its own (autocommit): the facts are read without a lock, as of
        the head they report (one statement, one snapshot); ``evote_board_append_cast`` takes
        the election's row lock and appends only if the head is still there. The board is
        append-only and every entry goes in at the head under that lock, so an unchanged head
        means unchanged facts, and the judge's verdict stands as if it had been given under
        the lock. A moved head means another entry went in: the refused append returns the
        facts read again (by the facts function, in the same call), which are judged again
        (the same ballot appended meanwhile is then a retry, answered with its entry).
        """
        election_id = str(values["election_id"])
        with self.driver.autocommit_calls(what) as calls:
            row = calls.first(self.cast_statements.check, values)
            for _ in range(CAST_ATTEMPTS):
                entry, retried = self._judged(
                    calls, row, values, kind, payload, digest, columns, one_ballot_per_credential
                )
                if retried:
                    return entry, True
                appending = _entry_values(entry) | {
                    "marks": columns.joined_marks, "head_position": entry.position - 1
                }  # fmt: skip
                try:
                    answer = calls.first(append, appending)
                except self._integrity_error as fault:
                    raise self._code_collision(election_id, columns) from fault
                if answer is not None and answer[0] is True:
                    return entry, False
                self.cast_retries += 1
                # Refused: the facts as they are now came with the answer (none: no election).
                row = None if answer is None else answer[1:]
        raise StorageUnavailable(
            f"{what}: the election's head moved at each of {CAST_ATTEMPTS} attempts (other"
            " entries kept going in first); nothing was appended, cast the ballot again"
        )

    def _judged(
        self,
        transaction: DriverTransaction,
        row: Any,
        values: dict[str, Any],
        kind: EntryKind,
        payload: bytes,
        digest: bytes,
        columns: BallotColumns,
        one_ballot_per_credential: bool,
    ) -> tuple[BoardEntry, bool]:
        """The judge's verdict on the check query's ``row``: (entry to append, False) if it
        accepts, (the entry already there, True) for a retry; a refusal is raised."""
        election_id = str(values["election_id"])
        if row is None:
            raise UnknownElection(f"no election {election_id!r} on this board")
        position, chain_hash, head_kind, same, clash, last = row
        head = Head(election_id, int(position), bytes(chain_hash), EntryKind(head_kind))
        facts, existing = self._cast_facts(
            transaction, head, kind, columns, one_ballot_per_credential, same, clash, last
        )
        verdict = rules.judge_cast(facts)
        if verdict.refusal is not None:
            raise verdict.refusal
        if existing is not None and verdict.retry_of == existing.position:
            return existing, True
        if not verdict.accepted:
            raise BoardIntegrityError(
                f"ballot {columns.tracking_code} of election {election_id!r}: the judge named"
                " no entry the board holds"
            )
        entry = self._entry_after(election_id, head.chain_head(), kind, payload, columns, digest)
        return entry, False

    def _cast_facts(
        self,
        transaction: DriverTransaction,
        head: Head,
        kind: EntryKind,
        columns: BallotColumns,
        one_ballot_per_credential: bool,
        same: int | None,
        clash: int | None,
        last: int | None,
    ) -> tuple[rules.CastFacts, BoardEntry | None]:
        """The judge's facts from the check row (and the entry with the same hash, if any).

        The check row names positions only; the entries they name are read here, in the same
        transaction, in the rare casts that need them (a retry, a replay, a reused alpha).
        """
        election_id = head.election_id
        existing = None
        same_ballot = None
        if same is not None:
            existing = self._driver_entry_at(transaction, election_id, int(same))
            its_last = None if last is None else int(last)
            if existing.credential != columns.credential:
                its_last = self._driver_last_of(
                    transaction, election_id, existing.credential, head.position
                )
            same_ballot = rules.SameBallot(
                existing.position, existing.kind, existing.credential is not None, its_last
            )
        clash_kind = None
        if existing is not None and clash == existing.position:
            clash_kind = existing.kind  # a retry: its own marks are on the board
        elif clash is not None:
            clash_kind = self._driver_entry_at(transaction, election_id, int(clash)).kind
        facts = rules.CastFacts(
            election_id=election_id,
            kind=kind,
            tracking_code=columns.tracking_code,
            one_ballot_per_credential=one_ballot_per_credential,
            head_position=head.position,
            head_kind=head.kind,
            same=same_ballot,
            clash_position=None if clash is None else int(clash),
            clash_kind=clash_kind,
            last=None if last is None else int(last),
        )
        return facts, existing

    @staticmethod
    def _code_collision(election_id: str, columns: BallotColumns) -> DuplicateBallot:
        # Under the lock only a tracking-code collision can get here.
        return DuplicateBallot(
            f"ballot {columns.tracking_code}: its tracking code or hash is already on "
            f"the board of election {election_id!r}"
        )

    def _driver_entry_at(
        self, transaction: DriverTransaction, election_id: str, position: int
    ) -> BoardEntry:
        row = transaction.first(
            self.cast_statements.entry_at, {"election_id": election_id, "position": position}
        )
        if row is None:
            raise BoardIntegrityError(f"election {election_id!r}: entry {position} vanished")
        return _entry(row)

    def _driver_last_of(
        self,
        transaction: DriverTransaction,
        election_id: str,
        credential: bytes | None,
        head_position: int,
    ) -> int | None:
        if credential is None:
            return None
        row = transaction.first(
            self.cast_statements.last_of_credential,
            {"election_id": election_id, "credential": credential, "head_position": head_position},
        )
        return None if row is None or row[0] is None else int(row[0])

    def publish_checkpoint(self, election_id: str, signing_key: SigningKey) -> Checkpoint:
        """Sign the current head and record the checkpoint."""
        what = f"checkpoint of election {election_id!r}"
        with write_transaction(self.engine, what) as connection:
            head = self._locked_head(connection, election_id)
            return self._insert_checkpoint(connection, signing_key, election_id, head.chain_head())

    # ------------------------------------------------------------------------------ reads

    def election_ids(self) -> list[str]:
        with read_connection(self.engine, "list of elections") as connection:
            rows = connection.execute(
                sa.select(elections_table.c.election_id).order_by(elections_table.c.election_id)
            )
            return [row[0] for row in rows]

    def election_info(self, election_id: str) -> ElectionInfo:
        with read_connection(self.engine, f"election {election_id!r}") as connection:
            row = connection.execute(
                sa.select(elections_table.c.fingerprint, elections_table.c.launch_code).where(
                    elections_table.c.election_id == election_id
                )
            ).first()
        if row is None:
            raise UnknownElection(f"no election {election_id!r} on this board")
        return ElectionInfo(election_id, bytes(row[0]), row[1])

    def head(self, election_id: str) -> Head:
        with read_connection(self.engine, f"head of election {election_id!r}") as connection:
            return self._head(connection, election_id)

    def entry_at(self, election_id: str, position: int) -> BoardEntry:
        with read_connection(self.engine, f"entry {position} of {election_id!r}") as connection:
            row = connection.execute(
                sa.select(*_ENTRY_COLUMNS).where(
                    entries_table.c.election_id == election_id,
                    entries_table.c.position == position,
                )
            ).first()
        if row is None:
            raise InvalidInput(f"election {election_id!r}: no board entry at position {position}")
        return _entry(row)

    def entry_by_tracking_code(self, election_id: str, tracking_code: str) -> BoardEntry:
        """The entry whose tracking code is ``tracking_code``, typed in any case or spacing.

        InvalidInput if the text is not a tracking code (:func:`parse_tracking_code`),
        BallotNotFound if no ballot of this election has it.
        """
        code = parse_tracking_code(tracking_code)
        with read_connection(self.engine, f"ballot {code}") as connection:
            found = next(self._entries_with_code(connection, election_id, code), None)
        if found is None:
            raise BallotNotFound(f"election {election_id!r}: no ballot with tracking code {code}")
        return found

    def entry_by_ballot_hash(self, election_id: str, ballot_hash: bytes) -> BoardEntry | None:
        with read_connection(self.engine, "ballot lookup") as connection:
            return self._ballot_by_hash(connection, election_id, ballot_hash)

    def entries(
        self,
        election_id: str,
        start: int = 1,
        stop: int | None = None,
        kind: EntryKind | None = None,
    ) -> Iterator[BoardEntry]:
        """Stream the entries with ``start <= position < stop`` in board order."""
        query = sa.select(*_ENTRY_COLUMNS).where(
            entries_table.c.election_id == election_id, entries_table.c.position >= start
        )
        if stop is not None:
            query = query.where(entries_table.c.position < stop)
        if kind is not None:
            query = query.where(entries_table.c.kind == kind.value)
        yield from self._stream(query.order_by(entries_table.c.position), election_id)

    def counted_entries(self, election_id: str) -> Iterator[BoardEntry]:
        """Stream the last ballot entry of every credential, in board order."""
        last = (
            sa.select(sa.func.max(entries_table.c.position).label("last"))
            .where(
                entries_table.c.election_id == election_id,
                entries_table.c.kind == EntryKind.BALLOT.value,
            )
            .group_by(entries_table.c.credential)
            .subquery()
        )
        query = (
            sa.select(*_ENTRY_COLUMNS)
            .join(last, entries_table.c.position == last.c.last)
            .where(entries_table.c.election_id == election_id)
            .order_by(entries_table.c.position)
        )
        yield from self._stream(query, election_id)

    def checkpoints(self, election_id: str) -> list[Checkpoint]:
        with read_connection(self.engine, f"checkpoints of {election_id!r}") as connection:
            rows = connection.execute(
                sa.select(checkpoints_table)
                .where(checkpoints_table.c.election_id == election_id)
                .order_by(checkpoints_table.c.serial)
            )
            return [
                Checkpoint(
                    election_id=row.election_id,
                    position=int(row.position),
                    chain_hash=bytes(row.chain_hash),
                    timestamp=int(row.timestamp),
                    board_key=bytes(row.board_key),
                    signature=bytes(row.signature),
                )
                for row in rows
            ]

    # -------------------------------------------------------------------------- internals

    def _stream(
        self, query: sa.Select[tuple[object, ...]], election_id: str
    ) -> Iterator[BoardEntry]:
        with read_connection(self.engine, f"entries of {election_id!r}") as connection:
            result = connection.execution_options(yield_per=STREAM_BATCH).execute(query)
            for row in result:
                yield _entry(row)

    def _locked_head(self, connection: sa.Connection, election_id: str) -> Head:
        lock = sa.select(elections_table.c.election_id).where(
            elections_table.c.election_id == election_id
        )
        if self._is_postgres:
            lock = lock.with_for_update()
        if connection.execute(lock).first() is None:
            raise UnknownElection(f"no election {election_id!r} on this board")
        return self._head(connection, election_id)

    @staticmethod
    def _head(connection: sa.Connection, election_id: str) -> Head:
        row = connection.execute(
            sa.select(entries_table.c.position, entries_table.c.chain_hash, entries_table.c.kind)
            .where(entries_table.c.election_id == election_id)
            .order_by(entries_table.c.position.desc())
            .limit(1)
        ).first()
        if row is None:
            raise UnknownElection(f"no election {election_id!r} on this board")
        return Head(election_id, int(row[0]), bytes(row[1]), EntryKind(row[2]))

    @staticmethod
    def _check_phase(head: Head, kind: EntryKind) -> None:
        refusal = rules.phase_refusal(head.election_id, head.position, head.kind, kind)
        if refusal is not None:
            raise refusal

    @staticmethod
    def _ballot_by_hash(
        connection: sa.Connection, election_id: str, ballot_hash: bytes
    ) -> BoardEntry | None:
        found = BoardStore._entries_with_code(connection, election_id, tracking_code(ballot_hash))
        return next((entry for entry in found if entry.ballot_hash == ballot_hash), None)

    @staticmethod
    def _entries_with_code(
        connection: sa.Connection, election_id: str, code: str
    ) -> Iterator[BoardEntry]:
        """This election's entries with tracking code ``code`` (one, since codes are unique)."""
        # By the code alone, for its index (module docstring); then this election's entry.
        rows = connection.execute(
            sa.select(*_ENTRY_COLUMNS).where(entries_table.c.tracking_code == code)
        )
        return (_entry(row) for row in rows if row[0] == election_id)

    @staticmethod
    def last_position_of(
        connection: sa.Connection, election_id: str, credential: bytes
    ) -> int | None:
        """The position of the credential's last ballot, or None."""
        value = connection.execute(
            sa.select(sa.func.max(entries_table.c.position)).where(
                entries_table.c.election_id == election_id,
                entries_table.c.credential == credential,
                entries_table.c.kind == EntryKind.BALLOT.value,
            )
        ).scalar()
        return None if value is None else int(value)

    @staticmethod
    def _entry_after(
        election_id: str,
        previous: ChainHead,
        kind: EntryKind,
        payload: bytes,
        columns: BallotColumns | None,
        digest: bytes | None = None,
    ) -> BoardEntry:
        """The entry after ``previous``; ``digest`` is the payload hash if already computed."""
        position = previous.position + 1
        if digest is None:
            digest = payload_hash(kind, payload)
        return BoardEntry(
            election_id=election_id,
            position=position,
            kind=kind,
            payload=payload,
            payload_hash=digest,
            chain_hash=link_hash(position, previous.chain_hash, digest),
            credential=None if columns is None else columns.credential,
            tracking_code=None if columns is None else columns.tracking_code,
            ballot_hash=None if columns is None else columns.ballot_hash,
        )

    @staticmethod
    def _insert(connection: sa.Connection, entry: BoardEntry) -> None:
        connection.execute(
            sa.insert(entries_table).values(
                election_id=entry.election_id,
                position=entry.position,
                kind=entry.kind.value,
                payload=entry.payload,
                payload_hash=entry.payload_hash,
                chain_hash=entry.chain_hash,
                credential=entry.credential,
                tracking_code=entry.tracking_code,
                ballot_hash=entry.ballot_hash,
            )
        )

    @staticmethod
    def _insert_checkpoint(
        connection: sa.Connection, signing_key: SigningKey, election_id: str, head: ChainHead
    ) -> Checkpoint:
        checkpoint = sign_checkpoint(signing_key, election_id, head)
        serial = connection.execute(
            sa.select(sa.func.count()).where(checkpoints_table.c.election_id == election_id)
        ).scalar_one()
        connection.execute(
            sa.insert(checkpoints_table).values(
                election_id=election_id,
                serial=int(serial) + 1,
                position=checkpoint.position,
                chain_hash=checkpoint.chain_hash,
                timestamp=checkpoint.timestamp,
                board_key=checkpoint.board_key,
                signature=checkpoint.signature,
            )
        )
        return checkpoint
