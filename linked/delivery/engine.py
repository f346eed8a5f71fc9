"""The delivery engine: workers claim rows, personalise one prepared message, send, record.

Each row moves ``queued → sending → sent | deferred | failed`` (``skipped`` when
its subscriber stopped being confirmed), and every move is committed:

* A feeder claims rows in batches: one transaction marks them ``sending`` under this
  process's lease **before** any of them goes on the wire.
* A worker renders the recipient's copy from the message composed once for the
  send (:meth:`PreparedMessage.render`), waits for the shared rate limit and sends
  it on the SMTP pool, then hands the outcome to the recorder. The recorder commits
  whatever outcomes are waiting in one transaction (group commit). A worker may
  send its next message while its previous outcome is being committed, but waits
  for that commit before handing over the next outcome (``overlap_recording``;
  turned off, it waits before sending).
* 4xx: ``deferred`` with exponential back-off (``retry_base_seconds`` doubling)
  until ``max_attempts``, then ``failed``. 5xx: ``failed`` with the reply; a 5.1.x
  reply also records a hard bounce for the subscriber. A refused connection trips
  the shared circuit breaker: every worker waits, no attempt is charged, and the
  send carries on by itself when the server answers again. A connection refused
  while others work lowers the pool's concurrency instead; a rate-limit reply
  (4.7.x) slows the whole send (:mod:`linked.delivery.pace`); neither charges an
  attempt.
* Session-level refusals (:class:`~linked.transport.SessionRefused`: wrong password,
  untrusted certificate) stop the whole send at once: no row changes state, claimed
  rows go back to ``queued``, and :meth:`DeliveryRun.run` raises the refusal.
* Pause: workers read the ``send.status`` flag (refreshed every ``poll_seconds``)
  between messages; claimed rows not yet sent go back to ``queued``.

**Crash rule.** On start, rows found in ``sending`` whose owner process on this host
is gone are re-queued at once; rows owned elsewhere are re-queued when their lease
(``lease_seconds``, renewed while the owner lives) expires. Re-queued rows are sent
again. Nothing is lost: a row leaves ``sending`` only by a committed outcome or by
that rule. The only possible duplicates are messages that went on the wire and
whose outcome was not yet committed when the process died: per worker, the message
on the wire and the one whose outcome was being committed. (The next row's envelope
may be on the wire too, pipelined behind the end of data, but never its message: a
server drops a transaction whose data never ended.) So **at most
``2 × smtp_pool_size`` duplicates per crash** (``smtp_pool_size`` with
``overlap_recording`` off). ``tests/test_delivery_crash.py`` kills the process
with SIGKILL at random points and checks exactly this.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from linked.delivery import report, store
from linked.delivery.breaker import CircuitBreaker
from linked.delivery.models import OPEN_STATES, DeliveryState, SendStatus, utcnow
from linked.delivery.outcomes import Outcome, OutcomeKind
from linked.delivery.owners import new_owner
from linked.delivery.pool import ConnectionFailure
from linked.delivery.progress import Progress
from linked.delivery.ratelimit import RateLimiter
from linked.delivery.recorder import Batch, Recorder
from linked.delivery.store import Job
from linked.errors import LinkedError
from linked.message import PreparedMessage, Recipient
from linked.transport import Breaker, Lane, SessionRefused, Throttled, Transport, TransportError

D = DeliveryState
#: A message whose connection drops this many times in a row is deferred like a 4xx.
MAX_DROPS = 3
#: A message refused this many times by rate-limit replies is deferred like a 4xx.
MAX_THROTTLES = 12


def failed(exc: Exception) -> Outcome:
    """The permanent failure of one row whose message could not be built or sent."""
    reason = str(exc) if isinstance(exc, LinkedError) else f"{type(exc).__name__}: {exc}"
    if not reason.startswith("not sent"):
        reason = f"not sent: {reason}"
    return Outcome(OutcomeKind.permanent, reason)


@dataclass
class EngineOptions:
    """Knobs of one run; :func:`linked.delivery.run.engine_options` fills them from the settings."""

    workers: int = 10
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    lease_seconds: float = 300.0
    claim_batch: int = 100
    poll_seconds: float = 0.5
    #: Send the next message while the last outcome is committed (duplicate bound 2 per worker).
    overlap_recording: bool = True


class DeliveryRun:
    """Deliver every due row of one edition's send; :meth:`run` returns ``done`` or ``paused``."""

    def __init__(
        self,
        db: Engine,
        edition: str,
        prepared: PreparedMessage,
        transport: Transport,
        unsubscribe_url: Callable[[int], str],
        *,
        options: EngineOptions | None = None,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        progress: Callable[[Progress], None] | None = None,
        return_path: Callable[[int], str] | None = None,
    ) -> None:
        self.db = db
        self.edition = edition
        self.prepared = prepared
        self.transport = transport
        self.unsubscribe_url = unsubscribe_url
        #: Delivery id -> VERP envelope sender (linked.delivery.returnpath); None = the From.
        self.return_path = return_path
        self.options = options or EngineOptions()
        self.limiter = limiter or RateLimiter()
        self.breaker: Breaker = breaker or transport.breaker or CircuitBreaker()
        self.on_progress = progress
        self.progress = Progress()
        self.owner = new_owner()
        self.paused = False
        #: The session-level refusal that stopped this run, raised by :meth:`run`.
        self.refused: SessionRefused | None = None
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=self.options.claim_batch)
        self._unsent: list[Job] = []
        self.recorder = Recorder(
            db,
            max_attempts=self.options.max_attempts,
            retry_base_seconds=self.options.retry_base_seconds,
            on_commit=self._count,
        )

    # The run ---------------------------------------------------------------

    async def run(self) -> SendStatus:
        """Send until no row is left to send (``done``) or the send is paused (``paused``)."""
        if await asyncio.to_thread(store.send_status, self.db, self.edition) == SendStatus.paused:
            return SendStatus.paused
        await asyncio.to_thread(store.recover, self.db, self.edition)
        await asyncio.to_thread(store.set_send_status, self.db, self.edition, SendStatus.running)
        await self._load_counts()
        self._report()
        feeder = asyncio.create_task(self._feed(), name="feeder")
        helpers: list[asyncio.Task[None]] = [
            asyncio.create_task(self._work(), name=f"worker-{i}")
            for i in range(self.options.workers)
        ]
        helpers.append(asyncio.create_task(self.recorder.run(), name="recorder"))
        helpers.append(asyncio.create_task(self._watch(), name="watcher"))
        try:
            await asyncio.wait([feeder, *helpers], return_when=asyncio.FIRST_COMPLETED)
            for task in helpers:
                # A helper only ends by failing: stop and surface its error.
                if task.done() and (error := task.exception()) is not None:
                    raise error
            result = await feeder
        finally:
            feeder.cancel()
            for task in helpers:
                task.cancel()
            await asyncio.gather(feeder, *helpers, return_exceptions=True)
            while not self._queue.empty():
                self._unsent.append(self._queue.get_nowait())
            await asyncio.to_thread(
                store.release, self.db, self.owner, [job.id for job in self._unsent]
            )
            await asyncio.to_thread(store.set_pacing, self.db, self.edition, self.pacing())
        if self.refused is not None:
            raise self.refused
        if result == SendStatus.done:
            await asyncio.to_thread(store.set_send_status, self.db, self.edition, SendStatus.done)
        return result

    async def _load_counts(self) -> Counter[str]:
        counts = await asyncio.to_thread(report.counts, self.db, self.edition)
        self.progress.load(counts)
        return counts

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def pacing(self) -> str:
        """The connections and rate in use and why, or "" while nothing limits them."""
        parts = (self.transport.describe(), self.limiter.describe())
        return "; ".join(part for part in parts if part)

    def _note_pacing(self) -> None:
        if (pacing := self.pacing()) != self.progress.pacing:
            self.progress.pacing = pacing
            self._report()

    def _halt(self, refused: SessionRefused) -> None:
        """A session-level refusal: stop every worker; rows not sent stay as they were."""
        if self.refused is None:
            self.refused = refused
            self.progress.waiting = str(refused)
            self._report()
        self.paused = True

    # Feeder: claims batches and decides when the send is done --------------

    async def _feed(self) -> SendStatus:
        options = self.options
        while not self.paused:
            jobs = await asyncio.to_thread(
                store.claim,
                self.db,
                self.edition,
                self.owner,
                options.claim_batch,
                options.lease_seconds,
            )
            if jobs:
                for job in jobs:
                    await self._queue.put(job)
                continue
            await self._queue.join()  # let in-flight rows finish before judging
            counts = await self._load_counts()
            left = sum(counts[s] for s in OPEN_STATES)
            if left == 0:
                self._report()
                return SendStatus.done
            due = await asyncio.to_thread(store.next_due, self.db, self.edition)
            wait = options.poll_seconds
            if due is not None and not counts[D.queued] and not counts[D.sending]:
                wait = max(0.0, (due - utcnow()).total_seconds())
                self.progress.waiting = f"{counts[D.deferred]} deferred, next try at {due:%H:%M:%S}"
                self._report()
            await self._sleep(min(wait, 60.0))
        await self._queue.join()
        return SendStatus.paused

    async def _sleep(self, seconds: float) -> None:
        """Sleep, waking early if the send is paused."""
        end = time.monotonic() + seconds
        while not self.paused and (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(left, self.options.poll_seconds))

    # Workers -----------------------------------------------------------------

    async def _work(self) -> None:
        """Take rows from the queue and send them, one at a time.

        With ``overlap_recording`` a worker hands over each outcome as soon as it
        has it and sends its next message while that outcome is being committed; but
        before a message leaves, every outcome older than the last one must be
        committed (:meth:`_settle`): never more than two uncommitted messages per
        worker. On the SMTP pool without a rate limit, a worker also takes the next
        row (``following``) before sending, so that row's envelope can follow this
        message's end of data on the same connection (only its envelope: its message
        goes out on its own turn, so the bound holds).
        """
        pending: deque[asyncio.Future[None]] = deque()  # handed-over outcomes, oldest first
        following: Job | None = None
        lane = self.transport.lane()
        try:
            while True:
                if following is not None:
                    job, following = following, None
                else:
                    try:
                        job = self._queue.get_nowait()
                    except asyncio.QueueEmpty:
                        await self._settle(pending, 0)  # nothing to overlap with
                        job = await self._queue.get()
                if lane and self.limiter.unlimited and not self.paused and self._queue.qsize():
                    following = self._queue.get_nowait()
                outcome = None
                if not self.paused:
                    outcome = await self._deliver(job, lane, following, pending)
                if outcome is None:
                    self._unsent.append(job)
                    self._queue.task_done()
                    continue
                pending.append(self.recorder.submit(job, outcome))
                if not self.options.overlap_recording:
                    await self._settle(pending, 0)
        finally:
            if lane is not None:
                lane.release()
            if following is not None:  # only its envelope can have left: it was not sent
                self._unsent.append(following)
            for future in pending:
                if not future.done():
                    future.cancel()

    async def _settle(self, pending: deque[asyncio.Future[None]], keep: int) -> None:
        """Wait until at most ``keep`` handed-over outcomes are uncommitted (oldest first).

        Each committed one marks its row's queue item done.
        """
        while len(pending) > keep:
            try:
                await pending[0]
            finally:
                pending.popleft()
                self._queue.task_done()

    async def _deliver(
        self,
        job: Job,
        lane: Lane | None = None,
        following: Job | None = None,
        pending: deque[asyncio.Future[None]] | None = None,
    ) -> Outcome | None:
        """Send one row's message; None when the send was paused before it left.

        Before it leaves, all of ``pending`` but the newest must be committed. Any
        error while personalising, encoding or sending this one message fails this
        row with the reason (:func:`failed`); the send goes on.
        """
        try:
            recipient = Recipient(job.email, job.name, self.unsubscribe_url(job.subscriber_id))
            message = self.prepared.render(recipient)
        except Exception as exc:  # this recipient's values cannot make a message
            return failed(exc)
        drops = throttles = 0
        pace = self.limiter.pace
        while True:
            await self.breaker.wait()
            if self.paused:
                return None
            await self.limiter.acquire()
            if self.paused:
                pace.other()
                return None
            if pending:
                await self._settle(pending, 1)
            try:
                reply = await self._send(job, message, lane, following)
            except SessionRefused as exc:
                pace.other()
                self._halt(exc)
                return None
            except ConnectionFailure as exc:
                pace.other()
                if exc.during_message:
                    drops += 1
                    if drops >= MAX_DROPS:
                        return Outcome(OutcomeKind.temporary, exc.reply, exc.code)
                elif exc.limited:
                    self._note_pacing()
                elif self.progress.waiting != (waiting := f"SMTP server unreachable: {exc.reply}"):
                    self.progress.waiting = waiting
                    self._report()
                continue
            except Throttled as exc:
                throttles += 1
                if throttles >= MAX_THROTTLES:
                    pace.other()
                    return Outcome(OutcomeKind.temporary, exc.reply, exc.code)
                pace.throttled(exc.reply)
                self._note_pacing()
                continue
            except TransportError as exc:
                pace.other()
                kind = OutcomeKind.permanent if exc.permanent else OutcomeKind.temporary
                return Outcome(kind, exc.reply, exc.code)
            except Exception as exc:  # a fault with this message only: fail its row, go on
                pace.other()
                return failed(exc)
            pace.accepted()
            if pace.active:
                self._note_pacing()
            if self.progress.waiting:
                self.progress.waiting = ""
            return Outcome(OutcomeKind.sent, reply)

    def _sender(self, job: Job) -> str:
        """The envelope sender: the row's VERP return path, else the message's From."""
        if self.return_path is None:
            return self.prepared.envelope_sender
        return self.return_path(job.id)

    async def _send(
        self, job: Job, message: bytes, lane: Lane | None, following: Job | None
    ) -> str:
        sender = self._sender(job)
        if lane is not None:
            # PreparedMessage.render ends every line in CRLF and starts none with a dot.
            return await lane.send_reply(
                sender,
                [job.email],
                message,
                prepared=True,
                then=[following.email] if following is not None else None,
                then_sender=self._sender(following) if following is not None else None,
            )
        await self.transport.send(sender, [job.email], message)
        return "accepted"

    # Counting what the recorder committed --------------------------------------

    def _count(self, batch: Batch, counts: dict[str, int]) -> None:
        progress = self.progress
        progress.sent += counts.get(D.sent, 0)
        progress.sent_now += counts.get(D.sent, 0)
        progress.failed += counts.get(D.failed, 0)
        retried = sum(1 for job, _, _ in batch if job.attempts > 0)
        progress.deferred += counts.get(D.deferred, 0) - retried
        progress.deferred = max(progress.deferred, 0)
        self._report()

    # Watcher: pause flag and lease renewal -----------------------------------

    async def _watch(self) -> None:
        renewed = time.monotonic()
        written: str | None = None
        while True:
            await asyncio.sleep(self.options.poll_seconds)
            if (pacing := self.pacing()) != written:
                await asyncio.to_thread(store.set_pacing, self.db, self.edition, pacing)
                written = pacing
            status = await asyncio.to_thread(store.send_status, self.db, self.edition)
            if status == SendStatus.paused:
                self.paused = True
            if time.monotonic() - renewed > self.options.lease_seconds / 3:
                await asyncio.to_thread(
                    store.renew, self.db, self.owner, self.options.lease_seconds
                )
                renewed = time.monotonic()
