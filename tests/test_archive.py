"""archive: (url, as_of) -> snapshots, against a real pywb archive and a stand-in Wayback Machine.

pywb (started here with captures made for these tests) answers in its own dialect: CDX at
``/web/cdx``, captured redirects replayed with the site's own Location. The stand-in, a
RouteServer, answers as the Internet Archive does: CDX at ``/cdx/search/cdx`` in its JSON and
plain formats, 302s between timestamps in playback, errors without Memento-Datetime. The pages'
own server is running too, and must never be asked for anything: a capture is read from the
archive or not at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

import httpx2 as httpx
import pytest

from sourcecheck.archive import Archive, ArchiveSettings, Wayback, _rows, timestamp_for
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import ArchiveMiss, Page, Snapshot, SourceStatus, Unavailable
from tests.http_server import RouteServer
from tests.pywb_archive import Capture, PywbArchive
from tests.wayback_standin import IA_FIELDS, Cap, IAStandIn

T = TypeVar("T")

LOOPBACK = FetchSettings(connect_timeout=2.0, read_timeout=5.0, total_timeout=10.0)

# The address guard is fetch's to test (one test here runs under it, as a run does); the others
# give their Fetcher httpx's own transport with one shared TLS context, which the loopback never
# uses but which costs some 50 ms to build for every Fetcher.
_TLS = ssl.create_default_context()
UNLIMITED = ArchiveSettings(lookups_per_minute=None)


class Waits:
    """Stands in for asyncio.sleep: records how long an archive asked to wait, waits not."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)


WAITS = Waits()


def with_archive(
    base_url: str,
    work: Callable[[Archive], Awaitable[T]],
    settings: FetchSettings = LOOPBACK,
    *,
    guarded: bool = False,
) -> T:
    """Run ``work`` on an Archive at ``base_url`` with a Fetcher of its own.

    ``guarded``: with the address guard, the archive trusted as the one configured.
    """

    async def run() -> T:
        if guarded:
            fetcher = Fetcher(settings, trusted_origins=[base_url])
        else:
            fetcher = Fetcher(settings, transport=httpx.AsyncHTTPTransport(verify=_TLS))
        async with fetcher:
            archive = Wayback(fetcher, base_url, settings=UNLIMITED, sleep=WAITS.sleep)
            return await work(archive)

    return asyncio.run(run())


def undated(found: list[Snapshot] | ArchiveMiss, as_of: dt.date) -> list[Snapshot] | ArchiveMiss:
    """Lookup results without the as_of each capture carries, once checked to be ``as_of``."""
    if isinstance(found, ArchiveMiss):
        return found
    assert all(s.as_of == as_of for s in found)
    return [replace(s, as_of=None) for s in found]


def lookup(base_url: str, url: str, as_of: dt.date, limit: int = 3) -> list[Snapshot] | ArchiveMiss:
    return undated(with_archive(base_url, lambda a: a.lookup(url, as_of, limit)), as_of)


def read(base_url: str, snapshot: Snapshot) -> Page | Unavailable:
    return with_archive(base_url, lambda a: a.read(snapshot))


def snap(base_url: str, url: str, ts: str) -> Snapshot:
    """The Snapshot ``Archive.lookup`` gives for a capture of ``url`` at ``ts``."""
    return Snapshot(url, ts, f"{base_url}/web/{ts}/{url}", f"{base_url}/web/{ts}id_/{url}")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening, held for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# ============================================================================= real pywb

Y2009, Y2010, MAR2012, JUN2012, Y2015, Y2020 = (
    "20090101000000",
    "20100101000000",
    "20120320120000",
    "20120601000000",
    "20150101000000",
    "20200101000000",
)
STORY_YEARS = {
    Y2009: b"<p>In 2009 the program ran in 14 jurisdictions.</p>",
    Y2010: b"<p>In 2010 the program ran in 544 jurisdictions.</p>",
    MAR2012: b"<p>In March 2012 the program ran in 3,074 jurisdictions.</p>",
    JUN2012: b"<p>In June 2012 the program ran in 3,074 jurisdictions; done.</p>",
    Y2015: b"<p>In 2015 the program was discontinued.</p>",
    Y2020: b"<p>In 2020 this page was a redirect stub.</p>",
}
CP1252 = b"<p>\x93It\x92s a big victory,\x94 said the sheriff \x96 twice.</p>"


