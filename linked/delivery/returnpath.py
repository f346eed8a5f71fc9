"""VERP return paths: ``bounces+<signed delivery token>@domain`` as each message's envelope sender.

With ``bounce_address`` set, a bounce comes back to an address that names the exact
delivery, so it is recognised even when the report does not quote the recipient (a
gateway that rewrote it, a feedback loop that redacts it). The token is
:func:`linked.subscribers.tokens.short_token` for the ``bounce`` purpose: short and
case-insensitive, because relays may lower-case the local part.
"""

from __future__ import annotations

from collections.abc import Callable

from linked.errors import LinkedError
from linked.settings import Settings
from linked.subscribers.tokens import BadToken, Purpose, read_short_token, short_token


def split_bounce_address(address: str) -> tuple[str, str]:
    """The local part and domain of ``bounce_address``; a clear error when it is not one."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or "+" in local or any(c.isspace() for c in address):
        raise LinkedError(
            f"bounce_address {address!r} must be a plain address such as bounces@example.org "
            "(no '+': Linked adds '+<token>' itself)"
        )
    return local, domain


def return_path(settings: Settings, delivery_id: int) -> str:
    """The VERP envelope sender for one delivery (``bounce_address`` must be set)."""
    if not settings.bounce_address:
        raise LinkedError("bounce_address is not set")
    local, domain = split_bounce_address(settings.bounce_address)
    return f"{local}+{short_token(settings, Purpose.bounce, delivery_id)}@{domain}"


def return_paths(settings: Settings) -> Callable[[int], str] | None:
    """A delivery id -> envelope sender function, or None when ``bounce_address`` is unset."""
    if not settings.bounce_address:
        return None
    split_bounce_address(settings.bounce_address)  # fail before the first message, not during
    return lambda delivery_id: return_path(settings, delivery_id)


def delivery_of(settings: Settings, token: str) -> int | None:
    """The delivery id a VERP token names, or None when it is not genuine."""
    try:
        return read_short_token(settings, Purpose.bounce, token)
    except BadToken:
        return None
