"""One recipient's bad values fail that row only: the send goes on (issue 15, item 2).

A fixed case with rows no valid input can make (a line break in a name, a control
character in an address, a domain with no IDNA form), and a Hypothesis property:
an edition sent over aiosmtpd (SMTPUTF8 on or off) to generated lists of odd but
valid addresses and names ends with every row ``sent`` or ``failed`` with a reason,
none ``queued`` or ``sending``, each sent row's message arriving once at the
address's wire form and reading back, under ``email.policy.strict``, as what was
stored. Set ``LINKED_TEST_DATABASE_URL`` to run it on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from linked.delivery.models import Delivery, Send
from linked.delivery.pool import SMTPPool
from linked.delivery.service import deliver, prepare_edition
from linked.idn import SMTPUTF8_REFUSAL, wire_address
from linked.message import PreparedMessage
from linked.settings import Settings
from linked.subscribers.addresses import InvalidAddress, clean_name, normalise
from linked.subscribers.models import Subscriber, utcnow
from linked.transport import SMTPURL
from tests.fixtures.sending import EDITION, copy_edition, fast, plan_send, rows
from tests.fixtures.smtp import SMTPServer, running_smtp_server

SUB = Subscriber.__table__  # type: ignore[attr-defined]
DEL = Delivery.__table__  # type: ignore[attr-defined]
SEND = Send.__table__  # type: ignore[attr-defined]


@pytest.fixture
def servers() -> Iterator[dict[bool, SMTPServer]]:
    """Two aiosmtpd servers: ``True`` offers SMTPUTF8, ``False`` does not."""
    with ExitStack() as stack:
        yield {on: stack.enter_context(running_smtp_server(smtputf8=on)) for on in (True, False)}


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (DEL, SEND, SUB):
            conn.execute(table.delete())


def _insert(engine: Engine, people: list[tuple[str, str, str | None]]) -> None:
    """Confirmed subscribers as (email, key, name), written as they are."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            SUB.insert(),
            [
                {
                    "email": address,
                    "email_key": key,
                    "name": name,
                    "status": "confirmed",
                    "created_at": now,
                    "updated_at": now,
                    "source": "test",
                    "confirmations_sent": 0,
                    "soft_bounces": 0,
                }
                for address, key, name in people
            ],
        )
    with Session(engine) as session:
        plan_send(session, EDITION)


def _send(settings: Settings, engine: Engine, prepared: PreparedMessage, server: SMTPServer) -> str:
    pool = SMTPPool(SMTPURL.parse(server.url), size=3, max_per_connection=20)
    run = deliver(settings, engine, EDITION, prepared, transport=pool, options=fast(workers=3))
    return asyncio.run(run)


def test_rows_that_cannot_make_a_message_fail_and_the_send_goes_on(
    settings: Settings, engine: Engine, servers: dict[bool, SMTPServer]
) -> None:
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    good = [(f"reader{i}@example.net", f"reader{i}@example.net", "Reader") for i in range(6)]
    broken = [
        ("eve@example.net", "eve@example.net", "Eve\r\nBcc: victim@example.org"),
        ("mallory@example.net\r\nRCPT TO:<x@example.org>", "mallory", None),
        ("oscar\x01@example.net", "oscar", None),
        ("trent@bü cher.example", "trent", None),
    ]
    _insert(engine, good[:3] + broken + good[3:])

    assert _send(settings, engine, prepared, servers[True]) == "done"

    state = {address: (row.state, row.last_reply or "") for address, row in rows(engine).items()}
    assert {state[a][0] for a, _, _ in good} == {"sent"}
    assert "line break" in state["eve@example.net"][1]
    assert "line break" in state[broken[1][0]][1]
    assert "control character" in state[broken[2][0]][1]
    assert "no IDNA form" in state["trent@bü cher.example"][1]
    for address, _, _ in broken:
        assert state[address][0] == "failed" and state[address][1].startswith("not sent: ")
    assert Counter(r for m in servers[True].messages for r in m.recipients) == {
        a: 1 for a, _, _ in good
    }


