"""The console's images, approval, schedule, send-now and send pages, through the app.

Roles: an editor sees no controls and their POSTs are refused; nobody approves their own
last change; a change voids an approval; the schedule is in LINKED_TIMEZONE; "Send now"
needs the number of recipients typed; the request only plans the send (no mail leaves).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts import audit
from linked.accounts.models import AuditEvent, Role
from linked.authoring.approval import Approval
from linked.delivery import report, store
from linked.delivery.models import Delivery, Send
from linked.scheduler.service import scheduled_for
from linked.settings import Settings
from tests.fixtures.console import ROLE_EMAILS, sign_in
from tests.fixtures.photos import gps_photo, has_gps, png_bomb
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition

PAGE = f"/admin/editions/{EDITION}/send"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The rule on, with the example edition."""
    settings = make_settings(send_requires_approval=True)
    copy_edition(settings)
    return settings


def as_role(client: TestClient, role: Role) -> str:
    client.cookies.clear()
    return sign_in(client, ROLE_EMAILS[role])


def digest_on(page: str) -> str:
    found = re.search(r'name="digest" value="([0-9a-f]{64})"', page)
    assert found, page
    return found.group(1)


def approve(client: TestClient, csrf: str) -> int:
    page = client.get(PAGE).text
    data = {"csrf": csrf, "digest": digest_on(page)}
    return int(client.post(f"/admin/editions/{EDITION}/approve", data=data).status_code)


def upload(client: TestClient, csrf: str, data: bytes, alt: str = "Two people talking") -> object:
    return client.post(
        f"/admin/images/{EDITION}",
        data={"csrf": csrf, "alt": alt},
        files={"file": ("Photo.JPG", data, "image/jpeg")},
        follow_redirects=False,
    )


def actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
        return [row.action for row in rows]


def test_an_editor_sees_the_state_but_no_controls_and_is_refused(
    console: TestClient, engine: Engine, settings: Settings
) -> None:
    add_subscribers(engine, 2)
    csrf = as_role(console, Role.editor)
    page = console.get(PAGE)
    assert page.status_code == 200 and "Not approved yet." in page.text
    for control in ("Approve this edition", 'name="date"', "Send now</button>", 'name="count"'):
        assert control not in page.text
    before = actions(engine)
    for path, data in [
        ("approve", {}),
        ("schedule", {"date": "2031-05-28", "time": "09:00"}),
        ("schedule/cancel", {}),
        ("send", {"count": "2"}),
    ]:
        response = console.post(f"/admin/editions/{EDITION}/{path}", data={**data, "csrf": csrf})
        assert response.status_code == 403, path
        assert "needs the sender role" in response.text
    assert actions(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Approval)).first() is None
        assert session.exec(select(Send)).first() is None
    assert scheduled_for(settings, EDITION) is None


@pytest.mark.parametrize(
    ("path", "current"), [("send", "Approve &amp; send"), ("images", "Images")]
)
def test_the_page_is_a_tab_of_its_edition(console: TestClient, path: str, current: str) -> None:
    as_role(console, Role.editor)
    page = console.get(f"/admin/editions/{EDITION}/{path}").text
    nav = re.search(rf'<nav class="tabs" aria-label="Edition {EDITION}">(.*?)</nav>', page, re.S)
    assert nav, page
    marked = re.findall(r'<a href="[^"]*" aria-current="page">([^<]*)</a>', nav.group(1))
    assert marked == [current]
    assert f'href="/admin/editions/{EDITION}/{path}" aria-current="page"' in nav.group(1)


def test_nobody_approves_their_own_last_change(console: TestClient, engine: Engine) -> None:
    csrf = as_role(console, Role.sender)
    assert upload(console, csrf, gps_photo()).status_code == 303  # type: ignore[attr-defined]
    page = console.get(PAGE).text
    assert "You made the last change, so someone else must approve it." in page
    assert "Approve this edition" not in page
    response = console.post(
        f"/admin/editions/{EDITION}/approve", data={"csrf": csrf, "digest": digest_on_hidden(page)}
    )
    assert response.status_code == 409
    assert "made the last change" in response.text
    csrf = as_role(console, Role.admin)
    assert approve(console, csrf) == 200  # followed to the page
    page = console.get(PAGE).text
    assert "Approved by admin@example.org" in page
    assert actions(engine)[-1] == "edition.approve"


def digest_on_hidden(page: str) -> str:
    """The current hash is not on the page for the last editor; any value is refused anyway."""
    found = re.search(r'name="digest" value="([0-9a-f]{64})"', page)
    return found.group(1) if found else "0" * 64


