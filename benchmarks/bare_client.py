"""The floor of a Python link check: GET every URL of a Markdown file and do nothing else.

    python benchmarks/bare_client.py links.md [--concurrency 128]

Standard library only: asyncio's streams, keep-alive connections reused per host, the status
line read, the headers skimmed for Content-Length and the body read to its end. No redirects,
no retries, no checks, no report: it is what any Python link checker on asyncio costs at least,
measured as a whole process (start-up included) as the other tools are. It handles only what
the benchmark's own server sends (HTTP/1.1, Content-Length) and prints ``{"ok": N}``, the
number of 200 answers, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from urllib.parse import urlsplit

Idle = dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def get(url: str, idle: Idle) -> int:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    pool = idle.setdefault((host, port), [])
    reader, writer = pool.pop() if pool else await asyncio.open_connection(host, port)
    target = parts.path or "/"
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    pool.append((reader, writer))
    return status


async def check(urls: list[str], concurrency: int) -> int:
    idle: Idle = {}
    turn = asyncio.Semaphore(concurrency)

    async def one(url: str) -> int:
        async with turn:
            return await get(url, idle)

    statuses = await asyncio.gather(*(one(u) for u in urls))
    for pool in idle.values():
        for _, writer in pool:
            writer.close()
    return sum(s == 200 for s in statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("markdown")
    parser.add_argument("--concurrency", type=int, default=128)
    args = parser.parse_args()
    with open(args.markdown, encoding="utf-8") as f:
        urls = re.findall(r"\]\((https?://[^)\s]+)\)", f.read())
    ok = asyncio.run(check(urls, args.concurrency))
    json.dump({"ok": ok}, sys.stdout)
    return 0 if ok == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
