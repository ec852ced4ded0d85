"""``evote db``: the board database's schema revision (``status``) and its upgrade (``upgrade``).

A board is refused at its opening when its schema revision is not this evote's
(evote.board.migrations); after installing a new evote, an officer runs ``evote db upgrade``
once per board database. An upgrade changes the schema only: no board entry is rewritten or
deleted (docs/architecture.md, "How to change the board's schema").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from evote.board.migrations import schema_status, upgrade
from evote.board.storage import database_url, make_engine, shown_location, storage_unavailable
from evote.errors import InvalidInput

Handler = Callable[[argparse.Namespace], int]


@contextmanager
def _engine(location: str) -> Iterator[sa.Engine]:
    engine = make_engine(location)
    try:
        yield engine
    except exc.SQLAlchemyError as fault:
        raise storage_unavailable(location, fault) from fault
    finally:
        engine.dispose()


def _status(args: argparse.Namespace) -> int:
    url = sa.make_url(database_url(args.database))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Connecting would create the file: a status asked of a mistyped path must not.
        raise InvalidInput(f"board database {args.database}: no such file")
    with _engine(args.database) as engine:
        status = schema_status(engine)
    if status.current is not None:
        current = status.current
    elif status.empty:
        current = "none (no board yet)"
    else:
        current = "none (a board made before evote versioned its schema)"
    print(f"database: {shown_location(args.database)}")
    print(f"current revision: {current}")
    print(f"head revision: {status.head}")
    if status.up_to_date or status.empty:
        print("up to date" if status.up_to_date else "a board opened here gets the head revision")
    else:
        print("run `evote db upgrade` to upgrade it")
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    with _engine(args.database) as engine:
        before, after = upgrade(engine, args.database)
    shown = shown_location(args.database)
    if before == after:
        print(f"{shown}: already at revision {after}, nothing to do")
    else:
        print(f"{shown}: upgraded from revision {before or 'none'} to {after}")
    return 0


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="the board database's schema: status and upgrade")
    steps = db.add_subparsers(dest="step", metavar="STEP", required=True)
    for name, handler, summary in (
        ("status", _status, "print the database's schema revision and this evote's"),
        ("upgrade", _upgrade, "upgrade the database's schema to this evote's (idempotent)"),
    ):
        step = steps.add_parser(name, help=summary)
        step.add_argument(
            "--database",
            metavar="URL",
            required=True,
            help="the board: a SQLite file path or a postgresql:// URL (keep the password in"
            " ~/.pgpass, not in the URL)",
        )
        chosen: Handler = handler
        step.set_defaults(handler=chosen)
