"""A live page -> its state: readable, moved, a "not found" page sent as 200, or a refusal.

A 2xx answer is not always the page cited. Sites answer a missing page with 200 and a "not
found" message, or send it to their home page (a soft 404); bot walls (Cloudflare, Akamai,
DataDome, PerimeterX, ...) and paywalls answer 200 with a challenge or a "subscribe to
continue" stub; and a page that has moved answers with a permanent redirect whose target is the
URL to cite now. Each of these is a state of its own, in this precedence::

    BLOCKED > SOFT_404 > MOVED > OK

Everything here is a pure function of values (no I/O). The one test that needs a request, the
classic soft-404 probe (Bar-Yossef et al., "Sic transit gloria telae", WWW 2004: ask the host for
a path it cannot have and compare its answer with the page), takes the probe's answer as a
value: ``probe_url`` makes the path, the caller fetches it, ``page_state`` compares.

The detectors are tuned to flag nothing on real article pages: headings are read, never the
body text (an article may discuss 404 errors), phrases must fill most of a short heading, and a
challenge or paywall needs a page with little text besides (``benchmarks/soft404.py`` runs them
over the 201 real pages of the development corpus).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

from rapidfuzz import fuzz
from selectolax.lexbor import LexborHTMLParser

from .extract import decode, html_text
from .models import Page, Response, SourceStatus, Unavailable

# A heading longer than this is a sentence or an article title, not an error page's banner.
MAX_HEADING_WORDS = 10
# Prose is the text in blocks (paragraphs, list items, cells) of PROSE_BLOCK_WORDS words or
# more: menus, buttons and headlines are shorter. A page with less than LITTLE_PROSE words of it
# is a stub: an error page, a paywall's teaser, a catch-all page. Every one of the 201 real
# article pages of the development corpus has more than 500 (``benchmarks/soft404.py``).
PROSE_BLOCK_WORDS = 12
LITTLE_PROSE = 300
# Bot challenges are tiny: a title, a line or two, a widget.
CHALLENGE_MAX_WORDS = 150
# The page is the host's answer to any path when its normalized visible text and the probe's
# are at least this alike (rapidfuzz ratio, 0-100) ...
PROBE_SIMILARITY = 90.0
# ... and it has fewer words of prose than this that the probe lacks: a site's chrome (menus,
# footer) may outweigh an article, but an article's paragraphs are its own.
PROBE_MAX_OWN_PROSE = 100

PERMANENT_REDIRECTS = frozenset({301, 308})


# ----------------------------------------------------------------------------- text folding

_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "`": "", "\u00b4": "", "'": ""})
_NON_WORD = re.compile(r"[\W_]+")
# Combining marks left by NFKD: Latin, Greek and Cyrillic accents, kana voicing marks.
_MARKS = re.compile(r"[\u0300-\u036f\u3099\u309a]")


def fold(text: str) -> str:
    """Lower case, accents and apostrophes dropped, punctuation as spaces, spaces collapsed:
    "Página no encontrada!" and "pagina no encontrada" fold alike, as do "can't" and "cant"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return " ".join(_NON_WORD.sub(" ", _MARKS.sub("", decomposed)).split())


def _wide(phrase: str) -> bool:
    # Scripts written without spaces between words: a phrase is found anywhere in the text.
    return any(ord(c) >= 0x2E80 for c in phrase)


_SHORT = 64  # words of a text whose runs of words are looked up, not searched with a pattern


class _Phrases:
    """Folded phrases, found in folded text as whole words (anywhere, in scripts written
    without spaces), with one regular expression."""

    def __init__(self, phrases: Iterable[str]) -> None:
        folded = tuple(dict.fromkeys(fold(p) for p in phrases))
        self.phrases = folded
        self._wide = tuple(p for p in folded if _wide(p))
        self._set = frozenset(p for p in folded if not _wide(p))
        self._longest = max((len(p.split()) for p in self._set), default=0)

    @cached_property
    def _spaced(self) -> re.Pattern[str]:
        # Compiled when first used (some 80 ms for a few hundred phrases): a command that
        # reads no page's state does not wait for it.
        spaced = sorted((p for p in self.phrases if not _wide(p)), key=len, reverse=True)
        return re.compile(rf"(?<!\S)(?:{'|'.join(map(re.escape, spaced))})(?!\S)")

    def find(self, folded: str) -> str | None:
        """The first phrase found in ``folded`` (the longest, at the first place), or None."""
        words = folded.split(" ")
        if len(words) <= _SHORT:  # a title or a heading: its runs of words looked up
            for i in range(len(words)):
                for n in range(min(self._longest, len(words) - i), 0, -1):
                    phrase = " ".join(words[i : i + n])
                    if phrase in self._set:
                        return phrase
        else:
            found = self._spaced.search(folded)
            if found:
                return found.group(0)
        return next((p for p in self._wide if p in folded), None)


