"""Secrets out of what is shown: the password of a URL, its token-like parameters, header values.

A URL in sources.yaml or an article may carry credentials (``https://user:pass@host/``) or a
signed query (``?token=...``, ``?X-Amz-Signature=...``). The fetch uses the URL as written; every
report, error line and log shows it with those values replaced by ``REDACTED``, so a report
pasted into an issue or a CI log gives nothing away. The WARC written by ``--warc`` is not
redacted: it is evidence of the exchange, and keeps each request exactly as it was sent.

Redaction works on the text, not on a parsed and rebuilt URL, so that the rest of a URL is shown
byte for byte as written, and so that URLs inside free text (a reason, a JSON or XML document)
are found and redacted where they stand.
"""

from __future__ import annotations

import re

REDACTED = "REDACTED"

# Query (and fragment) parameters whose value is a secret, compared case-insensitively. The
# fragment counts: OAuth's implicit flow puts access_token there.
SECRET_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "key",
        "sig",
        "signature",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "auth",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
    }
)

# A value ends where a URL's parameter ends, and also at what ends a URL in surrounding text or
# markup (quotes, angle brackets, a JSON escape's backslash), so that a document stays
# well-formed: nothing but a value's own characters is ever replaced.
_STOP = r"\s\"'<>\\`"
# Punctuation that ends a sentence after a URL stays: "?key=abc." keeps its full stop.
_PARAM = re.compile(
    rf"(?P<lead>[?&;#])(?P<name>[^=&#;{_STOP}]+)=(?P<value>[^&#;{_STOP}]*?)"
    rf"(?=[.,:!?)\]]*(?:[&#;{_STOP}]|$))"
)
_USERINFO = re.compile(
    rf"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^/?#@:{_STOP}]*)"
    rf"(?::(?P<password>[^/?#@{_STOP}]*))?@"
)
_URL = re.compile(rf"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^{_STOP}]+")
# "Authorization: Bearer x", "Cookie=a=b": the value to the end of the line.
_HEADER = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|\b(?:set-)?cookie|\bx-api-key)(?P<sep>\s*[:=]\s*)"
    r"(?P<value>[^\r\n\"'<>\\]+)",
    re.IGNORECASE,
)


def _param(m: re.Match[str]) -> str:
    if m["name"].lower() not in SECRET_PARAMS or not m["value"]:
        return m[0]
    return f"{m['lead']}{m['name']}={REDACTED}"


def _userinfo(m: re.Match[str]) -> str:
    if m["password"] is not None:
        return f"{m['scheme']}{m['user']}:{REDACTED}@"
    # A user name alone is often a token itself (https://<token>@github.com/...).
    return f"{m['scheme']}{REDACTED}@" if m["user"] else m[0]


def redact_url(url: str) -> str:
    """``url`` with its password and the values of its secret parameters replaced by
    ``REDACTED``; the rest as written. Never raises, whatever the text."""
    if "@" not in url and "=" not in url:  # no user name, password or parameter: nothing
        return url
    return _PARAM.sub(_param, _USERINFO.sub(_userinfo, url, count=1))


def redact_text(text: str) -> str:
    """Free text with every URL in it redacted (``redact_url``), and the values of the
    Authorization, Cookie and similar headers it quotes."""
    if "://" in text:
        # Line by line, and only the lines with a URL (no URL spans a line): a report is
        # megabytes of text with a URL on a few of its lines.
        lines = text.split("\n")
        url = lambda m: redact_url(m[0])  # noqa: E731
        text = "\n".join(_URL.sub(url, line) if "://" in line else line for line in lines)
    if any(k in text.lower() for k in ("authorization", "cookie", "x-api-key")):
        text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers as they may be shown: Authorization, Cookie and the like with their value
    replaced."""
    secret = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
    return {k: REDACTED if k.lower() in secret else v for k, v in headers.items()}
