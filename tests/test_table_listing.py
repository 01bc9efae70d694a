"""The terminal table of a large report lists the quotes needing attention, not every one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.models import (
    Quote,
    QuoteResult,
    Report,
    Source,
    SourceResult,
    SourceStatus,
    Verdict,
)
from sourcecheck.report import Format, render
from sourcecheck.report.as_table import LISTED_UP_TO
from tests.conftest import write
from tests.http_server import RouteServer

runner = CliRunner()

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def report(verified: int, altered: int) -> Report:
    verdicts = [Verdict.VERIFIED] * verified + [Verdict.ALTERED] * altered
    quotes = tuple(Quote(f"quote number {n}") for n in range(len(verdicts)))
    source = Source("src", "https://example.org/", None, quotes)
    results = tuple(QuoteResult("src", q, v) for q, v in zip(quotes, verdicts, strict=True))
    return Report(
        Path("s.yaml"), (SourceResult(source, SourceStatus.OK, quotes=results),), NOW, NOW
    )


def rows(table: str) -> list[str]:
    cells = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    return [c[3].strip() for c in cells if c[3].strip()]


def test_a_small_report_lists_every_quote() -> None:
    table = render(report(LISTED_UP_TO - 1, 1), Format.TABLE, width=120)
    assert rows(table).count("verified") == LISTED_UP_TO - 1
    assert "not listed" not in table


def test_a_large_report_lists_only_what_needs_attention_and_says_so() -> None:
    table = render(report(LISTED_UP_TO + 10, 2), Format.TABLE, width=120)
    assert rows(table) == ["altered", "altered"]
    assert f"{LISTED_UP_TO + 10} verified quotes not listed (--all lists every quote)" in table
    assert "62 quotes: 60 verified, 2 altered" in table


def test_every_lists_them_all() -> None:
    table = render(report(LISTED_UP_TO + 10, 2), Format.TABLE, width=120, every=True)
    assert len(rows(table)) == LISTED_UP_TO + 12
    assert "not listed" not in table


def test_verify_all_flag_lists_every_quote(server: RouteServer, tmp_path: Path) -> None:
    sentences = [
        f"Councillor number {n} voted for the library budget on Tuesday." for n in range(55)
    ]
    url = server.add(
        "/listing/many", "<html><body><p>" + " ".join(sentences) + "</p></body></html>"
    )
    lines = ["sources:", "  - id: many", f"    url: {url}", "    quotes:"]
    lines += [f'      - "{s}"' for s in sentences]
    sources = write(tmp_path / "sources.yaml", "\n".join(lines) + "\n")
    args = ["verify", str(sources), "--allow-private", "--no-archive"]
    default = runner.invoke(app, args)
    every = runner.invoke(app, [*args, "--all"])
    assert (default.exit_code, every.exit_code) == (0, 0)
    assert rows(default.stdout) == [] and "55 verified quotes not listed" in default.stdout
    assert rows(every.stdout).count("verified") == 55
