"""The security promises, each against real servers on 127.0.0.1 and the real command.

1. No request reaches a private address without --allow-private: not directly, not after a
   redirect, not through a name that resolves inside, and no scheme but http(s) is ever fetched.
2. Nothing a page (or sources.yaml) says can drive the terminal or break out of a report.
3. Credentials and token-like parameters of a URL are redacted in every output.
4. Headers given for one origin are never sent to another.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck.archive import SavePageNow
from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import Response, SourceStatus, Unavailable
from sourcecheck.redact import REDACTED, redact_text, redact_url
from tests.http_server import RouteServer

runner = CliRunner()

GUARDED = FetchSettings(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
LOOPBACK = FetchSettings(
    allow_private=True, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0
)


@pytest.fixture(scope="module")
def other() -> Iterator[RouteServer]:
    """A second loopback server: another origin (another port)."""
    with RouteServer() as s:
        yield s


def hits(server: RouteServer, path: str) -> int:
    return sum(1 for p, _ in server.requests if p.split("?", 1)[0] == path)


def fetch_one(url: str, settings: FetchSettings, trusted: tuple[str, ...] = ()) -> object:
    async def run() -> object:
        async with Fetcher(settings, trusted_origins=trusted) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# ============================================================================ 1. SSRF

# Ways to write an address inside: names, numeric forms getaddrinfo accepts, cloud metadata.
INSIDE_HOSTS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST.",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "127.1",
    "2130706433",  # 127.0.0.1 as one decimal number
    "0x7f000001",
    "0.0.0.0",
    "169.254.169.254",  # AWS, GCP, Azure metadata
    "[fd00:ec2::254]",  # AWS metadata over IPv6
    "metadata.google.internal",  # resolves inside GCP only; elsewhere a failed lookup
    "10.0.0.1",
    "192.168.0.1",
]


@pytest.mark.parametrize("host", INSIDE_HOSTS)
def test_an_inside_address_is_never_fetched_directly(server: RouteServer, host: str) -> None:
    path = f"/sec/direct/{host.strip('[].')}"
    server.add(path, "<p>internal</p>")
    url = f"http://{host}:{server.port}{path}"

    started = time.monotonic()
    got = fetch_one(url, GUARDED)

    assert isinstance(got, Unavailable), url
    assert got.status is SourceStatus.ERROR or got.reason.startswith("could not connect: DNS")
    # Refused by the guard before any connection: at once, not after a connect timeout.
    assert got.reason.startswith(("refused: ", "could not connect: DNS lookup failed")), got
    assert time.monotonic() - started < 1.5
    assert hits(server, path) == 0


@pytest.mark.parametrize("host", INSIDE_HOSTS)
def test_an_inside_address_is_never_fetched_after_a_redirect(
    server: RouteServer, other: RouteServer, host: str
) -> None:
    # The start is on a trusted origin (as a configured archive is): it is read, its redirect
    # to the inside is not followed.
    target_path = f"/sec/hop-target/{host.strip('[].')}"
    other.add(target_path, "<p>internal</p>")
    port = other.port if host in ("127.0.0.1", "localhost") else 80
    target = f"http://{host}:{port}{target_path}"
    start = server.add(f"/sec/hop/{host.strip('[].')}", status=302, headers=(("Location", target),))

    got = fetch_one(start, GUARDED, trusted=(server.base_url,))

    assert isinstance(got, Unavailable)
    assert got.url == start
    assert got.reason.startswith(("refused: ", "could not connect: DNS lookup failed")), got
    assert hits(other, target_path) == 0


def test_the_metadata_address_is_refused_with_the_way_to_allow_it() -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/"):
        got = fetch_one(url, GUARDED)
        assert isinstance(got, Unavailable)
        host = url.split("/")[2].strip("[]")
        assert got.reason == (
            f"refused: {host} resolves to non-public address {host} (allow with --allow-private)"
        )


def test_links_refuses_a_redirect_inside_from_the_trusted_archive(
    tmp_path: Path, server: RouteServer, other: RouteServer
) -> None:
    other.add("/sec/links-inside", "<p>internal</p>")
    start = server.add(
        "/sec/links-hop", status=301, headers=(("Location", other.url("/sec/links-inside")),)
    )
    doc = tmp_path / "page.md"
    doc.write_text(f"See [this]({start}).\n", encoding="utf-8")

    code, out, _ = cli("links", doc, "-f", "json", "--wayback-url", server.base_url)

    [link] = json.loads(out)["links"]
    assert code == 1
    assert link["status"] == "error"
    assert "non-public address 127.0.0.1" in link["reason"]
    assert hits(other, "/sec/links-inside") == 0


OTHER_SCHEMES = [
    "file:///etc/passwd",
    "ftp://ftp.example.com/pub/file.txt",
    "data:text/html,<script>alert(1)</script>",
    "javascript:alert(1)",
    "gopher://127.0.0.1:6379/_INFO",
]


@pytest.mark.parametrize("url", OTHER_SCHEMES)
def test_sources_yaml_refuses_other_schemes_at_load(tmp_path: Path, url: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - id: x\n    url: {json.dumps(url)}\n    quotes: [a b c d]\n",
        encoding="utf-8",
    )

    code, out, err = cli("verify", path, "--no-archive")

    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"sourcecheck: {path}:3: sources[0].url: ")
    assert "is not an http:// or https:// URL" in line


def test_links_excludes_other_schemes_with_a_reason(tmp_path: Path) -> None:
    doc = tmp_path / "page.html"
    anchors = "".join(f'<a href="{html.escape(u)}">x</a>\n' for u in OTHER_SCHEMES)
    doc.write_text(f"<html><body>{anchors}</body></html>", encoding="utf-8")

    code, out, _ = cli("links", doc, "-f", "json", "--no-archive")

    assert code == 0
    got = {r["url"]: (r["status"], r["reason"]) for r in json.loads(out)["links"]}
    assert got == {
        u: ("excluded", f"{u.split(':', 1)[0]}: links are not checked") for u in OTHER_SCHEMES
    }


@pytest.mark.parametrize("url", OTHER_SCHEMES)
def test_a_redirect_to_another_scheme_is_an_error_with_a_reason(
    server: RouteServer, url: str
) -> None:
    name = url.split(":", 1)[0]
    start = server.add(f"/sec/scheme-hop/{name}", status=302, headers=(("Location", url),))

    got = fetch_one(start, LOOPBACK)

    assert isinstance(got, Unavailable)
    assert got.status is SourceStatus.ERROR
    # httpx refuses the hop: an unsupported protocol, or (data:, javascript:, which have no
    # "//") a URL it cannot take as an absolute one. Either way nothing is fetched.
    if got.reason.startswith("unsupported URL: "):
        assert f"'{name}://'" in got.reason, got.reason
    else:
        assert got.reason.startswith("bad redirect: Invalid URL in location header"), got.reason


# ============================================================================ 2. hostile text

HOSTILE_PIECES = [
    "[bold red]x[/]",
    "[link=file:///etc/passwd]y[/link]",
    "\x1b[2J",
    "\x1b]8;;http://evil\x1b\\",
    "\x1b]0;title\x07",
    "\x00\x08\x0b\x0c\x0d\x7f",
    "\x85\x9b31m\x9d",  # C1: NEL, CSI, OSC
    "\u202egnp.exe\u202c",
    "\u2066\u2069",
    "a|b|c",
    "```",
    "</details>",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "\n::error file=x::pwned",
    "\r\n::set-output name=x::y",
    "%0A::warning::z",
]
HOSTILE = " ".join(HOSTILE_PIECES)
# Every byte that moves a terminal: C0 but tab and newline, DEL, C1, and bidi controls.
DRIVES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")

PAGE_TEXT = "The mayor said the new {} budget will fund twelve schools across the city next year."
QUOTE = "The mayor said the new budget will fund twenty schools across the city next year."


@pytest.fixture(scope="module")
def hostile_sources(server: RouteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sources.yaml whose title, publisher and quotes are hostile, citing hostile pages: one
    whose passage is hostile (altered), one redirecting to a hostile javascript: URL (reason),
    one whose title says "not found" with hostile words (reason from the page's title)."""
    title = html.escape(HOSTILE.replace("\n", " "))
    body = html.escape(PAGE_TEXT.format(HOSTILE))
    page = server.add(
        "/sec/hostile/page",
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{body}</p><p>{'Other words of the article. ' * 20}</p></article></body></html>",
    )
    # A header value holds no C0 control: what is left of the hostile text does.
    in_header = "".join(c for c in HOSTILE if c >= " " and ord(c) < 256 and c not in "\x7f")
    hop = server.add(
        "/sec/hostile/hop", status=302, headers=(("Location", "javascript:" + in_header),)
    )
    soft = server.add(
        "/sec/hostile/soft",
        f"<html><head><title>Page not found | {title}</title></head><body><h1>Page not found"
        f"</h1></body></html>",
    )
    path = tmp_path_factory.mktemp("hostile") / "sources.yaml"
    h = json.dumps(HOSTILE)
    path.write_text(
        "sources:\n"
        f"  - id: page\n    title: {h}\n    publisher: {h}\n    url: {page}\n"
        f"    quotes:\n      - {json.dumps(QUOTE)}\n      - {h}\n"
        f"  - id: {json.dumps('hop ' + HOSTILE.replace(chr(0), ''))}\n    title: {h}\n"
        f"    url: {hop}\n    quotes: [{json.dumps(QUOTE)}]\n"
        f"  - id: soft\n    url: {soft}\n    quotes: [{json.dumps(QUOTE)}]\n",
        encoding="utf-8",
    )
    return path