@dataclass(frozen=True)
class Site:
    """The pages' own server and the archive that holds captures of them."""

    live: RouteServer
    archive: PywbArchive

    def url(self, path: str) -> str:
        return self.live.url(path)

    def capture(self, path: str, ts: str) -> Snapshot:
        """The Snapshot of the page at ``path`` captured at ``ts``."""
        return snap(self.base, self.url(path), ts)

    @property
    def base(self) -> str:
        return self.archive.base_url


def site_captures(live: RouteServer) -> list[Capture]:
    u = live.url
    return [
        *(Capture(u("/story"), ts, body=body) for ts, body in STORY_YEARS.items()),
        # Nearer to 2012-05-08 than any 200 capture, and never a candidate.
        Capture(u("/story"), "20120501000000", status=404, body=b"<p>Not found</p>"),
        Capture(u("/story"), "20120508000000", status=301, headers=(("Location", u("/story")),)),
        Capture(u("/only-404"), "20120101000000", status=404, body=b"<p>Not found</p>"),
        Capture(
            u("/cp1252"),
            "20120509080000",
            body=CP1252,
            content_type="text/html; charset=windows-1252",
        ),
        # Captured redirects: the archive replays them with the site's own Location.
        Capture(
            u("/old-abs"), "20120101000000", status=301, headers=(("Location", u("/new-abs")),)
        ),
        Capture(u("/new-abs"), "20120101000005", body=b"<p>Moved here (absolute).</p>"),
        Capture(u("/old-rel"), "20120101000000", status=301, headers=(("Location", "/new-rel"),)),
        Capture(u("/new-rel"), "20120101000005", body=b"<p>Moved here (relative).</p>"),
        Capture(u("/hop-1"), "20130101000000", status=301, headers=(("Location", "hop-2"),)),
        Capture(u("/hop-2"), "20130101000001", status=302, headers=(("Location", u("/hop-3")),)),
        Capture(u("/hop-3"), "20130101000002", body=b"<p>After two hops.</p>"),
        Capture(u("/dangling"), "20120101000000", status=301, headers=(("Location", "/nowhere"),)),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with RouteServer() as live:
        # What the live web says now: never what a read of a capture may return.
        for path in ("/story", "/new-abs", "/new-rel", "/hop-2", "/hop-3", "/nowhere", "/cp1252"):
            live.add(path, "<p>LIVE</p>")
        directory = tmp_path_factory.mktemp("pywb")
        with PywbArchive(directory, site_captures(live)) as archive:
            yield Site(live, archive)


@pytest.fixture
def untouched_live(site: Site) -> Iterator[Site]:
    """The site, checked after the test: its live server got no request."""
    yield site
    assert site.live.requests == []


# (as_of, limit) -> the captures lookup must give, in order.
LOOKUPS = [
    # Closest first (June, after as_of), then those before it nearest first, then after it.
    (dt.date(2012, 5, 8), 10, [JUN2012, MAR2012, Y2010, Y2009, Y2015, Y2020]),
    (dt.date(2012, 5, 8), 3, [JUN2012, MAR2012, Y2010]),
    # A capture made on the day of as_of counts as before it.
    (dt.date(2012, 6, 1), 3, [JUN2012, MAR2012, Y2010]),
    (dt.date(2015, 6, 1), 4, [Y2015, JUN2012, MAR2012, Y2010]),
    (dt.date(2017, 9, 1), 3, [Y2020, Y2015, JUN2012]),
    (dt.date(2030, 1, 1), 10, [Y2020, Y2015, JUN2012, MAR2012, Y2010, Y2009]),
    (dt.date(2000, 1, 1), 10, [Y2009, Y2010, MAR2012, JUN2012, Y2015, Y2020]),
]


@pytest.fixture(scope="module")
def pywb_lookups(site: Site) -> list[list[Snapshot] | ArchiveMiss]:
    """Every LOOKUPS case, looked up by one Archive."""

    async def work(archive: Archive) -> list[list[Snapshot] | ArchiveMiss]:
        return [undated(await archive.lookup(site.url("/story"), d, n), d) for d, n, _ in LOOKUPS]

    return with_archive(site.base, work)


@pytest.mark.parametrize("case", range(len(LOOKUPS)), ids=[f"{d}-limit{n}" for d, n, _ in LOOKUPS])
def test_pywb_lookup_orders_captures_around_as_of(
    untouched_live: Site, pywb_lookups: list[list[Snapshot] | ArchiveMiss], case: int
) -> None:
    site = untouched_live
    expected = [snap(site.base, site.url("/story"), ts) for ts in LOOKUPS[case][2]]

    assert pywb_lookups[case] == expected


@pytest.mark.parametrize("path", ["/only-404", "/never-archived"])
def test_pywb_lookup_without_a_200_capture_is_a_miss(untouched_live: Site, path: str) -> None:
    site = untouched_live

    got = lookup(site.base, site.url(path), dt.date(2012, 5, 8))

    assert got == ArchiveMiss("no capture with status 200 in the archive")


T2012, T2013 = "20120101000000", "20130101000000"


@dataclass(frozen=True)
class Read:
    """A capture read from pywb, and what must come of it.

    Playback URLs are given as (path, timestamp): the capture of that path on the pages' own
    server, at that timestamp, in id_ mode.
    """

    name: str
    asked: tuple[str, str]
    body: bytes | None = None  # the Page's body; None for Unavailable
    content_type: str = "text/html; charset=utf-8"
    via: tuple[tuple[str, str], ...] = ()  # every playback URL passed through, the first included
    final: tuple[str, str] | None = None  # the last playback URL, when not the one asked for
    status: SourceStatus | None = None  # for Unavailable
    reason: str | None = None


READS = [
    *(Read(f"story-{ts[:6]}", ("/story", ts), body) for ts, body in STORY_YEARS.items()),
    Read("windows-1252", ("/cp1252", "20120509080000"), CP1252, "text/html; charset=windows-1252"),
    Read(
        "redirect-absolute",
        ("/old-abs", T2012),
        b"<p>Moved here (absolute).</p>",
        via=(("/old-abs", T2012),),
        final=("/new-abs", T2012),  # read at the timestamp of the redirect
    ),
    Read(
        "redirect-relative",
        ("/old-rel", T2012),
        b"<p>Moved here (relative).</p>",
        via=(("/old-rel", T2012),),
        final=("/new-rel", T2012),
    ),
    Read(
        "two-hops",
        ("/hop-1", T2013),
        b"<p>After two hops.</p>",
        via=(("/hop-1", T2013), ("/hop-2", T2013)),
        final=("/hop-3", T2013),
    ),
    # A captured error page is the site's answer then: Memento-Datetime says it was captured.
    Read("captured-404", ("/story", "20120501000000"), status=SourceStatus.DEAD, reason="HTTP 404"),
    # The archive's own 404: no Memento-Datetime.
    Read(
        "never-archived",
        ("/never-archived", T2012),
        status=SourceStatus.ERROR,
        reason="archive answered HTTP 404",
    ),
    Read(
        "redirect-to-uncaptured",
        ("/dangling", T2012),
        via=(("/dangling", T2012),),
        final=("/nowhere", T2012),
        status=SourceStatus.ERROR,
        reason="archive answered HTTP 404",
    ),
]


@pytest.fixture(scope="module")
def pywb_reads(site: Site) -> dict[str, Page | Unavailable]:
    """Every READS case, read by one Archive."""

    async def work(archive: Archive) -> dict[str, Page | Unavailable]:
        return {r.name: await archive.read(site.capture(*r.asked)) for r in READS}

    return with_archive(site.base, work)


@pytest.mark.parametrize("case", READS, ids=[r.name for r in READS])
def test_pywb_read_gives_the_captured_bytes_and_never_the_live_page(
    site: Site, pywb_reads: dict[str, Page | Unavailable], case: Read
) -> None:
    asked = site.capture(*case.asked).raw_url
    final = site.capture(*(case.final or case.asked)).raw_url
    got = pywb_reads[case.name]

    if case.body is None:
        assert isinstance(got, Unavailable)
        assert (got.url, got.final_url) == (asked, final)
        assert (got.status, got.reason, got.http_status) == (case.status, case.reason, 404)
    else:
        assert isinstance(got, Page)
        assert (got.url, got.final_url, got.http_status) == (asked, final, 200)
        assert (got.body, got.content_type) == (case.body, case.content_type)
        assert got.redirects == tuple(site.capture(*hop).raw_url for hop in case.via)
    assert site.live.requests == []


def test_pywb_lookup_then_read_under_the_address_guard(untouched_live: Site) -> None:
    """As a run does it: no --allow-private, the archive trusted as the configured one."""
    site = untouched_live

    async def work(
        archive: Archive,
    ) -> tuple[list[Snapshot] | ArchiveMiss, Page | Unavailable, Page | Unavailable]:
        found = await archive.lookup(site.url("/story"), dt.date(2012, 5, 8), 1)
        assert isinstance(found, list)
        moved = snap(site.base, site.url("/old-rel"), "20120101000000")
        return found, await archive.read(found[0]), await archive.read(moved)

    found, page, moved = with_archive(site.base, work, guarded=True)

    assert undated(found, dt.date(2012, 5, 8)) == [
        snap(site.base, site.url("/story"), "20120601000000")
    ]
    assert isinstance(page, Page)
    assert page.body == STORY_YEARS["20120601000000"]
    assert isinstance(moved, Page)
    assert moved.body == b"<p>Moved here (relative).</p>"


def test_pywb_reads_a_pinned_wayback_url(untouched_live: Site) -> None:
    site = untouched_live
    pinned = Archive.pinned(f"{site.base}/web/20100101000000/{site.url('/story')}")

    got = read(site.base, pinned)

    assert pinned.raw_url == f"{site.base}/web/20100101000000id_/{site.url('/story')}"
    assert isinstance(got, Page)
    assert got.body == STORY_YEARS["20100101000000"]


# ============================================================================= a stand-in Wayback Machine


@pytest.fixture(scope="module")
def wayback_server() -> Iterator[IAStandIn]:
    with RouteServer() as server:
        yield IAStandIn(server)


@pytest.fixture
def wb(wayback_server: IAStandIn) -> IAStandIn:
    """The stand-in archive, empty, in the IA dialect, with no request seen yet."""
    wayback_server.reset()
    return wayback_server


STORY = "http://example.com/news/story?id=7"
STORY_CAPTURES = [
    Cap(STORY, "20100101000000", body=b"<p>2010</p>"),
    Cap(STORY, "20120320120000", body=b"<p>March 2012</p>"),
    Cap(STORY, "20120501000000", status=404, body=b"<p>Not found</p>"),
    Cap(STORY, "20120508000000", status=301, location="http://example.com/elsewhere"),
    Cap(STORY, "20120601000000", body=b"<p>June 2012</p>"),
    Cap(STORY, "20150101000000", body=b"<p>2015</p>"),
    Cap("http://example.com/other", "20120508000000", body=b"<p>other</p>"),
]


@pytest.mark.parametrize("cdx_format", ["json", "plain"])
@pytest.mark.parametrize("honour_filter", [True, False], ids=["filtered", "unfiltered"])
def test_ia_lookup_reads_both_cdx_formats(
    wb: IAStandIn, cdx_format: str, honour_filter: bool
) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.cdx_format, wb.honour_filter = cdx_format, honour_filter

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8), limit=4)

    # Status 200 only, whether or not the server applied the filter it was sent.
    expected = ["20120601000000", "20120320120000", "20100101000000", "20150101000000"]
    assert got == [snap(wb.base, STORY, ts) for ts in expected]
    [query] = wb.queries()
    assert query == {
        "url": [STORY],
        "closest": ["20120508235959"],
        "sort": ["closest"],
        "filter": ["statuscode:200"],
        "limit": ["10"],
        "output": ["json"],
    }
    assert wb.paths() == ["/cdx/search/cdx"]


