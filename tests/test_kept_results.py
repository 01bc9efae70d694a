"""Kept results: a source whose quotes were all verified on its live page is not worked out
again while its page comes from the cache unchanged. Against a real loopback server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sourcecheck.cache import Cache
from sourcecheck.cli import app
from tests.conftest import write
from tests.http_server import RouteServer

runner = CliRunner()
QUOTE = "the council will vote on the budget next week"
PROSE = " ".join(
    ["Residents packed the hall to hear the plans for the library and the parks."] * 40
)


def article(quote: str = QUOTE) -> str:
    # Prose enough (over 300 words) that the host is not probed for soft 404s.
    return f"<html><body><h1>Budget</h1><p>{PROSE}</p><p>The mayor said {quote}.</p></body></html>"


def sources_file(tmp_path: Path, url: str, *quotes: str) -> Path:
    lines = ["sources:", "  - id: page", f"    url: {url}", "    quotes:"]
    lines += [f"      - {json.dumps(q)}" for q in quotes or (QUOTE,)]
    return write(tmp_path / "sources.yaml", "\n".join(lines) + "\n")


def run(sources: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app,
        ["verify", str(sources), "-f", "json", "--allow-private", "--no-archive", *extra],
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def quotes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["quotes"]


def hits(server: RouteServer, since: int, path: str) -> int:
    return sum(1 for p, _ in server.requests[since:] if p == path)


def test_a_warm_rerun_reuses_the_result_and_reports_it_the_same(
    server: RouteServer, tmp_path: Path, _cache_dir: Path
) -> None:
    url = server.add("/kept/plain", article())
    sources = sources_file(tmp_path, url)
    seen = len(server.requests)
    code, first = run(sources)
    assert code == 0 and Cache(_cache_dir).info("result")[0] == 1
    code, second = run(sources)
    assert code == 0 and hits(server, seen, "/kept/plain") == 1
    assert quotes(second) == quotes(first)
    assert second["sources"] == first["sources"]
    assert quotes(first)[0]["match"]["text"] == QUOTE
    assert quotes(first)[0]["match"]["in_main"] is True


def test_a_kept_result_is_not_used_once_the_page_is_asked_for_again(
    server: RouteServer, tmp_path: Path
) -> None:
    url = server.add("/kept/changing", article())
    sources = sources_file(tmp_path, url)
    assert run(sources)[0] == 0
    server.add("/kept/changing", article("the council will vote on the budget next year"))
    # Still fresh: the kept page, and the kept verdict.
    assert run(sources)[0] == 0
    # Older than --max-age: the page is asked for again, and the quote checked against it.
    code, doc = run(sources, "--max-age", "0")
    assert (code, quotes(doc)[0]["verdict"]) == (1, "altered")


def test_a_changed_quote_is_checked_again_on_the_cached_page(
    server: RouteServer, tmp_path: Path
) -> None:
    url = server.add("/kept/edited", article())
    run(sources_file(tmp_path, url))
    seen = len(server.requests)
    code, doc = run(sources_file(tmp_path, url, "the council will vote on the budget next year"))
    assert (code, quotes(doc)[0]["verdict"]) == (1, "altered")
    assert hits(server, seen, "/kept/edited") == 0  # the page came from the cache


def test_only_results_resting_on_the_live_page_alone_are_kept(
    server: RouteServer, tmp_path: Path, _cache_dir: Path
) -> None:
    url = server.add("/kept/partly", article())
    sources = sources_file(tmp_path, url, QUOTE, "words the page never held at any time")
    code, _ = run(sources)
    assert code == 1 and Cache(_cache_dir).info("result") == (0, 0)
    _, second = run(sources)
    assert [q["verdict"] for q in quotes(second)] == ["verified", "not_found"]


def test_no_result_is_kept_without_the_cache_or_while_recording(
    server: RouteServer, tmp_path: Path, _cache_dir: Path
) -> None:
    url = server.add("/kept/recorded", article())
    sources = sources_file(tmp_path, url)
    run(sources, "--no-cache")
    run(sources, "--warc", str(tmp_path / "run.warc.gz"))
    assert Cache(_cache_dir).info("result") == (0, 0)


def test_offline_a_kept_result_of_any_age_is_used(server: RouteServer, tmp_path: Path) -> None:
    url = server.add("/kept/offline", article())
    sources = sources_file(tmp_path, url)
    _, first = run(sources)
    seen = len(server.requests)
    code, again = run(sources, "--offline", "--max-age", "0")
    assert (code, quotes(again)) == (0, quotes(first))
    assert hits(server, seen, "/kept/offline") == 0
