"""The verifier's per-ballot facts in a temporary SQLite database (docs/spec.md 11.8 to 11.10).

Steps 11.8 to 11.10 need, for every ballot entry, its credential, tracking code, ciphertext
marks and weight: duplicates and replays are found by grouping on those, the counted set is
the last ballot of each credential. Kept in Python dictionaries these facts cost about a
kilobyte per ballot, a gigabyte at a million voters; kept in a SQLite file in a temporary
directory they cost the page cache SQLite is given (a few MiB), whatever the number of
ballots (memory stays flat). The facts arrive in board order, a chunk at a time, as
bulk inserts; window queries (``LAG``, ``FIRST_VALUE``, ``LEAD`` over the rows of one
credential, code or mark in position order), which SQLite answers by sorting on disk, then
give each entry what the board knew when it was cast.

Step 11.8 does not restate the board's rules: one query streams, entry by entry in board
order, the facts the board's check query gives a cast (the earlier entry with the same code,
the first earlier entry holding one of its marks, the credential's last earlier ballot), and
each entry goes through the board's own judge (:func:`evote.board.rules.judge_cast`). An entry
the judge would not have appended (a refusal, or a retry answered with an earlier entry) is a
violation.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from evote.ballots.encrypted import TRACKING_CODE_BYTES, tracking_code
from evote.board.chain import EntryKind
from evote.board.rules import CastFacts, SameBallot, Verdict, judge_cast
from evote.verify.work import BallotFacts

#: SQLite page cache per verifier, in KiB (a negative cache_size is KiB).
CACHE_KIB: Final = 16 * 1024

_SCHEMA: Final = """
CREATE TABLE ballot (
    position INTEGER PRIMARY KEY,
    spoiled INTEGER NOT NULL,
    credential BLOB NOT NULL,
    code BLOB NOT NULL,
    weight INTEGER,
    repeated INTEGER NOT NULL
);
CREATE TABLE mark (
    mark BLOB NOT NULL,
    position INTEGER NOT NULL,
    slot INTEGER NOT NULL
)
"""

# Per entry, in board order, the board's facts at its cast (evote.board.rules.CastFacts):
# ``same``: the
# latest earlier entry with its tracking code (the board finds the ballot with the same hash
# through the code, docs/spec.md 10.1); ``clash``: the first earlier entry holding one of its
# marks; ``last``: the credential's latest earlier cast ballot (spoiled entries carry no
# credential on the board, hence none here).
_CAST_FACTS: Final = """
SELECT b.position, b.spoiled, b.code, b.repeated,
       LAG(b.position) OVER (PARTITION BY b.code ORDER BY b.position) AS same,
       LAG(b.spoiled) OVER (PARTITION BY b.code ORDER BY b.position) AS same_spoiled,
       m.clash,
       CASE WHEN b.spoiled = 0 THEN
           LAG(b.position) OVER (PARTITION BY b.credential, b.spoiled ORDER BY b.position)
       END AS last
FROM ballot AS b LEFT JOIN (
    SELECT position, MIN(other) AS clash FROM (
        SELECT position,
               FIRST_VALUE(position) OVER (PARTITION BY mark ORDER BY position, slot) AS other
        FROM mark) WHERE other < position GROUP BY position
) AS m USING (position)
ORDER BY b.position
"""

_LAST_OF_EACH: Final = """
SELECT COUNT(*), COUNT(weight), COALESCE(SUM(weight), 0) FROM (
    SELECT weight, LEAD(position) OVER (PARTITION BY credential ORDER BY position) AS later
    FROM ballot WHERE spoiled = 0) WHERE later IS NULL
"""

_SUPERSEDED: Final = """
SELECT position, weight FROM (
    SELECT position, weight,
           LEAD(position) OVER (PARTITION BY credential ORDER BY position) AS later
    FROM ballot WHERE spoiled = 0) WHERE later IS NOT NULL