def _subjects(subjects: str, predicates: str) -> list[str]:
    return [f"{s} {p}".strip() for s in subjects.split(",") for p in predicates.split(",")]


# ----------------------------------------------------------------------------- "not found"

_PAGE_WORDS = "page,this page,the page,content,this content,article,this article,story,"
_PAGE_WORDS += "this story,post,this post,video,this video,item,this item,product,this product,"
_PAGE_WORDS += "listing,this listing,link,this link,url,this url"

# "Not found" as error pages say it, in English, Spanish, French, German, Portuguese, Italian,
# Dutch, and a few more. Written naturally; folded (accents and apostrophes dropped) below.
_NOT_FOUND_PHRASES = [
    # English
    "not found",
    "page not found",
    "nothing found",
    "nothing was found",
    "requested url was not found",
    *_subjects(
        _PAGE_WORDS,
        "cannot be found,can't be found,could not be found,couldn't be found,was not found,"
        "doesn't exist,does not exist,no longer exists,is no longer available,no longer available,"
        "isn't available,is not available,has been removed,has been deleted,is gone",
    ),
    *_subjects(
        "we can't,we cannot,we couldn't,we could not,can't,cannot,couldn't,could not,unable to",
        "find that page,find the page,find this page,find what you're looking for,"
        "find the page you're looking for,find the page you were looking for",
    ),
    "the page you requested",
    "the page you are looking for",
    "the page you're looking for",
    "the page you were looking for",
    "looks like you're lost",
    # Spanish
    "pagina no encontrada",
    "contenido no encontrado",
    "articulo no encontrado",
    "no se encontro la pagina",
    "no se ha encontrado la pagina",
    "no hemos encontrado la pagina",
    "no se encuentra la pagina",
    "la pagina que buscas",
    "la pagina que busca",
    "la pagina solicitada",
    *_subjects(
        "pagina,la pagina,esta pagina,el contenido,este contenido,el articulo,este articulo",
        "no existe,ya no existe,no esta disponible,ya no esta disponible,no disponible,"
        "no se encuentra,no ha sido encontrada,no fue encontrada",
    ),
    # French
    "page introuvable",
    "page non trouvee",
    "article introuvable",
    "contenu introuvable",
    "page inexistante",
    "la page que vous recherchez",
    "la page que vous cherchez",
    "la page demandee",
    *_subjects(
        "page,la page,cette page,la page demandee,l'article,cet article,le contenu,ce contenu",
        "est introuvable,n'existe pas,n'existe plus,n'est plus disponible,n'est pas disponible,"
        "n'a pas ete trouvee,n'a pas ete trouve,a ete supprimee,a ete supprime",
    ),
    # German
    "nicht gefunden",
    "seite nicht gefunden",
    "artikel nicht gefunden",
    "inhalt nicht gefunden",
    "seite nicht verfügbar",
    "die angeforderte seite",
    "die gesuchte seite",
    "diese seite gibt es nicht",
    "diese seite gibt es nicht mehr",
    "diesen artikel gibt es nicht mehr",
    *_subjects(
        "seite,die seite,diese seite,die angeforderte seite,der artikel,dieser artikel,"
        "der inhalt,dieser inhalt",
        "wurde nicht gefunden,konnte nicht gefunden werden,existiert nicht,"
        "existiert nicht mehr,ist nicht mehr verfügbar,ist nicht verfügbar,nicht mehr verfügbar",
    ),
    # Portuguese
    "pagina nao encontrada",
    "conteudo nao encontrado",
    "artigo nao encontrado",
    "pagina inexistente",
    "pagina indisponivel",
    "a pagina que voce procura",
    "a pagina que procura",
    "a pagina solicitada",
    "nao foi possivel encontrar a pagina",
    "nao encontramos a pagina",
    *_subjects(
        "pagina,a pagina,esta pagina,o conteudo,este conteudo,o artigo,este artigo",
        "nao existe,nao existe mais,nao foi encontrada,nao foi encontrado,"
        "nao esta mais disponivel,nao esta disponivel,ja nao esta disponivel",
    ),
    # Italian
    "pagina non trovata",
    "contenuto non trovato",
    "articolo non trovato",
    "pagina inesistente",
    "pagina non disponibile",
    "la pagina che stai cercando",
    "la pagina che cercavi",
    "la pagina richiesta",
    *_subjects(
        "pagina,la pagina,questa pagina,il contenuto,questo contenuto,l'articolo,questo articolo",
        "non esiste,non esiste piu,non e stata trovata,non e stato trovato,non e piu disponibile,"
        "non e disponibile",
    ),
    # Dutch
    "pagina niet gevonden",
    "niet gevonden",
    "pagina niet beschikbaar",
    "de pagina die je zoekt",
    "de pagina die u zoekt",
    "de opgevraagde pagina",
    *_subjects(
        "pagina,de pagina,deze pagina,het artikel,dit artikel",
        "bestaat niet,bestaat niet meer,is niet gevonden,werd niet gevonden,"
        "kon niet worden gevonden,kan niet worden gevonden,is niet meer beschikbaar,"
        "is niet beschikbaar",
    ),
    # Polish, Czech, Swedish, Danish, Norwegian, Finnish, Turkish, Russian
    "nie znaleziono strony",
    "strona nie została znaleziona",
    "strona nie istnieje",
    "stranka nenalezena",
    "stranka nebyla nalezena",
    "sidan kunde inte hittas",
    "sidan hittades inte",
    "sidan finns inte",
    "siden blev ikke fundet",
    "siden findes ikke",
    "siden finnes ikke",
    "fant ikke siden",
    "sivua ei löytynyt",
    "sayfa bulunamad\u0131",  # dotless i
    "страница не найдена",
    "страница не существует",
    # Japanese, Chinese, Korean
    "ページが見つかりません",
    "お探しのページは見つかりませんでした",
    "页面不存在",
    "页面未找到",
    "找不到页面",
    "找不到網頁",
    "頁面不存在",
    "페이지를 찾을 수 없습니다",
]
_NOT_FOUND = _Phrases(_NOT_FOUND_PHRASES)
NOT_FOUND_PHRASES: tuple[str, ...] = _NOT_FOUND.phrases

