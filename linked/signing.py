"""The project's secret key, and signing values for one purpose each (itsdangerous).

One key signs everything (confirm and unsubscribe links, account links); each use
has its own salt, so a value signed for one purpose is worthless for another.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from linked.errors import LinkedError
from linked.settings import Settings

SECRET_FILE = ".secret_key"


class BadSignedValue(LinkedError):
    """The value was altered, signed for another purpose, or cut short."""


class ExpiredSignedValue(BadSignedValue):
    """The value was genuine but is older than allowed."""


def secret_key(settings: Settings) -> str:
    """``settings.secret_key``, else a random key made once in ``subscribers/.secret_key``."""
    if settings.secret_key:
        return settings.secret_key
    return _persisted_secret(settings.subscribers_dir / SECRET_FILE)


def _persisted_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes race, exactly one writes and both read its key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def sign(settings: Settings, value: Any, purpose: str) -> str:
    """A URL-safe, timestamped signature of JSON-able ``value`` for ``purpose`` only."""
    return URLSafeTimedSerializer(secret_key(settings), salt=f"linked-{purpose}").dumps(value)


def unsign(settings: Settings, token: str, purpose: str, max_age_seconds: int | None) -> Any:
    """The value signed by :func:`sign` for ``purpose``; raises :class:`BadSignedValue`."""
    serializer = URLSafeTimedSerializer(secret_key(settings), salt=f"linked-{purpose}")
    try:
        return serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise ExpiredSignedValue("this link has expired") from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise BadSignedValue("this link is not valid") from exc
