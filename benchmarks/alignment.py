"""Compare ways to find the passage of a page closest to an altered quote.

Run by hand from the repository root, with the project's virtualenv (``pip install edlib``
for the edlib methods; they are skipped with a note when it is missing):

    python benchmarks/alignment.py --corpus ../shared/corpus/wcxb-dev [--pages N] [--seed S]

The corpus (default: ``<repo>/../shared/corpus/wcxb-dev``) holds ``<id>.html.gz`` pages and
``<id>.json`` ground truth (``{"url", "title", "main_content"}``). It is third-party
CC-BY-4.0 content ("WCXB v1.0, dev split"): it is read in place and never copied.

Each page's text is ``extract_text`` then ``normalize``. Quotes are ``--sentences`` sentences
a page of ``main_content`` (6-60 words, normalized) found exactly once in that text, altered:
one word replaced, one word deleted, two words inserted, a digit changed, a quarter of the
words replaced, or the first half spliced to the second half of another sentence of the page.
As negatives, sentences of other pages are searched for too (``unrelated``).

Methods, each returning a span of the page text and a score in [0, 1]:

- ``rf-partial``: ``rapidfuzz.fuzz.partial_ratio_alignment`` on str (what match.py uses);
- ``edlib-bytes``: ``edlib.align(mode="HW", task="locations")`` on UTF-8 bytes, the widest
  of the best locations, byte offsets mapped back to characters; score
  ``1 - distance / len(quote bytes)``;
- ``edlib-str``: the same on str, to compare;
- ``edlib-words``: the same on words, each word coded as one byte (a shared vocabulary, code
  = id mod 256); score ``1 - distance / words``;
- ``rf-windows``: ``rapidfuzz.process.extractOne`` with ``fuzz.ratio`` over every window of
  the page as many words long as the quote;
- ``difflib``: ``difflib.SequenceMatcher`` ratio over the same windows, on word lists; slow,
  so run on ``--slow-quotes`` quotes of page size only.

A location is right when the span covers at least half of the true sentence (for a splice,
half of either spliced half). Times are per quote (``time.perf_counter``, garbage collection
off); per-page work (encoding, word lists) is done once per text and not counted. Pages are
also padded to 100 KB and 1 MB of text with other pages' texts on both sides, for a sample of
``--padded-quotes`` quotes. 1 MB is 10**6 characters of text.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import gzip
import importlib
import json
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

from rapidfuzz import fuzz, process

from sourcecheck.extract import extract_text
from sourcecheck.match import normalize

edlib: ModuleType | None
try:
    edlib = importlib.import_module("edlib")  # no type stubs
except ImportError:
    edlib = None

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb-dev"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d\u2019])\s+|\n+")
WORD = re.compile(r"\w+")
KINDS = ("replace1", "delete1", "insert2", "number", "quarter", "splice")
SIZES = (("page", 0), ("100KB", 100_000), ("1MB", 1_000_000))
_CODES: dict[str, int] = {}


def code(word: str) -> int:
    """One byte for a word: its id in a vocabulary shared by pages and quotes, mod 256."""
    return _CODES.setdefault(word, len(_CODES) % 256)


@dataclass
class Hay:
    """A text to search and what the methods need of it, made once per text."""

    text: str
    data: bytes = b""
    words: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    codes: bytes = b""

    def __post_init__(self) -> None:
        self.data = self.text.encode()
        for m in WORD.finditer(self.text):
            self.words.append(m.group())
            self.starts.append(m.start())
            self.ends.append(m.end())
        self.codes = bytes(code(w) for w in self.words)

    def char_at(self, byte: int) -> int:
        if len(self.data) == len(self.text):
            return byte
        return len(self.data[:byte].decode("utf-8", "ignore"))


@dataclass(frozen=True)
class Quote:
    page: int
    kind: str
    text: str
    truth: tuple[tuple[int, int], ...]  # spans in the page text; empty for unrelated
    change: float  # share of the quote's words changed; -1 if not defined
    source: int = -1  # the page an unrelated sentence comes from


Span = tuple[int, int, float]
Locate = Callable[[str, Hay], Span]


def rf_partial(q: str, hay: Hay) -> Span:
    r = fuzz.partial_ratio_alignment(q, hay.text)
    return (r.dest_start, r.dest_end, r.score / 100) if r else (0, 0, 0.0)


def widest(locations: list[tuple[int, int]]) -> tuple[int, int]:
    """Of edlib's equally good (start, end inclusive) locations, the longest: with a word
    missing at the end of a quote, stopping before or after the source's extra word ties."""
    return max(locations, key=lambda se: se[1] - se[0])


