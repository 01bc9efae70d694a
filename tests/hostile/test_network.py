"""Network faults: a server that resets, stalls, never ends, bombs, loops, throttles and lies.

Each fault is served by ``FaultServer`` on 127.0.0.1 next to a good page, and checked through
the real ``verify`` command (CliRunner): the faulty source ends in a status with a reason, the
good one is still verified, the run ends in the time its --timeout allows, and memory stays
bounded (tracemalloc's peak over the run, in this process). ``links`` meets the same faults in
one run. Then the retries: what is retried, what never is, and Retry-After honoured.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import Response, Unavailable
from tests.hostile import fault_server as fs

runner = CliRunner()

QUOTE = "The program was activated in May."
GOOD = f"<!doctype html><html><body><p>{QUOTE}</p></body></html>".encode()
TIMEOUT = 2.0  # --timeout of every run: each fault must be given up within it
BUDGET = 15.0  # seconds a run may take: a few timeouts, and a loaded machine's margin
MEMORY = 100 * 1024 * 1024  # bytes a run may allocate at its peak (tracemalloc)
BASE = ("--allow-private", "--no-archive", "--no-cache", "--format", "json")
FAST = ("--timeout", str(TIMEOUT), "--max-retries", "0")


@dataclass(frozen=True)
class Fault:
    """A misbehaving path, what verify must make of it, and what links must."""

    name: str
    make: Callable[[], fs.Fault]
    status: str
    reason: str | None  # a fragment of the source's reason; None: no reason (a page read)
    verdict: str = "unavailable"  # the quote's verdict
    args: tuple[str, ...] = FAST
    link: tuple[str, str | None] | None = None  # (status, reason fragment) through links


def throttled(wait: Callable[[], str]) -> fs.Fault:
    """429 every time, with ``Retry-After: wait()`` (made at each request, as a date moves)."""

    def fault(conn: fs.Conn) -> None:
        conn.answer(
            b"<p>slow down</p>", "429 Too Many Requests", headers=(("Retry-After", wait()),)
        )

    return fault


LIMIT = "larger than the 20,971,520 byte limit"
# A link checker judges the status: a 200 whose body is over the limit is a working link (the
# body is still read no further than the limit).
LINK_OK_OVER_LIMIT = ("ok", None)
# How the system names a connection reset by the server ("[Errno 104] Connection reset by peer").
RESET = f"[Errno {errno.ECONNRESET}] {os.strerror(errno.ECONNRESET)}"
FAULTS = [
    Fault(
        "reset-mid-body",
        lambda: fs.reset_mid_body(GOOD * 200),
        "error",
        f"connection broken (ReadError: {RESET})",
        link=("error", "connection broken"),
    ),
    Fault(
        "stall",
        lambda: fs.stall(30),
        "error",
        "timed out",  # the read timeout or the whole request's, whichever comes first
        link=("error", "timed out"),
    ),
    Fault(
        "endless-trickle",
        lambda: fs.endless(b"<b>more</b>", 0.05),
        "error",
        f"timed out after {TIMEOUT:g} s",
        link=("error", "timed out"),
    ),
    Fault(
        "endless-flood",
        lambda: fs.endless(b"<b>more</b>" * 6000, 0),
        "error",
        LIMIT,
        # Not through links: run beside the others it reaches the size limit or the timeout first,
        # as the machine goes.
        link=None,
    ),
    Fault(
        "gzip-bomb",
        lambda: fs.encoded(fs.gzip_bomb, "gzip"),
        "error",
        LIMIT,
        link=LINK_OK_OVER_LIMIT,
    ),
    Fault(
        "deflate-bomb",
        lambda: fs.encoded(fs.deflate_bomb, "deflate"),
        "error",
        LIMIT,
        link=LINK_OK_OVER_LIMIT,
    ),
    Fault(
        "brotli-bomb",
        lambda: fs.encoded(fs.brotli_bomb, "br"),
        "error",
        LIMIT,
        link=LINK_OK_OVER_LIMIT,
    ),
    Fault(
        "redirect-loop",
        lambda: fs.redirect("/redirect-loop"),
        "error",
        "more than 10 redirects",
        link=("error", "more than 10 redirects"),
    ),
    Fault(
        "redirect-chain",
        lambda: fs.redirect("/chain/1"),
        "error",
        "more than 10 redirects",
        link=("error", "more than 10 redirects"),
    ),
    Fault(
        "429-retry-after-seconds",
        lambda: fs.status("429 Too Many Requests", headers=(("Retry-After", "3600"),)),
        "blocked",
        "HTTP 429, Retry-After 3600 s, over the 60 s waited",
        args=("--timeout", str(TIMEOUT)),  # retries on: the wait asked is what stops them
        link=("blocked", "HTTP 429"),  # links runs with --max-retries 0
    ),
    Fault(
        "429-retry-after-date",
        lambda: throttled(lambda: fs.http_date(7200)),
        "blocked",
        "HTTP 429, Retry-After 7",  # 7199 or 7200 s, as the second turns
        args=("--timeout", str(TIMEOUT)),
        link=("blocked", "HTTP 429"),  # links runs with --max-retries 0
    ),
    Fault(
        "503-flapping",
        lambda: fs.flapping(1000, GOOD),
        "error",
        "HTTP 503",
        link=("error", "HTTP 503"),
    ),
    Fault(
        "png-header-on-html",
        lambda: fs.page(GOOD, "image/png"),
        "error",
        "unsupported content type image/png",
        link=("ok", None),
    ),
    Fault(
        "html-as-octet-stream",
        lambda: fs.page(GOOD, "application/octet-stream"),
        "error",
        "unsupported content type application/octet-stream",
        link=("ok", None),
    ),
    Fault(
        "invalid-utf8",
        lambda: fs.page(b"<p>\xff\xfe\xc3(" + QUOTE.encode() + b"\x80</p>"),
        "ok",
        None,
        verdict="verified",
        link=("ok", None),
    ),
    Fault(
        "50-mb-page",
        lambda: fs.large(50 * fs.MIB),
        "error",
        LIMIT,
        link=LINK_OK_OVER_LIMIT,
    ),
    Fault(
        "binary-garbage",
        lambda: fs.page(fs.garbage()),
        "error",
        "binary content, not text/html (NUL bytes)",
        link=("ok", None),
    ),
    Fault(
        "nested-100000-deep",
        lambda: fs.page(fs.nested(100_000, f"<p>{QUOTE}</p>".encode())),
        "error",
        "HTML nested more than 4,096 elements deep: not parsed",
        link=("ok", None),
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fs.FaultServer]:
    with fs.FaultServer() as s:
        s.add("/good", fs.page(GOOD))
        s.add("/chain/20", fs.page(GOOD))
        for i in range(1, 20):  # /redirect-chain -> /chain/1 -> ... -> /chain/20: 20 hops
            s.add(f"/chain/{i}", fs.redirect(f"/chain/{i + 1}"))
        for fault in FAULTS:
            s.add(f"/{fault.name}", fault.make())
        # One run first, untraced: what it imports is not what a fault costs.
        good = s.base_url + "/good"
        warm = sources_yaml(tmp_path_factory.mktemp("warm"), good, good)
        runner.invoke(app, ["verify", str(warm), *BASE])
        yield s


def sources_yaml(tmp_path: Path, url: str, good: str) -> Path:
    path = tmp_path / "sources.yaml"
    quote = json.dumps(QUOTE)
    path.write_text(
        f"sources:\n  - id: faulty\n    url: {url}\n    quotes: [{quote}]\n"
        f"  - id: good\n    url: {good}\n    quotes: [{quote}]\n",
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Run:
    code: int
    doc: dict[str, Any]
    seconds: float
    peak: int  # bytes allocated at the peak of the run, above its start


def run(*args: str | Path) -> Run:
    """The real command in this process, timed, its allocations traced."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        result = runner.invoke(app, [str(a) for a in args])
        seconds = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr
    return Run(result.exit_code, json.loads(result.stdout), seconds, peak)


