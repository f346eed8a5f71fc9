"""The classifier against a corpus written from each server's documented bounce format."""

from __future__ import annotations

import email

import pytest

from linked.bounces.classify import Kind, Unrecorded, classify, find_token
from linked.subscribers.status import BounceKind
from tests.fixtures.bounce_corpus import NAMES, corpus

TOKENS = {name: f"{i + 1}-abcdefghijklmnop" for i, name in enumerate(NAMES)}
SAMPLES = {sample.name: sample for sample in corpus(TOKENS)}


@pytest.mark.parametrize("name", NAMES)
def test_each_sample_is_classified_exactly(name: str) -> None:
    sample = SAMPLES[name]
    verdict = classify(sample.raw)
    expected: Kind = (
        BounceKind(sample.expected)
        if sample.expected in BounceKind.__members__
        else Unrecorded(sample.expected)
    )
    assert verdict.kind is expected
    assert verdict.recipient == sample.recipient
    if name != "person":
        assert verdict.token == TOKENS[name]


def test_status_and_diagnostic_are_kept() -> None:
    verdict = classify(SAMPLES["postfix"].raw)
    assert verdict.status == "5.1.1"
    assert verdict.diagnostic is not None and "User unknown" in verdict.diagnostic
    assert classify(SAMPLES["exchange"].raw).status == "5.1.10"
    assert classify(SAMPLES["gmail"].raw).status == "4.2.2"


def test_a_dsn_that_names_no_recipient_still_carries_the_token() -> None:
    verdict = classify(SAMPLES["no-recipient"].raw)
    assert verdict.kind is BounceKind.hard and verdict.recipient is None
    assert verdict.token == TOKENS["no-recipient"]


def test_failed_with_a_4xx_status_is_soft_and_delivered_is_ignored() -> None:
    raw = SAMPLES["sendmail"].raw
    assert classify(raw.replace(b"Status: 5.1.1", b"Status: 4.4.7")).kind is BounceKind.soft
    delivered = raw.replace(b"Action: failed", b"Action: delivered").replace(
        b"Status: 5.1.1", b"Status: 2.0.0"
    )
    assert classify(delivered).kind is Unrecorded.ignored


def test_the_key_is_the_message_id_else_the_bytes() -> None:
    raw = SAMPLES["postfix"].raw
    assert classify(raw).key == classify(raw + b"\r\n").key  # same Message-ID
    no_id = SAMPLES["person"].raw.replace(b"Message-ID:", b"X-Old-ID:")
    assert classify(no_id).key.startswith("raw:")
    assert classify(no_id).key != classify(no_id + b"x").key


def test_the_token_is_read_from_the_delivery_headers_first() -> None:
    raw = b"Delivered-To: bounces+1-aaaaaaaaaaaaaaaa@example.org\r\n\r\nbounces+2-bbb@example.org"
    assert find_token(email.message_from_bytes(raw), raw, "bounces") == "1-aaaaaaaaaaaaaaaa"
    assert classify(raw, bounce_local="returns").token is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno parts",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: message/delivery-status\r\n\r\n\r\n--x--\r\n",
    ],
)
def test_malformed_messages_are_unknown_not_errors(raw: bytes) -> None:
    assert classify(raw).kind is Unrecorded.unknown


def test_non_standard_bounces_are_recognised_without_a_null_return_path() -> None:
    exim = SAMPLES["exim"].raw.replace(b"Return-path: <>\r\n", b"")
    assert classify(exim).kind is BounceKind.hard
    # A person's mail that happens to quote a failure line is still a person's mail.
    person = SAMPLES["person"].raw.replace(
        b"Ivy\r\n", b"550 5.1.1 <bob@example.com>: No such user here\r\nIvy\r\n"
    )
    assert classify(person).kind is Unrecorded.unknown