def edlib_bytes(q: str, hay: Hay) -> Span:
    assert edlib is not None
    qb = q.encode()
    r = edlib.align(qb, hay.data, mode="HW", task="locations")
    s, e = widest(r["locations"])
    return hay.char_at(s), hay.char_at(e + 1), 1 - r["editDistance"] / len(qb)


def edlib_str(q: str, hay: Hay) -> Span:
    assert edlib is not None
    r = edlib.align(q, hay.text, mode="HW", task="locations")
    s, e = widest(r["locations"])
    return s, e + 1, 1 - r["editDistance"] / len(q)


def edlib_words(q: str, hay: Hay) -> Span:
    assert edlib is not None
    qc = bytes(code(w) for w in WORD.findall(q))
    r = edlib.align(qc, hay.codes, mode="HW", task="locations")
    s, e = widest(r["locations"])
    return hay.starts[s], hay.ends[max(s, e)], 1 - r["editDistance"] / len(qc)


def rf_windows(q: str, hay: Hay) -> Span:
    n = min(len(WORD.findall(q)), len(hay.words))
    st, en, t = hay.starts, hay.ends, hay.text
    windows = [t[st[i] : en[i + n - 1]] for i in range(len(st) - n + 1)]
    found = process.extractOne(q, windows, scorer=fuzz.ratio)
    assert found is not None
    return st[found[2]], en[found[2] + n - 1], found[1] / 100


def difflib_words(q: str, hay: Hay) -> Span:
    qw = WORD.findall(q)
    n = min(len(qw), len(hay.words))
    sm = SequenceMatcher(autojunk=False)
    sm.set_seq2(qw)
    best, at = -1.0, 0
    for i in range(len(hay.words) - n + 1):
        sm.set_seq1(hay.words[i : i + n])
        if sm.real_quick_ratio() > best and sm.quick_ratio() > best and sm.ratio() > best:
            best, at = sm.ratio(), i
    return hay.starts[at], hay.ends[at + n - 1], best


def sentences(main_content: str, hay: str) -> list[tuple[int, str]]:
    """Normalized sentences of 6-60 words found exactly once in ``hay``, with their offsets."""
    out = []
    for raw in SENTENCE_END.split(main_content):
        s = " ".join(normalize(raw).text.split())
        if 6 <= len(s.split()) <= 60 and hay.count(s) == 1:
            out.append((hay.index(s), s))
    return out


def alter(kind: str, words: list[str], pool: list[str], rng: random.Random) -> list[str] | None:
    w = list(words)

    def other(old: str) -> str:
        return next(x for x in iter(lambda: rng.choice(pool), None) if x != old)

    if kind == "replace1":
        i = rng.randrange(len(w))
        w[i] = other(w[i])
    elif kind == "delete1":
        del w[rng.randrange(len(w))]
    elif kind == "insert2":
        i = rng.randrange(len(w) + 1)
        w[i:i] = [rng.choice(pool), rng.choice(pool)]
    elif kind == "number":
        at = [(i, j) for i, x in enumerate(w) for j, c in enumerate(x) if c.isdigit()]
        if not at:
            return None
        i, j = rng.choice(at)
        digit = rng.choice([d for d in "0123456789" if d != w[i][j]])
        w[i] = w[i][:j] + digit + w[i][j + 1 :]
    elif kind == "quarter":
        for i in rng.sample(range(len(w)), max(1, round(len(w) / 4))):
            w[i] = other(w[i])
    return w


