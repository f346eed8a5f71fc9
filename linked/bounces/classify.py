"""Classify one message from the bounce mailbox: pure, no I/O, no database.

Order, most authoritative first:

1. RFC 5965 ARF feedback report (``multipart/report; report-type=feedback-report``):
   a complaint.
2. RFC 3464 delivery status notification (``report-type=delivery-status``):
   ``Action: failed`` with a 5.x.x status is hard; ``delayed``, or any 4.x.x status,
   is soft; ``delivered``/``relayed``/``expanded`` are not failures (ignored).
3. Auto-replies (RFC 3834 ``Auto-Submitted``, ``X-Autoreply``, ``Precedence``,
   ``X-Auto-Response-Suppress``-style answers): ignored, unless the message comes
   from a mail system (``MAILER-DAEMON``, ``postmaster``, ``X-Failed-Recipients``),
   which is a bounce that happens to carry those headers.
4. flufl.bounce's detectors for the non-standard bounces of common servers.
5. Anything else is ``unknown``: the caller leaves it in the mailbox.

The VERP token (``bounces+TOKEN@domain``) is read from the headers the bounce was
delivered with, then from anywhere in the message; the caller trusts it before the
recipient address the report names.
"""

from __future__ import annotations

import email
import email.utils
import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum
from typing import TypeAlias

from flufl.bounce import all_failures

from linked.subscribers.status import BounceKind


class Unrecorded(StrEnum):
    """A message in the bounce mailbox that is not recorded as a bounce or complaint."""

    #: An auto-reply, out-of-office or a success notification: recognised, not a bounce.
    ignored = "ignored"
    #: Not recognised: left in the mailbox for a person to read.
    unknown = "unknown"


#: What a message in the bounce mailbox is: a :class:`BounceKind` the subscriber layer
#: records (the same enum the webhook uses), or :class:`Unrecorded`.
Kind: TypeAlias = BounceKind | Unrecorded


@dataclass(frozen=True)
class Verdict:
    """The outcome for one message. ``key`` identifies it for idempotent recording."""

    kind: Kind
    key: str
    recipient: str | None = None
    token: str | None = None
    status: str | None = None
    diagnostic: str | None = None
    reason: str = ""


#: Headers that carry the address a bounce was delivered to (the VERP address).
_ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "x-envelope-to")
_DAEMON = re.compile(
    r"mailer-daemon|postmaster|mail delivery (system|subsystem)|microsoftexchange", re.I
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|on leave|away from)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|deliver(y|ed)|returned|fail|bounce|non[- ]?remis|unzustellbar", re.I
)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MAX_TEXT = 500


def message_key(msg: Message, raw: bytes) -> str:
    """The idempotence key: a digest of the Message-ID, or of the bytes when there is none."""
    message_id = (msg.get("message-id") or "").strip()
    if message_id:
        return "mid:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:56]
    return "raw:" + hashlib.sha256(raw).hexdigest()[:56]


def classify(raw: bytes, bounce_local: str = "bounces") -> Verdict:
    """Classify one raw message; ``bounce_local`` is the VERP address's local part."""
    msg = email.message_from_bytes(raw)
    key = message_key(msg, raw)
    token = find_token(msg, raw, bounce_local)
    report_type = (msg.get_param("report-type") or "") if msg.is_multipart() else ""
    if msg.get_content_type() == "multipart/report" and isinstance(report_type, str):
        kind = report_type.lower()
        if kind == "feedback-report":
            return _complaint(msg, key, token)
        if kind == "delivery-status":
            verdict = _dsn(msg, key, token)
            if verdict is not None:
                return verdict
    if _is_auto_reply(msg) and not _from_mail_system(msg):
        return Verdict(Unrecorded.ignored, key, token=token, reason="auto-reply")
    return _fallback(msg, key, token)


def find_token(msg: Message, raw: bytes, bounce_local: str) -> str | None:
    """The VERP token in the delivery headers, else anywhere in the raw message."""
    pattern = re.compile(
        re.escape(bounce_local) + r"\+([A-Za-z0-9][A-Za-z0-9-]{2,60})@", re.IGNORECASE
    )
    for name in _ENVELOPE_HEADERS:
        for value in msg.get_all(name) or ():
            if found := pattern.search(str(value)):
                return found.group(1).lower()
    found_bytes = re.search(pattern.pattern.encode("ascii"), raw, re.IGNORECASE)
    return found_bytes.group(1).decode("ascii").lower() if found_bytes else None


def _complaint(msg: Message, key: str, token: str | None) -> Verdict:
    recipient = None
    feedback = "abuse"
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/feedback-report":
            fields = _fields(part)
            feedback = fields.get("feedback-type", feedback)
            recipient = _address(fields.get("original-rcpt-to"))
        elif ctype in ("message/rfc822", "text/rfc822-headers") and recipient is None:
            original = _enclosed(part)
            if original is not None:
                recipient = _address(original.get("to"))
    return Verdict(
        BounceKind.complaint,
        key,
        recipient=recipient,
        token=token,
        diagnostic=f"feedback report: {feedback}"[:_MAX_TEXT],
        reason="ARF feedback report",
    )


