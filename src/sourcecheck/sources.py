"""sources.yaml -> Sources, validated, with ``file:line`` in every error.

PyYAML (with libyaml, in C) reads the file as a stream of events, from which the data is built here
with the line of every key and item; pydantic checks the shape and types; each error pydantic finds
is mapped back to its line, so one run lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

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


def _line_of(data: _Loaded, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of ``loc`` in ``data``, or of the nearest enclosing key or item."""
    at = data.marks.get(())
    for n in range(1, len(loc) + 1):
        mark = data.marks.get(loc[:n])
        if mark is None:
            break
        at = mark
    return None if at is None else at[0] + 1


def _shown(value: Any, limit: int = 60) -> str:
    # An error is one line: a megabyte string or a huge list is cut, not printed whole.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _problem(path: Path, data: _Loaded, error: Any) -> Problem:
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


# A sources file is a few kilobytes; anything over this is refused unread. (libyaml reads some
# 5 MB a second; the loader of earlier versions, ruamel.yaml's round-trip one, 140 KB a second.)
MAX_BYTES = 2 * 1024 * 1024
# Nesting a real sources file never approaches; deeper is refused as it is read.
MAX_DEPTH = 50

Path_ = tuple[int | str, ...]
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # its scalar constructors keep no state
_SCALARS = _CONSTRUCTOR.yaml_constructors
_PLAIN_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class _Loaded:
    """A YAML document as plain data, with where each key and item starts."""

    data: Any = None
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # 0-based line, column
    flow: set[Path_] = field(default_factory=set)  # mappings and lists written [..] or {..}


def _refuse(problem: str, mark: Any) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=mark)


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    if tag == "tag:yaml.org,2002:timestamp":
        # Kept as written, for pydantic to parse: a bad date (2012-13-01) then gets its line.
        return event.value
    construct = _SCALARS.get(tag)
    if construct is None:
        raise _refuse(f"tag {tag} is not allowed", event.start_mark)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return construct(_CONSTRUCTOR, node)


def _build(text: str) -> _Loaded:
    """The document in ``text``, built from libyaml's events without recursion.

    Aliases are refused: an alias is shared in what a loader builds, but validation and error
    messages walk it as a tree, and nine levels of nine aliases ("billion laughs") are 9**9
    nodes. A sources file has no use for them. So are duplicate keys, tags of no plain type,
    keys that are not plain values, nesting over MAX_DEPTH and a second document."""
    out = _Loaded()
    # Each open mapping or list: (it, its path, the key read and not yet given a value).
    stack: list[tuple[Any, Path_, tuple[Any, Any] | None]] = []
    documents = 0

    def put(value: Any, event: Any) -> Path_:
        if not stack:
            out.data, out.marks[()] = value, (event.start_mark.line, event.start_mark.column)
            return ()
        parent, where, key = stack[-1]
        if isinstance(parent, list):
            here: Path_ = (*where, len(parent))
            parent.append(value)
            out.marks[here] = (event.start_mark.line, event.start_mark.column)
            return here
        if key is None:
            if isinstance(value, dict | list):
                raise _refuse(
                    "a key must be a plain value, not a mapping or a list", event.start_mark
                )
            if value in parent:
                raise _refuse(f'found duplicate key "{value}"', event.start_mark)
            stack[-1] = (parent, where, (value, event.start_mark))
            return where
        name, mark = key
        parent[name] = value
        here = (*where, name)
        out.marks[here] = (mark.line, mark.column)
        stack[-1] = (parent, where, None)
        return here

    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.ScalarEvent):
            put(_scalar(event), event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            if event.tag not in _PLAIN_TAGS:
                raise _refuse(f"tag {event.tag} is not allowed", event.start_mark)
            value: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            here = put(value, event)
            if event.flow_style:
                out.flow.add(here)
            stack.append((value, here, None))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
        elif isinstance(event, yaml.AliasEvent):
            raise _refuse(f"aliases (*{event.anchor}) are not allowed", event.start_mark)
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _refuse("expected a single document, found another", event.start_mark)
    return out


def _read_capped(path: Path) -> bytes:
    # Read one byte past the cap instead of trusting stat(): /dev/zero and pipes have no size.
    with path.open("rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path}: too large for a sources file (over {MAX_BYTES // 2**20} MB)")
    return raw


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


def _load_yaml(path: Path) -> _Loaded:
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
    try:
        return _build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            what += " (a tab: YAML is indented with spaces)"
        raise ConfigError([Problem(Path(where), None, "", f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:  # a character YAML does not allow, with a position, not a mark
        position = getattr(exc, "position", None)
        at = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError([Problem(path, at, "", f"invalid YAML: {what}")]) from None


def load_sources(path: Path) -> Sources:
    """Read and validate a sources.yaml; raise ConfigError listing every problem with its line."""
    data = _load_yaml(path)
    if not isinstance(data.data, dict):
        raise ConfigError([Problem(path, 1, "", "expected a mapping with a 'sources' list")])
    try:
        model = _FileModel.model_validate(data.data)
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
    loaded = _load_yaml(path)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, bool, str]] = []  # (line index, replace?, new line)
    problems: list[str] = []
    listed = loaded.data.get("sources") if isinstance(loaded.data, dict) else None
    for i, node in enumerate(listed if isinstance(listed, list) else []):
        sid = node.get("id") if isinstance(node, dict) else None
        if sid not in urls:
            continue
        if ("sources", i) in loaded.flow:
            problems.append(f"{sid}: written in flow style; add archive_url: {urls[sid]} by hand")
            continue
        value = _yaml_scalar(urls[sid])
        if "archive_url" in node:
            at = loaded.marks[("sources", i, "archive_url")][0]
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
            at, column = loaded.marks[("sources", i, anchor)]
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
