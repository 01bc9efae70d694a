"""fetch: a URL -> Page | Unavailable, against real servers on 127.0.0.1.

Every status a source can get comes from a real answer (or a real failure to answer) of a server
on loopback, read through ``Fetcher`` as a run uses it. The cases of one table are fetched
together by one Fetcher (a module fixture) and checked one by one. ``httpx.MockTransport``
appears only where one piece of ``Fetcher`` is tested alone: its concurrency limits (which no
server shows without timing) and its life cycle.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

import httpx2 as httpx
import pytest

from sourcecheck import __version__
from sourcecheck.fetch import (
    USER_AGENT,
    Fetcher,
    FetchSettings,
    classify_status,
    is_public_address,
    to_page,
)
from sourcecheck.models import Page, Response, SourceStatus, Unavailable
from tests.http_server import RouteServer

# Loopback needs allow_private; the limits are small so that a failing test fails fast.
LOOPBACK = FetchSettings(
    allow_private=True, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0
)
GUARDED = FetchSettings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)

HTML = b"<!doctype html><html><body><p>The program was activated in May.</p></body></html>"

Result = Page | Unavailable


def fetch_all(
    urls: list[str], settings: FetchSettings = LOOPBACK, trusted: tuple[str, ...] = ()
) -> dict[str, Result]:
    """``Fetcher.fetch`` of every URL at once, by one Fetcher."""

    async def run() -> list[Result]:
        async with Fetcher(settings, trusted_origins=trusted) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    return dict(zip(urls, asyncio.run(run()), strict=True))


def fetch_one(
    url: str, settings: FetchSettings = LOOPBACK, trusted: tuple[str, ...] = ()
) -> Result:
    return fetch_all([url], settings, trusted)[url]


def paths_seen(server: RouteServer) -> list[str]:
    return [path for path, _ in server.requests]


class RawServer:
    """A server on 127.0.0.1 that answers each path with fixed bytes, then closes the connection.

    For what RouteServer never sends: a body with no Content-Length, delimited by the end of the
    connection (HTTP/1.0) or sent in chunks. Also a second loopback port that counts every hit.
    """

    def __init__(self) -> None:
        self.responses: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        outer = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                try:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        data = sock.recv(65536)
                        if not data:
                            return
                        head += data
                    path = head.split(b" ", 2)[1].decode()
                    outer.hits[path] += 1
                    sock.sendall(outer.responses.get(path, b"HTTP/1.0 404 Not Found\r\n\r\n"))
                    sock.shutdown(socket.SHUT_WR)
                    while sock.recv(65536):  # until the client closes its side
                        pass
                except OSError:  # the client gave up early (e.g. over max_bytes)
                    pass

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def add(self, path: str, response: bytes) -> str:
        """Answer ``path`` with ``response`` (status line, headers and body); return its URL."""
        self.responses[path] = response
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def raw() -> Iterator[RawServer]:
    with RawServer() as s:
        yield s


def chunked(body: bytes, size: int) -> bytes:
    """``body`` in HTTP/1.1 chunked transfer coding, ``size`` bytes a chunk."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening, held for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# ----------------------------------------------------------------------------- statuses


@dataclass(frozen=True)
class Answer:
    """What a route answers and what fetch must make of it."""

    name: str
    status: int
    content_type: str | None
    expected: SourceStatus
    reason: str | None = None  # None for a Page
    body: bytes = HTML


ANSWERS = [
    Answer("html", 200, "text/html; charset=utf-8", SourceStatus.OK),
    Answer("text", 200, "text/plain; charset=utf-8", SourceStatus.OK, body=b"Plain words."),
    Answer("xhtml", 200, "application/xhtml+xml", SourceStatus.OK),
    Answer("no-content-type", 200, None, SourceStatus.OK),
    Answer("created", 201, "text/html", SourceStatus.OK),
    Answer("not-found", 404, "text/html", SourceStatus.DEAD, "HTTP 404"),
    Answer("gone", 410, "text/html", SourceStatus.DEAD, "HTTP 410"),
    Answer("unauthorized", 401, "text/html", SourceStatus.BLOCKED, "HTTP 401"),
    Answer("forbidden", 403, "text/html", SourceStatus.BLOCKED, "HTTP 403"),
    Answer("too-many", 429, "text/html", SourceStatus.BLOCKED, "HTTP 429"),
    Answer("legal", 451, "text/html", SourceStatus.BLOCKED, "HTTP 451"),
    Answer("linkedin", 999, "text/html", SourceStatus.BLOCKED, "HTTP 999"),
    Answer("server-error", 500, "text/html", SourceStatus.ERROR, "HTTP 500"),
    Answer("unavailable", 503, "text/html", SourceStatus.ERROR, "HTTP 503"),
    Answer("teapot", 418, "text/html", SourceStatus.ERROR, "HTTP 418"),
    Answer(
        "zip",
        200,
        "application/zip",
        SourceStatus.ERROR,
        "unsupported content type application/zip",
        b"PK\x03\x04",
    ),
    Answer(
        "json",
        200,
        "Application/JSON; charset=utf-8",
        SourceStatus.ERROR,
        "unsupported content type application/json",
        b"{}",
    ),
]


