"""Refusals that are not a message's fault, on aiosmtpd: a rate-limit reply costs the row no
attempt. (A refused login is tested against a real Postfix in test_delivery_relay.py.)"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from linked.delivery.pool import SMTPPool
from linked.delivery.service import deliver, prepare_edition
from linked.settings import Settings
from linked.transport import SMTPURL
from tests.fixtures.faulty_smtp import Switchable
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition, fast, plan_send, rows


async def _send(settings: Settings, engine: Engine, url: str) -> str:
    with Session(engine) as session:
        plan_send(session, EDITION)
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    pool = SMTPPool(SMTPURL.parse(url), size=4, max_per_connection=10)
    return await deliver(settings, engine, EDITION, prepared, transport=pool, options=fast())


async def test_a_rate_limit_reply_slows_the_send_without_charging_the_row(
    settings: Settings, engine: Engine, faulty_smtp: Switchable
) -> None:
    add_subscribers(engine, 6)
    limited = "reader2@example.net"
    faulty_smtp.handler.temporary[limited] = ["450 4.7.1 Error: too much mail"] * 2
    assert await _send(settings, engine, faulty_smtp.url) == "done"
    row = rows(engine)[limited]
    assert (row.state, row.attempts) == ("sent", 1)
    assert faulty_smtp.handler.delivered_to()[limited] == 1
