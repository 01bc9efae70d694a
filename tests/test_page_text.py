"""Text a reader gets beyond the visible DOM, where on the page a quote sits, and charsets."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import brotli  # type: ignore[import-untyped]

from sourcecheck.extract import amp_url, decode, hidden_texts, main_text
from sourcecheck.fetch import FetchSettings
from sourcecheck.models import Quote, Report, Source, Sources, Verdict, Where
from sourcecheck.verify import Options, verify
from tests.http_server import RouteServer

ARTICLE = """<html><head><title>Council vote</title>
<meta property="og:description" content="The speaker said the plan will harm too many people.">
<link rel="amphtml" href="/amp/council">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "NewsArticle", "headline": "Council vote",
   "articleBody": "The council met on Tuesday. “We counted 1,200 cases,” the clerk said."}]}
</script></head>
<body>
<nav><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/about">Everyone agrees the budget is fine</a></nav>
<article>
<h1>Council vote</h1>
<p>The council met on Tuesday to vote on the new budget, which the mayor proposed in March after
months of hearings in every borough of the city.</p>
<p>Members debated for six hours before the vote, and several asked for more time to read the
final text of the proposal, which runs to four hundred pages.</p>
<p>The speaker said the plan would cut waiting times at every public clinic in the city by half
within two years, and that the savings would pay for new staff.</p>
</article>
<noscript><p>Please enable JavaScript to read the comments: 42 readers said they liked it.</p></noscript>
<aside class="related"><h3>Related</h3><p>Everyone agrees the budget is fine, sources say.</p></aside>
</body></html>"""


def run(server: RouteServer, path: str, body: bytes, quotes: list[str], **route: object) -> Report:
    url = server.add(path, body, **route)  # type: ignore[arg-type]
    source = Source("s", url, None, tuple(Quote(q) for q in quotes))
    options = Options(fetch=FetchSettings(allow_private=True), use_archive=False)
    return asyncio.run(verify(Sources(Path("s.yaml"), (source,)), options))


def test_hidden_texts_are_read_from_json_ld_og_and_noscript() -> None:
    texts = {t.kind: t.text for t in hidden_texts(ARTICLE.encode(), "text/html; charset=utf-8")}
    assert texts == {
        "json-ld": "The council met on Tuesday. “We counted 1,200 cases,” the clerk said.",
        "og:description": "The speaker said the plan will harm too many people.",
        "noscript": "Please enable JavaScript to read the comments: 42 readers said they liked it.",
    }
    assert amp_url(ARTICLE.encode(), "text/html", "https://news.example/2012/council") == (
        "https://news.example/amp/council"
    )


def test_broken_json_ld_is_passed_over() -> None:
    page = b'<script type="application/ld+json">{"articleBody": "x",</script><p>Hi</p>'
    assert hidden_texts(page, "text/html") == []


def test_a_quote_only_in_hidden_text_is_verified_and_says_where(server: RouteServer) -> None:
    report = run(
        server,
        "/page-text/article",
        ARTICLE.encode(),
        [
            "We counted 1,200 cases",  # only in JSON-LD
            "the plan will harm too many people",  # only in og:description
            "42 readers said they liked it",  # only in noscript
            "We counted 1,300 cases",  # nowhere
        ],
    )
    found = [(q.verdict, q.match.found_in if q.match else None) for q in report.quotes]
    assert found == [
        (Verdict.VERIFIED, "json-ld"),
        (Verdict.VERIFIED, "og:description"),
        (Verdict.VERIFIED, "noscript"),
        (Verdict.NOT_FOUND, "visible"),
    ]


def test_a_quote_outside_the_main_text_is_flagged(server: RouteServer) -> None:
    report = run(
        server,
        "/page-text/main",
        ARTICLE.encode(),
        [
            "the plan would cut waiting times at every public clinic",
            "Everyone agrees the budget is fine, sources say",
        ],
    )
    in_main = [(q.verdict, q.match.in_main if q.match else None) for q in report.quotes]
    assert in_main == [(Verdict.VERIFIED, True), (Verdict.VERIFIED, False)]
    assert main_text(ARTICLE.encode(), "text/html") is not None


def test_compressed_bodies_are_read(server: RouteServer) -> None:
    page = ARTICLE.encode()
    for name, body, encoding in [
        ("gzip", gzip.compress(page), "gzip"),
        ("brotli", brotli.compress(page), "br"),
    ]:
        report = run(
            server,
            f"/page-text/{name}",
            body,
            ["Members debated for six hours before the vote"],
            headers=(("Content-Encoding", encoding),),
        )
        assert report.quotes[0].verdict is Verdict.VERIFIED, name


def test_xml_and_xhtml_are_read(server: RouteServer) -> None:
    xml = b'<?xml version="1.0"?><feed><entry><summary>Cuts waiting times by half.</summary></entry></feed>'
    report = run(
        server,
        "/page-text/feed.xml",
        xml,
        ["Cuts waiting times by half"],
        content_type="application/xml",
    )
    assert report.quotes[0].verdict is Verdict.VERIFIED


def test_an_undeclared_legacy_charset_is_detected() -> None:
    russian = "Депутаты городского совета проголосовали за новый бюджет во вторник вечером. " * 3
    assert decode(russian.encode("cp1251"), "text/html") == russian
    # A few stray bytes are not enough to tell by: windows-1252, the commonest legacy charset.
    assert decode(b"\x93quoted\x94", "text/plain") == "\u201cquoted\u201d"


def test_a_mislabelled_page_is_read_as_what_it_is() -> None:
    text = "“Ça déjà été très facile”, a-t-il dit. " * 3
    assert decode(text.encode("utf-8"), "text/html; charset=iso-8859-1") == text


def test_reports_say_where_on_the_page(server: RouteServer) -> None:
    from sourcecheck.report import Format, render

    report = run(
        server,
        "/page-text/reported",
        ARTICLE.encode(),
        ["We counted 1,200 cases", "Everyone agrees the budget is fine, sources say"],
    )
    doc = json.loads(render(report, Format.JSON))
    assert [(q["match"]["found_in"], q["match"]["in_main"]) for q in doc["quotes"]] == [
        ("json-ld", None),
        ("visible", False),
    ]
    md = render(report, Format.MARKDOWN)
    assert "live; in the JSON-LD articleBody, not shown" in md
    assert "live; outside the article's main text: check it" in md
    table = " ".join(render(report, Format.TABLE, width=120).split())
    assert "(outside the article's main text: check it)" in table


def test_a_quote_drawn_by_script_is_found_in_the_amp_version(server: RouteServer) -> None:
    server.add(
        "/amp/council",
        "<html><body><p>“We will not raise taxes,” the mayor said.</p></body></html>",
    )
    report = run(
        server,
        "/page-text/amp",
        ARTICLE.encode(),
        ["We will not raise taxes", "We will raise taxes"],
    )
    first, second = report.quotes
    assert (first.verdict, first.where, first.match and first.match.found_in) == (
        Verdict.VERIFIED, Where.LIVE, "amp",
    )  # fmt: skip
    assert second.verdict is not Verdict.VERIFIED
