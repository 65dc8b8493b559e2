"""Arms of one colour: two lines in one ink, solid and dashed, or both solid.

Black-and-white figures draw two arms in one colour, one solid and one
dashed, or both solid. After each colour's arm is traced
(:func:`digitize.trace.trace_arms`), its traced line is masked and the gaps
between dashes bridged; a second falling line left in that colour's ink,
apart from the first, shows a second arm (:func:`separate_line_types`). The
two are then traced together (:func:`digitize.trace.trace_pair`), and each
arm's line type is read from the gaps along its line (:func:`line_types`).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from digitize.trace import INKED, ArmPath, ink_run, stroke_width, trace_pair, trace_path

#: A second arm in one colour's ink shows its own ink, apart from the first arm's line, in at
#: least this share of the plot's columns ...
SECOND_ARM_SPAN = 0.2
#: ... and along at least this share of its columns apart from the first (dashes and their gaps),
#: where it drops at least SECOND_ARM_DROPS times (a step curve, not a row of text) ...
SECOND_ARM_SEEN = 0.6
SECOND_ARM_DROPS = 5
#: ... as a thin line (with its censor marks; not a filled area) in at least this share of them,
#: on the bare background (inked less than BARE_INK) on both sides in at least SECOND_ARM_BARE of
#: them (not the edge of a band fill) ...
SECOND_ARM_THIN = 0.8
SECOND_ARM_BARE = 0.5
BARE_INK = 0.3
#: ... and not with ink as far on the first arm's other side in this share of them (a band's two lines).
BAND_SHARE = 0.5
#: Gaps between dashes bridged, as a multiple of the line width (plus 3 px).
DASH_GAP_WIDTHS = 4.0
#: A line is dashed when its ink is missing along this share of its uncovered length, in at least
#: MIN_DASH_GAPS gaps.
DASHED_GAP_SHARE = 0.15
MIN_DASH_GAPS = 5
#: Of two arms of one colour, the one with this many times the other's share of gaps (and at
#: least PAIR_GAP_SHARE of its length in gaps) is dashed.
GAPPIER = 3.0
PAIR_GAP_SHARE = 0.05
#: A dashed line traced over its dash pattern runs at least this many times as far as traced on
#: its dashes alone (which stops at a gap).
DASHED_REACH = 2.0
#: How far from its line an arm's censor marks reach, as a multiple of the line width (plus 3 px).
MARK_REACH_WIDTHS = 4.0
#: Two arms of one ink that run close (within their censor marks' reach) are told apart only when
#: the numbers-at-risk table has a row for each: then, traced together, their lines must lie more
#: than TOLD_APART_WIDTHS line widths apart in at least TOLD_APART_SHARE of their shared columns,
#: each showing its own ink along at least TOLD_APART_SEEN of its length.
TOLD_APART_WIDTHS = 2.0
TOLD_APART_SHARE = 0.2
TOLD_APART_SEEN = 0.8


def separate_line_types(alphas: np.ndarray, paths: list[ArmPath | None], any_ink: np.ndarray,
                        arms_wanted: int = 0) -> tuple[np.ndarray, list[ArmPath | None], np.ndarray, np.ndarray]:
    """Split the ink of a colour that draws two arms (solid and dashed, or both solid).

    Black-and-white journals print two arms in one ink, one solid and one
    dashed, or both solid. Once every colour's first arm is traced
    (:func:`trace_arms`), the traced strokes are masked and the gaps between
    dashes bridged (:data:`DASH_GAP_WIDTHS`). A second arm of the colour is a
    falling line in what is left. Where it runs apart from the first arm
    (further than that arm's censor marks reach, :data:`MARK_REACH_WIDTHS`)
    it must show its own ink along most of its length
    (:data:`SECOND_ARM_SEEN`) over much of the plot's width
    (:data:`SECOND_ARM_SPAN`), fall in steps (:data:`SECOND_ARM_DROPS`; a
    row of legend text is level), be thin and lie on the bare background
    (not the edge of a band fill, :data:`SECOND_ARM_THIN`), and not be
    matched by as much ink on the other side of the first arm (the two lines
    of a confidence band drawn in the arm's colour bracket it,
    :data:`BAND_SHARE`). Two arms of one ink that run close, within their
    censor marks' reach, show no such line apart: they are looked for only
    when ``arms_wanted`` (the rows of the numbers-at-risk table) is more than
    the arms found, in the colours found one arm each, the most inked first
    (:func:`_told_apart`). Both arms are then traced together
    (:func:`digitize.trace.trace_pair`; traced one at a time, the first
    would keep to the upper line where the two cross), each pixel of the
    colour goes to the arm whose line is nearer (to both where they run
    together), and each arm is traced to the pixel on its own ink.

    Parameters
    ----------
    alphas : ndarray, shape (n_colours, h, w)
        Each colour's ink alpha (see :func:`digitize.colours.arm_alpha`).
    paths : list of ArmPath or None
        Each colour's traced path (see :func:`trace_arms`).
    any_ink : ndarray, shape (h, w)
        How much each pixel is inked at all, 0-1.
    arms_wanted : int
        How many arms the figure has by other evidence (the numbers-at-risk
        table's rows); 0 when unknown.

    Returns
    -------
    alphas : ndarray, shape (n_arms, h, w)
        Each arm's ink alpha; a second arm's with the gaps between its dashes bridged.
    paths : list of ArmPath or None
        Each arm's traced path, with its :attr:`ArmPath.line_type` read
        (see :func:`line_types`).
    colour_index : ndarray of int
        The colour (row of the input ``alphas``) of each arm.
    on_table_word : ndarray of bool
        Whether each arm was told from another of its ink only because ``arms_wanted`` asked for it.
    """
    distances = [None if path is None else _path_distance(path.cols, path.rows, path.line_width_px, any_ink.shape)
                 for path in paths]
    # The ink the traced strokes explain, of any colour (a line of another colour may be lent
    # some pixels of this one, where the two blend or JPEG smears them).
    stroked = np.zeros(any_ink.shape, dtype=bool)
    for path, distance in zip(paths, distances):
        if path is not None:
            stroked |= distance <= path.line_width_px / 2 + 1
    # A figure draws its arms in one line width (survminer's size, base R's lwd): a dashed line's
    # own stroke width, measured on its dashes' anti-aliased ends, may read thinner.
    widths = [path.line_width_px for path in paths if path is not None]
    figure_width = float(np.median(widths)) if widths else 1.0
    splits = [None if path is None else _split_second_arm(own, path, distance, stroked, any_ink)
              for own, path, distance in zip(alphas, paths, distances)]
    on_table_word = [False] * len(paths)
    missing = arms_wanted - sum(path is not None for path in paths) - sum(split is not None for split in splits)
    for k in sorted(range(len(paths)), key=lambda k: -float(alphas[k].sum())):
        if missing <= 0:
            break
        if paths[k] is not None and splits[k] is None:
            splits[k] = _told_apart(alphas[k], paths[k], any_ink)
            on_table_word[k] = splits[k] is not None
            missing -= int(on_table_word[k])
    arm_alphas, arm_paths, colour_index, told = [], [], [], []
    for k, (own, path) in enumerate(zip(alphas, paths)):
        if splits[k] is not None:
            arms, kinds = splits[k]
        else:
            arms, kinds = _one_arm(own, path, any_ink, figure_width)
        told += [on_table_word[k]] * len(arms)
        for (drawn, arm_path), kind in zip(arms, kinds):
            # A dashed arm is read on its bridged ink downstream too (its drops and marks between dashes).
            arm_alphas.append(_bridge_dashes(drawn, arm_path.line_width_px) if kind == "dashed" else drawn)
            arm_paths.append(arm_path if arm_path is None else replace(arm_path, line_type=kind))
            colour_index.append(k)
    shape = (len(arm_alphas),) + alphas.shape[1:]
    return (np.array(arm_alphas, dtype=np.float32).reshape(shape), arm_paths, np.array(colour_index, dtype=int),
            np.array(told, dtype=bool))


def _one_arm(own: np.ndarray, path: ArmPath | None, any_ink: np.ndarray,
             figure_width_px: float) -> tuple[list[tuple[np.ndarray, ArmPath | None]], list[str]]:
    """The (alpha as drawn, path) and line type of the one arm a colour draws.

    Traced on the dashes alone, a path that ends costs less than one that
    crosses half its columns with no ink: the trace of a dashed line stops
    early, or finds nothing. Such a line is traced again over its dash
    pattern, on its ink with the gaps between dashes (of a line at least
    ``figure_width_px`` wide, the median width of the figure's arms)
    bridged, and taken when that trace runs at least twice as far
    (:data:`DASHED_REACH`); its line type is read on the ink as drawn
    (:func:`line_types`; dashes short and close, blurred by scaling or JPEG,
    may read as solid). Else the arm is the path traced on the ink as drawn.
    A colour whose dashes alone trace nothing is not given up over its dash
    pattern before it starts (``keep_on`` of :func:`digitize.trace.trace_path`):
    a thin dashed line falling steeply pays for a drop every column or two.
    """
    if path is None or DASHED_REACH * len(path.rows) <= own.shape[1]:  # else no trace runs twice as far
        width = max(path.line_width_px if path is not None else stroke_width(own), figure_width_px)
        bridged = _bridge_dashes(own, width)
        over_dashes = trace_path(bridged, np.where(bridged >= INKED, 0.0, any_ink), line_width_px=width,
                                 keep_on=path is None)
        if over_dashes is not None and (path is None or DASHED_REACH * len(path.rows) <= len(over_dashes.rows)):
            return [(own, over_dashes)], line_types([own], [over_dashes], any_ink)
    return [(own, path)], ["solid"] if path is None else line_types([own], [path], any_ink)


def _split_second_arm(own: np.ndarray, path: ArmPath, distance: np.ndarray, stroked: np.ndarray,
                      any_ink: np.ndarray) -> tuple[list[tuple[np.ndarray, ArmPath]], list[str]] | None:
    """Two arms' (alpha as drawn, path) and line types when ``own`` draws a second arm beside
    ``path``, else None (see :func:`separate_line_types`); ``distance`` is
    :func:`_path_distance` of ``path``, ``stroked`` the pixels of all traced strokes."""
    width = path.line_width_px
    reach = MARK_REACH_WIDTHS * width + 3
    bridged = _bridge_dashes(np.where(stroked, 0.0, own).astype(np.float32), width)
    inked = bridged >= INKED
    if (inked & (distance > reach - width)).any(axis=0).sum() < SECOND_ARM_SPAN * own.shape[1]:
        return None  # too little ink away from the first arm for a second (most figures): no need to trace
    second = trace_path(bridged, np.where(inked, 0.0, any_ink))
    if second is None:
        return None
    first_rows = np.full(own.shape[1], np.nan)
    first_rows[path.cols] = path.rows
    apart = ~(np.abs(second.rows - first_rows[second.cols]) <= reach)  # NaN beyond the first path: apart
    shown = (_along(bridged, second) >= INKED) & apart
    drops = np.flatnonzero(np.diff(second.rows) > 0) + 1
    if (shown.sum() < SECOND_ARM_SPAN * own.shape[1] or shown.sum() < SECOND_ARM_SEEN * apart.sum()
            or apart[drops].sum() < SECOND_ARM_DROPS):
        return None
    cols, rows = second.cols[shown], second.rows[shown]
    thin = [_run_height(inked[:, col], row) <= 2 * reach + width for col, row in zip(cols, rows)]  # marks allowed
    beside = int(np.ceil(2 * width + 2))
    bare = ((any_ink[np.maximum(rows - beside, 0), cols] < BARE_INK)
            & (any_ink[np.minimum(rows + beside, own.shape[0] - 1), cols] < BARE_INK))
    if np.mean(thin) < SECOND_ARM_THIN or bare.mean() < SECOND_ARM_BARE:
        return None
    # Ink as far from the first arm on its other side, in the same columns: a band's two lines.
    offset = np.arange(own.shape[0])[:, None] - first_rows[None, cols]
    across = inked[:, cols] & (np.abs(offset) > reach) & (np.sign(offset) == -np.sign(rows - first_rows[cols]))
    if across.any(axis=0).mean() >= BAND_SHARE:
        return None
    return _traced_pair(own, width, reach, any_ink)


def _told_apart(own: np.ndarray, path: ArmPath,
                any_ink: np.ndarray) -> tuple[list[tuple[np.ndarray, ArmPath]], list[str]] | None:
    """Two arms' (alpha as drawn, path) and line types when the ink ``own`` of the arm ``path``,
    traced as two lines together (:func:`_traced_pair`), gives two lines apart
    (:data:`TOLD_APART_WIDTHS`, :data:`TOLD_APART_SHARE`), each seen along its length
    (:data:`TOLD_APART_SEEN`); else None. Asked only on the numbers-at-risk table's word
    (see :func:`separate_line_types`): one arm's line and its censor marks' tips can trace as two."""
    width = path.line_width_px
    pair = _traced_pair(own, width, MARK_REACH_WIDTHS * width + 3, any_ink)
    if pair is None:
        return None
    (_, first), (_, second) = pair[0]
    lo, hi = max(first.first_col, second.first_col), min(first.cols[-1], second.cols[-1])
    if hi <= lo or min(first.seen, second.seen) < TOLD_APART_SEEN:
        return None
    gap = np.abs(first.rows[lo - first.first_col : hi - first.first_col + 1]
                 - second.rows[lo - second.first_col : hi - second.first_col + 1])
    return pair if float(np.mean(gap > TOLD_APART_WIDTHS * width)) >= TOLD_APART_SHARE else None


def _traced_pair(own: np.ndarray, width: float, reach: float,
                 any_ink: np.ndarray) -> tuple[list[tuple[np.ndarray, ArmPath]], list[str]] | None:
    """The two arms drawn in the ink ``own`` (lines ``width`` px wide, marks reaching ``reach`` px),
    traced together: each arm's (alpha as drawn, path), and their line types; None if either
    finds no line."""
    # Traced one after the other, the first arm keeps to the upper line where the two cross and
    # the second is left the rest: trace both together, as lines drawn alike (dashes bridged along
    # the levels) that keep their order. If the arms then read as a solid and a dashed line, trace
    # them again each on its own kind of ink (a solid arm's gaps are not bridged), free to cross:
    # where the two meet and part, each leaves on its own kind of line.
    along_rows = _bridge_dashes(own, width, down=False)
    other = np.where(own >= INKED, 0.0, any_ink)
    arms = _trace_together(own, along_rows, along_rows, other, width, reach, may_cross=False)
    if arms is None:
        return None
    kinds = line_types(*zip(*arms), any_ink)
    if kinds[0] != kinds[1]:
        arms = _trace_together(own, *[along_rows if kind == "dashed" else own for kind in kinds], other, width,
                               reach, may_cross=True)
        if arms is None:
            return None
        kinds = line_types(*zip(*arms), any_ink)
    return arms, kinds


def _trace_together(own: np.ndarray, first: np.ndarray, second: np.ndarray, other: np.ndarray, width: float,
                    reach: float, may_cross: bool) -> list[tuple[np.ndarray, ArmPath]] | None:
    """Two arms of one colour's ink ``own`` traced together (:func:`digitize.trace.trace_pair`
    on the ink maps ``first`` and ``second``), then each to the pixel on the ink nearer its own
    line (ink as near both, where they run together, is both arms'): each arm's (alpha as drawn,
    path), or None if either finds no line."""
    pair_rows = trace_pair(first, second, other, width, may_cross=may_cross)
    distances = [_path_distance(np.flatnonzero(arm_rows >= 0), arm_rows[arm_rows >= 0], width, own.shape)
                 for arm_rows in pair_rows]
    arms = []
    for mine, theirs in (distances, distances[::-1]):
        drawn = np.where((mine <= theirs + width + 1) & (mine <= reach), own, 0.0)
        traced = trace_path(_bridge_dashes(drawn, width), np.where(drawn >= INKED, 0.0, other))
        if traced is None:
            return None
        arms.append((drawn, traced))
    return arms


def line_types(drawn: list[np.ndarray], paths: list[ArmPath], any_ink: np.ndarray) -> list[str]:
    """``"solid"`` or ``"dashed"`` for each of the arms of one colour: one arm, or the two of a split.

    Along its path, a line's gaps are the columns where its own ink is
    missing and no other ink covers it. One line is dashed when its gaps
    cover at least :data:`DASHED_GAP_SHARE` of its uncovered columns, in at
    least :data:`MIN_DASH_GAPS` gaps. Of two lines of one colour, which are
    told apart by their type, the one with at least :data:`GAPPIER` times the
    other's share of gaps (at least :data:`PAIR_GAP_SHARE`, in at least
    :data:`MIN_DASH_GAPS` gaps) is dashed: scaled-down figures blur short
    gaps between long dashes, so that fewer show.

    Parameters
    ----------
    drawn : list of ndarray, shape (h, w), float
        Alpha of each arm's ink as drawn (gaps not bridged).
    paths : list of ArmPath
        Each arm's traced path.
    any_ink : ndarray, shape (h, w), float
        How much each pixel is inked at all, 0-1.

    Returns
    -------
    list of str
        One line type an arm.
    """
    shares, counts = [], []
    for own, path in zip(drawn, paths):
        present = _along(own, path) >= INKED
        covered = ~present & (_along(np.where(own >= INKED, 0.0, any_ink), path) >= INKED)
        gap = ~present & ~covered
        shares.append(gap.sum() / max(int((~covered).sum()), 1))
        counts.append(int(gap[0]) + int((gap[1:] & ~gap[:-1]).sum()))
    dashed = [share >= DASHED_GAP_SHARE and count >= MIN_DASH_GAPS for share, count in zip(shares, counts)]
    if len(paths) == 2:
        for k, j in ((0, 1), (1, 0)):
            dashed[k] |= (shares[k] >= max(GAPPIER * shares[j], PAIR_GAP_SHARE)
                          and counts[k] >= MIN_DASH_GAPS)
    return ["dashed" if is_dashed else "solid" for is_dashed in dashed]


def _run_height(column: np.ndarray, row: int) -> int:
    """Height (px) of the inked run through ``row`` in a column of booleans; 0 if none."""
    run = ink_run(column, row)
    return 0 if run is None else run[1] - run[0] + 1


def _along(alpha: np.ndarray, path: ArmPath) -> np.ndarray:
    """Ink summed across the line at each column of a path, 1 for a full line (as in :func:`trace_path`)."""
    size = int(round(path.line_width_px)) + 1
    rows = np.clip(path.rows[:, None] + np.arange(size) - size // 2, 0, alpha.shape[0] - 1)
    return np.minimum(1.0, alpha[rows, path.cols[:, None]].sum(axis=1) / path.line_width_px)


def _path_distance(cols: np.ndarray, rows: np.ndarray, line_width_px: float, shape: tuple[int, int]) -> np.ndarray:
    """Vertical distance (px) of every pixel from a path's stroke (its ``rows`` in columns
    ``cols``): its levels and the drops between them, a line width to either side; columns the
    stroke does not reach are far."""
    height, width = shape
    far = min(height + width, np.iinfo(np.int16).max)  # 16-bit integers: this runs for every arm
    distance = np.full(shape, far, dtype=np.int16)
    lower = rows.astype(np.int16)
    upper = np.r_[lower[:1], lower[:-1]]  # a drop into a column spans the rows from the level before
    pixel_rows = np.arange(height, dtype=np.int16)[:, None]
    distance[:, cols] = np.maximum(np.maximum(upper - pixel_rows, pixel_rows - lower), 0)
    reach = int(np.ceil(line_width_px))
    return cv2.erode(distance, np.ones((1, 2 * reach + 1), np.uint8), borderType=cv2.BORDER_CONSTANT,
                     borderValue=far)


def _bridge_dashes(alpha: np.ndarray, width: float, down: bool = True) -> np.ndarray:
    """An alpha map with the gaps between dashes (up to :data:`DASH_GAP_WIDTHS` line widths)
    filled, along rows (levels) and then, if ``down``, along columns (drops): grey closings.
    Closing down also fills between two levels that close: not for the ink of two arms."""
    length = int(round(DASH_GAP_WIDTHS * width)) + 3
    along_rows = cv2.morphologyEx(alpha.astype(np.float32), cv2.MORPH_CLOSE, np.ones((1, length), np.uint8))
    if not down:
        return along_rows
    return cv2.morphologyEx(along_rows, cv2.MORPH_CLOSE, np.ones((length, 1), np.uint8))
