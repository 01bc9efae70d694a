"""The live-page cache, offline runs and the cache commands, against real loopback servers."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcecheck.cache import Cache, parse_age
from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import Page, Unavailable
from sourcecheck.sources import load_sources
from tests.conftest import World, write
from tests.http_server import Route, RouteServer

runner = CliRunner()
QUOTE = "the council will vote on the budget next week"
ARTICLE = f"<html><body><h1>Budget</h1><p>The mayor said {QUOTE}, after months of talks about money and schools and roads.</p></body></html>"


def verify_json(sources: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app, ["verify", str(sources), "--format", "json", "--allow-private", *extra]
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def seed_json(world: World, *extra: str) -> tuple[int, dict[str, Any]]:
    return verify_json(world.sources_yaml, "--wayback-url", world.wayback_url, *extra)


def verdicts(doc: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    """What each quote's verdict rests on: verdict, which copy, which capture."""
    return [(q["source"], q["verdict"], q["where"], q["snapshot"]) for q in doc["quotes"]]


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["status"] for s in doc["sources"]}


def pywb_mark(world: World) -> int:
    """Where pywb's request log stands once every request made so far is in it.

    pywb writes a request's line after answering it, so a marker request is sent and the log
    read until its line is there."""
    mark = uuid.uuid4().hex
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{world.wayback_url}/collinfo.json?mark={mark}", timeout=5) as answer:
        answer.read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = world.archive.log_path.read_text(errors="replace")
        if mark in text:
            return text.index(mark)
    raise AssertionError("pywb never logged the marker request")


def pywb_requests(world: World, since: int) -> list[str]:
    """The requests pywb received since a mark, its own marker requests left out."""
    until = pywb_mark(world)
    text = world.archive.log_path.read_text(errors="replace")[since:until]
    found = re.findall(r'"(?:GET|POST) (\S+)', text)
    return [r for r in found if not r.startswith("/collinfo.json?mark=")]


def seed_subset(world: World, tmp_path: Path, ids: set[str]) -> Path:
    """A sources.yaml with only some of the seed's sources (same URLs, quotes and dates)."""
    seed = load_sources(world.sources_yaml)
    lines = [f"as_of: {seed.as_of}", "sources:"]
    for s in seed.sources:
        if s.id in ids:
            lines += [f"  - id: {s.id}", f"    url: {s.url}"]
            lines += [f"    as_of: {s.as_of}"] if s.as_of else []
            lines += ["    quotes:"] if s.quotes else []
            lines += [f"      - {json.dumps(q.text)}" for q in s.quotes]
    return write(tmp_path / "sources.yaml", "\n".join(lines) + "\n")


def one_source(tmp_path: Path, url: str) -> Path:
    return write(
        tmp_path / "sources.yaml",
        f'sources:\n  - id: page\n    url: {url}\n    quotes:\n      - "{QUOTE}"\n',
    )


def asked(server: RouteServer, since: int, path: str) -> list[dict[str, str]]:
    """The headers of each request for ``path`` since ``since``."""
    return [headers for p, headers in server.requests[since:] if p == path]


# ----------------------------------------------------------------------------- warm cache


def test_a_warm_cache_makes_no_request_at_all(world: World, tmp_path: Path) -> None:
    # Every source that reads: a moved page (two hops and a soft-404 probe), a page in doubt,
    # a live page, and a quote found only in a capture (lookup and capture).
    sources = seed_subset(
        world, tmp_path, {"ice-secure-communities", "ice-overview", "fox-news-latino"}
    )
    _, first = verify_json(sources, "--wayback-url", world.wayback_url)
    seen, mark = len(world.server.requests), pywb_mark(world)
    _, second = verify_json(sources, "--wayback-url", world.wayback_url)
    assert world.server.requests[seen:] == []
    assert pywb_requests(world, mark) == []
    assert verdicts(second) == verdicts(first)
    assert statuses(second) == statuses(first)
    assert statuses(first) == {
        "ice-secure-communities": "moved",
        "ice-overview": "ok",
        "fox-news-latino": "ok",
    }


def test_a_warm_seed_run_makes_no_request(world: World) -> None:
    _, first = seed_json(world)
    seen, mark = len(world.server.requests), pywb_mark(world)
    _, second = seed_json(world)
    # The dead (404) and blocked (403) pages are answers too: kept for --max-age, as lychee does.
    assert world.server.requests[seen:] == []
    assert pywb_requests(world, mark) == []
    assert verdicts(second) == verdicts(first)
    assert statuses(second) == statuses(first)


# ----------------------------------------------------------------------------- revalidation


