"""states: a live 2xx page -> OK, MOVED, SOFT_404 or BLOCKED, and why.

Each detector is tested on small pages written here, table by table: "not found" pages in
several languages, redirects to a home page, bot challenges, paywall stubs, and the real articles
each must let through. Then the states end to end: ``verify`` against the loopback page server,
with an archive that records being asked.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from sourcecheck.archive import ArchiveSettings
from sourcecheck.fetch import FetchSettings
from sourcecheck.models import (
    Page,
    Quote,
    Report,
    Response,
    Source,
    Sources,
    SourceStatus,
    Unavailable,
    Verdict,
    Where,
)
from sourcecheck.states import (
    fold,
    is_bot_challenge,
    is_paywall,
    looks_not_found,
    moved_to,
    page_state,
    probe_url,
    redirected_home,
    same_page,
    similar_to_probe,
    wants_probe,
)
from sourcecheck.verify import Options, verify
from tests.http_server import Route, RouteServer

# ----------------------------------------------------------------------------- pages

HTML_TYPE = "text/html; charset=utf-8"
STORY = "https://news.example/2012/05/08/council-budget.html"
TOKEN = "0123456789abcdef0123456789abcdef"

HEADER = (
    "<header><a href='/'>The Daily Record</a><nav><ul><li><a href='/news'>News</a></li>"
    "<li><a href='/sport'>Sport</a></li><li><a href='/opinion'>Opinion</a></li>"
    "<li><a href='/culture'>Culture</a></li><li><a href='/search'>Search</a></li></ul></nav>"
    "</header>"
)
FOOTER = (
    "<footer><ul><li>About us</li><li>Contact</li><li>Privacy</li><li>Terms</li></ul>"
    "<p>&copy; 2024 The Daily Record. All rights reserved.</p></footer>"
)
PARAGRAPHS = [
    "The city council voted seven to two on Tuesday night to approve a budget of 412 million "
    "dollars for the coming year, ending a debate that had run through four public hearings and "
    "more than a dozen amendments since the mayor first presented her plan in March.",
    "The budget adds forty positions to the fire department, restores weekend hours at three "
    "branch libraries and sets aside six million dollars for road repairs, most of it for the "
    "east side neighborhoods where residents have complained for years about potholes.",
    "Council member Ana Ruiz, who voted against the plan, said the spending on consultants had "
    "grown faster than spending on services and that the council had not been shown how the "
    "new positions would be paid for once a federal grant runs out in two years.",
    "The mayor said in a statement that the budget was balanced without a tax increase for the "
    "third year in a row and that the reserve fund would stay above the level the state "
    "recommends, which she called a promise kept to the people of the city.",
    "Under the plan, water and sewer rates will rise by three percent in July, the first "
    "increase since 2019, which the utilities department said was needed to replace pipes "
    "that in some parts of the city were laid more than a century ago.",
    "Several residents who spoke before the vote asked the council to spend more on youth "
    "programs; the final budget adds half a million dollars for summer jobs, a fifth of what "
    "advocates had asked for, and promises a review of recreation centers by the fall.",
    "The budget takes effect on the first of July. A separate vote on the five-year capital "
    "plan, which includes a new police headquarters and the renovation of the central library, "
    "is scheduled for next month after the finance committee finishes its review.",
]
QUOTE = "ending a debate that had run through four public hearings"
ARTICLE = "<h1>Council approves the 2024 budget</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
TEASER = f"<h1>Council approves the 2024 budget</h1><p>{PARAGRAPHS[0]}</p>"


def html(title: str, main: str, head: str = "", chrome: bool = True) -> bytes:
    """A page of the site: its header and footer around ``main``."""
    body = f"{HEADER}<main>{main}</main>{FOOTER}" if chrome else main
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    ).encode()


def page(
    body: bytes,
    url: str = STORY,
    final: str | None = None,
    redirects: tuple[str, ...] = (),
    statuses: tuple[int, ...] = (),
    content_type: str = HTML_TYPE,
) -> Page:
    return Page(url, final or url, 200, content_type, body, redirects, statuses)


ARTICLE_PAGE = html("Council approves the 2024 budget | The Daily Record", ARTICLE)


# ----------------------------------------------------------------------------- "not found"


@pytest.mark.parametrize(
    ("title", "main"),
    [
        pytest.param("Page not found | The Daily Record", "<p>Try the search.</p>", id="en-title"),
        pytest.param(
            "The Daily Record",
            "<h1>Oops! That page can\u2019t be found.</h1><p>It looks like nothing was found at "
            "this location. Maybe try a search?</p>",
            id="en-wordpress-h1",
        ),
        pytest.param("Error 404 (Not Found)!!1", "<p>That\u2019s an error.</p>", id="en-google"),
        pytest.param("404", "<h1>404</h1><p>Go home.</p>", id="404-alone"),
        pytest.param("The Daily Record", "<h1>Error 404</h1>", id="error-404-h1"),
        pytest.param(
            "The Daily Record",
            "<h1>This article is no longer available</h1><p>Read our latest news.</p>",
            id="en-no-longer-available",
        ),
        pytest.param(
            "The Daily Record",
            "<h1><img alt=''></h1><h2>Sorry, this page doesn't exist</h2>",
            id="en-h2-on-a-stub",
        ),
        pytest.param(
            "Página no encontrada - El Diario",
            "<h1>Lo sentimos</h1><p>Vuelva a la portada.</p>",
            id="es-title",
        ),
        pytest.param(
            "El Diario", "<h1>Lo sentimos, la página que buscas no existe</h1>", id="es-h1"
        ),
        pytest.param("Le Quotidien", "<h1>Oups ! Cette page est introuvable</h1>", id="fr-h1"),
        pytest.param("Page introuvable | Le Quotidien", "<p>Accueil</p>", id="fr-title"),
        pytest.param("Seite nicht gefunden \u2013 Tageblatt", "<p>Startseite</p>", id="de-title"),
        pytest.param("Tageblatt", "<h1>Die Seite konnte nicht gefunden werden</h1>", id="de-h1"),
        pytest.param("Página não encontrada | Jornal", "<p>Início</p>", id="pt-title"),
        pytest.param("Jornal", "<h1>Esta página não existe mais</h1>", id="pt-h1"),
        pytest.param("Pagina non trovata - Il Giornale", "<p>Home</p>", id="it-title"),
        pytest.param("Il Giornale", "<h1>Questa pagina non è più disponibile</h1>", id="it-h1"),
        pytest.param("Pagina niet gevonden | Dagblad", "<p>Home</p>", id="nl-title"),
        pytest.param("Dagblad", "<h1>Deze pagina bestaat niet (meer)</h1>", id="nl-h1"),
        pytest.param("ページが見つかりません | 新聞", "<p>トップへ</p>", id="ja-title"),
        pytest.param("Страница не найдена", "<p>На главную</p>", id="ru-title"),
    ],
)
def test_a_page_that_says_not_found_is_soft_404(title: str, main: str) -> None:
    status, reason = page_state(page(html(title, main)))
    assert status is SourceStatus.SOFT_404
    assert reason is not None and reason.startswith("a 'not found' page (")


@pytest.mark.parametrize(
    ("title", "main"),
    [
        pytest.param(
            "What a 404 error tells you about a website | Tech Weekly",
            "<h1>What a 404 error tells you about a website</h1>"
            "<h2>Not found, or just moved?</h2>"
            + "".join(f"<p>{p} A page not found is a 404.</p>" for p in PARAGRAPHS),
            id="an-article-about-404s",
        ),
        pytest.param(
            "How to fix a page not found error on your WordPress website",
            ARTICLE,
            id="a-long-title-with-the-phrase",
        ),
        pytest.param("404 errors explained | Tech Weekly", ARTICLE, id="404-beside-other-words"),
        pytest.param("Why free will doesn't exist", ARTICLE, id="doesnt-exist-without-a-page"),
        pytest.param("Atlanta office: 404.943.0800", ARTICLE, id="a-phone-number"),
        pytest.param(
            "Council approves the 2024 budget",
            ARTICLE + "<aside><h2>Not found</h2><p>Lost property office hours.</p></aside>",
            id="an-h2-on-a-full-article",
        ),
    ],
)
def test_a_real_article_is_not_a_soft_404(title: str, main: str) -> None:
    assert page_state(page(html(title, main))) == (SourceStatus.OK, None)


@pytest.mark.parametrize(
    ("title", "headings", "said"),
    [
        ("Page not found | The Guardian", [], "title 'Page not found | The Guardian'"),
        (None, ["Nothing Found"], "heading 'Nothing Found'"),
        ("404 - Page Not Found - Example", [], "title '404 - Page Not Found - Example'"),
        ("Sayfa Bulunamadı", [], "title 'Sayfa Bulunamadı'"),
        ("The Daily Record", ["Council approves budget"], None),
        ("Lost and found: a memoir of the sea", [], None),
        (None, [], None),
    ],
)
def test_looks_not_found_reads_the_title_and_headings(
    title: str | None, headings: list[str], said: str | None
) -> None:
    assert looks_not_found(title, headings) == said


def test_fold_drops_case_accents_and_apostrophes() -> None:
    assert fold("Página NO encontrada!") == "pagina no encontrada"
    assert fold("can\u2019t be found") == fold("can't be found") == "cant be found"
    assert fold("N\u2019existe   pas") == "nexiste pas"


# ----------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    ("url", "final", "home"),
    [
        (STORY, "https://news.example/", True),
        (STORY, "https://www.news.example/en/", True),
        (STORY, "https://news.example/index.php", True),
        (STORY, "https://news.example/errors/404.html", True),
        (STORY, "https://news.example/not-found", True),
        (STORY, "https://other.example/", True),
        ("https://news.example/?p=123", "https://news.example/", True),
        ("https://news.example/", "https://www.news.example/", False),
        ("https://news.example/index.html", "https://news.example/", False),
        (STORY, "https://news.example/news/2012/05/council-budget", False),
        (STORY, "https://news.example/news/", False),
        ("https://news.example/story", "https://news.example/story/", False),
    ],
)
def test_redirected_home(url: str, final: str, home: bool) -> None:
    got = redirected_home(page(b"<p>Welcome</p>", url, final, (url,), (301,)))
    assert got == (final if home else None)


NEW = "https://news.example/news/council-budget"


@pytest.mark.parametrize(
    ("url", "redirects", "statuses", "final", "moved"),
    [
        pytest.param(STORY, (STORY,), (301,), NEW, NEW, id="301"),
        pytest.param(STORY, (STORY,), (308,), NEW, NEW, id="308"),
        pytest.param(STORY, (STORY,), (302,), NEW, None, id="302-is-temporary"),
        pytest.param(STORY, (STORY,), (307,), NEW, None, id="307-is-temporary"),
        pytest.param(
            "http://news.example/a", ("http://news.example/a",), (301,), "https://news.example/a",
            None, id="to-https",
        ),
        pytest.param(
            "https://news.example/a", ("https://news.example/a",), (301,),
            "https://www.news.example/a", None, id="to-www",
        ),
        pytest.param(
            "https://news.example/a", ("https://news.example/a",), (308,),
            "https://news.example/a/", None, id="trailing-slash",
        ),
        pytest.param(
            "http://news.example/a", ("http://news.example/a", "https://news.example/a"),
            (301, 301), NEW, NEW, id="to-https-then-elsewhere",
        ),
        pytest.param(
            STORY, (STORY, NEW), (301, 302), "https://news.example/login?next=x", NEW,
            id="the-permanent-target-not-the-final-url",
        ),
        pytest.param(STORY, (STORY, NEW), (302, 301), "https://news.example/x", None,
                     id="temporary-first"),
        pytest.param(STORY, (STORY,), (), NEW, None, id="statuses-unknown"),
    ],
)  # fmt: skip
def test_moved_to_follows_permanent_redirects_only(
    url: str, redirects: tuple[str, ...], statuses: tuple[int, ...], final: str, moved: str | None
) -> None:
    got = page(ARTICLE_PAGE, url, final, redirects, statuses)
    assert moved_to(got) == moved
    expected = (
        (SourceStatus.MOVED, f"moved permanently to {moved}") if moved else (SourceStatus.OK, None)
    )
    assert page_state(got) == expected


def test_same_page_ignores_scheme_www_slash_fragment_and_default_port() -> None:
    assert same_page("http://news.example/a", "https://www.news.example:443/a/#top")
    assert not same_page("https://news.example/a", "https://news.example/a?page=2")
    assert not same_page("https://news.example:8080/a", "https://news.example/a")


@pytest.mark.parametrize(
    ("url", "probe"),
    [
        (STORY, f"https://news.example/2012/05/08/{TOKEN}"),
        ("https://news.example/news/story/?id=3#top", f"https://news.example/news/{TOKEN}/"),
        ("https://news.example/", f"https://news.example/{TOKEN}"),
        ("https://news.example", f"https://news.example/{TOKEN}"),
    ],
)
def test_probe_url_is_a_made_up_sibling(url: str, probe: str) -> None:
    assert probe_url(url, TOKEN) == probe
    assert re.fullmatch(r"[0-9a-f]{32}", probe_url(url).rstrip("/").rpartition("/")[2])


# ----------------------------------------------------------------------------- refusals

CLOUDFLARE = (
    b"<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title>"
    b"<meta http-equiv='refresh' content='390'></head><body><div class='main-wrapper' "
    b"role='main'><div class='main-content'><h1 class='zone-name-title h1'>news.example</h1>"
    b"<h2 class='h2' id='challenge-running'>Checking if the site connection is secure</h2>"
    b"<noscript><div class='h2'>Enable JavaScript and cookies to continue</div></noscript>"
    b"<div id='challenge-body-text' class='core-msg spacer'>news.example needs to review the "
    b"security of your connection before proceeding.</div></div></div><script>(function(){"
    b"window._cf_chl_opt={cvId: '3',cZone: 'news.example',cType: 'managed'};"
    b"var cpo=document.createElement('script');"
    b"cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6a7b';"
    b"document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>"
)
CLOUDFLARE_BLOCK = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    b"<div id='cf-wrapper'><h1 data-translate='block_headline'>Sorry, you have been blocked</h1>"
    b"<h2 class='cf-subheadline'>You are unable to access news.example</h2>"
    b"<p>This website is using a security service to protect itself from online attacks.</p>"
    b"<p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f6a7b</strong></p></div></body></html>"
)
AKAMAI = (
    b"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    b"You don't have permission to access \"http&#58;&#47;&#47;news&#46;example&#47;2012&#47;"
    b'05&#47;08&#47;council&#45;budget&#46;html" on this server.<P>\n'
    b"Reference&#32;&#35;18&#46;2f1a3b17&#46;1700000000&#46;5e6f7a8b\n<P>https&#58;&#47;&#47;"
    b"errors&#46;edgesuite&#46;net&#47;18&#46;2f1a3b17&#46;1700000000&#46;5e6f7a8b</P>\n"
    b"</BODY>\n</HTML>\n"
)
DATADOME = (
    b"<html><head><title>news.example</title><style>#cmsg{animation: A 1.5s;}</style></head>"
    b"<body style='margin:0'><p id='cmsg'>Please enable JS and disable any ad blocker</p>"
    b"<script data-cfasync='false'>var dd={'rt':'c','cid':'AHrlqAAAAAMAx','hsh':'2211F522',"
    b"'t':'fe','s':17434,'host':'geo.captcha-delivery.com'}</script>"
    b"<script data-cfasync='false' src='https://ct.captcha-delivery.com/c.js'></script>"
    b"</body></html>"
)
PERIMETERX = (
    b"<html lang='en'><head><title>Access to this page has been denied</title></head><body>"
    b"<div class='px-captcha-error-container'><div class='px-captcha-error-header'>Access to "
    b"this page has been denied</div><div id='px-captcha'></div><p>Press &amp; Hold to "
    b"confirm you are a human (and not a bot).</p></div><script>window._pxAppId = 'PXabc123';"
    b"</script></body></html>"
)
# Cloudflare's bot detection script, which it injects into ordinary pages.
CLOUDFLARE_JSD = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
    "if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'8a1b',"
    "t:'MTcwMA=='};var a=document.createElement('script');a.nonce='';"
    "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    "document.getElementsByTagName('head')[0].appendChild(a);\";}}}})();</script>"
)


@pytest.mark.parametrize(
    ("body", "who"),
    [
        pytest.param(CLOUDFLARE, "a bot challenge (Cloudflare)", id="cloudflare-managed"),
        pytest.param(CLOUDFLARE_BLOCK, "a bot challenge (Cloudflare)", id="cloudflare-block"),
        pytest.param(AKAMAI, "access denied (Akamai)", id="akamai"),
        pytest.param(DATADOME, "a bot challenge (DataDome)", id="datadome"),
        pytest.param(PERIMETERX, "a bot challenge (PerimeterX)", id="perimeterx"),
        pytest.param(
            html("Security check", "<h1>Are you a robot?</h1><div class='g-recaptcha'></div>"),
            "a bot challenge (a captcha)",
            id="captcha",
        ),
    ],
)
def test_a_bot_challenge_is_blocked(body: bytes, who: str) -> None:
    assert is_bot_challenge(page(body)) == who
    assert page_state(page(body)) == (SourceStatus.BLOCKED, who)


def test_cloudflares_header_marks_a_challenge_whatever_the_page() -> None:
    headers = (("Content-Type", HTML_TYPE), ("cf-mitigated", "challenge"))
    answer = Response(STORY, STORY, 403, headers, ARTICLE_PAGE)
    assert is_bot_challenge(answer) == "a bot challenge (Cloudflare)"
    assert is_bot_challenge(Response(STORY, STORY, 200, headers[:1], ARTICLE_PAGE)) is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            html("Council approves the 2024 budget", ARTICLE, head=CLOUDFLARE_JSD),
            id="cloudflare-bot-script-on-an-article",
        ),
        pytest.param(
            html("A short note", "<p>We moved our office.</p>", head=CLOUDFLARE_JSD),
            id="cloudflare-bot-script-on-a-short-page",
        ),
        pytest.param(
            html(
                "How Cloudflare stops bots",
                ARTICLE + "<p>Visitors may see a page titled Just a moment... and the words "
                "Checking if the site connection is secure, or be asked: are you a robot?</p>",
                head="<script src='https://js.datadome.co/tags.js'></script>",
            ),
            id="an-article-about-bot-walls",
        ),
    ],
)
def test_bot_scripts_on_ordinary_pages_are_no_challenge(body: bytes) -> None:
    assert is_bot_challenge(page(body)) is None
    assert page_state(page(body))[0] is not SourceStatus.BLOCKED


BANNER = (
    "<div class='paywall'><h2>Subscribe to continue reading</h2><p>Already a subscriber? "
    "<a href='/login'>Sign in</a></p><a href='/subscribe'>Subscribe now</a></div>"
)


@pytest.mark.parametrize(
    ("body", "blocked"),
    [
        pytest.param(html("Council approves budget", TEASER + BANNER), True, id="stub"),
        pytest.param(
            html(
                "Le conseil adopte le budget | Le Quotidien",
                "<h1>Le conseil adopte le budget</h1><p>Le conseil municipal a adopté mardi "
                "soir un budget de 412 millions de dollars.</p><p>Cet article est réservé aux "
                "abonnés.</p><a>Je m'abonne</a>",
            ),
            True,
            id="stub-fr",
        ),
        pytest.param(
            html(
                "Council approves budget",
                "<h1>Council</h1><p>This content is for subscribers only. <a>Log in</a></p>",
            ),
            True,
            id="no-teaser",
        ),
        pytest.param(html("Council approves budget", ARTICLE + BANNER), False, id="full-article"),
        pytest.param(html("Council approves budget", BANNER + ARTICLE), False, id="banner-first"),
        pytest.param(
            html("Council approves budget", TEASER + "<p>Continue reading</p>"),
            False,
            id="a-teaser-without-a-wall",
        ),
    ],
)
def test_a_paywall_stub_is_blocked_but_a_full_article_with_a_banner_is_not(
    body: bytes, blocked: bool
) -> None:
    reason = is_paywall(page(body))
    assert (reason is not None) is blocked
    assert (page_state(page(body))[0] is SourceStatus.BLOCKED) is blocked
    if reason:
        assert reason.startswith("a paywall (")


# ----------------------------------------------------------------------------- the probe


def catch_all(path: str) -> bytes:
    """A site's answer to any path it does not have: no 'not found' words, the path named."""
    return html(
        "The Daily Record",
        f"<h1>Hmm.</h1><p>The address {path} leads nowhere on our site.</p>"
        "<ul><li>Latest news</li><li>Most read</li></ul>",
    )


