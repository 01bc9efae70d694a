"""A URL -> Page | Unavailable, over live HTTP.

This is the only module that imports httpx (or httpcore): httpx's last release is 0.28.1, and
keeping it behind ``Fetcher`` means a drop-in fork can replace it here alone. One
``httpx.AsyncClient`` serves the whole run, the archive lookups included.

Private, loopback and link-local addresses are refused unless ``allow_private`` is set. The check
is made where the socket is opened (``_GuardedBackend``), on the address actually connected to, so
it holds after every redirect and cannot be dodged by a DNS answer that changes between a check and
the connection (DNS rebinding).

Under the client, transports stack up (outermost first)::

    _RedirectBodies  the body of a redirect that is followed: as sent, up to the size limit
    _Recorder        keeps every exchange, for --warc
    _LiveCache       live pages from the on-disk cache, revalidated when older than --max-age
    network          the guarded network; or _Refuse (--offline), or _Replay (--replay)

so the rest of the program, the archive code included, neither knows nor cares where an
answer came from. Redirects are followed by the client above them all, so each hop is cached,
recorded and replayed as the 3xx answer it was.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import ipaddress
import random
import select
import socket
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Self
from urllib.parse import urlsplit

import anyio
import httpcore2 as httpcore
import httpx2 as httpx

from . import __version__
from .cache import DEFAULT_MAX_AGE, Cache
from .models import Exchange, Page, Response, SourceStatus, Unavailable

USER_AGENT = (
    f"sourcecheck/{__version__} (quote verification; +https://pypi.org/project/sourcecheck/)"
)

# What the first version reads; every other type is reported as unsupported.
READABLE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/xml",
    "text/xml",
    "application/pdf",
    "application/x-pdf",
)

MAX_RETRY_WAIT = 60.0  # seconds; a server asking for a longer wait is not asked again

_BLOCKED = frozenset({401, 403, 407, 429, 451, 999})  # 999: LinkedIn's answer to bots
_DEAD = frozenset({404, 410})


@dataclass(frozen=True)
class FetchSettings:
    """Limits of every request. Times in seconds, sizes in bytes."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 10
    max_concurrency: int = 32
    host_concurrency: int = 4
    allow_private: bool = False
    user_agent: str = USER_AGENT
    max_age: float = DEFAULT_MAX_AGE  # how long a cached live page is used without asking
    offline: bool = False  # make no request: only what the cache holds, whatever its age
    # Retries of a live page's GET (``fetch``) that got no answer, a 429 or a 503. 0 by
    # default: the archive code shares the Fetcher and paces its own 429s.
    max_retries: int = 0
    retry_wait: float = 1.0  # seconds before the first retry, doubled each time, jittered
    max_retry_wait: float = MAX_RETRY_WAIT  # a longer Retry-After is not waited for

    @classmethod
    def with_timeout(cls, timeout: float, **settings: Any) -> FetchSettings:
        """Settings allowing ``timeout`` seconds a request, body included (connecting at most
        10 s of it, and at most 30 s between two reads)."""
        return cls(
            total_timeout=timeout,
            read_timeout=min(timeout, 30.0),
            connect_timeout=min(timeout, 10.0),
            **settings,
        )


