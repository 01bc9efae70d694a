"""The command line: parse -> verify -> render -> exit code. Thin on purpose.

Heavy modules (httpx, pydantic, selectolax, rich) are imported inside the commands, so that
``sourcecheck --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlsplit

import typer

from . import __version__
from .models import ExitStatus
from .report import Format, ListFormat

if TYPE_CHECKING:
    from .models import Article, History, Report, SourceResult, Sources
    from .verify import Options

T = TypeVar("T")

app = typer.Typer(
    name="sourcecheck",
    help="Check that every quote in an article still appears, word for word, in its source.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sourcecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Check that every quote in an article still appears, word for word, in its source."""


def _fail(lines: list[str]) -> typer.Exit:
    from .redact import redact_text

    for line in lines:
        # A line may quote a URL from sources.yaml or an article: its secrets are not shown.
        typer.echo(f"sourcecheck: {redact_text(line)}", err=True)
    return typer.Exit(ExitStatus.ERROR)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"{value!r} is not an http:// or https:// URL")
    return value.rstrip("/")


def _http_urls(values: list[str] | None) -> list[str]:
    return [_http_url(v) for v in values or []]


def _age(value: str) -> str:
    from .cache import parse_age

    try:
        parse_age(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _finish(work: Coroutine[Any, Any, T], interrupted: Callable[[], T] | None = None) -> T:
    """Run a command's work; Ctrl-C ends it with one line and exit code 130, no traceback, or,
    given ``interrupted``, returns what that makes of the work done so far (a partial report)."""
    import asyncio

    from .errors import SourcecheckError

    try:
        return asyncio.run(work)
    except SourcecheckError as exc:  # e.g. an article that cannot be read
        raise _fail(exc.lines()) from None
    except KeyboardInterrupt:
        if interrupted is not None:
            typer.echo("sourcecheck: interrupted: writing what is done", err=True)
            return interrupted()
        typer.echo("sourcecheck: interrupted", err=True)
        raise typer.Exit(ExitStatus.INTERRUPTED) from None


def _tell_wait(what: str, seconds: float) -> None:
    """Say on stderr that the run waits, when the wait is long enough to notice."""
    if seconds >= 5:
        typer.echo(f"sourcecheck: {what}: waiting {seconds:.0f} s", err=True)


def _run(lists: list[Sources], options: Options) -> tuple[Report, ...]:
    """Run the check of every sources file, with a progress bar on stderr (over the sources of
    them all) when stderr is a terminal.

    A wait for an archive's rate limit shows in the progress bar, or, without one, as a line on
    stderr when it is long enough to notice.
    """

    import datetime as dt
    import time

    from .models import Report
    from .verify import verify_many

    started = dt.datetime.now(dt.UTC)
    # Kept file by file: ids repeat across files.
    done: list[list[SourceResult]] = [[] for _ in lists]

    def partial() -> tuple[Report, ...]:
        # Ctrl-C: the sources done so far, in sources.yaml order, marked as partial (exit 130).
        finished = dt.datetime.now(dt.UTC)
        reports = []
        for sources, results in zip(lists, done, strict=True):
            order = {s.id: i for i, s in enumerate(sources.sources)}
            ordered = tuple(sorted(results, key=lambda r: order.get(r.source.id, len(order))))
            report = Report(
                sources.path,
                ordered,
                started,
                finished,
                sources.as_of,
                article=sources.article,
                partial=True,
                planned=len(sources.sources),
            )
            reports.append(report)
        return tuple(reports)

    def keep(n: int, result: SourceResult) -> None:
        done[n].append(result)

    if not sys.stderr.isatty():
        work = verify_many(lists, options, on_result=keep, on_wait=_tell_wait)
        return _finish(work, partial)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("checking sources"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
        # Drawn at each update, by this thread: a run with one thread forks its workers.
        auto_refresh=False,
    ) as progress:
        task = progress.add_task("", total=sum(len(s.sources) for s in lists))

        drawn = [0.0]  # when the bar was last drawn: ten times a second at most

        def advance(n: int, result: SourceResult) -> None:
            keep(n, result)
            now = time.monotonic()
            due = now - drawn[0] >= 0.1
            if due:
                drawn[0] = now
            progress.update(task, advance=1, description=result.source.id, refresh=due)

        def wait(what: str, seconds: float) -> None:
            progress.update(task, description=f"{what}: waiting {seconds:.0f} s", refresh=True)

        return _finish(verify_many(lists, options, on_result=advance, on_wait=wait), partial)


# Options shared by the commands that fetch.
SourcesArg = Annotated[Path, typer.Argument(metavar="SOURCES", help="The sources.yaml to check.")]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help="Output: table, json, markdown, junit (XML) or github (annotations)."
    ),
]
ListFormatOpt = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output on stdout: table, json or markdown.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the --format output to this file, not stdout."),
]
DEFAULT_FAIL_ON_TEXT = "altered,not_found,unavailable,unattributed"
FailOnOpt = Annotated[
    str,
    typer.Option(
        "--fail-on",
        metavar="LIST",
        help="Verdicts and source statuses that make the exit code 1, comma-separated (the "
        "rest are warnings): any of verified, altered, not_found, unavailable, unattributed, "
        "ok, moved, soft_404, dead, blocked, error, no_url; 'none' for never.",
    ),
]


