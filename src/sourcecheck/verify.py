"""Runs the stages for every source, yields results, builds a Report. Never prints or exits.

For each source: fetch the live page and match every quote in it; if the page is not readable,
or a quote is not verified on it, look the URL up in the archives (or use the pinned
``archive_url``) and match what is still unverified in their captures: the one closest to
``as_of`` first, then up to ``max_captures`` others, the nearest before ``as_of`` first. Each
quote keeps its best verdict, says which copy it rests on, and what the live page and the
archive each said of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .archive import (
    DEFAULT_WAYBACK_URL,
    Archive,
    ArchiveSettings,
    Memento,
    Waiter,
    Wayback,
    order_captures,
)
from .cache import Cache
from .errors import InputError
from .extract import amp_url
from .fetch import Fetcher, FetchSettings
from .match import norm
from .matching import Found, Looked, look_at, match_page, ready
from .models import (
    ArchiveMiss,
    Article,
    DiffOp,
    Match,
    Page,
    Quote,
    QuoteResult,
    Recording,
    Report,
    Snapshot,
    Source,
    SourceResult,
    Sources,
    SourceStatus,
    Unavailable,
    Verdict,
    Where,
)
from .sources import load_sources
from .states import page_state, probe_url
from .workers import Workers

_RANK = {Verdict.UNAVAILABLE: 0, Verdict.NOT_FOUND: 1, Verdict.ALTERED: 2, Verdict.VERIFIED: 3}


@dataclass(frozen=True)
class Options:
    """How a run is made."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    wayback_url: str | None = DEFAULT_WAYBACK_URL  # None: no CDX archive
    mementos: tuple[str, ...] = ()  # Memento archives, asked after the Wayback one
    use_archive: bool = True
    check_names: bool = False  # check an article's quoted names and titles too
    max_captures: int = 3  # other captures tried when a quote is not in the closest one
    always_archive: bool = False  # read a capture even when every quote is verified live
    render: bool = False  # draw the live page in a headless Chromium for quotes not found
    cache_dir: Path | None = None
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    warc: Path | None = None  # write every exchange of the run to this WARC
    replay: Path | None = None  # answer every request from this WARC: no network, no cache
    # Worker processes that read the pages: 0, none (this process); None, as many as the run
    # wants (see _workers). The command line asks for None; a library caller chooses, since a
    # worker started without fork imports the caller's main module again (a script needs its
    # __main__ guard), and a forked one is a copy of the caller's process.
    workers: int | None = 0


class Archives:
    """The archives of a run, and a reader for pinned captures on any other host."""

    def __init__(self, archives: list[Archive], make: Callable[[str], Archive]) -> None:
        self.archives = archives
        self._make = make
        self._readers = {urlsplit(a.base_url).netloc: a for a in archives}

    def reader(self, snapshot: Snapshot) -> Archive:
        """The archive that reads a capture (its rate limits and cache apply)."""
        host = urlsplit(snapshot.raw_url)
        if host.netloc not in self._readers:
            self._readers[host.netloc] = self._make(f"{host.scheme}://{host.netloc}")
        return self._readers[host.netloc]

    async def candidates(
        self, source: Source, as_of: dt.date, limit: int
    ) -> list[Snapshot] | ArchiveMiss:
        """The captures to try for a source, in order, or why there are none."""
        if source.archive_url:
            return [Archive.pinned(source.archive_url, as_of)]
        if not source.url or not self.archives:
            return ArchiveMiss("no URL to look up")
        url = source.url
        answers = await asyncio.gather(*(a.lookup(url, as_of, limit) for a in self.archives))
        found = [s for got in answers if not isinstance(got, ArchiveMiss) for s in got]
        if not found:
            reasons = [got.reason for got in answers if isinstance(got, ArchiveMiss)]
            return ArchiveMiss("; ".join(dict.fromkeys(reasons)))
        return order_captures(found)[:limit]


