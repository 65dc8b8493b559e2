"""Axis calibration: the map between pixels and data (time, survival) from the tick labels.

The tick labels next to each axis are found from the pixels (dark blobs in a
strip beside the axis line, grouped into labels), read with OCR, tied to the
tick mark under them, and fitted by a robust straight line, so a misread
label ("42" read as "47") is outvoted by the others instead of bending the
fit. User overrides (the values of the first and last labels, or all tick
values) replace the OCR values but keep the pixel positions.

Pixel convention: ``x_px`` is the column, ``y_px`` the row, row 0 at the top.
This module is the only place where pixels and data values are converted.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from digitize.axes import PlotArea, darkness, find_ticks
from digitize.ocr import read_boxes
from kmipd.errors import InputError

#: Tick labels read below this OCR confidence are reported in a warning.
LOW_CONFIDENCE = 0.8
TICK_COLUMNS = ["px", "value", "text", "confidence"]


@dataclass(frozen=True)
class AxisCalibration:
    """A linear map between pixel position and data value on one axis.

    Attributes
    ----------
    slope, intercept : float
        ``value = intercept + slope * px``.
    ticks : pandas.DataFrame
        The ticks the map was fitted on: ``px, value, text, confidence``
        (values in data units: survival as a probability).
    source : str
        ``"ocr"``, ``"user range"`` or ``"user ticks"``.
    """

    slope: float
    intercept: float
    ticks: pd.DataFrame = field(repr=False, compare=False)
    source: str = "ocr"

    def to_value(self, px):
        """Data value at pixel position(s) ``px``."""
        return self.intercept + self.slope * np.asarray(px, dtype=float)

    def to_px(self, value):
        """Pixel position(s) of data value(s) ``value``."""
        return (np.asarray(value, dtype=float) - self.intercept) / self.slope

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"slope": self.slope, "intercept": self.intercept, "source": self.source,
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
    """

    x: AxisCalibration
    y: AxisCalibration
    y_percent: bool
    warnings: tuple[str, ...] = ()

    def time(self, x_px):
        """Time at column(s) ``x_px``."""
        return self.x.to_value(x_px)

    def survival(self, y_px):
        """Survival probability at row(s) ``y_px``."""
        return self.y.to_value(y_px)

    def x_px(self, time):
        """Column(s) of time(s) ``time``."""
        return self.x.to_px(time)

    def y_px(self, survival):
        """Row(s) of survival probability(ies) ``survival``."""
        return self.y.to_px(survival)

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
    x_labels = _tick_labels(image, tick_label_boxes(image, plot_area, "x"), tick_px_x, "x")
    y_labels = _tick_labels(image, tick_label_boxes(image, plot_area, "y"), tick_px_y, "y")
    x = _calibrate_axis(x_labels, tick_px_x, "x", x_range, x_ticks, warnings)
    y = _calibrate_axis(y_labels, tick_px_y, "y", y_range, y_ticks, warnings)
    # Percent labels (0-100) become probabilities here, so nothing downstream sees percent.
    y_percent = bool(y.ticks["value"].abs().max() > 1.5)
    if y_percent:
        y = AxisCalibration(y.slope / 100, y.intercept / 100,
                            y.ticks.assign(value=y.ticks["value"] / 100), y.source)
    return Calibration(x, y, y_percent, tuple(warnings))


# --- finding and reading tick labels ------------------------------------------------------------

def tick_label_boxes(image: np.ndarray, plot_area: PlotArea, axis: str) -> list[tuple[int, int, int, int]]:
    """Boxes ``(left, top, right, bottom)`` of the tick labels of one axis, from the pixels.

    Labels are the dark blobs nearest the axis line on its outside (ticks,
    which touch the line, excluded), grouped into words. For the x axis, the
    first line of text under the axis; for the y axis, the right-aligned
    column of text left of it (so an axis title further out is left out).

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 figure.
    plot_area : PlotArea
        The plot whose axis is read.
    axis : {"x", "y"}

    Returns
    -------
    list of (int, int, int, int)
        Boxes in full-image pixels (right, bottom exclusive), x left to right,
        y top to bottom.
    """
    height, width = image.shape[:2]
    span = plot_area.width if axis == "x" else plot_area.height
    if axis == "x":
        margin = int(0.08 * span)
        window = (max(plot_area.left - margin, 0), plot_area.bottom + 1,
                  min(plot_area.right + margin, width), min(plot_area.bottom + 1 + max(60, int(0.15 * span)), height))
    else:
        margin = int(0.06 * span)
        window = (max(plot_area.left - max(100, int(0.3 * plot_area.width)), 0), max(plot_area.top - margin, 0),
                  plot_area.left, min(plot_area.bottom + margin, height))
    left, top, right, bottom = window
    if right - left < 3 or bottom - top < 3:
        return []
    blobs = _blobs(darkness(image[top:bottom, left:right]) > 0.3, touching="top" if axis == "x" else "right")
    if not blobs:
        return []
    words = _words(blobs)
    if axis == "x":
        # The lowest y label often hangs below the x axis, left of the plot: not an x label.
        first_column = plot_area.left - left - max(3, int(0.02 * span))
        words = _nearest_aligned([w for w in words if (w[0] + w[2]) / 2 >= first_column],
                                 edge=lambda w: (w[1] + w[3]) / 2, nearest_first=True)
    else:
        words = _nearest_aligned(words, edge=lambda w: w[2], nearest_first=False)
    return sorted(((l + left, t + top, r + left, b + top) for l, t, r, b in words),
                  key=lambda box: box[0] if axis == "x" else box[1])


