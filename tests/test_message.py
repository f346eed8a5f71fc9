"""Prepared messages: correct MIME for every recipient, from bytes prepared once."""

from __future__ import annotations

import email
import email.policy
import random
import re
from collections.abc import Callable
from datetime import timedelta
from email import quoprimime
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest

from linked import message as message_module
from linked.compose import ComposedEmail, Composer, fill, greeting
from linked.edition import load_edition
from linked.errors import LinkedError
from linked.idn import UnmailableAddress
from linked.message import PreparedMessage, Recipient, prepare_message
from linked.settings import Settings, load_settings
from linked.subscribers.mail import confirmation_message, welcome_message
from linked.subscribers.service import Mailing


@pytest.fixture
def composed(settings: Settings, example_edition: Path) -> ComposedEmail:
    return Composer(settings).edition(load_edition(example_edition, settings.zone))


def parse(raw: bytes) -> EmailMessage:
    """Parse with ``email.policy.strict`` and require 0 defects, in every part and header."""
    message = email.message_from_bytes(raw, policy=email.policy.strict)
    assert isinstance(message, EmailMessage)
    assert [d for part in message.walk() for d in part.defects] == []
    for part in message.walk():
        assert [(k, v.defects) for k, v in part.items() if v.defects] == []
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Sam Reader", "sam@example.org"),
        ("Zoë O'Brien-Ångström", "zoe@example.org"),
        ('Eve <script>"&', "eve@example.org"),
        (None, "anon@example.org"),
    ],
)
def test_each_recipient_gets_their_own_values(
    settings: Settings, composed: ComposedEmail, name: str | None, address: str
) -> None:
    prepared = prepare_message(settings, composed)
    url = f"https://bulletin.example.org/unsubscribe/{address}.token_" + "x" * 100
    message = parse(prepared.render(Recipient(address, name, url)))
    assert message["To"].addresses[0].addr_spec == address
    assert (message["To"].addresses[0].display_name or None) == name
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Linked <linked.testserver>"
    assert message["Subject"] == composed.subject
    assert message["Message-ID"].endswith("@example.org>")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    values = {"greeting": greeting(name), "unsubscribe_url": url}
    assert body(message, "plain") == fill(composed.text, values, html_escape=False)
    assert body(message, "html").replace("\n", "") == fill(
        composed.html, values, html_escape=True
    ).replace("\n", "")


def test_lines_stay_within_smtp_limits(settings: Settings, composed: ComposedEmail) -> None:
    raw = prepare_message(settings, composed).render(Recipient("a@example.org", "A", "https://x/u"))
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF everywhere
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 78  # quoted-printable keeps lines short


def test_message_ids_are_unique(settings: Settings, composed: ComposedEmail) -> None:
    prepared = prepare_message(settings, composed)
    ids = {parse(prepared.render(Recipient(f"r{i}@example.org")))["Message-ID"] for i in range(50)}
    assert len(ids) == 50


def test_non_ascii_subject_and_from_are_encoded(project: Path, composed: ComposedEmail) -> None:
    settings = load_settings(project, from_address="Café Partnership – News <news@example.org>")
    composed = ComposedEmail("Été: ünïcode subject", None, composed.html, composed.text)
    raw = prepare_message(settings, composed).render(Recipient("a@example.org"))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    message = parse(raw)
    assert message["Subject"] == "Été: ünïcode subject"
    assert message["From"].addresses[0].display_name == "Café Partnership – News"


def test_mailto_unsubscribe_and_proof_prefix(project: Path, composed: ComposedEmail) -> None:
    settings = load_settings(project, unsubscribe_mailto="leave@example.org")
    prepared = prepare_message(settings, composed, subject_prefix="[Proof] ")
    message = parse(prepared.render(Recipient("a@example.org", None, "https://x/u/1")))
    assert (
        message["List-Unsubscribe"]
        == "<https://x/u/1>, <mailto:leave@example.org?subject=unsubscribe>"
    )
    assert message["Subject"].startswith("[Proof] ")