class AddressRefused(Exception):
    """Raised inside the connection pool when a host resolves to a non-public address."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway may reach: NAT64 (well-known
# and local-use), IPv4-compatible, IPv4-translated (SIIT).
_CARRIES_IPV4 = tuple(
    ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")
)


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable (not private, loopback, link-local, ...).

    An IPv6 address that carries an IPv4 address (mapped, 6to4, NAT64, IPv4-compatible or
    -translated) is judged by that address too: through a gateway it may reach it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and any(ip in net for net in _CARRIES_IPV4):
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None and not is_public_address(str(carried)):
            return False
        if ip.is_site_local:  # fec0::/10, deprecated but routed by some networks
            return False
        if ip.ipv4_mapped is not None:
            return True
    return ip.is_global and not ip.is_multicast


class _Socket(httpcore.AsyncNetworkStream):
    """A connection on asyncio's own streams, under httpcore's HTTP/1.1.

    httpcore's default backend goes through anyio, which builds a cancel scope for every read
    and write and a table of the socket's attributes each time the pool asks whether an idle
    connection has something to read: with 2,000 short answers that was a fifth of a link
    check. Here a read or a write is asyncio's, under ``asyncio.timeout``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._poller: Any = None  # made when first asked, then asked again and again

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data for {timeout} s") from None
        except OSError as exc:
            raise httpcore.ReadError(_said(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send for {timeout} s") from None
        except OSError as exc:
            raise httpcore.WriteError(_said(exc)) from exc

    async def aclose(self) -> None:
        transport = self._writer.transport
        if not transport.is_closing():
            transport.close()
            await asyncio.sleep(0)  # lets TLS say goodbye, but never waits on the peer
        transport.abort()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            await self.aclose()
            raise httpcore.ConnectTimeout(f"TLS handshake over {timeout} s") from None
        except OSError as exc:  # ssl.SSLError among them
            await self.aclose()
            raise httpcore.ConnectError(_said(exc)) from exc
        self._poller = None
        return self

    def get_extra_info(self, info: str) -> Any:
        match info:
            case "is_readable":
                return self._readable()
            case "ssl_object" | "socket":
                return self._writer.get_extra_info(info)
            case "client_addr":
                return self._writer.get_extra_info("sockname")
            case "server_addr":
                return self._writer.get_extra_info("peername")
        return None

    def _readable(self) -> bool:
        """Whether a read would not wait: an idle connection that is readable was closed by
        the server (or sent what it should not have), and is not used again."""
        if self._reader.at_eof() or self._writer.transport.is_closing():
            return True
        # What the server sent while the connection was idle may already be out of the
        # socket, in the reader's buffer (asyncio reads as soon as it can): a poll would miss
        # it, and it would be read as the next request's answer.
        if getattr(self._reader, "_buffer", b""):
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return True
        if hasattr(select, "poll"):  # select() cannot take descriptors over 1,023
            if self._poller is None:
                self._poller = select.poll()
                self._poller.register(sock.fileno(), select.POLLIN)
            return bool(self._poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)  # Windows
        return bool(readable)


def _said(exc: OSError) -> str:
    return str(exc) or type(exc).__name__


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses non-public addresses, then connects to a checked one."""

    def __init__(self, allow_private: bool, trusted: frozenset[tuple[str, int]]) -> None:
        self._allow_private = allow_private
        self._trusted = trusted

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._allow_private or (host.lower(), port) in self._trusted:
            return await _connect(host, port, timeout)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):  # the lookup is part of connecting
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} over {timeout} s") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc.strerror}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            if not is_public_address(address):
                raise AddressRefused(host, address)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await _connect(address, port, timeout)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(host: str, port: int, timeout: float | None) -> _Socket:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"no connection to {host} in {timeout} s") from None
    except OSError as exc:
        raise httpcore.ConnectError(_said(exc)) from exc
    return _Socket(reader, writer)


_Key = tuple[bytes, bytes, int | None]


class _Pool:
    """HTTP/1.1 connections kept open, found by their origin.

    httpcore's pool walks every connection it holds (and polls each idle one's socket) at the
    start and the end of every request: with 128 connections open that was a third of a link
    check's time. Here a request takes the newest idle connection of its origin, or opens one;
    a connection whose answer has been read is put back, and the oldest idle ones are closed
    beyond ``keep``. The pool makes no request wait: the Fetcher's semaphores bound how many
    are in flight (``max_concurrency``), and so how many connections are open."""

    def __init__(
        self, ssl_context: Any, keep: int, expiry: float | None, backend: _GuardedBackend
    ) -> None:
        self._ssl_context, self._keep, self._expiry = ssl_context, keep, expiry
        self._backend = backend
        # Origins as (scheme, host, port): httpcore's Origin has no hash.
        self._idle: dict[_Key, list[httpcore.AsyncHTTPConnection]] = {}
        self._ages: dict[httpcore.AsyncHTTPConnection, _Key] = {}  # idle ones, oldest first
        self._busy: dict[httpcore.AsyncHTTPConnection, _Key] = {}

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        scheme = request.url.scheme
        if scheme not in (b"http", b"https"):
            name = scheme.decode("ascii", "replace")
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{name}://'."
            )
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        while True:
            connection = await self._connection_for(origin, key)
            self._busy[connection] = key
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:  # closed by the server meanwhile
                await self._put_back(connection)
                continue
            except BaseException:
                await self._put_back(connection)
                raise
            break
        stream = _Released(response.stream, self, connection)
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=stream,
            extensions=response.extensions,
        )

    async def _connection_for(
        self, origin: httpcore.Origin, key: _Key
    ) -> httpcore.AsyncHTTPConnection:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            del self._ages[connection]
            if connection.is_available() and not connection.has_expired():
                return connection
            await _close(connection)
        return httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._expiry,
            network_backend=self._backend,
        )

    async def _put_back(self, connection: httpcore.AsyncHTTPConnection) -> None:
        """A connection its request is through with: kept if it can take another, else closed."""
        key = self._busy.pop(connection, None)
        if key is None or not connection.is_idle() or connection.is_closed():
            await _close(connection)  # never connected, closed, or its answer not read whole
            return
        self._idle.setdefault(key, []).append(connection)
        self._ages[connection] = key
        while len(self._ages) > self._keep:
            oldest, its_key = next(iter(self._ages.items()))
            del self._ages[oldest]
            self._idle[its_key].remove(oldest)
            await _close(oldest)

    async def aclose(self) -> None:
        connections = [*self._ages, *self._busy]
        self._idle, self._ages, self._busy = {}, {}, {}
        for connection in connections:
            await _close(connection)


async def _close(connection: httpcore.AsyncHTTPConnection) -> None:
    with anyio.CancelScope(shield=True):  # a cancelled run still closes its sockets
        await connection.aclose()


class _Released:
    """An answer's body; its connection goes back to the pool when the body is closed."""

    def __init__(self, stream: Any, pool: _Pool, connection: httpcore.AsyncHTTPConnection) -> None:
        self._stream, self._pool, self._connection = stream, pool, connection
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with anyio.CancelScope(shield=True):
                if hasattr(self._stream, "aclose"):
                    await self._stream.aclose()
        finally:
            await self._pool._put_back(self._connection)


def _guarded_transport(
    settings: FetchSettings, trusted: frozenset[tuple[str, int]]
) -> httpx.AsyncHTTPTransport:
    # One TLS context (certifi's CA bundle, as httpx's default) for the transport and the pool.
    tls = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=tls)
    # httpx takes no network backend, so its pool is replaced by one on the guarded backend.
    # Every connection may stay open for the next request (httpx keeps 20 by default).
    backend = _GuardedBackend(settings.allow_private, trusted)
    expiry = httpx.Limits().keepalive_expiry
    transport._pool = _Pool(tls, settings.max_concurrency, expiry, backend)  # type: ignore[assignment]
    return transport


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower(), port


