"""``linked.db.upsert``: the dialect's own insert, with ON CONFLICT, on the real databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linked.db import upsert
from linked.errors import LinkedError


def _table() -> sa.Table:
    return sa.Table(
        "pair",
        sa.MetaData(),
        sa.Column("key", sa.String(20), primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
    )


def test_on_conflict_counts_on_the_test_database(engine: sa.Engine) -> None:
    table = _table()
    table.metadata.create_all(engine)
    try:
        dialect = engine.dialect.name
        bump = (
            upsert.insert(table, dialect)
            .values(key="a", hits=1)
            .on_conflict_do_update(index_elements=[table.c.key], set_={"hits": table.c.hits + 1})
        )
        keep = upsert.insert(table, dialect).values(key="a", hits=99).on_conflict_do_nothing()
        with engine.begin() as connection:
            connection.execute(bump)
            connection.execute(bump)
            connection.execute(keep)
            assert connection.execute(sa.select(table.c.hits)).scalar_one() == 2
    finally:
        table.metadata.drop_all(engine)


def test_another_dialect_is_refused_by_name() -> None:
    with pytest.raises(LinkedError, match="not mysql"):
        upsert.insert(_table(), "mysql")