def _outside_code(markdown: str) -> str:
    """A Markdown document without its fenced code blocks, code spans and <...> link
    destinations, where any text is taken literally."""
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        run = re.match(r"`{3,}", stripped)
        if fence is None and run:
            fence = run[0]
        elif fence is not None and stripped == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    text = re.sub(r"\]\(<[^<>\n]*>\)", "]()", "\n".join(kept))
    return re.sub(r"(?<!\\)`[^`\n]*`", "", text)


def assert_safe(fmt: str, out: str, color: bool = False) -> None:
    """What every output promises, whatever the text it shows."""
    shown = SGR.sub("", out) if color else out
    assert not DRIVES.search(shown), (fmt, DRIVES.findall(shown)[:5])
    assert "\x1b]" not in out and "\x07" not in out  # no OSC: hyperlinks, window titles
    if fmt == "table":
        assert "[link=file:///etc/passwd]y[/link]" in shown.replace("\n", "")  # literally
    elif fmt == "json":
        doc = json.loads(out)
        assert json.loads(json.dumps(doc)) == doc
    elif fmt == "markdown":
        prose = _outside_code(out)
        for raw in ("<script", "<img", "```", "a|b"):
            assert raw not in prose, raw
        assert not re.search(r"(?<!\\)\[link=", prose)  # escaped: \[link=...
        assert prose.count("</details>") == prose.count("<details>") <= 1
        assert "&lt;script&gt;" in prose
    elif fmt == "junit":
        root = ET.fromstring(out)
        tags = {e.tag for e in root.iter()}
        assert tags <= {"testsuites", "testsuite", "testcase", "failure", "system-out", "skipped"}
        for e in root.iter():
            for value in [e.text or "", *e.attrib.values()]:
                assert not DRIVES.search(value), value
    elif fmt == "github":
        for line in out.splitlines():
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
        assert "\r" not in out