def probe_for(url: str, body: bytes | None = None, final: str | None = None) -> Page:
    probe = probe_url(url, TOKEN)
    return page(body or catch_all(urlsplit(probe).path), probe, final)


def test_a_page_like_the_hosts_answer_to_a_made_up_path_is_soft_404() -> None:
    soft = page(catch_all(urlsplit(STORY).path))
    probe = probe_for(STORY)
    why = similar_to_probe(soft, probe)
    assert why is not None and why.startswith("the host answers a made-up path with the same page")
    assert page_state(soft, probe) == (SourceStatus.SOFT_404, why)
    assert page_state(soft, None) == (SourceStatus.OK, None)


@pytest.mark.parametrize(
    "probe",
    [
        pytest.param(probe_for(STORY), id="catch-all"),
        pytest.param(probe_for(STORY, html("Not here", "<h1>Hmm.</h1>")), id="short-404-page"),
        pytest.param(Unavailable(probe_url(STORY, TOKEN), SourceStatus.DEAD, "HTTP 404"), id="404"),
        pytest.param(None, id="no-probe"),
    ],
)
def test_an_article_is_not_like_the_hosts_answer_to_a_made_up_path(
    probe: Page | Unavailable | None,
) -> None:
    assert similar_to_probe(page(ARTICLE_PAGE), probe) is None