def _dsn(msg: Message, key: str, token: str | None) -> Verdict | None:
    """The first failed recipient of a DSN (else the first delayed one); None if malformed."""
    for part in msg.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = _status_blocks(part)
        found: Verdict | None = None
        for block in blocks[1:] or blocks:
            action = (block.get("action") or "").strip().lower()
            status = _status(block.get("status"))
            diagnostic = _one_line(block.get("diagnostic-code"))
            recipient = _address(block.get("original-recipient")) or _address(
                block.get("final-recipient")
            )
            if action == "failed" and not (status or "").startswith("4"):
                return Verdict(
                    BounceKind.hard, key, recipient, token, status, diagnostic, "DSN failed"
                )
            if action in ("failed", "delayed") and found is None:
                found = Verdict(
                    BounceKind.soft, key, recipient, token, status, diagnostic, f"DSN {action}"
                )
            elif action in ("delivered", "relayed", "expanded") and found is None:
                found = Verdict(
                    Unrecorded.ignored, key, recipient, token, status, None, f"DSN {action}"
                )
        if found is not None:
            return found
    return None


def _is_auto_reply(msg: Message) -> bool:
    submitted = (msg.get("auto-submitted") or "no").strip().lower()
    precedence = (msg.get("precedence") or "").strip().lower()
    return (
        not submitted.startswith("no")
        or msg.get("x-autoreply") is not None
        or msg.get("x-autorespond") is not None
        or precedence in ("auto_reply", "bulk", "junk")
        or bool(_AUTO_SUBJECT.search(str(msg.get("subject") or "")))
    )


def _from_mail_system(msg: Message) -> bool:
    return msg.get("x-failed-recipients") is not None or bool(
        _DAEMON.search(str(msg.get("from") or ""))
    )


def _may_be_bounce(msg: Message) -> bool:
    """Whether flufl.bounce's detectors are worth running (they cost most of the time).

    A bounce is sent with a null reverse path (RFC 5321 section 4.5.5), which the final
    delivery writes as ``Return-Path: <>``; failing that, it comes from a mail system
    or says so in its subject. A person's mail has none of these.
    """
    return_path = msg.get("return-path")
    return (
        (return_path is not None and str(return_path).strip() in ("<>", ""))
        or _from_mail_system(msg)
        or bool(_BOUNCE_SUBJECT.search(str(msg.get("subject") or "")))
    )


def _fallback(msg: Message, key: str, token: str | None) -> Verdict:
    """flufl.bounce's detectors, for bounces that are not RFC 3464 reports."""
    if not _may_be_bounce(msg):
        return Verdict(Unrecorded.unknown, key, token=token, reason="not recognised")
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector tripping over a malformed message: not recognised
        temporary, permanent = frozenset(), frozenset()
    failed = sorted(permanent) or sorted(temporary)
    if not failed and not (token and _from_mail_system(msg)):
        return Verdict(Unrecorded.unknown, key, token=token, reason="not recognised")
    kind = BounceKind.hard if permanent else BounceKind.soft
    if not failed:  # a mail system's report that names no one: the token says who
        kind = BounceKind.soft
    recipient = failed[0].decode("utf-8", "replace") if failed else None
    status, diagnostic = _text_status(msg)
    if status and status.startswith("4"):
        kind = BounceKind.soft
    return Verdict(kind, key, recipient, token, status, diagnostic, "non-standard bounce")


def _text_status(msg: Message) -> tuple[str | None, str | None]:
    """An enhanced status code and its line from the first text part, if any."""
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        for line in text.splitlines():
            if found := _STATUS.search(line):
                return found.group(0), _one_line(line)
        return None, None
    return None, None


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):  # some servers send it as a plain text body
        chunks = re.split(r"\r?\n\s*\r?\n", payload.strip())
        return [email.message_from_string(chunk) for chunk in chunks if chunk.strip()]
    return []


def _fields(part: Message) -> dict[str, str]:
    fields: dict[str, str] = {}
    for block in _status_blocks(part):
        for name, value in block.items():
            fields.setdefault(name.lower(), str(value).strip())
    return fields


def _enclosed(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str):
        return email.message_from_string(payload)
    return None


def _address(value: object) -> str | None:
    """The address in ``rfc822; someone@example.org`` or ``Name <someone@example.org>``."""
    if value is None:
        return None
    text = str(value).strip()
    kind, sep, rest = text.partition(";")
    if sep and " " not in kind.strip() and "@" not in kind:
        text = rest.strip()
    address = email.utils.parseaddr(text)[1] or text.strip("<> ")
    return address if "@" in address else None


def _status(value: object) -> str | None:
    found = _STATUS.search(str(value or ""))
    return found.group(0) if found else None


def _one_line(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:_MAX_TEXT] or None
