"""verify over several sources files in one run: one fetch per URL, a report per file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.fetch import Fetcher, FetchSettings
from sourcecheck.models import Page, Quote, Source, Sources, Unavailable, Verdict
from sourcecheck.report import Format, render, render_many
from sourcecheck.verify import Options, verify, verify_many
from tests.conftest import interrupted
from tests.http_server import RouteServer

runner = CliRunner()

COUNCIL = "<html><body><article><p>The council voted seven to two on Tuesday night.</p></article></body></html>"
MAYOR = "<html><body><article><p>We will not raise taxes this year, the mayor said.</p></article></body></html>"


def run(*args: str) -> tuple[int, str, str]:
    """The real verify command, on loopback, with no archive and no cache (so that every page
    the run reads is a request the server counts)."""
    result = runner.invoke(app, ["verify", "--allow-private", "--no-archive", "--no-cache", *args])
    return result.exit_code, result.stdout, result.stderr


def sources_yaml(path: Path, sources: list[tuple[str, str, str]], head: str = "") -> Path:
    """A sources file of (id, url, quote) entries, with ``head`` (settings, article) on top."""
    lines = [head.rstrip("\n")] if head else []
    lines.append("sources:")
    for sid, url, quote in sources:
        lines += [f"  - id: {sid}", f"    url: {url}", f"    quotes: [{json.dumps(quote)}]"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Newsroom:
    """Two desks whose sources files cite the same council page, three times in all."""

    def __init__(self, root: Path, server: RouteServer) -> None:
        self.council_path = f"/many/{root.name}/council"
        self.routes = server.routes
        council = server.add(self.council_path, COUNCIL)
        mayor = server.add(f"/many/{root.name}/mayor", MAYOR)
        self.metro = sources_yaml(
            Path("metro", "sources.yaml"),
            [
                ("council", council, "voted seven to two on Tuesday night"),
                ("mayor", mayor, "We will raise taxes this year"),  # altered
            ],
        )
        self.politics = sources_yaml(
            Path("politics", "vote.sources.yaml"),
            [("council", council, "voted seven to two"), ("tuesday", council, "Tuesday night")],
        )
        self.files = [str(self.metro), str(self.politics)]

    @property
    def council_hits(self) -> int:
        return self.routes[self.council_path].hits


@pytest.fixture
def newsroom(tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch) -> Newsroom:
    monkeypatch.chdir(tmp_path)
    return Newsroom(tmp_path, server)


# ----------------------------------------------------------------------------- one fetch a URL


def test_a_url_cited_in_several_files_is_fetched_once(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files, "--format", "json")
    assert code == 1
    assert newsroom.council_hits == 1  # cited three times in two files, with no cache
    doc = json.loads(out)
    verdicts = [[q["verdict"] for q in r["quotes"]] for r in doc["reports"]]
    assert verdicts == [["verified", "altered"], ["verified", "verified"]]


def test_the_fetcher_shares_an_expected_url_then_lets_it_go(server: RouteServer) -> None:
    url = server.add("/many/fetcher/shared", COUNCIL)
    route = server.routes["/many/fetcher/shared"]

    async def go() -> list[Page | Unavailable]:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            fetcher.expect([url, url, url])
            pages = list(await asyncio.gather(*(fetcher.fetch(url) for _ in range(3))))
            assert route.hits == 1
            for _ in range(3):
                fetcher.done_with(url)
            await fetcher.fetch(url)  # expected no more: asked again, not kept
            assert route.hits == 2
            fetcher.expect([url, url])
            fetcher.done_with(url)  # an asker that never asked (its result was known)
            await fetcher.fetch(url)  # the other asks alone
            fetcher.done_with(url)
            assert route.hits == 3
            return pages

    pages = asyncio.run(go())
    assert isinstance(pages[0], Page)
    assert pages[0] is pages[1] is pages[2]  # one page, shared


def test_a_probe_is_not_shared_as_a_page(server: RouteServer) -> None:
    url = server.add("/many/fetcher/probe", COUNCIL)

    async def go() -> None:
        async with Fetcher(FetchSettings(allow_private=True)) as fetcher:
            fetcher.expect([url, url])
            await fetcher.fetch(url, probe=True)
            await asyncio.gather(fetcher.fetch(url), fetcher.fetch(url))

    asyncio.run(go())
    assert server.routes["/many/fetcher/probe"].hits == 2  # the probe, then the page once


def test_verify_many_returns_a_report_per_list(server: RouteServer) -> None:
    council = server.add("/many/library/council", COUNCIL)
    lists = [
        Sources(Path("a.yaml"), (Source("council", council, None, (Quote("voted seven"),)),)),
        Sources(
            Path("b.yaml"),
            (Source("council", council, None, (Quote("voted seven to three on Tuesday"),)),),
        ),
    ]
    options = Options(fetch=FetchSettings(allow_private=True), use_archive=False)
    seen: list[tuple[int, str]] = []
    reports = asyncio.run(
        verify_many(lists, options, on_result=lambda n, r: seen.append((n, r.source.id)))
    )
    assert [r.sources_path for r in reports] == [Path("a.yaml"), Path("b.yaml")]
    assert [r.quotes[0].verdict for r in reports] == [Verdict.VERIFIED, Verdict.ALTERED]
    assert sorted(seen) == [(0, "council"), (1, "council")]
    assert server.routes["/many/library/council"].hits == 1
    assert asyncio.run(verify(lists[1], options)).quotes[0].verdict is Verdict.ALTERED


# ----------------------------------------------------------------------------- which files


def test_a_directory_means_every_sources_file_under_it(newsroom: Newsroom) -> None:
    Path("metro", "notes.yaml").write_text("not: a sources file\n", encoding="utf-8")
    # Hidden directories, node_modules and virtual environments are not searched.
    for skipped in (".git", "node_modules", "venv"):
        Path(skipped, "deep").mkdir(parents=True)
        Path(skipped, "deep", "sources.yaml").write_text("broken: [\n", encoding="utf-8")
    Path("venv", "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    code, out, _ = run(".", "--format", "json")
    assert code == 1
    files = [r["sources_file"] for r in json.loads(out)["reports"]]
    assert files == ["metro/sources.yaml", "politics/vote.sources.yaml"]  # sorted; no notes.yaml


def test_a_quoted_pattern_is_expanded(newsroom: Newsroom) -> None:
    code, out, _ = run("**/*.yaml", "--format", "json")
    assert code == 1
    files = [r["sources_file"] for r in json.loads(out)["reports"]]
    assert files == ["metro/sources.yaml", "politics/vote.sources.yaml"]
    code, _, err = run("nowhere/*.yaml")
    assert (code, err) == (2, "sourcecheck: nowhere/*.yaml: no file matches this pattern\n")


def test_a_file_named_twice_is_checked_once(newsroom: Newsroom) -> None:
    again = str(Path("politics", "..", "metro", "sources.yaml"))
    code, out, _ = run(str(newsroom.metro), again, "metro", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["sourcecheck"] and doc["summary"]["quotes"] == 2  # one file: today's document
    assert doc["sources_file"] == "metro/sources.yaml"


def test_an_empty_directory_is_one_line(tmp_path: Path) -> None:
    code, out, err = run(str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (
        f"sourcecheck: {tmp_path}: cannot read: no sources.yaml, sources.yml, *.sources.yaml "
        "or *.sources.yml in this directory\n"
    )


def test_every_problem_of_every_file_is_listed_and_nothing_fetched(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    bad_one = tmp_path / "bad" / "one.sources.yaml"
    bad_one.parent.mkdir()
    bad_one.write_text("sources:\n  - id: a\n    quots: []\n", encoding="utf-8")
    bad_two = tmp_path / "bad" / "two.sources.yaml"
    bad_two.write_text("sources:\n  - {id: b, url: 3}\n", encoding="utf-8")
    code, out, err = run(*newsroom.files, str(bad_one), str(bad_two), "missing.yaml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"sourcecheck: {bad_one}:3: sources[0].quots: unknown key 'quots' (did you mean 'quotes'?)",
        f"sourcecheck: {bad_two}:2: sources[0].url: input should be a valid string (got 3)",
        "sourcecheck: missing.yaml: no such file",
    ]
    assert newsroom.council_hits == 0


# ----------------------------------------------------------------------------- settings


def test_settings_that_agree_apply_to_the_run(newsroom: Newsroom) -> None:
    for path in (newsroom.metro, newsroom.politics):
        text = path.read_text(encoding="utf-8")
        path.write_text("settings:\n  fail_on: [not_found, unavailable]\n" + text)
    code, out, _ = run(*newsroom.files, "--format", "json")
    assert code == 0  # the altered quote is a warning in both files now
    assert json.loads(out)["summary"]["fail_on"] == ["not_found", "unavailable"]
    # Set in one file only: it applies to the whole run.
    newsroom.politics.write_text(newsroom.politics.read_text().split("\n", 2)[2])
    assert newsroom.politics.read_text().startswith("sources:")
    assert run(*newsroom.files)[0] == 0


def test_settings_that_disagree_stop_the_run_unless_the_flag_is_given(newsroom: Newsroom) -> None:
    newsroom.metro.write_text("settings:\n  timeout: 30\n" + newsroom.metro.read_text())
    newsroom.politics.write_text("settings:\n  timeout: 20\n" + newsroom.politics.read_text())
    code, out, err = run(*newsroom.files)
    assert (code, out) == (2, "")
    assert err == (
        "sourcecheck: metro/sources.yaml:2: settings.timeout: 30.0 here but 20.0 in "
        "politics/vote.sources.yaml:2: the files disagree; give --timeout on the command line\n"
    )
    assert newsroom.council_hits == 0
    assert run(*newsroom.files, "--timeout", "10")[0] == 1


def test_article_option_with_several_files_is_refused(newsroom: Newsroom) -> None:
    Path("article.md").write_text('She said "voted seven to two".\n', encoding="utf-8")
    code, out, err = run(*newsroom.files, "--article", "article.md")
    assert (code, out) == (2, "")
    assert err == "sourcecheck: --article: takes one sources file, not 2\n"


def test_each_file_reads_its_own_article(newsroom: Newsroom) -> None:
    Path("metro", "story.md").write_text(
        'The council "voted seven to two on Tuesday night", the mayor said "nothing at all to report".\n',
        encoding="utf-8",
    )
    newsroom.metro.write_text("article: story.md\n" + newsroom.metro.read_text())
    code, out, _ = run(*newsroom.files, "--format", "json")
    assert code == 1
    metro, politics = json.loads(out)["reports"]
    assert metro["article"] == "metro/story.md" and politics["article"] is None
    assert [q["text"] for q in metro["unattributed"]] == ["nothing at all to report"]
    assert politics["unattributed"] == []


# ----------------------------------------------------------------------------- exit codes


def test_the_exit_code_is_1_when_only_one_file_fails(newsroom: Newsroom) -> None:
    assert run(str(newsroom.politics))[0] == 0
    assert run(*newsroom.files)[0] == 1
    assert run(*newsroom.files, "--fail-on", "not_found")[0] == 0


# ----------------------------------------------------------------------------- output


def test_json_has_one_report_per_file_and_totals(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files, "--format", "json")
    doc = json.loads(out)
    assert set(doc) == {"sourcecheck", "reports", "summary"}
    assert [r["sources_file"] for r in doc["reports"]] == newsroom.files
    assert [r["summary"]["exit_code"] for r in doc["reports"]] == [1, 0]
    summary = doc["summary"]
    assert (summary["verified"], summary["altered"], summary["quotes"]) == (3, 1, 4)
    assert (summary["sources"], summary["files"], summary["exit_code"]) == (4, 2, code)


def test_the_table_heads_each_file_then_totals(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files)
    assert code == 1
    metro, politics = out.index("metro/sources.yaml ─"), out.index("politics/vote.sources.yaml ─")
    assert metro < out.index("mayor: altered (live)") < politics
    assert out.count("sources, 2 readable") == 2  # each file's own summary line
    assert out.rstrip().splitlines()[-1] == (
        "2 files, 4 quotes: 3 verified, 1 altered, 0 not found, 0 unavailable; 4 sources, "
        "4 readable"
    )


def test_markdown_counts_first_then_a_section_per_file(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files, "--format", "markdown", "--report", "report.md")
    assert code == 1
    assert out.startswith("# sourcecheck report\n")
    assert "**4 quotes: 3 verified, 1 altered" in out.split("## ", 1)[0]
    sections = re.findall(r"^## (.*)$", out, re.M)
    assert sections == ["metro/sources.yaml", "politics/vote.sources.yaml"]
    assert out.count("### Needs attention") == 2 and "\n## Needs attention" not in out
    assert "### council (`council`)" in out

    def undated(doc: str) -> str:
        return re.sub(r"checked [^.]*\.", "checked (time).", doc)

    assert undated(Path("report.md").read_text(encoding="utf-8")) == undated(out)


def test_junit_holds_every_files_suites(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files, "--format", "junit", "--output", "junit.xml")
    assert (code, out) == (1, "")
    root = ET.fromstring(Path("junit.xml").read_text(encoding="utf-8"))
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "4", "1")
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "metro/sources.yaml: council",
        "metro/sources.yaml: mayor",
        "politics/vote.sources.yaml: council",
        "politics/vote.sources.yaml: tuesday",
    ]
    files = [c.get("file") for c in root.iter("testcase")]
    assert files == [newsroom.files[0]] * 2 + [newsroom.files[1]] * 2


def test_github_gives_each_files_lines_and_a_notice_each(newsroom: Newsroom) -> None:
    code, out, _ = run(*newsroom.files, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error file=metro/sources.yaml,line=7,")
    assert lines[1:] == [
        "::notice title=sourcecheck::metro/sources.yaml: 2 quotes: 1 verified, 1 altered, "
        "0 not found, 0 unavailable; 2 sources, 2 readable",
        "::notice title=sourcecheck::politics/vote.sources.yaml: 2 quotes: 2 verified, "
        "0 altered, 0 not found, 0 unavailable; 2 sources, 2 readable",
    ]


@pytest.mark.parametrize("fmt", list(Format))
def test_one_file_renders_as_it_always_has(server: RouteServer, fmt: Format) -> None:
    council = server.add("/many/one/council", COUNCIL)
    sources = Sources(Path("s.yaml"), (Source("council", council, None, (Quote("voted six"),)),))
    options = Options(fetch=FetchSettings(allow_private=True), use_archive=False)
    report = asyncio.run(verify(sources, options))
    assert render_many([report], fmt, width=90) == render(report, fmt, width=90)


# ----------------------------------------------------------------------------- Ctrl-C

PROSE = " ".join(["The council met on Tuesday and counted every case it had heard."] * 40)
PAGE = "<html><body><article><h1>Council</h1><p>{}</p></article></body></html>"


@pytest.fixture
def stalling_server() -> Iterator[RouteServer]:
    with RouteServer() as s:
        s.add("/fast", PAGE.format(PROSE + " We counted 1,200 cases."))
        s.add("/stall", PAGE.format(PROSE), stall=60.0)  # answered long after the Ctrl-C
        yield s


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_writes_a_partial_report_per_file(
    stalling_server: RouteServer, tmp_path: Path
) -> None:
    first = sources_yaml(
        tmp_path / "first.sources.yaml",
        [("same-id", stalling_server.url("/fast"), "We counted 1,200 cases")],
    )
    second = sources_yaml(
        tmp_path / "second.sources.yaml",
        [("same-id", stalling_server.url("/stall"), "We counted 1,300 cases")],
    )
    output = tmp_path / "out.json"
    # One request at a time: the stalling page is asked for once the first page is in.
    command = [sys.executable, "-m", "sourcecheck", "verify", str(first), str(second)]
    command += ["--allow-private", "--no-archive", "--max-concurrency", "1"]
    command += ["--format", "json", "--output", str(output)]
    asked = lambda: any(path == "/stall" for path, _ in stalling_server.requests)  # noqa: E731
    run = interrupted(command, tmp_path, asked)
    assert run.returncode == 130, run.stderr
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert doc["summary"]["partial"] is True
    done = [[(q["source"], q["verdict"]) for q in r["quotes"]] for r in doc["reports"]]
    assert done == [[("same-id", "verified")], []]
    assert [r["planned_sources"] for r in doc["reports"]] == [1, 1]