@pytest.fixture(scope="module")
def answered(server: RouteServer) -> dict[str, tuple[str, Result]]:
    """Every ANSWERS route fetched: name -> (URL, result)."""
    urls = {
        a.name: server.add(
            f"/fetch/status/{a.name}", a.body, status=a.status, content_type=a.content_type
        )
        for a in ANSWERS
    }
    got = fetch_all(list(urls.values()))
    return {name: (url, got[url]) for name, url in urls.items()}


@pytest.mark.parametrize("answer", ANSWERS, ids=[a.name for a in ANSWERS])
def test_fetch_gives_each_http_answer_its_status(
    answered: dict[str, tuple[str, Result]], answer: Answer
) -> None:
    url, got = answered[answer.name]

    if answer.expected is SourceStatus.OK:
        assert isinstance(got, Page)
        assert (got.url, got.final_url, got.http_status) == (url, url, answer.status)
        assert got.body == answer.body
        assert got.redirects == ()
        # The header as sent, parameters kept; sniffed from the body when there is none.
        assert got.content_type == (answer.content_type or "text/html")
    else:
        assert got == Unavailable(url, answer.expected, answer.reason or "", answer.status, url)


def test_get_returns_any_http_answer_as_a_response(server: RouteServer) -> None:
    """``get`` leaves statuses to its caller (the archive reads them itself)."""
    urls = {
        status: server.add(
            f"/fetch/get/{status}",
            f"<p>error page {status}</p>",
            status=status,
            headers=(("X-Why", "test"),),
        )
        for status in (200, 302, 404, 403, 503)
    }

    async def run() -> list[Response | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            return [await fetcher.get(url, follow_redirects=False) for url in urls.values()]

    for (status, url), got in zip(urls.items(), asyncio.run(run()), strict=True):
        assert isinstance(got, Response)
        assert (got.url, got.final_url, got.http_status) == (url, url, status)
        assert got.body == f"<p>error page {status}</p>".encode()
        assert got.header("x-why") == got.header("X-WHY") == "test"
        assert got.header("x-absent") is None


@pytest.mark.parametrize("settings", [LOOPBACK, GUARDED], ids=["allow-private", "guarded"])
def test_a_name_that_does_not_resolve_is_dead(settings: FetchSettings) -> None:
    # .invalid never resolves (RFC 6761). Both the guard's own lookup and the plain connect
    # (with allow_private) must report it as dead, not as an error.
    got = fetch_one("http://no-such-host.invalid/story", settings)

    assert isinstance(got, Unavailable)
    assert (got.status, got.http_status) == (SourceStatus.DEAD, None)
    assert got.reason.startswith("could not connect")


@pytest.mark.parametrize("how", ["allow-private", "trusted-origin"])
def test_a_refused_connection_is_dead(closed_port: int, how: str) -> None:
    url = f"http://127.0.0.1:{closed_port}/story"
    if how == "allow-private":
        got = fetch_one(url, LOOPBACK)
    else:
        got = fetch_one(url, GUARDED, trusted=(f"http://127.0.0.1:{closed_port}",))

    assert isinstance(got, Unavailable)
    assert (got.status, got.http_status) == (SourceStatus.DEAD, None)
    assert got.reason.startswith("could not connect")


@pytest.mark.parametrize(
    ("name", "settings", "reason"),
    [
        ("read", FetchSettings(allow_private=True, read_timeout=0.5), "timed out (ReadTimeout)"),
        ("total", FetchSettings(allow_private=True, total_timeout=0.5), "timed out after 0.5 s"),
    ],
)
def test_a_server_that_stalls_past_the_timeout_is_an_error(
    server: RouteServer, name: str, settings: FetchSettings, reason: str
) -> None:
    # The headers come at once, the body only after the stall.
    url = server.add(f"/fetch/stall/{name}", HTML, stall=3.0)

    got = fetch_one(url, settings)

    assert got == Unavailable(url, SourceStatus.ERROR, reason)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/file.txt", "unsupported URL"),
        ("file:///etc/passwd", "unsupported URL"),
        ("http://", "unsupported URL"),  # no host
        ("http://[::1/", "InvalidURL: Invalid port"),
    ],
)
def test_urls_fetch_cannot_read_are_errors(url: str, reason: str) -> None:
    got = fetch_one(url)

    assert isinstance(got, Unavailable)
    assert (got.url, got.status) == (url, SourceStatus.ERROR)
    assert got.reason.startswith(reason)


