"""Build a delivery run from the settings: the one way ``linked send`` and the workers get one.

:func:`make_run` gives the engine (:class:`~linked.delivery.engine.DeliveryRun`) what
the settings ask for: the transport (the SMTP pool, or the outbox, chosen by
:func:`linked.transport.open_transport`), the engine's knobs, the rate limit shared
through the database, the unsubscribe links and the VERP return paths. The caller
runs it and closes its transport (``async with run.transport: await run.run()``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import Engine

from linked.delivery.engine import DeliveryRun, EngineOptions
from linked.delivery.pool import SMTPPool
from linked.delivery.progress import Progress
from linked.delivery.quota import shared_limiter
from linked.delivery.ratelimit import RateLimiter
from linked.delivery.returnpath import return_paths
from linked.message import PreparedMessage
from linked.settings import Settings
from linked.subscribers.tokens import unsubscribe_url
from linked.transport import Transport, open_transport


def make_limiter(settings: Settings, db: Engine) -> RateLimiter:
    """The settings' rate limits, shared through the database with every other worker."""
    return shared_limiter(db, settings.rate_per_second, settings.rate_per_hour)


def engine_options(settings: Settings) -> EngineOptions:
    """The engine's knobs from the settings."""
    return EngineOptions(
        workers=settings.smtp_pool_size,
        max_attempts=settings.max_attempts,
        retry_base_seconds=settings.retry_base_seconds,
        lease_seconds=settings.lease_seconds,
        claim_batch=max(50, settings.smtp_pool_size * 10),
    )


def make_run(
    settings: Settings,
    db: Engine,
    edition: str,
    prepared: PreparedMessage,
    *,
    transport: Transport | None = None,
    progress: Callable[[Progress], None] | None = None,
    options: EngineOptions | None = None,
) -> DeliveryRun:
    """The run of ``edition``'s planned send with ``prepared``, as the settings ask.

    ``transport`` (default: the settings' SMTP pool or outbox) and ``options``
    (default: :func:`engine_options`) are for tests and benchmarks.
    """
    if transport is None:
        pool = functools.partial(
            SMTPPool,
            size=settings.smtp_pool_size,
            max_per_connection=settings.smtp_max_per_connection,
        )
        transport = open_transport(settings, smtp=pool)
    return DeliveryRun(
        db,
        edition,
        prepared,
        transport,
        lambda subscriber_id: unsubscribe_url(settings, subscriber_id),
        return_path=return_paths(settings),
        options=options or engine_options(settings),
        limiter=make_limiter(settings, db),
        progress=progress,
    )
