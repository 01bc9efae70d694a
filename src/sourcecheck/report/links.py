"""LinkReport -> str, in every output format. Pure: no I/O, no clock.

Every format shows every link with its status, where it was found (``file:line``), why, and for
a broken link the archived capture closest to today (or why there is none).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any, assert_never

from .. import __version__
from ..models import LinkPlace, LinkReport, LinkResult, LinkStatus, Snapshot
from . import Format, clean, md_text, one_line, snapshot_date, terminal, to_json

STYLES = {
    LinkStatus.OK: "bold green",
    LinkStatus.MOVED: "bold yellow",
    LinkStatus.DEAD: "bold red",
    LinkStatus.BLOCKED: "bold magenta",
    LinkStatus.ERROR: "bold red",
    LinkStatus.EXCLUDED: "dim",
}
ICONS = {
    LinkStatus.OK: "✅",
    LinkStatus.MOVED: "↪️",
    LinkStatus.DEAD: "❌",
    LinkStatus.BLOCKED: "⛔",
    LinkStatus.ERROR: "⚠️",
    LinkStatus.EXCLUDED: "⏭️",
}
SHOWN_PLACES = 3  # in a table cell; JSON lists them all


def render_links(
    report: LinkReport, fmt: Format, *, color: bool = False, width: int = 100, every: bool = False
) -> str:
    """``report`` in the format ``fmt``; the table lists only the links needing attention
    unless ``every`` is set (the other formats list them all)."""
    match fmt:
        case Format.TABLE:
            return links_table(report, color=color, width=width, every=every)
        case Format.JSON:
            return links_json(report)
        case Format.MARKDOWN:
            return links_markdown(report)
        case Format.JUNIT:
            return links_junit(report)
        case Format.GITHUB:
            return links_github(report)
        case _:
            assert_never(fmt)


def links_summary(report: LinkReport) -> str:
    """One line of counts: "7 links: 3 ok, 1 moved, 1 dead, 0 blocked, 1 error, 1 excluded"."""
    n = len(report.results)
    counts = ", ".join(f"{count} {status.value}" for status, count in report.counts.items())
    return f"{n} link{'s' if n != 1 else ''}: {counts}"


def places(result: LinkResult, limit: int | None = None, sep: str = ", ") -> str:
    """Where a link was found, "a.md:3, b.html:12", at most ``limit`` of them."""
    shown = [clean(str(p)) for p in result.places[:limit]]
    more = len(result.places) - len(shown)
    return sep.join(shown) + (f"{sep}(+{more} more)" if more else "")


def wayback(result: LinkResult) -> str:
    """The suggested capture, "2020-01-31 https://web.archive.org/web/...", or why there is
    none; "" when the archive was not asked."""
    if result.suggestion is not None:
        return f"{snapshot_date(result.suggestion.timestamp)} {clean(result.suggestion.url)}"
    if result.suggestion_reason:
        return f"none: {one_line(result.suggestion_reason)}"
    return ""


# ----------------------------------------------------------------------------- table


# Not listed in the table unless asked for: nothing to do about them.
QUIET = frozenset({LinkStatus.OK, LinkStatus.EXCLUDED})


def links_table(
    report: LinkReport, *, color: bool = False, width: int = 100, every: bool = False
) -> str:
    """A table of the links needing attention (moved, dead, blocked, in error), or of ``every``
    link, then the summary line. Text from pages is cleaned of control characters and never
    parsed as markup."""
    from rich.table import Table
    from rich.text import Text

    out = io.StringIO()
    console = terminal(out, color=color, width=width)
    # The full width, shared by ratio: long URLs fold rather than squeeze the other columns.
    table = Table(show_lines=False, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("URL", overflow="fold", ratio=4)
    table.add_column("Found at", overflow="fold", max_width=30)  # as wide as it needs, to 30
    table.add_column("Reason", overflow="fold", ratio=3)
    table.add_column("Wayback", overflow="fold", ratio=4)
    shown = [r for r in report.results if every or r.status not in QUIET]
    for r in shown:
        table.add_row(
            Text(r.status.value, style=STYLES[r.status]),
            Text(clean(r.url)),
            Text(places(r, SHOWN_PLACES, "\n")),
            Text(one_line(r.reason or "")),
            Text(wayback(r)),
        )
    if shown:
        console.print(table)
    console.print(Text(links_summary(report), style="bold"))
    unlisted = len(report.results) - len(shown)
    if unlisted:
        console.print(Text(f"{unlisted} ok or excluded not listed (--all lists every link)"))
    return out.getvalue()


# ----------------------------------------------------------------------------- JSON


def _snapshot(s: Snapshot | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"timestamp": s.timestamp, "url": s.url, "raw_url": s.raw_url, "archive": s.archive}


def _place(p: LinkPlace) -> dict[str, Any]:
    return {"file": p.file, "line": p.line}


def links_json(report: LinkReport) -> str:
    """The report as a JSON document (two-space indent, trailing newline)."""
    doc = {
        "sourcecheck": __version__,
        "inputs": list(report.inputs),
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "summary": {
            **{status.value: n for status, n in report.counts.items()},
            "links": len(report.results),
            "exit_code": int(report.exit_status),
        },
        "links": [
            {
                "url": r.url,
                "status": r.status.value,
                "http_status": r.http_status,
                "reason": r.reason,
                "final_url": r.final_url,
                "places": [_place(p) for p in r.places],
                "suggestion": _snapshot(r.suggestion),
                "suggestion_reason": r.suggestion_reason,
            }
            for r in report.results
        ],
    }
    return to_json(doc)


# ----------------------------------------------------------------------------- Markdown


def _md_url(url: str, label: str | None = None) -> str:
    # <...> destinations take any character but these, which are percent-encoded; '|' would end
    # the table cell even there.
    safe = clean(url)
    # A line break would end the table row, a backtick open a code span.
    for char, code in ((" ", "%20"), ("<", "%3C"), (">", "%3E"), ("|", "%7C"), ("`", "%60"),
                       ("\n", "%0A"), ("\t", "%09")):  # fmt: skip
        safe = safe.replace(char, code)
    return f"[{md_text(label or url)}](<{safe}>)"


def links_markdown(report: LinkReport) -> str:
    """The report as a Markdown document: the summary, then a table of every link."""
    lines = ["# Link check", "", md_text(links_summary(report)), ""]
    if report.results:
        lines += ["| Status | URL | Found at | Reason | Wayback |", "|---|---|---|---|---|"]
    for r in report.results:
        s = r.suggestion
        if s is not None:
            suggestion = _md_url(s.url, snapshot_date(s.timestamp))
        else:
            suggestion = md_text(wayback(r))
        link = _md_url(r.url) if r.status is not LinkStatus.EXCLUDED else md_text(r.url)
        cells = [
            f"{ICONS[r.status]} {r.status.value}",
            link,
            md_text(places(r)),
            md_text(r.reason or ""),
            suggestion,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- JUnit XML

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text: str) -> str:
    # clean() too: XML holds C1 controls and bidi overrides, but a terminal showing the file
    # would act on them; and secrets are redacted.
    return _NOT_XML.sub("", clean(text))


def links_junit(report: LinkReport) -> str:
    """JUnit XML: one test case per link; broken links fail, excluded ones are skipped."""
    root = ET.Element("testsuites", name="sourcecheck links")
    suite = ET.SubElement(root, "testsuite", name="links")
    for r in report.results:
        first = r.places[0] if r.places else LinkPlace("")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_x(first.file),
            name=_x(r.url),
            file=_x(first.file),
            line=str(first.line or 0),
        )
        details = [f"found at: {places(r)}"]
        if r.final_url and r.final_url != r.url:
            details.append(f"final URL: {r.final_url}")
        if wayback(r):
            details.append(f"wayback: {wayback(r)}")
        message = f"{r.status.value}: {r.reason}" if r.reason else r.status.value
        if r.broken:
            failure = ET.SubElement(case, "failure", type=r.status.value, message=_x(message))
            failure.text = _x("\n".join(details))
        elif r.status is LinkStatus.EXCLUDED:
            ET.SubElement(case, "skipped", message=_x(message))
        elif r.reason:
            ET.SubElement(case, "system-out").text = _x(f"{message}\n" + "\n".join(details))
    failures = sum(r.broken for r in report.results)
    skipped = report.counts[LinkStatus.EXCLUDED]
    for element in (root, suite):
        element.set("tests", str(len(report.results)))
        element.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    root.set("time", f"{(report.finished - report.started).total_seconds():.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ----------------------------------------------------------------------------- GitHub Actions


def _data(text: str) -> str:
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def links_github(report: LinkReport) -> str:
    """GitHub Actions workflow commands: an error at each place of a broken link, a warning at
    each place of a moved one, then a notice with the summary. Values are escaped as the runner
    requires, so a URL cannot issue a command of its own."""
    lines = []
    for r in report.results:
        if not r.broken and r.status is not LinkStatus.MOVED:
            continue
        kind = "error" if r.broken else "warning"
        message = f"{r.url} is {r.status.value}" + (f": {r.reason}" if r.reason else "")
        if wayback(r):
            message += f"\nWayback: {wayback(r)}"
        title = f"sourcecheck: link {r.status.value}"
        for p in r.places:
            props = [f"file={_prop(p.file)}"] + ([f"line={p.line}"] if p.line else [])
            props.append(f"title={_prop(title)}")
            lines.append(f"::{kind} {','.join(props)}::{_data(message)}")
    lines.append(f"::notice title=sourcecheck::{_data(links_summary(report))}")
    return "\n".join(lines) + "\n"
