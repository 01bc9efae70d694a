"""A real HTTP server on 127.0.0.1 with registered routes, for tests that cross the network."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    stall: float = 0.0  # seconds to wait after the headers, before the body
    hits: int = field(default=0, compare=False)


Handler = Callable[[str], Route]  # full path with query -> Route


class RouteServer:
    """A threaded HTTP/1.0 server: exact paths map to Routes, prefixes to handler functions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.prefixes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.bodies: list[tuple[str, bytes]] = []  # of POST requests
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append((self.path, self.rfile.read(length)))
                self.do_GET()

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.find(self.path)
                route.hits += 1
                self.send_response(route.status)
                if route.content_type is not None:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers:
                    self.send_header(name, value)
                if not any(k.lower() == "content-length" for k, _ in route.headers):
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.stall:
                    self.wfile.flush()
                    time.sleep(route.stall)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        """Register a route; return its full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def find(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        bare = urlsplit(path).path
        if bare in self.routes:
            return self.routes[bare]
        for prefix, handler in self.prefixes.items():
            if path.startswith(prefix):
                return handler(path)
        return Route(b"<h1>Not Found</h1>", status=404)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
