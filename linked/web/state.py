"""What handlers share through ``app.state``: settings, the engine, pages, and transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.settings import Settings
from linked.web.pages import Pages

T = TypeVar("T")


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def engine_of(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def pages_of(request: Request) -> Pages:
    return cast(Pages, request.app.state.pages)


def client_ip(request: Request) -> str | None:
    """The peer address (run uvicorn with --proxy-headers behind a trusted proxy)."""
    return request.client.host if request.client else None


async def in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread, in one committed transaction.

    A unique-key race (two requests adding the same new address at once) is retried
    once: the second attempt sees the row the first one committed.
    """
    engine = engine_of(request)

    def run() -> T:
        for attempt in (1, 2):
            with Session(engine) as session:
                try:
                    result = work(session)
                    session.commit()
                    return result
                except IntegrityError:
                    session.rollback()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    return await run_in_threadpool(run)
