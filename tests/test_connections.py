"""The connections under ``Fetcher``: kept open, reused, and closed, against real servers.

Every server here runs on 127.0.0.1 and speaks HTTP/1.1 with keep-alive (``KeepAliveServer``),
over TLS when asked, with a certificate from a throwaway CA (trustme). It keeps a record of each
connection it accepted: the paths asked on it, and who ended it. The tests read that record, so
what they check is what went over the wire: how many connections a run opened, which request
went on which connection, and which ones the client closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import Page, SourceStatus, Unavailable

# Loopback needs allow_private; the limits are small so that a failing test fails fast.
LOOPBACK = FetchSettings(
    allow_private=True, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0
)


def settings(**changes: Any) -> FetchSettings:
    return replace(LOOPBACK, **changes)


def body_of(path: str) -> bytes:
    """What the server answers on a page's path."""
    return f"<!doctype html><html><body><p>page {path}</p></body></html>".encode()


@dataclass
class Connection:
    """One connection as the server saw it."""

    paths: list[str] = field(default_factory=list)  # the requests made on it, in order
    ended_by: str | None = None  # "client" (it hung up) or "server" (closed after an answer)
    closed: bool = False  # the server is through with it (its socket is closed or closing)
    tls_error: str | None = None  # why the TLS handshake failed, if it did


class KeepAliveServer:
    """An HTTP/1.1 server on 127.0.0.1 that keeps connections open and records each of them.

    Routes (a query sets the times, in seconds):

    ``/page...``    200, a small HTML page naming its path
    ``/drop``       the same, then the server closes the connection without a
                    ``Connection: close`` (``?after=S``: after S seconds of the client's silence)
    ``/slow``       answers after ``?seconds=S``, or never if the client hangs up meanwhile
    ``/stall``      headers and 10 bytes of the body, then the rest after ``?seconds=S`` (or never)
    ``/big``        a page of ``?size=N`` bytes
    ``/moved``      302 to ``/page/moved``

    ``/slow``, ``/stall`` and a ``/drop`` after a while watch the plain socket for the client
    hanging up: they are for plain HTTP only.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.connections: list[Connection] = []
        self.peak = 0  # the most connections open at once
        self._open = 0
        self._lock = threading.Lock()
        self._tls = tls
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes
            conn: Connection
            raw_requestline: bytes

            def setup(self) -> None:
                self.conn = outer._opened()
                if outer._tls is not None:
                    try:
                        self.request = outer._tls.wrap_socket(self.request, server_side=True)
                    except (ssl.SSLError, OSError) as exc:
                        self.conn.tls_error = str(exc)
                        self.conn.ended_by = "client"
                        outer._closed(self.conn)
                        raise
                super().setup()

            def finish(self) -> None:
                try:
                    with contextlib.suppress(OSError):
                        super().finish()
                    if outer._tls is not None:  # the server closes only the plain socket
                        self.request.close()
                finally:
                    outer._closed(self.conn)

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:  # reset by the client
                    self.close_connection = True
                    self.conn.ended_by = self.conn.ended_by or "client"
                    return
                if not self.raw_requestline:  # the client closed its side
                    self.conn.ended_by = self.conn.ended_by or "client"

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: float(v[0]) for k, v in parse_qs(url.query).items()}
                self.conn.paths.append(url.path)
                if url.path == "/slow" and self._hung_up(query.get("seconds", 5.0)):
                    return
                if url.path == "/moved":
                    self._answer(b"", 302, [("Location", "/page/moved")])
                elif url.path == "/stall":
                    body = body_of(url.path)
                    self._answer(body[:10], length=len(body))
                    self.wfile.flush()
                    if not self._hung_up(query.get("seconds", 5.0)):
                        self.wfile.write(body[10:])
                elif url.path == "/big":
                    self._answer(b"x" * int(query.get("size", 1000)))
                else:
                    self._answer(body_of(url.path))
                if url.path == "/drop":
                    self.wfile.flush()
                    if not self._hung_up(query.get("after", 0.0)):
                        self.conn.ended_by = "server"
                    self.close_connection = True

            def _answer(
                self,
                body: bytes,
                status: int = 200,
                headers: list[tuple[str, str]] | None = None,
                length: int | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                for name, value in headers or []:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _hung_up(self, seconds: float) -> bool:
                """Wait ``seconds``, or less if the client hangs up: whether it did."""
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], left)
                    if not readable:
                        continue
                    try:
                        gone = not self.connection.recv(1, socket.MSG_PEEK)
                    except OSError:
                        gone = True
                    if gone:
                        self.conn.ended_by = "client"
                        self.close_connection = True
                        return True
                    time.sleep(left)  # a request sent early waits for its turn
                return False

            def log_message(self, format: str, *args: object) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a refused handshake: recorded in its Connection

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _opened(self) -> Connection:
        with self._lock:
            conn = Connection()
            self.connections.append(conn)
            self._open += 1
            self.peak = max(self.peak, self._open)
            return conn

    def _closed(self, conn: Connection) -> None:
        with self._lock:
            if not conn.closed:
                conn.closed = True
                self._open -= 1

    def url(self, path: str) -> str:
        port = self._httpd.server_address[1]
        if self._tls is not None:
            return f"https://localhost:{port}{path}"  # the name the certificate is for
        return f"http://127.0.0.1:{port}{path}"

    def closed_by_client(self) -> int:
        return sum(c.closed and c.ended_by == "client" for c in self.connections)

    def all_closed(self) -> bool:
        return all(c.closed for c in self.connections)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


async def eventually(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    """Whether ``condition`` holds within ``seconds``; the event loop runs meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def is_page(got: Page | Unavailable, path: str) -> bool:
    return isinstance(got, Page) and got.http_status == 200 and got.body == body_of(path)


