"""History -> str: a source's quotes across its captures, as a table, JSON or Markdown."""

from __future__ import annotations

import io
from typing import Any, assert_never

from rich.table import Table
from rich.text import Text

from ..models import Change, History, Step
from . import ListFormat, clean, md_text, one_line, terminal, to_json
from .as_table import STYLES


def _when(step: Step) -> str:
    s = step.snapshot
    if s is None:
        return "live"
    ts = s.timestamp or ""
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]} {ts[8:10]}:{ts[10:12]}" if len(ts) >= 12 else ts


def _diff(change: Change) -> str:
    return " ".join(
        d.source
        if d.op == "equal"
        else (f"[-{d.source}-]" if d.source else "") + (f"{{+{d.quote}+}}" if d.quote else "")
        for d in change.match.diff
    )


def _table(h: History, color: bool, width: int) -> str:
    out = io.StringIO()
    console = terminal(out, color=color, width=width)
    source = h.source
    console.print(Text(f"History of {clean(source.id)} ({clean(source.url or 'no URL')})", "bold"))
    if h.reason:
        console.print(Text(f"No captures: {one_line(h.reason)}"))
    table = Table()
    table.add_column("Copy", no_wrap=True)
    for i in range(len(source.quotes)):
        table.add_column(f"Q{i + 1}", no_wrap=True)
    for step in h.steps:
        if step.matches:
            cells = [Text(m.verdict.value, style=STYLES[m.verdict]) for m in step.matches]
        else:
            cells = [Text(f"unreadable: {one_line(step.reason or '', 40)}")] + [
                Text("") for _ in source.quotes[1:]
            ]
        table.add_row(Text(_when(step)), *cells)
    if h.steps:
        console.print(table)
    for i, quote in enumerate(source.quotes):
        console.print(Text(f"\nQ{i + 1}: {one_line(quote.text, 90)}", style="bold"))
        for c in (c for c in h.changes if c.quote == i):
            line = Text(f"  {_when(h.steps[c.step])}: {c.event}")
            if c.event == "changed":
                line.append(f"  {one_line(_diff(c))}")
            console.print(line)
    return out.getvalue()


def _timestamp(step: Step) -> str | None:
    return step.snapshot.timestamp if step.snapshot else None


def _json(h: History) -> str:
    def step(s: Step) -> dict[str, Any]:
        return {
            "timestamp": _timestamp(s),
            "url": s.snapshot.url if s.snapshot else h.source.url,
            "reason": s.reason,
            "verdicts": [m.verdict.value for m in s.matches] if s.matches else None,
        }

    doc = {
        "source": h.source.id,
        "url": h.source.url,
        "reason": h.reason,
        "quotes": [q.text for q in h.source.quotes],
        "steps": [step(s) for s in h.steps],
        "changes": [
            {
                "quote": c.quote,
                "event": c.event,
                "timestamp": _timestamp(h.steps[c.step]),
                "passage": c.match.passage,
                "diff": [{"op": d.op, "source": d.source, "quote": d.quote} for d in c.match.diff],
            }
            for c in h.changes
        ],
    }
    return to_json(doc)


def _markdown(h: History) -> str:
    source = h.source
    lines = [f"# History of `{one_line(source.id).replace('`', '')}`", ""]
    if source.url:
        url = clean(source.url).replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
        lines += [f"URL: <{url}>", ""]
    if h.reason:
        lines += [f"No captures: {md_text(h.reason)}", ""]
    head = ["Copy", *(f"Q{i + 1}" for i in range(len(source.quotes)))]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for step in h.steps:
        cells = [m.verdict.value for m in step.matches] or [
            f"unreadable: {md_text(step.reason or '')}"
        ]
        cells += [""] * (len(head) - 1 - len(cells))
        lines.append("| " + " | ".join([_when(step), *cells]) + " |")
    for i, quote in enumerate(source.quotes):
        lines += ["", f"**Q{i + 1}**: “{md_text(quote.text)}”", ""]
        for c in (c for c in h.changes if c.quote == i):
            extra = f": `{_diff(c).replace('`', '')}`" if c.event == "changed" else ""
            lines.append(f"- {_when(h.steps[c.step])}: {c.event}{extra}")
    return "\n".join(lines).rstrip() + "\n"


def render_history(h: History, fmt: ListFormat, *, color: bool = False, width: int = 100) -> str:
    """A History in the format ``fmt``."""
    match fmt:
        case ListFormat.TABLE:
            return _table(h, color, width)
        case ListFormat.JSON:
            return _json(h)
        case ListFormat.MARKDOWN:
            return _markdown(h)
        case _:
            assert_never(fmt)
