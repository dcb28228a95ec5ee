"""Errors raised while reading instrument definitions.

Every problem found in a definition is a :class:`Problem` that points at the file, the line and
the field, so an author can fix all of them in one pass instead of one per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "InstrumentChangedError",
    "InstrumentError",
    "InstrumentNotFoundError",
    "Problem",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument definition.

    ``str(problem)`` reads ``file:line: field: message``, the shape compilers and linters use,
    so editors can jump to the spot.
    """

    #: Where the definition came from: a path, or a label such as ``"<string>"``.
    file: str
    #: 1-based line number, or ``None`` when the problem has no single place.
    line: int | None
    #: Field path inside the definition, e.g. ``items[12].dimension``; ``""`` for the whole file.
    field: str
    message: str

    def __str__(self) -> str:
        location = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field:
            return f"{location}: {self.field}: {self.message}"
        return f"{location}: {self.message}"


class InstrumentError(ValueError):
    """An instrument definition cannot be used.

    ``problems`` holds every problem found (possibly empty for errors that are not about the
    content, such as a missing file).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if self.problems:
            count = len(self.problems)
            noun = "problem" if count == 1 else "problems"
            details = "\n".join(f"  {problem}" for problem in self.problems)
            message = f"{message} ({count} {noun}):\n{details}"
        super().__init__(message)

    @classmethod
    def from_problems(cls, source: str, problems: Iterable[Problem]) -> InstrumentError:
        return cls(f"invalid instrument definition {source}", problems)


class InstrumentNotFoundError(InstrumentError, LookupError):
    """No shipped instrument has the requested id or version."""


class InstrumentChangedError(InstrumentError):
    """The text of an instrument version differs from the text a wave was run with.

    A version is immutable once a wave has used it: answers are stored against its items, and
    an edited wording or scoring key would silently change what old answers mean.
    """

    def __init__(self, key: str, expected_hash: str, actual_hash: str, source: str | None = None) -> None:
        self.key = key
        self.expected_hash = expected_hash
        self.actual_hash = actual_hash
        self.source = source
        where = f" ({source})" if source else ""
        super().__init__(
            f"the file of {key}{where} changed after a wave used it: its SHA-256 is now "
            f"{actual_hash[:12]}…, the wave recorded {expected_hash[:12]}…. A used version must not be "
            f"edited; the author must publish the change as a new version instead of editing a used one."
        )