def make_quotes(
    page: int,
    sents: list[tuple[int, str]],
    unrelated: Callable[[], tuple[int, str]],
    pool: list[str],
    rng: random.Random,
) -> list[Quote]:
    quotes = []
    for k, (at, s) in enumerate(sents):
        words = s.split()
        for kind in KINDS[:-1]:
            new = alter(kind, words, pool, rng)
            if new is not None:
                edits = {"delete1": 1, "insert2": 2, "quarter": round(len(words) / 4)}
                change = edits.get(kind, 1) / len(words)
                quotes.append(Quote(page, kind, " ".join(new), ((at, at + len(s)),), change))
        if len(sents) > 1:
            at2, s2 = sents[(k + rng.randrange(1, len(sents))) % len(sents)]
            head, tail = words[: len(words) // 2], s2.split()[len(s2.split()) // 2 :]
            h, t = " ".join(head), " ".join(tail)
            truth = ((at, at + len(h)), (at2 + len(s2) - len(t), at2 + len(s2)))
            quotes.append(Quote(page, "splice", f"{h} {t}", truth, -1.0))
        source, text = unrelated()
        quotes.append(Quote(page, "unrelated", text, (), -1.0, source))
    return quotes


def pad(text: str, others: list[str], size: int, rng: random.Random) -> tuple[str, int]:
    """``text`` among other texts, ``size`` characters in all; and where ``text`` starts."""
    filler = " ".join(rng.sample(others, len(others)))
    need = max(0, size - len(text) - 2)
    while len(filler) < need:
        filler += " " + filler
    before = rng.randint(0, need)
    return f"{filler[:before]} {text} {filler[before:need]}", before + 1


@dataclass(frozen=True)
class Result:
    quote: Quote
    right: bool
    score: float
    seconds: float
    chars: int


def run(
    locate: Locate, quotes: list[Quote], hays: dict[int, tuple[Hay, int]]
) -> tuple[list[Result], int]:
    """The results of the quotes ``locate`` could search, and how many it failed on."""
    out, failed = [], 0
    gc.disable()
    try:
        for q in quotes:
            hay, shift = hays[q.page]
            t0 = time.perf_counter()
            try:
                s, e, score = locate(q.text, hay)
            except ValueError:  # edlib on str: more than 256 distinct characters
                failed += 1
                continue
            seconds = time.perf_counter() - t0
            right = any(min(e, b + shift) - max(s, a + shift) >= (b - a) / 2 for a, b in q.truth)
            out.append(Result(q, right, score, seconds, len(hay.text)))
    finally:
        gc.enable()
    return out, failed


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def auc(pos: list[float], neg: list[float]) -> float:
    neg = sorted(neg)
    wins = sum(bisect.bisect_left(neg, p) + bisect.bisect_right(neg, p) for p in pos)
    return wins / 2 / (len(pos) * len(neg)) if pos and neg else float("nan")


def spearman(x: list[float], y: list[float]) -> float:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=v.__getitem__)
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    return statistics.correlation(ranks(x), ranks(y)) if len(set(x)) > 1 else float("nan")


