"""The article commands end to end: `quotes`, `init`, and `verify` reading an article.

Real commands (typer's CliRunner), real files in tmp_path, real pages on the loopback server.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sourcecheck.cli import app
from sourcecheck.sources import load_sources
from tests.conftest import seed_article_path
from tests.http_server import RouteServer

runner = CliRunner()

SEED_ARTICLE = seed_article_path()
needs_seed = pytest.mark.skipif(
    SEED_ARTICLE is None, reason="the seed article (../shared/seed/) is not on this machine"
)
BLOCK_START = "Secure Communities is a simple and common sense way to carry out ICE’s priorities."


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def seed(tmp_path: Path) -> Path:
    """The seed article, copied into the test's directory."""
    assert SEED_ARTICLE is not None
    return Path(shutil.copy(SEED_ARTICLE, tmp_path / "article.txt"))


def at(text: str, line: int, column: int) -> str:
    """The text from a 1-based line and column on."""
    return text.splitlines()[line - 1][column - 1 :]


def position(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column of the first ``needle`` in ``text``."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def quotes_json(*args: str) -> dict[str, Any]:
    code, out, err = run("quotes", *args, "--format", "json")
    assert (code, err) == (0, ""), err
    doc: dict[str, Any] = json.loads(out)
    return doc


def assert_one_error_line(code: int, out: str, err: str, expected: str) -> None:
    """Exit code 2, nothing on stdout, one line on stderr, and no traceback."""
    assert code == 2
    assert out == ""
    assert err.splitlines() == [expected]
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- quotes

# The seed article's quotes: (kind, source, line, column, first words). Names are not tied.
SEED_QUOTES = [
    ("name", None, 3, 102, "Secure Communities"),
    ("block", "ref:6", 7, 1, BLOCK_START),
    ("quote", "ref:4", 9, 158, "isn’t just a big victory for law enforcement."),
    ("quote", "ref:4", 9, 219, "several high-profile motor-vehicle accidents involving"),
    ("quote", "ref:4", 9, 343, "[the program] is a big victory for the families"),
    ("name", None, 11, 2, "S-Comm"),
    ("quote", "ref:1", 11, 155, "New York City Council Speaker Christine Quinn said that"),
    ("quote", "ref:2", 11, 476, "it has been clear from its inception that this program"),
]


@needs_seed
def test_quotes_of_the_seed_article_as_json(tmp_path: Path) -> None:
    article = seed(tmp_path)
    doc = quotes_json(str(article))
    assert doc["article"] == str(article)
    assert doc["title"] == "Secure Communities"
    got = [(q["kind"], q["source"], q["line"], q["column"]) for q in doc["quotes"]]
    assert got == [(k, s, line, col) for k, s, line, col, _ in SEED_QUOTES]
    for q, (_, _, _, _, start) in zip(doc["quotes"], SEED_QUOTES, strict=True):
        assert q["text"].startswith(start)
        assert q["checked"] is (q["kind"] != "name")
    assert [q["text"] for q in doc["quotes"] if q["kind"] == "name"] == [
        "Secure Communities",
        "S-Comm",
    ]
    [hodgson] = [q for q in doc["quotes"] if q["line"] == 9 and q["column"] == 158]
    assert (hodgson["speaker"], hodgson["cue"]) == ("Thomas Hodgson", "same speaker as line 9")
    # Every position points at the quote's first character in the file.
    text = article.read_text(encoding="utf-8")
    for q in doc["quotes"]:
        assert at(text, q["line"], q["column"]).startswith(q["text"]), q
    refs = doc["references"]
    assert [(r["label"], r["line"]) for r in refs] == [
        ("1", 18),
        ("2", 20),
        ("3", 22),
        ("4", 24),
        ("5", 26),
        ("6", 28),
    ]
    assert refs[3]["publisher"] == "The Boston Globe"
    assert refs[3]["title"] == "Feds to activate Secure Communities"
    assert (doc["links"], doc["notes"]) == ([], [])


@needs_seed
def test_quotes_of_the_seed_article_as_markdown_and_table(tmp_path: Path) -> None:
    article = seed(tmp_path)
    code, out, err = run("quotes", str(article), "--format", "markdown")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"# Quotes in `{article}`"
    assert (
        "| 9:158 | quote | isn’t just a big victory for law enforcement. | Thomas Hodgson "
        "| ref:4 | same speaker as line 9 |"
    ) in lines
    assert "| 3:102 | name | Secure Communities |  | - |  |" in lines
    assert "| 11:2 | name | S-Comm |  | - |  |" in lines
    rows = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[0:2] for row in rows] == [
        [f"| {line}:{col}", kind] for kind, _, line, col, _ in SEED_QUOTES
    ]
    assert "## Reference list" in lines
    assert "4. The Boston Globe. “Feds to activate Secure Communities.” (line 24)" in lines

    code, out, err = run("quotes", str(article))
    assert (code, err) == (0, "")
    for kind, source, line, col, _ in SEED_QUOTES:
        row = next(r for r in out.splitlines() if r.startswith(f"│ {line}:{col} "))
        assert f"│ {kind} " in row and f"│ {source or '-'} " in row
    assert "  [4] line 24: The Boston Globe. “Feds to activate Secure Communities.”" in out
    assert out.rstrip().endswith("6 quotes (0 unattributed), 2 names and titles, 6 references")


