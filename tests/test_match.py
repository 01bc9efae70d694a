"""The matcher: table-driven cases for every convention and meaning change, then properties.

A quote is verified only when the source says it word for word, allowing for typography (quote
marks, dashes, spaces, ligatures, case) and for the editorial marks of AP and Chicago style
(ellipses, brackets, [sic]). Any change of meaning must come out altered or not_found.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from sourcecheck.match import find_exact, match_quote, norm, normalize, parse_quote
from sourcecheck.models import DiffOp, Match, Text, Verdict

V, A, N = Verdict.VERIFIED, Verdict.ALTERED, Verdict.NOT_FOUND

# The seed article's Boston Globe passage, as the page prints it: curly quotes and apostrophes.
HODGSON = (
    "\u201cThis isn\u2019t just a big victory for law enforcement,\u201d said Sheriff Thomas M."
    " Hodgson. \u201cIt\u2019s a big victory for the families who have lost loved ones.\u201d"
)
FOX = "The fox jumps over the lazy dog. It then runs into the forest."
FUND = "The fund received 10 million dollars last year, officials said."
MAN = "Police said the man allegedly stole the car on May 5, 2019."
PLAN = "The mayor said the plan is not a failure."
GLOBE = (
    "Supporters of the program pointed to several high-profile motor-vehicle accidents involving"
    " illegal immigrants, including a crash in Milford that killed a young man."
)


def check(source: str, quote: str) -> Match:
    return match_quote(quote, Text(source))


# ----------------------------------------------------------------------------- the table

SEED = [
    pytest.param(HODGSON, "isn't just a big victory for law enforcement.", V, id="seed-fragment"),
    pytest.param(
        HODGSON,
        "[the program] is a big victory for the families who have lost loved ones.",
        V,
        id="seed-bracket-for-it",
    ),
    pytest.param(HODGSON, "isn\u2019t just a big victory for law enforcement.", V, id="seed-curly"),
    pytest.param(HODGSON, "a big victory for the families", V, id="seed-mid-sentence"),
    pytest.param(HODGSON, "This isn't just a big victory...", V, id="seed-trailing-ellipsis"),
    pytest.param(HODGSON, "big victory for law enforcement \u2026", V, id="seed-trailing-char"),
    pytest.param(HODGSON, "... a big victory for the families", V, id="seed-leading-ellipsis"),
    pytest.param(
        HODGSON,
        "This isn't just a big victory for law enforcement ... It's a big victory for the families",
        V,
        id="seed-ellipsis-over-attribution",
    ),
    pytest.param(
        HODGSON,
        "\u201cIt\u2019s a big victory for the families who have lost loved ones.\u201d",
        V,
        id="seed-whole-sentence-with-marks",
    ),
    pytest.param(
        HODGSON,
        "It's a big victory for the families who have lost loved ones",
        V,
        id="seed-final-period-dropped",
    ),
    pytest.param(
        HODGSON, "It is a big victory for the families", V, id="seed-contraction-expanded"
    ),
    pytest.param(HODGSON, "This is not just a big victory", V, id="seed-isnt-as-is-not"),
    # Meaning changes of the seed's own sentences.
    pytest.param(
        HODGSON, "This is just a big victory for law enforcement", A, id="seed-not-dropped"
    ),
    pytest.param(
        HODGSON, "This isn't a big victory for law enforcement", A, id="seed-just-dropped"
    ),
    pytest.param(
        HODGSON,
        "It's a huge victory for the families who have lost loved ones.",
        A,
        id="seed-word-swapped",
    ),
    pytest.param(
        HODGSON,
        "It's a big victory for the families who have lost their loved ones.",
        A,
        id="seed-word-added",
    ),
    pytest.param(
        HODGSON,
        "This isn't just a big victory for law enforcement. It's a big victory for the families",
        A,
        id="seed-splice-without-ellipsis",
    ),
    pytest.param(
        HODGSON,
        "[the program] isn't a big victory for the families",
        A,
        id="seed-bracket-then-negation-added",
    ),
    pytest.param(HODGSON, "just a big victory for law enforcement", A, id="seed-starts-after-isnt"),
    pytest.param(
        GLOBE,
        "several high-profile motor-vehicle accidents involving illegal immigrants",
        V,
        id="seed-globe-fragment",
    ),
    pytest.param(
        GLOBE,
        "several high-profile accidents involving illegal immigrants",
        A,
        id="seed-globe-word-dropped",
    ),
    pytest.param(
        GLOBE,
        "several high-profile motor-vehicle accidents involving immigrants",
        A,
        id="seed-globe-qualifier-dropped",
    ),
]

TYPOGRAPHY = [
    pytest.param(
        'He said "it is done" today.',
        "He said \u201cit is done\u201d today",
        V,
        id="curly-quote-marks",
    ),
    pytest.param(
        "He said \u201cit is done\u201d today.",
        'He said "it is done" today',
        V,
        id="straight-quote-marks",
    ),
    pytest.param(
        "He said \u201cit is done\u201d today.",
        "He said 'it is done' today",
        V,
        id="single-for-double",
    ),
    pytest.param(
        "He said \u201cit is done\u201d today.",
        "He said \u00abit is done\u00bb today",
        V,
        id="guillemets",
    ),
    pytest.param(
        "He said \u201cit is done\u201d today.",
        "He said \u201eit is done\u201c today",
        V,
        id="low-9-quote",
    ),
    pytest.param(
        "The sheriff\u2019s office won\u2019t comment.",
        "The sheriff's office won't comment",
        V,
        id="curly-apostrophe",
    ),
    pytest.param(
        "The sheriff's office won't comment.",
        "The sheriff\u2019s office won\u2019t comment",
        V,
        id="straight-apostrophe",
    ),
    pytest.param("They can\u2019t go.", "They cannot go", V, id="cant-as-cannot"),
    pytest.param(
        "the office\u2014which opened in 2001\u2014was closing",
        "the office -- which opened in 2001 -- was closing",
        V,
        id="em-dash-as-double-hyphen",
    ),
    pytest.param(
        "the office \u2014 which opened in 2001 \u2014 was closing",
        "the office\u2014which opened in 2001\u2014was closing",
        V,
        id="spaced-em-dash",
    ),
    pytest.param(
        "the office - which opened in 2001 - was closing",
        "the office \u2013 which opened in 2001 \u2013 was closing",
        V,
        id="en-dash-for-hyphen",
    ),
    pytest.param(
        "in the years 2001\u20132005 the", "in the years 2001-2005 the", V, id="en-dash-range"
    ),
    pytest.param("a well\u2011known author", "a well-known author", V, id="non-breaking-hyphen"),
    pytest.param("a fall of \u22125 degrees", "a fall of -5 degrees", V, id="minus-sign"),
    pytest.param(
        "The final\u00a0report was\u2009flawed.",
        "The final report was flawed",
        V,
        id="nbsp-thin-space",
    ),
    pytest.param(
        "The final report\u202fwas flawed.",
        "The final\u00a0report was flawed",
        V,
        id="narrow-nbsp-in-both",
    ),
    pytest.param(
        "The final   report\n was\tflawed.", "The final report was flawed", V, id="whitespace-runs"
    ),
    pytest.param(
        "The fi\u00adnal re\u00adport was flawed.",
        "The final report was flawed",
        V,
        id="soft-hyphen-in-source",
    ),
    pytest.param(
        "The final report was flawed.",
        "The fi\u00adnal report was flawed",
        V,
        id="soft-hyphen-in-quote",
    ),
    pytest.param(
        "The final re-\nport was flawed.",
        "The final report was flawed",
        V,
        id="hyphenated-across-a-line-break",
    ),
    pytest.param(
        "The final re-\nport was flawed.",
        "The final re-port was flawed",
        A,
        id="a-line-end-hyphen-is-no-word-hyphen",
    ),
    pytest.param(
        "A well-\nKnown report.", "A well-Known report", V, id="hyphen-before-a-capital-stays"
    ),
    pytest.param(
        "The final\u200b report was\u200d flawed.",
        "The final report was flawed",
        V,
        id="zero-width-chars",
    ),
    pytest.param(
        "\ufeffThe final report was flawed.", "The final report was flawed", V, id="byte-order-mark"
    ),
    pytest.param(
        "The final \u200b report was flawed.",
        "The final report was flawed",
        V,
        id="zwsp-beside-space",
    ),
    pytest.param(
        "the office\u2014\u200bwhich opened", "the office -- which opened", V, id="zwsp-after-dash"
    ),
    pytest.param(
        "the office \u200b\u2014 which opened",
        "the office\u2014which opened",
        V,
        id="zwsp-before-spaced-dash",
    ),
    pytest.param(
        "We\u2019re here.",
        "We\u2019r\u00ade here",
        V,
        id="soft-hyphen-inside-contraction",
        marks=pytest.mark.xfail(
            strict=True,
            reason="contractions are expanded before invisible characters are dropped, so one "
            "inside a contraction's ending keeps it from being expanded",
        ),
    ),
    pytest.param(
        "The \ufb01nal report was \ufb02awed by the sta\ufb00.",
        "The final report was flawed by the staff",
        V,
        id="ligatures",
    ),
    pytest.param("The o\ufb03ce was closed.", "The office was closed", V, id="ffi-ligature"),
    pytest.param(
        "THE FINAL REPORT WAS FLAWED.", "the final report was flawed", V, id="upper-case-source"
    ),
    pytest.param(
        "the final report was flawed.", "The Final Report Was Flawed", V, id="title-case-quote"
    ),
    pytest.param(
        "He went to the caf\u00e9.", "He went to the cafe\u0301", V, id="combining-accent"
    ),
    pytest.param("The \uff26\uff22\uff29 said so.", "The FBI said so", V, id="full-width-letters"),
    pytest.param("Tom & Jerry met.", "Tom &amp; Jerry met", V, id="entity-in-quote"),
    pytest.param(
        HODGSON,
        "isn&rsquo;t just a big victory for law enforcement",
        V,
        id="named-entity-apostrophe",
    ),
    pytest.param(
        HODGSON, "&#8220;It&#8217;s a big victory for the families&#8221;", V, id="numeric-entities"
    ),
    pytest.param("He said it twice.", "He said\u2026 it twice", V, id="ellipsis-char-glued"),
    # Typography that is not typography: a different word.
    pytest.param(
        "The final report was flawed.", "The finale report was flawed", A, id="not-a-ligature"
    ),
    pytest.param(
        "The final report was\u200bflawed.", "The final report was flawed", A, id="zwsp-joins-words"
    ),
]

EDITORIAL = [
    pytest.param(FOX, "The fox ... over the lazy dog", V, id="ellipsis-dots"),
    pytest.param(FOX, "The fox \u2026 over the lazy dog", V, id="ellipsis-char"),
    pytest.param(FOX, "The fox . . . over the lazy dog", V, id="ellipsis-spaced-dots"),
    pytest.param(FOX, "The fox [...] over the lazy dog", V, id="ellipsis-bracketed"),
    pytest.param(FOX, "The fox [\u2026] over the lazy dog", V, id="ellipsis-bracketed-char"),
    pytest.param(FOX, "The fox...over the lazy dog", V, id="ellipsis-unspaced"),
    pytest.param(
        FOX, "The fox jumps over the lazy dog.... It then runs", V, id="four-dots-across-sentences"
    ),
    pytest.param(FOX, "The fox jumps over ... the forest", A, id="ellipsis-welds-two-sentences"),
    pytest.param(
        FOX,
        "The fox ... the lazy ... forest",
        A,
        id="ellipses-weld-two-sentences",
        marks=pytest.mark.xfail(
            strict=True,
            reason="refused, but not_found: the closest passage is located by aligning the "
            "quote's parts joined together, which a quote with ellipses does not have in a row",
        ),
    ),
    pytest.param(FOX, "the lazy dog ... The fox jumps", N, id="ellipsis-out-of-order"),
    pytest.param(FOX, "[T]he fox jumps over the lazy dog", V, id="bracketed-capital"),
    pytest.param(FOX, "[t]he fox jumps over the lazy dog", V, id="bracketed-lower-case"),
    pytest.param(FOX, "[the animal] jumps over the lazy dog", V, id="bracket-for-two-words"),
    pytest.param(FOX, "The fox jumps over [the dog]", V, id="trailing-bracket"),
    pytest.param(FOX, "It then runs into [the woods]", V, id="trailing-bracket-sentence-end"),
    pytest.param(FOX, "The fox jumps over the [sleepy] dog", V, id="bracket-for-one-word"),
    pytest.param(FOX, "The fox jumps over the lazy dog [sic].", V, id="sic"),
    pytest.param(FOX, "The fox jumps [sic] over the lazy dog", V, id="sic-inside"),
    pytest.param(FOX, "The fox jumps over the lazy dog [emphasis added]", V, id="emphasis-added"),
    pytest.param(
        FOX, "The fox jumps over the lazy dog [emphasis in original].", V, id="emphasis-in-original"
    ),
    pytest.param(FOX, "the lazy dog", V, id="fragment"),
    pytest.param(FOX, "fox jumps over the lazy", V, id="fragment-both-ends"),
    pytest.param(FOX, "The fox jumps over the lazy dog", V, id="final-period-dropped"),
    pytest.param(FOX, "The fox jumps over the lazy.", V, id="final-period-added"),
    pytest.param(FOX, "The fox jumps over the lazy dog!", V, id="final-mark-changed"),
    pytest.param(FOX, "the lazy dog, ", V, id="trailing-comma"),
    pytest.param(FOX, "  \u201cThe fox jumps over the lazy dog.\u201d  ", V, id="enclosing-marks"),
    pytest.param(
        FOX, "The fox jumps over the lazy dog. It then runs into the forest.", V, id="two-sentences"
    ),
    pytest.param(FOX, "The fox jumps over the lazy dog.\nIt then runs", V, id="quote-line-break"),
    pytest.param(
        "The fox jumps over\nthe lazy dog.",
        "The fox jumps over the lazy dog",
        V,
        id="source-line-break",
    ),
    pytest.param(
        "The program, said Mr. Quinn, who leads the council, is working well.",
        "The program ... is working well",
        V,
        id="ellipsis-over-mr-abbreviation",
    ),
    pytest.param(
        "The program, said Gov. Deval L. Patrick, is working.",
        "The program, said [the governor], is working",
        V,
        id="bracket-over-abbreviation",
    ),
]

MEANING = [
    # Negation added or dropped.
    pytest.param(PLAN, "the plan is a failure", A, id="negation-dropped"),
    pytest.param("The plan is a failure.", "The plan is not a failure", A, id="negation-added"),
    pytest.param(PLAN, "the plan isn't a failure", V, id="negation-contracted"),
    pytest.param("They can go.", "They can't go", A, id="contracted-negation-added"),
    pytest.param("They will go.", "They won't go", A, id="wont-added"),
    pytest.param("He never said it.", "He said it", A, id="never-dropped"),
    pytest.param(PLAN, "the plan is ... a failure", A, id="ellipsis-hides-not"),
    pytest.param(PLAN, "the plan [is] a failure", A, id="bracket-hides-not"),
    pytest.param(PLAN, "a failure", A, id="fragment-starts-after-not"),
    pytest.param(PLAN, "\u2026 a failure", A, id="ellipsis-start-after-not"),
    pytest.param(PLAN, "The mayor said the plan is", A, id="fragment-stops-before-not"),
    pytest.param(PLAN, "The mayor said the plan", V, id="fragment-stops-short-of-not"),
    pytest.param(
        "Nobody believes the plan is working.",
        "believes the plan is working",
        A,
        id="nobody-dropped",
    ),
    pytest.param("He was convicted without evidence.", "He was convicted", A, id="without-dropped"),
    pytest.param(
        "The company said no. The plan is working.",
        "The plan is working",
        V,
        id="negation-in-previous-sentence",
    ),
    pytest.param("No, the plan is working.", "the plan is working", V, id="no-set-off-by-comma"),
    # Qualifiers dropped or added.
    pytest.param(MAN, "Police said the man stole the car", A, id="allegedly-dropped"),
    pytest.param(MAN, "the man ... stole the car", A, id="ellipsis-hides-allegedly"),
    pytest.param(MAN, "stole the car on May 5, 2019", A, id="fragment-after-allegedly"),
    pytest.param(MAN, "[he] stole the car", A, id="bracket-before-allegedly"),
    pytest.param(
        "No one said the plan works.", "[He] said the plan works", A, id="leading-bracket-hides-no"
    ),
    # The source's own brackets are its words.
    pytest.param(
        "Exposure is one of the risk factor[s] for respiratory disorders.",
        "one of the risk factor[s] for respiratory disorders",
        V,
        id="source-bracket-quoted-as-is",
    ),
    pytest.param(
        "[Note: Some require a paid subscription for full access.]",
        "[Note: Some require a paid subscription for full access.]",
        V,
        id="source-bracketed-sentence",
    ),
    pytest.param(
        "It is the [environmentally preferable] product.",
        "It is the [environmentally cushioning] product",
        A,
        id="bracket-over-source-brackets",
    ),
    # Sentence ends are read before case folding.
    pytest.param(
        "Consider a more advanced machine (esp. if you want to experiment with settings).",
        "Consider a more ... experiment with settings",
        V,
        id="ellipsis-over-an-abbreviation-period",
    ),
    pytest.param(
        "Answer only Yes or No\nIf there were third parties involved, list their names.",
        "If there were third parties involved, list their names",
        V,
        id="negation-in-the-block-before",
    ),
    pytest.param(
        "He said that a dependency should never be mocked.",
        "[A] dependency should never be mocked",
        V,
        id="one-letter-case-bracket",
    ),
    pytest.param(
        "I'm sure of it, she said.", "[i]'m sure of it", V, id="case-bracket-before-apostrophe"
    ),
    pytest.param(
        "Yesterday the mayor said the plan works.",
        "[He] said the plan works",
        V,
        id="leading-bracket-for-a-subject",
    ),
    pytest.param(
        "The plan works only in 2012.", "the plan works [this year]", A, id="trailing-bracket-hides"
    ),
    pytest.param(MAN, "[he allegedly] stole the car", V, id="bracket-keeps-allegedly"),
    pytest.param(
        "He stole the car, allegedly.", "He stole the car", A, id="trailing-allegedly-dropped"
    ),
    pytest.param(
        "Only three people came to the meeting.",
        "three people came to the meeting",
        A,
        id="only-dropped-at-start",
    ),
    pytest.param(
        "Only three people came to the meeting.",
        "Three people came to the meeting",
        A,
        id="only-dropped-capitalized",
    ),
    pytest.param("The drug works only in mice.", "The drug works", A, id="only-dropped-at-end"),
    pytest.param("It was only a test.", "It was a test", A, id="only-dropped-inside"),
    pytest.param("It was a test.", "It was only a test", A, id="only-added"),
    pytest.param(
        "The man stole the car.", "The man allegedly stole the car", A, id="allegedly-added"
    ),
    pytest.param("About 300 people came.", "300 people came", A, id="about-dropped-before-number"),
    pytest.param("They talked about the war.", "the war", V, id="about-as-preposition"),
    pytest.param("Nearly half the town came.", "half the town came", A, id="nearly-dropped"),
    # Numbers and dates.
    pytest.param(FUND, "received 10 million dollars", V, id="number-kept"),
    pytest.param(FUND, "received 1 million dollars", A, id="10-to-1-million"),
    pytest.param(FUND, "0 million dollars", A, id="0-inside-10-million"),
    pytest.param(FUND, "received 100 million dollars", A, id="10-to-100-million"),
    pytest.param(FUND, "received ten million dollars", A, id="digits-to-words"),
    pytest.param("The fund received 10,000 dollars.", "received 10", N, id="10-inside-10,000"),
    pytest.param("The fund received 10,000 dollars.", "000 dollars", N, id="000-inside-10,000"),
    pytest.param("The fund received 10.5 million.", "received 10", N, id="10-inside-10.5"),
    pytest.param("The fund received 3.5 million.", "5 million", N, id="5-inside-3.5"),
    pytest.param(
        "The fund received 10,000 dollars.", "received 10,000 dollars", V, id="thousands-kept"
    ),
    pytest.param("costs $3.5 million", "costs $3.6 million", A, id="decimal-changed"),
    pytest.param("a 10% rise", "a 1% rise", A, id="percent-changed"),
    pytest.param(MAN, "the man allegedly stole the car on May 6, 2019", A, id="day-changed"),
    pytest.param(MAN, "the man allegedly stole the car on May 5, 2018", A, id="year-changed"),
    pytest.param(MAN, "the man allegedly stole the car on June 5, 2019", A, id="month-changed"),
    pytest.param(MAN, "the man allegedly stole the car on May 15, 2019", A, id="day-digit-added"),
    pytest.param(FUND, "[the fund] received 10 million dollars", V, id="bracket-no-number"),
    pytest.param(FUND, "[it] received 20 million dollars", A, id="number-after-bracket"),
    pytest.param(FUND, "The fund received [the money] last year", A, id="bracket-hides-number"),
    pytest.param(
        "The fund received the money last year.",
        "The fund received [$10 million] last year",
        A,
        id="bracket-adds-number",
    ),
    pytest.param(
        FUND,
        "The fund received 10 million dollars ... officials said",
        V,
        id="ellipsis-keeps-number",
    ),
    # Words swapped, added, dropped; passages spliced.
    pytest.param("the cat sat on the mat", "the cat sat on the hat", A, id="word-swapped"),
    pytest.param("the cat sat on the mat", "the dog sat on the mat", A, id="first-word-swapped"),
    pytest.param("the cat sat on the mat", "the mat sat on the cat", A, id="words-reordered"),
    pytest.param(FOX, "The fox jumps over the dog", A, id="word-dropped"),
    pytest.param(FOX, "The quick fox jumps over the lazy dog", A, id="word-added"),
    pytest.param(
        "The mayor said the budget was balanced. Critics said the numbers were wrong.",
        "the budget was wrong",
        A,
        id="splice-without-ellipsis",
    ),
    pytest.param(
        "The mayor said the budget was balanced. Later, critics said the numbers were wrong.",
        "the budget was ... wrong",
        A,
        id="ellipsis-welds-fragments",
    ),
    pytest.param(
        "The mayor said the budget was balanced. Later, critics said the numbers were wrong.",
        "the budget was balanced ... the numbers were wrong",
        V,
        id="ellipsis-between-sentences",
    ),
    pytest.param(FOX, "The [cat] jumps over the lazy dog", V, id="bracket-for-a-noun"),
    pytest.param(FOX, "The fox [never] jumps over the lazy dog", A, id="bracket-adds-negation"),
    pytest.param(
        "The fox jumps over the lazy dog and the tired old brown horse in the barn.",
        "The fox jumps over [them] in the barn",
        A,
        id="bracket-too-many-words",
    ),
    pytest.param(
        FOX, "The fox jumps over [it] runs into the forest", A, id="bracket-over-sentence-end"
    ),
    pytest.param(FOX, "[The fox] then runs into the forest", V, id="lead-bracket-for-it"),
    pytest.param(FOX, "Elephants jump over trucks", N, id="unrelated"),
    pytest.param(FOX, "", N, id="empty-quote"),
    pytest.param(FOX, "...", N, id="only-an-ellipsis"),
    pytest.param("", "The fox jumps", N, id="empty-source"),
]


@pytest.mark.parametrize(("source", "quote", "verdict"), SEED + TYPOGRAPHY + EDITORIAL + MEANING)
def test_verdict(source: str, quote: str, verdict: Verdict) -> None:
    m = check(source, quote)
    assert m.verdict is verdict, m
    if verdict is V:
        assert m.score == 1.0
        assert m.start is not None and m.end is not None
        assert m.passage == source[m.start : m.end]


# ----------------------------------------------------------------------------- verified passages


@pytest.mark.parametrize(
    ("source", "quote", "passage"),
    [
        pytest.param(
            HODGSON,
            "isn't just a big victory for law enforcement.",
            "isn\u2019t just a big victory for law enforcement",
            id="seed-fragment",
        ),
        pytest.param(
            HODGSON,
            "[the program] is a big victory for the families who have lost loved ones.",
            "It\u2019s a big victory for the families who have lost loved ones",
            id="seed-bracket-takes-in-the-contraction",
        ),
        pytest.param(
            HODGSON,
            "This isn't just a big victory for law enforcement ... It's a big victory",
            "This isn\u2019t just a big victory for law enforcement,\u201d said Sheriff Thomas M."
            " Hodgson. \u201cIt\u2019s a big victory",
            id="seed-ellipsis-spans-the-omission",
        ),
        pytest.param(
            "The \ufb01nal re\u00adport\u00a0was \ufb02awed.",
            "the final report was flawed",
            "The \ufb01nal re\u00adport\u00a0was \ufb02awed",
            id="ligatures-soft-hyphen-nbsp",
        ),
        pytest.param(
            "the office \u2014 which opened in 2001 \u2014 was closing",
            "which opened in 2001--was closing",
            "which opened in 2001 \u2014 was closing",
            id="spaced-dash",
        ),
    ],
)
def test_verified_passage_is_the_source_own_words(source: str, quote: str, passage: str) -> None:
    m = check(source, quote)
    assert m.verdict is V
    assert m.start is not None and m.end is not None
    assert source[m.start : m.end] == m.passage
    assert m.passage == passage


# ----------------------------------------------------------------------------- altered: passage and diff


def changes(m: Match) -> list[tuple[str, str, str]]:
    return [(d.op, d.source, d.quote) for d in m.diff if d.op != "equal"]


@pytest.mark.parametrize(
    ("source", "quote", "passage", "changed"),
    [
        pytest.param(
            HODGSON,
            "It's a huge victory for the families who have lost loved ones.",
            "\u201cIt\u2019s a big victory for the families who have lost loved ones.\u201d",
            [("replace", "big", "huge")],
            id="word-swapped",
        ),
        pytest.param(
            HODGSON,
            "This is just a big victory for law enforcement",
            "\u201cThis isn\u2019t just a big victory for law enforcement,\u201d",
            [("replace", "isn\u2019t", "is")],
            id="negation-dropped",
        ),
        pytest.param(
            HODGSON,
            "This isn't just a big victory for law enforcement. It's a big victory for the families",
            "\u201cThis isn\u2019t just a big victory for law enforcement,\u201d said Sheriff Thomas M."
            " Hodgson. \u201cIt\u2019s a big victory for the families",
            [
                ("replace", "enforcement,\u201d", "enforcement."),
                ("delete", "said Sheriff Thomas M. Hodgson.", ""),
                ("replace", "\u201cIt\u2019s", "It's"),
            ],
            id="splice-shows-the-omitted-attribution",
        ),
        pytest.param(
            FUND,
            "received 1 million dollars",
            "received 10 million dollars",
            [("replace", "10", "1")],
            id="10-to-1-million",
        ),
        pytest.param(
            FUND,
            "0 million dollars",
            "10 million dollars",
            [("replace", "10", "0")],
            id="0-for-10-million",
        ),
        pytest.param(
            MAN,
            "Police said the man stole the car on May 5, 2019.",
            "Police said the man allegedly stole the car on May 5, 2019.",
            [("delete", "allegedly", "")],
            id="allegedly-dropped",
        ),
        pytest.param(
            MAN,
            "the man allegedly stole the car on May 6, 2019",
            "the man allegedly stole the car on May 5, 2019.",
            [("replace", "5,", "6,")],
            id="day-changed",
        ),
        pytest.param(
            "The plan is a failure.",
            "The plan is not a failure.",
            "The plan is a failure.",
            [("insert", "", "not")],
            id="negation-added",
        ),
    ],
)
def test_altered_carries_passage_and_diff(
    source: str, quote: str, passage: str, changed: list[tuple[str, str, str]]
) -> None:
    m = check(source, quote)
    assert m.verdict is A
    assert m.passage == passage
    assert m.start is not None and m.end is not None
    assert source[m.start : m.end] == passage
    assert changes(m) == changed
    assert all(isinstance(d, DiffOp) for d in m.diff)
    assert 0.0 < m.score < 1.0


@pytest.mark.parametrize(
    ("source", "quote", "reason"),
    [
        pytest.param(PLAN, "the plan is ... a failure", "omits 'not'", id="ellipsis-not"),
        pytest.param(
            MAN, "the man ... stole the car", "omits 'allegedly'", id="ellipsis-allegedly"
        ),
        pytest.param(PLAN, "a failure", "leaves out 'not'", id="edge-not"),
        pytest.param(
            FUND, "[it] received 20 million dollars", None, id="no-reason-for-a-changed-word"
        ),
        pytest.param(
            "The fund received the money last year.",
            "The fund received [$10 million] last year",
            "adds '10'",
            id="bracket-adds",
        ),
        pytest.param(
            "The mayor said the budget was balanced. Later, critics said the numbers were wrong.",
            "the budget was ... wrong",
            "two different sentences",
            id="weld",
        ),
    ],
)
def test_altered_says_why_an_edit_was_refused(source: str, quote: str, reason: str | None) -> None:
    m = check(source, quote)
    assert m.verdict is A
    if reason is None:
        assert m.reason is None
    else:
        assert m.reason is not None and reason in m.reason


def test_hay_can_be_shared_between_quotes() -> None:
    text = Text(HODGSON)
    hay = normalize(HODGSON)
    for quote in ("isn't just a big victory", "a huge victory"):
        assert match_quote(quote, text, hay) == match_quote(quote, text)


# ----------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        pytest.param("Isn\u2019t", "is not", id="nt"),
        pytest.param("WON'T", "will not", id="wont"),
        pytest.param("It\u2019s", "it is", id="its"),
        pytest.param("Hodgson\u2019s", "hodgson's", id="possessive"),
        pytest.param("\u201cA\u201d \u2018b\u2019 \u00abc\u00bb", "'a' 'b' 'c'", id="quote-marks"),
        pytest.param("a \u2014 b\u2013c -- d", "a-b-c-d", id="dashes"),
        pytest.param("a\u00a0\u2009 b\n\tc", "a b c", id="spaces"),
        pytest.param("\ufb01\ufb02\ufb00\ufb03", "fiflffffi", id="ligatures"),
        pytest.param("so\u00adft\u200bly\ufeff", "softly", id="invisible"),
        pytest.param("Stra\u00dfe", "strasse", id="casefold"),
        pytest.param("wait\u2026", "wait...", id="ellipsis-char"),
    ],
)
def test_norm(raw: str, normalized: str) -> None:
    assert norm(raw) == normalized


@pytest.mark.parametrize(
    ("text", "region", "original"),
    [
        pytest.param(
            HODGSON,
            "is a big victory for the families",
            "It\u2019s a big victory for the families",
            id="inside-a-contraction",
        ),
        pytest.param(HODGSON, "this is not just", "This isn\u2019t just", id="contraction-at-end"),
        pytest.param(
            HODGSON, "law enforcement,' said", "law enforcement,\u201d said", id="quote-mark"
        ),
        pytest.param(
            "the \ufb01nal re\u00adport",
            "final report",
            "\ufb01nal re\u00adport",
            id="ligature-soft-hyphen",
        ),
        pytest.param("in 2001 \u2014 2005 here", "2001-2005", "2001 \u2014 2005", id="spaced-dash"),
        pytest.param("a\u00a0\u00a0 b c", "b c", "b c", id="after-collapsed-space"),
        pytest.param("\u201cQuote\u201d", "quote", "Quote", id="inside-marks"),
    ],
)
def test_offsets_map_back_to_the_original(text: str, region: str, original: str) -> None:
    n = normalize(text)
    i = n.text.index(region)
    start, end = n.start_in_original(i), n.end_in_original(i + len(region))
    assert text[start:end] == original


def test_verified_match_maps_back_to_exact_original_substring() -> None:
    text = "Intro. \u201cThe o\ufb03ce\u2019s \ufb01nal re\u00adport \u2014 not ours \u2014 is \ufb02awed,\u201d she said."
    m = check(text, "The office's final report -- not ours -- is flawed")
    assert m.verdict is V
    assert (
        m.passage
        == "The o\ufb03ce\u2019s \ufb01nal re\u00adport \u2014 not ours \u2014 is \ufb02awed"
    )
    assert (m.start, m.end) == (8, 8 + len(m.passage))


def test_normalized_without_changes_maps_identically() -> None:
    n = normalize("plain ascii text")
    assert n.text == "plain ascii text"
    assert [n.start_in_original(i) for i in range(17)] == list(range(17))
    assert [n.end_in_original(i) for i in range(17)] == list(range(17))


# ----------------------------------------------------------------------------- parsing a quote


@pytest.mark.parametrize(
    ("quote", "literals", "ellipses", "lead", "trail"),
    [
        pytest.param("a b ... c d", ("a b", "c d"), (True,), None, None, id="ellipsis"),
        pytest.param("[T]he end.", ("the end",), (), None, None, id="case-bracket"),
        pytest.param("[the program] is big", ("is big",), (), "the program", None, id="lead"),
        pytest.param("it went to [the city]", ("it went to",), (), None, "the city", id="trail"),
        pytest.param("a [sic] b [emphasis added]", ("a b",), (), None, None, id="notes"),
        pytest.param("a [b c] d", ("a", "d"), (False,), None, None, id="inner-bracket"),
        pytest.param(
            "a [...] [bc] c", ("a", "c"), (True,), None, None, id="ellipsis-swallows-bracket"
        ),
        pytest.param(
            "\u201cIt\u2019s done.\u201d", ("it is done",), (), None, None, id="edge-marks"
        ),
    ],
)
def test_parse_quote(
    quote: str,
    literals: tuple[str, ...],
    ellipses: tuple[bool, ...],
    lead: str | None,
    trail: str | None,
) -> None:
    p = parse_quote(quote)
    assert p.literals == literals
    assert tuple(g.ellipsis for g in p.gaps) == ellipses
    assert (p.lead, p.trail) == (lead, trail)


# ----------------------------------------------------------------------------- properties

# Words that carry no negation or hedge, so that a span of them means what it says wherever it
# starts. Contractions, possessives, hyphenated words and ligature-able letters ("fi", "fl",
# "ff") exercise normalization.
WORDS = [
    "the", "sheriff", "said", "program", "victory", "families", "law", "enforcement", "council",
    "report", "budget", "police", "city", "big", "was", "is", "for", "of", "and", "who", "have",
    "lost", "loved", "ones", "office", "final", "flawed", "staff", "officials", "first", "half",
    "well-known", "it\u2019s", "we\u2019re", "they\u2019ve", "Hodgson\u2019s",
]  # fmt: skip
NUMBERS = ["10", "2019", "3.5", "1,000", "42%", "$7", "250"]
# Words that no text holds and no text's normalization can hold.
STRANGERS = ("giraffe", "zeppelin", "marmalade", "xylophone", "quokka")
PUNCT = ("", ",", ".", ";", ":", "?", "!")
DASH = "--"
# Every canonical token, so that a text is drawn as one list of indexes (fast to generate, and
# shrinking towards index 0 shrinks towards "the"): words and numbers with edge punctuation and
# quote marks ('"' stands for any quote mark), then a lone dash.
VOCABULARY = [
    opening + word + punct + closing
    for opening in ("", '"')
    for closing in ("", '"')
    for punct in PUNCT
    for word in WORDS + NUMBERS
] + [DASH] * 40

LIGATURES = (("ffi", "\ufb03"), ("fi", "\ufb01"), ("fl", "\ufb02"), ("ff", "\ufb00"))
OPEN_MARKS = ('"', "\u201c", "\u201e", "\u00ab", "'", "\u2018")
CLOSE_MARKS = ('"', "\u201d", "\u201c", "\u00bb", "'", "\u2019")
DASHES = ("\u2014", "\u2013", "--", "-", "\u2015", " \u2014 ", " -- ", " - ", "\u2014\u200b")
HYPHENS = ("-", "\u2010", "\u2011")
SPACES = (" ", " ", " ", "\u00a0", "\u2009", "\u202f", "  ", "\n", " \u200b", "\u200b ")
INVISIBLE = ("\u00ad", "\u200b", "\u200c", "\u2060")
CASES = ("keep", "keep", "upper", "lower", "capital")


def typeset(toks: list[str], rng: random.Random) -> str:
    """The tokens as one page or writer might set them: marks, dashes, spaces, ligatures, case."""
    words: list[str] = []
    for tok in toks:
        if tok == DASH:
            words.append(rng.choice(DASHES))
            continue
        case = rng.choice(CASES)
        if case == "upper":
            tok = tok.upper()
        elif case == "lower":
            tok = tok.lower()
        elif case == "capital":
            tok = re.sub(r"[a-z]", lambda m: m.group().upper(), tok, count=1)
        if rng.random() < 0.5:
            for plain, ligature in LIGATURES:
                tok = tok.replace(plain, ligature)
        tok = tok.replace("\u2019", rng.choice(["'", "\u2019"]))
        tok = re.sub(r"(?<=\w)-(?=\w)", lambda _: rng.choice(HYPHENS), tok)
        if tok.startswith('"'):
            tok = rng.choice(OPEN_MARKS) + tok[1:]
        if tok.endswith('"'):
            tok = tok[:-1] + rng.choice(CLOSE_MARKS)
        # Between two letters, but not inside a contraction: see the xfail
        # "soft-hyphen-inside-contraction".
        inside = [m.start() for m in re.finditer(r"(?<=[A-Za-z])(?=[A-Za-z])", tok)]
        if inside and rng.random() < 0.2 and not re.search(r"['\u2019]", tok):
            at = rng.choice(inside)
            tok = tok[:at] + rng.choice(INVISIBLE) + tok[at:]
        words.append(tok)
    return "".join(rng.choice(SPACES) + w if k else w for k, w in enumerate(words))


def _no_double_dash(toks: list[str]) -> list[str]:
    return [t for k, t in enumerate(toks) if not (t == DASH and k and toks[k - 1] == DASH)]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], int, int, random.Random]:
    """Canonical tokens of a text, a span [i, j) of them holding a word, and a typesetter."""
    indexes = draw(st.lists(st.integers(0, len(VOCABULARY) - 1), min_size=3, max_size=30))
    toks = _no_double_dash([VOCABULARY[k] for k in indexes])
    i = draw(st.integers(0, len(toks) - 1))
    j = draw(st.integers(i + 1, min(len(toks), i + 12)))
    assume(any(re.search(r"[A-Za-z0-9]", t) for t in toks[i:j]))
    return toks, i, j, random.Random(draw(st.integers(0, 2**32 - 1)))


def typeset_both(toks: list[str], span: list[str], rng: random.Random) -> tuple[str, str]:
    """The text as the page sets it and the span as the writer does, each its own way."""
    source, quote = typeset(toks, rng), typeset(span, rng)
    note(f"source={source!r}")
    note(f"quote={quote!r}")
    return source, quote


def verifies(source: str, quote: str) -> bool:
    """Whether ``quote`` verifies against ``source``: the exact search alone, without the slower
    search for a close passage that only tells altered from not_found."""
    return find_exact(parse_quote(quote), normalize(source).text).spans is not None


def test_verifies_agrees_with_match_quote() -> None:
    for quote in ("a big victory", "a huge victory", "[it] is ... victory", "giraffe"):
        assert verifies(HODGSON, quote) is (check(HODGSON, quote).verdict is V)


PROPERTY = settings(deadline=None, max_examples=150)
Case = tuple[list[str], int, int, random.Random]


@PROPERTY
@given(cases())
def test_any_span_verifies_whatever_the_typography(case: Case) -> None:
    toks, i, j, rng = case
    source, quote = typeset_both(toks, toks[i:j], rng)
    m = check(source, quote)
    assert m.verdict is V, m


@PROPERTY
@given(cases(), st.data())
def test_one_word_replaced_does_not_verify(case: Case, data: st.DataObject) -> None:
    toks, i, j, rng = case
    words = [k for k in range(i, j) if re.search(r"[A-Za-z0-9]", toks[k])]
    k = data.draw(st.sampled_from(words), label="replaced")
    stranger = data.draw(st.sampled_from(STRANGERS), label="by")
    span = list(toks[i:j])
    # The whole word goes, its punctuation and quote marks stay: "victory," -> "giraffe,".
    span[k - i] = re.sub(r"[\w\u2019$%,.-]*\w%?", stranger, toks[k], count=1)
    assert span[k - i] != toks[k]
    assert stranger not in norm(" ".join(toks))
    assert not verifies(*typeset_both(toks, span, rng))


@PROPERTY
@given(cases(), st.data())
def test_not_inserted_does_not_verify(case: Case, data: st.DataObject) -> None:
    toks, i, j, rng = case
    at = data.draw(st.integers(i, j), label="at")
    span = [*toks[i:at], "not", *toks[at:j]]
    assert not verifies(*typeset_both(toks, span, rng))


NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")


@PROPERTY
@given(cases(), st.data())
def test_a_changed_digit_does_not_verify(case: Case, data: st.DataObject) -> None:
    toks, i, j, rng = case
    digits = [(k, m.start()) for k in range(i, j) for m in re.finditer(r"\d", toks[k])]
    assume(digits)
    k, at = data.draw(st.sampled_from(digits), label="digit")
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != toks[k][at]]), label="to")
    changed = toks[k][:at] + new + toks[k][at + 1 :]
    number = NUMBER.search(changed)
    assert number is not None
    # The changed number must be a new one: "10" -> "19" proves nothing if the text says "19".
    assume(all(number.group() not in NUMBER.findall(t) for t in toks))
    span = list(toks[i:j])
    span[k - i] = changed
    assert not verifies(*typeset_both(toks, span, rng))


@PROPERTY
@given(cases())
def test_a_match_maps_back_to_its_own_words(case: Case) -> None:
    toks, i, j, rng = case
    source, quote = typeset_both(toks, toks[i:j], rng)
    hay = normalize(source)
    found = find_exact(parse_quote(quote), hay.text)
    assert found.spans is not None
    region = hay.text[found.spans[0][0] : found.spans[-1][1]]
    m = check(source, quote)
    assert m.start is not None and m.end is not None
    original = source[m.start : m.end]
    assert m.passage == original
    if any("\u2019" in t for t in toks):
        # A match may start or end inside a contraction ("is" of "It's" -> "it is", as in the
        # seed's "[the program] is ..."): the original then takes in the contraction's ending,
        # which expands only after the word it ends ("'ve" of "They've" -> "have").
        word_start = m.start
        while word_start > 0 and source[word_start - 1].isalpha():
            word_start -= 1
        assert region in norm(source[word_start : m.end])
    else:
        assert norm(original) == region


# Pieces that start, end or sit inside every kind of run the normalizer rewrites, between runs
# of plain words long enough that the anchor search (not the whole-text scan) is used.
_RUN_PIECES = [
    "won't", "can't", "shan't", "let's", "cannot", "Cannot", "isn't", "that's", "it\u2019s",
    "we're", "I'm", "they'd", "you've", "she'll", "John's", "well-known", " - ", " \u2014 ",
    "--", "\u2013", "  ", "\n", "\t", "\u00ad", "\u200b", '"', "`", "'", "\u201cx\u201d",
    "e\u0301", "\u00e9", "\ufb01", "ca", "nnot", "s", "t", "n", " ",
]  # fmt: skip


@given(st.lists(st.sampled_from(_RUN_PIECES), max_size=12), st.integers(0, 40))
def test_the_anchor_search_finds_the_runs_a_whole_scan_finds(pieces: list[str], pad: int) -> None:
    from sourcecheck.match import _SPECIAL, _special_runs

    text = ("lorem ipsum dolor " * (pad // 4 + 3)).join(["", *pieces, ""])
    if pad % 2:
        text = "".join(pieces) + " plain words" * 20  # runs touching each other
    whole = [(m.start(), m.end()) for m in _SPECIAL.finditer(text)]
    assert [(m.start(), m.end()) for m in _special_runs(text)] == whole