def _blobs(mask: np.ndarray, touching: str) -> list[tuple[int, int, int, int]]:
    """Connected blobs of ``mask`` as boxes, without those touching the axis side (tick marks)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    blobs = []
    for left, top, width, height, area in stats[1:]:
        touches_axis = top == 0 if touching == "top" else left + width == mask.shape[1]
        if touches_axis or area < 3 or max(width, height) > 0.5 * max(mask.shape):
            continue
        blobs.append((int(left), int(top), int(left + width), int(top + height)))
    return blobs


def _words(blobs: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Merge blobs side by side on one line, closer than ~half a character height, into words."""
    words = sorted(blobs)
    merged = True
    while merged:  # repeat until stable: a merge can bring a word within reach of the next
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for box in words:
            for i, word in enumerate(out):
                overlap = min(box[3], word[3]) - max(box[1], word[1])
                gap = max(box[0], word[0]) - min(box[2], word[2])
                # Heights of both: a decimal point is short, the digit beside it sets the scale.
                shorter, taller = sorted((box[3] - box[1], word[3] - word[1]))
                if overlap > 0.3 * shorter and gap <= 0.6 * taller:
                    out[i] = (min(box[0], word[0]), min(box[1], word[1]), max(box[2], word[2]), max(box[3], word[3]))
                    merged = True
                    break
            else:
                out.append(box)
        words = sorted(out)
    return words


def _nearest_aligned(words: list[tuple[int, int, int, int]], edge, nearest_first: bool) -> list[tuple[int, int, int, int]]:
    """The aligned words nearest the axis: a run of labels shares ``edge`` and a text height.

    ``edge(word)`` is the coordinate labels share (the centre row under the x
    axis, the right end beside the y axis); ``nearest_first`` orders it from
    the axis outward. Groups of two or more words win over single words, so
    a stray speck of ink does not stand for the labels.
    """
    ordered = sorted(words, key=lambda w: (edge(w) if nearest_first else -edge(w), w))
    groups = []
    for anchor in ordered:
        height = anchor[3] - anchor[1]
        group = [w for w in words if abs(edge(w) - edge(anchor)) <= max(3, 0.3 * height)
                 and 0.6 <= (w[3] - w[1]) / height <= 1.6]
        if len(group) >= 2:
            return group
        groups.append(group)
    return groups[0] if groups else []


def _tick_labels(image, boxes, tick_px: np.ndarray, axis: str) -> pd.DataFrame:
    """Read the label boxes; tie each to the tick it names.

    Returns a frame ``px, value, text, confidence, on_tick``: ``px`` is the
    tick's position when a tick lies within the label's extent along the
    axis (more precise than the label's centre), else the label's centre;
    ``value`` is NaN where the text is not a number.
    """
    read = read_boxes(image, boxes)
    centre, low, high = (("x_px", "left", "right") if axis == "x" else ("y_px", "top", "bottom"))
    px, on_tick = [], []
    for label in read.itertuples():
        position = getattr(label, centre)
        reach = (getattr(label, high) - getattr(label, low)) / 2 + 2
        nearest = tick_px[np.argmin(np.abs(tick_px - position))] if len(tick_px) else np.nan
        hit = bool(abs(nearest - position) <= reach)
        px.append(float(nearest) if hit else float(position))
        on_tick.append(hit)
    return pd.DataFrame({"px": px, "value": [parse_number(t) for t in read["text"]], "text": read["text"],
                         "confidence": read["confidence"], "on_tick": on_tick}, index=range(len(read)))


