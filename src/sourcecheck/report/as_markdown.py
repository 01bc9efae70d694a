"""Report -> Markdown: summary counts, then a section per source with every quote's verdict."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import DEFAULT_FAIL_ON, QuoteResult, Report, SourceResult, Verdict
from . import (
    agreement,
    clean,
    one_line,
    origin,
    partial_note,
    place,
    shown_verdicts,
    snapshot_date,
    source_state,
    summary,
    total,
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
    # clean() redacts secrets and drops control characters; what would end the <...>
    # destination, the line or a table cell, or open a code span, is percent-encoded.
    safe = clean(url)
    for char, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"),
                       ("|", "%7C"), ("`", "%60"), ("\n", "%0A"), ("\t", "%09")):  # fmt: skip
        safe = safe.replace(char, code)
    return f"[{md(label)}](<{safe}>)"


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


def _section(r: SourceResult, article: str | None, level: int) -> list[str]:
    s = r.source
    title = s.title or s.id
    lines = [f"{'#' * (level + 1)} {md(title)} (`{one_line(s.id).replace('`', '')}`)", ""]
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


def _attention(q: QuoteResult, report: Report, fail_on: frozenset[str], n: int) -> list[str]:
    """One item of "Needs attention": the quote, where it is, the live page, the snapshot."""
    r = next((x for x in report.results if x.source.id == q.source_id), None)
    level = "" if q.verdict.value in fail_on else " (warning)"
    head = f"{n}. {_ICONS[q.verdict]} **{q.verdict.value}**{level}"
    if q.source_id:
        head += f" in `{one_line(q.source_id).replace('`', '')}`"
    written = origin(q, report.article) or (
        f"{clean(str(report.sources_path))}:{q.quote.line}" if q.quote.line else ""
    )
    if written:
        head += f" ({md(written)})"
    lines = [head + f": “{md(q.quote.text)}”"]
    if q.quote.speaker:
        lines.append(f"   - Speaker: {md(q.quote.speaker)}")
    if r is not None and r.source.url:
        lines.append(f"   - Live page: {_link(r.source.url, r.source.url)}: {md(source_state(r))}")
    elif r is not None:
        lines.append(f"   - Source: {md(source_state(r))}")
    if q.snapshot is not None:
        label = f"{snapshot_date(q.snapshot.timestamp)}"
        lines.append(f"   - Snapshot: {_link(label, q.snapshot.url)} ({md(where_label(q))})")
    notes = [note for note in (place(q), agreement(q)) if note]
    if notes:
        lines.append(f"   - {md('; '.join(notes))}")
    if q.verdict is Verdict.ALTERED and q.match is not None:
        block = "\n".join(_altered(q)).split("\n")
        lines += ["   " + line if line else "" for line in block]
    elif q.match is not None and q.match.reason:
        lines.append(f"   - Why not verified: {md(q.match.reason)}")
    return lines


def render_markdown(
    report: Report, fail_on: frozenset[str] = DEFAULT_FAIL_ON, *, level: int = 1
) -> str:
    """The report as a Markdown document that reads well as a CI job summary or an issue body:
    the counts first, then only what needs attention, then every source and quote, folded.

    At ``level`` 2 it is a section of a report on several sources files: headed by its file's
    path, its headings one level down."""
    c = report.counts
    h = "#" * level
    # Paths as escaped text on one line: a newline in a path would end the line (a "</details>"
    # starting the next one is an HTML block), and a backslash or backtick could end a code span.
    article = f", article {md(report.article)}" if report.article else ""
    head = [
        f"{h} sourcecheck report" if level == 1 else f"{h} {md(str(report.sources_path))}",
        "",
        f"Sources: {md(str(report.sources_path))}{article}"
        + (f", as of {report.as_of.isoformat()}" if report.as_of else "")
        + f", checked {report.started.strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        f"**{md(summary(report))}**",
        "",
        *([f"**{note}**", ""] if (note := partial_note(report)) else []),
        "| Verdict | Quotes |",
        "|---|---:|",
        *(f"| {_ICONS[v]} {v.value} | {c[v]} |" for v in shown_verdicts(report)),
        "",
    ]
    quotes = [
        q for q in (*report.quotes, *report.unattributed) if q.verdict is not Verdict.VERIFIED
    ]
    unread = [r for r in report.results if not r.readable and not r.quotes]
    body = [f"{h}# Needs attention", ""]
    if not quotes and not unread:
        body += ["Nothing: every quote is verified and every source readable.", ""]
    for n, q in enumerate(quotes, 1):
        body += [*_attention(q, report, fail_on, n), ""]
    for n, r in enumerate(unread, len(quotes) + 1):
        body += [
            f"{n}. ⛔ source `{one_line(r.source.id).replace('`', '')}`: {md(source_state(r))}",
            "",
        ]
    every = [line for r in report.results for line in _section(r, report.article, level)]
    if report.unattributed:
        every += [f"{h}# Quotes not tied to any source", ""]
        every += [
            f"{n}. {_ICONS[q.verdict]} {md(origin(q, report.article))}"
            + (f" ({md(q.quote.speaker)})" if q.quote.speaker else "")
            + f": “{md(q.quote.text)}”"
            for n, q in enumerate(report.unattributed, 1)
        ]
        every.append("")
    folded = [
        "<details>",
        f"<summary>Every source and quote ({len(report.results)} sources, "
        f"{len(report.quotes) + len(report.unattributed)} quotes)</summary>",
        "",
        *every,
        "</details>",
    ]
    return "\n".join(head + body + folded).rstrip() + "\n"


def render_markdown_many(
    reports: Sequence[Report], fail_on: frozenset[str] = DEFAULT_FAIL_ON
) -> str:
    """Several sources files' reports as one Markdown document: the counts over them all and
    a line for each file first, then each file's report as a section."""
    every = total(reports)
    c = every.counts
    head = [
        "# sourcecheck report",
        "",
        f"{len(reports)} sources files, checked {every.started.strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        f"**{md(summary(every))}**",
        "",
        *([f"**{note}**", ""] if (note := partial_note(every)) else []),
        "| Verdict | Quotes |",
        "|---|---:|",
        *(f"| {_ICONS[v]} {v.value} | {c[v]} |" for v in shown_verdicts(every)),
        "",
        "| Sources file | Quotes |",
        "|---|---|",
        *(f"| {md(str(r.sources_path))} | {md(summary(r))} |" for r in reports),
        "",
    ]
    sections = [render_markdown(r, fail_on, level=2) for r in reports]
    return "\n".join(head) + "\n" + "\n".join(sections)