@needs_seed
def test_quotes_tied_to_the_ids_and_aliases_of_a_sources_file(tmp_path: Path) -> None:
    article = seed(tmp_path)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: globe\n    aliases: [The Boston Globe]\n"
        "  - id: fox\n    aliases: [Fox Latino, FNL]\n"
        "  - id: nyic\n    aliases: [New York Immigration Coalition]\n"
        "  - id: ice\n    aliases: [ICE]\n",
        encoding="utf-8",
    )
    doc = quotes_json(str(article), "--sources", str(sources))
    got = [(q["line"], q["column"], q["source"], q["cue"]) for q in doc["quotes"]]
    assert got == [
        (3, 102, None, None),
        (7, 1, "ice", "speaker: ICE"),
        (9, 158, "globe", "same speaker as line 9"),
        (9, 219, "globe", "named: The Boston Globe"),
        (9, 343, "globe", "named: The Boston Globe"),
        (11, 2, None, None),
        (11, 155, "fox", "speaker: Fox Latino"),
        (11, 476, "nyic", "named: The New York Immigration Coalition"),
    ]


HTML_ARTICLE = """<!doctype html>
<html><head><title>Council vote</title></head><body>
<nav><a href="/">Home</a></nav>
<article>
<h1>Council vote</h1>
<p>The mayor wrote on <a href="https://example.org/mayor">her blog</a>:</p>
<blockquote>We will keep every library open, and we will pay for it.</blockquote>
<p>The Ledger reported that the council &ldquo;<a href="https://ledger.example.com/story">voted seven to two for the budget after a long night</a>&rdquo; on Tuesday.</p>
<p>The budget now goes to the mayor, who has ten days to sign it or send it back.</p>
</article></body></html>
"""


def test_quotes_of_an_article_url(server: RouteServer) -> None:
    url = server.add("/article-cli/council.html", HTML_ARTICLE)
    doc = quotes_json(url, "--allow-private")
    assert (doc["article"], doc["title"], doc["references"]) == (url, "Council vote", [])
    got = [(q["kind"], q["text"], q["source"], q["cue"]) for q in doc["quotes"]]
    assert got == [
        (
            "block",
            "We will keep every library open, and we will pay for it.",
            "https://example.org/mayor",
            "link: https://example.org/mayor",
        ),
        (
            "quote",
            "voted seven to two for the budget after a long night",
            "https://ledger.example.com/story",
            "link: https://ledger.example.com/story",
        ),
    ]
    # Positions are in the HTML as served.
    assert [(q["line"], q["column"]) for q in doc["quotes"]] == [(7, 13), (8, 91)]
    for q in doc["quotes"]:
        assert at(HTML_ARTICLE, q["line"], q["column"]).startswith(q["text"])
    assert [(x["url"], x["line"]) for x in doc["links"]] == [
        ("https://example.org/mayor", 6),
        ("https://ledger.example.com/story", 8),
    ]


def test_an_article_url_is_refused_on_a_private_address(server: RouteServer) -> None:
    url = server.add("/article-cli/private.html", HTML_ARTICLE)
    code, out, err = run("quotes", url)
    assert_one_error_line(
        code,
        out,
        err,
        f"sourcecheck: {url}: cannot read the article: error: refused: 127.0.0.1 resolves "
        "to non-public address 127.0.0.1 (allow with --allow-private)",
    )
    gone = server.add("/article-cli/gone.html", "<h1>Not here</h1>", status=404)
    code, out, err = run("quotes", gone, "--allow-private")
    assert code == 2 and out == "" and "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith(f"sourcecheck: {gone}: cannot read the article: dead: ")


