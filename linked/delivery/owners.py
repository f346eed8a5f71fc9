"""Lease owners: who holds a claimed row (``host/pidns:pid:rand``) and whether it still runs.

The claim (:mod:`linked.delivery.store`) writes these names; the crash rule and
``linked status`` (:mod:`linked.delivery.report`) read them back to tell a live
worker from a dead one. Nothing here touches the database.
"""

from __future__ import annotations

import os
import secrets
import socket


def this_host() -> str:
    """This host's name and PID namespace: process ids mean something only within both.

    Containers sharing a host name (host networking, a fixed ``hostname:``) have
    different PID namespaces, so one never takes another's live worker for dead.
    """
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:  # not Linux
        namespace = ""
    return f"{socket.gethostname()[:60]}/{namespace}"


def new_owner() -> str:
    """A lease owner name: host, process id and a random part (``host/pidns:pid:rand``)."""
    return f"{this_host()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_gone(owner: str | None) -> bool:
    """True when ``owner`` (:func:`new_owner`) was a process on this host that no longer runs.

    An owner on another host is never called gone here: its rows wait for their
    lease to end instead.
    """
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != this_host() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
