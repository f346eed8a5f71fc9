"""POST /webhooks/bounce: shared-secret auth, validation, and the subscriber bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.settings import Settings
from linked.subscribers.models import BounceEvent, Subscriber, SubscriberStatus
from linked.subscribers.status import BounceKind
from linked.web.webhooks import BounceReport, router
from tests.fixtures.sending import add_subscribers

SECRET = "s3cret-webhook-token"


@pytest.fixture
def client(make_settings: Callable[..., Settings], engine: Engine) -> TestClient:
    app = FastAPI()
    app.include_router(router(make_settings(webhook_secret=SECRET), engine))
    return TestClient(app, raise_server_exceptions=False)


def _status(engine: Engine, email: str) -> SubscriberStatus:
    with Session(engine) as session:
        subscriber = session.exec(select(Subscriber).where(Subscriber.email == email)).one()
        return subscriber.status


AUTH = {"Authorization": f"Bearer {SECRET}"}


def test_a_hard_bounce_marks_the_subscriber_bounced(client: TestClient, engine: Engine) -> None:
    add_subscribers(engine, 2)
    response = client.post(
        "/webhooks/bounce", json={"address": "reader1@example.net", "type": "hard"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.json() == {"known": True, "status": "bounced"}
    assert _status(engine, "reader1@example.net") == SubscriberStatus.bounced
    assert _status(engine, "reader0@example.net") == SubscriberStatus.confirmed
    # Through the one recording function the mailbox uses: an event in the history.
    with Session(engine) as session:
        events = session.exec(select(BounceEvent)).all()
        assert [(e.kind, e.source) for e in events] == [("hard", "webhook")]


def test_complaints_and_repeated_soft_bounces(client: TestClient, engine: Engine) -> None:
    add_subscribers(engine, 2)
    body = {"address": "reader0@example.net", "type": "complaint"}
    assert client.post("/webhooks/bounce", json=body, headers=AUTH).json()["status"] == (
        "complained"
    )
    soft = {"address": "reader1@example.net", "type": "soft"}
    statuses = [client.post("/webhooks/bounce", json=soft, headers=AUTH).json() for _ in range(3)]
    assert statuses[0]["status"] == "confirmed" and statuses[-1]["status"] == "bounced"


def test_unknown_addresses_change_nothing(client: TestClient, engine: Engine) -> None:
    response = client.post(
        "/webhooks/bounce", json={"address": "nobody@example.net", "type": "hard"}, headers=AUTH
    )
    assert response.status_code == 200 and response.json() == {"known": False, "status": None}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET}, {"Authorization": ""}],
)
def test_without_the_secret_the_call_is_refused(
    client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    add_subscribers(engine, 1)
    body = {"address": "reader0@example.net", "type": "hard"}
    assert client.post("/webhooks/bounce", json=body, headers=headers).status_code == 401
    assert _status(engine, "reader0@example.net") == SubscriberStatus.confirmed


@pytest.mark.parametrize(
    "body",
    [
        {"address": "reader0@example.net", "type": "mild"},
        {"address": "not an address", "type": "hard"},
        {"type": "hard"},
        {"address": "x" * 400 + "@example.net", "type": "hard"},
        ["reader0@example.net"],
        "hard",
    ],
)
def test_bad_input_is_a_422_never_a_5xx(client: TestClient, body: object) -> None:
    response = client.post("/webhooks/bounce", json=body, headers=AUTH)
    assert response.status_code == 422


def test_an_unknown_type_gets_the_same_422_body_as_ever(client: TestClient, engine: Engine) -> None:
    add_subscribers(engine, 1)
    body = {"address": "reader0@example.net", "type": "mild"}
    response = client.post("/webhooks/bounce", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "literal_error",
                "loc": ["body", "type"],
                "msg": "Input should be 'hard', 'soft' or 'complaint'",
                "input": "mild",
                "ctx": {"expected": "'hard', 'soft' or 'complaint'"},
            }
        ]
    }
    assert _status(engine, "reader0@example.net") == SubscriberStatus.confirmed


def test_the_types_on_the_wire_are_the_bounce_kinds() -> None:
    annotation = BounceReport.model_fields["type"].annotation
    assert get_args(annotation) == tuple(kind.value for kind in BounceKind)


def test_unparsable_json_is_a_400_never_a_5xx(client: TestClient) -> None:
    response = client.post(
        "/webhooks/bounce",
        content=b"\xff\xfe{not json",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400  # FastAPI's answer to a body that is not JSON


def test_with_no_secret_configured_every_call_is_refused(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    app = FastAPI()
    app.include_router(router(make_settings(), engine))
    client = TestClient(app)
    body = {"address": "reader0@example.net", "type": "hard"}
    assert (
        client.post("/webhooks/bounce", json=body, headers={"Authorization": "Bearer "}).status_code
        == 401
    )
