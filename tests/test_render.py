"""--render: a page whose text only its scripts write, drawn by a real headless Chromium.

Run when Playwright and a Chromium are on this machine (Debian's ``chromium`` package, or
``SOURCECHECK_CHROMIUM``); skipped, saying why, when they are not.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from sourcecheck.fetch import FetchSettings
from sourcecheck.models import Quote, Report, Source, Sources, SourceStatus, Unavailable, Verdict
from sourcecheck.render import find_chromium, render
from sourcecheck.verify import Options, verify
from tests.http_server import RouteServer

if importlib.util.find_spec("playwright") is None:
    pytest.skip("Playwright is not installed (pip install '.[render]')", allow_module_level=True)
if find_chromium() is None:
    pytest.skip(
        "no Chromium here (apt-get install chromium, or set SOURCECHECK_CHROMIUM)",
        allow_module_level=True,
    )

DRAWN = """<html><body><div id="story"></div>
<script>
document.getElementById("story").textContent =
  "The mayor said the new budget would cut waiting times at every clinic by half.";
</script></body></html>"""

QUOTE = "the new budget would cut waiting times at every clinic by half"


def run(server: RouteServer, path: str, *, draw: bool, allow_private: bool = True) -> Report:
    url = server.add(path, DRAWN)
    source = Source("s", url, None, (Quote(QUOTE),))
    options = Options(
        fetch=FetchSettings(allow_private=allow_private), use_archive=False, render=draw
    )
    return asyncio.run(verify(Sources(Path("s.yaml"), (source,)), options))


def test_a_quote_written_by_a_script_is_found_by_rendering(server: RouteServer) -> None:
    without = run(server, "/render/plain", draw=False)
    assert without.quotes[0].verdict is Verdict.NOT_FOUND
    drawn = run(server, "/render/drawn", draw=True)
    [quote] = drawn.quotes
    assert quote.verdict is Verdict.VERIFIED
    assert quote.match is not None and quote.match.found_in == "rendered"


def test_the_browser_is_held_to_the_address_guard(server: RouteServer) -> None:
    url = server.add("/render/guarded", DRAWN)
    got = asyncio.run(render(url, timeout=10, allow_private=False))
    assert isinstance(got, Unavailable)
    assert got.status is SourceStatus.ERROR
    assert got.reason.startswith("rendering failed")
