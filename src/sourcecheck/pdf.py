"""PDF bytes -> Text: the text of a PDF, page by page, one paragraph per line.

The text comes from PDFium (through pypdfium2), which orders characters into lines and marks a
hyphen that breaks a word at the end of a line. On PDFs typeset from real articles
(``benchmarks/pdf_extractors.py``) this module reads a page in 3 to 5 ms, PDFium's own pass
being about 2 ms, and verifies every known sentence of one- and two-column pages and 98.9 % of
hyphenated two-column pages. pypdf, pure Python, takes 10 to 19 ms a page and verifies 21 % of
the hyphenated pages (it keeps the hyphens and splits words with spaces); pdfminer.six takes 26
to 68 ms and verifies 74 % of fpdf2's two-column pages (it interleaves their lines).

PDFium gives lines, not paragraphs. A line break inside a paragraph is only where the type ran
out of room, so lines are joined again with spaces; a paragraph, a heading, a column or a page
starts a new line of the text, which the matcher reads as a block boundary. Where a paragraph
ends is read from the characters' boxes:

- a new *block* starts where the next line is not just below the last one: a wider gap than
  between the lines of a paragraph, a jump back up to the top of the next column, or no
  horizontal overlap;
- inside a block, a line ends its paragraph when the first word of the next line would have
  fitted after it: a typesetter breaks a line early only at the end of a paragraph;
- a sentence that plainly goes on (a full line without closing punctuation, then no capital,
  or after "the", "of", "and" ...) is joined across a column or a page.

Page numbers and running heads or feet (a one-line block above or below the paragraphs of a
page, found at the same height on another page with only its numbers changed) are left out, so
that a quote that runs across a page break still reads as one passage.

Known limits: a compound that breaks at its own hyphen ("evidence-" + "based") reads as one
word unless the document writes it hyphenated elsewhere, since nothing on the page tells it
from a hyphenated word (about 1 % of sentences in the benchmark); columns that a PDF draws line
by line across the page, rather than one after the other, read as interleaved lines.
"""

from __future__ import annotations

import itertools
import re
import statistics
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

# pypdfium2 ships no type information: its objects are Any here, and every value read from them
# is converted to a plain typed one at once.
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from .models import Text

NO_TEXT_LAYER: Final = "the PDF has no text layer (scanned?)"

# PDFium is not thread-safe, not even across documents (pypdfium2's documentation): one call at
# a time in the process.
_LOCK: Final = threading.Lock()

# PDFium writes a hyphen that breaks a word at a line end as U+FFFE (older builds: U+0002), with
# no line break after it; other line breaks are CRLF.
_HYPHEN_MARKS: Final = "\ufffe\x02"
_LINE_BREAK: Final = re.compile(r"\r\n|[\r\n\ufffe\x02]")

# Latin ligature characters, for text that PDFium has not already decomposed; control characters
# (some text layers hold them) read as spaces.
_CLEAN: Final = {
    **{c: " " for c in range(0x20)},
    **{c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)},
}

# Characters that open a list item, which starts a paragraph whatever the line before it.
_BULLETS: Final = frozenset("\u2022\u25e6\u25aa\u25ab\u2023\u2043\u25cf\u25cb\u25a0\u25a1\u00b7")

# Geometry, in units of a line's height (its font's ascent to descent). Lines of a paragraph are
# at most this far apart, baseline to baseline, or this share more than the usual spacing of the
# document's lines (double-spaced text).
_MAX_LEADING: Final = 1.5
_MAX_LEADING_OVER_TYPICAL: Final = 1.35
_SPACE: Final = 0.25  # the width of a word space
_INDENT: Final = 4.0  # the deepest first-line indent
_FULL: Final = 3.0  # a line this close to the right edge of its block is full
_MIN_COLUMN: Final = 0.4  # the narrowest column, as a share of the width of a page's text