def _fail_on(text: str) -> frozenset[str]:
    """The --fail-on list as a set of verdict and status names; a bad name is a usage error."""
    from .models import fail_on_names

    try:
        return fail_on_names(text.split(","))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-on") from None


def _write(path: Path, text: str, what: str) -> None:
    """Write an output file atomically; one line and exit code 2 if it cannot be written."""
    from .files import write_atomically

    try:
        write_atomically(path, text)
    except OSError as exc:
        raise _fail([f"{path}: cannot write {what}: {exc.strerror}"]) from None


WaybackOpt = Annotated[
    str,
    typer.Option(
        help="Base URL of a Wayback-compatible archive (CDX API and id_ playback).",
        envvar="SOURCECHECK_WAYBACK_URL",
        callback=_http_url,
    ),
]
ArchiveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--archive",
        metavar="URL",
        help="Base URL of a Memento archive to ask too (its TimeMap is at "
        "BASE/timemap/link/URL), e.g. https://arquivo.pt/wayback. Repeatable.",
        callback=_http_urls,
    ),
]
NoWaybackOpt = Annotated[
    bool, typer.Option("--no-wayback", help="Ask only the --archive archives.")
]
ArchiveRateOpt = Annotated[
    float, typer.Option(min=0, help="Lookups a minute allowed per archive (0: no limit).")
]
CacheDirOpt = Annotated[
    Path,
    typer.Option(
        help="Where live pages, archive lookups and captures are kept.",
        envvar="SOURCECHECK_CACHE_DIR",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")]
AllowPrivateOpt = Annotated[
    bool,
    typer.Option("--allow-private", help="Allow private, loopback and link-local addresses."),
]
TimeoutOpt = Annotated[
    float, typer.Option(min=0.1, help="Seconds allowed for each request, body included.")
]


def _load(sources_file: Path) -> Sources:
    """One sources file read and checked (see ``_load_all``)."""
    return _load_all([sources_file])[0]


SOURCES_NAMES = ("sources.yaml", "sources.yml", "*.sources.yaml", "*.sources.yml")


def _skipped(directory: Path) -> bool:
    """A directory a search for sources files leaves out: hidden ones (.git, the cache),
    node_modules, __pycache__, and virtual environments."""
    name = directory.name
    return (
        name.startswith(".")
        or name in ("node_modules", "__pycache__")
        or (directory / "pyvenv.cfg").is_file()
    )


def _sources_in(directory: Path) -> list[Path]:
    """Every file under a directory, at any depth, named as SOURCES_NAMES say, sorted; one line
    and exit code 2 when there is none."""
    from fnmatch import fnmatchcase

    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not _skipped(Path(root, d))]
        found += [
            Path(root, f) for f in files if any(fnmatchcase(f, name) for name in SOURCES_NAMES)
        ]
    found.sort()
    if not found:
        names = ", ".join(SOURCES_NAMES[:-1]) + f" or {SOURCES_NAMES[-1]}"
        raise _fail([f"{directory}: cannot read: no {names} in this directory"])
    return found


def _sources_paths(args: list[Path]) -> list[Path]:
    """The sources files that ``verify``'s arguments name: a file as given; a directory, every
    sources file under it; a pattern that is no file's name, what it matches (a shell or a CI
    step may pass it quoted). A file named twice, by any path, is checked once."""
    import glob

    found: dict[Path, Path] = {}
    for arg in args:
        named = [arg]
        if not arg.exists() and any(c in str(arg) for c in "*?["):
            named = [Path(m) for m in sorted(glob.glob(str(arg), recursive=True))]
            if not named:
                raise _fail([f"{arg}: no file matches this pattern"])
        for path in named:
            # A missing file is said so when it is read, with the problems of the others.
            for file in _sources_in(path) if path.is_dir() else [path]:
                found.setdefault(file.resolve(), file)
    return list(found.values())


def _load_all(paths: list[Path]) -> list[Sources]:
    """Every sources file read and checked; every problem of every file stops the run."""
    from .errors import SourcecheckError
    from .sources import load_sources

    lists, problems = [], []
    for path in paths:
        try:
            lists.append(load_sources(path))
        except SourcecheckError as exc:
            problems += exc.lines()
    if problems:
        raise _fail(problems)
    return lists


def _options(
    *,
    timeout: float,
    allow_private: bool,
    wayback_url: str,
    archive: list[str] | None,
    no_wayback: bool,
    archive_rate: float,
    cache_dir: Path,
    no_cache: bool,
    max_concurrency: int = 32,
    host_concurrency: int = 4,
    use_archive: bool = True,
    max_captures: int = 3,
    always_archive: bool = False,
    render: bool = False,
    check_names: bool = False,
    max_age: str = "1d",
    offline: bool = False,
    warc: Path | None = None,
    replay: Path | None = None,
    max_retries: int = 2,
    workers: int | None = None,
) -> Options:
    from .archive import ArchiveSettings
    from .cache import parse_age
    from .fetch import FetchSettings
    from .verify import Options

    if warc is not None and offline:
        raise typer.BadParameter(
            "not with --offline: the cache keeps what archives said, not their answers, "
            "and the WARC must hold them",
            param_hint="--warc",
        )
    if render and (offline or replay is not None):
        raise typer.BadParameter(
            "not with --offline or --replay: the browser would use the network",
            param_hint="--render",
        )
    fetch = FetchSettings.with_timeout(
        timeout,
        allow_private=allow_private,
        max_concurrency=max_concurrency,
        host_concurrency=host_concurrency,
        max_age=parse_age(max_age),
        offline=offline,
        max_retries=max_retries,
    )
    return Options(
        workers=workers,
        fetch=fetch,
        wayback_url=None if no_wayback else wayback_url,
        mementos=tuple(archive or ()),
        use_archive=use_archive,
        max_captures=max_captures,
        always_archive=always_archive,
        render=render,
        check_names=check_names,
        cache_dir=None if no_cache else cache_dir,
        archive=ArchiveSettings(lookups_per_minute=archive_rate or None),
        warc=warc,
        replay=replay,
    )


def _from_file(ctx: typer.Context, sources: Sources) -> dict[str, Any]:
    """The ``settings:`` of sources.yaml that no command-line flag (or variable) overrides."""
    out = {}
    for key, value in sources.settings.items():
        source = ctx.get_parameter_source(key)
        if source is None or source.name in ("DEFAULT", "DEFAULT_MAP"):
            out[key] = value
    return out


def _same(key: str, a: Any, b: Any) -> bool:
    # Values that mean the same: a fail_on list in any order, an age in any unit.
    from .cache import parse_age

    if key == "fail_on":
        return set(a) == set(b)
    if key == "max_age":
        return parse_age(a) == parse_age(b)
    return bool(a == b)


def _settings(ctx: typer.Context, lists: list[Sources]) -> dict[str, Any]:
    """The ``settings:`` of the sources files that no command-line flag (or variable)
    overrides. A key applies to the whole run when every file that sets it agrees; files that
    disagree on a key stop the run, one line each key, asking for the flag."""
    out: dict[str, Any] = {}
    first: dict[str, Sources] = {}
    problems: dict[str, str] = {}
    for sources in lists:
        for key, value in _from_file(ctx, sources).items():
            if key not in first:
                first[key], out[key] = sources, value
            elif not _same(key, out[key], value) and key not in problems:
                one, flag = first[key], "--" + key.replace("_", "-")
                problems[key] = (
                    f"{one.path}:{one.settings_lines.get(key, 0)}: settings.{key}: "
                    f"{out[key]!r} here but {value!r} in "
                    f"{sources.path}:{sources.settings_lines.get(key, 0)}: "
                    f"the files disagree; give {flag} on the command line"
                )
    if problems:
        raise _fail(list(problems.values()))
    return out


def _with_article(sources: Sources, article: str) -> Sources:
    """``sources`` reading the article given on the command line."""
    from dataclasses import replace

    if not article.startswith(("http://", "https://")) and not Path(article).is_file():
        raise _fail([f"--article: no such file: {article}"])
    return replace(sources, article=article, article_line=None)


def _terminal() -> tuple[bool, int]:
    """Whether stdout takes colour, and its width."""
    if not sys.stdout.isatty():
        return False, 100
    return "NO_COLOR" not in os.environ, os.get_terminal_size().columns


@app.command()
def verify(
    ctx: typer.Context,
    sources_files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="SOURCES...",
            help="The sources.yaml files to check; a directory means every sources.yaml, "
            "sources.yml, *.sources.yaml and *.sources.yml under it.  [default: sources.yaml]",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = Format.TABLE,
    article: Annotated[
        str | None,
        typer.Option(
            "--article",
            metavar="FILE|URL",
            help="Also check the quotes found in this article (Markdown, HTML or text); "
            "overrides 'article:' in sources.yaml.",
        ),
    ] = None,
    check_names: Annotated[
        bool,
        typer.Option(
            "--check-names",
            help="Check the article's quoted names and titles (1-3 words) too, not only list them.",
        ),
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a Markdown report to this file."),
    ] = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = DEFAULT_FAIL_ON_TEXT,
    wayback_url: WaybackOpt = "https://web.archive.org",
    archive: ArchiveOpt = None,
    no_wayback: NoWaybackOpt = False,
    no_archive: Annotated[
        bool, typer.Option("--no-archive", help="Never consult any archive.")
    ] = False,
    max_captures: Annotated[
        int,
        typer.Option(min=0, help="Other captures tried when a quote is not in the closest one."),
    ] = 3,
    always_archive: Annotated[
        bool,
        typer.Option(
            "--always-archive",
            help="Read the closest capture even when every quote is verified live, to say "
            "whether the archive agrees.",
        ),
    ] = False,
    archive_rate: ArchiveRateOpt = 24.0,
    cache_dir: CacheDirOpt = Path(".sourcecheck-cache"),
    no_cache: NoCacheOpt = False,
    max_age: Annotated[
        str,
        typer.Option(
            metavar="AGE",
            help="How long a live page is used from the cache: 1d, 12h, 30m or seconds; an "
            "older one is asked for again (a 304 keeps it).",
            callback=_age,
        ),
    ] = "1d",
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Make no request: read every page and capture from the cache, whatever its age.",
        ),
    ] = False,
    warc: Annotated[
        Path | None,
        typer.Option(
            "--warc",
            metavar="FILE",
            help="Write every HTTP exchange the verdicts rest on to this WARC file.",
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay",
            metavar="FILE",
            help="Check again from a WARC written by --warc, with no network and no cache.",
        ),
    ] = None,
    draw: Annotated[
        bool,
        typer.Option(
            "--render",
            help="Draw a live page in a headless Chromium when a quote is not in its HTML "
            "(needs the render extra and a Chromium).",
        ),
    ] = False,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 60.0,
    max_retries: Annotated[
        int,
        typer.Option(
            min=0, help="Retries of a live page's GET that got no answer, a 429 or a 503."
        ),
    ] = 2,
    max_concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 32,
    host_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight at once to one host.")
    ] = 4,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            show_default=False,
            help="Worker processes that read the pages: their text, the quotes in them, their "
            "main text (default: up to 4, one core left free, for 32 sources or more; 0: none, "
            "all in this process).",
        ),
    ] = None,
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="List every quote in the table (beyond 50 quotes it lists those not verified).",
        ),
    ] = False,
) -> None:
    """Fetch every source and check every quote attributed to it.

    Several sources files are checked in one run, with a report on each; a URL that several
    sources cite is fetched once.

    Exit code 0 when every quote is verified, 1 when any is not (or a source has no readable
    copy), 2 when the run cannot be made.
    """
    from .report import render_many

    lists = _load_all(_sources_paths(sources_files or [Path("sources.yaml")]))
    if article is not None and len(lists) > 1:
        raise _fail([f"--article: takes one sources file, not {len(lists)}"])
    if article is not None:
        lists = [_with_article(lists[0], article)]
    # `settings:` in sources.yaml, for every option the command line left at its default.
    chosen: dict[str, Any] = {
        "check_names": check_names,
        "timeout": timeout,
        "wayback_url": wayback_url,
        "no_wayback": no_wayback,
        "archive_rate": archive_rate,
        "max_concurrency": max_concurrency,
        "host_concurrency": host_concurrency,
        "max_captures": max_captures,
        "always_archive": always_archive,
        "max_age": max_age,
        **_settings(ctx, lists),
    }
    fail_on = ",".join(chosen.pop("fail_on")) if "fail_on" in chosen else fail_on
    use_archive = not chosen.pop("no_archive", no_archive)
    options = _options(
        **chosen,
        use_archive=use_archive,
        allow_private=allow_private,
        archive=archive,
        cache_dir=cache_dir,
        no_cache=no_cache,
        render=draw,
        offline=offline,
        warc=warc,
        replay=replay,
        max_retries=max_retries,
        workers=workers,
    )
    policy = _fail_on(fail_on)
    reports = _run(lists, options)

    if report_file is not None:
        _write(report_file, render_many(reports, Format.MARKDOWN, fail_on=policy), "the report")
    color, width = _terminal()
    if output is not None:
        shown = render_many(reports, fmt, width=width, fail_on=policy, every=every)
        _write(output, shown, "the output")
    else:
        use_color = color and fmt is Format.TABLE
        shown = render_many(reports, fmt, color=use_color, width=width, fail_on=policy, every=every)
        sys.stdout.write(shown)
    if any(r.partial for r in reports):
        raise typer.Exit(ExitStatus.INTERRUPTED)
    raise typer.Exit(max(r.exit_for(policy) for r in reports))


