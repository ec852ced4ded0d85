"""The verifier's per-ballot facts in a temporary SQLite database (docs/spec.md 11.8 to 11.10).

Steps 11.8 to 11.10 need, for every ballot entry, its credential, tracking code, spoiled
marker and weight: duplicates and replays are found by grouping on those, the counted set is
the last ballot of each credential. Kept in Python dictionaries these facts cost about a
kilobyte per ballot, a gigabyte at a million voters; kept in a SQLite file in a temporary
directory they cost the page cache SQLite is given (a few MiB), whatever the number of
ballots (memory stays flat). The facts arrive in board order, a chunk at a time, as
bulk inserts; the rules are then window queries (``LAG``, ``FIRST_VALUE``, ``LEAD`` over the
rows of one credential, code or marker in position order), which SQLite answers by sorting on
disk.

Each query returns what the in-memory rules returned: the same violations with the same
messages, in the same order (by position, then replay before copy before revote, then the
cast ballots that reuse a spoiled ballot's ciphertexts).
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
    marker BLOB NOT NULL,
    weight INTEGER
)
"""

# (position, kind, other position) of every violation found in board order; kind orders the
# rules at one position as the board applies them: 0 replay, 1 copy, 2 second ballot.
_IN_ORDER: Final = """
SELECT position, 0 AS kind, other FROM (
    SELECT position, LAG(position) OVER (PARTITION BY code ORDER BY position) AS other
    FROM ballot) WHERE other IS NOT NULL
UNION ALL
SELECT position, 1, other FROM (
    SELECT position, LAG(position) OVER (PARTITION BY marker ORDER BY position) AS other
    FROM ballot WHERE spoiled = 1) WHERE other IS NOT NULL
UNION ALL
SELECT position, 1, other FROM (
    SELECT position, FIRST_VALUE(position) OVER (PARTITION BY marker ORDER BY position) AS other
    FROM ballot WHERE spoiled = 0) WHERE other <> position
"""

_SECOND_BALLOTS: Final = """
UNION ALL
SELECT position, 2, other FROM (
    SELECT position, LAG(position) OVER (PARTITION BY credential ORDER BY position) AS other
    FROM ballot WHERE spoiled = 0) WHERE other IS NOT NULL
"""

# (first cast position, last spoiled position) of every spoiled marker also cast, in the order
# the spoiled markers first appear.
_CAST_AFTER_SPOIL: Final = """
SELECT cast_at, spoiled_at FROM (
    SELECT marker, MIN(position) AS first_spoiled, MAX(position) AS spoiled_at
    FROM ballot WHERE spoiled = 1 GROUP BY marker) AS spoils
JOIN (
    SELECT marker, MIN(position) AS cast_at FROM ballot WHERE spoiled = 0 GROUP BY marker
) AS casts USING (marker)
ORDER BY first_spoiled
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


def _message(position: int, kind: int, other: int, spoiled: bool) -> str:
    where = f"board entry {position}"
    if kind == 0:
        return f"{where}: same ballot hash or tracking code as entry {other} (replay)"
    if kind == 1 and spoiled:
        return f"{where}: spoiled ballot with the ciphertexts of the one at {other}"
    if kind == 1:
        return (
            f"{where}: cast ballot with the ciphertexts of the ballot at {other}"
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
            self._db.execute(_SCHEMA)
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
        """Insert the facts of decoded entries (those with credential, hash and marker)."""
        rows = [
            (
                fact.position,
                int(fact.spoiled),
                fact.credential,
                fact.ballot_hash[:TRACKING_CODE_BYTES],
                fact.marker,
                fact.weight,
            )
            for fact in facts
            if fact.credential is not None
            and fact.ballot_hash is not None
            and fact.marker is not None
        ]
        if not rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO ballot VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")
        self.rows += len(rows)

    def violations(self, *, one_ballot_per_credential: bool) -> Violations:
        """Replays, copies, second ballots (under a single-ballot policy), casts of spoils."""
        # Built from this module's constant fragments only: no value reaches the SQL text.
        query = _IN_ORDER + (_SECOND_BALLOTS if one_ballot_per_credential else "")
        ordered = (
            "SELECT v.position, v.kind, v.other, b.spoiled FROM ("  # noqa: S608
            + query
            + ") AS v JOIN ballot AS b USING (position)"
            " ORDER BY v.position, v.kind LIMIT 1"
        )
        (count,) = self._db.execute("SELECT COUNT(*) FROM (" + query + ")").fetchone()  # noqa: S608
        first = self._db.execute(ordered).fetchone()
        message = None if first is None else _message(first[0], first[1], first[2], first[3] == 1)
        for cast_at, spoiled_at in self._db.execute(_CAST_AFTER_SPOIL):
            count += 1
            if message is None:
                message = (
                    f"board entry {cast_at}: cast ballot with the ciphertexts of the spoiled"
                    f" ballot at {spoiled_at}"
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
