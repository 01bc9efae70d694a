"""An article file or URL -> Article: its quoted passages with positions, reference list and links.

Markdown, HTML and plain text are each read into the same blocks of text (paragraphs, block
quotes, headings, list items), every character keeping its offset in the file, so a quote found
in any of them can say its line and column. Quotes are then found on the blocks alike:

- pairs of quote marks of every common style (“…”, "…", ‘…’, «…», »…«, „…“, ‚…‘, 「…」), nested
  ones read as part of their outer quote, apostrophes (isn’t, workers’) never taken for marks;
- a quote running over several paragraphs (an opening mark on each, one closing mark at the end);
- HTML ``<q>``, Markdown ``>`` and HTML ``<blockquote>`` (a closing "— Name" line or ``<cite>``
  is the speaker, not the quote), and a paragraph set apart after "said:" or "claims that";
- an opening mark that is never closed is noted and skipped: the rest is read as if it were not
  there.

Quotes of one to three words (scare quotes, names, short titles) and titles introduced by
"titled" or "headlined" are kept apart as names and titles. Whom a quote is attributed to is
decided in ``attribution``.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .models import QuoteKind

# ----------------------------------------------------------------------------- blocks


@dataclass
class Block:
    """A block of an article's text; ``offsets[i]`` is where ``text[i]`` is in the file."""

    kind: str  # "p", "quote" (in a block quote), "credit" (a block quote's "— Name"), "h", "li"
    text: str = ""
    chars: list[str] = field(default_factory=list)  # the text while it is being read
    offsets: list[int] = field(default_factory=list)
    links: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, href)
    q_spans: list[tuple[int, int]] = field(default_factory=list)  # HTML <q> elements
    markers: list[tuple[int, str]] = field(default_factory=list)  # footnote marks (at, label)
    group: int = -1  # which block quote the block is in, if any
    level: int = 0  # a heading's level
    number: str | None = None  # a list item's number
    cite: str | None = None  # a block quote's cite="URL"


