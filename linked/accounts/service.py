"""Managing accounts: add, list, change role, disable, set passwords.

What ``linked users …`` and the console share. Every change writes its audit row
in the caller's transaction; disabling an account or changing its password ends
its sessions at once (they are rows, so every process sees it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from linked.accounts import audit, passwords
from linked.accounts.audit import Actor
from linked.accounts.links import fingerprint, read_link
from linked.accounts.models import Account, AccountSession, AuditEvent, Role, utcnow
from linked.errors import LinkedError
from linked.settings import Settings


class UnknownAccount(LinkedError):
    """No account has this address."""


def email_key(email: str) -> tuple[str, str]:
    """The normalised address and its case-folded key; raises LinkedError when not valid."""
    text = email.strip()
    if not text or len(text) > 254:
        raise LinkedError("an email address of at most 254 characters is required")
    # Imported here: its patterns cost ~15 ms, which commands that read no address
    # (linked send, linked check) need not pay at start-up.
    from email_validator import EmailNotValidError, validate_email

    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise LinkedError(f"not a valid email address: {exc}") from exc
    return address, address.casefold()


def find(session: Session, email: str) -> Account | None:
    """The account with this address (any case), or None."""
    try:
        _, key = email_key(email)
    except LinkedError:
        return None
    return session.exec(select(Account).where(col(Account.email_key) == key)).first()


def get(session: Session, email: str) -> Account:
    account = find(session, email)
    if account is None:
        raise UnknownAccount(f"no account for {email.strip()}")
    return account


def add(
    session: Session,
    actor: Actor,
    email: str,
    role: Role,
    name: str | None = None,
    password: str | None = None,
    *,
    now: datetime | None = None,
) -> Account:
    """A new account; without ``password`` the person sets one through a link."""
    now = now or utcnow()
    address, key = email_key(email)
    if session.exec(select(Account.id).where(col(Account.email_key) == key)).first():
        raise LinkedError(f"there is already an account for {address}")
    if password is not None:
        passwords.check_strength(password, address)
    account = Account(
        email=address,
        email_key=key,
        name=(name or "").strip()[:200] or None,
        role=role,
        created_at=now,
        updated_at=now,
    )
    if password is not None:
        account.password_hash = passwords.hash_password(password)
        account.password_changed_at = now
    session.add(account)
    session.flush()
    audit.record(session, actor, "account.add", _target(account), f"role {role.value}", now=now)
    return account


def accounts(session: Session) -> Sequence[Account]:
    """Every account, by address."""
    return session.exec(select(Account).order_by(col(Account.email_key))).all()


def set_role(session: Session, actor: Actor, email: str, role: Role) -> Account:
    account = get(session, email)
    before = account.role
    account.role, account.updated_at = role, utcnow()
    session.add(account)
    detail = f"role {before.value} -> {role.value}"
    audit.record(session, actor, "account.role", _target(account), detail)
    return account


def disable(session: Session, actor: Actor, email: str) -> Account:
    """Stop an account signing in, and end its sessions now."""
    account = get(session, email)
    if account.disabled_at is not None:
        raise LinkedError(f"{account.email} is already disabled")
    account.disabled_at = account.updated_at = utcnow()
    session.add(account)
    end_sessions(session, account)
    audit.record(session, actor, "account.disable", _target(account))
    return account


def enable(session: Session, actor: Actor, email: str) -> Account:
    account = get(session, email)
    account.disabled_at, account.updated_at = None, utcnow()
    session.add(account)
    audit.record(session, actor, "account.enable", _target(account))
    return account


def set_password(
    session: Session, actor: Actor, account: Account, password: str, *, now: datetime | None = None
) -> None:
    """Check and store a new password; every session of the account ends."""
    passwords.check_strength(password, account.email)
    now = now or utcnow()
    account.password_hash = passwords.hash_password(password)
    account.password_changed_at = account.updated_at = now
    session.add(account)
    end_sessions(session, account)
    audit.record(session, actor, "account.password", _target(account), now=now)


def account_for_link(session: Session, settings: Settings, token: str) -> Account:
    """The account a password link is for, while the link is still unused and in time."""
    account_id, print_ = read_link(settings, token)
    account = session.get(Account, account_id)
    if account is None or account.disabled_at is not None or fingerprint(account) != print_:
        raise LinkedError("this link has been used already or is no longer valid")
    return account


def end_sessions(session: Session, account: Account) -> None:
    """Sign the account out everywhere."""
    session.execute(delete(AccountSession).where(col(AccountSession.account_id) == account.id))


def _target(account: Account) -> str:
    return f"account:{account.email_key}"


#: "Forgot password" mails per account per hour.
RESET_MAILS_PER_HOUR = 3


def reset_mail_allowed(session: Session, account: Account, now: datetime | None = None) -> bool:
    """Whether another "forgot password" mail may go to ``account`` now (and count it)."""
    now = now or utcnow()
    sent = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            col(AuditEvent.action) == "account.reset_mail",
            col(AuditEvent.target) == _target(account),
            col(AuditEvent.at) >= now - timedelta(hours=1),
        )
    ).one()
    if sent >= RESET_MAILS_PER_HOUR or account.disabled_at is not None:
        return False
    audit.record(session, Actor("anonymous"), "account.reset_mail", _target(account), now=now)
    return True
