"""sources.yaml -> Sources, validated, with ``file:line`` in every error.

ruamel.yaml keeps the line of every key and item, pydantic checks the shape and types; each error
pydantic finds is mapped back to its line, so one run lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from .errors import ConfigError, InputError, Problem
from .files import write_atomically
from .models import Quote, Source, Sources, fail_on_names


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


def _quote_item(value: Any) -> Any:
    # A quote is either a bare string or a mapping with `text` (and optional `speaker`).
    return {"text": value} if isinstance(value, str) else value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
# Dates arrive as strings (see _load_yaml) and are parsed here, so a bad date gets its line.
Date = Annotated[dt.date, Field(strict=False)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _QuoteModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: NonEmpty
    speaker: str | None = None


class _SourceModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: NonEmpty
    title: str | None = None
    publisher: str | None = None
    url: HttpUrl | None = None
    archive_url: HttpUrl | None = None
    as_of: Date | None = None
    aliases: list[NonEmpty] = []
    quotes: list[Annotated[_QuoteModel, BeforeValidator(_quote_item)]] = []


def _fail_on_list(value: Any) -> Any:
    # `fail_on: altered,not_found` or `fail_on: [altered, not_found]`
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


def _age(text: str) -> str:
    from .cache import parse_age

    parse_age(text)  # a ValueError says why
    return text


def _known_names(names: list[str]) -> list[str]:
    fail_on_names(names)  # a ValueError names what is unknown
    return names


# Options a sources.yaml may not set, and why.
_FLAGS_ONLY = {
    "allow_private": "open the private-address guard",
    "cache_dir": "choose where files are written",
}


class _SettingsModel(BaseModel):
    """``verify`` options a sources.yaml may set; command-line flags win. Not settable here:
    --allow-private and --cache-dir, so that a file someone else wrote cannot open the address
    guard or choose where files are written."""

    model_config = ConfigDict(extra="forbid", strict=True)
    fail_on: (
        Annotated[list[NonEmpty], BeforeValidator(_fail_on_list), AfterValidator(_known_names)]
        | None
    ) = None
    timeout: Annotated[float, Field(strict=False, ge=0.1)] | None = None
    max_concurrency: Annotated[int, Field(ge=1)] | None = None
    host_concurrency: Annotated[int, Field(ge=1)] | None = None
    wayback_url: HttpUrl | None = None
    no_wayback: bool | None = None
    no_archive: bool | None = None
    max_captures: Annotated[int, Field(ge=0)] | None = None
    always_archive: bool | None = None
    archive_rate: Annotated[float, Field(strict=False, ge=0)] | None = None
    check_names: bool | None = None
    max_age: Annotated[str, AfterValidator(_age)] | None = None


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    as_of: Date | None = None
    article: NonEmpty | None = None
    settings: _SettingsModel | None = None
    archives: list[HttpUrl] = []
    sources: list[_SourceModel]


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model whose keys are valid at a location in the file."""
    if len(loc) >= 3 and loc[0] == "sources" and loc[2] == "quotes":
        return _QuoteModel
    if len(loc) >= 1 and loc[0] == "sources":
        return _SourceModel
    if len(loc) >= 1 and loc[0] == "settings":
        return _SettingsModel
    return _FileModel


def _key_name(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of ``loc`` in the round-trip-loaded YAML ``data``."""
    node = data
    line: int | None = getattr(getattr(data, "lc", None), "line", None)
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                line = lc.item(part)[0] if lc is not None else line
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                line = lc.key(part)[0] if lc is not None else line
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return None if line is None else line + 1


def _shown(value: Any, limit: int = 60) -> str:
    # An error is one line: a megabyte string or a huge list is cut, not printed whole.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _problem(path: Path, data: Any, error: Any) -> Problem:
    loc: tuple[int | str, ...] = tuple(error["loc"])
    kind = error["type"]
    line = _line_of(data, loc)
    if kind == "extra_forbidden" and loc[:1] == ("settings",) and loc[-1] in _FLAGS_ONLY:
        flag = "--" + str(loc[-1]).replace("_", "-")
        why = f"only on the command line ({flag}): a file must not {_FLAGS_ONLY[str(loc[-1])]}"
        return Problem(path, line, _key_name(loc), why)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = _fields(_model_at(loc[:-1]))
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {', '.join(valid)})"
        return Problem(path, line, _key_name(loc), f"unknown key {key!r}{hint}")
    if kind == "missing":
        return Problem(path, line, _key_name(loc), "required key is missing")
    if kind in ("model_type", "model_attributes_type"):
        in_quotes = len(loc) >= 2 and loc[-2] == "quotes"
        want = "a quote: a string or a mapping with 'text'" if in_quotes else "a mapping"
        return Problem(
            path, line, _key_name(loc), f"expected {want} (got {_shown(error['input'])})"
        )
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif "input" in error and not isinstance(error["input"], dict | list):
        message = f"{message} (got {_shown(error['input'])})"
    return Problem(path, line, _key_name(loc), message[0].lower() + message[1:])


# A sources file is a few kilobytes; anything over this is refused unread rather than parsed for
# minutes: the round-trip loader, which keeps the line of every node, reads about 140 KB a
# second (2 MB of sources, some 11,000 of them, took 16 s; a 10 MB comment 14 s).
MAX_BYTES = 2 * 1024 * 1024
# Nesting a real sources file never approaches; ruamel's composer recurses once per level, so a
# file of 100,000 "[" would otherwise end in a RecursionError.
MAX_DEPTH = 50


class _Composer(Composer):
    """ruamel's composer, refusing aliases and deep nesting.

    An alias is shared, not copied, in what ruamel builds, but the validation and the error
    messages walk it as a tree: nine levels of nine aliases ("billion laughs") are 9**9 nodes,
    which took minutes and gigabytes before it was refused. A sources file has no use for them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warn_double_anchors = False  # an anchor is harmless once aliases are refused

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark
            )
        if self.depth >= MAX_DEPTH:
            raise ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )
        return super().compose_node(parent, index)


