"""Worker processes driven from the event loop: answers, errors, a worker that dies, the run's
own process taking calls when the workers have enough, and stopping."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sourcecheck import workers as workers_module
from sourcecheck.workers import DEPTH, Workers


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def square(n: int) -> int:
    return n * n


def fails(message: str) -> None:
    raise ValueError(message)


def unpicklable() -> Any:
    return lambda: None  # a lambda cannot be pickled


class NeedsTwo(Exception):
    """Pickled as NeedsTwo(*args) with one argument: it cannot be made again from its pickle."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a}/{b}")


def raises_needs_two() -> None:
    raise NeedsTwo("x", "y")


def dies_in_a_worker(run_pid: int, tag: str) -> str:
    if tag == "die" and os.getpid() != run_pid:
        time.sleep(0.05)
        os._exit(3)
    return f"{tag} in {'run' if os.getpid() == run_pid else 'worker'}"


def length(data: bytes) -> int:
    return len(data)


def many_bytes_after(seconds: float, n: int) -> bytes:
    time.sleep(seconds)
    return b"a" * n


def test_calls_are_answered_by_a_worker_in_order() -> None:
    async def go() -> tuple[list[int], list[int]]:
        workers = Workers(1)
        try:
            squares = await asyncio.gather(*(workers.run(square, n) for n in range(DEPTH)))
            pids = await asyncio.gather(*(workers.run(pid_after, 0.0) for _ in range(DEPTH)))
            return list(squares), list(pids)
        finally:
            workers.close()

    squares, pids = asyncio.run(go())
    assert squares == [n * n for n in range(DEPTH)]
    assert len(set(pids)) == 1 and pids[0] != os.getpid()


def test_an_error_in_a_worker_is_raised_in_the_caller() -> None:
    async def go() -> None:
        workers = Workers(1)
        try:
            await workers.run(fails, "bad page")
        finally:
            workers.close()

    with pytest.raises(ValueError, match="bad page"):
        asyncio.run(go())


def test_an_answer_that_cannot_be_pickled_is_an_error_not_a_hang() -> None:
    async def go() -> int:
        workers = Workers(1)
        try:
            with pytest.raises(RuntimeError, match="pickle"):
                await asyncio.wait_for(workers.run(unpicklable), 10)
            return int(await workers.run(square, 3))  # the worker is still there
        finally:
            workers.close()

    assert asyncio.run(go()) == 9


def test_when_every_worker_has_enough_the_run_makes_the_call_itself() -> None:
    async def go() -> list[int]:
        workers = Workers(1)
        try:
            # DEPTH calls go to the worker, one more waits for it; the next are made here.
            calls = [workers.run(pid_after, 0.3) for _ in range(DEPTH + 3)]
            return list(await asyncio.gather(*calls))
        finally:
            workers.close()

    pids = asyncio.run(go())
    here = [p for p in pids if p == os.getpid()]
    assert len(here) == 2 and len(set(pids)) == 2


def test_a_worker_that_dies_leaves_its_calls_to_the_run() -> None:
    async def go() -> tuple[list[int], bool]:
        workers = Workers(1)
        try:
            first = await workers.run(pid_after, 0.0)
            slow = [asyncio.ensure_future(workers.run(pid_after, 0.5)) for _ in range(3)]
            await asyncio.sleep(0.1)
            for worker in workers._workers:
                worker.process.kill()
                worker.process.join()
            later = await asyncio.wait_for(asyncio.gather(*slow), 10)
            after = await workers.run(pid_after, 0.0)
            return [first, *later, after], all(not w.alive for w in workers._workers)
        finally:
            workers.close()

    pids, all_dead = asyncio.run(go())
    assert pids[0] != os.getpid()
    assert pids[1:] == [os.getpid()] * 4  # done here once the worker was gone
    assert all_dead


def test_close_stops_every_worker_even_a_busy_one() -> None:
    async def go() -> list[Any]:
        workers = Workers(2)
        workers.start()
        processes = [w.process for w in workers._workers]
        busy = asyncio.ensure_future(workers.run(pid_after, 30.0))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        workers.close()
        assert time.monotonic() - started < 5
        busy.cancel()
        return processes

    processes = asyncio.run(go())
    assert len(processes) == 2 and not any(p.is_alive() for p in processes)