# ----------------------------------------------------------------------------- size limit

HEAD_UNTIL_CLOSE = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
HEAD_CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
LIMIT = FetchSettings(allow_private=True, max_bytes=1000)
OVER = "larger than the 1,000 byte limit"


@dataclass(frozen=True)
class Sized:
    """A body of ``size`` bytes, sent with a Content-Length (RouteServer) or without (RawServer)."""

    name: str
    size: int
    framing: str  # "content-length" | "until-close" | "chunked"
    reason: str | None  # None for a Page


SIZED = [
    Sized("declared-over", 2000, "content-length", f"{OVER} (2,000 bytes declared)"),
    Sized("declared-exact", 1000, "content-length", None),
    Sized("until-close-over", 5000, "until-close", OVER),
    Sized("until-close-exact", 1000, "until-close", None),
    Sized("chunked-over", 5000, "chunked", OVER),
    Sized("chunked-just-over", 1001, "chunked", OVER),
    Sized("chunked-under", 900, "chunked", None),
]


@pytest.fixture(scope="module")
def sized(server: RouteServer, raw: RawServer) -> dict[str, tuple[str, Result]]:
    urls = {}
    for case in SIZED:
        body = b"y" * case.size
        path = f"/fetch/size/{case.name}"
        if case.framing == "content-length":
            urls[case.name] = server.add(path, body, content_type="text/plain")
        elif case.framing == "until-close":
            urls[case.name] = raw.add(path, HEAD_UNTIL_CLOSE + body)
        else:
            urls[case.name] = raw.add(path, HEAD_CHUNKED + chunked(body, 300))
    got = fetch_all(list(urls.values()), LIMIT)
    return {name: (url, got[url]) for name, url in urls.items()}


@pytest.mark.parametrize("case", SIZED, ids=[c.name for c in SIZED])
def test_max_bytes_holds_with_or_without_content_length(
    sized: dict[str, tuple[str, Result]], raw: RawServer, case: Sized
) -> None:
    url, got = sized[case.name]

    if case.reason is None:
        assert isinstance(got, Page)
        assert got.body == b"y" * case.size
    else:
        assert got == Unavailable(url, SourceStatus.ERROR, case.reason, 200, url)
    if case.framing != "content-length":
        assert raw.hits[f"/fetch/size/{case.name}"] == 1


# ----------------------------------------------------------------------------- redirects

REDIRECTS = FetchSettings(allow_private=True, max_redirects=3)


def redirect_chain(server: RouteServer, name: str, hops: int) -> str:
    """A chain of ``hops`` relative redirects ending on a page; returns its first URL."""
    server.add(f"/fetch/{name}/{hops}", "<p>end of the chain</p>")
    for i in range(hops):
        server.add(
            f"/fetch/{name}/{i}", status=302, headers=(("Location", f"/fetch/{name}/{i + 1}"),)
        )
    return server.url(f"/fetch/{name}/0")


