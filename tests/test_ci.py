"""In CI: JUnit and GitHub formats, --fail-on, --output, the Markdown job summary, the Action."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sourcecheck.cli import app
from tests.conftest import ROOT
from tests.http_server import RouteServer

runner = CliRunner()

LEDGER = (
    "<html><body><article><p>The council voted seven to two on Tuesday night.</p>"
    "<p>“We will not raise taxes this year,” the mayor said.</p></article></body></html>"
)
# The page's own text tries to break out of every format it is shown in.
COURIER = (
    "<html><body><article><p>The library will close on Tuesdays ]]&gt; &lt;/details&gt; "
    "&lt;img src=x onerror=alert(1)&gt; from March, the board said.</p>"
    "</article></body></html>"
)
ARTICLE = """# Budget night

The council “voted seven to two on Tuesday night” ([the Ledger]({ledger})).

The mayor said “we will not raise taxes this year” ([the Ledger]({ledger})).

The library “will close on Mondays from March” ([the Courier]({courier})).
"""
SOURCES = """article: article.md
sources:
  - id: ledger
    url: {ledger}
  - id: courier
    url: {courier}
"""


def newsroom(tmp_path: Path, server: RouteServer, name: str) -> tuple[str, str]:
    ledger, courier = f"/ci/{name}/ledger", f"/ci/{name}/courier"
    server.add(ledger, body=LEDGER.encode(), content_type="text/html; charset=utf-8")
    server.add(courier, body=COURIER.encode(), content_type="text/html; charset=utf-8")
    urls = {"ledger": server.url(ledger), "courier": server.url(courier)}
    (tmp_path / "article.md").write_text(ARTICLE.format(**urls), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(SOURCES.format(**urls), encoding="utf-8")
    return urls["ledger"], urls["courier"]


def verify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", "--allow-private", "--no-archive", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def newsroom_dir(tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    newsroom(tmp_path, server, tmp_path.name)
    return tmp_path


def test_github_annotations_point_at_the_article_lines(newsroom_dir: Path) -> None:
    code, out, _ = verify("--format", "github")
    assert code == 1
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 1
    head, message = errors[0].split("::", 2)[1:]
    assert head == "error file=article.md,line=7,col=14,title=sourcecheck%3A quote altered"
    assert message.startswith("“will close on Mondays from March” is altered in courier (live)")
    assert "%0AThe source says: “" in message  # the newline is escaped, as the runner needs
    assert "\n" not in errors[0]
    assert lines[-1].startswith("::notice title=sourcecheck::3 quotes: 2 verified, 1 altered")


def test_fail_on_decides_errors_warnings_and_the_exit_code(newsroom_dir: Path) -> None:
    code, out, _ = verify("--format", "github", "--fail-on", "not_found,unavailable")
    assert code == 0
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::warning", "::notice"]
    assert verify("--fail-on", "none")[0] == 0
    assert verify("--fail-on", "altered")[0] == 1
    assert verify("--fail-on", "ok", "--format", "json")[0] == 1  # every source read: ok
    code, out, err = verify("--fail-on", "altered,nonsense")
    assert code == 2
    assert "--fail-on" in err and "unknown verdict or status 'nonsense'" in err


def test_junit_is_well_formed_with_one_case_per_quote(newsroom_dir: Path) -> None:
    code, out, _ = verify("--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "3", "1")
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("file"), c.get("line")) for c in cases] == [
        ("ledger", "article.md", "3"),
        ("ledger", "article.md", "5"),
        ("courier", "article.md", "7"),
    ]
    failure = cases[2].find("failure")
    assert failure is not None and failure.get("type") == "altered"
    assert "-]{+Mondays+} from March" in (failure.text or "")
    assert "</details>" in (failure.text or "")  # the page's text, as text: still well-formed
    code, out, _ = verify("--format", "junit", "--fail-on", "none")
    warned = ET.fromstring(out).findall("./testsuite/testcase")[2]
    assert warned.find("failure") is None
    assert (warned.findtext("system-out") or "").startswith("warning: verdict: altered")


def test_output_writes_any_format_to_a_file(newsroom_dir: Path) -> None:
    code, out, _ = verify("--format", "json", "--output", "out/result.json")
    assert (code, out) == (2, "")  # no such directory: one line, exit 2
    code, out, _ = verify("--format", "json", "--output", "result.json")
    assert (code, out) == (1, "")
    doc = json.loads((newsroom_dir / "result.json").read_text(encoding="utf-8"))
    assert doc["summary"]["failures"] == ["courier: altered: will close on Mondays from March"]


def test_markdown_summary_puts_what_needs_attention_first(newsroom_dir: Path) -> None:
    code, _, _ = verify("--report", "report.md")
    assert code == 1
    report = (newsroom_dir / "report.md").read_text(encoding="utf-8")
    attention = report.index("## Needs attention")
    assert report.index("| ⚠️ altered | 1 |") < attention < report.index("<details>")
    item = report[attention : report.index("<details>")]
    assert item.count("\n1. ") == 1 and "\n2. " not in item  # only the altered quote
    assert "1. ⚠️ **altered** in `courier` (article.md:7:14)" in item
    assert "Live page: [http://127.0.0.1:" in item
    assert "```diff" in item
    # The page's "</details>" and "<img ...>" are text: escaped, or inside a code fence, where
    # Markdown renders them as code.
    outside = re.sub(r"(?ms)^ *```diff$.*?^ *```$", "", report)
    assert outside.count("</details>") == 1 and "<img" not in outside
    assert "&lt;/details&gt;" in outside
    assert report.rstrip().endswith("</details>")


def action_step() -> tuple[str, dict[str, str]]:
    """The Action's verify step: its shell script and the inputs' defaults."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "verify")
    defaults = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    return step["run"], defaults


