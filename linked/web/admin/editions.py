"""``/admin/editions/…``: the list with each edition's state, "New edition", and an edition's
page — its fields and welcome text, its articles (add, delete and restore, reorder, draft).

Handlers only: the work is :mod:`linked.authoring` (files, articles, revisions, status),
the same functions ``linked new`` uses; every POST is audited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from linked.authoring import articles, files, revisions
from linked.authoring.files import Conflict
from linked.authoring.status import EditionState, edition_states
from linked.edition.loader import EDITION_FILE
from linked.errors import LinkedError
from linked.web.admin.auth import Editor, form_values
from linked.web.admin.editing import change, edition_url, save_file
from linked.web.admin.folders import edition_folder
from linked.web.admin.render import Refused, Viewer, console_of, reading, see_other, sentence
from linked.web.state import settings_of

DONE = {
    "saved": "Saved.",
    "added": "The article was added.",
    "deleted": "The article was moved to the trash. You can restore it below.",
    "restored": "The article is back.",
    "moved": "The order was changed.",
    "draft": "Done: drafts (names starting with _) are not sent.",
}


def _folders(editions_dir: Path) -> list[Path]:
    """Edition folders, newest first (by their edition.md date, then name)."""
    if not editions_dir.is_dir():
        return []
    found = [p for p in editions_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]

    def when(folder: Path) -> tuple[str, str]:
        fields = articles.edition_fields(files.read(folder / EDITION_FILE).text or "")
        return (fields.date if fields else "", folder.name)

    return sorted(found, key=when, reverse=True)


def routes(api: APIRouter) -> None:
    @api.get("/editions/", summary="Editions")
    async def listing(request: Request, viewer: Editor) -> Response:
        return await _list_page(request, viewer)

    async def _list_page(
        request: Request,
        viewer: Viewer,
        *,
        status_code: int = 200,
        error: str | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        settings = settings_of(request)
        folders = _folders(settings.editions_dir)
        composer = console_of(request).composer

        def work(session: Session) -> list[tuple[str, str, EditionState]]:
            states = edition_states(settings, session, folders, composer)
            rows = []
            for folder in folders:
                fields = articles.edition_fields(files.read(folder / EDITION_FILE).text or "")
                title = fields.title if fields and fields.title else folder.name
                rows.append((folder.name, title, states[folder.name]))
            return rows

        rows = await reading(request, work)
        return console_of(request).page(
            "admin/editions.html",
            viewer,
            status_code=status_code,
            current="Editions",
            rows=rows,
            error=error,
            values=values or {},
            today=date.today().isoformat(),
        )

    @api.post("/editions/new", summary="New edition")
    async def new(request: Request, viewer: Editor) -> Response:
        settings, values = settings_of(request), await form_values(request)
        slug = values.get("slug", "").strip()
        try:
            when = date.fromisoformat(values["date"]) if values.get("date") else None
        except ValueError:
            return await _list_page(
                request,
                viewer,
                status_code=422,
                error="The date must be like 2021-06-25.",
                values=values,
            )

        def make() -> Path:
            return articles.new_edition(
                settings.editions_dir, slug, values.get("title", ""), date.today(), when
            )

        def record(session: Session, folder: Path) -> None:
            for path in articles.edition_paths(folder):
                revisions.record_file(session, viewer.actor, path, "create")

        try:
            folder = await change(
                request, viewer, "edition.create", f"edition:{slug}", make, record
            )
        except Refused as exc:
            return await _list_page(
                request, viewer, status_code=422, error=exc.message, values=values
            )
        return see_other(edition_url(folder.name))

    async def _edition_page(
        request: Request,
        viewer: Viewer,
        slug: str,
        *,
        status_code: int = 200,
        conflict: Conflict | None = None,
        mine: articles.EditionFields | None = None,
        error: str | None = None,
    ) -> Response:
        folder = edition_folder(settings_of(request), slug)
        head = files.read(folder / EDITION_FILE)
        fields = mine or articles.edition_fields(head.text or "")
        return console_of(request).page(
            "admin/edition.html",
            viewer,
            status_code=status_code,
            current="Editions",
            slug=slug,
            tab="articles",
            head=head,
            fields=fields,
            version=conflict.current.version if conflict else head.version,
            conflict=conflict,
            entries=articles.entries(folder),
            trash=articles.trash(folder),
            error=error,
            notice=DONE.get(request.query_params.get("done", "")),
        )

    @api.get("/editions/{slug}", summary="An edition")
    async def edition(request: Request, viewer: Editor, slug: str) -> Response:
        return await _edition_page(request, viewer, slug)

    @api.post("/editions/{slug}", summary="Save an edition's fields")
    async def save(request: Request, viewer: Editor, slug: str) -> Response:
        folder, values = edition_folder(settings_of(request), slug), await form_values(request)
        path = folder / EDITION_FILE
        version = values.get("version", "")
        if "raw" in values:
            mine = None
            text = values["raw"]
        else:
            mine = articles.EditionFields(
                values.get("title", ""),
                values.get("date", ""),
                values.get("subject", ""),
                values.get("preheader", ""),
                values.get("number", ""),
                values.get("welcome", ""),
            )
            text = articles.edition_text(mine, files.read(path).text)
        try:
            await save_file(request, viewer, slug, path, text, version, "edition.save")
        except Conflict as exc:
            return await _edition_page(
                request, viewer, slug, status_code=409, conflict=exc, mine=mine
            )
        return see_other(edition_url(slug) + "?done=saved")

    async def _article_change(
        request: Request, viewer: Viewer, slug: str, action: str, name: str, done: str
    ) -> Response:
        folder, values = edition_folder(settings_of(request), slug), await form_values(request)
        actor = viewer.actor

        def work() -> str:
            if action == "add":
                return articles.add_article(folder, values.get("title", "")).name
            if action == "delete":
                return articles.delete_article(folder, name, values.get("version") or None)
            if action == "restore":
                return articles.restore_article(folder, name).name
            if action in ("up", "down"):
                articles.move(folder, name, -1 if action == "up" else 1)
                return name
            if action == "draft":
                return articles.set_draft(folder, name, values.get("draft") == "1")
            raise LinkedError("unknown action")

        def record(session: Session, result: str) -> None:
            if action == "add":
                revisions.record_file(session, actor, folder / result, "create")
            elif action == "delete":
                revisions.record(session, actor, folder / name, None, files.MISSING, "delete")
            elif action == "restore":
                revisions.record_file(session, actor, folder / result, "undelete")

        try:
            result = await change(
                request, viewer, f"article.{action}", f"edition:{slug}", work, record, name or None
            )
        except Conflict as exc:
            raise Refused(
                409, "Nothing was changed", sentence(exc) + " Reload the page and try again."
            ) from exc
        if action == "add":
            return see_other(edition_url(slug, "articles", result))
        anchor = f"#article-{revisions.key_of(result)}" if action in ("up", "down", "draft") else ""
        return see_other(f"{edition_url(slug)}?done={done}{anchor}")

    @api.post("/editions/{slug}/articles/new", summary="Add an article")
    async def add(request: Request, viewer: Editor, slug: str) -> Response:
        return await _article_change(request, viewer, slug, "add", "", "added")

    @api.post("/editions/{slug}/articles/{name}/delete", summary="Delete an article")
    async def delete(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        return await _article_change(request, viewer, slug, "delete", name, "deleted")

    @api.post("/editions/{slug}/articles/{name}/move", summary="Move an article up or down")
    async def move(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        values = await form_values(request)
        direction = "up" if values.get("direction") == "up" else "down"
        return await _article_change(request, viewer, slug, direction, name, "moved")

    @api.post("/editions/{slug}/articles/{name}/draft", summary="Make an article a draft or not")
    async def draft(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        return await _article_change(request, viewer, slug, "draft", name, "draft")

    @api.post("/editions/{slug}/trash/{name}/restore", summary="Restore a deleted article")
    async def restore(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        return await _article_change(request, viewer, slug, "restore", name, "restored")
