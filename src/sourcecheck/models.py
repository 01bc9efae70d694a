"""Every value that crosses a stage boundary: frozen dataclasses and enums.

The pipeline reads left to right::

    sources.yaml -> Sources -> fetch -> Page | Unavailable -> extract -> Text
                                  \\-> archive -> Snapshot -> Page | Unavailable
    (Quote, Text) -> match -> Match;  all of it -> SourceResult -> Report

A failure on one item is a value with a reason (``Unavailable``, ``ArchiveMiss``), never ``None``
and never an exception, so that a report can always say *why*.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ExitStatus(IntEnum):
    """The process exit codes of every sourcecheck command."""

    OK = 0  # every quote verified, every source readable
    CHECK_FAILED = 1  # a quote was not verified or a source had no readable copy
    ERROR = 2  # the run could not be done: usage, sources.yaml or input errors
    INTERRUPTED = 130  # Ctrl-C


# What fails a check unless told otherwise (``--fail-on``): the rest are warnings.
DEFAULT_FAIL_ON = frozenset({"altered", "not_found", "unavailable", "unattributed"})


def fail_on_names(names: Iterable[str]) -> frozenset[str]:
    """A ``--fail-on`` list as a set of verdict and status names ("none": the empty set);
    ValueError naming any other name."""
    wanted = {n.strip() for n in names if n.strip()}
    known = {v.value for v in Verdict} | {s.value for s in SourceStatus}
    unknown = sorted(wanted - known - {"none"})
    if unknown:
        raise ValueError(
            f"unknown verdict or status {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(known))}, or none)"
        )
    if "none" in wanted and len(wanted) > 1:
        raise ValueError("'none' stands alone: it cannot be combined with other names")
    return frozenset(wanted - {"none"})


class SourceStatus(StrEnum):
    """What happened when the live URL of a source was fetched."""

    OK = "ok"  # a 2xx answer of a readable type
    MOVED = "moved"  # read, after a permanent redirect to another page: cite the new URL
    SOFT_404 = "soft_404"  # a 2xx answer that says "not found" (or sends us to the home page)
    DEAD = "dead"  # 404/410, DNS failure, connection refused
    BLOCKED = "blocked"  # 401/403/429/451/999, a bot challenge or a paywall: the site refused us
    ERROR = "error"  # 5xx, timeout, TLS, too large, unsupported type, refused address
    NO_URL = "no_url"  # sources.yaml gives no URL


class Verdict(StrEnum):
    """The verdict on one quote."""

    VERIFIED = "verified"  # every part of the quote is in the source, word for word
    ALTERED = "altered"  # a close passage exists but the words differ
    NOT_FOUND = "not_found"  # nothing close in any readable copy
    UNAVAILABLE = "unavailable"  # no readable copy of the source
    UNATTRIBUTED = "unattributed"  # a quote of the article that nothing ties to a source


class Where(StrEnum):
    """Which copy of a source a verdict rests on."""

    LIVE = "live"
    ARCHIVE = "archive"


# ----------------------------------------------------------------------------- sources.yaml


@dataclass(frozen=True)
class Quote:
    """A quote attributed to a source: given in sources.yaml, or found in the article."""

    text: str
    speaker: str | None = None
    line: int | None = None  # 1-based line in sources.yaml, if given there
    article_line: int | None = None  # 1-based line and column in the article, if found there
    article_column: int | None = None
    cue: str | None = None  # what tied a quote found in the article to its source


@dataclass(frozen=True)
class Source:
    """One cited source and the quotes attributed to it."""

    id: str
    url: str | None
    as_of: dt.date | None
    quotes: tuple[Quote, ...] = ()
    title: str | None = None
    publisher: str | None = None
    archive_url: str | None = None
    line: int | None = None
    aliases: tuple[str, ...] = ()  # other names the article uses for the source


@dataclass(frozen=True)
class Sources:
    """A validated sources.yaml."""

    path: Path
    sources: tuple[Source, ...]
    as_of: dt.date | None = None
    archives: tuple[str, ...] = ()  # Memento archives to ask, besides the Wayback Machine
    article: str | None = None  # the article's path (resolved) or URL, if given
    article_line: int | None = None  # the line of the ``article`` key
    settings: dict[str, Any] = field(default_factory=dict)  # `verify` options from the file
    settings_lines: dict[str, int] = field(default_factory=dict)  # the line of each


# ----------------------------------------------------------------------------- articles


class QuoteKind(StrEnum):
    """What a quoted stretch of an article is."""

    QUOTE = "quote"  # in quote marks (or an HTML <q>)
    BLOCK = "block"  # a block quote, or a paragraph set apart after "said:" / "claims that"
    NAME = "name"  # one to three words: a name, a scare quote or a short title; not checked
    TITLE = "title"  # a title introduced by "titled", "headlined", ...; not checked


@dataclass(frozen=True)
class ArticleQuote:
    """A quoted passage of an article, where it is, and whom and what it is attributed to."""

    text: str
    kind: QuoteKind
    line: int  # 1-based line and column of the quote's first character in the article file
    column: int
    speaker: str | None = None
    source_id: str | None = None  # None: not tied to any source (unattributed)
    cue: str | None = None  # the evidence that tied it, e.g. 'named: "The Boston Globe"'

    @property
    def checked(self) -> bool:
        """Whether the quote is checked against its source (names and titles are only listed)."""
        return self.kind in (QuoteKind.QUOTE, QuoteKind.BLOCK)


@dataclass(frozen=True)
class Reference:
    """One entry of an article's reference list."""

    label: str  # its number ("1", "2", ...): as the list numbers it, else its position
    text: str
    line: int
    publisher: str | None = None
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Link:
    """A hyperlink in an article."""

    url: str
    text: str
    line: int


