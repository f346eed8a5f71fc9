"""The engine against a real SMTP server (aiosmtpd): exactly once, headers, links, faults."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.delivery import store
from linked.delivery.models import SendStatus
from linked.delivery.pool import SMTPPool
from linked.delivery.progress import Progress
from linked.delivery.report import status_report
from linked.delivery.service import deliver, prepare_edition
from linked.settings import Settings
from linked.subscribers.models import Subscriber, SubscriberStatus
from linked.subscribers.tokens import Purpose, make_token, read_token, secret_key
from linked.transport import SMTPURL, Transport
from linked.web.app import create_app
from tests.fixtures.faulty_smtp import Switchable
from tests.fixtures.sending import (
    EDITION,
    add_subscribers,
    copy_edition,
    fast,
    plan_send,
    rows,
    set_status,
)


def _plan(engine: Engine) -> None:
    with Session(engine) as session:
        plan_send(session, EDITION)


async def _send(settings: Settings, engine: Engine, server: Switchable, **options: object) -> str:
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    pool = SMTPPool(SMTPURL.parse(server.url), size=4, max_per_connection=10)
    return await deliver(
        settings, engine, EDITION, prepared, transport=pool, options=fast(**options)
    )


class _Lane:
    def __init__(self, sent: list[str]) -> None:
        self.sent = sent
        self.released = False

    async def send_reply(
        self,
        sender: str,
        recipients: Sequence[str],
        message: bytes,
        *,
        prepared: bool = False,
        then: Sequence[str] | None = None,
        then_sender: str | None = None,
    ) -> str:
        assert prepared
        self.sent.extend(recipients)
        return "250 2.0.0 queued"

    def release(self) -> None:
        self.released = True


class _LanedTransport(Transport):
    """Not the SMTP pool, yet it offers lanes and a pacing note: the engine must use them."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lanes: list[_Lane] = []
        self.closed = False

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        raise AssertionError("a transport with lanes is sent to through them")

    def lane(self) -> _Lane:
        self.lanes.append(_Lane(self.sent))
        return self.lanes[-1]

    def describe(self) -> str:
        return "2 of 4 connections: testing"

    async def close(self) -> None:
        self.closed = True


async def test_the_engine_uses_what_the_transport_offers_without_asking_its_class(
    settings: Settings, engine: Engine
) -> None:
    readers = add_subscribers(engine, 6)
    _plan(engine)
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    transport = _LanedTransport()
    status = await deliver(
        settings, engine, EDITION, prepared, transport=transport, options=fast(workers=2)
    )
    assert status == "done"
    assert sorted(transport.sent) == sorted(email for _, email in readers)
    assert len(transport.lanes) == 2 and all(lane.released for lane in transport.lanes)
    assert status_report(engine, EDITION).pacing == "2 of 4 connections: testing"
    assert transport.closed


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def test_every_confirmed_subscriber_gets_exactly_one_message(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    readers = add_subscribers(engine, 30)
    add_subscribers(engine, 4, status="pending", prefix="waiting")
    add_subscribers(engine, 3, status="unsubscribed", prefix="gone")
    _plan(engine)

    assert await _send(settings, engine, faulty_smtp) == "done"

    delivered = faulty_smtp.handler.delivered_to()
    assert delivered == Counter({email: 1 for _, email in readers})
    ids = dict((email, sid) for sid, email in readers)
    for item in faulty_smtp.handler.messages:
        message = message_from_bytes(item.data, policy=policy.strict)
        assert isinstance(message, EmailMessage)
        (rcpt,) = item.recipients
        assert message["To"].addresses[0].addr_spec == rcpt
        for name in ("From", "Subject", "Date", "Message-ID", "List-Id", "MIME-Version"):
            assert message[name], name
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = re.match(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]))
        assert link is not None
        assert read_token(settings, Purpose.unsubscribe, _token(link.group(1))) == ids[rcpt]
        body = message.get_body(("plain",))
        assert body is not None and link.group(1) in body.get_content()
    assert {r.state for r in rows(engine).values()} == {"sent"}
    assert store.send_status(engine, EDITION) == "done"

    # Running the send again sends nothing more.
    assert await _send(settings, engine, faulty_smtp) == "done"
    assert len(faulty_smtp.handler.messages) == 30


