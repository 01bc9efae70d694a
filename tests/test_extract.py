"""Page bytes -> Text: decoding, the visible text of HTML, and plain text paragraphs."""

from __future__ import annotations

import codecs

import pytest

from sourcecheck.extract import decode, extract_text, html_text
from sourcecheck.match import match_quote
from sourcecheck.models import Text, Verdict
from tests.conftest import page

CAFE = "caf\u00e9 \u201cquoted\u201d isn\u2019t \u2014 done"
HTML = "text/html"

# ----------------------------------------------------------------------------- decode


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        # The Content-Type header.
        pytest.param(CAFE.encode(), "text/html; charset=utf-8", CAFE, id="header-utf8"),
        pytest.param(CAFE.encode(), 'text/html; charset="UTF-8"', CAFE, id="header-quoted"),
        pytest.param(CAFE.encode(), "TEXT/HTML;CHARSET=UTF-8", CAFE, id="header-upper-case"),
        pytest.param(
            CAFE.encode("cp1252"), "text/html; charset=windows-1252", CAFE, id="header-cp1252"
        ),
        pytest.param(
            "caf\u00e9 na\u00efve".encode("latin-1"),
            "text/plain; charset=iso-8859-1",
            "caf\u00e9 na\u00efve",
            id="header-latin1",
        ),
        pytest.param(
            "\u041f\u0440\u0438\u0432\u0435\u0442".encode("koi8-r"),
            "text/html; charset=koi8-r",
            "\u041f\u0440\u0438\u0432\u0435\u0442",
            id="header-koi8-r",
        ),
        # As browsers do, latin-1 and ascii labels mean windows-1252: 0x93/0x94 are curly quotes.
        pytest.param(
            b"\x93quoted\x94 isn\x92t",
            "text/html; charset=iso-8859-1",
            "\u201cquoted\u201d isn\u2019t",
            id="latin1-label-is-cp1252",
        ),
        pytest.param(
            b"\x93quoted\x94",
            "text/html; charset=us-ascii",
            "\u201cquoted\u201d",
            id="ascii-label-is-cp1252",
        ),
        # A byte order mark wins over every label.
        pytest.param(
            codecs.BOM_UTF8 + CAFE.encode(), "text/html; charset=iso-8859-1", CAFE, id="bom-utf8"
        ),
        pytest.param(codecs.BOM_UTF16_LE + CAFE.encode("utf-16-le"), HTML, CAFE, id="bom-utf16-le"),
        pytest.param(
            codecs.BOM_UTF16_BE + CAFE.encode("utf-16-be"),
            "text/html; charset=utf-8",
            CAFE,
            id="bom-utf16-be",
        ),
        # <meta> when the header says nothing.
        pytest.param(
            b'<html><head><meta charset="windows-1252"></head><body>\x93hi\x94</body></html>',
            HTML,
            '<html><head><meta charset="windows-1252"></head><body>\u201chi\u201d</body></html>',
            id="meta-charset",
        ),
        pytest.param(
            b"<meta charset=koi8-r>\xf0", HTML, "<meta charset=koi8-r>\u041f", id="meta-unquoted"
        ),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">caf\xe9',
            HTML,
            '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">caf\u00e9',
            id="meta-http-equiv",
        ),
        pytest.param(
            b"<meta charset=koi8-r>\xf0",
            "text/html; charset=windows-1252",
            "<meta charset=koi8-r>\u00f0",
            id="header-beats-meta",
        ),
        pytest.param(
            b"<meta charset=koi8-r>\xf0",
            "text/html; charset=no-such-charset",
            "<meta charset=koi8-r>\u041f",
            id="unknown-header-then-meta",
        ),
        pytest.param(
            b"<meta charset=windows-1252>\x93hi\x94",
            "text/plain",
            "<meta charset=windows-1252>\u201chi\u201d",
            id="no-meta-in-plain-text",
        ),
        # No label at all: UTF-8, else windows-1252.
        pytest.param(CAFE.encode(), HTML, CAFE, id="unlabelled-utf8"),
        pytest.param(CAFE.encode("cp1252"), HTML, CAFE, id="unlabelled-cp1252"),
        pytest.param(b"plain ascii", "text/plain", "plain ascii", id="unlabelled-ascii"),
        # Mislabelled bytes fall back.
        pytest.param(
            CAFE.encode("cp1252"), "text/html; charset=utf-8", CAFE, id="cp1252-labelled-utf8"
        ),
        pytest.param(
            CAFE.encode(), "text/html; charset=iso-8859-1", CAFE, id="utf8-labelled-latin1"
        ),
        pytest.param(
            CAFE.encode(), "text/html; charset=windows-1252", CAFE, id="utf8-labelled-cp1252"
        ),
        pytest.param(
            b'<meta charset="utf-8">caf\xe9',
            HTML,
            '<meta charset="utf-8">caf\u00e9',
            id="cp1252-with-utf8-meta",
        ),
        pytest.param(
            b"<meta charset=bogus>caf\xc3\xa9",
            HTML,
            "<meta charset=bogus>caf\u00e9",
            id="unknown-meta",
        ),
        pytest.param(
            CAFE.encode(), "text/html; charset=no-such-charset", CAFE, id="unknown-header"
        ),
        pytest.param(
            b"a\x81b", "text/html; charset=utf-8", "a\ufffdb", id="undecodable-byte-replaced"
        ),
    ],
)
def test_decode(body: bytes, content_type: str, text: str) -> None:
    assert decode(body, content_type) == text


