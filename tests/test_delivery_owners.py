"""Lease owner names and whether their process still runs."""

from __future__ import annotations

import os
import socket

from linked.delivery.owners import new_owner, owner_gone, this_host
from tests.fixtures.sending import DEAD_PID


def test_an_owner_name_carries_host_pid_namespace_and_pid() -> None:
    host, pid, _rand = new_owner().rsplit(":", 2)
    assert host == this_host() and host.startswith(socket.gethostname()[:60] + "/")
    assert int(pid) == os.getpid() and len(new_owner()) <= 100


def test_only_a_stopped_process_on_this_host_is_gone() -> None:
    assert owner_gone(None) and owner_gone("")
    assert owner_gone(f"{this_host()}:{DEAD_PID}:abcd")
    assert not owner_gone(new_owner())  # this process
    assert not owner_gone(f"far-host/1:{DEAD_PID}:abcd")  # another host: its lease decides