async def test_the_unsubscribe_link_in_the_message_works(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    (sid, email), *_ = add_subscribers(engine, 2)
    _plan(engine)
    await _send(settings, engine, faulty_smtp)
    item = next(m for m in faulty_smtp.handler.messages if m.recipients == (email,))
    link = str(item.message["List-Unsubscribe"]).split(">")[0].lstrip("<")
    with TestClient(create_app(settings)) as client:
        response = client.post(
            link.removeprefix(settings.base_url),
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code < 400
    with Session(engine) as session:
        subscriber = session.get(Subscriber, sid)
        assert subscriber is not None and subscriber.status == SubscriberStatus.unsubscribed


def test_unsubscribe_tokens_are_the_ones_itsdangerous_makes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make_token's fast path must not change a token: old links keep working.
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.25)
    secret = secret_key(settings)
    for purpose in Purpose:
        reference = URLSafeTimedSerializer(secret, salt=f"linked-{purpose.value}")
        for subscriber_id in (1, 7, 12_345, 2**31 - 1, 98_765_432_109):
            token = make_token(settings, purpose, subscriber_id)
            assert token == reference.dumps(subscriber_id)
            assert read_token(settings, purpose, token) == subscriber_id


async def test_4xx_defers_with_backoff_then_succeeds(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 5)
    flaky = "reader1@example.net"
    faulty_smtp.handler.temporary[flaky] = ["451 4.3.0 try later", "452 4.2.2 mailbox full"]
    _plan(engine)
    assert await _send(settings, engine, faulty_smtp) == "done"
    row = rows(engine)[flaky]
    assert (row.state, row.attempts) == ("sent", 3)
    assert faulty_smtp.handler.delivered_to()[flaky] == 1


async def test_4xx_until_max_attempts_fails_and_retry_requeues(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 3)
    stuck = "reader2@example.net"
    faulty_smtp.handler.temporary[stuck] = ["452 4.2.2 mailbox full"] * 3
    _plan(engine)
    assert await _send(settings, engine, faulty_smtp, max_attempts=3) == "done"
    row = rows(engine)[stuck]
    assert (row.state, row.attempts, row.permanent) == ("failed", 3, False)
    assert row.last_reply is not None and "mailbox full" in row.last_reply
    assert store.requeue_temporary(engine, EDITION) == 1
    assert await _send(settings, engine, faulty_smtp) == "done"
    assert rows(engine)[stuck].state == "sent"
    assert faulty_smtp.handler.delivered_to()[stuck] == 1


async def test_5xx_fails_permanently_and_5_1_x_marks_the_subscriber_bounced(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 4)
    unknown, refused = "reader0@example.net", "reader3@example.net"
    faulty_smtp.handler.permanent[unknown] = "550 5.1.1 no such user here"
    faulty_smtp.handler.permanent[refused] = "554 5.7.1 policy refusal"
    _plan(engine)
    assert await _send(settings, engine, faulty_smtp) == "done"
    by_email = rows(engine)
    assert (by_email[unknown].state, by_email[unknown].permanent) == ("failed", True)
    assert by_email[unknown].last_code == 550
    assert "no such user" in str(by_email[unknown].last_reply)
    assert faulty_smtp.handler.rcpt_attempts[unknown] == 1  # never retried
    assert store.requeue_temporary(engine, EDITION) == 0
    with Session(engine) as session:
        statuses = {s.email: s.status for s in session.exec(select(Subscriber)).all()}
    assert statuses[unknown] == SubscriberStatus.bounced
    assert statuses[refused] == SubscriberStatus.confirmed
    assert sum(faulty_smtp.handler.delivered_to().values()) == 2


async def test_a_dropped_connection_is_reopened_without_charging_an_attempt(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 6)
    dropped = "reader4@example.net"
    faulty_smtp.handler.drops[dropped] = 2
    _plan(engine)
    assert await _send(settings, engine, faulty_smtp) == "done"
    assert (rows(engine)[dropped].state, rows(engine)[dropped].attempts) == ("sent", 1)
    assert faulty_smtp.handler.delivered_to()[dropped] == 1


async def test_a_server_down_for_a_while_delays_the_send_without_burning_attempts(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 12)
    _plan(engine)
    faulty_smtp.stop()
    timer = faulty_smtp.start_after(1.5)
    started = time.monotonic()
    try:
        assert await _send(settings, engine, faulty_smtp) == "done"
    finally:
        timer.join()
    assert time.monotonic() - started >= 1.4
    assert {(r.state, r.attempts) for r in rows(engine).values()} == {("sent", 1)}
    assert sum(faulty_smtp.handler.delivered_to().values()) == 12


async def test_an_unreachable_server_is_reported_once_per_reply_not_per_retry(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 8)
    _plan(engine)
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    reported: list[str] = []

    def note(progress: Progress) -> None:
        if progress.waiting.startswith("SMTP server unreachable"):
            reported.append(progress.waiting)

    faulty_smtp.stop()
    timer = faulty_smtp.start_after(1.2)
    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=4)
    try:
        status = await deliver(
            settings, engine, EDITION, prepared, transport=pool, options=fast(), progress=note
        )
    finally:
        timer.join()
    assert status == "done"
    # Four workers fail at once, then retry as the breaker reopens: one report per reply.
    assert reported and reported == list(dict.fromkeys(reported))
    assert sum(faulty_smtp.handler.delivered_to().values()) == 8