@dataclass(frozen=True)
class Article:
    """What was read from an article: its quotes, reference list and links."""

    path: str  # the file's path or the URL
    quotes: tuple[ArticleQuote, ...]
    references: tuple[Reference, ...] = ()
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be read as written, e.g. an unclosed quote mark
    title: str | None = None
    published: dt.date | None = None


# ----------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class Page:
    """A readable response: the body of a 2xx answer of a supported type."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    http_status: int
    content_type: str
    body: bytes
    redirects: tuple[str, ...] = ()  # every URL passed through before final_url
    redirect_statuses: tuple[int, ...] = ()  # the status each of those URLs answered (301, ...)


@dataclass(frozen=True)
class Unavailable:
    """Why a URL gave no readable page."""

    url: str
    status: SourceStatus
    reason: str
    http_status: int | None = None
    final_url: str | None = None


@dataclass(frozen=True)
class Response:
    """A raw HTTP answer of any status, for callers (the archive) that read statuses themselves."""

    url: str
    final_url: str
    http_status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    redirects: tuple[str, ...] = ()
    redirect_statuses: tuple[int, ...] = ()  # the status each of ``redirects`` answered

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the answer to it, as sent and received: what a WARC keeps."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    http_status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # as received: de-chunked, still in its Content-Encoding
    date: dt.datetime  # when it was received (a page from the cache: when it was stored)
    probe: bool = False  # the made-up path asked to see how a host answers a missing page


@dataclass(frozen=True)
class Recording:
    """The exchanges of a run (``verify --warc``), and when the run started."""

    started: dt.datetime
    exchanges: tuple[Exchange, ...]


# ----------------------------------------------------------------------------- archives


@dataclass(frozen=True)
class Snapshot:
    """One archived capture of a URL."""

    original_url: str
    timestamp: str | None  # 14 digits, YYYYMMDDhhmmss; None for a pinned URL of unknown form
    url: str  # the capture as a person views it
    raw_url: str  # the capture's original bytes (the Wayback ``id_`` playback)
    as_of: dt.date | None = None  # the date it was wanted for

    @property
    def date(self) -> dt.datetime | None:
        """The capture time, if known (a short timestamp counts from the start of its period)."""
        if not self.timestamp:
            return None
        full = self.timestamp + "00000101000000"[len(self.timestamp) :]
        return dt.datetime.strptime(full[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)

    @property
    def days_from_as_of(self) -> float | None:
        """Days from the end of the ``as_of`` day to the capture: negative before, else after."""
        if self.date is None or self.as_of is None:
            return None
        end_of_day = dt.datetime.combine(self.as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)
        return round((self.date - end_of_day).total_seconds() / 86400, 2)

    @property
    def archive(self) -> str:
        """The host of the archive that holds the capture."""
        return urlsplit(self.url).netloc


@dataclass(frozen=True)
class ArchiveMiss:
    """Why no archived capture could be used."""

    reason: str


# ----------------------------------------------------------------------------- text and matching


@dataclass(frozen=True)
class Text:
    """Text of a page: blocks joined by newlines, whitespace collapsed.

    Offsets in a ``Match`` point into ``text``. ``kind`` says which text of the page it is: the
    visible text, or text a reader gets that the visible DOM lacks (``json-ld``,
    ``og:description``, ``noscript``, ``amp``). For a PDF, ``pages`` holds the offset where each
    page's text starts.
    """

    text: str
    kind: str = "visible"
    pages: tuple[int, ...] = ()

    def page_of(self, offset: int) -> int | None:
        """The 1-based page that holds ``offset``, for a PDF; else None."""
        if not self.pages:
            return None
        return bisect_right(self.pages, offset) or 1


@dataclass(frozen=True)
class DiffOp:
    """One step of a word diff from the source's words to the quote's words."""

    op: str  # "equal" | "replace" | "delete" (only in source) | "insert" (only in quote)
    source: str
    quote: str


@dataclass(frozen=True)
class Match:
    """How a quote stands against one text."""

    verdict: Verdict  # VERIFIED, ALTERED or NOT_FOUND
    score: float  # 1.0 when verified; similarity of the closest passage otherwise
    passage: str | None = None  # the source's words, from Text.text
    start: int | None = None
    end: int | None = None
    diff: tuple[DiffOp, ...] = ()
    reason: str | None = None  # why a close passage was not verified
    found_in: str = "visible"  # the Text.kind the passage is in
    page: int | None = None  # the PDF page of the passage
    in_main: bool | None = None  # whether the passage is in the article's main text, if known


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class QuoteResult:
    """The verdict on one quote and what it rests on."""

    source_id: str
    quote: Quote
    verdict: Verdict
    where: Where | None = None
    snapshot: Snapshot | None = None
    match: Match | None = None
    live_verdict: Verdict | None = None  # on the live page, if it was read
    archive_verdict: Verdict | None = None  # the best in the captures read, if any was


@dataclass(frozen=True)
class SourceResult:
    """What was found for one source."""

    source: Source
    status: SourceStatus
    reason: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    snapshot: Snapshot | None = None  # the capture the archive gave, if it was consulted
    archive_reason: str | None = None  # why no capture was used, if the archive was consulted
    quotes: tuple[QuoteResult, ...] = ()

    @property
    def changed(self) -> tuple[QuoteResult, ...]:
        """Quotes the archive holds that the live page, though readable, no longer does."""
        if self.status not in (SourceStatus.OK, SourceStatus.MOVED):
            return ()
        return tuple(
            q
            for q in self.quotes
            if q.archive_verdict is Verdict.VERIFIED and q.live_verdict is not Verdict.VERIFIED
        )

    @property
    def readable(self) -> bool:
        """Whether some copy of the source (live or archived) could be read."""
        return self.status in (SourceStatus.OK, SourceStatus.MOVED) or self.snapshot is not None


@dataclass(frozen=True, repr=False)
class Report:
    """Everything a run found, in sources.yaml order.

    Its repr is short: asyncio formats the repr of a run's task, result included, when the run
    ends (restoring the Ctrl-C handler), and that of thousands of results took half a second.
    """

    sources_path: Path
    results: tuple[SourceResult, ...]
    started: dt.datetime
    finished: dt.datetime
    as_of: dt.date | None = None
    article: str | None = None  # the article the quotes were read from, if one was
    unattributed: tuple[QuoteResult, ...] = ()  # its quotes that no source could be tied to
    counts: dict[Verdict, int] = field(default_factory=dict, compare=False)
    partial: bool = False  # the run was interrupted: ``results`` holds only the sources done
    planned: int | None = None  # the sources the run set out to check, when partial

    def __post_init__(self) -> None:
        counts = dict.fromkeys(Verdict, 0)
        for quote in (*self.quotes, *self.unattributed):
            counts[quote.verdict] += 1
        object.__setattr__(self, "counts", counts)

    def __repr__(self) -> str:
        return f"Report({str(self.sources_path)!r}, {len(self.results)} sources)"

    @property
    def quotes(self) -> tuple[QuoteResult, ...]:
        """Every quote result, source by source."""
        return tuple(q for result in self.results for q in result.quotes)

    @property
    def exit_status(self) -> ExitStatus:
        """The exit code under the default policy (``DEFAULT_FAIL_ON``)."""
        return self.exit_for(DEFAULT_FAIL_ON)

    def exit_for(self, fail_on: frozenset[str]) -> ExitStatus:
        """1 when anything named in ``fail_on`` (verdicts, source statuses) happened, else 0."""
        return ExitStatus.CHECK_FAILED if self.failures(fail_on) else ExitStatus.OK

    def failures(self, fail_on: frozenset[str]) -> list[str]:
        """What fails the check under ``fail_on``, one line each (empty: the check passed).

        A verdict fails for each quote that has it; a source status for each source that has
        it; ``unavailable`` also for a source with no quotes and no readable copy.
        """
        out = [
            f"{q.source_id or '(no source)'}: {q.verdict.value}: {q.quote.text[:60]}"
            for q in (*self.quotes, *self.unattributed)
            if q.verdict.value in fail_on
        ]
        for r in self.results:
            if r.status.value in fail_on:
                out.append(f"{r.source.id}: source {r.status.value}")
            elif "unavailable" in fail_on and not r.readable and not r.quotes:
                out.append(f"{r.source.id}: no readable copy")
        return out


# ----------------------------------------------------------------------------- history


@dataclass(frozen=True)
class Step:
    """One copy of a source in its history: a capture, or the live page (``snapshot`` None)."""

    snapshot: Snapshot | None
    matches: tuple[Match, ...] = ()  # one per quote; empty when the copy was unreadable
    reason: str | None = None  # why the copy could not be read


@dataclass(frozen=True)
class Change:
    """A quote's state changing between two copies, or its state in the first one."""

    quote: int  # index in the source's quotes
    step: int  # index of the copy where the change is first seen
    event: str  # "present", "absent", "appeared", "changed", "disappeared"
    match: Match