@pytest.mark.parametrize(
    "cdx_format",
    ["json", "plain", "empty", "\n\n", json.dumps([IA_FIELDS])],
    ids=["json-empty-list", "plain-empty-body", "empty", "blank-lines", "json-header-only"],
)
def test_ia_lookup_of_nothing_is_a_miss(wb: IAStandIn, cdx_format: str) -> None:
    wb.captures[:] = [Cap(STORY, "20120101000000", status=404)]
    wb.cdx_format = cdx_format

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8))

    assert got == ArchiveMiss("no capture with status 200 in the archive")


def test_ia_lookup_gives_a_capture_listed_twice_once(wb: IAStandIn) -> None:
    # The CDX lists one row per WARC record; a capture can have two (a response, a revisit).
    wb.captures[:] = [*STORY_CAPTURES, Cap(STORY, "20120320120000", body=b"<p>again</p>")]

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8), limit=10)

    expected = ["20120601000000", "20120320120000", "20100101000000", "20150101000000"]
    assert got == [snap(wb.base, STORY, ts) for ts in expected]


@pytest.mark.parametrize(
    "body",
    [
        "[not json",
        '{"truncated": ',
        "<!DOCTYPE html>\n<style>\nbody { margin: 0 }\n</style>\n"
        "<p>The IAStandIn Machine is over capacity.</p>\n",
    ],
    ids=["broken-json", "broken-object", "html"],
)
def test_ia_lookup_answer_that_is_no_cdx_is_a_miss(wb: IAStandIn, body: str) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.cdx_format = body

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8))

    assert isinstance(got, ArchiveMiss)
    assert got.reason.startswith("archive lookup answer unreadable: ")


