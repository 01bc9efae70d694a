"""Report -> str, one module per format. Renderers are pure: no I/O, no clock."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import assert_never

from ..models import QuoteResult, Report, SourceResult, SourceStatus, Verdict, Where


class Format(StrEnum):
    """The output formats of ``verify``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def render(report: Report, fmt: Format, *, color: bool = False, width: int = 100) -> str:
    """``report`` in the format ``fmt``."""
    match fmt:
        case Format.TABLE:
            from .as_table import render_table

            return render_table(report, color=color, width=width)
        case Format.JSON:
            from .as_json import render_json

            return render_json(report)
        case Format.MARKDOWN:
            from .as_markdown import render_markdown

            return render_markdown(report)
        case _:
            assert_never(fmt)


# C0 and C1 control characters but tab and newline: a page must not drive the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Text from a page or a file with control characters (ANSI escapes among them) removed."""
    return _CONTROL.sub("", text)


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


def where_label(q: QuoteResult) -> str:
    """Which copy a verdict rests on: "live", "archive 2012-03-20" or "-"."""
    if q.where is Where.ARCHIVE:
        return f"archive {snapshot_date(q.snapshot.timestamp if q.snapshot else None)}"
    return q.where.value if q.where else "-"


def source_state(r: SourceResult) -> str:
    """The state of a source in a few words: live status, and the archive's answer if asked."""
    live = r.status.value + (f" (HTTP {r.http_status})" if r.http_status else "")
    if r.reason and r.status is not SourceStatus.OK and not r.reason.startswith("HTTP "):
        live += f": {r.reason}"
    if r.snapshot is not None:
        return f"{live}; archived copy {snapshot_date(r.snapshot.timestamp)}"
    if r.archive_reason:
        return f"{live}; archive: {r.archive_reason}"
    return live


def summary(report: Report) -> str:
    """One line of counts, e.g. "7 quotes: 5 verified, 1 altered, 0 not found, 1 unavailable"."""
    c = report.counts
    parts = [f"{c[v]} {v.value.replace('_', ' ')}" for v in Verdict]
    readable = sum(1 for r in report.results if r.readable)
    return (
        f"{_count(len(report.quotes), 'quote')}: {', '.join(parts)}; "
        f"{_count(len(report.results), 'source')}, {readable} readable"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
