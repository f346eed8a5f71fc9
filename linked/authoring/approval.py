"""Four eyes: a sender other than the last editor approves an edition's exact files.

An approval is a row holding the :func:`edition_hash` of the edition's files when it
was given. It counts only while the files still hash the same: any later change (in
the console or on disk) voids it, with nothing to clean up. With
``send_requires_approval`` on, :func:`require_approval` is called by the functions
that schedule and start sends (``linked.scheduler.service``, ``linked.scheduler.runtime``,
``linked.delivery.service``), so the command line and the console obey the same rule.

Who made the last change is :func:`last_editor`, the one place to ask. It reads the
audit log, which every console change writes in the same transaction as its revision:
the account whose action last changed the edition's files (an ``EDIT_ACTIONS`` event
with target ``edition:<slug>``; image uploads have no revision, so the audit log is the
one record of every kind of change). A change made on disk has no account: the previous
console editor (or nobody) stays the last editor, and the changed hash voids any approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from linked.accounts import audit, service
from linked.accounts.audit import Actor
from linked.accounts.models import Account, AuditEvent, Role, utcnow
from linked.authoring import files
from linked.db.session import open_session
from linked.errors import LinkedError
from linked.settings import Settings

#: Folders and files left out of the hash: deleted articles kept for recovery (``.trash/``)
#: and every other hidden name (editors' swap files, an atomic write's temporary file).
HIDDEN_PREFIX = "."
#: Audit actions that change an edition's files (target ``edition:<slug>``).
EDIT_ACTIONS = frozenset(
    {
        "edition.create",
        "edition.save",
        "article.save",
        "article.add",
        "article.delete",
        "article.restore",
        "article.up",
        "article.down",
        "article.draft",
        "image.upload",
    }
)


class Approval(SQLModel, table=True):
    """One approval of one edition as its files were (rows are only ever added)."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    edition: str = Field(sa_type=sa.String(200), index=True)
    edition_hash: str = Field(sa_type=sa.String(64))
    account_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("account.id", ondelete="SET NULL"), nullable=True
        ),
    )
    #: Snapshots of the two people (addresses), so the record reads the same later.
    approver: str = Field(sa_type=sa.String(320))
    editor: str | None = Field(default=None, sa_type=sa.String(320))
    at: datetime = Field(default_factory=utcnow)


class NotApproved(LinkedError):
    """Scheduling or sending needs a valid approval and there is none."""


def target(slug: str) -> str:
    """The audit target naming an edition."""
    return f"edition:{slug}"


def edition_hash(folder: Path) -> str:
    """The hash an approval holds: :func:`linked.authoring.files.edition_hash`.

    A missing folder is a LinkedError.
    """
    if not folder.is_dir():
        raise LinkedError(f"no edition folder {folder}")
    return files.edition_hash(folder)


