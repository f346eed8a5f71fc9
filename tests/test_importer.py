from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import privacy, service
from linked.subscribers.importer import import_rows
from linked.subscribers.models import ConsentEvent, SubscriberStatus

S = SubscriberStatus

CSV = """email,name,status,consented_at,source
ann@example.org,Ann,confirmed,2021-05-01T09:00:00Z,paper form
not-an-address,Bad,pending,,
ben@example.org,,pending,,
ANN@example.org,Ann Again,pending,,
cat@example.org,Cat,sleeping,,
dan@example.org,Dan,unsubscribed,,
eve@example.org,Eve,pending,yesterday,
"fay@example.org","Fay, ""the"" Fair",,,
"""


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_report_lists_bad_rows_and_merges_duplicates(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        report = import_rows(session, settings, _lines(CSV), send_confirmations=True)
        session.commit()
        assert [(p.line, p.reason.split(":")[0].split(" (")[0]) for p in report.skipped] == [
            (3, "not a valid email address"),
            (6, "unknown status 'sleeping'"),
            (8, "consented_at 'yesterday' is not an ISO date or date-time"),
        ]
        assert (report.added, report.merged, report.downgraded) == (4, 1, 1)
        ann = service.find(session, "ann@example.org")
        assert ann is not None and ann.status is S.pending and ann.name == "Ann"
        assert ann.confirmations_sent == 1 and ann.confirmation_sent_at is not None
        fay = service.find(session, "fay@example.org")
        assert fay is not None and fay.name == 'Fay, "the" Fair'
        dan = service.find(session, "dan@example.org")
        assert dan is not None and dan.status is S.unsubscribed
        assert {m.email for m in report.confirmations} == {
            "ann@example.org",
            "ben@example.org",
            "fay@example.org",
        }


def test_confirmed_only_with_consent_flag_and_logged(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        report = import_rows(session, settings, _lines(CSV), consent_given_elsewhere=True)
        session.commit()
        assert report.downgraded == 0
        ann = service.find(session, "ann@example.org")
        assert ann is not None and ann.status is S.confirmed
        assert ann.confirmed_at is not None and ann.confirmed_at.year == 2021
        event = session.exec(
            select(ConsentEvent).where(col(ConsentEvent.subscriber_id) == ann.id)
        ).one()
        assert event.source == "paper form" and "consent given elsewhere" in (event.detail or "")


def test_import_never_resubscribes_someone_who_left(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        mailing = service.subscribe(session, settings, "ann@example.org")
        assert mailing is not None
        service.unsubscribe(session, mailing.subscriber_id)
        report = import_rows(session, settings, _lines(CSV), consent_given_elsewhere=True)
        session.commit()
        assert report.unchanged == 1
        assert service.find(session, "ann@example.org").status is S.unsubscribed  # type: ignore[union-attr]


def test_erased_addresses_are_not_reimported(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        service.add(session, settings, "ben@example.org")
        privacy.erase(session, "ben@example.org")
        report = import_rows(session, settings, _lines(CSV))
        assert any(p.line == 4 and "erased" in p.reason for p in report.skipped)
        assert service.find(session, "ben@example.org") is None


@pytest.mark.parametrize("text", ["", "name,status\nA,pending\n", "email,colour\na@b.org,red\n"])
def test_bad_header_is_one_clear_error(settings: Settings, engine: Engine, text: str) -> None:
    with Session(engine) as session, pytest.raises(LinkedError):
        import_rows(session, settings, _lines(text))


def test_without_send_confirmations_nobody_is_mailed_or_counted(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        report = import_rows(session, settings, _lines(CSV))
        session.commit()
        assert report.confirmations == []
        ann = service.find(session, "ann@example.org")
        assert ann is not None and ann.confirmations_sent == 0


def test_an_admin_confirmation_counts_against_the_daily_limit(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(confirm_mail_limit=1)
    with Session(engine) as session:
        _sub, first = service.add(session, settings, "gil@example.org", send_confirmation=True)
        _sub, again = service.add(session, settings, "gil@example.org", send_confirmation=True)
        _sub, unasked = service.add(session, settings, "hal@example.org")
        session.commit()
        gil = service.find(session, "gil@example.org")
        assert first is not None and again is None and unasked is None
        assert gil is not None and gil.confirmations_sent == 1
