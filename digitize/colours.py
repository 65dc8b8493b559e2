"""Arm colours: which inks inside the plot area draw curves, and how much of each pixel is which.

Pixels are modelled as a blend of the plot background and one ink,
``pixel = alpha * ink + (1 - alpha) * background``, which is what
anti-aliased drawing does. The arm inks are found by clustering the strongly
inked pixels in CIELAB (perceptual distances, so "far apart" means "looks
different"), after removing the rule lines (axes, frame, grid lines) that run
across the whole plot. Light fills (confidence bands) and anti-aliased fringes
have a small ``alpha`` and are left out of the clustering; thin lines are
clustered from the centres of their strokes, whose colour is the line's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, permutations

import cv2
import matplotlib.colors
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2, vq
from scipy.optimize import linear_sum_assignment

from digitize.line_type import DASH_GAP_WIDTHS
from kmipd.errors import InputError

#: A colour given with ``--arms`` names a curve of another kind when one is grey or black (HSV
#: saturation or value below these) and the other not, or their HSV hues lie more than
#: NAMED_MAX_HUE_DEGREES apart. Colour names are loose (people call ggplot's teal #00BFC4
#: "blue", 59 degrees from pure blue), so only colours of another kind are refused; HSV hue is
#: used because it follows colour names (CIELAB puts pure blue nearer salmon than teal).
NAMED_GREY_SATURATION, NAMED_GREY_VALUE = 0.15, 0.2
NAMED_MAX_HUE_DEGREES = 90.0
#: CIELAB distance from the background above which a pixel counts as ink.
INK_DELTA_E = 30.0
#: ... or above which the centre of a thin stroke on the bare background does (a pale grey or
#: light blue line, whose anti-aliased pixels are no stronger than a black line's edges).
STROKE_INK_DELTA_E = 15.0
#: A stroke's centre has a pixel of less than STROKE_SIDE of its ink within this many px on
#: both sides (across the stroke); a fill's inside or edge has not.
STROKE_HALF_WIDTH_PX = 4
STROKE_SIDE = 0.25
#: Inks closer than this (CIELAB distance) are one arm.
SAME_ARM_DELTA_E = 22.0
#: A coloured curve whose CIELAB distance from the background is below this share of the
#: strongest arm's is a fill's edge, not a line.
PALE_SHARE = 0.5
#: ... unless it is a blend of another arm's colour with the background within this RGB distance,
TINT_RESIDUAL = 20.0
#: ... and that colour is not itself a blend of two others (within TINT_RESIDUAL), each weighing at
#: least MIX_MIN_WEIGHT and together at most MIX_MAX_WEIGHT (layers of translucent ink over the
#: background never add up to more than one): one arm's line under another's band.
MIX_MIN_WEIGHT = 0.1
MIX_MAX_WEIGHT = 1.0
#: An arm colour that mixes two others with weights adding up to about one (UNDER_BAND_TOTAL), the
#: first at least UNDER_BAND_LINE_WEIGHT, is the first arm's line seen through the second's band,
#: when this share of its pixels has the bands on both sides ...
UNDER_BAND_LINE_WEIGHT = 0.5
UNDER_BAND_TOTAL = (0.8, 1.15)
UNDER_BAND_SIDES = 0.5
#: ... and the first arm's own colour is missing from this share of the columns the mix inks.
UNDER_BAND_LINE_MISSING = 0.2
#: Two translucent bands over one another weigh at most this much together.
BAND_OVERLAP_TOTAL = 0.7
#: Coloured inks (chroma above SAME_HUE_MIN_CHROMA) this close in hue angle are one arm.
SAME_HUE_DEGREES = 8.0
SAME_HUE_MIN_CHROMA = 15.0
#: Two shades of one hue are one line when in this share of the (at least this many) columns both ink
#: they are within a line width of each other (merge_split_shades).
SPLIT_ALONG_SHARE = 0.9
SPLIT_MIN_SHARED_COLUMNS = 10
#: A rule line (axis, frame, grid) covers at least this share of the plot's width or height.
RULE_LINE_COVERAGE = 0.85
#: A curve's pixels span at least this share of the plot width.
MIN_CURVE_SPAN = 0.15
#: Blend weight below which an arm-coloured pixel is a light fill (confidence band), not the line.
FILL_ALPHA = 0.5
#: Colour clusters looked for before merging them into arms (more than the arms: fringes, fills).
N_CLUSTERS = 8
#: A cluster of which this share survives an erosion by a square of twice its line width
#: (at least AREA_MIN_PX) is a fill, not a line.
AREA_SHARE = 0.2
AREA_MIN_PX = 7
#: A paler cluster whose pixels mostly touch an arm's is that arm's anti-aliased fringe.
FRINGE_TOUCHING = 0.6
#: Stroke centres of close colours (but not of one shade) are one arm's if this share of them touch
#: (a line's centre shade varies with its sub-pixel position; two grey arms meet where they cross).
STROKE_TOUCHING = 0.15
SAME_SHADE_DELTA_E = 15.0
#: Pixels clustered at most (a deterministic stride sample above this).
MAX_SAMPLES = 20000


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (L 0-100, a and b about -128..127) of RGB colours of any shape ``(..., 3)``.

    uint8 input (images) goes through OpenCV's fast 8-bit conversion, exact to
    about one unit; other input through the floating-point one.
    """
    rgb = np.asarray(rgb)
    if rgb.size == 0:  # OpenCV refuses an empty image; no colours have no Lab values
        return np.zeros(rgb.shape, np.float32)
    if rgb.dtype == np.uint8:
        lab = cv2.cvtColor(np.ascontiguousarray(rgb.reshape(-1, 1, 3)), cv2.COLOR_RGB2LAB).astype(np.float32)
        lab -= np.array([0, 128, 128], np.float32)
        lab[..., 0] *= 100 / 255
        return lab.reshape(rgb.shape)
    lab = cv2.cvtColor(rgb.astype(np.float32).reshape(-1, 1, 3) / 255.0, cv2.COLOR_RGB2LAB)
    return lab.reshape(rgb.shape)


