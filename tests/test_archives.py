"""Archives over a run: rate limits and waits, the cache, Memento archives, several archives,
and what changed between a capture and the live page."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcecheck.archive import (
    ArchiveSettings,
    Memento,
    RateLimit,
    Wayback,
    parse_timemap,
    retry_after,
)
from sourcecheck.cache import Cache
from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import ArchiveMiss, Page, Quote, Source, Sources, Verdict, Where
from sourcecheck.verify import Options, verify
from tests.conftest import World
from tests.http_server import Route, RouteServer
from tests.wayback_standin import Cap, IAStandIn

runner = CliRunner()
QUOTE = "a big victory for the families who have lost loved ones"
PAGE = b"<p>It is a big victory for the families who have lost loved ones, he said.</p>"


class Clock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


# ----------------------------------------------------------------------------- rate limits


def test_the_bucket_lets_a_burst_through_then_paces_requests() -> None:
    clock = Clock()
    waits: list[tuple[str, float]] = []
    limit = RateLimit(
        24, burst=4, name="web.archive.org", clock=clock, sleep=clock.sleep,
        on_wait=lambda what, s: waits.append((what, round(s, 3))),
    )  # fmt: skip

    async def take(n: int) -> None:
        for _ in range(n):
            await limit.take()

    asyncio.run(take(6))
    # Four at once, then one every 60/24 = 2.5 s.
    assert clock.slept == [2.5, 2.5]
    assert waits == [("web.archive.org: rate limit", 2.5)] * 2


def test_a_hold_makes_every_request_wait_even_without_a_bucket() -> None:
    clock = Clock()
    limit = RateLimit(None, clock=clock, sleep=clock.sleep)
    limit.hold(30)

    async def go() -> None:
        await limit.take()
        await limit.take()

    asyncio.run(go())
    assert clock.slept == [30.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Wed, 01 Jan 2031 00:00:10 GMT", 10.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, seconds: float | None) -> None:
    now = dt.datetime(2031, 1, 1, tzinfo=dt.UTC).timestamp()
    assert retry_after(header, now) == seconds


def _wayback_run(
    ia: IAStandIn, sources: list[Source], tmp_path: Path, **options: Any
) -> tuple[Any, list[tuple[str, float]]]:
    waits: list[tuple[str, float]] = []
    opts = Options(
        fetch=FetchSettings(allow_private=True),
        wayback_url=ia.base,
        cache_dir=tmp_path / "cache",
        archive=ArchiveSettings(lookups_per_minute=None, max_wait=0.01),
        **options,
    )
    report = asyncio.run(
        verify(
            Sources(Path("s.yaml"), tuple(sources)),
            opts,
            on_wait=lambda what, s: waits.append((what, s)),
        )
    )
    return report, waits


def test_a_429_with_retry_after_is_waited_for_and_the_lookup_goes_on(
    ia: IAStandIn, tmp_path: Path
) -> None:
    dead = "http://dead.invalid/story"
    ia.captures[:] = [Cap(dead, "20120509080000", body=PAGE)]
    ia.refusals[:] = [(429, "1"), (503, None)]
    source = Source("s", dead, dt.date(2012, 5, 8), (Quote(QUOTE),))
    report, waits = _wayback_run(ia, [source], tmp_path)
    [quote] = report.quotes
    assert (quote.verdict, quote.where) == (Verdict.VERIFIED, Where.ARCHIVE)
    assert ia.paths("/cdx") == ["/cdx/search/cdx"] * 3
    assert [w[0] for w in waits] == [f"127.0.0.1:{ia.server.port}: asked to slow down"] * 2


# ----------------------------------------------------------------------------- the cache


def test_a_second_run_makes_no_archive_request(ia: IAStandIn, tmp_path: Path) -> None:
    dead = "http://dead.invalid/cached"
    ia.captures[:] = [Cap(dead, "20120509080000", body=PAGE)]
    source = Source("s", dead, dt.date(2012, 5, 8), (Quote(QUOTE),))
    first, _ = _wayback_run(ia, [source], tmp_path)
    asked = len(ia.server.requests)
    assert asked == 2  # one lookup, one capture read
    second, _ = _wayback_run(ia, [source], tmp_path)
    assert len(ia.server.requests) == asked
    assert [(q.verdict, q.snapshot) for q in second.quotes] == [
        (q.verdict, q.snapshot) for q in first.quotes
    ]


def test_failures_are_not_cached(ia: IAStandIn, tmp_path: Path) -> None:
    dead = "http://dead.invalid/later"
    source = Source("s", dead, dt.date(2012, 5, 8), (Quote(QUOTE),))
    first, _ = _wayback_run(ia, [source], tmp_path)
    assert first.results[0].archive_reason == "no capture with status 200 in the archive"
    ia.captures[:] = [Cap(dead, "20120509080000", body=PAGE)]
    second, _ = _wayback_run(ia, [source], tmp_path)
    assert second.quotes[0].verdict is Verdict.VERIFIED


def test_the_cache_survives_a_broken_entry_and_an_unwritable_directory(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    cache.put("capture", "k", {"a": 1}, b"body")
    assert cache.get("capture", "k") == ({"a": 1, "key": "k", "has_body": True}, b"body")
    assert cache.info() == (
        1,
        len(b"body") + len(json.dumps({"a": 1, "key": "k", "has_body": True})),
    )
    for file in (tmp_path / "c").rglob("*.json"):
        file.write_text("{not json", encoding="utf-8")
    assert cache.get("capture", "k") is None
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    Cache(blocked / "sub").put("lookup", "k", {"a": 1})  # cannot write: ignored
    assert Cache(None).get("lookup", "k") is None


# ----------------------------------------------------------------------------- Memento


TIMEMAP = """<http://example.com/a>; rel="original",
<http://arch.example/timemap/link/http://example.com/a>; rel="self"; type="application/link-format",
<http://arch.example/20120101000000/http://example.com/a>; rel="first memento"; datetime="Sun, 01 Jan 2012 00:00:00 GMT",
<http://arch.example/20120509080000mp_/http://example.com/a>; rel="memento"; datetime="Wed, 09 May 2012 08:00:00 GMT",
<http://arch.example/20150101000000/http://example.com/a>; rel="last memento"; datetime="Thu, 01 Jan 2015 00:00:00 GMT"
"""


def test_a_link_format_timemap_lists_every_memento() -> None:
    assert parse_timemap(TIMEMAP) == [
        ("http://arch.example/20120101000000/http://example.com/a", "20120101000000"),
        ("http://arch.example/20120509080000mp_/http://example.com/a", "20120509080000"),
        ("http://arch.example/20150101000000/http://example.com/a", "20150101000000"),
    ]


def test_pywb_as_a_memento_archive(world: World) -> None:
    globe = world.server.url("/globe/story.html")

    async def go() -> tuple[Any, Any]:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            archive = Memento(fetcher, f"{world.wayback_url}/web")
            found = await archive.lookup(globe, dt.date(2012, 5, 8), 3)
            assert not isinstance(found, ArchiveMiss)
            return found, await archive.read(found[0])

    found, page = asyncio.run(go())
    # The 404 capture of 2012-04-01 is listed too: a TimeMap has no status to filter on.
    assert [s.timestamp for s in found] == ["20120509080000", "20120401000000", "20140101000000"]
    assert found[0].raw_url == f"{world.wayback_url}/web/20120509080000id_/{globe}"
    assert isinstance(page, Page)
    assert b"big victory for the families" in page.body


def test_verify_with_only_a_memento_archive(world: World) -> None:
    result = runner.invoke(
        app,
        [
            "verify", str(world.sources_yaml), "--format", "json", "--allow-private",
            "--no-wayback", "--archive", f"{world.wayback_url}/web",
        ],
    )  # fmt: skip
    doc = json.loads(result.stdout)
    globe = [q for q in doc["quotes"] if q["source"] == "boston-globe"]
    assert [(q["verdict"], q["where"], q["snapshot"]) for q in globe] == [
        ("verified", "archive", "20120509080000")
    ] * 3


def test_several_archives_give_the_capture_nearest_as_of(world: World, ia: IAStandIn) -> None:
    # The stand-in holds a capture 3 years off; pywb (as Memento) one 8 hours off.
    globe = world.server.url("/globe/story.html")
    ia.captures[:] = [Cap(globe, "20150101000000", body=PAGE)]
    options = Options(
        fetch=FetchSettings(allow_private=True),
        wayback_url=ia.base,
        mementos=(f"{world.wayback_url}/web",),
        archive=ArchiveSettings(lookups_per_minute=None),
    )
    source = Source("globe", globe, dt.date(2012, 5, 8), (Quote(QUOTE),))
    report = asyncio.run(verify(Sources(Path("s.yaml"), (source,)), options))
    [quote] = report.quotes
    assert quote.verdict is Verdict.VERIFIED
    assert quote.snapshot is not None and quote.snapshot.timestamp == "20120509080000"
    assert quote.snapshot.archive == world.wayback_url.removeprefix("http://")
    assert quote.snapshot.days_from_as_of == 0.33


# ----------------------------------------------------------------------------- change over time


def test_a_page_changed_since_it_was_cited_is_said_to_have_changed(world: World) -> None:
    result = runner.invoke(
        app,
        ["verify", str(world.sources_yaml), "--format", "json", "--allow-private",
         "--wayback-url", world.wayback_url],
    )  # fmt: skip
    doc = json.loads(result.stdout)
    sources = {s["id"]: s for s in doc["sources"]}
    assert sources["ice-secure-communities"]["live_changed"] == 1
    assert sources["fox-news-latino"]["live_changed"] == 0
    [ice] = [q for q in doc["quotes"] if q["source"] == "ice-secure-communities"]
    assert (ice["live_verdict"], ice["archive_verdict"]) == ("not_found", "verified")
    assert ice["snapshot_days_from_as_of"] == -56.5
    table = runner.invoke(
        app,
        ["verify", str(world.sources_yaml), "--allow-private", "--wayback-url", world.wayback_url],
    ).stdout
    assert "changed since cited: 1 quote removed (found in the archive)" in " ".join(table.split())
    assert "archive 2012-03-20 (56 days before)" in table


def test_always_archive_says_whether_the_archive_agrees(world: World, tmp_path: Path) -> None:
    globe = world.server.url("/globe/story.html")
    live = world.server.add("/archives/agree", PAGE)
    pinned = f"{world.wayback_url}/web/20120509080000/{globe}"
    sources = [
        Source(
            "agree", live, None, (Quote(QUOTE), Quote("loved ones, he said")), archive_url=pinned
        )
    ]
    options = Options(fetch=FetchSettings(allow_private=True), always_archive=True)
    report = asyncio.run(verify(Sources(tmp_path / "s.yaml", tuple(sources)), options))
    agree, differs = report.quotes
    assert (agree.where, agree.live_verdict, agree.archive_verdict) == (
        Where.LIVE, Verdict.VERIFIED, Verdict.VERIFIED,
    )  # fmt: skip
    assert differs.where is Where.LIVE
    assert differs.archive_verdict is not Verdict.VERIFIED
    from sourcecheck.report import Format, render

    md = render(report, Format.MARKDOWN)
    assert "live; the archive agrees" in md


def test_an_archive_without_timemaps_is_asked_through_its_timegate(server: RouteServer) -> None:
    """RFC 7089 pattern 2.2: no TimeMap here, and the TimeGate redirects to the memento."""
    seen: list[str] = []

    def timegate(path: str) -> Route:
        seen.append(server.requests[-1][1].get("Accept-Datetime", ""))
        memento = server.url("/tg/20120509080000/http://example.com/a")
        return Route(status=302, headers=(("Location", memento), ("Vary", "accept-datetime")))

    server.prefixes["/tg/timemap/"] = lambda path: Route(b"no", status=404)
    server.prefixes["/tg/http"] = timegate

    async def go() -> Any:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            archive = Memento(fetcher, server.url("/tg"), settings=ArchiveSettings(None))
            return await archive.lookup("http://example.com/a", dt.date(2012, 5, 8), 3)

    found = asyncio.run(go())
    assert [(s.timestamp, s.raw_url) for s in found] == [
        ("20120509080000", server.url("/tg/20120509080000id_/http://example.com/a"))
    ]
    assert seen == ["Tue, 08 May 2012 23:59:59 GMT"]


def test_pywb_s_timegate_names_the_memento_in_its_link_header(world: World) -> None:
    globe = world.server.url("/globe/story.html")

    async def go() -> Any:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            archive = Memento(fetcher, f"{world.wayback_url}/web", settings=ArchiveSettings(None))
            return await archive._timegate(globe, "20120508235959")

    assert asyncio.run(go()) == [(globe, "20120509080000")]


def test_a_cdx_server_that_stalls_is_a_miss(server: RouteServer) -> None:
    server.prefixes["/stall/cdx/"] = lambda path: Route(b"[]", stall=2.0)

    async def go() -> Any:
        settings = FetchSettings(allow_private=True, total_timeout=0.3)
        async with Fetcher(settings) as fetcher:
            archive = Wayback(fetcher, server.url("/stall"), settings=ArchiveSettings(None))
            return await archive.lookup("http://example.com/a", dt.date(2012, 5, 8))

    assert asyncio.run(go()) == ArchiveMiss("archive unreachable: timed out after 0.3 s")


def test_a_capture_of_an_unreadable_type_is_passed_over(ia: IAStandIn, tmp_path: Path) -> None:
    dead = "http://dead.invalid/report"
    ia.captures[:] = [
        Cap(dead, "20120510000000", body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", mime="application/pdf"),
        Cap(dead, "20120301000000", body=PAGE),
    ]
    source = Source("s", dead, dt.date(2012, 5, 8), (Quote(QUOTE),))
    report, _ = _wayback_run(ia, [source], tmp_path)
    [result] = report.results
    [quote] = result.quotes
    assert quote.verdict is Verdict.VERIFIED
    assert quote.snapshot is not None and quote.snapshot.timestamp == "20120301000000"
