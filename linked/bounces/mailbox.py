"""The bounce mailbox over IMAP (stdlib ``imaplib``): connect, list, read, move.

``bounce_imap_url`` is ``imaps://user:pass@host[:port]/FOLDER`` (TLS from the start)
or ``imap://…`` (STARTTLS when the server offers it, else plain; for a server on the
same machine). Messages are read with ``BODY.PEEK[]`` so nothing is marked read: a
message left in place is exactly as it was.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from linked.errors import LinkedError

TIMEOUT = 30.0


class MailboxError(LinkedError):
    """The bounce mailbox could not be reached or refused a command."""


@dataclass(frozen=True)
class MailboxURL:
    """A parsed ``bounce_imap_url``; ``safe`` is its text without the password."""

    tls: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def safe(self) -> str:
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"

    @classmethod
    def parse(cls, url: str) -> MailboxURL:
        """Parse the setting; a clear :class:`LinkedError` naming what is wrong."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("imap", "imaps"):
            raise LinkedError("bounce_imap_url must start with imaps:// or imap://")
        try:
            port = parts.port
        except ValueError as exc:
            raise LinkedError(f"bounce_imap_url has a bad port: {exc}") from exc
        if not parts.hostname or parts.username is None or parts.password is None:
            raise LinkedError(
                "bounce_imap_url needs user:password@host, e.g. imaps://u:p@host/INBOX"
            )
        tls = parts.scheme == "imaps"
        return cls(
            tls=tls,
            host=parts.hostname,
            port=port or (993 if tls else 143),
            user=unquote(parts.username),
            password=unquote(parts.password),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """One logged-in IMAP session on the bounce folder; use as a context manager."""

    def __init__(self, url: MailboxURL, ca_file: str | None = None) -> None:
        self.url = url
        self.context = ssl.create_default_context(cafile=ca_file)
        self.conn: imaplib.IMAP4 | None = None
        self.can_move = False

    def __enter__(self) -> Mailbox:
        url = self.url
        try:
            if url.tls:
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    url.host, url.port, ssl_context=self.context, timeout=TIMEOUT
                )
            else:
                conn = imaplib.IMAP4(url.host, url.port, timeout=TIMEOUT)
                if "STARTTLS" in conn.capabilities:
                    conn.starttls(ssl_context=self.context)
            self.conn = conn
            conn.login(url.user, url.password)
            # Servers announce more once logged in (MOVE, UIDPLUS); imaplib keeps the first list.
            typ, data = conn.capability()
            if typ == "OK" and data and isinstance(data[-1], bytes):
                conn.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
            self.can_move = "MOVE" in conn.capabilities
            self._ok(conn.select(_quote(url.folder)), f"open folder {url.folder}")
        except (OSError, imaplib.IMAP4.error) as exc:  # ssl and timeout errors are OSErrors
            self._close()
            raise MailboxError(f"cannot read the bounce mailbox {url.safe}: {exc}") from exc
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()

    def _session(self) -> imaplib.IMAP4:
        if self.conn is None:
            raise MailboxError("the bounce mailbox is not open")
        return self.conn

    def _ok(self, answer: tuple[str, Sequence[Any]], doing: str) -> Sequence[Any]:
        typ, data = answer
        if typ != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
            raise MailboxError(f"the bounce mailbox refused to {doing}: {detail}")
        return data

    def uids(self) -> list[str]:
        """The UIDs of the folder's messages not marked deleted, oldest first."""
        data = self._ok(self._session().uid("SEARCH", "UNDELETED"), "list messages")
        first = data[0] if data and isinstance(data[0], bytes) else b""
        return first.decode("ascii").split()

    def read(self, uid: str) -> bytes | None:
        """The raw message (without marking it read); None when it has gone meanwhile."""
        data = self._ok(self._session().uid("FETCH", uid, "(BODY.PEEK[])"), "read a message")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def ensure_folder(self, name: str) -> None:
        """Create ``name`` unless it exists."""
        session = self._session()
        typ, data = session.list('""', _quote(name))
        if typ == "OK" and any(isinstance(d, bytes) and name.encode() in d for d in data):
            return
        self._ok(session.create(_quote(name)), f"create the folder {name}")

    def move(self, uid: str, folder: str) -> None:
        """Move one message (MOVE, else COPY, flag deleted and expunge)."""
        session = self._session()
        if self.can_move:
            self._ok(session.uid("MOVE", uid, _quote(folder)), f"move a message to {folder}")
            return
        self._ok(session.uid("COPY", uid, _quote(folder)), f"copy a message to {folder}")
        self.delete(uid)

    def delete(self, uid: str) -> None:
        """Flag one message deleted and expunge it."""
        session = self._session()
        self._ok(session.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "delete a message")
        if "UIDPLUS" in session.capabilities:
            self._ok(session.uid("EXPUNGE", uid), "expunge a message")
        else:
            self._ok(session.expunge(), "expunge")