@pytest.mark.parametrize("status", [429, 503, 500, 403])
def test_ia_lookup_refused_is_a_miss_that_names_the_status(wb: IAStandIn, status: int) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.cdx_status = status

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8))

    assert got == ArchiveMiss(f"archive lookup failed: HTTP {status}")
    # Only a 404 says "not this dialect": pywb's CDX is not tried. A 429 or 503 says "slow
    # down": asked again after a wait, three times.
    assert wb.paths() == ["/cdx/search/cdx"] * (4 if status in (429, 503) else 1)


def test_a_lookup_in_an_archive_that_is_not_there_is_a_miss(closed_port: int) -> None:
    got = lookup(f"http://127.0.0.1:{closed_port}", STORY, dt.date(2012, 5, 8))

    assert isinstance(got, ArchiveMiss)
    assert got.reason.startswith("archive unreachable: could not connect")


def test_the_pywb_dialect_is_tried_on_a_404_and_remembered(wb: IAStandIn) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.dialect = "pywb"

    async def work(archive: Archive) -> tuple[object, object, list[str]]:
        first = undated(await archive.lookup(STORY, dt.date(2012, 5, 8), 2), dt.date(2012, 5, 8))
        seen = wb.paths()
        second = undated(await archive.lookup(STORY, dt.date(2015, 6, 1), 2), dt.date(2015, 6, 1))
        return first, second, seen

    first, second, after_first = with_archive(wb.base, work)

    assert first == [snap(wb.base, STORY, "20120601000000"), snap(wb.base, STORY, "20120320120000")]
    assert second == [
        snap(wb.base, STORY, "20150101000000"),
        snap(wb.base, STORY, "20120601000000"),
    ]
    assert after_first == ["/cdx/search/cdx", "/web/cdx"]
    assert wb.paths() == ["/cdx/search/cdx", "/web/cdx", "/web/cdx"]


