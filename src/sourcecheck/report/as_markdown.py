"""Report -> Markdown: summary counts, then a section per source with every quote's verdict."""

from __future__ import annotations

import re

from ..models import QuoteResult, Report, SourceResult, Verdict
from . import (
    agreement,
    clean,
    one_line,
    origin,
    place,
    shown_verdicts,
    snapshot_date,
    source_state,
    summary,
    where_label,
)
from . import md_text as md

_ICONS = {
    Verdict.VERIFIED: "✅",
    Verdict.ALTERED: "⚠️",
    Verdict.NOT_FOUND: "❌",
    Verdict.UNAVAILABLE: "⛔",
    Verdict.UNATTRIBUTED: "❓",
}


def _link(label: str, url: str) -> str:
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")
    return f"[{md(label)}](<{safe.replace('>', '%3E')}>)"


def _fence(body: str, info: str = "") -> str:
    # A fence longer than any run of backticks in the body, so the body cannot close it.
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def _altered(q: QuoteResult) -> list[str]:
    assert q.match is not None
    removed = " ".join(d.source for d in q.match.diff if d.op in ("replace", "delete"))
    added = " ".join(d.quote for d in q.match.diff if d.op in ("replace", "insert"))
    inline = " ".join(
        d.source
        if d.op == "equal"
        else (f"[-{d.source}-]" if d.source else "") + (f"{{+{d.quote}+}}" if d.quote else "")
        for d in q.match.diff
    )
    diff_block = f"- {one_line(removed)}\n+ {one_line(added)}\n  {one_line(inline)}"
    lines = [
        "",
        f"  The source says: {md(q.match.passage or '')}",
        "",
        _indent(_fence(diff_block, "diff")),
    ]
    if q.match.reason:
        lines += ["", f"  Why not verified: {md(q.match.reason)}"]
    return lines


def _indent(block: str) -> str:
    return "\n".join("  " + line for line in block.splitlines())


def _section(r: SourceResult, article: str | None) -> list[str]:
    s = r.source
    title = s.title or s.id
    lines = [f"## {md(title)} (`{one_line(s.id).replace('`', '')}`)", ""]
    if s.publisher:
        lines.append(f"- Publisher: {md(s.publisher)}")
    lines.append(f"- URL: {_link(s.url, s.url)}" if s.url else "- URL: none given")
    lines.append(f"- Status: {md(source_state(r))}")
    if r.final_url and s.url and r.final_url != s.url:
        lines.append(f"- Redirected to: {_link(r.final_url, r.final_url)}")
    if r.snapshot is not None:
        label = snapshot_date(r.snapshot.timestamp)
        lines.append(f"- Snapshot: {_link(label, r.snapshot.url)}")
    if not r.quotes:
        lines.append("- No quotes attributed.")
    lines.append("")
    for n, q in enumerate(r.quotes, 1):
        where = where_label(q)
        if q.snapshot is not None and q.where is not None and q.where.value == "archive":
            where = _link(where, q.snapshot.url)
        speaker = f" ({md(q.quote.speaker)})" if q.quote.speaker else ""
        notes = (place(q), agreement(q), md(origin(q, article)))
        other = "".join(f"; {note}" for note in notes if note)
        lines.append(
            f"{n}. {_ICONS[q.verdict]} **{q.verdict.value}**, {where}{other}{speaker}: "
            f"“{md(q.quote.text)}”"
        )
        if q.verdict is Verdict.ALTERED and q.match is not None:
            lines += _altered(q)
        elif q.verdict is Verdict.NOT_FOUND and q.match is not None and q.match.reason:
            lines.append(f"   Why not verified: {md(q.match.reason)}")
    lines.append("")
    return lines


def render_markdown(report: Report) -> str:
    """The report as a Markdown document."""
    c = report.counts
    head = [
        "# sourcecheck report",
        "",
        f"Sources: `{clean(str(report.sources_path)).replace('`', '')}`"
        + (f", as of {report.as_of.isoformat()}" if report.as_of else "")
        + f", checked {report.started.strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "| Verdict | Quotes |",
        "|---|---:|",
        *(f"| {_ICONS[v]} {v.value} | {c[v]} |" for v in shown_verdicts(report)),
        "",
        f"**{md(summary(report))}**",
        "",
    ]
    body = [line for r in report.results for line in _section(r, report.article)]
    if report.unattributed:
        body += ["## Quotes not tied to any source", ""]
        body += [
            f"{n}. {_ICONS[q.verdict]} {md(origin(q, report.article))}"
            + (f" ({md(q.quote.speaker)})" if q.quote.speaker else "")
            + f": “{md(q.quote.text)}”"
            for n, q in enumerate(report.unattributed, 1)
        ]
        body.append("")
    return "\n".join(head + body).rstrip() + "\n"