class Matcher:
    """Where pages are read (``look_at``, ``match_page``): in this process, or, for a run of
    many sources, in ``workers`` worker processes, so that the pages' state, text, its
    normalizing, the matching and trafilatura's main text (25-40 ms a real page) run on other
    cores while this one fetches. With no worker, ``Workers.run`` calls in this process."""

    def __init__(self, workers: int = 0) -> None:
        self._workers = Workers(workers, warm=ready)
        self._workers.start()  # now, not with the first page

    async def match(
        self, source: Source, page: Page, where: Where, snapshot: Snapshot | None, todo: list[int]
    ) -> Found:
        """``match_page``'s answer."""
        found: Found = await self._workers.run(match_page, source, page, where, snapshot, todo)
        return found

    async def look(self, source: Source, page: Page, todo: list[int]) -> Looked:
        """``look_at``'s answer."""
        looked: Looked = await self._workers.run(look_at, source, page, todo)
        return looked

    def close(self) -> None:
        """Stop the workers, if any; later pages are read in this process."""
        self._workers.close()


# Sources in a run from which pages are matched in worker processes.
POOL_FROM = 32


def _workers(sources: int) -> int:
    return min(4, (os.cpu_count() or 1) - 1) if sources >= POOL_FROM else 0


def _better(new: QuoteResult, old: QuoteResult) -> bool:
    if _RANK[new.verdict] != _RANK[old.verdict]:
        return _RANK[new.verdict] > _RANK[old.verdict]
    return (new.match.score if new.match else 0.0) > (old.match.score if old.match else 0.0)


def _found_in(result: QuoteResult, kind: str) -> QuoteResult:
    if result.match is None or result.match.found_in != "visible":
        return result
    return replace(result, match=replace(result.match, found_in=kind, in_main=None))


# ----------------------------------------------------------------------------- kept results

_RESULT_FORMAT = 1  # changed when what a kept result holds changes


def _result_key(source: Source, options: Options) -> str:
    quotes = [q.text for q in source.quotes]
    return json.dumps([__version__, _RESULT_FORMAT, source.url, options.always_archive, quotes])


def _kept_result(source: Source, fetcher: Fetcher, options: Options) -> SourceResult | None:
    """The result kept for a source whose quotes were all verified on its live page, if each
    hop of that page is still the answer a run would use without asking (fresh, or offline):
    the same page and the same quotes give the same verdicts, so none is worked out again."""
    kept = Cache(options.cache_dir).meta("result", _result_key(source, options))
    if kept is None:
        return None
    try:
        if any(fetcher.stored_at(url) != stored for url, stored in kept["hops"]):
            return None
        quotes = tuple(
            QuoteResult(
                source.id,
                quote,
                Verdict.VERIFIED,
                Where.LIVE,
                match=_match_from(found),
                live_verdict=Verdict.VERIFIED,
            )
            for quote, found in zip(source.quotes, kept["matches"], strict=True)
        )
        return SourceResult(
            source,
            SourceStatus(kept["status"]),
            kept["reason"],
            kept["http_status"],
            kept["final_url"],
            quotes=quotes,
        )
    except (KeyError, TypeError, ValueError):  # an entry of another shape: worked out again
        return None


def _keep_result(
    source: Source, page: Page, result: SourceResult, fetcher: Fetcher, options: Options
) -> None:
    hops = list(dict.fromkeys([*page.redirects, page.final_url]))
    stored = [fetcher.stored_at(url) for url in hops]
    if any(t is None for t in stored):
        return
    matches = [asdict(q.match) if q.match else None for q in result.quotes]
    meta = {
        "hops": [[url, t] for url, t in zip(hops, stored, strict=True)],
        "status": result.status.value,
        "reason": result.reason,
        "http_status": result.http_status,
        "final_url": result.final_url,
        "matches": matches,
    }
    Cache(options.cache_dir).put("result", _result_key(source, options), meta)


def _match_from(found: dict[str, Any] | None) -> Match | None:
    if found is None:
        return None
    diff = tuple(DiffOp(**op) for op in found.pop("diff"))
    return Match(**{**found, "verdict": Verdict(found["verdict"]), "diff": diff})


