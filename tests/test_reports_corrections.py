"""After a send the edition may be corrected: the archive page says so, with the date, and
the email as sent stays what it was."""

from __future__ import annotations

import os
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from linked.accounts.audit import Actor
from linked.delivery import service as delivery
from linked.delivery.plan import get_send, load_content
from linked.edition import load_edition
from linked.reports.corrections import Corrections
from linked.settings import Settings
from linked.web.app import create_app
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition


def test_the_archive_says_corrected_on_and_the_sent_email_is_kept(
    settings: Settings, engine: Engine
) -> None:
    folder = copy_edition(settings)
    add_subscribers(engine, 2)
    delivery.start_detached(settings, engine, folder, confirm=None, actor=Actor.cli())
    with Session(engine) as session:
        send = get_send(session, EDITION)
        assert send is not None
        sent = load_content(send)
    assert sent is not None
    corrections = Corrections(settings, engine)
    assert corrections(load_edition(folder, settings.zone)) is None
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/editions/{EDITION}/")
        assert page.status_code == 200 and "Corrected on" not in page.text
        article = sorted(folder.glob("0*.md"))[0]
        text = article.read_text(encoding="utf-8")
        article.write_text(text + "\nA typo fixed after the send.\n", encoding="utf-8")
        before = datetime(2026, 11, 1, 12, 0, tzinfo=settings.zone).timestamp()
        for path in folder.rglob("*"):
            os.utime(path, (before, before))
        when = datetime(2026, 11, 20, 12, 0, tzinfo=settings.zone).timestamp()
        os.utime(article, (when, when))
        page = client.get(f"/editions/{EDITION}/")
        assert '<p class="meta corrected">Corrected on <time datetime="2026-11-20">' in page.text
    with Session(engine) as session:
        send = get_send(session, EDITION)
        assert send is not None and load_content(send) == sent


def test_a_never_sent_edition_is_never_corrected(settings: Settings, engine: Engine) -> None:
    folder = copy_edition(settings)
    (folder / "edition.md").write_text((folder / "edition.md").read_text() + "\nMore.\n")
    assert Corrections(settings, engine)(load_edition(folder, settings.zone)) is None
