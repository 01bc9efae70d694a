"""Report -> GitHub Actions workflow commands: an annotation on each quote's line.

``::error file=article.md,line=12,col=5,title=...::message`` shows on the pull request's diff,
at the quote's line in the article (or its line in sources.yaml). Verdicts named in
``--fail-on`` are errors, others short of verified warnings. Values are escaped as the runner
requires (``%``, CR, LF, and in properties ``:`` and ``,``), and cleaned of control characters,
so a page's text cannot issue a command of its own.
"""

from __future__ import annotations

from ..models import QuoteResult, Report, Verdict
from . import clean, location, one_line, partial_note, source_state, summary, where_label


def _data(text: str) -> str:
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(
    kind: str, message: str, file: str, line: int | None, col: int | None, title: str
) -> str:
    props = [f"file={_prop(file)}"]
    if line:
        props.append(f"line={line}")
    if col:
        props.append(f"col={col}")
    props.append(f"title={_prop(title)}")
    return f"::{kind} {','.join(props)}::{_data(message)}"


def _quote(q: QuoteResult, report: Report, fail_on: frozenset[str]) -> str | None:
    if q.verdict is Verdict.VERIFIED:
        return None
    kind = "error" if q.verdict.value in fail_on else "warning"
    file, line, col = location(q, report)
    message = f"“{one_line(q.quote.text, 120)}” is {q.verdict.value.replace('_', ' ')}"
    if q.source_id:
        copy = where_label(q) if q.where is not None else None
        message += f" in {q.source_id}" + (f" ({copy})" if copy else "")
    if q.verdict is Verdict.UNAVAILABLE:
        r = next((x for x in report.results if x.source.id == q.source_id), None)
        message += f": {source_state(r)}" if r is not None else ""
    if q.match is not None and q.match.passage and q.verdict is Verdict.ALTERED:
        message += f"\nThe source says: “{one_line(q.match.passage, 300)}”"
    if q.match is not None and q.match.reason:
        message += f"\nWhy: {one_line(q.match.reason)}"
    title = f"sourcecheck: quote {q.verdict.value.replace('_', ' ')}"
    return _command(kind, message, file, line, col, title)


def render_github(report: Report, fail_on: frozenset[str], name: str | None = None) -> str:
    """One workflow command per quote or source that needs attention, then a notice (its
    summary led by ``name``, when given: the sources file, in a run over several)."""
    lines = []
    for r in report.results:
        unreadable = not r.readable and not r.quotes
        if r.status.value in fail_on or unreadable:
            kind = "error" if r.status.value in fail_on or "unavailable" in fail_on else "warning"
            title = f"sourcecheck: source {r.source.id}"
            path = str(report.sources_path)
            lines.append(_command(kind, source_state(r), path, r.source.line, None, title))
        lines += [c for q in r.quotes if (c := _quote(q, report, fail_on))]
    lines += [c for q in report.unattributed if (c := _quote(q, report, fail_on))]
    if note := partial_note(report):
        lines.append(f"::warning title=sourcecheck::{_data(note)}")
    said = f"{name}: {summary(report)}" if name is not None else summary(report)
    lines.append(f"::notice title=sourcecheck::{_data(said)}")
    return "\n".join(lines) + "\n"
