"""Passwords: the strength rule, and Argon2id hashing (argon2-cffi, its default parameters).

The rule is NIST SP 800-63B's: long enough (12+ characters), not a known common
password, no other composition rules.
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from linked.accounts.common import COMMON_PASSWORDS
from linked.errors import LinkedError

MIN_LENGTH = 12
MAX_LENGTH = 1024


class WeakPassword(LinkedError):
    """The password is too short, too long or too common; the message says which."""


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_strength(password: str, email: str = "") -> None:
    """Raise :class:`WeakPassword` unless ``password`` may be used."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    folded = password.casefold()
    # "Password1234!" is "password" with a tail: judge the letters people actually chose.
    core = re.sub(r"[\d\W_]+$", "", re.sub(r"^[\d\W_]+", "", folded))
    if folded in COMMON_PASSWORDS or core in COMMON_PASSWORDS or len(set(folded)) <= 2:
        raise WeakPassword("this password is too common: choose a less guessable one")
    local = email.casefold().split("@", 1)[0]
    if email and (folded == email.casefold() or (len(local) >= 4 and core == local)):
        raise WeakPassword("the password must not be your email address")


def hash_password(password: str) -> str:
    """An Argon2id hash (``$argon2id$…``) of ``password``."""
    return _hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, spends the same time and says no."""
    if password_hash is None:
        # Hash anyway so an unknown address takes as long as a wrong password.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)
