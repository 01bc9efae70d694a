"""A stand-in Wayback Machine on a RouteServer: answers exactly as the Internet Archive does."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.http_server import Route, RouteServer


@dataclass(frozen=True)
class Cap:
    """A capture in the stand-in archive."""

    original: str
    timestamp: str
    status: int = 200
    body: bytes = b"<p>captured</p>"
    mime: str = "text/html"
    location: str | None = None  # a captured redirect's own Location


def _surt(url: str) -> str:
    parts = urlsplit(url)
    host = ",".join(reversed((parts.hostname or "").removeprefix("www.").split(".")))
    return f"{host}){parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _when(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts.ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


_PLAYBACK = re.compile(r"^/web/(?P<ts>\d{1,14})id_/(?P<url>.+)$")
IA_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass
class IAStandIn:
    """Answers on a RouteServer as the Internet Archive does (or as pywb does, for its CDX).

    ``dialect``: "ia" serves ``/cdx/search/cdx``; "pywb" serves ``/web/cdx`` only (the other
    answers 404, as pywb does); "none" serves neither. ``cdx_format`` is what the IA CDX sends:
    "json" (a list of lists under a header row; ``[]`` when empty), "plain" (seven fields a
    line; empty when empty), "empty" or any other literal body.
    """

    server: RouteServer
    captures: list[Cap] = field(default_factory=list)
    dialect: str = "ia"
    cdx_format: str = "json"
    cdx_status: int = 200
    honour_filter: bool = True
    playback_status: int | None = None  # the archive's own refusal of every playback
    mount: str = ""  # a path the playback is served under, before /web/
    moves: dict[str, str] = field(default_factory=dict)  # timestamp -> timestamp, 302 in playback
    refusals: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After)

    def __post_init__(self) -> None:
        self.server.prefixes["/cdx/search/cdx"] = self._ia_cdx
        self.server.prefixes["/web/cdx"] = self._pywb_cdx  # before the playback prefix
        self.server.prefixes["/web/"] = self._playback
        self.server.prefixes["/wayback/web/"] = self._playback

    @property
    def base(self) -> str:
        return self.server.base_url

    def reset(self) -> None:
        self.captures.clear()
        self.moves.clear()
        self.dialect, self.cdx_format, self.cdx_status = "ia", "json", 200
        self.honour_filter, self.playback_status, self.mount = True, None, ""
        self.refusals.clear()
        self.server.requests.clear()

    def paths(self, prefix: str = "/") -> list[str]:
        return [urlsplit(p).path for p, _ in self.server.requests if p.startswith(prefix)]

    def queries(self) -> list[dict[str, list[str]]]:
        return [parse_qs(urlsplit(p).query) for p, _ in self.server.requests if "cdx" in p]

    def _found(self, query: str) -> list[Cap]:
        q = {k: v[0] for k, v in parse_qs(query).items()}
        rows = [c for c in self.captures if c.original == q.get("url")]
        if self.honour_filter and q.get("filter", "").startswith("statuscode:"):
            wanted = q["filter"].removeprefix("statuscode:")
            rows = [c for c in rows if re.fullmatch(wanted, str(c.status))]
        if q.get("sort") == "closest" and "closest" in q:
            target = _when(q["closest"])
            rows.sort(key=lambda c: abs(_when(c.timestamp) - target))
        return rows[: int(q.get("limit", "10000"))]

    def _ia_cdx(self, path: str) -> Route:
        if self.dialect != "ia":
            return Route(b"<h1>Not Found</h1>", status=404)
        if self.refusals:  # "slow down", as many times as queued, before answering
            status, retry_after = self.refusals.pop(0)
            headers = (("Retry-After", retry_after),) if retry_after is not None else ()
            return Route(b"<h1>Too Many Requests</h1>", status=status, headers=headers)
        if self.cdx_status != 200:
            return Route(b"<h1>Too Many Requests</h1>", status=self.cdx_status)
        rows = [
            [
                _surt(c.original),
                c.timestamp,
                c.original,
                c.mime,
                str(c.status),
                hashlib.sha1(c.body).hexdigest(),
                str(len(c.body)),
            ]
            for c in self._found(urlsplit(path).query)
        ]
        if self.cdx_format == "json":
            body = json.dumps([IA_FIELDS, *rows] if rows else [])
        elif self.cdx_format == "plain":
            body = "".join(" ".join(row) + "\n" for row in rows)
        elif self.cdx_format == "empty":
            body = ""
        else:
            body = self.cdx_format
        return Route(body.encode(), content_type="text/plain")

    def _pywb_cdx(self, path: str) -> Route:
        if self.dialect != "pywb":
            return Route(b"<h1>Not Found</h1>", status=404)
        lines = [
            json.dumps(
                {
                    "urlkey": _surt(c.original),
                    "timestamp": c.timestamp,
                    "url": c.original,
                    "mime": c.mime,
                    "status": str(c.status),
                }
            )
            for c in self._found(urlsplit(path).query)
        ]
        return Route("".join(line + "\n" for line in lines).encode(), content_type="text/x-ndjson")

    def _playback(self, path: str) -> Route:
        m = _PLAYBACK.match(path.removeprefix(self.mount))
        if m is None:
            return Route(b"<h1>Not Found</h1>", status=404)
        ts, url = m["ts"], m["url"]
        web = f"{self.base}{self.mount}/web"
        if self.playback_status is not None:
            return Route(b"<h1>Please slow down</h1>", status=self.playback_status)
        if ts in self.moves:
            return Route(status=302, headers=(("Location", f"{web}/{self.moves[ts]}id_/{url}"),))
        found = [c for c in self.captures if c.original == url]
        if not found:
            return Route(b"<p>IAStandIn Machine has not archived that URL.</p>", status=404)
        nearest = min(found, key=lambda c: abs(_when(c.timestamp) - _when(ts)))
        if nearest.timestamp != ts:  # the IAStandIn Machine redirects to the capture it has
            return Route(status=302, headers=(("Location", f"{web}/{nearest.timestamp}id_/{url}"),))
        memento = email.utils.format_datetime(_when(ts), usegmt=True)
        headers = [("Memento-Datetime", memento)]
        if nearest.location is not None:
            headers.append(("Location", nearest.location))
        return Route(
            nearest.body, status=nearest.status, content_type=nearest.mime, headers=tuple(headers)
        )