class _Builder:
    """Collects blocks, collapsing whitespace and keeping every kept character's offset."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.block: Block | None = None
        self.links: list[tuple[int, str]] = []  # open links: (start, href)
        self.q_open: list[int] = []

    def start(self, kind: str, **extra: object) -> None:
        self.end()
        self.block = Block(kind, **extra)  # type: ignore[arg-type]

    def add(self, text: str, at: int, exact: bool = True) -> None:
        """Append ``text`` whose first character is at offset ``at`` (each next one after it)."""
        if self.block is None:
            self.start("p")
        b = self.block
        assert b is not None
        for i, ch in enumerate(text):
            if ch.isspace() or ch == "\u00ad":
                if ch == "\u00ad" or not b.chars or b.chars[-1] == " ":
                    continue
                ch = " "
            b.chars.append(ch)
            b.offsets.append(at + i if exact else at)

    @property
    def here(self) -> int:
        return len(self.block.chars) if self.block else 0

    def end(self) -> None:
        b = self.block
        self.block = None
        if b is None:
            return
        while b.chars and b.chars[-1] == " ":
            b.chars.pop()
            b.offsets.pop()
        b.text, b.chars = "".join(b.chars), []
        if b.text:
            self.blocks.append(b)


# ----------------------------------------------------------------------------- HTML

_SKIP = {
    "script",
    "style",
    "template",
    "svg",
    "math",
    "noscript",
    "iframe",
    "object",
    "canvas",
    "head",
    "nav",
    "form",
    "button",
    "select",
    "textarea",
}
_CHROME = {"header", "footer", "aside"}  # a page's own, outside <article>/<main>: skipped
# Classes and ids of what is around an article, not in it: comments, sidebars, share buttons...
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:comments?|sidebar|share|sharing|social|related|newsletter|promo|advert|ads?|"
    r"subscribe|menu|breadcrumbs?|cookies?|footer|widget|navbar|masthead)(?:$|[\s_-])",
    re.I,
)
_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "dd",
    "dt",
    "figcaption",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "tr",
    "ul",
    "ol",
    "table",
    "figure",
    "address",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area", "col", "embed"}
_DATE_META = ("article:published_time", "datePublished", "date", "pubdate", "dc.date")


class _HTMLReader(HTMLParser):
    def __init__(self, source: str, base: int, out: _Builder) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.base = base
        self.out = out
        self.line_starts = _line_starts(source)
        self.stack: list[str] = []
        self.open: dict[str, int] = {}  # how many of each tag are open, to ask without a scan
        self.skipping = 0
        self.has_main = re.search(r"<(?:article|main)\b", source, re.I) is not None
        self.groups: list[int] = []
        self.group_count = 0
        self.cites: list[str | None] = []
        self.sup: list[str] | None = None
        self.title: list[str] | None = None
        self.page_title: str | None = None
        self.published: str | None = None
        self.list_numbers: list[int] = []

    def _at(self) -> int:
        line, col = self.getpos()
        return self.base + self.line_starts[line - 1] + col

    def _inside(self, *tags: str) -> bool:
        return any(self.open.get(t) for t in tags)

    def _new_block(self, tag: str) -> None:
        kind, extra = "p", dict[str, object]()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            kind, extra = "h", {"level": int(tag[1])}
        elif tag == "li" or (self._inside("li") and not self.groups):
            kind = "li"
        if self.groups:
            kind = "credit" if tag == "footer" or self._inside("footer") else "quote"
            extra["group"] = self.groups[-1]
            extra["cite"] = self.cites[-1]
        if tag == "li" and self.list_numbers:
            self.list_numbers[-1] += 1
            extra["number"] = str(self.list_numbers[-1])
        self.out.start(kind, **extra)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta":
            key = a.get("property") or a.get("name") or a.get("itemprop") or ""
            if key in _DATE_META and a.get("content") and not self.published:
                self.published = a["content"]
            return
        if tag == "time" and a.get("datetime") and not self.published:
            self.published = a["datetime"]
        if tag == "title" and not self.page_title:
            self.title = []
        if tag in _VOID:
            if tag == "br" and not self.skipping:
                self.out.add(" ", self._at())
            return
        self.stack.append(tag)
        self.open[tag] = self.open.get(tag, 0) + 1
        if self.skipping or tag in _SKIP:
            self.skipping += 1
            return
        boilerplate = _BOILERPLATE.search(f"{a.get('class') or ''} {a.get('id') or ''}")
        if (tag in _CHROME or boilerplate) and not self._inside("article", "main", "blockquote"):
            self.skipping += 1
            return
        if boilerplate and not self._inside("blockquote"):
            self.skipping += 1
            return
        if tag == "blockquote":
            self.group_count += 1
            self.groups.append(self.group_count)
            self.cites.append(a.get("cite"))
        if tag in ("ol", "ul"):
            start = a.get("start")
            self.list_numbers.append(int(start) - 1 if start and start.isdigit() else 0)
        if tag in _BLOCK_TAGS:
            self._new_block(tag)
        elif tag == "a" and a.get("href"):
            self.out.links.append((self.out.here, a["href"] or ""))
        elif tag == "q":
            self.out.q_open.append(self.out.here)
        elif tag == "sup":
            self.sup = []
        elif tag == "cite" and self.groups and not self.out.here:
            self.out.start("credit", group=self.groups[-1], cite=self.cites[-1])

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self.open.get(tag):
            return
        while self.stack:
            open_tag = self.stack.pop()
            self.open[open_tag] -= 1
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.page_title = " ".join("".join(self.title).split()) or None
            self.title = None
        if self.skipping:
            self.skipping -= 1
            return
        b = self.out.block
        if tag == "a" and self.out.links:
            start, href = self.out.links.pop()
            if b is not None:
                b.links.append((start, self.out.here, href))
        elif tag == "q" and self.out.q_open:
            start = self.out.q_open.pop()
            if b is not None:
                b.q_spans.append((start, self.out.here))
        elif tag == "sup" and self.sup is not None:
            label = "".join(self.sup).strip().strip("[]")
            if b is not None and label.isdigit():
                b.markers.append((self.out.here, label))
            elif label:
                self.out.add(" " + label, self._at(), exact=False)
            self.sup = None
        elif tag in _BLOCK_TAGS:
            self.out.end()
            if tag == "blockquote" and self.groups:
                self.groups.pop()
                self.cites.pop()
            if tag in ("ol", "ul") and self.list_numbers:
                self.list_numbers.pop()

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
        if self.skipping:
            return
        if self.sup is not None:
            self.sup.append(data)
            return
        self.out.add(data, self._at())

    def _char(self, text: str) -> None:
        if self.title is not None:
            self.title.append(text)
        if self.skipping:
            return
        if self.sup is not None:
            self.sup.append(text)
            return
        self.out.add(text, self._at(), exact=False)

    def handle_entityref(self, name: str) -> None:
        from html import unescape

        self._char(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        from html import unescape

        self._char(unescape(f"&#{name};"))


def _read_html(source: str, base: int = 0, out: _Builder | None = None) -> _HTMLReader:
    reader = _HTMLReader(source, base, out or _Builder())
    reader.feed(source)
    reader.close()
    reader.out.end()
    return reader


# ----------------------------------------------------------------------------- Markdown

_LABEL_LINE = re.compile(r"^\[\^?\w+\]:?\s")
_HTML_INLINE = re.compile(r"<(/?)(q|a|sup|cite)\b([^>]*)>", re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def _read_markdown(source: str) -> _Builder:
    from markdown_it import MarkdownIt  # rich's own Markdown parser, already installed with it

    out = _Builder()
    starts = _line_starts(source)
    tokens = MarkdownIt("commonmark").parse(source)
    groups: list[int] = []
    count = 0
    kind_stack: list[tuple[str, dict[str, object]]] = []
    for tok in tokens:
        if tok.type == "blockquote_open":
            count += 1
            groups.append(count)
        elif tok.type == "blockquote_close" and groups:
            groups.pop()
        elif tok.type == "heading_open":
            kind_stack.append(("h", {"level": int(tok.tag[1])}))
        elif tok.type == "list_item_open":
            number = tok.info if tok.info.isdigit() else None
            kind_stack.append(("li", {"number": number}))
        elif tok.type in ("heading_close", "list_item_close") and kind_stack:
            kind_stack.pop()
        elif tok.type == "html_block" and tok.map:
            _read_html(tok.content, starts[tok.map[0]], out)
        elif tok.type == "inline" and tok.map:
            kind, extra = kind_stack[-1] if kind_stack else ("p", {})
            if groups:
                kind, extra = "quote", {"group": groups[-1]}
            out.start(kind, **extra)
            lo = starts[tok.map[0]]
            hi = starts[tok.map[1]] if tok.map[1] < len(starts) else len(source)
            _inline(tok.children or [], source, lo, hi, out)
            out.end()
    return out


def _inline(children: Sequence[object], source: str, cursor: int, hi: int, out: _Builder) -> None:
    """Add the text of an inline token's children, finding each piece in the file."""
    links: list[tuple[int, str]] = []
    for i, child in enumerate(children):
        kind = getattr(child, "type", "")
        content: str = getattr(child, "content", "")
        if kind in ("text", "code_inline"):
            at = source.find(content, cursor, hi) if content else -1
            if at >= 0:
                out.add(content, at)
                cursor = at + len(content)
            else:  # an escape or entity changed the text: place it where we are
                out.add(content, cursor, exact=False)
        elif kind in ("softbreak", "hardbreak"):
            following = getattr(children[i + 1], "content", "") if i + 1 < len(children) else ""
            if _LABEL_LINE.match(following) and out.block is not None:
                # "[^1]: ..." / "[1] ..." lines of one paragraph: each its own entry
                b = out.block
                out.start(b.kind, group=b.group, level=b.level)
            else:
                out.add(" ", cursor, exact=False)
        elif kind == "link_open":
            links.append((out.here, str(getattr(child, "attrs", {}).get("href", ""))))
        elif kind == "link_close" and links and out.block is not None:
            start, href = links.pop()
            out.block.links.append((start, out.here, href))
        elif kind == "html_inline":
            m = _HTML_INLINE.match(content)
            if m is None or out.block is None:
                continue
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag == "q":
                if closing and out.q_open:
                    out.block.q_spans.append((out.q_open.pop(), out.here))
                elif not closing:
                    out.q_open.append(out.here)
            elif tag == "a":
                attr = _HREF.search(m.group(3))
                if not closing and attr:
                    links.append((out.here, attr.group(1)))
                elif closing and links:
                    start, url = links.pop()
                    out.block.links.append((start, out.here, url))