@pytest.fixture
def plain() -> Iterator[KeepAliveServer]:
    """A keep-alive server over plain HTTP."""
    with KeepAliveServer() as s:
        yield s


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[KeepAliveServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    with KeepAliveServer(tls=context) as s:
        yield s


@pytest.fixture
def trusting(ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client trusts the test CA (read when a Fetcher is made)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


# ----------------------------------------------------------------------------- reuse


def test_sequential_requests_share_one_connection(plain: KeepAliveServer) -> None:
    paths = [f"/page/{i}" for i in range(10)]

    async def run() -> list[Page | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            return [await fetcher.fetch(plain.url(p)) for p in paths]

    got = asyncio.run(run())
    assert all(is_page(g, p) for g, p in zip(got, paths, strict=True)), got
    assert len(plain.connections) == 1
    assert plain.connections[0].paths == paths


def test_a_redirect_to_the_same_origin_goes_on_the_same_connection(
    plain: KeepAliveServer,
) -> None:
    async def run() -> Page | Unavailable:
        async with Fetcher(LOOPBACK) as fetcher:
            return await fetcher.fetch(plain.url("/moved"))

    got = asyncio.run(run())
    assert is_page(got, "/page/moved"), got
    assert isinstance(got, Page) and got.redirect_statuses == (302,)
    assert [c.paths for c in plain.connections] == [["/moved", "/page/moved"]]


def test_the_connection_put_back_last_is_reused_first(plain: KeepAliveServer) -> None:
    async def run() -> list[Page | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            # Two connections at once; the slow one's answer ends last.
            got = await asyncio.gather(
                fetcher.fetch(plain.url("/page/quick")),
                fetcher.fetch(plain.url("/slow?seconds=0.3")),
            )
            return [*got, await fetcher.fetch(plain.url("/page/next"))]

    got = asyncio.run(run())
    assert all(
        is_page(g, p) for g, p in zip(got, ["/page/quick", "/slow", "/page/next"], strict=True)
    )
    assert sorted(c.paths for c in plain.connections) == [
        ["/page/quick"],
        ["/slow", "/page/next"],
    ]


def test_concurrent_requests_open_no_more_connections_than_the_limit(
    plain: KeepAliveServer,
) -> None:
    paths = [f"/page/{i}" for i in range(30)]
    limits = settings(max_concurrency=4, host_concurrency=4)

    async def run() -> list[Page | Unavailable]:
        async with Fetcher(limits) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(plain.url(p)) for p in paths))

    got = asyncio.run(run())
    assert all(is_page(g, p) for g, p in zip(got, paths, strict=True)), got
    assert 1 <= len(plain.connections) <= 4
    assert plain.peak <= 4
    served = sorted(p for c in plain.connections for p in c.paths)
    assert served == sorted(paths)  # each asked once, none lost or repeated


# ----------------------------------------------------------------------------- closing


@pytest.mark.parametrize("after", [0.0, 0.1], ids=["at-once", "after-a-while"])
def test_a_connection_the_server_closed_while_idle_is_not_reused(
    plain: KeepAliveServer, after: float
) -> None:
    async def run() -> tuple[Page | Unavailable, Page | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            first = await fetcher.fetch(plain.url(f"/drop?after={after}"))
            assert await eventually(lambda: plain.connections[0].closed)
            await asyncio.sleep(0.2)  # the client sees the close while it is idle
            return first, await fetcher.fetch(plain.url("/page"))

    first, second = asyncio.run(run())
    assert is_page(first, "/drop"), first
    assert is_page(second, "/page"), second
    assert [c.paths for c in plain.connections] == [["/drop"], ["/page"]]
    assert plain.connections[0].ended_by == "server"


def test_a_tls_connection_the_server_closed_while_idle_is_not_reused(
    tls_server: KeepAliveServer, trusting: None
) -> None:
    async def run() -> tuple[Page | Unavailable, Page | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            first = await fetcher.fetch(tls_server.url("/drop"))
            assert await eventually(lambda: tls_server.connections[0].closed)
            await asyncio.sleep(0.2)
            return first, await fetcher.fetch(tls_server.url("/page"))

    first, second = asyncio.run(run())
    assert is_page(first, "/drop"), first
    assert is_page(second, "/page"), second
    assert [c.paths for c in tls_server.connections] == [["/drop"], ["/page"]]


def test_idle_connections_beyond_the_limit_are_closed_oldest_first() -> None:
    with KeepAliveServer() as a, KeepAliveServer() as b:

        async def run() -> list[Page | Unavailable]:
            async with Fetcher(settings(max_concurrency=1)) as fetcher:
                got = [await fetcher.fetch(a.url("/page/1"))]
                got.append(await fetcher.fetch(b.url("/page/2")))
                # One idle connection is kept: B's, the newer; A's is closed by the client.
                assert await eventually(lambda: a.closed_by_client() == 1)
                assert not b.connections[0].closed
                got.append(await fetcher.fetch(a.url("/page/3")))
                assert await eventually(lambda: b.closed_by_client() == 1)
                assert not a.connections[1].closed
                return got

        got = asyncio.run(run())
        assert all(
            is_page(g, p) for g, p in zip(got, ["/page/1", "/page/2", "/page/3"], strict=True)
        )
        assert [c.paths for c in a.connections] == [["/page/1"], ["/page/3"]]
        assert [c.paths for c in b.connections] == [["/page/2"]]


def test_leaving_the_fetcher_closes_every_connection() -> None:
    with KeepAliveServer() as a, KeepAliveServer() as b:

        async def run() -> tuple[list[Page | Unavailable], bool, bool]:
            async with Fetcher(settings(max_concurrency=8, host_concurrency=4)) as fetcher:
                urls = [s.url(f"/page/{i}") for s in (a, b) for i in range(8)]
                got = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
                await asyncio.sleep(0.1)
                open_before = not any(c.closed for c in a.connections + b.connections)
            closed_after = await eventually(lambda: a.all_closed() and b.all_closed())
            return got, open_before, closed_after

        got, open_before, closed_after = asyncio.run(run())
        assert all(isinstance(g, Page) for g in got), got
        assert len(a.connections) > 1 and len(b.connections) > 1
        assert open_before, "a connection was closed before the Fetcher was left"
        assert closed_after, [c for s in (a, b) for c in s.connections if not c.closed]
        assert a.closed_by_client() + b.closed_by_client() == len(a.connections + b.connections)


@pytest.mark.parametrize("how", ["wait_for", "task.cancel"])
@pytest.mark.parametrize("path", ["/slow", "/stall"], ids=["before-headers", "in-body"])
def test_a_cancelled_request_closes_its_connection(
    plain: KeepAliveServer, path: str, how: str
) -> None:
    async def run() -> Page | Unavailable:
        async with Fetcher(LOOPBACK) as fetcher:
            if how == "wait_for":
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(fetcher.fetch(plain.url(path)), 0.3)
            else:
                task = asyncio.create_task(fetcher.fetch(plain.url(path)))
                assert await eventually(lambda: bool(plain.connections))
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            # Closed now, by the client, while the Fetcher is still open.
            assert await eventually(lambda: plain.closed_by_client() == 1)
            return await fetcher.fetch(plain.url("/page"))

    started = time.monotonic()
    got = asyncio.run(run())
    assert time.monotonic() - started < 2.5
    assert is_page(got, "/page"), got
    assert [c.paths for c in plain.connections] == [[path], ["/page"]]


def test_an_answer_left_unread_closes_its_connection(plain: KeepAliveServer) -> None:
    async def run() -> tuple[Page | Unavailable, Page | Unavailable]:
        async with Fetcher(settings(max_bytes=500)) as fetcher:
            big = await fetcher.fetch(plain.url("/big?size=100000"))
            assert await eventually(lambda: plain.closed_by_client() == 1)
            return big, await fetcher.fetch(plain.url("/page"))

    big, page = asyncio.run(run())
    assert isinstance(big, Unavailable) and "byte limit" in big.reason, big
    assert is_page(page, "/page"), page
    assert [c.paths for c in plain.connections] == [["/big"], ["/page"]]


# ----------------------------------------------------------------------------- TLS


def test_https_pages_come_over_one_reused_tls_connection(
    tls_server: KeepAliveServer, trusting: None
) -> None:
    async def run() -> list[Page | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            return [await fetcher.fetch(tls_server.url(f"/page/{i}")) for i in range(3)]

    got = asyncio.run(run())
    assert all(is_page(g, f"/page/{i}") for i, g in enumerate(got)), got
    assert got[0].url.startswith("https://localhost:")
    assert [c.paths for c in tls_server.connections] == [["/page/0", "/page/1", "/page/2"]]
    assert tls_server.connections[0].tls_error is None


def test_https_with_an_untrusted_certificate_is_a_tls_error(
    tls_server: KeepAliveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def run() -> Page | Unavailable:
        async with Fetcher(LOOPBACK) as fetcher:
            got = await fetcher.fetch(tls_server.url("/page"))
            # The server's side of the refused handshake ends in its own time.
            assert await eventually(
                lambda: bool(tls_server.connections) and tls_server.all_closed()
            )
            return got

    got = asyncio.run(run())
    assert isinstance(got, Unavailable), got
    assert got.status is SourceStatus.ERROR
    assert got.reason.startswith("TLS error: "), got.reason
    assert "CERTIFICATE_VERIFY_FAILED" in got.reason, got.reason
    assert [c.paths for c in tls_server.connections] == [[]]  # no request was sent
    assert tls_server.connections[0].tls_error is not None


# ----------------------------------------------------------------------------- timeouts


class SilentServer:
    """Accepts connections on 127.0.0.1, reads what comes, never answers; records each
    connection's end (the client closing it)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self.ended = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.05)
            while not self._stop.is_set():
                try:
                    if not conn.recv(65536):
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
            else:
                return
        self.ended += 1

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (settings(total_timeout=0.5), "timed out after 0.5 s"),
        (settings(read_timeout=0.3), "timed out (ReadTimeout)"),
    ],
    ids=["total", "read"],
)
def test_a_server_that_never_answers_times_out(limits: FetchSettings, reason: str) -> None:
    with SilentServer() as silent:

        async def run() -> tuple[Page | Unavailable, float]:
            async with Fetcher(limits) as fetcher:
                started = time.monotonic()
                got = await fetcher.fetch(f"http://127.0.0.1:{silent.port}/page")
                took = time.monotonic() - started
                # The connection is closed at once, not kept for another request.
                assert await eventually(lambda: silent.ended == 1)
                return got, took

        got, took = asyncio.run(run())
    assert isinstance(got, Unavailable), got
    assert got.status is SourceStatus.ERROR
    assert got.reason == reason
    assert took < 1.5
    assert silent.accepted == 1


def test_a_connection_never_accepted_times_out() -> None:
    # A listener whose backlog is full: the kernel drops further connection attempts.
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        port = listener.getsockname()[1]
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):
                probe = socket.socket()
                probe.settimeout(0.2)
                try:
                    probe.connect(("127.0.0.1", port))
                except TimeoutError:
                    probe.close()
                    break
                fillers.append(probe)
            else:
                pytest.skip("this system's TCP stack never leaves a connection pending")

            async def run() -> tuple[Page | Unavailable, float]:
                async with Fetcher(settings(connect_timeout=0.3)) as fetcher:
                    started = time.monotonic()
                    got = await fetcher.fetch(f"http://127.0.0.1:{port}/page")
                    return got, time.monotonic() - started

            got, took = asyncio.run(run())
        finally:
            for s in fillers:
                s.close()
    assert isinstance(got, Unavailable), got
    assert got.status is SourceStatus.ERROR
    assert got.reason == "timed out (ConnectTimeout)"
    assert took < 1.5


def test_bytes_a_server_sent_on_an_idle_connection_are_never_read_as_an_answer() -> None:
    # An unasked answer (or the tail of a body longer than its Content-Length) arrives while
    # the connection is idle: asyncio takes it out of the socket at once, so the connection
    # must be judged by what it holds as well as by a poll of its socket.
    def answer(body: bytes) -> bytes:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        return head.encode() + b"\r\n" + body

    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        first = len(connections) == 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                writer.write(answer(b"answer for " + head.split(b" ")[1]))
                await writer.drain()
                if first:
                    first = False
                    await asyncio.sleep(0.05)
                    writer.write(answer(b"STALE: nobody asked"))
                    await writer.drain()
        writer.close()

    async def run() -> tuple[Page | Unavailable, Page | Unavailable]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            settings = FetchSettings(allow_private=True, total_timeout=5)
            async with Fetcher(settings) as fetcher:
                a = await fetcher.fetch(f"http://127.0.0.1:{port}/a")
                await asyncio.sleep(0.3)  # the stale bytes arrive meanwhile
                b = await fetcher.fetch(f"http://127.0.0.1:{port}/b")
            return a, b
        finally:
            server.close()
            for writer in connections:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()
            await server.wait_closed()
            await asyncio.sleep(0.05)  # the handlers see their ends

    a, b = asyncio.run(run())
    assert isinstance(a, Page) and a.body == b"answer for /a"
    assert isinstance(b, Page) and b.body == b"answer for /b"
    assert len(connections) == 2  # the connection with stale bytes was not used again


@pytest.mark.parametrize("kind", ["gzip-bomb", "raw-over-limit"])
def test_a_followed_redirects_body_is_held_to_the_limit(kind: str) -> None:
    import resource
    import zlib

    if kind == "gzip-bomb":  # 0.5 MB on the wire, 512 MB once inflated
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        body = b"".join(packer.compress(bytes(2**20)) for _ in range(512)) + packer.flush()
        encoding = b"Content-Encoding: gzip\r\n"
    else:  # plain bytes, twice the limit
        body, encoding = b"x" * (2 * 2**20), b""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            head = await reader.readuntil(b"\r\n\r\n")
            if head.split(b" ")[1] == b"/start":
                writer.write(
                    b"HTTP/1.1 302 Found\r\nLocation: /end\r\n" + encoding
                    + b"Content-Length: %d\r\n\r\n" % len(body) + body
                )  # fmt: skip
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
                writer.write(b"Content-Length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    async def run() -> Page | Unavailable:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            settings = FetchSettings(allow_private=True, max_bytes=2**20, total_timeout=10)
            async with Fetcher(settings) as fetcher:
                return await fetcher.fetch(f"http://127.0.0.1:{port}/start")
        finally:
            server.close()
            await server.wait_closed()
            await asyncio.sleep(0.05)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    got = asyncio.run(run())
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    if kind == "gzip-bomb":  # the body is thrown away as it came: never inflated
        assert isinstance(got, Page) and got.body == b"ok"
    else:
        assert isinstance(got, Unavailable) and got.status is SourceStatus.ERROR
        assert got.reason == "a redirect's body is larger than the 1,048,576 byte limit"
    assert grown_mib < 100, f"{grown_mib:.0f} MiB"


def test_a_dns_lookup_that_hangs_is_a_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver is the one thing here that cannot be a real server: it is made to hang.
    async def hanging(self: asyncio.AbstractEventLoop, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(30)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", hanging)

    async def run() -> Page | Unavailable:
        settings = FetchSettings(connect_timeout=0.3, read_timeout=5, total_timeout=10)
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch("http://slow-dns.example/")

    started = time.monotonic()
    got = asyncio.run(run())
    assert isinstance(got, Unavailable) and got.reason == "timed out (ConnectTimeout)"
    assert time.monotonic() - started < 2