def verify(tmp_path: Path, server: fs.FaultServer, path: str, *args: str) -> Run:
    yaml = sources_yaml(tmp_path, server.base_url + path, server.base_url + "/good")
    return run("verify", yaml, *BASE, *args)


def by_id(doc: dict[str, Any]) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """id -> (source, verdicts of its quotes)."""
    return {
        s["id"]: (s, [q["verdict"] for q in doc["quotes"] if q["source"] == s["id"]])
        for s in doc["sources"]
    }


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_fault_is_a_status_with_a_reason_and_the_good_source_is_verified(
    tmp_path: Path, server: fs.FaultServer, fault: Fault
) -> None:
    got = verify(tmp_path, server, f"/{fault.name}", *fault.args)

    sources = by_id(got.doc)
    faulty, verdicts = sources["faulty"]
    assert faulty["status"] == fault.status, faulty
    if fault.reason is None:
        assert faulty["reason"] is None
    else:
        assert fault.reason in (faulty["reason"] or ""), faulty
    assert verdicts == [fault.verdict]
    good, good_verdicts = sources["good"]
    assert (good["status"], good_verdicts) == ("ok", ["verified"])
    assert got.code == (0 if fault.verdict == "verified" else 1)
    assert got.seconds < BUDGET, f"{fault.name}: {got.seconds:.1f} s"
    assert got.peak < MEMORY, f"{fault.name}: {got.peak / 2**20:.0f} MiB"
    print(f"{fault.name}: {got.seconds:.2f} s, peak {got.peak / 2**20:.1f} MiB")


