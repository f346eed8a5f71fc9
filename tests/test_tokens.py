from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from linked.settings import Settings, load_settings
from linked.subscribers.tokens import (
    BadToken,
    ExpiredToken,
    Purpose,
    make_token,
    read_short_token,
    read_token,
    secret_key,
    short_token,
    unsubscribe_url,
)


def test_round_trip(settings: Settings) -> None:
    for purpose in Purpose:
        assert read_token(settings, purpose, make_token(settings, purpose, 42)) == 42


def test_tampered_token_is_refused(settings: Settings) -> None:
    token = make_token(settings, Purpose.unsubscribe, 7)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(BadToken):
        read_token(settings, Purpose.unsubscribe, forged)
    with pytest.raises(BadToken):
        read_token(settings, Purpose.unsubscribe, "garbage")


def test_purposes_do_not_mix(settings: Settings) -> None:
    token = make_token(settings, Purpose.confirm, 7)
    with pytest.raises(BadToken):
        read_token(settings, Purpose.unsubscribe, token)


def test_other_secret_is_refused(settings: Settings, tmp_path: Path) -> None:
    other = load_settings(tmp_path, secret_key="another secret")
    with pytest.raises(BadToken):
        read_token(settings, Purpose.confirm, make_token(other, Purpose.confirm, 7))


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 8 * 86400


def _old_token(settings: Settings, purpose: Purpose) -> str:
    serializer = URLSafeTimedSerializer(
        secret_key(settings), salt=f"linked-{purpose.value}", signer=_OldSigner
    )
    return serializer.dumps(5)


def test_confirm_tokens_expire_unsubscribe_tokens_do_not(settings: Settings) -> None:
    with pytest.raises(ExpiredToken):
        read_token(settings, Purpose.confirm, _old_token(settings, Purpose.confirm))
    assert read_token(settings, Purpose.unsubscribe, _old_token(settings, Purpose.unsubscribe)) == 5


def test_unsubscribe_url_is_absolute(settings: Settings) -> None:
    url = unsubscribe_url(settings, 3)
    assert url.startswith("http://testserver/unsubscribe/")
    assert read_token(settings, Purpose.unsubscribe, url.rsplit("/", 1)[1]) == 3


def test_generated_secret_is_private_and_kept(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    first = secret_key(settings)
    path = tmp_path / "subscribers" / ".secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(load_settings(tmp_path)) == first
    assert len(first) >= 40


def test_tokens_from_the_plain_itsdangerous_serializer_still_verify(settings: Settings) -> None:
    """Tokens made before the serializer was cached and stopped trying zlib still read."""
    key = secret_key(settings)
    for purpose in Purpose:
        old = URLSafeTimedSerializer(key, salt=f"linked-{purpose.value}")
        assert read_token(settings, purpose, old.dumps(42)) == 42
        # The same payload, same second: the new tokens are the old ones byte for byte.
        new = make_token(settings, purpose, 42)
        assert old.loads(new) == 42
        assert new.split(".")[0] == old.dumps(42).split(".")[0]
    # A zlib-compressed payload (the form itsdangerous uses for long values) is still read.
    compressed = URLSafeTimedSerializer(key, salt="linked-unsubscribe").dumps({"pad": "x" * 200})
    assert compressed.startswith(".")
    with pytest.raises(BadToken):  # genuine and decompressed, but not a subscriber id
        read_token(settings, Purpose.unsubscribe, compressed)
    with pytest.raises(BadToken):  # salts stay per purpose
        read_token(settings, Purpose.confirm, make_token(settings, Purpose.unsubscribe, 42))


def test_short_tokens_round_trip_in_any_case_and_refuse_forgeries(settings: Settings) -> None:
    for ident in (1, 35, 36, 123456789):
        token = short_token(settings, Purpose.bounce, ident)
        assert len(token) <= 30 and token == token.lower()
        assert read_short_token(settings, Purpose.bounce, token.upper()) == ident
    token = short_token(settings, Purpose.bounce, 77)
    ident, _, mac = token.partition("-")
    for forged in (
        f"{ident}-{mac[:-1]}a" if not mac.endswith("a") else f"{ident}-{mac[:-1]}b",
        f"2{ident}-{mac}",
        "",
        "-",
        "x" * 40,
        f"{ident}-",
    ):
        with pytest.raises(BadToken):
            read_short_token(settings, Purpose.bounce, forged)
    with pytest.raises(BadToken):  # another purpose's key
        read_short_token(settings, Purpose.unsubscribe, token)
