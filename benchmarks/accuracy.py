"""Measure how well sourcecheck tells faithful quotes from misquotes on real pages.

Run by hand from the repository root, with the project's virtualenv (about a minute for the
whole corpus on two cores):

    python benchmarks/accuracy.py --corpus ../shared/corpus/wcxb-dev \\
        [--pages N] [--per-page Q] [--seed S] [--show-failures K]

The corpus holds ``<id>.html.gz`` pages and ``<id>.json`` ground truth (``main_content``, the
article text as a person marked it). It is third-party CC-BY-4.0 content ("WCXB v1.0, dev
split"): it is read in place and never copied into the project.

1. Every page's HTML is served on a threaded HTTP server on 127.0.0.1, one path per page.
2. True quotes: ``--per-page`` (default 5) sentences of ``main_content``, of 6 to 60 words,
   picked at random among those that occur in the page's extracted text (``extract_text`` and
   ``norm`` on both sides), so that extraction gaps are counted apart and only the matcher is
   measured.
3. Variants of each true quote, one per kind where the kind applies (see ``MUST_VERIFY`` and
   ``MUST_NOT`` and each maker's docstring): editorial ones that must verify, and
   meaning-changing ones that must not. A misquote that the page happens to say is dropped.
4. The real pipeline, ``sourcecheck.verify.verify``, checks them over the loopback URLs.
5. Per kind: the share verified (recall for faithful kinds, the false-verified rate for
   misquotes), altered and not_found, next to two baselines on the same extracted texts:
   ``exact`` (the normalized quote is in the normalized page) and ``partial90`` (rapidfuzz's
   ``partial_ratio`` of the two >= 90), both on the quote stripped of its surrounding quote
   marks and final punctuation. Then the throughput of the verify run.
6. ``--show-failures K``: up to K examples per kind of a faithful variant not verified (with
   the matcher's reason) and of a misquote verified (with the passage).
7. The matcher alone, on texts of 10 KB, 100 KB and 1 MB: ``match_quote`` on quotes it
   verifies (the exact path) against ``str.find``, and on quotes it does not (the path that
   looks for the closest passage).

Everything is deterministic for a given ``--seed``; nothing here fails on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gzip
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rapidfuzz import fuzz

from sourcecheck.extract import extract_text
from sourcecheck.fetch import FetchSettings
from sourcecheck.match import Normalized, match_quote, norm, normalize
from sourcecheck.models import Quote as QuoteIn
from sourcecheck.models import QuoteResult, Source, Sources, Text, Verdict
from sourcecheck.verify import Options, verify

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb-dev"
CONTENT_TYPE = "text/html; charset=utf-8"

# ----------------------------------------------------------------------------- words


def words(spaced: str) -> frozenset[str]:
    """A set of words written as one string."""
    return frozenset(spaced.split())


# The benchmark's own word lists, kept apart from match.py's so that it tests the matcher
# against the conventions rather than against itself.
NEGATIONS = words(
    "not no never nor neither none nobody nothing nowhere without hardly barely scarcely"
)
HEDGES = words("allegedly reportedly only just nearly almost approximately roughly about some")
DROPPABLE_QUALIFIERS = ("allegedly", "only", "reportedly", "nearly", "almost")
AUXILIARIES = words(
    "is are was were will can could should would has have had does do did may might must"
)
PRONOUNS = words("he she it they we")
BRACKET_PHRASES = ("[the company]", "[the official]", "[the group]", "[the report]", "[the team]")
ELLIPSES = (" ... ", " \u2026 ", " . . . ")
ENTITIES = ("&rsquo;", "&#8217;", "&#x2019;", "&apos;")
ODD_SPACES = ("\u00a0", "\u2009", "\u202f", "  ")
DASH_FORMS = ("\u2014", " \u2014 ", " \u2013 ", " - ", "--")
STOPWORDS = words(
    "that this with from have been were they their there which what when will would could "
    "should into than then them also more most such very over after before said says"
)
ANTONYM_PAIRS = (
    "increase/decrease increased/decreased increases/decreases increasing/decreasing "
    "rise/fall rises/falls rose/fell more/less higher/lower high/low support/oppose "
    "supported/opposed supports/opposes win/lose won/lost wins/loses accept/reject "
    "accepted/rejected before/after first/last best/worst better/worse large/small "
    "larger/smaller largest/smallest many/few most/least strong/weak stronger/weaker "
    "early/late positive/negative good/bad true/false agree/disagree include/exclude "
    "above/below inside/outside always/never easy/difficult cheap/expensive safe/dangerous "
    "success/failure gain/loss new/old up/down open/closed start/end same/different "
    "rich/poor public/private"
)
ANTONYMS = {
    x: y
    for pair in ANTONYM_PAIRS.split()
    for a, b in [pair.split("/")]
    for x, y in ((a, b), (b, a))
}

# A sentence ends at ., ! or ? (and any closing quote marks) before a space and a capital, a
# digit or an opening quote mark; not after an abbreviation or an initial ("Thomas M. Hodgson").
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
ABBREVIATIONS = words(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr rev hon vs inc corp co ltd "
    "jan feb mar apr aug sep sept oct nov dec no vol fig etc e.g i.e u.s u.k a.m p.m"
)


def words_of(token: str) -> list[str]:
    """The normalized words of a whitespace token ("isn't," -> ["is", "not"])."""
    return re.findall(r"\w+", norm(token))


def core(token: str) -> str:
    """A token without edge punctuation, lowercased."""
    return token.strip("\"'\u201c\u201d\u2018\u2019()[],.;:!?").lower()


def is_word(token: str) -> bool:
    """Whether a token is a plain word, with no punctuation at all."""
    return token.isalpha()


def meaningful(token: str) -> bool:
    """Whether a token holds a negation, a hedge or a number."""
    return any(
        w in NEGATIONS or w in HEDGES or any(c.isdigit() for c in w) for w in words_of(token)
    )


def sentences(main_content: str) -> list[str]:
    """Split ground truth into sentences; a list marker ("- ", "* ") is stripped."""
    found: list[str] = []
    for raw in main_content.splitlines():
        line = raw.strip()
        if line.startswith(("- ", "* ")):
            line = line[2:].strip()
        start = 0
        for m in SENTENCE_END.finditer(line):
            last = line[start : m.start() + 1].split()[-1:]
            word = core(last[0]) if last else ""
            if line[m.start()] == "." and (
                word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())
            ):
                continue
            found.append(line[start : m.end()].strip())
            start = m.end()
        found.append(line[start:].strip())
    return [s for s in found if 6 <= len(s.split()) <= 60]


# ----------------------------------------------------------------------------- corpus


def occurs(needle: str, hay: str) -> bool:
    """Whether ``needle`` is in ``hay`` as a reader sees it: not glued to a word at either end.

    Extraction joins inline elements without a space ("3With" from a list counter); a sentence
    found only that way is an extraction gap, not the matcher's.
    """
    i = hay.find(needle)
    while i != -1:
        j = i + len(needle)
        glued_left = i > 0 and hay[i - 1].isalnum() and needle[0].isalnum()
        glued_right = j < len(hay) and hay[j].isalnum() and needle[-1].isalnum()
        if not glued_left and not glued_right:
            return True
        i = hay.find(needle, i + 1)
    return False


@dataclass(frozen=True)
class Page:
    """One corpus page, its extracted text and the true sentences found in that text."""

    page_id: str
    html: bytes
    text: Text
    hay: Normalized
    kept: tuple[str, ...]  # sentences of main_content that occur in the extracted text
    dropped: int  # sentences of main_content that do not
    words: frozenset[str]  # every word of the normalized text


def load_pages(corpus: Path, limit: int | None) -> tuple[list[Page], dict[int, list[str]]]:
    """The first ``limit`` pages of the corpus, and a vocabulary from all of its ground truth."""
    vocabulary: set[str] = set()
    pages: list[Page] = []
    paths = sorted(corpus.glob("*.json"))
    for i, path in enumerate(paths):
        main = json.loads(path.read_text(encoding="utf-8"))["main_content"]
        vocabulary.update(w for w in re.findall(r"\b[a-z]+\b", main) if 4 <= len(w) <= 12)
        if limit is not None and i >= limit:
            continue
        page_id = path.name.removesuffix(".json")
        html = gzip.decompress((corpus / f"{page_id}.html.gz").read_bytes())
        text = extract_text(html, CONTENT_TYPE)
        hay = normalize(text.text)
        candidates = list(dict.fromkeys(sentences(main)))
        kept = tuple(s for s in candidates if occurs(norm(s), hay.text))
        words = frozenset(re.findall(r"\w+", hay.text))
        pages.append(Page(page_id, html, text, hay, kept, len(candidates) - len(kept), words))
    by_length: dict[int, list[str]] = {}
    for word in sorted(vocabulary):
        by_length.setdefault(len(word), []).append(word)
    return pages, by_length


@contextlib.contextmanager
def serve(pages: list[Page]) -> Iterator[str]:
    """Serve every page at ``/<id>`` on a threaded loopback server; yield its base URL."""
    bodies = {f"/{p.page_id}": p.html for p in pages}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ----------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Context:
    """What a variant maker may use besides the sentence."""

    page: Page
    vocabulary: dict[int, list[str]]  # words of the corpus by length
    rng: random.Random


Maker = Callable[[list[str], Context], str | None]  # the sentence's tokens -> variant or None


def edges_safe(tokens: list[str], i: int, j: int) -> bool:
    """Whether tokens[i:j] leaves out no negation or hedge right beside it."""
    before = words_of(tokens[i - 1])[-1:] if i > 0 else []
    after = words_of(tokens[j])[:1] if j < len(tokens) else []
    return not any(w in NEGATIONS or w in HEDGES for w in before + after)


def fragment(tokens: list[str], rng: random.Random, mid_start: bool = False) -> tuple[int, int]:
    """A proper sub-span of >= 5 words that is safe at its edges, or (0, 0)."""
    n = len(tokens)
    for _ in range(30):
        size = rng.randint(5, n - 1) if n > 5 else 0
        if not size:
            return 0, 0
        i = rng.randint(1 if mid_start else 0, n - size)
        if edges_safe(tokens, i, i + size):
            return i, i + size
    return 0, 0


def make_exact(tokens: list[str], ctx: Context) -> str | None:
    """The sentence as it stands."""
    return " ".join(tokens)


def make_curly(tokens: list[str], ctx: Context) -> str | None:
    """Straight quote marks and apostrophes made curly, or curly ones straight."""
    s = " ".join(tokens)
    if re.search("[\"']", s):
        s = re.sub(r"(?<!\S)\"", "\u201c", s).replace('"', "\u201d")
        return re.sub(r"(?<!\S)'", "\u2018", s).replace("'", "\u2019")
    if re.search("[\u2018\u2019\u201c\u201d]", s):
        return s.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    return None


def make_dashes(tokens: list[str], ctx: Context) -> str | None:
    """A dash in another form or spacing, or a hyphen as U+2010 or U+2011."""
    s = " ".join(tokens)
    spots = list(re.finditer(r"\s*[\u2013\u2014]\s*|\s+-\s+|(?<=\w)--(?=\w)", s))
    if spots:
        m = ctx.rng.choice(spots)
        form = ctx.rng.choice([f for f in DASH_FORMS if f != m.group()])
        return s[: m.start()] + form + s[m.end() :]
    hyphens = list(re.finditer(r"(?<=\w)-(?=\w)", s))
    if hyphens:
        m = ctx.rng.choice(hyphens)
        return s[: m.start()] + ctx.rng.choice("\u2010\u2011") + s[m.end() :]
    return None


def make_spaces(tokens: list[str], ctx: Context) -> str | None:
    """Two spaces between words made no-break, thin, narrow no-break or double."""
    gaps = [" "] * (len(tokens) - 1)
    for k in ctx.rng.sample(range(len(gaps)), 2):
        gaps[k] = ctx.rng.choice(ODD_SPACES)
    return tokens[0] + "".join(g + t for g, t in zip(gaps, tokens[1:], strict=True))


def make_case(tokens: list[str], ctx: Context) -> str | None:
    """``[t]he``-style case change of the first letter, a silently lowered first letter, or
    ``[T]he`` on a fragment that starts mid-sentence."""
    first = tokens[0]
    options: list[str] = []
    if first[:1].isupper() and not re.match(r"I\b", first):  # "I" is never lowercased
        options.append(f"[{first[0].lower()}]{first[1:]} " + " ".join(tokens[1:]))
        options.append(first[0].lower() + first[1:] + " " + " ".join(tokens[1:]))
    i, j = fragment(tokens, ctx.rng, mid_start=True)
    if j and tokens[i][:1].islower():
        head = f"[{tokens[i][0].upper()}]{tokens[i][1:]}"
        options.append(" ".join([head, *tokens[i + 1 : j]]))
    return ctx.rng.choice(options) if options else None


def make_fragment(tokens: list[str], ctx: Context) -> str | None:
    """A contiguous run of >= 5 of the sentence's words."""
    i, j = fragment(tokens, ctx.rng)
    return " ".join(tokens[i:j]) if j else None


