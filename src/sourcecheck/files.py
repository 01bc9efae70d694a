"""Reading and writing files: UTF-8 text read with the line of a bad byte, files written so
that a reader never sees half of one, and what format an article file is."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


def read_utf8(path: Path, what: str | None = None) -> str:
    """A UTF-8 text file's text (a BOM dropped); InputError, with the line, if it cannot be read
    or is not UTF-8. ``what`` names the file in the message ("the article")."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        named = f" {what}" if what else ""
        raise InputError(f"{path}: cannot read{named}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        named = f"{what} is not" if what else "not"
        raise InputError(f"{path}:{line}: {named} UTF-8 text") from None


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file beside it and a
    rename: an interrupted write leaves the old file, or none, never half a new one."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def article_format(name: str, content_type: str | None = None) -> str:
    """ "html", "markdown" or "text", from a content type or else a file name's suffix."""
    if content_type and "html" in content_type.lower():
        return "html"
    if content_type and "markdown" in content_type.lower():
        return "markdown"
    suffix = Path(name.split("?")[0]).suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown", ".mdown", ".mkd"):
        return "markdown"
    if content_type and "text/plain" in content_type.lower():
        return "text"
    return "text"
