from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.exporter import export_csv, neutralise
from linked.subscribers.models import SubscriberStatus


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


def test_plain_cells_are_kept() -> None:
    assert neutralise("Sam O'Neill") == "Sam O'Neill"


def test_export_is_spreadsheet_safe(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        service.add(
            session,
            settings,
            "a@example.org",
            '=HYPERLINK("http://x")',
            consent_given_elsewhere=True,
        )
        service.add(session, settings, "b@example.org", "@Bee")
        session.commit()
        out = io.StringIO()
        assert export_csv(session, out) == 2
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        assert rows[0] == ["email", "name", "status", "consented_at", "source"]
        assert rows[1][:3] == ["a@example.org", '\'=HYPERLINK("http://x")', "confirmed"]
        assert rows[1][3].startswith("20") and rows[1][4] == "cli"
        assert rows[2][:3] == ["b@example.org", "'@Bee", "pending"]
        only = io.StringIO()
        assert export_csv(session, only, SubscriberStatus.pending) == 1
