"""Reading one Kaplan-Meier figure: the steps of :mod:`digitize` chained, with quality checks.

:func:`digitize` finds the plot, calibrates the axes, finds the arms' colours,
traces each arm, reads censor marks, legend names and the numbers-at-risk
table, and judges the result (warnings, quality figures).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import combinations

import cv2
import numpy as np
import pandas as pd

from digitize.at_risk import read_at_risk_rows
from digitize.axes import border_warnings, find_plot_areas
from digitize.calibration import Calibration, calibrate
from digitize.censor import find_censor_marks, mark_half_px, marked_columns
from digitize.colours import (PlotInk, arm_alpha, find_inks, hex_colour, match_named_colours, parse_arm_colours,
                              plot_ink, relative_strength)
from digitize.diagnosis import collecting_findings, note
from digitize.image import WorkingImage, load_image, working_image
from digitize.legend import (LegendPixels, find_swatches, further_legend_entries, legend_names, legend_pixels,
                             read_labels)
from digitize.line_type import separate_line_types
from digitize.result import DigitizationResult
from digitize.trace import INKED, ArmPath, final_drop, step_corners, trace_arms
from kmipd.errors import InputError

#: A traced arm must show its own ink along at least this share of its length.
MIN_SEEN = 0.3
#: ... and pass through its ink in at least this share of the columns holding it.
MIN_COVERAGE = 0.6
#: Lines thicker than this share of the plot height are filled shapes, not curves.
MAX_LINE_SHARE = 0.08
#: An arm drawn thinner than this share of the others' median width, and paler than this share
#: of the strongest arm's colour, is the edge of a band fill.
FILL_EDGE_WIDTH_SHARE = 0.5
FILL_EDGE_STRENGTH = 0.7
#: An arm running along another for this share of its length is a duplicate of it.
DUPLICATE_OVERLAP = 0.9
#: Warn when two arms run together over more than this share of the time range.
OVERLAP_WARNING = 0.3
#: Warn when less than this share of an arm's line is visible.
SEEN_WARNING = 0.8


@collecting_findings
def digitize(image_or_path, *, arms=None, x_range=None, y_range=None, x_ticks=None, y_ticks=None,
             panel: int = 0) -> DigitizationResult:
    """Digitize a Kaplan-Meier figure: curves, censor marks, calibration, with no user input needed.

    Parameters
    ----------
    image_or_path : str, Path or ndarray
        A PNG, JPEG or TIFF file, or an image array (see :func:`digitize.image.load_image`).
    arms : str or dict, optional
        Arm names and colours, ``"NAME=COLOUR,NAME=COLOUR"`` or ``{name: colour}``
        (colour names like ``red`` or hex codes). Only the named arms are
        returned. By default arms are found automatically and named from the
        legend, else ``arm1``, ``arm2``, ... in legend order.
    x_range, y_range : (float, float), optional
        Values of the first and last labelled ticks, overriding OCR.
    x_ticks, y_ticks : sequence of float, optional
        Values of all labelled ticks, overriding OCR.
    panel : int
        Which plot of a multi-panel figure (0 = first, left to right, top to bottom).

    Returns
    -------
    DigitizationResult

    Raises
    ------
    InputError
        For an unreadable image, a figure with no plot axes or no falling
        step curve, unreadable tick labels without an override, or ``arms``
        naming colours the figure does not have.

    Notes
    -----
    The curves of a plot wider than :data:`digitize.image.MAX_WORKING_WIDTH_PX`
    are read from a copy of the figure scaled down to that width (the cost
    grows with the pixels; the accuracy does not, beyond it); text is read at
    full size. Everything returned is in the figure's own pixels and data units.
    """
    image = load_image(image_or_path)
    note(image=image)
    areas = find_plot_areas(image)
    note(plot_areas=areas)
    if not 0 <= panel < len(areas):
        raise InputError(f"--panel {panel} asked for, but the figure has {len(areas)} plot(s) (panels count from 0)")
    plot_area = areas[panel]
    note(plot_area=plot_area)
    # Text (tick labels, the at-risk table) is read in the figure itself; curves and legend
    # swatches at a bounded resolution, their positions mapped back to the figure's pixels.
    work = working_image(image, plot_area)
    # The curves are read from the pixels in a second thread while this one reads the text by
    # OCR: NumPy, OpenCV and onnxruntime work outside the GIL, so two cores do both at once.
    # Nothing read depends on which finishes first.
    with ThreadPoolExecutor(max_workers=1) as pixels:
        inks: Future = Future()
        note(inks=inks)
        reading = pixels.submit(_read_curves, work, inks)
        calibration = calibrate(image, plot_area, x_range=x_range, y_range=y_range, x_ticks=x_ticks,
                                y_ticks=y_ticks)
        note(calibration=calibration)
        at_risk = read_at_risk_rows(image, plot_area, calibration)
        legend = _early_legend(image, work, inks, reading) if arms is None else None
        note(at_risk=at_risk, legend_labels=legend[1] if legend else {})
        found = reading.result()
    colours, paths = np.array([arm.colour for arm in found]), [arm.path for arm in found]
    traced = [_in_data_units(arm, work, calibration) for arm in found]
    names, order = _name_arms(image, work, legend, colours, [curve for curve, _ in traced], calibration, arms)
    curves = pd.concat([traced[k][0].assign(arm=names[k]) for k in order], ignore_index=True)
    marks = pd.concat([traced[k][1].assign(arm=names[k]) for k in order], ignore_index=True)
    table = pd.DataFrame({
        "arm": [names[k] for k in order],
        "colour": [hex_colour(colours[k]) for k in order],
        "n_points": [len(traced[k][0]) for k in order],
        "n_censor_marks": [len(traced[k][1]) for k in order],
        "line_width_px": [round(paths[k].line_width_px / work.scale, 3) for k in order],
        "seen": [round(paths[k].seen, 4) for k in order],
        "hidden": [round(paths[k].hidden, 4) for k in order],
        "line_type": [paths[k].line_type for k in order],
    })
    quality, warnings = _quality(table, [paths[k] for k in order], calibration)
    warnings = border_warnings(image, plot_area) + warnings
    # Two readings of the arms that must agree: the table's rows (those that only fall, as numbers
    # at risk do; a row of tick labels rises) and the curves.
    table_rows = sum(bool(np.all(np.diff([count for _, count in row["cells"]]) <= 0)) for row in at_risk.rows)
    if table_rows > len(colours):
        warnings.append(f"the numbers-at-risk table has {table_rows} rows but {len(colours)} curve(s) were "
                        f"traced: a curve may be missing; check overlay.png, or name the arms with --arms")
    if arms is None:
        curve_tables = [curve for curve, _ in traced]
        warnings += _legend_entries_without_curve(work, legend[0], colours, curve_tables, calibration)
    return DigitizationResult(
        curves=curves[["arm", "time", "survival"]],
        censor_marks=marks[["arm", "time"]],
        at_risk=at_risk.table(arm_colours=dict(zip(table["arm"], table["colour"]))),
        calibration=calibration,
        arms=table,
        quality=quality,
        warnings=warnings,
        image=image,
        plot_area=plot_area,
        working_scale=work.scale,
    )


@dataclass(frozen=True)
class _ArmPixels:
    """One arm as read from the pixels of the working image (see :func:`_read_curves`).

    Attributes
    ----------
    colour : ndarray, shape (3,), uint8
        Its ink (RGB).
    path : ArmPath
        Its traced path, in the plot's crop of the working image.
    corners : pandas.DataFrame
        ``x_px, y_px``: the corners of its step function, in pixels of the working image.
    mark_x_px : ndarray
        Columns of its censor marks, in pixels of the working image.
    """

    colour: np.ndarray
    path: ArmPath
    corners: pd.DataFrame
    mark_x_px: np.ndarray


def _read_curves(work: WorkingImage, inks: Future | None = None) -> list[_ArmPixels]:
    """Find the arms in the plot area of the working image and read each from its pixels alone.

    Needs no calibration, so it runs beside the OCR of the tick labels (see :func:`digitize`).
    The arm colours found (before tracing tells which are curves) are set on ``inks``.
    """
    plot = plot_ink(work.image, work.plot_area)
    colours, fills = find_inks(plot)
    if inks is not None:
        inks.set_result(colours)
    alphas = arm_alpha(plot, colours, fills)
    # Rule lines are not curves: an arm may pass under them, but not be followed along them.
    ink = np.where(plot.rules, 0.0, plot.any_ink)
    # Two arms of one colour (solid and dashed) become two arms, each with its own ink.
    alphas, paths, colour_of_arm = separate_line_types(alphas, trace_arms(alphas, ink), ink)
    colours = colours[colour_of_arm]
    keep = [k for k, path in enumerate(paths) if _is_curve(path, plot)]
    keep = _distinct(_without_fill_edges(keep, paths, relative_strength(colours, plot.background)), paths)
    if not keep:
        raise InputError("no Kaplan-Meier curve found in the plot (no line that only falls); is this a KM figure?")
    return [_read_arm(plot, alphas[k], paths[k], colours[k]) for k in keep]


def _is_curve(path: ArmPath | None, plot: PlotInk) -> bool:
    """Whether a traced path is a KM curve: a line that only falls, through most of its ink."""
    return (path is not None and path.seen >= MIN_SEEN and path.coverage >= MIN_COVERAGE
            and len(path.rows) >= 10 and path.line_width_px <= MAX_LINE_SHARE * plot.crop.shape[0])


def _without_fill_edges(indices: list[int], paths: list[ArmPath], strength: np.ndarray) -> list[int]:
    """Drop pale arms drawn much thinner than the others: the edges between overlapping band
    fills, which trace like step curves."""
    kept = []
    for k in indices:
        others = [paths[j].line_width_px for j in indices if j != k]
        thin = bool(others) and paths[k].line_width_px < FILL_EDGE_WIDTH_SHARE * float(np.median(others))
        if not (thin and strength[k] < FILL_EDGE_STRENGTH):
            kept.append(k)
    return kept


def _distinct(indices: list[int], paths: list[ArmPath]) -> list[int]:
    """Drop arms whose path runs along a better-seen arm's for nearly all its length (a colour
    fringe or a line seen through a band, not an arm of its own)."""
    kept: list[int] = []
    for k in sorted(indices, key=lambda k: -paths[k].seen):
        if all(_overlap_share(paths[k], paths[j], of_first=True) < DUPLICATE_OVERLAP for j in kept):
            kept.append(k)
    return sorted(kept)


def _read_arm(plot: PlotInk, own: np.ndarray, path: ArmPath, colour: np.ndarray) -> _ArmPixels:
    """One arm's step corners and censor marks, from ``own``, the alpha of its ink in ``plot``."""
    other = np.where(own >= INKED, 0.0, plot.any_ink)
    marks = find_censor_marks(own, path, other, plot)
    covering = marks["first_col"] <= marks["last_col"]  # marks at a drop's foot hide no line
    corners = step_corners(own, path, marked_columns(marks), marks.loc[covering, "x_px"].to_numpy(), other,
                           final=final_drop(own, path, mark_half_px(marks, path.line_width_px)))
    corners = corners.assign(x_px=corners["x_px"] + plot.origin[0], y_px=corners["y_px"] + plot.origin[1])
    return _ArmPixels(colour, path, corners, marks["x_px"].to_numpy() + plot.origin[0])