FORMATS = ["table", "table-color", "json", "markdown", "junit", "github"]


def _format_args(fmt: str) -> list[str]:
    return ["-f", "table"] if fmt == "table-color" else ["-f", fmt]


def _render_table_in_color(args: list[str]) -> str:
    """The table as a colour terminal gets it (CliRunner's stdout is no terminal)."""
    from sourcecheck.report import Format, render
    from sourcecheck.sources import load_sources
    from sourcecheck.verify import Options
    from sourcecheck.verify import verify as run_verify

    sources = load_sources(Path(args[0]))
    options = Options(fetch=LOOPBACK, use_archive=False, cache_dir=None)
    report = asyncio.run(run_verify(sources, options))
    return render(report, Format.TABLE, color=True, width=80)


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_output_cannot_be_driven_by_a_page(hostile_sources: Path, fmt: str) -> None:
    if fmt == "table-color":
        out = _render_table_in_color([str(hostile_sources)])
        assert "\x1b[" in out  # colour is on
    else:
        code, out, err = cli(
            "verify", hostile_sources, "--allow-private", "--no-archive", *_format_args(fmt)
        )
        assert code == 1, err
    assert_safe(fmt.split("-")[0], out, color=fmt == "table-color")
    if fmt == "json":
        doc = json.loads(out)
        altered = [q for q in doc["quotes"] if q["verdict"] == "altered"]
        assert any("::error file=x::pwned" in q["match"]["text"] for q in altered)
        reasons = " ".join(s["reason"] or "" for s in doc["sources"])
        assert "'not found' page (title 'Page not found | [bold red]x[/]" in reasons
        assert doc["sources"][0]["title"] == HOSTILE