def test_a_cancelled_caller_does_not_disturb_the_next_calls() -> None:
    async def go() -> list[int]:
        workers = Workers(1)
        try:
            slow = asyncio.ensure_future(workers.run(pid_after, 0.3))
            await asyncio.sleep(0.05)
            slow.cancel()
            return [await workers.run(square, n) for n in range(4)]
        finally:
            workers.close()

    assert asyncio.run(go()) == [0, 1, 4, 9]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_workers_are_forked_only_from_a_process_with_one_thread() -> None:
    import sys

    single = threading.active_count() == 1  # other tests' servers may still be running
    alone = workers_module._start_method()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with_thread = workers_module._start_method()
    finally:
        stop.set()
        thread.join()
    assert with_thread in ("forkserver", "spawn")
    assert alone == ("fork" if sys.platform == "linux" and single else with_thread)


@pytest.mark.skipif(not hasattr(signal, "alarm"), reason="SIGALRM turns a hang into a failure")
def test_a_stale_readable_event_does_not_block_on_the_socket() -> None:
    # The loop may report a worker's pipe readable for an answer that ``run`` has read since.
    class Hung(Exception):  # not an OSError, which would pass for a dead worker
        pass

    def hung(signum: int, frame: Any) -> None:
        raise Hung("blocked reading a socket with nothing in it")

    async def go() -> int:
        workers = Workers(1)
        try:
            answer = int(await workers.run(square, 4))
            previous = signal.signal(signal.SIGALRM, hung)
            signal.alarm(5)
            try:
                workers._read(workers._workers[0])  # nothing to read: returns at once
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
            assert workers._workers[0].alive
            return answer + int(await workers.run(square, 2))
        finally:
            workers.close()

    assert asyncio.run(go()) == 20


def test_an_answer_that_cannot_be_read_here_fails_its_own_call_only() -> None:
    async def go() -> tuple[str, int]:
        workers = Workers(1)
        try:
            first = asyncio.ensure_future(workers.run(raises_needs_two))
            second = asyncio.ensure_future(workers.run(square, 7))
            with pytest.raises(RuntimeError, match="cannot be read") as raised:
                await first
            return str(raised.value), int(await second)
        finally:
            workers.close()

    reason, answer = asyncio.run(go())
    assert "NeedsTwo" in reason and answer == 49


def test_a_worker_that_dies_while_the_run_is_busy_loses_no_call() -> None:
    async def go() -> list[str]:
        workers = Workers(1)
        workers.start()
        try:
            await workers.run(square, 1)  # the worker is up
            me = os.getpid()
            calls = [
                asyncio.ensure_future(workers.run(dies_in_a_worker, me, tag))
                for tag in ("one", "die", "three")
            ]
            await asyncio.sleep(0)  # the first two are sent, the third waits
            time.sleep(0.5)  # this process busy while the worker answers, then dies
            return list(await asyncio.wait_for(asyncio.gather(*calls), 10))
        finally:
            workers.close()

    assert asyncio.run(go()) == ["one in worker", "die in run", "three in run"]


def test_a_large_call_neither_stops_the_loop_nor_deadlocks() -> None:
    page = b"x" * (20 * 2**20)  # far beyond a socket's buffer

    async def go() -> tuple[list[Any], float]:
        workers = Workers(1)
        try:
            await workers.run(square, 1)
            gaps: list[float] = []

            async def ticking() -> None:
                last = time.monotonic()
                for _ in range(150):
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    gaps.append(now - last)
                    last = now

            ticks = asyncio.ensure_future(ticking())
            # The worker is busy, then answers with 1 MB while the 20 MB call is being sent.
            busy = workers.run(many_bytes_after, 0.5, 2**20)
            answers = await asyncio.wait_for(asyncio.gather(busy, workers.run(length, page)), 20)
            await ticks
            return [len(answers[0]), answers[1]], max(gaps)
        finally:
            workers.close()

    answers, longest = asyncio.run(go())
    assert answers == [2**20, len(page)]
    assert longest < 0.4  # pickling 20 MB takes a moment; waiting for the worker does not


@pytest.mark.skipif(sys.platform != "linux", reason="/proc, and forked workers")
def test_workers_end_when_the_run_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(
        "import asyncio, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent.parent)!r})\n"
        "from sourcecheck.workers import Workers\n"
        "from tests.test_workers import square\n"
        "async def main():\n"
        "    workers = Workers(2)\n"
        "    await asyncio.gather(*(workers.run(square, n) for n in range(4)))\n"
        "    print(*(w.process.pid for w in workers._workers), flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n",
        encoding="utf-8",
    )
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as run:
        assert run.stdout is not None
        pids = [int(p) for p in run.stdout.readline().split()]
        run.send_signal(signal.SIGTERM)  # killed, as by a CI timeout: no close()
        run.wait()
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pids) == 2 and not any(_alive(p) for p in pids)
        assert run.stdout.read() == ""  # the run's output is closed: no worker holds it open


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
