"""Finding the plot area (the axes lines or frame) and the tick marks on its axes.

A KM plot is drawn inside an L of two axis lines, or inside a full box. Axis
lines are long, straight, thin and dark grey or black; curves are usually
coloured, grid lines light. So the axes are found as the longest dark,
unsaturated horizontal and vertical line segments that meet in a bottom-left
corner. Tick marks are short dark runs that leave an axis line at a right
angle, outward or inward.

Pixel convention: ``x_px`` is the column, ``y_px`` the row, row 0 at the top.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kmipd.errors import InputError

#: A line is "long" if it spans at least this share of the image side.
MIN_AXIS_SHARE = 0.2
#: ... but when no two such lines meet, a y axis of this share of the image height will do (a plot
#: squeezed above a tall numbers-at-risk table).
SQUEEZED_AXIS_SHARE = 0.1
#: Another corner counts as a second panel if its axes are at least this share of the first's.
MIN_PANEL_SHARE = 0.5
#: Unboxed axes (base R ``bty = "n"``) stop short of their corner by at most this share of their length.
DETACHED_GAP_SHARE = 0.1
#: A plot side this close to the image's edge (share of the image side) leaves no room for tick labels.
BORDER_SHARE = 0.02


@dataclass(frozen=True)
class PlotArea:
    """The rectangle the curves are drawn in, in pixels of the full image.

    Attributes
    ----------
    left : int
        Column of the y axis line (or the left frame line), at its centre.
    top : int
        Row of the top of the plotting region (top frame line or top of the y axis).
    right : int
        Column of the right end of the x axis (or the right frame line).
    bottom : int
        Row of the x axis line, at its centre.
    framed : bool
        True if a full box surrounds the plot.
    """

    left: int
    top: int
    right: int
    bottom: int
    framed: bool

    @property
    def width(self) -> int:
        """Columns from the y axis to the right end, in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Rows from the top to the x axis, in pixels."""
        return self.bottom - self.top


@dataclass(frozen=True)
class _Segment:
    """A straight line: ``position`` across it (row or column centre), ``start..end`` along it."""

    position: float
    start: int
    end: int
    thickness: int

    @property
    def length(self) -> int:
        return self.end - self.start


def darkness(image: np.ndarray) -> np.ndarray:
    """Ink of neutral (black to grey) colour, 0-1 per pixel; coloured ink counts as none.

    Axis lines, ticks and tick labels are printed in black or dark grey, so
    hue-free darkness separates them from coloured curves and fills.
    """
    red, green, blue = cv2.split(image)  # OpenCV's per-pixel max/min are ~20x numpy's on (h, w, 3)
    chroma = cv2.subtract(cv2.max(cv2.max(red, green), blue), cv2.min(cv2.min(red, green), blue))
    ink = 1 - cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    ink[chroma > 80] = 0
    return ink


#: Darkness above which a pixel is axis ink.
AXIS_DARKNESS = 0.4
#: Ink across a line (its darkness summed over three pixels across it) above which it is an axis
#: line however blurred: a thin black line spread by a blur or a downscale to a peak under
#: AXIS_DARKNESS keeps its ink, as much as a sharp pixel of 60% darkness holds.
AXIS_INK_ACROSS = 0.6
#: Darkness within which two pixels across a line are equally its centre: a line two pixels wide
#: centred between them is as dark in both, up to the noise of JPEG (about 10 grey levels).
TIE_DARKNESS = 0.05


def _axis_masks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis ink for horizontal lines and for vertical lines.

    A pixel is axis ink when it is dark, or when it is the darkest of three
    across a line (or as dark, up to :data:`TIE_DARKNESS`) and the three hold
    a dark line's ink (:data:`AXIS_INK_ACROSS`) above the paper or fill beside
    the line (the faintest ink within three pixels either side): a blurred
    line then counts whole, at its centre (both pixels of a line centred
    between two), and is widened by a pixel at most, while an even grey area
    (a screenshot's border) holds no line.
    """
    ink = darkness(image)
    dark = ink > AXIS_DARKNESS
    masks = []
    for across in ((1, 0), (0, 1)):  # the axis across a horizontal line (rows), across a vertical one
        window = np.ones((3, 1) if across[0] else (1, 3), np.uint8)
        beside = cv2.erode(ink, np.ones((7, 1) if across[0] else (1, 7), np.uint8))
        held = cv2.filter2D(ink - beside, -1, window.astype(np.float32), borderType=cv2.BORDER_REPLICATE)
        centre = ink >= cv2.dilate(ink, window) - TIE_DARKNESS
        masks.append((dark | (centre & (held > AXIS_INK_ACROSS))).astype(np.uint8))
    return masks[0], masks[1]