def _read_capped(path: Path) -> bytes:
    # Read one byte past the cap instead of trusting stat(): /dev/zero and pipes have no size.
    with path.open("rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path}: too large for a sources file (over {MAX_BYTES // 2**20} MB)")
    return raw


def _load_yaml(path: Path) -> Any:
    try:
        raw = _read_capped(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text (byte {exc.start + 1})") from None
    yaml = YAML(typ="rt")
    yaml.Composer = _Composer
    # ruamel builds dates itself and fails on 2012-13-01 with a bare ValueError and no line;
    # keep them as text for pydantic to parse and report with their line.
    yaml.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError([Problem(Path(where), None, "", f"invalid YAML: {what}")]) from None
    except YAMLError as exc:  # a character YAML does not allow, with a position, not a mark
        position = getattr(exc, "position", None)
        at = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError([Problem(path, at, "", f"invalid YAML: {what}")]) from None


def load_sources(path: Path) -> Sources:
    """Read and validate a sources.yaml; raise ConfigError listing every problem with its line."""
    data = _load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError([Problem(path, 1, "", "expected a mapping with a 'sources' list")])
    try:
        model = _FileModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(path, data, e) for e in exc.errors()]) from None

    problems: list[Problem] = []
    article = model.article
    article_line = _line_of(data, ("article",)) if article else None
    # The file is looked for when it is read (verify), so that --article can stand in for a
    # stale key; a URL of another scheme is refused here, as written.
    if article and re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", article):
        try:
            _http_url(article)
        except ValueError as exc:
            problems.append(Problem(path, article_line, "article", str(exc)))
    elif article:
        article = str(path.parent / article)
    seen: dict[str, int] = {}
    for i, src in enumerate(model.sources):
        if src.id in seen:
            line = _line_of(data, ("sources", i, "id"))
            msg = f"duplicate id {src.id!r} (first given as sources[{seen[src.id]}])"
            problems.append(Problem(path, line, f"sources[{i}].id", msg))
        seen.setdefault(src.id, i)
    if problems:
        raise ConfigError(problems)

    sources = tuple(
        Source(
            id=src.id,
            url=src.url,
            as_of=src.as_of or model.as_of,
            title=src.title,
            publisher=src.publisher,
            archive_url=src.archive_url,
            line=_line_of(data, ("sources", i)),
            aliases=tuple(src.aliases),
            quotes=tuple(
                Quote(q.text, q.speaker, _line_of(data, ("sources", i, "quotes", j)))
                for j, q in enumerate(src.quotes)
            ),
        )
        for i, src in enumerate(model.sources)
    )
    return Sources(
        path=path,
        sources=sources,
        as_of=model.as_of,
        archives=tuple(model.archives),
        article=article,
        article_line=article_line,
        settings=model.settings.model_dump(exclude_none=True) if model.settings else {},
        settings_lines={
            key: _line_of(data, ("settings", key)) or 0
            for key in (model.settings.model_fields_set if model.settings else ())
        },
    )


def _yaml_scalar(value: str) -> str:
    # A URL is a plain YAML scalar unless it holds ": " or " #", or starts with a sign of syntax.
    if ": " in value or " #" in value or value[:1] in "!&*[]{}|>'\"%@`,?-#":
        return json.dumps(value)
    return value


def write_archive_urls(path: Path, urls: dict[str, str]) -> list[str]:
    """Set ``archive_url`` of the sources named in ``urls`` (id -> URL) in the file at ``path``.

    The file is edited as text, one line per source, so that its comments, quoting and layout
    stay as they were: an existing ``archive_url`` line gets the new value, otherwise a line is
    added under the source's ``url`` (or ``id``) at the same indentation. Returns the ids that
    could not be written, with why (a source written in flow style, ``{id: a, url: b}``).
    """
    text = path.read_bytes().decode("utf-8-sig")  # not read_text: keep "\r\n" as it is
    data = _load_yaml(path)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, bool, str]] = []  # (line index, replace?, new line)
    problems: list[str] = []
    for node in data.get("sources") or []:
        sid = node.get("id") if isinstance(node, dict) else None
        if sid not in urls:
            continue
        if node.fa.flow_style():
            problems.append(f"{sid}: written in flow style; add archive_url: {urls[sid]} by hand")
            continue
        value = _yaml_scalar(urls[sid])
        if "archive_url" in node:
            at = node.lc.key("archive_url")[0]
            old = lines[at]
            m = re.match(
                r"^(\s*archive_url:\s*)(?:\"[^\"]*\"|'[^']*'|[^#\n]*?)(\s+#.*)?(\r?\n)?$", old
            )
            if m is None:
                problems.append(f"{sid}: archive_url is not on one line; set it by hand")
                continue
            edits.append((at, True, f"{m.group(1)}{value}{m.group(2) or ''}{m.group(3) or ''}"))
        else:
            anchor = "url" if "url" in node else "id"
            at, column = node.lc.key(anchor)
            newline = "\r\n" if lines[at].endswith("\r\n") else "\n"
            if not lines[at].endswith(("\n", "\r\n")):
                lines[at] += newline
            edits.append((at + 1, False, f"{' ' * column}archive_url: {value}{newline}"))
    for at, is_replacement, line in sorted(edits, reverse=True):
        if is_replacement:
            lines[at] = line
        else:
            lines.insert(at, line)
    write_atomically(path, "".join(lines))
    return problems