def classify_status(http_status: int) -> SourceStatus:
    """The source status an HTTP status code stands for."""
    if 200 <= http_status < 300:
        return SourceStatus.OK
    if http_status in _DEAD:
        return SourceStatus.DEAD
    if http_status in _BLOCKED:
        return SourceStatus.BLOCKED
    return SourceStatus.ERROR


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _binary(body: bytes, content_type: str) -> bool:
    """Whether a body said to be text is bytes of something else: NUL bytes among many control
    bytes (over 5% of the first 4 KB; random bytes have about 11%), but in UTF-16 and UTF-32
    (with a BOM, or so declared). A stray NUL or escape in a page's text keeps it text."""
    sample = body[:4096]
    if "pdf" in content_type.lower() or b"\x00" not in sample:
        return False
    controls = sum(1 for b in sample if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if controls * 20 <= len(sample):
        return False
    wide = body.startswith((b"\xff\xfe", b"\xfe\xff")) or "utf-16" in content_type.lower()
    return not (wide or "utf-32" in content_type.lower())


def _sniff(body: bytes) -> str:
    if b"%PDF-" in body[:1024]:
        return "application/pdf"
    head = body[:512].lstrip().lower()
    looks_html = head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<"))
    return "text/html" if looks_html else "text/plain"


# ----------------------------------------------------------------------------- content coding

# The most a decoder hands on at a time. httpx's own decoders inflate each chunk received whole:
# a 1 MB gzip body of zeros is 1 GB of text, and a brotli body of a few hundred KB as much, all
# in one call, before any size limit can look at it. Ours stop every _PIECE bytes, so max_bytes
# holds on what a body decodes to, and a compression bomb costs no more than a large page.
_PIECE = 64 * 1024


class Undecodable(Exception):
    """A body that its Content-Encoding cannot decode, or one in an encoding not read."""


class _Inflate:
    """gzip or deflate (zlib's format, or raw deflate as some servers send it), in pieces."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._d = self._new(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False

    @staticmethod
    def _new(wbits: int) -> Any:
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._d.decompress(data, _PIECE)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise Undecodable(f"{self.encoding}: {exc}") from exc
                self._d, self._started = self._new(-zlib.MAX_WBITS), True  # raw deflate
                continue
            self._started = True
            data = self._d.unconsumed_tail
            if out:
                yield out
            if self._d.eof and self._d.unused_data:
                if not self._gzip:
                    return  # bytes after the end of a deflate stream: ignored, as httpx does
                data = self._d.unused_data  # a gzip body may be several members, one after another
                self._d = self._new(zlib.MAX_WBITS | 16)
            elif not data and len(out) < _PIECE:
                return  # all read, and nothing more held back (a full piece may hide more)

    def end(self) -> Iterator[bytes]:
        tail = self._d.flush()
        if tail:
            yield tail


class _Unbrotli:
    """brotli, in pieces: with the output limit of Google's bindings (1.2 and later), or by
    calling the library through the cffi bindings (brotlipy, brotlicffi) that have none."""

    encoding = "br"

    def __init__(self) -> None:
        self._lib: Any = None
        self._ffi: Any = None
        module = _brotli_module()
        if module is None:
            raise Undecodable("br: no brotli decoder installed")
        self._d = module.Decompressor()
        if not hasattr(self._d, "can_accept_more_data"):
            bindings = importlib.import_module(f"{module.__name__}._{module.__name__}")
            self._lib, self._ffi = bindings.lib, bindings.ffi
        self._error: type[Exception] = module.error

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._lib is None:
            try:
                out = self._d.process(data, output_buffer_limit=_PIECE)
                while out:
                    yield out
                    if self._d.can_accept_more_data():
                        return
                    out = self._d.process(b"", output_buffer_limit=_PIECE)
            except self._error as exc:
                raise Undecodable(f"br: {exc}") from exc
            return
        lib, ffi = self._lib, self._ffi
        source = ffi.new("uint8_t[]", data)
        available_in = ffi.new("size_t *", len(data))
        next_in = ffi.new("uint8_t **", source)
        while True:
            target = ffi.new("uint8_t[]", _PIECE)
            available_out = ffi.new("size_t *", _PIECE)
            next_out = ffi.new("uint8_t **", target)
            result = lib.BrotliDecoderDecompressStream(
                self._d._decoder, available_in, next_in, available_out, next_out, ffi.NULL
            )
            if result == lib.BROTLI_DECODER_RESULT_ERROR:
                code = lib.BrotliDecoderGetErrorCode(self._d._decoder)
                why = ffi.string(lib.BrotliDecoderErrorString(code)).decode("ascii", "replace")
                raise Undecodable(f"br: {why}")
            written = _PIECE - available_out[0]
            if written:
                yield ffi.buffer(target, written)[:]
            if result != lib.BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                return

    def end(self) -> Iterator[bytes]:
        return iter(())


def _brotli_module() -> Any:
    """The brotli bindings installed, if any can decode in bounded pieces."""
    for name in ("brotli", "brotlicffi"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        decompressor = module.Decompressor()
        if hasattr(decompressor, "can_accept_more_data"):
            return module
        try:
            importlib.import_module(f"{name}._{name}")
        except ImportError:
            continue
        return module
    return None


ACCEPT_ENCODING = "gzip, deflate, br" if _brotli_module() is not None else "gzip, deflate"


async def _whole(body: bytes) -> AsyncIterator[bytes]:
    yield body


class _Decoding:
    """A body's Content-Encoding undone, every coding in turn, in pieces of at most _PIECE."""

    def __init__(self, header: str | None) -> None:
        names = [n.strip().lower() for n in (header or "").split(",")]
        self._stages: list[_Inflate | _Unbrotli] = []
        for name in reversed([n for n in names if n and n != "identity"]):
            if name in ("gzip", "x-gzip", "deflate"):
                self._stages.append(_Inflate(name))
            elif name == "br":
                self._stages.append(_Unbrotli())
            else:
                raise Undecodable(f"{name}: not an encoding sourcecheck reads")

    def _through(self, stage: int, data: bytes) -> Iterator[bytes]:
        if stage == len(self._stages):
            yield data
            return
        for piece in self._stages[stage].feed(data):
            yield from self._through(stage + 1, piece)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next received bytes."""
        return self._through(0, data)

    def end(self) -> Iterator[bytes]:
        """What is left once the body has all been received."""
        for stage, decoder in enumerate(self._stages):
            for piece in decoder.end():
                yield from self._through(stage + 1, piece)


# ----------------------------------------------------------------------------- transports


class NotServed(Exception):
    """Raised by a transport that makes no request (offline, replay) for what it cannot serve."""


@dataclass(frozen=True)
class _Ask:
    """What a GET is for, carried in its request extensions through every redirect hop: a live
    page (kept in the live cache), or the made-up path a host's soft 404s are probed with."""

    url: str  # the URL first asked, before any redirect
    probe: bool = False


_ASK = "sourcecheck.ask"
_FETCHED = "sourcecheck.fetched"  # a response's extension: when it was received (epoch seconds)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A cached body is the one received: de-chunked, still in its Content-Encoding.
_DROPPED = frozenset({"transfer-encoding"})
# Not renewed by a 304: they describe the stored body (RFC 9111, section 3.2).
_BODY_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


def _site(url: httpx.URL) -> str:
    host, port = _origin(str(url))
    return f"{url.scheme}://{host}:{port}"


def _probe_hop(request: httpx.Request) -> bool:
    """Whether a request asks for a probe's made-up path itself (not a hop it redirected to).

    Each probe makes up a new path, so a probe is kept and replayed by host, not by URL."""
    ask = request.extensions.get(_ASK)
    return isinstance(ask, _Ask) and ask.probe and request.url == httpx.URL(ask.url)


def _headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Headers as they were sent or received, names in their own case."""
    raw = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw)
    return [(k, v) for k, v in raw if k.lower() not in _DROPPED]


def _answer(
    status: int, headers: Iterable[tuple[str, str]], body: bytes, fetched: float
) -> httpx.Response:
    """A response made of stored parts; the client decodes its body as it would a received one."""
    return httpx.Response(
        status, headers=list(headers), stream=httpx.ByteStream(body), extensions={_FETCHED: fetched}
    )


class _Tee(httpx.AsyncByteStream):
    """A body passed on as it comes, and handed to ``done`` once read to its end: one left
    unread (over the size limit, say) is never handed on."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner, self._done = inner, done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks: list[bytes] = []
        async for chunk in self._inner:
            chunks.append(chunk)
            yield chunk
        self._done(b"".join(chunks))

    async def aclose(self) -> None:
        await self._inner.aclose()


def _teed(response: httpx.Response, done: Callable[[bytes], None]) -> httpx.Response:
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream)  # a transport's answer is async
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=_Tee(stream, done),
        extensions=response.extensions,
    )