def test_a_page_older_than_max_age_is_revalidated_and_a_304_keeps_its_body(
    server: RouteServer, tmp_path: Path
) -> None:
    path = "/live-cache/etag"

    def answer(_: str) -> Route:
        if server.requests[-1][1].get("If-None-Match") == '"v1"':
            return Route(b"", status=304, headers=(("ETag", '"v1"'),))
        return Route(ARTICLE.encode(), headers=(("ETag", '"v1"'), ("Cache-Control", "no-cache")))

    server.prefixes[path] = answer
    sources = one_source(tmp_path, server.url(path))
    seen = len(server.requests)
    verify_json(sources, "--no-archive")
    # Fresh for a day, Cache-Control: no-cache notwithstanding: not asked again.
    verify_json(sources, "--no-archive")
    assert len(asked(server, seen, path)) == 1
    # Older than --max-age: asked again with its ETag; the 304 keeps the stored body.
    code, doc = verify_json(sources, "--no-archive", "--max-age", "0")
    [first, again] = asked(server, seen, path)
    assert "If-None-Match" not in first and again["If-None-Match"] == '"v1"'
    assert (code, verdicts(doc)) == (0, [("page", "verified", "live", None)])
    # The 304 renewed the entry: fresh again.
    verify_json(sources, "--no-archive", "--max-age", "1h")
    assert len(asked(server, seen, path)) == 2


def test_a_page_without_validators_is_fetched_again_when_old(
    server: RouteServer, tmp_path: Path
) -> None:
    url = server.add("/live-cache/plain", ARTICLE)
    sources = one_source(tmp_path, url)
    seen = len(server.requests)
    verify_json(sources, "--no-archive")
    code, doc = verify_json(sources, "--no-archive", "--max-age", "0")
    requests = asked(server, seen, "/live-cache/plain")
    assert len(requests) == 2
    assert not {"If-None-Match", "If-Modified-Since"} & set(requests[1])
    assert (code, verdicts(doc)) == (0, [("page", "verified", "live", None)])


def test_the_age_is_measured_with_the_injected_clock(server: RouteServer, tmp_path: Path) -> None:
    path = "/live-cache/dated"
    modified = "Wed, 01 Jan 2025 00:00:00 GMT"

    def answer(_: str) -> Route:
        if server.requests[-1][1].get("If-Modified-Since") == modified:
            return Route(b"", status=304)
        return Route(ARTICLE.encode(), headers=(("Last-Modified", modified),))

    server.prefixes[path] = answer
    now = [1000.0]
    cache = Cache(tmp_path / "cache")

    async def fetch() -> Page | Unavailable:
        settings = FetchSettings(allow_private=True, max_age=3600)
        async with Fetcher(settings, cache=cache, clock=lambda: now[0]) as fetcher:
            return await fetcher.fetch(server.url(path))

    seen = len(server.requests)
    pages = [asyncio.run(fetch())]
    now[0] += 3599
    pages.append(asyncio.run(fetch()))
    assert len(asked(server, seen, path)) == 1
    now[0] += 2
    pages.append(asyncio.run(fetch()))
    [_, again] = asked(server, seen, path)
    assert again["If-Modified-Since"] == modified
    assert all(isinstance(p, Page) and p.body == ARTICLE.encode() for p in pages)


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_failure_is_not_cached(
    server: RouteServer, tmp_path: Path, _cache_dir: Path, status: int
) -> None:
    path = f"/live-cache/failing-{status}"
    server.add(path, "<h1>No</h1>", status=status)
    sources = one_source(tmp_path, server.url(path))
    seen = len(server.requests)
    # One request a run: a 429 or a 503 would be asked again (--max-retries), not cached either.
    code, doc = verify_json(sources, "--no-archive", "--max-retries", "0")
    assert code == 1
    assert Cache(_cache_dir).info("live") == (0, 0)
    server.add(path, ARTICLE)
    code, doc = verify_json(sources, "--no-archive")
    assert len(asked(server, seen, path)) == 2
    assert (code, verdicts(doc)) == (0, [("page", "verified", "live", None)])
    assert Cache(_cache_dir).info("live")[0] == 2  # the page, and the host's probe (it is short)


@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_definitive_refusal_is_kept_like_a_page(
    server: RouteServer, tmp_path: Path, _cache_dir: Path, status: int
) -> None:
    path = f"/live-cache/refusing-{status}"
    server.add(path, "<h1>No</h1>", status=status)
    sources = one_source(tmp_path, server.url(path))
    seen = len(server.requests)
    code, first = verify_json(sources, "--no-archive")
    server.add(path, ARTICLE)  # back, but the answer is kept for --max-age
    again, second = verify_json(sources, "--no-archive")
    assert (again, verdicts(second), statuses(second)) == (code, verdicts(first), statuses(first))
    assert len(asked(server, seen, path)) == 1
    fresh = verify_json(sources, "--no-archive", "--max-age", "0")
    assert fresh[0] == 0 and len(asked(server, seen, path)) == 2