@pytest.fixture(scope="module")
def redirected(server: RouteServer) -> dict[str, Result]:
    """Every redirect case of this section, fetched by one Fetcher allowing three redirects."""
    add = server.add
    final = add("/fetch/moved/final", HTML)
    add("/fetch/moved/2", status=302, headers=(("Location", final),))
    add("/fetch/moved/1", status=301, headers=(("Location", "/fetch/moved/2"),))
    for status in (301, 302, 303, 307, 308):
        target = add(f"/fetch/redirect-{status}/final", f"<p>after {status}</p>")
        add(f"/fetch/redirect-{status}", status=status, headers=(("Location", target),))
    gone = add("/fetch/moved-away/gone", "<p>no</p>", status=410)
    add("/fetch/moved-away", status=301, headers=(("Location", gone),))
    redirect_chain(server, "chain-ok", 3)
    redirect_chain(server, "chain-long", 4)
    add("/fetch/loop/b", status=302, headers=(("Location", "/fetch/loop/a"),))
    add("/fetch/loop/a", status=302, headers=(("Location", "/fetch/loop/b"),))
    add("/fetch/self", status=301, headers=(("Location", "/fetch/self"),))
    starts = [
        "/fetch/moved/1",
        *(f"/fetch/redirect-{s}" for s in (301, 302, 303, 307, 308)),
        "/fetch/moved-away",
        "/fetch/chain-ok/0",
        "/fetch/chain-long/0",
        "/fetch/loop/a",
        "/fetch/self",
    ]
    got = fetch_all([server.url(p) for p in starts], REDIRECTS)
    return {p: got[server.url(p)] for p in starts}


def test_redirects_are_followed_and_recorded(
    server: RouteServer, redirected: dict[str, Result]
) -> None:
    got = redirected["/fetch/moved/1"]

    # A relative Location is resolved against the URL that gave it.
    first, second, final = (server.url(f"/fetch/moved/{p}") for p in ("1", "2", "final"))
    assert isinstance(got, Page)
    assert (got.url, got.final_url, got.redirects) == (first, final, (first, second))
    assert (got.http_status, got.body) == (200, HTML)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_followed(
    server: RouteServer, redirected: dict[str, Result], status: int
) -> None:
    got = redirected[f"/fetch/redirect-{status}"]

    start = server.url(f"/fetch/redirect-{status}")
    assert isinstance(got, Page)
    assert (got.final_url, got.redirects) == (
        server.url(f"/fetch/redirect-{status}/final"),
        (start,),
    )
    assert got.body == f"<p>after {status}</p>".encode()


def test_a_redirect_to_a_dead_page_is_dead_at_its_final_url(
    server: RouteServer, redirected: dict[str, Result]
) -> None:
    start, gone = server.url("/fetch/moved-away"), server.url("/fetch/moved-away/gone")
    assert redirected["/fetch/moved-away"] == Unavailable(
        start, SourceStatus.DEAD, "HTTP 410", 410, gone
    )


def test_max_redirects_hops_are_followed(
    server: RouteServer, redirected: dict[str, Result]
) -> None:
    got = redirected["/fetch/chain-ok/0"]

    assert isinstance(got, Page)
    assert got.final_url == server.url("/fetch/chain-ok/3")
    assert got.redirects == tuple(server.url(f"/fetch/chain-ok/{i}") for i in range(3))


@pytest.mark.parametrize("start", ["/fetch/chain-long/0", "/fetch/loop/a", "/fetch/self"])
def test_too_many_redirects_is_an_error(
    server: RouteServer, redirected: dict[str, Result], start: str
) -> None:
    assert redirected[start] == Unavailable(
        server.url(start), SourceStatus.ERROR, "more than 3 redirects"
    )


def test_redirects_are_given_up_at_the_limit(
    server: RouteServer, redirected: dict[str, Result]
) -> None:
    assert isinstance(redirected["/fetch/loop/a"], Unavailable)
    # The first request and three redirects, then no more: a loop is not followed forever.
    assert server.routes["/fetch/loop/a"].hits + server.routes["/fetch/loop/b"].hits == 4
    assert server.routes["/fetch/self"].hits == 4
    assert server.routes["/fetch/chain-long/4"].hits == 0


# ----------------------------------------------------------------------------- address guard


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",  # multicast
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",  # with a zone
        "fc00::1",
        "ff02::1",
        "2001:db8::1",  # documentation
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "fec0::1",  # site-local
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:808:808::1",  # 6to4 of 8.8.8.8
    ],
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(address) is True


GUARD_CASES = [("ipv4", "127.0.0.1"), ("name", "localhost"), ("ipv6", "[::1]")]


@pytest.mark.parametrize(("name", "host"), GUARD_CASES, ids=[n for n, _ in GUARD_CASES])
def test_loopback_is_refused_without_allow_private(
    server: RouteServer, name: str, host: str
) -> None:
    path = f"/fetch/guard/{name}"
    server.add(path, HTML)
    url = f"http://{host}:{server.port}{path}"

    got = fetch_one(url, GUARDED)

    assert isinstance(got, Unavailable)
    assert (got.url, got.status, got.http_status) == (url, SourceStatus.ERROR, None)
    assert got.reason.startswith(f"refused: {host.strip('[]')} resolves to non-public address ")
    assert got.reason.endswith(" (allow with --allow-private)")
    assert path not in paths_seen(server)


