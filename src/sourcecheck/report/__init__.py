"""Report -> str, one module per format. Renderers are pure: no I/O, no clock."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

import orjson

from ..models import (
    DEFAULT_FAIL_ON,
    QuoteResult,
    Report,
    Snapshot,
    SourceResult,
    SourceStatus,
    Verdict,
    Where,
)
from ..redact import redact_text


class Format(StrEnum):
    """The output formats of ``verify`` and ``links``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"  # JUnit XML: one test case per quote, for CI dashboards
    GITHUB = "github"  # GitHub Actions workflow commands: annotations on the article's lines


class ListFormat(StrEnum):
    """The output formats of ``quotes`` and ``history``, which check nothing."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def render(
    report: Report,
    fmt: Format,
    *,
    color: bool = False,
    width: int = 100,
    fail_on: frozenset[str] = DEFAULT_FAIL_ON,
    every: bool = False,
) -> str:
    """``report`` in the format ``fmt``; ``fail_on`` says what is a failure, not a warning.
    The table lists only the quotes needing attention once there are many, unless ``every``
    (see ``as_table.LISTED_UP_TO``); the other formats hold every quote."""
    return render_many([report], fmt, color=color, width=width, fail_on=fail_on, every=every)


def render_many(
    reports: Sequence[Report],
    fmt: Format,
    *,
    color: bool = False,
    width: int = 100,
    fail_on: frozenset[str] = DEFAULT_FAIL_ON,
    every: bool = False,
) -> str:
    """The reports of one run over several sources files as one document in the format ``fmt``;
    for a single report, that report's own document (see ``render``)."""
    one = reports[0] if len(reports) == 1 else None
    match fmt:
        case Format.TABLE:
            from .as_table import render_table, render_tables

            if one is not None:
                return render_table(one, color=color, width=width, every=every)
            return render_tables(reports, color=color, width=width, every=every)
        case Format.JSON:
            from .as_json import render_json, render_json_many

            if one is not None:
                return render_json(one, fail_on)
            return render_json_many(reports, fail_on)
        case Format.MARKDOWN:
            from .as_markdown import render_markdown, render_markdown_many

            if one is not None:
                return render_markdown(one, fail_on)
            return render_markdown_many(reports, fail_on)
        case Format.JUNIT:
            from .as_junit import render_junit, render_junit_many

            if one is not None:
                return render_junit(one, fail_on)
            return render_junit_many(reports, fail_on)
        case Format.GITHUB:
            from .as_github import render_github

            if one is not None:
                return render_github(one, fail_on)
            return "".join(render_github(r, fail_on, name=str(r.sources_path)) for r in reports)
        case _:
            assert_never(fmt)


def total(reports: Sequence[Report]) -> Report:
    """Several reports as one, for their counts, summary and exit code: every result and every
    unattributed quote; partial when any is."""
    partial = any(r.partial for r in reports)
    planned = sum(len(r.results) if r.planned is None else r.planned for r in reports)
    return Report(
        Path(),
        tuple(result for r in reports for result in r.results),
        min(r.started for r in reports),
        max(r.finished for r in reports),
        article=next((r.article for r in reports if r.article is not None), None),
        unattributed=tuple(q for r in reports for q in r.unattributed),
        partial=partial,
        planned=planned if partial else None,
    )


