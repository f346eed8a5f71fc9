"""``linked bounces fetch``: read the bounce mailbox, classify, record, then move.

For each message, oldest first: read it (without marking it read), classify it
(:mod:`linked.bounces.classify`), record a bounce or complaint and **commit**, and only
then move it to ``bounce_processed_folder`` (or delete it). Auto-replies are moved
without recording; anything not recognised stays in the folder untouched and is
counted. A crash between reading and recording leaves the message in place to be
read again; a crash between recording and moving finds its key recorded next time
(``duplicate``) and only moves it: nothing is lost and nothing counted twice.

One fetcher at a time across workers: a database lease (:mod:`linked.bounces.lease`),
taken over at once from a fetcher that died on this host, else after ten minutes.
"""

from __future__ import annotations

import imaplib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from linked.bounces import lease
from linked.bounces.classify import Kind, Unrecorded, classify
from linked.bounces.mailbox import Mailbox, MailboxError, MailboxURL
from linked.bounces.record import Recorded, record_verdict
from linked.db.engine import make_engine
from linked.db.migrate import upgrade
from linked.delivery import owners
from linked.delivery.returnpath import split_bounce_address
from linked.errors import LinkedError
from linked.settings import Settings

LEASE = "bounce-fetch"
LEASE_SECONDS = 600.0
#: Renew the lease after this many messages.
RENEW_EVERY = 50


@dataclass
class FetchReport:
    """What one fetch did. ``kinds`` counts messages by their :data:`Kind`."""

    kinds: Counter[Kind] = field(default_factory=Counter)
    recorded: int = 0
    duplicates: int = 0
    not_on_list: int = 0
    moved: int = 0
    #: Another process holds the fetch lease: this one did nothing.
    busy: bool = False

    @property
    def left(self) -> int:
        """Messages not recognised, left in the mailbox."""
        return self.kinds[Unrecorded.unknown]


def fetch_bounces(settings: Settings, db: Engine) -> FetchReport:
    """Process the bounce mailbox once; :class:`LinkedError` on a setting or server problem."""
    if not settings.bounce_imap_url:
        raise LinkedError("bounce_imap_url is not set (LINKED_BOUNCE_IMAP_URL)")
    url = MailboxURL.parse(settings.bounce_imap_url)
    local = (
        split_bounce_address(settings.bounce_address)[0] if settings.bounce_address else "bounces"
    )
    owner = owners.new_owner()
    if not lease.acquire(db, LEASE, owner, LEASE_SECONDS):
        return FetchReport(busy=True)
    try:
        with Mailbox(url, ca_file=settings.bounce_imap_ca_file) as mailbox:
            try:
                return _process(settings, db, mailbox, local, owner)
            except (OSError, imaplib.IMAP4.error) as exc:
                raise MailboxError(f"the bounce mailbox {url.safe} failed: {exc}") from exc
    finally:
        lease.release(db, LEASE, owner)


def fetch_mailbox(settings: Settings) -> FetchReport:
    """``linked bounces fetch``: open the database (migrating it), process the mailbox once."""
    db = make_engine(settings)
    try:
        upgrade(settings, db)
        return fetch_bounces(settings, db)
    finally:
        db.dispose()


def _process(
    settings: Settings, db: Engine, mailbox: Mailbox, local: str, owner: str
) -> FetchReport:
    report = FetchReport()
    folder = settings.bounce_processed_folder
    if not settings.bounce_delete_processed:
        mailbox.ensure_folder(folder)
    for count, uid in enumerate(mailbox.uids(), start=1):
        if count % RENEW_EVERY == 0:
            lease.acquire(db, LEASE, owner, LEASE_SECONDS)
        raw = mailbox.read(uid)
        if raw is None:
            continue
        verdict = classify(raw, local)
        report.kinds[verdict.kind] += 1
        if verdict.kind is Unrecorded.unknown:
            continue
        if verdict.kind is not Unrecorded.ignored:
            with Session(db) as session:
                outcome = record_verdict(session, settings, verdict)
                session.commit()
            if outcome is Recorded.duplicate:
                report.duplicates += 1
            else:
                report.recorded += 1
                report.not_on_list += outcome is Recorded.not_on_list
        if settings.bounce_delete_processed:
            mailbox.delete(uid)
        else:
            mailbox.move(uid, folder)
        report.moved += 1
    return report
