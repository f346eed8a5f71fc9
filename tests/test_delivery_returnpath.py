"""VERP return paths: each delivery's envelope sender names it, on the wire to a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from linked.delivery import service
from linked.delivery.returnpath import delivery_of, return_path, return_paths
from linked.errors import LinkedError
from linked.settings import Settings
from tests.fixtures.faulty_smtp import Switchable
from tests.fixtures.sending import add_subscribers, copy_edition, rows


def test_the_return_path_names_the_delivery_and_survives_lower_casing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(bounce_address="Bounces@Example.org")
    address = return_path(settings, 4711)
    local, _, domain = address.rpartition("@")
    assert domain == "Example.org" and local.startswith("Bounces+") and len(local) <= 64
    token = local.partition("+")[2]
    assert delivery_of(settings, token) == 4711
    assert delivery_of(settings, token.lower()) == delivery_of(settings, token.upper()) == 4711
    assert delivery_of(settings, token[:-1] + ("a" if token[-1] != "a" else "b")) is None
    other = make_settings(bounce_address="bounces@example.org", secret_key="another key")
    assert delivery_of(other, token) is None


def test_unset_means_the_from_address_and_a_bad_address_is_refused(
    make_settings: Callable[..., Settings],
) -> None:
    assert return_paths(make_settings()) is None
    for bad in ("bounces", "bounces+x@example.org", "@example.org", "a b@example.org"):
        with pytest.raises(LinkedError, match="bounce_address"):
            return_paths(make_settings(bounce_address=bad))


def test_every_message_leaves_with_its_own_return_path(
    make_settings: Callable[..., Settings], engine: Engine, faulty_smtp: Switchable
) -> None:
    settings = make_settings(
        smtp_url=faulty_smtp.url, smtp_pool_size=2, bounce_address="bounces@example.org"
    )
    add_subscribers(engine, 9)
    folder = copy_edition(settings)
    result = service.start_send(settings, folder, yes=True)
    assert result.status == "done" and result.counts["sent"] == 9
    by_email = {row.email: row for row in rows(engine).values()}
    messages = faulty_smtp.handler.messages
    assert len(messages) == 9
    for message in messages:
        (recipient,) = message.recipients
        row = by_email[recipient]
        assert message.sender == return_path(settings, row.id or 0)
        token = message.sender.partition("+")[2].partition("@")[0]
        assert delivery_of(settings, token) == row.id
    # Chained envelopes (PIPELINING) carried the next row's own sender: no connection was
    # dropped for a mismatch, so the pool's two sessions carried all nine.
    assert faulty_smtp.handler.sessions <= 2
    # Without bounce_address the envelope sender is the From address, as before.
    assert make_settings(smtp_url=faulty_smtp.url).bounce_address is None
