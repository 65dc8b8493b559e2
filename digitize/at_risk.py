"""Reading the numbers-at-risk table printed with a KM plot.

Journals print one row of counts per arm, each count under an x tick, the
row named by a label on its left, a bar or its colour (survminer colours the
rows like the curves). The table is found from its structure, not its place:
a row is a line of text with whole numbers centred under two or more of the
plot's tick columns, and the rows of one table share those columns, however
far apart they are printed (survminer puts its table in a panel of its own,
under a title and above an x axis of its own). Lines between rows that are
not rows (a title, the table panel's axis) separate tables; a table whose
title speaks of events or censored patients, and rows that rise with time or
start from no one (cumulative events, lifelines' ``Censored`` and ``Events``
rows), are not numbers at risk. When nothing is printed under the plot, the
foot of the plot area is searched, where SAS prints the table inside the frame;
the search stops at the next plot below (stacked panels have tables of their own).

Only lines whose words sit under the tick columns (a pixel test) are read by
OCR, the slow step. Cells may carry a second number in brackets
(``256 (12)``: censored or events so far) or thousands separators
(``1,234``, ``1 234``); a row label printed against its first count (``Arm A
46``, ``F 631``) is split from it at the count's glyphs, the count taken for
the column it sits under.
Rules under the plot (survminer draws its table panel's axes against the
last row and the first column) are taken out of the ink before the glyphs are found, and the
letters of a y-axis title printed upward beside the table are no part of a
row. Every doubtful cell (read at low confidence, higher than the cell before
it, missing) is named in a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist

from digitize.axes import PlotArea, find_plot_areas, find_ticks
from digitize.calibration import Calibration, below_tick_labels, group_words, tick_step
from digitize.colours import to_lab
from digitize.names import Naming, Reading, name_distance, reconcile
from digitize.ocr import read_boxes

COLUMNS = ["arm", "time", "n_risk"]
#: Cells read below this OCR confidence are named in a warning.
LOW_CONFIDENCE = 0.8
#: A pixel this far (max over RGB) from the paper is ink: light tints of the arm colours and light
#: greys (survminer's grey palette prints a row label in #cccccc) count.
INK_FROM_PAPER = 35
#: A row whose digits are at least this chromatic (CIELAB chroma) is printed in colour (light tints
#: of blue reach 19; black text in a JPEG stays under 8).
COLOURED_CHROMA = 12.0
#: A row colour further than this (CIELAB) from every tint of an arm colour matches no arm.
COLOUR_MATCH_DELTA_E = 25.0
#: A word or glyph this many times taller than a row's counts is no part of its label (the letters of a
#: y-axis title printed upward beside the table).
TALLER_THAN_TEXT = 1.5
#: Under the plot, runs of ink down this many text heights long are rules (a table panel's y axis), not glyphs.
RULE_TEXT_HEIGHTS = 3.0
#: Words in brackets after a count (censored, events, percent) and thousands groups.
_COUNT = r"\d{1,3}(?:[,. ]\d{3})+(?!\d)|\d+"
_CELL = re.compile(rf"^(?P<count>{_COUNT})\s*(?:[(\[{{][^)\]}}]*[)\]}}]?)?$")
_GLUED = re.compile(rf"^(?P<label>.*?\D)\s*(?P<count>{_COUNT})\s*(?:[(\[{{][^)\]}}]*[)\]}}]?)?$")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0"})
#: Titles of tables that are not numbers at risk (survminer's cumulative events and censored).
_OTHER_TABLE = re.compile(r"event|censor", re.IGNORECASE)
#: A row label that names the row's kind, not its arm (lifelines: the arm is the line above).
_AT_RISK_CAPTION = re.compile(r"^\W*(no\.?|number|n)?\s*at\s*risk\W*$", re.IGNORECASE)
#: A label this near "At risk" (see :func:`digitize.names.name_distance`) says it with a glyph misread.
AT_RISK_SLIP = 0.2


@dataclass
class AtRiskRows:
    """The rows of counts read from a numbers-at-risk table, not yet named after the arms.

    Reading the counts needs only the calibration; naming the rows may need
    the arms' colours (:meth:`named`), so the two can be done apart.

    Attributes
    ----------
    rows : list of dict
        Per printed row, top first: ``cells`` (time, count) pairs, ``label_words``
        (boxes of the label on its left, a label printed against the first count
        split from it), ``caption`` (boxes of the words of the line above
        the row's table, its title) and ``title`` (its text, None until read),
        ``colour`` (RGB of its digits, else of its label or colour bar), ``centre``
        and ``height`` (row and text height, px), ``confidence`` (OCR, per cell) and
        ``doubts`` ((time, reason) pairs).
    image : ndarray
        The figure the rows were read from (the boxes are in its pixels).
    labels : list of Reading or None
        The label printed left of each row and its OCR confidence, read with
        the counts unless the rows are printed in colour (then the arms'
        colours pair them with the arms, and the labels are read by
        :meth:`name_rows` only if some arm has no name: OCR is the slow step).
    warnings : list of str
        Doubts about the table as a whole (a table set aside, rows dropped).
    """

    rows: list
    image: np.ndarray
    labels: list | None
    warnings: list = field(default_factory=list)

    def row_labels(self) -> list[str]:
        """The label printed with each row ("" where there is none), read now if not yet read."""
        return [reading.text for reading in self._label_readings()]

    def _label_readings(self) -> list[Reading]:
        if self.labels is None:
            self.labels = _read_labels(self.image, self.rows)
        return [label if isinstance(label, Reading) else Reading(str(label)) for label in self.labels]

    def name_rows(self, arms: list[Reading], colours, arms_given: bool = False) -> Naming:
        """Pair the rows with the arms and name both (see :func:`digitize.names.reconcile`).

        Rows printed in colour (see :func:`_coloured`) are paired one to one with the arm colour they
        are a tint of (:func:`_colour_pairs`); a row left over (more rows than
        arms) is dropped, its name None, with a warning.

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
        by_colour, colour_warnings = (_colour_pairs(self.rows, colours, [arm.text for arm in arms]) if coloured
                                      else (None, []))
        kept = [i for i in range(len(self.rows)) if by_colour is None or by_colour[i] is not None]
        # The colours pair the rows; printed labels, read too, name them or mend a legend misread.
        printed = any(row.get("label_words") for row in self.rows)
        labels = self._label_readings() if self.labels is not None or printed or not coloured else None
        naming = reconcile(arms, [labels[i] for i in kept] if labels is not None else None,
                           [by_colour[i] for i in kept] if by_colour is not None else None, arms_given)
        row_names, row_arms = [None] * len(self.rows), [None] * len(self.rows)
        for i, name, arm in zip(kept, naming.row_names, naming.row_arms):
            row_names[i], row_arms[i] = name, arm
        return Naming(naming.arm_names, row_names, row_arms, colour_warnings + naming.warnings, naming.problem)

    def named(self, arm_colours=None, row_names: list | None = None) -> tuple[pd.DataFrame, list[str]]:
        """The counts as ``arm, time, n_risk`` and the warnings naming each doubtful cell.

        The rows are named ``row_names`` (top first, None for a row dropped; see
        :meth:`name_rows`) when given; else after the arms ``arm_colours``
        (name -> colour) they are paired with, or by their printed labels, or
        ``arm1``, ``arm2``, ... from the top; then the pairing's warnings come too.
        """
        warnings = list(self.warnings)
        if row_names is None:
            arm_colours = dict(arm_colours or {})
            naming = self.name_rows([Reading(name) for name in arm_colours], list(arm_colours.values()),
                                    arms_given=bool(arm_colours))
            row_names = naming.row_names
            warnings += naming.warnings + ([naming.problem] if naming.problem else [])
        for name, row in zip(row_names, self.rows):
            if name is not None:
                warnings += [f"numbers at risk, arm {name} at time {time:g}: {reason}" for time, reason in row["doubts"]]
        table = pd.DataFrame([{"arm": name, "time": float(time), "n_risk": int(count)}
                              for name, row in zip(row_names, self.rows) if name is not None
                              for time, count in row["cells"]], columns=COLUMNS)
        return table.astype({"arm": str, "time": float, "n_risk": int}), warnings

    def table(self, arm_colours=None) -> pd.DataFrame:
        """The counts as ``arm, time, n_risk`` (see :meth:`named` and :func:`read_at_risk_table`)."""
        return self.named(arm_colours)[0]


def read_at_risk_table(image: np.ndarray, plot_area: PlotArea, calibration: Calibration,
                       arm_colours=None) -> pd.DataFrame:
    """The numbers at risk printed with a plot, or an empty frame when there are none.

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
        named after the arm whose colour they are a tint of; otherwise a row
        takes the label printed on its left, or ``arm1``, ``arm2``, ... from the top.

    Returns
    -------
    pandas.DataFrame
        ``arm, time, n_risk`` (n_risk int), rows in table order then by time.
        The counts are as printed; whether they fall with time is for the
        caller (reconstruction) to check.
    """
    return read_at_risk_rows(image, plot_area, calibration).table(arm_colours)


def read_at_risk_rows(image: np.ndarray, plot_area: PlotArea, calibration: Calibration,
                      plot_areas: list[PlotArea] | None = None) -> AtRiskRows:
    """The rows of counts printed with a plot (no rows when there is no table); see
    :func:`read_at_risk_table`. ``plot_areas``, every plot of the figure (see
    :func:`digitize.axes.find_plot_areas`; found when not given), tell where the next plot
    below begins."""
    step = _table_step(image, plot_area, calibration)
    # Columns a whole step apart are columns of a linear time axis: under a log axis no table is
    # read (the reconstruction then asks for it, or for N).
    if not np.isfinite(step) or calibration.x.scale == "log":
        return AtRiskRows([], image[:0, :0], [])
    step_px = abs(step / calibration.x.slope)
    right = min(image.shape[1], plot_area.right + int(step_px))
    top = below_tick_labels(image, plot_area) + 1
    axis = _glyphs(image, (plot_area.left - int(step_px), plot_area.bottom + 1, right, top))
    under = AtRiskRows([], image[:0, :0], [])
    bottom = _next_plot_below(image, plot_area, find_plot_areas(image) if plot_areas is None else plot_areas)
    if bottom - top >= 5:
        under = _read_region(image, (0, top, right, bottom), plot_area, calibration, step, axis,
                             rules_across_px=plot_area.width // 2)
    if under.rows:
        return under
    # SAS prints the table inside the frame, above the x axis: searched only when nothing is under it.
    # Its last column is centred on the frame's right side: the side is taken out under the count.
    foot = (plot_area.left + 2, plot_area.top + plot_area.height // 2, right, plot_area.bottom - 1)
    inside = _read_region(_without_right_side(image, plot_area, foot[1], foot[3]), foot, plot_area, calibration,
                          step, [], min_cells=3)
    return inside if inside.rows else under


def _without_right_side(image: np.ndarray, plot_area: PlotArea, top: int, bottom: int) -> np.ndarray:
    """A copy of the figure with the frame's right side, between rows ``top`` and ``bottom``,
    painted over from its neighbours (OpenCV's Telea inpainting): a count printed across the
    line keeps its strokes and loses the line (read with it, a ``0`` is a ``4``).

    The side is the columns near ``plot_area.right`` inked over nine tenths of those rows.
    """
    left, right = max(plot_area.right - 2, 0), min(plot_area.right + 3, image.shape[1])
    strip = image[top:bottom, left:right]
    if strip.size == 0:
        return image
    paper = np.median(image[top:bottom:4, plot_area.left:plot_area.right:4].reshape(-1, 3), axis=0)
    side = _ink(strip, paper).mean(axis=0) >= 0.9
    if not side.any():
        return image
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[top:bottom, left:right][:, side] = 255
    box = (slice(max(top - 3, 0), bottom + 3), slice(max(left - 3, 0), right + 3))
    mended = image.copy()
    mended[box] = cv2.inpaint(np.ascontiguousarray(image[box]), np.ascontiguousarray(mask[box]), 2, cv2.INPAINT_TELEA)
    return mended


def _split_at_columns(words: list, blobs: list, calibration: Calibration, step: float, first_time: float) -> list:
    """Words cut where they cross the middle between two tick columns on the axis with no ink there.

    Counts printed close together (a wide table of 3-digit counts) are
    grouped into one word; a count is centred under its tick and narrower
    than a step, so the middles between the columns are where one count
    ends and the next begins. Middles left of the first column on the axis
    (after ``first_time``) are not cut: a row label is printed there.
    """
    out = []
    for word in words:
        glyphs = sorted(b for b in blobs if b[0] >= word[0] and b[2] <= word[2] and b[1] >= word[1] and b[3] <= word[3])
        start = 0
        for i in range(1, len(glyphs)):
            gap_time = calibration.time(np.array([glyphs[i - 1][2] - 1, glyphs[i][0]], dtype=float))
            # the middle between columns k - 1 and k lies in the gap between these glyphs, a space wide
            k = np.ceil(gap_time[0] / step + 0.5)
            space = glyphs[i][0] - glyphs[i - 1][2] >= 0.2 * (word[3] - word[1])
            if space and (k - 0.5) * step <= gap_time[1] and (k - 1) * step >= first_time - 0.25 * step:
                out.append(_line_box(glyphs[start:i]))
                start = i
        out.append(_line_box(glyphs[start:]) if start else word)
    return sorted(out)


def _next_plot_below(image: np.ndarray, plot_area: PlotArea, plot_areas: list[PlotArea]) -> int:
    """The first row of the next plot under this one (panels stacked), else the image's bottom:
    that plot's tables are its own. A panel that holds no curve (survminer's table panel, drawn
    with axes of its own) is no plot."""
    below = [area.top for area in plot_areas
             if area.top > plot_area.bottom and area.left < plot_area.right and area.right > plot_area.left
             and _holds_curve(image, area)]
    return min(below, default=image.shape[0])


def _holds_curve(image: np.ndarray, area: PlotArea) -> bool:
    """Whether a plot area holds a line across a quarter of its width or more (text does not)."""
    inside = image[area.top + 3:area.bottom - 2, area.left + 3:area.right - 2]
    if inside.size == 0:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(_ink(inside).astype(np.uint8), connectivity=8)
    return bool((stats[1:, 2] >= 0.25 * inside.shape[1]).any())


def _read_region(image: np.ndarray, box: tuple[int, int, int, int], plot_area: PlotArea,
                 calibration: Calibration, step: float, axis_labels: list, min_cells: int = 2,
                 rules_across_px: int | None = None) -> AtRiskRows:
    """The at-risk rows of the tables printed in ``box`` (left, top, right, bottom) of the image.

    A line is a row when at least ``min_cells`` of its words centred under
    tick columns read as counts; lines whose counts are the tick values are
    an x axis (the table panel's own), other lines of text are titles; both
    separate one table from the next. A line whose words are printed as the
    plot's own x tick labels (``axis_labels``, see :func:`_glyphs`) is such an
    axis without reading it. ``rules_across_px``: see :func:`_ink_blobs`.
    """
    left, top, right, bottom = box
    region = image[top:bottom, left:right]
    blobs = _ink_blobs(region, rules_across_px)
    if not blobs:
        return AtRiskRows([], image[:0, :0], [])
    origin = np.array([left, top, left, top])
    blobs = [tuple(int(v) for v in np.array(b) + origin) for b in blobs]
    first_time = float(calibration.time(plot_area.left))
    lines = _text_lines(_split_at_columns(group_words(blobs), blobs, calibration, step, first_time))
    step_px = abs(step / calibration.x.slope)
    first_column = plot_area.left - step_px / 2
    tables: list[dict] = [{"caption": None, "rows": []}]
    for line in lines:
        cells = [w for w in line if _on_tick(w, calibration, step) and w[0] >= first_column]
        if len(cells) < min_cells:
            if _is_text(line):
                _new_table(tables, caption=line)
            continue
        if _repeats(image, cells, axis_labels):
            _new_table(tables, caption=None)  # the table panel's own x axis, printed as the plot's
            continue
        if _other_table(image, tables):
            continue
        row = _read_row(image, line, cells, calibration, step, first_time, min_cells, blobs)
        if row is None:
            _new_table(tables, caption=line)
        elif row == "axis":
            _new_table(tables, caption=None)  # the table panel's own x axis
        else:
            tables[-1]["rows"].append(row)
    for table in tables:
        for row in table["rows"]:
            row["caption"], row["title"] = table["caption"], table.get("title")
    rows, warnings = _at_risk_rows(tables)
    columns = sorted({time for row in rows for time, _ in row["cells"]})
    for row in rows:
        row["doubts"] = _doubts(row, columns)
    if not rows:
        return AtRiskRows([], image[:0, :0], [], warnings)
    # The labels are read now (beside the curves, see digitize.figure) unless the colours name the rows.
    result = AtRiskRows(rows, image, None, warnings)
    if not _coloured(rows):
        result.row_labels()
    return result


def _read_row(image: np.ndarray, line: list, cells: list, calibration: Calibration, step: float,
              first_time: float, min_cells: int, blobs: list, cut_at_ink: bool = True):
    """One line of words, ``cells`` those centred under tick columns, read as a row of counts.

    Returns the row (see :class:`AtRiskRows`; plus ``confidence`` per cell and
    ``height`` of its text), ``"axis"`` when the counts are the tick values, or
    None when fewer than ``min_cells`` read as counts. A label printed against
    the first count, as a word of its own that reaches into the count's column
    (see :func:`_glued_word`) or as the first cell itself (``F 631``), is read
    with it and split from it at the count's glyphs (``blobs``, see
    :func:`_split_label_from_count`); a label in another ink than its count is first cut from it
    at the change of ink (``cut_at_ink``).
    """
    row_cells = cells
    label_words = [w for w in line if w[2] <= cells[0][0] and w not in cells]
    glued = _glued_word(label_words, cells[0], calibration, step, first_time)
    # A label in the arm's colour against a black count is cut from it at the change of ink.
    word = glued if glued is not None else cells[0]
    inked_apart = _label_ink_in(image, word, cells[1:] if glued is None else cells, blobs) if cut_at_ink else None
    inked_apart = inked_apart if inked_apart is not None and _on_tick(inked_apart[1], calibration, step) else None
    if inked_apart is not None:
        label_words = [w for w in label_words if w != word] + [inked_apart[0]]
        cells = [inked_apart[1]] + (cells[1:] if glued is None else cells)
        glued = None
    read = read_boxes(image, cells + ([glued] if glued is not None else []))
    texts, confidences = list(read["text"]), list(read["confidence"])[:len(cells)]
    times = [_tick_time(w, calibration, step) for w in cells]
    counts = list(map(_count, texts[:len(cells)]))
    if inked_apart is not None and len(re.sub(r"\s", "", texts[0])) < inked_apart[2]:
        # Fewer marks read than glyphs printed (one clipped, faint): the word is read whole instead.
        return _read_row(image, line, row_cells, calibration, step, first_time, min_cells, blobs, cut_at_ink=False)
    worded = bool(re.search(r"[^\W\d_]{2}", texts[0]))  # the first cell reads as a word
    # The word holding a label and a count: the glued word left of the cells, or the first cell
    # when it does not read as a count alone; the count's column must come before the next count's.
    word, text, next_time = ((glued, texts[-1], times[0]) if glued is not None else
                             (cells[0], texts[0], times[1] if len(cells) > 1 else np.inf))
    split = (_split_label_from_count(image, word, text, blobs, calibration, step, first_time)
             if glued is not None or counts[0] is None else None)
    if split is not None and split[2] < next_time:
        label_box, count_box, time, count, confidence = split
        label_words = [w for w in label_words if w != word] + ([label_box] if label_box is not None else [])
        if word is not glued:
            cells, times, counts, confidences = cells[1:], times[1:], counts[1:], confidences[1:]
        cells, times, counts, confidences = ([count_box] + cells, [time] + times, [count] + counts,
                                             [confidence] + confidences)
    # A first cell reading as no count is the label: a short one ('F') left of the plot's left edge,
    # centred near the column before the first, or a word over the first column (SAS prints 'Arm A'
    # inside the frame).
    while len(cells) > 1 and counts[0] is None and (cells[0][2] <= calibration.x_px(first_time) or worded):
        label_words.append(cells[0])
        cells, times, counts, confidences = cells[1:], times[1:], counts[1:], confidences[1:]
        worded = False
    kept = [(time, count, confidence) for time, count, confidence in zip(times, counts, confidences)
            if count is not None]
    if len(kept) < min_cells:
        return None
    if all(abs(count - time) < 1e-9 for time, count, _ in kept):
        return "axis"
    height = float(np.median([w[3] - w[1] for w in cells]))
    # A label is of the row's type: not a y-axis title printed upward beside it, nor specks of a faint label.
    label_words = _label_words([w for w in label_words if w[3] - w[1] <= TALLER_THAN_TEXT * height
                                and (w[2] - w[0]) * (w[3] - w[1]) >= 0.25 * height ** 2])
    return {"cells": [(time, count) for time, count, _ in kept],
            "confidence": [confidence for _, _, confidence in kept],
            "label_words": label_words,
            "colour": _row_colour(image, cells, label_words),
            "centre": float(np.mean([(w[1] + w[3]) / 2 for w in cells])),
            "height": height}


def _label_ink_in(image: np.ndarray, word: tuple, counts: list, blobs: list):
    """A row label in another ink than the counts, grouped into one word with the first count
    (survminer prints ``Stage 3`` in the arm's colour so close to a black ``120`` that the
    two are one word, read ``Stage 3120``): the glyphs at the word's left of a colour (CIELAB
    chroma :data:`COLOURED_CHROMA` or more) further than :data:`COLOUR_MATCH_DELTA_E` from
    the ink of the row's other ``counts`` (boxes), while the rest are of that ink.

    Returns
    -------
    tuple or None
        ``(label_box, count_box, glyphs)`` (``glyphs`` the count's), or None when the word is in
        one ink with the counts.
    """
    if not counts:
        return None
    glyphs = _glyph_columns([b for b in blobs if b[0] >= word[0] and b[2] <= word[2] and b[1] >= word[1]
                             and b[3] <= word[3]])
    if len(glyphs) < 2:
        return None
    counts_ink = _lab(_ink_colour(image, counts))
    shares = [_label_ink_share(image, glyph, counts_ink) for glyph in glyphs]
    # A glyph of both inks (a letter touching a digit, one column) leaves no place to cut.
    if any(0.25 < share < 0.75 for share in shares):
        return None
    apart = [share >= 0.75 for share in shares]
    leading = next((i for i, other in enumerate(apart) if not other), len(apart))
    if leading == 0 or leading == len(glyphs) or any(apart[leading:]):
        return None
    return _line_box(glyphs[:leading]), _line_box(glyphs[leading:]), len(glyphs) - leading


def _label_ink_share(image: np.ndarray, glyph: tuple, counts_ink: np.ndarray) -> float:
    """Share of a glyph's strong ink (see :func:`_strong_ink`) in a colour (CIELAB chroma
    :data:`COLOURED_CHROMA` or more) further than :data:`COLOUR_MATCH_DELTA_E` from the counts'
    ink ``counts_ink`` (CIELAB)."""
    strong = _strong_ink(image, [glyph])
    if not len(strong):
        return 0.0
    lab = to_lab(strong.astype(np.uint8))
    apart = (np.hypot(lab[:, 1], lab[:, 2]) >= COLOURED_CHROMA) & (np.linalg.norm(lab - counts_ink, axis=1)
                                                                    > COLOUR_MATCH_DELTA_E)
    return float(apart.mean())


def _split_label_from_count(image: np.ndarray, word: tuple, text: str, blobs: list, calibration: Calibration,
                            step: float, first_time: float):
    """A row label and the row's first count printed as one word (``Arm A 46``; ``M-753``, the
    tick mark of survminer's table axis between), split at the count's glyphs.

    The text read for the whole word (``text``) says how many marks the count
    (and a bracket after it) prints; that many glyphs (``blobs`` side by side,
    a letter's dot with its stem), or fewer when digits touch, from the word's
    right end are the count, the rest the label, short marks at its end (tick
    marks, dashes) and glyphs much taller than the count's (a y-axis title
    printed upward beside the table) left out. The count must sit under a
    tick column on the axis (from ``first_time``) and read alone as the same
    count (or, where the whole read as ``1 339``, as the part after the space).

    Returns
    -------
    tuple or None
        ``(label_box, count_box, time, count, confidence)``, ``label_box`` None
        when only marks are left of the count; None when the word does not split so.
    """
    label, count = _split_glued(text)
    if count is None or not label:
        return None
    tail = _GLUED.match(str(text).strip())
    marks = len(re.sub(r"\s", "", tail.string[tail.start("count"):]))
    glyphs = _glyph_columns([b for b in blobs if b[0] >= word[0] and b[2] <= word[2] and b[1] >= word[1]
                             and b[3] <= word[3]])
    # Touching digits (a JPEG's blur) are one glyph: fewer glyphs than marks are tried next.
    for size in range(min(marks, len(glyphs) - 1), 0, -1):
        count_box = _line_box(glyphs[-size:])
        time = _tick_time(count_box, calibration, step)
        if not _on_tick(count_box, calibration, step) or time < first_time - 0.25 * step:
            continue
        # A mark read into the count with the label ('SOC-339', the tick read as '1 339') is left out alone.
        alone = read_boxes(image, [count_box])
        read = _count(alone["text"].iloc[0])
        if read is not None and size == marks and read != count and str(count).endswith(str(read)):
            # As many glyphs as the count's marks, its first cut to a sliver by the rule of
            # survminer's table axis: read alone it loses that digit, which the whole word shows.
            read = count
        if read is None or read not in (count, _count(tail.group("count").split(" ", 1)[-1])):
            continue
        height = count_box[3] - count_box[1]
        rest = [glyph for glyph in glyphs[:-size] if glyph[3] - glyph[1] <= TALLER_THAN_TEXT * height]
        while rest and rest[-1][3] - rest[-1][1] <= 0.3 * height:
            rest = rest[:-1]
        return (_line_box(rest) if rest else None, count_box, time, read, float(alone["confidence"].iloc[0]))
    return None


def _glyph_columns(blobs: list) -> list:
    """Blobs that share columns (a letter's dot and stem, the parts of ``%``) merged: glyphs left to right."""
    glyphs: list = []
    for blob in sorted(blobs):
        if glyphs and blob[0] < glyphs[-1][2]:
            glyphs[-1] = _line_box([glyphs[-1], blob])
        else:
            glyphs.append(blob)
    return glyphs


def _glyphs(image: np.ndarray, box: tuple[int, int, int, int]) -> list[tuple[tuple, np.ndarray]]:
    """The words printed in ``box`` of the image, each as its box (image pixels) and ink mask."""
    left, top, right, bottom = max(box[0], 0), box[1], box[2], box[3]
    region = image[top:bottom, left:right]
    if region.shape[0] < 3 or region.shape[1] < 3:
        return []
    ink = _ink(region)
    return [((l + left, t + top, r + left, b + top), ink[t:b, l:r]) for l, t, r, b in group_words(_ink_blobs(region))]


def _repeats(image: np.ndarray, words: list, printed: list[tuple[tuple, np.ndarray]]) -> bool:
    """Whether every word is a copy of one of the ``printed`` words in its column: same size to a
    pixel, ink overlapping by nine tenths (a table panel's own x axis, in the plot's own type)."""
    if not printed:
        return False
    paper = np.median(image[words[0][1]:words[0][3]:2, ::4].reshape(-1, 3), axis=0)  # the line's
    for word in words:
        mask = _ink(image[word[1]:word[3], word[0]:word[2]], paper)
        centre = (word[0] + word[2]) / 2
        box, twin = min(printed, key=lambda p: abs((p[0][0] + p[0][2]) / 2 - centre))
        if twin.shape != mask.shape or abs((box[0] + box[2]) / 2 - centre) > 2:
            return False
        if np.sum(twin & mask) < 0.9 * max(np.sum(twin | mask), 1):
            return False
    return True


def _new_table(tables: list[dict], caption) -> None:
    """Start a new table after a line that is not a row (a title when ``caption`` is its words' boxes)."""
    if tables[-1]["rows"]:
        tables.append({"caption": caption, "rows": []})
    elif caption is not None:
        tables[-1]["caption"] = caption


def _other_table(image: np.ndarray, tables: list[dict]) -> bool:
    """Whether the table being read is titled with events or censored patients (survminer's
    ``cumevents``, ``cumcensor``): not numbers at risk, so its rows need not be read.

    Only the title of a table after one already read is read (OCR is the slow step);
    a first table of such counts is told by its rows (see :func:`_cumulative`).
    """
    table = tables[-1]
    if table["caption"] is None or not any(t["rows"] for t in tables[:-1]):
        return False
    if "title" not in table:
        table["title"] = str(read_boxes(image, [_line_box(table["caption"])])["text"].iloc[0])
    return bool(_OTHER_TABLE.search(table["title"]))


def _at_risk_rows(tables: list[dict]) -> tuple[list[dict], list[str]]:
    """The rows of numbers at risk: not a row that starts from no one at time 0 or rises along
    the row without a fall (cumulative events or censored, printed as rows of their own)."""
    read = [row for t in tables for row in t["rows"]]
    rows = [row for row in read if not _cumulative(row["cells"])]
    warnings: list[str] = []
    if read and not rows:
        warnings.append(f"numbers at risk: {len(read)} row(s) of counts rising with time (cumulative events or "
                        "censored) were read and none of numbers at risk")
    return rows, warnings


def _cumulative(cells: list[tuple[float, int]]) -> bool:
    """Whether a row's counts are cumulative events or censored, not numbers at risk: it starts
    from no one at time 0, or never falls and rises somewhere."""
    counts = np.array([count for _, count in cells])
    if cells[0][0] == 0 and counts[0] == 0:
        return True
    steps = np.diff(counts)
    return bool(len(steps) and (steps >= 0).all() and (steps > 0).any())


def _doubts(row: dict, columns: list[float]) -> list[tuple[float, str]]:
    """The doubtful cells of a row: read at low confidence, higher than the cell before, or missing
    (a column of the table with no count read in this row; those after the row's last count are
    named once)."""
    doubts = []
    read = dict(row["cells"])
    for (time, count), confidence in zip(row["cells"], row["confidence"]):
        if confidence < LOW_CONFIDENCE:
            doubts.append((time, f"{count} read at low OCR confidence ({confidence:.2f})"))
    for (_, before), (time, count) in zip(row["cells"], row["cells"][1:]):
        if count > before:
            doubts.append((time, f"{count} is more than the {before} before it"))
    last = row["cells"][-1][0]
    doubts += [(time, "no count read") for time in columns if time not in read and time < last]
    after = [time for time in columns if time > last]
    if after:  # an arm whose follow-up ended is often left blank: one warning, not one a cell
        doubts.append((after[0], f"no count read here or after (the row ends at time {last:g}, "
                                 f"the table at {after[-1]:g})"))
    return sorted(doubts)


def _table_step(image: np.ndarray, plot_area: PlotArea, calibration: Calibration) -> float:
    """Time between the ticks the counts may sit under.

    The step of the labels read, divided down to the spacing of the tick
    marks when those are finer (labels read are a subset of the labelled
    ticks, and tables may sit under every tick).
    """
    step = tick_step(calibration.x.ticks["value"])
    ticks_px = find_ticks(image, plot_area)[0]
    if not np.isfinite(step):
        return step
    if len(ticks_px) < 2:  # no tick marks found (a blurred JPEG): the words under the plot are the evidence
        return step / 2 if _between_ticks(image, plot_area, calibration, step) else step
    spacing = float(np.median(np.diff(calibration.time(ticks_px))))
    divisions = round(step / spacing) if spacing > 0 else 0
    if divisions >= 1 and abs(step / divisions - spacing) < 0.1 * spacing:
        return step / divisions
    return step


def _between_ticks(image: np.ndarray, plot_area: PlotArea, calibration: Calibration, step: float) -> bool:
    """Whether the words printed under the plot's tick labels sit in columns half-way between the
    labelled ticks at least half as often as under them (a coarse step puts every other column
    half-way): a table with a count under every tick, only every
    other tick labelled (or read).

    A word is in a column when its centre is within a quarter of a half step of it; words left
    of the plot (row labels) do not count, nor does a region with fewer than four words in columns.
    """
    top = below_tick_labels(image, plot_area) + 1
    half_px = abs(step / 2 / calibration.x.slope)
    words = [box for box, _ in _glyphs(image, (plot_area.left - int(half_px / 2), top,
                                               plot_area.right + int(half_px), image.shape[0]))]
    if not words:
        return False
    halves = calibration.time((np.array([w[0] for w in words]) + np.array([w[2] for w in words]) - 1) / 2) / (step / 2)
    in_column = np.abs(halves - np.round(halves)) <= 0.25
    between = in_column & (np.round(halves) % 2 == 1)
    under = in_column & (np.round(halves) % 2 == 0)
    return bool(in_column.sum() >= 4 and between.sum() >= 0.5 * under.sum() and between.sum() >= 2)


def _ink(region: np.ndarray, paper=None) -> np.ndarray:
    """Pixels that differ from the paper (by default the region's median colour): any ink, light
    tints included."""
    if paper is None:
        paper = np.median(region[::4, ::4].reshape(-1, 3), axis=0)  # a sample: the median of all is slow
    difference = cv2.absdiff(np.ascontiguousarray(region), np.full_like(region, np.round(paper).astype(np.uint8)))
    return np.maximum(np.maximum(difference[..., 0], difference[..., 1]), difference[..., 2]) > INK_FROM_PAPER


def _ink_blobs(region: np.ndarray, rules_across_px: int | None = None) -> list[tuple[int, int, int, int]]:
    """Boxes of printed marks of any colour (coloured and tinted rows count), lines and frames left out.

    With ``rules_across_px``, the rules (runs of ink across over :data:`RULE_TEXT_HEIGHTS` text
    heights that span that long or longer end to end, a table panel's x axis drawn as wide as the
    plot; runs down longer than :data:`RULE_TEXT_HEIGHTS` text heights) are taken out of the ink first: a count printed on a rule (survminer draws its
    table panel's axes against the last row and the first column) is a mark of its own, not
    part of the rule's. A blurred word's letters run into one another over a few text heights:
    no rule. Not for ink holding curves, whose steps are such runs.
    """
    ink = _ink(region).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, 3]
    if not len(heights):
        return []
    # Glyphs are about a text height high; curves, axis lines and frames are much longer one way, and
    # the letters of a y-axis title printed upward run into blobs twice as high or more.
    text_height = float(np.median(heights[heights >= 3])) if (heights >= 3).any() else 3.0
    if rules_across_px is not None:
        length = int(RULE_TEXT_HEIGHTS * text_height) + 1
        across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
        # A rule across, slanted in a scan, is runs that touch end to end: their span is its length.
        _, labels, spans, _ = cv2.connectedComponentsWithStats(across, connectivity=8)
        across = np.isin(labels, np.flatnonzero(spans[1:, 2] >= rules_across_px) + 1).astype(np.uint8)
        down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
        # with their anti-aliased rims
        rules = cv2.dilate(across, np.ones((3, 1), np.uint8)) | cv2.dilate(down, np.ones((1, 3), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(ink & ~rules, connectivity=8)
        # The tick marks cut from the rule are specks, no glyph.
        stats = stats[np.r_[True, (stats[1:, 2] >= 0.5 * text_height) | (stats[1:, 3] >= 0.5 * text_height)]]
    return [(int(l), int(t), int(l + w), int(t + h)) for l, t, w, h, area in stats[1:]
            if area >= 3 and w < 0.5 * region.shape[1] and h <= 2 * text_height and w <= 8 * max(h, text_height)]


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


def _is_text(line: list) -> bool:
    """Whether a line that is not a row is text (a title, an arm named over its rows: "Male" is 2.7
    text heights wide), not a speck or a rule."""
    height = np.median([w[3] - w[1] for w in line])
    return height >= 5 and sum(w[2] - w[0] for w in line) >= 2 * height


def _line_box(line: list) -> tuple[int, int, int, int]:
    return (min(w[0] for w in line), min(w[1] for w in line), max(w[2] for w in line), max(w[3] for w in line))


def _tick_time(word, calibration: Calibration, step: float) -> float:
    """The tick time nearest under a word's centre (+0.0, never -0.0)."""
    return float(np.round(calibration.time((word[0] + word[2] - 1) / 2) / step) * step) + 0.0


def _on_tick(word, calibration: Calibration, step: float) -> bool:
    """Whether a word is centred under a multiple of the tick step (within a quarter step)."""
    time = float(calibration.time((word[0] + word[2] - 1) / 2))
    return abs(time - _tick_time(word, calibration, step)) <= 0.25 * step


def _glued_word(label_words: list, first_cell, calibration: Calibration, step: float, first_time: float):
    """The word left of a row's first cell that reaches into the tick column before it: a label
    printed against its count (``Arm A 46``), or None.

    The column must be on the axis (from ``first_time``, the time at the
    plot's left edge); the word must end within half a step of its tick and
    begin well left of it (else it is the count itself, centred under the tick).
    """
    if not label_words:
        return None
    word = max(label_words, key=lambda w: w[2])
    column = _tick_time(first_cell, calibration, step) - step
    if column < first_time - 0.25 * step:
        return None
    end, start = float(calibration.time(word[2] - 1)), float(calibration.time(word[0]))
    if end >= column - 0.5 * step and start < column - 0.25 * step and first_cell[0] - word[2] > 0:
        return word
    return None


def _split_glued(text: str) -> tuple[str, int | None]:
    """A label printed against its count, read as one text, split: (label, count) or (text, None)."""
    text = str(text).strip()
    if _count(text) is not None:
        return "", _count(text)
    match = _GLUED.match(text)
    if not match:
        return text, None
    return match.group("label").strip(), _count(match.group("count"))


def _count(text: str) -> int | None:
    """The count a cell shows, or None: ``46``, ``1,234``, ``1 234``, ``256 (0)``, ``256(12)``.

    The number in brackets (censored or events so far, or a percentage) is
    not the number at risk and is left out; ``O`` read for ``0`` is taken as 0.
    """
    text = str(text).strip()
    if re.fullmatch(r"[\dOoD,. ()\[\]%]+", text):
        text = text.translate(_LOOKALIKES)
    match = _CELL.match(text)
    if not match:
        return None
    return int(re.sub(r"\D", "", match.group("count")))


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


def _read_labels(image: np.ndarray, rows: list[dict]) -> list[Reading]:
    """The label printed with each row and its OCR confidence ("" where there is none).

    A label that only says "At risk" (lifelines prints the arm's name on the
    line above its rows) is replaced by that line's text.
    """
    # survminer's colour bars (solid marks; OCR reads them as 0, D or dashes) are no text to read.
    printed = [[w for w in row["label_words"] if not _is_bar(image, w)] for row in rows]
    found = read_boxes(image, [_line_box(words) for words in printed if words])
    read = iter(zip(found["text"], found["confidence"]))
    labels = []
    for words in printed:
        text, confidence = next(read) if words else ("", 1.0)
        labels.append(Reading(str(text).strip(), float(confidence)))
    captioned = [row for row, label in zip(rows, labels) if _says_at_risk(label.text)]
    if captioned and all(row["caption"] is not None for row in captioned):
        # The arm's name is the caption's phrase over the label, not the rest of its line (lifelines
        # prints the first arm's name on the line of the plot's x-axis title).
        phrases = [_line_box(_phrase_over(row["caption"], row["label_words"])) for row in captioned]
        titles = iter(str(title).strip() for title in read_boxes(image, phrases)["text"])
        labels = [Reading(next(titles), label.confidence) if _says_at_risk(label.text) else label
                  for label in labels]
    # Marks that are no letters (survminer's colour bars read as dashes) are no label.
    return [label if re.search(r"\w", label.text) else Reading("", 0.0) for label in labels]


def _says_at_risk(text: str) -> bool:
    """Whether a row label only says "At risk" (the row's kind, not its arm), as printed or with a
    glyph misread (``Alt risk`` from a blurred JPEG; see :func:`digitize.names.name_distance`)."""
    return bool(_AT_RISK_CAPTION.match(text)) or name_distance(text, "At risk") <= AT_RISK_SLIP


def _phrase_over(words: list, label_words: list) -> list:
    """Of a line's words, the phrase (words apart by no more than 1.5 text heights) nearest in
    columns to a row's label: the arm's name printed over its rows, not the axis title beside it."""
    height = float(np.median([w[3] - w[1] for w in words]))
    phrases = [[words[0]]]
    for word in words[1:]:
        if word[0] - phrases[-1][-1][2] > 1.5 * height:
            phrases.append([])
        phrases[-1].append(word)
    if not label_words:
        return phrases[0]
    label = _line_box(label_words)

    def gap(phrase):  # columns between the phrase and the label, 0 when they overlap
        box = _line_box(phrase)
        return max(box[0] - label[2], label[0] - box[2], 0)
    return min(phrases, key=gap)


def _is_bar(image: np.ndarray, word: tuple) -> bool:
    """Whether a word is a solid mark (a colour bar), ink over four fifths of its box: no glyph is."""
    left, top, right, bottom = word
    paper = np.median(image[top:bottom, ::4].reshape(-1, 3), axis=0)  # the line's paper
    return bool(_ink(image[top:bottom, left:right], paper).mean() >= 0.8)


def _row_colour(image: np.ndarray, cells: list, label_words: list) -> np.ndarray:
    """The colour of a row: of its digits, or, when those are black or grey, of its label or colour bar."""
    digits = _ink_colour(image, cells)
    if _chroma(digits) >= COLOURED_CHROMA or not label_words:
        return digits
    label = _ink_colour(image, label_words)
    return label if _chroma(label) >= COLOURED_CHROMA else digits


def _ink_colour(image: np.ndarray, boxes) -> np.ndarray:
    """Colour of the strongest half of the ink in the boxes (see :func:`_strong_ink`), black when none."""
    strong = _strong_ink(image, boxes)
    return np.median(strong, axis=0) if len(strong) else np.zeros(3)


def _strong_ink(image: np.ndarray, boxes) -> np.ndarray:
    """The strongest half of the ink pixels in the boxes (the printed glyphs, not their anti-aliased
    edges or the paper), RGB, shape ``(n, 3)``. The paper is that of the boxes' rows across the
    figure: in a box drawn tight around a glyph ('0', '1') the ink may be most of the pixels."""
    pixels = np.concatenate([image[t:b, l:r].reshape(-1, 3) for l, t, r, b in boxes])
    if not len(pixels):
        return pixels
    top, bottom = min(box[1] for box in boxes), max(box[3] for box in boxes)
    paper = np.median(image[top:bottom, ::4].reshape(-1, 3), axis=0)
    distance = np.abs(pixels.astype(np.int16) - paper.astype(np.int16)).max(axis=1)
    inked = distance > INK_FROM_PAPER
    if not inked.any():
        return pixels[:0]
    return pixels[inked][distance[inked] >= np.median(distance[inked])]


def _lab(rgb) -> np.ndarray:
    """CIELAB of one RGB colour (through the fast 8-bit conversion: a unit of error is nothing here)."""
    return to_lab(np.clip(np.round(np.asarray(rgb, dtype=float)), 0, 255).astype(np.uint8).reshape(1, 3))[0]


def _chroma(rgb) -> float:
    return float(np.hypot(*_lab(rgb)[1:]))


def _coloured(rows: list[dict]) -> bool:
    """Whether the rows are printed in the arms' colours: every row in a colour (not black or
    grey), or each row in a colour or grey of its own (survminer prints a grey arm's row in its
    grey beside the coloured ones, and its grey palette's rows in the arms' greys)."""
    if all(_chroma(row["colour"]) >= COLOURED_CHROMA for row in rows):
        return True
    return len(rows) > 1 and bool((pdist(np.array([_lab(row["colour"]) for row in rows])) > COLOUR_MATCH_DELTA_E).all())


def _tint_distance(colour: np.ndarray, arm: np.ndarray, paper=(255, 255, 255)) -> float:
    """CIELAB distance from ``colour`` to the nearest tint of ``arm`` on the paper.

    Rows printed light (transparent, or a paler shade) are a mix of the arm
    colour and the paper, ``paper + a (arm - paper)``; the mix share ``a`` is
    fitted, so a light tint matches its arm as well as the full colour does.
    The tints of a grey arm are greys, printed for other grey arms (survminer's
    grey palette): a grey arm matches its own grey only.
    """
    if _chroma(arm) < COLOURED_CHROMA:
        return float(np.linalg.norm(_lab(arm) - _lab(colour)))
    paper = np.asarray(paper, dtype=float)
    direction = np.asarray(arm, dtype=float) - paper
    share = float(np.clip(np.dot(colour - paper, direction) / max(np.dot(direction, direction), 1e-9), 0.15, 1.0))
    return float(np.linalg.norm(_lab(paper + share * direction) - _lab(colour)))


def _colour_pairs(rows: list[dict], colours, names: list[str]) -> tuple[list, list[str]]:
    """Per row, the index of the arm colour it is printed in a tint of (None for a row left
    over), and warnings.

    Rows and arms are paired one to one (Hungarian assignment on the tint
    distance); a row that matches an arm another row matches too, or that
    matches no arm, is named in a warning, and a row left without an arm
    (more rows than arms) is dropped, with a warning.
    """
    targets = np.array([_rgb(colour) for colour in colours], dtype=float)
    cost = np.array([[_tint_distance(np.asarray(row["colour"], float), target) for target in targets]
                     for row in rows])
    row_index, arm_index = linear_sum_assignment(cost)
    assigned: list = [None] * len(rows)
    for i, k in zip(row_index, arm_index):
        assigned[i] = int(k)
    warnings = []
    matches = cost <= COLOUR_MATCH_DELTA_E
    for i, row in enumerate(rows):
        where = f"numbers at risk, row {i + 1} (colour {_hex(row['colour'])})"
        rivals = [j + 1 for k in np.flatnonzero(matches[i]) for j in np.flatnonzero(matches[:, k]) if j != i]
        if assigned[i] is None:
            warnings.append(f"{where}: no arm left to match (its colour is nearest "
                            f"{names[int(cost[i].argmin())]}'s); the row was dropped")
        elif rivals:
            warnings.append(f"{where}: matches the colour of an arm that row(s) "
                            f"{', '.join(map(str, sorted(set(rivals))))} match too; taken as {names[assigned[i]]}'s")
        elif not matches[i].any():
            warnings.append(f"{where}: near no arm's colour; taken as {names[assigned[i]]}'s")
    return assigned, warnings


def _rgb(colour) -> tuple[int, int, int]:
    if isinstance(colour, str):
        colour = colour.lstrip("#")
        return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return tuple(int(c) for c in colour)


def _hex(colour) -> str:
    return "#" + "".join(f"{int(round(c)):02x}" for c in colour)