def test_decode_looks_for_meta_only_near_the_start() -> None:
    body = b"<p>" + b"x" * 5000 + b'</p><meta charset="koi8-r">\xf0'
    assert decode(body, HTML).endswith("\u00f0")  # not valid UTF-8: windows-1252


# ----------------------------------------------------------------------------- html_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        pytest.param(
            "<html><head><title>T</title><style>p{color:red}</style>"
            "<script>var a = 'head';</script></head>"
            "<body><p>Hello</p><script>document.write('x')</script><p>World</p></body></html>",
            "Hello\nWorld",
            id="head-script-style-removed",
        ),
        pytest.param(
            "<p>one</p><template><p>hidden</p></template><noscript>Enable JS</noscript><p>two</p>",
            "one\ntwo",
            id="template-noscript-removed",
        ),
        pytest.param(
            "<p>a<svg><text>drawing</text></svg>b<iframe src=x>frame</iframe>c</p>",
            "abc",
            id="svg-iframe-removed",
        ),
        pytest.param("<head><title>Only a title</title></head>", "", id="title-is-not-text"),
        pytest.param("<p>Hello <b>W</b>orld</p>", "Hello World", id="inline-b"),
        pytest.param(
            "<p>no<span>space</span> <i>it</i>alic <a href=x>li</a>nk <em>e</em>m<strong>s</strong>t</p>",
            "nospace italic link emst",
            id="inline-elements",
        ),
        pytest.param("<p>H<sub>2</sub>O and x<sup>2</sup></p>", "H2O and x2", id="sub-sup"),
        pytest.param("<p>a<!-- a comment -->b</p>", "ab", id="comment"),
        pytest.param(
            "<h1>Title</h1><p>First.</p><div>Second.</div><blockquote>Third.</blockquote>",
            "Title\nFirst.\nSecond.\nThird.",
            id="blocks-are-lines",
        ),
        pytest.param(
            "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>",
            "one\ntwo\na\nb",
            id="lists-and-cells",
        ),
        pytest.param(
            "<figure><img src=x><figcaption>A caption</figcaption></figure><p>After</p>",
            "A caption\nAfter",
            id="figcaption",
        ),
        pytest.param(
            "<div>text before<p>a paragraph</p>text after</div>",
            "text before\na paragraph\ntext after",
            id="text-around-a-block",
        ),
        pytest.param(
            "<p>line one<br>line two<br/>line three</p>", "line one\nline two\nline three", id="br"
        ),
        pytest.param("<p>hi <br> there</p>", "hi\nthere", id="br-with-spaces"),
        pytest.param(
            "<div>  lots \n\n of\t  space  </div>\n\n<div> </div><div>x</div>",
            "lots of space\nx",
            id="whitespace-collapsed",
        ),
        pytest.param(
            "<p>Sheriff\nThomas\n   Hodgson</p>",
            "Sheriff Thomas Hodgson",
            id="source-newlines-are-spaces",
        ),
        pytest.param("<p>a&nbsp;b&nbsp;&nbsp;c</p>", "a b c", id="nbsp"),
        pytest.param(
            "<p>&ldquo;It&rsquo;s&rdquo; &amp; &lt;b&gt; &#8212; &#x2019; &hellip;</p>",
            "\u201cIt\u2019s\u201d & <b> \u2014 \u2019 \u2026",
            id="entities",
        ),
        pytest.param("<p>wo&shy;rd</p>", "wo\u00adrd", id="soft-hyphen-kept-for-the-matcher"),
        pytest.param("plain text, no tags", "plain text, no tags", id="no-tags"),
        pytest.param("", "", id="empty"),
        pytest.param("<html><body></body></html>", "", id="empty-body"),
    ],
)
def test_html_text(html: str, text: str) -> None:
    assert html_text(html) == text


