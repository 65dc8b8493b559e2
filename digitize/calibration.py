"""Axis calibration: the map between pixels and data (time, survival) from the tick labels.

The tick labels next to each axis are found from the pixels (dark blobs in a
strip beside the axis line, grouped into labels), read with OCR, tied to the
tick mark under them, and fitted by a robust straight line, so a misread
label ("42" read as "47") is outvoted by the others instead of bending the
fit. A time axis whose labels grow tenfold at even steps (1, 10, 100) is a
log axis: their logarithms, not their values, lie on the line. User overrides (the values of the first and last labels, or all tick
values) replace the OCR values but keep the pixel positions.

Pixel convention: ``x_px`` is the column, ``y_px`` the row, row 0 at the top.
This module is the only place where pixels and data values are converted.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Iterator

import cv2
import numpy as np
import pandas as pd

from digitize.axes import PlotArea, darkness, find_ticks
from digitize.ocr import read_boxes
from kmipd.errors import InputError

#: What a plot's y axis may show (see :class:`Calibration`).
MEASURES = ("survival", "cumulative_incidence")
#: Tick labels read below this OCR confidence are reported in a warning.
LOW_CONFIDENCE = 0.8
TICK_COLUMNS = ["px", "value", "text", "confidence"]
#: The tallest a glyph may be, in heights of the line of text beside it.
MAX_GLYPH_HEIGHTS = 2.0


#: How an axis maps positions to values: ``"linear"`` (value = a + b px) or ``"log"`` (log10 value = a + b px).
SCALES = ("linear", "log")


@dataclass(frozen=True)
class AxisCalibration:
    """A linear or logarithmic map between pixel position and data value on one axis.

    Attributes
    ----------
    slope, intercept : float
        ``value = intercept + slope * px`` on a linear axis; ``log10(value) = intercept + slope * px``
        on a log axis.
    ticks : pandas.DataFrame
        The ticks the map was fitted on: ``px, value, text, confidence``
        (values in data units: survival as a probability).
    source : str
        ``"ocr"``, ``"user range"`` or ``"user ticks"``.
    scale : str
        ``"linear"`` or ``"log"`` (see :data:`SCALES`).
    """

    slope: float
    intercept: float
    ticks: pd.DataFrame = field(repr=False, compare=False)
    source: str = "ocr"
    scale: str = "linear"

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {self.scale!r}")

    def to_value(self, px):
        """Data value at pixel position(s) ``px``."""
        linear = self.intercept + self.slope * np.asarray(px, dtype=float)
        return 10.0 ** linear if self.scale == "log" else linear

    def to_px(self, value):
        """Pixel position(s) of data value(s) ``value`` (on a log axis, values <= 0 lie at -inf)."""
        value = np.asarray(value, dtype=float)
        if self.scale == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(value > 0, np.log10(np.where(value > 0, value, 1.0)), -np.inf)
        return (value - self.intercept) / self.slope

    def value_per_px(self) -> float:
        """How much the value changes over one pixel: ``|slope|`` on a linear axis; on a log axis the
        most it changes anywhere between the ticks (at the largest tick), a bound for errors."""
        if self.scale == "log":
            return float(np.log(10) * abs(self.slope) * self.ticks["value"].max())
        return abs(self.slope)

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"slope": self.slope, "intercept": self.intercept, "scale": self.scale, "source": self.source,
                "ticks": [{"px": round(float(row.px), 3), "value": float(row.value), "text": str(row.text),
                           "confidence": float(row.confidence)} for row in self.ticks.itertuples()]}


@dataclass(frozen=True)
class Calibration:
    """Pixel <-> data maps of both axes of one plot.

    Attributes
    ----------
    x : AxisCalibration
        Column -> time (in the figure's unit).
    y : AxisCalibration
        Row -> survival probability (percent axes already divided by 100).
    y_percent : bool
        The printed y labels were 0-100.
    warnings : tuple of str
        Doubts found while calibrating, for the user to check.
    measure : str
        What the y axis shows: ``"survival"``, or ``"cumulative_incidence"``
        (1 - survival, curves rising from 0: R's ``fun = "event"``, lifelines'
        ``plot_cumulative_density``). ``y`` maps rows to the values printed
        either way; :meth:`survival` and :meth:`y_px` convert to survival.
    """

    x: AxisCalibration
    y: AxisCalibration
    y_percent: bool
    warnings: tuple[str, ...] = ()
    measure: str = "survival"

    def __post_init__(self):
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, not {self.measure!r}")

    def with_measure(self, measure: str) -> "Calibration":
        """The same axes, read as ``measure`` (see :data:`MEASURES`)."""
        return replace(self, measure=measure)

    def time(self, x_px):
        """Time at column(s) ``x_px``."""
        return self.x.to_value(x_px)

    def survival(self, y_px):
        """Survival probability at row(s) ``y_px``."""
        return self._as_survival(self.y.to_value(y_px))

    def x_px(self, time):
        """Column(s) of time(s) ``time``."""
        return self.x.to_px(time)

    def y_px(self, survival):
        """Row(s) of survival probability(ies) ``survival``."""
        return self.y.to_px(self._as_survival(np.asarray(survival, dtype=float)))

    def _as_survival(self, value):
        """Survival from the value the y axis shows, and back (1 - x is its own inverse)."""
        return 1.0 - value if self.measure == "cumulative_incidence" else value

    def to_dict(self) -> dict:
        """JSON-ready description, for ``digitization.json``."""
        return {"x": self.x.to_dict(), "y": self.y.to_dict(), "y_percent": self.y_percent,
                "warnings": list(self.warnings)}


def calibrate(image: np.ndarray, plot_area: PlotArea, *, x_range=None, y_range=None,
              x_ticks=None, y_ticks=None) -> Calibration:
    """Calibrate both axes of a plot from its tick labels, or from user overrides.

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 figure.
    plot_area : PlotArea
        From :func:`digitize.axes.find_plot_area`.
    x_range, y_range : (float, float), optional
        Values of the first and last labelled ticks (x: leftmost, rightmost;
        y: bottom, top), as read off the figure. A y range ending above 1.5
        (e.g. ``(0, 100)``) means a percent axis.
    x_ticks, y_ticks : sequence of float, optional
        The values of all labelled ticks, in order (x left to right, y bottom
        to top).

    Returns
    -------
    Calibration

    Raises
    ------
    InputError
        When an axis has no readable labels and no override, or an override
        does not match the ticks found.
    """
    tick_px_x, tick_px_y = find_ticks(image, plot_area)
    warnings: list[str] = []
    x = _calibrate_axis(_label_strips(image, plot_area, "x"), tick_px_x, "x", x_range, x_ticks, warnings)
    plausible = partial(_plausible_survival, rows=(plot_area.top, plot_area.bottom))
    y = _calibrate_axis(_label_strips(image, plot_area, "y"), tick_px_y, "y", y_range, y_ticks, warnings,
                        plausible)
    # Percent labels (0-100) become probabilities here, so nothing downstream sees percent.
    y_percent = _is_percent(y)
    if y_percent:
        y = AxisCalibration(y.slope / 100, y.intercept / 100,
                            y.ticks.assign(value=y.ticks["value"] / 100), y.source)
    return Calibration(x, y, y_percent, tuple(warnings))


def _is_percent(y: AxisCalibration) -> bool:
    return bool(y.ticks["value"].abs().max() > 1.5)


def _plausible_survival(y: AxisCalibration, rows: tuple[int, int]) -> bool:
    """Whether a y calibration spans what a KM plot shows: the top near 1, the bottom under 0.9."""
    scale = 100 if _is_percent(y) else 1
    at_top, at_bottom = y.to_value(rows) / scale
    return 0.2 <= at_top <= 1.3 and -0.3 <= at_bottom <= 0.9


# --- finding and reading tick labels ------------------------------------------------------------

Box = tuple[int, int, int, int]  # left, top, right, bottom; right and bottom exclusive


@dataclass(frozen=True)
class _LabelStrip:
    """The strip of image beside an axis where its tick labels are, and the label boxes in it.

    When the labels are printed rotated (y labels reading upward, as base R
    and Stata print them), ``pixels`` is the strip turned a quarter clockwise
    so that they read upright, and ``boxes`` are in the turned strip.
    """

    pixels: np.ndarray
    boxes: list[Box]
    left: int
    top: int
    rotated: bool

    def along_axis(self, boxes: pd.DataFrame, axis: str) -> tuple[np.ndarray, np.ndarray]:
        """Label centres along the axis in image pixels, and the labels' half extents along it."""
        x_centre, y_centre = (boxes["left"] + boxes["right"] - 1) / 2, (boxes["top"] + boxes["bottom"] - 1) / 2
        if axis == "x":
            return (x_centre + self.left).to_numpy(), ((boxes["right"] - boxes["left"]) / 2).to_numpy()
        if self.rotated:  # turned clockwise: a turned column x is the strip row (height - 1 - x)
            strip_height = self.pixels.shape[1]
            return (strip_height - 1 - x_centre + self.top).to_numpy(), ((boxes["right"] - boxes["left"]) / 2).to_numpy()
        return (y_centre + self.top).to_numpy(), ((boxes["bottom"] - boxes["top"]) / 2).to_numpy()


def _label_strips(image: np.ndarray, plot_area: PlotArea, axis: str) -> Iterator[_LabelStrip]:
    """Where the tick labels of one axis may be, most likely first (found lazily, from the pixels).

    Labels are the dark blobs nearest the axis line on its outside (tick
    marks, which touch the line, left out), grouped into words: for the x
    axis the first line of text under the axis, for the y axis the column of
    right-aligned words left of it and, as a second guess (first when those
    words look like stacks of glyphs), the first line of words in the strip
    turned upright, for labels reading upward.
    """
    height, width = image.shape[:2]
    if axis == "x":
        span = plot_area.width
        left, right = max(plot_area.left - int(0.08 * span), 0), min(plot_area.right + int(0.08 * span), width)
        top, bottom = plot_area.bottom + 1, min(plot_area.bottom + 1 + max(60, int(0.15 * span)), height)
    else:
        span = plot_area.height
        left, right = max(plot_area.left - max(100, int(0.3 * plot_area.width)), 0), plot_area.left
        top, bottom = max(plot_area.top - int(0.06 * span), 0), min(plot_area.bottom + int(0.06 * span), height)
    pixels = image[top:bottom, left:right]
    if pixels.shape[0] < 3 or pixels.shape[1] < 3:
        return
    ink = darkness(pixels) > 0.2
    if axis == "x":
        # The lowest y label often hangs below the x axis, left of the plot: it cannot start the line.
        first_column = plot_area.left - left - max(3, int(0.02 * span))
        words = [w for w in group_words(_blobs(ink, touching="top")) if (w[0] + w[2]) / 2 >= first_column]
        yield _LabelStrip(pixels, _nearest_aligned(words, edge=_centre_row, nearest_first=True), left, top, False)
        return
    upright = _nearest_aligned(group_words(_blobs(ink, touching="right")), edge=lambda w: w[2], nearest_first=False)
    stacked = _stacked(upright)
    if not stacked:
        yield _LabelStrip(pixels, upright, left, top, False)
    turned = cv2.rotate(ink.astype(np.uint8), cv2.ROTATE_90_CLOCKWISE)
    words = _nearest_aligned(group_words(_blobs(turned, touching="bottom")), edge=_centre_row, nearest_first=False)
    yield _LabelStrip(cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE), words, left, top, True)
    if stacked:
        yield _LabelStrip(pixels, upright, left, top, False)


