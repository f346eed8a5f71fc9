"""Four eyes: the edition's hash, who may approve, approvals voided by a change, and the
rule kept by every function that schedules or starts a send (so the CLI obeys too)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts import service as accounts
from linked.accounts.audit import Actor
from linked.accounts.models import AuditEvent, Role
from linked.authoring import approval
from linked.authoring.approval import NotApproved, edition_hash
from linked.delivery import service as delivery
from linked.delivery.models import Send
from linked.errors import LinkedError
from linked.scheduler import events
from linked.scheduler.runtime import run_scheduled_send
from linked.scheduler.service import schedule_edition
from linked.settings import Settings
from tests.fixtures.console import PASSWORD, ROLE_EMAILS, add_accounts
from tests.fixtures.project import run_linked
from tests.fixtures.sending import EDITION, add_subscribers, copy_edition

SECOND_SENDER = "second.sender@example.org"


@pytest.fixture
def on(make_settings: Callable[..., Settings]) -> Settings:
    """Settings with the rule on, the example edition and one account per role (+ a sender)."""
    settings = make_settings(send_requires_approval=True)
    copy_edition(settings)
    return settings


@pytest.fixture
def people(on: Settings, engine: Engine) -> dict[str, int]:
    add_accounts(engine)
    with Session(engine) as session:
        accounts.add(session, Actor.cli(), SECOND_SENDER, Role.sender, password=PASSWORD)
        session.commit()
        found = {}
        for email in [*ROLE_EMAILS.values(), SECOND_SENDER]:
            account = accounts.get(session, email)
            assert account.id is not None
            found[email] = account.id
        return found


def account_actor(people: dict[str, int], email: str) -> Actor:
    return Actor(email, people[email])


def edit(engine: Engine, people: dict[str, int], email: str, folder: Path, text: str) -> None:
    """A console change to the edition by ``email`` (as an image upload or a save records)."""
    (folder / "01-extra.md").write_text(text, encoding="utf-8")
    with Session(engine) as session:
        approval.record_edit(
            session, account_actor(people, email), folder.name, "article.save", "01-extra.md"
        )
        session.commit()


def approve(on: Settings, engine: Engine, people: dict[str, int], email: str) -> None:
    with Session(engine) as session:
        approval.approve(session, on, EDITION, people[email], account_actor(people, email))
        session.commit()


def audit_details(engine: Engine, action: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        )
        return [f"{row.actor} | {row.detail}" for row in rows]


def test_the_hash_covers_every_file_and_path_but_hidden_ones(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    (folder / "images").mkdir(parents=True)
    (folder / "edition.md").write_text("a")
    (folder / "images" / "x.png").write_bytes(b"png")
    first = edition_hash(folder)
    assert edition_hash(folder) == first and len(first) == 64
    (folder / ".trash").mkdir()
    (folder / ".trash" / "01-gone.md").write_text("deleted article")
    (folder / "images" / ".alt.json").write_text("{}")
    assert edition_hash(folder) == first
    (folder / "images" / "x.png").write_bytes(b"png!")
    assert edition_hash(folder) != first
    (folder / "images" / "x.png").write_bytes(b"png")
    (folder / "images" / "x.png").rename(folder / "images" / "y.png")
    assert edition_hash(folder) != first
    with pytest.raises(LinkedError, match="no edition folder"):
        edition_hash(tmp_path / "missing")


def test_an_editor_cannot_approve(on: Settings, engine: Engine, people: dict[str, int]) -> None:
    with pytest.raises(LinkedError, match="needs the sender role"):
        approve(on, engine, people, ROLE_EMAILS[Role.editor])


def test_nobody_approves_their_own_last_change(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    sender = ROLE_EMAILS[Role.sender]
    edit(engine, people, sender, on.editions_dir / EDITION, "---\ntitle: Extra\n---\n\nHi.\n")
    with pytest.raises(LinkedError, match="made the last change"):
        approve(on, engine, people, sender)
    admin = ROLE_EMAILS[Role.admin]
    approve(on, engine, people, admin)
    with Session(engine) as session:
        state = approval.state(session, on, EDITION)
        assert state.valid and state.approval is not None
        assert (state.approval.approver, state.approval.editor) == (admin, sender)
    # The editor's change after that makes the admin's approval void, the sender may approve.
    [detail] = audit_details(engine, "edition.approve")
    assert f"approver: {admin}; last editor: {sender}" in detail


def test_a_change_voids_the_approval_and_a_new_one_is_needed(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    editor, sender = ROLE_EMAILS[Role.editor], ROLE_EMAILS[Role.sender]
    folder = on.editions_dir / EDITION
    edit(engine, people, editor, folder, "---\ntitle: Extra\n---\n\nFirst.\n")
    approve(on, engine, people, sender)
    with Session(engine) as session:
        assert approval.require_approval(session, on, EDITION) is not None
    edit(engine, people, editor, folder, "---\ntitle: Extra\n---\n\nSecond.\n")
    with Session(engine) as session:
        state = approval.state(session, on, EDITION)
        assert state.voided and not state.ready
        with pytest.raises(NotApproved, match=f"changed after {sender} approved it"):
            approval.require_approval(session, on, EDITION)
    # A change on disk (no account) voids it just the same.
    approve(on, engine, people, sender)
    (folder / "edition.md").write_text(
        (folder / "edition.md").read_text() + "\nOne more line.\n", encoding="utf-8"
    )
    with Session(engine) as session:
        assert approval.state(session, on, EDITION).voided


def test_approving_what_the_approver_did_not_see_is_refused(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    sender = ROLE_EMAILS[Role.sender]
    with Session(engine) as session:
        seen = approval.state(session, on, EDITION).digest
    (on.editions_dir / EDITION / "edition.md").write_text("changed meanwhile", encoding="utf-8")
    with Session(engine) as session, pytest.raises(LinkedError, match="changed since you opened"):
        approval.approve(
            session, on, EDITION, people[sender], account_actor(people, sender), expected=seen
        )


def test_scheduling_needs_a_valid_approval_and_the_audit_names_both_people(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    editor, sender = ROLE_EMAILS[Role.editor], ROLE_EMAILS[Role.sender]
    at = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(NotApproved, match="is not approved"):
        schedule_edition(on, EDITION, at)
    edit(engine, people, editor, on.editions_dir / EDITION, "---\ntitle: Extra\n---\n\nHi.\n")
    approve(on, engine, people, sender)
    schedule_edition(on, EDITION, at, actor=account_actor(people, SECOND_SENDER))
    [detail] = audit_details(engine, "send.schedule")
    assert detail.startswith(f"{SECOND_SENDER} |")
    assert f"approver: {sender}; last editor: {editor}" in detail


def test_a_scheduled_send_whose_files_changed_after_approval_is_blocked(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    add_subscribers(engine, 2)
    approve(on, engine, people, ROLE_EMAILS[Role.sender])
    schedule_edition(on, EDITION, datetime.now(UTC) + timedelta(days=1))
    folder = on.editions_dir / EDITION
    (folder / "edition.md").write_text(
        (folder / "edition.md").read_text() + "\nSlipped in.\n", encoding="utf-8"
    )
    assert run_scheduled_send(on, EDITION, deliver_now=False) == "blocked"
    latest = events.latest(engine)[EDITION]
    assert "must be approved again" in latest.detail
    with Session(engine) as session:
        assert session.exec(select(Send)).first() is None


def test_starting_a_send_needs_a_valid_approval_and_keeps_the_files_hash(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    add_subscribers(engine, 3)
    folder = on.editions_dir / EDITION
    with pytest.raises(NotApproved):
        delivery.start_send(on, folder, yes=True)
    approve(on, engine, people, ROLE_EMAILS[Role.admin])
    result = delivery.start_send(on, folder, yes=True)
    assert result.status == "done" and result.counts["sent"] == 3
    with Session(engine) as session:
        send = session.exec(select(Send)).one()
        assert send.edition_hash == edition_hash(folder)
    [detail] = audit_details(engine, "send.start")
    assert "3 recipient(s); approver: admin@example.org; last editor: unknown" in detail


def test_with_the_rule_off_nothing_is_asked(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(send_requires_approval=False)
    copy_edition(settings)
    with Session(engine) as session:
        assert approval.require_approval(session, settings, EDITION) is None
        assert approval.state(session, settings, EDITION).ready


def test_the_command_line_obeys_with_a_message_and_can_approve(
    on: Settings, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKED_SEND_REQUIRES_APPROVAL", "true")
    monkeypatch.setenv("LINKED_DATABASE_URL", on.database)
    root = on.root
    code, out, err = run_linked("send", EDITION, "--yes", cwd=root)
    assert code != 0 and "is not approved" in out + err and "Traceback" not in out + err
    code, out, err = run_linked("approve", EDITION, "--as", ROLE_EMAILS[Role.editor], cwd=root)
    assert code != 0 and "needs the sender role" in out + err and "Traceback" not in err
    code, out, err = run_linked("approve", EDITION, "--as", ROLE_EMAILS[Role.sender], cwd=root)
    assert code == 0, err
    assert f"Approved {EDITION} as {ROLE_EMAILS[Role.sender]}" in out
    code, out, err = run_linked("schedule", EDITION, "--at", "2031-05-28T09:00", cwd=root)
    assert code == 0, err


def test_resuming_sends_the_message_as_planned_not_later_edits(
    on: Settings, engine: Engine, people: dict[str, int]
) -> None:
    add_subscribers(engine, 2)
    approve(on, engine, people, ROLE_EMAILS[Role.sender])
    folder = on.editions_dir / EDITION
    delivery.start_detached(on, engine, folder, confirm=None, actor=Actor.cli())
    delivery.pause(on, EDITION)
    (folder / "edition.md").write_text(
        (folder / "edition.md").read_text() + "\nSlippedinafterapproval\n", encoding="utf-8"
    )
    assert delivery.resume(on, folder).status == "done"
    sent = [p.read_bytes() for p in on.outbox_dir.rglob("*.eml")]
    assert len(sent) == 2 and not any(b"Slippedinafterapproval" in m for m in sent)
