"""A send's progress as the engine counts it, for the CLI's display and the console."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from linked.delivery.models import DeliveryState


@dataclass
class Progress:
    """Counts for a progress display; ``sent_now`` counts this run only (for the rate)."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    sent_now: int = 0
    started: float = field(default_factory=time.monotonic)
    waiting: str = ""
    #: The connections and rate in use, and why (empty until the relay has limited them).
    pacing: str = ""

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    def load(self, counts: Counter[str]) -> None:
        """Take the totals from the send's rows per state (``report.counts``)."""
        self.total = sum(counts.values())
        self.sent = counts[DeliveryState.sent]
        self.failed = counts[DeliveryState.failed]
        self.skipped = counts[DeliveryState.skipped]
        self.deferred = counts[DeliveryState.deferred]

    @property
    def rate(self) -> float:
        """Messages sent per second in this run."""
        elapsed = time.monotonic() - self.started
        return self.sent_now / elapsed if elapsed > 0 else 0.0
