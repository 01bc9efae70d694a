"""Page bytes -> Text: the visible text of a page, one block per line.

HTML is parsed with selectolax's Lexbor backend, a full HTML5 parser in C: on the 201 real news
pages of the development corpus it yields text in about 1 ms a page, against about 21 ms for
BeautifulSoup with lxml (``benchmarks/html_parsers.py``), so extraction never dominates a run.
"""

from __future__ import annotations

import codecs
import json
import re
from functools import lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from .models import Text

# Elements whose text a reader never sees.
_INVISIBLE = [
    "script",
    "style",
    "template",
    "noscript",
    "svg",
    "math",
    "head",
    "iframe",
    "object",
    "canvas",
]

# Elements that start a new block of text; everything else flows inline ("<b>W</b>orld").
_BLOCKS = (
    "address,article,aside,blockquote,br,caption,dd,details,dialog,div,dl,dt,fieldset,"
    "figcaption,figure,footer,form,h1,h2,h3,h4,h5,h6,header,hgroup,hr,legend,li,main,nav,ol,"
    "option,p,pre,section,summary,table,td,th,tr,ul"
)

# A character no page uses, marking block edges until the text is split into lines; newlines in
# the HTML source are only whitespace.
_EDGE = "\u2029"

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    # As browsers do (WHATWG Encoding): latin-1 and ascii labels mean windows-1252.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


_DETECT_MIN_BYTES = 64  # non-ASCII bytes needed before charset detection is trusted


def decode(body: bytes, content_type: str) -> str:
    """Body bytes as text: the charset from a BOM, the Content-Type header, a <meta>, else UTF-8.

    A body that is not valid in the declared charset is read as UTF-8 if it is valid UTF-8, and
    otherwise in the charset charset-normalizer finds in its bytes (windows-1252 if none). A
    body declared windows-1252 (or latin-1, or ascii) that is valid UTF-8 is read as UTF-8.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    header = _HEADER_CHARSET.search(content_type)
    meta = _META_CHARSET.search(body[:4096]) if "html" in content_type.lower() else None
    declared = _known(header.group(1) if header else None) or _known(
        meta.group(1).decode("ascii") if meta else None
    )
    # Servers that label every page ISO-8859-1 by default are common, while windows-1252 text
    # that happens to be valid UTF-8 is all but unknown beyond ASCII, where both read the same.
    order = ("utf-8", declared) if declared == "cp1252" else (declared, "utf-8")
    for charset in order:
        if charset:
            try:
                return body.decode(charset)
            except UnicodeDecodeError:
                continue
    # Undeclared (or mislabelled) and not UTF-8: let charset-normalizer tell, from the bytes,
    # when there are enough of them to tell by; a few stray bytes are windows-1252, the web's
    # commonest legacy charset (detection on a handful of bytes is a guess).
    sample = body[:200_000]
    if sum(b > 0x7F for b in sample) >= _DETECT_MIN_BYTES:
        from charset_normalizer import from_bytes  # only here: most pages never need it

        best = from_bytes(sample).best()
        if best is not None and best.encoding:
            return body.decode(best.encoding, errors="replace")
    return body.decode("cp1252", errors="replace")


def _lines(raw: str) -> str:
    blocks = (" ".join(block.split()) for block in raw.split(_EDGE))
    return "\n".join(block for block in blocks if block)


@lru_cache(maxsize=4)  # a page's state and its quotes read the same text, one after the other
def html_text(html: str | bytes) -> str:
    """The visible text of an HTML document: one block per line, whitespace collapsed."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(_INVISIBLE)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(_BLOCKS):
        node.insert_before(_EDGE)
        node.insert_after(_EDGE)
    return _lines(root.text(separator="", strip=False))


