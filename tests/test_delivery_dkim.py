"""DKIM: every rendered copy is signed, and dkimpy's verifier accepts what the server got."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from sqlalchemy import Engine

from linked.delivery import service
from linked.errors import LinkedError
from linked.message import Recipient
from linked.settings import Settings
from tests.fixtures.faulty_smtp import Switchable
from tests.fixtures.sending import add_subscribers, copy_edition

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, bytes]:
    """A fresh 2048-bit RSA key and the DNS TXT record that publishes it."""
    private = tmp_path / "dkim.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            str(private),
        ],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _dns(record: bytes) -> Callable[..., bytes | None]:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"linked._domainkey.example.org." else None

    return lookup


def _signed_copy(
    make_settings: Callable[..., Settings], key_pair: tuple[Path, bytes], email: str
) -> tuple[bytes, bytes]:
    """One recipient's DKIM-signed copy of the example edition, and the key's DNS record."""
    private, record = key_pair
    settings = make_settings(dkim_selector="linked", dkim_private_key_path=private)
    _subject, prepared = service.prepare_edition(settings, copy_edition(settings))
    name = email.split("@")[0].title()
    return prepared.render(Recipient(email, name, "http://testserver/unsubscribe/abc")), record


def test_signed_copies_verify_and_cover_the_list_headers(
    make_settings: Callable[..., Settings], key_pair: tuple[Path, bytes]
) -> None:
    message, record = _signed_copy(make_settings, key_pair, "sam@example.net")
    assert message.startswith(b"DKIM-Signature:")
    assert dkim.verify(message, dnsfunc=_dns(record))
    signed = re.search(rb"h=([^;]+);", message.replace(b"\r\n ", b"")).group(1)  # type: ignore[union-attr]
    names = {h.strip().lower() for h in signed.replace(b" ", b"").split(b":")}
    assert {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"list-id",
        b"list-unsubscribe",
        b"list-unsubscribe-post",
    } <= names
    tampered = message.replace(b"/unsubscribe/abc", b"/unsubscribe/xyz")
    assert not dkim.verify(tampered, dnsfunc=_dns(record))


def _signature_tags(message: bytes) -> dict[bytes, bytes]:
    header = message.split(b"\r\n", 1)[0]
    for line in message.split(b"\r\n")[1:]:
        if not line.startswith((b" ", b"\t")):
            break
        header += line
    value = header.split(b":", 1)[1]
    return {
        k.strip(): v.strip().replace(b" ", b"").replace(b"\t", b"")
        for k, _, v in (tag.partition(b"=") for tag in value.split(b";"))
        if k.strip()
    }


def test_over_signed_headers_break_when_a_copy_is_added(
    make_settings: Callable[..., Settings], key_pair: tuple[Path, bytes]
) -> None:
    message, record = _signed_copy(make_settings, key_pair, "erin@bücher.example")
    tags = _signature_tags(message)
    assert tags[b"c"] == b"relaxed/relaxed"
    signed = [h.lower() for h in tags[b"h"].split(b":")]
    for name in (b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post"):
        assert signed.count(name) == 2, name
    assert dkim.verify(message, dnsfunc=_dns(record))
    # A second List-Unsubscribe (or From, Subject…) added anywhere in the header breaks it.
    head, _, rest = message.partition(b"\r\nDate: ")
    added = b"List-Unsubscribe: <https://evil.example/u>"
    assert not dkim.verify(head + b"\r\n" + added + b"\r\nDate: " + rest, dnsfunc=_dns(record))
    assert not dkim.verify(
        message.replace(b"\r\n\r\n", b"\r\n" + added + b"\r\n\r\n", 1), dnsfunc=_dns(record)
    )
    assert not dkim.verify(added + b"\r\n" + message, dnsfunc=_dns(record))
    extra_from = b"From: Someone Else <ceo@example.org>\r\n"
    assert not dkim.verify(extra_from + message, dnsfunc=_dns(record))
    # Relaxed header canonicalisation: refolding a header in transit does not break it.
    refolded = message.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe", b"List-Unsubscribe-Post:  List-Unsubscribe"
    )
    assert dkim.verify(refolded, dnsfunc=_dns(record))


async def test_messages_sent_through_the_pool_verify_on_arrival(
    make_settings: Callable[..., Settings],
    engine: Engine,
    faulty_smtp: Switchable,
    key_pair: tuple[Path, bytes],
) -> None:
    private, record = key_pair
    settings = make_settings(
        dkim_selector="linked", dkim_private_key_path=private, smtp_url=faulty_smtp.url
    )
    add_subscribers(engine, 3)
    # start_send runs its own event loop, so give it a thread of its own.
    result = await asyncio.to_thread(service.start_send, settings, copy_edition(settings), yes=True)
    assert result.counts["sent"] == 3
    assert len(faulty_smtp.handler.messages) == 3
    for item in faulty_smtp.handler.messages:
        assert dkim.verify(item.data, dnsfunc=_dns(record))


def test_half_a_dkim_configuration_is_a_clear_error(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(dkim_selector="linked")
    with pytest.raises(LinkedError, match="both dkim_selector and dkim_private_key_path"):
        service.prepare_edition(settings, copy_edition(settings))
    settings = make_settings(dkim_selector="linked", dkim_private_key_path=tmp_path / "none.pem")
    with pytest.raises(LinkedError, match="cannot read the DKIM private key"):
        service.prepare_edition(settings, copy_edition(settings))