def test_a_short_page_with_prose_of_its_own_is_not_like_the_probe() -> None:
    # Two paragraphs in the site's chrome: most of the text is the chrome, but not all.
    short = page(html("The Daily Record", "<h1>Hmm.</h1>" + "".join(PARAGRAPHS[:3])))
    assert similar_to_probe(short, probe_for(STORY)) is None


def test_a_redirect_where_a_made_up_path_goes_too_is_soft_404_not_moved() -> None:
    landing = "https://news.example/news/latest"
    moved = page(ARTICLE_PAGE, STORY, landing, (STORY,), (301,))
    assert page_state(moved) == (SourceStatus.MOVED, f"moved permanently to {landing}")
    probe = probe_for(STORY, ARTICLE_PAGE, landing)
    reason = f"a made-up path on the host is sent to the same page ({landing})"
    assert page_state(moved, probe) == (SourceStatus.SOFT_404, reason)


# ----------------------------------------------------------------------------- the state


def test_blocked_wins_over_soft_404_which_wins_over_moved() -> None:
    both = html("Just a moment...", "<h1>Page not found</h1>" + "<script>_cf_chl_opt</script>")
    assert page_state(page(both))[0] is SourceStatus.BLOCKED
    home = "https://news.example/"
    sent_home = page(ARTICLE_PAGE, STORY, home, (STORY,), (301,))
    assert page_state(sent_home) == (
        SourceStatus.SOFT_404,
        f"redirected to a generic page ({home})",
    )