def test_transactional_mail_has_no_list_headers(
    settings: Settings, composed: ComposedEmail
) -> None:
    message = parse(
        prepare_message(settings, composed, list_headers=False).render(Recipient("a@example.org"))
    )
    assert message["List-Unsubscribe"] is None and message["List-Id"] is None


def test_header_injection_is_refused(settings: Settings, composed: ComposedEmail) -> None:
    prepared = PreparedMessage(settings, composed)
    with pytest.raises(ValueError, match="line break"):
        prepared.render(Recipient("a@example.org", "Eve\r\nBcc: victim@example.org"))
    with pytest.raises(ValueError, match="line break"):
        prepared.render(Recipient("a@example.org\nBcc: x@y"))


def test_from_without_address_is_a_clear_error(project: Path, composed: ComposedEmail) -> None:
    with pytest.raises(LinkedError, match="needs an address"):
        prepare_message(load_settings(project, from_address="Just a name"), composed)


@pytest.mark.parametrize("offset", range(0, 80, 7))
def test_no_line_starts_with_a_dot_and_the_text_is_unchanged(
    settings: Settings, composed: ComposedEmail, offset: int
) -> None:
    # Dots at the start of source lines and where quoted-printable wraps long lines
    # (the offset moves them across the wrap); a dot in a slot value too.
    long = "x" * offset + "." * 3 + "=é." * 30 + ".end"
    text = f".starts\n..two\n{long}\n.\n{{{{ greeting }}}}\n" + composed.text
    html = f"<style>\n.mj-column {{ width:100% }}\n</style><p>{long}</p>\n" + composed.html
    changed = ComposedEmail(composed.subject, composed.preheader, html, text)
    url = "https://x.example/u/" + "." * offset
    raw = prepare_message(settings, changed).render(Recipient("a@example.org", ".Dot", url))
    assert not raw.startswith(b".") and b"\r\n." not in raw  # nothing for SMTP to double
    body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76
    message = parse(raw)
    values = {"greeting": greeting(".Dot"), "unsubscribe_url": url}
    assert body(message, "plain") == fill(text, values, html_escape=False)
    assert body(message, "html") == fill(html, values, html_escape=True)


def test_date_is_in_the_plus_zero_form(settings: Settings, composed: ComposedEmail) -> None:
    raw = prepare_message(settings, composed).render(Recipient("a@example.org"))
    date = parse(raw)["Date"]
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", date), date
    assert date.datetime.utcoffset() == timedelta(0)


def test_unicode_domains_go_out_as_a_labels(project: Path, composed: ComposedEmail) -> None:
    settings = load_settings(project, from_address="Bücher News <news@Bücher.example>")
    prepared = prepare_message(settings, composed)
    assert prepared.envelope_sender == "news@xn--bcher-kva.example"
    raw = prepared.render(Recipient("erin@bücher.example", "Erin", "https://x/u"))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    message = parse(raw)
    assert message["To"].addresses[0].addr_spec == "erin@xn--bcher-kva.example"
    assert message["From"].addresses[0].addr_spec == "news@xn--bcher-kva.example"
    assert message["Message-ID"].endswith("@xn--bcher-kva.example>")


def test_a_non_ascii_local_part_stays_utf8(settings: Settings, composed: ComposedEmail) -> None:
    raw = prepare_message(settings, composed).render(Recipient("josé@example.org", "José"))
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    assert "To: =?utf-8?b?Sm9zw6k=?= <josé@example.org>\r\n" in head
    # RFC 6532 mail: Python's parser registers one defect kind for any non-ASCII local part.
    parsed = email.message_from_string(
        raw.decode("utf-8"), policy=email.policy.strict.clone(utf8=True)
    )
    assert parsed["To"].addresses[0].addr_spec == "josé@example.org"
    defects = [type(d).__name__ for _, v in parsed.items() for d in v.defects]
    assert defects == ["NonASCIILocalPartDefect"]


