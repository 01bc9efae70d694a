"""(url, as_of) -> captures of that URL: the only module that knows web archives.

Two kinds of archive are read:

- ``Wayback``: the Internet Archive's Wayback Machine, or any server with its CDX API (pywb,
  OpenWayback). Captures are found with the CDX API, not the availability API, which is flaky
  and often answers ``{}`` for URLs that are archived. Two CDX dialects answer: the Internet
  Archive's ``/cdx/search/cdx`` (``output=json`` is a list of lists whose first row names the
  fields; the default output is seven space-separated fields a line; an empty result is an
  empty body), and pywb's ``/<collection>/cdx`` (one JSON object a line, fields ``url``,
  ``mime``, ``status``), tried when the first is not there.
- ``Memento``: any archive that speaks the Memento protocol (RFC 7089): its TimeMap
  (``<base>/timemap/link/<url>``, ``application/link-format``) lists the captures.

Either way a capture is read with the ``id_`` playback (``<base>/<timestamp>id_/<url>``): the
original bytes as captured, without the toolbar and link rewriting a person sees.

The Wayback Machine allows about 24 CDX or TimeMap requests a minute from one address and shuts
out an address that keeps asking after a 429, so lookups go through a token bucket per archive,
and a 429 or 503 without ``Memento-Datetime`` (the archive's own answer, not a captured page)
makes every request to that archive wait for its Retry-After, or a growing backoff. Captures
never change: lookups and capture bytes are kept in the on-disk cache for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

from .cache import Cache
from .fetch import Fetcher, to_page
from .models import ArchiveMiss, Page, Response, Snapshot, SourceStatus, Unavailable

DEFAULT_WAYBACK_URL = "https://web.archive.org"
LOOKUPS_PER_MINUTE = 24.0  # the Wayback Machine's limit on CDX and TimeMap requests
RETRIES = 3  # after a 429 or 503 from the archive itself
MAX_WAIT = 300.0  # seconds; a longer Retry-After is cut to this

_IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
# The captured URL must start with its scheme, as in every URL the Wayback Machine gives: a
# date in an ordinary path (".../2012/05/08/story.html") is no capture timestamp.
_PINNED = re.compile(
    r"^(?P<base>https?://[^/]+(?:/[^/]+)*?)/(?P<ts>\d{4,14})(?:[a-z]{2}_)?/(?P<url>https?:/.+)$"
)
# The path of a playback URL: [/<prefix>]/<collection>/<timestamp>[mode_]/<original URL>.
_PLAYBACK = re.compile(r"/[^/]+/\d{4,14}(?:[a-z]{2}_)?/https?:")
# One link of a link-format TimeMap: <url>; rel="memento"; datetime="..."
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:"[^"]*"|[^;,<\s]*))*)')
_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,<\s]*))')

Waiter = Callable[[str, float], None]  # (what is waited for, seconds)
_T = TypeVar("_T")


def _in_archive(target: str, current: str) -> bool:
    """Whether a redirect target is a playback URL of the same archive as ``current``."""
    t, c = urlsplit(target), urlsplit(current)
    # search, not match: an archive may be served under a path of its own (".../wayback/web/").
    return (t.scheme, t.netloc) == (c.scheme, c.netloc) and _PLAYBACK.search(t.path) is not None


def timestamp_for(day: dt.date) -> str:
    """The 14-digit CDX timestamp a date stands for: its last second, so that every capture made
    on the day the source was cited counts as before the citation."""
    return day.strftime("%Y%m%d") + "235959"


def order_captures(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Captures in the order to try them: the closest to their ``as_of`` first, then the others
    before it (nearest first), then those after it; each timestamp once."""
    dated = [s for s in snapshots if s.days_from_as_of is not None]
    if not dated:
        return snapshots
    by_distance = sorted(dated, key=lambda s: abs(s.days_from_as_of or 0.0))
    closest, rest = by_distance[0], by_distance[1:]
    before = [s for s in rest if (s.days_from_as_of or 0.0) <= 0]
    after = [s for s in rest if (s.days_from_as_of or 0.0) > 0]
    seen: set[tuple[str, str | None]] = set()
    out: list[Snapshot] = []
    for s in [closest, *before, *after]:
        if (s.raw_url, s.timestamp) not in seen:
            seen.add((s.raw_url, s.timestamp))
            out.append(s)
    return out


