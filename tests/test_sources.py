"""sources.yaml: every key read, every problem reported with its file, line and key."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcecheck.errors import ConfigError, InputError
from sourcecheck.models import Quote
from sourcecheck.sources import load_sources
from tests.conftest import load_or_fail_cleanly

GOOD = """\
as_of: 2012-05-15
sources:
  - id: boston-globe
    title: Feds to activate Secure Communities
    publisher: The Boston Globe
    url: http://archive.boston.com/story.html
    archive_url: https://web.archive.org/web/20120509080000/http://archive.boston.com/story.html
    as_of: 2012-05-08
    quotes:
      - "isn't just a big victory for law enforcement."
      - {text: "[the program] is a big victory", speaker: Thomas Hodgson}
  - id: nyic
    quotes:
      - text: it has been clear from its inception
"""


def load(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = load(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    return [line.replace(str(path), "F") for line in info.value.lines()]


def test_every_key_is_read(tmp_path: Path) -> None:
    sources = load_sources(load(tmp_path, GOOD))
    assert sources.as_of == dt.date(2012, 5, 15)
    globe, nyic = sources.sources
    assert globe.id == "boston-globe"
    assert globe.title == "Feds to activate Secure Communities"
    assert globe.publisher == "The Boston Globe"
    assert globe.url == "http://archive.boston.com/story.html"
    assert globe.archive_url is not None and globe.archive_url.startswith(
        "https://web.archive.org/"
    )
    assert globe.as_of == dt.date(2012, 5, 8)
    assert globe.line == 3
    assert globe.quotes == (
        Quote("isn't just a big victory for law enforcement.", None, 10),
        Quote("[the program] is a big victory", "Thomas Hodgson", 11),
    )
    # A source without its own as_of takes the file's; one without a URL has None.
    assert nyic.as_of == dt.date(2012, 5, 15)
    assert nyic.url is None
    assert nyic.quotes == (Quote("it has been clear from its inception", None, 14),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "sources:\n  - id: a\n    quots: [x]\n",
            ["F:3: sources[0].quots: unknown key 'quots' (did you mean 'quotes'?)"],
            id="unknown-key-suggests",
        ),
        pytest.param(
            "asof: 2012-01-01\nsources: []\n",
            ["F:1: asof: unknown key 'asof' (did you mean 'as_of'?)"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            "sources:\n  - id: a\n    zzz: 1\n",
            [
                "F:3: sources[0].zzz: unknown key 'zzz' (valid keys: id, title, publisher, "
                "url, archive_url, as_of, aliases, quotes)"
            ],
            id="unknown-key-lists-valid-keys",
        ),
        pytest.param(
            "sources:\n  - id: a\n    quotes:\n      - {text: x, speker: y}\n",
            ["F:4: sources[0].quotes[0].speker: unknown key 'speker' (did you mean 'speaker'?)"],
            id="unknown-quote-key",
        ),
        pytest.param(
            "sources:\n  - title: t\n",
            ["F:2: sources[0].id: required key is missing"],
            id="missing-id",
        ),
        pytest.param(
            "as_of: 2012-01-01\n", ["F:1: sources: required key is missing"], id="no-sources"
        ),
        pytest.param(
            "sources:\n  - id: a\n    url: ftp://example.org/x\n",
            ["F:3: sources[0].url: 'ftp://example.org/x' is not an http:// or https:// URL"],
            id="bad-url-scheme",
        ),
        pytest.param(
            "sources:\n  - id: a\n    as_of: 2012-13-01\n",
            [
                "F:3: sources[0].as_of: input should be a valid date or datetime, month value "
                "is outside expected range of 1-12 (got '2012-13-01')"
            ],
            id="invalid-date",
        ),
        pytest.param(
            "sources:\n  - id: a\n    quotes:\n      - 5\n",
            [
                "F:4: sources[0].quotes[0]: expected a quote: a string or a mapping with 'text' (got 5)"
            ],
            id="quote-wrong-type",
        ),
        pytest.param(
            "sources:\n  - id: a\n    quotes:\n      - ''\n",
            ["F:4: sources[0].quotes[0].text: string should have at least 1 character (got '')"],
            id="empty-quote",
        ),
        pytest.param(
            "sources:\n  - id: a\n  - id: b\n  - id: a\n",
            ["F:4: sources[2].id: duplicate id 'a' (first given as sources[0])"],
            id="duplicate-id",
        ),
        pytest.param(
            "sources: 5\n",
            ["F:1: sources: input should be a valid list (got 5)"],
            id="sources-not-a-list",
        ),
        pytest.param(
            "- a\n- b\n", ["F:1: expected a mapping with a 'sources' list"], id="not-a-mapping"
        ),
        pytest.param("", ["F:1: expected a mapping with a 'sources' list"], id="empty-file"),
    ],
)
def test_problems_name_file_line_and_key(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems(tmp_path, text) == expected


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        sources:
          - id: a
            url: nope
          - id: b
            quots: []
        """,
    )
    assert [line.split(": ")[0] for line in found] == ["F:3", "F:5"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("sources:\n  - id: a\n    url: [unclosed\n", "F:4:1"),
        ("sources:\n  - id: a\n  id: b\n\tbad\n", "F:3:3"),
        ("sources:\n  - id: a\n    id: b\n", "F:3:5"),
    ],
    ids=["unclosed-flow", "bad-indent", "duplicate-key"],
)
def test_yaml_syntax_errors_give_line_and_column(tmp_path: Path, text: str, where: str) -> None:
    [line] = problems(tmp_path, text)
    assert line.startswith(f"{where}: invalid YAML: ")
    assert "\n" not in line


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_sources(tmp_path / "absent.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"sources:\n  - id: caf\xe9\n")
    with pytest.raises(InputError, match=r"latin1.yaml:2: not UTF-8 text \(byte 21\)"):
        load_sources(bad)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_fails_cleanly(text: str) -> None:
    """Whatever the file holds, the loader returns Sources or raises one of its own errors."""
    load_or_fail_cleanly(text)