def test_the_ia_dialect_is_remembered_and_pywb_never_tried(wb: IAStandIn) -> None:
    wb.captures[:] = STORY_CAPTURES

    async def work(archive: Archive) -> list[list[Snapshot] | ArchiveMiss]:
        day = dt.date(2012, 5, 8)
        return [undated(await archive.lookup(STORY, day, 1), day) for _ in range(2)]

    first, second = with_archive(wb.base, work)

    assert first == second == [snap(wb.base, STORY, "20120601000000")]
    assert wb.paths() == ["/cdx/search/cdx", "/cdx/search/cdx"]


def test_no_cdx_in_either_dialect_is_a_miss(wb: IAStandIn) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.dialect = "none"

    got = lookup(wb.base, STORY, dt.date(2012, 5, 8))

    assert got == ArchiveMiss("archive lookup failed: HTTP 404")
    assert wb.paths() == ["/cdx/search/cdx", "/web/cdx"]


def test_ia_read_gives_the_original_bytes(wb: IAStandIn) -> None:
    wb.captures[:] = [
        Cap(
            STORY,
            "20120320120000",
            body=b"<p>\x93exact\x94 bytes</p>",
            mime="text/html; charset=windows-1252",
        )
    ]
    snapshot = snap(wb.base, STORY, "20120320120000")

    got = read(wb.base, snapshot)

    assert got == Page(
        snapshot.raw_url,
        snapshot.raw_url,
        200,
        "text/html; charset=windows-1252",
        b"<p>\x93exact\x94 bytes</p>",
    )
    assert wb.paths() == [f"/web/20120320120000id_/{STORY.split('?')[0]}"]