def make_trailing_punct(tokens: list[str], ctx: Context) -> str | None:
    """The final ``.``, ``!`` or ``?`` dropped, or a period added."""
    s = " ".join(tokens)
    m = re.search(r"[.!?](?=[\"'\u201d\u2019]*$)", s)
    return s[: m.start()] + s[m.end() :] if m else s + "."


def omission(tokens: list[str], rng: random.Random, hide: bool) -> tuple[int, int]:
    """Words to leave out from the middle: 2-8 harmless ones, or 1-3 around a negation."""
    n = len(tokens)
    if hide:
        spots = [k for k in range(2, n - 2) if {"not", "never"} & set(words_of(tokens[k]))]
        if not spots:
            return 0, 0
        k = rng.choice(spots)
        a = max(2, k - rng.randint(0, 1))
        return a, min(n - 2, k + 1 + rng.randint(0, 1))
    for _ in range(30):
        size = rng.randint(2, 8)
        if n - 4 < size:
            return 0, 0
        a = rng.randint(2, n - 2 - size)
        left_out = tokens[a : a + size]
        ends_sentence = any(re.search(r"[!?]|\.[\"'\u201d\u2019]", t) for t in left_out)
        if not ends_sentence and not any(meaningful(t) for t in left_out):
            return a, a + size
    return 0, 0


