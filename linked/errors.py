"""Errors meant for people, not tracebacks.

Anything raised as a :class:`LinkedError` is printed by the CLI (and shown by
the web app) as a clear message; anything else is a bug.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


class LinkedError(Exception):
    """A problem the user can fix; ``str(error)`` is the message to show."""


@dataclass(frozen=True)
class Problem:
    """One problem in one file, optionally at a line (1-based)."""

    path: Path
    message: str
    line: int | None = None

    def location(self, relative_to: Path | None = None) -> str:
        path = self.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                path = path.relative_to(relative_to)
        return f"{path}:{self.line}" if self.line else str(path)

    def format(self, relative_to: Path | None = None) -> str:
        return f"{self.location(relative_to)}: {self.message}"


class EditionError(LinkedError):
    """An edition cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))
