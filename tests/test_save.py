"""sourcecheck archive: Save Page Now 2 against a stand-in, and archive_url written in place."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.sources import load_sources, write_archive_urls
from tests.http_server import Route, RouteServer

runner = CliRunner()

SOURCES = """\
# Sources of the article.
as_of: 2012-05-15
sources:
  - id: globe          # the Globe story
    url: {globe}
    quotes:
      - "a big victory"
  - id: fox
    url: {fox}   # moved in 2015
    archive_url: https://web.archive.org/web/2012/{fox}  # an old pin
  - id: nyic
  - {{id: flow, url: {flow}}}
"""


class SaveStandIn:
    """Answers as Save Page Now 2 does: a job per POST /save, pending once, then its outcome."""

    def __init__(self, server: RouteServer, failing: dict[str, str] | None = None) -> None:
        self.server = server
        self.failing = failing or {}
        self.jobs: dict[str, tuple[str, int]] = {}  # job id -> (url, status checks so far)
        server.prefixes["/spn/save/status/"] = self.status
        server.prefixes["/spn/save"] = self.save

    def save(self, path: str) -> Route:
        _, headers = self.server.requests[-1]
        if headers.get("Authorization") != "LOW key:secret":
            return Route(b'{"message": "You need to be logged in"}', status=401)
        url = self.server.bodies[-1][1].decode().removeprefix("url=")
        from urllib.parse import unquote_plus

        url = unquote_plus(url)
        job = f"spn2-{len(self.jobs)}"
        self.jobs[job] = (url, 0)
        return Route(
            f'{{"url": "{url}", "job_id": "{job}"}}'.encode(), content_type="application/json"
        )

    def status(self, path: str) -> Route:
        job = path.rsplit("/", 1)[1]
        url, checks = self.jobs[job]
        self.jobs[job] = (url, checks + 1)
        if checks == 0:
            body = '{"status": "pending"}'
        elif url in self.failing:
            body = (
                f'{{"status": "error", "status_ext": "{self.failing[url]}", "message": "Failed"}}'
            )
        else:
            body = (
                f'{{"status": "success", "timestamp": "20261130101010", "original_url": "{url}"}}'
            )
        return Route(body.encode(), content_type="application/json")


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IA_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("IA_SECRET_ACCESS_KEY", "secret")


def sources_file(tmp_path: Path, server: RouteServer) -> Path:
    path = tmp_path / "sources.yaml"
    text = SOURCES.format(
        globe=server.url("/save/globe"), fox=server.url("/save/fox"), flow=server.url("/save/flow")
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_each_source_is_saved_and_pinned_in_place(
    keys: None, tmp_path: Path, server: RouteServer
) -> None:
    SaveStandIn(server)
    path = sources_file(tmp_path, server)
    before = path.read_text(encoding="utf-8")
    result = runner.invoke(
        app,
        ["archive", str(path), "--save-url", server.url("/spn"), "--poll", "0", "--allow-private"],
    )
    spn = server.url("/spn") + "/web/20261130101010/"
    assert result.stdout.splitlines() == [
        f"globe: saved {spn}{server.url('/save/globe')}",
        f"fox: saved {spn}{server.url('/save/fox')}",
        f"flow: saved {spn}{server.url('/save/flow')}",
    ]
    assert "flow: written in flow style; add archive_url" in result.stderr
    assert result.exit_code == 1  # one capture could not be pinned
    after = path.read_text(encoding="utf-8")
    # Only two lines differ: one added under globe's url, fox's pin replaced (comment kept).
    expected = before.replace(
        f"    url: {server.url('/save/globe')}\n",
        f"    url: {server.url('/save/globe')}\n    archive_url: {spn}{server.url('/save/globe')}\n",
    ).replace(
        f"    archive_url: https://web.archive.org/web/2012/{server.url('/save/fox')}  # an old pin",
        f"    archive_url: {spn}{server.url('/save/fox')}  # an old pin",
    )
    assert after == expected
    assert load_sources(path).sources[0].archive_url == f"{spn}{server.url('/save/globe')}"


def test_a_failed_capture_is_reported_and_not_written(
    keys: None, tmp_path: Path, server: RouteServer
) -> None:
    SaveStandIn(server, failing={server.url("/save/fox"): "error:not-found"})
    path = sources_file(tmp_path, server)
    before = path.read_text(encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "archive",
            str(path),
            "--only",
            "fox",
            "--save-url",
            server.url("/spn"),
            "--poll",
            "0",
            "--allow-private",
        ],
    )
    assert result.stdout == "fox: not saved: Save Page Now failed: Failed\n"
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == before


def test_without_keys_the_user_is_told_how_to_get_them(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IA_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("IA_SECRET_ACCESS_KEY", raising=False)
    result = runner.invoke(app, ["archive", str(sources_file(tmp_path, server))])
    assert result.exit_code == 2
    assert "https://archive.org/account/s3.php" in result.stderr
    assert "IA_ACCESS_KEY_ID" in result.stderr


def test_an_unknown_only_id_is_a_user_error(
    keys: None, tmp_path: Path, server: RouteServer
) -> None:
    result = runner.invoke(app, ["archive", str(sources_file(tmp_path, server)), "--only", "nope"])
    assert result.exit_code == 2
    assert "no source with id 'nope'" in result.stderr


def test_writing_keeps_crlf_line_ends_and_quotes_odd_urls(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"sources:\r\n  - id: a\r\n    url: http://x.org/a\r\n")
    assert write_archive_urls(path, {"a": "http://arch.org/web/2012/http://x.org/a #1"}) == []
    assert path.read_bytes() == (
        b"sources:\r\n  - id: a\r\n    url: http://x.org/a\r\n"
        b'    archive_url: "http://arch.org/web/2012/http://x.org/a #1"\r\n'
    )
    assert load_sources(path).sources[0].archive_url == "http://arch.org/web/2012/http://x.org/a #1"


def test_a_source_with_only_an_id_gets_the_line_under_it(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        sources:
          - id: a
            title: A
    """), encoding="utf-8")  # fmt: skip
    write_archive_urls(path, {"a": "http://arch.org/web/2012/http://x.org/a"})
    assert path.read_text(encoding="utf-8") == textwrap.dedent("""\
        sources:
          - id: a
            archive_url: http://arch.org/web/2012/http://x.org/a
            title: A
    """)  # fmt: skip
