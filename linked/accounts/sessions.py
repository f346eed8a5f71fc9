"""Signing in and out, and the database sessions behind the console's cookie.

The cookie holds a random value; the table holds only its SHA-256, so a copy of
the database signs no one in. Failed sign-ins are audit rows, and the throttle
counts them: per address (known or not, so the answers cannot tell them apart)
and per IP.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from linked.accounts import audit, passwords, service, totp
from linked.accounts.audit import Actor
from linked.accounts.models import Account, AccountSession, AuditEvent, utcnow
from linked.settings import Settings

FAILED = "sign_in.failed"
THROTTLE_WINDOW = timedelta(minutes=15)
#: Per IP, this many times the per-address limit (an office shares one address).
IP_FACTOR = 5
#: ``seen_at`` is written at most this often, not on every request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignIn:
    """The outcome: ``token`` for the cookie on success, else why not (one message for all)."""

    account: Account | None = None
    token: str | None = None
    throttled: bool = False
    needs_code: bool = False


@dataclass(frozen=True)
class Current:
    """The signed-in account of a request and its session row."""

    account: Account
    row: AccountSession


def session_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def address_key(email: str) -> str:
    """What the throttle counts by: a hash of the typed address, known or not."""
    return "address:" + hashlib.sha256(email.strip().casefold().encode("utf-8")).hexdigest()[:32]


def _failures(session: Session, since: datetime, **match: str | None) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(col(AuditEvent.action) == FAILED, col(AuditEvent.at) >= since)
    )
    for name, value in match.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return int(session.exec(query).one())


def throttled(
    session: Session, settings: Settings, email: str, ip: str | None, now: datetime
) -> bool:
    since = now - THROTTLE_WINDOW
    if _failures(session, since, target=address_key(email)) >= settings.sign_in_limit:
        return True
    limit = settings.sign_in_limit * IP_FACTOR
    return ip is not None and _failures(session, since, ip=ip) >= limit


def sign_in(
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    *,
    code: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> SignIn:
    """Check the address and password (and TOTP code); on success start a session.

    Always leaves rows to commit (a failure is audited, and counted for the throttle).
    """
    now = now or utcnow()
    if throttled(session, settings, email, ip, now):
        return SignIn(throttled=True)
    account = service.find(session, email)
    good = passwords.verify(account.password_hash if account else None, password)
    if account is None or not good or account.disabled_at is not None:
        reason = "unknown address" if account is None else "wrong password"
        if account is not None and good:
            reason = "account disabled"
        actor = Actor(account.email_key if account else "anonymous", None, ip)
        audit.record(session, actor, FAILED, address_key(email), reason, now=now)
        return SignIn()
    # With ``require_totp`` an account without a secret signs in and must set one up first
    # (the console sends it to its account page until it has).
    if account.totp_secret:
        if not code:
            return SignIn(account=account, needs_code=True)
        if not totp.verify(account.totp_secret, code):
            actor = Actor(account.email_key, account.id, ip)
            audit.record(session, actor, FAILED, address_key(email), "wrong code", now=now)
            return SignIn()
    if account.password_hash and passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    token = secrets.token_urlsafe(32)
    assert account.id is not None
    session.add(
        AccountSession(
            id=session_key(token),
            account_id=account.id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            seen_at=now,
            ip=ip,
        )
    )
    account.last_sign_in_at = now
    session.add(account)
    audit.record(session, Actor(account.email_key, account.id, ip), "sign_in", now=now)
    return SignIn(account=account, token=token)


def current(
    session: Session, settings: Settings, token: str, *, now: datetime | None = None
) -> Current | None:
    """The live session for a cookie value, or None (and the row removed) when it has ended."""
    now = now or utcnow()
    row = session.get(AccountSession, session_key(token))
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    idle = timedelta(minutes=settings.console_idle_minutes)
    absolute = timedelta(hours=settings.console_session_hours)
    if (
        account is None
        or account.disabled_at is not None
        or now - row.seen_at > idle
        or now - row.created_at > absolute
    ):
        session.delete(row)
        return None
    if now - row.seen_at > TOUCH_EVERY:
        row.seen_at = now
        session.add(row)
    return Current(account, row)


def sign_out(session: Session, current: Current, ip: str | None = None) -> None:
    """End this session (the cookie's value is worthless from now on)."""
    session.execute(delete(AccountSession).where(col(AccountSession.id) == current.row.id))
    actor = Actor(current.account.email_key, current.account.id, ip)
    audit.record(session, actor, "sign_out")


def actor_of(current: Current, ip: str | None) -> Actor:
    return Actor(current.account.email_key, current.account.id, ip)
