"""Compare how fast HTML parsers turn a page into its visible text.

Run by hand from the repository root, with the project's virtualenv:

    python benchmarks/html_parsers.py --corpus ../shared/corpus/wcxb-dev

The corpus (default: ``<repo>/../shared/corpus/wcxb-dev``) holds ``<id>.html.gz``
pages and ``<id>.json`` ground truth (``{"url", "title", "main_content"}``). It is
third-party CC-BY-4.0 content ("WCXB v1.0, dev split"): it is read in place from
``../shared`` and never copied into the project.

Methods, each starting from the page's UTF-8 bytes (every page in the corpus is UTF-8,
as a ``charset`` in Content-Type would say):

- ``bs4+lxml`` and ``bs4+html.parser``: decode, ``BeautifulSoup(html, parser)``,
  decompose script/style/template/noscript/svg, then ``get_text("\\n")``;
- ``selectolax-lexbor``: ``LexborHTMLParser(bytes)``, ``strip_tags`` of the same tags,
  then the text of ``<body>`` joined with ``"\\n"``;
- ``sourcecheck``: ``sourcecheck.extract.extract_text(bytes, "text/html; charset=utf-8")``,
  skipped with a note when it cannot be imported.

All pages are decompressed into memory before any timing. Each page is timed with
``time.perf_counter`` over ``--repeat`` runs (garbage collection off during a run, as
``timeit`` does) and the best run counts. MB/s is total HTML bytes (10**6 per MB)
divided by the sum of the best times.

As a check that each method returns the page's text at all, the script prints the
fraction of ground-truth sentences (``main_content`` split into sentences of at least
8 words) found verbatim in the method's text, after collapsing whitespace, lowercasing
and straightening curly quotes on both sides. The figures are printed only; nothing
here fails on timing.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib
import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bs4 import BeautifulSoup
from selectolax.lexbor import LexborHTMLParser

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb-dev"
INVISIBLE = ["script", "style", "template", "noscript", "svg"]
MIN_WORDS = 8
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Split after ., ! or ?, optionally followed by a closing quote, then whitespace.
# Two lookbehinds because Python's must each have a fixed width.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'])\s+")

Extractor = Callable[[bytes], str]


@dataclass(frozen=True)
class Page:
    """One corpus page: its HTML bytes and its ground-truth sentences (normalized)."""

    page_id: str
    html: bytes
    sentences: tuple[str, ...]


def normalize(text: str) -> str:
    """Straighten curly quotes, lowercase and collapse all whitespace to one space."""
    return " ".join(text.translate(QUOTES).lower().split())


def sentences_of(main_content: str) -> tuple[str, ...]:
    """Split ground truth into normalized sentences of at least MIN_WORDS words."""
    found: list[str] = []
    for paragraph in main_content.translate(QUOTES).splitlines():
        for sentence in SENTENCE_END.split(paragraph):
            if len(sentence.split()) >= MIN_WORDS:
                found.append(normalize(sentence))
    return tuple(found)


def load_corpus(corpus: Path) -> list[Page]:
    """Decompress every page of the corpus into memory (outside any timing)."""
    pages: list[Page] = []
    for html_path in sorted(corpus.glob("*.html.gz")):
        page_id = html_path.name.removesuffix(".html.gz")
        truth = json.loads((corpus / f"{page_id}.json").read_text(encoding="utf-8"))
        html = gzip.decompress(html_path.read_bytes())
        pages.append(Page(page_id, html, sentences_of(truth["main_content"])))
    return pages


def bs4_text(parser: str) -> Extractor:
    """Visible text with BeautifulSoup and the given tree builder."""

    def extract(html: bytes) -> str:
        soup = BeautifulSoup(html.decode("utf-8"), parser)
        for tag in soup(INVISIBLE):
            tag.decompose()
        return soup.get_text("\n")

    return extract


def lexbor_text(html: bytes) -> str:
    """Visible text of <body> with selectolax's Lexbor backend."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(INVISIBLE)
    body = tree.body
    return "" if body is None else body.text(separator="\n")


