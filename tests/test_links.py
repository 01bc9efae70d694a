"""sourcecheck links: links found in files and pages, checked against a real loopback server."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import random
import socket
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.links import HostPacer, LinkOptions, check_url, find_links, parse_accept
from sourcecheck.models import LinkPlace, LinkReport, LinkResult, LinkStatus, Snapshot
from sourcecheck.report import Format
from sourcecheck.report.links import render_links
from tests.conftest import write
from tests.http_server import Route, RouteServer
from tests.wayback_standin import Cap, IAStandIn

runner = CliRunner()


@pytest.fixture
def site(server: RouteServer) -> RouteServer:
    """Pages of every kind under /lk/, registered afresh (hit counts at 0) for each test."""
    server.add("/lk/ok", "<h1>Fine</h1>")
    server.add("/lk/new", "<h1>The page, moved here</h1>")
    server.add("/lk/404", "<h1>Not found</h1>", status=404)
    server.add("/lk/410", "<h1>Gone</h1>", status=410)
    server.add("/lk/moved", status=301, headers=(("Location", "/lk/new"),))
    server.add("/lk/403", "<h1>Forbidden</h1>", status=403)
    server.add("/lk/500", "<h1>Oops</h1>", status=500)
    server.add("/lk/slow", "<h1>Late</h1>", stall=6.0)  # past --timeout 3
    server.add("/lk/loop-a", status=302, headers=(("Location", "/lk/loop-b"),))
    server.add("/lk/loop-b", status=302, headers=(("Location", "/lk/loop-a"),))
    server.add("/lk/data.zip", b"PK\x03\x04", content_type="application/zip")
    return server


def inputs(tmp_path: Path, s: RouteServer) -> list[Path]:
    """A Markdown, an HTML, a text file and a sources.yaml linking to the site's pages."""
    u = s.url
    md = write(
        tmp_path / "article.md",
        textwrap.dedent(f"""\
            # Links

            A [fine page]({u("/lk/ok")}) and a [dead one]({u("/lk/404")}).
            A [moved page][moved], <{u("/lk/410")}> and a bare {u("/lk/403")}.
            Write to [us](mailto:desk@example.org), see [the notes](notes.md) or [the top](#top).

            The [fine page]({u("/lk/ok#again")}) again. `{u("/lk/in-code")}` is code.

            [moved]: {u("/lk/moved")}
            """),
    )
    html = write(
        tmp_path / "page.html",
        textwrap.dedent(f"""\
            <html><body>
            <p><a href="{u("/lk/500")}">broken</a> <img src="{u("/lk/image.png")}"></p>
            <p><a href="{u("/lk/ok")}">fine</a> <a href="javascript:void(0)">js</a></p>
            <p><a href="{u("/lk/loop-a")}">loop</a> <a href="/relative">relative</a></p>
            </body></html>
            """),
    )
    txt = write(
        tmp_path / "notes.txt",
        f"Slow: {u('/lk/slow')}.\nA file ({u('/lk/data.zip')}), and {u('/lk/ok')}\n",
    )
    yaml = write(
        tmp_path / "sources.yaml",
        textwrap.dedent(f"""\
            sources:
              - id: gone
                title: A page that went away
                url: {u("/lk/410")}
                archive_url: {u("/lk/ok")}
              - {{id: flow, url: {u("/lk/new")}}}
            """),
    )
    return [md, html, txt, yaml]


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["links", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    code, out, err = run(*args, "--format", "json")
    assert "Traceback" not in err
    return code, json.loads(out)


BASE = ("--allow-private", "--no-archive", "--timeout", "10")
FAST = (*BASE, "--max-retries", "0")


def by_url(doc: dict[str, Any], s: RouteServer) -> dict[str, dict[str, Any]]:
    return {link["url"].replace(s.base_url, ""): link for link in doc["links"]}


def test_every_kind_of_link_in_every_kind_of_file(tmp_path: Path, site: RouteServer) -> None:
    md, html, txt, yaml = inputs(tmp_path, site)
    # 3 s: /lk/slow times out, but a loaded machine still follows the loop's 11 redirects.
    code, doc = run_json(md, html, txt, yaml, *FAST, "--timeout", "3")
    assert code == 1
    links = by_url(doc, site)
    assert {url: (link["status"], link["http_status"]) for url, link in links.items()} == {
        "/lk/ok": ("ok", 200),
        "/lk/404": ("dead", 404),
        "/lk/moved": ("moved", 200),
        "/lk/410": ("dead", 410),
        "/lk/403": ("blocked", 403),
        "mailto:desk@example.org": ("excluded", None),
        "notes.md": ("excluded", None),
        "#top": ("excluded", None),
        "/lk/500": ("error", 500),
        "javascript:void(0)": ("excluded", None),
        "/lk/loop-a": ("error", None),
        "/relative": ("excluded", None),
        "/lk/slow": ("error", None),
        "/lk/data.zip": ("ok", 200),
        "/lk/new": ("ok", 200),
    }
    assert [link["url"] for link in doc["links"]][:3] == [
        site.url("/lk/ok"),
        site.url("/lk/404"),
        site.url("/lk/410"),
    ]  # in the order first found (a reference's URL is where it is defined, line 9)

    def at(url: str) -> list[str]:
        return [f"{Path(p['file']).name}:{p['line']}" for p in links[url]["places"]]

    assert at("/lk/ok") == [
        "article.md:3",
        "article.md:7",
        "page.html:3",
        "notes.txt:2",
        "sources.yaml:5",
    ]
    assert at("/lk/moved") == ["article.md:9"]  # the reference definition, where the URL is
    assert at("/lk/410") == ["article.md:4", "sources.yaml:4"]
    assert at("/lk/403") == ["article.md:4"]
    assert at("/lk/500") == ["page.html:2"]
    assert at("/lk/slow") == ["notes.txt:1"]
    assert at("/lk/new") == ["sources.yaml:6"]
    assert links["/lk/ok"]["places"][0] == {"file": str(md), "line": 3}

    assert links["/lk/moved"]["reason"] == f"moved permanently to {site.url('/lk/new')}"
    assert links["/lk/moved"]["final_url"] == site.url("/lk/new")
    assert links["/lk/404"]["reason"] == "HTTP 404"
    assert links["/lk/loop-a"]["reason"] == "more than 10 redirects"
    assert links["/lk/slow"]["reason"].startswith("timed out")
    assert links["mailto:desk@example.org"]["reason"] == "mailto: links are not checked"
    assert links["javascript:void(0)"]["reason"] == "javascript: links are not checked"
    assert links["notes.md"]["reason"] == "relative link, and no base URL to resolve it against"
    assert links["#top"]["reason"] == "a link within the same page"
    assert "/lk/in-code" not in links and "/lk/image.png" not in links
    assert doc["summary"] == {
        "ok": 3,
        "moved": 1,
        "dead": 2,
        "blocked": 1,
        "error": 3,
        "excluded": 5,
        "links": 15,
        "exit_code": 1,
    }
    assert set(links["/lk/ok"]) == {
        "url",
        "status",
        "http_status",
        "reason",
        "final_url",
        "places",
        "suggestion",
        "suggestion_reason",
    }
    # Found five times (once with a fragment), fetched once.
    assert site.routes["/lk/ok"].hits == 1
    assert site.routes["/lk/404"].hits == 1


def test_all_ok_is_exit_0_and_the_table_names_each_place(
    tmp_path: Path, site: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.md", f"[a]({site.url('/lk/ok')})\n\n<{site.url('/lk/moved')}>\n")
    code, out, _ = run("a.md", *FAST, "--all")
    assert code == 0
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    rows = [r for r in rows if r[1].strip()]  # not the lines a long cell wraps onto
    assert [(r[1].strip(), r[3].strip()) for r in rows] == [("ok", "a.md:1"), ("moved", "a.md:3")]
    assert out.endswith("2 links: 1 ok, 1 moved, 0 dead, 0 blocked, 0 error, 0 excluded\n")
    # Without --all, only the moved link has a row.
    code, out, _ = run("a.md", *FAST)
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    assert [r[1].strip() for r in rows if r[1].strip()] == ["moved"]
    assert out.endswith("1 ok or excluded not listed (--all lists every link)\n")


def test_accept_counts_the_codes_given_as_ok(tmp_path: Path, site: RouteServer) -> None:
    md, *_ = inputs(tmp_path, site)
    code, doc = run_json(md, *FAST, "--accept", "200..=299,403", "--accept", "404")
    links = by_url(doc, site)
    assert links["/lk/403"]["status"] == "ok"
    assert links["/lk/403"]["reason"] == "HTTP 403 (accepted)"
    assert links["/lk/404"]["status"] == "ok"
    assert links["/lk/410"]["status"] == "dead"
    assert code == 1
    _, doc = run_json(md, *FAST, "--accept", "403")  # replaces the default
    assert by_url(doc, site)["/lk/ok"]["status"] == "error"
    assert by_url(doc, site)["/lk/ok"]["reason"] == "HTTP 200 (not accepted)"


@pytest.mark.parametrize("bad", ["2xx", "299..200", "200-299"])
def test_a_bad_accept_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    md = write(tmp_path / "a.md", "nothing\n")
    code, _, err = run(md, "--accept", bad)
    assert code == 2
    assert "--accept" in err


def test_parse_accept() -> None:
    assert parse_accept("200..=204, 403") == {200, 201, 202, 203, 204, 403}
    assert parse_accept("200..204") == {200, 201, 202, 203}
    assert parse_accept("..=101") == {100, 101}


def test_exclude_leaves_matching_urls_unfetched(tmp_path: Path, site: RouteServer) -> None:
    _, html, *_ = inputs(tmp_path, site)
    code, doc = run_json(html, *FAST, "--exclude", r"/lk/(500|loop-)")
    links = by_url(doc, site)
    assert links["/lk/500"] == {
        **links["/lk/500"],
        "status": "excluded",
        "reason": r"matches --exclude /lk/(500|loop-)",
        "http_status": None,
    }
    assert links["/lk/loop-a"]["status"] == "excluded"
    assert site.routes["/lk/500"].hits == 0
    assert code == 0


def test_a_bad_exclude_regex_is_a_usage_error(tmp_path: Path) -> None:
    md = write(tmp_path / "a.md", "nothing\n")
    code, _, err = run(md, "--exclude", "(")
    assert code == 2
    assert "--exclude" in err


def test_a_url_input_is_fetched_and_its_links_resolved(site: RouteServer) -> None:
    page = site.add(
        "/lk/index.html",
        '<html><body>\n<a href="ok">fine</a>\n<a href="/lk/404">dead</a>\n'
        '<a href="#top">top</a> <a href="mailto:a@b.org">mail</a>\n</body></html>',
    )
    code, doc = run_json(page, *FAST)
    assert code == 1
    assert [(link["url"], link["status"], link["places"]) for link in doc["links"]] == [
        (site.url("/lk/ok"), "ok", [{"file": page, "line": 2}]),
        (site.url("/lk/404"), "dead", [{"file": page, "line": 3}]),
        ("#top", "excluded", [{"file": page, "line": 4}]),
        ("mailto:a@b.org", "excluded", [{"file": page, "line": 4}]),
    ]
    assert doc["inputs"] == [page]


def test_an_unreadable_url_input_is_one_line_and_exit_2(site: RouteServer) -> None:
    code, out, err = run(site.url("/lk/404"), *FAST)
    assert code == 2
    assert err == f"sourcecheck: {site.url('/lk/404')}: cannot read: dead: HTTP 404\n"
    assert out == ""


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, site: RouteServer) -> None:
    md = write(tmp_path / "a.md", f"[a]({site.url('/lk/ok')})\n")
    code, out, err = run(md, tmp_path / "nope.md", *FAST)
    assert code == 2
    assert err == f"sourcecheck: {tmp_path / 'nope.md'}: no such file\n"
    assert out == ""
    assert site.routes["/lk/ok"].hits == 0  # nothing is fetched before the inputs are there


def test_a_bad_sources_yaml_is_one_line_and_exit_2(tmp_path: Path) -> None:
    yaml = write(tmp_path / "sources.yaml", "sources:\n  - id: a\n    url: [x\n")
    code, out, err = run(yaml, "--no-archive")
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"sourcecheck: {yaml}:4:1: invalid YAML: ")
    assert out == ""