def test_links_meets_every_fault_in_one_run(tmp_path: Path, server: fs.FaultServer) -> None:
    checked = [f for f in FAULTS if f.link is not None]
    txt = tmp_path / "links.txt"
    txt.write_text("".join(f"{server.base_url}/{f.name}\n" for f in checked), encoding="utf-8")

    got = run("links", txt, "--allow-private", "--no-archive", "--format", "json", *FAST)

    links = {link["url"].rsplit("/", 1)[1]: link for link in got.doc["links"]}
    for fault in checked:
        assert fault.link is not None
        status, reason = fault.link
        link = links[fault.name]
        assert link["status"] == status, (fault.name, link)
        assert (reason or "") in (link["reason"] or ""), (fault.name, link)
    assert got.code == 1
    assert got.seconds < BUDGET
    assert got.peak < MEMORY, f"{got.peak / 2**20:.0f} MiB"
    print(f"links, {len(checked)} faults: {got.seconds:.2f} s, peak {got.peak / 2**20:.1f} MiB")


# ----------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    ("retries", "status", "reason", "verdict", "requests"),
    [
        ("2", "ok", None, "verified", 3),
        ("1", "error", "HTTP 503, after 2 tries", "unavailable", 2),
        ("0", "error", "HTTP 503", "unavailable", 1),
    ],
)
def test_a_flapping_503_is_verified_when_retried_enough(
    tmp_path: Path,
    server: fs.FaultServer,
    retries: str,
    status: str,
    reason: str | None,
    verdict: str,
    requests: int,
) -> None:
    path = f"/flap/{retries}"
    server.add(path, fs.flapping(2, GOOD))  # Retry-After: 0, so no test waits

    got = verify(tmp_path, server, path, "--max-retries", retries, "--timeout", str(TIMEOUT))

    faulty, verdicts = by_id(got.doc)["faulty"]
    assert (faulty["status"], faulty["reason"], verdicts) == (status, reason, [verdict])
    assert server.requests(path) == requests


