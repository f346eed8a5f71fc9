"""The console's edition page and the article editor's live preview, for the example edition.

Copies the shipped example edition (``editions/2021-05``: ten articles, images) into a
throwaway project, signs in as an editor and times whole requests in process (httpx
``ASGITransport``): the session lookup, reading the files, and for the preview the copy
of the edition with the unsaved text, ``linked check`` and the composed email — the same
work ``linked preview`` does. Also the edition list (which checks each unsent edition)
and the article editor page.

Run from the project root:
  .venv/bin/python bench/bench_console_editions.py [--runs 30]
Targets: edition page median < 50 ms, article preview median < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_console import PASSWORD, report, sign_in, timed

from linked.accounts import service
from linked.accounts.audit import Actor
from linked.accounts.models import Role
from linked.db.migrate import upgrade
from linked.settings import load_settings
from linked.web.app import create_app

EXAMPLE = Path(__file__).resolve().parent.parent / "editions" / "2021-05"
ARTICLE = "/admin/editions/2021-05/articles/06-prevent.md"


async def run(args: Any) -> None:
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree(EXAMPLE, Path(root) / "editions" / "2021-05")
        settings = load_settings(root, secret_key="bench", from_address="Linked <b@example.org>")
        app = create_app(settings)
        engine = app.state.engine
        upgrade(settings, engine)
        with Session(engine) as session:
            service.add(session, Actor.cli(), "bench@example.org", Role.editor, password=PASSWORD)
            session.commit()
        transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await sign_in(client, "bench@example.org")
            editor = (await client.get(ARTICLE)).text
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', editor)
            assert csrf
            body = (Path(root) / "editions" / "2021-05" / "06-prevent.md").read_text()
            form = {
                "title": "Prevent",
                "body": body.split("---", 2)[2] + "\nOne more sentence, typed just now.",
                "csrf": csrf.group(1),
            }
            print(
                f"example edition, {args.runs} runs each after 3 warm-up; "
                f"load {os.getloadavg()[0]:.1f}"
            )
            report("edition page", await timed(client, args.runs, "GET", "/admin/editions/2021-05"))
            report(
                "article preview (htmx POST)",
                await timed(
                    client,
                    args.runs,
                    "POST",
                    f"{ARTICLE}/preview",
                    data=form,
                    headers={"X-CSRF-Token": csrf.group(1)},
                ),
            )
            report("article editor page", await timed(client, args.runs, "GET", ARTICLE))
            report("edition list", await timed(client, args.runs, "GET", "/admin/editions/"))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