_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                             "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2",
                             "−": "-", "–": "-", "—": "-"})


def parse_number(text: str) -> float:
    """The number a tick label shows, or NaN.

    Accepts ``0.5``, ``0,5`` (decimal comma), ``1,000`` (thousands), ``50%``,
    ``-2``, and the letters OCR confuses with digits (``O`` for 0, ``l`` for 1).
    """
    text = str(text).strip().replace(" ", "").rstrip("%").translate(_LOOKALIKES)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"-?(\d+\.?\d*|\.\d+)", text):
        return float("nan")
    return float(text)


# --- fitting ------------------------------------------------------------------------------------

def _calibrate_axis(labels: pd.DataFrame, tick_px: np.ndarray, axis: str, value_range, values,
                    warnings: list[str]) -> AxisCalibration:
    """One axis: user tick values, else user range, else a robust fit over the labels read."""
    # Along the axis, data values grow left to right (x) and bottom to top (y, rows decreasing).
    order = labels.sort_values("px", ascending=axis == "x", kind="mergesort")
    positions = order["px"].to_numpy() if len(order) >= 2 else (np.sort(tick_px) if axis == "x" else np.sort(tick_px)[::-1])
    if values is not None:
        values = np.asarray(values, dtype=float)
        if len(values) != len(positions):
            raise InputError(f"{len(values)} {axis} tick values were given but {len(positions)} labelled "
                             f"{axis} ticks were found; give --{axis}-range A,B instead")
        return _fit(pd.DataFrame({"px": positions, "value": values, "text": [_format(v) for v in values],
                                  "confidence": 1.0}), "user ticks")
    if value_range is not None:
        first, last = (float(v) for v in value_range)
        if len(positions) < 2:
            raise InputError(f"could not find the {axis}-axis ticks to place the given {axis} range on")
        ends = positions[[0, -1]]
        return _fit(pd.DataFrame({"px": ends, "value": [first, last], "text": [_format(first), _format(last)],
                                  "confidence": 1.0}), "user range")
    readable = labels.dropna(subset=["value"])
    inliers = _consensus(readable, axis)
    if inliers is None:
        raise InputError(f"could not read the {axis}-axis tick labels; give --{axis}-range A,B")
    rejected = readable.drop(index=inliers.index)
    if len(rejected):
        warnings.append(f"{axis}-axis tick label(s) {', '.join(repr(t) for t in rejected['text'])} "
                        "disagree with the others and were ignored")
    if len(inliers) == 2:
        warnings.append(f"only two {axis}-axis tick labels could be read; the {axis} calibration is unchecked")
    if inliers["confidence"].min() < LOW_CONFIDENCE:
        warnings.append(f"{axis}-axis tick labels read at low confidence "
                        f"(lowest {inliers['confidence'].min():.2f})")
    return _fit(inliers.drop(columns="on_tick"), "ocr")


def _consensus(labels: pd.DataFrame, axis: str) -> pd.DataFrame | None:
    """The largest set of labels lying on one straight line, and forming a progression.

    An exhaustive RANSAC: every pair of labels proposes a line; the line with
    most labels within tolerance wins (ties: smaller squared error, then the
    earlier pair, so the choice is deterministic). The winners' values must
    be whole multiples of their smallest step from the first value.

    References
    ----------
    Fischler, M. A. & Bolles, R. C. (1981). Random sample consensus. Comm. ACM 24(6), 381-395.
    """
    if len(labels) < 2:
        return None
    px, value = labels["px"].to_numpy(), labels["value"].to_numpy()
    span = np.ptp(px)
    tolerance_px = max(2.5, 0.01 * span)
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
    steps = np.diff(np.sort(inliers["value"].to_numpy()))
    if len(steps) and np.any(steps <= 0):
        return None
    if len(steps):
        multiples = (inliers["value"] - inliers["value"].min()) / steps.min()
        if np.max(np.abs(multiples - np.round(multiples))) > 0.05:
            return None
    return inliers


def _fit(ticks: pd.DataFrame, source: str) -> AxisCalibration:
    """Least-squares line ``value = intercept + slope * px`` through the ticks."""
    ticks = ticks.reset_index(drop=True)[TICK_COLUMNS]
    slope, intercept = np.polyfit(ticks["px"].to_numpy(float), ticks["value"].to_numpy(float), 1)
    return AxisCalibration(float(slope), float(intercept), ticks, source)


def _format(value: float) -> str:
    return f"{value:g}"
