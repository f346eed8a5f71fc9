"""Building a run from the settings: the transport, knobs, limits and links ``linked send``
and the workers both get from :func:`linked.delivery.run.make_run`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from linked.delivery.engine import EngineOptions
from linked.delivery.pool import SMTPPool
from linked.delivery.progress import Progress
from linked.delivery.returnpath import delivery_of
from linked.delivery.run import engine_options, make_limiter, make_run
from linked.delivery.service import prepare_edition
from linked.settings import Settings
from linked.subscribers.tokens import unsubscribe_url
from linked.transport import MemoryTransport, OutboxTransport
from tests.fixtures.sending import EDITION, copy_edition


async def test_with_a_relay_the_run_sends_on_the_settings_pool_with_their_knobs_and_links(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    settings = make_settings(
        smtp_url="smtp://relay.example.org:2525",
        smtp_pool_size=3,
        smtp_max_per_connection=7,
        max_attempts=4,
        bounce_address="bounces@example.org",
    )
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    run = make_run(settings, engine, EDITION, prepared)
    pool = run.transport
    assert isinstance(pool, SMTPPool)
    assert (pool.url.host, pool.url.port, pool.size) == ("relay.example.org", 2525, 3)
    assert {c.max_messages for c in pool.connections} == {7}
    assert run.breaker is pool.breaker  # every worker backs off together
    assert run.options == engine_options(settings)
    assert (run.options.workers, run.options.max_attempts, run.options.claim_batch) == (3, 4, 50)
    assert run.unsubscribe_url(7) == unsubscribe_url(settings, 7)
    assert run.return_path is not None
    token = run.return_path(9).partition("+")[2].partition("@")[0]
    assert delivery_of(settings, token) == 9
    assert run.limiter.unlimited
    await pool.close()


async def test_without_a_relay_the_run_writes_the_outbox_and_takes_what_the_caller_gives(
    settings: Settings, engine: Engine
) -> None:
    _subject, prepared = prepare_edition(settings, copy_edition(settings))
    run = make_run(settings, engine, EDITION, prepared)
    assert isinstance(run.transport, OutboxTransport)
    assert run.return_path is None  # no bounce address: the From is the envelope sender
    memory, options, seen = MemoryTransport(), EngineOptions(workers=2), list[Progress]()
    run = make_run(
        settings, engine, EDITION, prepared, transport=memory, options=options, progress=seen.append
    )
    assert (run.transport, run.options, run.on_progress) == (memory, options, seen.append)


def test_the_rate_limit_is_the_settings_one_shared_through_the_database(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    assert make_limiter(make_settings(), engine).unlimited
    limited = make_limiter(make_settings(rate_per_second=5), engine)
    assert not limited.unlimited