def report(size: str, name: str, res: list[Result], failed: int) -> tuple[str, str]:
    alt = [r for r in res if r.quote.kind != "unrelated"]
    neg = [r.score for r in res if r.quote.kind == "unrelated"]
    by = {k: [r for r in alt if r.quote.kind == k] for k in KINDS}
    acc = " ".join(
        f"{100 * sum(r.right for r in v) / len(v):5.1f}" if v else "    -" for v in by.values()
    )
    ms = [1000 * r.seconds for r in res]
    per_mb = statistics.fmean(1000 * r.seconds / (r.chars / 1e6) for r in res)
    right = 100 * sum(r.right for r in alt) / len(alt)
    loc = (
        f"{size:<6}{name:<13}{len(alt):>6} {right:5.1f} {acc} "
        f"{statistics.fmean(ms):8.2f} {pct(ms, 95):8.2f} {per_mb:9.1f} {failed:5}"
    )
    med = " ".join(
        f"{statistics.median(r.score for r in v):5.2f}" if v else "    -" for v in by.values()
    )
    scored = [r for r in alt if r.quote.change >= 0]
    rho = spearman([r.score for r in scored], [r.quote.change for r in scored])
    above = 100 * sum(r.score > max(neg) for r in alt) / len(alt)
    score = (
        f"{size:<6}{name:<13}{med} {pct(neg, 50):5.2f} {pct(neg, 99):5.2f} {max(neg):5.2f} "
        f"{auc([r.score for r in alt], neg):6.3f} {above:6.1f} {rho:6.2f}"
    )
    return loc, score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--pages", type=int, default=0, help="first N pages only (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sentences", type=int, default=20, help="sentences per page (0: all)")
    ap.add_argument("--padded-quotes", type=int, default=600, help="sample per padded size")
    ap.add_argument("--slow-quotes", type=int, default=300, help="sample for difflib")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    paths = sorted(args.corpus.glob("*.html.gz"))[: args.pages or None]
    texts, sents, contents = [], [], []
    for p in paths:
        text = extract_text(gzip.decompress(p.read_bytes()), "text/html; charset=utf-8").text
        texts.append(normalize(text).text)
        content = json.loads(p.with_name(p.name.replace(".html.gz", ".json")).read_text())
        found = sentences(content["main_content"], texts[-1])
        sents.append(rng.sample(found, min(args.sentences or len(found), len(found))))
        contents.append([s for _, s in sents[-1]])
    pool = sorted({w for ss in contents for s in ss for w in s.split() if w.isalpha()})
    quotes: list[Quote] = []
    everywhere = [(j, s) for j, c in enumerate(contents) for s in c]
    for i, ss in enumerate(sents):

        def unrelated(i: int = i) -> tuple[int, str]:
            while True:
                j, s = rng.choice(everywhere)
                if j != i and s not in texts[i]:
                    return j, s

        quotes += make_quotes(i, ss, unrelated, pool, rng)

    methods: list[tuple[str, Locate]] = [("rf-partial", rf_partial), ("rf-windows", rf_windows)]
    if edlib is not None:
        methods[1:1] = [("edlib-bytes", edlib_bytes), ("edlib-str", edlib_str)]
        methods.append(("edlib-words", edlib_words))
    edlib_version = version("edlib") if edlib is not None else "not installed: skipped"
    print(
        f"Python {platform.python_version()}, rapidfuzz {version('rapidfuzz')}, edlib "
        f"{edlib_version}, {platform.machine()}"
    )
    n_alt = sum(q.kind != "unrelated" for q in quotes)
    print(
        f"{len(paths)} pages, {sum(map(len, texts)) / 1e6:.2f} M chars of text, "
        f"{sum(map(len, sents))} sentences, {n_alt} altered quotes, "
        f"{len(quotes) - n_alt} unrelated; seed {args.seed}"
    )

    loc_rows, score_rows = [], []
    for size, chars in SIZES:
        if chars:
            sample = rng.sample(quotes, min(args.padded_quotes, len(quotes)))
            padded = {}
            for i in sorted({q.page for q in sample}):
                skip = {i} | {q.source for q in sample if q.page == i}
                others = [t for j, t in enumerate(texts) if j not in skip]
                text, shift = pad(texts[i], others, chars, rng)
                padded[i] = (Hay(text), shift)
            hays = padded
            # An unrelated sentence may still be in the padding, copied on another page.
            sample = [q for q in sample if q.source < 0 or q.text not in hays[q.page][0].text]
        else:
            t0 = time.perf_counter()
            _ = [t.encode() for t in texts]
            t1 = time.perf_counter()
            sample, hays = quotes, {i: (Hay(t), 0) for i, t in enumerate(texts)}
            t2, mb = time.perf_counter(), sum(map(len, texts)) / 1e6
            prep = (
                f"Once per text, not in the times above, ms/MB: UTF-8 encode "
                f"{1000 * (t1 - t0) / mb:.1f}; encode, word list and word codes "
                f"{1000 * (t2 - t1) / mb:.1f}"
            )
        todo = [*methods, ("difflib", difflib_words)] if not chars else methods
        for name, locate in todo:
            part = sample
            if name == "difflib":
                part = rng.sample(sample, min(args.slow_quotes, len(sample)))
            loc, score = report(size, name, *run(locate, part, hays))
            loc_rows.append(loc)
            score_rows.append(score)
            print(loc, file=sys.stderr, flush=True)
        hays.clear()

    kinds = " ".join(f"{k[:5]:>5}" for k in KINDS)
    print("\nLocation: % of altered quotes whose span covers >= 50% of the true sentence;")
    print("time per quote (altered and unrelated), ms; ms/MB = ms per 10**6 chars of text;")
    print("fail: quotes the method raised on (left out of every figure)")
    print(
        f"{'size':<6}{'method':<13}{'n':>6} {'all':>5} {kinds} {'mean':>8} {'p95':>8} "
        f"{'ms/MB':>9} {'fail':>5}"
    )
    print("\n".join(loc_rows))
    print(prep)
    print("\nScores: median per kind of alteration; unrelated sentences p50/p99/max; AUC of")
    print("altered vs unrelated; % altered above unrelated max; Spearman rho of score vs")
    print("share of words changed (splice left out)")
    print(
        f"{'size':<6}{'method':<13}{kinds} {'u-p50':>5} {'u-p99':>5} {'u-max':>5} "
        f"{'AUC':>6} {'>umax':>6} {'rho':>6}"
    )
    print("\n".join(score_rows))


if __name__ == "__main__":
    main()
