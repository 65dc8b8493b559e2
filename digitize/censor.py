"""Censor marks: the small ``+``, ``|`` or tick marks drawn on a KM curve where a patient was censored.

A censor mark sticks out of its curve, above the line, at a column where the
curve does not rise: the vertical stroke of a drop reaches up only to the
level on its left, a mark reaches above it. So a mark is found, on each
traced arm, as a run of columns where the arm's own ink, continuous with the
line, rises higher than the line did just before. A mark drawn at an event
time sits at the foot of the drop, its upper half on the drop's stroke: it
is found by its lower half, hanging below the level the drop falls to. A
mark at the foot of a drop that ends the curve is found with that drop
(:func:`digitize.trace.final_drop`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from digitize.trace import INKED, ArmPath, final_drop, ink_run

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
        sticks out above the line; NaN for a mark at the foot of a drop
        that ends the curve, see :func:`digitize.trace.final_drop`) and
        ``first_col, last_col`` (the columns it covers, its horizontal bar
        included as far as it reaches; none for a mark at the foot of a
        drop).

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
    # The bar or tip of a mark at the foot of a drop that ends the curve reads as a short run at its end.
    final = final_drop(own, path)
    if final is not None:
        candidates = candidates[cols[candidates] < final.x_px - width - 2]
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
    marks += _marks_at_drop_feet(inked, path, [mark["x_px"] for mark in marks])
    marks = pd.DataFrame(marks, columns=["x_px", "y_px", "height_px", "first_col", "last_col"])
    marks = marks.sort_values("x_px", kind="stable", ignore_index=True)
    final = final_drop(own, path, mark_half_px(marks, width))
    if final is not None and final.marked:
        marks.loc[len(marks)] = _foot_mark(final.x_px, final.y_px, np.nan)
    return marks


def _marks_at_drop_feet(inked: np.ndarray, path: ArmPath, found_x_px: list[float]) -> list[dict]:
    """Marks drawn at the foot of a drop (a censoring at an event time), found by what hangs below.

    Such a mark's upper half lies on the drop's stroke, so it does not stick
    out above any level; its lower half hangs below the level the drop falls
    to, where a drop's stroke stops. A lower level that ends within a mark's
    reach is skipped: the ink below it is the next drop's stroke.
    """
    width = path.line_width_px
    rows, cols = path.rows, path.cols
    reach = int(np.ceil(width)) + 1
    least = max(MIN_MARK_PX, MIN_MARK_WIDTHS * width)
    found = np.asarray(found_x_px, float)
    marks = []
    for i in np.flatnonzero(np.diff(rows) > 0) + 1:
        lower = rows[i]
        if i + 2 * reach >= len(rows) or rows[i + 2 * reach] != lower:
            continue
        near = np.arange(max(0, i - reach), i + reach + 1)
        runs = [ink_run(inked[:, cols[j]], lower) for j in near]
        hang = np.array([0.0 if run is None else run[1] - lower - width / 2 for run in runs])
        if hang.max() < least:
            continue
        centre = float(np.average(cols[near], weights=np.where(hang >= least, hang, 0.0)))
        if len(found) and np.abs(found - centre).min() <= width + 2:
            continue  # already found by what it sticks out above the line
        marks.append(_foot_mark(centre, float(lower), float(hang.max())))
    return marks


def _foot_mark(x_px: float, y_px: float, height_px: float) -> dict:
    """A mark at the foot of a drop. It covers no columns (``last_col < first_col``): measuring
    the drop and the level through it was already right before such marks were found."""
    column = int(np.floor(x_px))
    return {"x_px": x_px, "y_px": y_px, "height_px": height_px, "first_col": column + 1, "last_col": column}


def _ink_top(column: np.ndarray, row: int) -> int:
    """Top row of the inked run through (or within a pixel of) ``row`` in one column; ``row`` if none."""
    run = ink_run(column, row)
    return row if run is None else run[0]


def mark_half_px(marks: pd.DataFrame, width: float) -> float | None:
    """How far the marks reach from the line's centre (median, px); None without marks."""
    heights = marks["height_px"].dropna()
    if heights.empty:
        return None
    return float(heights.median() + width / 2 + 0.5)


def marked_columns(marks: pd.DataFrame) -> np.ndarray:
    """All columns covered by censor marks, to leave out when measuring the line."""
    if marks.empty:
        return np.empty(0, dtype=int)
    return np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(marks.first_col, marks.last_col)]))
