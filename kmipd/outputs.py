"""Writing a command's output files all at once, or not at all.

A command stages every output in a temporary folder next to its destination
and moves them into place only when all of them are written, so a failure
leaves no partial output and never overwrites an earlier good one. An output
folder is replaced as a whole, in one step (see :func:`swap_folder`): a kill
at any instant leaves either the old results or the new ones, never a mix,
and no file of an earlier run stays beside the new ones. Outputs that would
overwrite one of the command's own inputs, or files that kmipd did not
write, are refused up front.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Iterator

from kmipd.errors import InputError

#: Every output folder kmipd writes holds this file, so a later run may replace the folder whole.
MARKER = ".kmipd-output"
#: Staging folders are named ``.kmipd-<pid>-...`` beside their destination; an interrupted
#: run's staging folder (its process gone) is removed by the next run that stages there.
STAGING_PREFIX = ".kmipd-"

_written: list[Path] = []


def written() -> list[Path]:
    """The outputs moved into place since :func:`forget_written` (for the CLI's interrupt message)."""
    return list(_written)


def forget_written() -> None:
    """Start a new command: :func:`written` is empty again."""
    _written.clear()


class StagedOutputs:
    """Collect output files and move them into place together on success.

    Use as a context manager: paths handed out by :meth:`path` and
    :meth:`folder` are written in a staging folder; leaving the block
    normally moves them to their destinations, leaving it by an exception
    deletes them. Ctrl-C is held back while they move.

    Parameters
    ----------
    protected : iterable of str or Path
        The command's input files; an output naming one of them, or a
        folder output holding one, is refused.

    Examples
    --------
    >>> with StagedOutputs(protected=["curves.csv"]) as outputs:  # doctest: +SKIP
    ...     ipd.to_csv(outputs.path("ipd.csv"), index=False)
    """

    def __init__(self, protected=()):
        self._protected = {Path(p).resolve() for p in protected}
        self._staged: dict[Path, Path] = {}
        self._folders: set[Path] = set()
        self._staging_dir: Path | None = None

    def path(self, destination: str | Path) -> Path:
        """Return a temporary path to write file ``destination``'s content to."""
        final = Path(destination).resolve()
        if final.is_dir():
            raise InputError("output path is a folder", source=destination)
        if final in self._staged:
            raise InputError("the same file is given for two outputs", source=destination)
        return self._stage(final, destination)

    def folder(self, destination: str | Path) -> Path:
        """Return a temporary folder that will replace folder ``destination`` as a whole.

        For writers that fill a folder (``result.to_folder(outputs.folder(out))``).
        ``destination`` must be new, empty, or an earlier output folder of
        kmipd's: files kmipd did not write are never replaced.
        """
        final = Path(destination).resolve()
        if final.exists() and not final.is_dir():
            raise InputError("output folder is an existing file", source=destination)
        inputs_inside = [p for p in self._protected if final in p.parents]
        if inputs_inside:
            raise InputError("output would overwrite an input file", source=min(inputs_inside))
        if final.is_dir() and any(final.iterdir()) and not (final / MARKER).is_file():
            raise InputError("output folder holds files kmipd did not write; give a new or empty folder "
                             "(kmipd replaces its output folder as a whole)", source=destination)
        staged = self._stage(final, destination)
        staged.mkdir(exist_ok=True)
        self._folders.add(final)
        return staged

    def _stage(self, final: Path, destination: str | Path) -> Path:
        """The staging path for ``final`` (the same one if asked twice)."""
        if final in self._protected:
            raise InputError("output would overwrite an input file", source=destination)
        if final in self._staged:
            return self._staged[final]
        if self._staging_dir is None:
            parent = _existing_ancestor(final)
            remove_stale_staging(parent)
            try:
                self._staging_dir = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
            except PermissionError:
                raise InputError("cannot write there (permission denied)", source=destination) from None
        staged = self._staging_dir / f"{len(self._staged)}{final.suffix}"
        self._staged[final] = staged
        return staged

    def commit(self) -> list[Path]:
        """Move every staged output to its destination; return the destinations.

        Everything is checked before the first output moves; the staging
        folder is removed whatever happens.
        """
        try:
            for final, staged in self._staged.items():
                if not staged.exists():
                    raise RuntimeError(f"output {final} was staged but never written")
            with _interrupts_held():
                for final, staged in self._staged.items():
                    final.parent.mkdir(parents=True, exist_ok=True)
                    if final in self._folders:
                        (staged / MARKER).write_text("written by kmipd; replaced whole by its next run\n")
                        swap_folder(staged, final)
                    else:
                        os.replace(staged, final)
                    _written.append(final)
            return list(self._staged)
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the staged files and the staging folder."""
        if self._staging_dir is not None:
            shutil.rmtree(self._staging_dir, ignore_errors=True)
        self._staging_dir = None
        self._staged = {}
        self._folders = set()

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def swap_folder(new: Path, final: Path) -> None:
    """Put folder ``new`` at ``final`` in one atomic step; the old folder is left at ``new``.

    A new ``final`` is a plain rename. An existing one is exchanged with
    ``new`` by Linux's ``renameat2(RENAME_EXCHANGE)``, which the standard
    library does not offer (hence ctypes). Where that call is missing, the
    old folder is moved aside first, and a kill between the two renames
    leaves no folder at ``final`` (both are then in the staging folder).
    """
    if not final.exists():
        os.rename(new, final)
        return
    if not _exchange(new, final):
        aside = new.with_name(new.name + "-old")
        os.rename(final, aside)
        os.rename(new, final)
        os.rename(aside, new)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux 3.15+, glibc 2.28+); False where not supported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL):
        return False  # no such call, or the file system cannot exchange (EINVAL)
    raise OSError(error, os.strerror(error), str(b))


def remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders that runs no longer alive left in ``folder`` (killed mid-run)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(STAGING_PREFIX):].split("-")[0]
        if entry.name.startswith(STAGING_PREFIX) and pid.isdigit() and entry.is_dir() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) and SIGTERM while outputs move into place; they act just after."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (staging must share its file system)."""
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return folder