@pytest.mark.parametrize("mount", ["", "/wayback"], ids=["at-root", "under-a-path"])
def test_ia_read_follows_a_302_to_another_timestamp(wb: IAStandIn, mount: str) -> None:
    wb.captures[:] = [Cap(STORY, "20120315000000", body=b"<p>the nearest capture</p>")]
    wb.mount = mount
    base = wb.base + mount
    asked, served = snap(base, STORY, "20120101000000"), snap(base, STORY, "20120315000000")

    got = read(base, asked)

    assert isinstance(got, Page)
    assert (got.url, got.final_url) == (asked.raw_url, served.raw_url)
    assert got.redirects == (asked.raw_url,)
    assert got.body == b"<p>the nearest capture</p>"
    assert len(wb.paths(f"{mount}/web/")) == 2


def test_ia_read_maps_a_captured_redirect_to_a_capture_of_its_target(wb: IAStandIn) -> None:
    target = "http://example.com/elsewhere"
    wb.captures[:] = [
        Cap(STORY, "20120508000000", status=301, body=b"", location=target),
        Cap(target, "20120508000002", body=b"<p>the new home</p>"),
    ]
    asked = snap(wb.base, STORY, "20120508000000")

    got = read(wb.base, asked)

    # The site's own Location is read in the archive, at the capture nearest the redirect's.
    assert isinstance(got, Page)
    assert got.body == b"<p>the new home</p>"
    assert got.final_url == snap(wb.base, target, "20120508000002").raw_url
    assert got.redirects == (asked.raw_url, snap(wb.base, target, "20120508000000").raw_url)


@pytest.mark.parametrize("status", [404, 429, 503, 403])
def test_ia_read_refused_by_the_archive_is_an_error(wb: IAStandIn, status: int) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.playback_status = status
    snapshot = snap(wb.base, STORY, "20120320120000")

    got = read(wb.base, snapshot)

    reason = f"archive answered HTTP {status}"
    assert got == Unavailable(
        snapshot.raw_url, SourceStatus.ERROR, reason, status, snapshot.raw_url
    )