@app.command()
def history(
    source_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the source.")],
    sources_file: SourcesArg = Path("sources.yaml"),
    fmt: ListFormatOpt = ListFormat.TABLE,
    max_captures: Annotated[
        int, typer.Option(min=1, help="Captures read, spread over the source's history.")
    ] = 12,
    wayback_url: WaybackOpt = "https://web.archive.org",
    archive: ArchiveOpt = None,
    no_wayback: NoWaybackOpt = False,
    archive_rate: ArchiveRateOpt = 24.0,
    cache_dir: CacheDirOpt = Path(".sourcecheck-cache"),
    no_cache: NoCacheOpt = False,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 60.0,
) -> None:
    """Walk one source's captures over time: when each quote appeared, changed or disappeared.

    Exit code 0 when a capture or the live page could be read, 1 when none could, 2 when the
    run cannot be made (an unknown ID among them).
    """
    import difflib

    from .fetch import Fetcher
    from .history import history as run_history
    from .report.history import render_history
    from .verify import archive_urls, make_archives

    sources = _load(sources_file)
    ids = [s.id for s in sources.sources]
    if source_id not in ids:
        close = difflib.get_close_matches(source_id, ids, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _fail([f"{sources_file}: no source with id {source_id!r}{hint}"])
    source = sources.sources[ids.index(source_id)]
    options = _options(
        timeout=timeout,
        allow_private=allow_private,
        wayback_url=wayback_url,
        archive=archive,
        no_wayback=no_wayback,
        archive_rate=archive_rate,
        cache_dir=cache_dir,
        no_cache=no_cache,
    )

    async def go() -> History:
        wayback, mementos = archive_urls(sources, options)
        async with Fetcher(options.fetch, trusted_origins=[*wayback, *mementos]) as fetcher:
            archives = make_archives(fetcher, wayback, mementos, options, _tell_wait)
            return await run_history(source, fetcher, archives.archives, max_captures)

    found = _finish(go())
    color, width = _terminal()
    sys.stdout.write(
        render_history(found, fmt, color=color and fmt is ListFormat.TABLE, width=width)
    )
    readable = any(step.matches or step.reason is None for step in found.steps)
    raise typer.Exit(ExitStatus.OK if readable else ExitStatus.CHECK_FAILED)


KEYS_HELP = (
    "Save Page Now needs the API keys of an archive.org account: get them at "
    "https://archive.org/account/s3.php and set IA_ACCESS_KEY_ID and IA_SECRET_ACCESS_KEY"
)


@app.command("archive")
def archive_now(
    sources_file: SourcesArg = Path("sources.yaml"),
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="ID", help="Save only this source. Repeatable."),
    ] = None,
    save_url: Annotated[
        str,
        typer.Option(
            help="Base URL of the Save Page Now service.",
            envvar="SOURCECHECK_SAVE_URL",
            callback=_http_url,
        ),
    ] = "https://web.archive.org",
    write: Annotated[
        bool,
        typer.Option(help="Write each new capture into SOURCES as the source's archive_url."),
    ] = True,
    poll: Annotated[float, typer.Option(min=0, help="Seconds between status checks.")] = 5.0,
    max_wait: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for one capture.")
    ] = 300.0,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 60.0,
) -> None:
    """Capture every source's live page with Save Page Now and pin the capture in SOURCES.

    Needs IA_ACCESS_KEY_ID and IA_SECRET_ACCESS_KEY (an archive.org account's API keys).
    Sources are saved one at a time. Exit code 0 when every source was saved, 1 when any was
    not, 2 when the run cannot be made.
    """

    from .archive import SavePageNow
    from .fetch import Fetcher, FetchSettings
    from .models import ArchiveMiss, Snapshot
    from .sources import write_archive_urls

    key, secret = os.environ.get("IA_ACCESS_KEY_ID"), os.environ.get("IA_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise _fail([KEYS_HELP])
    sources = _load(sources_file)
    wanted = [s for s in sources.sources if s.url and (not only or s.id in only)]
    unknown = sorted(set(only or ()) - {s.id for s in sources.sources})
    if unknown:
        raise _fail([f"{sources_file}: no source with id {unknown[0]!r}"])
    settings = FetchSettings.with_timeout(timeout, allow_private=allow_private)

    def tell(what: str, seconds: float) -> None:
        typer.echo(f"sourcecheck: {what} (next check in {seconds:.0f} s)", err=True)

    async def go() -> dict[str, Snapshot | ArchiveMiss]:
        done: dict[str, Snapshot | ArchiveMiss] = {}
        async with Fetcher(settings, trusted_origins=[save_url]) as fetcher:
            spn = SavePageNow(
                fetcher, key, secret, save_url, poll=poll, max_wait=max_wait, on_wait=tell
            )
            for source in wanted:
                assert source.url is not None
                done[source.id] = got = await spn.save(source.url)
                if isinstance(got, ArchiveMiss) and "too-many-daily-captures" in got.reason:
                    break  # the account's daily allowance is spent: the rest would fail too
        return done

    done = _finish(go())
    saved = {sid: got.url for sid, got in done.items() if isinstance(got, Snapshot)}
    problems = write_archive_urls(sources_file, saved) if write and saved else []
    for source in wanted:
        got = done.get(source.id)
        if isinstance(got, Snapshot):
            typer.echo(f"{source.id}: saved {got.url}")
        else:
            why = got.reason if got else "not tried: the daily capture allowance is spent"
            typer.echo(f"{source.id}: not saved: {why}")
    for problem in problems:
        typer.echo(f"sourcecheck: {sources_file}: {problem}", err=True)
    all_saved = len(saved) == len(wanted) and not problems
    raise typer.Exit(ExitStatus.OK if all_saved else ExitStatus.CHECK_FAILED)


ArticleArg = Annotated[
    str,
    typer.Argument(metavar="ARTICLE", help="The article: a Markdown, HTML or text file, or a URL."),
]


def _read_article(
    location: str, sources: Sources | None, allow_private: bool, timeout: float
) -> Article:
    """Read an article file or fetch an article URL; exit 2 with one line if it cannot be."""
    from .fetch import Fetcher, FetchSettings
    from .verify import load_article

    if not location.startswith(("http://", "https://")) and not Path(location).is_file():
        raise _fail([f"{location}: no such file"])

    async def go() -> Article:
        settings = FetchSettings.with_timeout(timeout, allow_private=allow_private)
        async with Fetcher(settings) as fetcher:
            return await load_article(location, fetcher, sources)

    return _finish(go())


@app.command()
def quotes(
    article: ArticleArg,
    sources_file: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            metavar="SOURCES",
            help="Tie quotes to the sources of this sources.yaml (default: to the article's "
            "own reference list and links).",
        ),
    ] = None,
    fmt: ListFormatOpt = ListFormat.TABLE,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 60.0,
) -> None:
    """List every quote in an article: where it is, who said it, which source it is tied to
    and by what cue, then the article's reference list.

    Quotes of 1-3 words are listed as names, and titles as titles: they are not checked.
    """
    from .report.article import render_article

    sources = _load(sources_file) if sources_file is not None else None
    found = _read_article(article, sources, allow_private, timeout)
    color, width = _terminal()
    sys.stdout.write(
        render_article(found, fmt, color=color and fmt is ListFormat.TABLE, width=width)
    )