# ----------------------------------------------------------------------------- pacing, retries


def test_host_interval_spaces_the_requests_to_one_host(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    times: list[float] = []

    def paced(path: str) -> Route:
        times.append(time.monotonic())
        return Route(b"<p>ok</p>")

    monkeypatch.setitem(server.prefixes, "/lk/paced/", paced)
    urls = [server.url(f"/lk/paced/{i}") for i in range(4)]
    txt = write(tmp_path / "urls.txt", "\n".join(urls) + "\n")
    code, _ = run_json(txt, *FAST, "--host-interval", "0.3")
    assert code == 0
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.8 * 0.3, gaps


def test_host_pacer_spaces_starts_per_host() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def go() -> None:
        pacer = HostPacer(2.0, clock=lambda: now[0], sleep=sleep)
        for url in ["http://a/1", "http://a/2", "http://b/1", "http://a/3"]:
            await pacer.wait(url)

    asyncio.run(go())
    assert waits == [2.0, 2.0]  # a/2 waits for a/1; b/1 goes at once; a/3 waits for a/2


@pytest.fixture
def flaky(server: RouteServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """/lk/flaky/<name>: 503 (Retry-After: 0) twice, then 200; counts the requests per path."""
    asked: dict[str, int] = {}
    lock = threading.Lock()

    def answer(path: str) -> Route:
        with lock:
            asked[path] = asked.get(path, 0) + 1
            n = asked[path]
        if n <= 2:
            return Route(b"busy", status=503, headers=(("Retry-After", "0"),))
        return Route(b"<p>ok now</p>")

    monkeypatch.setitem(server.prefixes, "/lk/flaky/", answer)
    return asked


@pytest.mark.parametrize(
    ("retries", "status", "requests", "reason"),
    [
        ("2", "ok", 3, "after 3 tries"),
        ("1", "error", 2, "HTTP 503, after 2 tries"),
        ("0", "error", 1, "HTTP 503"),
    ],
)
def test_a_503_is_retried(
    tmp_path: Path,
    server: RouteServer,
    flaky: dict[str, int],
    retries: str,
    status: str,
    requests: int,
    reason: str,
) -> None:
    url = server.url(f"/lk/flaky/{retries}")
    txt = write(tmp_path / "urls.txt", url + "\n")
    code, doc = run_json(txt, *BASE, "--max-retries", retries)
    [link] = doc["links"]
    assert (link["status"], link["reason"]) == (status, reason)
    assert flaky[f"/lk/flaky/{retries}"] == requests
    assert code == (0 if status == "ok" else 1)


def test_an_error_that_will_not_pass_is_not_retried(tmp_path: Path, site: RouteServer) -> None:
    txt = write(tmp_path / "urls.txt", f"{site.url('/lk/500')} {site.url('/lk/404')}\n")
    run_json(txt, *BASE, "--max-retries", "2")
    assert (site.routes["/lk/500"].hits, site.routes["/lk/404"].hits) == (1, 1)


def test_no_connection_is_retried_with_a_growing_jittered_wait() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> LinkResult:
        options = LinkOptions(fetch=FetchSettings(allow_private=True), max_retries=3)
        async with Fetcher(options.fetch) as fetcher:
            pacer = HostPacer(0, sleep=sleep)
            url = f"http://127.0.0.1:{port}/x"
            return await check_url(url, fetcher, options, pacer, sleep=sleep, rng=random.Random(1))

    result = asyncio.run(go())
    assert result.status is LinkStatus.DEAD
    assert result.reason is not None and result.reason.startswith("could not connect")
    assert result.reason.endswith(", after 4 tries")
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 2**attempt <= wait < 2 ** (attempt + 1)


# ----------------------------------------------------------------------------- the archive


def test_a_dead_link_gets_the_closest_capture(
    tmp_path: Path, site: RouteServer, ia: IAStandIn
) -> None:
    dead, gone, fine = site.url("/lk/404"), site.url("/lk/410"), site.url("/lk/ok")
    ia.captures[:] = [
        Cap(dead, "20120509080000"),
        Cap(dead, "20190101000000"),
        Cap(dead, "20200101000000", status=404),
    ]
    md = write(tmp_path / "a.md", f"[a]({dead}) [b]({gone}) [c]({fine})\n")
    args = ("--allow-private", "--max-retries", "0", "--archive-rate", "0")
    code, doc = run_json(md, *args, "--wayback-url", ia.base)
    assert code == 1
    links = by_url(doc, site)
    assert links["/lk/404"]["suggestion"] == {
        "timestamp": "20190101000000",
        "url": f"{ia.base}/web/20190101000000/{dead}",
        "raw_url": f"{ia.base}/web/20190101000000id_/{dead}",
        "archive": f"127.0.0.1:{site.port}",
    }
    assert links["/lk/404"]["suggestion_reason"] is None
    assert links["/lk/410"]["suggestion"] is None
    assert links["/lk/410"]["suggestion_reason"] == "no capture with status 200 in the archive"
    assert links["/lk/ok"]["suggestion"] is None  # a working link is not looked up
    assert links["/lk/ok"]["suggestion_reason"] is None
    assert len(ia.paths("/cdx")) == 2

    for fmt, shown in [
        ("table", "2019-01-01"),
        ("markdown", f"[2019-01-01](<{ia.base}/web/20190101000000/{dead}>)"),
        ("github", f"Wayback: 2019-01-01 {ia.base}/web/20190101000000/{dead}"),
        ("junit", f"wayback: 2019-01-01 {ia.base}/web/20190101000000/{dead}"),
    ]:
        _, out, _ = run(md, *args, "--wayback-url", ia.base, "--format", fmt)
        assert shown in out, fmt


def test_no_archive_asks_no_archive(tmp_path: Path, site: RouteServer, ia: IAStandIn) -> None:
    md = write(tmp_path / "a.md", f"[a]({site.url('/lk/404')})\n")
    _, doc = run_json(md, *FAST, "--wayback-url", ia.base)
    [link] = doc["links"]
    assert (link["suggestion"], link["suggestion_reason"]) == (None, None)
    assert ia.paths("/cdx") == []


def test_output_writes_the_file_and_not_stdout(tmp_path: Path, site: RouteServer) -> None:
    md = write(tmp_path / "a.md", f"[a]({site.url('/lk/ok')})\n")
    out_file = tmp_path / "links.json"
    code, out, _ = run(md, *FAST, "--format", "json", "--output", out_file)
    assert (code, out) == (0, "")
    assert json.loads(out_file.read_text(encoding="utf-8"))["summary"]["ok"] == 1


# ----------------------------------------------------------------------------- finding links


def test_markdown_links_keep_their_lines() -> None:
    text = textwrap.dedent("""\
        # Title with https://heading.example/a

        Text [one](https://one.example/x_(y)) and
        more <https://auto.example/> then https://bare.example/path.
        ![an image](https://image.example/i.png) and `https://code.example/`

        ```
        https://fenced.example/
        ```
        <div><a href="https://block.example/">b</a></div>

        Inline <a href="https://inline.example/">html</a>, [used][r] [again][r].

        [r]:
          https://ref.example/ "title"
        """)
    found = [(f.url, f.place.line) for f in find_links(text, "markdown", "a.md")]
    assert found == [
        ("https://heading.example/a", 1),
        ("https://one.example/x_(y)", 3),
        ("https://auto.example/", 4),
        ("https://bare.example/path", 4),
        ("https://block.example/", 10),
        ("https://inline.example/", 12),
        ("https://ref.example/", 15),
    ]


def test_html_links_resolve_against_their_base() -> None:
    text = '<head><base href="https://base.example/dir/"></head>\n<a href="x.html">x</a>\n'
    [link] = find_links(text, "html", "p.html")
    assert (link.url, str(link.place)) == ("https://base.example/dir/x.html", "p.html:2")
    [link] = find_links('<a href="x.html">x</a>', "html", "p.html")
    assert link.url == "x.html"  # no base: left relative, and excluded


# ----------------------------------------------------------------------------- renderers


def _report() -> LinkReport:
    when = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    snap = Snapshot(
        "https://x.example/a|b",
        "20190101000000",
        "https://web.archive.org/web/20190101000000/https://x.example/a|b",
        "https://web.archive.org/web/20190101000000id_/https://x.example/a|b",
    )
    results = (
        LinkResult("https://ok.example/", LinkStatus.OK, (LinkPlace("a.md", 1),), http_status=200),
        LinkResult(
            "https://x.example/a|b",
            LinkStatus.DEAD,
            (LinkPlace("a.md", 2), LinkPlace("b.html", 7)),
            "HTTP 404",
            404,
            "https://x.example/a|b",
            snap,
        ),
        LinkResult(
            "mailto:a@b.org",
            LinkStatus.EXCLUDED,
            (LinkPlace("a.md", 3),),
            "mailto: links are not checked",
        ),
    )
    return LinkReport(("a.md", "b.html"), results, when, when + dt.timedelta(seconds=2))


def test_markdown_rendering_is_exact() -> None:
    assert render_links(_report(), Format.MARKDOWN) == textwrap.dedent("""\
        # Link check

        3 links: 1 ok, 0 moved, 1 dead, 0 blocked, 0 error, 1 excluded

        | Status | URL | Found at | Reason | Wayback |
        |---|---|---|---|---|
        | ✅ ok | [https://ok.example/](<https://ok.example/>) | a.md:1 |  |  |
        | ❌ dead | [https://x.example/a\\|b](<https://x.example/a%7Cb>) | a.md:2, b.html:7 | HTTP 404 | [2019-01-01](<https://web.archive.org/web/20190101000000/https://x.example/a%7Cb>) |
        | ⏭️ excluded | mailto:a@b.org | a.md:3 | mailto: links are not checked |  |
        """)


def test_github_rendering_is_exact() -> None:
    assert render_links(_report(), Format.GITHUB) == (
        "::error file=a.md,line=2,title=sourcecheck%3A link dead::https://x.example/a|b is dead: "
        "HTTP 404%0AWayback: 2019-01-01 https://web.archive.org/web/20190101000000/https://x.example/a|b\n"
        "::error file=b.html,line=7,title=sourcecheck%3A link dead::https://x.example/a|b is dead: "
        "HTTP 404%0AWayback: 2019-01-01 https://web.archive.org/web/20190101000000/https://x.example/a|b\n"
        "::notice title=sourcecheck::3 links: 1 ok, 0 moved, 1 dead, 0 blocked, 0 error, 1 excluded\n"
    )


def test_junit_rendering_fails_broken_links_and_skips_excluded() -> None:
    root = ET.fromstring(render_links(_report(), Format.JUNIT).split("\n", 1)[1])
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("3", "1", "2.000")
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("name"), c.get("line")) for c in cases] == [
        ("https://ok.example/", "1"),
        ("https://x.example/a|b", "2"),
        ("mailto:a@b.org", "3"),
    ]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "dead: HTTP 404"
    assert cases[2].find("skipped") is not None


def _table_statuses(out: str) -> list[str]:
    statuses = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    return [s for s in statuses if s]


def test_table_rendering_has_a_row_per_link_and_the_summary() -> None:
    out = render_links(_report(), Format.TABLE, width=200, every=True)
    assert _table_statuses(out) == ["ok", "dead", "excluded"]
    assert "│ a.md:2 " in out and "│ b.html:7 " in out  # a place a line
    assert out.endswith("3 links: 1 ok, 0 moved, 1 dead, 0 blocked, 0 error, 1 excluded\n")


def test_table_lists_only_links_needing_attention_by_default() -> None:
    out = render_links(_report(), Format.TABLE, width=200)
    assert _table_statuses(out) == ["dead"]
    assert "3 links: 1 ok, 0 moved, 1 dead, 0 blocked, 0 error, 1 excluded\n" in out
    assert out.endswith("2 ok or excluded not listed (--all lists every link)\n")
