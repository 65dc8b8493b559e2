"""Arms of one colour told apart by line type: solid and dashed lines in one ink.

Black-and-white figures draw two arms in one colour, one solid and one
dashed. After each colour's arm is traced (:func:`digitize.trace.trace_arms`),
its traced line is masked and the gaps between dashes bridged; a second
falling line left in that colour's ink, apart from the first, is a second arm
(:func:`separate_line_types`). Every arm's line type is read from the gaps
along its line (:func:`line_types`).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from digitize.trace import INKED, ArmPath, ink_run, trace_path

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
#: How far from its line an arm's censor marks reach, as a multiple of the line width (plus 3 px).
MARK_REACH_WIDTHS = 4.0


def separate_line_types(alphas: np.ndarray, paths: list[ArmPath | None],
                        any_ink: np.ndarray) -> tuple[np.ndarray, list[ArmPath | None], np.ndarray]:
    """Split the ink of a colour that draws two arms told apart by line type (solid and dashed).

    Black-and-white journals print two arms in one ink, one solid and one
    dashed. Once every colour's first arm is traced (:func:`trace_arms`), the
    traced strokes are masked and the gaps between dashes bridged
    (:data:`DASH_GAP_WIDTHS`). A second arm of the colour is a falling line in
    what is left. Where it runs apart from the first arm (further than that
    arm's censor marks reach, :data:`MARK_REACH_WIDTHS`) it must show its own
    ink along most of its length (:data:`SECOND_ARM_SEEN`) over much of the
    plot's width (:data:`SECOND_ARM_SPAN`), fall in steps
    (:data:`SECOND_ARM_DROPS`; a row of legend text is level), be thin and
    lie on the bare background (not the edge of a band fill,
    :data:`SECOND_ARM_THIN`), and not be matched by as much ink on the
    other side of the first arm (the two lines of a confidence band drawn in
    the arm's colour bracket it, :data:`BAND_SHARE`). The second arm is
    traced free to pass under the first where they overlap; then each pixel
    of the colour goes to the arm whose line is nearer, and both arms are
    traced again on their own ink, so a first trace that strayed onto the
    other line where the two touch is corrected.

    Parameters
    ----------
    alphas : ndarray, shape (n_colours, h, w)
        Each colour's ink alpha (see :func:`digitize.colours.arm_alpha`).
    paths : list of ArmPath or None
        Each colour's traced path (see :func:`trace_arms`).
    any_ink : ndarray, shape (h, w)
        How much each pixel is inked at all, 0-1.

    Returns
    -------
    alphas : ndarray, shape (n_arms, h, w)
        Each arm's ink alpha; a second arm's with the gaps between its dashes bridged.
    paths : list of ArmPath or None
        Each arm's traced path, with its :attr:`ArmPath.line_type` read
        (see :func:`line_types`).
    colour_index : ndarray of int
        The colour (row of the input ``alphas``) of each arm.
    """
    distances = [None if path is None else _path_distance(path, any_ink.shape) for path in paths]
    # The ink the traced strokes explain, of any colour (a line of another colour may be lent
    # some pixels of this one, where the two blend or JPEG smears them).
    stroked = np.zeros(any_ink.shape, dtype=bool)
    for path, distance in zip(paths, distances):
        if path is not None:
            stroked |= distance <= path.line_width_px / 2 + 1
    arm_alphas, arm_paths, colour_index = [], [], []
    for k, (own, path) in enumerate(zip(alphas, paths)):
        split = None if path is None else _split_second_arm(own, path, distances[k], stroked, any_ink)
        arms = [(own, own, path)] if split is None else split
        if path is not None:
            types = line_types([drawn for _, drawn, _ in arms], [arm_path for _, _, arm_path in arms], any_ink)
            arms = [(alpha, drawn, replace(arm_path, line_type=kind)) for (alpha, drawn, arm_path), kind in zip(arms, types)]
        for alpha, _, arm_path in arms:
            arm_alphas.append(alpha)
            arm_paths.append(arm_path)
            colour_index.append(k)
    shape = (len(arm_alphas),) + alphas.shape[1:]
    return np.array(arm_alphas, dtype=np.float32).reshape(shape), arm_paths, np.array(colour_index, dtype=int)


def _split_second_arm(own: np.ndarray, path: ArmPath, distance: np.ndarray, stroked: np.ndarray,
                      any_ink: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, ArmPath]] | None:
    """Two arms' (alpha traced, alpha as drawn, path) when ``own`` draws a second arm beside
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
    second_distance = _path_distance(second, own.shape)
    to_second = (second_distance <= distance) & (second_distance <= reach)
    first_own = np.where(to_second & (second_distance < distance) & (distance > width), 0.0, own)
    arms = []
    for alpha, drawn in ((first_own, first_own), (np.where(to_second, bridged, 0.0), np.where(to_second, own, 0.0))):
        traced = trace_path(alpha, np.where(alpha >= INKED, 0.0, any_ink))
        if traced is None:
            return None
        arms.append((alpha, drawn, traced))
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


def _path_distance(path: ArmPath, shape: tuple[int, int]) -> np.ndarray:
    """Vertical distance (px) of every pixel from a path's stroke: its levels and the drops
    between them, a line width to either side; columns the stroke does not reach are far."""
    height, width = shape
    far = min(height + width, np.iinfo(np.int16).max)  # 16-bit integers: this runs for every arm
    distance = np.full(shape, far, dtype=np.int16)
    lower = path.rows.astype(np.int16)
    upper = np.r_[lower[0], lower[:-1]]  # a drop into a column spans the rows from the level before
    rows = np.arange(height, dtype=np.int16)[:, None]
    distance[:, path.cols] = np.maximum(np.maximum(upper - rows, rows - lower), 0)
    reach = int(np.ceil(path.line_width_px))
    return cv2.erode(distance, np.ones((1, 2 * reach + 1), np.uint8), borderType=cv2.BORDER_CONSTANT,
                     borderValue=far)


def _bridge_dashes(alpha: np.ndarray, width: float) -> np.ndarray:
    """An alpha map with the gaps between dashes (up to :data:`DASH_GAP_WIDTHS` line widths)
    filled, along rows (levels) and then along columns (drops): grey closings."""
    length = int(round(DASH_GAP_WIDTHS * width)) + 3
    along_rows = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, np.ones((1, length), np.uint8))
    return cv2.morphologyEx(along_rows, cv2.MORPH_CLOSE, np.ones((length, 1), np.uint8))