@dataclass(frozen=True)
class PlotInk:
    """The pixels inside a plot area and how strongly each is inked.

    Attributes
    ----------
    crop : ndarray, shape (h, w, 3), uint8
        The plot area's pixels, axis lines excluded; row 0 is ``origin[1]``
        of the image, column 0 is ``origin[0]``.
    origin : tuple of int
        Image column and row of the crop's pixel (0, 0).
    background : ndarray, shape (3,), float
        The background RGB: the per-channel median, since most of a plot is empty.
    strength : ndarray, shape (h, w), float
        CIELAB distance of each pixel from the background.
    rules : ndarray, shape (h, w), bool
        Pixels of rule lines (axes, frame, grid lines), see :func:`rule_line_mask`.
    """

    crop: np.ndarray
    origin: tuple[int, int]
    background: np.ndarray
    strength: np.ndarray
    rules: np.ndarray

    @property
    def ink(self) -> np.ndarray:
        """Strongly inked pixels that are not rule lines."""
        return (self.strength >= INK_DELTA_E) & ~self.rules

    @property
    def stroke_centres(self) -> np.ndarray:
        """Centres of thin strokes on the bare background inked at least
        :data:`STROKE_INK_DELTA_E` (see :func:`stroke_centres`), rule lines removed."""
        centres = stroke_centres(self.strength) & (self.strength >= STROKE_INK_DELTA_E)
        return centres & ~self.rules & ~rule_line_mask(centres)

    @cached_property
    def any_ink(self) -> np.ndarray:
        """How much each pixel is inked at all, 0-1 (rule lines included); computed once, read for
        every arm."""
        return np.clip(self.strength / INK_DELTA_E, 0.0, 1.0)


def plot_ink(image: np.ndarray, plot_area) -> PlotInk:
    """Measure the ink inside ``plot_area`` (a :class:`digitize.axes.PlotArea`) of an RGB image."""
    crop = image[plot_area.top : plot_area.bottom, plot_area.left + 1 : plot_area.right + 1]
    background = np.median(crop.reshape(-1, 3), axis=0).astype(np.float32)
    strength = _distance_from(crop, background)
    rules = rule_line_mask(strength >= INK_DELTA_E)
    return PlotInk(crop, (plot_area.left + 1, plot_area.top), background, strength, rules)


def _distance_from(image: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """CIELAB distance of each pixel of an RGB uint8 image from one RGB colour, shape ``(h, w)``:
    ``np.linalg.norm(to_lab(image) - to_lab(colour), axis=2)``, ten times faster."""
    levels = np.arange(256, dtype=np.float32)
    lab_levels = np.stack([levels * (100 / 255), levels - 128, levels - 128], axis=1)  # as to_lab's
    return _lookup_distance(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2LAB), lab_levels, to_lab(colour))


