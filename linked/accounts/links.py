"""Signed one-time links where a person sets their password.

A link names the account and a fingerprint of its current password, so it stops
working once used (the password, and so the fingerprint, changes). Links made by
``linked users add/reset`` last 24 hours; "forgot password" mails last 1 hour.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from linked.accounts.models import Account
from linked.settings import Settings
from linked.signing import BadSignedValue, sign, unsign


class LinkKind(StrEnum):
    invite = "account-invite"  # made by an administrator: 24 hours
    reset = "account-reset"  # asked for on the sign-in page: 1 hour


HOURS = {LinkKind.invite: 24, LinkKind.reset: 1}


def fingerprint(account: Account) -> str:
    """Changes whenever the password does, which voids every earlier link."""
    basis = f"{account.id}:{account.password_hash or ''}:{account.created_at.isoformat()}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24]


def password_url(settings: Settings, account: Account, kind: LinkKind) -> str:
    """The absolute link to the page where ``account`` sets a new password."""
    token = sign(settings, [account.id, fingerprint(account)], kind.value)
    return f"{settings.base_url}/admin/password/{token}"


def read_link(settings: Settings, token: str) -> tuple[int, str]:
    """The account id and fingerprint in ``token``; raises :class:`BadSignedValue`."""
    problem: BadSignedValue | None = None
    for kind in LinkKind:
        try:
            value = unsign(settings, token, kind.value, HOURS[kind] * 3600)
        except BadSignedValue as exc:
            # An expired link says so, whichever kind was tried first.
            problem = exc if problem is None or type(exc) is not BadSignedValue else problem
            continue
        if (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], int)
            and isinstance(value[1], str)
        ):
            return value[0], value[1]
        raise BadSignedValue("this link is not valid")
    assert problem is not None
    raise problem
