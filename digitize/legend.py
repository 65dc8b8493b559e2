"""Arm names from the legend: the text printed just right of each arm's colour swatch."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from digitize.names import Reading, is_name, split_label
from digitize.ocr import read_boxes

#: CIELAB distance within which a pixel has an arm's colour.
SWATCH_DELTA_E = 25.0
#: Text is black or grey: its HSV saturation (0-255) is below this.
TEXT_MAX_SATURATION = 80
#: Dark horizontal runs at least this long (px) are rule lines, not text.
RULE_LENGTH_PX = 60
#: Legend labels read below this OCR confidence are not used as names.
MIN_NAME_CONFIDENCE = 0.6
#: A piece of an arm's colour with more than this share of the box around it (one pixel grown) on
#: darker ink is a letter's anti-aliased edge: a swatch is drawn apart, its box holding its own colour.
MAX_TEXT_BOX_SHARE = 0.25
#: Text lower than this (px) is no legend label: OCR cannot read it.
MIN_LABEL_HEIGHT_PX = 5
#: Page left around a label's text when it is read (px of the image read).
LABEL_MARGIN_PX = 3
#: A tint of an arm's colour is at least this share of the way from the page to it (a band fill's
#: is under a third: matplotlib's and survminer's alpha).
MIN_TINT = 0.4
#: Entries found per arm: the first is its swatch, the next are read when its label names nothing.
MAX_ENTRIES_TRIED = 3


@dataclass(frozen=True)
class LegendPixels:
    """A figure as the legend search reads it, whatever the arms' colours (see :func:`legend_pixels`).

    Attributes
    ----------
    lab : ndarray, shape (h, w, 3), uint8
        The figure in OpenCV's 8-bit CIELAB (L scaled by 255/100, a and b offset by 128).
    text_ink : ndarray, shape (h, w), bool
        Dark grey or black pixels that may be legend text (rule lines removed).
    """

    lab: np.ndarray
    text_ink: np.ndarray
    _near: dict = field(default_factory=dict, repr=False, compare=False)

    def near(self, colour) -> np.ndarray:
        """The pixels within :data:`SWATCH_DELTA_E` of an RGB colour (CIELAB distance) and nearer
        it than the page (a light grey arm's colour is that near white), shape ``(h, w)``, bool;
        kept for the next search with that colour."""
        key = tuple(int(v) for v in colour)
        if key not in self._near:
            self._near[key] = _near_colour(self.lab, key, SWATCH_DELTA_E, self.page)
        return self._near[key]

    def tints(self, colour, least: float = MIN_TINT) -> np.ndarray:
        """The pixels of a tint of an RGB colour: on the way from the page to it (in CIELAB) at
        least ``least`` of the way (and no more than :data:`MIN_TINT` past it), and within half
        :data:`SWATCH_DELTA_E` of that way, shape ``(h, w)``, bool; kept for the next search.
        A blurred thin line is diluted so, beyond the colour's reach; the anti-aliased edges of
        a line are its tints from none of the way."""
        key = (tuple(int(v) for v in colour), least)
        if key not in self._near:
            target = cv2.cvtColor(np.asarray(colour, dtype=np.uint8).reshape(1, 1, 3), cv2.COLOR_RGB2LAB)[0, 0]
            units = np.array([100 / 255, 1.0, 1.0], dtype=np.float32)
            way = (target.astype(np.float32) - self.page.astype(np.float32)) * units
            offset = (self.lab.astype(np.float32) - self.page.astype(np.float32)) * units
            along = offset @ way / max(float(way @ way), 1.0)
            across = np.linalg.norm(offset - along[..., None] * way, axis=2)
            self._near[key] = (along >= least) & (along <= 1 + MIN_TINT) & (across < SWATCH_DELTA_E / 2)
        return self._near[key]

    @property
    def page(self) -> np.ndarray:
        """The page's colour (the median pixel, OpenCV's 8-bit Lab), shape ``(3,)``, float."""
        if "page" not in self._near:
            self._near["page"] = np.median(self.lab[::4, ::4].reshape(-1, 3), axis=0)
        return self._near["page"]


def legend_pixels(image: np.ndarray) -> LegendPixels:
    """What :func:`find_swatches` reads from an RGB figure before it knows the arms' colours, so
    that a caller can have it done while the curves are still being read."""
    return LegendPixels(cv2.cvtColor(image, cv2.COLOR_RGB2LAB), _text_ink(image))


def find_swatches(pixels: LegendPixels, colours: np.ndarray, curve_mask: np.ndarray,
                  line_widths_px=None) -> pd.DataFrame:
    """The legend swatch of each arm: a short line of its colour, away from the curves, with text on its right.

    A swatch is drawn as a line (see :func:`_is_line`): up to twice as thick
    as its arm's curve (and a pixel, for anti-aliasing) when the curves' line
    widths are known, else thinner than a third of its label's text; a word
    printed in the arm's colour (a row label of the at-risk table, an axis
    title) is not one. It stands apart from text (:func:`_stands_apart`), its
    label further off than its dashes are apart. The widest such piece of
    each arm's colour (:meth:`LegendPixels.near`) is its swatch; an arm of a
    strong colour with none is looked for in its tints
    (:meth:`LegendPixels.tints`: a blurred line is diluted toward the page).

    Parameters
    ----------
    pixels : LegendPixels
        The figure (see :func:`legend_pixels`).
    colours : ndarray, shape (n_arms, 3)
        Arm colours (RGB).
    curve_mask : ndarray, shape (h, w), bool
        Pixels of the traced curves and their censor marks (not swatches).
    line_widths_px : sequence of float, optional
        The traced curves' line widths (px of ``pixels``), one per arm.

    Returns
    -------
    pandas.DataFrame
        One row per arm with a swatch: ``arm_index`` (row of ``colours``),
        ``left, top, right, bottom`` (the swatch, px) and ``label`` (the box
        of the text on its right, right and bottom exclusive, for
        :func:`legend_names`), in legend order (top to bottom, then left to right), and
        ``alternatives``: the label boxes of the arm's next candidate entries (the next widest
        pieces that pass), read when the first label names nothing (a survminer risk table's
        colour bar beside its count is drawn as a legend swatch is).
    """
    rows = []
    # The strongest colours claim their swatches first, and a swatch is one arm's: the anti-aliased
    # fringe of a black line is grey, and would pass for a grey arm's swatch.
    page = pixels.page
    lab = cv2.cvtColor(np.asarray(colours, dtype=np.uint8).reshape(-1, 1, 3), cv2.COLOR_RGB2LAB).reshape(-1, 3)
    for index in np.argsort(-np.linalg.norm(lab.astype(float) - page, axis=1), kind="stable"):
        width = line_widths_px[index] if line_widths_px is not None else None
        entries = _entries_in(pixels, pixels.near(colours[index]), lab[index], int(index), curve_mask, rows, width)
        if not entries and _delta_e(lab[index], page) >= 2 * SWATCH_DELTA_E:
            # A blurred figure's thin swatch is a tint of its arm's colour, diluted toward the page.
            entries = _entries_in(pixels, pixels.tints(colours[index]), lab[index], int(index), curve_mask, rows,
                                  width)
        if entries:
            rows.append({**entries[0], "alternatives": [entry["label"] for entry in entries[1:]]})
    swatches = pd.DataFrame(_labels_end_at_next_swatch(rows),
                            columns=["arm_index", "left", "top", "right", "bottom", "label", "alternatives"])
    return swatches.sort_values(["top", "left"], kind="mergesort").reset_index(drop=True)


def _entries_in(pixels: LegendPixels, near: np.ndarray, colour_lab: np.ndarray, index: int, curve_mask: np.ndarray,
                claimed: list[dict], line_width_px: float | None) -> list[dict]:
    """The legend entries (see :func:`_entries`) of arm ``index``, of colour ``colour_lab``
    (8-bit Lab) drawn in the pixels ``near``, off the curves and the swatches ``claimed``."""
    ink = pixels.text_ink
    max_width = ink.shape[1] // 5
    _, _, stats, _ = cv2.connectedComponentsWithStats((near & ~curve_mask).astype(np.uint8), connectivity=8)
    # Text is black. An arm drawn in another ink (grey, colour) has no letters: its pieces in a
    # row are the dashes of a dashed swatch, and its text is the ink neither its colour nor a tint
    # of it (the anti-aliased edges of its lines; blurred black text may be lighter than a dark colour).
    in_text_ink = _delta_e_from_black(colour_lab) <= SWATCH_DELTA_E
    pieces = _boxes(stats[1:, :4]) if in_text_ink else _dashes_joined(_boxes(stats[1:, :4]))
    rgb = cv2.cvtColor(np.asarray(colour_lab, dtype=np.uint8).reshape(1, 1, 3), cv2.COLOR_LAB2RGB)[0, 0]
    text = ink if in_text_ink else ink & ~near & ~pixels.tints(rgb, least=0.0)
    # A swatch is a short line or a small patch, wider than tall; text of that colour is narrower.
    widths, heights = pieces[:, 2] - pieces[:, 0], pieces[:, 3] - pieces[:, 1]
    fits = np.flatnonzero((widths >= 8) & (widths <= max_width) & (widths >= heights))
    candidates = [dict(zip(("left", "top", "right", "bottom"), _along_its_rows(near, pieces[piece], max_width)),
                       arm_index=index) for piece in fits[np.argsort(-widths[fits], kind="stable")]]
    # ... and is drawn apart: a piece running along text is the anti-aliased edge of a letter.
    candidates = [swatch for swatch in candidates
                  if not (not in_text_ink and _box_share(text, swatch) > MAX_TEXT_BOX_SHARE
                          or any(_touching(swatch, other) for other in claimed))]
    # A label may be printed in its arm's colour (journals print 'Male' in the grey of its curve).
    return _entries(candidates, near, text if in_text_ink else text | near, line_width_px)


def _along_its_rows(near: np.ndarray, box, max_width: int) -> tuple[int, int, int, int]:
    """A piece's box (left, top, right, bottom; exclusive) run on to the left and right along its
    rows while ``near`` (its colour, under the curves' mask too) goes on, to ``max_width`` at most:
    where a curve passes by, part of a swatch is masked."""
    left, top, right, bottom = (int(v) for v in box)
    drawn = near[top:bottom].any(axis=0)
    while left > 0 and drawn[left - 1] and right - left < max_width:
        left -= 1
    while right < len(drawn) and drawn[right] and right - left < max_width:
        right += 1
    return left, top, right, bottom


def _entries(candidates: list[dict], near: np.ndarray, label_ink: np.ndarray,
             line_width_px: float | None) -> list[dict]:
    """The first :data:`MAX_ENTRIES_TRIED` of the candidate swatches (boxes) drawn as a line
    standing apart with a label in ``label_ink`` on its right, each with its ``label`` box."""
    entries = []
    for swatch in candidates:
        if len(entries) == MAX_ENTRIES_TRIED:
            break
        label = _label_box(label_ink, swatch)
        if label is None:
            continue
        line_rows = 2 * line_width_px + 1 if line_width_px is not None else (label[3] - label[1]) / 3
        piece = near[swatch["top"]:swatch["bottom"], swatch["left"]:swatch["right"]]
        # The label is further off than the dashes of a dashed swatch are apart: else it is the line going on.
        dash_gaps = [end - start for start, end in _runs_of(~piece.any(axis=0))]
        if (_is_line(piece, line_rows) and _stands_apart(label_ink, swatch, label)
                and label[0] - swatch["right"] > max(dash_gaps, default=0)):
            entries.append({**swatch, "label": label})
    return entries


def _labels_end_at_next_swatch(entries: list[dict]) -> list[dict]:
    """Legend entries (swatch box and ``label`` box) with each label ended a letter gap (a third
    of its height) before another entry's swatch begins on its rows: in a legend laid out in a
    row, text runs on into the next entry."""
    ended = []
    for entry in entries:
        left, top, right, bottom = entry["label"]
        for other in entries:
            if left < other["left"] < right and other["top"] < bottom and top < other["bottom"]:
                right = max(left + 1, other["left"] - (bottom - top) // 3)
        ended.append({**entry, "label": (left, top, right, bottom)})
    return ended


def read_labels(image: np.ndarray, boxes) -> dict[tuple[int, int, int, int], tuple[str, float]]:
    """The text in each label box (left, top, right, bottom; right and bottom exclusive) of
    ``image`` and its confidence, read by OCR (recognition only: :func:`digitize.ocr.read_boxes`)
    with :data:`LABEL_MARGIN_PX` of page around it, and a letter gap (a third of its height) on its
    left and right: a box starts and ends at its first and last dark pixel, and a blurred round
    letter there ('O', 'l') is read only with page beside it, by box."""
    boxes = list(dict.fromkeys(tuple(int(v) for v in box) for box in boxes))
    margin = LABEL_MARGIN_PX
    read = read_boxes(image, [(left - side, top - margin, right + side, bottom + margin)
                              for left, top, right, bottom in boxes
                              for side in [max(margin, (bottom - top) // 3)]])
    return {box: (text, score) for box, text, score in zip(boxes, read["text"], read["confidence"])}


def legend_names(image: np.ndarray, swatches: pd.DataFrame, known: dict | None = None) -> dict[int, Reading]:
    """The text right of each swatch, read by OCR (see :func:`read_labels`).

    The label boxes of ``swatches`` are in the pixels of ``image``, which may
    be larger than the one the swatches were found in: the margin left around
    each label (:data:`LABEL_MARGIN_PX`) is that image's. Labels in ``known``
    (read already by :func:`read_labels`) are not read again.

    Returns
    -------
    dict
        Arm index -> the label as read and its OCR confidence, for the swatches
        with a readable label (the name in it: :func:`digitize.names.split_label`).
    """
    labels = [tuple(int(v) for v in box) for box in swatches["label"]]
    read = dict(known or {})
    read.update(read_labels(image, [box for box in labels if box not in read]))
    # An arm whose first label names nothing tries its next entries, all read in one batch.
    tried = {int(k): [tuple(int(v) for v in box) for box in further]
             for k, box, further in zip(swatches["arm_index"], labels, swatches["alternatives"])
             if not _names_something(*read[box])}
    read.update(read_labels(image, [box for boxes in tried.values() for box in boxes if box not in read]))
    names, taken = {}, set(labels)
    for k, box in zip(swatches["arm_index"], labels):
        # A further entry is one arm's: the first to name something is taken.
        box = next((other for other in [box] + [b for b in tried.get(int(k), []) if b not in taken]
                    if _names_something(*read[other])), None)
        if box is not None:
            names[int(k)] = Reading(*read[box])
            taken.add(box)
    return names


def _names_something(text: str, confidence: float) -> bool:
    """Whether a label read with this OCR confidence names an arm (see :func:`digitize.names.is_name`):
    numbers alone beside a piece of line are tick labels or counts at risk, not a legend."""
    return confidence >= MIN_NAME_CONFIDENCE and is_name(split_label(text)[0])


def _near_colour(lab: np.ndarray, colour, max_delta_e: float, page: np.ndarray) -> np.ndarray:
    """The pixels of ``lab`` (OpenCV's 8-bit Lab, L scaled by 255/100, a and b offset by 128)
    within ``max_delta_e`` of an RGB colour (CIELAB distance) and nearer it than the ``page``
    colour (8-bit Lab).

    Distances are computed with OpenCV's whole-image operations (converting a
    whole figure to floating-point Lab, :func:`digitize.colours.to_lab`, costs
    several times more), and only for the pixels in the box around the colour
    that holds every pixel near it (``cv2.inRange``, one fast pass): most of a
    figure is far from any arm's colour.
    """
    target = cv2.cvtColor(np.asarray(colour, dtype=np.uint8).reshape(1, 1, 3), cv2.COLOR_RGB2LAB)[0, 0].astype(int)
    squared_units = np.array([[(100 / 255) ** 2, 1.0, 1.0]], dtype=np.float32)
    # Half-widths of the box, in 8-bit units: the largest difference in one channel that can be near.
    reach = np.floor(max_delta_e / np.sqrt(squared_units[0]) - 1e-6).astype(int)
    near = np.zeros(lab.shape[:2], dtype=bool)
    inside = cv2.findNonZero(cv2.inRange(lab, tuple(np.maximum(target - reach, 0).tolist()),
                                         tuple(np.minimum(target + reach, 255).tolist())))
    if inside is not None:
        cols, rows = inside.reshape(-1, 2).T
        pixels = lab[rows, cols].astype(np.float32)
        difference = np.abs(pixels - target.astype(np.float32))[:, None, :]
        from_page = np.abs(pixels - np.asarray(page, dtype=np.float32))[:, None, :]
        squared = cv2.transform(difference * difference, squared_units)[:, 0]
        near[rows, cols] = (squared < max_delta_e ** 2) & (squared < cv2.transform(from_page * from_page,
                                                                                   squared_units)[:, 0])
    return near


def _text_ink(image: np.ndarray) -> np.ndarray:
    """Dark grey or black pixels (legend text), without the long horizontal lines (axes, frames) text never has."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    value, saturation = hsv[..., 2], hsv[..., 1]
    dark = ((value < np.median(value) - 80) & (saturation < TEXT_MAX_SATURATION)).astype(np.uint8)
    lines = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, RULE_LENGTH_PX), np.uint8))
    return (dark > lines)


