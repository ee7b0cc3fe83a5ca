"""ZHIBU_WORKERS=N: answer updates in N processes, for when one Python process is the bottleneck.

One process's event loop tops out at 900-1,500 updates/s for repeated questions and 600-800/s for new
ones on a 2-core machine (docs/benchmarks.md); the GIL keeps a second thread from helping. So the bot can run as N processes:

  - the **primary** (this process) polls getUpdates itself, reading Telegram's JSON without turning it
    into PTB objects, and routes each update with handlers.telegram.shards.shard_of(): a private chat user's
    updates always to the same process (their conversation state lives there); groups, admins, uploads
    and reminder commands to the primary, which alone runs the reminder clock and the build worker;
  - each **worker** is a spawned process running its own PTB Application (same handlers, rate limiter and
    error handler, its own query-log writer on the shared SQLite file) fed through its update_queue, the
    way PTB's custom-update-source examples do;
  - a reload, upload or rollback swaps the primary's content, which then sends the same validated version
    (pickled, ~0.6 MB for the shipped files) to every worker: no worker re-reads the files, so all
    processes answer from one version, and a broken file never reaches any of them;
  - a worker reports each update it has handled (its reply sent); when a worker dies, the primary answers
    the updates it had been given and had not reported, and its users until it is back (restarted after
    1 s, then longer). Nothing is lost; an update is answered twice only if the worker died between
    sending the reply and reporting it.

The outgoing rate limit (ZHIBU_RATE_PER_SECOND) is split evenly, so N processes together keep Telegram's.
Webhook mode stays one process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import pickle
import signal
import socket
import time
from dataclasses import replace

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.telegram import shards
from handlers.content.build_worker import Built
from handlers.telegram.http import AiohttpRequest
from handlers.telegram.reminders import seconds_of
from handlers.telegram.worker_process import worker_main

log = logging.getLogger("zhibu.workers")

POLL_TIMEOUT = 10                          # seconds getUpdates waits for news (PTB's run_polling default)
READY_TIMEOUT = 60.0                       # seconds the primary waits for its workers before polling anyway
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
HEALTHY_AFTER = 60.0                       # seconds up after which a worker's next restart waits 1 s again
STOP_TIMEOUT = 30.0                        # seconds a worker gets to finish its queue and flush its log
POLL_ERROR_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)


def content_blob(content) -> bytes:
    """The live Content as workers receive it: a Built (everything but the compiled rulesets)."""
    built = Built(kb=content.kb, matcher=content.matcher,
                  policies=content.engine.policies if content.engine is not None else None,
                  reminders=content.reminders, version=content.version)
    return pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL)


def per_process(settings):
    """Each process's share of the outgoing rate cap (0 = no cap stays 0)."""
    return replace(settings, rate_per_second=settings.rate_per_second / settings.workers)


# -- the primary's view of one worker ------------------------------------------------------------------

