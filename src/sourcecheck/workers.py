"""Worker processes driven from the event loop: a call goes out on a socket, its answer comes
back on the same socket, and the loop reads it when it arrives.

Not ``concurrent.futures.ProcessPoolExecutor``: its answers pass through a thread of the run's
process that must take the GIL for each one, and while the run's own thread is busy (fetching,
reading pages) that thread gets it only every 5 ms (Python's switch interval). 500 pages took
3.5 s that way, where their work alone takes half of it. Here the loop reads each answer itself,
and a worker is sent its next call as soon as it has answered.

The run's end of each socket never blocks: a call larger than the socket's buffer (a 20 MB page)
is written as the worker reads it, and answers are read meanwhile, so neither side can wait on
the other. A worker works with ``multiprocessing.Connection`` (blocking, the same framing).

A worker that dies (or cannot start) leaves its calls, and every later one, to the run's own
process. Workers ignore Ctrl-C, and end when the run closes its end of their socket, or dies.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import signal
import socket
import struct
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any

Call = tuple[Callable[..., Any], tuple[Any, ...]]

# Calls a worker holds at once: the one it works on and the next, so that it need not wait for
# this process to read an answer before it has more to do. More would leave this process idle
# while the worker works through a backlog (a run of 8 sources at a time on real pages took
# 16.8 s with 8, 11.0 s with 2); fewer would leave the worker idle between answers.
DEPTH = 2


def _serve(
    conn: Connection, warm: Callable[[], None] | None, inherited: list[socket.socket]
) -> None:
    """A worker's life: answer each call with ("ok", value) or ("raised", exception), until
    the run's end of the socket is closed."""
    for other in inherited:  # the run's ends of the sockets, copied by fork: the run's alone
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    if warm is not None:
        warm()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):  # the run is done, or gone
            return
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except Exception as exc:  # the run's process raises it, as if called there
            answer = ("raised", exc)
        try:
            payload = ForkingPickler.dumps(answer)
        except Exception as exc:  # an answer that cannot be pickled
            payload = ForkingPickler.dumps(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
        try:
            conn.send_bytes(payload)
        except OSError:  # the run is gone
            return


def _frame(payload: bytes | memoryview) -> bytes:
    """A message as ``Connection.recv_bytes`` reads it: its length, then itself."""
    if len(payload) > 0x7FFFFFFF:
        return struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload
    return struct.pack("!i", len(payload)) + payload


def _unframe(buffer: bytearray) -> bytes | None:
    """The first whole message in ``buffer``, taken out of it; None if none is whole yet."""
    if len(buffer) < 4:
        return None
    (size,) = struct.unpack("!i", buffer[:4])
    head = 4
    if size == -1:
        if len(buffer) < 12:
            return None
        (size,) = struct.unpack("!Q", buffer[4:12])
        head = 12
    if len(buffer) < head + size:
        return None
    payload = bytes(buffer[head : head + size])
    del buffer[: head + size]
    return payload


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
    sock: socket.socket  # the run's end, non-blocking
    sent: deque[tuple[Call, asyncio.Future[Any]]] = field(default_factory=deque)  # unanswered
    out: bytearray = field(default_factory=bytearray)  # calls not yet written
    into: bytearray = field(default_factory=bytearray)  # answers not yet whole
    writing: bool = False  # the loop is told to call back when the socket takes more
    alive: bool = True


class Workers:
    """``n`` worker processes (see ``_start_method``), each running ``warm`` when it starts,
    and ``run(fn, *args)`` to call a module-level function in one."""

    def __init__(self, n: int, warm: Callable[[], None] | None = None) -> None:
        self._n, self._warm = n, warm
        self._workers: list[_Worker] = []
        self._queue: deque[tuple[Call, asyncio.Future[Any]]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start the workers now, so that they are ready when the first call comes."""
        if len(self._workers) >= self._n:
            return
        method = _start_method()
        context = multiprocessing.get_context(method)
        while len(self._workers) < self._n:
            mine, theirs = socket.socketpair()
            child = Connection(theirs.detach())
            # A forked worker gets a copy of every socket of the run: it closes the run's ends.
            inherited = [w.sock for w in self._workers] + [mine] if method == "fork" else []
            process: BaseProcess = context.Process(  # type: ignore[attr-defined]
                target=_serve, args=(child, self._warm, inherited), daemon=True
            )
            try:
                process.start()
            except OSError:  # no process to be had: the run does the work itself
                mine.close()
                self._n = len(self._workers)
                break
            finally:
                child.close()  # the worker's end is the worker's alone: its death is an EOF
            mine.setblocking(False)
            self._workers.append(_Worker(process, mine))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker when one is alive, else here."""
        self.start()
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            for worker in self._workers:
                if worker.alive:
                    worker.writing = False
                    loop.add_reader(worker.sock.fileno(), self._read, worker)
        for worker in self._workers:  # answers that came during this loop turn: read now
            self._read(worker)
        waiting = sum(not future.done() for _, future in self._queue)
        if waiting >= sum(w.alive for w in self._workers):
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
                if future.done():
                    continue
                worker.out += _frame(ForkingPickler.dumps(call))
                worker.sent.append((call, future))
                self._write(worker)
        if not any(w.alive for w in self._workers):
            self._run_here()

    def _write(self, worker: _Worker) -> None:
        """Write what the socket takes now; the loop calls back when it takes more."""
        while worker.alive and worker.out:
            try:
                written = worker.sock.send(worker.out)
            except BlockingIOError:
                break
            except OSError:  # it died
                self._lost(worker)
                self._dispatch()
                return
            del worker.out[:written]
        if self._loop is None or not worker.alive or worker.writing == bool(worker.out):
            return
        worker.writing = bool(worker.out)
        if worker.writing:
            self._loop.add_writer(worker.sock.fileno(), self._write, worker)
        else:
            self._loop.remove_writer(worker.sock.fileno())

    def _read(self, worker: _Worker) -> None:
        """Take in every answer there is to read now (none may be: the loop can say
        "readable" for what ``run`` has read meanwhile)."""
        while worker.alive:
            try:
                chunk = worker.sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:  # it died
                self._lost(worker)
                self._dispatch()
                return
            worker.into += chunk
            while worker.alive and (payload := _unframe(worker.into)) is not None:
                self._answer(worker, payload)

    def _answer(self, worker: _Worker, payload: bytes) -> None:
        _, future = worker.sent.popleft()
        try:
            kind, value = pickle.loads(payload)
        except Exception as exc:  # e.g. an exception that cannot be made again here
            kind, value = "raised", RuntimeError(f"an answer that cannot be read: {exc!r}")
        if not future.done():
            if kind == "ok":
                future.set_result(value)
            else:
                future.set_exception(value)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """A worker gone: what it had not answered is done elsewhere."""
        if not worker.alive:
            return
        worker.alive = False
        self._queue.extendleft(reversed(worker.sent))
        worker.sent.clear()
        if self._loop is not None:
            self._loop.remove_reader(worker.sock.fileno())
            self._loop.remove_writer(worker.sock.fileno())
        worker.sock.close()

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
        """Stop every worker: the run's end of its socket closed, it ends when it is idle (a
        busy one is given a second, then terminated). Calls not answered are cancelled."""
        for worker in self._workers:
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