def sourcecheck_extractor() -> Extractor | None:
    """The project's own extractor, or None when sourcecheck.extract is not there yet."""
    src = str(REPO / "src")
    if src not in sys.path:
        # A src layout is not importable from a checkout until installed; allow both.
        sys.path.insert(0, src)
    try:
        module = importlib.import_module("sourcecheck.extract")
        extract_text = module.extract_text
    except (ImportError, AttributeError) as error:
        print(f"note: skipping sourcecheck ({error})")
        return None

    def extract(html: bytes) -> str:
        result = extract_text(html, "text/html; charset=utf-8")
        # extract_text may return a str or a value (e.g. Text) carrying the text.
        text = result if isinstance(result, str) else getattr(result, "text", "")
        return text if isinstance(text, str) else ""

    return extract


def time_page(extract: Extractor, html: bytes, repeat: int) -> tuple[float, str]:
    """Best wall time in seconds over `repeat` runs, and the text of the last run."""
    best = float("inf")
    text = ""
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            text = extract(html)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, text


def found_count(page: Page, text: str) -> int:
    """How many of the page's ground-truth sentences occur verbatim in `text`."""
    haystack = normalize(text)
    return sum(sentence in haystack for sentence in page.sentences)


def run(name: str, extract: Extractor, pages: list[Page], repeat: int) -> list[str]:
    """Time one method over all pages; return its row of formatted figures."""
    times: list[float] = []
    found = 0
    for page in pages:
        seconds, text = time_page(extract, page.html, repeat)
        times.append(seconds)
        found += found_count(page, text)
    ms = [t * 1000 for t in times]
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94]
    megabytes = sum(len(page.html) for page in pages) / 1e6
    total_sentences = sum(len(page.sentences) for page in pages)
    return [
        name,
        str(len(pages)),
        f"{statistics.median(ms):.2f}",
        f"{statistics.fmean(ms):.2f}",
        f"{p95:.2f}",
        f"{megabytes / sum(times):.1f}",
        f"{found / total_sentences:.3f} ({found}/{total_sentences})",
    ]


def package_version(name: str) -> str:
    """Installed version of a distribution, or 'not installed'."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def print_table(rows: list[list[str]]) -> None:
    """Print rows as left-aligned columns under a header."""
    header = ["method", "pages", "median ms", "mean ms", "p95 ms", "MB/s", "sentences"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def main() -> None:
    """Parse arguments, load the corpus, time each method and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; best counts")
    args = parser.parse_args()

    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    # Through importlib because lxml ships no type stubs for mypy --strict.
    libxml2 = ".".join(map(str, importlib.import_module("lxml.etree").LIBXML_VERSION))
    print(f"beautifulsoup4 {package_version('beautifulsoup4')}")
    print(f"lxml {package_version('lxml')} (libxml2 {libxml2})")
    print(f"selectolax {package_version('selectolax')}")

    pages = load_corpus(args.corpus)
    megabytes = sum(len(page.html) for page in pages) / 1e6
    sentences = sum(len(page.sentences) for page in pages)
    if not pages:
        sys.exit(f"no *.html.gz pages in {args.corpus}")
    print(
        f"corpus {args.corpus}: {len(pages)} pages, {megabytes:.1f} MB of HTML, "
        f"{sentences} ground-truth sentences; best of {args.repeat} runs per page"
    )

    methods: dict[str, Extractor] = {
        "bs4+lxml": bs4_text("lxml"),
        "bs4+html.parser": bs4_text("html.parser"),
        "selectolax-lexbor": lexbor_text,
    }
    own = sourcecheck_extractor()
    if own is not None:
        methods["sourcecheck"] = own
    print()
    print_table([run(name, fn, pages, args.repeat) for name, fn in methods.items()])


if __name__ == "__main__":
    main()