# ----------------------------------------------------------------------------- one source


async def check_source(
    source: Source,
    fetcher: Fetcher,
    archives: Archives | None,
    today: dt.date,
    options: Options | None = None,
    matcher: Matcher | None = None,
) -> SourceResult:
    """Check one source: live first, then the archives for whatever is not verified.

    A source whose quotes were all verified on its live page is kept in the cache with that
    page's hops; the next run reuses it while those hops are what it would read (see
    ``_kept_result``)."""
    options = options or Options()
    matcher = matcher or Matcher()
    if options.cache_dir is not None and source.url:
        kept = _kept_result(source, fetcher, options)
        if kept is not None:
            return kept
    results = [QuoteResult(source.id, q, Verdict.UNAVAILABLE) for q in source.quotes]
    live_verdicts: dict[int, Verdict] = {}
    archive_verdicts: dict[int, Verdict] = {}
    live: Page | Unavailable | None = await fetcher.fetch(source.url) if source.url else None
    # A 2xx answer may still not be the page cited: a bot wall or paywall stub, or a "not found"
    # page, is read as no page (the archive is asked); a page that moved is read, and says so.
    live_state: tuple[SourceStatus, str | None] = (SourceStatus.OK, None)
    probe: Page | Unavailable | None = None
    found_live: Found | None = None
    if isinstance(live, Page):
        # The page's state and its quotes in one go (in a worker, for a run of many sources):
        # the quotes found are dropped if the state says this is not the page cited.
        looked = await matcher.look(source, live, list(range(len(results))))
        live_state, found_live = looked.state, looked.found
        if looked.wants_probe:
            probe = await fetcher.probe(probe_url(live.url))
            live_state = page_state(live, probe)
        state, why = live_state
        if state in (SourceStatus.SOFT_404, SourceStatus.BLOCKED):
            live = Unavailable(live.url, state, why or state, live.http_status, live.final_url)
            found_live = None

    def merge(found: dict[int, QuoteResult]) -> None:
        for i, result in found.items():
            if _better(result, results[i]):
                results[i] = result

    def pending() -> list[int]:
        return [i for i, r in enumerate(results) if r.verdict is not Verdict.VERIFIED]

    if isinstance(live, Page) and isinstance(found_live, str):  # e.g. a PDF with no text
        live = Unavailable(
            live.url, SourceStatus.ERROR, found_live, live.http_status, live.final_url
        )
    if isinstance(live, Page) and isinstance(found_live, dict):
        merge(found_live)
        amp = amp_url(live.body, live.content_type, live.final_url) if pending() else None
        if amp is not None:
            # The page's AMP version is the same article for readers whose browsers run no
            # script; a quote the main page draws with JavaScript is often there.
            amp_page = await fetcher.fetch(amp)
            if isinstance(amp_page, Page):
                in_amp = await matcher.match(source, amp_page, Where.LIVE, None, pending())
                if isinstance(in_amp, dict):
                    merge({i: _found_in(r, "amp") for i, r in in_amp.items()})
        if options.render and pending():
            from .render import render

            drawn = await render(
                live.final_url,
                timeout=options.fetch.total_timeout,
                allow_private=options.fetch.allow_private,
            )
            if isinstance(drawn, Page):
                in_drawn = await matcher.match(source, drawn, Where.LIVE, None, pending())
                if isinstance(in_drawn, dict):
                    merge({i: _found_in(r, "rendered") for i, r in in_drawn.items()})
        live_verdicts = {i: r.verdict for i, r in enumerate(results)}

    snapshot: Snapshot | None = None
    archive_reason: str | None = None
    wanted = not isinstance(live, Page) or pending() or options.always_archive
    if archives is not None and (source.url or source.archive_url) and wanted:
        as_of = source.as_of or today
        candidates = await archives.candidates(source, as_of, 1 + options.max_captures)
        if isinstance(candidates, ArchiveMiss):
            archive_reason = candidates.reason
            candidates = []
        for candidate in candidates:
            page = await archives.reader(candidate).read(candidate)
            if isinstance(page, Unavailable):
                archive_reason = archive_reason or f"capture unreadable: {page.reason}"
                continue
            todo = pending() if snapshot is not None else list(range(len(results)))
            found = await matcher.match(source, page, Where.ARCHIVE, candidate, todo)
            if isinstance(found, str):
                archive_reason = archive_reason or f"capture unreadable: {found}"
                continue
            snapshot = snapshot or candidate
            for i, r in found.items():
                if _RANK[r.verdict] > _RANK[archive_verdicts.get(i, Verdict.UNAVAILABLE)]:
                    archive_verdicts[i] = r.verdict
            merge(found)
            if not pending():
                break
        if snapshot is not None:
            archive_reason = None

    quotes = tuple(
        replace(r, live_verdict=live_verdicts.get(i), archive_verdict=archive_verdicts.get(i))
        for i, r in enumerate(results)
    )
    if live is None:
        status, reason, http_status, final_url = SourceStatus.NO_URL, None, None, None
    elif isinstance(live, Page):
        (status, reason), http_status = live_state, live.http_status
        final_url = live.final_url
    else:
        status, reason, http_status = live.status, live.reason, live.http_status
        final_url = live.final_url
    result = SourceResult(
        source=source,
        status=status,
        reason=reason,
        http_status=http_status,
        final_url=final_url,
        snapshot=snapshot,
        archive_reason=archive_reason,
        quotes=quotes,
    )
    # Kept when it rests on the live page alone: every quote verified there, no archive read,
    # and no probe of the host (its answer would be one more thing to compare).
    alone = snapshot is None and archive_reason is None and probe is None and not pending()
    if isinstance(live, Page) and alone and options.cache_dir is not None:
        _keep_result(source, live, result, fetcher, options)
    return result