# ----------------------------------------------------------------------------- plain text

_BULLET = re.compile(r"^\s*(?:[-*•·]|(\d{1,3})[.)]|\[(\d{1,3})\])\s+")
_UNDERLINE = re.compile(r"^\s*(?:=+|-+)\s*$")


def _read_text(source: str) -> _Builder:
    out = _Builder()
    group = 0
    was_indented = False
    for para in _paragraphs(source):
        lines = [(at, line) for at, line in para if line.strip()]
        first = lines[0][1]
        if len(lines) == 2 and _UNDERLINE.match(lines[1][1]):
            out.start("h", level=1 if "=" in lines[1][1] else 2)
            out.add(first, lines[0][0])
            out.end()
            was_indented = False
            continue
        quoted = all(line.lstrip().startswith(">") for _, line in lines)
        indented = all(line[:1] in (" ", "\t") for _, line in lines) and not _BULLET.match(first)
        if quoted or indented:
            if not was_indented:
                group += 1
            was_indented = True
        else:
            was_indented = False
        for k, (at, line) in enumerate(lines):
            body = line.lstrip()
            skip = len(line) - len(body)
            if quoted:
                body2 = body[1:].lstrip()
                skip += len(body) - len(body2)
                body = body2
            bullet = _BULLET.match(body)
            if quoted or indented:
                if _DASH_CREDIT.match(body) and (out.block is not None or out.blocks):
                    out.start("credit", group=group)  # "— Jane Doe, Mayor" under a block quote
                elif out.block is None:
                    out.start("quote", group=group)
            elif bullet:
                out.start("li", number=bullet.group(1) or bullet.group(2))
                skip += bullet.end()
                body = body[bullet.end() :]
            elif out.block is None:
                listed = k + 1 < len(lines) and _BULLET.match(lines[k + 1][1].lstrip())
                heading = (len(lines) == 1 or (k == 0 and listed)) and _looks_like_heading(body)
                out.start("h" if heading else "p", level=2 if heading else 0)
                if heading:
                    out.add(body, at + skip)
                    out.end()
                    continue
            out.add(body + " ", at + skip)
        out.end()
    return out