def make_ellipsis_middle(tokens: list[str], ctx: Context) -> str | None:
    """2-8 words left out from the middle, with no negation, hedge or number among them."""
    a, b = omission(tokens, ctx.rng, hide=False)
    if not b:
        return None
    return " ".join(tokens[:a]) + ctx.rng.choice(ELLIPSES) + " ".join(tokens[b:])


def make_bracket(tokens: list[str], ctx: Context) -> str | None:
    """A leading pronoun, or 1-3 plain words, replaced by ``[the company]`` and the like."""
    phrase = ctx.rng.choice(BRACKET_PHRASES)
    if core(tokens[0]) in PRONOUNS and is_word(tokens[0]):
        return " ".join([phrase, *tokens[1:]])
    for _ in range(20):
        size = ctx.rng.randint(1, 3)
        a = ctx.rng.randint(1, len(tokens) - 1 - size)
        replaced = tokens[a : a + size]
        if all(is_word(t) and not meaningful(t) for t in replaced):
            return " ".join([*tokens[:a], phrase, *tokens[a + size :]])
    return None


def make_sic(tokens: list[str], ctx: Context) -> str | None:
    """``[sic]`` after a word."""
    k = ctx.rng.randint(0, len(tokens) - 2)
    return " ".join([*tokens[: k + 1], "[sic]", *tokens[k + 1 :]])


