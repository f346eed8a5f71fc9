"""What a relay session needs besides the URL (linked.transport.session), and the URL's
secrets: TLS trust, the HELO name, which errors refuse the session, the masked password."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from linked.errors import LinkedError
from linked.transport import SMTPURL, SessionRefused, TemporaryFailure, Throttled
from linked.transport.session import helo_name, session_refused, tls_context
from linked.transport.smtp import classify, mask_url

URL = SMTPURL.parse("smtp+starttls://bulletin%40example.org:s3cret%2Fpw@relay.example.org:587")


def test_a_wrong_password_refuses_the_session_naming_the_setting_not_the_password() -> None:
    refused = session_refused(aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad"), URL)
    assert isinstance(refused, SessionRefused)
    text = str(refused)
    assert "refused the user name or password: check LINKED_SMTP_URL" in text
    assert "535 5.7.8 bad" in text and "s3cret" not in text and "***" in text


def test_a_temporary_auth_failure_and_a_message_refusal_are_not_session_refusals() -> None:
    assert session_refused(aiosmtplib.SMTPAuthenticationError(454, "4.7.0 try later"), URL) is None
    assert session_refused(aiosmtplib.SMTPRecipientRefused(550, "no", "a@b.c"), URL) is None


def test_an_untrusted_certificate_names_the_ca_file_setting() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message, error.verify_code = "self-signed certificate", 18
    wrapped = aiosmtplib.SMTPConnectError("Error connecting")
    wrapped.__cause__ = error
    refused = session_refused(wrapped, URL)
    assert refused is not None and "LINKED_SMTP_CA_FILE" in str(refused)
    assert "self-signed certificate" in str(refused)


def test_a_hang_up_during_the_handshake_is_not_a_session_refusal() -> None:
    wrapped = aiosmtplib.SMTPConnectError("Error connecting")
    wrapped.__cause__ = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    assert session_refused(wrapped, URL) is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_ca_file_is_added_to_the_system_roots(tmp_path: Path) -> None:
    cert = tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=Test CA", "-keyout", str(tmp_path / "key.pem"), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    system = ssl.create_default_context().cert_store_stats()["x509_ca"]
    assert tls_context(cert).cert_store_stats()["x509_ca"] == system + 1


def test_a_bad_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(LinkedError, match="LINKED_SMTP_CA_FILE"):
        tls_context(bad)


def test_not_verifying_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="linked.transport"):
        context = tls_context(verify=False)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname
    assert "NOT checked" in caplog.text


def test_helo_name_setting_then_fqdn_then_from_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    assert helo_name("bulletin.example.org", "Linked <a@example.org>") == "bulletin.example.org"
    monkeypatch.setattr("socket.getfqdn", lambda: "localhost")
    assert helo_name(None, "Linked <bulletin@news.example.org>") == "news.example.org"
    monkeypatch.setattr("socket.getfqdn", lambda: "mail.example.net")
    assert helo_name(None, "Linked <bulletin@news.example.org>") == "mail.example.net"


@pytest.mark.parametrize(
    "url",
    [
        "smtp+starttls://me:pa/ss@relay.example.org:587",
        "smtp+starttls://me:pa?ss@relay.example.org:587",
        "smtp+starttls://me:pa#ss@relay.example.org:587",
        "smtp+starttls://me:p@ss@relay.example.org:587",
    ],
)
def test_an_unencoded_password_is_explained_never_shown(url: str) -> None:
    with pytest.raises(LinkedError) as caught:
        SMTPURL.parse(url)
    text = str(caught.value)
    assert "percent-encoded" in text and "%2F" in text
    assert "pa" not in text.split("(", 1)[1].split(")", 1)[0].replace("***", "")
    assert "ss@" not in text


def test_the_password_is_masked_in_messages_and_repr() -> None:
    assert mask_url("smtps://me:secret@host:465") == "smtps://me:***@host:465"
    assert mask_url("smtp://host:25") == "smtp://host:25"
    assert "s3cret" not in repr(URL)
    with pytest.raises(LinkedError) as caught:
        SMTPURL.parse("smtp://me:secret@host:notaport")
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


def test_rate_limit_replies_are_throttles_other_4xx_are_not() -> None:
    too_much = classify(aiosmtplib.SMTPSenderRefused(450, "4.7.1 Error: too much mail", "a@b"))
    assert isinstance(too_much, Throttled)
    closing = classify(aiosmtplib.SMTPResponseException(421, "4.7.0 slow down"))
    assert isinstance(closing, Throttled)
    microsoft = classify(
        aiosmtplib.SMTPResponseException(432, "4.3.2 Concurrent connections limit exceeded.")
    )
    assert isinstance(microsoft, Throttled)
    full = classify(aiosmtplib.SMTPRecipientRefused(452, "4.2.2 mailbox full", "a@b"))
    assert isinstance(full, TemporaryFailure) and not isinstance(full, Throttled)