class Worker:
    """One child process and the socket to it; restarted when it dies, until the bot stops."""

    def __init__(self, index: int, settings, latest_blob, orphans):
        self.index = index
        self.settings = settings
        self.latest_blob = latest_blob  # callable() -> the content blob to start with
        self.orphans = orphans          # async callable(list of raw updates) for what a dead worker left
        self.given: dict[int, dict] = {}  # update id -> raw update, handed over and not yet reported done
        self.proc = None
        self.writer = None
        self.ready = asyncio.Event()
        self.ready_at = 0.0
        self.progress_at = 0.0  # last time it reported an update handled (or took its first one)
        self.stopping = False
        self.restarts = 0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Spawn the process; if that fails, try again later (its users stay with the primary meanwhile)."""
        try:
            await self._spawn()
        except Exception:  # noqa: BLE001
            log.exception("worker %d could not start", self.index)
            self._task = asyncio.create_task(self._restart_later(), name=f"worker-{self.index}-restart")

    async def _spawn(self) -> None:
        parent, child = socket.socketpair()
        context = multiprocessing.get_context("spawn")  # a clean interpreter: no event loop, threads or locks
        self.proc = context.Process(target=worker_main, args=(child, self.index, self.settings),
                                    name=f"zhibu-worker-{self.index}", daemon=True)
        self.proc.start()
        child.close()
        reader, self.writer = await asyncio.open_unix_connection(sock=parent)
        self.writer.write(shards.frame(shards.CONTENT, self.latest_blob()))
        self._task = asyncio.create_task(self._listen(reader), name=f"worker-{self.index}-listen")

    async def _listen(self, reader) -> None:
        while (got := await shards.read_frame(reader)) is not None:
            kind, payload = got
            if kind == shards.DONE:
                self.progress_at = time.monotonic()
                for update_id in shards.unpack_ids(payload):
                    self.given.pop(update_id, None)
            elif kind == shards.READY:
                self.ready_at = time.monotonic()
                self.ready.set()
                log.info("worker %d ready (pid %d)", self.index, self.proc.pid)
        self.ready.clear()
        self.writer.close()
        left, self.given = sorted(self.given.values(), key=lambda u: u["update_id"]), {}
        if left:
            log.warning("worker %d left %d update(s) unanswered: the primary answers them", self.index, len(left))
            await self.orphans(left)
        await asyncio.get_running_loop().run_in_executor(None, self.proc.join, 5)
        if self.stopping:
            return
        if self.ready_at and time.monotonic() - self.ready_at > HEALTHY_AFTER:
            self.restarts = 0  # it had been fine for a while: this is not a crash loop
        log.error("worker %d exited (code %s); its users go to the primary until it is back",
                  self.index, self.proc.exitcode)
        await self._restart_later()

    async def _restart_later(self) -> None:
        delay = RESTART_DELAYS[min(self.restarts, len(RESTART_DELAYS) - 1)]
        self.restarts += 1
        log.warning("restarting worker %d in %.0f s", self.index, delay)
        await asyncio.sleep(delay)
        if not self.stopping:
            await self.start()

    def stalled(self, now: float, limit: float) -> bool:
        """Updates in hand and none reported handled for `limit` seconds: hung (flood waits end well before the default 600 s)."""
        return bool(self.given) and self.ready.is_set() and now - self.progress_at > limit

    def kill(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()  # its socket closes; _listen hands its updates to the primary and restarts it

    def send(self, kind: bytes, payload: bytes = b"") -> bool:
        if self.writer is None or self.writer.is_closing():
            return False
        self.writer.write(shards.frame(kind, payload))
        return True

    def give(self, batch: list[dict]) -> bool:
        """Hand raw updates over; False (nothing handed) while the worker is not taking any."""
        if not self.ready.is_set() or not self.send(shards.UPDATES, json.dumps(batch).encode()):
            return False
        if not self.given:
            self.progress_at = time.monotonic()
        for data in batch:
            self.given[data["update_id"]] = data
        return True

    async def stop(self) -> None:
        """Let it finish what it was given, flush its query log and exit; kill it if it will not."""
        self.stopping = True
        if self.proc is None:
            return
        self.send(shards.STOP)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.proc.join, STOP_TIMEOUT)
        if self.proc.is_alive():
            log.error("worker %d did not stop in %.0f s: killing it", self.index, STOP_TIMEOUT)
            self.proc.kill()
            await loop.run_in_executor(None, self.proc.join, 5)
        if self._task is not None:
            self._task.cancel()
        if self.writer is not None:
            self.writer.close()


class Router:
    """Hands raw updates to the process that owns them: the primary's own Application or a Worker, and
    the live content to every worker (`blob`: what a worker that starts now is given)."""

    def __init__(self, app, settings, blob: bytes):
        self.app = app
        self.settings = settings
        self.blob = blob
        self.workers = [Worker(i, settings, lambda: self.blob, self.answer_here) for i in range(1, settings.workers)]

    async def dispatch(self, updates: list[dict]) -> None:
        batches: list[list[dict]] = [[] for _ in range(self.settings.workers)]
        for data in updates:
            try:
                shard = shards.shard_of(data, self.settings.workers, self.settings.admin_ids)
            except Exception:  # noqa: BLE001  (an update routing cannot read: the primary's PTB deals with it)
                log.exception("could not route update %s", data.get("update_id"))
                shard = shards.PRIMARY
            batches[shard].append(data)
        own = batches[shards.PRIMARY]
        for worker, batch in zip(self.workers, batches[1:]):
            if batch and not worker.give(batch):
                own.extend(batch)  # its process is (re)starting: the primary answers meanwhile
        await self.answer_here(own)

    async def answer_here(self, updates: list[dict]) -> None:
        for data in updates:
            await self.app.update_queue.put(Update.de_json(data, self.app.bot))

    def publish(self, blob: bytes) -> None:
        self.blob = blob
        for worker in self.workers:
            worker.send(shards.CONTENT, blob)


async def poll(app, router: Router) -> None:
    """Long polling as PTB's Updater does it, but routing Telegram's JSON before anything parses it."""
    request = AiohttpRequest(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 5)
    await request.initialize()
    url = f"{app.bot.base_url}/getUpdates"
    allowed = RequestParameter.from_input("allowed_updates", Update.ALL_TYPES)
    errors, offset = 0, 0
    try:
        while True:
            parameters = [RequestParameter.from_input("timeout", POLL_TIMEOUT), allowed]
            if offset:
                parameters.append(RequestParameter.from_input("offset", offset))
            try:
                updates = await request.post(url, RequestData(parameters))
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(seconds_of(exc.retry_after))
                continue
            except TimedOut:
                continue
            except TelegramError as exc:  # Conflict (another instance polling), a server error, no network
                delay = POLL_ERROR_DELAYS[min(errors, len(POLL_ERROR_DELAYS) - 1)]
                errors += 1
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            errors = 0
            if updates:
                offset = updates[-1]["update_id"] + 1
                try:
                    await router.dispatch(updates)
                except Exception:  # noqa: BLE001  (a bug here must not stop the bot; never seen)
                    log.exception("could not route updates %s", [u.get("update_id") for u in updates])
    finally:
        if offset:  # tell Telegram what was taken, as PTB's Updater does when it stops
            try:
                await request.post(url, RequestData([RequestParameter.from_input("offset", offset),
                                                     RequestParameter.from_input("timeout", 0)]))
            except Exception:  # noqa: BLE001  (best effort: the next start may see them again)
                log.warning("could not confirm the last updates on shutdown", exc_info=True)
        await request.shutdown()


async def run_primary(app, svc) -> None:
    """Start the workers and the primary's own Application, poll until SIGINT/SIGTERM, stop it all."""
    settings = svc.settings
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    router = Router(app, settings, content_blob(svc.assistant.content))
    workers = router.workers

    def on_swap(content) -> None:  # in whatever thread published it (reloads run in an executor)
        blob = content_blob(content)
        if not loop.is_closed():
            loop.call_soon_threadsafe(router.publish, blob)

    svc.assistant.on_swap = on_swap
    for worker in workers:
        await worker.start()
    try:
        async with app:  # getMe: a revoked token raises InvalidToken here
            if app.post_init:
                await app.post_init(app)
            await app.bot.delete_webhook()
            await app.start()
            halt = asyncio.create_task(stopped.wait())
            try:
                await _wait_ready(workers, halt)
                poller = asyncio.create_task(poll(app, router), name="poll")
                watchdog = asyncio.create_task(watch_stalls(workers, settings.worker_stall_seconds))
                await asyncio.wait({poller, halt}, return_when=asyncio.FIRST_COMPLETED)
                poller.cancel()
                halt.cancel()
                watchdog.cancel()
                try:
                    await poller
                except asyncio.CancelledError:
                    pass
            finally:
                await asyncio.gather(*(w.stop() for w in workers))
                await app.stop()
            if app.post_shutdown:
                await app.post_shutdown(app)
    finally:
        for worker in workers:
            worker.stopping = True
            worker.kill()