def make_lead_trail_ellipsis(tokens: list[str], ctx: Context) -> str | None:
    """A fragment with an ellipsis where it starts or ends mid-sentence."""
    i, j = fragment(tokens, ctx.rng)
    if not j:
        return None
    mark = ctx.rng.choice(ELLIPSES).strip()
    body = " ".join(tokens[i:j])
    if i > 0 and (j == len(tokens) or ctx.rng.random() < 0.5):
        return f"{mark} {body}"
    return f"{body} {mark}" if j < len(tokens) else None


def make_entities(tokens: list[str], ctx: Context) -> str | None:
    """An apostrophe written as an HTML character reference."""
    s = " ".join(tokens)
    spots = list(re.finditer(r"(?<=\w)['\u2019](?=\w)", s))
    if not spots:
        return None
    m = ctx.rng.choice(spots)
    return s[: m.start()] + ctx.rng.choice(ENTITIES) + s[m.end() :]


def make_negation_added(tokens: list[str], ctx: Context) -> str | None:
    """``not`` after an auxiliary verb (``is`` -> ``is not``)."""
    spots = [
        k
        for k in range(len(tokens) - 1)
        if tokens[k].lower() in AUXILIARIES
        and not NEGATIONS & set(words_of(tokens[k + 1]))
        and core(tokens[k + 1]) != "to"
    ]
    if not spots:
        return None
    k = ctx.rng.choice(spots)
    return " ".join([*tokens[: k + 1], "not", *tokens[k + 1 :]])


