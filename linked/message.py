"""A composed email → MIME bytes, prepared once and personalised per recipient.

:class:`PreparedMessage` builds the fixed headers and the quoted-printable
encoded bodies once, split around the slot markers. :meth:`render` then only
encodes each recipient's few values (To, greeting, unsubscribe URL,
List-Unsubscribe, Message-ID, Date) and joins bytes: no MJML, Markdown or
``EmailMessage`` work per recipient. When DKIM is configured each rendered message
is signed last. The only I/O is reading the DKIM key, once, when preparing.

No line of a rendered message starts with a dot (the quoted-printable bodies write
such a dot as ``=2E``), so SMTP never has to double one: the message goes on the
wire as it is, without another copy of its bytes (see
:func:`linked.delivery.pool.wire_form`).
"""

from __future__ import annotations

import html
import random
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import quoprimime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from linked.compose import SLOTS, ComposedEmail, greeting
from linked.compose.slots import MARKER
from linked.errors import LinkedError
from linked.idn import UnmailableAddress, wire_address
from linked.settings import Settings

CRLF = "\r\n"
#: Message-ID randomness (seeded from the system's random source at import).
_ids = random.Random()
#: Longest quoted-printable line, soft line break included (RFC 2045).
MAX_QP_LINE = 76
#: Headers a DKIM signature covers; both List-Unsubscribe headers, so RFC 8058 one-click holds.
#: From, Subject and the List-Unsubscribe pair are named twice (over-signing, RFC 6376
#: 8.15): a copy of one of them added in transit breaks the signature instead of being shown.
DKIM_HEADERS = (
    "From",
    "From",
    "To",
    "Subject",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
#: Characters that make a display name a quoted-string (RFC 5322 specials), and those escaped in it.
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_ESCAPES = re.compile(r'[\\"]')


class DKIMSigner:
    """Signs finished message bytes with one RSA key (dkimpy), relaxed/relaxed canonicalisation."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")
        self.private_key = private_key
        self.headers = [h.encode("ascii") for h in DKIM_HEADERS]

    def sign(self, message: bytes) -> bytes:
        """The message with a ``DKIM-Signature`` header in front."""
        import dkim  # only when signing: it imports dnspython, ~0.15 s of every command's start

        try:
            signature = dkim.sign(
                message,
                self.selector,
                self.domain,
                self.private_key,
                include_headers=self.headers,
                canonicalize=(b"relaxed", b"relaxed"),
            )
        except dkim.DKIMException as exc:
            raise LinkedError(f"DKIM signing failed: {exc}") from exc
        return bytes(signature) + message


def dkim_signer(settings: Settings, sender_domain: str) -> DKIMSigner | None:
    """The signer the settings ask for, or None when DKIM is not configured."""
    if not settings.dkim_selector and not settings.dkim_private_key_path:
        return None
    if not settings.dkim_selector or not settings.dkim_private_key_path:
        raise LinkedError("DKIM needs both dkim_selector and dkim_private_key_path")
    path = settings.dkim_private_key_path
    if not path.is_absolute():
        path = settings.root / path
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise LinkedError(f"cannot read the DKIM private key {path}: {exc.strerror}") from exc
    return DKIMSigner(settings.dkim_selector, settings.dkim_domain or sender_domain, key)


@dataclass(frozen=True)
class Recipient:
    """Who one message goes to, and their personal unsubscribe link (None: not list mail)."""

    email: str
    name: str | None = None
    unsubscribe_url: str | None = None


def _clean(value: str, what: str) -> str:
    # A newline in a header value would let it inject headers of its own.
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain a line break")
    return value


def mailbox(name: str, email: str, header_name: str = "To") -> str:
    """``name <address>`` for a header, the domain as its A-label (see :mod:`linked.idn`).

    A name that is not plain ASCII, or that looks like an encoded word (``=?…?=``),
    is itself RFC 2047-encoded and folded, so a client shows it as the text it is.
    A non-ASCII local part stays UTF-8 (RFC 6532): such mail needs SMTPUTF8.
    """
    address = wire_address(email).address
    if not name:
        return address
    if name.isascii() and name.isprintable() and "=?" not in name:
        if _SPECIALS.search(name):
            name = '"' + _ESCAPES.sub(r"\\\g<0>", name) + '"'
        return f"{name} <{address}>"
    folded = Header(name, "utf-8", header_name=header_name).encode(linesep=CRLF)
    return f"{folded} <{address}>"


#: Text quoted-printable leaves as it is: printable ASCII and the space, but no "=".
_QP_PLAIN = re.compile(r"[ !-<>-~]*")


def _qp(text: str) -> str:
    """Quoted-printable lines ending in CRLF, or in a soft line break (``=``) after the text.

    The soft break lets the next piece start on a fresh encoded line.
    """
    if _QP_PLAIN.fullmatch(text) and not text.endswith(" "):
        plain = _qp_plain(text)
        if plain is not None:
            return plain
    # body_encode works on characters < 256: hand it the UTF-8 bytes as latin-1 characters.
    encoded = quoprimime.body_encode(
        text.encode("utf-8").decode("latin-1"), maxlinelen=MAX_QP_LINE, eol=CRLF
    )
    too_long = False
    if not encoded.endswith(CRLF):
        too_long = len(encoded.rpartition(CRLF)[2]) >= MAX_QP_LINE  # no room for the "="
        encoded += "=" + CRLF
    if too_long or encoded.startswith(".") or CRLF + "." in encoded:
        encoded = _fit(encoded)
    return encoded


def _qp_plain(text: str) -> str | None:
    """:func:`_qp` of one line that encodes to itself (a personal value: a name, a link).

    The same lines as ``quoprimime.body_encode`` (cut every 75 characters with a soft
    break, while more than 76 are left) without its character map and loop; None when
    a line would start with a dot or the last one leaves no room for the final ``=``
    (:func:`_fit`'s cases).
    """
    lines = []
    start, last = 0, len(text) - 1 - MAX_QP_LINE
    while start <= last:
        lines.append(text[start : start + MAX_QP_LINE - 1] + "=" + CRLF)
        start += MAX_QP_LINE - 1
    rest = text[start:]
    if len(rest) >= MAX_QP_LINE or rest.startswith(".") or any(x[0] == "." for x in lines):
        return None
    return "".join(lines) + rest + "=" + CRLF


def _fit(encoded: str) -> str:
    """Start no line with a dot (written ``=2E``, which decodes the same) and split long lines.

    Lines are split with a soft line break, never inside an ``=XX`` escape, so that
    none is longer than :data:`MAX_QP_LINE`.
    """
    lines: list[str] = []
    for line in encoded.split(CRLF):
        while True:
            if line.startswith("."):
                line = "=2E" + line[1:]
            if len(line) <= MAX_QP_LINE:
                break
            cut = MAX_QP_LINE - 1
            cut -= 1 if line[cut - 1] == "=" else 2 if line[cut - 2] == "=" else 0
            lines.append(line[:cut] + "=")
            line = line[cut:]
        lines.append(line)
    return CRLF.join(lines)


class _Body:
    """One MIME part's body: literal QP-encoded bytes with slot names (str) between them."""

    def __init__(self, template: str, *, is_html: bool) -> None:
        self.is_html = is_html
        text = template.replace("\r\n", "\n").replace("\n", CRLF)
        self.pieces: list[bytes | str] = []
        pos = 0
        for match in MARKER.finditer(text):
            self._literal(text[pos : match.start()])
            self.pieces.append(match.group(1).lower())
            pos = match.end()
        self._literal(text[pos:])
        self.slots = {piece for piece in self.pieces if isinstance(piece, str)}

    def _literal(self, text: str) -> None:
        if text:
            self.pieces.append(self._encode(text, escape=False).encode("ascii"))

    def _encode(self, text: str, *, escape: bool) -> str:
        if escape and self.is_html:
            text = html.escape(text, quote=True)
        return _qp(text)

    def chunks(self, values: dict[str, str]) -> list[bytes]:
        """The encoded body for these slot values, in pieces to join."""
        encoded = {n: self._encode(values[n], escape=True).encode("ascii") for n in self.slots}
        return [encoded[p] if isinstance(p, str) else p for p in self.pieces]


class PreparedMessage:
    """Fixed parts of a message, ready to be personalised for each recipient."""

    def __init__(
        self,
        settings: Settings,
        composed: ComposedEmail,
        *,
        list_headers: bool = True,
        subject_prefix: str = "",
    ) -> None:
        self.list_headers = list_headers
        self.unsubscribe_mailto = settings.unsubscribe_mailto
        name, address = parseaddr(settings.from_address)
        if "@" not in address:
            raise LinkedError(
                f"LINKED_FROM {settings.from_address!r} needs an address, "
                "like 'Name <news@example.org>'"
            )
        try:
            sender = wire_address(address)
        except UnmailableAddress as exc:
            raise LinkedError(f"LINKED_FROM: {exc}") from exc
        if sender.smtputf8:
            raise LinkedError(f"LINKED_FROM {address!r}: the part before the @ must be ASCII")
        # The domain as its A-label: in the envelope, From, Message-ID and DKIM alike.
        address = self.envelope_sender = sender.address
        self.domain = sender.domain
        self.boundary = f"linked-{secrets.token_hex(16)}"

        # The email package folds and RFC 2047-encodes the fixed headers, once.
        head = EmailMessage(policy=SMTP)
        local, _, domain = address.rpartition("@")
        head["From"] = Address(display_name=name, username=local, domain=domain)
        head["MIME-Version"] = "1.0"
        if list_headers:
            head["List-Id"] = f"{settings.bulletin_name} <{settings.list_identifier}>"
            head["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        head["Content-Type"] = f'multipart/alternative; boundary="{self.boundary}"'
        fixed = head.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0] + b"\r\n"
        # email.header folds at spaces after the first word; the policy folder would break
        # straight after "Subject:", which strict parsers read back with a leading space.
        subject = _clean(subject_prefix + composed.subject, "the subject")
        charset = "us-ascii" if subject.isascii() else "utf-8"
        folded = Header(subject, charset, header_name="Subject").encode(linesep=CRLF)
        self.fixed_headers = fixed + f"Subject: {folded}{CRLF}".encode("ascii")

        part_head = (
            "--{}" + CRLF + "Content-Type: text/{};"
            " charset=utf-8" + CRLF + "Content-Transfer-Encoding: quoted-printable" + CRLF + CRLF
        )
        self.parts = [
            (part_head.format(self.boundary, kind).encode("ascii"), _Body(text, is_html=is_html))
            for kind, text, is_html in (
                ("plain", composed.text, False),
                ("html", composed.html, True),
            )
        ]
        self.closing = f"--{self.boundary}--{CRLF}".encode("ascii")
        self._date = (0, "")
        self.signer = dkim_signer(settings, self.domain)

    def _now(self) -> str:
        # Formatting the date is the costliest header; once a second is enough.
        second = int(time.time())
        if self._date[0] != second:
            # RFC 5322 3.3: "+0000", not the obsolete "GMT".
            self._date = (second, format_datetime(datetime.fromtimestamp(second, UTC)))
        return self._date[1]

    def message_id(self) -> str:
        # Unique, not secret: 64 bits from the seeded-once generator spare a system call.
        return f"<{time.time_ns():x}.{_ids.getrandbits(64):016x}@{self.domain}>"

    def render(
        self,
        recipient: Recipient,
        *,
        message_id: str | None = None,
        slots: Mapping[str, str] | None = None,
    ) -> bytes:
        """The complete message for one recipient, with CRLF line endings.

        ``slots`` fills any other slot the template uses (the confirmation link).
        Raises UnmailableAddress (a LinkedError) or ValueError when this recipient's
        values cannot make a message; the caller fails that one recipient.
        """
        email = _clean(recipient.email, "the address")
        name = _clean(recipient.name or "", "the name")
        unsubscribe = _clean(recipient.unsubscribe_url or "", "the unsubscribe URL")
        headers = [
            "To: " + mailbox(name, email),
            "Date: " + self._now(),
            "Message-ID: " + (message_id or self.message_id()),
        ]
        if self.list_headers and unsubscribe:
            targets = [f"<{unsubscribe}>"]
            if self.unsubscribe_mailto:
                targets.append(f"<mailto:{self.unsubscribe_mailto}?subject=unsubscribe>")
            headers.append("List-Unsubscribe: " + ("," + CRLF + " ").join(targets))
        values = dict.fromkeys(SLOTS, "")
        values.update(slots or {})
        values.update(greeting=greeting(name), unsubscribe_url=unsubscribe)
        headers.append(CRLF)
        chunks = [self.fixed_headers, CRLF.join(headers).encode("utf-8")]
        for part_head, body in self.parts:
            chunks.append(part_head)
            chunks += body.chunks(values)
            chunks.append(b"\r\n")
        chunks.append(self.closing)
        message = b"".join(chunks)
        return self.signer.sign(message) if self.signer else message


def prepare_message(
    settings: Settings,
    composed: ComposedEmail,
    *,
    list_headers: bool = True,
    subject_prefix: str = "",
) -> PreparedMessage:
    """Prepare ``composed`` for sending; see :class:`PreparedMessage`."""
    return PreparedMessage(
        settings, composed, list_headers=list_headers, subject_prefix=subject_prefix
    )
