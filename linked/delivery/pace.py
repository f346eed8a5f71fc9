"""The send's own rate, learnt from the relay's rate-limit replies (``450 4.7.1 too much mail``).

A relay that limits messages per client per time unit (Postfix's
``smtpd_client_message_rate_limit``, Microsoft 365's per-minute limits) accepts a
burst, then refuses with a 4.7.x reply until its window has passed. Such a reply
is about the sender, not the recipient: the message is retried without charging
its row an attempt, and the whole send slows down:

* the first refusal holds every worker for ``hold`` seconds (1 s, doubling up to
  ``max_hold`` while refusals go on), and then lets one message through as a probe;
* when the probe is accepted, the rate the relay allowed over that cycle
  (messages accepted since the last cycle began, over its length) becomes the
  send's rate;
* each accepted message then raises that rate by ``growth`` (1 %), so it finds its
  way back up slowly if the limit was lower than needed.

It lives in one process, shared by all its workers, on top of the configured
limits (:mod:`linked.delivery.ratelimit`), which every process shares.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

MIN_RATE = 0.05  # messages per second: never slower than one every 20 s
FIRST_HOLD = 1.0
MAX_HOLD = 60.0
GROWTH = 0.01


class Pace:
    """Await :meth:`wait` before each message; call :meth:`throttled` / :meth:`accepted`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_hold: float = MAX_HOLD,
        growth: float = GROWTH,
    ) -> None:
        self.clock = clock
        self.max_hold = max_hold
        self.growth = growth
        self.rate: float | None = None
        self.reason = ""
        self.throttles = 0
        self.hold = 0.0
        self.hold_until = 0.0
        self.probing = False
        #: The worker (task) whose message is the probe; only its answer ends a hold.
        self._probe: asyncio.Task[object] | None = None
        self._next = 0.0
        self._cycle_start = clock()
        self._cycle_accepted = 0

    @property
    def active(self) -> bool:
        """True once the relay has asked for a slower pace."""
        return self.rate is not None or self.probing

    async def wait(self) -> None:
        """Return when this message may go: after any hold, one probe at a time, then paced."""
        while True:
            now = self.clock()
            if now < self.hold_until:
                await asyncio.sleep(self.hold_until - now)
                continue
            if self.probing:
                if self._probe is not None:
                    await asyncio.sleep(0.05)
                    continue
                self._probe = asyncio.current_task()
                return
            if self.rate is None:
                return
            at = max(now, self._next)
            self._next = at + 1 / self.rate
            if at > now:
                await asyncio.sleep(at - now)
            return

    def _is_probe(self) -> bool:
        return self._probe is not None and self._probe is asyncio.current_task()

    def throttled(self, reply: str) -> None:
        """The relay refused a message with a rate-limit reply."""
        now = self.clock()
        self.throttles += 1
        if self.probing:
            if not self._is_probe():
                return  # a message that left before the hold began: the same refusal
            self._probe = None
            self.hold = min(self.max_hold, self.hold * 2)
        else:
            self.probing = True
            self.hold = FIRST_HOLD
        self.hold_until = now + self.hold
        self.reason = f"the relay limits the rate ({reply.strip()}): holding {self.hold:.0f} s"

    def accepted(self) -> None:
        """A message was accepted."""
        now = self.clock()
        self._cycle_accepted += 1
        if self.probing:
            if not self._is_probe():
                return  # a message that left before the hold: the probe decides
            elapsed = max(now - self._cycle_start, 1e-3)
            self.rate = max(MIN_RATE, self._cycle_accepted / elapsed)
            self.probing, self._probe = False, None
            self.hold = 0.0
            self._cycle_start, self._cycle_accepted = now, 0
            self._next = now + 1 / self.rate
            self.reason = f"learnt from the relay's rate-limit replies ({self.throttles} so far)"
        elif self.rate is not None:
            self.rate *= 1 + self.growth

    def other(self) -> None:
        """A message ended some other way (refused for itself, connection lost): if it
        was the probe, let another message probe."""
        if self._is_probe():
            self._probe = None

    def describe(self) -> str:
        """``no limit learnt`` or the rate in use and why."""
        if self.probing:
            return self.reason
        if self.rate is None:
            return ""
        return f"{self.rate:.2f} msg/s: {self.reason}"
