"""The confirmation and welcome mails: composed with the edition composer, sent by a Transport.

These run after the web response (FastAPI background tasks) or after an import
has committed, never inside a database transaction. A failed send is logged and
dropped: the person can ask again, within the per-address limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from linked.compose import compose_notice
from linked.errors import LinkedError
from linked.message import Recipient, prepare_message
from linked.settings import Settings
from linked.subscribers.service import Mailing
from linked.subscribers.tokens import confirm_url, unsubscribe_url
from linked.transport import Transport, TransportError, open_transport

log = logging.getLogger(__name__)

_Builder = Callable[[Settings, Mailing], tuple[str, bytes]]


def confirmation_message(settings: Settings, mailing: Mailing) -> tuple[str, bytes]:
    """The envelope sender and bytes of one confirmation mail (not list mail: no unsubscribe)."""
    context: dict[str, Any] = {
        "subject": f"Please confirm your subscription to {settings.bulletin_name}",
        "preheader": "One click and you will receive the bulletin by email.",
        "name": mailing.name,
        "confirm_url": confirm_url(settings, mailing.subscriber_id),
        "confirm_days": settings.confirm_token_days,
    }
    prepared = prepare_message(
        settings, compose_notice(settings, "confirm", context), list_headers=False
    )
    recipient = Recipient(email=mailing.email, name=mailing.name)
    return prepared.envelope_sender, prepared.render(recipient)


def welcome_message(settings: Settings, mailing: Mailing) -> tuple[str, bytes]:
    """The envelope sender and bytes of the welcome mail, with a working unsubscribe link."""
    leave = unsubscribe_url(settings, mailing.subscriber_id)
    context: dict[str, Any] = {
        "subject": f"Welcome to {settings.bulletin_name}",
        "preheader": "You are subscribed. Here is what to expect.",
        "name": mailing.name,
    }
    prepared = prepare_message(settings, compose_notice(settings, "welcome", context))
    recipient = Recipient(email=mailing.email, name=mailing.name, unsubscribe_url=leave)
    return prepared.envelope_sender, prepared.render(recipient)


async def _send(
    settings: Settings, transport: Transport, mailing: Mailing, build: _Builder
) -> bool:
    try:
        # Composing (MJML) is CPU work: keep it off the event loop that serves requests.
        sender, data = await asyncio.to_thread(build, settings, mailing)
        await transport.send(sender, [mailing.email], data)
    except (TransportError, LinkedError) as exc:
        # Logged by id, not address: logs are not a place for personal data.
        log.warning("could not send to subscriber %s: %s", mailing.subscriber_id, exc)
        return False
    return True


async def send_confirmations(settings: Settings, mailings: Sequence[Mailing]) -> int:
    """Send confirmation mails over one connection; return how many were accepted."""
    transport = open_transport(settings)
    sent = 0
    try:
        for mailing in mailings:
            sent += await _send(settings, transport, mailing, confirmation_message)
    finally:
        await transport.close()
    return sent


async def send_confirmation(settings: Settings, mailing: Mailing) -> bool:
    """Send one confirmation mail (the web app's background task)."""
    return await send_confirmations(settings, [mailing]) == 1


async def send_welcome(settings: Settings, mailing: Mailing) -> bool:
    """Send the welcome mail after someone confirmed."""
    transport = open_transport(settings)
    try:
        return await _send(settings, transport, mailing, welcome_message)
    finally:
        await transport.close()
