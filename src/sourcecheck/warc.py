"""A Recording <-> a WARC file: the evidence a run's verdicts rest on, and a run again from it.

``verify --warc FILE`` writes every HTTP exchange of the run: live pages, the archive's lookups
and captures, each redirect as the 3xx answer it was. ``verify --replay FILE`` reads them back
and answers the run's requests with them. The file is a WARC (ISO 28500, version 1.1), each
record gzipped on its own as web archives keep them, so that any WARC tool reads it (warcio,
pywb, replayweb.page):

- a ``warcinfo`` record first, naming sourcecheck and its version, dated when the run started;
- for each exchange, a ``response`` record (status line, headers and body as received, the body
  still in its Content-Encoding) and a ``request`` record (request line and headers as sent)
  that names it in WARC-Concurrent-To; both with WARC-Target-URI and WARC-Date (when the answer
  was received: for a page from the cache, when it was stored). The request of a soft-404 probe
  carries ``WARC-Sourcecheck-Probe: true``: a probe asks for a path made up anew on each run, so
  a replay answers it with the host's recorded probe, not by its URL.
"""

from __future__ import annotations

import datetime as dt
import http
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]
from warcio.exceptions import ArchiveLoadFailed  # type: ignore[import-untyped]
from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

from . import __version__
from .errors import InputError, SourcecheckError
from .files import write_atomically
from .models import Exchange, Recording

PROBE_HEADER = "WARC-Sourcecheck-Probe"


def _date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _records(writer: Any, e: Exchange) -> list[Any]:
    try:
        reason = http.HTTPStatus(e.http_status).phrase
    except ValueError:
        reason = "Unknown"
    status = StatusAndHeaders(f"{e.http_status} {reason}", list(e.headers), protocol="HTTP/1.1")
    response = writer.create_warc_record(
        e.url,
        "response",
        payload=io.BytesIO(e.body),
        length=len(e.body),
        http_headers=status,
        warc_headers_dict={"WARC-Date": _date(e.date)},
    )
    parts = urlsplit(e.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = StatusAndHeaders(
        f"{e.method} {target} HTTP/1.1", list(e.request_headers), is_http_request=True
    )
    warc_headers = {
        "WARC-Date": _date(e.date),
        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
    }
    if e.probe:
        warc_headers[PROBE_HEADER] = "true"
    request = writer.create_warc_record(
        e.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=sent,
        warc_headers_dict=warc_headers,
    )
    return [response, request]


def write_warc(path: Path, recording: Recording) -> None:
    """Write ``recording`` to ``path`` as a WARC, through a temporary file and a rename;
    SourcecheckError if it cannot be written."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
    info = writer.create_warcinfo_record(
        path.name,
        {
            "software": f"sourcecheck/{__version__}",
            "format": "WARC File Format 1.1",
            "description": "The HTTP exchanges a sourcecheck run's verdicts rest on",
        },
    )
    info.rec_headers.replace_header("WARC-Date", _date(recording.started))
    writer.write_record(info)
    for exchange in recording.exchanges:
        for record in _records(writer, exchange):
            writer.write_record(record)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as exc:
        raise SourcecheckError(f"{path}: cannot write the WARC: {exc.strerror or exc}") from None


def _when(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC) if value else None
    except ValueError:
        return None


def read_warc(path: Path) -> Recording:
    """The exchanges of a WARC, from its response records and the request records paired with
    them (a response without one was asked with GET); InputError if it cannot be read."""
    started: dt.datetime | None = None
    answers: dict[str, tuple[str, int, tuple[tuple[str, str], ...], bytes, dt.datetime]] = {}
    asked: dict[str, tuple[str, tuple[tuple[str, str], ...], bool]] = {}
    try:
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                headers = record.rec_headers
                when = _when(headers.get_header("WARC-Date")) or dt.datetime.now(dt.UTC)
                if record.rec_type == "warcinfo" and started is None:
                    started = when
                elif record.rec_type == "response" and record.http_headers is not None:
                    answers[headers.get_header("WARC-Record-ID")] = (
                        headers.get_header("WARC-Target-URI"),
                        int(record.http_headers.get_statuscode()),
                        tuple(record.http_headers.headers),
                        record.raw_stream.read(),  # as received: still in its Content-Encoding
                        when,
                    )
                elif record.rec_type == "request" and record.http_headers is not None:
                    asked[headers.get_header("WARC-Concurrent-To") or ""] = (
                        record.http_headers.protocol,  # warcio's name for the method
                        tuple(record.http_headers.headers),
                        headers.get_header(PROBE_HEADER) == "true",
                    )
    except (OSError, ArchiveLoadFailed, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"{path}: cannot read the WARC: {reason}") from None
    exchanges = []
    for record_id, (url, status, got, body, when) in answers.items():
        method, sent, probe = asked.get(record_id, ("GET", (), False))
        exchanges.append(Exchange(method, url, sent, status, got, body, when, probe))
    if started is None and not exchanges:
        raise InputError(f"{path}: cannot read the WARC: it holds no records")
    return Recording(started or min(e.date for e in exchanges), tuple(exchanges))
