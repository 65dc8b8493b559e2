"""Tracing a Kaplan-Meier step curve through its arm's pixels.

A KM curve only falls. Read column by column across the plot, its row never
goes up (rows grow downwards), so the best path through an arm's pixels under
that constraint is found exactly by dynamic programming over columns, as in
seam carving, with a fixed price per drop so that anti-aliasing does not
create false steps. Where another curve crosses or covers the arm (or text,
or a band fill) the arm's own ink is missing, but the path may pass through
the other ink at a reduced price: the arm is followed through crossings and
overlaps instead of jumping to the nearest visible piece of its colour.

The path is then turned into a step function measured to sub-pixel precision:
each level at the ink-weighted centre of its line (not its edge: lines are
1-4 px wide), each drop at the centre of its vertical stroke, read from where
the upper level's top edge ends and the lower level's bottom edge begins.

All positions here are in the pixels of the array passed in (the plot crop),
``x_px`` a column and ``y_px`` a row, floats for sub-pixel.

References
----------
Avidan, S. and Shamir, A. (2007). Seam carving for content-aware image
resizing. ACM Transactions on Graphics 26(3) (the column-by-column dynamic
programme, here with a monotone constraint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d, uniform_filter1d

#: Price (in columns of missing ink) of one drop of the path.
DROP_COST = 1.0
#: How much a column of other ink (another arm, text) counts as the arm's own, 0-1.
OCCLUDED_SUPPORT = 0.6
#: Price of each column after a path has ended: below riding other ink, above the arm's own ...
ENDED_COST = 0.35
#: ... or, for a line that must not be given up before it starts (see :func:`trace_path`), of each
#: column after its end that holds the arm's ink, left unread: above riding other ink.
UNREAD_COST = 0.7
#: A line less than half as thick across its upright strokes as down its columns is drawn under a band
#: of censor marks (see :func:`upright_stroke_width`), and traced again at its own width.
THINNER_UPRIGHT = 0.5
#: Alpha at which a pixel counts as inked.
INKED = 0.5
#: Two arms traced together (:func:`trace_pair`) are placed in bands of rows a line width and a
#: pixel high, at most this many across the plot.
JOINT_BANDS = 200
#: Price per column of the first arm running below the second: where the ink cannot tell whether
#: two arms that touch crossed (one drop's end meeting the other's level), they did not ...
ORDER_COST = 5e-4
#: ... and of the first arm below the second at all, for two arms drawn alike (see :func:`trace_pair`).
UNCROSSED_COST = 1e4


@dataclass(frozen=True)
class ArmPath:
    """The pixel path of one arm: its row in each column from ``first_col`` on.

    Attributes
    ----------
    first_col : int
        Column of the first traced pixel.
    rows : ndarray of int
        Row of the line centre in each column, non-decreasing.
    line_width_px : float
        Stroke width, from the ink summed across the line.
    seen, hidden : float
        Share of the traced columns where the arm's own ink is visible, and
        where it is covered by other ink (the rest shows neither).
    coverage : float
        Share of the columns holding the arm's ink that the path passes
        through it: low when the ink does not draw one falling line.
    line_type : str
        ``"solid"`` or ``"dashed"``, as read by :func:`separate_line_types`
        (:func:`trace_path` does not look).
    """

    first_col: int
    rows: np.ndarray
    line_width_px: float
    seen: float
    hidden: float
    coverage: float
    line_type: str = "solid"

    @property
    def cols(self) -> np.ndarray:
        return self.first_col + np.arange(len(self.rows))


def trace_path(own: np.ndarray, other: np.ndarray, line_width_px: float | None = None,
               keep_on: bool = False) -> ArmPath | None:
    """Trace one arm as a non-rising path through its pixels (dynamic programming over columns).

    Parameters
    ----------
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink in each pixel (see :func:`digitize.colours.arm_alpha`).
    other : ndarray, shape (h, w), float
        Alpha of any other ink (other arms, text, fills), 0-1.
    line_width_px : float, optional
        The line's width, when known from other ink than ``own`` (a dashed line's, measured on
        its dashes before the gaps between them were bridged); by default measured on ``own``.
    keep_on : bool
        For a line known to be there (a dashed line traced over its bridged dash pattern): if the
        path gives up all its ink, trace it again with each column of the ink left after the
        path's end priced as unread (:data:`UNREAD_COST`). A thin line falling steeply in a
        small figure drops a pixel every column or two, and each drop is priced: followed, it
        may cost more than ending the path at once.

    Returns
    -------
    ArmPath or None
        None when no line of the arm's ink is found.
    """
    inked_cols = np.flatnonzero((own >= INKED).any(axis=0))
    if len(inked_cols) == 0:
        return None
    # Curves may start hidden under another arm (all start at (0, 1)), so trace from the plot's left edge.
    last = int(inked_cols[-1])
    if line_width_px is not None:
        return _traced(own[:, : last + 1], other[:, : last + 1], line_width_px, keep_on, len(inked_cols))
    width = stroke_width(own[:, : last + 1])
    path = _traced(own[:, : last + 1], other[:, : last + 1], width, keep_on, len(inked_cols))
    upright = None if path is None else upright_stroke_width(own, path)
    if upright is not None and upright < THINNER_UPRIGHT * width:
        path = _traced(own[:, : last + 1], other[:, : last + 1], upright, keep_on, len(inked_cols))
    return path


def _traced(own: np.ndarray, other: np.ndarray, width: float, keep_on: bool, n_inked_cols: int) -> ArmPath | None:
    """The path of :func:`trace_path` through ``own`` (cut after its last inked column), for a line ``width`` px wide."""
    # Ink summed across a line-width window: a full line gives 1 wherever the line falls on the pixel grid.
    size = int(round(width)) + 1
    # Below the arm's lowest ink a path never meets its ink again (it cannot rise): leave those rows out.
    bottom = min(own.shape[0], int(np.flatnonzero((own >= INKED).any(axis=1))[-1]) + size + 1)
    own, other = own[:bottom], other[:bottom]
    support = np.minimum(1.0, uniform_filter1d(own, size, axis=0, mode="constant") * size / width)
    covered = np.minimum(1.0, uniform_filter1d(other, size, axis=0, mode="constant") * size / width)
    cost = 1.0 - np.maximum(support, OCCLUDED_SUPPORT * covered)
    rows = _monotone_path(cost, np.full(cost.shape[1], ENDED_COST))
    if keep_on and not (support[rows, np.arange(len(rows))] >= INKED).any():
        rows = _monotone_path(cost, np.where((own >= INKED).any(axis=0), UNREAD_COST, ENDED_COST))
    cols = np.arange(len(rows))
    seen = support[rows, cols] >= INKED
    hidden = ~seen & (covered[rows, cols] >= INKED)
    # The line ends where its own ink ends; it starts where the ink along the path (own or covering) starts.
    seen_cols = np.flatnonzero(seen)
    if len(seen_cols) == 0:
        return None
    start, stop = int(seen_cols[0]), int(seen_cols[-1]) + 1
    while start > 0 and hidden[start - 1]:
        start -= 1
    return ArmPath(
        first_col=start,
        rows=rows[start:stop],
        line_width_px=width,
        seen=float(seen[start:stop].mean()),
        hidden=float(hidden[start:stop].mean()),
        coverage=float(seen.sum() / n_inked_cols),
    )


def trace_pair(first: np.ndarray, second: np.ndarray, other: np.ndarray, line_width_px: float,
               may_cross: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Trace two arms together, as one dynamic programme over the pair's rows in each column.

    Two arms drawn in one ink cannot be told apart pixel by pixel, and traced
    one at a time the first takes the best line through all of it: where the
    curves cross it keeps to the upper one (the upper envelope also only
    falls), and the second is left the rest. Traced together, each line of
    ink is one arm's own: an arm on the same line as the other is hidden
    under it and pays the price of riding other ink (:data:`OCCLUDED_SUPPORT`),
    so the two spread over the lines drawn. Two lines told apart by their
    ink (a solid and a dashed one, each arm given its own map) may cross: a
    drop through the other arm's level costs one drop where bouncing off it
    costs two; where nothing tells, they keep their order (:data:`ORDER_COST`).
    Two lines drawn alike never cross (``may_cross``).

    The states are pairs of rows, so the rows (from the arms' first ink to
    their last) are pooled into bands a line width and a pixel high, at most
    :data:`JOINT_BANDS`: enough to tell which line of ink is whose;
    :func:`trace_path` then reads each arm's line to the pixel from the ink
    this assigns it.

    Parameters
    ----------
    first, second : ndarray, shape (h, w), float
        Alpha of each arm's ink (the same array for two arms of one ink).
    other : ndarray, shape (h, w), float
        Alpha of any other ink (other arms, text, fills), 0-1.
    line_width_px : float
        Width of the arms' lines (where two lines run close, few columns show one alone to
        measure it in, as :func:`trace_path` does).
    may_cross : bool
        False for two lines drawn alike: where one falls through the other's level, the ink
        cannot tell a crossing from both arms falling at the same time (ties, common in
        whole-week or whole-month times), so the first arm is kept above the second.

    Returns
    -------
    first_rows, second_rows : ndarray of int, shape (w,)
        Each arm's row in each column, the row of its band with most of its
        ink; -1 in the columns after its line has ended.
    """
    size = int(round(line_width_px)) + 1
    # Paths never rise, so rows above the arms' first ink and below their last (and columns
    # after it) are left out: the programme's cost grows with the square of the rows.
    inked = (first >= INKED) | (second >= INKED)
    ink_rows, ink_cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if len(ink_rows) == 0:
        return np.full(first.shape[1], -1), np.full(first.shape[1], -1)
    top, bottom = int(ink_rows[0]), min(first.shape[0], int(ink_rows[-1]) + size + 1)
    crop = (slice(top, bottom), slice(0, int(ink_cols[-1]) + 1))
    height, width = bottom - top, crop[1].stop
    supports = [np.minimum(1.0, uniform_filter1d(alpha[crop], size, axis=0, mode="constant") * size / line_width_px)
                for alpha in (first, second, other)]
    band = max(int(np.ceil(line_width_px)) + 1, -(-height // JOINT_BANDS))
    n_bands = -(-height // band)
    pooled = [np.pad(support, ((0, n_bands * band - height), (0, 0))).reshape(n_bands, band, width).max(axis=1).T
              for support in supports]
    first_ink, second_ink, covered = pooled  # (w, n_bands) each
    # Alone in a band each arm pays for missing ink as trace_path does; the last state is "ended".
    alone = [np.c_[1.0 - np.maximum(ink, OCCLUDED_SUPPORT * covered), np.full(width, ENDED_COST)].astype(np.float32)
             for ink in (first_ink, second_ink)]
    # In one band, or next to each other, one arm's line hides the other's: the hidden arm's own ink
    # there counts only as cover. Whichever of the two is on top, the cheaper.
    together = []
    for offset in (-1, 0, 1):
        a = slice(max(0, -offset), n_bands - max(0, offset))
        b = slice(max(0, offset), n_bands - max(0, -offset))
        seen = np.maximum(first_ink[:, a], second_ink[:, b])
        first_on_top = alone[0][:, a] + 1.0 - OCCLUDED_SUPPORT * np.maximum(seen, covered[:, b])
        second_on_top = alone[1][:, b] + 1.0 - OCCLUDED_SUPPORT * np.maximum(seen, covered[:, a])
        together.append((np.arange(n_bands)[a], np.arange(n_bands)[b], np.minimum(first_on_top, second_on_top)))
    states = n_bands + 1
    near = np.concatenate([rows_a * states + rows_b for rows_a, rows_b, _ in together])
    near_cost = np.concatenate([pair for _, _, pair in together], axis=1).astype(np.float32)
    first_below = np.tril(np.full((states, states), ORDER_COST if may_cross else UNCROSSED_COST, dtype=np.float32), k=-1)

    def column_cost(col: int) -> np.ndarray:
        cost = alone[0][col][:, None] + alone[1][col][None, :]
        cost.flat[near] = near_cost[col]
        cost += first_below
        return cost

    bands = _joint_monotone_paths(column_cost, width, states)
    rows = []
    for arm, ink in zip(bands.T, supports[:2]):
        # The row of the band that holds most of the arm's ink (its centre where it shows none).
        cols = np.arange(width)
        window = np.clip(np.minimum(arm, n_bands - 1)[:, None] * band + np.arange(band), 0, height - 1)
        best = window[np.arange(width), np.argmax(ink[window, cols[:, None]], axis=1)]
        centre = np.minimum(arm * band + band // 2, height - 1)
        best = np.where(ink[best, cols] > 0, best, centre)
        rows.append(np.r_[np.where(arm == n_bands, -1, top + best), np.full(first.shape[1] - width, -1)])
    return rows[0], rows[1]


def _joint_monotone_paths(column_cost, width: int, states: int) -> np.ndarray:
    """Cheapest pair of paths, each taking one state per column and never going to a lower state.

    As :func:`_monotone_path` for two paths at once: the cost of a column
    depends on both states (``column_cost(col)``, shape (states, states)),
    staying is free and each path's move costs :data:`DROP_COST`. The last
    state is the end of a path. A move of both paths is the move of the
    first followed by the move of the second, so each column takes two
    running minima, one along each axis. Rather than a pointer for every
    state, the totals entering each column are kept and the one path is
    followed back through them; ties go to staying, then to the
    lowest-indexed state, so the result is deterministic.

    Returns
    -------
    ndarray of int, shape (width, 2)
        Both paths' states in every column.
    """
    entering = np.empty((width, states, states), dtype=np.float32)
    total = column_cost(0)
    for col in range(1, width):
        entering[col] = total
        total = _drop_either(_drop_either(total, axis=0), axis=1) + column_cost(col)
    path = np.empty((width, 2), dtype=np.int64)
    first, second = divmod(int(np.argmin(total)), states)
    for col in range(width - 1, 0, -1):
        path[col] = first, second
        # The second path's move was taken last: undo it on the row of totals after the first's.
        before = entering[col]
        row = _drop_either(before[: first + 1], axis=0)[first]
        second = _came_from(row, second)
        first = _came_from(before[:, second], first)
    path[0] = first, second
    return path


def _drop_either(total: np.ndarray, axis: int) -> np.ndarray:
    """Totals after one path (the one along ``axis``) may move to a lower state at :data:`DROP_COST`."""
    best_above = np.minimum.accumulate(total, axis=axis)
    moved = total.copy()
    if axis == 0:
        np.minimum(total[1:], best_above[:-1] + DROP_COST, out=moved[1:])
    else:
        np.minimum(total[:, 1:], best_above[:, :-1] + DROP_COST, out=moved[:, 1:])
    return moved


def _came_from(totals: np.ndarray, state: int) -> int:
    """The state one path came from to ``state``, from the totals of its states before the move
    (the other path's state fixed): staying unless a move from above is cheaper."""
    if state == 0:
        return 0
    above = int(np.argmin(totals[:state]))
    return above if totals[above] + np.float32(DROP_COST) < totals[state] else state


def _monotone_path(cost: np.ndarray, ended_cost: np.ndarray) -> np.ndarray:
    """Cheapest path through ``cost`` (h, w) taking one row per column, the row never decreasing.

    Staying on a row is free, moving down costs :data:`DROP_COST`. The path
    starts in the first column and may stop early: each column after its end
    costs ``ended_cost`` (shape (w,); :data:`ENDED_COST`, less than riding
    another arm's line, so a curve that ends is not continued along its
    neighbours). Ties go to the lowest-indexed choice, so the result is deterministic.

    Returns
    -------
    ndarray of int
        The row in each column from the first to the path's last.
    """
    height, width = cost.shape
    index = np.arange(height)
    by_column = np.ascontiguousarray(cost.T, dtype=np.float64)
    came_from = np.empty((width, height), dtype=np.int32)
    best_end, best_end_row = np.empty(width), np.empty(width, dtype=np.int64)
    total = by_column[0].copy()
    came_from[0] = index
    best_end_row[0] = int(np.argmin(total))
    best_end[0] = total[best_end_row[0]]
    # Buffers reused column after column: each column's work is a dozen small array operations.
    drop = np.full(height, np.inf)
    best_above_row, from_above = np.empty(height, dtype=np.int64), np.zeros(height, dtype=np.int64)
    for col in range(1, width):
        best_above = np.minimum.accumulate(total)
        np.maximum.accumulate(np.where(total == best_above, index, 0), out=best_above_row)
        np.add(best_above[:-1], DROP_COST, out=drop[1:])
        from_above[1:] = best_above_row[:-1]
        came_from[col] = np.where(drop < total, from_above, index)
        np.minimum(total, drop, out=total)
        total += by_column[col]
        best_end_row[col] = int(np.argmin(total))
        best_end[col] = total[best_end_row[col]]
    after_end = np.r_[np.cumsum(ended_cost[::-1])[::-1][1:], 0.0]  # the price of the columns after each
    end = int(np.argmin(best_end + after_end))
    rows = np.empty(end + 1, dtype=np.int64)
    rows[-1] = best_end_row[end]
    for col in range(end, 0, -1):
        rows[col - 1] = came_from[col, rows[col]]
    return rows


def stroke_width(own: np.ndarray) -> float:
    """Line width (px): over columns crossed by one short run of ink, the lower quartile of the
    ink summed down the column (see :func:`_short_run_width`); 1 px when no column is."""
    width = _short_run_width(own)
    return 1.0 if width is None else width


def _short_run_width(own: np.ndarray) -> float | None:
    """Width (px) of the lines crossing the columns of ``own``: over columns crossed by one short
    run of ink, the lower quartile of the ink summed down the column; None when no column is.

    Columns through drops and censor marks hold more ink than the line, hence
    the lower quartile rather than the median. Ink that draws two lines most
    of the way (two arms of one colour) shows one run of double width only
    where they overlap: then columns of two or three runs count too, each
    run its share of the column's ink.
    """
    inked = own >= INKED
    n_inked = inked.sum(axis=0)
    # Runs no taller together than a quarter of the plot: level stretches of lines.
    runs = (inked[1:] & ~inked[:-1]).sum(axis=0) + inked[0]
    short = (n_inked > 0) & (n_inked <= own.shape[0] // 4)
    lines = short & (runs == 1)
    if lines.sum() < (short & (runs <= 3)).sum() / 2:
        lines = short & (runs <= 3)
    if not lines.any():
        return None
    return float(max(1.0, np.percentile(own[:, lines].sum(axis=0) / runs[lines], 25)))


def upright_stroke_width(own: np.ndarray, path: ArmPath) -> float | None:
    """Line width (px) across the upright strokes along a traced path (its drops, and censor marks,
    drawn in the line's width): :func:`_short_run_width` of the ink near the path, read along rows.

    Censor marks drawn closer than their own width merge into a solid band along
    the curve (hundreds of marks on a large data set): every column through it
    holds a mark's height of ink, and the width down the columns is the marks'.
    Only ink within that width of the path is read (not text or other lines of
    the arm's colour). None when no row crosses a short stroke there.
    """
    reach = int(np.ceil(path.line_width_px / 2)) + 1
    rows, cols = path.rows, path.cols
    # In each column, the rows from the path's row ``reach`` columns before to its row ``reach``
    # columns after: a drop's whole stroke, on both sides of the column the path drops in.
    steps = np.arange(len(rows))
    top = np.maximum(0, rows[np.maximum(0, steps - reach)] - reach)
    bottom = np.minimum(own.shape[0], rows[np.minimum(len(rows) - 1, steps + reach)] + reach + 1)
    grid = np.arange(own.shape[0])[:, None]
    near = np.zeros(own.shape, dtype=bool)
    near[:, cols] = (grid >= top) & (grid < bottom)
    return _short_run_width(np.where(near, own, 0.0)[:, cols[0] : cols[-1] + 1].T)


def ink_run(column: np.ndarray, row: int) -> tuple[int, int] | None:
    """First and last row of the inked run through (or within a pixel of) ``row`` in one column of booleans; None if none."""
    near = [r for r in (row, row - 1, row + 1) if 0 <= r < len(column) and column[r]]
    if not near:
        return None
    top = bottom = near[0]
    while top > 0 and column[top - 1]:
        top -= 1
    while bottom < len(column) - 1 and column[bottom + 1]:
        bottom += 1
    return top, bottom


@dataclass(frozen=True)
class FinalDrop:
    """A drop at the very end of a curve, where the path stops on the level above it.

    Attributes
    ----------
    x_px : float
        Centre column of the drop's vertical stroke.
    y_px : float
        Row of the level it falls to (the curve's last level).
    marked : bool
        Whether a censor mark is drawn at its foot.
    """

    x_px: float
    y_px: float
    marked: bool


def final_drop(own: np.ndarray, path: ArmPath, mark_half_px: float | None = None) -> FinalDrop | None:
    """The vertical stroke hanging from the end of a traced path, read as the curve's last drop.

    When the last event time is also the last follow-up time (everyone left
    is censored there), the curve ends with a drop and nothing to the right
    of it but, in most styles, a censor mark at its foot. The path does not
    follow such a stroke down (a level of no length is not worth a drop's
    price), so it is read here: ink running from the path's last level
    further down than up (a mark on a level reaches as far up as down).

    Parameters
    ----------
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink.
    path : ArmPath
        From :func:`trace_path`.
    mark_half_px : float, optional
        How far the arm's upright censor marks reach from the line's centre,
        when it has any: a stroke whose foot ends in a ``|`` mark reaches that
        far below the last level.

    Returns
    -------
    FinalDrop or None
        None when no stroke hangs from the end of the path.

    Notes
    -----
    The level fallen to is found from the foot of the stroke: at the bar of a
    ``+`` mark (or a short level) leaving it sideways; else ``mark_half_px`` above the foot
    (a ``|`` mark), unless the stroke reaches the bottom of the plot (a fall
    to 0 leaves no one to censor); else half a line width above the foot.
    """
    inked = own >= INKED
    width = path.line_width_px
    last, row = int(path.cols[-1]), int(path.rows[-1])
    reach = int(np.ceil(width)) + 2
    thickness = int(np.ceil(width))
    stroke_cols = []
    for col in range(max(int(path.first_col), last - reach), min(own.shape[1], last + reach + 1)):
        # A stroke's pixels may step sideways by one (anti-aliasing): read it a line width wide.
        run = ink_run(inked[:, col : col + thickness].any(axis=1), row)
        if run is not None and (run[1] - row) - (row - run[0]) > width + 2:
            stroke_cols += [(c, run[1]) for c in range(col, min(own.shape[1], col + thickness))]
    if not stroke_cols:
        return None
    bottom = max(foot for _, foot in stroke_cols)
    below = slice(row + thickness + 1, bottom + 1)
    cols = np.unique([col for col, _ in stroke_cols])
    weight = own[below, cols].sum(axis=0)
    if weight.sum() < INKED:
        return None
    cols, weight = cols[weight > 0], weight[weight > 0]
    x_px = float(np.average(cols, weights=weight))
    bar = _bar_row(inked, own, below, cols[0], cols[-1], width)
    if bar is not None:
        return FinalDrop(x_px, *bar)
    at_plot_bottom = bottom >= own.shape[0] - 1 - width
    if mark_half_px is not None and not at_plot_bottom and bottom + 0.5 - mark_half_px > row + width:
        return FinalDrop(x_px, bottom + 0.5 - mark_half_px, True)
    return FinalDrop(x_px, bottom + 0.5 - width / 2, False)


def _bar_row(inked: np.ndarray, own: np.ndarray, rows: slice, first_col: int, last_col: int,
             width: float) -> tuple[float, bool] | None:
    """The line leaving a stroke (columns ``first_col-last_col``) sideways within ``rows``, at its foot.

    Returns its centre row and whether it leaves to the left: then it is the
    bar of a ``+`` mark (a level only runs on to the right of its drop;
    the bar's right half may be cut off by the plot's edge). None when no
    line leaves the stroke.
    """
    arm = int(max(2, np.ceil(width)))  # how far a bar reaches past the stroke on each side, at least
    if rows.start >= rows.stop:
        return None
    left = inked[rows, max(0, first_col - arm) : first_col]
    right = inked[rows, last_col + 1 : last_col + 1 + arm]
    to_left = (left.shape[1] == arm) & left.all(axis=1)
    to_right = (right.shape[1] == arm) & right.all(axis=1)
    if not (to_left | to_right).any():
        return None
    # Rows next to a leaving row weigh in too (a bar's antialiased edges); a filter keeps the
    # length of a window cut short by the image's edge, where np.convolve's "same" would not.
    band = maximum_filter1d((to_left | to_right).astype(np.uint8), size=3) > 0
    weight = own[rows, max(0, first_col - arm) : first_col].sum(axis=1) + own[rows, last_col + 1 : last_col + 1 + arm].sum(axis=1)
    weight = np.where(band, weight, 0.0)
    return float(rows.start + np.average(np.arange(len(weight)), weights=weight)), bool(to_left.any())


def step_corners(own: np.ndarray, path: ArmPath, skip_cols=(), mark_x_px=(), other=None,
                 final: FinalDrop | None = None) -> pd.DataFrame:
    """The corners of the step function along a traced path, to sub-pixel precision.

    Parameters
    ----------
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink.
    path : ArmPath
        From :func:`trace_path`.
    skip_cols : array of int
        Columns not to measure from (censor marks stick out of the line there).
    mark_x_px : array of float
        Columns of censor marks: a drop whose edges a mark hides is placed at the mark.
    other : ndarray, shape (h, w), float, optional
        Alpha of other ink: a level hidden under another arm is centred on that ink.
    final : FinalDrop, optional
        A drop at the end of the path (see :func:`final_drop`): the curve ends at its foot.

    Returns
    -------
    pandas.DataFrame
        Columns ``x_px, y_px``: the start, both ends of every drop, and the
        end, in order; ``x_px`` and ``y_px`` non-decreasing. A curve whose
        line runs on into a censor mark ends at the mark's centre.
    """
    skipped = np.zeros(own.shape[1], dtype=bool)
    skip_cols = np.asarray(skip_cols, dtype=int)
    skipped[skip_cols[(skip_cols >= 0) & (skip_cols < len(skipped))]] = True
    own = np.where(skipped, 0.0, own)
    width = path.line_width_px
    levels = _levels(own, path, other)
    end = path.cols[-1] + 0.5 - width / 2
    mark_x_px = np.asarray(mark_x_px, float)
    end_mark = _end_mark(skipped, mark_x_px, path, width)
    if end_mark is not None:
        end = end_mark  # the line runs on into the bar of a mark at its end
    if final is not None:
        end = final.x_px
    x_px = [min(path.first_col - 0.5 + width / 2, end)]
    y_px = [levels[0][2]]
    for (_, _, upper), (start, _, lower) in zip(levels[:-1], levels[1:]):
        drop_x = _drop_column(own, skipped, upper, lower, start, width, mark_x_px)
        x_px += [drop_x, drop_x]
        y_px += [upper, lower]
    if final is not None and final.y_px > levels[-1][2]:
        x_px += [final.x_px, final.x_px]
        y_px += [levels[-1][2], final.y_px]
    x_px.append(end)
    y_px.append(y_px[-1])
    x_px = np.maximum.accumulate(np.clip(x_px, x_px[0], end))
    return pd.DataFrame({"x_px": x_px, "y_px": y_px})


def _end_mark(skipped: np.ndarray, mark_x_px: np.ndarray, path: ArmPath, width: float) -> float | None:
    """Column of the censor mark the path ends in, if it ends within a line width of a mark's columns."""
    last = int(path.cols[-1])
    near = np.flatnonzero(skipped[max(path.first_col, last - int(np.ceil(width))) : last + 1])
    if len(near) == 0:
        return None
    first = max(path.first_col, last - int(np.ceil(width))) + int(near[-1])
    while first > path.first_col and skipped[first - 1]:
        first -= 1
    inside = mark_x_px[(mark_x_px >= first) & (mark_x_px <= last + 0.5)]
    return float(inside.max()) if len(inside) else None


def _levels(own: np.ndarray, path: ArmPath, other=None) -> list[tuple[int, int, float]]:
    """Level stretches of the path as (first col, last col, centre row).

    Stretches whose centres are less than half a pixel apart are one level
    split by anti-aliasing, and are merged.
    """
    cols, rows, width = path.cols, path.rows, path.line_width_px
    levels: list[tuple[int, int, float]] = []
    for piece in np.split(np.arange(len(rows)), np.flatnonzero(np.diff(rows)) + 1):
        first, last, row = int(cols[piece[0]]), int(cols[piece[-1]]), int(rows[piece[0]])
        centre = _centre(own, first, last, row, width, other)
        if levels and abs(centre - levels[-1][2]) < 0.5:
            first = levels.pop()[0]
            centre = _centre(own, first, last, row, width, other)
        levels.append((first, last, centre))
    centres = np.maximum.accumulate([level[2] for level in levels])
    return [(first, last, float(c)) for (first, last, _), c in zip(levels, centres)]


def _centre(own: np.ndarray, first: int, last: int, row: int, width: float, other=None) -> float:
    """Ink-weighted centre row of a level stretch, away from the strokes at its ends.

    A stretch with no ink of its own (hidden under another arm) is centred on
    the covering ink, when given.
    """
    margin = int(np.ceil(width)) + 1
    inner = slice(first + margin, last - margin + 1) if last - first > 2 * margin else slice(first, last + 1)
    top = max(0, row - margin)
    for ink in (own, other):
        if ink is None:
            continue
        window = ink[top : row + margin + 1, inner]
        weight = window.sum()
        if weight >= INKED:
            return float(top + (window.sum(axis=1) * np.arange(window.shape[0])).sum() / weight)
    return float(row)


def _drop_column(own, skipped, upper: float, lower: float, start: int, width: float, mark_x_px) -> float:
    """Column of the vertical stroke from level ``upper`` down to ``lower``, near column ``start``.

    The upper level's top edge runs on to the stroke's right side and the
    lower level's bottom edge starts from its left side, so the stroke's
    centre is half-way between where the one ends and the other begins. An
    edge cut short by a censor mark (a skipped column) is not used.
    """
    last_col = own.shape[1] - 1
    reach = 2 * int(np.ceil(width)) + 8
    middle = int(round((upper + lower) / 2))
    if lower - upper > 2 * width + 2:
        # A tall drop: its stroke shows alone half-way down, clear of both levels (and of most marks).
        near = np.flatnonzero(own[middle, max(0, start - reach) : start + reach] >= INKED)
        if len(near) and near[-1] - near[0] <= 2 * width + 1:
            lo = max(0, start - reach)
            left, right = lo + near[0], lo + near[-1]
            left_edge = left - 0.5 - (own[middle, left - 1] if left > 0 else 0.0)
            right_edge = right + 0.5 + (own[middle, right + 1] if right < last_col else 0.0)
            return float((left_edge + right_edge) / 2)
    top_row = int(np.clip(round(upper - (width - 1) / 2), 0, own.shape[0] - 1))
    bottom_row = int(np.clip(round(lower + (width - 1) / 2), 0, own.shape[0] - 1))
    estimates = []
    top_end = _run_end(own[top_row], start - 1, +1)
    if top_end is not None and not (top_end < last_col and skipped[top_end + 1]):
        right_edge = top_end + 0.5 + (own[top_row, top_end + 1] if top_end < last_col else 0.0)
        estimates.append(right_edge - width / 2)
    bottom_start = _run_end(own[bottom_row], start, -1)
    if bottom_start is not None and not (bottom_start > 0 and skipped[bottom_start - 1]):
        left_edge = bottom_start - 0.5 - (own[bottom_row, bottom_start - 1] if bottom_start > 0 else 0.0)
        estimates.append(left_edge + width / 2)
    # Edges run on into neighbouring marks or steps on busy curves; trust only estimates near the path's drop.
    estimates = [x for x in estimates if abs(x - (start - 0.5)) <= reach]
    if estimates:
        return float(np.mean(estimates))
    # Both edges hidden by a censor mark: lifelines and survminer draw it at the drop.
    near = mark_x_px[np.abs(mark_x_px - start) <= width + 2]
    return float(near[np.argmin(np.abs(near - start))]) if len(near) else start - 0.5


def _run_end(values: np.ndarray, col: int, step: int) -> int | None:
    """Last column of the inked run through ``col`` going in direction ``step``; None if ``col`` is not inked."""
    if not 0 <= col < len(values) or values[col] < INKED:
        return None
    while 0 <= col + step < len(values) and values[col + step] >= INKED:
        col += step
    return col


def trace_arms(alphas: np.ndarray, any_ink: np.ndarray) -> list[ArmPath | None]:
    """Trace every arm, each free to pass through the ink of the others (see :func:`trace_path`).

    Parameters
    ----------
    alphas : ndarray, shape (n_arms, h, w)
        Each arm's ink alpha.
    any_ink : ndarray, shape (h, w)
        How much each pixel is inked at all, 0-1.
    """
    return [trace_path(own, np.where(own >= INKED, 0.0, any_ink)) for own in alphas]