def _paragraphs(source: str) -> list[list[tuple[int, str]]]:
    """Lines (with their offsets) grouped into paragraphs at blank lines."""
    paras: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    at = 0
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip():
            current.append((at, body))
        elif current:
            paras.append(current)
            current = []
        at += len(line)
    if current:
        paras.append(current)
    return paras


_NOT_LAST = {"that", "as", "is", "are", "was", "were", "said", "says", "wrote", "writes", "claims",
             "reads", "the", "a", "an", "of", "to", "and", "but", "or", "by", "with"}  # fmt: skip


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 10
        and line.rstrip()[-1:] not in '.!?:;,"”’»)]'
        and line[:1].isupper()
        and not any(mark in line for mark in '“”"«»„')
        and "://" not in line
        and ". " not in line
        and words[-1].lower() not in _NOT_LAST
    )


# ----------------------------------------------------------------------------- reading a file


@dataclass
class Parsed:
    """An article read into blocks."""

    source: str
    blocks: list[Block]
    title: str | None = None
    published: dt.date | None = None
    starts: list[int] = field(default_factory=list)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a file offset."""
        if not self.starts:
            self.starts = _line_starts(self.source)
        starts = self.starts
        line = bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def where(self, block: int, at: int) -> tuple[int, int]:
        """1-based (line, column) in the file of a block's character ``at`` (past the end: its
        last character)."""
        offsets = self.blocks[block].offsets
        return self.position(offsets[min(at, len(offsets) - 1)])


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _date(value: str | None) -> dt.date | None:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value or "")
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _bare_urls(blocks: list[Block]) -> list[Block]:
    """URLs written out in the text count as links too."""
    for b in blocks:
        for m in _URL.finditer(b.text):
            url = m.group(0).rstrip(".,;:")
            if not any(s < m.start() + len(url) and m.start() < e for s, e, _ in b.links):
                b.links.append((m.start(), m.start() + len(url), url))
    return blocks


def parse(source: str, fmt: str) -> Parsed:
    """Read an article's text (``fmt`` "html", "markdown" or "text") into blocks."""
    # A lone CR (old Mac files) ends a line for markdown-it but not for the line table built on
    # "\n": an IndexError before this. Made "\n", one character for one, so offsets stay put.
    source = re.sub(r"\r(?!\n)", "\n", source.lstrip("\ufeff"))
    parsed = _parse(source, fmt)
    parsed.blocks = _bare_urls(parsed.blocks)
    return parsed