def test_ia_read_of_a_url_never_archived_is_an_error(wb: IAStandIn) -> None:
    snapshot = snap(wb.base, "http://example.com/never", "20120101000000")

    got = read(wb.base, snapshot)

    # The archive's 404 page carries no Memento-Datetime: it is no captured page.
    reason = "archive answered HTTP 404"
    assert got == Unavailable(snapshot.raw_url, SourceStatus.ERROR, reason, 404, snapshot.raw_url)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, SourceStatus.DEAD), (403, SourceStatus.BLOCKED), (500, SourceStatus.ERROR)],
)
def test_ia_read_of_a_captured_error_is_the_site_s_status(
    wb: IAStandIn, status: int, expected: SourceStatus
) -> None:
    wb.captures[:] = [Cap(STORY, "20120501000000", status=status, body=b"<p>error page</p>")]
    snapshot = snap(wb.base, STORY, "20120501000000")

    got = read(wb.base, snapshot)

    assert got == Unavailable(
        snapshot.raw_url, expected, f"HTTP {status}", status, snapshot.raw_url
    )


def test_ia_read_gives_up_a_redirect_loop_inside_the_archive(wb: IAStandIn) -> None:
    wb.captures[:] = STORY_CAPTURES
    wb.moves.update({"20120101000000": "20120202000000", "20120202000000": "20120101000000"})
    snapshot = snap(wb.base, STORY, "20120101000000")

    got = with_archive(wb.base, lambda a: a.read(snapshot), FetchSettings(max_redirects=3))

    assert got == Unavailable(
        snapshot.raw_url, SourceStatus.ERROR, "too many redirects inside the archive"
    )
    assert len(wb.paths("/web/")) == 4


def test_ia_read_of_a_captured_redirect_to_a_malformed_url_is_an_error(wb: IAStandIn) -> None:
    wb.captures[:] = [
        Cap(STORY, "20120508000000", status=301, body=b"", location="http://[broken/")
    ]
    snapshot = snap(wb.base, STORY, "20120508000000")

    got = read(wb.base, snapshot)

    reason = "archive redirect to an invalid URL: http://[broken/"
    assert got == Unavailable(snapshot.raw_url, SourceStatus.ERROR, reason, 301, snapshot.raw_url)


def test_a_read_in_an_archive_that_is_not_there_is_dead(closed_port: int) -> None:
    base = f"http://127.0.0.1:{closed_port}"
    snapshot = snap(base, STORY, "20120101000000")

    got = read(base, snapshot)

    assert isinstance(got, Unavailable)
    assert (got.url, got.status) == (snapshot.raw_url, SourceStatus.DEAD)


# ============================================================================= parsing


@pytest.mark.parametrize(
    ("archive_url", "expected"),
    [
        (
            "https://web.archive.org/web/20120508123456/http://example.com/a?b=1",
            Snapshot(
                "http://example.com/a?b=1",
                "20120508123456",
                "https://web.archive.org/web/20120508123456/http://example.com/a?b=1",
                "https://web.archive.org/web/20120508123456id_/http://example.com/a?b=1",
            ),
        ),
        (
            "https://web.archive.org/web/20120508123456id_/https://example.com/",
            Snapshot(
                "https://example.com/",
                "20120508123456",
                "https://web.archive.org/web/20120508123456/https://example.com/",
                "https://web.archive.org/web/20120508123456id_/https://example.com/",
            ),
        ),
        (  # another replay mode: the page a person sees, and its raw bytes
            "http://web.archive.org/web/2012if_/http://example.com/",
            Snapshot(
                "http://example.com/",
                "2012",
                "http://web.archive.org/web/2012/http://example.com/",
                "http://web.archive.org/web/2012id_/http://example.com/",
            ),
        ),
        (  # a pywb collection under a path of its own
            "http://127.0.0.1:8080/pywb/coll/20100101000000/http://example.com/x",
            Snapshot(
                "http://example.com/x",
                "20100101000000",
                "http://127.0.0.1:8080/pywb/coll/20100101000000/http://example.com/x",
                "http://127.0.0.1:8080/pywb/coll/20100101000000id_/http://example.com/x",
            ),
        ),
    ],
    ids=["wayback", "wayback-id_", "wayback-if_-short-timestamp", "pywb-collection"],
)
def test_pinned_wayback_urls_are_read_through_id_(archive_url: str, expected: Snapshot) -> None:
    assert Archive.pinned(archive_url) == expected