@app.command()
def init(
    article: ArticleArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the draft ('-': standard output)."),
    ] = Path("sources.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = 60.0,
) -> None:
    """Draft a sources.yaml from an article: one source per reference or link, the quotes tied
    to it under it, and a comment on every guess.
    """
    from .draft import draft_sources
    from .files import write_atomically

    if str(output) != "-" and output.exists() and not force:
        raise _fail([f"{output}: already exists (use --force to overwrite it)"])
    found = _read_article(article, None, allow_private, timeout)
    where = article
    if str(output) != "-" and not article.startswith(("http://", "https://")):
        where = os.path.relpath(Path(article).resolve(), output.resolve().parent)
    text = draft_sources(found, where)
    if str(output) == "-":
        sys.stdout.write(text)
        return
    try:
        write_atomically(output, text)
    except OSError as exc:
        raise _fail([f"{output}: cannot write: {exc.strerror}"]) from None
    checked = [q for q in found.quotes if q.checked]
    loose = sum(1 for q in checked if q.source_id is None)
    typer.echo(
        f"wrote {output}: {len(checked)} quotes, {loose} not tied to a source; "
        "check every line marked 'guess'",
        err=True,
    )


@app.command()
def links(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE|URL...",
            help="Markdown, HTML or text files, sources.yaml files (.yaml, .yml), or URLs of "
            "pages whose links to check.",
        ),
    ],
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CODES",
            help="Status codes that count as ok, e.g. 200..=299,403 (default: "
            "100..=103,200..=299; '..' without '=' leaves the end out). Repeatable.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(metavar="REGEX", help="Check no URL this regex matches. Repeatable."),
    ] = None,
    max_concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 128,
    host_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight at once to one host.")
    ] = 8,
    host_interval: Annotated[
        float, typer.Option(min=0, help="Seconds between the starts of two requests to one host.")
    ] = 0.0,
    max_retries: Annotated[
        int,
        typer.Option(min=0, help="Retries of a GET that got no answer, a 429 or a 503."),
    ] = 2,
    timeout: TimeoutOpt = 20.0,
    wayback_url: WaybackOpt = "https://web.archive.org",
    no_archive: Annotated[
        bool, typer.Option("--no-archive", help="Suggest no archived copy of broken links.")
    ] = False,
    archive_rate: ArchiveRateOpt = 24.0,
    cache_dir: CacheDirOpt = Path(".sourcecheck-cache"),
    no_cache: NoCacheOpt = False,
    allow_private: AllowPrivateOpt = False,
    every: Annotated[
        bool,
        typer.Option("--all", help="List every link in the table, ok and excluded ones too."),
    ] = False,
) -> None:
    """Check every link in files and pages, and suggest an archived copy of each broken one.

    Exit code 0 when no link is dead, blocked or in error, 1 when any is, 2 when the run cannot
    be made.
    """
    import re

    from .archive import ArchiveSettings
    from .fetch import FetchSettings
    from .links import DEFAULT_ACCEPT, LinkOptions, check_links, parse_accept
    from .report.links import render_links

    try:
        codes = parse_accept(",".join(accept)) if accept else DEFAULT_ACCEPT
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--accept") from None
    for pattern in exclude or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise typer.BadParameter(f"{pattern!r}: {exc}", param_hint="--exclude") from None
    fetch = FetchSettings.with_timeout(
        timeout,
        allow_private=allow_private,
        max_concurrency=max_concurrency,
        host_concurrency=host_concurrency,
    )
    options = LinkOptions(
        fetch=fetch,
        accept=codes,
        exclude=tuple(exclude or ()),
        max_retries=max_retries,
        host_interval=host_interval,
        wayback_url=None if no_archive else wayback_url,
        cache_dir=None if no_cache else cache_dir,
        archive=ArchiveSettings(lookups_per_minute=archive_rate or None),
    )
    report = _finish(check_links(inputs, options, on_wait=_tell_wait))
    color, width = _terminal()
    if output is not None:
        _write(output, render_links(report, fmt, width=width, every=every), "the output")
    else:
        use_color = color and fmt is Format.TABLE
        sys.stdout.write(render_links(report, fmt, color=use_color, width=width, every=every))
    raise typer.Exit(report.exit_status)


