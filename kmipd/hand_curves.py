"""Curves digitized by hand (WebPlotDigitizer and the like), brought into ``kmipd run`` in place of a figure.

A reviewer who has already clicked a curve gives its CSV in ``studies.csv``'s
``curves`` column, either one file in the curves contract (``arm,time,survival``)
or one file per arm, ``ARM=file.csv,ARM=file.csv``, as WebPlotDigitizer exports
them: two columns ``x,y``, with or without a header, survival as a probability
or in percent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import InputError
from kmipd.tables import CURVES, MAX_CSV_BYTES, read_table

#: Survival read above this is taken as percent (a probability never exceeds 1; hand clicks
#: overshoot it by a little at most).
PERCENT_ABOVE = 1.5


def read_hand_curves(spec: str, folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """The curves a ``curves`` cell names, as ``arm, time, survival``, and notes on how they were read.

    Parameters
    ----------
    spec : str
        ``file.csv`` (the curves contract) or ``ARM=file.csv,ARM=file.csv``
        (one two-column ``x,y`` file per arm).
    folder : Path
        The folder the file names are relative to.

    Returns
    -------
    curves : pandas.DataFrame
        ``arm, time, survival`` (a probability).
    notes : list of str
        E.g. that survival was read as percent.

    Raises
    ------
    InputError
        Naming the file and the problem.
    """
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    if len(parts) == 1 and "=" not in parts[0]:
        curves = read_table(_existing(folder, parts[0]), CURVES)
    else:
        frames = []
        for part in parts:
            arm, equals, name = part.partition("=")
            if not equals or not arm.strip() or not name.strip():
                raise InputError(f"curves must be a CSV file or ARM=FILE,ARM=FILE, got '{spec}'")
            frames.append(_xy_file(_existing(folder, name.strip())).assign(arm=arm.strip()))
        curves = pd.concat(frames, ignore_index=True)[["arm", "time", "survival"]]
    notes = []
    if curves["survival"].max() > PERCENT_ABOVE:
        curves = curves.assign(survival=curves["survival"] / 100)
        notes.append(f"hand-digitized curves {spec}: survival read as percent (up to {100 * curves['survival'].max():.0f})")
    return curves, notes


def _existing(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise InputError(f"curves file {name} not found")
    return path


def _xy_file(path: Path) -> pd.DataFrame:
    """A two-column ``x,y`` export (header optional) as ``time, survival``."""
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError("file too large to be a curve export", source=path)
    try:
        table = pd.read_csv(path, header=None, dtype=str, skip_blank_lines=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise InputError(f"not a CSV file ({type(error).__name__})", source=path) from None
    if table.shape[1] != 2:
        raise InputError(f"expected two columns x,y (time, survival), found {table.shape[1]}", source=path)
    values = table.apply(pd.to_numeric, errors="coerce")
    if values.iloc[0].isna().all():  # a header row
        values = values.iloc[1:]
    bad = values.isna().any(axis=1) | ~np.isfinite(values).all(axis=1)
    if bad.any():
        line = int(values.index[bad.to_numpy()][0]) + 1
        raise InputError(f"line {line}: x and y must be numbers", source=path)
    if values.empty:
        raise InputError("no points", source=path)
    return pd.DataFrame({"time": values[0].to_numpy(float), "survival": values[1].to_numpy(float)})
