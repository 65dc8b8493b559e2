"""Arm names from the legend: the text printed just right of each arm's colour swatch."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from digitize.colours import to_lab
from digitize.ocr import read_boxes

#: CIELAB distance within which a pixel has an arm's colour.
SWATCH_DELTA_E = 25.0
#: Legend labels read below this OCR confidence are not used as names.
MIN_NAME_CONFIDENCE = 0.6


def find_swatches(image: np.ndarray, colours: np.ndarray, curve_mask: np.ndarray) -> pd.DataFrame:
    """The legend swatch of each arm: its widest short piece of colour away from the curves.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8
        The figure (RGB).
    colours : ndarray, shape (n_arms, 3)
        Arm colours.
    curve_mask : ndarray, shape (h, w), bool
        Pixels of the traced curves and their censor marks (not swatches).

    Returns
    -------
    pandas.DataFrame
        One row per arm with a swatch: ``arm_index`` (row of ``colours``), ``left, top,
        right, bottom`` (px), in legend order (top to bottom, then left to right).
    """
    lab = to_lab(image)
    rows = []
    max_width = image.shape[1] // 5
    for index, colour in enumerate(colours):
        mask = (np.linalg.norm(lab - to_lab(colour), axis=2) < SWATCH_DELTA_E) & ~curve_mask
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        # A swatch is a short line or a small patch, wider than tall; text of that colour is narrower.
        shapes = stats[1:]
        fits = (shapes[:, cv2.CC_STAT_WIDTH] >= 8) & (shapes[:, cv2.CC_STAT_WIDTH] <= max_width) & (
            shapes[:, cv2.CC_STAT_WIDTH] >= shapes[:, cv2.CC_STAT_HEIGHT])
        if not fits.any():
            continue
        best = shapes[np.flatnonzero(fits)[np.argmax(shapes[fits, cv2.CC_STAT_WIDTH])]]
        left, top, width, height = (int(v) for v in best[:4])
        rows.append({"arm_index": index, "left": left, "top": top, "right": left + width, "bottom": top + height})
    swatches = pd.DataFrame(rows, columns=["arm_index", "left", "top", "right", "bottom"])
    return swatches.sort_values(["top", "left"], kind="mergesort").reset_index(drop=True)


def legend_names(image: np.ndarray, swatches: pd.DataFrame) -> dict[int, str]:
    """The text right of each swatch, read by OCR.

    The label's box is found from the pixels (the run of ink starting just
    right of the swatch, at its height), then read with recognition only
    (:func:`digitize.ocr.read_boxes`), which is quicker than finding text.

    Returns
    -------
    dict
        Arm index -> name, for the swatches with a readable label on their right.
    """
    boxes, indices = [], []
    ink = _text_ink(image)
    for swatch in swatches.itertuples():
        box = _label_box(ink, swatch)
        if box is not None:
            boxes.append(box)
            indices.append(int(swatch.arm_index))
    read = read_boxes(image, boxes)
    return {k: text.strip() for k, text, score in zip(indices, read["text"], read["confidence"])
            if text.strip() and score >= MIN_NAME_CONFIDENCE}


def _text_ink(image: np.ndarray) -> np.ndarray:
    """Pixels darker than their surroundings' paper: text."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return grey < np.median(grey) - 80


def _label_box(ink: np.ndarray, swatch) -> tuple[int, int, int, int] | None:
    """Box (left, top, right, bottom) of the run of text starting just right of a swatch."""
    centre = (swatch.top + swatch.bottom) // 2
    half = max(8, ink.shape[0] // 60)
    band = ink[max(0, centre - half) : centre + half + 1, swatch.right + 1 :]
    columns = np.flatnonzero(band.any(axis=0))
    if len(columns) == 0 or columns[0] > 3 * half:
        return None
    # The label runs on while the gaps between its letters and words stay under a text height.
    gaps = np.flatnonzero(np.diff(columns) > 2 * half)
    last = columns[gaps[0]] if len(gaps) else columns[-1]
    rows = np.flatnonzero(band[:, columns[0] : last + 1].any(axis=1))
    top = max(0, centre - half) + rows[0]
    bottom = max(0, centre - half) + rows[-1]
    left, right = swatch.right + 1 + columns[0], swatch.right + 1 + last
    return (left - 3, top - 3, right + 4, bottom + 4)
