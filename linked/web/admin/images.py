"""``/admin/editions/{slug}/images``: an edition's images, their alt text, and uploading one.

The upload is posted to ``/admin/images/{slug}`` (:data:`UPLOAD_PREFIX`), the one
prefix whose requests may carry an image-sized body. The work is
:func:`linked.authoring.images.store_image`; the upload makes the uploader the
edition's last editor (``image.upload`` in the audit log, committed before the image
takes its name, so no image is there without its event).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from linked.authoring import approval, images
from linked.db.writes import write
from linked.errors import LinkedError
from linked.web.admin.auth import Editor
from linked.web.admin.folders import edition_folder
from linked.web.admin.render import (
    HEADERS,
    PREFIX,
    Refused,
    Viewer,
    console_of,
    see_other,
    sentence,
)
from linked.web.state import engine_of, settings_of

UPLOAD_PREFIX = f"{PREFIX}/images/"
#: The request may hold the largest image plus the form's other fields and envelope.
MAX_UPLOAD_REQUEST_BYTES = images.MAX_IMAGE_BYTES + 64 * 1024


def routes(api: APIRouter) -> None:
    async def page(
        request: Request,
        viewer: Viewer,
        slug: str,
        *,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        alt: str = "",
        added: str = "",
    ) -> Response:
        folder = edition_folder(settings_of(request), slug)
        found = await run_in_threadpool(images.list_images, folder)
        return console_of(request).page(
            "admin/images.html",
            viewer,
            status_code=status_code,
            current="Editions",
            slug=slug,
            tab="images",
            images=found,
            errors=errors or {},
            alt=alt,
            added=added,
            max_mb=images.MAX_IMAGE_BYTES // 1_000_000,
            max_width=images.MAX_WIDTH,
        )

    @api.get("/editions/{slug}/images", summary="An edition's images")
    async def list_page(request: Request, viewer: Editor, slug: str) -> Response:
        return await page(request, viewer, slug, added=request.query_params.get("added", ""))

    @api.get("/editions/{slug}/images/{name}", summary="One image of an edition")
    async def image_file(request: Request, viewer: Editor, slug: str, name: str) -> Response:
        folder = edition_folder(settings_of(request), slug)
        # Only the formats an upload can be: a hand-placed SVG is never served here.
        if name.rsplit(".", 1)[-1].lower() in images.SERVED and name in await run_in_threadpool(
            images.image_names, folder
        ):
            return FileResponse(folder / images.IMAGES_DIR / name, headers=HEADERS)
        raise Refused(404, "No such image", "This edition has no image of that name.")

    @api.post("/images/{slug}", summary="Upload an image")
    async def upload(request: Request, viewer: Editor, slug: str) -> Response:
        folder = edition_folder(settings_of(request), slug)
        form = await request.form(max_files=1, max_part_size=images.MAX_IMAGE_BYTES + 1)
        upload = form.get("file")
        alt_value = form.get("alt")
        alt = alt_value if isinstance(alt_value, str) else ""
        errors: dict[str, str] = {}
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors["file"] = "Choose an image file (PNG, JPEG, GIF or WebP)."
        if not alt.strip():
            errors["alt"] = "Describe the image for people who cannot see it."
        if errors or not isinstance(upload, UploadFile):
            return await page(request, viewer, slug, status_code=422, errors=errors, alt=alt)
        data = await upload.read(images.MAX_IMAGE_BYTES + 1)
        name = upload.filename or "image"
        engine = engine_of(request)

        def record(image: images.StoredImage) -> None:
            # Committed before the image takes its name (see store_image for why).
            def work(session: Session) -> None:
                detail = f"{image.path} ({image.alt})"
                approval.record_edit(session, viewer.actor, slug, "image.upload", detail)

            write(engine, work)

        try:
            stored = await run_in_threadpool(
                lambda: images.store_image(folder, name, data, alt, record=record)
            )
        except LinkedError as exc:
            field = "alt" if "alt text" in str(exc) else "file"
            errors[field] = sentence(exc)
            return await page(request, viewer, slug, status_code=422, errors=errors, alt=alt)
        return see_other(f"{PREFIX}/editions/{slug}/images?added={stored.name}")
