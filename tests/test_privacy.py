from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import privacy, service
from linked.subscribers.bounces import BounceReport, record
from linked.subscribers.models import BounceEvent, ConsentEvent, Subscriber, Suppression


def test_person_data_includes_the_consent_log(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        mailing = service.subscribe(session, settings, "p@example.org", "Pat", ip="192.0.2.5")
        assert mailing is not None
        service.confirm(session, mailing.subscriber_id, ip="192.0.2.6")
        session.commit()
        data = privacy.person_data(session, "P@example.org")
        assert data["email"] == "p@example.org" and data["status"] == "confirmed"
        assert [(e["to"], e["ip"]) for e in data["consent_log"]] == [
            ("pending", "192.0.2.5"),
            ("confirmed", "192.0.2.6"),
        ]
        with pytest.raises(LinkedError):
            privacy.person_data(session, "nobody@example.org")


def test_erase_removes_personal_data_and_blocks_readding(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        mailing = service.subscribe(session, settings, "e@example.org", "Eve", ip="192.0.2.7")
        assert mailing is not None
        sid = mailing.subscriber_id
        service.confirm(session, sid, ip="192.0.2.8")
        privacy.erase(session, "E@example.org")
        session.commit()

        row = session.get(Subscriber, sid)
        assert row is not None and row.erased_at is not None
        assert "e@example.org" not in row.email and row.name is None and row.ip is None
        events = session.exec(select(ConsentEvent).where(col(ConsentEvent.subscriber_id) == sid))
        assert all(e.ip is None for e in events)
        assert session.exec(select(func.count()).select_from(Suppression)).one() == 1
        assert service.find(session, "e@example.org") is None

        with pytest.raises(service.SuppressedAddress):
            service.add(session, settings, "e@example.org", consent_given_elsewhere=True)
        with pytest.raises(LinkedError, match="already been erased"):
            privacy.erase(session, "e@example.org")

        # The person may come back themselves through the form, with confirmation.
        again = service.subscribe(session, settings, "e@example.org")
        assert again is not None and again.subscriber_id != sid
        service.confirm(session, again.subscriber_id)
        session.commit()
        assert session.exec(select(func.count()).select_from(Suppression)).one() == 0


def test_erase_unknown_address(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(LinkedError, match="not on the list"):
        privacy.erase(session, "nobody@example.org")


def test_bounces_are_in_the_person_data_and_erased_with_it(
    settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        subscriber, _ = service.add(
            session, settings, "b@example.org", consent_given_elsewhere=True
        )
        diagnostic = "smtp; 550 5.1.1 <b@example.org>: User unknown"
        record(
            session,
            subscriber,
            BounceReport("hard", "mailbox", "mid:9", None, "2021-05", "5.1.1", diagnostic),
        )
        session.commit()
        data = privacy.person_data(session, "b@example.org")
        assert [(b["kind"], b["edition"], b["diagnostic"]) for b in data["bounces"]] == [
            ("hard", "2021-05", diagnostic)
        ]
        privacy.erase(session, "b@example.org")
        session.commit()
        left = session.exec(
            select(BounceEvent).where(col(BounceEvent.subscriber_id) == subscriber.id)
        )
        assert list(left) == []
