"""How many connections the pool may use at once, adapted the way Postfix's client does.

A relay that refuses a connection (``421`` at the greeting, or the TCP connection
refused) while other connections to it are working is telling the client its limit,
not that it is down: the pool lowers its concurrency by one per refusal (never below
the connections that work), and the refused message waits for one of them. After
every ``grow_after × limit`` messages accepted in a row the limit grows by one,
back up to the pool size, so a limit that was only momentary does not slow the
rest of the send. When *no* connection works, the refusal is an outage: the shared
circuit breaker handles that.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Messages accepted per connection of the current limit before the limit grows by one.
GROW_AFTER = 20


@dataclass
class Concurrency:
    """The pool's current limit on connections in use, and why it is what it is."""

    ceiling: int
    grow_after: int = GROW_AFTER
    limit: int = 0
    reason: str = ""
    lowered: int = 0
    _accepted: int = 0

    def __post_init__(self) -> None:
        self.limit = self.limit or self.ceiling

    def refused(self, working: int, reply: str) -> bool:
        """A connection was refused while ``working`` others are open; True when that is
        a connection limit (the limit is lowered), False when it looks like an outage."""
        if working <= 0:
            return False
        # One step down per refusal (connections still opening may be refused too), never
        # below the connections that work.
        if (lower := max(working, self.limit - 1)) < self.limit:
            self.limit = lower
            self.lowered += 1
        self._accepted = 0
        self.reason = (
            f"the relay refused a connection while {working} worked ({reply.strip()}): "
            f"using {self.limit} of {self.ceiling} connections"
        )
        return True

    def accepted(self) -> bool:
        """A message was accepted; True when the limit grew."""
        if self.limit >= self.ceiling:
            return False
        self._accepted += 1
        if self._accepted < self.grow_after * self.limit:
            return False
        self._accepted = 0
        self.limit += 1
        self.reason = (
            f"growing back after {self.grow_after} messages per connection: "
            f"using {self.limit} of {self.ceiling} connections"
        )
        if self.limit == self.ceiling:
            self.reason = ""
        return True

    def describe(self) -> str:
        """``10 connections`` or ``3 of 10 connections: <why>``."""
        if self.limit >= self.ceiling and not self.reason:
            return f"{self.limit} connections"
        return self.reason or f"{self.limit} of {self.ceiling} connections"
