"""The app factory end to end: a real uvicorn server, a real SMTP server, and schemathesis."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import hypothesis
import pytest
import schemathesis
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session

from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.models import SubscriberStatus
from linked.web.app import create_app
from tests.fixtures.smtp import SMTPServer, free_port


@pytest.fixture
def live_server(
    make_settings: Callable[..., Settings], smtp_server: SMTPServer
) -> Iterator[tuple[str, Settings]]:
    """uvicorn on a free loopback port, mailing through the aiosmtpd fixture."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(base_url=base, smtp_url=smtp_server.url)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield base, settings
    finally:
        server.should_exit = True
        thread.join(10)


def _status(settings: Settings, email: str) -> SubscriberStatus | None:
    from linked.db.engine import make_engine

    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            subscriber = service.find(session, email)
            return subscriber.status if subscriber else None
    finally:
        engine.dispose()


@pytest.mark.slow
def test_double_opt_in_end_to_end(
    live_server: tuple[str, Settings], smtp_server: SMTPServer
) -> None:
    base, settings = live_server
    with httpx.Client(base_url=base, timeout=10) as client:
        response = client.post("/subscribe", data={"email": "reader@example.org", "name": "Ree"})
        assert response.status_code == 200

        [received] = smtp_server.wait_for(1)
        assert received.recipients == ("reader@example.org",)
        assert received.sender == "bulletin@example.org"
        message = received.message
        assert "confirm" in message["Subject"].lower()
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        links = re.findall(re.escape(base) + r"/confirm/[A-Za-z0-9._-]+", text)
        assert links and links[0] in html
        link = links[0]

        page = client.get(link)
        assert page.status_code == 200 and "Yes, subscribe me" in page.text
        assert _status(settings, "reader@example.org") is SubscriberStatus.pending

        done = client.post(link)
        assert done.status_code == 200 and "You are subscribed" in done.text
        assert _status(settings, "reader@example.org") is SubscriberStatus.confirmed

        # The welcome mail arrives too, and its one-click unsubscribe works.
        welcome = smtp_server.wait_for(2)[1].message
        header = welcome["List-Unsubscribe"]
        unsubscribe = re.search(r"<(http[^>]+)>", header)
        assert unsubscribe is not None
        leave = client.post(
            unsubscribe.group(1),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert leave.status_code == 200
        assert _status(settings, "reader@example.org") is SubscriberStatus.unsubscribed


def test_no_server_errors(make_settings: Callable[..., Settings], engine: Engine) -> None:
    """schemathesis generates requests for every operation in /openapi.json: none may 5xx."""
    # Its pytest plugin does not support pytest 9 yet, so drive its strategies directly.
    app = create_app(make_settings(subscribe_limit_per_ip=1_000_000))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    failures: list[str] = []
    seen: set[int] = set()

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            seen.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        check()
    assert failures == []
    assert {200, 400} <= seen  # the requests really reached the app