def _is_markup(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return "html" in media or media.endswith(("/xml", "+xml"))


def extract_text(body: bytes, content_type: str) -> Text:
    """The visible text of a page body of the given Content-Type (HTML, XHTML, XML, text)."""
    text = decode(body, content_type)
    if _is_markup(content_type):
        return Text(html_text(text))
    # Plain text: a blank line separates paragraphs; single newlines only wrap lines.
    return Text(_lines(re.sub(r"\n\s*\n", _EDGE, text)))


# HTML5 parsers, Lexbor among them, look through the stack of open elements at each tag, so
# parsing takes time in the square of the nesting: 40,000 nested divs take 5 s, 100,000 about
# 40 s, and a page is parsed several times. Blink stops nesting at 512 levels; real pages stay
# far below that, so a page nested deeper than this is a trap, not an article.
MAX_DEPTH = 4096
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
# Tags that close themselves (void) or that a page may leave open (an implied end tag): they
# do not count towards the depth, or a page of unclosed paragraphs would look deep.
_FLAT = frozenset(
    b"area base br col embed hr img input link meta source track wbr p li dt dd option "
    b"optgroup tr td th thead tbody tfoot colgroup caption rb rt rp html head body".split()
)


def html_depth_over(body: bytes, limit: int = MAX_DEPTH) -> int | None:
    """The depth past ``limit`` that a document's elements reach, or None if they stay within
    it: counted on the tags in one pass, not by parsing (which is what a deep page slows)."""
    if body.count(b"<") <= limit:
        return None
    depth = 0
    for m in _TAG.finditer(body):
        closing, name, empty = m.groups()
        if empty or name.lower() in _FLAT:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        if depth > limit:
            return depth
    return None


def page_text(body: bytes, content_type: str) -> Text | str:
    """The text of a page of any readable type, or why it could not be read (a PDF without
    text, an HTML page nested too deep to parse in reasonable time)."""
    if content_type.split(";", 1)[0].strip().lower() in ("application/pdf", "application/x-pdf"):
        from .pdf import pdf_text  # only here: PDFium loads only for PDFs

        return pdf_text(body)
    if _is_markup(content_type) and html_depth_over(body) is not None:
        return f"HTML nested more than {MAX_DEPTH:,} elements deep: not parsed"
    return extract_text(body, content_type)


def _strings(value: object, key: str) -> list[str]:
    """Every string under ``key`` anywhere in parsed JSON (JSON-LD nests: lists, ``@graph``)."""
    if isinstance(value, dict):
        found = [value[key]] if isinstance(value.get(key), str) else []
        return found + [s for v in value.values() for s in _strings(v, key)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return []


def hidden_texts(body: bytes, content_type: str) -> list[Text]:
    """Text a reader gets that the visible DOM lacks: JSON-LD ``articleBody``, the
    ``og:description``, and ``<noscript>`` content, each as a Text of its own kind."""
    if "html" not in content_type.lower():
        return []
    tree = LexborHTMLParser(decode(body, content_type))
    out: list[Text] = []
    bodies: list[str] = []
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            bodies += _strings(json.loads(node.text(deep=True) or "null"), "articleBody")
        except ValueError:
            continue  # broken JSON-LD is common; the visible text still counts
    if bodies:
        out.append(Text(_lines(_EDGE.join(html_text(b) for b in bodies)), "json-ld"))
    og = tree.css_first('meta[property="og:description"]')
    if og is not None and og.attributes.get("content"):
        out.append(Text(_lines(str(og.attributes["content"])), "og:description"))
    shown = [html_text(node.text(deep=True) or "") for node in tree.css("noscript")]
    if any(shown):
        out.append(Text(_lines(_EDGE.join(t for t in shown if t)), "noscript"))
    return out


def amp_url(body: bytes, content_type: str, base_url: str) -> str | None:
    """The page's AMP version (``<link rel="amphtml">``), as an absolute URL, if it has one."""
    if "html" not in content_type.lower():
        return None
    link = LexborHTMLParser(decode(body, content_type)).css_first('link[rel="amphtml"]')
    href = link.attributes.get("href") if link is not None else None
    return urljoin(base_url, href) if href else None


def main_text(body: bytes, content_type: str) -> str | None:
    """The article's main text, as trafilatura finds it (None when it finds none).

    Matching keeps using the whole visible text: trafilatura keeps nearly all of an article's
    body but drops most of what lies outside it, so this only says where a quote sits.
    """
    if "html" not in content_type.lower():
        return None
    import trafilatura  # only here: it is slow to import and needed only for verified quotes

    found: str | None = trafilatura.extract(
        decode(body, content_type), include_comments=False, include_tables=True, favor_recall=True
    )
    return found