def test_plain_text_and_pdf_are_not_read_as_html() -> None:
    text = page(b"Page not found\n\nNothing here.", content_type="text/plain")
    assert page_state(text) == (SourceStatus.OK, None)
    assert not wants_probe(text)
    pdf = page(b"%PDF-1.4\n(Are you a robot?) Tj", content_type="application/pdf")
    assert page_state(pdf) == (SourceStatus.OK, None)
    moved = page(pdf.body, STORY, NEW, (STORY,), (301,), "application/pdf")
    assert page_state(moved) == (SourceStatus.MOVED, f"moved permanently to {NEW}")


@pytest.mark.parametrize(
    ("got", "wanted"),
    [
        pytest.param(page(ARTICLE_PAGE), False, id="an-article"),
        pytest.param(page(html("Note", "<p>We moved our office.</p>")), True, id="little-prose"),
        pytest.param(page(html("Oops | Site", ARTICLE)), True, id="a-title-hinting-at-an-error"),
        pytest.param(page(ARTICLE_PAGE, STORY, NEW, (STORY,), (301,)), True, id="moved"),
        pytest.param(page(ARTICLE_PAGE, STORY, NEW, (STORY,), (302,)), False, id="302"),
        pytest.param(page(html("Page not found", "")), False, id="already-soft-404"),
        pytest.param(page(CLOUDFLARE), False, id="already-blocked"),
    ],
)
def test_wants_probe_only_when_in_doubt(got: Page, wanted: bool) -> None:
    assert wants_probe(got) is wanted


