"""Run a real pywb web archive on 127.0.0.1 for tests.

Build captures with :class:`Capture`, write them to a WARC with :func:`write_warc`,
or let :class:`PywbArchive` do both and serve them::

    with PywbArchive(tmp_path, [Capture("http://example.com/", "20120515120000",
                                        body=b"<p>hi</p>")]) as archive:
        archive.base_url  # "http://127.0.0.1:PORT"; collection "web":
        # {base_url}/web/cdx?url=...   {base_url}/web/20120515120000id_/http://example.com/

pywb runs in subprocesses (``wb-manager`` to index, ``wayback`` to serve), so none of
its imports or warnings touch the test process; only warcio is imported here.
"""

from __future__ import annotations

import http
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

__all__ = ["Capture", "PywbArchive", "PywbError", "write_warc"]

COLLECTION = "web"
_TIMESTAMP_RE = re.compile(r"\d{14}")


@dataclass(frozen=True)
class Capture:
    """One archived HTTP response.

    For a redirect capture, give the status (e.g. 301) and put a ``("Location", url)``
    pair in ``headers``. An empty ``content_type`` omits the Content-Type header.
    """

    url: str
    timestamp: str  # 14 digits, UTC: YYYYMMDDhhmmss
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not _TIMESTAMP_RE.fullmatch(self.timestamp):
            raise ValueError(f"timestamp must be 14 digits, got {self.timestamp!r}")

    @property
    def warc_date(self) -> str:
        """The timestamp as a WARC-Date (ISO 8601, UTC)."""
        t = self.timestamp
        return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"

    def http_headers(self) -> list[tuple[str, str]]:
        """Response headers as archived: Content-Type, extra headers, Content-Length."""
        headers: list[tuple[str, str]] = []
        if self.content_type:
            headers.append(("Content-Type", self.content_type))
        headers.extend(self.headers)
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(self.body))))
        return headers


def write_warc(path: str | os.PathLike[str], captures: Iterable[Capture]) -> Path:
    """Write ``captures`` as gzipped WARC/1.0 ``response`` records to ``path``."""
    path = Path(path)
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for capture in captures:
            try:
                reason = http.HTTPStatus(capture.status).phrase
            except ValueError:
                reason = "Unknown"
            http_headers = StatusAndHeaders(
                f"{capture.status} {reason}", capture.http_headers(), protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                capture.url,
                "response",
                payload=io.BytesIO(capture.body),
                length=len(capture.body),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Date": capture.warc_date},
            )
            writer.write_record(record)
    return path


class PywbError(RuntimeError):
    """pywb failed to index the captures or to start."""


# Runs like the ``wayback`` console script (pywb.apps.cli:wayback), plus:
# - TCP_NODELAY on accepted sockets: gevent's pywsgi sends the headers and the body in
#   two send() calls, so without it Nagle's algorithm and the client's delayed ACK add
#   ~40 ms to every response on a kept-alive connection (httpx's default);
# - exit when the parent (the test process) dies without stopping the server.
_WAYBACK_LAUNCHER = """\
import os, socket
from pywb.apps.cli import wayback  # runs gevent.monkey.patch_all() first
import gevent
from gevent.pywsgi import WSGIHandler
_init = WSGIHandler.__init__
def _init_nodelay(self, sock, *args, **kwargs):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _init(self, sock, *args, **kwargs)
WSGIHandler.__init__ = _init_nodelay
def _exit_with_parent(parent=os.getppid()):
    while os.getppid() == parent:
        gevent.sleep(0.5)
    os._exit(0)
gevent.spawn(_exit_with_parent)
wayback()
"""


