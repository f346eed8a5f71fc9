"""Console roles, apart from the tables so the command line can name them cheaply."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do; each role has every right of the roles before it."""

    editor = "editor"  # writes, checks, previews, sends proofs; reads the subscriber list
    sender = "sender"  # also approves, schedules, sends; adds, imports and unsubscribes people
    admin = "admin"  # also manages accounts and personal data (export, erase); reads the audit

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether this role has the rights of ``needed``."""
        return self.rank >= needed.rank
