"""Signed tokens for confirm and unsubscribe links (itsdangerous, one salt per purpose).

Confirm tokens expire after ``settings.confirm_token_days`` and name the subscription
as well as the subscriber (the consent event that made it pending): after leaving and
subscribing again, a link from before is refused. Unsubscribe tokens never expire,
because an old bulletin must still let its reader leave.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from datetime import timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes
from itsdangerous.serializer import Serializer

from linked.errors import LinkedError
from linked.settings import Settings
from linked.signing import SECRET_FILE as SECRET_FILE
from linked.signing import secret_key as secret_key


class Purpose(StrEnum):
    """Each purpose is its own salt, so a confirm token can never unsubscribe and vice versa."""

    confirm = "confirm"
    unsubscribe = "unsubscribe"
    #: A delivery named in a VERP return path (``bounces+TOKEN@domain``); see :func:`short_token`.
    bounce = "bounce"


class BadToken(LinkedError):
    """The link was altered, belongs to another purpose, or was cut short."""


class ExpiredToken(BadToken):
    """The link was genuine but is too old."""


class _TokenSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer without the attempt to zlib-compress.

    The payload is a subscriber id, whose JSON is always shorter than its zlib form,
    so itsdangerous never kept the compressed bytes: the tokens are byte for byte
    the ones it makes, minus a ``zlib.compress`` per token. Reading still accepts
    compressed payloads (the inherited ``load_payload``).
    """

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@functools.lru_cache(maxsize=16)
def _serializer_for(secret: str, purpose: Purpose) -> URLSafeTimedSerializer:
    # One serializer per (secret, purpose): the salt stays per purpose.
    return _TokenSerializer(secret, salt=f"linked-{purpose.value}")


def _serializer(settings: Settings, purpose: Purpose) -> URLSafeTimedSerializer:
    return _serializer_for(secret_key(settings), purpose)


class _Minter:
    """Makes a serializer's tokens for integer ids, byte for byte, without its per-token setup.

    itsdangerous builds a signer, derives its key and sets up an HMAC for every
    token; a send makes one token per message. Here the key and the HMAC state are
    made once and copied, and the timestamp part is encoded once a second.
    """

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        signer = serializer.make_signer()
        self._mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method().name)
        self._sep = want_bytes(signer.sep)
        self._stamp = (-1, b"")

    def token(self, subscriber_id: int) -> str:
        now = int(time.time())  # TimestampSigner.get_timestamp
        if self._stamp[0] != now:
            self._stamp = (now, base64_encode(int_to_bytes(now)))
        # The JSON of an int is its decimal form; URL-safe base64 as in dump_payload.
        value = base64_encode(str(subscriber_id).encode("ascii")) + self._sep + self._stamp[1]
        mac = self._mac.copy()
        mac.update(value)
        return (value + self._sep + base64_encode(mac.digest())).decode("ascii")


@functools.lru_cache(maxsize=16)
def _minter_for(secret: str, purpose: Purpose) -> _Minter:
    return _Minter(_serializer_for(secret, purpose))


def make_token(settings: Settings, purpose: Purpose, subscriber_id: int) -> str:
    """A URL-safe token naming one subscriber for one purpose."""
    if type(subscriber_id) is int:  # not a bool, whose JSON differs
        return _minter_for(secret_key(settings), purpose).token(subscriber_id)
    return _serializer(settings, purpose).dumps(subscriber_id)


def read_token(settings: Settings, purpose: Purpose, token: str) -> int:
    """The subscriber id in ``token``; raises :class:`BadToken` or :class:`ExpiredToken`."""
    max_age = None
    if purpose is Purpose.confirm:
        max_age = int(timedelta(days=settings.confirm_token_days).total_seconds())
    try:
        value = _serializer(settings, purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ExpiredToken("this link has expired") from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise BadToken("this link is not valid") from exc
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadToken("this link is not valid")
    return value


def make_confirm_token(settings: Settings, subscriber_id: int, generation: int) -> str:
    """A confirm token for one subscriber's one request to subscribe (``generation``)."""
    return _serializer(settings, Purpose.confirm).dumps([subscriber_id, generation])


def read_confirm_token(settings: Settings, token: str) -> tuple[int, int]:
    """The subscriber id and generation in a confirm token; raises :class:`BadToken`."""
    max_age = int(timedelta(days=settings.confirm_token_days).total_seconds())
    try:
        value = _serializer(settings, Purpose.confirm).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ExpiredToken("this link has expired") from exc
    except (BadSignature, UnicodeError, ValueError) as exc:
        raise BadToken("this link is not valid") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(part) is int and part > 0 for part in value)
    ):
        raise BadToken("this link is not valid")
    return value[0], value[1]


def confirm_url(settings: Settings, subscriber_id: int, generation: int) -> str:
    """The absolute link in a confirmation mail."""
    token = make_confirm_token(settings, subscriber_id, generation)
    return f"{settings.base_url}/confirm/{token}"


def unsubscribe_url(settings: Settings, subscriber_id: int) -> str:
    """The absolute one-click unsubscribe link for ``List-Unsubscribe`` and the mail footer."""
    token = make_token(settings, Purpose.unsubscribe, subscriber_id)
    return f"{settings.base_url}/unsubscribe/{token}"


def _short_mac(secret: str, purpose: Purpose, ident: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), f"linked-{purpose.value}:{ident}".encode("ascii"), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def short_token(settings: Settings, purpose: Purpose, value: int) -> str:
    """A short, case-insensitive token for an id: ``<id in base 36>-<16 base32 characters>``.

    For VERP local parts, which relays may lower-case and which must stay under 64
    characters; the 80-bit HMAC is per purpose like the other tokens. It never expires.
    """
    ident = _base36(value)
    return f"{ident}-{_short_mac(secret_key(settings), purpose, ident)}"


def read_short_token(settings: Settings, purpose: Purpose, token: str) -> int:
    """The id in a :func:`short_token`; raises :class:`BadToken` when it is not genuine."""
    ident, _, mac = token.strip().lower().partition("-")
    if not ident or len(ident) > 13 or not ident.isalnum() or not ident.isascii():
        raise BadToken("this token is not valid")
    expected = _short_mac(secret_key(settings), purpose, ident)
    if not hmac.compare_digest(mac.encode("ascii", "replace"), expected.encode("ascii")):
        raise BadToken("this token is not valid")
    value = int(ident, 36)
    if value < 1:
        raise BadToken("this token is not valid")
    return value


def _base36(value: int) -> str:
    if type(value) is not int or value < 1:
        raise ValueError("a token names a positive integer id")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out
