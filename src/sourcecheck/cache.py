"""An on-disk store of what a run fetched: live pages for a while, archive answers for good.

Three kinds of entry, each in a directory of its own:

- ``live``: the HTTP answers of live pages (every hop of a redirect, and the answer of each
  host to a made-up path), kept for ``--max-age`` and then revalidated;
- ``lookup``: the captures an archive listed for a URL near a date;
- ``capture``: the bytes of a capture. Captures never change: lookups and captures are kept
  for good;
- ``result``: the verdicts on a source's quotes, all verified on its live page, with the time
  each hop of that page was stored: reused, with no page read or quote matched again, while
  those ``live`` entries are the ones a run would use (see ``verify``).

Only successes are stored: a failure is always tried again on the next run. Each entry is a
JSON file of metadata and, when there is one, a file of its bytes, both written through a
temporary file and a rename, so that an interrupted run never leaves half an entry. A cache that
cannot be written (read-only disk, full disk) only costs the next run its requests: it never
fails a run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import write_atomically

DEFAULT_CACHE_DIR = ".sourcecheck-cache"
DEFAULT_MAX_AGE = 24 * 3600.0  # seconds a live page is used without asking the site again

# Every kind of entry and what ``cache info`` calls it.
KINDS = {
    "live": "live pages",
    "lookup": "archive lookups",
    "capture": "captures",
    "result": "results",
}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_age(text: str) -> float:
    """Seconds from an age as ``--max-age`` takes it: ``1d``, ``12h``, ``30m``, ``90s`` or a
    number of seconds; ValueError if it is none of these."""
    m = _AGE.fullmatch(text.strip().lower())
    if m is None:
        raise ValueError(f"{text!r} is not an age (e.g. 1d, 12h, 30m or 3600)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


@dataclass(frozen=True)
class Cache:
    """A directory of entries by kind and key; ``directory=None`` turns it off.

    ``read=False`` stores entries without using them: a run that must ask again (one that
    records its evidence) still keeps the cache warm for the next.
    """

    directory: Path | None
    read: bool = True

    def _path(self, kind: str, key: str) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.directory / kind / digest[:2] / digest

    def meta(self, kind: str, key: str) -> dict[str, Any] | None:
        """The metadata stored for ``key`` (its bytes left unread), or None."""
        path = self._path(kind, key)
        if path is None or not self.read:
            return None
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) and meta.get("key") == key else None

    def get(self, kind: str, key: str) -> tuple[dict[str, Any], bytes] | None:
        """The metadata and bytes stored for ``key``, or None."""
        meta = self.meta(kind, key)
        path = self._path(kind, key)
        if meta is None or path is None:
            return None
        try:
            body = path.with_suffix(".body").read_bytes() if meta.get("has_body") else b""
        except OSError:
            return None
        return meta, body

    def put(self, kind: str, key: str, meta: dict[str, Any], body: bytes | None = None) -> None:
        """Store ``meta`` (and ``body``) for ``key``; a failure to write is ignored."""
        path = self._path(kind, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if body is not None:
                write_atomically(path.with_suffix(".body"), body)
            record = {**meta, "key": key, "has_body": body is not None}
            write_atomically(path.with_suffix(".json"), json.dumps(record))
        except OSError:
            pass

    def info(self, kind: str | None = None) -> tuple[int, int]:
        """How many entries the cache holds (of one kind, or of all) and their size in bytes."""
        if self.directory is None:
            return 0, 0
        top = self.directory / kind if kind else self.directory
        if not top.is_dir():
            return 0, 0
        entries = size = 0
        for file in top.rglob("*"):
            if file.is_file():
                entries += file.suffix == ".json"
                size += file.stat().st_size
        return entries, size

    def clear(self, kind: str | None = None) -> int:
        """Remove every entry of one kind, or of every kind; return how many were removed.

        Only the kinds' own directories are removed, never the cache directory itself: it may
        be one the user also keeps other files in. Kept results go with the live pages they
        rest on (they are not counted among them).
        """
        if self.directory is None:
            return 0
        removed = 0
        for name in [kind] if kind else list(KINDS):
            removed += self.info(name)[0]
            shutil.rmtree(self.directory / name, ignore_errors=True)
        if kind == "live":
            shutil.rmtree(self.directory / "result", ignore_errors=True)
        return removed
