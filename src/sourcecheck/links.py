"""Files and URLs -> the links in them -> each link checked, with an archived copy for a broken one.

The stage of ``sourcecheck links``, in four steps:

1. ``read_input``: the links of one input, each with its file and line. Markdown (inline links,
   reference definitions, autolinks, bare URLs, ``<a href>`` in raw HTML), HTML (``a[href]``
   only: a link checker of *citations* has no business with images or scripts), plain text
   (bare URLs) and sources.yaml (each source's ``url`` and ``archive_url``). A URL input is
   fetched and its page read the same way, its links resolved against its final URL.
2. ``triage``: links that are not fetched are excluded with a reason (another scheme,
   relative with no base to resolve against, a link within the page, ``--exclude``); the rest
   are grouped by URL without its fragment (a fragment is never sent to the server), so a URL
   found many times is fetched once and keeps every place it was found.
3. ``check_url``: one GET through the run's ``Fetcher`` (its limits, address guard and
   timeouts), retried on a connection error, a timeout, a 429 or a 503, and judged: any content
   type will do, only the status counts (``--accept``).
4. ``suggest``: for a dead, blocked or failing link, the archived capture closest to today.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from .archive import (
    DEFAULT_WAYBACK_URL,
    Archive,
    ArchiveSettings,
    Waiter,
    order_captures,
)
from .errors import InputError
from .extract import decode
from .fetch import Fetcher, FetchSettings, classify_status
from .files import article_format, read_utf8
from .models import (
    ArchiveMiss,
    FoundLink,
    LinkPlace,
    LinkReport,
    LinkResult,
    LinkStatus,
    Page,
    Response,
    SourceStatus,
    Unavailable,
)

DEFAULT_ACCEPT = frozenset([*range(100, 104), *range(200, 300)])  # lychee's default

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class LinkOptions:
    """How a ``links`` run is made."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    accept: frozenset[int] = DEFAULT_ACCEPT  # status codes that count as ok
    exclude: tuple[str, ...] = ()  # regular expressions; a URL matching one is not fetched
    max_retries: int = 2
    retry_wait: float = 1.0  # seconds before the first retry (doubled each time, jittered)
    host_interval: float = 0.0  # seconds between the starts of two requests to one host
    wayback_url: str | None = DEFAULT_WAYBACK_URL  # None: no archived copy is looked up
    cache_dir: Path | None = None
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)


def parse_accept(text: str) -> frozenset[int]:
    """Status codes from lychee's syntax: ``200``, ``200..=299`` (inclusive), ``200..300``
    (end excluded), ``..=299``; comma-separated. ValueError says which item is wrong."""
    codes: set[int] = set()
    for item in (i.strip() for i in text.split(",")):
        m = re.fullmatch(r"(\d{3})|(\d{3})?\.\.(=?)(\d{3})", item)
        if m is None:
            raise ValueError(f"{item!r} is not a status code (200) or a range (200..=299)")
        if m.group(1):
            codes.add(int(m.group(1)))
            continue
        start, end = int(m.group(2) or 100), int(m.group(4)) + (1 if m.group(3) else 0)
        if start >= end:
            raise ValueError(f"{item!r} is an empty range")
        codes.update(range(start, end))
    return frozenset(codes)


# ----------------------------------------------------------------------------- finding links

