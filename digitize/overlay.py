"""The overlay picture: the figure with what was read drawn over it, to check at a glance.

Each traced curve is drawn as a thin line in a colour that stands out from
its arm's own (so a trace off its line shows as a stray line), censor marks
as small circles, the plot area as a box, and each calibrated tick as a short
tick with the value the calibration gives it, so a misread axis shows as
numbers that disagree with the printed ones.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitize.colours import to_lab

#: Trace colours to choose from (RGB): the one farthest from the arm's colour is used.
TRACE_COLOURS = np.array([[255, 0, 255], [0, 200, 255], [255, 140, 0], [0, 220, 0], [255, 0, 0]], dtype=np.uint8)
AXIS_COLOUR = (0, 90, 255)


def draw_overlay(result) -> np.ndarray:
    """Draw ``result`` (a :class:`digitize.result.DigitizationResult`) over its figure.

    Returns
    -------
    ndarray, shape (h, w, 3), uint8
        RGB picture.
    """
    picture = result.image.copy()
    calibration, area = result.calibration, result.plot_area
    scale = max(1, round(picture.shape[1] / 800))
    cv2.rectangle(picture, (area.left, area.top), (area.right, area.bottom), AXIS_COLOUR, 1)
    for px, value in zip(calibration.x.ticks["px"], calibration.x.ticks["value"]):
        x = int(round(px))
        cv2.line(picture, (x, area.bottom), (x, area.bottom + 6 * scale), AXIS_COLOUR, scale)
        _label(picture, f"{value:g}", (x - 6 * scale, area.bottom + 20 * scale), scale)
    for px, value in zip(calibration.y.ticks["px"], calibration.y.ticks["value"]):
        y = int(round(px))
        cv2.line(picture, (area.left - 6 * scale, y), (area.left, y), AXIS_COLOUR, scale)
        _label(picture, f"{value:g}", (area.left + 4 * scale, y - 3 * scale), scale)
    for arm in result.arms.itertuples():
        colour = _trace_colour(arm.colour)
        curve = result.curves[result.curves["arm"] == arm.arm]
        points = np.column_stack([calibration.x_px(curve["time"]), calibration.y_px(curve["survival"])])
        cv2.polylines(picture, [np.round(points).astype(np.int32)], False, colour, 1)
        marks = result.censor_marks[result.censor_marks["arm"] == arm.arm]["time"].to_numpy()
        for time in marks:
            survival = _survival_at(curve, time)
            centre = (int(round(calibration.x_px(time))), int(round(calibration.y_px(survival))))
            cv2.circle(picture, centre, 4 * scale, colour, 1)
    return picture


def _label(picture: np.ndarray, text: str, origin: tuple[int, int], scale: int) -> None:
    cv2.putText(picture, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.35 * scale, AXIS_COLOUR, 1)


def _trace_colour(hex_code: str) -> tuple[int, int, int]:
    """The trace colour farthest (CIELAB) from an arm's colour."""
    rgb = np.array([int(hex_code[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    distance = np.linalg.norm(to_lab(TRACE_COLOURS) - to_lab(rgb), axis=1)
    return tuple(int(c) for c in TRACE_COLOURS[int(np.argmax(distance))])


def _survival_at(curve, time: float) -> float:
    """Survival of a step curve (corners by time) just after ``time``."""
    index = np.searchsorted(curve["time"].to_numpy(), time, side="right") - 1
    return float(curve["survival"].to_numpy()[max(index, 0)])