def spread(items: list[_T], n: int) -> list[_T]:
    """At most ``n`` of ``items``, evenly spread, the first and the last among them."""
    if len(items) <= n:
        return items
    if n <= 1:
        return items[-1:] if n == 1 else []
    picks = sorted({round(i * (len(items) - 1) / (n - 1)) for i in range(n)})
    return [items[i] for i in picks]


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    moment = time.time() if now is None else now
    return max(0.0, when.timestamp() - moment)


class RateLimit:
    """A token bucket for one archive, with a hold after the archive says to slow down.

    ``per_minute=None`` means no bucket, only the holds. ``clock``, ``sleep`` and ``on_wait``
    are injected so that tests need no real waiting and a long run can show that it waits.
    """

    def __init__(
        self,
        per_minute: float | None,
        *,
        burst: int = 4,
        name: str = "archive",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Waiter | None = None,
    ) -> None:
        self.rate = per_minute / 60.0 if per_minute else None
        self.burst = float(burst)
        self.name = name
        self._clock, self._sleep, self._on_wait = clock, sleep, on_wait
        self._tokens = self.burst
        self._last = clock()
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float) -> None:
        """Make every request wait ``seconds`` from now (the archive asked us to slow down)."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    async def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self._on_wait is not None:
            self._on_wait(f"{self.name}: {why}", seconds)
        await self._sleep(seconds)

    async def take(self) -> None:
        """Wait until a request may be made."""
        async with self._lock:
            await self._wait(self._held_until - self._clock(), "asked to slow down")
            if self.rate is None:
                return
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                await self._wait((1 - self._tokens) / self.rate, "rate limit")
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
            self._tokens -= 1


@dataclass(frozen=True)
class ArchiveSettings:
    """How archives are asked. ``lookups_per_minute=None`` lifts the rate limit."""

    lookups_per_minute: float | None = LOOKUPS_PER_MINUTE
    retries: int = RETRIES
    max_wait: float = MAX_WAIT


class Archive:
    """An archive of captures: find them near a date, read their bytes.

    Subclasses say how captures are listed (``_find``); reading, caching, rate limits and
    retries are shared.
    """

    kind = "archive"

    def __init__(
        self,
        fetcher: Fetcher,
        base_url: str,
        *,
        cache: Cache | None = None,
        settings: ArchiveSettings | None = None,
        on_wait: Waiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.cache = cache or Cache(None)
        self.settings = settings or ArchiveSettings()
        name = urlsplit(self.base_url).netloc
        self._lookups = RateLimit(
            self.settings.lookups_per_minute, name=name, clock=clock, sleep=sleep, on_wait=on_wait
        )
        self._reads = RateLimit(None, name=name, clock=clock, sleep=sleep, on_wait=on_wait)
        self._random = random.Random()

    @property
    def playback_base(self) -> str:
        """The URL that ``<timestamp>[id_]/<url>`` is appended to."""
        return self.base_url

    def snapshot(self, original_url: str, timestamp: str, as_of: dt.date | None = None) -> Snapshot:
        """The Snapshot of ``original_url`` captured at ``timestamp`` in this archive."""
        return Snapshot(
            original_url=original_url,
            timestamp=timestamp,
            url=f"{self.playback_base}/{timestamp}/{original_url}",
            raw_url=f"{self.playback_base}/{timestamp}id_/{original_url}",
            as_of=as_of,
        )

    @staticmethod
    def pinned(archive_url: str, as_of: dt.date | None = None) -> Snapshot:
        """A Snapshot for an ``archive_url`` given in sources.yaml.

        A Wayback-style URL (``.../<timestamp>[mode_]/<url>``) is read through its ``id_``
        playback; any other URL is read as it is.
        """
        m = _PINNED.match(archive_url)
        if m is None:
            return Snapshot(archive_url, None, archive_url, archive_url, as_of)
        base, ts, url = m.group("base"), m.group("ts"), m.group("url")
        return Snapshot(url, ts, f"{base}/{ts}/{url}", f"{base}/{ts}id_/{url}", as_of)

    async def _get(
        self, url: str, limit: RateLimit, *, follow_redirects: bool = True
    ) -> Response | Unavailable:
        """GET from the archive, waiting as it asks: a 429 or 503 of its own (no
        Memento-Datetime) holds every request to it for Retry-After seconds, or a growing,
        jittered backoff, and is tried again up to ``retries`` times."""
        for attempt in range(self.settings.retries + 1):
            await limit.take()
            got = await self.fetcher.get(url, follow_redirects=follow_redirects)
            if (
                isinstance(got, Unavailable)
                or got.http_status not in (429, 503)
                or got.header("memento-datetime") is not None
                or attempt == self.settings.retries
            ):
                return got
            backoff = 2.0**attempt * (1 + self._random.random())
            wait = retry_after(got.header("retry-after"))
            wait = min(self.settings.max_wait, backoff if wait is None else wait)
            self._lookups.hold(wait)
            self._reads.hold(wait)
        raise AssertionError("unreachable")  # the loop always returns

    async def _find(self, url: str, target: str) -> list[tuple[str, str]] | ArchiveMiss:
        """(original URL, timestamp) of the captures with status 200, nearest ``target`` first."""
        raise NotImplementedError

    def _lookup_key(self, url: str, target: str) -> str:
        return f"{self.kind} {self.base_url} {url} {target}"

    async def lookup(
        self, url: str, as_of: dt.date, limit: int = 4
    ) -> list[Snapshot] | ArchiveMiss:
        """Up to ``limit`` captures of ``url`` with status 200 in the order to try them: the
        closest to ``as_of`` first, then the others before it (nearest first), then after."""
        target = timestamp_for(as_of)
        key = self._lookup_key(url, target)
        cached = self.cache.get("lookup", key)
        found: list[tuple[str, str]]
        if cached is not None:
            found = [(str(o), str(t)) for o, t in cached[0]["captures"]]
        else:
            answer = await self._find(url, target)
            if isinstance(answer, ArchiveMiss):
                return answer
            found = answer
            if found:  # an empty answer may not stay empty: never kept
                self.cache.put("lookup", key, {"captures": found})
        if not found:
            return ArchiveMiss("no capture with status 200 in the archive")
        snapshots = [self.snapshot(o or url, t, as_of) for o, t in found]
        return order_captures(snapshots)[:limit]

    async def _all(self, url: str) -> list[tuple[str, str, str]] | ArchiveMiss:
        """(original URL, timestamp, digest or "") of every capture with status 200, oldest
        first."""
        raise NotImplementedError

    async def timeline(self, url: str, limit: int) -> list[Snapshot] | ArchiveMiss:
        """Up to ``limit`` captures of ``url`` spread over its whole history, oldest first;
        a capture whose bytes are those of the one before it (same digest) is left out."""
        found = await self._all(url)
        if isinstance(found, ArchiveMiss):
            return found
        changed = [c for i, c in enumerate(found) if i == 0 or not c[2] or c[2] != found[i - 1][2]]
        return [self.snapshot(o or url, t) for o, t, _ in spread(changed, limit)]

    async def read(self, snapshot: Snapshot) -> Page | Unavailable:
        """The capture's original bytes as a Page, or why they could not be read."""
        cached = self.cache.get("capture", snapshot.raw_url)
        if cached is not None:
            meta, body = cached
            return Page(
                snapshot.raw_url,
                str(meta["final_url"]),
                int(meta["http_status"]),
                str(meta["content_type"]),
                body,
                tuple(str(r) for r in meta["redirects"]),
            )
        got = await self._read(snapshot)
        # Only a capture read through a timestamp is the same on every read.
        if isinstance(got, Page) and snapshot.timestamp:
            meta = {
                "final_url": got.final_url,
                "http_status": got.http_status,
                "content_type": got.content_type,
                "redirects": list(got.redirects),
            }
            self.cache.put("capture", snapshot.raw_url, meta, got.body)
        return got

    async def _read(self, snapshot: Snapshot) -> Page | Unavailable:
        """Read a capture, following redirects inside the archive only.

        pywb answers a captured redirect in ``id_`` mode with the site's own Location,
        unrewritten; following it blindly would leave the archive for the live web, so it is
        mapped back to a capture of its target.
        """
        url, original = snapshot.raw_url, snapshot.original_url
        prefix = snapshot.raw_url.removesuffix(snapshot.original_url)  # ".../web/<ts>id_/"
        passed: list[str] = []
        for _ in range(self.fetcher.settings.max_redirects + 1):
            got = await self._get(url, self._reads, follow_redirects=False)
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
            "digest": str(obj.get("digest") or ""),
        }


