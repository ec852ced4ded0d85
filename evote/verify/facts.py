"""The verifier's per-ballot facts in a temporary SQLite database (docs/spec.md 11.8 to 11.10).

Steps 11.8 to 11.10 need, for every ballot entry, its credential, tracking code, ciphertext
marks and weight: duplicates and replays are found by grouping on those, the counted set is
the last ballot of each credential. Kept in Python dictionaries these facts cost about a
kilobyte per ballot, a gigabyte at a million voters; kept in a SQLite file in a temporary
directory they cost the page cache SQLite is given (a few MiB), whatever the number of
ballots (memory stays flat). The facts arrive in board order, a chunk at a time, as
bulk inserts; the rules are then window queries (``LAG``, ``FIRST_VALUE``, ``LEAD`` over the
rows of one credential, code or mark in position order), which SQLite answers by sorting on
disk.

Each query returns what the in-memory rules return (tests/verify/test_facts.py): the same
violations with the same messages, in the same order (by position, then replay before reused
alpha before revote).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from evote.ballots.encrypted import TRACKING_CODE_BYTES
from evote.verify.work import BallotFacts

#: SQLite page cache per verifier, in KiB (a negative cache_size is KiB).
CACHE_KIB: Final = 16 * 1024

_SCHEMA: Final = """
CREATE TABLE ballot (
    position INTEGER PRIMARY KEY,
    spoiled INTEGER NOT NULL,
    credential BLOB NOT NULL,
    code BLOB NOT NULL,
    weight INTEGER
);
CREATE TABLE mark (
    mark BLOB NOT NULL,
    position INTEGER NOT NULL,
    slot INTEGER NOT NULL
)
"""

# (position, kind, other position) of every violation found in board order; kind orders the
# rules at one position as the board applies them: 0 replay, 1 reused alpha, 2 second ballot.
# A reused alpha is one violation per entry, naming the first entry that held any of its
# reused marks (the entry itself when two of its own ciphertexts share one).
_IN_ORDER: Final = """
SELECT position, 0 AS kind, other FROM (
    SELECT position, LAG(position) OVER (PARTITION BY code ORDER BY position) AS other
    FROM ballot) WHERE other IS NOT NULL
UNION ALL
SELECT position, 1, MIN(other) FROM (
    SELECT position,
           FIRST_VALUE(position) OVER (PARTITION BY mark ORDER BY position, slot) AS other,
           ROW_NUMBER() OVER (PARTITION BY mark ORDER BY position, slot) AS seen
    FROM mark) WHERE seen > 1 GROUP BY position
"""

_SECOND_BALLOTS: Final = """
UNION ALL
SELECT position, 2, other FROM (
    SELECT position, LAG(position) OVER (PARTITION BY credential ORDER BY position) AS other
    FROM ballot WHERE spoiled = 0) WHERE other IS NOT NULL
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


def violation_message(
    position: int, kind: int, other: int, spoiled: bool, other_spoiled: bool
) -> str:
    """The message of a violation at ``position`` (kinds as in ``_IN_ORDER``)."""
    where = f"board entry {position}"
    if kind == 0:
        return f"{where}: same ballot hash or tracking code as entry {other} (replay)"
    if kind == 1:
        this = "spoiled ballot" if spoiled else "cast ballot"
        if other == position:
            return f"{where}: {this} with two ciphertexts of the same alpha (a reused nonce)"
        if other_spoiled:
            return (
                f"{where}: {this} with a ciphertext alpha of the spoiled ballot at {other}"
                " (whose nonces the audit made public)"
            )
        return (
            f"{where}: {this} with a ciphertext alpha of the cast ballot at {other}"
            " (a copy, or reused nonces)"
        )
    return (
        f"{where}: second ballot of the credential that voted at {other};"
        " the election allows one ballot per credential"
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
                )
            )
            marks += [(mark, fact.position, slot) for slot, mark in enumerate(fact.marks)]
        if not rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO ballot VALUES (?, ?, ?, ?, ?)", rows)
        self._db.executemany("INSERT INTO mark VALUES (?, ?, ?)", marks)
        self._db.execute("COMMIT")
        self.rows += len(rows)

    def violations(self, *, one_ballot_per_credential: bool) -> Violations:
        """Replays, reused alphas (copies, spoiled ciphertexts), second ballots (single policy)."""
        # Built from this module's constant fragments only: no value reaches the SQL text.
        query = _IN_ORDER + (_SECOND_BALLOTS if one_ballot_per_credential else "")
        ordered = (
            "SELECT v.position, v.kind, v.other, b.spoiled, o.spoiled FROM ("  # noqa: S608
            + query
            + ") AS v JOIN ballot AS b USING (position)"
            " JOIN ballot AS o ON o.position = v.other"
            " ORDER BY v.position, v.kind LIMIT 1"
        )
        (count,) = self._db.execute("SELECT COUNT(*) FROM (" + query + ")").fetchone()  # noqa: S608
        first = self._db.execute(ordered).fetchone()
        message = (
            None
            if first is None
            else violation_message(first[0], first[1], first[2], first[3] == 1, first[4] == 1)
        )
        return Violations(count, message)

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