# ----------------------------------------------------------------------------- end to end


@dataclass
class Archive:
    """An archive on the page server that has no captures and records each lookup."""

    server: RouteServer
    base: str

    def asked_for(self, url: str) -> bool:
        for path, _ in self.server.requests:
            if path.startswith("/states-archive/") and url in parse_qs(urlsplit(path).query).get(
                "url", []
            ):
                return True
        return False


@pytest.fixture(scope="module")
def archive(server: RouteServer) -> Iterator[Archive]:
    server.prefixes["/states-archive/"] = lambda path: Route(b"<h1>Not Found</h1>", status=404)
    yield Archive(server, server.url("/states-archive"))


def run(archive: Archive, *sources: Source) -> Report:
    options = Options(
        fetch=FetchSettings(allow_private=True, total_timeout=10.0),
        wayback_url=archive.base,
        archive=ArchiveSettings(lookups_per_minute=None, retries=0),
    )
    return asyncio.run(verify(Sources(Path("sources.yaml"), tuple(sources)), options))


def requested(server: RouteServer, pattern: str) -> list[str]:
    return [p for p, _ in server.requests if re.fullmatch(pattern, urlsplit(p).path)]


@pytest.mark.parametrize(
    ("name", "answer", "reason"),
    [
        pytest.param(
            "es-title",
            Route(html("Página no encontrada - El Diario", "<p>Vuelva a la portada.</p>")),
            "a 'not found' page (title 'Página no encontrada - El Diario')",
            id="not-found-title",
        ),
        pytest.param(
            "wordpress",
            Route(html("The Daily Record", "<h1>Oops! That page can\u2019t be found.</h1>")),
            "a 'not found' page (heading 'Oops! That page can\u2019t be found.')",
            id="not-found-heading",
        ),
    ],
)
def test_a_not_found_page_is_soft_404_and_its_capture_is_read(
    server: RouteServer, archive: Archive, name: str, answer: Route, reason: str
) -> None:
    url = server.url(f"/states/e2e/{name}")
    server.routes[f"/states/e2e/{name}"] = answer
    capture = server.add(f"/states/e2e/capture/{name}", ARTICLE_PAGE)
    [result] = run(archive, Source(name, url, None, (Quote(QUOTE),), archive_url=capture)).results
    assert (result.status, result.reason, result.http_status) == (
        SourceStatus.SOFT_404,
        reason,
        200,
    )
    [quote] = result.quotes
    assert (quote.verdict, quote.where, quote.live_verdict) == (
        Verdict.VERIFIED,
        Where.ARCHIVE,
        None,
    )
    assert result.readable