# A URL written out in text; trailing punctuation is trimmed after the match.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`“”‘’]+")  # noqa: RUF001 (typographic quote marks)
_HTML_HREF = re.compile(r"""<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _trim(url: str) -> str:
    """A bare URL without the punctuation of the sentence around it."""
    while url:
        last = url[-1]
        opener = {")": "(", "]": "["}.get(last)
        unbalanced = opener is not None and url.count(last) > url.count(opener)
        if last not in ".,;:!?*" and not unbalanced:
            break
        url = url[:-1]
    return url


def bare_urls(text: str) -> Iterator[tuple[int, str]]:
    """(offset, URL) of every http(s) URL written out in ``text``."""
    for m in _BARE_URL.finditer(text):
        url = _trim(m.group(0))
        if urlsplit(url).netloc:
            yield m.start(), url


def _lines_of(text: str) -> list[str]:
    # Not splitlines(): it also breaks at form feeds and other characters editors do not count.
    return text.split("\n")


class _Anchors(HTMLParser):
    """Collects ``a[href]`` with their lines, and the document's ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, int]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if href is None:
            return
        if tag == "a":
            self.found.append((href.strip(), self.getpos()[0]))
        elif tag == "base" and self.base is None:
            self.base = href.strip()


def _html_links(text: str, first_line: int = 1) -> tuple[list[tuple[str, int]], str | None]:
    """(href, line) of every ``a[href]``, and the ``<base href>`` if there is one."""
    parser = _Anchors()
    parser.feed(text)
    parser.close()
    found = [(href, line + first_line - 1) for href, line in parser.found]
    return found, parser.base


def _markdown_links(text: str) -> list[tuple[str, int]]:
    """(URL, line) of every link of a Markdown document, code spans and blocks left out."""
    from markdown_it import MarkdownIt  # rich's Markdown parser, installed with it

    # inline_definitions: reference definitions become tokens with their lines; store_labels:
    # a link that uses one is marked, and left to its definition (where its URL is written).
    md = MarkdownIt("commonmark", {"inline_definitions": True, "store_labels": True})
    found: list[tuple[str, int]] = []
    every_line: list[str] | None = None  # split once, when a definition needs it
    for token in md.parse(text):
        if token.map is None:
            continue
        first = token.map[0] + 1
        if token.type == "definition":
            url = str(token.meta.get("url", ""))
            if every_line is None:
                every_line = _lines_of(text)
            lines = every_line[token.map[0] : token.map[1]]
            offset = next((i for i, line in enumerate(lines) if url in line), 0)
            found.append((url, first + offset))
        elif token.type == "html_block":
            found += _html_links(token.content, first)[0]
        elif token.type == "inline":
            breaks = depth = 0
            for child in token.children or []:
                line = first + breaks
                if child.type in ("softbreak", "hardbreak"):
                    breaks += 1
                elif child.type == "link_open":
                    depth += 1
                    if "label" not in child.meta:
                        found.append((str(child.attrs.get("href", "")), line))
                elif child.type == "link_close":
                    depth = max(0, depth - 1)
                elif child.type == "html_inline":
                    m = _HTML_HREF.match(child.content)
                    if m is not None:
                        found.append((next(g for g in m.groups() if g is not None), line))
                elif child.type == "text" and depth == 0:
                    found += [(url, line) for _, url in bare_urls(child.content)]
    return found


def _text_links(text: str) -> list[tuple[str, int]]:
    return [(url, n) for n, line in enumerate(_lines_of(text), 1) for _, url in bare_urls(line)]


def find_links(text: str, fmt: str, file: str, base: str | None = None) -> list[FoundLink]:
    """Every link of a document (``fmt`` "markdown", "html" or "text") with its line in
    ``file``, resolved against ``base`` (or the HTML's own ``<base href>``) when there is one."""
    if fmt == "html":
        raw, own_base = _html_links(text)
        if own_base is not None and (base or urlsplit(own_base).scheme):
            base = urljoin(base or "", own_base)
    elif fmt == "markdown":
        raw = _markdown_links(text)
    else:
        raw = _text_links(text)
    out = []
    for href, line in raw:
        if not href:
            continue
        url = href
        if base is not None and not href.startswith("#"):
            try:
                url = urljoin(base, href)
            except ValueError:  # e.g. "http://[oops": judged as written
                url = href
        out.append(FoundLink(url, LinkPlace(file, line)))
    return out


def _key_line(lines: list[str], start: int | None, key: str, value: str) -> int | None:
    """The line of ``key: value`` in a source that starts at line ``start``, or ``start``.

    load_sources gives the line of each source, not of each key: the key is looked for in the
    lines that follow, where it is (in block or flow style) before the next source's."""
    if start is None:
        return None
    pattern = re.compile(rf"(?<![\w-]){key}\s*:")
    for n in range(start - 1, len(lines)):
        if pattern.search(lines[n]) and value in lines[n]:
            return n + 1
    return start


def links_in_sources(path: Path) -> list[FoundLink]:
    """The ``url`` and ``archive_url`` of every source of a sources.yaml, with their lines;
    ConfigError or InputError if the file is not a valid sources.yaml."""
    from .sources import load_sources  # only here: pydantic's models cost a link check nothing

    sources = load_sources(path)
    lines = _lines_of(path.read_bytes().decode("utf-8-sig"))
    out = []
    for source in sources.sources:
        for key, url in (("url", source.url), ("archive_url", source.archive_url)):
            if url:
                line = _key_line(lines, source.line, key, url)
                out.append(FoundLink(url, LinkPlace(str(path), line)))
    return out


def is_url(location: str) -> bool:
    """Whether an input is an http(s) URL (else it is a file)."""
    return location.startswith(("http://", "https://"))


async def read_input(location: str, fetcher: Fetcher) -> list[FoundLink]:
    """The links of one input: a file (by its suffix: .yaml/.yml is a sources.yaml, .md
    Markdown, .html HTML, anything else text) or a URL, whose page is fetched and whose links
    are resolved against its final URL. InputError (or ConfigError) when it cannot be read."""
    if is_url(location):
        page = await fetcher.fetch(location)
        if isinstance(page, Unavailable):
            raise InputError(f"{location}: cannot read: {page.status.value}: {page.reason}")
        if "pdf" in page.content_type.lower():
            raise InputError(f"{location}: cannot read links: a PDF")
        fmt = article_format(page.final_url, page.content_type)
        text = decode(page.body, page.content_type)
        return find_links(text, fmt, location, base=page.final_url)
    path = Path(location)
    if not path.is_file():
        raise InputError(f"{location}: no such file")
    if path.suffix.lower() in (".yaml", ".yml"):
        return links_in_sources(path)
    text = read_utf8(path)
    return find_links(text, article_format(path.name), location)


# ----------------------------------------------------------------------------- triage


def excluded_because(url: str, exclude: Sequence[re.Pattern[str]] = ()) -> str | None:
    """Why a link is not fetched, or None when it is to be checked."""
    if url.startswith("#"):
        return "a link within the same page"
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None  # an invalid URL: the fetch says why
    if not scheme:
        return "relative link, and no base URL to resolve it against"
    if scheme not in ("http", "https"):
        return f"{scheme}: links are not checked"
    for pattern in exclude:
        if pattern.search(url):
            return f"matches --exclude {pattern.pattern}"
    return None


def _defrag(url: str) -> str:
    try:
        return urldefrag(url).url
    except ValueError:  # an invalid URL, kept as written: the fetch says what is wrong
        return url


def triage(
    found: Sequence[FoundLink], exclude: Sequence[re.Pattern[str]] = ()
) -> tuple[dict[str, tuple[LinkPlace, ...]], dict[str, str]]:
    """The URLs to fetch with every place each was found, in the order first found, and the
    reason of each link excluded. A fetched URL loses its fragment: servers never see it."""
    places: dict[str, dict[LinkPlace, None]] = {}
    reasons: dict[str, str] = {}
    for link in found:
        why = excluded_because(link.url, exclude)
        key = link.url if why else _defrag(link.url)
        places.setdefault(key, {})[link.place] = None
        if why:
            reasons[key] = why
    return {url: tuple(at) for url, at in places.items()}, reasons


# ----------------------------------------------------------------------------- checking


class HostPacer:
    """Spaces the requests to one host at least ``interval`` seconds apart (0: no spacing)."""

    def __init__(
        self, interval: float, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep
    ) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, url: str) -> None:
        """Wait for this URL's host's turn."""
        if self.interval <= 0:
            return
        try:
            host = urlsplit(url).netloc.lower()
        except ValueError:
            host = ""
        async with self._locks.setdefault(host, asyncio.Lock()):
            now = self._clock()
            turn = self._next.get(host, now)
            if turn > now:
                await self._sleep(turn - now)
            self._next[host] = max(turn, now) + self.interval