@pytest.mark.parametrize("command", ["quotes", "init"])
def test_an_unreadable_article_file(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.md"
    out_file = tmp_path / "drafted.yaml"
    args = ["-o", str(out_file)] if command == "init" else []
    code, out, err = run(command, str(missing), *args)
    assert_one_error_line(code, out, err, f"sourcecheck: {missing}: no such file")

    latin = tmp_path / "latin.md"
    latin.write_bytes("# Vote\n\nShe said «tout va très bien» today.\n".encode("latin-1"))
    code, out, err = run(command, str(latin), *args)
    assert_one_error_line(code, out, err, f"sourcecheck: {latin}:3: the article is not UTF-8 text")
    assert not out_file.exists()


# ----------------------------------------------------------------------------- init


@needs_seed
def test_init_drafts_a_sources_file(tmp_path: Path) -> None:
    article = seed(tmp_path)
    (tmp_path / "tmp").mkdir()
    drafted = tmp_path / "tmp" / "sources.yaml"
    code, out, err = run("init", str(article), "-o", str(drafted))
    assert (code, out) == (0, "")
    assert err == (
        f"wrote {drafted}: 6 quotes, 0 not tied to a source; check every line marked 'guess'\n"
    )
    text = drafted.read_text(encoding="utf-8")
    assert 'article: "../article.txt"\n' in text
    assert text.count("; guess: tied by ") == 6
    assert "# line 9:158; guess: tied by same speaker as line 9\n" in text
    assert '        speaker: "Thomas Hodgson"  # guess\n' in text
    assert '#   line 3:102: "Secure Communities"\n#   line 11:2: "S-Comm"\n' in text

    loaded = load_sources(drafted)
    assert loaded.article == str(drafted.parent / "../article.txt")
    assert Path(loaded.article).resolve() == article.resolve()
    assert [s.id for s in loaded.sources] == [
        "fox-news-latino",
        "new-york-immigration-coalition",
        "northern-manhattan-coalition-for-immigrant-rights",
        "the-boston-globe",
        "usice-overview",
        "usice-secure-communities",
    ]
    found = quotes_json(str(article))
    for n, (source, ref) in enumerate(zip(loaded.sources, found["references"], strict=True), 1):
        assert (source.publisher, source.title, source.url) == (
            ref["publisher"],
            ref["title"],
            None,
        )
        tied = [q["text"] for q in found["quotes"] if q["source"] == f"ref:{n}"]
        assert [q.text for q in source.quotes] == tied
    # Read again with the draft as its sources, the article ties each quote to the same source.
    again = quotes_json(str(article), "--sources", str(drafted))
    by_id = {f"ref:{n}": s.id for n, s in enumerate(loaded.sources, 1)}
    assert [q["source"] for q in again["quotes"]] == [
        by_id.get(q["source"]) for q in found["quotes"]
    ]


@needs_seed
def test_init_keeps_an_existing_file_unless_forced(tmp_path: Path) -> None:
    article = seed(tmp_path)
    drafted = tmp_path / "sources.yaml"
    assert run("init", str(article), "-o", str(drafted))[0] == 0
    draft = drafted.read_text(encoding="utf-8")
    assert 'article: "article.txt"\n' in draft
    drafted.write_text("# mine\n", encoding="utf-8")

    code, out, err = run("init", str(article), "-o", str(drafted))
    assert_one_error_line(
        code, out, err, f"sourcecheck: {drafted}: already exists (use --force to overwrite it)"
    )
    assert drafted.read_text(encoding="utf-8") == "# mine\n"

    assert run("init", str(article), "-o", str(drafted), "--force")[0] == 0
    assert drafted.read_text(encoding="utf-8") == draft

    code, out, err = run("init", str(article), "-o", "-")
    assert (code, err) == (0, "")
    assert out.startswith(f"# Drafted by `sourcecheck init` from {article}.\n")
    assert out.replace(str(article), "article.txt") == draft
    assert drafted.read_text(encoding="utf-8") == draft


@needs_seed
def test_init_into_a_missing_directory(tmp_path: Path) -> None:
    article = seed(tmp_path)
    target = tmp_path / "nope" / "sources.yaml"
    code, out, err = run("init", str(article), "-o", str(target))
    assert_one_error_line(
        code, out, err, f"sourcecheck: {target}: cannot write: No such file or directory"
    )


# ----------------------------------------------------------------------------- verify

LEDGER_PAGE = """<html><head><title>Council passes budget</title></head><body><article>
<h1>Council passes budget</h1>
<p>The council voted seven to two for the budget after a long night of debate.</p>
<p>"We will not raise taxes this year," the mayor said after the vote.</p>
</article></body></html>"""

COURIER_PAGE = """<html><head><title>Library hours cut</title></head><body><article>
<h1>Library hours cut</h1>
<p>The librarian said the library will close on Sundays from March, to save money.</p>
</article></body></html>"""

UNTIED = "this is the worst budget this town has seen in twenty years"


def article_md(ledger: str, courier: str | None, untied: bool) -> str:
    """An article quoting the Ledger (twice), maybe the Courier, and maybe a resident."""
    paragraphs = [
        "# Council vote",
        f'The council "[voted seven to two for the budget]({ledger})" after a long night, '
        "the Ledger reported.",
    ]
    if courier:
        paragraphs.append(
            f'According to the [Courier]({courier}), the librarian said "the library will '
            'close on Mondays from March".'
        )
    if untied:
        paragraphs.append(f'A resident shouted "{UNTIED}" at the meeting.')
    paragraphs += [
        f'The mayor wrote "we will not raise taxes this year" on [the Ledger\'s site]({ledger}).',
        "The budget now goes to the mayor, who has ten days to sign it or send it back.",
    ]
    return "\n\n".join(paragraphs) + "\n"


def newsroom(
    tmp_path: Path,
    server: RouteServer,
    name: str,
    *,
    courier: bool = True,
    untied: bool = True,
    article_key: str = "article.md",
) -> str:
    """Pages on the server, article.md and sources.yaml in tmp_path (the working directory).

    The Ledger's source lists one quote of the article explicitly. Returns the Ledger's URL.
    """
    ledger_url = server.add(f"/article-cli/{name}/ledger", LEDGER_PAGE)
    courier_url = server.add(f"/article-cli/{name}/courier", COURIER_PAGE)
    text = article_md(ledger_url, courier_url if courier else None, untied)
    (tmp_path / "article.md").write_text(text, encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        f"article: {article_key}\n"
        "sources:\n"
        f"  - id: ledger\n    url: {ledger_url}\n"
        '    quotes:\n      - "We will not raise taxes this year"\n'
        + (f"  - id: courier\n    url: {courier_url}\n" if courier else ""),
        encoding="utf-8",
    )
    return ledger_url


def verify(*extra: str) -> tuple[int, str, str]:
    return run("verify", "sources.yaml", "--allow-private", "--no-archive", *extra)


FIELDS = ("source", "text", "line", "article_line", "article_column", "cue", "verdict")


def picked(quotes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(q[f] for f in FIELDS) for q in quotes]


def test_verify_checks_the_quotes_of_the_article(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ledger = newsroom(tmp_path, server, "full")
    courier = ledger.removesuffix("ledger") + "courier"
    code, out, err = verify("--format", "json", "--report", "report.md")
    assert (code, err) == (1, "")
    doc = json.loads(out)
    assert doc["article"] == "article.md"
    assert doc["summary"] == {
        "verified": 2,
        "altered": 1,
        "not_found": 0,
        "unavailable": 0,
        "unattributed": 1,
        "quotes": 4,
        "sources": 2,
        "exit_code": 1,
        "fail_on": ["altered", "not_found", "unattributed", "unavailable"],
        "failures": [
            "courier: altered: the library will close on Mondays from March",
            "(no source): unattributed: this is the worst budget this town has seen in twenty years",
        ],
    }
    article = (tmp_path / "article.md").read_text(encoding="utf-8")
    taxes, voted, mondays, untied = (
        position(article, words)
        for words in ("we will not raise", "voted seven", "the library will", UNTIED)
    )
    assert (taxes, voted, untied) == ((9, 18), (3, 15), (7, 21))
    # The explicit quote comes first, once, with its sources.yaml line and the article's line.
    assert picked(doc["quotes"]) == [
        ("ledger", "We will not raise taxes this year", 6, *taxes, f"link: {ledger}", "verified"),
        (
            "ledger",
            "voted seven to two for the budget",
            None,
            *voted,
            f"link: {ledger}",
            "verified",
        ),
        (
            "courier",
            "the library will close on Mondays from March",
            None,
            *mondays,
            f"link: {courier}",
            "altered",
        ),
    ]
    altered = doc["quotes"][2]["match"]
    assert altered["text"] == "the library will close on Sundays from March,"
    assert [d for d in altered["diff"] if d["op"] != "equal"] == [
        {"op": "replace", "source": "Sundays", "quote": "Mondays"}
    ]
    assert picked(doc["unattributed"]) == [("", UNTIED, None, *untied, None, "unattributed")]
    assert doc["unattributed"][0]["match"] is None

    report = (tmp_path / "report.md").read_text(encoding="utf-8").splitlines()
    assert "| ❓ unattributed | 1 |" in report
    assert (
        "1. ✅ **verified**, live; article.md:9:18: “We will not raise taxes this year”" in report
    )
    assert (
        f"1. ⚠️ **altered**, live; article.md:5:{mondays[1]}: "
        "“the library will close on Mondays from March”"
    ) in report
    tail = report[report.index("## Quotes not tied to any source") :]
    assert tail == [
        "## Quotes not tied to any source",
        "",
        f"1. ❓ article.md:7:21: “{UNTIED}”",
        "",
        "</details>",
    ]
    attention = report[report.index("## Needs attention") : report.index("<details>")]
    assert f"2. ❓ **unattributed** (article.md:7:21): “{UNTIED}”" in attention
    assert any(line.startswith("1. ⚠️ **altered** in `courier`") for line in attention)

    code, out, _ = verify()
    assert code == 1
    for line, column in (taxes, voted, mondays, untied):
        assert f"(article.md:{line}:{column})" in out
    row = next(line for line in out.splitlines() if UNTIED in line)
    assert row.startswith("│ ? ") and "│ unattributed │ -" in row
    assert out.rstrip().endswith(
        "4 quotes: 2 verified, 1 altered, 0 not found, 0 unavailable, 1 unattributed; "
        "2 sources, 2 readable"
    )


@pytest.mark.parametrize(
    ("untied", "code", "counts"),
    [(False, 0, (3, 0)), (True, 1, (3, 1))],
    ids=["all-verified", "one-unattributed"],
)
def test_verify_exit_code_counts_unattributed_quotes(
    tmp_path: Path,
    server: RouteServer,
    monkeypatch: pytest.MonkeyPatch,
    untied: bool,
    code: int,
    counts: tuple[int, int],
) -> None:
    monkeypatch.chdir(tmp_path)
    newsroom(tmp_path, server, f"exit-{untied}", untied=untied)
    # The Courier page holds its quote as the article gives it.
    (tmp_path / "article.md").write_text(
        (tmp_path / "article.md").read_text(encoding="utf-8").replace("Mondays", "Sundays"),
        encoding="utf-8",
    )
    got, out, err = verify("--format", "json")
    assert (got, err) == (code, "")
    summary = json.loads(out)["summary"]
    assert (summary["verified"], summary["unattributed"]) == counts
    assert (summary["altered"], summary["not_found"], summary["unavailable"]) == (0, 0, 0)
    assert summary["exit_code"] == code


def test_verify_article_option_overrides_the_sources_file(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    newsroom(tmp_path, server, "override", article_key="other.md")
    (tmp_path / "other.md").write_text('# Other\n\nHe said "nothing here is quoted anywhere".\n')
    code, out, _ = verify("--format", "json", "--article", "article.md")
    assert code == 1
    doc = json.loads(out)
    assert doc["article"] == "article.md"
    assert [q["text"] for q in doc["unattributed"]] == [UNTIED]
    assert doc["summary"]["quotes"] == 4

    code, out, _ = verify("--format", "json")
    doc = json.loads(out)
    assert doc["article"] == "other.md"
    assert [q["text"] for q in doc["unattributed"]] == ["nothing here is quoted anywhere"]
    assert [q["text"] for q in doc["quotes"]] == ["We will not raise taxes this year"]

    code, out, err = verify("--article", "missing.md")
    assert_one_error_line(code, out, err, "sourcecheck: --article: no such file: missing.md")


def test_verify_with_an_article_key_that_names_no_file(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    newsroom(tmp_path, server, "missing", article_key="missing.md")
    code, out, err = verify()
    assert_one_error_line(
        code, out, err, "sourcecheck: sources.yaml:1: article: no such file: missing.md"
    )
    (tmp_path / "latin.md").write_bytes(b"# Vote\n\nShe said \xabbonjour\xbb.\n")
    (tmp_path / "sources.yaml").write_text("sources: []\narticle: latin.md\n")
    code, out, err = verify()
    assert_one_error_line(code, out, err, "sourcecheck: latin.md:3: the article is not UTF-8 text")


def test_verify_article_option_rescues_a_stale_article_key(
    tmp_path: Path, server: RouteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    newsroom(tmp_path, server, "stale", article_key="missing.md")
    code, out, err = verify("--format", "json", "--article", "article.md")
    assert (code, err) == (1, "")
    assert json.loads(out)["article"] == "article.md"


def test_an_article_key_with_another_scheme_is_named_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources.yaml").write_text("article: ftp://example.org/story.md\nsources: []\n")
    code, out, err = verify()
    assert_one_error_line(
        code,
        out,
        err,
        "sourcecheck: sources.yaml:1: article: 'ftp://example.org/story.md' is not an "
        "http:// or https:// URL",
    )