class _Refuse(httpx.AsyncBaseTransport):
    """Makes no request: every one is NotServed, with the reason given."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise NotServed(self.reason)


class _Replay(httpx.AsyncBaseTransport):
    """Answers with recorded exchanges, by method and URL; a probe with the host's recorded
    probe. Anything not recorded is NotServed.

    An archive's 404 for a path answers that path whatever its query: it is an API the archive
    lacks (a CDX dialect), and which lookup's URL asked for it first depends on timing.
    """

    def __init__(self, exchanges: Iterable[Exchange], archives: frozenset[tuple[str, int]]) -> None:
        self._by_url: dict[tuple[str, str], Exchange] = {}
        self._probes: dict[str, Exchange] = {}
        self._lacking: dict[tuple[str, str], Exchange] = {}
        for e in exchanges:
            self._by_url[(e.method, e.url)] = e
            if e.probe:
                self._probes[_site(httpx.URL(e.url))] = e
            if e.http_status == 404 and _origin(e.url) in archives:
                self._lacking[(e.method, e.url.split("?", 1)[0])] = e

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _probe_hop(request):
            found = self._probes.get(_site(request.url))
        else:
            key = (request.method, str(request.url))
            found = self._by_url.get(key) or self._lacking.get((key[0], key[1].split("?", 1)[0]))
        if found is None:
            raise NotServed("not in the WARC")
        return _answer(found.http_status, found.headers, found.body, found.date.timestamp())


# Answers that say what the page is, not how the server is doing: kept like a page.
_DEFINITIVE = frozenset({401, 403, 404, 410, 451, 999})


class _LiveCache(httpx.AsyncBaseTransport):
    """Live pages from the cache (kind ``live``), each hop of a redirect on its own.

    An answer stored less than ``max_age`` ago is used as it is; an older one is asked for again
    with its validators (If-None-Match, If-Modified-Since), and a 304 renews it. Offline, any
    stored answer is used, whatever its age. The age is ours, not the site's Cache-Control: news
    sites send ``no-cache`` or ``max-age=0`` on articles that do not change for days, and a
    check needs the page, not its freshness by the site's rules. Only answers are stored: 2xx,
    redirects, and the definitive refusals (``_DEFINITIVE``: gone, not found, forbidden), as
    lychee keeps them; no answer (a timeout, a refused connection) and the transient ones (429,
    5xx) are never stored, so the next run asks again.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        cache: Cache,
        max_age: float,
        offline: bool,
        clock: Callable[[], float],
    ) -> None:
        self._inner, self._cache, self._max_age = inner, cache, max_age
        self._offline, self._clock = offline, clock

    def stored_at(self, url: str) -> float | None:
        """When the answer for ``url`` was stored, if it would be used without asking."""
        meta = self._cache.meta("live", url)
        if meta is None:
            return None
        stored = float(meta["stored"])
        return stored if self._offline or self._clock() - stored < self._max_age else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET" or not isinstance(request.extensions.get(_ASK), _Ask):
            return await self._inner.handle_async_request(request)
        probe = _probe_hop(request)
        key = f"probe {_site(request.url)}" if probe else str(request.url)
        stored = self._cache.get("live", key)
        if stored is not None:
            meta, body = stored
            if self._offline or self._clock() - float(meta["stored"]) < self._max_age:
                return _answer(meta["http_status"], meta["headers"], body, meta["stored"])
            validators = {k.lower(): v for k, v in meta["headers"]}
            if "etag" in validators:
                request.headers["If-None-Match"] = validators["etag"]
            if "last-modified" in validators:
                request.headers["If-Modified-Since"] = validators["last-modified"]
        response = await self._inner.handle_async_request(request)
        if response.status_code == 304 and stored is not None:
            await response.aclose()
            meta, body = stored
            renewed = {k.lower() for k in response.headers} - _BODY_HEADERS
            headers = [(k, v) for k, v in meta["headers"] if k.lower() not in renewed]
            headers += [(k, v) for k, v in _headers(response.headers) if k.lower() in renewed]
            meta = {**meta, "headers": headers, "stored": self._clock()}
            self._cache.put("live", key, meta, body)
            return _answer(meta["http_status"], headers, body, meta["stored"])
        status = response.status_code
        if not (
            200 <= status < 300
            or (status in _REDIRECTS and "location" in response.headers)
            or status in _DEFINITIVE
        ):
            return response
        meta = {
            "url": str(request.url),
            "http_status": status,
            "headers": _headers(response.headers),
            "stored": self._clock(),
        }
        return _teed(response, lambda body: self._cache.put("live", key, meta, body))

    async def aclose(self) -> None:
        await self._inner.aclose()


