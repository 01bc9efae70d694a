"""Shared fixtures: a real page server and a real pywb archive on 127.0.0.1.

The "seed world" replays the seed article's sources: live pages on one loopback port, archived
captures in pywb, with the same situations as on the real web (a page that moved and changed, a
dead page that the archive kept, captures that differ over time, a blocked site, no URL).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from sourcecheck.errors import ConfigError, InputError
from sourcecheck.sources import load_sources
from tests.http_server import RouteServer
from tests.pywb_archive import Capture, PywbArchive
from tests.wayback_standin import IAStandIn

# CI runs the same examples every time (HYPOTHESIS_PROFILE=ci in .ci/run): a red run is then
# reproducible; by hand, Hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"

# The seed article is read where it lives, next to the project (never copied into it).
_SEED_NAME = Path("shared", "seed", "secure-communities-article.txt")


def seed_article_path() -> Path | None:
    """Where the seed article is on this machine: $SOURCECHECK_SEED_ARTICLE, ../shared, /work."""
    candidates = [os.environ.get("SOURCECHECK_SEED_ARTICLE"), ROOT.parent / _SEED_NAME]
    candidates.append(Path("/work") / _SEED_NAME)
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture
def seed_article() -> Path:
    """The seed article's path; the test is skipped, saying why, on a machine without it."""
    path = seed_article_path()
    if path is None:
        pytest.skip(f"the seed article ({_SEED_NAME}) is not on this machine")
    return path


# The real URLs of the top-level sources.yaml and the loopback paths that replay them.
SEED_URLS = {
    "http://www.ice.gov/secure_communities/": "/ice/secure_communities/",
    "http://www.ice.gov/about/overview/": "/ice/about/overview/",
    "http://archive.boston.com/metrodesk/2012/05/08/feds-activate-secure-communities-program-mass-despite-objections-from-gov-patrick/1rNb4cZnuuRqsZ6RtvgNYO/story.html": "/globe/story.html",
    "https://www.foxnews.com/politics/secure-communities-activated-in-new-york-despite-objections": "/fox/secure-communities",
    "http://www.nmcir.org": "/nmcir/",
}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty cache directory of its own, never the working directory's."""
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SOURCECHECK_CACHE_DIR", str(directory))
    return directory


# The smallest well-formed PDF of one empty page (objects, cross-reference table, trailer).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
)


def page(slug: str) -> bytes:
    """A saved page from tests/fixtures/pages, by its URL slug."""
    return (PAGES / f"{slug}.html").read_bytes()


@dataclass(frozen=True)
class World:
    """The seed article's sources replayed on loopback."""

    server: RouteServer
    archive: PywbArchive
    sources_yaml: Path

    @property
    def wayback_url(self) -> str:
        return self.archive.base_url


@pytest.fixture(scope="session")
def server() -> Iterator[RouteServer]:
    """One page server for the session; each test registers its own paths."""
    with RouteServer() as s:
        yield s


def _seed_routes(s: RouteServer) -> None:
    s.add(
        "/ice/secure_communities/", status=301, headers=(("Location", "/ice/secure-communities"),)
    )
    s.add("/ice/secure-communities", page("www-ice-gov-secure-communities-2015"))
    s.add("/ice/about/overview/", page("www-ice-gov-about-overview"))
    s.add("/globe/story.html", "<h1>Page not found</h1>", status=404)
    s.add(
        "/fox/secure-communities", page("www-foxnews-com-secure-communities-activated-in-new-york")
    )
    s.add("/nmcir/", "<h1>Access denied</h1>", status=403)


def _seed_captures(s: RouteServer) -> list[Capture]:
    ice, globe, nmcir = (
        s.url("/ice/secure_communities/"),
        s.url("/globe/story.html"),
        s.url("/nmcir/"),
    )
    cp1252 = "text/html; charset=windows-1252"
    return [
        Capture(ice, "20120320120000", body=page("www-ice-gov-secure-communities-2012")),
        Capture(
            ice,
            "20150601000000",
            status=301,
            headers=(("Location", s.url("/ice/secure-communities")),),
        ),
        Capture(
            s.url("/ice/secure-communities"),
            "20150601000001",
            body=page("www-ice-gov-secure-communities-2015"),
        ),
        Capture(
            globe,
            "20120509080000",
            body=page("archive-boston-com-feds-activate-secure-communities-2012"),
            content_type=cp1252,
        ),
        Capture(globe, "20140101000000", body=b"<p>This story has been removed.</p>"),
        Capture(globe, "20120401000000", status=404, body=b"<p>not yet</p>"),
        Capture(nmcir, "20120401000000", body=page("www-nmcir-org")),
        # Closer to as_of, but a PDF (not read yet): passed over for the HTML capture.
        Capture(nmcir, "20120514000000", body=MINIMAL_PDF, content_type="application/pdf"),
    ]


@pytest.fixture(scope="session")
def world(server: RouteServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The seed article's sources, live and archived, and a sources.yaml pointing at them."""
    _seed_routes(server)
    directory = tmp_path_factory.mktemp("seed-world")
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    for real, path in SEED_URLS.items():
        assert real in text, real
        text = text.replace(real, server.url(path))
    sources_yaml = directory / "sources.yaml"
    sources_yaml.write_text(text, encoding="utf-8")
    with PywbArchive(directory / "archive", _seed_captures(server)) as archive:
        yield World(server, archive, sources_yaml)


def write(path: Path, text: str) -> Path:
    """Write a file (dedented by the caller) and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def interrupted(
    command: list[str], cwd: Path, ready: Callable[[], bool], settle: float = 0.0
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, press Ctrl-C (SIGINT) once ``ready()`` holds (and ``settle`` seconds
    more), and return how it ended; it is killed if it does not end within 30 s."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert time.monotonic() < deadline, "the run never got where it was to be stopped"
            time.sleep(0.01)
        time.sleep(settle)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def load_or_fail_cleanly(text: str) -> None:
    """Load ``text`` as a sources.yaml: it must give Sources or one of the loader's own errors,
    each of its lines one line."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "sources.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_sources(path)
        except (ConfigError, InputError) as exc:
            assert exc.lines()
            assert all("\n" not in line for line in exc.lines())


@pytest.fixture
def ia(server: RouteServer) -> Iterator[IAStandIn]:
    """The Internet Archive's stand-in, empty before and after the test."""
    stand_in = IAStandIn(server)
    stand_in.reset()
    yield stand_in
    stand_in.reset()