# ----------------------------------------------------------------------------- offline


def test_offline_with_an_empty_cache_says_what_is_missing(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    seen, mark = len(world.server.requests), pywb_mark(world)
    code, doc = seed_json(world, "--offline", "--report", str(report))
    assert world.server.requests[seen:] == []
    assert pywb_requests(world, mark) == []
    assert code == 1
    for source in doc["sources"]:
        if source["id"] == "nyic":  # no URL to fetch
            continue
        assert (source["status"], source["reason"]) == ("error", "offline: not in the cache")
        assert source["archive_reason"] == "archive unreachable: offline: not in the cache"
    assert {q["verdict"] for q in doc["quotes"]} == {"unavailable"}
    assert "offline: not in the cache" in report.read_text(encoding="utf-8")


def test_offline_with_a_warm_cache_gives_the_online_verdicts(world: World) -> None:
    _, online = seed_json(world)
    seen, mark = len(world.server.requests), pywb_mark(world)
    # Whatever its age: --max-age 0 would have every page asked for again online.
    code, offline = seed_json(world, "--offline", "--max-age", "0")
    assert world.server.requests[seen:] == []
    assert pywb_requests(world, mark) == []
    assert verdicts(offline) == verdicts(online)
    # The dead and blocked pages' answers were kept too: offline, the same statuses.
    assert statuses(offline) == statuses(online)
    assert code == 1


def test_offline_refuses_warc_and_render(world: World, tmp_path: Path) -> None:
    for extra in (["--warc", str(tmp_path / "x.warc.gz")], ["--render"]):
        result = runner.invoke(app, ["verify", str(world.sources_yaml), "--offline", *extra])
        assert result.exit_code == 2
        assert "not with --offline" in result.output


# ----------------------------------------------------------------------------- max age


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d", 86400.0),
        ("12h", 43200.0),
        ("30m", 1800.0),
        ("3600", 3600.0),
        ("90s", 90.0),
        ("0", 0.0),
    ],
)
def test_max_age_takes_days_hours_minutes_or_seconds(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


def test_a_bad_max_age_is_a_usage_error(tmp_path: Path) -> None:
    sources = one_source(tmp_path, "http://example.invalid/")
    result = runner.invoke(app, ["verify", str(sources), "--max-age", "soon"])
    assert result.exit_code == 2
    assert "'soon' is not an age" in result.output


# ----------------------------------------------------------------------------- cache commands


def test_cache_info_and_clear(world: World, tmp_path: Path, _cache_dir: Path) -> None:
    empty = runner.invoke(app, ["cache", "info"])
    assert empty.exit_code == 0
    assert empty.stdout.splitlines() == [
        f"cache directory: {_cache_dir}",
        "live pages:            0 entries      0 bytes",
        "archive lookups:       0 entries      0 bytes",
        "captures:              0 entries      0 bytes",
        "results:               0 entries      0 bytes",
    ]
    seed_json(world)
    info = runner.invoke(app, ["cache", "info"]).stdout
    counts = dict(re.findall(r"^([a-z ]+):\s+(\d+) entries", info, re.M))
    # Seven live answers: the moved page's two hops, two pages, the host's probe, the dead and
    # the blocked page; three lookups and four captures (one of them a PDF, passed over).
    assert counts == {"live pages": "7", "archive lookups": "3", "captures": "4", "results": "0"}
    assert "kB" in info

    cleared = runner.invoke(app, ["cache", "clear", "--live-only"])
    assert (cleared.exit_code, cleared.stdout) == (0, f"removed 7 live pages from {_cache_dir}\n")
    assert Cache(_cache_dir).info("live") == (0, 0)
    assert Cache(_cache_dir).info("capture")[0] == 4

    cleared = runner.invoke(app, ["cache", "clear"])
    assert cleared.stdout == f"removed 7 entries from {_cache_dir}\n"
    assert Cache(_cache_dir).info() == (0, 0)
    assert _cache_dir.is_dir()  # the directory itself is kept


def test_cache_commands_take_the_cache_dir_option(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "elsewhere")
    cache.put("live", "http://a.example/", {"stored": 0}, b"x" * 2048)
    info = runner.invoke(app, ["cache", "info", "--cache-dir", str(tmp_path / "elsewhere")])
    assert "live pages:            1 entries       2.1 kB" in info.stdout
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(tmp_path / "elsewhere")])
    assert cleared.stdout == f"removed 1 entries from {tmp_path / 'elsewhere'}\n"
