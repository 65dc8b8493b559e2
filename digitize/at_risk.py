"""Reading the numbers-at-risk table printed under a KM plot.

Journals print, under the x axis, one row of counts per arm, each count
under an x tick, the row named by a label on its left or by its colour
(survminer colours the rows like the curves). The table is found from the
pixels: lines of text under the tick labels whose words sit under the ticks
and read as whole numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from digitize.axes import PlotArea, find_ticks
from digitize.calibration import Calibration, below_tick_labels, group_words, tick_step
from digitize.names import Naming, Reading, is_name, reconcile
from digitize.ocr import read_boxes

COLUMNS = ["arm", "time", "n_risk"]


@dataclass(frozen=True)
class AtRiskRows:
    """The rows of counts read from a numbers-at-risk table, not yet named after the arms.

    Reading the counts needs only the calibration; naming the rows may need
    the arms' colours (:meth:`table`), so the two can be done apart.

    Attributes
    ----------
    rows : list of dict
        Per printed row, top first: ``cells`` (time, count) pairs, ``label_words``
        (boxes of the label on its left), ``colour`` (of its digits) and ``centre`` (row, px).
    region : ndarray
        The part of the figure under the tick labels the rows were read from.
    labels : list of Reading or None
        The label printed left of each row and its OCR confidence, read with
        the counts unless the rows are printed in colour (then the arms'
        colours pair them with the arms, and the labels are read by
        :meth:`name_rows` only if some arm has no name: OCR is the slow step).
    """

    rows: list
    region: np.ndarray
    labels: list | None

    def name_rows(self, arms: list[Reading], colours, arms_given: bool = False) -> Naming:
        """Pair the rows with the arms and name both (see :func:`digitize.names.reconcile`).

        Parameters
        ----------
        arms : list of Reading
            The arms' names as read from the legend or given (``arm1``, ... where none).
        colours : sequence of RGB triples or ``"#rrggbb"``
            The arms' colours, in the order of ``arms``.
        arms_given : bool
            The names are the user's, to keep.
        """
        if not self.rows:
            return reconcile(arms, [])
        coloured = len(colours) > 0 and _coloured(self.rows)
        by_colour = _nearest_colours(self.rows, colours) if coloured else None
        labels = self.labels
        if labels is None and not (coloured and all(is_name(arm.text) for arm in arms)):
            labels = _read_labels(self.region, self.rows)  # the colours pair the rows, the labels may name them
        return reconcile(arms, labels, by_colour, arms_given)

    def table(self, arm_colours=None, row_names=None) -> pd.DataFrame:
        """The counts as ``arm, time, n_risk`` (see :func:`read_at_risk_table`), the rows named
        ``row_names`` (top first; see :meth:`name_rows`) when given."""
        if not self.rows:
            return pd.DataFrame({"arm": pd.Series(dtype=str), "time": pd.Series(dtype=float),
                                 "n_risk": pd.Series(dtype=int)})
        if row_names is None:
            arm_colours = dict(arm_colours or {})
            row_names = self.name_rows([Reading(name) for name in arm_colours], list(arm_colours.values()),
                                       arms_given=True).row_names
        table = pd.DataFrame([{"arm": name, "time": float(time), "n_risk": int(count)}
                              for name, row in zip(row_names, self.rows) for time, count in row["cells"]],
                             columns=COLUMNS)
        return table.astype({"arm": str, "time": float, "n_risk": int})


def read_at_risk_table(image: np.ndarray, plot_area: PlotArea, calibration: Calibration,
                       arm_colours=None) -> pd.DataFrame:
    """The numbers at risk printed under a plot, or an empty frame when there are none.

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 figure.
    plot_area : PlotArea
        The plot the table belongs to.
    calibration : Calibration
        Its calibration; counts are placed at the tick times under which they sit.
    arm_colours : mapping of str to colour, optional
        Arm name -> RGB triple or ``"#rrggbb"``. Rows printed in colour are
        named after the nearest arm colour; otherwise a row takes the label
        printed on its left, or ``arm1``, ``arm2``, ... from the top.

    Returns
    -------
    pandas.DataFrame
        ``arm, time, n_risk`` (n_risk int), rows in table order then by time.
        The counts are as printed; whether they fall with time is for the
        caller (reconstruction) to check.
    """
    return read_at_risk_rows(image, plot_area, calibration).table(arm_colours)


def read_at_risk_rows(image: np.ndarray, plot_area: PlotArea, calibration: Calibration) -> AtRiskRows:
    """The rows of counts printed under a plot (no rows when there is no table); see
    :func:`read_at_risk_table`."""
    step = _table_step(image, plot_area, calibration)
    if not np.isfinite(step):
        return AtRiskRows([], image[:0, :0], [])
    step_px = abs(step / calibration.x.slope)
    top = below_tick_labels(image, plot_area) + 1
    bottom, right = image.shape[0], min(image.shape[1], plot_area.right + int(step_px))
    if bottom - top < 5:
        return AtRiskRows([], image[:0, :0], [])
    region = image[top:bottom, :right]
    rows = []
    for line in _text_lines(group_words(_ink_blobs(region))):
        cells = [w for w in line if _on_tick(w, calibration, step) and w[0] >= plot_area.left - step_px / 2]
        if len(cells) < 2:
            continue
        counts = [_whole_number(text) for text in read_boxes(region, cells)["text"]]
        times = [_tick_time(w, calibration, step) for w in cells]
        kept = [(time, count) for time, count in zip(times, counts) if count is not None]
        if len(kept) < 2:
            continue
        label_words = _label_words([w for w in line if w[2] <= cells[0][0] and w not in cells])
        centre, height = np.mean([(w[1] + w[3]) / 2 for w in cells]), np.median([w[3] - w[1] for w in cells])
        if rows and centre - rows[-1]["centre"] > 3 * height:
            break  # the table has ended; what follows belongs to something else (a panel below)
        rows.append({"cells": kept, "label_words": label_words,
                     "colour": _ink_colour(region, cells), "centre": centre})
    if not rows:
        return AtRiskRows([], region, [])
    # The labels are read now (beside the curves, see digitize.figure) unless the colours name the rows.
    return AtRiskRows(rows, region, None if _coloured(rows) else _read_labels(region, rows))


def _table_step(image: np.ndarray, plot_area: PlotArea, calibration: Calibration) -> float:
    """Time between the ticks the counts may sit under.

    The step of the labels read, divided down to the spacing of the tick
    marks when those are finer (labels read are a subset of the labelled
    ticks, and tables may sit under every tick).
    """
    step = tick_step(calibration.x.ticks["value"])
    ticks_px = find_ticks(image, plot_area)[0]
    if not np.isfinite(step) or len(ticks_px) < 2:
        return step
    spacing = float(np.median(np.diff(calibration.time(ticks_px))))
    divisions = round(step / spacing) if spacing > 0 else 0
    if divisions >= 1 and abs(step / divisions - spacing) < 0.1 * spacing:
        return step / divisions
    return step


def _ink_blobs(region: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes of printed marks of any colour (coloured rows count) on a light page."""
    ink = (255 - region.min(axis=2)) > 90
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    return [(int(l), int(t), int(l + w), int(t + h)) for l, t, w, h, area in stats[1:]
            if area >= 3 and w < 0.5 * region.shape[1]]