class RedirectTooLarge(Exception):
    """A redirect that is followed, whose body runs past the byte limit."""


_FOLLOWED = "sourcecheck.followed"  # a request's extension: its redirects are followed


class _RedirectBodies(httpx.AsyncBaseTransport):
    """The body of a redirect that the client follows, as it comes (not decoded) and at most
    ``limit`` bytes of it.

    httpx reads such a body whole, and decodes it, before it follows the redirect, outside the
    limit and the bomb-safe decoding a page's body goes through: a 302 carrying 0.5 MB of gzip
    took 1 GB. The body is thrown away; the layers below (the cache, the WARC) see it as sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        followed = request.extensions.get(_FOLLOWED) and response.status_code in _REDIRECTS
        if not followed or "location" not in response.headers:
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.headers.raw if k.lower() != b"content-encoding"],
            stream=_Capped(response.stream, self._limit),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Capped(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise RedirectTooLarge(
                    f"a redirect's body is larger than the {self._limit:,} byte limit"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Recorder(httpx.AsyncBaseTransport):
    """Keeps every exchange whose answer was read to its end, in the order they ended."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: Callable[[], float]) -> None:
        self._inner, self._clock = inner, clock
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = tuple(_headers(request.headers))  # before the cache adds its validators
        probe = _probe_hop(request)
        response = await self._inner.handle_async_request(request)
        when = dt.datetime.fromtimestamp(response.extensions.get(_FETCHED) or self._clock(), dt.UTC)

        def keep(body: bytes) -> None:
            self.exchanges.append(
                Exchange(
                    request.method,
                    str(request.url),
                    sent,
                    response.status_code,
                    tuple(_headers(response.headers)),
                    body,
                    when,
                    probe,
                )
            )

        return _teed(response, keep)

    async def aclose(self) -> None:
        await self._inner.aclose()


