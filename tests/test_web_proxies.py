"""X-Forwarded-For is believed only from trusted proxies (default: none)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.settings import Settings
from linked.subscribers.models import ConsentEvent
from linked.web.app import create_app
from linked.web.proxies import client_address

PROXY = ("10.0.0.5",)


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),  # nobody trusted: header ignored
        ("127.0.0.1", "198.51.100.1", (), "127.0.0.1"),  # not even a local proxy
        ("203.0.113.9", "198.51.100.1", PROXY, "203.0.113.9"),  # not from the proxy
        ("10.0.0.5", "198.51.100.1", PROXY, "198.51.100.1"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.1", PROXY, "198.51.100.1"),  # the client's own part
        ("10.0.0.5", "198.51.100.1, 10.0.0.4", ("10.0.0.0/24",), "198.51.100.1"),  # two proxies
        ("10.0.0.5", "not an address", PROXY, "10.0.0.5"),
        ("10.0.0.5", "[2001:db8::1]:4711", PROXY, "2001:db8::1"),
        ("10.0.0.5", None, PROXY, "10.0.0.5"),
    ],
)
def test_client_address(
    peer: str, header: str | None, trusted: tuple[str, ...], expected: str
) -> None:
    assert client_address(peer, header, trusted) == expected


def _logged_ips(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return [e.ip for e in session.exec(select(ConsentEvent).order_by(ConsentEvent.id))]


def test_a_forged_header_neither_resets_the_limit_nor_enters_the_consent_log(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(subscribe_limit_per_ip=2)
    with TestClient(create_app(settings), client=("127.0.0.1", 5000)) as client:
        codes = [
            client.post(
                "/subscribe",
                data={"email": f"f{n}@example.org"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            ).status_code
            for n in range(3)
        ]
    assert codes == [200, 200, 429]
    assert _logged_ips(engine) == ["127.0.0.1", "127.0.0.1"]


def test_a_trusted_proxys_header_is_believed(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(subscribe_limit_per_ip=1, trusted_proxies=PROXY)
    with TestClient(create_app(settings), client=(PROXY[0], 5000)) as client:
        codes = [
            client.post(
                "/subscribe",
                data={"email": f"t{n}@example.org"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            ).status_code
            for n in range(2)
        ]
    assert codes == [200, 200]
    assert _logged_ips(engine) == ["198.51.100.0", "198.51.100.1"]
