"""Inside a worker process of ZHIBU_WORKERS (see handlers/telegram_workers.py for the design): a PTB
Application without an Updater, fed the raw updates the primary routes here, reporting each one handled."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import signal
import socket
from collections import deque

from telegram import Update

from handlers.telegram import shards
from handlers.content.admin import MAX_RETIRED

log = logging.getLogger("zhibu.workers")

CONCURRENT_UPDATES = 8                     # updates a worker handles at once (the Application's own setting)


def worker_main(sock: socket.socket, index: int, settings) -> None:
    """Entry point of a spawned worker. Ctrl-C reaches the whole process group, and a service manager's
    SIGTERM often does too: the primary decides when a worker stops (after finishing what it was given and
    flushing its query log), and a worker whose primary is gone stops the same way."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from handlers.runtime import setup_logging, use_fast_event_loop
    setup_logging()
    use_fast_event_loop()
    try:
        asyncio.run(_serve(sock, index, settings))
    except Exception:  # noqa: BLE001
        log.exception("worker %d failed", index)
        os._exit(1)


async def _serve(sock: socket.socket, index: int, settings) -> None:
    from handlers.core.pipeline import Assistant
    from handlers.runtime import freeze_heap, open_querylog
    from handlers.telegram.app import Services, build_application
    from handlers.telegram.workers import per_process

    reader, writer = await asyncio.open_unix_connection(sock=sock)
    first = await shards.read_frame(reader)
    if first is None or first[0] != shards.CONTENT:
        return  # the primary is gone already
    querylog = open_querylog()
    assistant = Assistant(pickle.loads(first[1]).content(), querylog)
    app = build_application(Services(assistant, per_process(settings), querylog), polling=False)
    freeze_heap()
    retired: deque = deque()
    slots = asyncio.Semaphore(CONCURRENT_UPDATES)
    running: set[asyncio.Task] = set()
    handled: list[int] = []  # update ids to report, sent together once per turn of the event loop
    loop = asyncio.get_running_loop()

    def report() -> None:
        writer.write(shards.frame(shards.DONE, shards.pack_ids(handled)))
        handled.clear()

    async def handle(data: dict) -> None:
        try:
            await app.process_update(Update.de_json(data, app.bot))  # handlers, rate limiter, error handler
        except Exception:  # noqa: BLE001  (an update PTB cannot even parse: report it done, never re-run it)
            log.exception("worker %d could not handle update %s", index, data.get("update_id"))
        finally:
            slots.release()
            if not handled:
                loop.call_soon(report)
            handled.append(data["update_id"])

    async with app:
        await app.start()
        writer.write(shards.frame(shards.READY))
        while (got := await shards.read_frame(reader)) is not None:
            kind, payload = got
            if kind == shards.UPDATES:
                for data in json.loads(payload):
                    await slots.acquire()
                    task = asyncio.create_task(handle(data))
                    running.add(task)
                    task.add_done_callback(running.discard)
            elif kind == shards.CONTENT:
                retired.append(assistant.swap(pickle.loads(payload).content()))
                while len(retired) > MAX_RETIRED:
                    retired.popleft().close()
                log.info("worker %d now answers from version %s", index, assistant.content.version)
            elif kind == shards.STOP:
                break
        await asyncio.gather(*running, return_exceptions=True)  # finish what was handed over
        await asyncio.sleep(0)  # the last report
        await app.stop()
    if querylog is not None:
        querylog.close()