def _failed(source: Source, exc: Exception) -> SourceResult:
    # A bug must not cost the other sources their results: report it on this one.
    reason = f"internal error: {type(exc).__name__}: {exc}"
    quotes = tuple(QuoteResult(source.id, q, Verdict.UNAVAILABLE) for q in source.quotes)
    return SourceResult(source, SourceStatus.ERROR, reason, quotes=quotes)


def _start(
    lists: list[Sources],
    fetcher: Fetcher,
    archives: Archives | None,
    today: dt.date,
    options: Options | None,
    matcher: Matcher | None = None,
) -> list[asyncio.Task[tuple[int, SourceResult]]]:
    """A task checking each source of every list, giving the index of its list and its result.
    A URL cited by several sources is fetched once (``Fetcher.expect``)."""

    async def one(n: int, source: Source) -> tuple[int, SourceResult]:
        try:
            return n, await check_source(source, fetcher, archives, today, options, matcher)
        except Exception as exc:
            return n, _failed(source, exc)
        finally:
            if source.url:
                fetcher.done_with(source.url)

    every = [(n, source) for n, sources in enumerate(lists) for source in sources.sources]
    fetcher.expect(source.url for _, source in every if source.url)
    return [asyncio.create_task(one(n, source)) for n, source in every]


async def check_all(
    sources: Sources,
    fetcher: Fetcher,
    archives: Archives | None,
    today: dt.date,
    options: Options | None = None,
) -> AsyncIterator[SourceResult]:
    """Check every source concurrently; yield each result as it is ready."""
    tasks = _start([sources], fetcher, archives, today, options)
    try:
        for next_done in asyncio.as_completed(tasks):
            yield (await next_done)[1]
    finally:
        for task in tasks:
            task.cancel()


async def check_lists(
    lists: list[Sources],
    fetcher: Fetcher,
    archives: Archives | None,
    today: dt.date,
    options: Options | None = None,
    matcher: Matcher | None = None,
) -> AsyncIterator[tuple[int, SourceResult]]:
    """Check every source of every list concurrently; yield each result, with the index of its
    list, as it is ready."""
    tasks = _start(lists, fetcher, archives, today, options, matcher)
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()


