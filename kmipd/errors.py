"""Error type for bad user input, shared by every stage and the CLI."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class InputError(ValueError):
    """Input that kmipd cannot use: a malformed CSV, a figure that is not a KM plot, ...

    The message says what is wrong and, where it helps, what to do. The CLI
    prints it on one line, prefixed by the file it came from, and exits with
    status 2.

    Parameters
    ----------
    message : str
        One sentence, no trailing newline.
    source : str or Path, optional
        The file the bad input came from, when known.
    """

    def __init__(self, message: str, source: str | Path | None = None):
        super().__init__(message)
        self.message = message
        self.source = None if source is None else str(source)

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


@contextmanager
def input_source(source: str | Path) -> Iterator[None]:
    """Attach ``source`` to any :class:`InputError` raised inside without one.

    Library functions work on DataFrames and do not know which file the data
    came from; the CLI wraps each call with this so the message names it.
    """
    try:
        yield
    except InputError as error:
        if error.source is None:
            error.source = str(source)
        raise