def test_a_change_voids_the_approval_and_the_page_says_so(
    console: TestClient, engine: Engine
) -> None:
    csrf = as_role(console, Role.sender)
    assert approve(console, csrf) == 200
    assert "exactly as the edition is now" in console.get(PAGE).text
    editor_csrf = as_role(console, Role.editor)
    assert upload(console, editor_csrf, gps_photo()).status_code == 303  # type: ignore[attr-defined]
    page = console.get(PAGE).text
    assert "no longer holds: the edition changed after it was approved" in page
    assert "Last changed in the console by editor@example.org" in page
    csrf = as_role(console, Role.sender)
    page = console.get(PAGE).text
    assert 'name="date"' not in page and "Approve the edition first." in page
    assert approve(console, csrf) == 200
    assert "exactly as the edition is now" in console.get(PAGE).text


def test_schedule_in_the_configured_zone_change_and_cancel(
    console: TestClient, engine: Engine, settings: Settings
) -> None:
    csrf = as_role(console, Role.sender)
    assert approve(console, csrf) == 200
    data = {"csrf": csrf, "date": "2031-05-28", "time": "09:00"}
    page = console.post(f"/admin/editions/{EDITION}/schedule", data=data)
    assert page.status_code == 200 and "Scheduled." in page.text
    assert "Scheduled for Wednesday 28 May 2031, 09:00 BST (time zone Europe/London)" in page.text
    assert "Time (Europe/London)" in page.text
    when = scheduled_for(settings, EDITION)
    assert when == datetime(2031, 5, 28, 9, 0, tzinfo=settings.zone)
    assert when is not None and when.utcoffset() is not None
    assert when.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    # Change: a winter time is GMT.
    page = console.post(f"/admin/editions/{EDITION}/schedule", data={**data, "date": "2031-12-01"})
    assert "Monday 1 December 2031, 09:00 GMT" in page.text
    bad = console.post(
        f"/admin/editions/{EDITION}/schedule", data={"csrf": csrf, "date": "28/05", "time": "9am"}
    )
    assert bad.status_code == 422
    assert "Give the date as year-month-day" in bad.text and "Give the time" in bad.text
    past = console.post(f"/admin/editions/{EDITION}/schedule", data={**data, "date": "2020-01-01"})
    assert past.status_code == 422 and "is in the past" in past.text
    page = console.post(f"/admin/editions/{EDITION}/schedule/cancel", data={"csrf": csrf})
    assert "The schedule was cancelled" in page.text and "Not scheduled." in page.text
    assert scheduled_for(settings, EDITION) is None
    assert [a for a in actions(engine) if a.startswith("send.")] == [
        "send.schedule",
        "send.schedule",
        "send.unschedule",
    ]


