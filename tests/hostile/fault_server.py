"""A server on 127.0.0.1 that misbehaves on purpose, for the network-fault tests.

Raw sockets in threads, so that it can do what no well-behaved server does: reset a connection
halfway through a body, stall, send a body that never ends, lie about the content type. Each
path is a ``Fault``: a function writing the whole answer on the socket. Nothing large is stored:
the bombs are built once when first asked for (a few hundred KB to 1 MB that inflate to 1 GB),
the 50 MB page and the endless bodies are generated as they are sent.

Every request is counted with its method and the moment it came (``hits``, ``times``), so a test
can say how often a URL was asked, and how long apart.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import importlib
import random
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

Fault = Callable[["Conn"], None]

GIB = 1 << 30
MIB = 1 << 20


@dataclass
class Conn:
    """One request as the fault sees it, and its socket to answer on."""

    sock: socket.socket
    method: str
    path: str
    hit: int  # 1 for the first request to this path (and method), 2 for the second, ...
    stop: threading.Event  # set when the server shuts down: a stalling fault stops waiting

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def head(self, status: str, headers: list[tuple[str, str]]) -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def answer(
        self,
        body: bytes,
        status: str = "200 OK",
        content_type: str | None = "text/html; charset=utf-8",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """A whole answer with a Content-Length."""
        fields = [("Content-Type", content_type)] if content_type else []
        self.head(status, [*fields, *headers, ("Content-Length", str(len(body)))])
        self.send(body)

    def chunk(self, data: bytes) -> None:
        self.send(b"%x\r\n%s\r\n" % (len(data), data))


class FaultServer:
    """A threaded raw-socket server: each path answered by its Fault, unknown paths 404."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.hits: Counter[tuple[str, str]] = Counter()  # (method, path) -> requests
        self.times: dict[str, list[float]] = {}  # path -> time.monotonic() of each request
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                # OSError: the client gave up (a limit, a timeout): nothing more to do.
                with contextlib.suppress(OSError):
                    outer._serve(sock)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _serve(self, sock: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            got = sock.recv(65536)
            if not got:
                return
            data += got
        head, _, rest = data.partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        length = next(
            (
                int(v)
                for k, _, v in (x.partition(":") for x in lines)
                if k.lower() == "content-length"
            ),
            0,
        )
        while len(rest) < length:  # a POST's body, read before answering
            got = sock.recv(65536)
            if not got:
                break
            rest += got
        with self._lock:
            self.hits[(method, path)] += 1
            self.times.setdefault(path, []).append(time.monotonic())
            hit = self.hits[(method, path)]
        fault = self.faults.get(path.split("?", 1)[0], not_found)
        fault(Conn(sock, method, path, hit, self._stop))
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(2.0)
        while sock.recv(65536):  # until the client closes its side
            pass

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, path: str, fault: Fault) -> str:
        """Answer ``path`` with ``fault``; return its URL."""
        self.faults[path] = fault
        return self.base_url + path

    def requests(self, path: str, method: str = "GET") -> int:
        with self._lock:
            return self.hits[(method, path)]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


# ----------------------------------------------------------------------------- the faults


def not_found(conn: Conn) -> None:
    conn.answer(b"<h1>Not Found</h1>", "404 Not Found")


def page(body: bytes, content_type: str | None = "text/html; charset=utf-8") -> Fault:
    """A well-formed answer."""
    return lambda conn: conn.answer(body, content_type=content_type)