# The end of a sentence, with any closing quote or bracket.
_CLOSED: Final = re.compile(r"[.!?:][\"'\u201d\u2019)\]]*$")
_WORD: Final = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LAST_WORD: Final = re.compile(r"[^\W\d_]+$")
_FIRST_WORD: Final = re.compile(r"[^\W\d_]+")
# Words that end no sentence and no heading: a line that ends in one goes on.
_DANGLING: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "into",
        "onto",
        "about",
        "than",
        "and",
        "or",
        "but",
        "nor",
        "as",
        "that",
        "whose",
        "which",
        "who",
    ]
)
_NUMBERED: Final = re.compile(r"[\d.]+[.)]?\s+(\w)")
# "12", "- 12 -", "Page 3 of 10", "iv": a page number alone on its line.
_PAGE_NUMBER: Final = re.compile(
    r"(?:page\s*)?[-\u2013\u2014(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-\u2013\u2014)\]]?"
    r"(?:\s*(?:of|/)\s*\d{1,4})?",
    re.IGNORECASE,
)


def pdf_text(body: bytes) -> Text | str:
    """The text of a PDF, pages separated by newlines, with the offset where each page starts.

    Lines of a paragraph are joined with spaces and words hyphenated at a line end are joined
    again; paragraphs, columns and pages are separated by newlines; page numbers and running
    heads are left out. A PDF that cannot be read gives the reason instead: it needs a
    password, it is damaged, or it has no text layer.
    """
    with _LOCK:
        try:
            doc = pdfium.PdfDocument(body)
        except pdfium.PdfiumError as exc:
            return _open_error(exc)
        try:
            pages = [_page_lines(doc, i) for i in range(len(doc))]
        except pdfium.PdfiumError as exc:
            return f"the PDF could not be read: {exc}"
        finally:
            doc.close()
    if not pages:
        return "the PDF has no pages"
    words = _Words(pages)
    typical = _line_spacing(pages)
    blocks = _drop_furniture([_blocks(lines, typical) for lines in pages])
    text = _join_pages([_paragraphs(page, words) for page in blocks], words)
    return text if text.text.strip() else NO_TEXT_LAYER


def _open_error(exc: Any) -> str:
    code = getattr(exc, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "the PDF is encrypted (it needs a password)"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "the PDF is encrypted with an unsupported security handler"
    return "the PDF is damaged or not a PDF"


# ----------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    """One line of a page as PDFium lays it out."""

    text: str  # whitespace collapsed, never empty
    hyphen: bool  # ends in a hyphen that breaks a word
    box: tuple[float, float, float, float] | None  # left, bottom, right, top; None if unknown
    first_word: float = 0.0  # the width of the line's first word

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1] if self.box else 0.0


def _page_lines(doc: Any, index: int) -> list[_Line]:
    page = doc[index]
    textpage = page.get_textpage()
    try:
        raw = str(textpage.get_text_range())
        if len(raw) == int(textpage.count_chars()):
            return _lines(raw, textpage)
        # The text does not map one to one onto PDFium's characters (characters beyond the Basic
        # Multilingual Plane, or ones PDFium leaves out): read the page in full Unicode and keep
        # its lines apart, since their boxes are unknown.
        return _lines(str(textpage.get_text_bounded()), None)
    finally:
        textpage.close()
        page.close()


def _lines(raw: str, textpage: Any) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    for brk in (*_LINE_BREAK.finditer(raw), None):
        end = brk.start() if brk else len(raw)
        hyphen = brk is not None and brk.group() in _HYPHEN_MARKS
        segment = raw[start:end]
        offset, start = start, brk.end() if brk else len(raw)
        text = " ".join(segment.translate(_CLEAN).split())
        if not text:
            if hyphen and lines:  # a hyphen alone on its line: it ends the line before
                lines[-1] = _Line(lines[-1].text, True, lines[-1].box, lines[-1].first_word)
            continue
        if textpage is None:
            lines.append(_Line(text, hyphen, None))
            continue
        first = offset + len(segment) - len(segment.lstrip())
        last = offset + len(segment.rstrip()) - 1
        space = segment.find(" ", first - offset)
        word_end = offset + space - 1 if space > 0 else last
        lines.append(_measure(text, hyphen, textpage, first, last, word_end))
    return lines