Sleep = Callable[[float], Awaitable[None]]
Pace = Callable[[str], Awaitable[None]]  # waits for a URL's turn before each try

# What may pass by itself: asked again (a GET only), after a wait.
_TRANSIENT = frozenset({429, 503})


@dataclass(frozen=True)
class Tried:
    """The last answer to a GET asked up to ``1 + retries`` times, and how it went."""

    got: Response | Unavailable
    tries: int = 1
    gave_up: str | None = None  # why a failure that may pass was not asked again

    def note(self) -> str | None:
        """What a reason adds: the tries made, or the wait that was not made."""
        notes = [f"after {self.tries} tries"] if self.tries > 1 else []
        notes += [self.gave_up] if self.gave_up else []
        return ", ".join(notes) or None


class Fetcher:
    """Fetches URLs with one shared client, global and per-host limits, and the address guard.

    ``trusted_origins`` are URLs whose host and port are exempt from the address guard: the
    archive the user configured, which may well run on this machine. ``cache`` keeps the live
    pages that ``fetch`` and ``probe`` get (``settings.max_age``); ``record`` keeps every
    exchange in ``exchanges``; ``replay`` answers from recorded exchanges instead of the
    network. With ``settings.offline`` or ``replay`` no request ever leaves the process.
    ``sleep`` and ``rng`` make the waits between retries (``settings.max_retries``).
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        trusted_origins: Iterable[str] = (),
        cache: Cache | None = None,
        record: bool = False,
        replay: Iterable[Exchange] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = s = settings or FetchSettings()
        self._live: _LiveCache | None = None
        self._sleep, self._rng = sleep, rng or random.Random()
        trusted = frozenset(_origin(u) for u in trusted_origins)
        network: httpx.AsyncBaseTransport
        if replay is not None:
            network = _Replay(replay, trusted)
        elif s.offline:
            network = _Refuse("offline: not in the cache")
        else:
            network = transport or _guarded_transport(s, trusted)
        if cache is not None and cache.directory is not None and replay is None:
            network = self._live = _LiveCache(network, cache, s.max_age, s.offline, clock)
        self._recorder = _Recorder(network, clock) if record else None
        self._transport: httpx.AsyncBaseTransport = _RedirectBodies(
            self._recorder or network, s.max_bytes
        )
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._probes: dict[tuple[str, int], Page | Unavailable] = {}
        self._probing: dict[tuple[str, int], asyncio.Lock] = {}
        self._expected: Counter[str] = Counter()  # askers of a URL not done with it yet
        self._shared: dict[str, asyncio.Future[Page | Unavailable]] = {}

    async def __aenter__(self) -> Self:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            headers={
                "User-Agent": s.user_agent,
                "Accept": "text/html,*/*;q=0.8",
                # Only the codings _Decoding reads (httpx would offer zstd too, if installed).
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            # Proxies from the environment would bypass the address guard; not used yet.
            trust_env=False,
        )
        self._global = asyncio.Semaphore(s.max_concurrency)
        # Semaphores belong to the event loop that first waits on one: a new 'async with',
        # maybe in another loop, gets new ones.
        self._hosts = {}
        self._probes, self._probing = {}, {}
        self._expected, self._shared = Counter(), {}
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for shared in self._shared.values():  # askers that never came: a run cut short
            shared.cancel()
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    def stored_at(self, url: str) -> float | None:
        """When the live answer ``fetch`` would get for ``url`` without asking was stored
        (fresh enough, or offline), or None: it would be asked for, or it is being recorded."""
        if self._live is None or self._recorder is not None:
            return None
        return self._live.stored_at(url)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange read to its end so far, if recording (else none)."""
        return list(self._recorder.exchanges) if self._recorder else []

    def _host_limit(self, url: str) -> asyncio.Semaphore:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # e.g. "http://[::1/": httpx refuses it too, and says why
            host = ""
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.settings.host_concurrency)
        return self._hosts[host]

    async def get(self, url: str, *, follow_redirects: bool = True) -> Response | Unavailable:
        """GET a URL: any HTTP answer is a Response, no answer Unavailable with a reason."""
        return await self.request("GET", url, follow_redirects=follow_redirects)

    async def post(
        self, url: str, form: dict[str, str], headers: dict[str, str]
    ) -> Response | Unavailable:
        """POST a form to a URL, redirects not followed (a POST is not repeated blindly)."""
        return await self.request("POST", url, form=form, headers=headers, follow_redirects=False)

    async def request(
        self,
        method: str,
        url: str,
        *,
        follow_redirects: bool = True,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Response | Unavailable:
        """Any request: an HTTP answer is a Response, no answer Unavailable with a reason.

        ``headers`` go to this URL's host only: httpx drops Authorization on a redirect to
        another origin. ``extensions`` go to the transports, through every redirect.
        """
        got, _ = await self._attempt(method, url, follow_redirects, form, headers, extensions)
        return got

    async def _attempt(
        self,
        method: str,
        url: str,
        follow_redirects: bool = True,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> tuple[Response | Unavailable, bool]:
        """One request, and whether a failure to get an answer may pass if asked again."""
        if self._client is None or self._global is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        s = self.settings
        try:
            # The host's turn first: a request waiting on a busy host must not hold a global
            # slot, or one host with many URLs starves all the others.
            async with self._host_limit(url), self._global, asyncio.timeout(s.total_timeout):
                got = await self._send(
                    self._client, method, url, follow_redirects, form, headers, extensions
                )
                return got, False
        except NotServed as exc:
            return Unavailable(url, SourceStatus.ERROR, str(exc)), False
        except TimeoutError:
            reason = f"timed out after {s.total_timeout:g} s"
            return Unavailable(url, SourceStatus.ERROR, reason), True
        except AddressRefused as exc:
            reason = f"refused: {exc} (allow with --allow-private)"
            return Unavailable(url, SourceStatus.ERROR, reason), False
        except RedirectTooLarge as exc:
            return Unavailable(url, SourceStatus.ERROR, str(exc)), False
        except httpx.TooManyRedirects:
            reason = f"more than {s.max_redirects} redirects"
            return Unavailable(url, SourceStatus.ERROR, reason), False
        except httpx.TimeoutException as exc:
            reason = f"timed out ({type(exc).__name__})"
            return Unavailable(url, SourceStatus.ERROR, reason), True
        except httpx.ConnectError as exc:
            text = str(exc)
            if "SSL" in text or "CERTIFICATE" in text.upper():
                return Unavailable(url, SourceStatus.ERROR, f"TLS error: {text}"), False
            return Unavailable(url, SourceStatus.DEAD, f"could not connect: {text}"), True
        except httpx.UnsupportedProtocol as exc:
            return Unavailable(url, SourceStatus.ERROR, f"unsupported URL: {exc}"), False
        except httpx.RemoteProtocolError as exc:
            if "location header" in str(exc).lower():  # a redirect to where no URL can go
                return Unavailable(url, SourceStatus.ERROR, f"bad redirect: {exc}"), False
            return Unavailable(
                url, SourceStatus.ERROR, f"connection broken (RemoteProtocolError: {exc})"
            ), True
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            # A connection reset or closed before the answer was whole: no answer, as a
            # refused connection is, and may pass as it may.
            cut = isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError)
            if cut:
                reason = f"connection broken ({reason})"
            return Unavailable(url, SourceStatus.ERROR, reason), cut

    async def get_tried(
        self,
        url: str,
        *,
        retries: int | None = None,
        retry_wait: float | None = None,
        pace: Pace | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Tried:
        """GET a URL, asked again up to ``retries`` times (``settings.max_retries``) when the
        failure may pass by itself: no answer (a refused or cut connection, a timeout), 429 Too
        Many Requests, 503 Service Unavailable. A GET is idempotent, so asking again is safe;
        nothing else is retried.

        The wait doubles from ``retry_wait`` (``settings.retry_wait``) each time, jittered so
        that many clients do not come back at once; a Retry-After header (seconds or an HTTP
        date) is honoured up to ``settings.max_retry_wait``, and one asking longer ends the
        tries with the wait named in ``Tried.gave_up``. ``pace`` is awaited before each try.
        """
        from .archive import retry_after

        s = self.settings
        retries = s.max_retries if retries is None else retries
        base = s.retry_wait if retry_wait is None else retry_wait
        sleep, rng = sleep or self._sleep, rng or self._rng
        tries = 0
        while True:
            if pace is not None:
                await pace(url)
            got, transient = await self._attempt("GET", url, extensions=extensions)
            tries += 1
            if isinstance(got, Response):
                transient = got.http_status in _TRANSIENT
            if not transient or tries > retries:
                return Tried(got, tries)
            wait = base * 2.0 ** (tries - 1) * (1 + rng.random())
            asked = retry_after(got.header("retry-after")) if isinstance(got, Response) else None
            if asked is not None:
                if asked > s.max_retry_wait:
                    why = f"Retry-After {asked:.0f} s, over the {s.max_retry_wait:g} s waited"
                    return Tried(got, tries, why)
                wait = asked
            await sleep(min(wait, s.max_retry_wait))

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        follow_redirects: bool,
        form: dict[str, str] | None,
        headers: dict[str, str] | None,
        extensions: dict[str, Any] | None,
    ) -> Response | Unavailable:
        limit = self.settings.max_bytes
        if follow_redirects:
            extensions = {**(extensions or {}), _FOLLOWED: True}
        async with client.stream(
            method,
            url,
            follow_redirects=follow_redirects,
            data=form,
            headers=headers,
            extensions=extensions,
        ) as r:
            final = str(r.url)
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                reason = f"larger than the {limit:,} byte limit ({int(declared):,} bytes declared)"
                return Unavailable(url, SourceStatus.ERROR, reason, r.status_code, final)
            body = bytearray()
            over = f"larger than the {limit:,} byte limit"
            try:
                # A response made whole (httpx.MockTransport's) was read, and decoded, already.
                made = r.is_stream_consumed
                decoding = _Decoding(None if made else r.headers.get("content-encoding"))
                async for chunk in _whole(r.content) if made else r.aiter_raw():
                    for piece in decoding.feed(chunk):
                        body += piece
                        if len(body) > limit:
                            return Unavailable(url, SourceStatus.ERROR, over, r.status_code, final)
                for piece in decoding.end():
                    body += piece
                    if len(body) > limit:
                        return Unavailable(url, SourceStatus.ERROR, over, r.status_code, final)
            except Undecodable as exc:
                reason = f"cannot decode the body: {exc}"
                return Unavailable(url, SourceStatus.ERROR, reason, r.status_code, final)
            return Response(
                url=url,
                final_url=final,
                http_status=r.status_code,
                headers=tuple(r.headers.multi_items()),
                body=bytes(body),
                redirects=tuple(str(h.url) for h in r.history),
                redirect_statuses=tuple(h.status_code for h in r.history),
            )

    async def probe(self, url: str) -> Page | Unavailable:
        """Fetch ``url``, a path made up to see how the host answers a missing page, once per
        host a run: later probes of the same host get the first answer, so the test costs one
        request a host however many of its pages are in doubt."""
        host = _origin(url)
        async with self._probing.setdefault(host, asyncio.Lock()):
            if host not in self._probes:
                self._probes[host] = await self.fetch(url, probe=True)
        return self._probes[host]

    def expect(self, urls: Iterable[str]) -> None:
        """Say that ``fetch`` will be asked for each of ``urls`` in this ``async with``, once
        for each time it is listed, by askers that each call ``done_with`` when they are
        through with it (whether they asked or not). A URL expected several times is fetched
        once: its askers share the one request and its page, which is let go when the last of
        them is done, so that a long run does not hold every page it has read."""
        self._expected.update(urls)

    def done_with(self, url: str) -> None:
        """One of the askers ``expect`` announced for ``url`` needs it no more."""
        if self._expected[url] > 1:
            self._expected[url] -= 1
        else:
            self._expected.pop(url, None)
            self._shared.pop(url, None)

    async def fetch(self, url: str, *, probe: bool = False) -> Page | Unavailable:
        """GET a live page: a readable 2xx answer is a Page, anything else Unavailable with a
        reason. The page goes through the live cache, and is kept in a WARC as a live page;
        a failure that may pass is retried ``settings.max_retries`` times (``get_tried``).
        A URL that ``expect`` announced more than once is asked for once, its answer shared."""
        if probe or (url not in self._shared and self._expected[url] < 2):
            return await self._fetch(url, probe)
        shared = self._shared.get(url)
        if shared is None:
            shared = self._shared[url] = asyncio.ensure_future(self._fetch(url, probe))
        # Shielded: one asker cancelled must not cancel the request the others wait for.
        return await asyncio.shield(shared)

    async def _fetch(self, url: str, probe: bool) -> Page | Unavailable:
        tried = await self.get_tried(url, extensions={_ASK: _Ask(url, probe)})
        got = tried.got
        page = got if isinstance(got, Unavailable) else to_page(got)
        note = tried.note()
        if note is not None and isinstance(page, Unavailable):
            page = replace(page, reason=f"{page.reason}, {note}")
        return page


def to_page(r: Response) -> Page | Unavailable:
    """A Response as a Page when it is a readable 2xx answer, else Unavailable with a reason."""
    status = classify_status(r.http_status)
    if status is not SourceStatus.OK:
        if r.http_status in (403, 429, 503):
            # Bot challenges come as 403 or 503 too: say so, it is a wall, not an outage.
            from .states import is_bot_challenge

            challenge = is_bot_challenge(r)
            if challenge:
                return Unavailable(
                    r.url, SourceStatus.BLOCKED, challenge, r.http_status, r.final_url
                )
        return Unavailable(r.url, status, f"HTTP {r.http_status}", r.http_status, r.final_url)
    content_type = r.header("content-type") or _sniff(r.body)
    if _media_type(content_type) in ("application/octet-stream", "binary/octet-stream") and (
        b"%PDF-" in r.body[:1024]
    ):
        content_type = "application/pdf"  # many servers send PDFs as bytes of no named type
    if _media_type(content_type) not in READABLE_TYPES:
        reason = f"unsupported content type {_media_type(content_type)}"
        return Unavailable(r.url, SourceStatus.ERROR, reason, r.http_status, r.final_url)
    if _binary(r.body, content_type):
        reason = f"binary content, not {_media_type(content_type)} (NUL bytes)"
        return Unavailable(r.url, SourceStatus.ERROR, reason, r.http_status, r.final_url)
    if "html" in _media_type(content_type) or "xml" in _media_type(content_type):
        # Here, before any stage parses it (the page's state, its text, its AMP link): each
        # parse of a page nested this deep takes time in the square of its depth.
        from .extract import MAX_DEPTH, html_depth_over

        if html_depth_over(r.body) is not None:
            reason = f"HTML nested more than {MAX_DEPTH:,} elements deep: not parsed"
            return Unavailable(r.url, SourceStatus.ERROR, reason, r.http_status, r.final_url)
    return Page(
        r.url, r.final_url, r.http_status, content_type, r.body, r.redirects, r.redirect_statuses
    )
