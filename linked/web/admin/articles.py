"""``/admin/editions/{slug}/articles/{name}``: the article editor, its live preview (which
saves nothing), and the file's revisions with a diff and a restore.

The form carries the version of the file it started from; a save that meets a newer
file (another person's save, an edit on disk) is refused and the page shows both
versions — the text typed stays in the form, nothing is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from linked.authoring import articles, files, findings, revisions
from linked.authoring.files import Conflict
from linked.authoring.models import Revision
from linked.edition.loader import EDITION_FILE
from linked.errors import LinkedError
from linked.preview.draft import preview_draft
from linked.preview.page import Preview
from linked.web.admin.auth import Editor, form_values
from linked.web.admin.editing import edition_url, save_file
from linked.web.admin.folders import edition_folder
from linked.web.admin.render import (
    HEADERS,
    Refused,
    Viewer,
    console_of,
    reading,
    see_other,
    sentence,
)
from linked.web.state import settings_of

#: The article form's fields, in the order problems are listed.
FIELDS = ("title", "section", "image", "image_alt", "links", "body", "file")
EXTRA_LINK_ROWS = 2


def fields_from(values: dict[str, str]) -> articles.ArticleFields:
    """The article the posted form describes."""
    links = []
    for i in range(1, 21):
        text, url = values.get(f"link_text_{i}", ""), values.get(f"link_url_{i}", "")
        if text.strip() or url.strip():
            links.append((text, url))
    return articles.ArticleFields(
        values.get("title", ""),
        values.get("body", ""),
        values.get("section", ""),
        values.get("image", ""),
        values.get("image_alt", ""),
        links,
    )


def posted_text(values: dict[str, str], current: str | None) -> str:
    """The file the form describes: its raw text, or its fields in the documented format."""
    if "raw" in values:
        return values["raw"]
    return articles.article_text(fields_from(values), current)


def _file_path(
    request: Request, slug: str, name: str, *, edition_file: bool = False
) -> tuple[Path, Path]:
    """The edition folder and the file ``name`` (``edition.md`` only for its revisions)."""
    folder = edition_folder(settings_of(request), slug)
    if edition_file and name == EDITION_FILE:
        return folder, folder / EDITION_FILE
    try:
        path = articles.article_path(folder, name)
    except LinkedError as exc:
        raise Refused(404, "Page not found", sentence(exc)) from exc
    return folder, path


def _problems(preview: Preview, path: Path, text: str) -> dict[str, list[tuple[str, str]]]:
    pairs = [("error", p) for p in preview.errors] + [("warning", p) for p in preview.warnings]
    return findings.by_field(pairs, path, text)


def routes(api: APIRouter) -> None:
    async def editor(
        request: Request,
        viewer: Viewer,
        slug: str,
        name: str,
        *,
        status_code: int = 200,
        values: dict[str, str] | None = None,
        conflict: Conflict | None = None,
    ) -> Response:
        settings = settings_of(request)
        folder, path = _file_path(request, slug, name)
        current = files.read(path)
        if current.text is None:
            raise Refused(404, "Page not found", f"There is no article {name!r} (deleted?).")
        if values is not None:
            text = posted_text(values, current.text)
            fields = None if "raw" in values else fields_from(values)
        else:
            text = current.text
            fields = articles.article_fields(text)
        unsaved = {name: text} if values is not None else {}
        preview = await run_in_threadpool(
            preview_draft, settings, folder, unsaved, console_of(request).composer
        )
        links = list(fields.links) if fields else []
        return console_of(request).page(
            "admin/article.html",
            viewer,
            status_code=status_code,
            current="Editions",
            slug=slug,
            tab="articles",
            name=name,
            fields=fields,
            raw=text,
            link_rows=links + [("", "")] * EXTRA_LINK_ROWS,
            version=conflict.current.version if conflict else current.version,
            conflict=conflict,
            diff=revisions.diff(conflict.theirs, text, "theirs", "yours") if conflict else [],
            problems=_problems(preview, path, text),
            preview=preview,
            saved=request.query_params.get("done") == "saved",
        )

    base = "/editions/{slug}/articles/{name}"

    @api.get(base, summary="Edit an article")
    async def edit(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        return await editor(request, viewer, slug, name)

    @api.post(base, summary="Save an article")
    async def save(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        _folder, path = _file_path(request, slug, name)
        values = await form_values(request)
        text = posted_text(values, files.read(path).text)
        try:
            await save_file(
                request, viewer, slug, path, text, values.get("version", ""), "article.save", name
            )
        except Conflict as exc:
            return await editor(
                request, viewer, slug, name, status_code=409, values=values, conflict=exc
            )
        return see_other(edition_url(slug, "articles", name) + "?done=saved")

    @api.post(base + "/preview", summary="Preview unsaved text (saves nothing)")
    async def preview(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        settings = settings_of(request)
        folder, path = _file_path(request, slug, name)
        values = await form_values(request)
        text = posted_text(values, files.read(path).text)
        result = await run_in_threadpool(
            preview_draft, settings, folder, {name: text}, console_of(request).composer
        )
        html = (
            console_of(request)
            .env.get_template("admin/_article_preview.html")
            .render(preview=result, problems=_problems(result, path, text), fields=FIELDS, oob=True)
        )
        return HTMLResponse(html, headers=HEADERS)

    @api.get(base + "/revisions", summary="An article's revisions")
    async def history(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        _file_path(request, slug, name, edition_file=True)
        rows = await reading(request, lambda s: list(revisions.history(s, slug, name)))
        return console_of(request).page(
            "admin/revisions.html",
            viewer,
            current="Editions",
            slug=slug,
            tab="articles",
            name=name,
            rows=rows,
        )

    @api.get(base + "/revisions/{revision_id:int}", summary="One revision, as a diff")
    async def revision(
        request: Request, viewer: Editor, slug: str, name: str, revision_id: int
    ) -> Response:
        _folder, path = _file_path(request, slug, name, edition_file=True)

        def work(session: Any) -> tuple[Revision, Revision | None]:
            found = revisions.get(session, slug, revision_id)
            return found, revisions.previous(session, found)

        try:
            found, before = await reading(request, work)
        except LinkedError as exc:
            raise Refused(404, "Page not found", sentence(exc)) from exc
        current = files.read(path)
        return console_of(request).page(
            "admin/revision.html",
            viewer,
            current="Editions",
            slug=slug,
            tab="articles",
            name=name,
            revision=found,
            changes=revisions.diff(before.text if before else None, found.text, "before", "this"),
            against_now=revisions.diff(found.text, current.text, "this", "now"),
            version=current.version,
        )

    @api.post(base + "/revisions/{revision_id:int}/restore", summary="Restore a revision")
    async def restore(
        request: Request, viewer: Editor, slug: str, name: str, revision_id: int
    ) -> Response:
        _folder, path = _file_path(request, slug, name, edition_file=True)
        values = await form_values(request)
        try:
            found = await reading(request, lambda s: revisions.get(s, slug, revision_id))
        except LinkedError as exc:
            raise Refused(404, "Page not found", sentence(exc)) from exc
        if found.text is None or revisions.key_of(path.name) != found.key:
            raise Refused(409, "Nothing was changed", "That revision has no text to restore.")
        text = found.text
        try:
            await save_file(
                request,
                viewer,
                slug,
                path,
                text,
                values.get("version", ""),
                "article.restore",
                f"{name} revision {revision_id}",
            )
        except Conflict as exc:
            if name == EDITION_FILE:
                raise Refused(
                    409, "Nothing was changed", sentence(exc) + " Open the revision again."
                ) from exc
            return await editor(
                request, viewer, slug, name, status_code=409, values={"raw": text}, conflict=exc
            )
        if name == EDITION_FILE:
            return see_other(edition_url(slug) + "?done=saved")
        return see_other(edition_url(slug, "articles", name) + "?done=saved")
