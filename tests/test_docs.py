"""The README is part of the test suite: its tables, help text and commands are current."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.models import ExitStatus, SourceStatus, Verdict
from sourcecheck.sources import _FileModel, _QuoteModel, _SourceModel

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def between(marker: str) -> str:
    m = re.search(rf"<!-- {marker}: start -->\n(.*?)<!-- {marker}: end -->", README, re.S)
    assert m, f"README has no {marker} section"
    return m.group(1)


def test_exit_code_table_matches_the_enum() -> None:
    rows = re.findall(r"^\| (\d+) \| (\w+) \| [^|]+ \|$", between("exit-codes"), re.M)
    assert [(int(code), name) for code, name in rows] == [(s.value, s.name) for s in ExitStatus]


def test_verify_help_block_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("SOURCECHECK_WAYBACK_URL", raising=False)
    result = CliRunner().invoke(app, ["verify", "--help"], terminal_width=80)
    block = between("verify-help").removeprefix("```\n").removesuffix("```\n")
    if os.environ.get("UPDATE_README") == "1":  # UPDATE_README=1 pytest tests/test_docs.py
        fresh = README.replace(block, result.stdout, 1)
        (ROOT / "README.md").write_text(fresh, encoding="utf-8")
        return
    assert result.stdout == block


def test_every_sources_yaml_key_is_documented() -> None:
    keys = (
        set(_FileModel.model_fields)
        | set(_SourceModel.model_fields)
        | set(_QuoteModel.model_fields)
    )
    documented = set(re.findall(r"^\| `(\w+)` \| (?:top level|source|quote) \|", README, re.M))
    assert documented == keys


def test_every_verdict_and_status_is_documented() -> None:
    for value in [*Verdict, *SourceStatus]:
        assert re.search(rf"^\| `{value.value}` \|", README, re.M), value


def test_quick_start_has_two_commands_and_ci_runs_the_test_command() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = quick.strip().splitlines()
    assert commands == [
        "pip install . && sourcecheck verify sources.yaml",
        "pip install '.[test]' && python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet '.[test]'" in ci
    assert "python -m pytest" in ci


def test_the_example_sources_yaml_loads() -> None:
    from sourcecheck.sources import load_sources

    sources = load_sources(ROOT / "sources.yaml")
    assert [s.id for s in sources.sources] == [
        "ice-secure-communities",
        "ice-overview",
        "boston-globe",
        "fox-news-latino",
        "nyic",
        "nmcir",
    ]
    assert os.fspath(sources.path).endswith("sources.yaml")


def test_the_readme_sources_yaml_example_loads(tmp_path: Path) -> None:
    from sourcecheck.sources import load_sources

    block = README.split("## sources.yaml", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "sources.yaml"
    path.write_text(block, encoding="utf-8")
    [source] = load_sources(path).sources
    assert source.id == "boston-globe"
    assert [q.speaker for q in source.quotes] == [None, "Thomas Hodgson"]


def test_the_readme_config_error_example_is_what_the_tool_says(tmp_path: Path) -> None:
    from sourcecheck.errors import ConfigError
    from sourcecheck.sources import load_sources

    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: a\n  - id: b\n    quots: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    [line] = info.value.lines()
    said = line.replace(str(path), "sources.yaml").split(": ", 1)[1]
    assert said in README  # "sources[1].quots: unknown key 'quots' (did you mean 'quotes'?)"
