"""The exceptions of sourcecheck: raised only when a run cannot go on.

A failure on one source or quote is a value (see ``models``), never an exception. These are for
the whole run, and ``cli`` turns each into one line per problem and exit code 2::

    SourcecheckError            anything that stops the run
     +-- InputError             a file cannot be read (missing, not UTF-8, ...)
     +-- ConfigError            sources.yaml is invalid; carries every Problem found, with its line
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SourcecheckError(Exception):
    """Base of every error that stops a run."""

    def lines(self) -> list[str]:
        """The message, one line per problem, ready to print."""
        return [str(self)]


class InputError(SourcecheckError):
    """A file the run needs cannot be read."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file."""

    path: Path
    line: int | None  # 1-based
    key: str  # dotted path to the key, e.g. "sources[2].url"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(SourcecheckError):
    """sources.yaml is invalid; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(p) for p in self.problems]
