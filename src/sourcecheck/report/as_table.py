"""Report -> a table for the terminal (rich), with the diff of every altered quote."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from ..models import Report, Verdict
from . import (
    clean,
    one_line,
    origin,
    partial_note,
    place,
    source_state,
    summary,
    terminal,
    total,
    where_label,
)

STYLES = {
    Verdict.VERIFIED: "bold green",
    Verdict.ALTERED: "bold yellow",
    Verdict.NOT_FOUND: "bold red",
    Verdict.UNAVAILABLE: "bold magenta",
    Verdict.UNATTRIBUTED: "bold cyan",
}


# A report of more quotes than this lists only those not verified (unless asked for every one):
# a terminal of thousands of verified rows hides the few that need a look, and takes seconds.
LISTED_UP_TO = 50


def render_table(
    report: Report, *, color: bool = False, width: int = 100, every: bool = False
) -> str:
    """The report as a table of quotes, the altered quotes' diffs, and a summary line.

    Up to ``LISTED_UP_TO`` quotes, or with ``every``, the table lists every quote; beyond, only
    those not verified, and says how many verified ones it leaves out.

    Page text is put in ``Text`` objects, never parsed as markup, and cleaned of control
    characters, so a page cannot style or drive the terminal.
    """
    everything = (*report.quotes, *report.unattributed)
    listed = [
        q
        for q in everything
        if every or len(everything) <= LISTED_UP_TO or q.verdict is not Verdict.VERIFIED
    ]
    out = io.StringIO()
    console = terminal(out, color=color, width=width)
    table = Table(show_lines=False, expand=False)
    table.add_column("Source", overflow="fold", max_width=24)
    table.add_column("Quote", overflow="fold", ratio=3)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Where", no_wrap=True)
    for q in listed:
        notes = "".join(f"\n({note})" for note in (origin(q, report.article), place(q)) if note)
        table.add_row(
            Text(clean(q.source_id) or "?"),
            Text(one_line(q.quote.text, 70)) + Text(notes, "dim"),
            Text(q.verdict.value, style=STYLES[q.verdict]),
            Text(where_label(q)),
        )
    if listed:
        console.print(table)
    if len(listed) < len(everything):
        left_out = len(everything) - len(listed)
        console.print(Text(f"{left_out} verified quotes not listed (--all lists every quote)"))

    for q in report.quotes:
        if q.verdict is not Verdict.ALTERED or q.match is None:
            continue
        console.print(Text(f"\n{clean(q.source_id)}: altered ({where_label(q)})", style="bold"))
        console.print(Text("  quote:  ") + Text(one_line(q.quote.text)))
        console.print(Text("  source: ") + Text(one_line(q.match.passage or "")))
        line = Text("  diff:   ")
        for d in q.match.diff:
            if d.op == "equal":
                line.append(one_line(d.source) + " ")
                continue
            if d.source:
                line.append(f"[-{one_line(d.source)}-]", style="red strike")
            if d.quote:
                line.append(f"{{+{one_line(d.quote)}+}}", style="green")
            line.append(" ")
        console.print(line)
        if q.match.reason:
            console.print(Text(f"  why:    {one_line(q.match.reason)}"))

    troubled = [r for r in report.results if r.status.value != "ok" or r.changed]
    if troubled:
        console.print(Text("\nSources to look at:", style="bold"))
        for r in troubled:
            console.print(Text(f"  {clean(r.source.id)}: {one_line(source_state(r))}"))
    if note := partial_note(report):
        console.print(Text("\n" + note, style="bold red"))
    console.print(Text("\n" + summary(report), style="bold"))
    return out.getvalue()


def render_tables(
    reports: Sequence[Report], *, color: bool = False, width: int = 100, every: bool = False
) -> str:
    """Several sources files' reports: each file's table under a rule naming the file, then one
    line of counts over them all."""
    out = io.StringIO()
    console = terminal(out, color=color, width=width)
    for n, report in enumerate(reports):
        if n:
            console.print()
        console.rule(Text(clean(str(report.sources_path)), style="bold"), align="left")
        out.write(render_table(report, color=color, width=width, every=every))
    overall = total(reports)
    if note := partial_note(overall):
        console.print(Text("\n" + note, style="bold red"))
    console.print(Text(f"\n{len(reports)} files, {summary(overall)}", style="bold"))
    return out.getvalue()