def test_a_catch_all_page_is_found_by_one_probe_a_host(
    server: RouteServer, archive: Archive
) -> None:
    server.prefixes["/states/e2e/catchall/"] = lambda path: Route(catch_all(urlsplit(path).path))
    urls = [server.url(f"/states/e2e/catchall/story-{i}") for i in (1, 2)]
    report = run(archive, *(Source(f"s{i}", u, None, (Quote(QUOTE),)) for i, u in enumerate(urls)))
    for result, url in zip(report.results, urls, strict=True):
        assert result.status is SourceStatus.SOFT_404
        assert result.reason is not None and "made-up path" in result.reason
        assert result.archive_reason is not None and archive.asked_for(url)
        assert result.quotes[0].verdict is Verdict.UNAVAILABLE
    # One made-up path was asked for the two pages of the host.
    assert len(requested(server, r"/states/e2e/catchall/[0-9a-f]{32}")) == 1


def test_a_redirect_to_the_home_page_is_soft_404(server: RouteServer, archive: Archive) -> None:
    server.add("/en/", html("The Daily Record", "<h1>Welcome</h1><p>Today's news.</p>"))
    url = server.add("/states/e2e/old-story", status=301, headers=(("Location", "/en/"),))
    [result] = run(archive, Source("home", url, None, (Quote(QUOTE),))).results
    home = server.url("/en/")
    assert (result.status, result.reason) == (
        SourceStatus.SOFT_404,
        f"redirected to a generic page ({home})",
    )
    assert result.final_url == home
    assert archive.asked_for(url) and result.archive_reason is not None


