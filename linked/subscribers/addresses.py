"""Email addresses: syntax check, normalisation, the case-folded key and the suppression hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from linked.errors import LinkedError

MAX_NAME_LENGTH = 200
# RFC 5321 caps a path at 256 octets including the angle brackets.
MAX_ADDRESS_LENGTH = 254
# A fixed prefix so our suppression hashes are not a plain, table-reversible SHA-256 of an address.
_SUPPRESSION_PREFIX = b"linked-suppression-v1:"


class InvalidAddress(LinkedError):
    """The text is not a usable email address; the message says why."""


@dataclass(frozen=True)
class Address:
    """A checked address: ``email`` to store and send to, ``key`` to compare and look up."""

    email: str
    key: str


def normalise(text: str) -> Address:
    """Check syntax only (no DNS: fast, and works offline) and normalise the address.

    Surrounding space is trimmed and the domain lower-cased. The stored form keeps what
    the person typed: a domain typed in Unicode stays Unicode (normalised by
    email-validator, ``bücher.example``), one typed as an IDNA A-label stays ASCII
    (``xn--bcher-kva.example``); either way it goes out as the A-label (linked.idn).
    The key is the case-folded Unicode form, so ``A@x`` and ``a@X``, or an address in
    both forms, are one person.
    """
    candidate = text.strip()
    if not candidate:
        raise InvalidAddress("an email address is required")
    if len(candidate) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"the email address is longer than {MAX_ADDRESS_LENGTH} characters")
    # Imported here: its patterns cost ~15 ms, which commands that read no address
    # (linked send, linked check) need not pay at start-up.
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"not a valid email address: {exc}") from exc
    typed_domain = candidate.rpartition("@")[2]
    email = checked.normalized
    if typed_domain.isascii() and checked.ascii_domain:
        email = f"{checked.local_part}@{checked.ascii_domain}"
    return Address(email=email, key=checked.normalized.casefold())


def clean_name(text: str | None) -> str | None:
    """Trim a display name and collapse control characters; None when empty."""
    if text is None:
        return None
    # Control characters (newlines above all) have no place in a name that goes into headers.
    name = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidAddress(f"the name is longer than {MAX_NAME_LENGTH} characters")
    return name or None


def suppression_hash(key: str) -> str:
    """The hash kept after an address is erased (of its case-folded key)."""
    return hashlib.sha256(_SUPPRESSION_PREFIX + key.encode("utf-8")).hexdigest()
