"""The optional second factor: time-based one-time codes (RFC 6238, pyotp).

Turning it on is two steps so a mistyped secret never locks anyone out: the page
shows a new secret (signed into the form, not stored), and only a correct code from
the person's app stores it.
"""

from __future__ import annotations

import pyotp
from sqlmodel import Session

from linked.accounts import audit
from linked.accounts.audit import Actor
from linked.accounts.models import Account, utcnow
from linked.errors import LinkedError
from linked.settings import Settings
from linked.signing import BadSignedValue, sign, unsign

PURPOSE = "totp-enrol"
#: How long the person has to type the first code after the page showed the secret.
ENROL_SECONDS = 15 * 60


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(settings: Settings, account: Account, secret: str) -> str:
    """The ``otpauth://`` address authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=account.email, issuer_name=f"{settings.bulletin_name} console"
    )


def signed_secret(settings: Settings, account: Account, secret: str) -> str:
    return sign(settings, [account.id, secret], PURPOSE)


def verify(secret: str, code: str) -> bool:
    """Whether ``code`` is right now (or one 30-second step either side)."""
    digits = "".join(code.split())
    return digits.isdigit() and pyotp.TOTP(secret).verify(digits, valid_window=1)


def enable(
    session: Session, settings: Settings, actor: Actor, account: Account, signed: str, code: str
) -> None:
    """Store the secret the page showed, once the person's app gave a right code for it."""
    try:
        value = unsign(settings, signed, PURPOSE, ENROL_SECONDS)
    except BadSignedValue as exc:
        raise LinkedError("the page had expired; start again") from exc
    if not (isinstance(value, list) and len(value) == 2 and value[0] == account.id):
        raise LinkedError("the page had expired; start again")
    secret = str(value[1])
    if not verify(secret, code):
        raise LinkedError("that code is not right; check the time on your phone and try again")
    account.totp_secret, account.updated_at = secret, utcnow()
    session.add(account)
    audit.record(session, actor, "account.totp_on", f"account:{account.email_key}")


def disable(
    session: Session, settings: Settings, actor: Actor, account: Account, code: str
) -> None:
    """Turn the second factor off (a current code is needed), unless it is required."""
    if settings.require_totp:
        raise LinkedError("a second factor is required for every account here")
    if not account.totp_secret or not verify(account.totp_secret, code):
        raise LinkedError("that code is not right")
    account.totp_secret, account.updated_at = None, utcnow()
    session.add(account)
    audit.record(session, actor, "account.totp_off", f"account:{account.email_key}")
