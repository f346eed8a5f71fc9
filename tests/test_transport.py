"""Transports that need no server: the outbox and the SMTP URL parser."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from linked.errors import LinkedError
from linked.settings import load_settings
from linked.transport import SMTPURL, OutboxTransport, SMTPTransport, open_transport


async def test_outbox_writes_one_eml_per_message(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")
    raw = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    await outbox.send("a@example.org", ["b@example.org"], raw)
    await outbox.send("a@example.org", ["c/../evil@example.org"], raw)
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert all(f.parent == tmp_path / "outbox" for f in files)
    assert (
        email.message_from_bytes(files[0].read_bytes(), policy=email.policy.strict)["Subject"]
        == "hi"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SMTPURL("mail.example.org", 25, False, False)),
        ("smtp+starttls://u:p%40ss@relay:2525", SMTPURL("relay", 2525, False, True, "u", "p@ss")),
        ("smtps://relay", SMTPURL("relay", 465, True, False)),
    ],
)
def test_smtp_url(url: str, expected: SMTPURL) -> None:
    assert SMTPURL.parse(url) == expected


@pytest.mark.parametrize("url", ["http://relay", "smtp://", "smtp://relay:notaport"])
def test_bad_smtp_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(LinkedError, match="LINKED_SMTP_URL"):
        SMTPURL.parse(url)


def test_open_transport_follows_settings(project: Path) -> None:
    assert isinstance(open_transport(load_settings(project)), OutboxTransport)
    public = {"base_url": "https://bulletin.example.org", "from_address": "L <l@example.org>"}
    assert isinstance(
        open_transport(load_settings(project, smtp_url="smtp://127.0.0.1:2525", **public)),
        SMTPTransport,
    )
