"""Internationalised addresses on the wire: IDNA A-label domains, SMTPUTF8 local parts.

A subscriber's address is stored as they typed it (``erin@bücher.example``). What
goes into the SMTP envelope and the headers is its *wire form*: the domain as its
IDNA 2008 A-label (``erin@xn--bcher-kva.example``), which every server and client
reads. A local part that is not ASCII (``josé@example.org``) has no ASCII form: it
can only go to a server that offers SMTPUTF8 (RFC 6531), with its headers in UTF-8
(RFC 6532). The message and transport layers both use this module, so list mail,
proofs, confirmation and welcome mails follow one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna

from linked.errors import LinkedError


class UnmailableAddress(LinkedError):
    """The address cannot be put on the wire; the message says why."""


#: What a dot-atom local part may hold in ASCII (RFC 5322 atext and the dot).
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-"
)
#: A host name in ASCII: letters, digits, hyphens and dots.
_HOST = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
#: The common case, checked in one regular expression: an all-ASCII address that is fine.
_PLAIN = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+)@(" + _HOST.pattern + ")")
#: Why a message to a non-ASCII local part did not go out. It names no address, so
#: ``linked status`` groups every such row under one reply.
SMTPUTF8_REFUSAL = (
    "not sent: the part of the address before the @ is not ASCII, which needs a mail "
    "server that offers SMTPUTF8 (RFC 6531), and this one does not"
)


@dataclass(frozen=True)
class WireAddress:
    """An address as it goes out: ``local@a-label-domain``."""

    local: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def smtputf8(self) -> bool:
        """True when the address needs SMTPUTF8 (its local part is not ASCII)."""
        return not self.local.isascii()


@lru_cache(maxsize=1024)
def _a_label(domain: str) -> str:
    """The IDNA 2008 (UTS 46) ASCII form of a domain; ASCII domains stay as they are."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise UnmailableAddress(f"not sent: the domain {domain!r} has no IDNA form: {exc}") from exc


def wire_address(email: str) -> WireAddress:
    """Split ``email`` and give its domain in ASCII; UnmailableAddress when it cannot be sent.

    An address with a control character (a line break would inject SMTP commands
    or headers) is refused here too.
    """
    if plain := _PLAIN.fullmatch(email):
        return WireAddress(plain.group(1), plain.group(2))
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise UnmailableAddress("not sent: the address has no local part and domain")
    if any(ord(c) < 32 or ord(c) == 127 for c in email):
        raise UnmailableAddress("not sent: the address contains a control character")
    if any(c not in _ATEXT if c.isascii() else not c.isprintable() for c in local):
        # Quoted local parts, spaces and brackets never pass the address check on the way in.
        raise UnmailableAddress("not sent: the part before the @ has a character mail cannot carry")
    ascii_domain = _a_label(domain)
    if not _HOST.fullmatch(ascii_domain):
        raise UnmailableAddress(f"not sent: the domain {domain!r} is not a host name")
    return WireAddress(local, ascii_domain)


def envelope_address(email: str) -> str:
    """The address for ``MAIL FROM`` / ``RCPT TO``: the domain as an A-label."""
    return wire_address(email).address
