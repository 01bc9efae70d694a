"""Reading an article: quote forms, positions, reference lists and attribution (one stage)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcecheck.attribution import read_article
from sourcecheck.models import Article, ArticleQuote, QuoteKind, Source, Sources


def texts(article: Article, kind: QuoteKind | None = None) -> list[str]:
    return [q.text for q in article.quotes if kind is None or q.kind is kind]


def read(text: str, fmt: str = "text", sources: Sources | None = None) -> Article:
    return read_article(text, fmt, "a", sources)


def sources(*items: Source) -> Sources:
    return Sources(Path("sources.yaml"), tuple(items))


def source(sid: str, **kw: object) -> Source:
    return Source(id=sid, url=kw.pop("url", None), as_of=None, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- quote marks

MARKS = [
    (
        "curly",
        "He said “we will fight this plan to the end” and left.",
        "we will fight this plan to the end",
    ),
    (
        "straight",
        'He said "we will fight this plan to the end" and left.',
        "we will fight this plan to the end",
    ),
    (
        "german",
        "Er sagte „wir werden diesen Plan bekämpfen“ und ging.",
        "wir werden diesen Plan bekämpfen",
    ),
    (
        "french-spaced",
        "Il a dit « nous combattrons ce plan jusqu’au bout » hier.",
        "nous combattrons ce plan jusqu’au bout",
    ),
    (
        "french-tight",
        "Il a dit «nous combattrons ce plan jusqu’au bout» hier.",
        "nous combattrons ce plan jusqu’au bout",
    ),
    (
        "german-chevrons",
        "Er sagte »wir werden diesen Plan bekämpfen« und ging.",
        "wir werden diesen Plan bekämpfen",
    ),
    (
        "british-single",
        "He said ‘we will fight this plan to the end’ and left.",
        "we will fight this plan to the end",
    ),
    (
        "nested",
        "She said “he told me ‘never again’ and I believed him” today.",
        "he told me ‘never again’ and I believed him",
    ),
    (
        "apostrophes-inside",
        "She said “the workers’ union isn’t done with ’90s rules” today.",
        "the workers’ union isn’t done with ’90s rules",
    ),
    ("comma-inside", "“We will fight this plan,” she said.", "We will fight this plan"),
    ("final-stop-inside", "She said: “We will fight this plan.”", "We will fight this plan."),
    ("corner", "彼は「この計画に最後まで反対する」と言った。", "この計画に最後まで反対する"),
]


@pytest.mark.parametrize(("text", "quote"), [m[1:] for m in MARKS], ids=[m[0] for m in MARKS])
def test_quote_marks(text: str, quote: str) -> None:
    assert texts(read(text), QuoteKind.QUOTE) == [quote]


def test_apostrophes_are_not_quote_marks() -> None:
    text = "The workers’ union isn’t ready for rock ’n’ roll or the ’90s, said Dee O’Neill."
    assert read(text).quotes == ()


def test_straight_single_quotes_are_quotes_only_in_an_article_that_uses_them() -> None:
    singles = "He said 'we will fight this plan to the end' and left. It's late."
    assert texts(read(singles)) == ["we will fight this plan to the end"]
    mixed = "He said \"no\" twice. Then 'we will fight this plan to the end' again."
    assert texts(read(mixed)) == ["no"]


def test_a_quote_split_by_its_attribution_is_two_quotes() -> None:
    art = read("“The first half of it,” she said, “and the second half of it.”")
    assert texts(art) == ["The first half of it", "and the second half of it."]


def test_one_to_three_words_are_names_and_titled_ones_titles() -> None:
    art = read(
        "The “S-Comm” program, a so-called “common sense reform”, was described in a report "
        "titled “Broken Promises of the Secure Communities Program” last year."
    )
    kinds = [(q.kind, q.text) for q in art.quotes]
    assert kinds == [
        (QuoteKind.NAME, "S-Comm"),
        (QuoteKind.NAME, "common sense reform"),
        (QuoteKind.TITLE, "Broken Promises of the Secure Communities Program"),
    ]
    assert [q.checked for q in art.quotes] == [False, False, False]


def test_a_multi_paragraph_quote_is_one_quote() -> None:
    text = (
        "The mayor wrote:\n\n"
        "“We have tried everything to keep the library open for our children.\n\n"
        "“But the budget leaves us no choice this year, and we regret it.”\n\n"
        "Others disagreed “with all of that reasoning” later.\n"
    )
    art = read(text)
    assert texts(art, QuoteKind.QUOTE) == [
        "We have tried everything to keep the library open for our children. "
        "But the budget leaves us no choice this year, and we regret it.",
        "with all of that reasoning",
    ]
    assert art.notes == ()


def test_an_unclosed_mark_is_noted_and_the_rest_is_read() -> None:
    text = (
        "He said “this never ends and nobody closes it.\n\n"
        "A stray mark” here. Later she said “the rest is still read correctly” again.\n"
    )
    art = read(text)
    assert texts(art) == ["the rest is still read correctly"]
    assert art.notes == (
        "a:1:9: the opening “ is never closed; read on as if it were not there",
        "a:3:13: a closing ” with no opening mark",
    )


# ----------------------------------------------------------------------------- blocks


def test_markdown_block_quote_with_its_credit_line() -> None:
    text = (
        "Intro paragraph.\n\n"
        "> We will not close a single library while I am mayor of this city.\n"
        "> Not one.\n>\n"
        "> — Jane Doe, Mayor\n"
    )
    (q,) = read(text, "markdown").quotes
    assert (q.kind, q.text, q.speaker, q.line, q.column) == (
        QuoteKind.BLOCK,
        "We will not close a single library while I am mayor of this city. Not one.",
        "Jane Doe",
        3,
        3,
    )


def test_html_blockquote_q_and_entities() -> None:
    html = (
        "<html><head><title>T</title><meta property='article:published_time' "
        "content='2023-04-02T10:00:00Z'></head><body><nav>“Menu quote is not read here”</nav>"
        "<article><p>She said <q>we&rsquo;ll keep going until the end</q> and left.</p>\n"
        "<blockquote cite='https://ledger.example/a'><p>&ldquo;The council has failed "
        "the people of this town again.&rdquo;</p><footer>— <cite>Ann Lee</cite></footer>"
        "</blockquote></article></body></html>"
    )
    art = read(html, "html")
    assert [(q.kind, q.text) for q in art.quotes] == [
        (QuoteKind.QUOTE, "we’ll keep going until the end"),
        (QuoteKind.BLOCK, "The council has failed the people of this town again."),
    ]
    assert art.quotes[1].speaker == "Ann Lee"
    assert (art.title, art.published) == ("T", dt.date(2023, 4, 2))


def test_a_paragraph_set_apart_after_a_cue_is_a_block_quote() -> None:
    art = read(
        "On its website the agency claims that\n\n"
        "The program is a simple and common sense way to carry out our priorities.\n\n"
        "It was not.\n"
    )
    assert [(q.kind, q.text) for q in art.quotes] == [
        (
            QuoteKind.BLOCK,
            "The program is a simple and common sense way to carry out our priorities.",
        )
    ]
    assert read("The results were as follows:\n\nA list of ten items here, not a quote.\n").quotes


def test_indented_text_is_a_block_quote() -> None:
    art = read("Smith wrote:\n\n    We should never have\n    built it at all, ever.\n\nThe end.\n")
    (q,) = art.quotes
    assert (q.kind, q.text, q.line, q.column, q.speaker) == (
        QuoteKind.BLOCK,
        "We should never have built it at all, ever.",
        3,
        5,
        "Smith",
    )


def test_positions_point_at_the_first_character() -> None:
    md = "# Title\n\nSome *text* and [a link](http://x.example) then\n“a quoted passage of words” end.\n"
    (q,) = read(md, "markdown").quotes
    line = md.splitlines()[q.line - 1]
    assert line[q.column - 1 :].startswith("a quoted passage")


# ----------------------------------------------------------------------------- references


def test_reference_list_under_a_heading_and_as_a_trailing_run() -> None:
    md = (
        "Text “a quote of five words” [1].\n\n## References\n\n"
        "1. The Daily Ledger. “City votes to close library.” https://ledger.example/a\n"
        "2. National Institutes of Health. Report 2023.\n"
    )
    refs = read(md, "markdown").references
    assert [(r.label, r.publisher, r.title, r.url) for r in refs] == [
        ("1", "The Daily Ledger", "City votes to close library", "https://ledger.example/a"),
        ("2", "National Institutes of Health", "Report 2023", None),
    ]


def test_reference_titles_are_not_quotes(seed_article: Path) -> None:
    art = read(seed_article.read_text())
    assert all(q.line < 18 for q in art.quotes)


# ----------------------------------------------------------------------------- attribution


def test_the_seed_article(seed_article: Path) -> None:
    art = read(seed_article.read_text())
    found = [(q.kind.value, q.text[:30], q.source_id, q.speaker) for q in art.quotes]
    assert found == [
        ("name", "Secure Communities", None, None),
        ("block", "Secure Communities is a simple", "ref:6", "ICE"),
        ("quote", "isn’t just a big victory for l", "ref:4", "Thomas Hodgson"),
        ("quote", "several high-profile motor-veh", "ref:4", None),
        ("quote", "[the program] is a big victory", "ref:4", "Hodgson"),
        ("name", "S-Comm", None, None),
        ("quote", "New York City Council Speaker ", "ref:1", "Fox Latino"),
        ("quote", "it has been clear from its inc", "ref:2", "Chung-Wha Hong"),
    ]
    assert [q.cue for q in art.quotes if q.checked] == [
        "speaker: ICE",
        "same speaker as line 9",
        "named: The Boston Globe",
        "named: The Boston Globe",
        "speaker: Fox Latino",
        "named: The New York Immigration Coalition",
    ]
    assert [r.label for r in art.references] == ["1", "2", "3", "4", "5", "6"]


LEDGER = source(
    "ledger",
    publisher="The Daily Ledger",
    title="City votes to close the Eastside library",
    url="https://www.dailyledger.example/2023/04/01/eastside",
    aliases=("the Ledger",),
)
NIH = source("nih", publisher="National Institutes of Health", url="https://nih.example/r")
BOTH = sources(LEDGER, NIH)


def one(text: str, fmt: str = "text", srcs: Sources = BOTH) -> ArticleQuote:
    quotes = [q for q in read(text, fmt, srcs).quotes if q.checked]
    assert len(quotes) == 1, quotes
    return quotes[0]


@pytest.mark.parametrize(
    ("text", "fmt", "source_id", "cue"),
    [
        (
            "As the Ledger reported, she said “we have no money left for it.”",
            "text",
            "ledger",
            "named: the Ledger",
        ),
        (
            "The Daily Ledger’s story quoted him: “we have no money left for it.”",
            "text",
            "ledger",
            "named: The Daily Ledger’s",
        ),
        (
            "“We have no money left for it,” Smith told Daily Ledger reporters.",
            "text",
            "ledger",
            "named: Daily Ledger",
        ),
        (
            "The National Institutes of Health (NIH) study is out. NIH wrote that “the effect is small but real.”",
            "text",
            "nih",
            "speaker: NIH",
        ),
        (
            "Smith said [“we have no money left for it”](http://dailyledger.example/2023/04/01/eastside/).",
            "markdown",
            "ledger",
            "link: http://dailyledger.example/2023/04/01/eastside/",
        ),
        (
            '<p>Smith <a href="https://nih.example/r">said</a> “we have no money left for it.”</p>',
            "html",
            "nih",
            "link: https://nih.example/r",
        ),
        (
            "Smith said “we have no money left for it.” [2]\n\nReferences\n\n[1] The Daily Ledger. https://www.dailyledger.example/2023/04/01/eastside\n\n[2] https://nih.example/r\n",
            "text",
            "nih",
            "reference [2]",
        ),
    ],
    ids=[
        "alias",
        "possessive",
        "partial-name",
        "defined-acronym",
        "markdown-link",
        "html-link",
        "footnote",
    ],
)
def test_attribution_evidence(text: str, fmt: str, source_id: str, cue: str) -> None:
    q = one(text, fmt)
    assert (q.source_id, q.cue) == (source_id, cue)


def test_a_speaker_named_by_a_pronoun_and_tied_by_another_quote() -> None:
    text = (
        "Mayor Jane Doe spoke on Monday. She said “we will reopen the library next spring.”\n\n"
        "Later Doe told the Ledger that “nothing is decided about the staff yet.”\n"
    )
    first, second = (q for q in read(text, "text", BOTH).quotes if q.checked)
    assert (second.speaker, second.source_id, second.cue) == ("Doe", "ledger", "named: the Ledger")
    assert (first.speaker, first.source_id, first.cue) == (
        "Jane Doe",
        "ledger",
        "same speaker as line 3",
    )


def test_a_quote_nothing_ties_is_unattributed_not_dropped() -> None:
    q = one("A neighbour, Tom Reed, said “it is a shame and a waste of our taxes.”")
    assert (q.source_id, q.cue, q.speaker) == (None, None, "Tom Reed")


def test_two_pages_of_one_publisher_are_told_apart_by_title_words() -> None:
    a = source("ice-overview", publisher="Immigration and Customs Enforcement", title="Overview")
    b = source(
        "ice-sc", publisher="Immigration and Customs Enforcement", title="Secure Communities"
    )
    q = one("ICE says “Secure Communities is a simple and common sense way.”", srcs=sources(a, b))
    assert q.source_id == "ice-sc"


def test_titles_of_the_reference_list_name_no_source_in_running_text(seed_article: Path) -> None:
    # "Secure Communities" is a reference's title, but names a program in the text.
    art = read(seed_article.read_text())
    hodgson = next(q for q in art.quotes if q.text.startswith("isn’t"))
    assert hodgson.cue == "same speaker as line 9"


# ----------------------------------------------------------------------------- robustness

MARK_CHARS = "“”„«»\"‘’‚‹›'「」 \n\n>#-*[]()abc."


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=MARK_CHARS, max_size=200), st.sampled_from(["text", "markdown", "html"]))
def test_any_text_is_read_without_error(text: str, fmt: str) -> None:
    art = read(text, fmt)
    lines = text.lstrip("\ufeff").splitlines() or [""]
    for q in art.quotes:
        assert q.text.strip() == q.text and q.text
        assert 1 <= q.line <= max(1, len(lines)) and q.column >= 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["“", "”", '"', "‘", "’", "«", "»", "word", " ", "\n\n"]), max_size=60)
)
def test_every_found_quote_is_in_the_text(parts: list[str]) -> None:
    text = "".join(parts)
    bare = " ".join("".join(c for c in text if c not in MARK_CHARS[:12]).split())
    for q in read(text).quotes:
        # A multi-paragraph quote drops the marks that reopen each paragraph.
        assert " ".join("".join(c for c in q.text if c not in MARK_CHARS[:12]).split()) in bare