def _text_lines(boxes: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """Words grouped into lines by their centre rows, top to bottom, each left to right."""
    if not boxes:
        return []
    height = np.median([b[3] - b[1] for b in boxes])
    lines: list[list] = []
    for box in sorted(boxes, key=lambda b: ((b[1] + b[3]) / 2, b[0])):
        centre = (box[1] + box[3]) / 2
        if lines and abs(centre - np.mean([(b[1] + b[3]) / 2 for b in lines[-1]])) <= 0.5 * height:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line) for line in lines]


def _tick_time(word, calibration: Calibration, step: float) -> float:
    """The tick time nearest under a word's centre (+0.0, never -0.0)."""
    return float(np.round(calibration.time((word[0] + word[2] - 1) / 2) / step) * step) + 0.0


def _on_tick(word, calibration: Calibration, step: float) -> bool:
    """Whether a word is centred under a multiple of the tick step (within a quarter step)."""
    time = float(calibration.time((word[0] + word[2] - 1) / 2))
    return abs(time - _tick_time(word, calibration, step)) <= 0.25 * step


def _whole_number(text: str) -> int | None:
    digits = text.strip().replace(",", "").replace(" ", "").translate(str.maketrans("Oo", "00"))
    return int(digits) if re.fullmatch(r"\d+", digits) else None


def _label_words(left_of_cells: list) -> list:
    """The words of a row label: the nearest words left of the counts, up to a wide gap.

    A wide gap (over 1.5 text heights) ends the label, so the table of a
    panel further left on the same line is not read as part of it.
    """
    label = []
    for word in sorted(left_of_cells, key=lambda w: -w[2]):
        if label and label[-1][0] - word[2] > 1.5 * (word[3] - word[1]):
            break
        label.append(word)
    return label


def _read_labels(region: np.ndarray, rows: list[dict]) -> list[Reading]:
    """The label printed left of each row and its OCR confidence (``""`` where there is none)."""
    labelled = [row["label_words"] for row in rows if row["label_words"]]
    boxes = [(min(w[0] for w in words), min(w[1] for w in words), max(w[2] for w in words), max(w[3] for w in words))
             for words in labelled]
    read = read_boxes(region, boxes)
    read = iter(Reading(str(text).strip(), float(score)) for text, score in zip(read["text"], read["confidence"]))
    return [next(read) if row["label_words"] else Reading("", 0.0) for row in rows]


def _ink_colour(region: np.ndarray, cells) -> np.ndarray:
    """Median colour of the ink of the cells (the printed digits, not the paper)."""
    pixels = np.concatenate([region[t:b, l:r].reshape(-1, 3) for l, t, r, b in cells])
    ink = pixels[(255 - pixels.min(axis=1)) > 90]
    return np.median(ink, axis=0) if len(ink) else np.zeros(3)


def _coloured(rows: list[dict]) -> bool:
    """Whether every row is printed in a colour (not black or grey)."""
    colours = np.array([row["colour"] for row in rows])
    return bool((colours.max(axis=1) - colours.min(axis=1)).min() > 60)


def _nearest_colours(rows: list[dict], colours) -> list[int]:
    """Per row, the index of the colour (RGB triple or ``"#rrggbb"``) nearest its digits'."""
    targets = np.array([_rgb(colour) for colour in colours], dtype=float)
    return [int(np.argmin(np.linalg.norm(targets - row["colour"], axis=1))) for row in rows]


def _rgb(colour) -> tuple[int, int, int]:
    if isinstance(colour, str):
        colour = colour.lstrip("#")
        return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return tuple(int(c) for c in colour)