@dataclass(frozen=True)
class History:
    """A source's quotes across its captures over time, oldest first, then the live page."""

    source: Source
    steps: tuple[Step, ...]
    changes: tuple[Change, ...]
    reason: str | None = None  # why there are no captures, if there are none


# ----------------------------------------------------------------------------- links


class LinkStatus(StrEnum):
    """What checking one link found."""

    OK = "ok"  # an accepted status code (2xx unless --accept says otherwise)
    MOVED = "moved"  # answered after a permanent redirect (301/308) to another page
    DEAD = "dead"  # 404/410, DNS failure, connection refused
    BLOCKED = "blocked"  # 401/403/429/451/999 or a bot challenge: the site refused us
    ERROR = "error"  # 5xx, timeout, TLS, too many redirects, a status not accepted
    EXCLUDED = "excluded"  # not fetched: another scheme, relative without a base, --exclude


@dataclass(frozen=True)
class LinkPlace:
    """Where a link is written: a file (or the URL of a page) and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class FoundLink:
    """A link as found in an input: the URL (resolved against the base when there is one)."""

    url: str
    place: LinkPlace


@dataclass(frozen=True)
class LinkResult:
    """One URL checked (or excluded), with every place it was found."""

    url: str
    status: LinkStatus
    places: tuple[LinkPlace, ...] = ()
    reason: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    suggestion: Snapshot | None = None  # the closest archived capture, for a broken link
    suggestion_reason: str | None = None  # why there is none, when the archive was asked

    @property
    def broken(self) -> bool:
        """Whether the link fails the check: dead, blocked or error."""
        return self.status in (LinkStatus.DEAD, LinkStatus.BLOCKED, LinkStatus.ERROR)


@dataclass(frozen=True, repr=False)
class LinkReport:
    """Every link of a ``links`` run, in the order first found (its repr short, as Report's)."""

    inputs: tuple[str, ...]
    results: tuple[LinkResult, ...]
    started: dt.datetime
    finished: dt.datetime

    def __repr__(self) -> str:
        return f"LinkReport({len(self.results)} links)"

    @property
    def counts(self) -> dict[LinkStatus, int]:
        """How many links have each status."""
        counts = dict.fromkeys(LinkStatus, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def exit_status(self) -> ExitStatus:
        """0 when no link is dead, blocked or in error, else 1."""
        broken = any(r.broken for r in self.results)
        return ExitStatus.CHECK_FAILED if broken else ExitStatus.OK
