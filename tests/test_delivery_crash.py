"""Kill -9 the sending process at random points, restart it, count lost and doubled mail.

The SMTP server runs in its own process and appends one line per message to a file,
so it survives the sender's deaths. The documented bound (linked.delivery.engine):
at most ``2 × smtp_pool_size`` duplicates per crash, and nothing lost.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from linked.settings import Settings
from linked.subscribers.tokens import Purpose, read_token
from tests.fixtures.faulty_smtp import received_lines
from tests.fixtures.sending import EDITION, add_subscribers, child_env, copy_edition, rows

REPO = Path(__file__).resolve().parents[1]
POOL = 4
SUBSCRIBERS = 1500
KILLS = 5


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_and_duplicates_within_the_bound(
    settings: Settings, engine: Engine, recording_server: tuple[int, Path]
) -> None:
    port, log = recording_server
    readers = {email: sid for sid, email in add_subscribers(engine, SUBSCRIBERS)}
    copy_edition(settings)
    env = child_env(settings, port, LINKED_SMTP_POOL_SIZE=str(POOL))
    command = [sys.executable, "-m", "linked", "--root", str(settings.root), "send", EDITION]
    rng = random.Random(int(os.environ.get("LINKED_TEST_SEED", "4")))
    kills = 0
    for _ in range(KILLS * 3):
        if kills == KILLS:
            break
        before = len(received_lines(log))
        sender = subprocess.Popen(
            [*command, "--yes"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        target = before + rng.randint(20, SUBSCRIBERS // (KILLS + 2))
        deadline = time.monotonic() + 60
        while sender.poll() is None and len(received_lines(log)) < target:
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(rng.uniform(0.001, 0.02))
        if sender.poll() is None:
            sender.send_signal(signal.SIGKILL)
            sender.wait()
            kills += 1
        else:
            assert sender.returncode == 0, sender.stderr.read() if sender.stderr else ""
            break
    assert kills == KILLS, "the send finished before every kill: make the list longer"

    final = subprocess.run(
        [*command, "--yes"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr

    received = Counter()
    for line in received_lines(log):
        recipient, _message_id, link, _at = line.split("\t")
        # Every copy carries its own recipient's unsubscribe token.
        assert (
            read_token(settings, Purpose.unsubscribe, link.rsplit("/", 1)[1]) == readers[recipient]
        )
        received[recipient] += 1
    lost = [email for email in readers if received[email] == 0]
    duplicates = sum(n - 1 for n in received.values())
    assert lost == []
    assert set(received) == set(readers)
    assert duplicates <= kills * 2 * POOL, f"{duplicates} duplicates after {kills} kills"
    assert {r.state for r in rows(engine).values()} == {"sent"}
    print(f"\n{kills} kills, {len(received)} recipients, {duplicates} duplicates")