def last_editor(session: Session, slug: str) -> int | None:
    """The account that last changed the edition in the console, or None (see the module)."""
    query = (
        select(AuditEvent.account_id)
        .where(
            col(AuditEvent.target) == target(slug),
            col(AuditEvent.action).in_(EDIT_ACTIONS),
            col(AuditEvent.account_id).is_not(None),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def latest(session: Session, slug: str) -> Approval | None:
    """The newest approval of the edition, valid or not."""
    query = select(Approval).where(Approval.edition == slug)
    return session.exec(query.order_by(col(Approval.id).desc()).limit(1)).first()


@dataclass(frozen=True)
class ApprovalState:
    """What the send page shows: the files' hash now, the newest approval, whether it holds."""

    required: bool
    digest: str
    approval: Approval | None
    last_editor: Account | None

    @property
    def valid(self) -> bool:
        return self.approval is not None and self.approval.edition_hash == self.digest

    @property
    def voided(self) -> bool:
        """There was an approval, and the files changed after it."""
        return self.approval is not None and not self.valid

    @property
    def ready(self) -> bool:
        """Whether scheduling and sending may go ahead."""
        return self.valid or not self.required


def state(session: Session, settings: Settings, slug: str) -> ApprovalState:
    """The approval state of ``slug`` as its files are now."""
    digest = edition_hash(settings.editions_dir / slug)
    editor_id = last_editor(session, slug)
    editor = session.get(Account, editor_id) if editor_id is not None else None
    return ApprovalState(settings.send_requires_approval, digest, latest(session, slug), editor)


def approve(
    session: Session,
    settings: Settings,
    slug: str,
    account_id: int,
    actor: Actor,
    *,
    expected: str | None = None,
    now: datetime | None = None,
) -> Approval:
    """Approve ``slug`` as its files are now, as the account ``account_id``.

    Refused (LinkedError) for an editor, a disabled account, the account that made the
    last change, and when ``expected`` (the hash the approver was shown) is no longer
    the files' hash. Approving again what is already approved returns that approval.
    The audit event names both people; the caller commits.
    """
    account = session.get(Account, account_id)
    if account is None or account.disabled_at is not None:
        raise LinkedError("there is no such active account to approve with")
    if not account.role.allows(Role.sender):
        raise LinkedError(f"approving needs the sender role; {account.email} is an editor")
    current = state(session, settings, slug)
    if current.last_editor is not None and current.last_editor.id == account.id:
        raise LinkedError(
            f"{account.email} made the last change to {slug}; someone else must approve it"
        )
    if expected is not None and expected != current.digest:
        raise LinkedError(
            f"{slug} changed since you opened the page; look at it again before approving"
        )
    if current.valid and current.approval is not None:
        return current.approval
    editor = current.last_editor.email if current.last_editor else None
    approval = Approval(
        edition=slug,
        edition_hash=current.digest,
        account_id=account.id,
        approver=account.email,
        editor=editor,
        at=now or utcnow(),
    )
    session.add(approval)
    audit.record(
        session,
        actor,
        "edition.approve",
        target(slug),
        f"approver: {account.email}; last editor: {editor or 'unknown'}; "
        f"files {current.digest[:12]}",
        now=now,
    )
    return approval


def require_approval(
    session: Session, settings: Settings, slug: str, digest: str | None = None
) -> Approval | None:
    """The approval that lets ``slug`` be scheduled or sent (None when none is needed).

    ``digest`` is the files' hash the caller composed from (default: the hash now).
    Raises :class:`NotApproved` with what to do when approval is on and none holds.
    """
    if not settings.send_requires_approval:
        return None
    digest = digest or edition_hash(settings.editions_dir / slug)
    approval = latest(session, slug)
    if approval is None:
        raise NotApproved(
            f"edition {slug!r} is not approved: a sender other than its last editor must "
            f"approve it first (in the console, or: linked approve {slug} --as EMAIL)"
        )
    if approval.edition_hash != digest:
        raise NotApproved(
            f"edition {slug!r} changed after {approval.approver} approved it on "
            f"{approval.at:%Y-%m-%d %H:%M} UTC; it must be approved again"
        )
    return approval


def people(session: Session, slug: str) -> str:
    """Both people behind a schedule or a send, for its audit event."""
    approval = latest(session, slug)
    if approval is None:
        return "approval not required"
    return f"approver: {approval.approver}; last editor: {approval.editor or 'unknown'}"


def record_edit(session: Session, actor: Actor, slug: str, action: str, detail: str) -> None:
    """Audit a console change to the edition's files; it makes ``actor`` the last editor."""
    if action not in EDIT_ACTIONS:
        raise ValueError(f"{action!r} is not an edit action")
    audit.record(session, actor, action, target(slug), detail)


def approve_as(settings: Settings, slug: str, email: str) -> Approval:
    """``linked approve SLUG --as EMAIL``: approve as that account, recorded as the CLI."""
    if not (settings.editions_dir / slug).is_dir():
        raise LinkedError(f"no edition folder {settings.editions_dir / slug}")
    with open_session(settings) as session:
        account = service.get(session, email)
        assert account.id is not None
        approval = approve(session, settings, slug, account.id, Actor.cli())
        session.commit()
        session.refresh(approval)
        return approval