@pytest.mark.parametrize(
    ("name", "answer", "reason"),
    [
        pytest.param(
            "cloudflare", Route(CLOUDFLARE), "a bot challenge (Cloudflare)", id="cloudflare-200"
        ),
        pytest.param("akamai", Route(AKAMAI), "access denied (Akamai)", id="akamai-200"),
        pytest.param(
            "paywall",
            Route(html("Council approves budget", TEASER + BANNER)),
            "a paywall ('subscribe to continue reading', 47 words of article text)",
            id="paywall",
        ),
        pytest.param(
            "challenge-403",
            Route(CLOUDFLARE, status=403, headers=(("cf-mitigated", "challenge"),)),
            "a bot challenge (Cloudflare)",
            id="403",
        ),
        pytest.param("too-many", Route(b"slow down", status=429), "HTTP 429", id="429"),
        pytest.param("linkedin", Route(b"", status=999), "HTTP 999", id="999"),
    ],
)
def test_a_refusal_is_blocked_not_dead_and_the_archive_is_asked(
    server: RouteServer, archive: Archive, name: str, answer: Route, reason: str
) -> None:
    server.routes[f"/states/e2e/blocked/{name}"] = answer
    url = server.url(f"/states/e2e/blocked/{name}")
    [result] = run(archive, Source(name, url, None, (Quote(QUOTE),))).results
    assert (result.status, result.reason) == (SourceStatus.BLOCKED, reason)
    assert archive.asked_for(url)
    assert result.archive_reason is not None
    assert result.quotes[0].verdict is Verdict.UNAVAILABLE


