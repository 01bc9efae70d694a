"""Compare PDF text extractors: speed, and how many known sentences verify in their text.

Run by hand from the repository root, with the project's virtualenv:

    python benchmarks/pdf_extractors.py --corpus ../shared/corpus/wcxb-dev

No PDFs are stored: they are typeset here from the articles of the corpus (``main_content`` of
``<id>.json``, third-party CC-BY-4.0, "WCXB v1.0, dev split", read in place), so the text of
every page is known. Three producers, each skipped with a note when missing:

- ``fpdf2-1col``: fpdf2, one justified column of DejaVu Serif 11 pt, a gap between paragraphs;
- ``fpdf2-2col``: the same in two columns;
- ``groff-2col``: GNU troff (``groff -ms -Tpdf``, Debian package ``groff``), two columns of
  Times 10 pt, justified and hyphenated as a typesetter does, with fi/fl ligatures and first-
  line indents instead of gaps between paragraphs: the nearest to a real report.

PDFs given with ``--pdf`` are timed too (their sentences are unknown).

Extractors, each from the PDF's bytes to a ``Text`` of the whole document:

- ``pypdfium2-raw``: ``PdfTextPage.get_text_range()`` of each page, CRLF to LF, as is (PDFium
  writes a hyphen that breaks a word at a line end as U+FFFE);
- ``pypdf``: ``PdfReader(...).pages[i].extract_text()``;
- ``pdfminer.six``: ``pdfminer.high_level.extract_text`` with default layout analysis;
- ``sourcecheck``: ``sourcecheck.pdf.pdf_text`` (PDFium, lines joined into paragraphs, hyphens
  joined, page numbers and running heads left out).

A known sentence is a sentence of ``main_content`` of at least 8 words (as in
``html_parsers.py``) made only of characters that every producer shows as themselves (Latin-1
and general punctuation, less a few that groff draws otherwise). It is *found* when
``sourcecheck.match.match_quote`` verifies it in the extractor's text, as a quote would be.
*split* is the share of found sentences whose passage holds a newline: a paragraph cut into
lines there, which the matcher reads as a block boundary (a sentence end).

Each PDF is timed with ``time.perf_counter`` over ``--repeat`` runs (garbage collection off
during a run) and the best run counts; ms/page is the sum of the best times over the pages. The
figures are printed only; nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb-dev"
MIN_WORDS = 8
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d\u2019])\s+")
# Latin-1 and General Punctuation (curly quotes, dashes, the ellipsis), which every producer here
# shows as themselves; but groff draws ASCII ^, ` and ~ as accents and has no U+2011.
SHOWN = re.compile(r"[\u0020-\u005d\u005f\u0061-\u007d\u00a0-\u00ff\u2010\u2012-\u2026]+")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))

src = str(REPO / "src")
if src not in sys.path:
    sys.path.insert(0, src)  # a src layout is not importable from a checkout until installed

from sourcecheck.match import match_quote  # noqa: E402
from sourcecheck.models import Text, Verdict  # noqa: E402

Extractor = Callable[[bytes], Text | str]


@dataclass(frozen=True)
class Article:
    article_id: str
    paragraphs: tuple[str, ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Pdf:
    producer: str
    name: str
    body: bytes
    pages: int
    sentences: tuple[str, ...]


def load_articles(corpus: Path, count: int) -> list[Article]:
    """The first ``count`` articles with at least one known sentence."""
    articles: list[Article] = []
    for path in sorted(corpus.glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))["main_content"]
        paragraphs = tuple(p.strip() for p in content.splitlines() if p.strip())
        sentences = tuple(
            " ".join(s.split())
            for p in paragraphs
            for s in SENTENCE_END.split(p)
            if len(s.split()) >= MIN_WORDS and SHOWN.fullmatch(s)
        )
        if sentences:
            articles.append(Article(path.stem, paragraphs, sentences))
        if len(articles) == count:
            break
    return articles


def find_font(name: str) -> Path | None:
    """A TrueType font file called ``name`` in the usual font folders, or None."""
    for folder in FONT_DIRS:
        found = next(Path(folder).rglob(name), None) if Path(folder).is_dir() else None
        if found:
            return found
    return None


def fpdf2_maker(columns: int) -> Callable[[Article], bytes] | None:
    """Typeset an article with fpdf2 in ``columns`` justified columns, if fpdf2 and a font are
    there."""
    try:
        from fpdf import FPDF
    except ImportError:
        print("note: skipping fpdf2 PDFs (fpdf2 is not installed)")
        return None
    font = find_font("DejaVuSerif.ttf")
    if font is None:
        print("note: skipping fpdf2 PDFs (no DejaVuSerif.ttf; Debian package fonts-dejavu-core)")
        return None

    def make(article: Article) -> bytes:
        pdf = FPDF()
        pdf.add_font("Serif", fname=str(font))
        pdf.set_font("Serif", size=11)
        pdf.add_page()
        with pdf.text_columns(ncols=columns, text_align="J", line_height=1.3) as cols:
            for paragraph in article.paragraphs:
                with cols.paragraph(bottom_margin=3) as par:
                    par.write(shown_only(paragraph))
        return bytes(pdf.output())

    return make


def shown_only(text: str) -> str:
    """``text`` without the characters the fonts cannot show."""
    return "".join(SHOWN.findall(text))


def groff_maker() -> Callable[[Article], bytes] | None:
    """Typeset an article with groff -ms in two columns, if groff can write PDF here."""
    groff = shutil.which("groff")
    if groff is None:
        print("note: skipping groff PDFs (groff is not installed)")
        return None
    probe = subprocess.run([groff, "-Tpdf"], input=b"x\n", capture_output=True, check=False)
    if probe.returncode != 0 or not probe.stdout.startswith(b"%PDF"):
        print("note: skipping groff PDFs (no PDF output device: Debian package groff)")
        return None

    def make(article: Article) -> bytes:
        source = ".nr PS 10\n.nr VS 12\n.2C\n" + "".join(
            ".PP\n" + _groff_escape(shown_only(p)) + "\n" for p in article.paragraphs
        )
        done = subprocess.run(
            [groff, "-k", "-ms", "-Tpdf"], input=source.encode(), capture_output=True, check=True
        )
        return done.stdout

    return make


def _groff_escape(text: str) -> str:
    text = text.replace("\\", "\\e")
    return "\\&" + text if text.startswith((".", "'")) else text


def page_count(body: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(body)
    try:
        return len(doc)
    finally:
        doc.close()


# ----------------------------------------------------------------------------- extractors


def pypdfium2_raw(body: bytes) -> Text | str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(body)
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n"))
            textpage.close()
            page.close()
    finally:
        doc.close()
    return Text("\n".join(pages))


def pypdf_text(body: bytes) -> Text | str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return Text("\n".join(page.extract_text() for page in reader.pages))


def pdfminer_text(body: bytes) -> Text | str:
    from pdfminer.high_level import extract_text

    return Text(extract_text(io.BytesIO(body)))


def sourcecheck_text(body: bytes) -> Text | str:
    from sourcecheck.pdf import pdf_text

    return pdf_text(body)


EXTRACTORS: dict[str, tuple[str, Extractor]] = {
    "pypdfium2-raw": ("pypdfium2", pypdfium2_raw),
    "pypdf": ("pypdf", pypdf_text),
    "pdfminer.six": ("pdfminer.six", pdfminer_text),
    "sourcecheck": ("pypdfium2", sourcecheck_text),
}


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def best_time(extract: Extractor, body: bytes, repeat: int) -> tuple[float, Text | str]:
    best = float("inf")
    out: Text | str = ""
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            out = extract(body)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, out


@dataclass
class Tally:
    pages: int = 0
    seconds: float = 0.0
    sentences: int = 0
    found: int = 0
    split: int = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=30, help="articles to typeset")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per PDF")
    parser.add_argument("--pdf", type=Path, nargs="*", default=[], help="more PDFs to time")
    parser.add_argument("--only", nargs="*", help="extractors to run (default: all installed)")
    parser.add_argument("--show-failures", type=int, default=0, metavar="N")
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}")
    extractors: dict[str, Extractor] = {}
    for name, (package, extract) in EXTRACTORS.items():
        if args.only and name not in args.only:
            continue
        found_version = package_version(package)
        if found_version is None:
            print(f"note: skipping {name} ({package} is not installed)")
            continue
        extractors[name] = extract
        print(f"{name}: {package} {found_version}")

    articles = load_articles(args.corpus, args.articles)
    makers = {
        "fpdf2-1col": fpdf2_maker(1),
        "fpdf2-2col": fpdf2_maker(2),
        "groff-2col": groff_maker(),
    }
    pdfs: list[Pdf] = []
    for producer, make in makers.items():
        if make is None:
            continue
        for article in articles:
            body = make(article)
            pdfs.append(
                Pdf(producer, article.article_id, body, page_count(body), article.sentences)
            )
    for path in args.pdf:
        body = path.read_bytes()
        pdfs.append(Pdf("--pdf", path.name, body, page_count(body), ()))
    print(
        f"{len(articles)} articles, {sum(len(a.sentences) for a in articles)} known sentences; "
        f"{len(pdfs)} PDFs, {sum(p.pages for p in pdfs)} pages\n"
    )

    tallies: dict[tuple[str, str], Tally] = {}
    failures: dict[str, list[str]] = {}
    for name, extract in extractors.items():
        for pdf in pdfs:
            seconds, out = best_time(extract, pdf.body, args.repeat)
            tally = tallies.setdefault((name, pdf.producer), Tally())
            tally.pages += pdf.pages
            tally.seconds += seconds
            if isinstance(out, str):
                print(f"note: {name} could not read {pdf.name}: {out}")
                continue
            for sentence in pdf.sentences:
                tally.sentences += 1
                match = match_quote(sentence, out)
                if match.verdict is Verdict.VERIFIED:
                    tally.found += 1
                    tally.split += "\n" in (match.passage or "").strip()
                else:
                    failures.setdefault(f"{name} {pdf.producer}", []).append(
                        f"{pdf.name}: {sentence!r} -> {match.verdict.value}: {match.passage!r}"
                    )

    header = ["extractor", "producer", "pages", "ms/page", "found", "split"]
    rows = [header]
    for (name, producer), t in tallies.items():
        found = f"{t.found / t.sentences:.1%} ({t.found}/{t.sentences})" if t.sentences else "-"
        split = f"{t.split / t.found:.1%}" if t.found else "-"
        rows.append(
            [name, producer, str(t.pages), f"{1000 * t.seconds / t.pages:.2f}", found, split]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if args.show_failures:
        for key, lines in failures.items():
            print(f"\n{key}: {len(lines)} not verified")
            for line in lines[: args.show_failures]:
                print("  " + line)


if __name__ == "__main__":
    main()