def _link_status(status: SourceStatus) -> LinkStatus:
    """The link status of a fetch's status: dead and blocked as they are, the rest errors."""
    return {SourceStatus.DEAD: LinkStatus.DEAD, SourceStatus.BLOCKED: LinkStatus.BLOCKED}.get(
        status, LinkStatus.ERROR
    )


def judge(url: str, got: Response | Unavailable, accept: frozenset[int]) -> LinkResult:
    """A link's status from its answer. Any content type will do: only the status counts."""
    code = got.http_status
    if code is None:  # no answer at all (refused, timed out, DNS, TLS, too many redirects)
        assert isinstance(got, Unavailable)
        return LinkResult(url, _link_status(got.status), reason=got.reason)
    final = got.final_url
    if code in accept:
        if isinstance(got, Response) and got.redirects:
            from .states import moved_to  # only here: a link check parses no page

            view = Page(got.url, got.final_url, code, "", b"", got.redirects, got.redirect_statuses)
            new = moved_to(view)
            if new is not None:
                why = f"moved permanently to {new}"
                return LinkResult(
                    url, LinkStatus.MOVED, reason=why, http_status=code, final_url=final
                )
        accepted = None if 200 <= code < 300 else f"HTTP {code} (accepted)"
        return LinkResult(url, LinkStatus.OK, reason=accepted, http_status=code, final_url=final)
    source_status = classify_status(code)
    reason = f"HTTP {code}"
    if source_status is SourceStatus.OK:
        source_status, reason = SourceStatus.ERROR, f"HTTP {code} (not accepted)"
    elif isinstance(got, Response) and code in (403, 429, 503):
        from .states import is_bot_challenge

        challenge = is_bot_challenge(got)
        if challenge:
            source_status, reason = SourceStatus.BLOCKED, challenge
    status = _link_status(source_status)
    return LinkResult(url, status, reason=reason, http_status=code, final_url=final)