# Words that may stand beside "404" in an error page's heading ("Error 404", "404 - Page").
# fmt: off
_WITH_404 = frozenset(fold(w) for w in [
    "error", "erreur", "fehler", "errore", "erro", "fout", "hata", "blad", "chyba", "code",
    "status", "http", "page", "pagina", "seite", "oops", "ops", "whoops", "oups", "sorry",
    "not", "found",
])
# fmt: on

# Words that hint at an error page without saying "not found" (the probe then decides).
_ERROR_HINTS = _Phrases(
    [
        "error",
        "oops",
        "whoops",
        "sorry",
        "uh oh",
        "lost",
        "missing",
        "gone",
        "unavailable",
        "removed",
        "deleted",
        "expired",
        "erreur",
        "oups",
        "désolé",
        "fehler",
        "hoppla",
        "leider",
        "lo sentimos",
        "vaya",
        "erro",
        "opa",
        "desculpe",
        "errore",
        "spiacenti",
        "ops",
        "oeps",
        "helaas",
        "fout",
    ]
)

_TITLE_SEPARATORS = re.compile(
    r"\s+[|\-\u2013\u2014\u00b7\u2022\u00bb:]{1,2}\s+|\s*[|\u00bb\u2022]\s*"
)


def _segments(title: str) -> list[str]:
    # "Page not found | The Guardian": each part of a title on its own, the site name apart.
    return [s for s in _TITLE_SEPARATORS.split(title) if s.strip()]


def _says_not_found(heading: str) -> str | None:
    """The not-found phrase a short heading says, or None."""
    folded = fold(heading)
    words = folded.split()
    if not words or len(words) > MAX_HEADING_WORDS:
        return None
    if "404" in words and all(w == "404" or w in _WITH_404 for w in words):
        return "404"
    return _NOT_FOUND.find(folded)