def _charbox(textpage: Any, index: int) -> tuple[float, float, float, float] | None:
    rect = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, rect):
        return None
    return float(rect.left), float(rect.bottom), float(rect.right), float(rect.top)


def _measure(text: str, hyphen: bool, textpage: Any, first: int, last: int, word_end: int) -> _Line:
    a = _charbox(textpage, first)
    b = _charbox(textpage, last)
    w = _charbox(textpage, word_end)
    if a is None or b is None or w is None:
        return _Line(text, hyphen, None)
    height = min(a[3] - a[1], b[3] - b[1])
    # A line that does not run left to right along the page (rotated text) has no usable box.
    if height <= 0 or abs((a[1] + a[3]) - (b[1] + b[3])) / 2 > height / 2 or b[2] < a[0]:
        return _Line(text, hyphen, None)
    box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
    return _Line(text, hyphen, box, max(0.0, w[2] - box[0]))


# ----------------------------------------------------------------------------- blocks


def _continues(prev: _Line, line: _Line, typical: float | None) -> bool:
    """Whether ``line`` is in the same block of text as ``prev``, the line before it."""
    if prev.box is None or line.box is None:
        return False
    pitch = prev.box[1] - line.box[1]
    height = max(prev.height, line.height)
    if pitch < 0.5 * height:
        return False  # beside or above: another column, a footnote mark, a new region
    limit = _MAX_LEADING * height
    if typical is not None:
        limit = max(limit, _MAX_LEADING_OVER_TYPICAL * typical)
    if pitch > limit:
        return False
    # Overlapping across the page, but for a first-line indent: a line that ends before the
    # line above starts is in the same column when the line above is indented.
    return line.box[0] < prev.box[2] and line.box[2] > prev.box[0] - _INDENT * height


def _line_spacing(pages: list[list[_Line]]) -> float | None:
    """The usual spacing of lines within a paragraph in the document, baseline to baseline.

    Taken low (the first quartile of the spacings of lines one below the other), since where
    paragraphs are short the gaps between them are as many as the spacings within them.
    """
    pitches = [
        a.box[1] - b.box[1]
        for lines in pages
        for a, b in itertools.pairwise(lines)
        if a.box and b.box and a.box[1] - b.box[1] > 0.5 * max(a.height, b.height)
    ]
    return statistics.quantiles(pitches, n=4)[0] if len(pitches) > 1 else None


def _blocks(lines: list[_Line], typical: float | None) -> list[list[_Line]]:
    """Lines grouped into blocks: runs of lines each just below the one before."""
    blocks: list[list[_Line]] = []
    for line in lines:
        if blocks and _continues(blocks[-1][-1], line, typical):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _edges(blocks: list[list[_Line]]) -> set[int]:
    """The blocks of a page that may be a running head or foot: one line, wholly above or below
    every paragraph of two or more lines and among the two outermost there (or, where that
    cannot be told, the first or the last block)."""
    body = [line.box for block in blocks if len(block) > 1 for line in block if line.box]
    alone = [(i, block[0].box) for i, block in enumerate(blocks) if len(block) == 1]
    if not body or any(box is None for _, box in alone):
        return {i for i, _ in alone if i in (0, len(blocks) - 1)}
    top = max(box[3] for box in body)
    bottom = min(box[1] for box in body)
    above = sorted((-box[1], i) for i, box in alone if box and box[1] >= top)
    below = sorted((box[3], i) for i, box in alone if box and box[3] <= bottom)
    return {i for _, i in above[:2] + below[:2]}


