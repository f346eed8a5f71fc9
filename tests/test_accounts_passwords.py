"""Passwords: the strength rule and Argon2id hashes."""

from __future__ import annotations

import pytest

from linked.accounts.passwords import WeakPassword, check_strength, hash_password, verify


@pytest.mark.parametrize(
    "password",
    ["short", "elevenchars", "password1234", "Password1234!", "qwertyuiop123", "aaaaaaaaaaaaaa"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(password)


def test_the_address_is_not_a_password() -> None:
    with pytest.raises(WeakPassword, match="email address"):
        check_strength("officer.name@example.org", "officer.name@example.org")


def test_a_long_uncommon_password_is_accepted() -> None:
    check_strength("brass lantern moorland 7", "ann@example.org")


def test_hashes_are_argon2id_and_verify() -> None:
    stored = hash_password("brass lantern moorland 7")
    assert stored.startswith("$argon2id$")
    assert verify(stored, "brass lantern moorland 7")
    assert not verify(stored, "brass lantern moorland 8")
    assert not verify(None, "anything at all here")
    assert not verify("not a hash", "anything at all here")