def _environment() -> dict[str, str]:
    """Return the test process's environment, less pywb's config file override."""
    return {k: v for k, v in os.environ.items() if k != "PYWB_CONFIG_FILE"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PywbArchive:
    """A pywb ``wayback`` server over ``captures``, as a context manager.

    ``directory`` (created if missing, should be empty) gets ``collections/web/``
    with the WARC and its CDXJ index, plus ``wayback.log`` with the server output.
    ``bin_dir`` is where pywb's ``python``, ``wayback`` and ``wb-manager`` live: by
    default next to the running Python (the project venv); pass another venv's
    ``bin`` to use a pywb installed there. ``nodelay=False`` runs the stock
    ``wayback`` script instead of ``_WAYBACK_LAUNCHER``: its responses on a
    kept-alive connection each take ~40 ms longer, and it outlives a killed parent.
    ``config`` is YAML for ``config.yaml`` over pywb's defaults, e.g.
    ``"redirect_to_exact: true"`` (an inexact timestamp then gets a 307 redirect to
    the capture, as the Wayback Machine does) or ``"framed_replay: false"``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        captures: Iterable[Capture],
        *,
        bin_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        nodelay: bool = True,
        config: str = "",
    ) -> None:
        self.directory = Path(directory).resolve()
        self.captures = tuple(captures)
        self.bin_dir = Path(bin_dir) if bin_dir is not None else Path(sys.executable).parent
        self.startup_timeout = startup_timeout
        self.nodelay = nodelay
        self.config = config
        self.port = 0
        self.startup_seconds = 0.0  # wall time of start(), indexing included
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server (collection ``/web``)."""
        if self._process is None:
            raise PywbError("pywb archive is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """The server's stdout and stderr (startup errors, one line per request)."""
        return self.directory / "wayback.log"

    def _script(self, name: str) -> str:
        script = self.bin_dir / name
        if not script.exists():
            raise PywbError(f"{script} not found: is pywb installed in {self.bin_dir.parent}?")
        return str(script)

    def _start_indexing(self) -> subprocess.Popen[bytes]:
        """Write the WARC into ``collections/web/archive/`` and start indexing it."""
        coll = self.directory / "collections" / COLLECTION
        (coll / "archive").mkdir(parents=True, exist_ok=True)
        (coll / "indexes").mkdir(exist_ok=True)
        write_warc(coll / "archive" / "captures.warc.gz", self.captures)
        (self.directory / "config.yaml").write_text(self.config or "{}\n")
        # "reindex" writes collections/web/indexes/index.cdxj for everything in archive/.
        return subprocess.Popen(
            [self._script("wb-manager"), "reindex", COLLECTION],
            cwd=self.directory,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def _start_server(self) -> None:
        if self.nodelay:
            command = [self._script("python"), "-c", _WAYBACK_LAUNCHER]
        else:
            command = [self._script("wayback")]
        for _attempt in range(3):  # another process may grab the free port first
            self.port = _free_port()
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(
                    [*command, "--bind", "127.0.0.1", "--port", str(self.port)],
                    cwd=self.directory,  # wayback reads ./config.yaml and ./collections
                    env=_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_until_up():
                return
            self.stop()
            if "Address already in use" not in self.log_path.read_text(errors="replace"):
                break
        log_text = self.log_path.read_text(errors="replace")
        raise PywbError(f"pywb wayback did not start; {self.log_path}:\n{log_text}")

    def start(self) -> None:
        """Index the captures, start ``wayback`` and wait until it answers.

        Indexing and the server's start-up (about 1 s of imports each) run in parallel.
        That is safe: pywb lists a collection's index files when it is queried, and the
        readiness probe (``/collinfo.json``) queries no index.
        """
        started = time.monotonic()
        indexer = self._start_indexing()
        try:
            self._start_server()
            output, _ = indexer.communicate(timeout=self.startup_timeout)
        except BaseException:
            indexer.kill()
            indexer.wait()
            self.stop()
            raise
        if indexer.returncode != 0:
            self.stop()
            text = output.decode(errors="replace")
            raise PywbError(f"wb-manager reindex failed ({indexer.returncode}):\n{text}")
        self.startup_seconds = time.monotonic() - started

    def _wait_until_up(self) -> bool:
        assert self._process is not None
        url = f"http://127.0.0.1:{self.port}/collinfo.json"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no *_proxy
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with opener.open(url, timeout=1.0) as response:
                    if response.status == 200:
                        return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