def _drop_furniture(pages: list[list[list[_Line]]]) -> list[list[list[_Line]]]:
    """The pages without page numbers and running heads: blocks at the head or foot of a page
    (``_edges``) that are a page number, or that another page has at the same height, numbers
    aside."""

    def key(block: list[_Line]) -> tuple[str, int | None]:
        box = block[0].box
        return re.sub(r"\d+", "#", block[0].text.lower()), round(box[1] / 4) if box else None

    edges = [_edges(blocks) for blocks in pages]
    seen = Counter(
        k for blocks, edge in zip(pages, edges, strict=True) for k in {key(blocks[i]) for i in edge}
    )
    return [
        [
            block
            for i, block in enumerate(blocks)
            if i not in edge or not (_PAGE_NUMBER.fullmatch(block[0].text) or seen[key(block)] > 1)
        ]
        for blocks, edge in zip(pages, edges, strict=True)
    ]


# ----------------------------------------------------------------------------- paragraphs


class _Words:
    """The words of a document, to tell how to join a word hyphenated at a line end; gathered
    on the first such word, since most PDFs of articles have none."""

    def __init__(self, pages: list[list[_Line]]) -> None:
        self._pages = pages
        self._plain: set[str] | None = None
        self._pairs: set[str] = set()  # "evidence-based" for each compound, part by part

    def _gather(self) -> set[str]:
        plain: set[str] = set()
        cut = False  # the line before ended in a hyphenated word
        for line in itertools.chain.from_iterable(self._pages):
            text = line.text.lower()
            words = _WORD.findall(text)
            kept = words[cut : len(words) - line.hyphen]
            plain.update(kept)  # a compound too: no joined word has a hyphen
            if "-" in text:
                for word in kept:
                    parts = word.split("-")
                    self._pairs.update(f"{a}-{b}" for a, b in itertools.pairwise(parts))
            cut = line.hyphen
        return plain

    def hyphen_stays(self, text: str, rest: str) -> bool:
        """Whether the hyphen stays between ``text``, which ended in a hyphen at a line end,
        and ``rest``, the next line.

        "man-" + "agement" is one word, but a compound may break at its own hyphen: the hyphen
        stays when the document writes the compound elsewhere ("evidence-based") and not the
        joined word, and before a capital ("anti-" + "American"), except in a word in capitals.
        """
        left, right = _LAST_WORD.search(text), _FIRST_WORD.match(rest)
        if left and right:
            a, b = left.group().lower(), right.group().lower()
            if self._plain is None:
                self._plain = self._gather()
            if a + b in self._plain:
                return False
            if f"{a}-{b}" in self._pairs:
                return True
        return not (rest[0].islower() or (rest[0].isupper() and text[-1:].isupper()))


@dataclass(frozen=True)
class _Page:
    paragraphs: tuple[str, ...]
    open: bool  # the last paragraph may go on at the top of the next page


def _fits(prev: _Line, line: _Line, right: float) -> bool:
    """Whether the first word of ``line`` would have fitted at the end of ``prev``."""
    return prev.box is not None and prev.box[2] + _SPACE * prev.height + line.first_word < right


def _right(block: list[_Line], page: list[_Line]) -> float:
    """The right edge of the column that ``block`` is in: the end of its longest line, or, for a
    line alone (the first of a paragraph at the foot of a page), of the longest line that
    starts where it does on the page."""
    if len(block) == 1 and block[0].box:
        x, height = block[0].box[0], block[0].height
        return max(line.box[2] for line in page if line.box and abs(line.box[0] - x) <= height)
    return max((line.box[2] for line in block if line.box), default=0.0)


def _open(line: _Line, right: float, width: float) -> bool:
    """Whether ``line``, the last of a block, may end mid-sentence at the end of a column or a
    page: a full line without a sentence's closing punctuation, not narrower than ``width``
    (a line centred alone is full in its own block, but no column)."""
    return (
        line.box is not None
        and line.box[2] >= right - _FULL * line.height
        and line.box[2] - line.box[0] >= width
        and not _CLOSED.search(line.text)
    )