cache_app = typer.Typer(
    help="See or empty the cache of live pages, archive lookups and captures.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cache_app, name="cache")


def _size(n: float) -> str:
    """A size in bytes as people read it: 512 bytes, 12.3 kB, 4.0 MB."""
    unit = "bytes"
    for bigger in ("kB", "MB", "GB"):
        if n < 1000:
            break
        n, unit = n / 1000, bigger
    return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"


@cache_app.command("info")
def cache_info(cache_dir: CacheDirOpt = Path(".sourcecheck-cache")) -> None:
    """Show the cache directory, and its entries and their size by kind."""
    from .cache import KINDS, Cache

    cache = Cache(cache_dir)
    typer.echo(f"cache directory: {cache_dir}")
    for kind, name in KINDS.items():
        entries, size = cache.info(kind)
        typer.echo(f"{name + ':':<17}{entries:>7} entries {_size(size):>12}")


@cache_app.command("clear")
def cache_clear(
    cache_dir: CacheDirOpt = Path(".sourcecheck-cache"),
    live_only: Annotated[
        bool,
        typer.Option("--live-only", help="Remove only live pages: keep lookups and captures."),
    ] = False,
) -> None:
    """Remove cached entries: every kind, or only live pages."""
    from .cache import Cache

    removed = Cache(cache_dir).clear("live" if live_only else None)
    what = "live pages" if live_only else "entries"
    typer.echo(f"removed {removed} {what} from {cache_dir}")


def main() -> None:
    """The console script."""
    app(prog_name="sourcecheck")