class Wayback(Archive):
    """The Wayback Machine, or any archive with its CDX API (pywb, OpenWayback)."""

    kind = "wayback"
    _cdx_path: str | None = None  # which CDX dialect answered, once known
    _probing: asyncio.Lock | None = None

    @property
    def playback_base(self) -> str:
        return f"{self.base_url}/web"

    async def _find(self, url: str, target: str) -> list[tuple[str, str]] | ArchiveMiss:
        params = {
            "url": url,
            "closest": target,
            "sort": "closest",
            "filter": "statuscode:200",
            "limit": "10",
            "output": "json",
        }
        if self._cdx_path is None:
            # The first lookup finds the dialect; the others wait for it rather than each
            # spend a request of the archive's allowance on the probe.
            self._probing = self._probing or asyncio.Lock()
            async with self._probing:
                if self._cdx_path is None:
                    return await self._cdx(params)
        return await self._cdx(params)

    async def _all(self, url: str) -> list[tuple[str, str, str]] | ArchiveMiss:
        params = {"url": url, "filter": "statuscode:200", "limit": "10000", "output": "json"}
        rows = await self._rows_of(params)
        if isinstance(rows, ArchiveMiss):
            return rows
        return sorted((r["original"], r["timestamp"][:14], r["digest"]) for r in rows)

    async def _cdx(self, params: dict[str, str]) -> list[tuple[str, str]] | ArchiveMiss:
        rows = await self._rows_of(params)
        if isinstance(rows, ArchiveMiss):
            return rows
        return [(r["original"], r["timestamp"][:14]) for r in rows]

    async def _rows_of(self, params: dict[str, str]) -> list[dict[str, str]] | ArchiveMiss:
        paths = [self._cdx_path] if self._cdx_path else ["/cdx/search/cdx", "/web/cdx"]
        answer = None
        for path in paths:
            got = await self._get(f"{self.base_url}{path}?{urlencode(params)}", self._lookups)
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
        return rows


