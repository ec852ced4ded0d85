"""Alembic's environment for the board's migrations: run on the connection evote hands it.

evote runs its migrations itself (:func:`evote.board.migrations.upgrade`), in the write
transaction it has already begun and locked; there is no ``alembic.ini`` and no URL here.
"""

from __future__ import annotations

from alembic import context

from evote.board.migrations import VERSION_TABLE
from evote.errors import InvalidInput

connection = context.config.attributes.get("connection")
if connection is None:
    raise InvalidInput(
        "the board's migrations run through `evote db upgrade --database URL`, not alembic's"
        " command line"
    )
context.configure(connection=connection, version_table=VERSION_TABLE, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