def make_negation_removed(tokens: list[str], ctx: Context) -> str | None:
    """A ``not``, ``never`` or ``no`` dropped, or ``isn't`` made ``is``."""
    spots: list[tuple[int, str | None]] = []
    for k, t in enumerate(tokens):
        if core(t) in ("not", "never", "no") and is_word(t):
            spots.append((k, None))
        m = re.fullmatch(r"(?i)(\w+?)(n['\u2019]t|not)", t)
        if m and m.group(1).lower() in AUXILIARIES | {"ca", "wo"}:
            stem = {"ca": "can", "wo": "will"}.get(m.group(1).lower(), m.group(1))
            spots.append((k, stem))
    if not spots:
        return None
    k, kept = ctx.rng.choice(spots)
    return " ".join([*tokens[:k], *([kept] if kept else []), *tokens[k + 1 :]])


def make_number_changed(tokens: list[str], ctx: Context) -> str | None:
    """One digit changed."""
    s = " ".join(tokens)
    digits = [m.start() for m in re.finditer(r"\d", s)]
    if not digits:
        return None
    at = ctx.rng.choice(digits)
    old = int(s[at])
    leading = at == 0 or not s[at - 1].isdigit()
    choices = [d for d in range(10) if d != old and not (leading and d == 0)]
    return s[:at] + str(ctx.rng.choice(choices)) + s[at + 1 :]


def replace_word(token: str, new: str) -> str:
    """``token`` with its word replaced by ``new``, keeping its punctuation and capital."""
    word = core(token)
    start = token.lower().index(word)
    new = new.capitalize() if token[start].isupper() else new
    return token[:start] + new + token[start + len(word) :]


def make_antonym(tokens: list[str], ctx: Context) -> str | None:
    """A word swapped for its antonym."""
    spots = [k for k, t in enumerate(tokens) if core(t) in ANTONYMS]
    if not spots:
        return None
    k = ctx.rng.choice(spots)
    return " ".join(
        [*tokens[:k], replace_word(tokens[k], ANTONYMS[core(tokens[k])]), *tokens[k + 1 :]]
    )


def make_word_swapped(tokens: list[str], ctx: Context) -> str | None:
    """A content word swapped for a word of about its length that the page never uses."""
    spots = [
        k
        for k, t in enumerate(tokens)
        if len(core(t)) >= 4 and core(t).isalpha() and core(t) not in STOPWORDS | HEDGES
    ]
    if not spots:
        return None
    k = ctx.rng.choice(spots)
    size = len(core(tokens[k]))
    fits = [
        w
        for n in (size - 1, size, size + 1)
        for w in ctx.vocabulary.get(n, ())
        if w not in ctx.page.words
    ]
    if not fits:
        return None
    return " ".join([*tokens[:k], replace_word(tokens[k], ctx.rng.choice(fits)), *tokens[k + 1 :]])


def make_qualifier_dropped(tokens: list[str], ctx: Context) -> str | None:
    """A hedge (``allegedly``, ``only``, ...) dropped."""
    spots = [k for k, t in enumerate(tokens) if is_word(t) and t.lower() in DROPPABLE_QUALIFIERS]
    if not spots:
        return None
    k = ctx.rng.choice(spots)
    return " ".join(tokens[:k] + tokens[k + 1 :])


