"""Article -> a draft sources.yaml: one source per reference or link, its quotes under it.

Everything inferred is marked in a comment, so that the user knows what to check: the cue that
tied each quote, the reference entry each source comes from, a missing URL or date.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlsplit

from .attribution import url_key
from .models import Article, ArticleQuote


def _scalar(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    out = json.dumps(text, ensure_ascii=False)
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\x85")


def _comment(text: str) -> str:
    return " ".join(text.split())


def slug(text: str, limit: int = 60) -> str:
    """A lower-case id made of ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for w in words:
        if out and len(out) + 1 + len(w) > limit:
            break
        out = f"{out}-{w}" if out else w[:limit]
    return out or "source"


def _ids(article: Article, keys: list[str]) -> dict[str, str]:
    """Readable ids for the attribution ids (``ref:N`` or a URL)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    refs = {f"ref:{n}": r for n, r in enumerate(article.references, 1)}
    for key in keys:
        if key in refs:
            r = refs[key]
            base = slug(r.publisher or r.title or r.text)
            if any((x.publisher or x.title) == (r.publisher or r.title) for x in refs.values()
                   if x is not r):  # fmt: skip
                # Two pages of one publisher: its initials and each page's title.
                words = re.findall(r"[^\W\d_]+", r.publisher or "")
                initials = "".join(w[0] for w in words if w[0].isupper()) if len(words) > 2 else ""
                base = slug(f"{initials or r.publisher or ''} {r.title or ''}")
        else:
            parts = urlsplit(key)
            last = [p for p in parts.path.split("/") if p]
            base = slug(f"{(parts.hostname or '').removeprefix('www.')} {last[-1] if last else ''}")
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        out[key] = name
    return out


def _quote_lines(q: ArticleQuote) -> list[str]:
    how = f"tied by {q.cue}" if q.cue else "tied"
    lines = [f"      # line {q.line}:{q.column}; guess: {_comment(how)}"]
    lines.append(f"      - text: {_scalar(q.text)}")
    if q.speaker:
        lines.append(f"        speaker: {_scalar(q.speaker)}  # guess")
    return lines


def draft_sources(article: Article, location: str) -> str:
    """A sources.yaml for ``article`` (found at ``location``), with every guess commented."""
    refs = {f"ref:{n}": r for n, r in enumerate(article.references, 1)}
    keys = list(refs)
    keys += [q.source_id for q in article.quotes if q.source_id and q.source_id not in keys]
    seen_urls = {url_key(r.url) for r in article.references if r.url}
    for each in article.links:
        if each.url.startswith(("http://", "https://")) and url_key(each.url) not in seen_urls:
            seen_urls.add(url_key(each.url))
            if each.url not in keys:
                keys.append(each.url)
    ids = _ids(article, keys)
    out = [
        f"# Drafted by `sourcecheck init` from {_comment(location)}.",
        "# Lines marked 'guess' were inferred from the article: check them before relying on it.",
        f"article: {_scalar(location)}",
    ]
    if article.published:
        out.append(f"as_of: {article.published.isoformat()}  # guess: the article's date")
    else:
        out.append("# as_of: YYYY-MM-DD  # when the article cited its sources (it gives no date)")
    out += ["", "sources:" if keys else "sources: []"]
    for key in keys:
        ref = refs.get(key)
        out.append(f"  - id: {ids[key]}")
        if ref is not None:
            out.append(f"    # from the reference list, line {ref.line}: {_comment(ref.text)}")
            if ref.publisher:
                out.append(f"    publisher: {_scalar(ref.publisher)}")
            if ref.title:
                out.append(f"    title: {_scalar(ref.title)}")
            url = ref.url
        else:
            link = next((x for x in article.links if x.url == key), None)
            where = f", line {link.line}" if link else ""
            out.append(f"    # linked from the article{where}")
            url = key
        if url:
            out.append(f"    url: {_scalar(url)}")
        else:
            out.append("    # url: the article gives none: add it")
        quotes = [q for q in article.quotes if q.checked and q.source_id == key]
        if quotes:
            out.append("    quotes:")
            for q in quotes:
                out += _quote_lines(q)
    loose = [q for q in article.quotes if q.checked and q.source_id is None]
    if loose:
        out += ["", "# Quotes not tied to any source: move each under its source."]
        out += [f"#   line {q.line}:{q.column}: {_comment(_scalar(q.text))}" for q in loose]
    names = [q for q in article.quotes if not q.checked]
    if names:
        out += ["", "# Names and titles quoted in the article (listed, not checked):"]
        out += [f"#   line {q.line}:{q.column}: {_comment(_scalar(q.text))}" for q in names]
    return "\n".join(out) + "\n"
