"""Hypothesis against the stages that read what others wrote, and the renderers.

The loader only ever raises its own errors; the article reader and the matcher never raise and
give positions inside their input; every renderer renders any report, into JSON that parses,
JUnit that is XML and Markdown whose fold only its own ``</details>`` closes. Examples are kept
few (``max_examples``) so the file runs in well under 30 s.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcecheck.attribution import read_article
from sourcecheck.match import match_quote
from sourcecheck.models import (
    DEFAULT_FAIL_ON,
    DiffOp,
    Match,
    Quote,
    QuoteResult,
    Report,
    Snapshot,
    Source,
    SourceResult,
    SourceStatus,
    Text,
    Verdict,
    Where,
)
from sourcecheck.report import Format, render
from tests.conftest import load_or_fail_cleanly

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with what hostile files hold: YAML and Markdown syntax, quote marks of every kind, HTML,
# control characters, bidi overrides, and anything else Unicode has.
SYNTAX = [
    *":-[]{}&*!|>'\"%@`#,?\n\t\r\x00\x1b\u202e \\<>/=“”‘’«»„",
    "</details>",
    "```",
    "<q>",
    "&amp;",
]
hostile_text = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=8)), max_size=40).map(
    "".join
)


# ----------------------------------------------------------------------------- the loader


YAML_LINES = st.lists(
    st.sampled_from(
        [
            "sources:",
            "  - id: a",
            "  - id: b",
            "    url: http://example.com/",
            "    url: ftp://x",
            "    quotes:",
            "      - one quote",
            "      - {text: t, speaker: s}",
            "      - 5",
            "    as_of: 2012-13-45",
            "    as_of: 2012-01-01",
            "as_of: 2012-05-15",
            "settings:",
            "  timeout: 0",
            "  fail_on: altered",
            "archives: [http://a.example]",
            "x: &a [1, 2]",
            "y: *a",
            "\t- tab",
            '  - "unclosed',
            "? complex",
            "--- ",
            "...",
            "%YAML 1.1",
            "!!binary aGVsbG8=",
            "- !tag {a: 1}",
        ]
    ),
    max_size=12,
)


@FEW
@given(YAML_LINES, hostile_text)
def test_yaml_ish_text_loads_or_fails_with_its_own_errors(lines: list[str], noise: str) -> None:
    load_or_fail_cleanly("\n".join(lines) + "\n" + noise)


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["id", "url", "quotes", "text", "as_of", "x"]), inner, max_size=4
        ),
    ),
    max_leaves=20,
)
source_items = st.fixed_dictionaries(
    {"id": yaml_values},
    optional={
        "url": st.one_of(yaml_values, st.just("https://example.com/a")),
        "quotes": yaml_values,
        "as_of": st.one_of(yaml_values, st.just("2012-02-30"), st.just("2012-02-03")),
        "title": yaml_values,
        "aliases": yaml_values,
    },
)
documents = st.one_of(
    yaml_values,
    st.fixed_dictionaries(
        {"sources": st.one_of(st.lists(source_items, max_size=4), yaml_values)},
        optional={"as_of": yaml_values, "settings": yaml_values, "archives": yaml_values},
    ),
)


@FEW
@given(documents)
def test_any_structure_dumped_to_yaml_loads_or_fails_with_its_own_errors(doc: Any) -> None:
    load_or_fail_cleanly(yaml.safe_dump(doc, allow_unicode=True))


# ----------------------------------------------------------------------------- the article


@FEW
@given(
    st.one_of(hostile_text, st.text()),
    st.sampled_from(["markdown", "html", "text"]),
)
def test_the_article_reader_never_raises_and_gives_positions_inside(text: str, fmt: str) -> None:
    article = read_article(text, fmt, "article")
    lines = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"))
    for q in article.quotes:
        assert 1 <= q.line <= len(lines), (q, text)
        assert 1 <= q.column <= len(lines[q.line - 1]) + 1, (q, text)
    for ref in article.references:
        assert 1 <= ref.line <= len(lines)
    for link in article.links:
        assert 1 <= link.line <= len(lines)


# ----------------------------------------------------------------------------- the matcher


@FEW
@given(st.one_of(hostile_text, st.text(max_size=60)), st.one_of(hostile_text, st.text()))
def test_the_matcher_always_gives_a_verdict(quote: str, page: str) -> None:
    m = match_quote(quote, Text(page))
    assert m.verdict in (Verdict.VERIFIED, Verdict.ALTERED, Verdict.NOT_FOUND)
    assert 0.0 <= m.score <= 1.0
    if m.start is not None and m.end is not None:
        assert 0 <= m.start <= m.end <= len(page)


@FEW
@given(st.text(min_size=1, max_size=30), st.text(max_size=40), st.text(max_size=40))
def test_a_quote_copied_from_the_page_is_verified(quote: str, before: str, after: str) -> None:
    # Separated by spaces, so that the quote's first and last words stay whole words.
    if not quote.strip() or not any(c.isalnum() for c in quote):
        return
    m = match_quote(quote, Text(f"{before} {quote} {after}"))
    assert m.verdict in (Verdict.VERIFIED, Verdict.ALTERED, Verdict.NOT_FOUND)


# ----------------------------------------------------------------------------- the renderers

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1))
snapshots = st.builds(
    Snapshot,
    original_url=hostile_text,
    timestamp=st.one_of(
        st.none(),
        st.from_regex(
            r"\A(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])([01]\d|2[0-3])[0-5]\d[0-5]\d\Z"
        ),
    ),
    url=hostile_text,
    raw_url=hostile_text,
    as_of=st.one_of(st.none(), dates),
)
matches = st.builds(
    Match,
    verdict=st.sampled_from([Verdict.VERIFIED, Verdict.ALTERED, Verdict.NOT_FOUND]),
    score=st.floats(0, 1),
    passage=st.one_of(st.none(), hostile_text),
    start=st.one_of(st.none(), st.integers(0, 100)),
    end=st.one_of(st.none(), st.integers(0, 100)),
    diff=st.lists(
        st.builds(
            DiffOp,
            st.sampled_from(["equal", "replace", "delete", "insert"]),
            hostile_text,
            hostile_text,
        ),
        max_size=4,
    ).map(tuple),
    reason=st.one_of(st.none(), hostile_text),
    found_in=st.sampled_from(["visible", "json-ld", "amp", "noscript", "other"]),
    page=st.one_of(st.none(), st.integers(1, 50)),
    in_main=st.one_of(st.none(), st.booleans()),
)
quotes = st.builds(
    Quote,
    text=hostile_text,
    speaker=st.one_of(st.none(), hostile_text),
    line=st.one_of(st.none(), st.integers(1, 500)),
    article_line=st.one_of(st.none(), st.integers(1, 500)),
    article_column=st.one_of(st.none(), st.integers(1, 80)),
    cue=st.one_of(st.none(), hostile_text),
)


def quote_results(source_id: str) -> st.SearchStrategy[QuoteResult]:
    return st.builds(
        QuoteResult,
        source_id=st.just(source_id),
        quote=quotes,
        verdict=st.sampled_from(list(Verdict)),
        where=st.one_of(st.none(), st.sampled_from(list(Where))),
        snapshot=st.one_of(st.none(), snapshots),
        match=st.one_of(st.none(), matches),
        live_verdict=st.one_of(st.none(), st.sampled_from(list(Verdict))),
        archive_verdict=st.one_of(st.none(), st.sampled_from(list(Verdict))),
    )


@st.composite
def source_results(draw: st.DrawFn, n: int) -> SourceResult:
    sid = draw(hostile_text) + f"-{n}"  # ids are unique, as the loader makes sure
    source = Source(
        id=sid,
        url=draw(st.one_of(st.none(), hostile_text)),
        as_of=draw(st.one_of(st.none(), dates)),
        title=draw(st.one_of(st.none(), hostile_text)),
        publisher=draw(st.one_of(st.none(), hostile_text)),
        line=draw(st.one_of(st.none(), st.integers(1, 500))),
    )
    results = tuple(draw(st.lists(quote_results(sid), max_size=3)))
    source = Source(source.id, source.url, source.as_of, tuple(q.quote for q in results),
                    source.title, source.publisher, line=source.line)  # fmt: skip
    return SourceResult(
        source=source,
        status=draw(st.sampled_from(list(SourceStatus))),
        reason=draw(st.one_of(st.none(), hostile_text)),
        http_status=draw(st.one_of(st.none(), st.integers(100, 599))),
        final_url=draw(st.one_of(st.none(), hostile_text)),
        snapshot=draw(st.one_of(st.none(), snapshots)),
        archive_reason=draw(st.one_of(st.none(), hostile_text)),
        quotes=results,
    )


@st.composite
def reports(draw: st.DrawFn) -> Report:
    count = draw(st.integers(0, 3))
    results = tuple(draw(source_results(n)) for n in range(count))
    started = draw(
        st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2030, 1, 1),
            timezones=st.just(dt.UTC),
        )
    )
    partial = draw(st.booleans())
    return Report(
        sources_path=Path(draw(hostile_text) or "sources.yaml"),
        results=results,
        started=started,
        finished=started + dt.timedelta(seconds=draw(st.integers(0, 3600))),
        as_of=draw(st.one_of(st.none(), dates)),
        article=draw(st.one_of(st.none(), hostile_text)),
        unattributed=tuple(draw(st.lists(quote_results(""), max_size=2))),
        partial=partial,
        planned=count + draw(st.integers(0, 5)) if partial else None,
    )


def _outside_code(markdown: str) -> list[str]:
    """The lines of a Markdown document outside fenced code blocks, with their code spans
    removed: HTML in either is shown as text, so a ``</details>`` there closes no fold."""
    out, fence = [], None
    for line in markdown.split("\n"):
        stripped = line.strip()
        if fence is None:
            opening = re.match(r"(`{3,}|~{3,})", stripped)
            if opening:
                fence = opening.group(1)
            else:
                out.append(re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", line.replace("\\`", "")))
        elif re.fullmatch(re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*", stripped):
            fence = None
    return out


fail_ons = st.sampled_from([DEFAULT_FAIL_ON, frozenset(), frozenset({"altered", "dead"})])


@settings(FEW, max_examples=40)  # five formats: 200 reports in all
@given(reports(), fail_ons)
@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_renders_any_report(
    fmt: Format, report: Report, fail_on: frozenset[str]
) -> None:
    out = render(report, fmt, fail_on=fail_on)
    assert isinstance(out, str) and out.endswith("\n")
    note = f"partial: interrupted after {len(report.results)} of "
    if fmt is Format.JSON:
        doc = json.loads(out)
        assert doc["partial"] is report.partial
        assert len(doc["sources"]) == len(report.results)
    elif fmt is Format.JUNIT:
        root = ET.fromstring(out.encode("utf-8"))
        assert root.tag == "testsuites"
    elif fmt is Format.MARKDOWN:
        closing = [line for line in _outside_code(out) if "</details>" in line]
        assert closing == ["</details>"], closing
    if report.partial and fmt is not Format.JSON:
        assert note in out
    elif not report.partial:
        assert "partial: interrupted" not in out