def _parse(source: str, fmt: str) -> Parsed:
    if fmt == "html":
        reader = _read_html(source)
        return Parsed(source, reader.out.blocks, reader.page_title, _date(reader.published))
    out = _read_markdown(source) if fmt == "markdown" else _read_text(source)
    title = next((b.text for b in out.blocks if b.kind == "h"), None)
    if fmt == "markdown" and source.startswith("---"):  # front matter
        front = source.split("\n---", 1)[0]
        m = re.search(r"^date:\s*['\"]?([0-9-]+)", front, re.M)
        published = _date(m.group(1) if m else None)
        blocks = [b for b in out.blocks if b.offsets and b.offsets[0] > len(front) + 4]
        return Parsed(source, blocks, title, published)
    return Parsed(source, out.blocks, title, None)


# ----------------------------------------------------------------------------- quote marks

# Each opening mark and the marks that close it.
_PAIRS = {
    "“": "”",
    "„": "“”",
    "«": "»",
    "»": "«",
    '"': '"',
    "‘": "’",
    "‚": "‘’",
    "‹": "›",
    "›": "‹",
    "'": "'",
    "「": "」",
    "『": "』",
}
_DOUBLE = '“„«»"「『'
_MARKS = set(_PAIRS) | {"”", "’", "」", "』"}
_SPACES = " \u00a0\u202f\u2009"
_OPEN_AFTER = "([{—–-/:"


def _flanks(text: str, i: int) -> tuple[bool, bool]:
    """Whether the mark at ``i`` can open, and whether it can close, a quote."""
    c = text[i]
    if c in "「『":  # CJK corner brackets are never anything but quote marks
        return True, False
    if c in "」』":
        return False, True
    prev = text[i - 1] if i else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if c in "’'" and prev.isalnum() and nxt.isalnum():
        return False, False  # an apostrophe: isn't, rock 'n' roll
    after, before = nxt, prev
    if c in "«»‹›":  # French guillemets take a space inside: « comme ceci »
        if nxt in _SPACES:
            after = text[i + 2] if i + 2 < len(text) else " "
        if prev in _SPACES:
            before = text[i - 2] if i >= 2 else " "
    can_open = (prev.isspace() or prev in _OPEN_AFTER or prev in _MARKS) and not after.isspace()
    if c in "‘'‚":
        can_open = can_open and after.isalpha()  # ‘90s and 'em are elisions, not quotes
    can_close = not before.isspace() and (
        not nxt.isalnum() or (nxt in "0123456789" and c in _DOUBLE)
    )
    return can_open, can_close


