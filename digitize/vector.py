"""Reading a Kaplan-Meier plot from its vector drawing: paths and text as a PDF or an SVG holds them.

A PDF page (and an SVG figure, parsed into the same primitives by :mod:`digitize.svg`) keeps a vector figure as the program drew it: each curve is a path
of ``move``/``line`` segments in page coordinates with its stroke colour, width
and dash pattern, each censor mark a small path (or a character), each tick
label and at-risk count a run of characters with its position and size. So
nothing here is estimated from pixels: the axes are calibrated from the tick
paths and the numbers printed beside them (text is text, no OCR), a step curve
is rebuilt corner by corner from its path, a dashed curve is one path with a
dash pattern (its gaps are in the pattern, not in the geometry), and arms are
told apart by their stroke style (colour, dash pattern, width).

Coordinates: ``x_pt`` to the right and ``y_pt`` downward from the page's top
left corner, in PostScript points (as :mod:`pdfplumber` gives them). The
result is in the pixels of a rendering of the plot's region at
:data:`PIXELS_PER_PT` (its overlay picture), converted in one place
(:class:`PixelFrame`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from digitize.axes import PlotArea
from digitize.calibration import AxisCalibration, Calibration
from digitize.colours import hex_colour, match_named_colours, parse_arm_colours
from digitize.result import DigitizationResult, window_exits
from kmipd.errors import InputError

#: Resolution of the picture a vector plot is shown in (the overlay), in pixels per point (216 dpi).
PIXELS_PER_PT = 3.0
#: Coordinates in PDFs are written to 0.01 pt or finer (R's pdf(), matplotlib): two readings of one
#: corner differ by no more than this, in points.
COORDINATE_PRECISION_PT = 0.01
#: A segment is straight along an axis when it strays less than this across it, in points.
AXIS_ALIGNED_PT = 0.05
#: matplotlib simplifies the paths it writes (``path.simplify_threshold``, 1/9 pt in vector output): a
#: drop after a flat narrower than that becomes one slanted segment, off the axes by at most this (points).
SIMPLIFIED_STEP_PT = 0.25
#: Share of a step curve's segments that may be so simplified (a sloped line is none of them).
SIMPLIFIED_SHARE = 0.1
#: Tick marks are straight segments of this length, in points.
TICK_LENGTH_PT = (0.5, 15.0)
#: A tick label lies within this many font sizes of its tick.
LABEL_GAP_SIZES = 2.5
#: Tick labels fitted by a straight line miss it by at most this share of the axis range.
TICK_FIT_SHARE = 0.01
#: A censor glyph spans at most this many points either way.
GLYPH_SIZE_PT = 15.0
#: Characters drawn as censor marks.
GLYPH_CHARACTERS = "+|×x"
#: A legend swatch is a horizontal stroke this long, in points.
SWATCH_LENGTH_PT = (4.0, 60.0)
#: Survival at the top of a KM plot's y axis, and at its bottom (as read; percent axes / 100).
TOP_SURVIVAL = (0.5, 1.1)
BOTTOM_SURVIVAL = (-0.1, 0.9)
MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


@dataclass(frozen=True)
class VectorPath:
    """One stroked or filled path of a page.

    Attributes
    ----------
    subpaths : list of ndarray
        Each ``(n, 2)``: ``x_pt, y_pt`` of the points of one subpath (a Bezier
        segment contributes its end point).
    stroke : tuple of int or None
        Stroke colour (RGB 0-255), None when the path is not stroked.
    width_pt : float
        Line width.
    dash : tuple of float
        Dash pattern (on, off, ... lengths in points); ``()`` for a solid line.
    fill : bool
        The path is filled.
    order : int
        Its place in the page's drawing order (what is drawn later is drawn over).
    """

    subpaths: list
    stroke: tuple | None
    width_pt: float
    dash: tuple
    fill: bool
    order: int = 0

    @property
    def points(self) -> np.ndarray:
        return np.vstack(self.subpaths)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """``x0, top, x1, bottom`` in points."""
        points = self.points
        return (float(points[:, 0].min()), float(points[:, 1].min()),
                float(points[:, 0].max()), float(points[:, 1].max()))

    @property
    def style(self) -> tuple:
        """What tells one arm's curve from another's: stroke colour, dash pattern, width."""
        return (self.stroke, self.dash, round(self.width_pt, 2))


@dataclass(frozen=True)
class Word:
    """A run of characters on one line: text, box in points, font size, fill colour (RGB 0-255)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    colour: tuple | None

    @property
    def x_centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def y_centre(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def number(self) -> float | None:
        """The word's value when it is a number (``0.25``, ``−1``, ``100%``), else None."""
        text = self.text.translate(MINUS_SIGNS).rstrip("%")
        return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else None


@dataclass(frozen=True)
class MarkCharacter:
    """A character that may be a censor mark (``+``, ``|``, ``×``): its centre (points), font size,
    fill colour and place in the drawing order."""

    x_pt: float
    y_pt: float
    size: float
    colour: tuple | None
    order: int


@dataclass(frozen=True)
class PageDrawing:
    """The vector content of one page: its paths, words and mark characters, and its size in points."""

    paths: list
    words: list
    width_pt: float
    height_pt: float
    mark_characters: list = field(default_factory=list)


@dataclass(frozen=True)
class Axis:
    """One calibrated axis: ``value = intercept + slope * position_pt`` (x or y in points), or on a
    log axis (``scale="log"``) ``log10(value) = intercept + slope * position_pt``."""

    slope: float
    intercept: float
    line_pt: float  # the axis line: its y for the x axis, its x for the y axis
    extent_pt: tuple  # first and last position along the axis (ticks or axis line)
    ticks: pd.DataFrame  # position_pt, value, text
    label_words: list
    scale: str = "linear"

    def value(self, position_pt):
        linear = self.intercept + self.slope * np.asarray(position_pt, dtype=float)
        return 10.0 ** linear if self.scale == "log" else linear


@dataclass(frozen=True)
class VectorAxes:
    """A plot found on a page: its two axes and the box between them (points)."""

    x: Axis
    y: Axis

    @property
    def box(self) -> tuple[float, float, float, float]:
        """``left, top, right, bottom`` of the plotting region."""
        return (self.y.line_pt, min(self.y.extent_pt), max(self.x.extent_pt), self.x.line_pt)

    def survival_range(self) -> tuple[float, float]:
        """Survival at the top and the bottom of the box (percent axes as read)."""
        left, top, right, bottom = self.box
        return float(self.y.value(top)), float(self.y.value(bottom))


def names_format(path, suffix: str, signature) -> bool:
    """Whether ``path`` names a file of one format: by its ``suffix`` (``".pdf"``), else by
    ``signature(first_kilobyte)`` whatever its name."""
    if not isinstance(path, (str, Path)):
        return False
    if Path(path).suffix.lower() == suffix:
        return True
    try:
        with open(path, "rb") as file:
            return bool(signature(file.read(1024)))
    except OSError:
        return False


# --- axes from tick paths and tick text ---------------------------------------------------------


def straight_segments(paths: list) -> pd.DataFrame:
    """Every straight stroked segment of the paths: ``x0, y0, x1, y1, path`` (points, path index)."""
    rows = []
    for index, path in enumerate(paths):
        if path.stroke is None:
            continue
        for points in path.subpaths:
            for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
                rows.append((x0, y0, x1, y1, index))
    frame = pd.DataFrame(rows, columns=["x0", "y0", "x1", "y1", "path"])
    return frame.astype({"x0": float, "y0": float, "x1": float, "y1": float, "path": int})


def find_axes(drawing: PageDrawing) -> list[VectorAxes]:
    """Every pair of calibrated axes on a page: ticks with numeric labels, meeting at a corner.

    An x axis is three or more short vertical tick segments of one length in a
    row, each with a number centred under (or over) it; a y axis the same
    turned, numbers left of the ticks. The numbers must lie on a straight line
    against the tick positions (:data:`TICK_FIT_SHARE`): they are the axis's
    calibration. An x axis and a y axis make a plot when the y axis stands at
    the x axis's left end and the x axis at the y axis's foot.
    """
    segments = straight_segments(drawing.paths)
    numbers = [word for word in drawing.words if word.number is not None]
    x_axes = _axes_of(segments, numbers, "x")
    y_axes = _axes_of(segments, numbers, "y")
    plots = []
    for x in x_axes:
        best, best_gap = None, np.inf
        for y in y_axes:
            width, height = np.ptp(x.extent_pt), np.ptp(y.extent_pt)
            gap_x = min(x.ticks["position_pt"]) - y.line_pt  # the y axis at or left of the first x tick
            gap_y = x.line_pt - max(y.ticks["position_pt"])  # the x axis at or under the lowest y tick
            if -0.02 * width <= gap_x <= 0.2 * width and -0.02 * height <= gap_y <= 0.2 * height:
                if gap_x + gap_y < best_gap:
                    best, best_gap = y, gap_x + gap_y
        if best is not None:
            plots.append(VectorAxes(x, best))
    return plots


def _axes_of(segments: pd.DataFrame, numbers: list, axis: str) -> list[Axis]:
    """The calibrated axes of one direction (see :func:`find_axes`)."""
    # Along: the coordinate that varies along the axis; across: the other one.
    along0, along1, across0, across1 = ("x0", "x1", "y0", "y1") if axis == "x" else ("y0", "y1", "x0", "x1")
    straight = (segments[along1] - segments[along0]).abs() <= AXIS_ALIGNED_PT
    length = (segments[across1] - segments[across0]).abs()
    ticks = segments[straight & length.between(*TICK_LENGTH_PT)].copy()
    ticks["at"] = (ticks[along0] + ticks[along1]) / 2
    ticks["near"] = np.minimum(ticks[across0], ticks[across1])
    ticks["far"] = np.maximum(ticks[across0], ticks[across1])
    ticks = ticks.assign(near_key=ticks["near"].round(1), far_key=ticks["far"].round(1)).drop_duplicates(
        ["near_key", "far_key", "at"])
    # Rows of fewer than three ticks (censor marks, mostly) calibrate nothing: left out at once.
    ticks = ticks[ticks.groupby(["near_key", "far_key"])["at"].transform("size") >= 3]
    found = []
    for _, row in ticks.groupby(["near_key", "far_key"]):
        for run in _runs(row.sort_values("at")):
            found += _calibrated_axes(run, segments, numbers, axis)
    return found


def _runs(ticks: pd.DataFrame) -> list[pd.DataFrame]:
    """Ticks in one row split where a gap is over twice the usual spacing (panels side by side)."""
    gaps = np.diff(ticks["at"].to_numpy())
    if len(gaps) < 2:
        return [ticks]
    cuts = np.r_[0, np.flatnonzero(gaps > 2 * np.median(gaps)) + 1, len(ticks)]
    return [ticks.iloc[start:end] for start, end in zip(cuts[:-1], cuts[1:])]


def _calibrated_axes(ticks: pd.DataFrame, segments: pd.DataFrame, numbers: list, axis: str) -> list[Axis]:
    """The axes of a run of ticks: its labelled ticks cut where the values turn back (the axes of
    panels side by side, or stacked, continue one another's row of ticks and start again), each
    piece of three or more numbers on a line (:func:`_tick_scale`) an axis."""
    labelled = []
    for tick in ticks.itertuples():
        word = _tick_label(tick, numbers, axis)
        if word is not None:
            labelled.append((tick.at, word.number, word))
    # Values grow along the x axis and up the y axis (positions grow downward).
    turns = np.flatnonzero(np.diff([row[1] for row in labelled]) * (1 if axis == "x" else -1) <= 0) + 1
    pieces = np.split(np.arange(len(labelled)), turns)
    return [found for piece in pieces if len(piece) >= 3 and (found := _calibrated_axis(
        [labelled[i] for i in piece], ticks.iloc[0], segments, axis)) is not None]


def _calibrated_axis(labelled: list, tick, segments: pd.DataFrame, axis: str) -> Axis | None:
    """The axis of ticks ``(position, value, word)`` rising along it, when their numbers lie on a line."""
    at = np.array([row[0] for row in labelled])
    value = np.array([row[1] for row in labelled])
    scale = _tick_scale(at, value, axis)
    if scale is None:
        return None
    slope, intercept = np.polyfit(at, np.log10(value) if scale == "log" else value, 1)
    line, extent = _axis_line(segments, axis, tick, at)
    return Axis(float(slope), float(intercept), line, extent,
                pd.DataFrame({"position_pt": at, "value": value, "text": [row[2].text for row in labelled]}),
                [row[2] for row in labelled], scale)


def _tick_scale(at: np.ndarray, value: np.ndarray, axis: str) -> str | None:
    """``"linear"`` when the tick values lie on a straight line against their positions
    (:data:`TICK_FIT_SHARE`), else on the time axis ``"log"`` when their logarithms do (1, 10, 100
    evenly spaced), else None (not an axis)."""
    for scale in ("linear", "log") if axis == "x" else ("linear",):
        if scale == "log" and (value <= 0).any():
            return None
        fitted = np.log10(value) if scale == "log" else value
        slope, intercept = np.polyfit(at, fitted, 1)
        if np.abs(intercept + slope * at - fitted).max() <= TICK_FIT_SHARE * np.ptp(fitted):
            return scale
    return None


def _tick_label(tick, numbers: list, axis: str):
    """The number printed beside one tick: centred on it, within a few font sizes outside the axis."""
    best, best_gap = None, np.inf
    for word in numbers:
        if axis == "x":
            centred = abs(word.x_centre - tick.at) <= 0.3 * word.size + 0.5
            gap = min(abs(word.top - tick.far), abs(tick.near - word.bottom))
        else:
            centred = abs(word.y_centre - tick.at) <= 0.35 * word.size + 0.5
            gap = tick.near - word.x1
        if centred and -0.5 <= gap <= LABEL_GAP_SIZES * word.size and gap < best_gap:
            best, best_gap = word, gap
    return best


def _axis_line(segments: pd.DataFrame, axis: str, tick, at: np.ndarray) -> tuple[float, tuple]:
    """The axis line a row of ticks stands on, and how far the axis reaches along.

    The line is a long segment through one of the ticks' ends (its ends, with
    the ticks', give the reach: a plot runs past its last tick); without one,
    the ticks' end away from the labels (ticks drawn outward) and the ticks' reach.
    """
    along0, along1, across0, across1 = ("x0", "x1", "y0", "y1") if axis == "x" else ("y0", "y1", "x0", "x1")
    lo, hi = np.minimum(segments[along0], segments[along1]), np.maximum(segments[along0], segments[along1])
    long = segments[((segments[across1] - segments[across0]).abs() <= AXIS_ALIGNED_PT)
                    & (hi - lo >= 0.5 * np.ptp(at)) & (lo <= at.max()) & (hi >= at.min())]
    for end in (tick.near, tick.far):
        through = long[(long[across0] - end).abs() <= 0.5]
        if len(through):
            ends = np.r_[through[along0].to_numpy(), through[along1].to_numpy(), at]
            return float(end), (float(ends.min()), float(ends.max()))
    return float(tick.near if axis == "x" else tick.far), (float(at.min()), float(at.max()))


def km_axes(drawing: PageDrawing) -> list[VectorAxes]:
    """The plots of a drawing (a PDF page, an SVG figure) that are KM plots: survival on the y axis, a step-down path inside."""
    plots = []
    for axes in find_axes(drawing):
        top, bottom = axes.survival_range()
        scale = 100.0 if axes.y.ticks["value"].abs().max() > 1.5 else 1.0
        if TOP_SURVIVAL[0] <= top / scale <= TOP_SURVIVAL[1] and BOTTOM_SURVIVAL[0] <= bottom / scale \
                <= BOTTOM_SURVIVAL[1] and curve_paths(drawing, axes):
            plots.append(axes)
    # Reading order: rows top to bottom (a plot starting below another's middle is a new row), left to right.
    plots.sort(key=lambda axes: (axes.box[1], axes.box[0]))
    rows: list[list[VectorAxes]] = []
    for axes in plots:
        if rows and axes.box[1] < (rows[-1][0].box[1] + rows[-1][0].box[3]) / 2:
            rows[-1].append(axes)
        else:
            rows.append([axes])
    return [axes for row in rows for axes in sorted(row, key=lambda a: a.box[0])]


# --- curves, censor marks, at-risk table, legend -------------------------------------------------


def staircase(points: np.ndarray, box) -> bool:
    """Whether a subpath is a KM step curve of the plot in ``box``: axis-aligned segments that only go
    right and down, with at least one drop and a run across a tenth of the plot, starting in the
    plot and lying mostly in it.

    A curve may run on past the plotted window (an x axis cut short, a y axis
    starting above 0): the PDF keeps the whole path under the clip, and it is
    read whole, the exact data beyond the window included. It may start left of
    the window, level with it: time 0 on a log time axis, which no window shows.
    """
    if len(points) < 3:
        return False
    step = np.diff(points, axis=0)
    across = np.minimum(np.abs(step[:, 0]), np.abs(step[:, 1]))
    aligned = (across <= SIMPLIFIED_STEP_PT).all() and (across > AXIS_ALIGNED_PT).mean() <= SIMPLIFIED_SHARE
    forward = (step[:, 0] >= -AXIS_ALIGNED_PT) & (step[:, 1] >= -AXIS_ALIGNED_PT)
    left, top, right, bottom = box
    inside = ((points[:, 0] >= left - 1) & (points[:, 0] <= right + 1)
              & (points[:, 1] >= top - 1) & (points[:, 1] <= bottom + 1))
    drops = int((step[:, 1] > AXIS_ALIGNED_PT).sum())
    starts_left = points[0, 0] < left and top - 1 <= points[0, 1] <= bottom + 1
    return bool(aligned and forward.all() and (inside[0] or starts_left) and inside.mean() >= 0.5 and drops >= 1
                and np.ptp(points[inside, 0]) >= 0.1 * (right - left))


def curve_paths(drawing: PageDrawing, axes: VectorAxes) -> list[tuple[int, np.ndarray]]:
    """The step-curve subpaths inside a plot, ``(path index, points)``; not the frame (an L of the
    y axis down to the x axis, which steps down too)."""
    return [(index, points) for index, path in enumerate(drawing.paths) if path.stroke is not None
            for points in path.subpaths if staircase(points, axes.box) and not _on_axes(points, axes)]


def _on_axes(points: np.ndarray, axes: VectorAxes) -> bool:
    """Whether a path runs along the y axis line or the x axis line for half the plot."""
    left, top, right, bottom = axes.box
    on_y = np.abs(points[:, 0] - axes.y.line_pt) <= 0.5
    on_x = np.abs(points[:, 1] - axes.x.line_pt) <= 0.5
    return bool((on_y.sum() >= 2 and np.ptp(points[on_y, 1]) >= 0.5 * (bottom - top))
                or (on_x.sum() >= 2 and np.ptp(points[on_x, 0]) >= 0.5 * (right - left)))


@dataclass
class VectorArm:
    """One arm read from the paths: its style, its corners (points) and its censor marks (x, points)."""

    style: tuple
    corners: np.ndarray
    mark_x_pt: list = field(default_factory=list)
    name: str = ""
    order: int = 0  # drawing order of its first path

    def distance_pt(self, x_pt: float, y_pt: float) -> float:
        """How far a point lies from the drawn line (its flats and its drops), in points."""
        start, end = self.corners[:-1], self.corners[1:]
        low, high = np.minimum(start, end), np.maximum(start, end)
        nearest = np.clip(np.array([x_pt, y_pt]), low, high)  # segments are axis-aligned: clip is projection
        return float(np.hypot(*(nearest - [x_pt, y_pt]).T).min())

    def spans(self, x_pt: float, y_pt: float, tolerance_pt: float) -> bool:
        """Whether ``y_pt`` lies between the curve's level at ``x_pt`` and its level after the next drop
        (where R's ``plot.survfit`` puts a mark by straight interpolation between the event points)."""
        x, y = self.corners[:, 0], self.corners[:, 1]
        index = max(np.searchsorted(x, x_pt, side="right") - 1, 0)
        lower = y[index:][y[index:] > y[index] + AXIS_ALIGNED_PT]
        below = lower[0] if len(lower) else y[index]
        return bool(y[index] - tolerance_pt <= y_pt <= below + tolerance_pt)


def read_arms(drawing: PageDrawing, axes: VectorAxes) -> list[VectorArm]:
    """The arms of a plot: its step curves by stroke style, pieces of one style joined in time order.

    A piece continues a curve of its style that ends where it starts (at or
    before it in time, at or above it in survival); pieces that run over the
    same times are separate arms drawn in one style (base R draws every arm in
    black solid lines by default).
    """
    pieces = sorted(((drawing.paths[index].style, drawing.paths[index].order, points)
                     for index, points in curve_paths(drawing, axes)), key=lambda piece: piece[1])
    chains: list[tuple[tuple, int, list]] = []
    for style, order, points in pieces:
        for chain_style, _, parts in chains:
            end = parts[-1][-1]
            if chain_style == style and points[0, 0] >= end[0] - AXIS_ALIGNED_PT \
                    and points[0, 1] >= end[1] - AXIS_ALIGNED_PT:
                parts.append(points)
                break
        else:
            chains.append((style, order, [points]))
    arms = []
    for style, order, parts in chains:
        corners = np.vstack(parts)
        keep = np.r_[True, np.any(np.abs(np.diff(corners, axis=0)) > COORDINATE_PRECISION_PT / 2, axis=1)]
        arms.append(VectorArm(style, corners[keep], order=order))
    return arms


def glyph_centres(drawing: PageDrawing, axes: VectorAxes, curve_indices: set, path_tolerance_pt: float,
                  curves_end_pt: float | None = None) -> list[tuple]:
    """The small glyphs inside a plot, censor-mark candidates: ``(x, y, colour, order, tolerance)``.

    A glyph is the small paths sharing one centre (a ``+`` is two strokes
    crossing at it), or a ``+``/``|``/``×`` character. ``tolerance`` is how far
    (points) its centre may lie off the curve it marks: ``path_tolerance_pt``
    for paths, a quarter of the font size for characters (a character's box
    comes from the font's metrics, not from the glyph's ink). Glyphs right of
    the plot are candidates up to ``curves_end_pt``, where the curves end (marks
    of a curve running on past the window).
    """
    left, top, right, bottom = axes.box
    right = max(right, curves_end_pt or right)
    glyphs = []
    for index, path in enumerate(drawing.paths):
        if index in curve_indices or path.fill and path.stroke is None:
            continue
        x0, y0, x1, y1 = path.box
        if x1 - x0 > GLYPH_SIZE_PT or y1 - y0 > GLYPH_SIZE_PT or max(x1 - x0, y1 - y0) < 1.0:
            continue
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        if left < x <= right + 1 and top - 1 < y < bottom:
            glyphs.append((x, y, path.stroke, path.order, path_tolerance_pt))
    for mark in drawing.mark_characters:
        if left < mark.x_pt <= right + 1 and top - 1 < mark.y_pt < bottom:
            glyphs.append((mark.x_pt, mark.y_pt, mark.colour, mark.order, 0.25 * mark.size))
    # The strokes of one glyph share its centre, to the PDF's rounding of each stroke's ends.
    kept: list[tuple] = []
    for glyph in sorted(glyphs, key=lambda g: (g[0], g[1])):
        if not any(abs(glyph[0] - other[0]) <= 2 * COORDINATE_PRECISION_PT
                   and abs(glyph[1] - other[1]) <= 2 * COORDINATE_PRECISION_PT for other in kept[-8:]):
            kept.append(glyph)
    return kept


def assign_marks(arms: list[VectorArm], glyphs: list) -> int:
    """Put each censor glyph onto its arm; return how many glyphs belong to no arm.

    A glyph of exactly one arm's stroke colour is that arm's when it lies
    within the arm's time and survival span: programs do not always centre
    marks on the line (R's ``plot.survfit`` puts some between two levels).
    Otherwise (no colour, or one shared by several arms: a marker drawn from a
    Form XObject loses its colour to pdfminer; two arms in black) it is the arm
    whose curve passes through its centre, within its tolerance, else the arm
    whose next step down spans it (R's placement); where several arms qualify
    (they run together), the arm drawn last before it (matplotlib and R draw
    each arm's marks after its line).
    """
    off_curve = 0
    for x, y, colour, order, tolerance_pt in glyphs:
        same_colour = [k for k, arm in enumerate(arms) if colour is not None and arm.style[0] == colour]
        if len(same_colour) == 1:
            corners = arms[same_colour[0]].corners
            if corners[0, 0] - tolerance_pt <= x <= corners[-1, 0] + tolerance_pt \
                    and corners[:, 1].min() - tolerance_pt <= y <= corners[:, 1].max() + tolerance_pt:
                arms[same_colour[0]].mark_x_pt.append(x)
            else:
                off_curve += 1
            continue
        candidates = same_colour or range(len(arms))
        distances = [(arms[k].distance_pt(x, y), k) for k in candidates
                     if arms[k].corners[0, 0] - tolerance_pt <= x <= arms[k].corners[-1, 0] + tolerance_pt]
        on_curve = [d for d in distances if d[0] <= tolerance_pt]
        if on_curve:
            nearest = min(on_curve)
            tied = [k for distance, k in on_curve if distance <= nearest[0] + COORDINATE_PRECISION_PT]
        else:  # off every line: an arm whose step down after it spans it
            tied = [k for _, k in distances if arms[k].spans(x, y, tolerance_pt)]
        if not tied:
            off_curve += 1
            continue
        drawn_before = [k for k in tied if order is not None and arms[k].order < order]
        chosen = max(drawn_before, key=lambda k: arms[k].order) if drawn_before else tied[0]
        arms[chosen].mark_x_pt.append(x)
    return off_curve


def read_legend(drawing: PageDrawing, axes: VectorAxes, arms: list[VectorArm]) -> dict[int, str]:
    """Arm index -> legend name: the text right of a short horizontal stroke in the arm's style.

    A swatch is a whole path, every segment of it flat, spanning :data:`SWATCH_LENGTH_PT`
    (matplotlib draws one as several collinear pieces): a flat step of a curve is no swatch.
    Swatches are tried nearest the plot's box first (inside it, then the nearer outside): panels
    side by side draw their arms alike, each with its own legend.
    """
    segments = straight_segments(drawing.paths)
    segments = segments.assign(flat=(segments["y1"] - segments["y0"]).abs() <= AXIS_ALIGNED_PT,
                               lo=segments[["x0", "x1"]].min(axis=1), hi=segments[["x0", "x1"]].max(axis=1))
    by_path = segments.groupby("path")
    extent = by_path["hi"].transform("max") - by_path["lo"].transform("min")
    flat = segments[by_path["flat"].transform("all") & extent.between(*SWATCH_LENGTH_PT)
                    & (segments["hi"] > segments["lo"])]
    left, top, right, bottom = axes.box
    off_box = np.hypot(np.maximum(np.maximum(left - flat["hi"], flat["lo"] - right), 0),
                       np.maximum(np.maximum(top - flat["y0"], flat["y0"] - bottom), 0))
    flat = flat.assign(off_box=off_box).sort_values("off_box", kind="mergesort")
    names = {}
    for k, arm in enumerate(arms):
        for swatch in flat.itertuples():
            if drawing.paths[swatch.path].style[:2] != arm.style[:2]:
                continue
            x_end, y = max(swatch.x0, swatch.x1), swatch.y0
            line = sorted((w for w in drawing.words if abs(w.y_centre - y) <= 0.6 * w.size
                           and 0 <= w.x0 - x_end <= 2 * w.size and any(c.isalnum() for c in w.text)),
                          key=lambda w: w.x0)
            if line:
                names[k] = _join_line(line[0], drawing.words)
                break
    return names


def _join_line(first: Word, words: list) -> str:
    """The text starting at ``first`` and running right on its line, up to a gap wider than a font size."""
    text, end = [first.text], first.x1
    for word in sorted((w for w in words if abs(w.y_centre - first.y_centre) <= 0.3 * first.size
                        and w.x0 > first.x0 and any(c.isalnum() for c in w.text)), key=lambda w: w.x0):
        if word.x0 - end > first.size:
            break
        text.append(word.text)
        end = word.x1
    return " ".join(text).translate(MINUS_SIGNS)


def read_at_risk(drawing: PageDrawing, axes: VectorAxes, arms: list[VectorArm]) -> pd.DataFrame:
    """The numbers at risk printed under a plot: rows of whole numbers under the x ticks.

    A row is the counts on one line under the tick labels, each centred under
    a tick, falling from left to right; it is an arm's by the counts' colour
    (survminer colours them by arm), else by the row label on its left
    matching a legend name, else by the row's order (the legend's). Rows stop
    at the first line that is not such a row after the table began.
    """
    x = axes.x
    tick_at, tick_value = x.ticks["position_pt"].to_numpy(), x.ticks["value"].to_numpy()
    spacing = float(np.min(np.diff(np.sort(tick_at))))
    labels_bottom = max(word.bottom for word in x.label_words)
    left, top, right, bottom = axes.box
    below = [w for w in drawing.words if w.top >= labels_bottom - 0.5 and left - 0.5 * spacing <= w.x_centre
             <= right + 0.5 * spacing and w.top <= labels_bottom + 0.8 * (bottom - top)]
    rows = []
    for line in _lines(below):
        cells = []
        for word in line:
            nearest = int(np.argmin(np.abs(tick_at - word.x_centre)))
            if word.number is not None and float(word.number).is_integer() \
                    and abs(tick_at[nearest] - word.x_centre) <= 0.25 * spacing:
                cells.append((float(tick_value[nearest]), int(word.number), word))
        times = [cell[0] for cell in cells]
        counts = [cell[1] for cell in cells]
        if len(cells) >= 2 and len(set(times)) == len(times) and all(np.diff(counts) <= 0):
            rows.append((line, cells))
        elif rows and len(cells) == 0 and any(w.number is not None for w in line):
            break
    if not rows:
        return pd.DataFrame({"arm": pd.Series(dtype=str), "time": pd.Series(dtype=float),
                             "n_risk": pd.Series(dtype=int)})
    names = _row_names(drawing, rows, arms)
    table = [(name, time, count) for name, (_, cells) in zip(names, rows) if name for time, count, _ in cells]
    return pd.DataFrame(table, columns=["arm", "time", "n_risk"]).astype({"arm": str, "time": float, "n_risk": int})


def _lines(words: list) -> list[list]:
    """Words grouped into lines (vertical centres within a third of the font size), top to bottom."""
    lines: list[list] = []
    for word in sorted(words, key=lambda w: w.y_centre):
        if lines and abs(word.y_centre - lines[-1][0].y_centre) <= 0.35 * word.size:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _row_names(drawing: PageDrawing, rows: list, arms: list[VectorArm]) -> list[str]:
    """The arm of each at-risk row (see :func:`read_at_risk`)."""
    by_colour = {arm.style[0]: arm.name for arm in arms}
    colours = [{cell[2].colour for cell in cells} for _, cells in rows]
    if len(by_colour) == len(arms) and all(len(c) == 1 and next(iter(c)) in by_colour for c in colours):
        return [by_colour[next(iter(c))] for c in colours]
    names = {arm.name for arm in arms}
    labels = []
    for line, cells in rows:
        first = cells[0][2]
        on_left = [w for w in drawing.words if abs(w.y_centre - first.y_centre) <= 0.35 * first.size
                   and w.x1 < first.x0 and first.x0 - w.x1 < 30 * first.size]
        labels.append(" ".join(w.text for w in sorted(on_left, key=lambda w: w.x0)).translate(MINUS_SIGNS).strip())
    if all(label in names for label in labels) and len(set(labels)) == len(labels):
        return labels
    if len(rows) == len(arms):
        return [arm.name for arm in arms]
    return [""] * len(rows)


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PixelFrame:
    """Points of a page region <-> pixels of its rendering: ``px = (pt - origin) * scale``."""

    left_pt: float
    top_pt: float
    scale: float = PIXELS_PER_PT

    def x_px(self, x_pt):
        return (np.asarray(x_pt, dtype=float) - self.left_pt) * self.scale

    def y_px(self, y_pt):
        return (np.asarray(y_pt, dtype=float) - self.top_pt) * self.scale


@dataclass
class VectorDigitizationResult(DigitizationResult):
    """A :class:`DigitizationResult` read from vector paths: its readings are exact to the PDF's
    coordinate precision (:data:`COORDINATE_PRECISION_PT`), not to a traced pixel."""

    @property
    def survival_noise(self) -> float:
        return COORDINATE_PRECISION_PT * PIXELS_PER_PT * self.calibration.y.value_per_px()

    @property
    def time_error(self) -> float:
        return COORDINATE_PRECISION_PT * PIXELS_PER_PT * self.calibration.x.value_per_px()


def _axis_calibration(axis: Axis, to_px) -> AxisCalibration:
    px = to_px(axis.ticks["position_pt"].to_numpy())
    values = axis.ticks["value"].to_numpy(float)
    slope, intercept = np.polyfit(px, np.log10(values) if axis.scale == "log" else values, 1)
    ticks = pd.DataFrame({"px": px, "value": values, "text": axis.ticks["text"].to_numpy(), "confidence": 1.0})
    return AxisCalibration(float(slope), float(intercept), ticks, "pdf text", axis.scale)


def read_vector_plot(drawing: PageDrawing, axes: VectorAxes, render, *, arms=None) -> VectorDigitizationResult:
    """Digitize one vector KM plot of a page (see the module docstring).

    Parameters
    ----------
    drawing : PageDrawing
        The page's paths and words.
    axes : VectorAxes
        The plot (from :func:`find_axes`).
    render : callable
        ``render(left_pt, top_pt, right_pt, bottom_pt, scale) -> RGB ndarray``: the page region drawn
        at ``scale`` pixels per point, for the overlay.
    arms : dict or str, optional
        Arm names and colours as :func:`digitize.digitize` takes them.

    Returns
    -------
    VectorDigitizationResult
    """
    found = read_arms(drawing, axes)
    if not found:
        raise InputError("no Kaplan-Meier curve (a path that only steps down) in the plot")
    curve_indices = {index for index, _ in curve_paths(drawing, axes)}
    widths = [arm.style[2] for arm in found]
    curves_end = max(float(arm.corners[:, 0].max()) for arm in found)
    off_curve = assign_marks(found, glyph_centres(drawing, axes, curve_indices, max(widths) / 2 + 0.1, curves_end))
    legend = read_legend(drawing, axes, found)
    order = sorted(range(len(found)), key=lambda k: (k not in legend, k))
    for position, k in enumerate(order, start=1):
        found[k].name = legend.get(k, f"arm{position}")
    warnings = []
    if len(legend) < len(found):
        warnings.append(f"no legend entry found for {len(found) - len(legend)} of {len(found)} arm(s); "
                        f"those are named arm1, arm2, ...")
    if len({arm.name for arm in found}) < len(found):
        warnings.append("legend names repeat; arms named arm1, arm2, ... instead")
        for position, k in enumerate(order, start=1):
            found[k].name = f"arm{position}"
    if arms is not None:
        found, order = _user_arms(found, arms)
    at_risk = read_at_risk(drawing, axes, [found[k] for k in order])
    beyond = [arm.name for arm in found if arm.corners[:, 0].max() > axes.box[2] + 1
              or arm.corners[:, 1].max() > axes.box[3] + 1]
    if beyond:
        warnings.append(f"arm(s) {', '.join(beyond)} run on past the plotted window (clipped in the figure); "
                        f"read whole from its vector paths")
    if off_curve:
        warnings.append(f"{off_curve} small glyph(s) in the plot lie on no curve; not taken as censor marks")

    region = _region(drawing, axes)
    frame = PixelFrame(region[0], region[1])
    calibration = Calibration(_axis_calibration(axes.x, frame.x_px), _axis_calibration(axes.y, frame.y_px),
                              y_percent=bool(axes.y.ticks["value"].abs().max() > 1.5))
    if calibration.y_percent:
        y = calibration.y
        calibration = Calibration(calibration.x, AxisCalibration(y.slope / 100, y.intercept / 100,
                                  y.ticks.assign(value=y.ticks["value"] / 100), y.source), True)
    curves, marks = [], []
    for k in order:
        arm = found[k]
        time = calibration.time(frame.x_px(arm.corners[:, 0]))
        survival = calibration.survival(frame.y_px(arm.corners[:, 1]))
        # A start a rounding of the PDF's coordinates before time 0, or a level that far past 0 or 1,
        # is at 0 or 1 (the values the program drew).
        time_precision, survival_precision = (2 * COORDINATE_PRECISION_PT * PIXELS_PER_PT * a.value_per_px()
                                              for a in (calibration.x, calibration.y))
        time = np.where((time < 0) & (time >= -time_precision), 0.0, time)
        if calibration.x.scale == "log":  # a log axis cannot show time 0: the curve is known from its left edge
            time = np.maximum(time, calibration.time(frame.x_px(axes.box[0])))
        survival = np.where((survival > 1) & (survival <= 1 + survival_precision), 1.0, survival)
        survival = np.where((survival < 0) & (survival >= -survival_precision), 0.0, survival)
        curves.append(pd.DataFrame({"arm": arm.name, "time": time, "survival": survival}))
        # Several censorings at one time are drawn as marks over one another: one mark a time.
        mark_x = np.unique(np.round(np.asarray(arm.mark_x_pt, dtype=float) / COORDINATE_PRECISION_PT))
        marks.append(pd.DataFrame({"arm": arm.name, "time": calibration.time(frame.x_px(mark_x * COORDINATE_PRECISION_PT))}))
    left, top, right, bottom = axes.box
    curves_frame = pd.concat(curves, ignore_index=True)[["arm", "time", "survival"]]
    # A path the program cut at the edge of the page or figure (matplotlib clips what it writes to
    # the figure) holds the curve only down to there.
    edge_survival = float(calibration.survival(frame.y_px(drawing.height_pt)))
    warnings += window_exits(curves_frame, edge_survival, float(calibration.survival(frame.y_px(top)))
                             - float(calibration.survival(frame.y_px(top + 0.5))), "figure")
    marks_frame = pd.concat(marks, ignore_index=True)[["arm", "time"]]
    table = pd.DataFrame({
        "arm": [found[k].name for k in order],
        "colour": [hex_colour(np.array(found[k].style[0] or (0, 0, 0))) for k in order],
        "n_points": [len(found[k].corners) for k in order],
        "n_censor_marks": [int((marks_frame["arm"] == found[k].name).sum()) for k in order],
        "line_width_px": [round(found[k].style[2] * PIXELS_PER_PT, 3) for k in order],
        "seen": 1.0, "hidden": 0.0,
        "line_type": ["dashed" if found[k].style[1] else "solid" for k in order],
        "n": pd.array([None] * len(order), dtype="Int64"),  # the arm sizes printed in a legend: not read here
    })
    quality = {"n_arms": len(order), "max_overlap": 0.0, "min_seen": 1.0,
               "calibration_source": {"x": "pdf text", "y": "pdf text"}, "min_tick_confidence": 1.0,
               "source": "pdf vector"}
    return VectorDigitizationResult(
        curves=curves_frame,
        censor_marks=marks_frame,
        at_risk=at_risk, calibration=calibration, arms=table, quality=quality, warnings=warnings,
        image=render(*region, PIXELS_PER_PT),
        plot_area=PlotArea(int(round(float(frame.x_px(left)))), int(round(float(frame.y_px(top)))),
                           int(round(float(frame.x_px(right)))), int(round(float(frame.y_px(bottom)))), False),
    )


def read_plot(drawing: PageDrawing, axes: VectorAxes, render, **options) -> VectorDigitizationResult:
    """:func:`read_vector_plot` with the options of :func:`digitize.digitize`; those about reading
    tick labels from pixels (``x_range``, ``x_ticks``, ...) are refused: the labels are text."""
    unsupported = {k for k, v in options.items() if v is not None and k != "arms"}
    if unsupported:
        raise InputError(f"{', '.join(sorted(unsupported))} not needed for a vector plot: its tick labels are text")
    return read_vector_plot(drawing, axes, render, arms=options.get("arms"))


def _user_arms(found: list[VectorArm], arms) -> tuple[list[VectorArm], list[int]]:
    """The arms the user named (``NAME=COLOUR``), matched to the curves by colour, in the user's order."""
    named = parse_arm_colours(arms)
    colours = np.array([arm.style[0] or (0, 0, 0) for arm in found], dtype=np.uint8)
    pairs = match_named_colours(named, colours)
    order = []
    for name in named:
        k = int(pairs.loc[pairs["arm"] == name, "index"].iloc[0])
        found[k].name = name
        order.append(k)
    return found, order


def _region(drawing: PageDrawing, axes: VectorAxes) -> tuple[float, float, float, float]:
    """The page region shown with a plot: its box with the tick labels, a margin and the table below."""
    left, top, right, bottom = axes.box
    words = axes.x.label_words + axes.y.label_words
    height = bottom - top
    region = (min([left] + [w.x0 for w in words]) - 0.15 * (right - left), top - 0.08 * height,
              right + 0.05 * (right - left), bottom + 0.45 * height)
    return (max(region[0], 0.0), max(region[1], 0.0), min(region[2], drawing.width_pt),
            min(region[3], drawing.height_pt))