def parse_timemap(body: str) -> list[tuple[str, str]]:
    """(memento URL, 14-digit timestamp) of every memento in a link-format TimeMap."""
    out: list[tuple[str, str]] = []
    for m in _LINK.finditer(body):
        params = {k.lower(): a or b for k, a, b in _PARAM.findall(m.group(2))}
        if "memento" not in params.get("rel", "").split() or "datetime" not in params:
            continue
        try:
            when = email.utils.parsedate_to_datetime(params["datetime"])
        except (TypeError, ValueError):
            continue
        out.append((m.group(1), when.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")))
    return out


class Memento(Archive):
    """An archive that speaks Memento (RFC 7089), listing captures in a link-format TimeMap at
    ``<base>/timemap/link/<url>`` and playing them back at ``<base>/<timestamp>id_/<url>``."""

    kind = "memento"

    async def _find(self, url: str, target: str) -> list[tuple[str, str]] | ArchiveMiss:
        found = await self._all(url)
        if isinstance(found, ArchiveMiss) or not found:
            # No TimeMap (or an empty one: some archives answer 404 for both): the TimeGate
            # names the one capture nearest a date.
            nearest = await self._timegate(url, target)
            return nearest if nearest or isinstance(found, list) else found
        return [(o, t) for o, t, _ in found]

    async def _timegate(self, url: str, target: str) -> list[tuple[str, str]]:
        """The capture the TimeGate ``<base>/<url>`` gives for ``target``, if any.

        A TimeGate answers a 302 to the memento (RFC 7089, pattern 2.2), the memento itself with
        Memento-Datetime and Content-Location (pattern 1.1), or a page whose Link header names
        the memento (pywb's framed replay)."""
        when = dt.datetime.strptime(target, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
        headers = {"Accept-Datetime": email.utils.format_datetime(when, usegmt=True)}
        await self._lookups.take()
        got = await self.fetcher.request(
            "GET", f"{self.base_url}/{url}", headers=headers, follow_redirects=False
        )
        if isinstance(got, Unavailable):
            return []
        memento = got.header("location") if 300 <= got.http_status < 400 else None
        if got.http_status == 200 and got.header("memento-datetime"):
            memento = got.header("content-location")
        elif got.http_status == 200:  # pywb's framed TimeGate: the memento in its Link header
            linked = parse_timemap(got.header("link") or "")
            memento = linked[0][0] if linked else None
        m = _PINNED.match(urljoin(f"{self.base_url}/", memento)) if memento else None
        return [(m.group("url"), m.group("ts").ljust(14, "0"))] if m else []

    async def _all(self, url: str) -> list[tuple[str, str, str]] | ArchiveMiss:
        got = await self._get(f"{self.base_url}/timemap/link/{url}", self._lookups)
        if isinstance(got, Unavailable):
            return ArchiveMiss(f"archive unreachable: {got.reason}")
        if got.http_status == 404:  # a TimeMap of nothing
            return []
        if got.http_status != 200:
            return ArchiveMiss(f"archive lookup failed: HTTP {got.http_status}")
        found: list[tuple[str, str, str]] = []
        for memento, ts in parse_timemap(got.body.decode("utf-8", errors="replace")):
            m = _PINNED.match(memento)
            found.append((m.group("url") if m else url, ts, ""))
        return sorted(found, key=lambda c: c[1])


class SavePageNow:
    """Save Page Now 2: ask the Wayback Machine to capture a URL now, and wait for the capture.

    ``POST <base>/save`` with ``Authorization: LOW <access key>:<secret>`` starts a job;
    ``GET <base>/save/status/<job id>`` says ``pending``, ``success`` (with the capture's
    timestamp) or ``error``. Jobs are started one at a time, their status asked every ``poll``
    seconds, and a 429 waited out as for lookups: the service limits how many captures an
    account may have running and may start in a day.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        access_key: str,
        secret: str,
        base_url: str = DEFAULT_WAYBACK_URL,
        *,
        poll: float = 5.0,
        max_wait: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Waiter | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.poll, self.max_wait = poll, max_wait
        self._headers = {
            "Accept": "application/json",
            "Authorization": f"LOW {access_key}:{secret}",
        }
        self._clock, self._sleep, self._on_wait = clock, sleep, on_wait
        self._limit = RateLimit(
            None, name=urlsplit(self.base_url).netloc, clock=clock, sleep=sleep, on_wait=on_wait
        )

    async def _ask(
        self, method: str, url: str, form: dict[str, str] | None = None
    ) -> Response | ArchiveMiss:
        for attempt in range(RETRIES + 1):
            await self._limit.take()
            got = await self.fetcher.request(
                method, url, form=form, headers=self._headers, follow_redirects=False
            )
            if isinstance(got, Unavailable):
                return ArchiveMiss(f"Save Page Now unreachable: {got.reason}")
            if got.http_status != 429 or attempt == RETRIES:
                return got
            wait = retry_after(got.header("retry-after"))
            self._limit.hold(min(MAX_WAIT, 2.0 ** (attempt + 2) if wait is None else wait))
        raise AssertionError("unreachable")  # the loop always returns

    @staticmethod
    def _json(got: Response) -> dict[str, object]:
        try:
            doc = json.loads(got.body.decode("utf-8", errors="replace"))
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    async def save(self, url: str) -> Snapshot | ArchiveMiss:
        """Capture ``url`` now: the new capture, or why there is none."""
        got = await self._ask("POST", f"{self.base_url}/save", {"url": url})
        if isinstance(got, ArchiveMiss):
            return got
        doc = self._json(got)
        job = doc.get("job_id")
        if got.http_status != 200 or not isinstance(job, str):
            why = doc.get("message") or doc.get("status_ext") or f"HTTP {got.http_status}"
            return ArchiveMiss(f"Save Page Now refused: {why}")
        deadline = self._clock() + self.max_wait
        while True:
            if self._on_wait is not None:
                self._on_wait(f"Save Page Now: capturing {url}", self.poll)
            await self._sleep(self.poll)
            status = await self._ask("GET", f"{self.base_url}/save/status/{job}")
            if isinstance(status, ArchiveMiss):
                return status
            doc = self._json(status)
            state = doc.get("status")
            if state == "success" and isinstance(doc.get("timestamp"), str):
                ts, original = str(doc["timestamp"]), str(doc.get("original_url") or url)
                web = f"{self.base_url}/web"
                return Snapshot(original, ts, f"{web}/{ts}/{original}", f"{web}/{ts}id_/{original}")
            if state == "error" or status.http_status != 200:
                why = doc.get("message") or doc.get("status_ext") or f"HTTP {status.http_status}"
                return ArchiveMiss(f"Save Page Now failed: {why}")
            if self._clock() >= deadline:
                return ArchiveMiss(
                    f"Save Page Now still pending after {self.max_wait:g} s (job {job})"
                )