def test_send_now_needs_the_number_typed_and_only_plans_the_send(
    console: TestClient, engine: Engine, settings: Settings
) -> None:
    add_subscribers(engine, 3)
    csrf = as_role(console, Role.sender)
    page = console.get(PAGE).text
    assert 'id="recipients">3<' in page and "Approve the edition first." in page
    refused = console.post(f"/admin/editions/{EDITION}/send", data={"csrf": csrf, "count": "3"})
    assert refused.status_code == 409 and "is not approved" in refused.text
    assert approve(console, csrf) == 200
    for typed in ("", "2", "three", "30"):
        wrong = console.post(f"/admin/editions/{EDITION}/send", data={"csrf": csrf, "count": typed})
        assert wrong.status_code == 422
        assert "Type 3, the number of people it goes to" in wrong.text
    with Session(engine) as session:
        assert session.exec(select(Send)).first() is None
    started = console.post(
        f"/admin/editions/{EDITION}/send",
        data={"csrf": csrf, "count": "3"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert re.fullmatch(r"/admin/sends/\d+", started.headers["location"])
    # Planned and left to the workers: three rows queued, nothing in the outbox.
    assert store.send_status(engine, EDITION) == "running"
    assert report.counts(engine, EDITION)["queued"] == 3
    assert not settings.outbox_dir.exists() or not any(settings.outbox_dir.iterdir())
    page = console.get(started.headers["location"]).text
    assert "Sending…" in page and 'hx-trigger="every 2s"' in page
    assert [a for a in actions(engine) if a.startswith("send.")] == ["send.start"]
    # Once everyone has it, sending again is refused rather than left running forever.
    with engine.begin() as conn:
        conn.execute(Delivery.__table__.update().values(state="sent"))  # type: ignore[attr-defined]
    again = console.post(f"/admin/editions/{EDITION}/send", data={"csrf": csrf, "count": "0"})
    assert again.status_code == 409 and "nobody to send" in again.text


def test_the_send_page_follows_pauses_resumes_and_shows_the_email_as_sent(
    console: TestClient, engine: Engine, settings: Settings
) -> None:
    add_subscribers(engine, 2)
    csrf = as_role(console, Role.sender)
    assert approve(console, csrf) == 200
    location = console.post(
        f"/admin/editions/{EDITION}/send",
        data={"csrf": csrf, "count": "2"},
        follow_redirects=False,
    ).headers["location"]
    send_id = location.rsplit("/", 1)[1]
    page = console.post(f"{location}/pause", data={"csrf": csrf})
    assert "Paused." in page.text and ">Resume<" in page.text
    assert store.send_status(engine, EDITION) == "paused"
    page = console.post(f"{location}/resume", data={"csrf": csrf})
    assert store.send_status(engine, EDITION) == "running"
    page = console.post(f"{location}/retry", data={"csrf": csrf})
    assert "queued again" in page.text
    # An editor may follow, not steer.
    editor_csrf = as_role(console, Role.editor)
    for action in ("pause", "resume", "retry"):
        assert console.post(f"{location}/{action}", data={"csrf": editor_csrf}).status_code == 403
    assert ">Pause<" not in console.get(location).text
    # Finished (as a worker would): the block stops polling and says so.
    with engine.begin() as conn:
        conn.execute(Send.__table__.update().values(status="done"))  # type: ignore[attr-defined]
    block = console.get(f"{location}/progress").text
    assert "Done: every message has been handled." in block and "hx-trigger" not in block
    content = console.get(f"/admin/sends/{send_id}/content")
    assert content.status_code == 200
    policy = content.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy
    assert "<script" not in content.text.lower()
    frame = re.search(r'<iframe[^>]*sandbox srcdoc="([^"]*)"', content.text)
    assert frame and "&lt;" in frame.group(1) and "<" not in frame.group(1)
    assert [a for a in actions(engine) if a.startswith("send.")] == [
        "send.start",
        "send.pause",
        "send.resume",
        "send.retry",
    ]


def test_a_change_and_its_audit_event_commit_together(
    console: TestClient, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscribers(engine, 2)
    csrf = as_role(console, Role.sender)
    assert approve(console, csrf) == 200
    location = console.post(
        f"/admin/editions/{EDITION}/send",
        data={"csrf": csrf, "count": "2"},
        follow_redirects=False,
    ).headers["location"]
    with engine.begin() as conn:  # one row deferred, for retry to re-queue
        conn.execute(store.T.update().where(store.T.c.id == 1).values(state="deferred"))
    before = actions(engine)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", broken)
    schedule = {"csrf": csrf, "date": "2031-05-28", "time": "09:00"}
    for path, data in [
        (f"{location}/pause", {"csrf": csrf}),
        (f"{location}/retry", {"csrf": csrf}),
        (f"/admin/editions/{EDITION}/schedule", schedule),
    ]:
        with pytest.raises(RuntimeError):
            console.post(path, data=data)
    # Neither the changes nor their events: the send runs on, nothing is scheduled.
    assert store.send_status(engine, EDITION) == "running"
    assert report.counts(engine, EDITION)["deferred"] == 1
    assert scheduled_for(settings, EDITION) is None
    assert actions(engine) == before


def test_an_image_upload_strips_gps_and_refusals_are_messages(
    console: TestClient, settings: Settings
) -> None:
    csrf = as_role(console, Role.editor)
    response = upload(console, csrf, gps_photo())
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = console.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "photo.jpg was added" in page and "Two people talking" in page
    assert "![Two people talking](images/photo.jpg)" in page
    stored = (settings.editions_dir / EDITION / "images" / "photo.jpg").read_bytes()
    assert not has_gps(stored) and b"Exif" not in stored
    image = console.get(f"/admin/editions/{EDITION}/images/photo.jpg")
    assert image.status_code == 200 and image.content == stored
    for data, alt, message in [
        (png_bomb(), "A bomb", "decompression bomb"),
        (b"not an image at all", "Text", "This file is not an image"),
        (gps_photo(), "  ", "Describe the image for people who cannot see it."),
    ]:
        refused = upload(console, csrf, data, alt)
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert message in refused.text  # type: ignore[attr-defined]
        assert 'aria-invalid="true"' in refused.text  # type: ignore[attr-defined]
    assert console.get(f"/admin/editions/{EDITION}/images/../edition.md").status_code == 404
    assert console.get("/admin/editions/..%2F..%2Fetc/images").status_code in (400, 404)
    # A file placed by hand in a format no upload can be (an SVG may carry script) is not served.
    (settings.editions_dir / EDITION / "images" / "drawn.svg").write_text("<svg/>")
    assert console.get(f"/admin/editions/{EDITION}/images/drawn.svg").status_code == 404
    assert console.get(f"/admin/editions/{EDITION}/images/missing.png").status_code == 404


def test_no_image_is_stored_without_its_audit_event(
    console: TestClient, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = as_role(console, Role.editor)
    images = settings.editions_dir / EDITION / "images"
    before = actions(engine), sorted(images.iterdir())  # hidden files too: none is left

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        upload(console, csrf, gps_photo())
    assert (actions(engine), sorted(images.iterdir())) == before
