from __future__ import annotations

import pytest

from linked.subscribers.addresses import (
    InvalidAddress,
    clean_name,
    normalise,
    suppression_hash,
)


def test_trims_and_lowercases_the_domain_only() -> None:
    address = normalise("  Sam.Smith@Example.ORG \n")
    assert address.email == "Sam.Smith@example.org"
    assert address.key == "sam.smith@example.org"


def test_internationalised_domain_is_normalised() -> None:
    assert normalise("info@BÜCHER.example").email == "info@bücher.example"
    assert normalise("info@xn--bcher-kva.example").key == "info@bücher.example"


def test_the_stored_form_keeps_the_form_typed() -> None:
    # Typed as an A-label, stored as an A-label; one key for both forms: one person.
    typed_ascii = normalise("Erin@XN--BCHER-KVA.example")
    assert typed_ascii.email == "Erin@xn--bcher-kva.example"
    assert typed_ascii.key == normalise("erin@Bücher.example").key == "erin@bücher.example"
    assert normalise("josé@Example.ORG").email == "josé@example.org"


@pytest.mark.parametrize(
    "text", ["", "   ", "no-at-sign", "a@b", "two@@example.org", "a" * 250 + "@example.org"]
)
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(InvalidAddress):
        normalise(text)


def test_names_lose_control_characters_and_have_a_limit() -> None:
    assert clean_name("  Sam\r\nBcc: x@y  ") == "Sam Bcc: x@y"
    assert clean_name("   ") is None
    with pytest.raises(InvalidAddress):
        clean_name("x" * 201)


def test_suppression_hash_is_stable_and_not_the_address() -> None:
    digest = suppression_hash("sam@example.org")
    assert digest == suppression_hash("sam@example.org")
    assert "sam" not in digest and len(digest) == 64