def test_a_permanent_redirect_is_moved_and_the_new_page_is_read(
    server: RouteServer, archive: Archive
) -> None:
    new = server.add("/states/e2e/moved/new-home-of-the-story", ARTICLE_PAGE)
    url = server.add("/states/e2e/moved/old", status=301, headers=(("Location", new),))
    [result] = run(archive, Source("moved", url, None, (Quote(QUOTE),))).results
    assert (result.status, result.reason) == (SourceStatus.MOVED, f"moved permanently to {new}")
    assert result.final_url == new and result.readable
    [quote] = result.quotes
    assert (quote.verdict, quote.where) == (Verdict.VERIFIED, Where.LIVE)
    assert not archive.asked_for(url)
    # A move is checked against the host's answer to a made-up path (a 404 here).
    assert len(requested(server, r"/states/e2e/moved/[0-9a-f]{32}")) == 1


@pytest.mark.parametrize(
    ("name", "status", "target"),
    [
        pytest.param("temporary", 302, "/states/e2e/redirect/elsewhere", id="302"),
        pytest.param("temporary-307", 307, "/states/e2e/redirect/elsewhere", id="307"),
        pytest.param("slash", 301, "/states/e2e/redirect/slash/", id="301-trailing-slash"),
    ],
)
def test_a_temporary_or_trivial_redirect_is_ok(
    server: RouteServer, archive: Archive, name: str, status: int, target: str
) -> None:
    server.add(target, ARTICLE_PAGE)
    url = server.add(f"/states/e2e/redirect/{name}", status=status, headers=(("Location", target),))
    [result] = run(archive, Source(name, url, None, (Quote(QUOTE),))).results
    assert (result.status, result.reason, result.final_url) == (
        SourceStatus.OK,
        None,
        server.url(target),
    )
    assert result.quotes[0].verdict is Verdict.VERIFIED


def test_a_move_to_where_every_missing_page_goes_is_soft_404(
    server: RouteServer, archive: Archive
) -> None:
    landing = server.add("/states/e2e/sink/landing", ARTICLE_PAGE)
    server.prefixes["/states/e2e/sink/"] = lambda path: Route(
        status=301, headers=(("Location", "/states/e2e/sink/landing"),)
    )
    url = server.url("/states/e2e/sink/old-story")
    [result] = run(archive, Source("sink", url, None, (Quote(QUOTE),))).results
    assert (result.status, result.reason) == (
        SourceStatus.SOFT_404,
        f"a made-up path on the host is sent to the same page ({landing})",
    )
    assert archive.asked_for(url)


def test_an_ordinary_article_costs_no_probe(server: RouteServer, archive: Archive) -> None:
    url = server.add("/states/e2e/plain/article", ARTICLE_PAGE)
    [result] = run(archive, Source("plain", url, None, (Quote(QUOTE),))).results
    assert (result.status, result.reason) == (SourceStatus.OK, None)
    assert requested(server, r"/states/e2e/plain/(?!article).*") == []


@pytest.mark.parametrize("status", [403, 503])
def test_a_challenge_served_with_an_error_status_is_blocked(status: int) -> None:
    from sourcecheck.fetch import to_page
    from sourcecheck.models import Response

    challenge = Response(
        "https://news.example/a", "https://news.example/a", status,
        (("Content-Type", "text/html"),), CLOUDFLARE,
    )  # fmt: skip
    plain = Response("https://news.example/a", "https://news.example/a", status, (), b"<h1>No</h1>")
    got = to_page(challenge)
    assert isinstance(got, Unavailable)
    assert (got.status, got.reason) == (SourceStatus.BLOCKED, "a bot challenge (Cloudflare)")
    other = to_page(plain)
    assert isinstance(other, Unavailable) and other.reason == f"HTTP {status}"


def test_phrases_in_short_text_are_found_as_the_pattern_finds_them() -> None:
    # Titles and headings are looked up word run by word run; long text is searched with the
    # compiled pattern. Both must give the same phrase: the longest at the first place.
    import random

    from sourcecheck import states

    rng = random.Random(3)
    for phrases in (states._NOT_FOUND, states._ERROR_HINTS, states._PAYWALL):
        vocab = [*sorted({w for p in phrases.phrases for w in p.split()}), "the", "404", "x"]
        for _ in range(3000):
            words = [rng.choice(vocab) for _ in range(rng.randint(0, 14))]
            if rng.random() < 0.5:
                at = rng.randint(0, len(words))
                words[at:at] = rng.choice(phrases.phrases).split()
            text = " ".join(words)
            found = phrases._spaced.search(text)
            expected = (
                found.group(0) if found else next((p for p in phrases._wide if p in text), None)
            )
            assert phrases.find(text) == expected, text
