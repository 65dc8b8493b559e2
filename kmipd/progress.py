"""Progress lines on standard error for long jobs."""

from __future__ import annotations

import sys
import time
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")

#: Characters of the bar drawn on a terminal.
BAR_WIDTH = 24


def clock(seconds: float) -> str:
    """``seconds`` as ``m:ss`` (or ``h:mm:ss`` from an hour on)."""
    minutes, second = divmod(int(round(seconds)), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


def progress_line(label: str, count: int, total: int | None, elapsed: float, bar: bool, name: str = "") -> str:
    """One progress report: ``label [####----] 3/40 0:12, ~2:28 left name``.

    Parameters
    ----------
    label : str
        What is being done.
    count, total : int
        Items done, and of how many (None when unknown: no bar, no estimate).
    elapsed : float
        Seconds since the job started; the time left is extrapolated from it.
    bar : bool
        Draw a bar (for a terminal, where the line is redrawn in place).
    name : str
        The item just done, when it has a name worth a log line.
    """
    parts = [label + ":"]
    if total:
        if bar:
            filled = BAR_WIDTH * count // total
            parts.append("[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]")
        parts.append(f"{count}/{total}")
        left = f", ~{clock(elapsed / count * (total - count))} left" if 0 < count < total else ""
        parts.append(clock(elapsed) + left)
    else:
        parts.append(f"{count} {clock(elapsed)}")
    if name:
        parts.append(name)
    return " ".join(parts)


def progress(items: Iterable[Item], label: str, total: int | None = None, stream=None,
             name: Callable[[Item], str] | None = None) -> Iterator[Item]:
    """Yield ``items`` while reporting on standard error how many are done, the time taken and
    the time left.

    On a terminal one line with a bar is redrawn in place; elsewhere (a log,
    CI) one line is printed per item, so the log shows where a job stopped.

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
    name : callable, optional
        The name of an item (a figure's), printed on its line once it is done.
    """
    stream = sys.stderr if stream is None else stream
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    interactive = hasattr(stream, "isatty") and stream.isatty()
    start = time.monotonic()
    count = 0
    for count, item in enumerate(items, start=1):
        yield item
        line = progress_line(label, count, total, time.monotonic() - start, interactive,
                             name(item) if name else "")
        print("\r" + line + "\x1b[K" if interactive else line, end="" if interactive else "\n",
              file=stream, flush=True)
    if interactive and count:
        print(file=stream)
