"""Censor marks: the small ``+``, ``|`` or tick marks drawn on a KM curve where a patient was censored.

A censor mark sticks out of its curve, above the line, at a column where the
curve does not rise: the vertical stroke of a drop reaches up only to the
level on its left, a mark reaches above it. So a mark is found, on each
traced arm, as a run of columns where the arm's own ink, continuous with the
line, rises higher than the line did just before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from digitize.trace import INKED, ArmPath

#: A mark sticks out of the line by at least this many pixels ...
MIN_MARK_PX = 2.0
#: ... and at least this many line widths.
MIN_MARK_WIDTHS = 0.6


def find_censor_marks(own: np.ndarray, path: ArmPath, other: np.ndarray | None = None) -> pd.DataFrame:
    """Censor marks on one traced arm.

    Parameters
    ----------
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink (see :func:`digitize.colours.arm_alpha`).
    path : ArmPath
        The arm's traced path (see :func:`digitize.trace.trace_path`).
    other : ndarray, shape (h, w), float, optional
        Alpha of other ink; a line hidden under it still counts as line.

    Returns
    -------
    pandas.DataFrame
        One row a mark, by column: ``x_px`` (centre of the mark's upright
        stroke), ``y_px`` (the line's row there), ``height_px`` (how far it
        sticks out above the line) and ``first_col, last_col`` (the columns it
        covers, its horizontal bar included as far as it reaches).

    Notes
    -----
    Where ink rises above the line, it is the vertical stroke of a drop if
    its tip joins a line running off to the left (the level before the
    drop), and a mark otherwise.
    """
    inked = own >= INKED
    line_ink = inked if other is None else inked | (other >= INKED)
    width = path.line_width_px
    thickness = int(np.ceil(width))
    rows, cols = path.rows, path.cols
    tops = np.array([_ink_top(inked[:, col], row) for col, row in zip(cols, rows)])
    rise = rows - width / 2 - tops
    sticks_out = rise >= max(MIN_MARK_PX, MIN_MARK_WIDTHS * width)
    # Look just left of the tip: a steep staircase has levels only a few pixels long.
    beside = thickness + 1
    for i in np.flatnonzero(sticks_out):
        col, tip = cols[i], tops[i]
        left = line_ink[max(0, tip - 1) : tip + thickness + 1, max(0, col - beside) : col]
        if left.shape[1] == beside and left.any(axis=0).all():
            sticks_out[i] = False  # the stroke of a drop, joining the level on its left
    marks = []
    candidates = np.flatnonzero(sticks_out)
    for run in np.split(candidates, np.flatnonzero(np.diff(candidates) > 1) + 1):
        if len(run) == 0:
            continue
        height = float(rise[run].max())
        if len(run) > max(3 * width, height):  # wider than tall: another shape, not a mark
            continue
        centre = float(np.average(cols[run], weights=rise[run]))
        half = height + width / 2  # a '+' reaches as far sideways as it does up
        marks.append(
            {"x_px": centre, "y_px": float(rows[run[len(run) // 2]]), "height_px": height,
             "first_col": int(np.floor(centre - half)), "last_col": int(np.ceil(centre + half))}
        )
    return pd.DataFrame(marks, columns=["x_px", "y_px", "height_px", "first_col", "last_col"])


def _ink_top(column: np.ndarray, row: int) -> int:
    """Top row of the inked run through (or within a pixel of) ``row`` in one column; ``row`` if none."""
    near = [r for r in (row, row - 1, row + 1) if 0 <= r < len(column) and column[r]]
    if not near:
        return row
    top = near[0]
    while top > 0 and column[top - 1]:
        top -= 1
    return top


def marked_columns(marks: pd.DataFrame) -> np.ndarray:
    """All columns covered by censor marks, to leave out when measuring the line."""
    if marks.empty:
        return np.empty(0, dtype=int)
    return np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(marks.first_col, marks.last_col)]))
