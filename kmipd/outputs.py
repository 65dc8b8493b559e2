"""Writing a command's output files all at once, or not at all.

A command stages every output in a temporary folder next to its destination
and moves them into place only when all of them are written, so a failure
leaves no partial output and never overwrites an earlier good one. Outputs
that would overwrite one of the command's own inputs are refused up front.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from kmipd.errors import InputError


class StagedOutputs:
    """Collect output files and move them into place together on success.

    Use as a context manager: paths handed out by :meth:`path` are written
    to a staging folder; leaving the block normally moves them to their
    destinations, leaving it by an exception deletes them.

    Parameters
    ----------
    protected : iterable of str or Path
        The command's input files; an output naming one of them is refused.

    Examples
    --------
    >>> with StagedOutputs(protected=["curves.csv"]) as outputs:  # doctest: +SKIP
    ...     ipd.to_csv(outputs.path("ipd.csv"), index=False)
    """

    def __init__(self, protected=()):
        self._protected = {Path(p).resolve() for p in protected}
        self._staged: dict[Path, Path] = {}
        self._staging_dir: Path | None = None

    def path(self, destination: str | Path) -> Path:
        """Return a temporary path to write file ``destination``'s content to."""
        final = Path(destination).resolve()
        if final.is_dir():
            raise InputError("output path is a folder", source=destination)
        return self._stage(final, destination)

    def folder(self, destination: str | Path) -> Path:
        """Return a temporary folder whose files will land in folder ``destination``.

        For writers that fill a folder (``result.to_folder(outputs.folder(out))``);
        files already in ``destination`` that the writer does not write are kept.
        """
        final = Path(destination).resolve()
        if final.exists() and not final.is_dir():
            raise InputError("output folder is an existing file", source=destination)
        staged = self._stage(final, destination)
        staged.mkdir(exist_ok=True)
        return staged

    def _stage(self, final: Path, destination: str | Path) -> Path:
        """The staging path for ``final`` (the same one if asked twice)."""
        if final in self._protected:
            raise InputError("output would overwrite an input file", source=destination)
        if final in self._staged:
            return self._staged[final]
        if self._staging_dir is None:
            self._staging_dir = Path(tempfile.mkdtemp(prefix=".kmipd-", dir=_existing_ancestor(final)))
        staged = self._staging_dir / f"{len(self._staged)}{final.suffix}"
        self._staged[final] = staged
        return staged

    def commit(self) -> list[Path]:
        """Move every staged file to its destination; return the destinations.

        Everything is checked before the first file moves; the staging
        folder is removed whatever happens.
        """
        try:
            moves = []
            for final, staged in self._staged.items():
                if not staged.exists():
                    raise RuntimeError(f"output {final} was staged but never written")
                if staged.is_dir():
                    moves += [(final / f.relative_to(staged), f) for f in sorted(staged.rglob("*")) if f.is_file()]
                else:
                    moves.append((final, staged))
            clashes = self._protected.intersection(final for final, _ in moves)
            if clashes:
                raise InputError("output would overwrite an input file", source=min(clashes))
            for final, staged in moves:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
            return [final for final, _ in moves]
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the staged files and the staging folder."""
        if self._staging_dir is not None:
            shutil.rmtree(self._staging_dir, ignore_errors=True)
        self._staging_dir = None
        self._staged = {}

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


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (staging must share its file system)."""
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return folder