def below_tick_labels(image: np.ndarray, plot_area: PlotArea) -> int:
    """The first image row under the x-axis tick labels (under the axis when none are found)."""
    strip = next(_label_strips(image, plot_area, "x"), None)
    if strip is None or not strip.boxes:
        return plot_area.bottom + 1
    return strip.top + max(box[3] for box in strip.boxes)


def _centre_row(word: Box) -> float:
    return (word[1] + word[3]) / 2


def _stacked(words: list[Box]) -> bool:
    """Whether the words form vertical stacks of glyphs: labels printed turned a quarter.

    Upright y labels are a line height or more apart; the glyphs of a label
    reading upward are a pixel or two apart, so at least a third of the
    gaps between neighbours are shorter than a glyph.
    """
    if len(words) < 2:
        return False
    words = sorted(words, key=lambda w: w[1])
    gaps = np.array([b[1] - a[3] for a, b in zip(words, words[1:])])
    glyph = np.median([min(w[3] - w[1], w[2] - w[0]) for w in words])
    return int(np.sum(gaps < 0.5 * glyph)) >= max(1, len(gaps) / 3)


def _blobs(mask: np.ndarray, touching: str) -> list[Box]:
    """Connected blobs of ``mask`` as boxes, without those touching the axis side (tick marks)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    blobs = []
    for left, top, width, height, area in stats[1:]:
        touches_axis = {"top": top == 0, "right": left + width == mask.shape[1],
                        "bottom": top + height == mask.shape[0]}[touching]
        if touches_axis or area < 3 or max(width, height) > 0.5 * max(mask.shape):
            continue
        blobs.append((int(left), int(top), int(left + width), int(top + height)))
    return blobs


def group_words(blobs: list[Box]) -> list[Box]:
    """Merge boxes of ink side by side on one line, closer than about a character height, into words.

    Boxes and words are ``(left, top, right, bottom)``, right and bottom
    exclusive; the words come sorted by their left edge. A box more than
    :data:`MAX_GLYPH_HEIGHTS` times as tall as the line of the box beside it
    is not a glyph of that line (in small figures the letters of a y-axis
    title printed upward run into one tall blob a few pixels from the tick
    labels), and the two are not merged.
    """
    words = sorted(blobs)
    merged = True
    while merged:  # repeat until stable: a merge can bring a word within reach of the next
        merged = False
        out: list[Box] = []
        for box in words:
            for i, word in enumerate(out):
                overlap = min(box[3], word[3]) - max(box[1], word[1])
                gap = max(box[0], word[0]) - min(box[2], word[2])
                # Heights of both: a decimal point is short, the digit beside it sets the scale;
                # a faint point may be lost altogether, leaving a digit-wide gap in "0.6".
                (shorter, short_box), (taller, _) = sorted(((box[3] - box[1], box), (word[3] - word[1], word)))
                if (overlap > 0.3 * shorter and gap <= 0.9 * taller
                        and taller <= MAX_GLYPH_HEIGHTS * _line_height(short_box, (box, word), words)):
                    out[i] = (min(box[0], word[0]), min(box[1], word[1]), max(box[2], word[2]), max(box[3], word[3]))
                    merged = True
                    break
            else:
                out.append(box)
        words = sorted(out)
    return words


def _line_height(box: Box, pair: tuple[Box, Box], boxes: list[Box]) -> int:
    """Height of the tallest box on the rows of ``box`` other than the ``pair`` being merged (``box``'s
    own height when there is none): the digits beside a decimal point, the rest of a label."""
    heights = [other[3] - other[1] for other in boxes if other not in pair
               and min(box[3], other[3]) - max(box[1], other[1]) > 0.3 * min(box[3] - box[1], other[3] - other[1])]
    return max(heights, default=box[3] - box[1])


def _nearest_aligned(words: list[Box], edge, nearest_first: bool) -> list[Box]:
    """The aligned words nearest the axis: a run of labels shares ``edge``.

    ``edge(word)`` is the coordinate labels share (the centre row of a line
    of labels, the right end of a right-aligned column); ``nearest_first``
    orders it from the axis outward. Groups of two or more words win over
    single words, and specks under half the group's text height are left
    out, so a stray dot of ink does not stand for the labels.
    """
    ordered = sorted(words, key=lambda w: (edge(w) if nearest_first else -edge(w), w))
    groups = []
    for anchor in ordered:
        tolerance = max(3, 0.3 * (anchor[3] - anchor[1]))
        group = [w for w in words if abs(edge(w) - edge(anchor)) <= tolerance]
        text_height = np.median([w[3] - w[1] for w in group])
        group = [w for w in group if w[3] - w[1] >= 0.5 * text_height]
        if len(group) >= 2:
            return group
        groups.append(group)
    return groups[0] if groups else []


def _label_positions(strip: _LabelStrip, tick_px: np.ndarray, axis: str) -> np.ndarray:
    """The position along the axis each label of ``strip`` names, in image pixels.

    That is the tick's position when a tick lies within the label's extent
    along the axis (more precise than the label's centre), else the label's
    centre.
    """
    boxes = pd.DataFrame(strip.boxes, columns=["left", "top", "right", "bottom"], dtype=float)
    centres, half_extents = strip.along_axis(boxes, axis)
    if not len(tick_px) or not len(centres):
        return centres.astype(float)
    nearest = tick_px[np.abs(centres[:, None] - tick_px[None, :]).argmin(axis=1)]
    return np.where(np.abs(nearest - centres) <= half_extents + 2, nearest, centres).astype(float)


def _read_labels(strip: _LabelStrip, positions: np.ndarray, which) -> pd.DataFrame:
    """OCR of the labels numbered ``which``: a frame ``px, value, text, confidence``, indexed by label."""
    which = list(which)
    read = read_boxes(strip.pixels, [strip.boxes[i] for i in which])
    return pd.DataFrame({"px": positions[which], "value": [parse_number(t) for t in read["text"]],
                         "text": read["text"].to_numpy(), "confidence": read["confidence"].to_numpy()},
                        index=which)


def _reading_order(count: int, first: int = 4) -> list[int]:
    """Label numbers to read, the ``first`` spread along the axis, then the rest."""
    spread = [int(i) for i in np.unique(np.round(np.linspace(0, count - 1, min(first, count))))] if count else []
    return spread + [i for i in range(count) if i not in spread]


_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                             "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2",
                             "−": "-", "–": "-", "—": "-"})


def parse_number(text: str) -> float:
    """The number a tick label shows, or NaN.

    Accepts ``0.5``, ``0,5`` (decimal comma), ``1,000`` and ``1 000``
    (thousands), ``50%``, ``-2``, and in an otherwise numeric label the
    letters OCR confuses with digits (``O`` for 0, ``l`` for 1). When other
    marks come first (a glyph of the y-axis title beside a label, read as
    "E 0.4"), the last number, nearest the axis, is taken.
    """
    text = re.sub(r"(\d) (?=\d{3}\b)", r"\1", str(text).replace("%", " ").strip())
    tokens = text.split()
    if not tokens:
        return float("nan")
    token = tokens[-1]
    if re.fullmatch(r"[-\d.,OoDQlIi|SsBZz−–—]+", token):
        token = token.translate(_LOOKALIKES)
    if re.fullmatch(r".*?-?\d{1,3}(,\d{3})+", token):
        token = token.replace(",", "")
    match = re.search(r"-?(\d+\.?\d*|\.\d+)$", token.replace(",", "."))
    return float(match.group()) if match else float("nan")


# --- fitting ------------------------------------------------------------------------------------

def _calibrate_axis(strips: Iterator[_LabelStrip], tick_px: np.ndarray, axis: str, value_range, values,
                    warnings: list[str], plausible=lambda calibration: True) -> AxisCalibration:
    """One axis: user tick values, else user range, else a robust fit over the labels read.

    ``strips`` are the places the labels may be, most likely first; the first
    whose labels give a consensus that ``plausible`` accepts is used.
    """
    if values is not None or value_range is not None:
        strip = next(strips, None)
        positions = _label_positions(strip, tick_px, axis) if strip is not None else np.empty(0)
        # Labelled positions in the order values grow: x left to right, y bottom to top (rows decreasing).
        positions = np.sort(positions if len(positions) >= 2 else tick_px)[::1 if axis == "x" else -1]
        return _user_calibration(positions, axis, value_range, values)
    for strip in strips:
        positions = _label_positions(strip, tick_px, axis)
        order = _reading_order(len(positions))
        # OCR is the slow step: when four labels spread along the axis agree, the rest add
        # nothing the tick positions do not; any doubt and all are read.
        labels = _read_labels(strip, positions, order[:4])
        inliers, scale = _best_consensus(labels.dropna(subset=["value"]), axis)
        if len(order) > 4 and (inliers is None or len(inliers) < 4):
            labels = pd.concat([labels, _read_labels(strip, positions, order[4:])])
            inliers, scale = _best_consensus(labels.dropna(subset=["value"]), axis)
        if inliers is None:
            continue
        calibration = _fit(inliers, "ocr", tick_px, scale)
        if not plausible(calibration):
            continue
        rejected = labels.dropna(subset=["value"]).drop(index=inliers.index)
        if len(rejected):
            warnings.append(f"{axis}-axis tick label(s) {', '.join(repr(t) for t in rejected['text'])} "
                            "disagree with the others and were ignored")
        if len(inliers) == 2:
            warnings.append(f"only two {axis}-axis tick labels could be read; the {axis} calibration is unchecked")
        if inliers["confidence"].min() < LOW_CONFIDENCE:
            warnings.append(f"{axis}-axis tick labels read at low confidence "
                            f"(lowest {inliers['confidence'].min():.2f})")
        return calibration
    raise InputError(f"could not read the {axis}-axis tick labels; give --{axis}-range A,B")


def _user_calibration(positions: np.ndarray, axis: str, value_range, values) -> AxisCalibration:
    """Calibration from user values placed on the labelled tick positions (or the ticks)."""
    if values is not None:
        values = np.asarray(values, dtype=float)
        if len(values) != len(positions):
            raise InputError(f"{len(values)} {axis} tick values were given but {len(positions)} labelled "
                             f"{axis} ticks were found; give --{axis}-range A,B instead")
        source = "user ticks"
    else:
        if len(positions) < 2:
            raise InputError(f"could not find the {axis}-axis ticks to place the given {axis} range on")
        positions, values, source = positions[[0, -1]], np.asarray(value_range, dtype=float), "user range"
    return _fit(pd.DataFrame({"px": positions, "value": values, "text": [f"{v:g}" for v in values],
                              "confidence": 1.0}), source)


def _best_consensus(labels: pd.DataFrame, axis: str) -> tuple[pd.DataFrame | None, str]:
    """The labels of the axis's calibration and its scale: on the time axis a log scale when the
    labels' logarithms lie on a line through more of them than the values themselves do (1, 10,
    100 evenly spaced: no straight line passes through three of them), else linear."""
    linear = _consensus(labels, axis)
    if axis == "x":
        logarithmic = _consensus(labels, axis, scale="log")
        if logarithmic is not None and len(logarithmic) >= 3 and (linear is None or len(logarithmic) > len(linear)):
            return logarithmic, "log"
    return linear, "linear"


def _consensus(labels: pd.DataFrame, axis: str, scale: str = "linear") -> pd.DataFrame | None:
    """The largest set of labels lying on one straight line, and forming a progression.

    An exhaustive RANSAC: every pair of labels proposes a line; the line with
    most labels within tolerance wins (ties: smaller squared error, then the
    earlier pair, so the choice is deterministic). The winners' values must
    form a progression (:func:`_is_progression`).

    References
    ----------
    Fischler, M. A. & Bolles, R. C. (1981). Random sample consensus. Comm. ACM 24(6), 381-395.
    """
    if scale == "log":  # the line and the progression in log10 of the (positive) values
        positive = labels[labels["value"] > 0]
        inliers = _consensus(positive.assign(value=np.log10(positive["value"])), axis)
        return None if inliers is None else labels.loc[inliers.index]
    if len(labels) < 2:
        return None
    px, value = labels["px"].to_numpy(), labels["value"].to_numpy()
    # Tick positions are good to a pixel; labels without a tick found under them to two or three.
    tolerance_px = 2.5 + 0.002 * np.ptp(px)
    best, best_key = None, None
    for i, j in itertools.combinations(range(len(labels)), 2):
        if value[i] == value[j] or abs(px[i] - px[j]) < 5:
            continue
        slope = (value[j] - value[i]) / (px[j] - px[i])
        if (slope > 0) != (axis == "x"):  # values grow rightward on x, upward (rows shrink) on y
            continue
        residual_px = np.abs(px - (px[i] + (value - value[i]) / slope))
        members = residual_px <= tolerance_px
        key = (-int(members.sum()), float(np.sum(residual_px[members] ** 2)))
        if best_key is None or key < best_key:
            best, best_key = members, key
    if best is None:
        return None
    inliers = labels[best]
    # A label misread by less than the tolerance ("2005" for "2000") stays on the line but breaks
    # the progression of the others: leave out the label whose absence gives the coarsest step.
    while len(inliers) > 2 and not _is_progression(inliers["value"].to_numpy()):
        values = inliers["value"].to_numpy()
        odd = max(range(len(values)), key=lambda k: (_step_or_zero(np.delete(values, k)), -k))
        inliers = inliers.drop(index=inliers.index[odd])
    return inliers if _is_progression(inliers["value"].to_numpy()) else None


def _step_or_zero(values: np.ndarray) -> float:
    """:func:`tick_step` of distinct values, 0 when two are equal (no progression at all)."""
    distinct = len(np.unique(np.round(values * 10**4))) == len(values)
    return tick_step(values) if distinct else 0.0


def _is_progression(values: np.ndarray) -> bool:
    """Whether distinct values are whole steps of one common step, at most 100 steps apart.

    See :func:`tick_step`.
    """
    values = np.asarray(values, dtype=float)
    if len(np.unique(np.round(values * 10**4))) != len(values):
        return False
    step = tick_step(values)
    return len(values) < 2 or bool(np.ptp(values) / step <= 100)


def tick_step(values) -> float:
    """The common step of tick values: the greatest common divisor of their differences.

    Labels missing from the run still count (0, 1500, 2500 give 500); labels
    carry at most four decimals. NaN for fewer than two distinct values.
    """
    scaled = np.unique(np.round(np.asarray(values, dtype=float) * 10**4).astype(np.int64))
    if len(scaled) < 2:
        return float("nan")
    return float(np.gcd.reduce(np.diff(scaled))) / 10**4


def _fit(ticks: pd.DataFrame, source: str, tick_px=(), scale: str = "linear") -> AxisCalibration:
    """Least-squares line ``value = intercept + slope * px`` through the ticks (``log10(value)`` on a
    log ``scale``).

    When two or more labels lie on a tick mark found (``tick_px``), the line
    goes through those alone: a tick mark is placed to a tenth of a pixel, a
    label's centre only to a pixel or two (the box of its glyphs is not
    centred on the tick in every program, and small type blurs).
    """
    ticks = ticks.sort_values("px", kind="mergesort").reset_index(drop=True)[TICK_COLUMNS]
    on_tick = np.isin(ticks["px"].to_numpy(float), tick_px)
    fitted = ticks[on_tick] if on_tick.sum() >= 2 else ticks
    values = fitted["value"].to_numpy(float)
    slope, intercept = np.polyfit(fitted["px"].to_numpy(float), np.log10(values) if scale == "log" else values, 1)
    return AxisCalibration(float(slope), float(intercept), ticks, source, scale)
