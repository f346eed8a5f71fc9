"""Addresses on the wire: A-label domains, SMTPUTF8 local parts, refusals that say why."""

from __future__ import annotations

import pytest

from linked.idn import UnmailableAddress, envelope_address, wire_address


@pytest.mark.parametrize(
    ("stored", "wire", "smtputf8"),
    [
        ("sam@example.org", "sam@example.org", False),
        ("erin@bücher.example", "erin@xn--bcher-kva.example", False),
        ("erin2@xn--bcher-kva.example", "erin2@xn--bcher-kva.example", False),
        ("x@faß.de", "x@xn--fa-hia.de", False),  # IDNA 2008, not the stdlib's IDNA 2003 "fass"
        ("josé@example.org", "josé@example.org", True),
        ("用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v", True),
        ("o'neil+news@example.org", "o'neil+news@example.org", False),
    ],
)
def test_wire_form(stored: str, wire: str, smtputf8: bool) -> None:
    address = wire_address(stored)
    assert (address.address, address.smtputf8) == (wire, smtputf8)
    assert envelope_address(stored) == wire


@pytest.mark.parametrize(
    "bad",
    [
        "nobody",
        "@example.org",
        "sam@",
        "sam@example.org\r\nRCPT TO:<x@y>",
        "sam smith@example.org",
        "<sam>@example.org",
        "sam@exa mple.org",
        "sam@bü cher.example",
    ],
)
def test_addresses_without_a_wire_form_are_refused(bad: str) -> None:
    with pytest.raises(UnmailableAddress, match=r"^not sent: "):
        wire_address(bad)
