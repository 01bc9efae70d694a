"""A run of many sources matches pages (their text, the quotes, the main text) in worker
processes: the same verdicts and the same "outside the article" flags as in the run's own
process, and Ctrl-C stays clean."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from sourcecheck import verify as verify_module
from sourcecheck.fetch import FetchSettings
from sourcecheck.matching import match_page
from sourcecheck.models import Page, Quote, QuoteResult, Report, Source, Sources, Where
from sourcecheck.verify import POOL_FROM, Options, verify
from tests.conftest import interrupted
from tests.http_server import RouteServer
from tests.test_page_text import ARTICLE

INSIDE = "the plan would cut waiting times at every public clinic"
OUTSIDE = "Everyone agrees the budget is fine, sources say"
MANY = POOL_FROM + 4


def many_sources(server: RouteServer, prefix: str) -> Sources:
    sources = []
    for n in range(MANY):
        url = server.add(f"/{prefix}/{n}", ARTICLE)
        sources.append(Source(f"s{n}", url, None, (Quote(INSIDE), Quote(OUTSIDE))))
    return Sources(Path("s.yaml"), tuple(sources))


def run(sources: Sources) -> Report:
    # workers=None: as the command line runs it, with workers for a run this large.
    options = Options(fetch=FetchSettings(allow_private=True), use_archive=False, workers=None)
    return asyncio.run(verify(sources, options))


def flags(report: Report) -> list[tuple[str, bool | None]]:
    return [(q.verdict.value, q.match.in_main if q.match else None) for q in report.quotes]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers each run asked for, in order."""
    asked: list[int] = []
    real = verify_module.Matcher

    def counting(workers: int = 0) -> verify_module.Matcher:
        asked.append(workers)
        return real(workers)

    monkeypatch.setattr(verify_module, "Matcher", counting)
    return asked


def test_workers_flag_what_lies_outside_the_article_as_the_run_itself_does(
    server: RouteServer, monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    in_workers = run(many_sources(server, "pool"))
    monkeypatch.setattr(verify_module, "POOL_FROM", 10**6)
    here = run(many_sources(server, "here"))
    expected = [("verified", True), ("verified", False)] * MANY
    assert flags(in_workers) == flags(here) == expected
    assert started[0] >= (1 if (os.cpu_count() or 1) > 1 else 0) and started[1] == 0


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_in_a_run_with_workers_is_clean(tmp_path: Path) -> None:
    with RouteServer() as server:
        lines = ["sources:"]
        for n in range(MANY):
            # The first ones answer; the last stalls, so the run is still going when stopped.
            url = server.add(f"/ctrl-c/{n}", ARTICLE, stall=60.0 if n == MANY - 1 else 0.0)
            lines += [f"  - id: s{n}", f"    url: {url}", f"    quotes: ['{INSIDE}']"]
        sources = tmp_path / "sources.yaml"
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "sourcecheck", "verify", str(sources)]
        command += ["--allow-private", "--no-archive", "--no-cache", "-f", "json"]
        # Stopped once every page was asked for and the answered ones had a second to be
        # checked, their main text read in workers.
        run = interrupted(
            command, tmp_path, lambda: len({p for p, _ in server.requests}) >= MANY, 1.0
        )
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr and "KeyboardInterrupt" not in run.stderr
    doc = json.loads(run.stdout)
    assert doc["partial"] is True and 0 < len(doc["sources"]) < MANY


def test_a_pool_that_breaks_leaves_the_work_to_the_run_itself() -> None:
    page = Page("https://x.example/", "https://x.example/", 200, "text/html", ARTICLE.encode())
    source = Source("s", page.url, None, (Quote(INSIDE), Quote(OUTSIDE)))
    Found = dict[int, QuoteResult] | str

    async def go() -> tuple[Found, Found]:
        matcher = verify_module.Matcher(1)
        first = await matcher.match(source, page, Where.LIVE, None, [0, 1])  # a worker answers
        workers = matcher._workers
        assert workers is not None
        for worker in workers._workers:  # then it dies
            worker.process.kill()
            worker.process.join()
        try:
            return first, await matcher.match(source, page, Where.LIVE, None, [0, 1])
        finally:
            matcher.close()

    first, after = asyncio.run(go())
    assert isinstance(first, dict)
    got = [(r.verdict.value, r.match.in_main if r.match else None) for r in first.values()]
    assert got == [("verified", True), ("verified", False)]
    assert after == first == match_page(source, page, Where.LIVE, None, [0, 1])


def test_a_library_run_uses_no_worker_unless_asked(server: RouteServer, started: list[int]) -> None:
    options = Options(fetch=FetchSettings(allow_private=True), use_archive=False)
    asyncio.run(verify(many_sources(server, "library"), options))
    assert started == [0]


@pytest.mark.parametrize(
    ("flag", "expected"), [((), None), (("--workers", "0"), 0), (("--workers", "2"), 2)]
)
def test_the_workers_option(
    server: RouteServer,
    tmp_path: Path,
    started: list[int],
    flag: tuple[str, ...],
    expected: int | None,
) -> None:
    from typer.testing import CliRunner

    from sourcecheck.cli import app

    lines = ["sources:"]
    for source in many_sources(server, f"cli{len(flag)}{flag[-1:]}").sources:
        lines += [f"  - id: {source.id}", f"    url: {source.url}", f"    quotes: ['{INSIDE}']"]
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["verify", str(tmp_path / "sources.yaml"), "--allow-private", "--no-archive", *flag]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    automatic = verify_module._workers(MANY)
    assert started == [automatic if expected is None else expected]


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal")
def test_a_run_of_many_sources_in_a_terminal_draws_its_progress(
    server: RouteServer, tmp_path: Path
) -> None:
    import pty
    import subprocess

    lines = ["sources:"]
    for source in many_sources(server, "tty").sources:
        lines += [f"  - id: {source.id}", f"    url: {source.url}", f"    quotes: ['{INSIDE}']"]
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "sourcecheck", "verify", str(tmp_path / "sources.yaml")]
    command += ["--allow-private", "--no-archive", "--no-cache", "-f", "json"]
    mine, theirs = pty.openpty()  # stderr is a terminal: the progress bar is drawn
    try:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=theirs, timeout=120)
        os.close(theirs)
        drawn = b""
        while True:
            try:
                chunk = os.read(mine, 65536)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(mine)
    assert run.returncode == 0, drawn[-500:]
    assert b"checking sources" in drawn and b"Traceback" not in drawn
    doc = json.loads(run.stdout)
    assert doc["summary"]["verified"] == MANY
