"""What the console's pages share for a change: committing it, or refusing it as a 409 page
that says nothing was changed; the edition, article and review pages' file changes with
their audit row; showing a check problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from linked.accounts import audit
from linked.authoring import files, revisions
from linked.authoring.files import Conflict
from linked.errors import LinkedError, Problem
from linked.web.admin.render import PREFIX, Refused, Viewer, sentence
from linked.web.state import in_transaction

T = TypeVar("T")
BASE = f"{PREFIX}/editions"


def edition_url(slug: str, *parts: str) -> str:
    return "/".join([f"{BASE}/{slug}", *parts])


async def commit(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one committed transaction (:func:`in_transaction`); a LinkedError
    (which the transaction rolled back) becomes a 409 page saying nothing was changed."""
    try:
        return await in_transaction(request, work)
    except LinkedError as exc:
        raise Refused(409, "Nothing was changed", sentence(exc)) from exc


async def change(
    request: Request,
    viewer: Viewer,
    action: str,
    target: str,
    files_work: Callable[[], T],
    record: Callable[[Session, T], object] | None = None,
    detail: str | None = None,
) -> T:
    """Change edition files (``files_work``, in a worker thread), then write its rows
    (``record``: revisions) and the audit row in one transaction.

    The files are changed first and once: a database retry must not write them again.
    A LinkedError other than a conflict becomes a 409 page saying nothing was changed.
    """
    try:
        result = await run_in_threadpool(files_work)
    except Conflict:
        raise
    except LinkedError as exc:
        raise Refused(409, "Nothing was changed", sentence(exc)) from exc

    def rows(session: Session) -> None:
        if record is not None:
            record(session, result)
        audit.record(session, viewer.actor, action, target, detail)

    await in_transaction(request, rows)
    return result


async def save_file(
    request: Request,
    viewer: Viewer,
    slug: str,
    path: Path,
    text: str,
    version: str,
    action: str,
    detail: str | None = None,
) -> str:
    """Write one edition file if it is still at ``version`` (else :class:`Conflict`), as a
    revision and an audit event ``action`` (``article.save``: the revision is a "save")."""
    kind = action.rsplit(".", 1)[-1]
    return await change(
        request,
        viewer,
        action,
        f"edition:{slug}",
        lambda: files.write(path, text, version),
        lambda session, _version: revisions.record_file(session, viewer.actor, path, kind),
        detail,
    )


def problem_line(problem: Problem, root: Path) -> str:
    return problem.format(relative_to=root)