async def watch_stalls(workers: list[Worker], limit: float) -> None:
    """Kill a worker that holds updates and has handled none for `limit` seconds, so its users are answered."""
    while True:
        await asyncio.sleep(min(5.0, limit / 2))
        now = time.monotonic()
        for worker in workers:
            if worker.stalled(now, limit):
                log.error("worker %d handled nothing for %.0f s with %d update(s) in hand: restarting it",
                          worker.index, limit, len(worker.given))
                worker.kill()


async def _wait_ready(workers: list[Worker], halt: asyncio.Task) -> None:
    """Until every worker is ready, READY_TIMEOUT passes or the bot is asked to stop."""
    pending = {asyncio.create_task(w.ready.wait()) for w in workers}
    deadline = time.monotonic() + READY_TIMEOUT
    while pending and not halt.done() and time.monotonic() < deadline:
        _, pending = await asyncio.wait(pending | {halt}, timeout=deadline - time.monotonic(),
                                        return_when=asyncio.FIRST_COMPLETED)
        pending.discard(halt)
    late = [task for task in pending if not task.done()]
    for task in late:
        task.cancel()
    if late and not halt.done():
        log.error("%d worker(s) not ready after %.0f s: the primary answers their users until they are",
                  len(late), READY_TIMEOUT)