def test_the_default_is_two_retries(tmp_path: Path, server: fs.FaultServer) -> None:
    server.add("/flap/default", fs.flapping(2, GOOD))

    got = verify(tmp_path, server, "/flap/default", "--timeout", str(TIMEOUT))

    assert by_id(got.doc)["faulty"][1] == ["verified"]
    assert server.requests("/flap/default") == 3


def test_a_404_is_never_retried(tmp_path: Path, server: fs.FaultServer) -> None:
    got = verify(tmp_path, server, "/missing", "--max-retries", "2")

    faulty, _ = by_id(got.doc)["faulty"]
    assert (faulty["status"], faulty["reason"]) == ("dead", "HTTP 404")
    assert server.requests("/missing") == 1


def test_retry_after_in_seconds_is_honoured(tmp_path: Path, server: fs.FaultServer) -> None:
    server.add("/after/seconds", fs.retry_after_then("1", GOOD))

    got = verify(tmp_path, server, "/after/seconds", "--max-retries", "1")

    assert by_id(got.doc)["faulty"][1] == ["verified"]
    first, second = server.times["/after/seconds"]
    assert 0.9 <= second - first < 5, second - first


def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path, server: fs.FaultServer) -> None:
    # Two seconds ahead, said to the second: a wait of more than one second.
    server.add("/after/date", fs.retry_after_then(lambda: fs.http_date(2), GOOD, "503 Busy"))

    got = verify(tmp_path, server, "/after/date", "--max-retries", "1")

    assert by_id(got.doc)["faulty"][1] == ["verified"]
    first, second = server.times["/after/date"]
    assert 0.9 <= second - first < 5, second - first


def fetcher_run(settings: FetchSettings, go: Callable[[Fetcher], Any]) -> tuple[Any, list[float]]:
    """``go(fetcher)`` with a Fetcher whose waits are recorded, not made."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> Any:
        async with Fetcher(settings, sleep=sleep) as fetcher:
            return await go(fetcher)

    return asyncio.run(main()), waits


@pytest.mark.parametrize("code", ["503 Service Unavailable", "429 Too Many Requests"])
def test_a_post_is_never_retried(server: fs.FaultServer, code: str) -> None:
    path = f"/post/{code[:3]}"
    url = server.add(path, fs.status(code, headers=(("Retry-After", "0"),)))

    got, waits = fetcher_run(
        FetchSettings(allow_private=True, max_retries=3), lambda f: f.post(url, {"a": "b"}, {})
    )

    assert isinstance(got, Response) and got.http_status == int(code[:3])
    assert (server.requests(path, "POST"), waits) == (1, [])


def test_a_broken_connection_is_retried_with_a_growing_wait(server: fs.FaultServer) -> None:
    url = server.add("/reset/retried", fs.reset_mid_body(GOOD * 200))
    settings = FetchSettings(
        allow_private=True, total_timeout=TIMEOUT, max_retries=3, retry_wait=0.5
    )

    got, waits = fetcher_run(settings, lambda f: f.fetch(url))

    assert isinstance(got, Unavailable)
    assert got.reason == f"connection broken (ReadError: {RESET}), after 4 tries"
    assert server.requests("/reset/retried") == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):  # doubled each time, jittered by up to as much
        assert 0.5 * 2**attempt <= wait < 0.5 * 2 ** (attempt + 1)


def test_a_wait_asked_beyond_the_limit_is_not_made(server: fs.FaultServer) -> None:
    url = server.add("/after/long", fs.status("503 Busy", headers=(("Retry-After", "61"),)))

    got, waits = fetcher_run(
        FetchSettings(allow_private=True, max_retries=2), lambda f: f.fetch(url)
    )

    assert isinstance(got, Unavailable)
    assert (got.status.value, got.reason) == (
        "error",
        "HTTP 503, Retry-After 61 s, over the 60 s waited",
    )
    assert (server.requests("/after/long"), waits) == (1, [])