def _segments(mask: np.ndarray, min_length: int) -> list[_Segment]:
    """Horizontal runs of at least ``min_length`` pixels in ``mask`` (transpose it for vertical ones).

    Gaps of up to two pixels, which JPEG and antialiasing leave in thin lines,
    are bridged. Runs on adjacent rows with the same extent are one line
    several pixels thick, positioned at its centre row; lines thicker than
    0.6% of the image side (8 px at least) are dropped.
    """
    # Only rows holding enough ink can hold a long run; this keeps large images fast.
    candidate_rows = np.flatnonzero(mask.sum(axis=1) >= min_length)
    open_lines: list[dict] = []
    finished: list[dict] = []
    for row in candidate_rows:
        still_open = []
        for start, end in _runs(mask[row], max_gap=2):
            if end - start < min_length:
                continue
            for line in open_lines:
                overlap = min(end, line["end"]) - max(start, line["start"])
                if line["row"] == row - 1 and overlap >= 0.8 * min(end - start, line["end"] - line["start"]):
                    line.update(row=row, start=min(start, line["start"]), end=max(end, line["end"]),
                                rows=line["rows"] + [row])
                    still_open.append(line)
                    open_lines.remove(line)
                    break
            else:
                still_open.append({"row": row, "start": start, "end": end, "rows": [row]})
        finished.extend(open_lines)
        open_lines = still_open
    finished.extend(open_lines)
    # Axis lines are thin; a long dark band is a filled region (or a photograph), not a line.
    max_thickness = max(8, int(0.006 * max(mask.shape)))
    finished = [line for line in finished if len(line["rows"]) <= max_thickness and _clear_beside(mask, line)]
    return sorted((_Segment(float(np.mean(line["rows"])), int(line["start"]), int(line["end"]),
                            len(line["rows"])) for line in finished),
                  key=lambda s: (s.position, s.start))


def _clear_beside(mask: np.ndarray, line: dict) -> bool:
    """Whether a line has mostly clear paper along one side, as an axis line has outside the plot.

    The edge of a dark region (in a photograph, say) has dark on one side
    and usually dark nearby on the other too; an axis line has none.
    """
    beside = [line["rows"][0] - 2, line["rows"][-1] + 2]
    shares = [mask[row, line["start"]:line["end"]].mean() for row in beside if 0 <= row < mask.shape[0]]
    return bool(shares) and min(shares) < 0.5


