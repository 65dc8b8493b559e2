"""Progress lines on standard error for long jobs."""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

Item = TypeVar("Item")


def progress(items: Iterable[Item], label: str, total: int | None = None, stream=None) -> Iterator[Item]:
    """Yield ``items`` while printing ``label: i/total`` to standard error.

    On a terminal the line is redrawn in place; elsewhere (a log, CI) one
    line is printed per item, so the log shows where a job stopped.

    Parameters
    ----------
    items : iterable
        What to go through.
    label : str
        What is being done, e.g. ``"digitizing"``.
    total : int, optional
        Number of items, when ``items`` has no ``len``.
    stream : file, optional
        Where to write; standard error by default.
    """
    stream = sys.stderr if stream is None else stream
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    interactive = hasattr(stream, "isatty") and stream.isatty()
    count = 0
    for count, item in enumerate(items, start=1):
        suffix = f"/{total}" if total else ""
        end = "\r" if interactive else "\n"
        print(f"{label}: {count}{suffix}", end=end, file=stream, flush=True)
        yield item
    if interactive and count:
        print(file=stream)
