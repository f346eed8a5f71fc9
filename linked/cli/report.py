"""How the sending commands report: a progress bar on a terminal, log lines elsewhere.

Under cron or systemd there is no terminal to draw a bar on, so progress (every
few seconds), every session-level problem and the final counts go to stderr as
plain lines: ``2026-05-28T09:00:05Z INFO sending 2021-05: 120/200 done …``.
``--quiet`` keeps only problems and the final counts; ``--json`` prints the final
result as one JSON object on stdout for scripts (problems still go to stderr).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from linked.cli.common import err_console

if TYPE_CHECKING:
    from linked.delivery.progress import Progress

#: Seconds between two progress lines when not on a terminal.
EVERY = 5.0
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


@dataclass(frozen=True)
class Mode:
    """How to report: ``quiet`` and ``as_json`` come from the command's options."""

    quiet: bool = False
    as_json: bool = False

    @property
    def bar(self) -> bool:
        """A live progress bar: only on a terminal, and not for scripts."""
        return err_console.is_terminal and not (self.quiet or self.as_json)


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))


def setup_logging() -> None:
    """Warnings from the library (an unverified TLS relay…) as plain lines on stderr."""
    root = logging.getLogger("linked")
    if not any(getattr(h, "_linked_cli", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_UTCFormatter(LOG_FORMAT))
        handler._linked_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def log_line(level: str, text: str) -> None:
    """One plain line on stderr: UTC time, level, what."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} {level} {text}", file=sys.stderr, flush=True)


def describe(state: Progress) -> str:
    """``120/200 done (118 sent, 2 failed, 3 deferred), 12.5 msg/s``."""
    parts = [f"{state.sent} sent"]
    parts += [
        f"{n} {name}" for name, n in (("failed", state.failed), ("deferred", state.deferred)) if n
    ]
    return f"{state.done}/{state.total} done ({', '.join(parts)}), {state.rate:.1f} msg/s"


@contextmanager
def log_progress(
    label: str, mode: Mode, every: float = EVERY
) -> Iterator[Callable[[Progress], None]]:
    """A progress callback that writes log lines: progress every ``every`` seconds (not
    with ``--quiet``/``--json``), and each new problem or change of pace at once."""
    last = [time.monotonic()]
    seen = {"waiting": "", "pacing": ""}

    def update(state: Progress) -> None:
        if state.waiting != seen["waiting"]:
            seen["waiting"] = state.waiting
            if state.waiting:
                log_line("WARNING", f"{label}: {state.waiting}")
        if state.pacing != seen["pacing"]:
            seen["pacing"] = state.pacing
            if state.pacing and not mode.quiet:
                log_line("INFO", f"{label}: pace: {state.pacing}")
        now = time.monotonic()
        if mode.quiet or mode.as_json or now - last[0] < every:
            return
        last[0] = now
        log_line("INFO", f"{label}: {describe(state)}")

    yield update


def result_json(payload: dict[str, object]) -> None:
    """The command's result as one JSON line on stdout."""
    print(json.dumps(payload, sort_keys=True), flush=True)
