"""``/subscribe``, ``/confirm/{token}`` and ``/unsubscribe/{token}``: thin handlers.

GET never changes anything (mail scanners follow every link); each GET page has a
button that POSTs. The one-click unsubscribe POST of RFC 8058 needs no cookie and
no CSRF token: the unguessable signed token is the authority.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from linked.subscribers import notices, service
from linked.subscribers.addresses import MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH, InvalidAddress
from linked.subscribers.tokens import (
    BadToken,
    ExpiredToken,
    Purpose,
    read_confirm_token,
    read_token,
)
from linked.web.limits import BodyTooLarge
from linked.web.state import (
    client_ip,
    in_batch,
    in_transaction,
    mailability_of,
    pages_of,
    settings_of,
    submit_notice,
)

router = APIRouter(tags=["subscribers"])

# The honeypot: hidden from people, irresistible to form-filling bots.
HONEYPOT = "website"
#: The least time a "Check your inbox" answer takes, whatever the address's state: a new,
#: pending and confirmed address do nearly the same work, and this floor hides the rest.
ANSWER_FLOOR_SECONDS = 0.05

_FIELDS = {
    "email": {"type": "string", "maxLength": MAX_ADDRESS_LENGTH},
    "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
    HONEYPOT: {"type": "string", "description": "Leave empty (spam trap)."},
}
_BODY_SCHEMA = {"type": "object", "required": ["email"], "properties": _FIELDS}
_SUBSCRIBE_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": _BODY_SCHEMA}
            for media in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "application/json",
            )
        },
    },
    "responses": {
        "200": {"description": "Asked to confirm (the same answer for every address)"},
        "400": {"description": "The request body could not be read"},
        "413": {"description": "The request body is too large"},
        "422": {"description": "Not a valid email address or name"},
        "429": {"description": "Too many requests from this address"},
    },
}
_TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The link is not valid"},
    410: {"description": "The link has expired"},
}

CHECK_INBOX = (
    "Thank you. If this address can receive the bulletin, we have sent it an email with a "
    "link to confirm your subscription. Nothing is sent until you confirm."
)


async def _form_values(request: Request) -> dict[str, str] | None:
    """The posted fields as text (form, multipart or JSON), or None when unreadable.

    The body's size is bounded by :class:`linked.web.limits.BodyLimit` (413).
    """
    try:
        if request.headers.get("content-type", "").lower().startswith("application/json"):
            body = await request.json()
            if not isinstance(body, dict):
                return None
            items = list(body.items())
        else:
            form = await request.form(max_files=0, max_fields=10)
            items = list(form.multi_items())
    except BodyTooLarge:
        raise
    except Exception:  # a malformed body of any kind is the client's mistake, not ours
        return None
    values: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, UploadFile) or not isinstance(value, str | None):
            return None
        values[str(key)] = value or ""
    return values


@router.get("/subscribe", summary="The subscribe form")
async def subscribe_form(request: Request) -> Response:
    pages = pages_of(request)
    return pages.respond(request, "web/subscribe.html", {"fields": list(_FIELDS)})


async def _at_least(started: float) -> None:
    """Wait until :data:`ANSWER_FLOOR_SECONDS` have passed since ``started``."""
    left = ANSWER_FLOOR_SECONDS - (time.perf_counter() - started)
    if left > 0:
        await asyncio.sleep(left)


@router.post("/subscribe", summary="Ask to subscribe", openapi_extra=_SUBSCRIBE_OPENAPI)
async def subscribe(request: Request) -> Response:
    started = time.perf_counter()
    pages, settings = pages_of(request), settings_of(request)
    values = await _form_values(request)
    if values is None:
        return pages.message(
            request,
            "bad_request",
            "Something went wrong",
            "We could not read the form. Please try again.",
            status_code=400,
        )
    if values.get(HONEYPOT):
        await _at_least(started)
        return pages.message(request, "check_inbox", "Check your inbox", CHECK_INBOX)
    email, name, ip = values.get("email", ""), values.get("name") or None, client_ip(request)
    try:
        await mailability_of(request).check(email)
        # Sign-ups share transactions under a rush (group commit; see in_batch).
        notice = await in_batch(
            request,
            lambda session: notices.subscribe(session, settings, email, name, source="web", ip=ip),
        )
    except InvalidAddress as exc:
        data = {"status": "invalid", "message": str(exc), "fields": list(_FIELDS)}
        return pages.respond(
            request, "web/subscribe.html", data, status_code=422, email=email, name=name or ""
        )
    except service.RateLimited as exc:
        return pages.message(request, "rate_limited", "Please wait", str(exc), status_code=429)
    # Queued with the subscription; this process's sender mails it (never this request).
    submit_notice(request, notice)
    await _at_least(started)
    return pages.message(request, "check_inbox", "Check your inbox", CHECK_INBOX)


def _token_problem(request: Request, exc: BadToken) -> Response:
    pages = pages_of(request)
    if isinstance(exc, ExpiredToken):
        return pages.message(
            request,
            "expired",
            "This link has expired",
            "Confirmation links last a few days. Please subscribe again to get a new one.",
            status_code=410,
            link=("/subscribe", "Subscribe again"),
        )
    return pages.message(
        request,
        "invalid_link",
        "This link does not work",
        "The link may have been cut short or changed. Please copy the whole link from "
        "the email, or subscribe again.",
        status_code=400,
        link=("/subscribe", "Subscribe"),
    )


@router.get(
    "/confirm/{token}", summary="Confirm page (changes nothing)", responses=_TOKEN_RESPONSES
)
async def confirm_page(request: Request, token: str) -> Response:
    try:
        read_confirm_token(settings_of(request), token)
    except BadToken as exc:
        return _token_problem(request, exc)
    return pages_of(request).message(
        request,
        "confirm",
        "Confirm your subscription",
        "Press the button to start receiving the bulletin by email.",
        button="Yes, subscribe me",
    )


@router.post("/confirm/{token}", summary="Confirm a subscription", responses=_TOKEN_RESPONSES)
async def confirm(request: Request, token: str) -> Response:
    settings, pages, ip = settings_of(request), pages_of(request), client_ip(request)
    try:
        subscriber_id, generation = read_confirm_token(settings, token)
    except BadToken as exc:
        return _token_problem(request, exc)
    result, welcome = await in_transaction(
        request,
        lambda session: notices.confirm(
            session, settings, subscriber_id, generation, source="web", ip=ip
        ),
    )
    if result.outcome is service.ConfirmOutcome.not_pending:
        return pages.message(
            request,
            "not_pending",
            "This link is no longer valid",
            "This address is not waiting for confirmation. To subscribe, use the form.",
            status_code=409,
            link=("/subscribe", "Subscribe"),
        )
    submit_notice(request, welcome)
    return pages.message(
        request,
        "confirmed",
        "You are subscribed",
        f"Thank you. You will receive {settings.bulletin_name} by email.",
    )


@router.get(
    "/unsubscribe/{token}", summary="Unsubscribe page (changes nothing)", responses=_TOKEN_RESPONSES
)
async def unsubscribe_page(request: Request, token: str) -> Response:
    try:
        read_token(settings_of(request), Purpose.unsubscribe, token)
    except BadToken as exc:
        return _token_problem(request, exc)
    return pages_of(request).message(
        request,
        "unsubscribe",
        "Unsubscribe",
        "Press the button to stop receiving the bulletin.",
        button="Unsubscribe",
        hidden={"List-Unsubscribe": "One-Click"},
    )


@router.post(
    "/unsubscribe/{token}",
    summary="Unsubscribe (also RFC 8058 one-click)",
    responses=_TOKEN_RESPONSES,
)
async def unsubscribe(request: Request, token: str) -> Response:
    settings, ip = settings_of(request), client_ip(request)
    try:
        subscriber_id = read_token(settings, Purpose.unsubscribe, token)
    except BadToken as exc:
        return _token_problem(request, exc)
    # The body (List-Unsubscribe=One-Click, in either encoding) need not be read: the signed
    # token is the whole authority, and the same answer every time makes this idempotent.
    await in_transaction(
        request, lambda session: service.unsubscribe(session, subscriber_id, source="web", ip=ip)
    )
    return pages_of(request).message(
        request,
        "unsubscribed",
        "You are unsubscribed",
        f"You will not receive {settings.bulletin_name} any more. Changed your mind? "
        "You can subscribe again at any time.",
        link=("/subscribe", "Subscribe again"),
    )