def test_html_text_takes_bytes() -> None:
    assert html_text(b"<p>Hello <b>W</b>orld</p>") == "Hello World"


# ----------------------------------------------------------------------------- extract_text


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        pytest.param(
            b"First paragraph\nwraps here.\n\nSecond paragraph.\n",
            "text/plain",
            "First paragraph wraps here.\nSecond paragraph.",
            id="blank-line-separates",
        ),
        pytest.param(
            b"one\r\n\r\ntwo\r\nstill two\r\n\r\n\r\nthree",
            "text/plain; charset=utf-8",
            "one\ntwo still two\nthree",
            id="crlf",
        ),
        pytest.param(b"one\n   \t\n\ntwo", "text/plain", "one\ntwo", id="whitespace-only-line"),
        pytest.param(b"  lots   of\tspace  ", "text/plain", "lots of space", id="collapsed"),
        pytest.param(b"<p>not html</p>", "text/plain", "<p>not html</p>", id="tags-are-text"),
        pytest.param(b"\n\n\n", "text/plain", "", id="blank"),
        pytest.param(b"\x93quoted\x94", "text/plain", "\u201cquoted\u201d", id="plain-cp1252"),
        pytest.param(
            "<p>caf\u00e9 &amp; bar</p><p>\u201cx\u201d</p>".encode("cp1252"),
            "text/html; charset=windows-1252",
            "caf\u00e9 & bar\n\u201cx\u201d",
            id="html",
        ),
        pytest.param(b"<p>a</p>", "application/xhtml+xml; charset=utf-8", "a", id="xhtml-is-html"),
    ],
)
def test_extract_text(body: bytes, content_type: str, text: str) -> None:
    assert extract_text(body, content_type) == Text(text)


# ----------------------------------------------------------------------------- through to the matcher


@pytest.mark.parametrize(
    ("html", "quote"),
    [
        pytest.param(
            "<p>&ldquo;This isn&rsquo;t just a big victory for law enforcement,&rdquo; said"
            " Sheriff Thomas M. Hodgson.</p>",
            "isn't just a big victory for law enforcement.",
            id="entities",
        ),
        pytest.param(
            "<p>The fund received <b>10</b>&nbsp;million dollars.</p>",
            "received 10 million dollars",
            id="inline-and-nbsp",
        ),
        pytest.param(
            "<p>The o&#xFB03;ce&rsquo;s re&shy;port &mdash; not ours &mdash; is final.</p>",
            "The office's report -- not ours -- is final",
            id="ligature-soft-hyphen-dash",
        ),
        pytest.param(
            "<p>The fox jumps<br>over the lazy dog.</p>",
            "The fox jumps over the lazy dog",
            id="br-inside-a-quote",
        ),
    ],
)
def test_extracted_text_verifies_the_quote(html: str, quote: str) -> None:
    text = extract_text(html.encode(), "text/html; charset=utf-8")
    assert match_quote(quote, text).verdict is Verdict.VERIFIED


def test_block_edges_keep_words_apart() -> None:
    text = extract_text(b"<div>big</div><div>victory</div>", HTML)
    assert match_quote("bigvictory", text).verdict is not Verdict.VERIFIED
    assert match_quote("big victory", text).verdict is Verdict.VERIFIED


@pytest.mark.parametrize(
    "quote",
    [
        "isn\u2019t just a big victory for law enforcement.",
        "[the program] is a big victory for the families who have lost loved ones.",
        "several high-profile motor-vehicle accidents involving illegal immigrants",
    ],
)
def test_seed_globe_page_verifies_its_quotes(quote: str) -> None:
    body = page("archive-boston-com-feds-activate-secure-communities-2012")
    text = extract_text(body, "text/html")  # the charset is only in its <meta>
    assert match_quote(quote, text).verdict is Verdict.VERIFIED