def looks_not_found(title: str | None, headings: Iterable[str]) -> str | None:
    """Where a page says "not found" (e.g. "title 'Page not found | Site'"), or None.

    Only the ``<title>`` and headings are read, never the body text: an article may discuss
    404 errors. A phrase counts only in a short heading (at most ``MAX_HEADING_WORDS`` words,
    each part of the title apart), so an article titled "How to fix a page not found error on
    your website" does not; "404" counts alone or beside words like "error" and "page".
    ``page_state`` passes the ``<h1>`` headings, and the ``<h2>`` too on a page with little
    prose (an article may have a section headed "Not found").
    """
    for part in _segments(title or ""):
        if _says_not_found(part):
            return f"title {_quoted(title or '')}"
    for heading in headings:
        if _says_not_found(heading):
            return f"heading {_quoted(heading)}"
    return None


def _quoted(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def _hints_error(texts: Iterable[str]) -> bool:
    for text in texts:
        for part in _segments(text):
            folded = fold(part)
            if len(folded.split()) <= MAX_HEADING_WORDS and _ERROR_HINTS.find(folded):
                return True
    return False


# ----------------------------------------------------------------------------- what a page shows


@dataclass(frozen=True)
class _View:
    """What the detectors read of a page, parsed once."""

    html: bool
    source: str  # the decoded body, lower case
    title: str
    h1: tuple[str, ...]
    h2: tuple[str, ...]
    text: str  # visible text, one block a line

    @cached_property
    def words(self) -> int:
        return len(self.text.split())

    @cached_property
    def prose_words(self) -> int:
        """Words in blocks of ``PROSE_BLOCK_WORDS`` or more: paragraphs, not menus or buttons."""
        counts = (len(line.split()) for line in self.text.split("\n"))
        return sum(n for n in counts if n >= PROSE_BLOCK_WORDS)


def _media(content_type: str, body: bytes) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media:
        return media
    return "text/html" if body[:512].lstrip().startswith(b"<") else "text/plain"


@lru_cache(maxsize=4)  # a page is read by wants_probe, then page_state: parsed once
def _view(page: Page | Response) -> _View:
    content_type = (
        page.content_type if isinstance(page, Page) else page.header("content-type") or ""
    )
    media = _media(content_type, page.body)
    if not (media.startswith("text/") or "html" in media or "xml" in media):
        return _View(False, "", "", (), (), "")  # a PDF or other document: no page of the site
    doc = decode(page.body, content_type or media)
    if "html" not in media:
        return _View(False, doc.lower(), "", (), (), " ".join(doc.split()))
    tree = LexborHTMLParser(doc)
    title_node = tree.css_first("title")
    title = " ".join((title_node.text() if title_node is not None else "").split())

    def heads(tag: str) -> tuple[str, ...]:
        found = (" ".join(n.text(separator=" ").split()) for n in tree.css(tag))
        return tuple(h for h in found if h)

    return _View(True, doc.lower(), title, heads("h1"), heads("h2"), html_text(doc))


def _not_found(view: _View) -> str | None:
    headings = view.h1 + (view.h2 if view.prose_words < LITTLE_PROSE else ())
    return looks_not_found(view.title, headings)


# ----------------------------------------------------------------------------- URLs


# fmt: off
_GENERIC_STEMS = frozenset([
    "index", "home", "homepage", "default", "main", "start", "welcome", "404", "410", "error",
    "errors", "notfound", "not-found", "not_found", "page-not-found", "pagenotfound",
    "page_not_found", "404-error", "error-404", "error404", "404error", "404-page", "page-404",
    "error-page", "errorpage",
])
# fmt: on
_LANGUAGE = re.compile(r"[a-z]{2}(?:[-_][a-z]{2})?")
_EXTENSION = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cfm)$")


def _generic_path(path: str) -> bool:
    """Whether a path is a site's home or a catch-all page: /, /index.html, /en/, /404, ..."""
    segments = [_EXTENSION.sub("", s.lower()) for s in unquote(path).split("/") if s]
    if len(segments) > 2:
        return False
    return all(s in _GENERIC_STEMS or _LANGUAGE.fullmatch(s) for s in segments)