def make_splice(tokens: list[str], ctx: Context) -> str | None:
    """The first half of the sentence joined to the second half of another one."""
    others = [s for s in ctx.page.kept if s.split() != tokens]
    if not others:
        return None
    other = ctx.rng.choice(others).split()
    return " ".join(tokens[: len(tokens) // 2] + other[len(other) // 2 :])


def make_ellipsis_hides_negation(tokens: list[str], ctx: Context) -> str | None:
    """An ellipsis in place of a ``not`` or ``never`` and a word beside it."""
    a, b = omission(tokens, ctx.rng, hide=True)
    if not b:
        return None
    return " ".join(tokens[:a]) + ctx.rng.choice(ELLIPSES) + " ".join(tokens[b:])


def make_two_words_swapped(tokens: list[str], ctx: Context) -> str | None:
    """Two different adjacent words transposed."""
    spots = [
        k
        for k in range(1, len(tokens) - 1)
        if is_word(tokens[k])
        and is_word(tokens[k + 1])
        and tokens[k].lower() != tokens[k + 1].lower()
    ]
    if not spots:
        return None
    k = ctx.rng.choice(spots)
    return " ".join([*tokens[:k], tokens[k + 1], tokens[k], *tokens[k + 2 :]])


MUST_VERIFY: dict[str, Maker] = {
    "exact": make_exact,
    "curly": make_curly,
    "dashes": make_dashes,
    "spaces": make_spaces,
    "case": make_case,
    "fragment": make_fragment,
    "trailing-punct": make_trailing_punct,
    "ellipsis-middle": make_ellipsis_middle,
    "bracket": make_bracket,
    "sic": make_sic,
    "lead-trail-ellipsis": make_lead_trail_ellipsis,
    "entities": make_entities,
}
MUST_NOT: dict[str, Maker] = {
    "negation-added": make_negation_added,
    "negation-removed": make_negation_removed,
    "number-changed": make_number_changed,
    "antonym": make_antonym,
    "word-swapped": make_word_swapped,
    "qualifier-dropped": make_qualifier_dropped,
    "splice": make_splice,
    "ellipsis-hides-negation": make_ellipsis_hides_negation,
    "two-words-swapped": make_two_words_swapped,
}


@dataclass(frozen=True)
class Variant:
    """A quote to check, how it was made, and from which true sentence."""

    page_id: str
    kind: str
    faithful: bool  # must verify
    text: str
    sentence: str


def bare(quote: str) -> str:
    """A normalized quote without its surrounding quote marks and final punctuation."""
    return norm(quote).strip().lstrip("'").rstrip("'.,;:!?").strip()


def make_variants(
    page: Page, vocabulary: dict[int, list[str]], seed: int, per_page: int
) -> tuple[list[Variant], int]:
    """Every applicable variant of ``per_page`` true quotes of a page, chosen at random, and
    how many misquotes were dropped because the page says them too."""
    rng = random.Random(f"{seed}:{page.page_id}")
    chosen = rng.sample(page.kept, min(per_page, len(page.kept)))
    ctx = Context(page, vocabulary, rng)
    out: list[Variant] = []
    said = 0
    for sentence in chosen:
        tokens = sentence.split()
        for makers, faithful in ((MUST_VERIFY, True), (MUST_NOT, False)):
            for kind, make in makers.items():
                text = make(tokens, ctx)
                if text is None:
                    continue
                if not faithful and bare(text) in page.hay.text:
                    said += 1  # the page says this too: no misquote
                    continue
                out.append(Variant(page.page_id, kind, faithful, text, sentence))
    return out, said


# ----------------------------------------------------------------------------- runs


async def run_pipeline(
    pages: list[Page], variants: list[Variant], base_url: str
) -> list[QuoteResult]:
    """Verify every variant through sourcecheck.verify; results in the order of ``variants``."""
    by_page: dict[str, list[int]] = {p.page_id: [] for p in pages}
    for i, v in enumerate(variants):
        by_page[v.page_id].append(i)
    sources = Sources(
        Path("accuracy-benchmark.yaml"),
        tuple(
            Source(pid, f"{base_url}/{pid}", None, tuple(QuoteIn(variants[i].text) for i in idx))
            for pid, idx in by_page.items()
        ),
    )
    fetch = FetchSettings(allow_private=True, max_concurrency=8, host_concurrency=8)
    # workers=None: as the command line runs it (worker processes from 32 sources up).
    report = await verify(sources, Options(fetch=fetch, use_archive=False, workers=None))
    # A source's results keep the order of its quotes; sources keep the order given.
    order = [i for idx in by_page.values() for i in idx]
    found = [q for result in report.results for q in result.quotes]
    results: list[QuoteResult | None] = [None] * len(variants)
    for i, q in zip(order, found, strict=True):
        results[i] = q
    return [q for q in results if q is not None]


def baseline_exact(v: Variant, page: Page) -> bool:
    """The normalized quote, stripped at its edges, is in the normalized page."""
    return bare(v.text) in page.hay.text


def baseline_partial(v: Variant, page: Page) -> bool:
    """rapidfuzz's partial_ratio of the stripped normalized quote against the page >= 90."""
    return fuzz.partial_ratio(bare(v.text), page.hay.text) >= 90


def pct(part: int, whole: int) -> str:
    """A share as a percentage, or a dash when there is nothing to share."""
    return f"{100 * part / whole:5.1f}%" if whole else "     -"


def print_table(
    variants: list[Variant], results: list[QuoteResult], base: dict[str, list[bool]]
) -> None:
    """Per kind: count, verdict shares, and each baseline's share verified."""
    header = f"{'kind':<24}{'n':>6}  {'verified':>8}  {'altered':>8}  {'not_fnd':>8}"
    header += "".join(f"  {name:>9}" for name in base)
    for faithful, title in (
        (True, "must verify: verified = recall"),
        (False, "must NOT verify: verified = false-verified rate"),
    ):
        print(f"\n{title}")
        print(header)
        kinds = MUST_VERIFY if faithful else MUST_NOT
        for kind in [*kinds, "ALL"]:
            idx = [
                i
                for i, v in enumerate(variants)
                if v.faithful == faithful and (kind == "ALL" or v.kind == kind)
            ]
            verdicts = Counter(results[i].verdict for i in idx)
            line = f"{kind:<24}{len(idx):>6}  {pct(verdicts[Verdict.VERIFIED], len(idx)):>8}"
            line += f"  {pct(verdicts[Verdict.ALTERED], len(idx)):>8}"
            line += f"  {pct(verdicts[Verdict.NOT_FOUND], len(idx)):>8}"
            for hits in base.values():
                line += f"  {pct(sum(hits[i] for i in idx), len(idx)):>9}"
            if verdicts[Verdict.UNAVAILABLE]:
                line += f"  ({verdicts[Verdict.UNAVAILABLE]} unavailable)"
            print(line)


def show_failures(variants: list[Variant], results: list[QuoteResult], k: int) -> None:
    """Up to k examples per kind of a faithful variant not verified or a misquote verified."""
    failures: dict[str, list[tuple[Variant, QuoteResult]]] = {}
    for v, r in zip(variants, results, strict=True):
        if (r.verdict is not Verdict.VERIFIED) == v.faithful:
            failures.setdefault(v.kind, []).append((v, r))
    for kind in [*MUST_VERIFY, *MUST_NOT]:
        found = failures.get(kind, [])
        if not found:
            continue
        what = "not verified" if kind in MUST_VERIFY else "verified"
        print(f"\n--- {kind}: {len(found)} {what}")
        for v, r in found[:k]:
            print(f"[{v.page_id}] quote:    {v.text!r}")
            print(f"         sentence: {v.sentence!r}")
            if v.faithful:
                reason = r.match.reason if r.match else None
                print(f"         verdict:  {r.verdict.value}; reason: {reason}")
            else:
                print(f"         passage:  {r.match.passage if r.match else None!r}")


# ----------------------------------------------------------------------------- matcher timing


def padded(pages: list[Page], size: int) -> Text:
    """Extracted texts joined, page after page (again from the first if need be), cut to size."""
    parts: list[str] = []
    total = 0
    k = 0
    while total < size:
        parts.append(pages[k % len(pages)].text.text)
        total += len(parts[-1]) + 1
        k += 1
    joined = "\n".join(parts)
    cut = joined.rfind("\n", 0, size)
    return Text(joined[: cut if cut > 0 else size])


def per_item(fn: Callable[[str], object], items: list[str], repeat: int = 3) -> float:
    """The best of ``repeat`` wall times of ``fn`` over ``items``, per item, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / max(1, len(items))


def time_matcher(pages: list[Page], vocabulary: dict[int, list[str]], seed: int) -> None:
    """Time match_quote's exact and approximate paths against str.find on padded texts."""
    rng = random.Random(seed)
    print("\nmatcher alone (best of 3; the text is normalized once, as verify does per page)")
    print(
        f"{'text':>8}  {'normalize':>10}  {'exact: match_quote':>19}  {'str.find':>9}"
        f"  {'approx: match_quote':>20}  {'per MB':>10}  quotes"
    )
    for size in (10_000, 100_000, 1_000_000):
        text = padded(pages, size)
        start = time.perf_counter()
        hay = normalize(text.text)
        t_norm = time.perf_counter() - start
        present = [s for p in pages for s in p.kept if norm(s) in hay.text]
        exact = rng.sample(present, min(30, len(present)))
        ctx = Context(pages[0], vocabulary, rng)
        swapped = [make_word_swapped(s.split(), ctx) for s in exact[:10]]
        approx = [
            q for q in swapped if q and match_quote(q, text, hay).verdict is not Verdict.VERIFIED
        ]
        match = functools.partial(match_quote, text=text, hay=hay)
        t_exact = per_item(match, exact)
        t_find = per_item(hay.text.find, [norm(q) for q in exact])
        t_approx = per_item(match, approx)
        mb = len(text.text) / 1e6
        print(
            f"{len(text.text) / 1000:>6.0f}KB  {t_norm * 1e3:>8.1f}ms  {t_exact * 1e6:>17.0f}us"
            f"  {t_find * 1e6:>7.1f}us  {t_approx * 1e3:>18.2f}ms  {t_approx * 1e3 / mb:>5.1f}ms/MB"
            f"  {len(exact)} exact, {len(approx)} approx"
        )


# ----------------------------------------------------------------------------- main


def main() -> None:
    """Parse arguments, build the variants, verify them, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=None, help="first N pages (default: all)")
    parser.add_argument("--per-page", type=int, default=5, help="true quotes per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-failures", type=int, default=0, metavar="K")
    args = parser.parse_args()

    pages, vocabulary = load_pages(args.corpus, args.pages)
    if not pages:
        sys.exit(f"no pages in {args.corpus}")
    candidates = sum(len(p.kept) + p.dropped for p in pages)
    dropped = sum(p.dropped for p in pages)
    print(
        f"corpus {args.corpus}: {len(pages)} pages, {candidates} sentences of 6-60 words; "
        f"{dropped} ({pct(dropped, candidates).strip()}) not in the extracted text as read, dropped"
    )
    variants: list[Variant] = []
    said = 0
    for page in pages:
        made, dropped_here = make_variants(page, vocabulary, args.seed, args.per_page)
        variants += made
        said += dropped_here
    true_quotes = len({(v.page_id, v.sentence) for v in variants})
    counts = Counter(v.kind for v in variants)
    print(
        f"{true_quotes} true quotes (seed {args.seed}), {len(variants)} variants "
        f"({said} misquotes dropped: the page says them too):"
    )
    print("  " + ", ".join(f"{k} {counts[k]}" for k in [*MUST_VERIFY, *MUST_NOT]))

    with serve(pages) as base_url:
        start = time.perf_counter()
        results = asyncio.run(run_pipeline(pages, variants, base_url))
        wall = time.perf_counter() - start
    by_id = {p.page_id: p for p in pages}
    base = {
        "exact": [baseline_exact(v, by_id[v.page_id]) for v in variants],
        "partial90": [baseline_partial(v, by_id[v.page_id]) for v in variants],
    }
    print_table(variants, results, base)
    print(
        f"\nverify: {wall:.1f} s wall for {len(pages)} pages and {len(variants)} quotes: "
        f"{len(pages) / wall:.1f} pages/s, {len(variants) / wall:.0f} quotes/s"
    )
    if args.show_failures:
        show_failures(variants, results, args.show_failures)
    time_matcher(pages, vocabulary, args.seed)


if __name__ == "__main__":
    main()