def _in_data_units(arm: _ArmPixels, work: WorkingImage, calibration: Calibration) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An arm's step curve (``time, survival``) and censor marks (``time``), through the calibration
    (which is in the figure's pixels)."""
    x_px = work.to_original(arm.corners["x_px"].to_numpy())
    y_px = work.to_original(arm.corners["y_px"].to_numpy())
    time = calibration.time(x_px)
    survival = calibration.survival(y_px)
    time, survival = _start_at_origin(time, survival, x_px, y_px, calibration,
                                      float(work.to_original(work.plot_area.left + 1)),
                                      arm.path.line_width_px / work.scale + 2)
    curve = pd.DataFrame({"time": time, "survival": survival}).drop_duplicates(ignore_index=True)
    mark_times = pd.DataFrame({"time": calibration.time(work.to_original(arm.mark_x_px))})
    return curve, mark_times


def _start_at_origin(time, survival, x_px, y_px, calibration: Calibration, plot_left: float, tolerance: float):
    """Start a traced curve at (0, 1), as every KM curve does, when the trace allows it.

    A first level within ``tolerance`` px of survival 1 is at 1, and ran from
    time 0 (its start is often hidden under the other arms or the y axis). A
    curve first seen below 1 sat at 1, hidden (under the frame of a plot
    whose top is survival 1, or under another arm), until its first visible
    drop. Curves of a plot whose x axis starts after 0 are left as read.
    """
    origin_x = float(calibration.x_px(0.0))
    if origin_x < plot_left - tolerance or x_px[0] < origin_x - tolerance:
        return np.maximum.accumulate(time), np.minimum.accumulate(np.clip(survival, 0.0, 1.0))
    time = np.where(time < 0, 0.0, time)
    if abs(y_px[0] - calibration.y_px(1.0)) <= tolerance:
        survival = np.where(y_px == y_px[0], 1.0, survival)
        time[0] = 0.0
    else:
        time, survival = np.r_[0.0, time[0], time], np.r_[1.0, 1.0, survival]
    return np.maximum.accumulate(time), np.minimum.accumulate(np.clip(survival, 0.0, 1.0))


def _early_legend(image: np.ndarray, work: WorkingImage, inks: Future,
                  reading: Future) -> tuple[LegendPixels, dict]:
    """The working image's pixels as the legend search reads them, and the legend labels read
    by OCR (see :func:`digitize.legend.read_labels`), while the curves are still being traced.

    The labels are those beside the swatches of the arm colours set on ``inks``,
    found before the curves are known: mostly the same as those found once the
    traced curves are left out of the search (:func:`_name_arms`), which are
    then read already. Nothing is read when the curves are read (or failed) by then.
    """
    legend = legend_pixels(work.image)
    wait([inks, reading], return_when=FIRST_COMPLETED)
    if reading.done():
        return legend, {}
    swatches = find_swatches(legend, inks.result(), np.zeros(work.image.shape[:2], dtype=bool))
    return legend, read_labels(image, [work.box_to_original(box) for box in swatches["label"]])


def _name_arms(image: np.ndarray, work: WorkingImage, legend: tuple[LegendPixels, dict] | None,
               colours: np.ndarray, curves: list[pd.DataFrame], calibration: Calibration,
               arms) -> tuple[list[str], list[int]]:
    """Names of the arms, and the order to list them in (arm indices).

    ``arms`` given by the user wins (only the arms it names are listed, in its
    order); else the legend text next to each swatch; else ``arm1``, ``arm2``
    in legend order (the order of the swatches, else of the curves). ``legend``
    (see :func:`_early_legend`) is needed only when ``arms`` is None.
    """
    if arms is not None:
        named = parse_arm_colours(arms)
        pairs = match_named_colours(named, colours)
        names = [""] * len(colours)
        for pair in pairs.itertuples():
            names[pair.index] = pair.arm
        return names, [int(pairs.loc[pairs["arm"] == name, "index"].iloc[0]) for name in named]
    pixels, labels = legend
    swatches = find_swatches(pixels, colours, _curve_mask(work, curves, calibration))
    order = list(swatches["arm_index"]) + [k for k in range(len(colours)) if k not in set(swatches["arm_index"])]
    # Swatches are found in the working image, their labels read in the figure: OCR misreads
    # small type scaled down further.
    read = legend_names(image, swatches.assign(label=[work.box_to_original(box) for box in swatches["label"]]),
                        known=labels)
    if len(set(read.values())) == len(colours) and all(read.values()):
        return [read[k] for k in range(len(colours))], order
    names = [""] * len(colours)
    for position, k in enumerate(order, start=1):
        names[k] = f"arm{position}"
    return names, order


def _legend_entries_without_curve(work: WorkingImage, pixels: LegendPixels, colours: np.ndarray,
                                  curves: list[pd.DataFrame], calibration: Calibration) -> list[str]:
    """A warning for each legend entry whose swatch has a colour no traced arm has (see
    :func:`digitize.legend.further_legend_entries`): a curve was missed.

    Entries of the arms' colours are not counted: a swatch found off the legend (on a curve's
    dense censor marks) would count its arm twice.
    """
    swatches = find_swatches(pixels, colours, _curve_mask(work, curves, calibration))
    return [f"the legend has an entry at ({left}, {top}) px of a colour no traced curve has: a curve may be "
            f"missing; check overlay.png, or name the arms and their colours with --arms"
            for box, of_arm_colour in further_legend_entries(work.image, pixels, swatches, colours)
            if not of_arm_colour for left, top, _, _ in [work.box_to_original(box)]]


def _curve_mask(work: WorkingImage, curves: list[pd.DataFrame], calibration: Calibration) -> np.ndarray:
    """Pixels of ``work.image`` on or near the traced curves and their censor marks, so that swatch search skips them."""
    mask = np.zeros(work.image.shape[:2], dtype=np.uint8)
    for curve in curves:
        points = work.from_original(np.column_stack([calibration.x_px(curve["time"]),
                                                     calibration.y_px(curve["survival"])]))
        cv2.polylines(mask, [np.round(points).astype(np.int32)], False, 1, thickness=15)
    return mask.astype(bool)


def _quality(arms: pd.DataFrame, paths: list[ArmPath], calibration: Calibration) -> tuple[dict, list[str]]:
    """Figure quality figures and the warnings a person should read."""
    warnings = list(calibration.warnings)
    overlap = 0.0
    for (a, path_a), (b, path_b) in combinations(zip(arms["arm"], paths), 2):
        share = _overlap_share(path_a, path_b)
        overlap = max(overlap, share)
        if share > OVERLAP_WARNING:
            warnings.append(f"arms {a} and {b} overlap over {share:.0%} of the time range; check the overlay")
    for arm in arms.itertuples():
        if arm.seen < SEEN_WARNING:
            warnings.append(f"arm {arm.arm}: only {arm.seen:.0%} of its line is visible; the rest was inferred")
    ticks = pd.concat([calibration.x.ticks, calibration.y.ticks])
    quality = {
        "n_arms": len(arms),
        "max_overlap": round(overlap, 4),
        "min_seen": round(float(arms["seen"].min()), 4),
        "calibration_source": {"x": calibration.x.source, "y": calibration.y.source},
        "min_tick_confidence": round(float(ticks["confidence"].min()), 4) if len(ticks) else None,
    }
    return quality, warnings


def _overlap_share(a: ArmPath, b: ArmPath, of_first: bool = False) -> float:
    """Share of the columns where two paths run within a line width of each other.

    The share is of the columns of both paths' joint range, or of the first
    path's own columns when ``of_first``.
    """
    first, last = min(a.first_col, b.first_col), max(a.cols[-1], b.cols[-1])
    lo, hi = max(a.first_col, b.first_col), min(a.cols[-1], b.cols[-1])
    if hi < lo:
        return 0.0
    rows_a = a.rows[lo - a.first_col : hi - a.first_col + 1]
    rows_b = b.rows[lo - b.first_col : hi - b.first_col + 1]
    together = np.abs(rows_a - rows_b) <= max(a.line_width_px, b.line_width_px)
    return float(together.sum() / (len(a.rows) if of_first else last - first + 1))
