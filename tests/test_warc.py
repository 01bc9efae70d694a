"""Evidence in a WARC: the seed run recorded (`verify --warc`), read back with warcio, and
checked again from it (`verify --replay`) once its page server and archive are gone."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from sourcecheck import __version__
from sourcecheck.cache import Cache
from sourcecheck.cli import app
from sourcecheck.warc import read_warc
from tests.conftest import ROOT, SEED_URLS, World, _seed_captures, _seed_routes
from tests.http_server import RouteServer
from tests.pywb_archive import PywbArchive
from tests.test_cache_live import pywb_mark, pywb_requests

runner = CliRunner()


def verify_json(sources: Path, wayback_url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app,
        [
            "verify", str(sources), "--format", "json", "--allow-private",
            "--wayback-url", wayback_url, *extra,
        ],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def run(world: World, *extra: str) -> tuple[int, dict[str, Any]]:
    return verify_json(world.sources_yaml, world.wayback_url, *extra)


def evidence(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What each verdict rests on, and what each source's live page said."""
    quotes = [(q["source"], q["verdict"], q["where"], q["snapshot"]) for q in doc["quotes"]]
    sources = [(s["id"], s["status"], s["reason"], s["http_status"]) for s in doc["sources"]]
    return quotes + sources


@dataclass(frozen=True)
class Recorded:
    world: World
    warc: Path
    code: int
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """The seed world on servers of its own, one run recorded in a WARC; the servers stop
    after the first test that wants them gone (``gone``)."""
    directory = tmp_path_factory.mktemp("warc-world")
    with RouteServer() as server:
        _seed_routes(server)
        text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
        for real, path in SEED_URLS.items():
            text = text.replace(real, server.url(path))
        sources_yaml = directory / "sources.yaml"
        sources_yaml.write_text(text, encoding="utf-8")
        with PywbArchive(directory / "archive", _seed_captures(server)) as archive:
            world = World(server, archive, sources_yaml)
            warc = directory / "evidence.warc.gz"
            code, doc = run(world, "--warc", str(warc), "--cache-dir", str(directory / "cache"))
            yield Recorded(world, warc, code, doc)


def records(path: Path) -> list[Any]:
    with path.open("rb") as f:
        out = []
        for record in ArchiveIterator(f):
            record.body = record.content_stream().read()  # decoded, to read the text
            out.append(record)
        return out


def test_the_warc_is_gzipped_record_by_record_and_starts_with_warcinfo(recorded: Recorded) -> None:
    assert recorded.code == 1  # sources failed (dead, blocked, no URL): written all the same
    raw = recorded.warc.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert gzip.decompress(raw).startswith(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n")
    [info, *rest] = records(recorded.warc)
    assert info.rec_type == "warcinfo"
    assert f"software: sourcecheck/{__version__}".encode() in info.body
    assert info.rec_headers.get_header("WARC-Filename") == "evidence.warc.gz"
    assert {r.rec_type for r in rest} == {"request", "response"}
    assert not list(recorded.warc.parent.glob(".evidence.warc.gz.*"))  # no temporary file left


def test_every_response_the_verdicts_rest_on_is_in_the_warc(recorded: Recorded) -> None:
    server, base = recorded.world.server, recorded.world.wayback_url
    found = records(recorded.warc)
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r for r in found if r.rec_type == "response"
    }
    status = {url: r.http_headers.get_statuscode() for url, r in responses.items()}
    # Live pages, the redirect as the 301 it was, the failures, the soft-404 probe.
    assert status[server.url("/ice/secure_communities/")] == "301"
    assert (
        responses[server.url("/ice/secure_communities/")].http_headers.get_header("Location")
        == "/ice/secure-communities"
    )
    assert status[server.url("/ice/secure-communities")] == "200"
    assert status[server.url("/fox/secure-communities")] == "200"
    assert status[server.url("/globe/story.html")] == "404"
    assert status[server.url("/nmcir/")] == "403"
    assert b"Christine Quinn" in responses[server.url("/fox/secure-communities")].body
    # Archive lookups and the captures read.
    assert any(u.startswith(f"{base}/web/cdx?") for u in status)
    globe = f"{base}/web/20120509080000id_/{server.url('/globe/story.html')}"
    ice = f"{base}/web/20120320120000id_/{server.url('/ice/secure_communities/')}"
    assert status[globe] == status[ice] == "200"
    assert b"big victory for the families" in responses[globe].body
    # Each request names its response, and every record says when it was made.
    ids = {r.rec_headers.get_header("WARC-Record-ID") for r in responses.values()}
    requests = [r for r in found if r.rec_type == "request"]
    assert len(requests) == len(responses)
    assert {r.rec_headers.get_header("WARC-Concurrent-To") for r in requests} == ids
    assert all(r.rec_headers.get_header("WARC-Date") for r in found)
    probes = [r for r in requests if r.rec_headers.get_header("WARC-Sourcecheck-Probe")]
    assert len(probes) == 1 and probes[0].http_headers.protocol == "GET"


