"""Article -> str: the quotes ``sourcecheck quotes`` found, in each output format."""

from __future__ import annotations

import io
from typing import Any

from ..models import Article, ArticleQuote
from . import ListFormat, clean, md_text, one_line, terminal, to_json


def _source(q: ArticleQuote) -> str:
    if q.source_id is not None:
        return q.source_id
    return "unattributed" if q.checked else "-"


def _as_dict(q: ArticleQuote) -> dict[str, Any]:
    return {
        "text": q.text,
        "kind": q.kind.value,
        "line": q.line,
        "column": q.column,
        "speaker": q.speaker,
        "source": q.source_id,
        "cue": q.cue,
        "checked": q.checked,
    }


def _json(article: Article) -> str:
    doc = {
        "article": article.path,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "quotes": [_as_dict(q) for q in article.quotes],
        "references": [
            {
                "label": r.label,
                "line": r.line,
                "text": r.text,
                "publisher": r.publisher,
                "title": r.title,
                "url": r.url,
            }
            for r in article.references
        ],
        "links": [{"url": x.url, "text": x.text, "line": x.line} for x in article.links],
        "notes": list(article.notes),
    }
    return to_json(doc)


def _markdown(article: Article) -> str:
    lines = [f"# Quotes in `{clean(article.path).replace('`', '')}`", ""]
    lines += ["| Line | Kind | Quote | Speaker | Source | Cue |", "|---:|---|---|---|---|---|"]
    for q in article.quotes:
        cells = (q.text, q.speaker or "", _source(q), q.cue or "")
        lines.append(
            f"| {q.line}:{q.column} | {q.kind.value} | "
            + " | ".join(md_text(c) for c in cells)
            + " |"
        )
    if article.references:
        lines += ["", "## Reference list", ""]
        lines += [f"{r.label}. {md_text(r.text)} (line {r.line})" for r in article.references]
    if article.notes:
        lines += ["", "## Notes", ""] + [f"- {md_text(n)}" for n in article.notes]
    return "\n".join(lines) + "\n"


def _table(article: Article, color: bool, width: int) -> str:
    from rich.table import Table
    from rich.text import Text

    out = io.StringIO()
    console = terminal(out, color=color, width=width)
    table = Table()
    table.add_column("Line", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Quote", overflow="fold", ratio=3)
    table.add_column("Speaker", overflow="fold", max_width=18)
    table.add_column("Source", overflow="fold", max_width=22)
    table.add_column("Cue", overflow="fold", ratio=1)
    for q in article.quotes:
        style = "bold red" if q.checked and q.source_id is None else ""
        table.add_row(
            Text(f"{q.line}:{q.column}"),
            Text(q.kind.value),
            Text(one_line(q.text, 90)),
            Text(one_line(q.speaker or "")),
            Text(one_line(_source(q)), style=style),
            Text(one_line(q.cue or "")),
        )
    if article.quotes:
        console.print(table)
    if article.references:
        console.print(Text("\nReference list:", style="bold"))
        for r in article.references:
            console.print(Text(f"  [{clean(r.label)}] line {r.line}: {one_line(r.text, 90)}"))
    for note in article.notes:
        console.print(Text(f"note: {one_line(note)}"))
    checked = [q for q in article.quotes if q.checked]
    loose = sum(1 for q in checked if q.source_id is None)
    names = len(article.quotes) - len(checked)
    console.print(
        Text(
            f"\n{len(checked)} quotes ({loose} unattributed), {names} names and titles, "
            f"{len(article.references)} references",
            style="bold",
        )
    )
    return out.getvalue()


def render_article(
    article: Article, fmt: ListFormat, *, color: bool = False, width: int = 100
) -> str:
    """The quotes found in an article, in the format ``fmt``."""
    match fmt:
        case ListFormat.TABLE:
            return _table(article, color, width)
        case ListFormat.JSON:
            return _json(article)
        case ListFormat.MARKDOWN:
            return _markdown(article)
