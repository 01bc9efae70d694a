"""Report -> JSON, for programs: every source and every quote with what its verdict rests on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..models import DEFAULT_FAIL_ON, Match, QuoteResult, Report, Snapshot, SourceResult
from . import to_json, total


def _snapshot(s: Snapshot | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "timestamp": s.timestamp,
        "url": s.url,
        "raw_url": s.raw_url,
        "archive": s.archive,
        "days_from_as_of": s.days_from_as_of,
    }


def _match(m: Match | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "text": m.passage,
        "score": m.score,
        "start": m.start,
        "end": m.end,
        "reason": m.reason,
        "found_in": m.found_in,
        "page": m.page,
        "in_main": m.in_main,
        "diff": [{"op": d.op, "source": d.source, "quote": d.quote} for d in m.diff],
    }


def _source(r: SourceResult) -> dict[str, Any]:
    s = r.source
    return {
        "id": s.id,
        "title": s.title,
        "publisher": s.publisher,
        "url": s.url,
        "line": s.line,
        "status": r.status.value,
        "reason": r.reason,
        "http_status": r.http_status,
        "final_url": r.final_url,
        "as_of": s.as_of.isoformat() if s.as_of else None,
        "snapshot": _snapshot(r.snapshot),
        "archive_reason": r.archive_reason,
        "live_changed": len(r.changed),
    }


def _quote(q: QuoteResult) -> dict[str, Any]:
    return {
        "source": q.source_id,
        "text": q.quote.text,
        "speaker": q.quote.speaker,
        "line": q.quote.line,
        "article_line": q.quote.article_line,
        "article_column": q.quote.article_column,
        "cue": q.quote.cue,
        "verdict": q.verdict.value,
        "where": q.where.value if q.where else None,
        "snapshot": q.snapshot.timestamp if q.snapshot else None,
        "snapshot_url": q.snapshot.url if q.snapshot else None,
        "snapshot_days_from_as_of": q.snapshot.days_from_as_of if q.snapshot else None,
        "live_verdict": q.live_verdict.value if q.live_verdict else None,
        "archive_verdict": q.archive_verdict.value if q.archive_verdict else None,
        "match": _match(q.match),
    }


def render_json(report: Report, fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> str:
    """The report as a JSON document (UTF-8 text, two-space indent, trailing newline)."""
    return to_json(_document(report, fail_on))


def render_json_many(reports: Sequence[Report], fail_on: frozenset[str] = DEFAULT_FAIL_ON) -> str:
    """Several sources files' reports as one JSON document: each file's document as
    ``render_json`` makes it, in ``reports``, and the counts over them all in ``summary``."""
    every = total(reports)
    doc = {
        "sourcecheck": __version__,
        "reports": [_document(r, fail_on) for r in reports],
        "summary": {
            **{v.value: n for v, n in every.counts.items()},
            "quotes": len(every.quotes) + len(every.unattributed),
            "sources": len(every.results),
            "files": len(reports),
            "partial": every.partial,
            "exit_code": int(every.exit_for(fail_on)),
            "fail_on": sorted(fail_on),
        },
    }
    return to_json(doc)


def _document(report: Report, fail_on: frozenset[str]) -> dict[str, Any]:
    return {
        "sourcecheck": __version__,
        "sources_file": str(report.sources_path),
        "article": report.article,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "partial": report.partial,  # interrupted: "sources" holds only those done
        "planned_sources": report.planned if report.partial else len(report.results),
        "summary": {
            **{v.value: n for v, n in report.counts.items()},
            "quotes": len(report.quotes) + len(report.unattributed),
            "sources": len(report.results),
            "exit_code": int(report.exit_for(fail_on)),
            "fail_on": sorted(fail_on),
            "failures": report.failures(fail_on),
        },
        "sources": [_source(r) for r in report.results],
        "quotes": [_quote(q) for q in report.quotes],
        "unattributed": [_quote(q) for q in report.unattributed],
    }