@pytest.fixture(scope="module")
def hostile_links(server: RouteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dead = server.add("/sec/hostile/dead", "<h1>gone</h1>", status=404)
    in_header = "".join(c for c in HOSTILE if c >= " " and ord(c) < 256 and c != "\x7f")
    hop = server.add(
        "/sec/hostile/link-hop", status=302, headers=(("Location", "javascript:" + in_header),)
    )
    hrefs = [
        "javascript:" + HOSTILE,
        f"{dead}?q={HOSTILE}",
        hop,
        "http://[::1" + HOSTILE.replace("\n", ""),
    ]
    anchors = "".join(
        f'<p><a href="{html.escape(h)}">{html.escape(HOSTILE)}</a></p>\n' for h in hrefs
    )
    path = tmp_path_factory.mktemp("hostile-links") / "page.html"
    path.write_text(f"<html><body>{anchors}</body></html>", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_links_output_cannot_be_driven_by_a_page(hostile_links: Path, fmt: str) -> None:
    if fmt == "table-color":
        from sourcecheck.links import LinkOptions, check_links
        from sourcecheck.report import Format
        from sourcecheck.report.links import render_links

        options = LinkOptions(fetch=LOOPBACK, wayback_url=None, cache_dir=None)
        report = asyncio.run(check_links([str(hostile_links)], options))
        out = render_links(report, Format.TABLE, color=True, width=80, every=True)
    else:
        code, out, err = cli(
            "links", hostile_links, "--allow-private", "--no-archive", "--all", *_format_args(fmt)
        )
        assert code == 1, err
    kind = fmt.split("-")[0]
    if kind == "table":
        shown = SGR.sub("", out) if fmt == "table-color" else out
        assert not DRIVES.search(shown), DRIVES.findall(shown)[:5]
        assert "\x1b]" not in out and "\x07" not in out
        assert "[bold" in shown
    else:
        assert_safe(kind, out)


# ============================================================================ 3. secrets

PASSWORD, TOKEN, KEY, SIG = "pw-s3cret", "tk-abc123", "ky-987", "sg-555"
SECRETS = (PASSWORD, TOKEN, KEY, SIG)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h/x?token=t&a=1", f"https://u:{REDACTED}@h/x?token={REDACTED}&a=1"),
        ("https://abc@h/", f"https://{REDACTED}@h/"),
        ("https://h/x?Access_Token=1&API_KEY=2&apikey=3&Key=4", None),
        ("https://h/x?sig=1&Signature=2&password=3&SECRET=4&auth=5", None),
        ("https://h/x#access_token=1", f"https://h/x#access_token={REDACTED}"),
        ("https://h/x?q=token&keyword=1&tokens=2", "https://h/x?q=token&keyword=1&tokens=2"),
        ("https://h/x?key=", "https://h/x?key="),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str | None) -> None:
    got = redact_url(url)
    if shown is not None:
        assert got == shown
    else:
        assert re.findall(r"=([^&]*)", got) == [REDACTED] * len(re.findall("=", url))


def test_redact_text_finds_urls_and_headers_in_free_text() -> None:
    text = (
        f"see http://u:{PASSWORD}@h/x?token={TOKEN}, then (https://h/?sig={SIG}).\n"
        f"Authorization: Bearer {KEY}\ncookie=session={KEY}"
    )
    got = redact_text(text)
    assert not any(s in got for s in SECRETS)
    assert got.startswith(f"see http://u:{REDACTED}@h/x?token={REDACTED}, then (https://h/")
    assert f"?sig={REDACTED})." in got


@pytest.fixture(scope="module")
def secret_world(
    server: RouteServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, str]:
    """A sources.yaml and an article citing loopback URLs with credentials and tokens."""
    server.add("/sec/secret/page", "<p>The council voted on Tuesday to close the old bridge.</p>")
    server.add(
        "/sec/secret/moved",
        status=301,
        headers=(("Location", f"/sec/secret/page?sig={SIG}&x=1"),),
    )
    base = server.base_url.replace("http://", f"http://user:{PASSWORD}@")
    page = f"{base}/sec/secret/page?token={TOKEN}&api_key={KEY}"
    moved = f"{base}/sec/secret/moved?Token={TOKEN}"
    directory = tmp_path_factory.mktemp("secret")
    sources = directory / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - id: page\n    url: {page}\n    quotes: ['the council voted to open the bridge']\n"
        f"  - id: moved\n    url: {moved}\n    quotes: ['nothing like this is there at all']\n",
        encoding="utf-8",
    )
    article = directory / "article.md"
    article.write_text(
        f'The council "voted on Tuesday to close the old bridge," [it said]({page}).\n\n'
        f"More at <{moved}> and {page}\n",
        encoding="utf-8",
    )
    return sources, article, page