async def test_a_subscriber_who_leaves_before_their_row_is_sent_is_skipped(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 5)
    _plan(engine)
    set_status(engine, "reader2@example.net", "unsubscribed")
    assert await _send(settings, engine, faulty_smtp) == "done"
    assert rows(engine)["reader2@example.net"].state == "skipped"
    assert "reader2@example.net" not in faulty_smtp.handler.delivered_to()
    assert sum(faulty_smtp.handler.delivered_to().values()) == 4


async def test_pause_stops_between_messages_and_resume_sends_the_rest_once(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 80)
    _plan(engine)
    _subject, prepared = prepare_edition(settings, copy_edition(settings))

    def pause_at_ten(progress: Progress) -> None:
        if progress.sent >= 10:
            store.set_send_status(engine, EDITION, SendStatus.paused)

    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=2)
    status = await deliver(
        settings,
        engine,
        EDITION,
        prepared,
        transport=pool,
        options=fast(workers=2),
        progress=pause_at_ten,
    )
    assert status == "paused"
    states = Counter(r.state for r in rows(engine).values())
    assert states["sending"] == 0 and 10 <= states["sent"] < 80
    assert states["sent"] + states["queued"] == 80
    assert sum(faulty_smtp.handler.delivered_to().values()) == states["sent"]

    store.set_send_status(engine, EDITION, SendStatus.running)
    assert await _send(settings, engine, faulty_smtp) == "done"
    assert faulty_smtp.handler.delivered_to() == Counter(
        {f"reader{i}@example.net": 1 for i in range(80)}
    )


async def test_the_rate_limit_is_shared_by_all_connections(
    make_settings: object, engine: Engine, faulty_smtp: Switchable, settings: Settings
) -> None:
    add_subscribers(engine, 30)
    _plan(engine)
    limited = settings.model_copy(update={"rate_per_second": 20.0})
    started = time.monotonic()
    _subject, prepared = prepare_edition(limited, copy_edition(limited))
    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=4)
    await deliver(limited, engine, EDITION, prepared, transport=pool, options=fast())
    # 20 tokens at the start, then 10 more at 20 a second.
    assert time.monotonic() - started >= 0.45
    assert sum(faulty_smtp.handler.delivered_to().values()) == 30


async def test_connections_are_reopened_after_max_per_connection(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 25)
    _plan(engine)
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    pool = SMTPPool(SMTPURL.parse(faulty_smtp.url), size=1, max_per_connection=10)
    await deliver(settings, engine, EDITION, prepared, transport=pool, options=fast(workers=1))
    assert faulty_smtp.handler.sessions == 3
    await asyncio.sleep(0)