ORDER BY position
"""


@dataclass(frozen=True, slots=True)
class Violations:
    """How many board rules were broken, and the message of the first (``None`` if none)."""

    count: int
    first: str | None


@dataclass(frozen=True, slots=True)
class CountedSet:
    """The last cast ballot of each credential: how many, how many weighed, total weight."""

    ballots: int
    weighed: int
    total_weight: int


def violation_message(position: int, verdict: Verdict, code: str) -> str:
    """Why the board would not have appended the entry at ``position`` (``verdict``'s words)."""
    where = f"board entry {position}"
    if verdict.refusal is not None:
        return f"{where}: {verdict.refusal}"
    return (
        f"{where}: ballot {code} again, as the entry at {verdict.retry_of} (replay): the board"
        " answers a retried cast with the entry it holds, never appends it twice"
    )


class FactStore:
    """The facts of the decoded ballot entries, in a SQLite file of a fresh temporary directory.

    Use as a context manager (or call :meth:`close`): the directory is removed on close.
    """

    def __init__(self) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="evote-verify-"))
        try:
            # isolation_level=None: transactions are explicit (one per chunk of inserts).
            self._db = sqlite3.connect(self._directory / "facts.sqlite", isolation_level=None)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                           f"cache_size = -{CACHE_KIB}"):  # fmt: skip
                self._db.execute(f"PRAGMA {pragma}")
            self._db.executescript(_SCHEMA)
        except BaseException:
            shutil.rmtree(self._directory, ignore_errors=True)
            raise
        self.rows = 0

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._directory, ignore_errors=True)

    def add(self, facts: Iterable[BallotFacts]) -> None:
        """Insert the facts of decoded entries (those with credential, hash and marks)."""
        rows = []
        marks = []
        for fact in facts:
            if fact.credential is None or fact.ballot_hash is None or fact.marks is None:
                continue
            rows.append(
                (
                    fact.position,
                    int(fact.spoiled),
                    fact.credential,
                    fact.ballot_hash[:TRACKING_CODE_BYTES],
                    fact.weight,
                    int(len(set(fact.marks)) != len(fact.marks)),
                )
            )
            marks += [(mark, fact.position, slot) for slot, mark in enumerate(fact.marks)]
        if not rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO ballot VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._db.executemany("INSERT INTO mark VALUES (?, ?, ?)", marks)
        self._db.execute("COMMIT")
        self.rows += len(rows)

    def violations(self, *, election_id: str, one_ballot_per_credential: bool) -> Violations:
        """Every entry replayed through the board's judge; those it would not have appended."""
        count = 0
        first: str | None = None
        spoiled_at = self._db.cursor()
        # The entry before each one: a ballot entry seen just before in this stream, else an
        # event, which step 11.5 holds to the life cycle (the ``open`` a ballot may follow).
        previous, previous_kind = 0, EntryKind.OPEN
        for position, spoiled, code, repeated, same, same_spoiled, clash, last in self._db.execute(
            _CAST_FACTS
        ):
            clash_kind = None
            if clash is not None:
                (clash_spoiled,) = spoiled_at.execute(
                    "SELECT spoiled FROM ballot WHERE position = ?", (clash,)
                ).fetchone()
                clash_kind = _kind(clash_spoiled)
            same_ballot = None
            if same is not None:
                # One ballot hash, one ballot, one credential: its last ballot is this one's.
                same_ballot = SameBallot(same, _kind(same_spoiled), not same_spoiled, last)
            verdict = judge_cast(
                CastFacts(
                    election_id=election_id,
                    kind=_kind(spoiled),
                    tracking_code=tracking_code(code),
                    one_ballot_per_credential=one_ballot_per_credential,
                    head_position=position - 1,
                    head_kind=previous_kind if previous == position - 1 else EntryKind.OPEN,
                    same=same_ballot,
                    repeated_mark=repeated == 1,
                    clash_position=clash,
                    clash_kind=clash_kind,
                    last=last,
                )
            )
            previous, previous_kind = position, _kind(spoiled)
            if verdict.accepted:
                continue
            count += 1
            if first is None:
                first = violation_message(position, verdict, tracking_code(code))
        return Violations(count, first)

    def counted(self) -> CountedSet:
        """The last cast ballot of each credential (the counted set, docs/spec.md 11.9)."""
        ballots, weighed, total = self._db.execute(_LAST_OF_EACH).fetchone()
        return CountedSet(ballots, weighed, int(total))

    def superseded(self) -> Iterator[tuple[int, int | None]]:
        """(position, weight) of every cast ballot a later ballot of its credential replaced."""
        yield from self._db.execute(_SUPERSEDED)

    def has_superseded(self) -> bool:
        found: int = self._db.execute("SELECT EXISTS (" + _SUPERSEDED + ")").fetchone()[0]
        return found == 1


def _kind(spoiled: int) -> EntryKind:
    return EntryKind.SPOILED if spoiled else EntryKind.BALLOT