# C0 and C1 control characters but tab and newline: a page must not drive the terminal. And the
# bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9): they reorder what
# follows them on screen, so a page could make a quote or a URL read as something else
# ("Trojan Source", CVE-2021-42574).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Text from a page or a file fit to show: control characters (ANSI escapes among them) and
    bidi overrides removed, secrets in URLs and headers redacted (``redact.redact_text``)."""
    return redact_text(_CONTROL.sub("", text))


# What json.dumps leaves raw with ensure_ascii=False but a terminal may act on, and lone
# surrogates, which no UTF-8 file can hold: escaped as \uXXXX, which a JSON reader turns back
# into the same text.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def to_json(doc: object) -> str:
    """``doc`` as a JSON document (two-space indent, trailing newline) that is safe to print:
    every control character and bidi override escaped, secrets in URLs redacted."""
    try:
        # orjson writes the same text as json.dumps(indent=2) 20-30 times faster (Python's
        # json indents in pure Python: 56 ms for the report of 500 sources, 0.2 s for 2,000).
        text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:  # a lone surrogate, which orjson refuses
        text = json.dumps(doc, indent=2, ensure_ascii=False)
    text = _JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    return redact_text(text) + "\n"


def one_line(text: str, limit: int | None = None) -> str:
    """Text on one line, cleaned, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(clean(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1].rstrip() + "\u2026"
    return flat


def snapshot_date(timestamp: str | None) -> str:
    """A 14-digit capture timestamp as a date, e.g. 2012-03-20."""
    if not timestamp or len(timestamp) < 8:
        return "pinned"
    return f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"


def distance(snapshot: Snapshot | None) -> str:
    """How far a capture is from the date it was wanted for: "56 days before", "same day"."""
    days = snapshot.days_from_as_of if snapshot else None
    if days is None:
        return ""
    if -1 < days <= 0:
        return "same day"
    side = "before" if days < 0 else "after"
    if abs(days) < 1:
        hours = max(1, round(abs(days) * 24))
        return f"{hours} hour{'s' if hours != 1 else ''} {side}"
    n = round(abs(days))
    return f"{n} day{'s' if n != 1 else ''} {side}"


def where_label(q: QuoteResult) -> str:
    """Which copy a verdict rests on: "live", "archive 2012-03-20 (56 days before)" or "-"."""
    if q.where is Where.ARCHIVE:
        far = distance(q.snapshot)
        date = snapshot_date(q.snapshot.timestamp if q.snapshot else None)
        return f"archive {date}" + (f" ({far})" if far else "")
    return q.where.value if q.where else "-"


def place(q: QuoteResult) -> str:
    """Where on the page a passage is, when that is worth saying: "page 2", "in the JSON-LD
    articleBody", "outside the article's main text"."""
    m = q.match
    if m is None or m.passage is None:
        return ""
    notes = []
    if m.page is not None:
        notes.append(f"page {m.page}")
    if m.found_in != "visible":
        what = {
            "json-ld": "in the JSON-LD articleBody, not shown",
            "og:description": "in the og:description, not shown",
            "noscript": "in the <noscript> text, not shown",
            "amp": "in the page's AMP version",
            "rendered": "in the page as a browser draws it (scripts run)",
        }
        notes.append(what.get(m.found_in, f"in the {m.found_in} text"))
    if m.in_main is False:
        notes.append("outside the article's main text: check it")
    return "; ".join(notes)


def agreement(q: QuoteResult) -> str:
    """What the other copy said, when both were read: "" or e.g. "the live page: not found"."""
    if q.where is Where.LIVE and q.archive_verdict is not None:
        if q.archive_verdict is Verdict.VERIFIED:
            return "the archive agrees"
        return f"the archive: {q.archive_verdict.value.replace('_', ' ')}"
    if q.where is Where.ARCHIVE and q.live_verdict is not None:
        return f"the live page: {q.live_verdict.value.replace('_', ' ')}"
    return ""


def source_state(r: SourceResult) -> str:
    """The state of a source in a few words: live status, and the archive's answer if asked."""
    live = r.status.value + (f" (HTTP {r.http_status})" if r.http_status else "")
    if r.reason and r.status is not SourceStatus.OK and not r.reason.startswith("HTTP "):
        live += f": {r.reason}"
    if r.changed:
        edited = sum(1 for q in r.changed if q.live_verdict is Verdict.ALTERED)
        removed = len(r.changed) - edited
        what = [f"{n} quote{'s' if n != 1 else ''} {how}" for n, how in
                ((edited, "edited"), (removed, "removed")) if n]  # fmt: skip
        live += f"; changed since cited: {' and '.join(what)} (found in the archive)"
    if r.snapshot is not None:
        far = distance(r.snapshot)
        when = snapshot_date(r.snapshot.timestamp) + (f", {far}" if far else "")
        return f"{live}; archived copy {when}"
    if r.archive_reason:
        return f"{live}; archive: {r.archive_reason}"
    return live


def summary(report: Report) -> str:
    """One line of counts, e.g. "7 quotes: 5 verified, 1 altered, 0 not found, 1 unavailable"."""
    c = report.counts
    parts = [f"{c[v]} {v.value.replace('_', ' ')}" for v in shown_verdicts(report)]
    readable = sum(1 for r in report.results if r.readable)
    quotes = len(report.quotes) + len(report.unattributed)
    return (
        f"{_count(quotes, 'quote')}: {', '.join(parts)}; "
        f"{_count(len(report.results), 'source')}, {readable} readable"
    )


def partial_note(report: Report) -> str | None:
    """For a run cut short by Ctrl-C, "partial: interrupted after N of M sources"; else None."""
    if not report.partial:
        return None
    planned = report.planned if report.planned is not None else len(report.results)
    return f"partial: interrupted after {len(report.results)} of {_count(planned, 'source')}"


def shown_verdicts(report: Report) -> list[Verdict]:
    """The verdicts a summary counts: "unattributed" only when an article was read."""
    return [v for v in Verdict if v is not Verdict.UNATTRIBUTED or report.article is not None]


def origin(q: QuoteResult, article: str | None) -> str:
    """Where a quote is in the article, "article.md:12:5", when it was found there."""
    if q.quote.article_line is None:
        return ""
    name = clean(article or "article")
    return f"{name}:{q.quote.article_line}:{q.quote.article_column or 1}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def md_text(text: str) -> str:
    """Text safe inside a Markdown paragraph or table cell: one line, markup neutralized."""
    flat = html.escape(one_line(text), quote=False)
    return re.sub(r"([\\`*_\[\]|#~])", r"\\\1", flat)


def location(q: QuoteResult, report: Report) -> tuple[str, int | None, int | None]:
    """Where a quote is written: its article line and column, else its line in sources.yaml."""
    if q.quote.article_line is not None and report.article:
        return report.article, q.quote.article_line, q.quote.article_column
    return str(report.sources_path), q.quote.line, None


def terminal(out: object, *, color: bool, width: int) -> Any:
    """A rich Console writing to ``out``: no markup of its own is added to text (no highlighting,
    no emoji), colour only when asked, so that a page's text is printed as text."""
    from rich.console import Console

    return Console(
        file=out,  # type: ignore[arg-type]
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