def test_loopback_is_read_with_allow_private(server: RouteServer) -> None:
    url = server.add("/fetch/guard/allowed", HTML)

    got = fetch_one(url, FetchSettings(allow_private=True))

    assert isinstance(got, Page)
    assert got.body == HTML


def test_a_trusted_origin_is_exempt_and_nothing_else(server: RouteServer, raw: RawServer) -> None:
    trusted_url = server.add("/fetch/trusted", HTML)
    other_port = raw.add("/fetch/secret", HEAD_UNTIL_CLOSE + b"internal")
    same_port_other_name = f"http://localhost:{server.port}/fetch/trusted"

    got = fetch_all([trusted_url, other_port, same_port_other_name], GUARDED, (server.base_url,))

    assert isinstance(got[trusted_url], Page)
    for url in (other_port, same_port_other_name):
        refused = got[url]
        assert isinstance(refused, Unavailable), url
        assert refused.status is SourceStatus.ERROR
        assert "--allow-private" in refused.reason
    assert raw.hits["/fetch/secret"] == 0
    assert paths_seen(server).count("/fetch/trusted") == 1


def test_the_guard_holds_after_a_redirect_from_a_trusted_origin(
    server: RouteServer, raw: RawServer
) -> None:
    secret = raw.add("/fetch/secret-hop", HEAD_UNTIL_CLOSE + b"internal")
    start = server.add("/fetch/trusted-hop", status=302, headers=(("Location", secret),))

    got = fetch_one(start, GUARDED, trusted=(server.base_url,))

    assert isinstance(got, Unavailable)
    assert (got.url, got.status) == (start, SourceStatus.ERROR)
    assert got.reason == (
        "refused: 127.0.0.1 resolves to non-public address 127.0.0.1 (allow with --allow-private)"
    )
    assert "/fetch/trusted-hop" in paths_seen(server)
    assert raw.hits["/fetch/secret-hop"] == 0


# ----------------------------------------------------------------------------- the request


def test_the_user_agent_names_sourcecheck_and_its_version(server: RouteServer) -> None:
    url = server.add("/fetch/who-asks", HTML)

    assert isinstance(fetch_one(url), Page)

    [headers] = [h for path, h in server.requests if path == "/fetch/who-asks"]
    sent = {k.lower(): v for k, v in headers.items()}
    assert sent["user-agent"] == USER_AGENT
    assert sent["user-agent"].startswith(f"sourcecheck/{__version__} ")
    assert sent["accept"].startswith("text/html")


def ok_handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="ok", headers={"Content-Type": "text/plain"})


def test_a_fetcher_outside_async_with_refuses_to_work() -> None:
    fetcher = Fetcher(LOOPBACK, transport=httpx.MockTransport(ok_handler))

    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(fetcher.get("http://a.test/"))


# ----------------------------------------------------------------------------- concurrency


def test_one_busy_host_does_not_hold_up_the_others() -> None:
    """A request waiting for its host's turn must not sit on a slot of the global limit."""
    b_answered = asyncio.Event()
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        for key in (host, "all"):
            in_flight[key] += 1
            peak[key] = max(peak[key], in_flight[key])
        if host == "a.test":
            await b_answered.wait()  # a.test answers only once b.test has
        else:
            b_answered.set()
        for key in (host, "all"):
            in_flight[key] -= 1
        return ok_handler(request)

    settings = FetchSettings(max_concurrency=2, host_concurrency=1, total_timeout=2.0)
    urls = [f"http://a.test/{i}" for i in range(4)] + ["http://b.test/0"]

    async def run() -> list[Result]:
        async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    got = asyncio.run(run())

    assert [type(g) for g in got] == [Page] * 5, got
    assert (peak["a.test"], peak["b.test"], peak["all"]) == (1, 1, 2)


def test_max_concurrency_bounds_requests_across_hosts() -> None:
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):  # let the other requests in, if the limits allow them
            await asyncio.sleep(0)
        in_flight -= 1
        return ok_handler(request)

    settings = FetchSettings(max_concurrency=3, host_concurrency=2)
    urls = [f"http://{h}.test/{i}" for h in "abcd" for i in range(3)]

    async def run() -> list[Result]:
        async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    got = asyncio.run(run())

    assert [type(g) for g in got] == [Page] * 12
    assert peak == 3