def _lookup_distance(channels: np.ndarray, levels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Euclidean distance of each pixel from ``colour``, where a pixel's 8-bit value ``v`` in
    channel ``c`` of ``channels`` (uint8, shape (h, w, 3)) stands for ``levels[v, c]``.

    Each channel's squared difference takes one of 256 values: it is looked up from a
    table (OpenCV's ``LUT``) rather than computed pixel by pixel in floating point.
    """
    squares = ((levels - colour) ** 2).astype(np.float32).reshape(1, 256, 3)
    return cv2.sqrt(cv2.transform(cv2.LUT(channels, squares), np.ones((1, 3), np.float32)))


def rule_line_mask(ink: np.ndarray) -> np.ndarray:
    """Rows and columns of an ink mask that run across the plot: axes, frame and grid lines.

    A Kaplan-Meier curve never stays level across almost the whole width, nor
    runs down the whole height in one column, so such rows and columns are
    rule lines; they are taken out before looking for curves.
    """
    rows = ink.mean(axis=1) >= RULE_LINE_COVERAGE
    cols = ink.mean(axis=0) >= RULE_LINE_COVERAGE
    return rows[:, None] | cols[None, :]


def stroke_centres(strength: np.ndarray, half_width: int = STROKE_HALF_WIDTH_PX,
                   side: float = STROKE_SIDE) -> np.ndarray:
    """Pixels on the centre line of thin strokes: the most inked across the stroke.

    A pixel is a stroke centre when, down its column or along its row, it is
    at least as inked as both neighbours and a pixel of less than ``side`` of its
    ink lies within ``half_width`` px on both sides. Its colour is the stroke's
    own, while the anti-aliased pixels beside it are blends with the
    background (a thin black line's edges are the greys of a grey line), and
    the inside of a filled area (a confidence band) has no such centre.
    Written by hand (a one-dimensional non-maximum suppression); OpenCV's
    min filter gives the weakest pixel on each side.

    Parameters
    ----------
    strength : ndarray, shape (h, w), float
        How strongly each pixel is inked (see :class:`PlotInk`).
    half_width : int
        The widest half stroke looked for, px.
    side : float
        How much weaker than the centre a pixel beside the stroke is, at most (a share).

    Returns
    -------
    ndarray, shape (h, w), bool
    """
    centres = np.zeros(strength.shape, dtype=bool)
    for transposed in (False, True):
        # Down the columns, then along the rows as columns of the transpose (contiguous: faster).
        across = np.ascontiguousarray(strength.T if transposed else strength, dtype=np.float32)
        padded = cv2.copyMakeBorder(across, half_width, half_width, 0, 0, cv2.BORDER_REPLICATE)
        # Weakest of the half_width pixels ending at each row (a min filter anchored at its end).
        weakest = cv2.erode(padded, np.ones((half_width, 1), np.uint8), anchor=(0, half_width - 1),
                            borderType=cv2.BORDER_REPLICATE)
        n = across.shape[0]
        above, below = weakest[half_width - 1 : half_width - 1 + n], weakest[2 * half_width : 2 * half_width + n]
        faint = side * across
        centre = ((across >= padded[half_width - 1 : half_width - 1 + n])
                  & (across >= padded[half_width + 1 : half_width + 1 + n])
                  & (above < faint) & (below < faint))
        centres |= centre.T if transposed else centre
    return centres


def find_inks(plot: PlotInk) -> tuple[np.ndarray, np.ndarray]:
    """The inks that draw curves inside a plot, one per arm, and the colours of band fills.

    Inked pixels (rule lines removed) are over-segmented by k-means in
    CIELAB (seeded, so deterministic) into :data:`N_CLUSTERS` groups, which
    are then merged, strongest first:

    - a group within :data:`SAME_ARM_DELTA_E` of a kept one is that arm;
    - a group of a kept one's hue (within :data:`SAME_HUE_DEGREES`), or a
      paler blend of it with the background, is its anti-aliased fringe or
      JPEG smear when its pixels touch that arm's, and else an arm of its
      own (a grey arm beside a black one, light blue beside blue);
    - a group that covers areas rather than lines is a fill (confidence
      bands, where they overlap) and is dropped;
    - anything else is a new arm.

    A group is kept as an arm only if its pixels form a curve: a connected
    piece spanning at least :data:`MIN_CURVE_SPAN` of the plot width (text,
    tick labels and legend swatches are small pieces).

    This is done twice. First on the centres of thin strokes on the
    background (:attr:`PlotInk.stroke_centres`, which a band fill's inside and
    edges are not), whose colour is the line's own: there a grey line beside
    a black one, or light blue beside blue, is not confused with the dark
    line's anti-aliased edges (they are the same greys), and close shades are
    one arm only where their pixels touch (:data:`STROKE_TOUCHING`). Then on
    all inked pixels, for the arms the first pass cannot see (thick lines,
    lines drawn over band fills): those of a colour not found already.

    Parameters
    ----------
    plot : PlotInk
        The plot area's pixels (see :func:`plot_ink`).

    Last, the pale colours of band fills that still form curves (the edges of
    overlapping bands, see :func:`_pale_tints`) are told from the arms: they
    take their pixels from the arms in :func:`arm_alpha`, but are no arm.

    Returns
    -------
    arms : ndarray, shape (n_arms, 3), uint8
        Arm colours (RGB), ordered by the position of their curve's first
        pixel (top first, then left); empty when no curve is found.
    fills : ndarray, shape (n_fills, 3), uint8
        Band fill colours (RGB).

    References
    ----------
    Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
    careful seeding. SODA 2007 (the seeding of :func:`scipy.cluster.vq.kmeans2`).
    """
    arms = _curve_colours(plot, plot.stroke_centres, close_touching=STROKE_TOUCHING)
    found = [to_lab(colour) for _, colour in arms]
    for first, colour in _curve_colours(plot, plot.ink):
        if all(np.linalg.norm(lab - to_lab(colour)) >= SAME_ARM_DELTA_E for lab in found):
            arms.append((first, colour))
    arms.sort(key=lambda item: item[0])
    colours = np.array([np.round(colour) for _, colour in arms], dtype=np.uint8).reshape(-1, 3)
    fill = _pale_tints(colours, plot.background)
    return colours[~fill], colours[fill]


def _curve_colours(plot: PlotInk, ink: np.ndarray,
                   close_touching: float = 0.0) -> list[tuple[tuple[int, int], np.ndarray]]:
    """The curve inks among the pixels of ``ink`` (see :func:`find_inks`): for each,
    its curve's first pixel (row, column) and its RGB colour. Groups of close colours (not of
    one shade) are one arm only if at least ``close_touching`` of the paler one's pixels touch
    the other's.

    Pixels are handled by position (``rows, cols``), and masks drawn only over the box of the
    pixels at hand: a group of one colour covers a small part of the plot.
    """
    if ink.sum() < 10:
        return []
    rows, cols = np.nonzero(ink)
    pixels = plot.crop[rows, cols].astype(np.float32)
    lab = to_lab(pixels)
    stride = max(1, len(pixels) // MAX_SAMPLES)
    n_clusters = min(N_CLUSTERS, _distinct_colours(lab[::stride], step=4.0))
    centres, _ = kmeans2(lab[::stride], n_clusters, minit="++", seed=np.random.default_rng(0))
    labels, _ = vq(lab, centres)  # each pixel's nearest centre
    strength = plot.strength[rows, cols]
    min_span = MIN_CURVE_SPAN * ink.shape[1]
    curves = []
    for members in _merge_groups(centres, labels, (rows, cols), ink.shape, pixels, strength, plot.background,
                                 close_touching):
        chosen = np.isin(labels, members)
        group = rows[chosen], cols[chosen]
        if np.ptp(group[1]) + 1 < min_span:  # no piece of it can span more than all of it
            continue
        piece, first = _widest_piece(group, ink.shape)
        span = int(np.ptp(piece[1])) + 1 if len(piece[1]) else 0
        if span >= min_span:
            curves.append((span, first, piece, group, _line_colour(pixels, lab, strength, chosen)))
    # A piece lying along a wider curve of another colour all its length is that curve's edge
    # (a dark rim that resampling leaves on one side of a coloured line), not a curve; but a line
    # lies along a confidence band (its own, or where bands overlap) all its length too, and a
    # band is much paler than a line (PALE_SHARE).
    background = to_lab(plot.background)
    strength = [float(np.linalg.norm(to_lab(colour) - background)) for *_, colour in curves]
    return [(first, colour) for (span, first, piece, _, colour), own in zip(curves, strength)
            if not any(other_span > span and other_strength >= PALE_SHARE * own
                       and _share_near(piece, other, 2, ink.shape) >= FRINGE_TOUCHING
                       for (other_span, _, _, other, _), other_strength in zip(curves, strength))]


def _distinct_colours(lab: np.ndarray, step: float) -> int:
    """How many distinct colours ``lab`` holds on a grid of ``step`` (CIELAB units).

    Each rounded colour is packed into one integer, as sorting rows of three is slow.
    """
    grid = np.round(lab / step).astype(np.int64)
    grid -= grid.min(axis=0)
    span = grid.max(axis=0) + 1
    return len(np.unique((grid[:, 0] * span[1] + grid[:, 1]) * span[2] + grid[:, 2]))


def relative_strength(colours: np.ndarray, background: np.ndarray) -> np.ndarray:
    """CIELAB distance of each colour from the background, as a share of the largest."""
    lab = to_lab(np.asarray(colours, dtype=np.float32))
    strength = np.linalg.norm(lab - to_lab(np.asarray(background, dtype=np.float32)), axis=1)
    return strength / max(float(strength.max(initial=0.0)), 1e-9)


def paler_tints(colours: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Whether each RGB colour is a paler blend of another of ``colours`` with the background
    (a band fill in a line's colour, or a light shade beside a dark one), shape ``(n,)``, bool."""
    colours = np.asarray(colours, dtype=np.float32)
    return np.array([any(_blend_weight(colour, other, background) is not None
                         for j, other in enumerate(colours) if j != i) for i, colour in enumerate(colours)],
                    dtype=bool)


def _pale_tints(colours: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Colours much paler than the strongest coloured arm's, and coloured: band fills where bands overlap.

    Lines are drawn in full colour; a pale chromatic cluster (paler than the
    coloured arms and, drawn over the background, of an opacity under
    :data:`PALE_SHARE`, see :func:`_opacity`) that still forms a curve is the
    edge of a fill, mixed from several bands. Pale greys (a
    grey arm beside a black one) and exact tints of another arm (light blue
    beside blue, as in paired palettes) are kept, but not tints of a colour
    that is itself a blend of two others (where one arm's line runs under
    another's translucent band): such a tint is where two bands overlap.
    """
    chroma = np.hypot(*to_lab(colours.astype(np.float32))[:, 1:].T)
    coloured = chroma > SAME_HUE_MIN_CHROMA
    if not coloured.any():
        return coloured
    # Paler than the coloured lines whose bands they mix: a black line (an annotation, a black arm)
    # says nothing of how full a cyan or yellow line is.
    strength = relative_strength(colours, background)
    # ... and translucent: no full colour drawn opaque (npg's light blue beside its red) is that pale.
    pale = coloured & (strength < PALE_SHARE * strength[coloured].max()) & (_opacity(colours, background) < PALE_SHARE)
    colours = colours.astype(np.float32)
    for i in np.flatnonzero(pale):
        others = [j for j in range(len(colours)) if j != i]
        pale[i] = not any(
            _blend_weight(colours[i], colours[j], background, max_residual=TINT_RESIDUAL) is not None
            and not _is_mix(colours[j], colours[[k for k in others if k != j]], background)
            for j in others)
    return pale


def _opacity(colours: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The least opacity each RGB colour can be drawn with over the background: its weight in
    ``background + opacity (full - background)`` for the fullest ``full`` in the RGB cube (a band
    tint of opacity 0.3 is at most 0.3; a light blue line drawn opaque may be near 1)."""
    background = np.asarray(background, dtype=np.float32)
    offset = np.asarray(colours, dtype=np.float32) - background
    room = np.where(offset < 0, background, 255.0 - background)  # how far each channel can move
    return np.max(np.abs(offset) / np.maximum(room, 1.0), axis=1)


def _is_mix(colour: np.ndarray, candidates: np.ndarray, background: np.ndarray) -> bool:
    """Whether an RGB colour is a blend of two of ``candidates`` (RGB) with the background.

    Translucent layers over the background (``bg + w1 (c1 - bg) + w2 (c2 - bg)``,
    a band over a line or another band) are such blends; the weights are
    least-squares fits (:func:`_mix_weights`), each at least :data:`MIX_MIN_WEIGHT`,
    together at most :data:`MIX_MAX_WEIGHT`, with the rest within :data:`TINT_RESIDUAL`.
    Only used on the source of a pale tint: greys are blends of complementary
    colours too, and an arm of their own.
    """
    for pair in combinations(candidates, 2):
        weights, residual = _mix_weights(colour, np.array(pair), background)
        if weights.min() >= MIX_MIN_WEIGHT and weights.sum() <= MIX_MAX_WEIGHT and residual < TINT_RESIDUAL:
            return True
    return False


def _mix_weights(colour: np.ndarray, pair: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares weights ``w`` of ``colour - bg = w[0] (pair[0] - bg) + w[1] (pair[1] - bg)``
    (RGB) and the RGB distance left."""
    directions = (np.asarray(pair, np.float32) - background).T
    weights, *_ = np.linalg.lstsq(directions, colour - background, rcond=None)
    return weights, float(np.linalg.norm(colour - background - directions @ weights))


def merge_lines_under_bands(plot: PlotInk, colours: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give the ink of an arm's line seen through another arm's band back to that arm, and drop
    the ink where two bands overlap.

    Both are mixes of two arm colours with the background inside a band:
    they have the band's ink on both sides (:func:`_inside_band`). Where one
    arm's line runs under another's translucent band, its colour is the mix
    ``(1 - beta) line + beta band``: weights of the two arm colours adding up
    to about one (:data:`UNDER_BAND_TOTAL`), the line's at least
    :data:`UNDER_BAND_LINE_WEIGHT`, the band's at least :data:`MIX_MIN_WEIGHT`,
    within :data:`TINT_RESIDUAL`; and the line's own colour is missing where
    the mix shows (:data:`UNDER_BAND_LINE_MISSING`; a grey arm, a mix of two
    complementary arms' colours, runs beside both all its length, over its own
    band). Where two bands overlap, both weights are
    at least :data:`MIX_MIN_WEIGHT` and together at most :data:`BAND_OVERLAP_TOTAL`
    (the bands' translucency). Found among the arm colours (:func:`find_inks`),
    either would be an arm of its own, and an arm under a band would end at
    the band's edge.

    Parameters
    ----------
    plot : PlotInk
    colours : ndarray, shape (n, 3), uint8
        Arm colours (RGB).
    alphas : ndarray, shape (n, h, w)
        Each colour's ink alpha (see :func:`arm_alpha`).

    Returns
    -------
    colours, alphas
        Without those inks; a line's under a band added to its arm's alpha.
    """
    background = plot.background
    full = colours.astype(np.float32)
    owner = np.full(len(colours), -1)  # the arm whose line an ink is; -2 for an overlap of bands
    for k in range(len(colours)):
        for line, band in permutations([j for j in range(len(colours)) if j != k], 2):
            weights, residual = _mix_weights(full[k], full[[line, band]], background)
            if residual >= TINT_RESIDUAL or weights.min() < MIX_MIN_WEIGHT:
                continue
            under = weights[0] >= UNDER_BAND_LINE_WEIGHT and UNDER_BAND_TOTAL[0] <= weights.sum() <= UNDER_BAND_TOTAL[1]
            overlap = weights.sum() <= BAND_OVERLAP_TOTAL
            # The line is seen through the band where it is not seen in its own colour (a grey
            # arm, a mix of two complementary arms' colours, runs beside both all its length).
            under = under and _share_missing(alphas[k], alphas[line]) >= UNDER_BAND_LINE_MISSING
            if (under or overlap) and _inside_band(plot, alphas[k], full[[line, band]]):
                owner[k] = line if under else -2
                break
    if (owner == -1).all():
        return colours, alphas
    alphas = alphas.copy()
    for k in np.flatnonzero(owner >= 0):
        alphas[owner[k]] = np.maximum(alphas[owner[k]], alphas[k])
    return colours[owner == -1], alphas[owner == -1]


def merge_split_shades(colours: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join two shades of one hue that draw one line: JPEG splits a thin navy or dark blue line into
    two blues, and the dash-gap bridging of :func:`_widest_piece` makes a curve of each.

    Two pieces of evidence must agree: the colours are of one hue
    (:func:`_same_hue`), and their pixels lie along one line: in nearly every
    column that both ink (at least :data:`FILL_ALPHA`; at least
    :data:`SPLIT_MIN_SHARED_COLUMNS` of them), within a line width of each
    other (:data:`SPLIT_ALONG_SHARE`). Two arms of close blues run apart
    wherever both are seen (where one covers the other, only one is seen).

    Parameters
    ----------
    colours : ndarray, shape (n, 3), uint8
        Arm colours (RGB).
    alphas : ndarray, shape (n, h, w)
        Each colour's ink alpha (see :func:`arm_alpha`).

    Returns
    -------
    colours, alphas
        One arm per line: the shade with more ink keeps the colour, its alpha the larger of both.
    """
    lab = to_lab(colours)
    inked = alphas >= FILL_ALPHA
    amount = inked.sum(axis=(1, 2))
    alphas = alphas.copy()
    kept = list(np.argsort(-amount, kind="stable"))
    for k in list(kept):
        if k not in kept:
            continue
        for j in [j for j in kept if j != k]:
            if _same_hue(lab[k], lab[j]) and _along_one_line(inked[k], inked[j]):
                alphas[k] = np.maximum(alphas[k], alphas[j])
                inked[k] |= inked[j]
                kept.remove(j)
    kept = sorted(kept)
    return colours[kept], alphas[kept]


def _along_one_line(mask: np.ndarray, other: np.ndarray) -> bool:
    """Whether two ink masks lie along one line (see :func:`merge_split_shades`)."""
    shared = np.flatnonzero(mask.any(axis=0) & other.any(axis=0))
    if len(shared) < SPLIT_MIN_SHARED_COLUMNS:
        return False
    reach = int(np.ceil(_line_depth(mask | other) or 1.0))
    # Dilated by a line width down each column: where it meets the other's ink, they are within reach.
    grown = cv2.dilate(mask[:, shared].astype(np.uint8), np.ones((2 * reach + 1, 1), np.uint8)).astype(bool)
    return float(np.mean((grown & other[:, shared]).any(axis=0))) >= SPLIT_ALONG_SHARE


def _inside_band(plot: PlotInk, alpha: np.ndarray, bands: np.ndarray) -> bool:
    """Whether the pixels of an ink (alpha at least :data:`FILL_ALPHA`) lie inside the bands of the
    two arm colours ``bands`` (RGB): a few pixels above and below (of :data:`UNDER_BAND_SIDES` of
    them) is a pale blend of the background with either colour or with both (where the bands
    overlap), weight at least :data:`MIX_MIN_WEIGHT`, within :data:`TINT_RESIDUAL`."""
    rows, cols = np.nonzero(alpha >= FILL_ALPHA)
    if len(rows) == 0:
        return False
    background = plot.background
    bands = np.asarray(bands, np.float32)
    layers = [bands[0], bands[1], bands[0] + bands[1] - background]
    inside = []
    for side in (np.maximum(rows - STROKE_HALF_WIDTH_PX, 0),
                 np.minimum(rows + STROKE_HALF_WIDTH_PX, alpha.shape[0] - 1)):
        pixels = plot.crop[side, cols].astype(np.float32)
        inside.append(np.min([_tint_residual(pixels, layer, background) for layer in layers], axis=0) < TINT_RESIDUAL)
    return bool(np.mean(inside[0] & inside[1]) >= UNDER_BAND_SIDES)


def _share_missing(alpha: np.ndarray, other: np.ndarray) -> float:
    """Share of the columns inked by ``alpha`` (at least :data:`FILL_ALPHA`) that ``other`` does not ink."""
    inked = (alpha >= FILL_ALPHA).any(axis=0)
    return float(np.mean(~(other >= FILL_ALPHA).any(axis=0)[inked])) if inked.any() else 0.0


def _tint_residual(pixels: np.ndarray, colour: np.ndarray, background: np.ndarray) -> np.ndarray:
    """RGB distance of each pixel (n, 3) from the pale blends of ``colour`` with the background
    (weight between :data:`MIX_MIN_WEIGHT` and 1), infinite for pixels beyond them: as
    :func:`_blend_weight`, for many pixels."""
    offset = pixels - background
    direction = colour - background
    weight = offset @ direction / max(float(direction @ direction), 1.0)
    residual = np.linalg.norm(offset - weight[:, None] * direction, axis=1)
    return np.where((weight >= MIX_MIN_WEIGHT) & (weight < 1.0), residual, np.inf)


def _line_colour(pixels, lab, strength, chosen) -> np.ndarray:
    """An arm's colour: the median of its strongest pixels (the rest are blended with the
    background) among those near its typical colour (not the black text k-means may lump in)."""
    pixels, lab, strength = pixels[chosen], lab[chosen], strength[chosen]
    near = np.linalg.norm(lab - np.median(lab, axis=0), axis=1) < 2 * SAME_ARM_DELTA_E
    strong = near & (strength >= np.percentile(strength[near], 70))
    return np.median(pixels[strong], axis=0)


def _distances(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.linalg.norm(lab[:, None, :] - centres[None, :, :], axis=2)


def _merge_groups(centres, labels, positions, shape, pixels, strength, background,
                  close_touching) -> list[list[int]]:
    """Group k-means clusters into arms (see :func:`find_inks`); returns lists of cluster ids.
    ``positions`` are the rows and columns of the clustered pixels in an image of ``shape``."""
    rows, cols = positions
    order = sorted(
        (k for k in range(len(centres)) if np.any(labels == k)),
        key=lambda k: -float(np.median(strength[labels == k])),
    )
    groups: list[list[int]] = []
    colours: list[np.ndarray] = []
    for k in order:
        cluster = rows[labels == k], cols[labels == k]
        colour = np.median(pixels[labels == k], axis=0)
        if _is_area(cluster, shape):
            continue
        target = None
        for g, kept in enumerate(colours):
            gap = np.linalg.norm(to_lab(colour) - to_lab(kept))
            if gap < SAME_SHADE_DELTA_E:
                target = g
                break
            close = gap < SAME_ARM_DELTA_E
            if not (close or _same_hue(to_lab(colour), to_lab(kept))
                    or _blend_weight(colour, kept, background) is not None):
                continue
            in_group = np.isin(labels, groups[g])
            touching = _share_near(cluster, (rows[in_group], cols[in_group]), 1, shape)
            if touching >= (close_touching if close else FRINGE_TOUCHING):
                target = g
                break
        if target is None:
            groups.append([k])
            colours.append(colour)
        else:
            groups[target].append(k)
    return groups


def _same_hue(lab: np.ndarray, other: np.ndarray) -> bool:
    """Whether two CIELAB colours are of one hue, and not far apart (JPEG smears a thin line's colour)."""
    chroma = np.hypot(lab[1], lab[2]), np.hypot(other[1], other[2])
    hue_gap = abs((np.degrees(np.arctan2(lab[2], lab[1]) - np.arctan2(other[2], other[1])) + 180) % 360 - 180)
    return bool(min(chroma) > SAME_HUE_MIN_CHROMA and hue_gap < SAME_HUE_DEGREES
                and np.linalg.norm(lab - other) < 35.0)


def _blend_weight(colour: np.ndarray, full: np.ndarray, background: np.ndarray,
                  max_residual: float = 30.0) -> float | None:
    """Weight of ``full`` in ``colour`` if ``colour`` is a paler blend of ``full`` with the background
    (within ``max_residual`` in RGB), else None."""
    direction = full - background
    weight = float((colour - background) @ direction / max(float(direction @ direction), 1.0))
    residual = np.linalg.norm(colour - background - weight * direction)
    return weight if weight < 0.85 and residual < max_residual else None


def _line_depth(mask: np.ndarray) -> float | None:
    """Typical depth (px) of the lines of a mask: the lower quartile of its vertical runs, which is
    the line width for a line, whatever its marks and drops; None for an empty mask."""
    starts = (mask[1:] & ~mask[:-1]).sum(axis=0) + mask[0]
    filled = starts > 0
    if not filled.any():
        return None
    return float(np.percentile(mask.sum(axis=0)[filled] / starts[filled], 25))


def _is_area(pixels: tuple[np.ndarray, np.ndarray], shape: tuple[int, int]) -> bool:
    """Whether pixels (rows, columns in an image of ``shape``) cover areas (a fill) rather than
    lines and marks.

    They are an area when much of them survives an erosion by a square a
    little over twice their typical depth (:func:`_line_depth`).
    """
    depth = _line_depth(_paint(_box(pixels, shape, 0), pixels))
    if depth is None:
        return False
    size = max(AREA_MIN_PX, 2 * int(np.ceil(depth)) + 1)
    # Margins of half the square: the erosion sees what it would in the whole image.
    mask = _paint(_box(pixels, shape, size // 2), pixels)
    core = cv2.erode(mask.astype(np.uint8), np.ones((size, size), np.uint8))
    return core.sum() >= AREA_SHARE * len(pixels[0])


def _widest_piece(pixels: tuple[np.ndarray, np.ndarray],
                  shape: tuple[int, int]) -> tuple[tuple[np.ndarray, np.ndarray], tuple[int, int]]:
    """The pixels (rows, columns) of the widest 8-connected piece of ``pixels``, and its left-most
    pixel (row, column).

    Gaps up to the dash gaps of a dashed line of the pixels' own line width
    (:data:`digitize.line_type.DASH_GAP_WIDTHS`, see :func:`_line_depth`) are
    bridged: a dashed curve is one piece, as long as a solid one.
    """
    depth = _line_depth(_paint(_box(pixels, shape, 0), pixels)) or 1.0
    reach = int(round(DASH_GAP_WIDTHS * depth)) + 3
    box = _box(pixels, shape, reach)
    bridged = cv2.dilate(_paint(box, pixels).astype(np.uint8), np.ones((reach + 1, reach + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    if n <= 1:
        return (pixels[0][:0], pixels[1][:0]), (0, 0)
    widest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH]))
    rows, cols = pixels
    in_piece = labels[rows - box[0], cols - box[1]] == widest
    rows, cols = rows[in_piece], cols[in_piece]
    first = int(np.argmin(cols))  # pixels come in row-major order: the top one of the left-most column
    return (rows, cols), (int(rows[first]), int(cols[first]))


def _share_near(pixels: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray],
                reach: int, shape: tuple[int, int]) -> float:
    """Share of ``pixels`` (rows, columns) with a pixel of ``other`` within ``reach`` px (a square)."""
    box = _box(pixels, shape, reach)
    near = cv2.dilate(_paint(box, other).astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    return float(near[pixels[0] - box[0], pixels[1] - box[1]].mean())


def _box(pixels: tuple[np.ndarray, np.ndarray], shape: tuple[int, int], margin: int) -> tuple[int, int, int, int]:
    """Top, left, bottom, right (exclusive) of the box around pixels (rows, columns), grown by
    ``margin`` px and kept inside an image of ``shape``."""
    rows, cols = pixels
    return (max(int(rows.min()) - margin, 0), max(int(cols.min()) - margin, 0),
            min(int(rows.max()) + margin + 1, shape[0]), min(int(cols.max()) + margin + 1, shape[1]))


def _paint(box: tuple[int, int, int, int], pixels: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Mask of the box (see :func:`_box`) with the pixels (rows, columns) inside it set."""
    top, left, bottom, right = box
    rows, cols = pixels
    inside = (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)
    mask = np.zeros((bottom - top, right - left), dtype=bool)
    mask[rows[inside] - top, cols[inside] - left] = True
    return mask


def arm_alpha(plot: PlotInk, colours: np.ndarray, fills: np.ndarray | None = None) -> np.ndarray:
    """How much of each pixel is each arm's ink, shape ``(n_arms, h, w)``, values 0-1.

    Each pixel is projected on the segment from the background to each arm
    colour in RGB (``alpha`` = the blend weight); it belongs to the arm whose
    segment passes closest to it, and among near-ties to the one it matches
    most fully (so a grey arm's pixels are grey's, not half of black's).
    Pixels far from every segment (other inks, text), rule lines, and light
    fills (alpha below :data:`FILL_ALPHA`: confidence bands) get alpha 0.
    The colours of band fills (``fills``, RGB, see :func:`find_inks`) compete
    for pixels like arms, so that where bands overlap no arm is given the
    fill, but have no map of their own.
    """
    n_arms = len(colours)
    if fills is not None:
        colours = np.concatenate([colours, fills])
    background = plot.background
    result = np.zeros((len(colours),) + plot.crop.shape[:2], dtype=np.float32)
    if len(colours) == 0:
        return result
    directions = colours.astype(np.float32) - background
    # Only pixels at least FILL_ALPHA of the way to some arm's colour can be given to an arm, and most
    # of a plot is bare background: work on those alone (the 0.99 keeps rounding on the safe side).
    rgb_levels = np.repeat(np.arange(256, dtype=np.float32)[:, None], 3, axis=1)
    offset_length = _lookup_distance(plot.crop, rgb_levels, background)
    rows, cols = np.nonzero(offset_length >= 0.99 * FILL_ALPHA * float(np.linalg.norm(directions, axis=1).min()))
    offset = plot.crop[rows, cols].astype(np.float32) - background
    offset2 = np.einsum("nc,nc->n", offset, offset)
    alphas = np.empty((len(colours), len(rows)), dtype=np.float32)
    residuals = np.empty_like(alphas)
    for k, direction in enumerate(directions):
        length2 = max(float(direction @ direction), 1.0)
        along = offset @ direction
        alphas[k] = np.clip(along / length2, 0.0, 1.0)
        # |offset - alpha * direction|, expanded: one pass over the pixels instead of three.
        residuals[k] = np.sqrt(np.maximum(offset2 - alphas[k] * (2.0 * along - alphas[k] * length2), 0.0))
    # A pixel is an arm's if it lies near that arm's blend segment; prefer the fullest match.
    near = residuals <= 40.0
    best = np.argmax(np.where(near, alphas - residuals / 200.0, -np.inf), axis=0)
    owned = np.take_along_axis(near, best[None], axis=0)[0] & ~plot.rules[rows, cols]
    for k in range(len(colours)):
        result[k, rows, cols] = np.where(owned & (best == k) & (alphas[k] >= FILL_ALPHA), alphas[k], 0.0)
    # A paler arm (grey beside black) sees the darker arm's anti-aliased fringe as its own colour:
    # give pixels touching the darker arm's solid core back to it.
    kernel = np.ones((3, 3), np.uint8)
    full = colours.astype(np.float32)
    paler = [(k, j) for k in range(len(full)) for j in range(len(full))
             if k != j and _blend_weight(full[k], full[j], background) is not None]
    for k, j in paler:
        fringe = cv2.dilate((result[j] >= 0.9).astype(np.uint8), kernel).astype(bool) & (result[k] > 0)
        alpha_j = np.zeros_like(result[j])
        alpha_j[rows, cols] = alphas[j]
        result[j] = np.where(fringe, alpha_j, result[j])
        result[k][fringe] = 0.0
    return result[:n_arms]


def parse_arm_colours(arms) -> dict[str, tuple[int, int, int]]:
    """Parse ``--arms "NAME=COLOUR,NAME=COLOUR"`` (COLOUR a name like red or a hex code), or a mapping.

    Colour names are matplotlib's (CSS names, ``tab:blue``, single letters).

    Parameters
    ----------
    arms : str or mapping of str to str
        ``"NAME=COLOUR,..."`` or ``{name: colour}``.

    Returns
    -------
    dict
        Arm name -> RGB tuple, in the order given.

    Raises
    ------
    InputError
        For an item without ``=``, an empty name, a repeated name or an unknown colour.
    """
    if isinstance(arms, str):
        pairs = []
        for item in filter(None, (part.strip() for part in arms.split(","))):
            name, sep, colour = item.rpartition("=")
            if not sep or not name.strip():
                raise InputError(f"--arms item '{item}' is not NAME=COLOUR")
            pairs.append((name.strip(), colour.strip()))
    else:
        pairs = [(str(name).strip(), str(colour).strip()) for name, colour in arms.items()]
    parsed: dict[str, tuple[int, int, int]] = {}
    for name, colour in pairs:
        if name in parsed:
            raise InputError(f"--arms names arm '{name}' twice")
        try:
            rgb = matplotlib.colors.to_rgb("#" + colour if re.fullmatch(r"[0-9a-fA-F]{6}", colour) else colour)
        except ValueError:
            raise InputError(f"--arms colour '{colour}' is neither a colour name nor a hex code like #1f77b4") from None
        parsed[name] = tuple(int(round(255 * c)) for c in rgb)
    if not parsed:
        raise InputError("--arms is empty; give NAME=COLOUR,NAME=COLOUR")
    return parsed


def match_named_colours(named: dict[str, tuple[int, int, int]], found: np.ndarray) -> pd.DataFrame:
    """Pair user-named arm colours with the arm colours found in the figure.

    Pairs are chosen to minimise the total CIELAB distance (Hungarian
    algorithm, :func:`scipy.optimize.linear_sum_assignment`); every named arm
    must find a curve. The user's colours are evidence that must agree with
    the figure's: each must be the same kind of colour as its curve's (grey
    with grey, hues not opposed; see :data:`NAMED_MAX_HUE_DEGREES`), so that
    colours the figure lacks, or copied from another study's figure, stop
    the run instead of silently taking a curve.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm`` (the name), ``index`` (row of ``found``) and
        ``delta_e`` (CIELAB distance between the named and the found colour).

    Raises
    ------
    InputError
        When more arms are named than curves found, two arms are given one
        colour, or a named colour matches no curve of the figure.
    """
    if len(named) > len(found):
        raise InputError(
            f"--arms names {len(named)} arms but the figure shows {len(found)} curve colour(s)"
        )
    names = list(named)
    for first, second in combinations(names, 2):
        if tuple(named[first]) == tuple(named[second]):
            raise InputError(f"--arms gives arms {first} and {second} one colour ({hex_colour(named[first])}); "
                             "give each arm its curve's own colour")
    found_text = ", ".join(hex_colour(colour) for colour in found)
    cost = _distances(to_lab(np.array([named[n] for n in names], dtype=np.uint8)), to_lab(found))
    rows, cols = linear_sum_assignment(cost)
    for row, col in zip(rows, cols):
        if not _same_kind_of_colour(named[names[row]], found[col]):
            raise InputError(f"--arms colour {hex_colour(named[names[row]])} of arm {names[row]} matches no curve of "
                             f"the figure (curve colours: {found_text})")
    return pd.DataFrame(
        {"arm": [names[r] for r in rows], "index": cols, "delta_e": cost[rows, cols]}
    ).sort_values("index", kind="stable").reset_index(drop=True)


def _same_kind_of_colour(rgb_a, rgb_b) -> bool:
    """Whether two RGB colours could bear one name: both grey or black, or hues not far apart."""
    hsv = cv2.cvtColor(np.array([[rgb_a, rgb_b]], dtype=np.uint8), cv2.COLOR_RGB2HSV_FULL)[0].astype(float)
    hue, saturation, value = hsv[:, 0] * 360 / 256, hsv[:, 1] / 255, hsv[:, 2] / 255
    grey = (saturation < NAMED_GREY_SATURATION) | (value < NAMED_GREY_VALUE)
    if grey.any():
        return bool(grey.all())
    apart = abs(hue[0] - hue[1]) % 360
    return min(apart, 360 - apart) <= NAMED_MAX_HUE_DEGREES


def hex_colour(rgb) -> str:
    """``#rrggbb`` of an RGB triple."""
    return "#" + "".join(f"{int(c):02x}" for c in rgb)
