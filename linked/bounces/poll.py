"""Fetch bounces every ``bounce_poll_minutes`` inside ``linked serve`` and ``linked worker``.

Every process polls; the database lease in :func:`linked.bounces.fetch.fetch_bounces`
lets one fetch at a time, so more workers never means more IMAP sessions at once.
A failing mailbox is logged and tried again next time; it never stops the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from linked.bounces.fetch import fetch_bounces
from linked.errors import LinkedError
from linked.settings import Settings

log = logging.getLogger("linked.bounces")


async def poll_bounces(settings: Settings, db: Engine, stop: asyncio.Event) -> None:
    """Fetch now and then every ``bounce_poll_minutes`` until ``stop`` is set.

    Returns at once when ``bounce_imap_url`` is unset.
    """
    if not settings.bounce_imap_url:
        return
    interval = settings.bounce_poll_minutes * 60
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(fetch_bounces, settings, db)
        except LinkedError as exc:
            log.warning("event=bounces.failed detail=%r", str(exc))
        except Exception:  # a bug must not stop delivery: log it, try next time
            log.exception("event=bounces.error")
        else:
            if report.busy:
                log.info("event=bounces.busy")
            else:
                log.info(
                    "event=bounces.fetched recorded=%d duplicates=%d moved=%d left=%d",
                    report.recorded,
                    report.duplicates,
                    report.moved,
                    report.left,
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
