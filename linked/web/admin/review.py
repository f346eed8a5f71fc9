"""``/admin/editions/{slug}/review``: the whole edition's check with a link to each problem's
field, the email at desktop and phone widths and its plain text (what ``linked preview``
shows), and "Send a proof" — :func:`linked.delivery.service.send_proof`, as ``linked send
--test`` calls it — to the signed-in person and up to five more addresses.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.accounts import audit
from linked.authoring import files, findings
from linked.delivery.service import send_proof
from linked.edition.loader import EDITION_FILE
from linked.errors import LinkedError, Problem
from linked.preview.page import preview_edition
from linked.subscribers.addresses import normalise
from linked.web.admin.auth import Editor, form_values
from linked.web.admin.editing import edition_url
from linked.web.admin.folders import edition_folder
from linked.web.admin.render import Viewer, console_of, sentence
from linked.web.state import in_transaction, settings_of

MAX_EXTRA = 5
_SPLIT = re.compile(r"[\s,;]+")


def problem_link(slug: str, folder: Path, problem: Problem) -> str | None:
    """Where the field a problem is about is edited (None: not a file of the edition)."""
    path = problem.path
    if path.parent.resolve() != folder.resolve() or path.suffix != ".md":
        return None
    field = findings.field_of(problem, files.read(path).text or "")
    if path.name == EDITION_FILE:
        return f"{edition_url(slug)}#field-{field}"
    return f"{edition_url(slug, 'articles', path.name)}#field-{field}"


def extra_addresses(raw: str) -> list[str]:
    """Up to :data:`MAX_EXTRA` more addresses, each checked (LinkedError names a bad one)."""
    found = [a for a in _SPLIT.split(raw.strip()) if a]
    if len(found) > MAX_EXTRA:
        raise LinkedError(f"a proof goes to at most {MAX_EXTRA} more addresses")
    out = []
    for address in found:
        try:
            out.append(normalise(address).email)
        except LinkedError as exc:
            raise LinkedError(f"{address}: {exc}") from None
    return out


def routes(api: APIRouter) -> None:
    async def page(
        request: Request,
        viewer: Viewer,
        slug: str,
        *,
        status_code: int = 200,
        sent: list[str] | None = None,
        error: str | None = None,
        extra: str = "",
    ) -> Response:
        settings = settings_of(request)
        folder = edition_folder(settings_of(request), slug)
        preview = await run_in_threadpool(
            preview_edition, settings, folder, console_of(request).composer
        )
        root = folder.parent

        def rows(problems: list[Problem]) -> list[tuple[str, str | None]]:
            return [(p.format(relative_to=root), problem_link(slug, folder, p)) for p in problems]

        return console_of(request).page(
            "admin/review.html",
            viewer,
            status_code=status_code,
            current="Editions",
            slug=slug,
            tab="review",
            preview=preview,
            errors=rows(preview.errors),
            warnings=rows(preview.warnings),
            sent=sent,
            error=error,
            extra=extra,
            max_extra=MAX_EXTRA,
        )

    @api.get("/editions/{slug}/review", summary="Check, preview and proof")
    async def review(request: Request, viewer: Editor, slug: str) -> Response:
        return await page(request, viewer, slug)

    @api.post("/editions/{slug}/proof", summary="Send a proof")
    async def proof(request: Request, viewer: Editor, slug: str) -> Response:
        settings, values = settings_of(request), await form_values(request)
        folder = edition_folder(settings_of(request), slug)
        extra = values.get("extra", "")
        try:
            addresses = [viewer.email, *extra_addresses(extra)]
            sent = await run_in_threadpool(
                send_proof, settings, folder, list(dict.fromkeys(addresses))
            )
        except LinkedError as exc:
            return await page(
                request, viewer, slug, status_code=422, error=sentence(exc), extra=extra
            )

        def record(session: Session) -> None:
            audit.record(session, viewer.actor, "edition.proof", f"edition:{slug}", ", ".join(sent))

        await in_transaction(request, record)
        return await page(request, viewer, slug, sent=sent)
