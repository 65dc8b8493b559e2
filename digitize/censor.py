"""Censor marks: the small ``+``, ``|`` or tick marks drawn on a KM curve where a patient was censored.

A censor mark sticks out of its curve, above the line, at a column where the
curve does not rise: the vertical stroke of a drop reaches up only to the
level on its left, a mark reaches above it. So a mark is found, on each
traced arm, as a run of columns where the arm's own ink, continuous with the
line, rises higher than the line did just before. A mark drawn at an event
time sits at the foot of the drop, its upper half on the drop's stroke: it
is found by its lower half, hanging below the level the drop falls to. A
mark at the foot of a drop that ends the curve is found with that drop
(:func:`digitize.trace.final_drop`). Some styles draw marks in a darker shade
of the arm's colour (SAS; matplotlib's opaque marks on a line blended with a
band), and marks a pixel wide show faint: the arm's alpha does not own them,
but they count as the arm's ink here (:func:`borrowed_ink`). A staircase of
small steps (a large arm's steep fall) sticks out of its levels at every
corner, a pixel or two each way: which candidates are marks is decided over
the figure, by the one form all its marks share (:func:`marks_of_one_form`).
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from digitize.colours import INK_DELTA_E, PlotInk, to_lab
from digitize.trace import INKED, ArmPath, final_drop, ink_run

#: A mark sticks out of the line by at least this many pixels ...
MIN_MARK_PX = 2.0
#: ... and at least this many line widths.
MIN_MARK_WIDTHS = 0.6
#: Marks merged into a bar wider than tall hang below the line at least this share of their rise.
MERGED_HANG = 0.5
#: A mark reaches across the line at most this many line widths tall.
MAX_MARK_WIDTHS = 8
#: Ink rising further than this many line widths above the line is no mark (but a drop's stroke).
MAX_RISE_WIDTHS = 2 * MAX_MARK_WIDTHS
#: Marks merged into a bar are read up to this many line widths long.
MAX_BAR_WIDTHS = 20
#: A darker shade of an arm's colour lies on the ray from the background through it, up to this
#: many times as far from the background ...
MAX_SHADE = 1.6
#: ... within this RGB distance of the ray.
SHADE_RESIDUAL = 40.0
#: Faint strokes (see :func:`faint_strokes`) are at least this dark a share of the arm's colour ...
FAINT_ALPHA = 0.3
#: ... of a hue within this CIELAB distance of one between grey and the arm's ...
FAINT_HUE_DELTA = 15.0
#: ... and inked this many times as strongly as the row two columns to either side.
FAINT_RIDGE = 1.5
#: Pixels at least this full of an arm's colour show the colour itself (and of any ink, are solid).
FULL_ALPHA = 0.9
#: Solid ink of others hides a line only in runs down a column at most this many line widths
#: tall: taller runs are areas (overlapping band fills), not lines.
MAX_HIDING_WIDTHS = 4
#: Marks of a figure are drawn alike: a mark's reach from the line matches the figure's within this
#: many pixels (its ends and the line's centre are each read to half a pixel) ...
FORM_TOLERANCE_PX = 1.0
#: ... and this share of the reach (anti-aliasing and JPEG blur the ends of larger glyphs more).
FORM_TOLERANCE_SHARE = 0.25
#: A figure has censor marks only if at least this many candidates standing free of the steps, on
#: flat parts of its curves, share one form: without them, what sticks out of the curves is no
#: glyph (stair corners, dash ends, band edges, JPEG blur).
MIN_FORM_MARKS = 2
#: ... or this many reach as far below the line, counting marks at the feet of drops, seen by their
#: lower half only (the next small step of a staircase hangs below a drop's foot too).
MIN_FOOT_FORM_MARKS = 3
#: Kinds of candidate standing free of the steps, on a level: a glyph's form is read from them.
FREE_KINDS = ["free", "last"]
#: Columns of the censor-mark candidates of one arm (see :func:`find_censor_marks`).
MARK_COLUMNS = ["x_px", "y_px", "height_px", "kind", "above_px", "below_px", "first_col", "last_col"]
#: Dense marks thicken the traced line width (see :func:`digitize.trace.trace_path`); a line this
#: much thinner where it shows bare is measured there (see :func:`_bare_line_width`).
THINNER_BARE = 0.8


def find_censor_marks(own: np.ndarray, path: ArmPath, other: np.ndarray | None = None,
                      plot: PlotInk | None = None) -> pd.DataFrame:
    """Censor marks on one traced arm.

    Parameters
    ----------
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink (see :func:`digitize.colours.arm_alpha`).
    path : ArmPath
        The arm's traced path (see :func:`digitize.trace.trace_path`).
    other : ndarray, shape (h, w), float, optional
        Alpha of other ink; a line hidden under it still counts as line.
    plot : PlotInk, optional
        The plot's pixels (the crop ``own`` is of): marks drawn in a darker
        shade of the arm's colour, or faint, are found too (see :func:`borrowed_ink`).

    Returns
    -------
    pandas.DataFrame
        One row a candidate mark (columns :data:`MARK_COLUMNS`): ``x_px``
        (centre of the mark's upright stroke), ``y_px`` (the line's row
        there), ``height_px`` (how far it sticks out above the line; NaN for
        a mark at the foot of a drop that ends the curve, see
        :func:`digitize.trace.final_drop`), ``kind`` (how it was read:
        ``free``, ``last`` (free, where the curve ends), ``loose``,
        ``crossing``, ``bar``, ``stair``, ``head``, ``foot``, ``end``), ``above_px, below_px`` (how far it reaches above and below
        the line's centre; NaN where not seen), and ``first_col, last_col``
        (the columns where it sticks out of the line, to leave out when
        measuring the line; none for a mark at the foot of a drop or in a bar
        of merged marks). Which candidates are marks is decided over the
        whole figure (see :func:`marks_of_one_form`).

    Notes
    -----
    Where ink rises above the line, it is the vertical stroke of a drop if
    its tip joins a line running off to the left (the level before the
    drop), and a mark otherwise (see :func:`_is_drop_stroke`); a short
    stroke reaching as far below the line as above is a mark either way (a
    drop's stroke ends on the line it falls to), unless its lower part is as
    much the stroke of the next drop (a stair corner, see
    :func:`marks_of_one_form`); ink standing off only above the line is no
    mark unless a drop beside it hides its lower half. A glyph the line does
    not run on from, both ways, stands apart from it (``loose``: a piece of a
    dashed line on a staircase, a blot), see :func:`_line_both_sides`. Marks drawn closer than
    their own width merge into a bar of ink rising above and hanging below
    the line; every column of it lies within half a glyph's width of a mark, so it is read as
    one mark every glyph width (the median width of the arm's lone marks, at least the line's). Where dense marks
    thicken the traced line width, the line is measured where it shows bare
    (see :func:`_bare_line_width`).
    """
    traced_thickness = int(np.ceil(path.line_width_px))
    max_rise = MAX_RISE_WIDTHS * traced_thickness
    inked = own >= INKED
    if plot is not None:
        # Shades are looked for only where marks are read (a costly test on many pixels of bands).
        near = _near_path(path, own.shape, max_rise + 4, MAX_BAR_WIDTHS * traced_thickness + 2)
        inked = inked | borrowed_ink(plot, own, near)
    width = _bare_line_width(own, inked, path)
    thickness = int(np.ceil(width))
    line_ink = inked if other is None else inked | _solid_strokes(other, MAX_HIDING_WIDTHS * thickness)
    cols, path_rows = _run_on(inked, path, width)
    centres = _line_centres(inked, cols, path_rows, width)
    rows = np.round(centres).astype(int)
    runs = [ink_run(inked[:, col], row) for col, row in zip(cols, rows)]
    edge = (width - 1) / 2  # from the centre of a line's middle pixel to the centre of its top or bottom pixel
    rise = np.array([0.0 if run is None else centre - edge - run[0] for run, centre in zip(runs, centres)])
    hang = np.array([0.0 if run is None else run[1] - centre - edge for run, centre in zip(runs, centres)])
    # Heights are reported from the traced line's edge, as the other steps measure the line.
    to_traced_edge = (path.line_width_px - width) / 2
    tops = np.array([row if run is None else run[0] for run, row in zip(runs, rows)])
    least = max(MIN_MARK_PX, MIN_MARK_WIDTHS * width)
    sticks_out = (rise >= least) & (rise <= max_rise)
    # A short upright stroke crossing the line, as far below it as above, is a mark even where
    # it reads as a drop's stroke (which ends on the line it falls to): among steps and marks
    # merged into a band, the level left of a mark is too close to its tip to tell them apart.
    crosses = (hang >= least) & (hang >= MERGED_HANG * rise) & (rise + hang + width <= MAX_MARK_WIDTHS * width)
    by_step = np.zeros(len(cols), dtype=bool)
    stair = np.zeros(len(cols), dtype=bool)
    drops = np.flatnonzero(np.diff(path_rows) > 0) + 1
    # Turned half a turn, ink hanging below the line is ink rising above it, and the stroke of
    # the next drop is the stroke of a drop before: ink crossing the line that is both strokes
    # is a stair corner between two close drops, or a mark among them (see marks_of_one_form).
    turned = line_ink[::-1, ::-1]
    bottoms = np.array([row if run is None else run[1] for run, row in zip(runs, rows)])
    last_row, last_col = turned.shape[0] - 1, turned.shape[1] - 1
    for i in np.flatnonzero(sticks_out):
        beside_drop = bool(np.any((drops <= i) & (drops >= i - thickness)))
        by_step[i] = _is_drop_stroke(line_ink, cols[i], tops[i], rows[i], thickness, beside_drop)
        if by_step[i] and crosses[i]:
            before_drop = bool(np.any((drops > i) & (drops <= i + thickness + 1)))
            stair[i] = _is_drop_stroke(turned, last_col - cols[i], last_row - bottoms[i], last_row - rows[i],
                                       thickness, before_drop)
    sticks_out &= ~by_step | crosses
    marks = []
    candidates = np.flatnonzero(sticks_out)
    # The drop that ends a curve is read from the arm's ink and what it borrows (a mark at its
    # foot in a darker shade). The bar or tip of such a mark reads as a short run at its end.
    own_and_borrowed = np.where(inked, np.maximum(own, INKED), own)
    final = final_drop(own_and_borrowed, path)
    if final is not None:
        candidates = candidates[cols[candidates] < final.x_px - width - 2]
    runs = [run for run in np.split(candidates, np.flatnonzero(np.diff(candidates) > 1) + 1) if len(run)]
    merged_runs = [len(run) > max(3 * width, float(rise[run].max())) for run in runs]
    # Marks closer than their own width merge into one bar, every column of it within half a
    # glyph's width of a mark's centre: read it as marks a glyph's width apart, the arm's lone
    # marks' (a '|' or '+' mark's upright stroke, as wide as the line; an 'o' or 'x' as wide as tall).
    lone = [len(run) for run, merged in zip(runs, merged_runs) if not merged]
    glyph_cols = max(thickness, float(np.median(lone))) if lone else float(thickness)
    for run, merged in zip(runs, merged_runs):
        if merged and np.median(hang[run]) < MERGED_HANG * np.median(rise[run]):
            continue  # wider than tall and only above the line: another shape, not marks
        # A mark covers the columns where it sticks out (a '+' mark's bar lies along the line); a
        # bar covers none: centred on the line, with no bare line between its marks, it is the
        # best guide to the level. Nor does a mark merged with a step: its columns hold the
        # drop's stroke, which places the drop.
        for piece in np.array_split(run, int(np.ceil(len(run) / glyph_cols)) if merged else 1):
            above, below = float(rise[piece].max()) + width / 2, float(hang[piece].max()) + width / 2
            kind = ("bar" if merged else "stair" if stair[piece].any()
                    else "crossing" if by_step[piece].any()
                    else "last" if piece[-1] + np.ceil(above) + thickness >= len(cols) - 1  # its bar ends the line
                    else "free" if _line_both_sides(inked, cols, rows[piece[len(piece) // 2]], piece, thickness + 2)
                    else "loose")
            if hang[piece].max() < least:
                # A glyph drawn on the line stands off it both ways, unless its lower half lies
                # on the stroke of a drop beside it: a mark on the level the drop falls from,
                # reaching that far above that level (see marks_of_one_form).
                fallen = drops[(drops >= piece[0] - thickness) & (drops <= piece[-1] + thickness)]
                if len(fallen) == 0:
                    continue
                kind, below = "head", np.nan
                above = float(centres[fallen[0] - 1] - tops[piece].min()) + 0.5
            centre = float(np.average(cols[piece], weights=rise[piece]))
            first, last = int(cols[piece[0]]), int(cols[piece[-1]])
            if merged or by_step[piece].any():
                first, last = last + 1, last
            marks.append({"x_px": centre, "y_px": float(rows[piece[len(piece) // 2]]),
                          "height_px": float(rise[piece].max()) - to_traced_edge, "kind": kind,
                          "above_px": above, "below_px": below, "first_col": first, "last_col": last})
    marks += _marks_at_drop_feet(inked, path, width, [mark["x_px"] for mark in marks])
    marks = pd.DataFrame(marks, columns=MARK_COLUMNS)
    marks = marks.sort_values("x_px", kind="stable", ignore_index=True)
    final = final_drop(own_and_borrowed, path, mark_half_px(marks, path.line_width_px))
    if final is not None and final.marked:
        marks.loc[len(marks)] = _foot_mark(final.x_px, final.y_px, np.nan, np.nan, "end")
    return marks


def _line_both_sides(inked: np.ndarray, cols: np.ndarray, row: int, piece: np.ndarray, reach: int) -> bool:
    """Whether the line at ``row`` shows on both sides of a glyph sticking out of it (indices
    ``piece`` of the path's columns ``cols``): in at least half the ``reach`` columns before it
    and after it. A mark is drawn on a level, which runs on from it either way (or a drop's
    stroke beside it, which crosses that level); a piece of a dashed line down a staircase, or
    a blot, stands apart from it."""
    def shows(indices: range) -> bool:
        inked_there = [0 <= j < len(cols) and ink_run(inked[:, cols[j]], row) is not None for j in indices]
        return 2 * sum(inked_there) >= reach
    return shows(range(piece[0] - reach, piece[0])) and shows(range(piece[-1] + 1, piece[-1] + 1 + reach))


def _bare_line_width(own: np.ndarray, inked: np.ndarray, path: ArmPath) -> float:
    """Width (px) of an arm's line where it shows bare, when that is clearly less than the traced width.

    The traced width is the lower quartile of the ink across the arm's
    columns; where marks merge into bars along most of a curve, that quartile
    falls on marks, and marks then stick out of a line as wide as themselves.
    Here the ink is summed down the run through the path in each of its
    columns, and the line is the median of the columns at most half as
    heavy again as the thinnest tenth: the bare line's columns.
    """
    runs = [(col, ink_run(inked[:, col], row)) for col, row in zip(path.cols, path.rows)]
    weights = np.array([own[run[0] : run[1] + 1, col].sum() for col, run in runs if run is not None])
    if len(weights) == 0:
        return path.line_width_px
    bare = float(np.median(weights[weights <= 1.5 * np.percentile(weights, 10)]))
    return max(1.0, bare) if bare < THINNER_BARE * path.line_width_px else path.line_width_px


def _near_path(path: ArmPath, shape: tuple[int, int], rows_reach: int, cols_reach: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixels near a traced path, as row and column indices: in each column, the rows from
    ``rows_reach`` above the path ``cols_reach`` columns before to ``rows_reach`` below it
    ``cols_reach`` columns after (so both levels at a drop); columns from ``cols_reach``
    before the path to ``cols_reach`` after it. All that is read of marks lies there."""
    height, width = shape
    cols = np.arange(max(0, path.first_col - cols_reach), min(width, path.cols[-1] + cols_reach + 1))
    last = len(path.rows) - 1
    top = np.maximum(0, path.rows[np.clip(cols - cols_reach - path.first_col, 0, last)] - rows_reach)
    bottom = np.minimum(height - 1, path.rows[np.clip(cols + cols_reach - path.first_col, 0, last)] + rows_reach)
    n_rows = bottom - top + 1
    starts = np.cumsum(n_rows) - n_rows  # where each column's rows begin in the flat list
    rows = np.arange(int(n_rows.sum())) - np.repeat(starts - top, n_rows)
    return rows, np.repeat(cols, n_rows)


def _solid_strokes(other: np.ndarray, max_px: int) -> np.ndarray:
    """Solid other ink in runs down a column at most ``max_px`` tall: lines, marks and text that
    may hide a line, not the areas where band fills overlap into solid colour."""
    solid = (other >= FULL_ALPHA).astype(np.uint8)
    # An opening by an upright line one pixel longer keeps exactly the longer runs.
    runs_longer = cv2.morphologyEx(solid, cv2.MORPH_OPEN, np.ones((max_px + 1, 1), np.uint8),
                                   borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return solid > runs_longer


def _run_on(inked: np.ndarray, path: ArmPath, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows of a traced path, and past its end, of the line running on at its last row.

    The path ends where the arm's own ink does; a mark at the end of a curve
    drawn in a darker shade (or faint) reaches further, up to half a mark's width.
    """
    last, row = int(path.cols[-1]), int(path.rows[-1])
    beyond = 0
    while (beyond < 2 * np.ceil(width) + 2 and last + beyond + 1 < inked.shape[1]
           and ink_run(inked[:, last + beyond + 1], row) is not None):
        beyond += 1
    return np.r_[path.cols, last + 1 : last + beyond + 1], np.r_[path.rows, np.full(beyond, row)]


def _line_centres(inked: np.ndarray, cols: np.ndarray, rows: np.ndarray, width: float) -> np.ndarray:
    """Row of the line's centre in each column of a traced path (``cols, rows``), per level: the
    median centre of the line where it shows alone near the path (the path may run a pixel or
    two off a thin line among many marks)."""
    reach = int(np.ceil(width)) + 1
    centres = rows.astype(float)
    for level in np.split(np.arange(len(rows)), np.flatnonzero(np.diff(rows)) + 1):
        top = max(0, rows[level[0]] - reach)
        window = inked[top : rows[level[0]] + reach + 1, cols[level]]
        n_inked = window.sum(axis=0)
        alone = (n_inked > 0) & (n_inked <= np.ceil(width) + 1)
        if alone.any():
            row_index = np.arange(top, top + window.shape[0])[:, None]
            centres[level] = np.median((window[:, alone] * row_index).sum(axis=0) / n_inked[alone])
    return centres


def borrowed_ink(plot: PlotInk, own: np.ndarray, near: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Pixels near an arm's path that are its ink though its alpha does not own them: a darker
    shade of its colour (see :func:`darker_shade`) or faint upright strokes (see :func:`faint_strokes`).

    :func:`digitize.colours.arm_alpha` owns only blends of the background and
    the arm's colour at least half full, so a mark drawn darker than its line,
    or one a pixel wide blended into two half-full columns, is no one's ink.

    Parameters
    ----------
    plot : PlotInk
        The plot's pixels and background.
    own : ndarray, shape (h, w), float
        Alpha of the arm's ink; the arm's colour is read where it is full.
    near : (ndarray, ndarray)
        Rows and columns of the pixels to look at (see :func:`_near_path`).

    Returns
    -------
    ndarray, shape (h, w), bool
    """
    borrowed = np.zeros(own.shape, dtype=bool)
    full = own >= FULL_ALPHA
    if not full.any():
        return borrowed
    colour = np.median(plot.crop[full].astype(np.float32), axis=0)
    rows, cols = near
    at = rows * own.shape[1] + cols  # flat indices: one gather each
    # Inked (``plot.any_ink`` at least INKED), not the arm's, not a rule line.
    ink = ((own.ravel().take(at) < INKED) & (plot.strength.ravel().take(at) >= INKED * INK_DELTA_E)
           & ~plot.rules.ravel().take(at))
    rows, cols = rows[ink], cols[ink]
    if len(rows) == 0:
        return borrowed
    borrowed[rows, cols] = darker_shade(plot, colour, rows, cols) | faint_strokes(plot, colour, rows, cols)
    return borrowed


def darker_shade(plot: PlotInk, colour: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Which of the pixels at ``rows, cols`` are a darker shade of ``colour`` (RGB): on the ray from
    the background through the colour, beyond it (alpha 1 to :data:`MAX_SHADE`)."""
    direction = colour - plot.background
    length2 = float(direction @ direction)
    if length2 < 1.0:
        return np.zeros(len(rows), dtype=bool)
    pixels = plot.crop[rows, cols].astype(np.float32) - plot.background
    alpha = pixels @ direction / length2
    shade = (alpha > 1.0) & (alpha <= MAX_SHADE)  # most pixels fail this: test the residual on the rest
    beyond = pixels[shade] - alpha[shade, None] * direction
    shade[shade] = np.einsum("ij,ij->i", beyond, beyond) <= SHADE_RESIDUAL ** 2
    return shade


def faint_strokes(plot: PlotInk, colour: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Which of the pixels at ``rows, cols`` belong to faint upright strokes of ``colour`` (RGB).

    A mark a pixel wide is drawn, anti-aliased, as two columns each a blend of
    about half its colour with the background; in a JPEG it loses most of its
    hue too (colour is stored at half the resolution). Such a pixel is as dark
    as :data:`FAINT_ALPHA` to :data:`MAX_SHADE` of the colour, by its CIELAB
    lightness, with a hue between grey and the colour's (within
    :data:`FAINT_HUE_DELTA`); and it stands out of the row it lies in, at
    least :data:`FAINT_RIDGE` times as strongly inked as the pixels two
    columns to either side (a line's faint edge runs along the row).
    """
    last_col = plot.strength.shape[1] - 1
    beside = np.maximum(plot.strength[rows, np.clip(cols - 2, 0, last_col)],
                        plot.strength[rows, np.clip(cols + 2, 0, last_col)])
    faint = plot.strength[rows, cols] >= FAINT_RIDGE * beside
    background, arm = to_lab(plot.background.astype(np.float32)), to_lab(colour.astype(np.float32))
    depth = background[0] - arm[0]
    if abs(depth) < 1.0 or not faint.any():
        return np.zeros(len(rows), dtype=bool)
    lab = to_lab(plot.crop[rows[faint], cols[faint]])
    alpha = (background[0] - lab[:, 0]) / depth
    hue, arm_hue = lab[:, 1:] - background[1:], arm[1:] - background[1:]
    arm_chroma2 = float(arm_hue @ arm_hue)
    along = np.clip(hue @ arm_hue / arm_chroma2, 0.0, 1.0) if arm_chroma2 >= 1.0 else np.zeros(len(lab))
    off_hue = np.linalg.norm(hue - along[:, None] * arm_hue, axis=1)
    faint[faint] = (alpha >= FAINT_ALPHA) & (alpha <= MAX_SHADE) & (off_hue <= FAINT_HUE_DELTA)
    return faint


def _marks_at_drop_feet(inked: np.ndarray, path: ArmPath, width: float, found_x_px: list[float]) -> list[dict]:
    """Marks drawn at the foot of a drop (a censoring at an event time), found by what hangs below.

    Such a mark's upper half lies on the drop's stroke, so it does not stick
    out above any level; its lower half hangs below the level the drop falls
    to, where a drop's stroke stops. A lower level that ends within a mark's
    reach is skipped: the ink below it is the next drop's stroke. ``width``
    is the line's (px).
    """
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
        marks.append(_foot_mark(centre, float(lower), float(hang.max()), float(hang.max()) + width / 2))
    return marks


def _foot_mark(x_px: float, y_px: float, height_px: float, below_px: float, kind: str = "foot") -> dict:
    """A mark at the foot of a drop. It covers no columns (``last_col < first_col``): measuring
    the drop and the level through it was already right before such marks were found. Its
    upper half lies on the drop's stroke: how far it reaches above the line is not seen."""
    column = int(np.floor(x_px))
    return {"x_px": x_px, "y_px": y_px, "height_px": height_px, "kind": kind, "above_px": np.nan,
            "below_px": below_px, "first_col": column + 1, "last_col": column}


def _is_drop_stroke(line_ink: np.ndarray, col: int, tip: int, row: int, thickness: int,
                    beside_drop: bool = False) -> bool:
    """Whether ink rising from the line in column ``col`` up to row ``tip`` is the stroke of a drop.

    ``beside_drop``: the traced path drops within a line width before the column.

    Going left past the columns whose ink rises as high from the line (the
    rest of the stroke's width, or a row of marks merged into a bar), the
    first other column shows, at the height of the tallest tip passed, the
    level the drop fell from; beside a mark it shows the bare line. Only the one column is read:
    a steep staircase has levels a pixel or two long.
    """
    if tip + 1 > row:
        return False
    longest = MAX_BAR_WIDTHS * thickness
    first = max(0, col - int(np.ceil(longest)) - 1)
    short = np.flatnonzero(~line_ink[tip + 1 : row + 1, first:col].all(axis=0))
    left = first + int(short[-1]) if len(short) else first - 1
    if col - left > longest:
        return True  # ink this tall for this long is no row of marks (other arms' lines, say)
    if left < 0:
        return False
    if beside_drop:
        # The ink may be the fringe of the drop's stroke (anti-aliased, or blurred by JPEG),
        # shorter than the stroke: read from the tallest tip passed.
        above = line_ink[max(0, tip - (row - tip) - thickness) : tip, left + 1 : col][::-1]
        if above.size:
            tip -= int(np.cumprod(above, axis=0).sum(axis=0).max())
    col = left
    # Below the tip, the ink of the line through ``row`` (when inked there) is not a level.
    top = max(0, tip - 1)
    column = line_ink[top : row + 1, col]
    stop = tip + thickness + 1
    if column[-1]:
        gaps = np.flatnonzero(~column)
        stop = min(stop, top + (int(gaps[-1]) + 1 if len(gaps) else 0))
    return bool(line_ink[top:stop, col].any())


def marks_of_one_form(candidates: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The censor marks among the candidates of a figure's arms: the glyphs drawn alike.

    A program draws every censor mark of a figure with one glyph, so all its
    marks reach as far above and below the line. Two kinds of candidate are
    ambiguous on their own, and are marks only when other candidates of the
    figure show their form: ink crossing the line between two close drops
    (``stair``), a mark among the steps or the corner of a staircase of small
    steps (the steep fall of a large arm, where the strokes of the drop before
    and after join at every corner); and ink hanging below the foot of a drop
    (``foot``), a mark at an event time or the next small step; and ink
    rising only above the line beside a drop (``head``), a mark on the level
    the drop falls from or the fringe of the drop's stroke; and a glyph the
    line does not run on from (``loose``), a mark on a dashed line or a
    piece of the dashes; and a piece of a bar (``bar``), marks merged along
    the line or a stretch of line thicker than it was measured (the edge of
    a band, a blur). The form is the
    median reach of the other candidates, pooled over the arms: above the
    line's centre, of those standing free of the steps (``free``); below it,
    of those whose lower half stands free (``free``, ``crossing``, ``foot``).
    An ambiguous candidate is a mark if it reaches as far as the figure's
    marks on a side it shows (a mark among steps may merge with a step on the
    other): a stair corner reaches only as far as its steps. So a staircase
    alone, with no glyph to share its form, has no marks: a mark is a glyph
    drawn alike where the step is flat too, so a figure has marks only if at
    least :data:`MIN_FORM_MARKS` free-standing candidates reach as far above
    and below the line as their median (a lone one may be a dash's end, a
    band's edge or a JPEG artefact), or :data:`MIN_FOOT_FORM_MARKS` as far
    below it, with those at the feet of drops (censorings at event times,
    seen by their lower half); without them no candidate is a mark but
    those where curves end: ``last``, where a line stops on a level, and
    ``end``, at the foot of a drop ending a curve (with a ``last`` one
    reaching as far above the line as below, or as many as
    :data:`MIN_FORM_MARKS`).

    Parameters
    ----------
    candidates : list of pandas.DataFrame
        Per arm, the candidates of :func:`find_censor_marks`.

    Returns
    -------
    list of pandas.DataFrame
        Per arm, the candidates kept, in order.
    """
    kind = np.concatenate([marks["kind"].to_numpy(dtype=object) for marks in candidates])
    above_px, below_px = (np.concatenate([marks[column].to_numpy(dtype=float) for marks in candidates])
                          for column in ("above_px", "below_px"))
    free = np.isin(kind, FREE_KINDS)
    lower_halves = below_px[free | (kind == "foot")]
    if (_n_free_alike(above_px[free], below_px[free]) < MIN_FORM_MARKS
            and sum(_reaches_alike(below, lower_halves) for below in lower_halves) < MIN_FOOT_FORM_MARKS):
        # Where curves end (everyone left censored at the end of follow-up), marks are read by
        # their place: a glyph where a line stops on a level, centred on it as marks are
        # (reaching as far above it as below), or as many marks at the feet of drops ending
        # curves (a lone one may be a curve ending on an axis).
        ends = [marks[marks["kind"].isin(["last", "end"])] for marks in candidates]
        centred = [_reaches_alike(above, np.array([below])) for above, below in
                   zip(above_px[kind == "last"], below_px[kind == "last"])]
        at_ends = sum(len(marks) for marks in ends) >= MIN_FORM_MARKS or any(centred)
        return [marks.reset_index(drop=True) if at_ends else marks.iloc[:0] for marks in ends]
    above = np.where(free, above_px, np.nan)
    below = np.where(free | np.isin(kind, ["crossing", "foot"]), below_px, np.nan)
    alike = np.ones(len(kind), dtype=bool)
    for i in np.flatnonzero(np.isin(kind, ["stair", "foot", "head", "loose", "bar"])):
        others = np.arange(len(kind)) != i
        below_alike = kind[i] != "head" and _reaches_alike(below_px[i], below[others])
        above_alike = kind[i] != "foot" and _reaches_alike(above_px[i], above[others])
        alike[i] = below_alike or above_alike
    ends = np.cumsum([len(marks) for marks in candidates])
    return [marks[kept].reset_index(drop=True) for marks, kept in zip(candidates, np.split(alike, ends[:-1]))]


def _n_free_alike(above_px: np.ndarray, below_px: np.ndarray) -> int:
    """How many free-standing candidates reach as far above and below the line as their median."""
    return int(sum(_reaches_alike(above, above_px) and _reaches_alike(below, below_px)
                   for above, below in zip(above_px, below_px)))


def _reaches_alike(reach: float, others: np.ndarray) -> bool:
    """Whether a candidate's reach (px) matches the median of other candidates' (NaN: not seen)."""
    others = others[~np.isnan(others)]
    if len(others) == 0:
        return False
    shared = float(np.median(others))
    return bool(abs(reach - shared) <= FORM_TOLERANCE_PX + FORM_TOLERANCE_SHARE * shared)


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
