"""``linked bounces fetch`` against a real Dovecot IMAP server and the test database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from linked.bounces.fetch import fetch_bounces
from linked.bounces.lease import acquire, release
from linked.delivery.models import Delivery
from linked.delivery.returnpath import return_path
from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers import service
from linked.subscribers.models import BounceEvent, Subscriber
from tests.fixtures.bounce_corpus import NAMES, Sample, corpus
from tests.fixtures.imap import IMAPServer
from tests.fixtures.sending import REPO
from tests.fixtures.servers import free_port

#: The subscriber each sample is about (the person's mail is about no one).
PEOPLE = {
    "postfix": "ada@example.com",
    "exim": "bob@example.com",
    "exchange": "carol@contoso.com",
    "gmail": "dan@gmail.com",
    "sendmail": "eve@example.net",
    "no-recipient": "frank@example.org",
    "arf": "grace@example.com",
    "out-of-office": "hal@example.com",
}
EXPECTED_STATUS = {
    "postfix": "bounced",
    "exim": "bounced",
    "exchange": "bounced",
    "gmail": "confirmed",  # one soft bounce
    "sendmail": "bounced",
    "no-recipient": "bounced",  # found by its VERP token alone
    "arf": "complained",
    "out-of-office": "confirmed",
}


def _setup(settings: Settings, engine: Engine) -> list[Sample]:
    """Subscribers with one sent delivery each; the corpus addressed to their return paths."""
    tokens = {}
    with Session(engine) as session:
        for name, email in PEOPLE.items():
            person, _ = service.add(session, settings, email, consent_given_elsewhere=True)
            assert person.id is not None
            row = Delivery(edition="2021-05", subscriber_id=person.id, email=email, state="sent")
            session.add(row)
            session.flush()
            assert row.id is not None
            tokens[name] = return_path(settings, row.id).partition("+")[2].partition("@")[0]
        session.commit()
    return corpus(tokens)


def _statuses(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {s.email: s.status.value for s in session.exec(select(Subscriber)).all()}


def _events(engine: Engine) -> list[BounceEvent]:
    with Session(engine) as session:
        return list(session.exec(select(BounceEvent)).all())


@pytest.fixture
def imap_settings(make_settings: Callable[..., Settings], dovecot_imap: IMAPServer) -> Settings:
    return make_settings(bounce_address="bounces@example.org", bounce_imap_url=dovecot_imap.url)


def test_each_message_is_classified_recorded_and_moved_once(
    imap_settings: Settings, engine: Engine, dovecot_imap: IMAPServer
) -> None:
    samples = _setup(imap_settings, engine)
    dovecot_imap.append(*(s.raw for s in samples))

    report = fetch_bounces(imap_settings, engine)
    assert dict(report.kinds) == {
        "hard": 5,
        "soft": 1,
        "complaint": 1,
        "ignored": 1,
        "unknown": 1,
    }
    assert (report.recorded, report.duplicates, report.not_on_list) == (7, 0, 0)
    statuses = _statuses(engine)
    assert {name: statuses[email] for name, email in PEOPLE.items()} == EXPECTED_STATUS

    # The person's mail is still in INBOX, unread and unchanged; the rest were moved.
    person = next(s for s in samples if s.name == "person")
    assert dovecot_imap.messages("INBOX") == [person.raw]
    assert b"\\Seen" not in b" ".join(dovecot_imap.flags("INBOX"))
    assert len(dovecot_imap.messages("Processed")) == len(samples) - 1

    # Each bounce is an event in its subscriber's history, with its status and diagnostic.
    events = _events(engine)
    assert sorted(e.kind for e in events) == sorted(["hard"] * 5 + ["soft", "complaint"])
    postfix = next(e for e in events if e.status == "5.1.1" and "virtual" in (e.diagnostic or ""))
    assert (postfix.source, postfix.edition) == ("mailbox", "2021-05")

    # A second fetch changes nothing.
    again = fetch_bounces(imap_settings, engine)
    assert dict(again.kinds) == {"unknown": 1} and again.recorded == again.moved == 0
    assert len(_events(engine)) == len(events) and _statuses(engine) == statuses
    assert dovecot_imap.messages("INBOX") == [person.raw]


def test_a_message_recorded_but_not_moved_is_counted_once(
    imap_settings: Settings, engine: Engine, dovecot_imap: IMAPServer
) -> None:
    samples = _setup(imap_settings, engine)
    postfix = next(s for s in samples if s.name == "postfix")
    dovecot_imap.append(postfix.raw)
    fetch_bounces(imap_settings, engine)
    # As if the fetch had died after recording, before moving: the same message again.
    dovecot_imap.append(postfix.raw)
    report = fetch_bounces(imap_settings, engine)
    assert (report.recorded, report.duplicates, report.moved) == (0, 1, 1)
    assert len(_events(engine)) == 1
    assert dovecot_imap.messages("INBOX") == []


def test_delete_instead_of_move(
    make_settings: Callable[..., Settings], engine: Engine, dovecot_imap: IMAPServer
) -> None:
    settings = make_settings(
        bounce_address="bounces@example.org",
        bounce_imap_url=dovecot_imap.url,
        bounce_delete_processed=True,
    )
    samples = _setup(settings, engine)
    dovecot_imap.append(*(s.raw for s in samples))
    assert fetch_bounces(settings, engine).moved == len(samples) - 1
    assert len(dovecot_imap.messages("INBOX")) == 1
    assert dovecot_imap.messages("Processed") == []


def test_one_fetcher_at_a_time(imap_settings: Settings, engine: Engine) -> None:
    assert acquire(engine, "bounce-fetch", "elsewhere:1", 60)
    try:
        assert fetch_bounces(imap_settings, engine).busy
    finally:
        release(engine, "bounce-fetch", "elsewhere:1")
    assert not fetch_bounces(imap_settings, engine).busy
    # An expired lease is taken over; a live one on another host is not.
    assert acquire(engine, "bounce-fetch", "elsewhere:2:x", -1)
    assert acquire(engine, "bounce-fetch", "me:3:x", 60)
    assert not acquire(engine, "bounce-fetch", "you:4:x", 60)


def test_bad_settings_and_unreachable_servers_are_clear_errors(
    make_settings: Callable[..., Settings], engine: Engine, dovecot_imap: IMAPServer
) -> None:
    with pytest.raises(LinkedError, match="bounce_imap_url is not set"):
        fetch_bounces(make_settings(), engine)
    with pytest.raises(LinkedError, match="imaps:// or imap://"):
        fetch_bounces(make_settings(bounce_imap_url="pop3://u:p@host/"), engine)
    wrong = dovecot_imap.url.replace(":secret@", ":wrong@")
    with pytest.raises(LinkedError, match="cannot read the bounce mailbox") as info:
        fetch_bounces(make_settings(bounce_imap_url=wrong), engine)
    assert "wrong" not in str(info.value)  # the password is never echoed
    closed = f"imap://u:p@127.0.0.1:{_closed_port()}/INBOX"
    with pytest.raises(LinkedError, match="cannot read the bounce mailbox"):
        fetch_bounces(make_settings(bounce_imap_url=closed), engine)


def _closed_port() -> int:
    return free_port()


def _unique(sample: Sample, n: int) -> bytes:
    """A copy of a sample with its own Message-ID (another bounce of the same shape)."""
    return re.sub(
        rb"(?im)^(Message-I[Dd]: <)", rb"\g<1>copy" + str(n).encode() + b".", sample.raw, count=1
    )


def test_sigkill_during_a_fetch_loses_and_doubles_nothing(
    imap_settings: Settings, engine: Engine, dovecot_imap: IMAPServer
) -> None:
    samples = _setup(imap_settings, engine)
    copies = 30
    dovecot_imap.append(*(_unique(s, n) for n in range(copies) for s in samples))
    bounces_per_copy = sum(s.expected in ("hard", "soft", "complaint") for s in samples)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        LINKED_SECRET_KEY=str(imap_settings.secret_key),
        LINKED_DATABASE_URL=imap_settings.database,
        LINKED_BOUNCE_ADDRESS="bounces@example.org",
        LINKED_BOUNCE_IMAP_URL=dovecot_imap.url,
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "linked", "--root", str(imap_settings.root), "bounces", "fetch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    table = BounceEvent.__table__  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    recorded = 0
    while time.monotonic() < deadline and child.poll() is None:
        with engine.connect() as conn:
            recorded = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if recorded >= 20:
            break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert 20 <= recorded < copies * bounces_per_copy, "the kill did not land mid-fetch"
    left = len(dovecot_imap.messages("INBOX"))
    assert left > copies  # more than the unrecognised mails: the fetch was cut short

    # The next fetch takes the dead fetcher's lease over at once (it died on this host).
    assert _lease_owner(engine).split(":")[1] == str(child.pid)
    report = fetch_bounces(imap_settings, engine)
    events = _events(engine)
    assert len(events) == copies * bounces_per_copy
    assert len({e.key for e in events}) == len(events)
    assert report.duplicates <= 1  # at most the message between its commit and its move
    assert len(dovecot_imap.messages("INBOX")) == copies  # the person's mails
    assert len(dovecot_imap.messages("Processed")) == copies * (len(samples) - 1)


def _lease_owner(engine: Engine) -> str:
    with engine.connect() as conn:
        owner = conn.execute(sa.text("SELECT owner FROM lease WHERE name = 'bounce-fetch'"))
        return str(owner.scalar_one())


def test_names_cover_the_corpus() -> None:
    assert set(PEOPLE) | {"person"} == set(NAMES)


def test_imaps_and_starttls_verify_the_certificate(
    make_settings: Callable[..., Settings], engine: Engine, dovecot_imap_tls: IMAPServer
) -> None:
    server = dovecot_imap_tls
    samples = _setup(make_settings(bounce_address="bounces@example.org"), engine)
    postfix = next(s for s in samples if s.name == "postfix")
    urls = {
        "imaps": f"imaps://bounces:secret@127.0.0.1:{server.tls_port}/INBOX",
        "starttls": server.url,  # imap://, and the server offers STARTTLS
    }
    for n, url in enumerate(urls.values()):
        settings = make_settings(
            bounce_address="bounces@example.org",
            bounce_imap_url=url,
            bounce_imap_ca_file=str(server.ca_file),
        )
        server.append(_unique(postfix, n))
        assert fetch_bounces(settings, engine).recorded == 1
    # Without the CA file the self-signed certificate is refused, either way: no login.
    for url in urls.values():
        untrusted = make_settings(bounce_imap_url=url)
        with pytest.raises(LinkedError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch_bounces(untrusted, engine)
