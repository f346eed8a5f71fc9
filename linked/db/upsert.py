"""``INSERT … ON CONFLICT``: the dialect's own insert construct, imported when first used.

Only SQLite's and PostgreSQL's inserts have ``on_conflict_do_*``. Importing
``sqlalchemy.dialects.postgresql`` loads every PostgreSQL driver's module (about
20 ms), which a command working on SQLite need not pay at start-up.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from linked.errors import LinkedError


def insert(table: sa.Table, dialect: str) -> Any:
    """``table``'s insert with ``on_conflict_do_nothing``/``_update`` for ``dialect``."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    raise LinkedError(f"Linked needs SQLite or PostgreSQL, not {dialect}")