def _scan(
    text: str, stack: list[tuple[str, int]], ignored: set[int], singles: bool
) -> tuple[list[tuple[int, int]], list[tuple[str, int]], list[int]]:
    """Top-level quotes in ``text`` as (start, end) of their inside, what is left open, strays."""
    spans: list[tuple[int, int]] = []
    strays: list[int] = []
    for i, c in enumerate(text):
        if c not in _MARKS or i in ignored:
            continue
        can_open, can_close = _flanks(text, i)
        closes = (
            next((k for k in range(len(stack) - 1, -1, -1) if c in _PAIRS[stack[k][0]]), None)
            if can_close
            else None
        )
        if closes is not None and not (c in "'\"" and can_open and stack[closes][0] != c):
            start = stack[closes][1]
            del stack[closes:]
            if not stack:
                spans.append((start + 1, i))
        elif can_open and c in _PAIRS:
            top_level_single = c in "‘'‚‹›" and not stack
            if top_level_single and c == "'" and not singles:
                continue
            stack.append((c, i))
        elif can_close and not stack and c in "”»«":
            strays.append(i)
    return spans, stack, strays


@dataclass
class Found:
    """A quoted passage: pieces of one or more blocks."""

    pieces: list[tuple[int, int, int]]  # (block, start, end)
    kind: QuoteKind
    credit: str | None = None  # a block quote's "— Name" line
    cite: str | None = None  # a block quote's cite="URL"

    @property
    def block(self) -> int:
        return self.pieces[0][0]


def _scannable(b: Block) -> bool:
    return b.kind in ("p", "li", "h")


def find_quotes(
    blocks: list[Block], skip: set[int]
) -> tuple[list[Found], list[tuple[int, int, str]]]:
    """Every quoted passage of the blocks (except those in ``skip``), and notes (block, at, why)."""
    found: list[Found] = []
    notes: list[tuple[int, int, str]] = []
    singles = not any(c in text for b in blocks for text in (b.text,) for c in '“”"„«»')
    order = [i for i, b in enumerate(blocks) if _scannable(b) and i not in skip]
    pending: tuple[str, list[tuple[int, int, int]]] | None = None
    for n, bi in enumerate(order):
        b = blocks[bi]
        nxt = blocks[order[n + 1]] if n + 1 < len(order) else None
        ignored: set[int] = set()
        rescans = 0
        while True:
            stack: list[tuple[str, int]] = []
            cont = -1
            if pending is not None:
                lead = len(b.text) - len(b.text.lstrip())
                if b.text[lead : lead + 1] == pending[0]:
                    cont = lead
                    stack = [(pending[0], lead)]
            spans, left, strays = _scan(b.text, stack, ignored | {cont}, singles)
            rescans += 1
            if rescans > 4:  # every mark left open is set aside at once: a few rounds at most
                left = []
            singles_open = [at for c, at in left if c not in _DOUBLE and at != cont]
            if singles_open:
                ignored.update(singles_open)  # an unclosed single mark: an elision, read on
                continue
            if left and (nxt is None or not nxt.text.lstrip().startswith(left[0][0])):
                if left[0][1] == cont and pending is not None:
                    notes.append((pending[1][0][0], pending[1][0][1] - 1, "unclosed"))
                    pending = None
                    cont = -1
                for _, at in left:
                    if at != cont:
                        ignored.add(at)
                        notes.append((bi, at, "unclosed"))
                continue
            break
        for at in strays:
            notes.append((bi, at, "stray"))
        for start, end in spans:
            if start - 1 == cont and pending is not None:
                found.append(Found([*pending[1], (bi, start, end)], QuoteKind.QUOTE))
                pending = None
            else:
                found.append(Found([(bi, start, end)], QuoteKind.QUOTE))
        if left:
            char, at = left[0]
            pieces = pending[1] if pending is not None and at == cont else []
            pending = (char, [*pieces, (bi, at + 1, len(b.text))])
        elif pending is not None and cont < 0:
            pending = None
        for start, end in b.q_spans:
            if not any(s <= start and end <= e for p in found for (k, s, e) in p.pieces if k == bi):
                found.append(Found([(bi, start, end)], QuoteKind.QUOTE))
            found[:] = [
                f
                for f in found
                if not (
                    f.block == bi
                    and (start, end) != (f.pieces[0][1], f.pieces[0][2])
                    and start <= f.pieces[0][1]
                    and f.pieces[-1][2] <= end
                )
            ]
    found += _block_quotes(blocks, skip)
    apart = _set_apart(blocks, skip, found)
    whole = {f.block for f in apart}
    found = [f for f in found if f.block not in whole] + apart
    found.sort(key=lambda f: (f.pieces[0][0], f.pieces[0][1]))
    return found, notes