def _boxes(stats: np.ndarray) -> np.ndarray:
    """Boxes (left, top, right, bottom; right and bottom exclusive) of OpenCV component stats
    (left, top, width, height)."""
    return np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]])


def _dashes_joined(boxes: np.ndarray) -> np.ndarray:
    """Boxes of pieces of ink (see :func:`_boxes`), the dashes of a dashed line joined: pieces on
    the same rows, as long as the one before (within a factor of 2) and less than twice that
    length from it."""
    joined, dash = [], 0
    for box in boxes[np.lexsort((boxes[:, 0], boxes[:, 3], boxes[:, 1]))]:
        last, length = (joined[-1] if joined else None), int(box[2] - box[0])
        if (last is not None and last[1] == box[1] and last[3] == box[3]
                and dash / 2 <= length <= 2 * dash and 0 <= box[0] - last[2] < 2 * min(dash, length)):
            last[2] = box[2]
        else:
            joined.append(box.copy())
        dash = length
    return np.array(joined).reshape(-1, 4)


def _delta_e_from_black(lab: np.ndarray) -> float:
    """CIELAB distance of a colour in OpenCV's 8-bit Lab from black (L 0, a and b 0)."""
    return float(np.hypot(float(lab[0]) * 100 / 255, np.hypot(float(lab[1]) - 128, float(lab[2]) - 128)))


