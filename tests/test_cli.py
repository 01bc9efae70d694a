"""The command line: the real command, its exit codes, its output and its errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck import __version__
from sourcecheck.cli import app
from tests.http_server import RouteServer

runner = CliRunner()

ARTICLE = """<html><head><title>Council</title></head><body>
<nav><a href="/">Home</a></nav>
<article><h1>Council vote</h1>
<p>The speaker said that it will harm too many people charged with low&#8209;level offenses.</p>
<p>&ldquo;We counted 1,200 cases,&rdquo; she said. &ldquo;Not one of them was resolved.&rdquo;</p>
</article></body></html>"""


def sources_file(tmp_path: Path, server: RouteServer, name: str, quotes: list[str]) -> Path:
    url = server.add(f"/cli/{name}", ARTICLE)
    body = "\n".join(f"      - {json.dumps(q)}" for q in quotes)
    text = f"as_of: 2020-01-01\nsources:\n  - id: {name}\n    url: {url}\n    quotes:\n{body}\n"
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def verify(path: Path, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", str(path), "--allow-private", "--no-archive", *extra])
    return result.exit_code, result.stdout, result.stderr


def test_exit_0_when_every_quote_is_verified(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(
        tmp_path,
        server,
        "all-true",
        ["it will harm too many people charged with low-level offenses", "We counted 1,200 cases"],
    )
    code, out, _ = verify(path)
    assert code == 0
    assert "2 quotes: 2 verified, 0 altered, 0 not found, 0 unavailable" in out


def test_exit_1_and_a_diff_for_an_altered_quote(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(
        tmp_path,
        server,
        "altered",
        ["it will help too many people charged with low-level offenses"],
    )
    code, out, _ = verify(path, "--format", "json")
    assert code == 1
    [quote] = json.loads(out)["quotes"]
    assert quote["verdict"] == "altered"
    assert quote["where"] == "live"
    assert quote["match"]["text"] == "it will harm too many people charged with low‑level offenses."
    changed = [d for d in quote["match"]["diff"] if d["op"] != "equal"]
    assert changed == [{"op": "replace", "source": "harm", "quote": "help"}]


def test_the_table_shows_the_diff(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(
        tmp_path, server, "table", ["Not one of them was resolved", "We counted 1,300 cases"]
    )
    code, out, _ = verify(path)
    assert code == 1
    assert "verified" in out and "altered" in out
    assert "[-1,200-]{+1,300+}" in out


def test_markdown_report_is_written_and_printable(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(tmp_path, server, "md", ["We counted 1,300 cases"])
    report = tmp_path / "out" / "report.md"
    report.parent.mkdir()
    code, _, _ = verify(path, "--report", str(report))
    assert code == 1
    text = report.read_text(encoding="utf-8")
    assert "| ⚠️ altered | 1 |" in text
    assert "```diff\n  - 1,200\n  + 1,300\n" in text
    code, out, _ = verify(path, "--format", "markdown")

    def undated(doc: str) -> str:
        return re.sub(r"checked [^.]*\.", "checked (time).", doc)

    assert undated(out) == undated(text)


def test_unwritable_report_is_a_user_error(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(tmp_path, server, "unwritable", ["We counted 1,200 cases"])
    code, _, err = verify(path, "--report", str(tmp_path / "missing-dir" / "r.md"))
    assert code == 2
    assert err.startswith("sourcecheck: ") and "cannot write the report" in err
    assert "Traceback" not in err


def test_private_addresses_are_refused_by_default(tmp_path: Path, server: RouteServer) -> None:
    path = sources_file(tmp_path, server, "private", ["We counted 1,200 cases"])
    result = runner.invoke(app, ["verify", str(path), "--no-archive", "--format", "json"])
    doc = json.loads(result.stdout)
    [source] = doc["sources"]
    assert source["status"] == "error"
    assert "non-public address 127.0.0.1" in source["reason"]
    assert "--allow-private" in source["reason"]
    assert doc["quotes"][0]["verdict"] == "unavailable"
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "sources:\n  - id: a\n    quots: []\n",
            "sources.yaml:3: sources[0].quots: unknown key 'quots' (did you mean 'quotes'?)",
        ),
        ("sources:\n  - id: a\n    url: [x\n", "sources.yaml:4:1: invalid YAML: "),
    ],
    ids=["unknown-key", "yaml-syntax"],
)
def test_config_errors_exit_2_with_one_line_each(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("sourcecheck: " + str(tmp_path) + "/" + expected)
    assert result.stdout == ""


def test_missing_sources_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"sourcecheck: {tmp_path / 'nope.yaml'}: no such file"


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "--format", "xml"],
        ["verify", "--wayback-url", "ftp://archive"],
        ["verify", "--timeout", "0"],
        ["verify", "--bogus"],
        ["nosuchcommand"],
    ],
    ids=["bad-format", "bad-wayback-url", "bad-timeout", "unknown-option", "unknown-command"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"sourcecheck {__version__}\n")


@pytest.mark.parametrize(
    "command",
    [[], ["verify"], ["history"], ["archive"]],
    ids=["root", "verify", "history", "archive"],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: sourcecheck" in result.stdout
    first_line = {
        (): "Check that every quote",
        ("verify",): "Fetch every source",
        ("history",): "Walk one source's captures over time",
        ("archive",): "Capture every source's live page with Save Page Now",
    }[tuple(command)]
    assert first_line in result.stdout


def test_python_dash_m_and_the_console_script(tmp_path: Path) -> None:
    by_module = subprocess.run(
        [sys.executable, "-m", "sourcecheck", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (by_module.returncode, by_module.stdout) == (0, f"sourcecheck {__version__}\n")
    script = Path(sys.executable).parent / "sourcecheck"
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("sources:\n  - {id: a, url: 3}\n"), encoding="utf-8")
    run = subprocess.run(
        [str(script), "verify", str(bad)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert (
        run.stderr
        == f"sourcecheck: {bad}:2: sources[0].url: input should be a valid string (got 3)\n"
    )
