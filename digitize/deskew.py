"""Small rotations of a scanned or photographed figure, measured and undone before the plot is read.

A page laid a little askew on a scanner turns the whole figure: the axis
lines, the frame and the steps of the curves no longer run along pixel rows
and columns, so the plot area is not found as a box and tick labels are not
cut out on a line. The rotation is measured twice, independently: from the
figure's near-horizontal lines (the x axis, the frame's top and bottom, the
curves' flat steps) and from its near-vertical lines (the y axis, the frame's
sides, the curves' drops). A rotation turns both by the same angle; a
figure drawn straight, or sheared, or with lines that merely lean, does not
give two equal angles, and is left as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Largest rotation looked for, in degrees: a page placed by hand is askew by a degree or two;
#: a figure turned further was turned on purpose (or is not a figure).
MAX_SKEW_DEGREES = 3.0
#: Smallest rotation undone, in degrees: below it a line across the plot moves by about a pixel
#: or less from end to end, which reading on a pixel grid tolerates anyway, and resampling would blur.
MIN_SKEW_DEGREES = 0.2
#: How closely the angles of the horizontal and of the vertical lines must agree, in pixels of
#: drift across the figure's shorter side: each angle is known to about a pixel over the lines'
#: length, so two measurements may differ by two.
AGREEMENT_PX = 2.0
#: Step of the search over angles, in degrees; the best step is refined between its neighbours.
SEARCH_STEP_DEGREES = 0.05
#: Grey level below which a pixel is ink: axis lines and frames are dark.
DARK_GREY = 160
#: Longest side the rotation is measured at, in pixels: the angle of a line across the plot is
#: known to well under its search step at this size, and the cost grows with the pixels.
MEASURE_SIDE_PX = 1000


def skew_degrees(image: np.ndarray) -> float | None:
    """The angle a figure is rotated by, when its horizontal and vertical lines agree on it.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8
        The figure, RGB.

    Returns
    -------
    float or None
        Degrees counter-clockwise (as the figure is seen) the figure is turned by:
        ``rotated(image, -angle)`` sets it straight. ``None`` when the horizontal
        and vertical lines disagree (by more than :data:`AGREEMENT_PX` over the
        shorter side: no single rotation explains them), or when either angle
        lies at the edge of the search (beyond :data:`MAX_SKEW_DEGREES`).
        A figure drawn straight gives an angle near 0.
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = min(1.0, MEASURE_SIDE_PX / max(grey.shape))
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rows, cols = np.nonzero(grey < DARK_GREY)
    if len(rows) == 0:
        return None
    angles = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + SEARCH_STEP_DEGREES / 2, SEARCH_STEP_DEGREES)
    # A line turned counter-clockwise by a rises to the right: row + col * tan(a) is the same
    # along it; a vertical line leans right going down: col - row * tan(a) is.
    of_horizontals = _sharpest_angle(rows, cols, angles)
    of_verticals = _sharpest_angle(cols, -rows, angles)
    if of_horizontals is None or of_verticals is None:
        return None
    if abs(of_horizontals - of_verticals) > np.degrees(np.arctan(AGREEMENT_PX / min(grey.shape))):
        return None
    return (of_horizontals + of_verticals) / 2


def _sharpest_angle(along: np.ndarray, across: np.ndarray, angles_deg: np.ndarray) -> float | None:
    """The angle at which the ink's lines fall into the fewest, fullest bins of ``along + across * tan``.

    The profile's sharpness (the sum of its squared bin counts) peaks where
    long straight lines each fall into one bin. The peak is refined by a
    parabola through its neighbours; a peak at the edge of the search is no
    measurement (the true angle may lie beyond it).
    """
    sharpness = np.empty(len(angles_deg))
    for k, angle in enumerate(np.radians(angles_deg)):
        position = np.rint(along + across * np.tan(angle)).astype(np.int64)
        counts = np.bincount(position - position.min())
        sharpness[k] = float(np.dot(counts, counts))
    best = int(np.argmax(sharpness))
    if best in (0, len(angles_deg) - 1):
        return None
    before, peak, after = sharpness[best - 1 : best + 2]
    curvature = before - 2 * peak + after
    offset = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
    return float(angles_deg[best] + offset * (angles_deg[1] - angles_deg[0]))


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """The image turned ``degrees`` counter-clockwise about its centre, the same size, corners filled white.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8
    degrees : float

    Returns
    -------
    ndarray, shape (h, w, 3), uint8
    """
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def deskewed(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The figure set straight when it is measurably rotated, and the angle it was turned back by.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8

    Returns
    -------
    image : ndarray, shape (h, w, 3), uint8
        The figure itself when no rotation of at least :data:`MIN_SKEW_DEGREES`
        was found, else the figure turned straight.
    degrees : float
        The rotation undone (degrees counter-clockwise the figure had been
        turned by), 0.0 when none.
    """
    skew = skew_degrees(image)
    if skew is None or abs(skew) < MIN_SKEW_DEGREES:
        return image, 0.0
    return rotated(image, -skew), round(skew, 3)