_DASH_CREDIT = re.compile(r"^(?:[—–―~]|--?)\s*(?=\S)")


def _block_quotes(blocks: list[Block], skip: set[int]) -> list[Found]:
    """Markdown ``>``, HTML ``<blockquote>`` and indented text blocks: one quote per block quote."""
    groups: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        if b.kind in ("quote", "credit") and i not in skip:
            groups.setdefault(b.group, []).append(i)
    out: list[Found] = []
    for members in groups.values():
        credit = None
        last = blocks[members[-1]]
        dash = _DASH_CREDIT.match(last.text)
        if last.kind == "credit" or (dash and len(members) > 1 and len(last.text.split()) <= 15):
            credit = last.text[dash.end() :] if dash else last.text
            members = members[:-1]
        pieces = [(i, 0, len(blocks[i].text)) for i in members if blocks[i].kind == "quote"]
        if not pieces:
            continue
        first, final = pieces[0], pieces[-1]
        head, tail = blocks[first[0]].text, blocks[final[0]].text
        if head[:1] in _PAIRS and tail[-1:] in _PAIRS[head[0]] + ".,":
            end = len(tail) - 1 if tail[-1:] in _PAIRS[head[0]] else len(tail) - 2
            if tail[end : end + 1] in _PAIRS[head[0]] or end == len(tail) - 1:
                pieces[0] = (first[0], 1, first[2])
                pieces[-1] = (final[0], pieces[-1][1], end)
        out.append(Found(pieces, QuoteKind.BLOCK, credit, blocks[members[0]].cite))
    return out


_INTRO_CUE = re.compile(
    r"\b(?:said|says|wrote|writes|claims?|claimed|states?|stated|explains?|explained|adds?|"
    r"added|reads?|read|told|tells|declared|declares|announced|announces|notes?|noted|"
    r"argues?|argued|insists?|insisted|warns?|warned|continued|continues|concluded|"
    r"concludes|put it|following|statement|according to|as follows|posted|tweeted|"
    r"testified|asserts?|asserted|maintains?|maintained|portrays?)\b[^.!?]*$",
    re.I,
)


def _set_apart(blocks: list[Block], skip: set[int], found: list[Found]) -> list[Found]:
    """A paragraph set apart after one that ends "... said:" or "... claims that"."""
    quoted = {f.block for f in found}
    out: list[Found] = []
    for i in range(1, len(blocks)):
        intro, body = blocks[i - 1], blocks[i]
        if intro.kind not in ("p", "li") or body.kind != "p" or i in skip or i - 1 in skip:
            continue
        ending = intro.text.rstrip()
        if not (ending.endswith(":") or re.search(r"\b(?:that|as|is)$", ending)):
            continue
        if not _INTRO_CUE.search(ending.rstrip(":")) or len(body.text.split()) < 8:
            continue
        if i in quoted and any(
            e - s > len(body.text) / 2 for f in found for (k, s, e) in f.pieces if k == i
        ):
            continue
        out.append(Found([(i, 0, len(body.text))], QuoteKind.BLOCK))
    return out


# ----------------------------------------------------------------------------- reference lists