def test_the_archive_cache_is_not_read_for_a_warc_but_still_written(
    recorded: Recorded, tmp_path: Path
) -> None:
    # The recording run started from an empty cache and left it warm for the next run.
    cache = Cache(recorded.warc.parent / "cache")
    assert cache.info("capture")[0] == 4 and cache.info("lookup")[0] == 3
    # A second recording asks the archive again, so that its WARC holds the captures too.
    mark = pywb_mark(recorded.world)
    again = tmp_path / "again.warc.gz"
    run(recorded.world, "--warc", str(again), "--cache-dir", str(recorded.warc.parent / "cache"))
    asked = pywb_requests(recorded.world, mark)
    assert any("id_/" in r for r in asked) and any("/cdx?" in r for r in asked)
    targets = {r.rec_headers.get_header("WARC-Target-URI") or "" for r in records(again)}
    assert any("20120320120000id_/" in t for t in targets)


def test_a_replay_makes_no_request_and_gives_the_same_verdicts(
    recorded: Recorded, tmp_path: Path
) -> None:
    world = recorded.world
    seen, mark = len(world.server.requests), pywb_mark(world)
    code, doc = run(world, "--replay", str(recorded.warc), "--cache-dir", str(tmp_path / "c"))
    assert world.server.requests[seen:] == []
    assert pywb_requests(world, mark) == []
    assert (code, evidence(doc)) == (recorded.code, evidence(recorded.doc))
    assert not (tmp_path / "c").exists()  # a replay writes no cache


def test_what_the_warc_does_not_hold_is_unavailable_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    # A WARC of the live pages only (no archive asked), replayed with the archive asked.
    warc = tmp_path / "live.warc.gz"
    run(world, "--warc", str(warc), "--no-archive")
    code, doc = run(world, "--replay", str(warc))
    sources = {s["id"]: s for s in doc["sources"]}
    assert sources["fox-news-latino"]["status"] == "ok"
    assert sources["boston-globe"]["archive_reason"] == "archive unreachable: not in the WARC"
    assert code == 1


def test_an_unreadable_warc_is_a_usage_error(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"not a warc at all")
    for path in (bad, tmp_path / "missing.warc.gz"):
        result = runner.invoke(app, ["verify", str(world.sources_yaml), "--replay", str(path)])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"sourcecheck: {path}: cannot read the WARC: ")


def test_read_warc_gives_back_the_exchanges(recorded: Recorded) -> None:
    recording = read_warc(recorded.warc)
    assert recording.started.tzinfo is not None
    by_url = {e.url: e for e in recording.exchanges}
    moved = by_url[recorded.world.server.url("/ice/secure_communities/")]
    assert (moved.method, moved.http_status) == ("GET", 301)
    assert ("Location", "/ice/secure-communities") in moved.headers
    assert any(k == "User-Agent" for k, _ in moved.request_headers)
    assert sum(e.probe for e in recording.exchanges) == 1


# Last: it stops the recorded world's servers.
def test_a_replay_needs_neither_the_site_nor_the_archive(recorded: Recorded) -> None:
    world = recorded.world
    sources, wayback_url = world.sources_yaml, world.wayback_url
    world.archive.stop()
    world.server.__exit__(None, None, None)
    code, doc = verify_json(sources, wayback_url, "--replay", str(recorded.warc))
    assert (code, evidence(doc)) == (recorded.code, evidence(recorded.doc))
    [ice] = [q for q in doc["quotes"] if q["source"] == "ice-secure-communities"]
    assert (ice["verdict"], ice["where"], ice["snapshot"]) == (
        "verified",
        "archive",
        "20120320120000",
    )
