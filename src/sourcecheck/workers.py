"""Worker processes driven from the event loop: a call goes out on a pipe, its answer comes back
on the same pipe, and the loop reads it when it arrives.

Not ``concurrent.futures.ProcessPoolExecutor``: its answers pass through a thread of the run's
process that must take the GIL for each one, and while the run's own thread is busy (fetching,
reading pages) that thread gets it only every 5 ms (Python's switch interval). 500 pages took
3.5 s that way, where their work alone takes half of it. Here the loop reads each answer itself,
and a worker is sent its next call as soon as it has answered.

A worker that dies (or cannot start) leaves its call, and every later one, to the run's own
process. Workers ignore Ctrl-C: the run stops them when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Call = tuple[Callable[..., Any], tuple[Any, ...]]


def _serve(conn: Connection, warm: Callable[[], None] | None) -> None:
    """A worker's life: answer each call with ("ok", value) or ("raised", exception)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    if warm is not None:
        warm()
    while True:
        try:
            call: Call | None = conn.recv()
        except (EOFError, OSError):  # the run is gone
            return
        if call is None:
            return
        fn, args = call
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except Exception as exc:  # the run's process raises it, as if called there
            answer = ("raised", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an answer that cannot be pickled
            conn.send(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))


# Calls a worker holds at once: the one it works on and the next, so that it need not wait for
# this process to read an answer before it has more to do. More would leave this process idle
# while the worker works through a backlog (a run of 8 sources at a time on real pages took
# 16.8 s with 8, 11.0 s with 2); fewer would leave the worker idle between answers.
DEPTH = 2


def _start_method() -> str:
    """How a worker is started: forked from this process on Linux while it has one thread
    (a copy of a process in which no other thread can hold a lock is safe, and it starts in
    milliseconds with every module already imported); else from the fork server, or spawned
    (a new Python, which imports what it needs: 0.3-0.5 s before it can work)."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    sent: deque[tuple[Call, asyncio.Future[Any]]] = field(default_factory=deque)  # unanswered
    alive: bool = True


class Workers:
    """``n`` worker processes (see ``_start_method``), each running
    ``warm`` when it starts, and ``run(fn, *args)`` to call a module-level function in one."""

    def __init__(self, n: int, warm: Callable[[], None] | None = None) -> None:
        self._n, self._warm = n, warm
        self._workers: list[_Worker] = []
        self._queue: deque[tuple[Call, asyncio.Future[Any]]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start the workers now, so that they are ready when the first call comes."""
        if len(self._workers) >= self._n:
            return
        context = multiprocessing.get_context(_start_method())
        while len(self._workers) < self._n:
            mine, theirs = context.Pipe()
            process: BaseProcess = context.Process(  # type: ignore[attr-defined]
                target=_serve, args=(theirs, self._warm), daemon=True
            )
            try:
                process.start()
            except OSError:  # no process to be had: the run does the work itself
                self._n = len(self._workers)
                break
            theirs.close()
            self._workers.append(_Worker(process, mine))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker when one is alive, else here."""
        self.start()
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            for worker in self._workers:
                if worker.alive:
                    loop.add_reader(worker.conn.fileno(), self._answered, worker)
        for worker in self._workers:  # answers that came during this loop turn: read now
            while worker.alive and worker.sent and worker.conn.poll(0):
                self._answered(worker)
        if len(self._queue) >= sum(w.alive for w in self._workers):
            # Every worker has its next calls already: this process makes this one itself
            # rather than wait.
            return fn(*args)
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append(((fn, args), future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        for worker in self._workers:
            while worker.alive and len(worker.sent) < DEPTH and self._queue:
                call, future = self._queue.popleft()
                if future.cancelled():
                    continue
                try:
                    worker.conn.send(call)
                except OSError:  # it died: the call goes back to the queue
                    self._queue.appendleft((call, future))
                    self._lost(worker)
                    break
                worker.sent.append((call, future))
        if not any(w.alive for w in self._workers):
            self._run_here()

    def _answered(self, worker: _Worker) -> None:
        try:
            # The loop may say "readable" for an answer that ``run`` has read meanwhile.
            if not worker.alive or not worker.conn.poll(0):
                return
            kind, value = worker.conn.recv()
        except (EOFError, OSError):  # it died: what it had not answered is done elsewhere
            self._queue.extendleft(reversed(worker.sent))
            self._lost(worker)
            self._dispatch()
            return
        _, future = worker.sent.popleft()
        if not future.done():
            if kind == "ok":
                future.set_result(value)
            else:
                future.set_exception(value)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        if not worker.alive:
            return
        worker.alive = False
        worker.sent.clear()
        if self._loop is not None:
            self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()

    def _run_here(self) -> None:
        """No worker is left: the queued calls are made in this process."""
        while self._queue:
            (fn, args), future = self._queue.popleft()
            if future.done():
                continue
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)

    def close(self) -> None:
        """Stop every worker (a busy one is given a second, then terminated)."""
        for worker in self._workers:
            if worker.alive:
                with contextlib.suppress(OSError):  # gone already
                    worker.conn.send(None)
                self._lost(worker)
        for worker in self._workers:
            worker.process.join(1.0)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()
        for _, future in self._queue:
            future.cancel()
        self._workers, self._n = [], 0
        self._queue.clear()
