"""(url, as_of) -> snapshots of that URL: the only module that knows the Wayback Machine.

Captures are found with the CDX API, not the availability API, which is flaky and often answers
``{}`` for URLs that are archived. Captures are read with the ``id_`` playback
(``/web/<timestamp>id_/<url>``): the original bytes as captured, without the toolbar and link
rewriting of the page a person sees. Everything goes through the run's one ``Fetcher``.

Two CDX dialects answer here: the Internet Archive's ``/cdx/search/cdx`` (``output=json`` is a
list of lists whose first row names the fields; the default output is seven space-separated
fields a line; an empty result is an empty body), and pywb's ``/<collection>/cdx`` (one JSON
object a line, fields ``url``, ``mime``, ``status``). The second is tried when the first is not
there, so ``--wayback-url`` may point at either.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlencode, urljoin, urlsplit

from .fetch import Fetcher, to_page
from .models import ArchiveMiss, Page, Snapshot, SourceStatus, Unavailable

DEFAULT_WAYBACK_URL = "https://web.archive.org"

_IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
# The captured URL must start with its scheme, as in every URL the Wayback Machine gives: a
# date in an ordinary path (".../2012/05/08/story.html") is no capture timestamp.
_PINNED = re.compile(
    r"^(?P<base>https?://[^/]+(?:/[^/]+)*?)/(?P<ts>\d{4,14})(?:[a-z]{2}_)?/(?P<url>https?:/.+)$"
)


# The path of a playback URL: [/<prefix>]/<collection>/<timestamp>[mode_]/<original URL>.
_PLAYBACK = re.compile(r"/[^/]+/\d{4,14}(?:[a-z]{2}_)?/https?:")


def _in_archive(target: str, current: str) -> bool:
    """Whether a redirect target is a playback URL of the same archive as ``current``."""
    t, c = urlsplit(target), urlsplit(current)
    # search, not match: an archive may be served under a path of its own (".../wayback/web/").
    return (t.scheme, t.netloc) == (c.scheme, c.netloc) and _PLAYBACK.search(t.path) is not None


def timestamp_for(day: dt.date) -> str:
    """The 14-digit CDX timestamp a date stands for: its last second, so that every capture made
    on the day the source was cited counts as before the citation."""
    return day.strftime("%Y%m%d") + "235959"


def _rows(body: str) -> Iterator[dict[str, str]]:
    """CDX rows as dicts with IA field names, from any of the three output formats."""
    text = body.strip()
    if not text:
        return
    if text.startswith("["):  # IA output=json: header row, then rows
        table = json.loads(text)
        if table:
            header = [str(h) for h in table[0]]
            for row in table[1:]:
                yield dict(zip(header, (str(v) for v in row), strict=False))
        return
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):  # pywb output=json: one object a line
            obj = json.loads(line)
        elif "{" in line:  # CDXJ: "urlkey timestamp {json}"
            key, ts, rest = line.split(" ", 2)
            obj = {"urlkey": key, "timestamp": ts, **json.loads(rest)}
        else:  # IA default: seven space-separated fields
            obj = dict(zip(_IA_FIELDS, line.split(" "), strict=False))
        yield {
            "timestamp": str(obj.get("timestamp", "")),
            "original": str(obj.get("original") or obj.get("url") or ""),
            "statuscode": str(obj.get("statuscode") or obj.get("status") or ""),
            "mimetype": str(obj.get("mimetype") or obj.get("mime") or ""),
        }


def _distance(timestamp: str, target: str) -> float:
    def parse(ts: str) -> dt.datetime:
        return dt.datetime.strptime(ts.ljust(14, "0")[:14], "%Y%m%d%H%M%S")

    return abs((parse(timestamp) - parse(target)).total_seconds())


class Archive:
    """A Wayback-compatible archive: look up captures near a date, read a capture's bytes."""

    def __init__(self, fetcher: Fetcher, base_url: str = DEFAULT_WAYBACK_URL) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self._cdx_path: str | None = None  # which dialect answered, once known

    def snapshot(self, original_url: str, timestamp: str) -> Snapshot:
        """The Snapshot of ``original_url`` captured at ``timestamp`` in this archive."""
        return Snapshot(
            original_url=original_url,
            timestamp=timestamp,
            url=f"{self.base_url}/web/{timestamp}/{original_url}",
            raw_url=f"{self.base_url}/web/{timestamp}id_/{original_url}",
        )

    @staticmethod
    def pinned(archive_url: str) -> Snapshot:
        """A Snapshot for an ``archive_url`` given in sources.yaml.

        A Wayback-style URL (``.../<timestamp>[mode_]/<url>``) is read through its ``id_``
        playback; any other URL is read as it is.
        """
        m = _PINNED.match(archive_url)
        if m is None:
            return Snapshot(archive_url, None, archive_url, archive_url)
        base, ts, url = m.group("base"), m.group("ts"), m.group("url")
        return Snapshot(url, ts, f"{base}/{ts}/{url}", f"{base}/{ts}id_/{url}")

    async def lookup(
        self, url: str, as_of: dt.date, limit: int = 3
    ) -> list[Snapshot] | ArchiveMiss:
        """Captures of ``url`` with status 200: the closest to ``as_of`` first, then the others
        before it (nearest first), then those after it."""
        target = timestamp_for(as_of)
        params = {
            "url": url,
            "closest": target,
            "sort": "closest",
            "filter": "statuscode:200",
            "limit": str(max(limit, 10)),
            "output": "json",
        }
        paths = [self._cdx_path] if self._cdx_path else ["/cdx/search/cdx", "/web/cdx"]
        answer = None
        for path in paths:
            got = await self.fetcher.get(f"{self.base_url}{path}?{urlencode(params)}")
            if isinstance(got, Unavailable):
                return ArchiveMiss(f"archive unreachable: {got.reason}")
            if got.http_status == 404 and path != paths[-1]:
                continue
            answer = got
            break
        if answer is None or answer.http_status != 200:
            status = answer.http_status if answer else "no answer"
            return ArchiveMiss(f"archive lookup failed: HTTP {status}")
        self._cdx_path = path
        try:
            rows = [
                r
                for r in _rows(answer.body.decode("utf-8", errors="replace"))
                if r["statuscode"] == "200" and r["timestamp"][:14].isdigit()
            ]
        except (ValueError, KeyError) as exc:
            return ArchiveMiss(f"archive lookup answer unreadable: {exc}")
        if not rows:
            return ArchiveMiss("no capture with status 200 in the archive")
        rows.sort(key=lambda r: _distance(r["timestamp"], target))
        closest, rest = rows[0], rows[1:]
        before = [r for r in rest if r["timestamp"] <= target]
        after = [r for r in rest if r["timestamp"] > target]
        ordered = [closest, *before, *after]
        unique = list({r["timestamp"]: r for r in ordered}.values())
        return [self.snapshot(r["original"] or url, r["timestamp"]) for r in unique[:limit]]

    async def read(self, snapshot: Snapshot) -> Page | Unavailable:
        """The capture's original bytes as a Page, or why they could not be read.

        Redirects are followed inside the archive only. pywb answers a captured redirect in
        ``id_`` mode with the site's own Location, unrewritten; following it blindly would
        leave the archive for the live web, so it is mapped back to a capture of its target.
        """
        url, original = snapshot.raw_url, snapshot.original_url
        prefix = snapshot.raw_url.removesuffix(snapshot.original_url)  # ".../web/<ts>id_/"
        passed: list[str] = []
        for _ in range(self.fetcher.settings.max_redirects + 1):
            got = await self.fetcher.get(url, follow_redirects=False)
            if isinstance(got, Unavailable):
                return replace(got, url=snapshot.raw_url, final_url=url) if passed else got
            location = got.header("location")
            if 300 <= got.http_status < 400 and location:
                try:
                    target = urljoin(url, location)
                    # A relative path ("next.html") is always the site's own: resolved against
                    # the playback URL, it would lose a slash of the original URL's "http://".
                    relative = not urlsplit(location).scheme and not location.startswith("/")
                    if snapshot.timestamp is not None and (
                        relative or not _in_archive(target, url)
                    ):
                        original = urljoin(original, location)  # the site's own, captured
                        target = prefix + original
                except ValueError:  # urllib refuses it (e.g. "http://[oops/"): so would httpx
                    reason = f"archive redirect to an invalid URL: {location}"
                    return Unavailable(
                        snapshot.raw_url, SourceStatus.ERROR, reason, got.http_status, url
                    )
                passed.append(url)
                url = target
                continue
            # Said of the capture asked for, like a live fetch of a URL that redirects.
            page = to_page(replace(got, url=snapshot.raw_url, redirects=tuple(passed)))
            if isinstance(page, Unavailable) and got.header("memento-datetime") is None:
                # No Memento-Datetime: the archive's own error (never archived, excluded,
                # rate limited), not a captured error page.
                reason = f"archive answered HTTP {got.http_status}"
                return Unavailable(
                    snapshot.raw_url, SourceStatus.ERROR, reason, got.http_status, url
                )
            return page
        reason = "too many redirects inside the archive"
        return Unavailable(snapshot.raw_url, SourceStatus.ERROR, reason)