def assert_no_secret(what: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (what, secret)
    # Nor base64 of user:password, as in a Basic Authorization header.
    assert base64.b64encode(f"user:{PASSWORD}".encode()).decode() not in text, what


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "junit", "github"])
def test_verify_shows_no_secret_and_sends_them(
    server: RouteServer, secret_world: tuple[Path, Path, str], fmt: str
) -> None:
    sources, article, _ = secret_world
    before = len(server.requests)
    code, out, err = cli(
        "verify", sources, "--article", article, "--allow-private", "--no-archive", "-f", fmt
    )
    assert code == 1, err
    assert_no_secret(fmt, out + err)
    if fmt in ("json", "markdown"):
        assert REDACTED in out
    # The server got the real values: the query as written, the password as Basic auth.
    sent = server.requests[before:]
    paths = [p for p, _ in sent]
    assert f"/sec/secret/page?token={TOKEN}&api_key={KEY}" in paths
    assert f"/sec/secret/page?sig={SIG}&x=1" in paths
    basic = "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    assert any(h.get("Authorization") == basic for _, h in sent)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "junit", "github"])
def test_links_shows_no_secret(secret_world: tuple[Path, Path, str], fmt: str) -> None:
    _, article, _ = secret_world
    code, out, err = cli("links", article, "--allow-private", "--no-archive", "-f", fmt)
    assert code == 0, out + err
    assert_no_secret(fmt, out + err)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_quotes_and_history_show_no_secret(
    server: RouteServer, secret_world: tuple[Path, Path, str], fmt: str
) -> None:
    sources, article, _ = secret_world
    code, out, err = cli("quotes", article, "--sources", sources, "-f", fmt)
    assert code == 0, err
    assert_no_secret(f"quotes {fmt}", out + err)
    # No archive answers here (the route server has no CDX API): the URL is still shown.
    code, out, err = cli(
        "history", "page", sources, "--allow-private", "--no-cache", "--wayback-url",
        server.base_url, "-f", fmt,
    )  # fmt: skip
    assert code in (0, 1), err
    assert_no_secret(f"history {fmt}", out + err)
    assert REDACTED in out