def reset_mid_body(body: bytes) -> Fault:
    """Promise the whole body, send a third of it, then reset the connection (TCP RST)."""

    def fault(conn: Conn) -> None:
        conn.head("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        conn.send(body[: len(body) // 3])
        # SO_LINGER with a zero timeout: close() sends RST, not FIN.
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()
        raise OSError("reset on purpose")

    return fault


def stall(seconds: float) -> Fault:
    """The headers at once, then nothing for ``seconds`` (or until the server stops)."""

    def fault(conn: Conn) -> None:
        conn.head("200 OK", [("Content-Type", "text/html"), ("Content-Length", "1000")])
        conn.stop.wait(seconds)
        conn.send(b"x" * 1000)

    return fault


def endless(piece: bytes, every: float) -> Fault:
    """A chunked body that never ends: ``piece`` every ``every`` seconds (0: as fast as it
    goes), until the client hangs up or the server stops."""

    def fault(conn: Conn) -> None:
        conn.head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        conn.chunk(b"<html><body><p>")
        while not conn.stop.is_set():
            conn.chunk(piece)
            if every:
                conn.stop.wait(every)

    return fault


def large(size: int, piece: bytes = b"<p>filler text of a very long page</p>\n") -> Fault:
    """A page of ``size`` bytes, generated as it is sent, chunked (no Content-Length)."""
    block = piece * (64 * 1024 // len(piece))

    def fault(conn: Conn) -> None:
        conn.head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        sent = 0
        while sent < size:
            data = block[: size - sent]
            conn.chunk(data)
            sent += len(data)
        conn.send(b"0\r\n\r\n")

    return fault


def encoded(body: Callable[[], bytes], encoding: str) -> Fault:
    """An HTML answer whose body is ``body()`` in Content-Encoding ``encoding``."""
    return lambda conn: conn.answer(body(), headers=(("Content-Encoding", encoding),))


def status(
    code: str, body: bytes = b"<p>no</p>", headers: tuple[tuple[str, str], ...] = ()
) -> Fault:
    return lambda conn: conn.answer(body, code, headers=headers)


def redirect(location: str, code: str = "302 Found") -> Fault:
    return status(code, b"", (("Location", location),))


def flapping(failures: int, body: bytes, code: str = "503 Service Unavailable") -> Fault:
    """``code`` (with Retry-After: 0) for the first ``failures`` requests, then ``body``."""

    def fault(conn: Conn) -> None:
        if conn.hit <= failures:
            conn.answer(b"<p>busy</p>", code, headers=(("Retry-After", "0"),))
        else:
            conn.answer(body)

    return fault


def retry_after_then(
    wait: str | Callable[[], str], body: bytes, code: str = "429 Too Many Requests"
) -> Fault:
    """``code`` with ``Retry-After: wait`` the first time, then ``body``."""

    def fault(conn: Conn) -> None:
        if conn.hit == 1:
            value = wait() if callable(wait) else wait
            conn.answer(b"<p>slow down</p>", code, headers=(("Retry-After", value),))
        else:
            conn.answer(body)

    return fault


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (IMF-fixdate) that many seconds from now."""
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# ----------------------------------------------------------------------------- bodies


@functools.cache
def _deflated_zeros(size: int) -> bytes:
    """Raw deflate of ``size`` zero bytes, built in a blink: one MiB compressed after a full
    flush (which resets the compressor) is the same bytes every time, so it is repeated."""
    mib = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (size // MIB - 2) + c.compress(mib) + c.flush()


@functools.cache
def gzip_bomb(size: int = GIB) -> bytes:
    """A gzip member of ``size`` zero bytes (about 1 MB for 1 GiB: deflate's ratio is 1032:1)."""
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(bytes(MIB), crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + _deflated_zeros(size) + struct.pack("<II", crc, size & 0xFFFFFFFF)


@functools.cache
def deflate_bomb(size: int = GIB) -> bytes:
    """A zlib stream of ``size`` zero bytes (HTTP's "deflate"), with its Adler-32."""
    adler = (size % 65521) << 16 | 1  # of n zero bytes: a = 1, b = n mod 65521
    return b"\x78\xda" + _deflated_zeros(size) + struct.pack(">I", adler)


@functools.cache
def brotli_bomb(size: int = GIB) -> bytes:
    """A brotli stream of ``size`` zero bytes: each 16 MiB meta-block of zeros, once the window
    is full of them, compresses to the same 3 KB, so they are repeated (about 200 KB)."""
    brotli: Any = importlib.import_module("brotli")  # untyped
    block = bytes(16 * MIB)
    c = brotli.Compressor(quality=1, lgwin=24)
    first = c.compress(block) + c.flush()
    again = c.compress(block) + c.flush()
    third = c.compress(block) + c.flush()
    assert again == third, "brotli's output for a repeated block changed: rebuild the bomb"
    return bytes(first + again * (size // len(block) - 1) + c.finish())


def garbage(size: int = 64 * 1024, seed: int = 7) -> bytes:
    """Random bytes, the same every run."""
    return random.Random(seed).randbytes(size)


def nested(depth: int, inner: bytes) -> bytes:
    """``inner`` at the bottom of ``depth`` nested divs."""
    return b"<!doctype html><html><body>" + b"<div>" * depth + inner + b"</div>" * depth