async def check_url(
    url: str,
    fetcher: Fetcher,
    options: LinkOptions,
    pacer: HostPacer,
    *,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> LinkResult:
    """GET one URL, retrying what may pass by itself up to ``max_retries`` times, and judge it.

    The retries are the Fetcher's (``Fetcher.get_tried``), each try in its host's turn."""
    tried = await fetcher.get_tried(
        url,
        retries=options.max_retries,
        retry_wait=options.retry_wait,
        pace=pacer.wait,
        sleep=sleep,
        rng=rng,
    )
    result = judge(url, tried.got, options.accept)
    note = tried.note()
    if note is not None:
        result = replace(result, reason=f"{result.reason}, {note}" if result.reason else note)
    return result


async def suggest(result: LinkResult, archives: Sequence[Archive], today: dt.date) -> LinkResult:
    """A broken link with the archived capture closest to ``today``, or why there is none."""
    answers = await asyncio.gather(*(a.lookup(result.url, today, 1) for a in archives))
    found = [s for got in answers if not isinstance(got, ArchiveMiss) for s in got]
    if found:
        return replace(result, suggestion=order_captures(found)[0])
    reasons = [got.reason for got in answers if isinstance(got, ArchiveMiss)]
    return replace(result, suggestion_reason="; ".join(dict.fromkeys(reasons)))


def _archives(fetcher: Fetcher, options: LinkOptions, on_wait: Waiter | None) -> list[Archive]:
    if options.wayback_url is None:
        return []
    from .verify import Options, make_archives  # only here: no matcher for a link check

    made = Options(cache_dir=options.cache_dir, archive=options.archive)
    return make_archives(fetcher, [options.wayback_url], [], made, on_wait).archives


async def check_links(
    inputs: Sequence[str],
    options: LinkOptions | None = None,
    *,
    fetcher: Fetcher | None = None,
    on_wait: Waiter | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Sleep = asyncio.sleep,
) -> LinkReport:
    """Find the links of every input and check each URL once; a broken one gets an archived
    capture. InputError (or ConfigError) when an input cannot be read."""
    options = options or LinkOptions()
    for location in inputs:  # every file is there before any request is made
        if not is_url(location) and not Path(location).is_file():
            raise InputError(f"{location}: no such file")
    started = clock()
    exclude = [re.compile(p) for p in options.exclude]
    trusted = [options.wayback_url] if options.wayback_url else []
    fetcher = fetcher or Fetcher(options.fetch, trusted_origins=trusted)
    pacer = HostPacer(options.host_interval, sleep=sleep)
    async with fetcher:
        found = [link for location in inputs for link in await read_input(location, fetcher)]
        places, reasons = triage(found, exclude)
        archives = _archives(fetcher, options, on_wait)

        async def one(url: str) -> LinkResult:
            try:
                result = await check_url(url, fetcher, options, pacer, sleep=sleep)
                if result.broken and archives:
                    result = await suggest(result, archives, started.date())
            except Exception as exc:  # a bug must not cost the other links their results
                result = LinkResult(url, LinkStatus.ERROR, reason=f"internal error: {exc!r}")
            return replace(result, places=places[url])

        todo = [url for url in places if url not in reasons]
        checked = dict(zip(todo, await asyncio.gather(*(one(u) for u in todo)), strict=True))
    results = tuple(
        checked[url]
        if url in checked
        else LinkResult(url, LinkStatus.EXCLUDED, places=at, reason=reasons[url])
        for url, at in places.items()
    )
    return LinkReport(tuple(inputs), results, started, clock())