def run_action(directory: Path, sources: str | None = None) -> subprocess.CompletedProcess[str]:
    """The Action's verify step, run by bash in ``directory`` as the runner runs it."""
    script, defaults = action_step()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SOURCES": defaults["sources"] if sources is None else sources,
        "ARTICLE": defaults["article"],
        "FAIL_ON": defaults["fail-on"],
        "ARGS": "--allow-private --no-archive",
        "GITHUB_STEP_SUMMARY": str(directory / "summary.md"),
        "GITHUB_OUTPUT": str(directory / "outputs.txt"),
    }
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_github_action_annotates_the_failing_quote_and_writes_the_summary(
    newsroom_dir: Path,
) -> None:
    summary, outputs = newsroom_dir / "summary.md", newsroom_dir / "outputs.txt"
    done = run_action(newsroom_dir)
    assert done.returncode == 1, done.stderr
    assert "::error file=article.md,line=7,col=14," in done.stdout
    assert outputs.read_text(encoding="utf-8") == "exit-code=1\n"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# sourcecheck report")
    assert "1. ⚠️ **altered** in `courier` (article.md:7:14)" in text


def test_the_action_takes_several_sources_files_and_patterns(newsroom_dir: Path) -> None:
    other = newsroom_dir / "more"
    other.mkdir()
    (other / "b.sources.yaml").write_text("sources: []\n", encoding="utf-8")
    # A new line between them, and a pattern the shell leaves alone for sourcecheck.
    done = run_action(newsroom_dir, "sources.yaml\nmore/*.sources.yaml")
    assert done.returncode == 1, done.stderr
    assert "::error file=article.md,line=7,col=14," in done.stdout
    assert "more/b.sources.yaml" in done.stdout  # its own summary notice


def test_the_action_and_the_pre_commit_hook_are_valid() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    used = {s.get("id") for s in action["runs"]["steps"]}
    assert "verify" in used and action["outputs"]["exit-code"]["value"].endswith("exit-code }}")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_settings_in_sources_yaml_apply_unless_a_flag_is_given(newsroom_dir: Path) -> None:
    sources = newsroom_dir / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text + "settings:\n  fail_on: [not_found]\n  max_captures: 1\n")
    assert verify()[0] == 0  # the altered quote is only a warning now
    assert verify("--fail-on", "altered")[0] == 1  # the flag wins
    _, out, _ = verify("--format", "json")
    assert json.loads(out)["summary"]["fail_on"] == ["not_found"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "settings:\n  allow_private: true\n",
            "sources.yaml:8: settings.allow_private: only on the command line (--allow-private): "
            "a file must not open the private-address guard",
        ),
        (
            "settings:\n  fail_on: altered,nothing\n",
            "sources.yaml:8: settings.fail_on: unknown verdict or status 'nothing' (known: ",
        ),
        ("settings:\n  timeout: fast\n", "sources.yaml:8: settings.timeout: "),
        ("settings:\n  max_age: soon\n", "sources.yaml:8: settings.max_age: 'soon' is not an age"),
    ],
    ids=["no-address-guard-from-a-file", "unknown-verdict", "bad-type", "bad-age"],
)
def test_bad_settings_are_one_line_each(newsroom_dir: Path, settings: str, message: str) -> None:
    sources = newsroom_dir / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + settings)
    code, out, err = verify()
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"sourcecheck: {message}"), err


def test_no_archive_in_settings_keeps_the_archive_out(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    gone = server.add("/ci/gone", "<h1>Gone</h1>", status=404)
    base = f"sources:\n  - id: gone\n    url: {gone}\n    quotes: [words once said here]\n"
    # A Wayback nothing listens on: asked, it answers no capture, and says why.
    archive = "  wayback_url: http://127.0.0.1:9\n"

    def reason(settings: str) -> object:
        (tmp_path / "sources.yaml").write_text(base + "settings:\n" + settings, encoding="utf-8")
        result = runner.invoke(app, ["verify", "--allow-private", "--format", "json"])
        assert result.exit_code == 1, result.output
        return json.loads(result.stdout)["sources"][0]["archive_reason"]

    assert reason(archive)  # the archive was asked
    assert reason(archive + "  no_archive: true\n") is None  # not asked
