"""Median cost of one ``POST /subscribe`` on SQLite, in-process (httpx ASGITransport).

Each request is a new address, so every one does the full work: validate, rate-limit
counters, insert subscriber + consent event + queued confirmation, commit. The time runs
from sending the request to the moment the app has sent the last byte of its response
(an ASGI wrapper records it). The confirmation mail is sent by the notice sender, apart
from the request (not running here: no lifespan), and the answer's constant floor
(``ANSWER_FLOOR_SECONDS``, a wait against timing enumeration) is set to 0 so the work is
what is measured. For the server under load see ``bench_subscribe_load.py``.

Run: /work/venv/bin/python bench/bench_subscribe.py [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linked.db.migrate import upgrade
from linked.settings import load_settings
from linked.web import subscribe
from linked.web.app import create_app


class ResponseClock:
    """ASGI wrapper noting when the final body chunk of each response is sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.finished = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.finished = time.perf_counter()

        await self.app(scope, receive, timed_send)


async def run(requests: int, warmup: int) -> list[float]:
    # The answer's constant floor (no timing enumeration) is a wait, not work: measure the work.
    subscribe.ANSWER_FLOOR_SECONDS = 0
    with tempfile.TemporaryDirectory() as root:
        settings = load_settings(
            root,
            secret_key="bench",
            from_address="Linked <bulletin@example.org>",
            # One client address sends every request here; lift the per-IP limit so the
            # benchmark measures the normal path, not the 429 answer.
            subscribe_limit_per_ip=10 * (requests + warmup),
        )
        app = create_app(settings)
        upgrade(settings, app.state.engine)  # ASGITransport does not run the lifespan
        clock = ResponseClock(app)
        transport = httpx.ASGITransport(app=clock, client=("192.0.2.1", 40000))
        timings: list[float] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n in range(warmup + requests):
                body = {"email": f"reader{n}@example.org", "name": f"Reader {n}"}
                start = time.perf_counter()
                response = await client.post("/subscribe", data=body)
                elapsed = clock.finished - start
                assert response.status_code == 200, response.text
                if n >= warmup:
                    timings.append(elapsed * 1000)
        app.state.engine.dispose()
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    timings = asyncio.run(run(args.requests, args.warmup))
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"POST /subscribe on SQLite, {len(timings)} requests: "
        f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
