"""What handlers share through ``app.state``: settings, the engine, pages, and transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar, cast

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.db.writes import WriteBatcher, write
from linked.settings import Settings
from linked.subscribers.mailable import Mailability
from linked.subscribers.notices import QueuedNotice
from linked.subscribers.sender import NoticeSender
from linked.web.pages import Pages
from linked.web.proxies import client_address

T = TypeVar("T")


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def engine_of(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def pages_of(request: Request) -> Pages:
    return cast(Pages, request.app.state.pages)


def mailability_of(request: Request) -> Mailability:
    return cast(Mailability, request.app.state.mailability)


def client_ip(request: Request) -> str | None:
    """The peer's address, or the one a trusted proxy forwarded (``trusted_proxies``)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, settings_of(request).trusted_proxies)


def submit_notice(request: Request, notice: QueuedNotice | None) -> None:
    """Hand a queued notice to this process's sender (when it runs; the row waits anyway)."""
    sender: NoticeSender | None = getattr(request.app.state, "notice_sender", None)
    if notice is not None and sender is not None:
        sender.submit(notice)


async def in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread, in one committed transaction.

    See :func:`linked.db.writes.write`: one writer at a time on SQLite, run again
    when the database is busy, and once after a unique-key race.
    """
    engine = engine_of(request)
    return await run_in_threadpool(write, engine, work)


async def in_batch(request: Request, work: Callable[[Session], T]) -> T:
    """Like :func:`in_transaction`, sharing a transaction with concurrent requests.

    For the sign-up rush (see :class:`linked.db.writes.WriteBatcher`): ``work`` may
    raise a LinkedError only before it has changed anything.
    """
    batcher = cast(WriteBatcher, request.app.state.write_batcher)
    return await asyncio.wrap_future(batcher.submit(work))
