"""The send's own rate learnt from rate-limit replies (linked.delivery.pace), on a fake clock."""

from __future__ import annotations

import asyncio

from linked.delivery.pace import FIRST_HOLD, Pace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _in_task(pace: Pace, action: str, reply: str = "450 4.7.1 too much mail") -> None:
    """Run one pace call in its own task, the way each engine worker is one."""

    async def call() -> None:
        if action == "wait":
            await pace.wait()
        elif action == "throttled":
            pace.throttled(reply)
        else:
            pace.accepted()

    await asyncio.create_task(call())


async def test_a_refusal_holds_then_one_probe_learns_the_rate() -> None:
    clock = Clock()
    pace = Pace(clock=clock)
    for _ in range(12):  # the burst the relay accepted
        pace.accepted()
    clock.now += 0.5
    pace.throttled("450 4.7.1 too much mail")
    assert pace.probing and pace.hold == FIRST_HOLD and pace.active
    assert "450 4.7.1 too much mail" in pace.describe()

    pace.throttled("450 4.7.1 too much mail")  # a message that left before the hold
    assert pace.hold == FIRST_HOLD

    clock.now = pace.hold_until
    probe_done = asyncio.Event()

    async def probe(outcome: str) -> None:
        await pace.wait()  # this task holds the probe
        if outcome == "throttled":
            pace.throttled("450 4.7.1 too much mail")
        else:
            pace.accepted()
        probe_done.set()

    await asyncio.create_task(probe("throttled"))
    assert pace.hold == 2 * FIRST_HOLD  # the probe's refusal doubles the hold
    clock.now = pace.hold_until + 1.5  # 5 s after the cycle began
    await asyncio.create_task(probe("accepted"))
    assert not pace.probing
    assert pace.rate is not None and abs(pace.rate - 13 / 5.0) < 0.01  # 13 accepted in 5 s
    assert "msg/s" in pace.describe()


async def test_only_the_probe_ends_a_hold() -> None:
    clock = Clock()
    pace = Pace(clock=clock)
    pace.throttled("421 4.7.0 slow down")
    clock.now = pace.hold_until
    await _in_task(pace, "wait")  # a task took the probe and is still out
    await _in_task(pace, "accepted")  # another task's message, sent before the hold
    assert pace.probing and pace.rate is None
    waiting = asyncio.create_task(pace.wait())
    await asyncio.sleep(0.12)
    assert not waiting.done()  # the next message waits for the probe's answer
    waiting.cancel()


async def test_a_probe_that_ends_otherwise_lets_another_probe() -> None:
    pace = Pace(clock=Clock())
    pace.throttled("450 4.7.1 too much mail")
    pace.hold_until = 0.0

    async def probe_then_fail() -> None:
        await pace.wait()
        pace.other()

    await asyncio.create_task(probe_then_fail())
    await asyncio.wait_for(asyncio.create_task(pace.wait()), 1)  # another probe at once


async def test_the_learnt_rate_grows_back_slowly() -> None:
    pace = Pace(clock=Clock())
    pace.rate = 2.0
    for _ in range(10):
        pace.accepted()
    assert 2.0 < pace.rate < 2.3