_REF_HEADING = re.compile(
    r"^\W*(?:references?|sources?|notes?|bibliography|works cited|citations?|footnotes?|"
    r"further reading|endnotes|read more|links|literature|quellen|literatur|r[ée]f[ée]rences)"
    r"\W*$",
    re.I,
)
_LABEL = re.compile(r"^\s*(?:\[\^?(\w+)\]:?|(\d+)[.)])\s*")
_URL = re.compile(r"https?://[^\s<>\"'“”‘’)\]]+")
_SMALL_WORDS = {
    "a", "an", "and", "the", "of", "in", "on", "for", "to", "at", "by", "de", "la", "le", "du",
    "des", "und", "der", "die", "das", "from", "with", "or", "vs", "via", "et", "&",
}  # fmt: skip


def _capitalized_share(text: str) -> float:
    words = [w for w in re.findall(r"[^\W\d_][\w’'.\-]*", text) if w.lower() not in _SMALL_WORDS]
    return sum(w[0].isupper() for w in words) / len(words) if words else 0.0


def _ref_like(b: Block) -> bool:
    words = b.text.split()
    if not words or len(words) > 45 or b.kind not in ("p", "li"):
        return False
    if _LABEL.match(b.text) or (len(words) <= 30 and _URL.search(b.text)):
        return True
    linked = sum(e - s for s, e, _ in b.links)
    if len(words) <= 30 and linked * 2 >= len(b.text):
        return True
    titled = re.search(r"[“\"«„‘]\s*[^\W\d_]", b.text) is not None and len(words) <= 30
    if titled and _capitalized_share(b.text.split("“")[0].split('"')[0]) >= 0.6:
        return True
    return len(words) <= 25 and _capitalized_share(b.text) >= 0.6 and not b.text.endswith(":")


def reference_blocks(blocks: list[Block]) -> list[int]:
    """Which blocks are the article's reference list (in order)."""
    for i, b in enumerate(blocks):
        if b.kind == "h" and _REF_HEADING.match(b.text):
            out = []
            for j in range(i + 1, len(blocks)):
                if blocks[j].kind == "h" and (blocks[j].level <= b.level or b.level == 0):
                    break
                if blocks[j].kind in ("p", "li"):
                    out.append(j)
            if out:
                return out
    notes = [i for i, b in enumerate(blocks) if re.match(r"^\s*\[\^\w+\]:", b.text)]
    if notes:
        return notes
    run: list[int] = []
    for i in range(len(blocks) - 1, 0, -1):
        if not _ref_like(blocks[i]):
            break
        run.insert(0, i)
    if len(run) >= 2 or (
        run and (_LABEL.match(blocks[run[0]].text) or _URL.search(blocks[run[0]].text))
    ):
        return run
    return []


def _segments(text: str) -> list[str]:
    """A reference's parts: split at full stops that end a part, not at initials (U.S.)."""
    parts = re.split(r"(?<![A-Z])(?<!\b[A-Z]\.[A-Z])[.;]\s+|\s+[—–|]\s+", text)
    return [p.strip(" .,;:") for p in parts if p.strip(" .,;:")]


def parse_reference(b: Block, number: int) -> tuple[str, str, str | None, str | None, str | None]:
    """A reference entry's (label, text, publisher, title, url)."""
    m = _LABEL.match(b.text)
    label = (m.group(1) or m.group(2)) if m else (b.number or str(number))
    body = b.text[m.end() :] if m else b.text
    hrefs = [href for _, _, href in b.links if href.startswith(("http://", "https://"))]
    in_text = _URL.search(body)
    url = hrefs[0] if hrefs else (in_text.group(0).rstrip(".,;") if in_text else None)
    body = _URL.sub("", body).strip()
    spans, _, _ = _scan(body, [], set(), False)
    if spans:
        start, end = spans[0]
        title: str | None = body[start:end].strip(" .,;")
        publisher = body[: start - 1].strip(" .,;:") or None
    else:
        parts = [p for p in _segments(body) if not re.fullmatch(r"[\d\s,/()-]+", p)]
        publisher = parts[0] if parts else None
        title = parts[1] if len(parts) > 1 else None
    return label, b.text, publisher, title or None, url