def test_error_lines_show_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - id: x\n    url: ftp://user:{PASSWORD}@h/?token={TOKEN}\n",
        encoding="utf-8",
    )
    code, out, err = cli("verify", path, "--no-archive")
    assert code == 2
    assert_no_secret("stderr", out + err)
    assert f"ftp://user:{REDACTED}@h/?token={REDACTED}" in err


# ============================================================================ 4. headers


def test_authorization_is_not_forwarded_to_another_origin(
    server: RouteServer, other: RouteServer
) -> None:
    other.add("/sec/hdr/there", "<p>there</p>")
    server.add("/sec/hdr/here", "<p>here</p>")
    away = server.add(
        "/sec/hdr/away", status=302, headers=(("Location", other.url("/sec/hdr/there")),)
    )
    home = server.add("/sec/hdr/home", status=302, headers=(("Location", "/sec/hdr/here"),))
    headers = {"Authorization": "Bearer hdr-secret", "Cookie": "session=hdr-cookie"}

    async def run() -> list[Response | Unavailable]:
        async with Fetcher(LOOPBACK) as fetcher:
            return [await fetcher.request("GET", u, headers=headers) for u in (away, home)]

    got = asyncio.run(run())

    assert [g.http_status for g in got] == [200, 200]
    [there] = [h for p, h in other.requests if p == "/sec/hdr/there"]
    assert "Authorization" not in there
    # The same origin keeps it: the header was sent, and dropped only for the other origin.
    [here] = [h for p, h in server.requests if p == "/sec/hdr/here"]
    assert here.get("Authorization") == "Bearer hdr-secret"


def test_save_page_now_keys_go_to_the_archive_only(server: RouteServer, other: RouteServer) -> None:
    page = other.add("/sec/spn/page", "<p>a page</p>")
    server.add(
        "/sec/spn/save",
        json.dumps({"job_id": "j1"}),
        content_type="application/json",
    )
    server.add(
        "/sec/spn/save/status/j1",
        json.dumps({"status": "success", "timestamp": "20240101000000", "original_url": page}),
        content_type="application/json",
    )
    # A second archive answer redirecting elsewhere is not followed, keys and all.
    server.add("/sec/spn2/save", status=307, headers=(("Location", other.url("/sec/spn/steal")),))

    async def no_sleep(seconds: float) -> None:
        pass

    async def run() -> list[object]:
        async with Fetcher(LOOPBACK) as fetcher:
            out: list[object] = []
            for base in (server.url("/sec/spn"), server.url("/sec/spn2")):
                spn = SavePageNow(fetcher, "ak-1", "sk-2", base, poll=0, sleep=no_sleep)
                out.append(await spn.save(page))
            return out

    saved, refused = asyncio.run(run())

    assert getattr(saved, "timestamp", None) == "20240101000000"
    assert "HTTP 307" in str(getattr(refused, "reason", ""))
    asked = [h for p, h in server.requests if p.startswith("/sec/spn")]
    assert asked and all(h.get("Authorization") == "LOW ak-1:sk-2" for h in asked)
    assert not [p for p, _ in other.requests if p.startswith("/sec/spn")]