def read_article_file(path: Path, sources: Sources | None = None) -> Article:
    """Read an article file (Markdown, HTML or text, by suffix); InputError if unreadable."""
    from .attribution import read_article
    from .files import article_format, read_utf8

    text = read_utf8(path, "the article")
    return read_article(text, article_format(path.name), str(path), sources)


async def read_article_url(url: str, fetcher: Fetcher, sources: Sources | None = None) -> Article:
    """Fetch an article and read it; raise InputError if it cannot be read."""
    from .attribution import read_article
    from .extract import decode
    from .files import article_format

    page = await fetcher.fetch(url)
    if isinstance(page, Unavailable):
        raise InputError(f"{url}: cannot read the article: {page.status.value}: {page.reason}")
    fmt = article_format(page.final_url, page.content_type)
    return read_article(decode(page.body, page.content_type), fmt, url, sources)


async def load_article(location: str, fetcher: Fetcher, sources: Sources | None) -> Article:
    """An article from a file path or an http(s) URL."""
    if location.startswith(("http://", "https://")):
        return await read_article_url(location, fetcher, sources)
    if sources is not None and sources.article_line and not Path(location).is_file():
        where = f"{sources.path}:{sources.article_line}"
        raise InputError(f"{where}: article: no such file: {location}")
    return read_article_file(Path(location), sources)


def _key(text: str) -> str:
    return norm(text).strip(" '\".,;:!?")


def merge_article(
    sources: Sources, article: Article, check_names: bool = False
) -> tuple[Sources, tuple[QuoteResult, ...]]:
    """Add the article's quotes to the sources they are tied to; return those tied to none.

    A quote given in sources.yaml wins over the same quote found in the article (it only gains
    the article's line); a quote found twice is checked once.
    """
    given = {_key(q.text): (s.id, i) for s in sources.sources for i, q in enumerate(s.quotes)}
    ids = {s.id for s in sources.sources}
    at: dict[tuple[str, int], Quote] = {}
    added: dict[str, list[Quote]] = {}
    unattributed: list[QuoteResult] = []
    seen: set[tuple[str | None, str]] = set()
    for aq in article.quotes:
        if not (aq.checked or check_names):
            continue
        key = _key(aq.text)
        quote = Quote(aq.text, aq.speaker, None, aq.line, aq.column, aq.cue)
        if key in given:
            at.setdefault(given[key], quote)
        elif (aq.source_id, key) not in seen:
            seen.add((aq.source_id, key))
            if aq.source_id in ids:
                added.setdefault(aq.source_id, []).append(quote)
            else:
                unattributed.append(QuoteResult("", quote, Verdict.UNATTRIBUTED))
    merged = []
    for s in sources.sources:
        quotes = [
            replace(q, article_line=f.article_line, article_column=f.article_column, cue=f.cue)
            if (f := at.get((s.id, i)))
            else q
            for i, q in enumerate(s.quotes)
        ]
        merged.append(replace(s, quotes=(*quotes, *added.get(s.id, []))))
    return replace(sources, sources=tuple(merged)), tuple(unattributed)


def archive_urls(sources: Sources | list[Sources], options: Options) -> tuple[list[str], list[str]]:
    """The Wayback (CDX) archives and the Memento archives a run asks, in order: the command
    line's, then the sources file's (with several files, those of every one of them)."""
    if not options.use_archive:
        return [], []
    lists = [sources] if isinstance(sources, Sources) else sources
    wayback = [options.wayback_url] if options.wayback_url else []
    mementos = list(dict.fromkeys([*options.mementos, *(a for s in lists for a in s.archives)]))
    return wayback, mementos


