"""An on-disk store for what never changes: archive lookups and the bytes of captures.

Only successes are stored: a failure is always tried again on the next run. Each entry is a
JSON file of metadata and, for a capture, a file of its bytes, both written through a temporary
file and a rename, so that an interrupted run never leaves half an entry. A cache that cannot be
written (read-only disk, full disk) only costs the next run its requests: it never fails a run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import write_atomically

DEFAULT_CACHE_DIR = ".sourcecheck-cache"


@dataclass(frozen=True)
class Cache:
    """A directory of entries by kind ("lookup", "capture") and key; ``None`` turns it off."""

    directory: Path | None

    def _path(self, kind: str, key: str) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.directory / kind / digest[:2] / digest

    def get(self, kind: str, key: str) -> tuple[dict[str, Any], bytes] | None:
        """The metadata and bytes stored for ``key``, or None."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            body = path.with_suffix(".body").read_bytes() if meta.get("has_body") else b""
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("key") != key:
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

    def info(self) -> tuple[int, int]:
        """How many entries the cache holds and their size in bytes."""
        if self.directory is None or not self.directory.is_dir():
            return 0, 0
        entries = size = 0
        for file in self.directory.rglob("*"):
            if file.is_file():
                entries += file.suffix == ".json"
                size += file.stat().st_size
        return entries, size