@pytest.mark.parametrize(
    "archive_url",
    [
        "https://archive.ph/AbCd1",
        "https://archive.ph/2012.05.08-123456/http://example.com/",
        "https://perma.cc/ABCD-1234",
        "https://www.webcitation.org/6ABCdEfGh",
        # A newspaper's own archive: dates in the path are not capture timestamps.
        "http://archive.boston.com/metrodesk/2012/05/08/feds-activate-secure-communities/story.html",
        "https://example.com/2012/05/08/story.html",
        "https://example.com/20120508/story",
    ],
)
def test_other_pinned_urls_are_read_as_they_are(archive_url: str) -> None:
    assert Archive.pinned(archive_url) == Snapshot(archive_url, None, archive_url, archive_url)


def test_snapshot_urls_are_built_on_the_base_url() -> None:
    unused = httpx.MockTransport(lambda request: httpx.Response(500))
    archive = Wayback(Fetcher(transport=unused), "https://web.archive.org/")

    assert archive.snapshot("http://example.com/", "20120101000000") == Snapshot(
        "http://example.com/",
        "20120101000000",
        "https://web.archive.org/web/20120101000000/http://example.com/",
        "https://web.archive.org/web/20120101000000id_/http://example.com/",
    )


@pytest.mark.parametrize(
    ("day", "timestamp"),
    [
        (dt.date(2012, 5, 8), "20120508235959"),
        (dt.date(2001, 1, 2), "20010102235959"),
        (dt.date(1999, 12, 31), "19991231235959"),
        (dt.date(2024, 2, 29), "20240229235959"),
    ],
)
def test_timestamp_for_is_the_last_second_of_the_day(day: dt.date, timestamp: str) -> None:
    assert timestamp_for(day) == timestamp


A = {
    "timestamp": "20120101000000",
    "original": "http://example.com/",
    "statuscode": "200",
    "mimetype": "text/html",
}
B = {
    "timestamp": "20130101000000",
    "original": "http://example.com/",
    "statuscode": "301",
    "mimetype": "unk",
}
IA_ROWS = [
    ["com,example)/", A["timestamp"], A["original"], A["mimetype"], A["statuscode"], "D1", "100"],
    ["com,example)/", B["timestamp"], B["original"], B["mimetype"], B["statuscode"], "D2", "0"],
]


def pywb_json(row: dict[str, str]) -> str:
    """A CDX row as pywb's output=json writes it: one object, pywb's field names."""
    return json.dumps(
        {
            "urlkey": "com,example)/",
            "timestamp": row["timestamp"],
            "url": row["original"],
            "mime": row["mimetype"],
            "status": row["statuscode"],
            "digest": "D",
        }
    )


def cdxj(row: dict[str, str]) -> str:
    """A CDX row as a CDXJ index line: urlkey, timestamp, then a JSON object."""
    fields = {"url": row["original"], "mime": row["mimetype"], "status": row["statuscode"]}
    return f"com,example)/ {row['timestamp']} {json.dumps(fields)}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", []),
        ("  \n\n ", []),
        ("[]", []),
        (json.dumps([IA_FIELDS]), []),
        (json.dumps([IA_FIELDS, *IA_ROWS]), [A, B]),
        ("".join(" ".join(row) + "\n\n" for row in IA_ROWS), [A, B]),
        (f"{pywb_json(A)}\n{pywb_json(B)}\n", [A, B]),
        (f"{cdxj(A)}\n{cdxj(B)}", [A, B]),
    ],
    ids=[
        "empty",
        "blank",
        "ia-json-empty",
        "ia-json-header-only",
        "ia-json",
        "ia-plain",
        "pywb-json",
        "cdxj",
    ],
)
def test_rows_reads_every_cdx_format(body: str, expected: list[dict[str, str]]) -> None:
    rows = list(_rows(body))

    assert [{k: r[k] for k in A} for r in rows] == expected
