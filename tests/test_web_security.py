"""Security headers on every page of the web app: CSP, framing, sniffing, referrer, HSTS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from linked.settings import Settings
from linked.subscribers.tokens import confirm_url, unsubscribe_url
from linked.web.app import create_app

PAGES = [
    "/",
    "/editions/2021-05/",
    "/editions/2021-05/images/wood-report.png",
    "/feed.xml",
    "/search.html",
    "/static/archive.css",
    "/subscribe",
    "/no-such-page",
    "/healthz",
    "/openapi.json",
]


def _check(response_headers: dict[str, str]) -> None:
    csp = response_headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert response_headers["x-content-type-options"] == "nosniff"
    assert response_headers["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin")


def test_every_page_has_the_security_headers(
    example_edition: Path, make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings()
    with TestClient(create_app(settings)) as client:
        for url in PAGES:
            response = client.get(url)
            assert response.status_code in (200, 404), url
            _check(dict(response.headers))
            assert "strict-transport-security" not in response.headers  # http base_url
        posted = client.post("/subscribe", data={"email": "a@example.org"})
        _check(dict(posted.headers))
        # Pages with a token in their URL keep their stricter referrer policy.
        for url in (confirm_url(settings, 1, 1), unsubscribe_url(settings, 1)):
            page = client.get(url.removeprefix("http://testserver"))
            assert page.headers["referrer-policy"] == "no-referrer"


def test_hsts_when_the_public_address_is_https(
    example_edition: Path, make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(base_url="https://bulletin.example.org")
    with TestClient(create_app(settings)) as client:
        response = client.get("/subscribe")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "https://bulletin.example.org" in response.headers["content-security-policy"]


def test_an_unexpected_error_is_the_apps_own_page_with_the_headers(
    make_settings: Callable[..., Settings], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linked.subscribers import notices

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(notices, "subscribe", broken)
    with TestClient(create_app(make_settings()), raise_server_exceptions=False) as client:
        page = client.post("/subscribe", data={"email": "a@example.org"})
        data = client.post(
            "/subscribe", data={"email": "a@example.org"}, headers={"Accept": "application/json"}
        )
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "<h1>Something went wrong</h1>" in page.text and "a bug" not in page.text
    _check(dict(page.headers))
    assert data.status_code == 500 and data.json()["status"] == "error"
