"""sourcecheck history: a source's quotes across its captures over time."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck.archive import ArchiveSettings, Wayback, spread
from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.history import changes
from sourcecheck.models import ArchiveMiss, Match, Snapshot, Step, Verdict
from tests.conftest import World
from tests.http_server import RouteServer
from tests.wayback_standin import Cap, IAStandIn

runner = CliRunner()
V, A, N = Verdict.VERIFIED, Verdict.ALTERED, Verdict.NOT_FOUND


def steps(*columns: tuple[Verdict, str] | None) -> list[Step]:
    snap = Snapshot("u", "20120101000000", "u", "u")
    return [
        Step(snap, (Match(v, 1.0, passage),)) if column else Step(snap, reason="HTTP 503")
        for column in columns
        for v, passage in [column or (N, "")]
    ]


@pytest.mark.parametrize(
    ("sequence", "events"),
    [
        ([(V, "a")], [(0, "present")]),
        ([(N, "")], [(0, "absent")]),
        ([(N, ""), (V, "a")], [(0, "absent"), (1, "appeared")]),
        ([(V, "a"), (A, "b")], [(0, "present"), (1, "changed")]),
        ([(V, "a"), (N, "")], [(0, "present"), (1, "disappeared")]),
        ([(A, "b"), (A, "c"), (A, "c")], [(0, "absent"), (1, "changed")]),
        ([(V, "a"), None, (V, "a")], [(0, "present")]),
        ([(V, "a"), (N, ""), (V, "a")], [(0, "present"), (1, "disappeared"), (2, "appeared")]),
    ],
    ids=[
        "present",
        "absent",
        "appears",
        "changes",
        "disappears",
        "altered-again",
        "unreadable-skipped",
        "comes-back",
    ],
)
def test_changes_between_copies(
    sequence: list[tuple[Verdict, str] | None], events: list[tuple[int, str]]
) -> None:
    assert [(c.step, c.event) for c in changes(steps(*sequence), 1)] == events


@pytest.mark.parametrize(
    ("n", "picked"),
    [(10, list(range(5))), (5, list(range(5))), (3, [0, 2, 4]), (2, [0, 4]), (1, [4]), (0, [])],
)
def test_spread_keeps_the_first_and_the_last(n: int, picked: list[int]) -> None:
    assert spread(list(range(5)), n) == picked


def test_the_timeline_skips_captures_that_repeat_the_one_before(server: RouteServer) -> None:
    ia = IAStandIn(server)
    ia.reset()
    url = "http://example.com/timeline"
    ia.captures[:] = [
        Cap(url, "20100101000000", body=b"<p>one</p>"),
        Cap(url, "20110101000000", body=b"<p>one</p>"),
        Cap(url, "20120101000000", body=b"<p>two</p>"),
        Cap(url, "20130101000000", status=404, body=b"<p>gone</p>"),
        Cap(url, "20140101000000", body=b"<p>one</p>"),
    ]

    async def go() -> list[Snapshot] | ArchiveMiss:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            archive = Wayback(fetcher, ia.base, settings=ArchiveSettings(lookups_per_minute=None))
            return await archive.timeline(url, 10)

    found = asyncio.run(go())
    assert not isinstance(found, ArchiveMiss)
    assert [s.timestamp for s in found] == ["20100101000000", "20120101000000", "20140101000000"]
    ia.reset()


def test_history_of_a_seed_source(world: World) -> None:
    result = runner.invoke(
        app,
        [
            "history", "boston-globe", str(world.sources_yaml), "--format", "json",
            "--allow-private", "--wayback-url", world.wayback_url,
        ],
    )  # fmt: skip
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [(s["timestamp"], s["verdicts"]) for s in doc["steps"]] == [
        ("20120509080000", ["verified"] * 3),
        ("20140101000000", ["not_found"] * 3),
        (None, None),
    ]
    assert doc["steps"][-1]["reason"] == "HTTP 404"
    assert [(c["quote"], c["event"], c["timestamp"]) for c in doc["changes"]] == [
        (0, "present", "20120509080000"),
        (1, "present", "20120509080000"),
        (2, "present", "20120509080000"),
        (0, "disappeared", "20140101000000"),
        (1, "disappeared", "20140101000000"),
        (2, "disappeared", "20140101000000"),
    ]


def test_history_table_shows_the_live_page_last(world: World) -> None:
    result = runner.invoke(
        app,
        ["history", "ice-secure-communities", str(world.sources_yaml), "--allow-private",
         "--wayback-url", world.wayback_url],
    )  # fmt: skip
    assert result.exit_code == 0
    out = result.stdout
    assert "2012-03-20 12:00: present" in out
    assert "live: disappeared" in out
    md = runner.invoke(
        app,
        ["history", "ice-secure-communities", str(world.sources_yaml), "-f", "markdown",
         "--allow-private", "--wayback-url", world.wayback_url],
    ).stdout  # fmt: skip
    assert md.startswith("# History of `ice-secure-communities`\n")
    assert "| 2012-03-20 12:00 | verified |" in md
    assert "- live: disappeared" in md


def test_history_of_an_unknown_source_is_a_user_error(world: World) -> None:
    result = runner.invoke(app, ["history", "boston-glob", str(world.sources_yaml)])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "no source with id 'boston-glob' (did you mean 'boston-globe'?)"
    )


def test_history_of_a_source_without_a_url(world: World) -> None:
    result = runner.invoke(
        app, ["history", "nyic", str(world.sources_yaml), "--wayback-url", world.wayback_url]
    )
    assert result.exit_code == 1
    assert "No captures: no URL to look up" in result.stdout


def test_history_reads_no_bot_wall_as_the_live_page(world: World, tmp_path: Path) -> None:
    wall = world.server.add(
        "/history/wall",
        "<html><head><title>Just a moment...</title></head><body>"
        "<p>Checking your browser before accessing the site.</p>"
        '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>',
    )
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  - id: walled\n    url: {wall}\n    quotes: [a big victory]\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "history",
            "walled",
            str(path),
            "--format",
            "json",
            "--allow-private",
            "--wayback-url",
            world.wayback_url,
        ],
    )
    doc = json.loads(result.stdout)
    [live] = doc["steps"]
    assert live["verdicts"] is None
    assert live["reason"].startswith("blocked: a bot challenge")
    assert result.exit_code == 1
