"""Sign-in, sessions, timeouts and the throttle, on the test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts import service, sessions
from linked.accounts.audit import Actor
from linked.accounts.models import AccountSession, AuditEvent, Role, utcnow
from linked.settings import Settings

PASSWORD = "brass lantern moorland 7"


def add(engine: Engine, email: str = "ann@example.org", role: Role = Role.admin) -> None:
    with Session(engine) as session:
        service.add(session, Actor.cli(), email, role, password=PASSWORD)
        session.commit()


def sign_in(
    engine: Engine, settings: Settings, email: str, password: str, **kw: object
) -> sessions.SignIn:
    with Session(engine) as session:
        result = sessions.sign_in(session, settings, email, password, **kw)  # type: ignore[arg-type]
        session.commit()
        return result


def test_sign_in_starts_a_session_stored_as_a_hash(settings: Settings, engine: Engine) -> None:
    add(engine)
    result = sign_in(engine, settings, "ANN@example.org", PASSWORD, ip="192.0.2.1")
    assert result.token and result.account is not None
    with Session(engine) as session:
        ids = session.exec(select(AccountSession.id)).all()
        assert ids == [sessions.session_key(result.token)] and result.token not in ids
        current = sessions.current(session, settings, result.token)
        assert current is not None and current.account.email == "ann@example.org"
        actions = session.exec(select(AuditEvent.action)).all()
        assert actions == ["account.add", "sign_in"]


def test_wrong_and_unknown_get_the_same_answer_and_are_audited(
    settings: Settings, engine: Engine
) -> None:
    add(engine)
    assert sign_in(engine, settings, "ann@example.org", "wrong password here") == sessions.SignIn()
    assert sign_in(engine, settings, "who@example.org", PASSWORD) == sessions.SignIn()
    with Session(engine) as session:
        details = session.exec(
            select(AuditEvent.detail).where(col(AuditEvent.action) == sessions.FAILED)
        ).all()
    assert details == ["wrong password", "unknown address"]


def test_throttle_after_the_limit_even_with_the_right_password(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(sign_in_limit=3)
    add(engine)
    for _ in range(3):
        assert not sign_in(engine, settings, "ann@example.org", "wrong password here").throttled
    assert sign_in(engine, settings, "ann@example.org", PASSWORD).throttled
    # Another address from another network is not affected.
    add(engine, "bob@example.org")
    assert sign_in(engine, settings, "bob@example.org", PASSWORD, ip="198.51.100.7").token


def test_idle_and_absolute_timeouts_end_a_session(settings: Settings, engine: Engine) -> None:
    add(engine)
    token = sign_in(engine, settings, "ann@example.org", PASSWORD).token
    assert token
    with Session(engine) as session:
        later = utcnow() + timedelta(minutes=settings.console_idle_minutes - 1)
        assert sessions.current(session, settings, token, now=later) is not None
        session.commit()
        idle = later + timedelta(minutes=settings.console_idle_minutes + 1)
        assert sessions.current(session, settings, token, now=idle) is None
        session.commit()
        assert session.exec(select(AccountSession)).all() == []
    token = sign_in(engine, settings, "ann@example.org", PASSWORD).token
    assert token
    with Session(engine) as session:
        row = session.get(AccountSession, sessions.session_key(token))
        assert row is not None
        row.created_at -= timedelta(hours=settings.console_session_hours, minutes=1)
        session.add(row)
        session.commit()
        assert sessions.current(session, settings, token) is None


def test_disabling_and_a_new_password_end_sessions(settings: Settings, engine: Engine) -> None:
    add(engine)
    first = sign_in(engine, settings, "ann@example.org", PASSWORD).token
    assert first
    with Session(engine) as session:
        account = service.get(session, "ann@example.org")
        service.set_password(session, Actor.cli(), account, "another long passphrase")
        session.commit()
        assert sessions.current(session, settings, first) is None
    second = sign_in(engine, settings, "ann@example.org", "another long passphrase").token
    assert second
    with Session(engine) as session:
        service.disable(session, Actor.cli(), "ann@example.org")
        session.commit()
        assert sessions.current(session, settings, second) is None
    assert sign_in(engine, settings, "ann@example.org", "another long passphrase").token is None