def _delta_e(first: np.ndarray, second: np.ndarray) -> float:
    """CIELAB distance of two colours in OpenCV's 8-bit Lab."""
    return float(np.linalg.norm((np.asarray(first, float) - np.asarray(second, float)) * [100 / 255, 1, 1]))


def _box_share(mask: np.ndarray, box: dict) -> float:
    """Share of the pixels of a box (``left, top, right, bottom``) grown by one pixel that are set in ``mask``."""
    top, left = max(box["top"] - 1, 0), max(box["left"] - 1, 0)
    grown = mask[top:box["bottom"] + 1, left:box["right"] + 1]
    return float(grown.mean()) if grown.size else 0.0


def _is_line(piece: np.ndarray, max_rows: float) -> bool:
    """Whether a piece of ink (bool, its box) is drawn as a line, as a swatch is: at least half its
    ink on the rows holding half as much as the fullest row or more (the line, a mark on it
    aside), and those rows one run, of no more than ``max_rows`` (at least 2). A word in the
    arm's colour (a row label, an axis title) fills its x-height, or its top and foot, on more rows."""
    per_row = piece.sum(axis=1)
    line = np.flatnonzero(per_row >= per_row.max() / 2)
    return (len(line) <= max(2.0, max_rows) and line[-1] - line[0] + 1 == len(line)
            and per_row[line].sum() >= per_row.sum() / 2)


