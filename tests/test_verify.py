"""verify: which copy each verdict rests on, and when the archive is (not) asked."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sourcecheck.fetch import FetchSettings
from sourcecheck.models import Quote, Report, Source, Sources, SourceStatus, Verdict, Where
from sourcecheck.verify import Options, verify
from tests.conftest import World
from tests.http_server import Route, RouteServer

HODGSON = "[the program] is a big victory for the families who have lost loved ones."


def run(sources: list[Source], wayback_url: str) -> Report:
    options = Options(fetch=FetchSettings(allow_private=True), wayback_url=wayback_url)
    return asyncio.run(verify(Sources(Path("sources.yaml"), tuple(sources)), options))


def test_a_pinned_capture_is_read_instead_of_a_lookup(world: World) -> None:
    globe = world.server.url("/globe/story.html")
    pinned = f"{world.wayback_url}/web/20120509080000/{globe}"
    source = Source("globe", globe, None, (Quote(HODGSON),), archive_url=pinned)
    [result] = run([source], world.wayback_url).results
    assert result.status is SourceStatus.DEAD
    assert result.snapshot is not None and result.snapshot.raw_url.endswith(
        f"20120509080000id_/{globe}"
    )
    [quote] = result.quotes
    assert (quote.verdict, quote.where) == (Verdict.VERIFIED, Where.ARCHIVE)


def test_a_quote_missing_from_the_closest_capture_is_found_in_an_earlier_one(world: World) -> None:
    # as_of 2014-01-02: the closest capture (2014-01-01) says the story was removed.
    globe = world.server.url("/globe/story.html")
    source = Source("globe", globe, dt.date(2014, 1, 2), (Quote(HODGSON),))
    [result] = run([source], world.wayback_url).results
    assert result.snapshot is not None and result.snapshot.timestamp == "20140101000000"
    [quote] = result.quotes
    assert quote.verdict is Verdict.VERIFIED
    assert quote.snapshot is not None and quote.snapshot.timestamp == "20120509080000"


def test_the_archive_is_not_asked_when_every_quote_is_verified_live(server: RouteServer) -> None:
    url = server.add("/verify/live-ok", "<p>The program is a big victory for the families.</p>")
    asked: list[str] = []

    def archive(path: str) -> Route:
        asked.append(path)
        return Route(b"", status=200)

    server.prefixes["/verify-archive/"] = archive
    source = Source("live", url, None, (Quote("a big victory for the families"),))
    [result] = run([source], server.url("/verify-archive")).results
    assert [q.verdict for q in result.quotes] == [Verdict.VERIFIED]
    assert result.quotes[0].where is Where.LIVE
    assert asked == []


def test_a_quote_altered_live_and_absent_from_the_archive_stays_altered(world: World) -> None:
    url = world.server.add("/verify/changed", "<p>It will help too many people, she said.</p>")
    source = Source("changed", url, dt.date(2012, 5, 15), (Quote("It will harm too many people"),))
    [result] = run([source], world.wayback_url).results
    [quote] = result.quotes
    assert (quote.verdict, quote.where) == (Verdict.ALTERED, Where.LIVE)
    assert result.archive_reason == "no capture with status 200 in the archive"
    assert result.snapshot is None


def test_one_failing_source_does_not_stop_the_others(world: World) -> None:
    ok = world.server.add("/verify/fine", "<p>All is well here.</p>")
    sources = [
        Source("bad-host", "http://no-such-host.invalid/x", None, (Quote("anything"),)),
        Source("fine", ok, None, (Quote("All is well"),)),
    ]
    report = run(sources, world.wayback_url)
    assert [r.source.id for r in report.results] == ["bad-host", "fine"]
    bad, fine = report.results
    assert bad.status is SourceStatus.DEAD
    assert bad.quotes[0].verdict is Verdict.UNAVAILABLE
    assert fine.quotes[0].verdict is Verdict.VERIFIED
    assert report.exit_status == 1
