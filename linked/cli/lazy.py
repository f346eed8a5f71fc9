"""Modules the commands use, imported when a command first uses them.

``linked --help`` and ``linked check`` must not pay for FastAPI, Alembic, APScheduler or
the database: each command module names its library module with :func:`lazy_module`
(and imports it for real under ``TYPE_CHECKING``, so the types stay checked).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule:
    """Stands in for a module; the first attribute read imports it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it on first use."""
    return _LazyModule(name)
