"""Runs the stages for every source, yields results, builds a Report. Never prints or exits.

For each source: fetch the live page and match every quote in it; if the page is not readable,
or a quote is not verified on it, look the URL up in the archive (or use the pinned
``archive_url``) and match what is still unverified in the captures, closest to ``as_of``
first. Each quote keeps its best verdict and says which copy it rests on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from .archive import DEFAULT_WAYBACK_URL, Archive
from .extract import extract_text
from .fetch import Fetcher, FetchSettings
from .match import match_quote, normalize
from .models import (
    ArchiveMiss,
    Match,
    Page,
    QuoteResult,
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

_RANK = {Verdict.UNAVAILABLE: 0, Verdict.NOT_FOUND: 1, Verdict.ALTERED: 2, Verdict.VERIFIED: 3}


@dataclass(frozen=True)
class Options:
    """How a run is made."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    wayback_url: str = DEFAULT_WAYBACK_URL
    use_archive: bool = True
    max_captures: int = 3  # captures read per source when quotes are not found in the first


def _better(new: QuoteResult, old: QuoteResult) -> bool:
    if _RANK[new.verdict] != _RANK[old.verdict]:
        return _RANK[new.verdict] > _RANK[old.verdict]
    return (new.match.score if new.match else 0.0) > (old.match.score if old.match else 0.0)


def _match_all(
    source: Source, page: Page, where: Where, snapshot: Snapshot | None, todo: list[int]
) -> dict[int, QuoteResult]:
    text = extract_text(page.body, page.content_type)
    hay = normalize(text.text)
    out: dict[int, QuoteResult] = {}
    for i in todo:
        quote = source.quotes[i]
        m: Match = match_quote(quote.text, text, hay)
        out[i] = QuoteResult(source.id, quote, m.verdict, where, snapshot, m)
    return out


async def check_source(
    source: Source, fetcher: Fetcher, archive: Archive | None, today: dt.date, max_captures: int = 3
) -> SourceResult:
    """Check one source: live first, then the archive for whatever is not verified."""
    results = [QuoteResult(source.id, q, Verdict.UNAVAILABLE) for q in source.quotes]
    live: Page | Unavailable | None = await fetcher.fetch(source.url) if source.url else None

    def merge(found: dict[int, QuoteResult]) -> None:
        for i, result in found.items():
            if _better(result, results[i]):
                results[i] = result

    if isinstance(live, Page):
        merge(_match_all(source, live, Where.LIVE, None, list(range(len(results)))))

    def pending() -> list[int]:
        return [i for i, r in enumerate(results) if r.verdict is not Verdict.VERIFIED]

    snapshot: Snapshot | None = None
    archive_reason: str | None = None
    wanted = source.url or source.archive_url
    if archive is not None and wanted and (not isinstance(live, Page) or pending()):
        candidates: list[Snapshot] | ArchiveMiss
        if source.archive_url:
            candidates = [archive.pinned(source.archive_url)]
        else:
            candidates = await archive.lookup(wanted, source.as_of or today, max_captures)
        if isinstance(candidates, ArchiveMiss):
            archive_reason = candidates.reason
        else:
            for candidate in candidates:
                page = await archive.read(candidate)
                if isinstance(page, Unavailable):
                    archive_reason = archive_reason or f"capture unreadable: {page.reason}"
                    continue
                snapshot = snapshot or candidate
                merge(_match_all(source, page, Where.ARCHIVE, candidate, pending()))
                if not pending():
                    break
            if snapshot is not None:
                archive_reason = None

    if live is None:
        status, reason, http_status, final_url = SourceStatus.NO_URL, None, None, None
    elif isinstance(live, Page):
        status, reason, http_status = SourceStatus.OK, None, live.http_status
        final_url = live.final_url
    else:
        status, reason, http_status = live.status, live.reason, live.http_status
        final_url = live.final_url
    return SourceResult(
        source=source,
        status=status,
        reason=reason,
        http_status=http_status,
        final_url=final_url,
        snapshot=snapshot,
        archive_reason=archive_reason,
        quotes=tuple(results),
    )


def _failed(source: Source, exc: Exception) -> SourceResult:
    # A bug must not cost the other sources their results: report it on this one.
    reason = f"internal error: {type(exc).__name__}: {exc}"
    quotes = tuple(QuoteResult(source.id, q, Verdict.UNAVAILABLE) for q in source.quotes)
    return SourceResult(source, SourceStatus.ERROR, reason, quotes=quotes)


async def check_all(
    sources: Sources,
    fetcher: Fetcher,
    archive: Archive | None,
    today: dt.date,
    max_captures: int = 3,
) -> AsyncIterator[SourceResult]:
    """Check every source concurrently; yield each result as it is ready."""

    async def one(source: Source) -> SourceResult:
        try:
            return await check_source(source, fetcher, archive, today, max_captures)
        except Exception as exc:
            return _failed(source, exc)

    tasks = [asyncio.create_task(one(s)) for s in sources.sources]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()


async def verify(
    sources: Sources,
    options: Options | None = None,
    *,
    on_result: Callable[[SourceResult], None] | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    fetcher: Fetcher | None = None,
) -> Report:
    """Check every quote of ``sources``; call ``on_result`` as each source is done."""
    options = options or Options()
    started = clock()
    fetcher = fetcher or Fetcher(options.fetch, trusted_origins=[options.wayback_url])
    done: dict[str, SourceResult] = {}
    async with fetcher:
        archive = Archive(fetcher, options.wayback_url) if options.use_archive else None
        async for result in check_all(
            sources, fetcher, archive, started.date(), options.max_captures
        ):
            done[result.source.id] = result
            if on_result is not None:
                on_result(result)
    ordered = tuple(done[s.id] for s in sources.sources)
    return Report(sources.path, ordered, started, clock(), sources.as_of)


def verify_file(path: str | Path, options: Options | None = None) -> Report:
    """Load a sources.yaml and check it: the library's one-call entry point."""
    return asyncio.run(verify(load_sources(Path(path)), options))
