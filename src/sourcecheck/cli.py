"""The command line: parse -> verify -> render -> exit code. Thin on purpose.

Heavy modules (httpx, pydantic, selectolax, rich) are imported inside the commands, so that
``sourcecheck --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from . import __version__
from .models import ExitStatus
from .report import Format

if TYPE_CHECKING:
    from .models import Report, SourceResult, Sources
    from .verify import Options

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
    for line in lines:
        typer.echo(f"sourcecheck: {line}", err=True)
    return typer.Exit(ExitStatus.ERROR)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"{value!r} is not an http:// or https:// URL")
    return value.rstrip("/")


def _http_urls(values: list[str] | None) -> list[str]:
    return [_http_url(v) for v in values or []]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(sources: Sources, options: Options) -> Report:
    """Run the check, with a progress bar on stderr when stderr is a terminal.

    A wait for an archive's rate limit shows in the progress bar, or, without one, as a line on
    stderr when it is long enough to notice.
    """
    import asyncio

    from .verify import verify as run_verify

    if not sys.stderr.isatty():

        def tell(what: str, seconds: float) -> None:
            if seconds >= 5:
                typer.echo(f"sourcecheck: {what}: waiting {seconds:.0f} s", err=True)

        return asyncio.run(run_verify(sources, options, on_wait=tell))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("checking sources"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(sources.sources))

        def advance(result: SourceResult) -> None:
            progress.update(task, advance=1, description=result.source.id)

        def wait(what: str, seconds: float) -> None:
            progress.update(task, description=f"{what}: waiting {seconds:.0f} s")

        return asyncio.run(run_verify(sources, options, on_result=advance, on_wait=wait))


@app.command()
def verify(
    sources_file: Annotated[
        Path, typer.Argument(metavar="SOURCES", help="The sources.yaml to check.")
    ] = Path("sources.yaml"),
    fmt: Annotated[
        Format,
        typer.Option("--format", "-f", help="Output on stdout: table, json or markdown."),
    ] = Format.TABLE,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a Markdown report to this file."),
    ] = None,
    wayback_url: Annotated[
        str,
        typer.Option(
            help="Base URL of a Wayback-compatible archive (CDX API and id_ playback).",
            envvar="SOURCECHECK_WAYBACK_URL",
            callback=_http_url,
        ),
    ] = "https://web.archive.org",
    archive: Annotated[
        list[str] | None,
        typer.Option(
            "--archive",
            metavar="URL",
            help="Base URL of a Memento archive to ask too (its TimeMap is at "
            "BASE/timemap/link/URL), e.g. https://arquivo.pt/wayback. Repeatable.",
            callback=_http_urls,
        ),
    ] = None,
    no_wayback: Annotated[
        bool, typer.Option("--no-wayback", help="Ask only the --archive archives.")
    ] = False,
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
    archive_rate: Annotated[
        float,
        typer.Option(min=0, help="Lookups a minute allowed per archive (0: no limit)."),
    ] = 24.0,
    cache_dir: Annotated[
        Path,
        typer.Option(
            help="Where archive lookups and captures are kept.", envvar="SOURCECHECK_CACHE_DIR"
        ),
    ] = Path(".sourcecheck-cache"),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the cache.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Allow private, loopback and link-local addresses."),
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds allowed for each request, body included.")
    ] = 60.0,
    max_concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 32,
    host_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight at once to one host.")
    ] = 4,
) -> None:
    """Fetch every source and check every quote attributed to it.

    Exit code 0 when every quote is verified, 1 when any is not (or a source has no readable
    copy), 2 when the run cannot be made.
    """
    from .archive import ArchiveSettings
    from .errors import SourcecheckError
    from .fetch import FetchSettings
    from .report import render
    from .sources import load_sources
    from .verify import Options

    try:
        sources = load_sources(sources_file)
    except SourcecheckError as exc:
        raise _fail(exc.lines()) from None

    options = Options(
        fetch=FetchSettings(
            total_timeout=timeout,
            read_timeout=min(timeout, 30.0),
            connect_timeout=min(timeout, 10.0),
            max_concurrency=max_concurrency,
            host_concurrency=host_concurrency,
            allow_private=allow_private,
        ),
        wayback_url=None if no_wayback else wayback_url,
        mementos=tuple(archive or ()),
        use_archive=not no_archive,
        max_captures=max_captures,
        always_archive=always_archive,
        cache_dir=None if no_cache else cache_dir,
        archive=ArchiveSettings(lookups_per_minute=archive_rate or None),
    )

    try:
        report = _run(sources, options)
    except KeyboardInterrupt:
        typer.echo("sourcecheck: interrupted", err=True)
        raise typer.Exit(ExitStatus.INTERRUPTED) from None

    if report_file is not None:
        try:
            write_atomically(report_file, render(report, Format.MARKDOWN))
        except OSError as exc:
            raise _fail([f"{report_file}: cannot write the report: {exc.strerror}"]) from None
    color = fmt is Format.TABLE and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = 100
    if sys.stdout.isatty():
        width = os.get_terminal_size().columns
    sys.stdout.write(render(report, fmt, color=color, width=width))
    raise typer.Exit(report.exit_status)


def main() -> None:
    """The console script."""
    app(prog_name="sourcecheck")
