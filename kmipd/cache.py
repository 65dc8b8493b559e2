"""A cache of extracted figures, so a rerun (a living review adding one study) redoes only what changed.

An extraction is stored under a key made of everything it depends on: the
figure's bytes, the typed at-risk table's bytes, the options, and the source
code of the stages that compute it. A changed image, option or kmipd version
gives a new key, so a stale result is never used. The outputs written from a
cached extraction are byte-identical to a fresh one's (the object is stored
whole, with pickle).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

#: The packages whose code an extraction depends on.
_STAGES = ("digitize", "reconstruct", "kmipd")


def default_folder() -> Path:
    """``$KMIPD_CACHE``, else ``$XDG_CACHE_HOME/kmipd``, else ``~/.cache/kmipd``."""
    if os.environ.get("KMIPD_CACHE"):
        return Path(os.environ["KMIPD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kmipd"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the source of every module of the stages an extraction runs."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in _STAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class ExtractionCache:
    """Extractions stored in a folder by key (see the module docstring).

    Parameters
    ----------
    folder : str or Path
        Where to keep them (created when first written).
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @staticmethod
    def key(figure: Path, at_risk: Path | None, options: dict) -> str:
        """The key of an extraction of ``figure`` with ``options`` (and a typed ``at_risk`` file)."""
        digest = hashlib.sha256(code_fingerprint().encode())
        for path in (figure, at_risk):
            digest.update(path.read_bytes() if path is not None else b"-")
        digest.update(repr(sorted(options.items())).encode())
        return digest.hexdigest()

    def get(self, key: str):
        """The extraction stored under ``key``, or None (also for an unreadable entry)."""
        try:
            with open(self.folder / f"{key}.pickle", "rb") as stored:
                return pickle.load(stored)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, extraction) -> None:
        """Store ``extraction`` under ``key`` (atomically; a cache that cannot be written is skipped)."""
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as stored:
                pickle.dump(extraction, stored, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / f"{key}.pickle")
        except OSError:
            if temporary is not None:  # a half-written entry (a full disk) is not left behind
                Path(temporary).unlink(missing_ok=True)