def _runs(values: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` (end exclusive) of the runs of non-zero values in a 1-D array.

    Runs separated by at most ``max_gap`` zeros are joined.
    """
    padded = np.concatenate([[0], (values > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[::2], edges[1::2]
    if max_gap and len(starts) > 1:
        keep = (starts[1:] - ends[:-1]) > max_gap
        starts = starts[np.concatenate([[True], keep])]
        ends = ends[np.concatenate([keep, [True]])]
    return list(zip(starts.tolist(), ends.tolist()))


def find_plot_areas(image: np.ndarray) -> list[PlotArea]:
    """All plot areas in a figure (one per panel), left to right, top to bottom.

    Axis lines are looked for first; a figure without any (ggplot2's grey
    theme) is searched for filled panel rectangles instead.

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 figure (see :func:`digitize.image.load_image`).

    Returns
    -------
    list of PlotArea
        Panels in reading order: rows of panels top to bottom, each row left
        to right.

    Raises
    ------
    InputError
        When no pair of axis lines meeting at a bottom-left corner is found.
    """
    height, width = image.shape[:2]
    of_horizontals, of_verticals = _axis_masks(image)
    horizontal = _segments(of_horizontals, max(20, int(MIN_AXIS_SHARE * width)))
    vertical = _segments(of_verticals.T, max(20, int(MIN_AXIS_SHARE * height)))
    corners = _corners(vertical, horizontal)
    if not corners:
        # A plot squeezed above a tall at-risk table has a y axis shorter than a share of the
        # figure's height; its x axis is still long, and the two still meet.
        vertical = _segments(of_verticals.T, max(20, int(SQUEEZED_AXIS_SHARE * height)))
        corners = _corners(vertical, horizontal)
    if not corners:
        panels = _filled_panels(image)
        if panels:
            return _reading_order(panels)
        raise InputError("no plot axes found: the image has no pair of straight dark axis lines "
                         "meeting at a corner; is this a Kaplan-Meier figure?")
    # Longest axes first; a ties-free order keeps the choice deterministic.
    corners.sort(key=lambda vh: (-(vh[0].length + vh[1].length), vh[0].position, vh[1].position))
    candidates = [(_plot_area(v, h, horizontal, vertical, image), v.length + h.length) for v, h in corners]
    # The longest lines are not always axes: a frame around the whole figure (a screenshot's,
    # a journal's box) or a box around the at-risk block meets at a corner too, but carries no
    # tick marks. Axes carry ticks on both lines; boxes without any are a last resort.
    ticked = [(area, length) for area, length in candidates if _has_ticks(image, area)]
    candidates = ticked or candidates
    best = candidates[0][1]
    areas: list[PlotArea] = []
    for area, length in candidates:
        if length < MIN_PANEL_SHARE * best:
            break
        if not any(_overlaps(area, other) for other in areas):
            areas.append(area)
    return _reading_order(areas)


def _corners(vertical: list[_Segment], horizontal: list[_Segment]) -> list[tuple[_Segment, _Segment]]:
    """Pairs of a vertical and a horizontal line meeting at a bottom-left corner (or stopping short
    of it, as base R's unboxed axes do: :func:`_detached_corner`)."""
    corners = []
    for v in vertical:
        for h in horizontal:
            tolerance = 3 + max(v.thickness, h.thickness)
            meets = (v.end >= h.position - tolerance and v.start < h.position - 0.5 * v.length
                     and h.start <= v.position + tolerance and h.end > v.position + 0.5 * h.length)
            # Outward ticks may extend an axis past the corner, but not by a sizeable share.
            overshoot = max(v.end - h.position, v.position - h.start)
            if (meets and overshoot < 0.1 * min(v.length, h.length)) or _detached_corner(v, h):
                corners.append((v, h))
    return corners


def _has_ticks(image: np.ndarray, area: PlotArea) -> bool:
    """Whether a tick mark leaves each axis of ``area`` between its ends (see :func:`find_ticks`).

    Marks at the ends do not count: there the lines of a box leave each other
    like ticks (a frame's sides rise from its bottom line).
    """
    x_ticks, y_ticks = find_ticks(image, area)
    margin = 3
    inside_x = (x_ticks > area.left + margin) & (x_ticks < area.right - margin)
    inside_y = (y_ticks > area.top + margin) & (y_ticks < area.bottom - margin)
    return bool(inside_x.any() and inside_y.any())


def border_warnings(image: np.ndarray, area: PlotArea) -> list[str]:
    """A warning when the plot area's axes lie on the image's edge, where no tick label fits.

    The y axis of a plot has its tick labels to its left and the x axis its
    labels below: a plot area whose left or bottom side is the image's edge
    is a frame drawn around the figure (a screenshot's, a journal's box) read
    as the axes, unless the figure was cropped through its labels.
    """
    height, width = image.shape[:2]
    edges = [side for side, gap, size in (("left", area.left, width), ("bottom", height - 1 - area.bottom, height))
             if gap <= BORDER_SHARE * size]
    if not edges:
        return []
    return [f"the plot area found ({area.left},{area.top})-({area.right},{area.bottom}) lies on the image's "
            f"{' and '.join(edges)} edge, where no tick labels fit: it may be a frame around the figure; "
            f"check overlay.png, or crop the frame off"]


def _filled_panels(image: np.ndarray) -> list[PlotArea]:
    """The plot area drawn as a filled rectangle with no axis lines (ggplot2's grey panel).

    The panel colour is the commonest colour other than the page's; the panel
    spans the longest runs of rows and columns rich in it. Counting along
    rows and columns, rather than following the region's outline, keeps the
    box whole where confidence bands, curves and grid lines cover the fill.
    Only one such panel per figure is found.
    """
    height, width = image.shape[:2]
    packed = image.astype(np.int32) @ np.array([1 << 16, 1 << 8, 1], np.int32)  # one int per colour
    page = np.bincount(np.concatenate([packed[0], packed[-1], packed[:, 0], packed[:, -1]])).argmax()
    counts = np.bincount(packed.ravel(), minlength=1 << 24)
    counts[page] = 0
    panel_colour = np.array([(counts.argmax() >> shift) & 255 for shift in (16, 8, 0)])
    # Within 8 (JPEG noise) of the panel colour in every channel; OpenCV's inRange is ~10x NumPy's.
    mask = cv2.inRange(image, np.maximum(panel_colour - 8, 0), np.minimum(panel_colour + 8, 255)) > 0
    cols, rows = _longest_rich_run(mask.sum(axis=0)), _longest_rich_run(mask.sum(axis=1))
    if cols[1] - cols[0] < MIN_AXIS_SHARE * width or rows[1] - rows[0] < MIN_AXIS_SHARE * height:
        return []
    if mask[rows[0]:rows[1], cols[0]:cols[1]].mean() < 0.3:
        return []  # a scatter of one colour, not a filled box
    return [PlotArea(cols[0], rows[0], cols[1] - 1, rows[1] - 1, True)]


def _longest_rich_run(counts: np.ndarray) -> tuple[int, int]:
    """``(start, end)`` of the longest run of counts above 10% of the largest.

    Gaps of up to six lines (white grid lines across the panel) are bridged.
    """
    runs = _runs(counts >= 0.1 * counts.max(), max_gap=6) if counts.max() else [(0, 0)]
    return max(runs, key=lambda run: (run[1] - run[0], -run[0]))


def find_plot_area(image: np.ndarray) -> PlotArea:
    """The plot area of a figure; for a multi-panel figure, the first panel.

    See :func:`find_plot_areas`.
    """
    return find_plot_areas(image)[0]


def _detached_corner(v: _Segment, h: _Segment) -> bool:
    """Whether two axis lines stop short of the corner they span, as base R draws them without a
    box (``bty = "n"``): each runs from its first tick to its last, the plot region reaching a
    little past them (4% of the range), so the lines leave a small gap at the bottom-left corner."""
    gap_x, gap_y = h.start - v.position, h.position - v.end
    return 0 < gap_x <= DETACHED_GAP_SHARE * h.length and 0 < gap_y <= DETACHED_GAP_SHARE * v.length


def _ink_reach(strip: np.ndarray, max_gap: int) -> int:
    """How many columns from its left edge the ink in ``strip`` (RGB) runs on, gaps of up to ``max_gap`` bridged."""
    inked = (strip < 200).any(axis=(0, 2))
    runs = _runs(inked, max_gap=max_gap)
    return runs[0][1] if runs and runs[0][0] <= max_gap else 0


def _plot_area(v: _Segment, h: _Segment, horizontal: list[_Segment], vertical: list[_Segment],
               image: np.ndarray) -> PlotArea:
    left, bottom = v.position, h.position
    top, right = float(v.start), float(h.end - 1)
    if _detached_corner(v, h):
        # The region reaches past the y axis's top as far as past its foot (R widens both ends
        # alike), and to the right as far as ink goes: a curve may run past the last x tick.
        top = max(0.0, top - (h.position - v.end))
        right += _ink_reach(image[int(top) : int(bottom), int(right) + 1 :], max_gap=int(h.start - v.position))
        return PlotArea(int(round(left)), int(round(top)), int(round(right)), int(round(bottom)), False)
    tolerance = 3 + max(v.thickness, h.thickness)
    # A frame: a top line and a right line closing the box over the same extent.
    # Curves or a legend drawn over the top-left corner can hide the top of the y axis and the
    # start of the top line, but then the right line still rises to the top line. The top line
    # starts where the x axis does (some programs run both past the y axis); one reaching out
    # further is not the box's but a frame around the whole figure.
    right_line = [s for s in vertical if abs(s.position - right) <= tolerance
                  and s.start <= top + 0.2 * v.length and s.end >= bottom - tolerance]
    highest = min([v.start - 0.2 * v.length] + [s.start - tolerance for s in right_line])
    top_line = [s for s in horizontal if highest <= s.position <= top + tolerance
                and min(left, h.start) - tolerance <= s.start <= left + 0.1 * h.length and s.end >= right - tolerance]
    framed = bool(top_line and right_line)
    if framed:
        top = min(top_line, key=lambda s: abs(s.position - top)).position
        right = right_line[0].position
    else:
        # The end of a thick line is its outer edge; report the centre like the other sides.
        top += (h.thickness - 1) / 2
        right -= (v.thickness - 1) / 2
    return PlotArea(int(round(left)), int(round(top)), int(round(right)), int(round(bottom)), framed)


def _overlaps(a: PlotArea, b: PlotArea) -> bool:
    return not (a.right <= b.left or b.right <= a.left or a.bottom <= b.top or b.bottom <= a.top)


def _reading_order(areas: list[PlotArea]) -> list[PlotArea]:
    """Sort panels into rows (by vertical overlap), rows top to bottom, each left to right."""
    rows: list[list[PlotArea]] = []
    for area in sorted(areas, key=lambda a: (a.top, a.left)):
        for row in rows:
            if min(row[0].bottom, area.bottom) - max(row[0].top, area.top) > 0.5 * area.height:
                row.append(area)
                break
        else:
            rows.append([area])
    return [area for row in rows for area in sorted(row, key=lambda a: a.left)]


def find_ticks(image: np.ndarray, plot_area: PlotArea) -> tuple[np.ndarray, np.ndarray]:
    """Tick mark positions on the x and y axes, to a fraction of a pixel.

    A tick is a short dark run leaving the axis line at a right angle;
    outward ticks are looked for first, inward ticks when there are fewer
    than two outward ones. A tick's position is the darkness-weighted centre
    of its run, which is exact for antialiased ticks that fall between two
    pixel columns.

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 figure.
    plot_area : PlotArea
        From :func:`find_plot_area`.

    Returns
    -------
    x_ticks_px : numpy.ndarray
        Columns of the x-axis ticks, increasing (floats).
    y_ticks_px : numpy.ndarray
        Rows of the y-axis ticks, increasing (floats; top first).
    """
    reach = 12  # rows either side of an axis line searched for ticks, in pixels
    height, width = image.shape[:2]
    # Darkness only near the axes: the whole image would cost more than the search itself.
    rows = slice(max(plot_area.bottom - reach, 0), min(plot_area.bottom + reach + 1, height))
    cols = slice(max(plot_area.left - 3, 0), min(plot_area.right + 4, width))
    x_ticks = _axis_ticks(darkness(image[rows, cols]), plot_area.bottom - rows.start) + cols.start
    rows = slice(max(plot_area.top - 3, 0), min(plot_area.bottom + 4, height))
    cols = slice(max(plot_area.left - reach, 0), min(plot_area.left + reach + 1, width))
    # Transposed, the y axis is a horizontal line whose outside (left) is above it.
    y_ticks = _axis_ticks(darkness(image[rows, cols]).T, plot_area.left - cols.start, outward_sign=-1)
    return x_ticks, y_ticks + rows.start


def _axis_ticks(ink: np.ndarray, axis_row: int, outward_sign: int = 1) -> np.ndarray:
    """Tick columns on the horizontal axis line at ``axis_row`` of the window ``ink``.

    ``outward_sign`` is +1 when outside the plot is below the line (larger
    rows), -1 when above it.
    """
    half = _half_thickness(ink, axis_row)
    for sign in (outward_sign, -outward_sign):
        rows = [axis_row + sign * (half + 1 + k) for k in range(2)]
        if min(rows) < 0 or max(rows) >= ink.shape[0]:
            continue
        # A tick is dark over its whole length: take the lighter of the two rows.
        ticks = _peaks(ink[rows].min(axis=0), max_width=2 * half + 4)
        if len(ticks) >= 2:
            return ticks
    return np.empty(0)


def _half_thickness(ink: np.ndarray, axis_row: int) -> int:
    """Half the thickness of the horizontal line at ``axis_row``, in whole pixels."""
    half = 0
    while (axis_row + half + 1 < ink.shape[0] and axis_row - half - 1 >= 0
           and min(np.median(ink[axis_row + half + 1]), np.median(ink[axis_row - half - 1])) > 0.3):
        half += 1
    return half


def _peaks(profile: np.ndarray, max_width: int, threshold: float = 0.35) -> np.ndarray:
    """Darkness-weighted centres of the runs of ``profile`` above ``threshold`` no wider than ``max_width``."""
    centres = []
    # A tick drawn as an outline shows as two runs a pixel or two apart: bridge them.
    for start, end in _runs(profile > threshold, max_gap=2):
        if end - start > max_width:
            continue  # a curve lying on the axis, not a tick
        lo, hi = max(start - 1, 0), min(end + 1, len(profile))  # antialiased fringes carry position too
        weights = profile[lo:hi]
        centres.append(float(np.sum(np.arange(lo, hi) * weights) / np.sum(weights)))
    return np.asarray(centres)