@pytest.mark.parametrize(
    "name",
    [
        "=?UTF-8?B?QWRtaW4=?=",
        "Sam =?utf-8?q?Boss?= Reader",
        '"Quoted" \\ and, specials: <x@y> (c)',
        "Ünïcödé " * 25,
        "x" * 200,
        "Zoë " + "=?ISO-8859-1?Q?Andr=E9?=",
    ],
)
def test_odd_display_names_come_back_as_typed(
    settings: Settings, composed: ComposedEmail, name: str
) -> None:
    raw = prepare_message(settings, composed).render(Recipient("sam@example.org", name))
    to = raw.split(b"\r\nTo: ", 1)[1].split(b"\r\nDate:", 1)[0].decode("ascii")
    if "=?" in name:  # looks like an encoded word: it is itself encoded, never left bare
        assert not [word for word in name.split() if word.startswith("=?") and word in to]
    message = parse(raw)
    assert message["To"].addresses[0].addr_spec == "sam@example.org"
    # RFC 2047: space between adjacent encoded words is not part of the text.
    decoded = str(make_header(decode_header(to.rpartition(" <")[0].replace("\r\n", ""))))
    assert decoded.strip('"').replace('\\"', '"').replace("\\\\", "\\") == name


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("a@exa mple.org", "not a host name"),
        ("a@bü cher.example", "no IDNA form"),
        ("a\x00b@example.org", "control character"),
        ("a b@example.org", "character mail cannot carry"),
        ("nobody", "no local part"),
    ],
)
def test_an_address_without_a_wire_form_is_refused(
    settings: Settings, composed: ComposedEmail, address: str, reason: str
) -> None:
    with pytest.raises(UnmailableAddress, match=reason):
        prepare_message(settings, composed).render(Recipient(address))


@pytest.mark.parametrize("build", [confirmation_message, welcome_message])
@pytest.mark.parametrize(
    ("address", "name"), [("erin@bücher.example", "Erin =?UTF-8?B?QWRtaW4=?="), ("a@b.org", None)]
)
def test_confirmation_and_welcome_mails_follow_the_same_rules(
    settings: Settings,
    build: Callable[[Settings, Mailing], tuple[str, bytes]],
    address: str,
    name: str | None,
) -> None:
    sender, raw = build(settings, Mailing(7, address, name, generation=1))
    assert sender == "bulletin@example.org"
    message = parse(raw)
    (to,) = message["To"].addresses
    assert to.addr_spec == address.replace("bücher", "xn--bcher-kva")
    # The confirmation goes to an unverified address: it never prints the typed name.
    shown = name if build is welcome_message else None
    assert "".join(to.display_name.split()) == "".join((shown or "").split())
    assert re.search(r" \+0000$", message["Date"])


def _qp_by_the_library(text: str) -> str:
    """``_qp`` as it was before its shortcut: always through ``quoprimime.body_encode``."""
    encoded = quoprimime.body_encode(
        text.encode("utf-8").decode("latin-1"), maxlinelen=76, eol="\r\n"
    )
    too_long = False
    if not encoded.endswith("\r\n"):
        too_long = len(encoded.rpartition("\r\n")[2]) >= 76
        encoded += "=\r\n"
    if too_long or encoded.startswith(".") or "\r\n." in encoded:
        encoded = message_module._fit(encoded)
    return encoded


def test_personal_values_encode_as_the_library_encodes_them() -> None:
    # The shortcut for values that encode to themselves must give the same bytes,
    # at every length around the 76-character line and with dots where lines start.
    rng = random.Random(14)
    chars = "ab/-~!<>&.=é\t "
    for _ in range(20_000):
        length = rng.choice([0, 1, 2, 50, 74, 75, 76, 77, 78, 149, 150, 151, 152, 153, 227, 300])
        pool = chars if rng.random() < 0.3 else "ab/-"
        text = "".join(rng.choice(pool) for _ in range(length))
        for at in (0, 74, 75, 150):
            if at < length and rng.random() < 0.2:
                text = text[:at] + "." + text[at + 1 :]
        assert message_module._qp(text) == _qp_by_the_library(text), text