# Odd but valid ----------------------------------------------------------------

_LOCAL_CHARS = st.sampled_from([*"abcXYZ09!#$%&'*+/=?^_`{|}~-", *"éüßöжЖ中ñ"])
_LOCAL = st.lists(st.text(_LOCAL_CHARS, min_size=1, max_size=12), min_size=1, max_size=3).map(
    ".".join
)
_DOMAIN = st.sampled_from(
    [
        "example.org",
        "Example.NET",
        "bücher.example",
        "xn--bcher-kva.example",
        "BÜCHER.example",
        "faß.de",
        "例子.广告",
        "mail.sub.example.co.uk",
    ]
)
_ENCODED_WORD = st.text(max_size=30).map(
    lambda s: f"=?UTF-8?B?{base64.b64encode(s.encode()).decode()}?="
)
_NAME = st.one_of(
    st.none(),
    st.text(max_size=60),
    _ENCODED_WORD,
    st.tuples(st.text(max_size=20), _ENCODED_WORD).map(" ".join),
    st.sampled_from(['"Quoted" Name', "O'Brien, Pat", 'Back\\slash "and" quote', "(comment)"]),
    st.text(min_size=150, max_size=200),
    st.text(st.sampled_from("Zoë Ångström 中文 "), min_size=150, max_size=200),
)


def _valid(people: list[tuple[str, str | None]]) -> list[tuple[str, str, str | None]]:
    """The generated people as they would be stored: checked, normalised, one per key."""
    kept: dict[str, tuple[str, str, str | None]] = {}
    for text, name in people:
        try:
            address = normalise(text)
            cleaned = clean_name(name)
        except InvalidAddress:
            continue
        kept.setdefault(address.key, (address.email, address.key, cleaned))
    return list(kept.values())


def test_any_list_of_odd_but_valid_people_ends_sent_or_failed(
    settings: Settings, engine: Engine, servers: dict[bool, SMTPServer]
) -> None:
    _subject, prepared = prepare_edition(settings, copy_edition(settings))

    @hypothesis.settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        people=st.lists(
            st.tuples(st.builds("{}@{}".format, _LOCAL, _DOMAIN), _NAME), min_size=1, max_size=12
        ),
        smtputf8=st.booleans(),
    )
    def sends(people: list[tuple[str, str | None]], smtputf8: bool) -> None:
        stored = _valid(people)
        hypothesis.assume(stored)
        _reset(engine)
        server = servers[smtputf8]
        server.messages.clear()
        _insert(engine, stored)

        assert _send(settings, engine, prepared, server) == "done"

        found = rows(engine)
        assert {row.state for row in found.values()} <= {"sent", "failed"}
        expected: Counter[str] = Counter()
        for address, _key, _name in stored:
            wire = wire_address(address)
            row = found[address]
            if wire.smtputf8 and not smtputf8:
                assert (row.state, row.last_reply) == ("failed", SMTPUTF8_REFUSAL)
            else:
                assert row.state == "sent", (address, row.last_reply)
                expected[wire.address] += 1
        assert Counter(r for m in server.messages for r in m.recipients) == expected

        names = {wire_address(a).address: n for a, _k, n in stored}
        for item in server.messages:
            (rcpt,) = item.recipients
            utf8 = wire_address(rcpt).smtputf8
            policy = email.policy.strict.clone(utf8=utf8)
            message = (
                email.message_from_string(item.data.decode("utf-8"), policy=policy)
                if utf8
                else email.message_from_bytes(item.data, policy=policy)
            )
            defects = [type(d).__name__ for _, v in message.items() for d in v.defects]
            defects += [type(d).__name__ for part in message.walk() for d in part.defects]
            assert defects == (["NonASCIILocalPartDefect"] if utf8 else [])
            (to,) = message["To"].addresses
            assert to.addr_spec == rcpt
            # A name that looks like an encoded word reads back as typed, never decoded.
            # (Python's parser keeps the space between adjacent encoded words; RFC 2047 not.)
            assert "".join(to.display_name.split()) == "".join((names[rcpt] or "").split())

    sends()