def _key(url: str) -> tuple[str, str, str]:
    """What makes two URLs the same page: host without www., path without its trailing slash,
    query. Scheme, default port and fragment do not count."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    return host, unquote(parts.path).rstrip("/"), parts.query


def same_page(a: str, b: str) -> bool:
    """Whether two URLs differ only by http/https, ``www.``, a trailing slash or a fragment."""
    try:
        return _key(a) == _key(b)
    except ValueError:
        return a == b


def redirected_home(page: Page) -> str | None:
    """Where the page was sent, when a URL with a deeper path landed on the site's home page or
    a generic page (/, /index.html, /en/, /home, /404, /error, /not-found, ...); else None."""
    if same_page(page.url, page.final_url):
        return None
    try:
        asked, final = urlsplit(page.url), urlsplit(page.final_url)
    except ValueError:
        return None
    if not _generic_path(final.path):
        return None
    specific = not _generic_path(asked.path) or (bool(asked.query) and not final.query)
    return page.final_url if specific else None


def moved_to(page: Page) -> str | None:
    """The URL to cite now, when the page answered with a permanent redirect (301 or 308) to
    another page; else None.

    The chain is followed from the URL asked for while its hops are permanent: a temporary hop
    (302, 303, 307) after them says nothing of where the page lives. A move that only changes
    http to https, adds or drops ``www.`` or a trailing slash is no move.
    """
    hops = list(zip(page.redirects, page.redirect_statuses, strict=False))
    targets = [*page.redirects[1:], page.final_url]
    new: str | None = None
    for (_, status), target in zip(hops, targets, strict=False):
        if status not in PERMANENT_REDIRECTS:
            break
        new = target
    if new is None or same_page(page.url, new):
        return None
    return new


def probe_url(url: str, token: str | None = None) -> str:
    """A path the site cannot have, beside ``url``: its last path segment replaced by a random
    token (``uuid4().hex`` unless given), query and fragment dropped.

    The probe stays in the page's directory, as in the classic test, since sites often answer
    missing pages differently in different sections.
    """
    parts = urlsplit(url)
    token = token or uuid.uuid4().hex
    head, _, _ = parts.path.rstrip("/").rpartition("/")
    slash = "/" if parts.path.endswith("/") and parts.path != "/" else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/{token}{slash}", "", ""))


# ----------------------------------------------------------------------------- refusals

# (marker in the lower-cased source, who sends it). Each is specific to a challenge or denial
# page: Cloudflare injects /cdn-cgi/challenge-platform/scripts/jsd/ into ordinary pages (12 of
# the 201 corpus pages have it), and DataDome or PerimeterX scripts run on ordinary pages too,
# so their script hosts are not markers; their challenge widgets are.
CHALLENGE_MARKERS = (
    ("_cf_chl_opt", "Cloudflare"),
    ("cf-chl-widget", "Cloudflare"),
    ("/cdn-cgi/challenge-platform/h/", "Cloudflare"),
    ("cf-browser-verification", "Cloudflare"),
    ("enable javascript and cookies to continue", "Cloudflare"),
    ("needs to review the security of your connection", "Cloudflare"),
    ("checking if the site connection is secure", "Cloudflare"),
    ("verify you are human by completing the action below", "Cloudflare"),
    ("checking your browser before accessing", "a DDoS filter"),
    ("ddos-guard", "DDoS-Guard"),
    ("errors.edgesuite.net", "Akamai"),
    ("captcha-delivery.com", "DataDome"),
    ("please enable js and disable any ad blocker", "DataDome"),
    ("px-captcha", "PerimeterX"),
    ("press & hold to confirm you are", "PerimeterX"),
    ("incapsula incident id", "Imperva"),
    ("_incapsula_resource", "Imperva"),
    ("sucuri website firewall", "Sucuri"),
    ("vercel security checkpoint", "Vercel"),
    ("our systems have detected unusual traffic", "Google"),
    ("are you a robot", "a captcha"),
    ("verify you are a human", "a captcha"),
    ("verify you are human", "a captcha"),
    ("please complete the security check", "a captcha"),
)
CHALLENGE_TITLES = {
    "just a moment...": "Cloudflare",
    "just a moment\u2026": "Cloudflare",
    "attention required! | cloudflare": "Cloudflare",
    "please wait... | cloudflare": "Cloudflare",
    "ddos-guard": "DDoS-Guard",
    "access denied": "a firewall",
    "access to this page has been denied": "PerimeterX",
    "access to this page has been denied.": "PerimeterX",
    "pardon our interruption": "a bot filter",
    "human verification": "a captcha",
    "security check": "a captcha",
}
# Akamai's denial: "Access Denied ... Reference #18.6a5b3e17.1700000000.1f2e3d4c".
_AKAMAI_REFERENCE = re.compile(r"reference\s*#\s*[0-9a-f]+(?:\.[0-9a-f]+){2,}")


def _challenge(view: _View, headers: Iterable[tuple[str, str]] = ()) -> str | None:
    for name, value in headers:
        # Cloudflare marks every challenge it serves with this header.
        if name.lower() == "cf-mitigated" and value.strip().lower() == "challenge":
            return "a bot challenge (Cloudflare)"
    if view.words > CHALLENGE_MAX_WORDS:
        return None
    # The markup and the text as shown: Akamai writes its reference with character entities.
    seen = f"{view.source}\n{view.text.lower()}"
    if "access denied" in seen and _AKAMAI_REFERENCE.search(seen):
        return "access denied (Akamai)"
    who = CHALLENGE_TITLES.get(view.title.lower())
    if who is None:
        who = next((w for m, w in CHALLENGE_MARKERS if m in seen), None)
    return f"a bot challenge ({who})" if who else None


def is_bot_challenge(page: Page | Response) -> str | None:
    """What refused us, when the page is a bot challenge or a firewall's denial (Cloudflare's
    "Just a moment...", Akamai's "Access Denied ... Reference #", DataDome, PerimeterX, Imperva,
    captcha pages); else None.

    A Response's ``cf-mitigated: challenge`` header is enough. Otherwise the page must have few
    words (``CHALLENGE_MAX_WORDS``) and a marker specific to a challenge: the scripts of these
    services also run on ordinary pages.
    """
    headers = page.headers if isinstance(page, Response) else ()
    return _challenge(_view(page), headers)


_PAYWALL = _Phrases(
    [
        "subscribe to continue",
        "subscribe to continue reading",
        "subscribe to keep reading",
        "subscribe to read",
        "subscribe now to continue",
        "subscribe now to read",
        "this content is for subscribers",
        "this content is only available to subscribers",
        "this article is for subscribers",
        "this article is only available to subscribers",
        "this story is for subscribers",
        "for subscribers only",
        "subscribers only",
        "exclusive to subscribers",
        "to continue reading",
        "sign in to continue reading",
        "log in to continue reading",
        "register to continue reading",
        "you have reached your limit of free articles",
        "you've reached your free article limit",
        "you have reached your free article limit",
        "become a member to read",
        "this article is for members",
        "to read the full article",
        "to read the full story",
        # French, German, Spanish, Portuguese, Italian, Dutch
        "reserve aux abonnes",
        "abonnez-vous pour lire",
        "pour lire la suite",
        "nur fur abonnenten",
        "jetzt abonnieren und weiterlesen",
        "weiterlesen mit",
        "suscribete para seguir leyendo",
        "exclusivo para suscriptores",
        "para seguir leyendo",
        "assine para continuar lendo",
        "exclusivo para assinantes",
        "para continuar lendo",
        "abbonati per continuare a leggere",
        "riservato agli abbonati",
        "per continuare a leggere",
        "alleen voor abonnees",
        "om verder te lezen",
    ]
)
PAYWALL_PHRASES: tuple[str, ...] = _PAYWALL.phrases


def _paywall(view: _View) -> str | None:
    # A "subscribe" banner runs on full articles too: only a page with little prose is a stub.
    if view.prose_words >= LITTLE_PROSE:
        return None
    phrase = _PAYWALL.find(fold(view.text))
    return f"a paywall ({phrase!r}, {view.prose_words} words of article text)" if phrase else None


def is_paywall(page: Page) -> str | None:
    """Why the page is a paywall stub ("subscribe to continue", "this content is for
    subscribers", ...), or None.

    Conservative: a real article with a subscription banner keeps its text, so the page must
    also have little prose, fewer than ``LITTLE_PROSE`` words in blocks of
    ``PROSE_BLOCK_WORDS`` words or more (paragraphs; menus and buttons do not count).
    """
    return _paywall(_view(page))


# ----------------------------------------------------------------------------- the probe


def _blocks(text: str, url: str) -> list[str]:
    """The text's blocks, lower case, without the path asked for: a soft-404 page often
    repeats it ("/a/b was not found")."""
    path = unquote(urlsplit(url).path).lower()
    names = {path, path.rstrip("/").rpartition("/")[2]}
    drop = sorted((n for n in names if len(n) >= 6), key=len, reverse=True)
    blocks = []
    for line in text.lower().split("\n"):
        for name in drop:
            line = line.replace(name, " ")
        if line.strip():
            blocks.append(" ".join(line.split()))
    return blocks


def _probe_verdict(page: Page, view: _View, probe: Page | Unavailable | None) -> str | None:
    if not isinstance(probe, Page):
        return None  # no answer, or an honest 404: nothing to compare
    if not same_page(page.url, page.final_url) and same_page(page.final_url, probe.final_url):
        return f"a made-up path on the host is sent to the same page ({page.final_url})"
    mine, theirs = _blocks(view.text, page.url), _blocks(_view(probe).text, probe.url)
    seen = set(theirs)
    sizes = (len(block.split()) for block in mine if block not in seen)
    if sum(n for n in sizes if n >= PROSE_BLOCK_WORDS) >= PROBE_MAX_OWN_PROSE:
        return None
    score = fuzz.ratio("\n".join(mine), "\n".join(theirs), score_cutoff=PROBE_SIMILARITY)
    if score:
        return f"the host answers a made-up path with the same page ({score:.0f}% alike)"
    return None


def similar_to_probe(page: Page, probe: Page | Unavailable | None) -> str | None:
    """Why the page is the one the host gives for any path, or None.

    ``probe`` is the host's answer to ``probe_url(page.url)``. A 2xx probe whose visible text is
    near-identical to the page's (rapidfuzz ratio of normalized text at least
    ``PROBE_SIMILARITY``, the path asked for left out of each) means the page is what the site
    says for a missing page, unless the page has prose of its own (``PROBE_MAX_OWN_PROSE``
    words in blocks the probe lacks): a site's menus and footer may outweigh a short article.
    A probe redirected to the page's own final URL means the same.
    """
    return _probe_verdict(page, _view(page), probe)


# ----------------------------------------------------------------------------- the state


def _doubtful(page: Page, view: _View) -> bool:
    if not view.html:
        return False
    if view.prose_words < LITTLE_PROSE or _hints_error([view.title, *view.h1, *view.h2]):
        return True
    # A redirect that would be reported as a move: the probe tells a real move from the page
    # every missing URL is sent to.
    return moved_to(page) is not None


def wants_probe(page: Page) -> bool:
    """Whether the probe is worth its request: the page is HTML, the cheap checks find nothing,
    and the page has little prose (under ``LITTLE_PROSE`` words), its title or headings hint at
    an error ("Oops", "Sorry", "Error", ...), or it answered a permanent redirect to another page
    (which the probe may show to be where the site sends every missing page).

    A page with paragraphs of its own that hints at nothing is an article. The probe costs a
    request, made once per host a run (``Fetcher.probe``).
    """
    view = _view(page)
    return _cheap_state(page, view)[0] is SourceStatus.OK and _doubtful(page, view)


def _cheap_state(page: Page, view: _View) -> tuple[SourceStatus, str | None]:
    refused = _challenge(view) or (_paywall(view) if view.html else None)
    if refused:
        return SourceStatus.BLOCKED, refused
    said = _not_found(view) if view.html else None
    if said:
        return SourceStatus.SOFT_404, f"a 'not found' page ({said})"
    home = redirected_home(page)
    if home:
        return SourceStatus.SOFT_404, f"redirected to a generic page ({home})"
    return SourceStatus.OK, None


def page_state(
    page: Page, probe: Page | Unavailable | None = None
) -> tuple[SourceStatus, str | None]:
    """The state of a live 2xx page: OK, MOVED, SOFT_404 or BLOCKED, and why.

    BLOCKED (a bot challenge, a paywall stub) wins over SOFT_404 (a "not found" title or
    heading, a redirect to a generic page, a page like the host's answer to ``probe``), which
    wins over MOVED (a permanent redirect to another page: the reason names the new URL).
    """
    view = _view(page)
    state = _cheap_state(page, view)
    if state[0] is not SourceStatus.OK:
        return state
    like_probe = _probe_verdict(page, view, probe)
    if like_probe:
        return SourceStatus.SOFT_404, like_probe
    new = moved_to(page)
    if new:
        return SourceStatus.MOVED, f"moved permanently to {new}"
    return SourceStatus.OK, None