def _stands_apart(ink: np.ndarray, swatch: dict, label: tuple[int, int, int, int]) -> bool:
    """Whether a swatch stands apart from text, as a letter of a word does not: its label starts
    more than a letter gap (a third of the label's height, 3 px at least) to its right, and no
    ink but a frame's side (a column inked a text height above and below it) is that near on its
    left (but for the pixel next to it: a line's end is fainter than its colour)."""
    height = label[3] - label[1]
    gap = max(3, height // 3)
    columns = slice(max(swatch["left"] - gap, 0), max(swatch["left"] - 1, 0))  # a line's end may be fainter
    beside = ink[swatch["top"] : swatch["bottom"], columns].any(axis=0)
    frame = ink[max(swatch["top"] - height, 0) : swatch["bottom"] + height, columns].all(axis=0)
    return label[0] - swatch["right"] >= gap and not np.any(beside & ~frame)


def _touching(first: dict, second: dict) -> bool:
    """Whether two boxes (``left, top, right, bottom``, right and bottom exclusive) overlap or touch."""
    return (first["left"] <= second["right"] and second["left"] <= first["right"]
            and first["top"] <= second["bottom"] and second["top"] <= first["bottom"])


def _label_box(ink: np.ndarray, swatch: dict) -> tuple[int, int, int, int] | None:
    """Box (left, top, right, bottom; right and bottom exclusive) of the run of text starting just
    right of a swatch, or None."""
    centre = (swatch["top"] + swatch["bottom"]) // 2
    half = max(8, ink.shape[0] // 60)
    top = max(0, centre - half)
    # A line's end is fainter than its colour and may pass for dark grey ink: the label starts after it.
    start = swatch["right"] + 1
    while start < min(swatch["right"] + 3, ink.shape[1]) and ink[swatch["top"] : swatch["bottom"], start].any():
        start += 1
    band = ink[top : centre + half + 1, start:].copy()
    # A frame's side (the plot's, the legend box's) runs through the band and on as far above or
    # below it: no letter is twice as tall.
    above, below = (ink[rows, start:].all(axis=0)
                    for rows in (slice(max(top - 2 * half, 0), top), slice(centre + half + 1, centre + 3 * half + 1)))
    band[:, band.all(axis=0) & (above | below)] = False
    columns = np.flatnonzero(band.any(axis=0))
    # The gap before the label is under a text height or two, or (matplotlib's legends, whose
    # dashed swatch may end in a gap between dashes) under the swatch's length.
    if len(columns) == 0 or columns[0] > max(3 * half, swatch["right"] - swatch["left"]):
        return None
    last = _run_end(columns, 2 * half)
    rows = np.flatnonzero(band[:, columns[0] : last + 1].any(axis=1))
    # The band may reach the lines of text above and below: the label is the line level with the swatch.
    lines = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    if len(lines) > 1:
        line = min(lines, key=lambda run: np.abs(run - (centre - top)).min())
        band = band[: line[-1] + 1].copy()
        band[: line[0]] = False
        columns = np.flatnonzero(band.any(axis=0))
        last = _run_end(columns, 2 * half)
        rows = np.flatnonzero(band[:, columns[0] : last + 1].any(axis=1))
    height = rows[-1] - rows[0] + 1
    if height < MIN_LABEL_HEIGHT_PX or last - columns[0] + 1 < height / 2:
        return None  # a speck or a tick mark, not a line of text
    return start + int(columns[0]), top + int(rows[0]), start + 1 + int(last), top + int(rows[-1]) + 1


def _run_end(columns: np.ndarray, max_gap: int) -> int:
    """The last of the sorted ``columns`` before the first gap wider than ``max_gap``: a label runs
    on while the gaps between its letters and words stay under a text height."""
    gaps = np.flatnonzero(np.diff(columns) > max_gap)
    return int(columns[gaps[0]] if len(gaps) else columns[-1])


def further_legend_entries(image: np.ndarray, pixels: LegendPixels, swatches: pd.DataFrame,
                           colours: np.ndarray) -> list[tuple[tuple[int, int, int, int], bool]]:
    """Legend entries stacked with the ones found, which no found swatch accounts for.

    Entries of a legend are stacked with their labels left-aligned and their
    swatches in one column. Next to a found entry (a row of ``swatches``), a
    line of text starting at its label's left edge (nothing printed just left
    of it, which a legend title has), with a line-shaped mark in its swatch's
    columns (flatter than the text, solid or dashed, spanning half the found
    swatch's width and at least 8 px), is another entry.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8
        The image the swatches were found in (RGB).
    pixels : LegendPixels
        Its legend pixels (see :func:`legend_pixels`).
    swatches : pandas.DataFrame
        The swatches found for the traced arms (see :func:`find_swatches`).
    colours : ndarray, shape (n_arms, 3)
        The traced arms' colours (RGB).

    Returns
    -------
    list of (tuple, bool)
        The label box (left, top, right, bottom; exclusive) of each further
        entry, and whether its swatch has a traced arm's colour (else its
        colour is on no traced curve: even its antialiased edge is of none).
    """
    found = [tuple(box) for box in swatches["label"]]
    entries: list = []
    for swatch in swatches.itertuples():
        left, top, _, bottom = swatch.label
        text_height = bottom - top
        window = slice(max(0, top - 4 * text_height), bottom + 4 * text_height)
        before = slice(max(swatch.right + 1, left - text_height), left - 2)  # a letter may start a pixel early
        for start, end in _runs_of(pixels.text_ink[window, left : left + 4].any(axis=1)):
            rows = slice(window.start + start, window.start + end)
            if any(min(rows.stop, box[3]) > max(rows.start, box[1]) for box in found + [e[0] for e in entries]):
                continue  # a label already accounted for
            if not 0.5 * text_height <= end - start <= 1.5 * text_height or pixels.text_ink[rows, before].any():
                continue
            columns = slice(swatch.left, swatch.right)
            inked = (image[rows, columns] < 200).any(axis=2)  # any ink, of any colour
            count, labels, stats, _ = cv2.connectedComponentsWithStats(inked.astype(np.uint8), connectivity=8)
            # Dashed and dotted swatches come in pieces: their span counts, not each piece's width.
            flat = [piece for piece in range(1, count) if stats[piece, cv2.CC_STAT_HEIGHT] < 0.6 * text_height]
            starts = stats[flat, cv2.CC_STAT_LEFT]
            ends = starts + stats[flat, cv2.CC_STAT_WIDTH]
            if flat and ends.max() - starts.min() >= max(8, (swatch.right - swatch.left) // 2):
                # The swatch's colour is its widest piece's (a curve may pass behind the legend).
                widest = labels == flat[int(np.argmax(stats[flat, cv2.CC_STAT_WIDTH]))]
                own = any(pixels.near(colour)[rows, columns][widest].any() for colour in colours)
                entries.append(((left, rows.start, left + 4, rows.stop), bool(own)))
    return entries


def _runs_of(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` (end exclusive) of the runs of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))
