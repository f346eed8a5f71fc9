"""The confirmation and welcome mails: composed once per process, personalised per person.

Composing (Jinja, MJML) costs tens of milliseconds; personalising a prepared
message costs a fraction of one. So each notice is composed once with its
per-person values left as slots (greeting, confirm link, unsubscribe link) and
composed again only when a template file changes. Nothing here sends in a
request: the web app queues notices (:mod:`linked.subscribers.notices`) and the
notice sender hands the bytes made here to a transport; the CLI sends after its
transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from linked.compose import compose_notice
from linked.compose.slots import marker
from linked.compose.templates import template_dirs
from linked.errors import LinkedError
from linked.message import PreparedMessage, Recipient, prepare_message
from linked.settings import Settings
from linked.subscribers.models import NoticeKind
from linked.subscribers.service import Mailing
from linked.subscribers.tokens import confirm_url, unsubscribe_url
from linked.transport import Transport, TransportError, open_transport

log = logging.getLogger(__name__)

#: How often (seconds) the template files are looked at for changes.
TEMPLATE_CHECK_SECONDS = 1.0


def _templates_stamp(settings: Settings) -> tuple[tuple[str, int], ...]:
    """The email templates' and their folders' modification times: changes when one changes."""
    stamp: list[tuple[str, int]] = []
    for folder in template_dirs(settings):
        email = folder / "email"
        for path in (email, *sorted(email.glob("*.j2"))) if email.is_dir() else ():
            try:
                stamp.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                continue
    return tuple(stamp)


class NoticeComposer:
    """The prepared confirmation and welcome messages of one settings, kept while valid."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._prepared: dict[NoticeKind, PreparedMessage] = {}
        self._stamp: tuple[tuple[str, int], ...] = ()
        self._checked = 0.0

    def _compose(self, kind: NoticeKind) -> PreparedMessage:
        settings = self.settings
        context: dict[str, Any]
        if kind is NoticeKind.confirm:
            context = {
                "subject": f"Please confirm your subscription to {settings.bulletin_name}",
                "preheader": "One click and you will receive the bulletin by email.",
                "name": None,  # the requester is not verified: their typed name is not printed
                "confirm_url": marker("confirm_url"),
                "confirm_days": settings.confirm_token_days,
            }
            composed = compose_notice(settings, "confirm", context)
            # Not list mail: no List-Unsubscribe for someone who has not subscribed.
            return prepare_message(settings, composed, list_headers=False)
        context = {
            "subject": f"Welcome to {settings.bulletin_name}",
            "preheader": "You are subscribed. Here is what to expect.",
            "name": None,
        }
        return prepare_message(settings, compose_notice(settings, "welcome", context))

    def prepared(self, kind: NoticeKind) -> PreparedMessage:
        """The prepared message for ``kind``, composed again if a template changed."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= TEMPLATE_CHECK_SECONDS:
                self._checked = now
                stamp = _templates_stamp(self.settings)
                if stamp != self._stamp:
                    self._stamp, self._prepared = stamp, {}
            if kind not in self._prepared:
                self._prepared[kind] = self._compose(kind)
            return self._prepared[kind]

    def confirmation(self, mailing: Mailing) -> tuple[str, bytes]:
        """The envelope sender and bytes of one confirmation mail, without the typed name."""
        if mailing.generation is None:
            raise LinkedError(f"subscriber {mailing.subscriber_id} has no pending subscription")
        prepared = self.prepared(NoticeKind.confirm)
        link = confirm_url(self.settings, mailing.subscriber_id, mailing.generation)
        data = prepared.render(Recipient(email=mailing.email), slots={"confirm_url": link})
        return prepared.envelope_sender, data

    def welcome(self, mailing: Mailing) -> tuple[str, bytes]:
        """The envelope sender and bytes of the welcome mail, with a working unsubscribe link."""
        prepared = self.prepared(NoticeKind.welcome)
        leave = unsubscribe_url(self.settings, mailing.subscriber_id)
        recipient = Recipient(email=mailing.email, name=mailing.name, unsubscribe_url=leave)
        return prepared.envelope_sender, prepared.render(recipient)

    def message(self, kind: NoticeKind, mailing: Mailing) -> tuple[str, bytes]:
        """The envelope sender and bytes of a notice of ``kind``."""
        return self.confirmation(mailing) if kind is NoticeKind.confirm else self.welcome(mailing)


_composers: dict[int, tuple[Settings, NoticeComposer]] = {}
_composers_lock = threading.Lock()


def composer_for(settings: Settings) -> NoticeComposer:
    """The process's composer for these settings (one per settings object)."""
    with _composers_lock:
        found = _composers.get(id(settings))
        if found is None or found[0] is not settings:
            found = (settings, NoticeComposer(settings))
            _composers[id(settings)] = found
        return found[1]


def confirmation_message(settings: Settings, mailing: Mailing) -> tuple[str, bytes]:
    """The envelope sender and bytes of one confirmation mail (not list mail: no unsubscribe)."""
    return composer_for(settings).confirmation(mailing)


def welcome_message(settings: Settings, mailing: Mailing) -> tuple[str, bytes]:
    """The envelope sender and bytes of the welcome mail, with a working unsubscribe link."""
    return composer_for(settings).welcome(mailing)


async def send_notice(
    composer: NoticeComposer, transport: Transport, kind: NoticeKind, mailing: Mailing
) -> None:
    """Personalise and send one notice; raises TransportError or LinkedError."""
    sender, data = composer.message(kind, mailing)
    await transport.send(sender, [mailing.email], data)


async def send_confirmations(settings: Settings, mailings: Sequence[Mailing]) -> int:
    """Send confirmation mails over one connection (the CLI); return how many were accepted.

    A failed send is logged and dropped: the person can ask again, within the limit.
    """
    composer = composer_for(settings)
    await asyncio.to_thread(composer.prepared, NoticeKind.confirm)  # MJML off the loop
    sent = 0
    async with open_transport(settings) as transport:
        for mailing in mailings:
            try:
                await send_notice(composer, transport, NoticeKind.confirm, mailing)
            except (TransportError, LinkedError) as exc:
                # Logged by id, not address: logs are not a place for personal data.
                log.warning("could not send to subscriber %s: %s", mailing.subscriber_id, exc)
                continue
            sent += 1
    return sent
