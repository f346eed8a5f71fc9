"""Transports: the outbox, the SMTP URL parser, and one SMTP connection to aiosmtpd."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Sequence
from pathlib import Path

import pytest

from linked.errors import LinkedError
from linked.idn import SMTPUTF8_REFUSAL
from linked.settings import load_settings
from linked.transport import (
    SMTPURL,
    MemoryTransport,
    OutboxTransport,
    PermanentFailure,
    SMTPTransport,
    Transport,
    open_transport,
)
from tests.fixtures.smtp import running_smtp_server


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


def test_open_transport_builds_smtp_with_the_callers_class(project: Path) -> None:
    """One factory decides; the caller (the delivery engine's pool) only says what to build."""
    built: list[tuple[SMTPURL, ssl.SSLContext | None, str | None]] = []

    def smtp(
        url: SMTPURL, *, tls_context: ssl.SSLContext | None, helo_name: str | None
    ) -> Transport:
        built.append((url, tls_context, helo_name))
        return MemoryTransport()

    assert isinstance(open_transport(load_settings(project), smtp=smtp), OutboxTransport)
    assert built == []
    public = {"base_url": "https://bulletin.example.org", "from_address": "L <l@example.org>"}
    relay = load_settings(project, smtp_url="smtp+starttls://relay.example.org", **public)
    assert isinstance(open_transport(relay, smtp=smtp), MemoryTransport)
    ((url, context, helo),) = built
    assert (url.host, url.port, url.start_tls) == ("relay.example.org", 587, True)
    assert isinstance(context, ssl.SSLContext) and helo


class _Counting(Transport):
    def __init__(self) -> None:
        self.closed = 0

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        raise PermanentFailure("not used")

    async def close(self) -> None:
        self.closed += 1


async def test_transports_share_neutral_defaults_and_close_when_async_with_ends(
    tmp_path: Path,
) -> None:
    for transport in (OutboxTransport(tmp_path), MemoryTransport(), _Counting()):
        assert transport.breaker is None
        assert transport.lane() is None
        assert transport.describe() == ""
    async with _Counting() as counting:
        assert counting.closed == 0
    assert counting.closed == 1
    failing = _Counting()
    with pytest.raises(PermanentFailure):
        async with failing as transport:
            await transport.send("a@example.org", ["b@example.org"], b"")
    assert failing.closed == 1


async def test_outbox_checks_addresses_as_a_server_would(tmp_path: Path) -> None:
    raw = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    outbox = OutboxTransport(tmp_path / "outbox")
    await outbox.send("a@example.org", ["erin@bücher.example"], raw)
    await outbox.send("a@example.org", ["josé@example.org"], raw)  # a file holds SMTPUTF8 mail
    names = sorted(f.name for f in (tmp_path / "outbox").iterdir())
    assert [n.split("-", 3)[3] for n in names] == [
        "erin@xn--bcher-kva.example.eml",
        "josé@example.org.eml",
    ]
    strict = OutboxTransport(tmp_path / "ascii-outbox", smtputf8=False)
    with pytest.raises(PermanentFailure) as refused:
        await strict.send("a@example.org", ["josé@example.org"], raw)
    assert refused.value.reply == SMTPUTF8_REFUSAL
    with pytest.raises(PermanentFailure, match="control character"):
        await outbox.send("a@example.org", ["b@example.org\r\nRCPT TO:<c@example.org>"], raw)


@pytest.mark.parametrize("smtputf8", [True, False])
async def test_smtp_transport_sends_a_labels_and_smtputf8_when_offered(smtputf8: bool) -> None:
    raw = b"From: a@example.org\r\nTo: someone\r\nSubject: hi\r\n\r\nbody\r\n"
    with running_smtp_server(smtputf8=smtputf8) as server:
        transport = SMTPTransport(SMTPURL.parse(server.url))
        try:
            await transport.send("news@bücher.example", ["erin@bücher.example"], raw)
            if smtputf8:
                await transport.send("news@example.org", ["josé@example.org"], raw)
            else:
                with pytest.raises(PermanentFailure) as refused:
                    await transport.send("news@example.org", ["josé@example.org"], raw)
                assert refused.value.reply == SMTPUTF8_REFUSAL
            # The connection carries on after a refused address.
            await transport.send("news@example.org", ["sam@example.org"], raw)
        finally:
            await transport.close()
        got = [(m.sender, m.recipients) for m in server.wait_for(3 if smtputf8 else 2)]
    expected = [("news@xn--bcher-kva.example", ("erin@xn--bcher-kva.example",))]
    if smtputf8:
        expected.append(("news@example.org", ("josé@example.org",)))
    expected.append(("news@example.org", ("sam@example.org",)))
    assert got == expected
