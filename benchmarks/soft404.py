"""Measure the page-state detectors (``sourcecheck.states``) on real pages and on soft-404
pages built from them.

Run by hand from the repository root, with the project's virtualenv (under a minute):

    python benchmarks/soft404.py --corpus ../shared/corpus/wcxb-dev

The corpus holds ``<id>.html.gz`` pages and ``<id>.json`` (``url``, ``main_content``: the
article text as a person marked it). It is third-party CC-BY-4.0 content ("WCXB v1.0, dev
split"): it is read in place and never copied. A page without a URL in its JSON is given
``https://corpus.invalid/<id>/story``.

1. Real pages, each a 200 answer from its own URL: how many each detector flags (the target
   is none), what ``page_state`` says, and how many would cost a probe request
   (``wants_probe``). Then near misses: pages with a detector's phrase or marker that a rule
   let through (a banner on a full article, a long heading).
2. Soft-404 pages built from each real page, keeping the site's own chrome (menus, footer):
   every element whose text is part of the article (``main_content``) and the ``<h1>`` taken
   out, a message put in their place. Three kinds, each must come out ``soft_404``:
   ``title``: the title says "not found" (in one of seven languages, in turn);
   ``heading``: the title is the site's name, an ``<h1>`` says "not found";
   ``probe``: nothing says "not found" ("The address /... leads nowhere."), so only the probe
   can tell: ``page_state`` gets, when ``wants_probe`` asks for it, the same template
   answering another path. Also, a 301 from each page's URL to its site's home page.
3. The probe's precision: each real page against the ``probe`` page built from it, its own
   chrome without the article, which is what its site would answer a made-up path with: the
   rapidfuzz ratio of their texts, and whether ``similar_to_probe`` flags the article.
4. The time ``page_state`` takes a real page (no probe).

Nothing here fails on a figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rapidfuzz import fuzz
from selectolax.lexbor import LexborHTMLParser, LexborNode

from sourcecheck.extract import html_text
from sourcecheck.models import Page, SourceStatus
from sourcecheck.states import (
    CHALLENGE_MARKERS,
    CHALLENGE_TITLES,
    MAX_HEADING_WORDS,
    PAYWALL_PHRASES,
    PROBE_SIMILARITY,
    fold,
    is_bot_challenge,
    is_paywall,
    looks_not_found,
    page_state,
    probe_url,
    redirected_home,
    similar_to_probe,
    wants_probe,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "wcxb-dev"
HTML = "text/html; charset=utf-8"
# Elements whose text may be a piece of the article, outermost first.
PIECES = "article, main, section, div, p, li, blockquote, h2, h3, h4, h5, h6, td, th, figure, pre"
MIN_PIECE_WORDS = 4

# (title, heading) saying "not found" in the seven languages the detectors must know, in turn.
NOT_FOUND = [
    ("Page not found", "Oops! That page can't be found."),
    ("Página no encontrada", "Lo sentimos, la página que buscas no existe"),
    ("Page introuvable", "Cette page n'existe pas"),
    ("Seite nicht gefunden", "Die Seite wurde nicht gefunden"),
    ("Página não encontrada", "A página que você procura não existe"),
    ("Pagina non trovata", "La pagina che stai cercando non esiste"),
    ("Pagina niet gevonden", "Deze pagina bestaat niet (meer)"),
]


@dataclass(frozen=True)
class Real:
    """One corpus page."""

    page_id: str
    url: str
    html: bytes
    main: str  # main_content, compared as ``flat`` leaves it

    def page(self) -> Page:
        return Page(self.url, self.url, 200, HTML, self.html)


def flat(text: str) -> str:
    """Lower case, straight quotes, spaces collapsed."""
    text = text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    return " ".join(text.lower().split())


def load(corpus: Path) -> list[Real]:
    pages = []
    for meta in sorted(corpus.glob("*.json")):
        page_id = meta.name.removesuffix(".json")
        truth = json.loads(meta.read_text(encoding="utf-8"))
        url = truth.get("url") or f"https://corpus.invalid/{page_id}/story"
        html = gzip.decompress((corpus / f"{page_id}.html.gz").read_bytes())
        pages.append(Real(page_id, url, html, flat(truth.get("main_content") or "")))
    return pages


def _inside(node: LexborNode, chosen: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in chosen:
            return True
        parent = parent.parent
    return False


CHROME = "header, nav, footer, [role=banner], [role=navigation], [role=contentinfo]"


def has_article(real: Real, node: LexborNode) -> bool:
    """Whether two or more of 20 ten-word runs spread over the article are in the element."""
    words = real.main.split()
    text = flat(node.text(deep=True))
    step = max(1, (len(words) - 10) // 20)
    runs = (" ".join(words[i : i + 10]) for i in range(0, max(1, len(words) - 10), step))
    return sum(run in text for run in runs) >= 2


def built(real: Real, title: str, heading: str | None, message: str) -> bytes:
    """A "not found" page in the real page's chrome: its header, navigation and footer
    elements (outermost ones), ``heading`` and ``message`` between them, and ``title``.

    A page without such elements keeps everything but the elements whose text is part of the
    article (``main_content``) and its ``<h1>``.
    """
    tree = LexborHTMLParser(real.html)
    box = f"<div>{f'<h1>{heading}</h1>' if heading else ''}<p>{message}</p></div>"
    parts: dict[int, LexborNode] = {}
    for node in tree.css(CHROME):
        # Some sites put the article itself in a <header>: such an element is no chrome.
        if not _inside(node, set(parts)) and not has_article(real, node):
            parts[node.mem_id] = node
    if parts:
        chrome = [node.html or "" for node in parts.values()]
        tops = [h for h in chrome if "<header" in h[:8] or 'role="banner"' in h[:80]]
        rest = [h for h in chrome if h not in tops]
        page = f"<html><head><title>{title}</title></head><body>{''.join(tops)}{box}{''.join(rest)}"
        return f"{page}</body></html>".encode()
    chosen: dict[int, LexborNode] = {}
    for node in tree.css(PIECES):
        text = flat(node.text(deep=True))
        piece = len(text.split()) >= MIN_PIECE_WORDS and text in real.main
        if piece and not _inside(node, set(chosen)):
            chosen[node.mem_id] = node
    for node in [*chosen.values(), *tree.css("h1, title")]:
        node.decompose()
    new_title = LexborHTMLParser(f"<title>{title}</title>").css_first("title")
    if tree.head is not None and new_title is not None:
        tree.head.insert_child(new_title)
    new_box = LexborHTMLParser(box).css_first("div")
    if tree.body is not None and new_box is not None:
        tree.body.insert_child(new_box)
    return (tree.html or "").encode("utf-8")


def near_misses(real: Real) -> dict[str, bool]:
    """Which phrases or markers the page carries that a rule let through."""
    tree = LexborHTMLParser(real.html)
    text = f" {fold(html_text(real.html))} "
    source = real.html.decode("utf-8", "replace").lower()
    title = tree.css_first("title")
    title_text = title.text().strip().lower() if title is not None else ""
    headings = [n.text(separator=" ") for n in tree.css("title, h1, h2")]
    said = re.compile(r"\b(not found|404|no longer available|doesn't exist|does not exist)\b")
    return {
        "paywall phrase in the visible text": any(f" {p} " in text for p in PAYWALL_PHRASES),
        "challenge marker in the source": any(m in source for m, _ in CHALLENGE_MARKERS)
        or title_text in CHALLENGE_TITLES,
        "'not found' or '404' in a title or h1/h2": any(said.search(h.lower()) for h in headings),
        "... in one over the heading length limit": any(
            said.search(h.lower()) and len(fold(h).split()) > MAX_HEADING_WORDS for h in headings
        ),
    }


def visible(html: bytes) -> str:
    return " ".join(html_text(html).lower().split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    reals = load(args.corpus)
    if not reals:
        print(f"no pages in {args.corpus}", file=sys.stderr)
        return 2
    n = len(reals)
    megabytes = sum(len(r.html) for r in reals) / 1e6
    print(f"corpus: {n} real pages, {megabytes:.1f} MB of HTML ({args.corpus})")

    # 1. Real pages.
    flagged: Counter[str] = Counter()
    examples: list[str] = []
    states: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    times: list[float] = []
    home_urls: list[str] = []

    def flag(name: str, real: Real, why: str | None) -> None:
        flagged[name] += bool(why)
        if why:
            examples.append(f"{name}: {real.page_id} {real.url}: {why}")

    for real in reals:
        page = real.page()
        tree = LexborHTMLParser(real.html)
        title_node = tree.css_first("title")
        title = title_node.text() if title_node is not None else None
        h1 = [node.text(separator=" ") for node in tree.css("h1")]
        h2 = [node.text(separator=" ") for node in tree.css("h2")]
        flag("looks_not_found (title, <h1>)", real, looks_not_found(title, h1))
        flag("looks_not_found (title, <h1>, every <h2>)", real, looks_not_found(title, h1 + h2))
        parts = urlsplit(real.url)
        old = f"{parts.scheme}://{parts.netloc}/old/section/story-12345.html"
        to_it = Page(old, real.url, 200, HTML, real.html, (old,), (301,))
        if parts.path.strip("/"):
            flag("redirected_home (a 301 to this page's URL)", real, redirected_home(to_it))
        else:
            home_urls.append(real.page_id)
        flag("is_bot_challenge", real, is_bot_challenge(page))
        flag("is_paywall", real, is_paywall(page))
        flag("wants_probe (a probe request)", real, "probe" if wants_probe(page) else None)
        start = time.perf_counter()
        status, why = page_state(page)
        times.append(time.perf_counter() - start)
        states[status.value] += 1
        if status is not SourceStatus.OK:
            examples.append(f"page_state: {real.page_id}: {status.value} {why}")
        for name, hit in near_misses(real).items():
            misses[name] += hit

    print("\nReal pages flagged (target: none, but for wants_probe, which costs a request):")
    for name, count in flagged.items():
        print(f"  {name:46} {count:4d} / {n}")
    shown = ", ".join(f"{state} {count}" for state, count in states.most_common())
    print(f"  {'page_state':46} {shown}")
    if home_urls:
        print(f"    (left out of redirected_home: {', '.join(home_urls)}, a site's home page URL)")
    for line in examples[:10]:
        print(f"    {line}")
    print("\nNear misses on real pages (a phrase or marker there, let through by a rule):")
    for name, count in misses.items():
        print(f"  {name:46} {count:4d} / {n}")

    # 2-3. Soft-404 pages built from the real pages.
    caught: Counter[str] = Counter()
    probed: Counter[str] = Counter()
    missed: dict[str, list[str]] = {}
    ratios: list[tuple[float, str]] = []
    kept: list[float] = []
    for i, real in enumerate(reals):
        phrase, heading = NOT_FOUND[i % len(NOT_FOUND)]
        site = urlsplit(real.url).hostname or "Site"
        path = urlsplit(real.url).path
        other_url = probe_url(real.url, "0123456789abcdef0123456789abcdef")
        other_path = urlsplit(other_url).path
        kinds = {
            "title": built(real, f"{phrase} | {site}", None, "Try the search."),
            "heading": built(real, site, heading, "Try the search."),
            "probe": built(real, site, None, f"The address {path} leads nowhere."),
        }
        for kind, body in kinds.items():
            page = Page(real.url, real.url, 200, HTML, body)
            # The same template answering the made-up path, which it names instead.
            named = body.replace(path.encode(), other_path.encode()) if path.strip("/") else body
            probe = Page(other_url, other_url, 200, HTML, named)
            wanted = wants_probe(page)
            probed[kind] += wanted
            status, _ = page_state(page, probe if wanted else None)
            caught[kind] += status is SourceStatus.SOFT_404
            if status is not SourceStatus.SOFT_404:
                missed.setdefault(kind, []).append(real.page_id)
            if kind == "probe":
                chrome, article = visible(body), visible(real.html)
                kept.append(len(chrome.split()) / max(1, len(article.split())))
                ratios.append((fuzz.ratio(article, chrome), real.page_id))
                flag("similar_to_probe", real, similar_to_probe(real.page(), probe))
        home = f"{urlsplit(real.url).scheme}://{urlsplit(real.url).netloc}/"
        sent_home = Page(real.url, home, 200, HTML, real.html, (real.url,), (301,))
        is_soft = page_state(sent_home)[0] is SourceStatus.SOFT_404
        caught["home"] += is_soft
        if not is_soft:
            missed.setdefault("home", []).append(f"{real.page_id} ({real.url})")

    print("\nSoft-404 pages built from the real pages (target: all soft_404):")
    labels = {
        "title": "'not found' title (7 languages)",
        "heading": "site-name title, 'not found' <h1>",
        "probe": "no 'not found' words: only the probe tells",
        "home": "a 301 from the page's URL to its home page",
    }
    for kind, label in labels.items():
        extra = f"   (wants_probe: {probed[kind]})" if kind in probed else ""
        print(f"  {label:46} {caught[kind]:4d} / {n}{extra}")
        if missed.get(kind):
            print(f"    missed: {', '.join(missed[kind][:8])}")
    print(
        f"  (the built pages keep a median {statistics.median(kept):.0%} of their page's "
        "visible words: the site's chrome)"
    )

    print("\nProbe precision: each real page against its own chrome (what its site would")
    print("answer a made-up path with):")
    ratios.sort(reverse=True)
    over = sum(1 for score, _ in ratios if score >= PROBE_SIMILARITY)
    top = ", ".join(f"{score:.1f} ({page_id})" for score, page_id in ratios[:3])
    print(f"  rapidfuzz ratio >= {PROBE_SIMILARITY:g}: {over} / {n}; highest {top}")
    print(f"  similar_to_probe flags the real page: {flagged['similar_to_probe']} / {n}")

    ms = sorted(t * 1000 for t in times)
    print(
        f"\npage_state on a real page: median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
