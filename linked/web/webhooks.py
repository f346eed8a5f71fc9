"""``POST /webhooks/bounce``: a relay or mailbox provider reports a bounce or a complaint.

Authenticated with a shared secret (``Authorization: Bearer <LINKED_WEBHOOK_SECRET>``,
compared in constant time); with no secret configured every call is refused. The
report goes through the one recording function that the bounce mailbox and refusals
seen while sending use (:func:`linked.subscribers.bounces.record`). Bad input gets 401
or 422 (400 for a body that is not JSON at all), never a 5xx.

``type`` is declared on the wire as the literal values of :class:`BounceKind` (a test
keeps the two equal), so the 422 for an unknown type stays pydantic's ``literal_error``
that clients have seen; the handler passes the enum on.
"""

from __future__ import annotations

import hmac
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.settings import Settings
from linked.subscribers.service import record_bounce
from linked.subscribers.status import BounceKind


class BounceReport(BaseModel):
    """One bounce or complaint for one address."""

    address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    type: Literal["hard", "soft", "complaint"]


class BounceResult(BaseModel):
    """``known`` is false when the address is not on the list (nothing was changed)."""

    known: bool
    status: str | None = None


def router(settings: Settings, engine: Engine | None = None) -> APIRouter:
    """The webhook routes; the database is ``engine`` or the app's ``state.engine``."""
    routes = APIRouter(tags=["webhooks"])

    def authorised(authorization: str | None = Header(default=None)) -> None:
        secret = settings.webhook_secret
        scheme, _, token = (authorization or "").partition(" ")
        expected = (secret or "").encode()
        if (
            not secret
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(token.strip().encode(), expected)
        ):
            raise HTTPException(
                status_code=401,
                detail="a valid Authorization: Bearer <webhook secret> header is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @routes.post(
        "/webhooks/bounce",
        response_model=BounceResult,
        summary="Record a hard or soft bounce or a complaint",
        dependencies=[Depends(authorised)],
        responses={401: {"description": "Missing or wrong shared secret"}},
    )
    async def bounce(report: BounceReport, request: Request) -> BounceResult:
        database: Engine = engine or request.app.state.engine

        def work() -> BounceResult:
            with Session(database) as session:
                subscriber = record_bounce(
                    session,
                    report.address,
                    BounceKind(report.type),
                    source="webhook",
                    soft_limit=settings.soft_bounce_limit,
                )
                session.commit()
                if subscriber is None:
                    return BounceResult(known=False)
                return BounceResult(known=True, status=str(subscriber.status.value))

        return await run_in_threadpool(work)

    return routes