def _goes_on_after(before: str, after: str) -> bool:
    """Whether ``after``, the text after a line that ended open, goes on with the sentence of
    ``before``: it starts with a lowercase letter, an opening bracket, a dash, or a number
    that numbers no heading ("1.2. Scope"), or ``before`` ends in a word no sentence ends in
    ("at the" + "University"). A capital alone may start a new paragraph."""
    if after[0] in _BULLETS:
        return False
    if after[0].isdigit():
        numbered = _NUMBERED.match(after)
        if not (numbered and numbered.group(1).isupper()):
            return True
    elif after[0].islower() or after[0] in "([{\u2013\u2014":
        return True
    last = _LAST_WORD.search(before)
    return last is not None and last.group().lower() in _DANGLING


def _goes_on(prev: _Line, line: _Line, right: float) -> bool:
    """Whether ``line``, just below ``prev`` in a block, goes on with its paragraph: it is no
    list item, and the line before did not end early."""
    return line.text[0] not in _BULLETS and prev.box is not None and not _fits(prev, line, right)


def _runs_on(prev: _Line, right: float, width: float, line: _Line) -> bool:
    """Whether ``line``, which starts a block (the next column), goes on with the paragraph
    ``prev`` ended the last block with, ``right`` being the right edge of that block.

    Only a sentence that plainly goes on is joined: elsewhere a newline costs nothing, since the
    sentence ends there anyway.
    """
    return (
        _goes_on_after(prev.text, line.text)
        and _open(prev, right, width)
        and not _fits(prev, line, right)
    )


def _paragraphs(blocks: list[list[_Line]], words: _Words) -> _Page:
    paragraphs: list[str] = []
    text = ""
    prev: _Line | None = None
    prev_right = right = 0.0
    page = [line for block in blocks for line in block]
    boxes = [line.box for line in page if line.box]
    # A column is at least this wide: a two-column page's are just under half of its text's
    # width.
    width = _MIN_COLUMN * (max(b[2] for b in boxes) - min(b[0] for b in boxes)) if boxes else 0.0
    for block in blocks:
        right = _right(block, page)
        for i, line in enumerate(block):
            if prev is None:
                text = line.text
            elif prev.hyphen:
                text += ("-" if words.hyphen_stays(text, line.text) else "") + line.text
            elif _goes_on(prev, line, right) if i else _runs_on(prev, prev_right, width, line):
                text += " " + line.text
            else:
                paragraphs.append(text)
                text = line.text
            prev = line
        prev_right = right
    if prev is None:
        return _Page((), False)
    paragraphs.append(text + "-" if prev.hyphen else text)
    return _Page(tuple(paragraphs), _open(prev, right, width))


def _join_pages(pages: list[_Page], words: _Words) -> Text:
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    open_end = False
    for page in pages:
        page_text = "\n".join(page.paragraphs)
        if not page_text:
            starts.append(length)  # an empty page holds no offset: it starts where the next does
            continue
        if parts:
            drop, sep = _page_break(parts[-1], page_text, open_end, words)
            parts[-1] = parts[-1][: len(parts[-1]) - drop]
            parts.append(sep)
            length += len(sep) - drop
        starts.append(length)
        parts.append(page_text)
        length += len(page_text)
        open_end = page.open
    return Text("".join(parts), kind="visible", pages=tuple(starts))


def _page_break(before: str, after: str, open_end: bool, words: _Words) -> tuple[int, str]:
    """How to join a page's text to the next page's: how many characters to drop from the end of
    ``before`` and what goes between. A newline, unless a sentence plainly goes on: a space, or
    nothing after a word hyphenated at the end of the page, whose hyphen is dropped as a line
    end's is (PDFium marks a hyphen at a line end only within a page).
    """
    if not (open_end and _goes_on_after(before, after)):
        return 0, "\n"
    if before.endswith("-") and before[-2:-1].isalpha():
        return (0, "") if words.hyphen_stays(before[:-1], after) else (1, "")
    return 0, " "