def test_a_fetcher_can_be_used_in_one_event_loop_after_another() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return ok_handler(request)

    fetcher = Fetcher(FetchSettings(host_concurrency=1), transport=httpx.MockTransport(handler))

    async def run() -> list[Result]:
        async with fetcher:  # three requests to one host: two of them wait for their turn
            return await asyncio.gather(*(fetcher.fetch(f"http://a.test/{i}") for i in range(3)))

    first, second = asyncio.run(run()), asyncio.run(run())

    assert [type(g) for g in first + second] == [Page] * 6


# ----------------------------------------------------------------------------- to_page


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [
        (200, SourceStatus.OK),
        (203, SourceStatus.OK),
        (204, SourceStatus.OK),
        (299, SourceStatus.OK),
        (404, SourceStatus.DEAD),
        (410, SourceStatus.DEAD),
        (401, SourceStatus.BLOCKED),
        (403, SourceStatus.BLOCKED),
        (407, SourceStatus.BLOCKED),
        (429, SourceStatus.BLOCKED),
        (451, SourceStatus.BLOCKED),
        (999, SourceStatus.BLOCKED),
        (100, SourceStatus.ERROR),
        (301, SourceStatus.ERROR),  # a redirect that was not followed is no page
        (304, SourceStatus.ERROR),
        (400, SourceStatus.ERROR),
        (405, SourceStatus.ERROR),
        (500, SourceStatus.ERROR),
        (502, SourceStatus.ERROR),
        (503, SourceStatus.ERROR),
    ],
)
def test_classify_status(http_status: int, expected: SourceStatus) -> None:
    assert classify_status(http_status) is expected


def response(
    status: int = 200, body: bytes = HTML, content_type: str | None = "text/html"
) -> Response:
    headers = (("Content-Type", content_type),) if content_type is not None else ()
    return Response(
        url="http://example.com/a",
        final_url="http://example.com/b",
        http_status=status,
        headers=(("Server", "test"), *headers),
        body=body,
        redirects=("http://example.com/a",),
    )


@pytest.mark.parametrize(
    ("content_type", "body", "page_type"),
    [
        ("text/html", HTML, "text/html"),
        ("text/html; charset=windows-1252", HTML, "text/html; charset=windows-1252"),
        ("TEXT/HTML", HTML, "TEXT/HTML"),
        ("application/xhtml+xml; charset=utf-8", HTML, "application/xhtml+xml; charset=utf-8"),
        ("text/plain", b"Words.", "text/plain"),
        (None, HTML, "text/html"),
        (None, b"\n\n  <html><p>late start</p>", "text/html"),
        (None, b"<p>a fragment</p>", "text/html"),
        (None, b"Just words, no markup.", "text/plain"),
        (None, b"", "text/plain"),
    ],
)
def test_to_page_reads_readable_types(
    content_type: str | None, body: bytes, page_type: str
) -> None:
    page = to_page(response(body=body, content_type=content_type))

    assert page == Page(
        "http://example.com/a",
        "http://example.com/b",
        200,
        page_type,
        body,
        ("http://example.com/a",),
    )


@pytest.mark.parametrize(
    ("status", "content_type", "expected", "reason"),
    [
        (404, "text/html", SourceStatus.DEAD, "HTTP 404"),
        (410, "text/html", SourceStatus.DEAD, "HTTP 410"),
        (403, "text/html", SourceStatus.BLOCKED, "HTTP 403"),
        (503, "text/html", SourceStatus.ERROR, "HTTP 503"),
        (302, "text/html", SourceStatus.ERROR, "HTTP 302"),
        (200, "image/png", SourceStatus.ERROR, "unsupported content type image/png"),
        (200, "image/png", SourceStatus.ERROR, "unsupported content type image/png"),
        (200, " Text/CSV ; x=1", SourceStatus.ERROR, "unsupported content type text/csv"),
    ],
)
def test_to_page_gives_the_reason_a_response_is_no_page(
    status: int, content_type: str, expected: SourceStatus, reason: str
) -> None:
    got = to_page(response(status, content_type=content_type))

    assert got == Unavailable(
        "http://example.com/a", expected, reason, status, "http://example.com/b"
    )