def make_archives(
    fetcher: Fetcher,
    wayback: list[str],
    mementos: list[str],
    options: Options,
    on_wait: Waiter | None,
) -> Archives:
    """The archives of a run, sharing the run's fetcher and cache."""
    # A run that records a WARC asks the archives again: the cache keeps what their answers
    # said, not the answers, and the WARC must hold them. What it gets is still stored.
    cache = Cache(options.cache_dir, read=options.warc is None)

    def make(kind: type[Archive], url: str) -> Archive:
        return kind(fetcher, url, cache=cache, settings=options.archive, on_wait=on_wait)

    archives = [make(Wayback, u) for u in wayback] + [make(Memento, u) for u in mementos]
    return Archives(archives, lambda url: make(Archive, url))


async def verify(
    sources: Sources,
    options: Options | None = None,
    *,
    on_result: Callable[[SourceResult], None] | None = None,
    on_wait: Waiter | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    fetcher: Fetcher | None = None,
) -> Report:
    """Check every quote of ``sources``; call ``on_result`` as each source is done, and
    ``on_wait`` when an archive makes the run wait."""

    def tell(_: int, result: SourceResult) -> None:
        if on_result is not None:
            on_result(result)

    [report] = await verify_many(
        [sources], options, on_result=tell, on_wait=on_wait, clock=clock, fetcher=fetcher
    )
    return report


async def verify_many(
    lists: list[Sources],
    options: Options | None = None,
    *,
    on_result: Callable[[int, SourceResult], None] | None = None,
    on_wait: Waiter | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    fetcher: Fetcher | None = None,
) -> tuple[Report, ...]:
    """Check every quote of every list in one run; return a Report for each, in order.

    One fetcher serves them all (one client, one cache, the same limits), the archives asked
    are those of every list together, and every source is checked at once: a URL that several
    sources cite is fetched once. ``on_result`` gets each result, with the index of its list,
    as it is done; ``on_wait`` is called when an archive makes the run wait.
    """
    options = options or Options()
    started = clock()
    wayback, mementos = archive_urls(lists, options)
    recording = None
    if options.replay is not None:  # the WARC answers every request: the cache none
        from .warc import read_warc

        recording, options = read_warc(options.replay), replace(options, cache_dir=None)
    # The archives the user named are trusted, though they may run on this machine.
    fetcher = fetcher or Fetcher(
        options.fetch,
        trusted_origins=[*wayback, *mementos],
        cache=Cache(options.cache_dir),
        record=options.warc is not None,
        replay=recording.exchanges if recording else None,
    )
    # A replay checks as of the day the WARC was recorded: a source without as_of has its
    # captures looked up near that day, as they were.
    today = (recording.started if recording else started).date()
    done: list[dict[str, SourceResult]] = [{} for _ in lists]
    unattributed: list[tuple[QuoteResult, ...]] = [() for _ in lists]
    merged: list[Sources] = []
    # The workers first, before any connection or thread is open, which they would inherit.
    count = sum(len(s.sources) for s in lists)
    matcher = Matcher(_workers(count) if options.workers is None else options.workers)
    try:
        async with fetcher:
            for n, sources in enumerate(lists):
                if sources.article:
                    article = await load_article(sources.article, fetcher, sources)
                    merging = merge_article(sources, article, options.check_names)
                    sources, unattributed[n] = merging
                merged.append(sources)
            archives = None
            if options.use_archive:
                archives = make_archives(fetcher, wayback, mementos, options, on_wait)
            checked = check_lists(merged, fetcher, archives, today, options, matcher)
            async for n, result in checked:
                done[n][result.source.id] = result
                if on_result is not None:
                    on_result(n, result)
    finally:
        matcher.close()
    if options.warc is not None:
        from .warc import write_warc

        write_warc(options.warc, Recording(started, tuple(fetcher.exchanges)))
    finished = clock()
    return tuple(
        Report(
            sources.path,
            tuple(done[n][s.id] for s in sources.sources),
            started,
            finished,
            sources.as_of,
            article=sources.article,
            unattributed=unattributed[n],
        )
        for n, sources in enumerate(merged)
    )


def verify_file(path: str | Path, options: Options | None = None) -> Report:
    """Load a sources.yaml and check it: the library's one-call entry point."""
    return asyncio.run(verify(load_sources(Path(path)), options))
