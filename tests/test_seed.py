"""The seed article end to end: the real command on its real sources, replayed on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sourcecheck.cli import app
from tests.conftest import World

runner = CliRunner()


def run_json(world: World, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app,
        [
            "verify",
            str(world.sources_yaml),
            "--format",
            "json",
            "--allow-private",
            "--wayback-url",
            world.wayback_url,
            *extra,
        ],
    )
    return result.exit_code, json.loads(result.stdout)


def by_source(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for q in doc["quotes"]:
        out.setdefault(q["source"], []).append(q)
    return out


def test_every_true_seed_quote_is_verified_where_it_still_exists(world: World) -> None:
    code, doc = run_json(world)
    quotes = by_source(doc)
    sources = {s["id"]: s for s in doc["sources"]}

    # Moved and changed since: verified in the 2012 capture, not on the live page.
    [ice] = quotes["ice-secure-communities"]
    assert (ice["verdict"], ice["where"], ice["snapshot"]) == (
        "verified",
        "archive",
        "20120320120000",
    )
    assert sources["ice-secure-communities"]["status"] == "moved"
    assert sources["ice-secure-communities"]["reason"].startswith("moved permanently to ")
    assert sources["ice-secure-communities"]["final_url"].endswith("/ice/secure-communities")

    # Dead now; the capture nearest its as_of (2012-05-08) holds all three, in windows-1252
    # with curly quotes, "[the program]" for "It", and a fragment of a sentence.
    globe = quotes["boston-globe"]
    assert [(q["verdict"], q["where"], q["snapshot"]) for q in globe] == [
        ("verified", "archive", "20120509080000")
    ] * 3
    assert sources["boston-globe"]["status"] == "dead"
    assert sources["boston-globe"]["http_status"] == 404
    assert (
        globe[1]["match"]["text"] == "It’s a big victory for the families who have lost loved ones"
    )

    # Still live, with a non-breaking hyphen in "low-level".
    [fox] = quotes["fox-news-latino"]
    assert (fox["verdict"], fox["where"], fox["snapshot"]) == ("verified", "live", None)

    # No URL: unavailable, and the run fails for it.
    [nyic] = quotes["nyic"]
    assert (nyic["verdict"], nyic["where"]) == ("unavailable", None)
    assert sources["nyic"]["status"] == "no_url"

    # Blocked live, readable in the archive; no quotes to check.
    assert sources["nmcir"]["status"] == "blocked"
    assert sources["nmcir"]["snapshot"]["timestamp"] == "20120401000000"
    assert sources["ice-overview"]["status"] == "ok"
    assert sources["ice-overview"]["snapshot"] is None

    assert doc["summary"]["verified"] == 5
    assert doc["summary"]["unavailable"] == 1
    assert code == 1


def test_without_the_archive_only_live_quotes_verify(world: World) -> None:
    code, doc = run_json(world, "--no-archive")
    verdicts = {q["source"]: q["verdict"] for q in doc["quotes"]}
    assert verdicts["fox-news-latino"] == "verified"
    assert verdicts["boston-globe"] == "unavailable"
    assert verdicts["ice-secure-communities"] == "not_found"
    assert code == 1


def test_markdown_report_and_table(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    result = runner.invoke(
        app,
        [
            "verify",
            str(world.sources_yaml),
            "--allow-private",
            "--wayback-url",
            world.wayback_url,
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 1
    table = result.stdout
    assert "archive 2012-03-20" in table
    assert "6 quotes: 5 verified, 0 altered, 0 not found, 1 unavailable" in table
    md = report.read_text(encoding="utf-8")
    assert md.startswith("# sourcecheck report\n")
    assert "| ✅ verified | 5 |" in md
    assert "## Feds to activate Secure Communities (`boston-globe`)" in md
    assert "- Status: dead (HTTP 404); archived copy 2012-05-09" in md
    assert (
        "[archive 2012-05-09 (8 hours after)](<" + world.wayback_url + "/web/20120509080000/" in md
    )
