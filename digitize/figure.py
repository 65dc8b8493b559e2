"""Reading one Kaplan-Meier figure: the steps of :mod:`digitize` chained, with quality checks.

:func:`digitize` finds the plot, calibrates the axes, finds the arms' colours,
traces each arm, reads censor marks, legend names and the numbers-at-risk
table, and judges the result (warnings, quality figures).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from itertools import combinations

import cv2
import numpy as np
import pandas as pd

from digitize.at_risk import AtRiskRows, read_at_risk_rows
from digitize.axes import border_warnings, find_plot_areas
from digitize.calibration import Calibration, calibrate
from digitize.censor import find_censor_marks, mark_half_px, marked_columns, marks_of_one_form
from digitize.colours import (SAME_ARM_DELTA_E, SAME_HUE_MIN_CHROMA, PlotInk, arm_alpha, find_inks, hex_colour,
                              match_named_colours, merge_lines_under_bands, merge_split_shades, paler_tints,
                              parse_arm_colours, plot_ink, relative_strength, to_lab)
from digitize.diagnosis import collecting_findings, note
from digitize.deskew import deskewed
from digitize.image import WorkingImage, load_image, working_image
from digitize.legend import (LegendPixels, find_swatches, further_legend_entries, legend_names, legend_pixels,
                             read_labels)
from digitize.line_type import separate_line_types
from digitize.names import Reading, is_name, split_label
from digitize.pdf import digitize_pdf, is_pdf
from digitize.result import DigitizationResult, window_exits
from digitize.svg import digitize_svg, is_svg
from digitize.trace import INKED, ArmPath, final_drop, step_corners, trace_arms
from kmipd.errors import InputError

#: A traced arm must show its own ink along at least this share of its length.
MIN_SEEN = 0.3
#: ... and pass through its ink in at least this share of the columns holding it.
MIN_COVERAGE = 0.6
#: A path whose ink shows on rows no further apart than this many line widths is a level line
#: (a rule of a table or a box in the plot), not a curve that falls.
LEVEL_SPREAD_WIDTHS = 3.0
#: Lines thicker than this share of the plot height are filled shapes, not curves.
MAX_LINE_SHARE = 0.08
#: An arm drawn thinner than this share of the others' median width, and paler than this share
#: of the strongest arm's colour, is the edge of a band fill.
FILL_EDGE_WIDTH_SHARE = 0.5
FILL_EDGE_STRENGTH = 0.7
#: ... or drawn thinner than this share of it in a paler tint of another arm's colour, is the edge
#: of that arm's band (the programs draw all arms of a figure in one width).
TINT_EDGE_WIDTH_SHARE = 0.75
#: An arm drawn this many times wider than the others' median width, in a paler tint of another
#: arm's colour, is that arm's band fill (the programs draw all arms of a figure in one width).
BAND_WIDTH_SHARE = 1.5
#: An arm running along another for this share of its length is a duplicate of it.
DUPLICATE_OVERLAP = 0.9
#: Warn when two arms run together over more than this share of the time range.
OVERLAP_WARNING = 0.3
#: Warn when less than this share of an arm's line is visible.
SEEN_WARNING = 0.8


@collecting_findings
def digitize(image_or_path, *, arms=None, x_range=None, y_range=None, x_ticks=None, y_ticks=None,
             panel: int | None = None, page: int | None = None, read_at_risk: bool = True) -> DigitizationResult:
    """Digitize a Kaplan-Meier figure: curves, censor marks, calibration, with no user input needed.

    Parameters
    ----------
    image_or_path : str, Path or ndarray
        A PNG, JPEG or TIFF file, or an image array (see :func:`digitize.image.load_image`), or a
        PDF or an SVG: its KM plot is read from its vector paths and text (:mod:`digitize.pdf`,
        :mod:`digitize.svg`).
    arms : str or dict, optional
        Arm names and colours, ``"NAME=COLOUR,NAME=COLOUR"`` or ``{name: colour}``
        (colour names like ``red`` or hex codes). Only the named arms are
        returned. By default arms are found automatically and named from the
        legend, else ``arm1``, ``arm2``, ... in legend order.
    x_range, y_range : (float, float), optional
        Values of the first and last labelled ticks, overriding OCR.
    x_ticks, y_ticks : sequence of float, optional
        Values of all labelled ticks, overriding OCR.
    panel : int, optional
        Which plot of a multi-panel figure (0 = first, left to right, top to bottom; default 0),
        or of a PDF page.
    page : int, optional
        The page of a PDF (from 1); may be left out when the PDF has one KM plot.
    read_at_risk : bool
        Read the numbers-at-risk table printed with the plot (False when the
        user gives it: nothing is read, or warned of, for a table not used).

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
    if is_pdf(image_or_path):
        return digitize_pdf(image_or_path, page=page, panel=panel, arms=arms, x_range=x_range, y_range=y_range,
                            x_ticks=x_ticks, y_ticks=y_ticks)
    if page is not None:
        raise InputError("--page is for a PDF; this figure is " + ("an SVG" if is_svg(image_or_path) else "an image"))
    if is_svg(image_or_path):
        return digitize_svg(image_or_path, panel=panel, arms=arms, x_range=x_range, y_range=y_range,
                            x_ticks=x_ticks, y_ticks=y_ticks)
    panel = 0 if panel is None else panel
    # A figure scanned a little askew is set straight first: everything after reads, and the
    # overlay is drawn on, the straightened figure.
    image, skew_deg = deskewed(load_image(image_or_path))
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
        at_risk = (read_at_risk_rows(image, plot_area, calibration, areas) if read_at_risk
                   else AtRiskRows([], image[:0, :0], []))
        elsewhere = _nearer_other_plots(work, areas, panel) if arms is None else None
        legend = _early_legend(image, work, inks, reading, elsewhere) if arms is None else None
        note(at_risk=at_risk, legend_labels=legend[1] if legend else {})
        # Two readings of the arms that must agree: the table's rows (those that only fall, as numbers
        # at risk do; a row of tick labels rises) and the curves.
        table_rows = sum(bool(np.all(np.diff([count for _, count in row["cells"]]) <= 0)) for row in at_risk.rows)
        found, calibration = _falling_or_rising(work, reading, calibration, table_rows)
    called_back = [k for k, arm in enumerate(found) if arm.pale_thin]
    colours, paths = np.array([arm.colour for arm in found]), [arm.path for arm in found]
    traced = [_in_data_units(arm, work, calibration) for arm in found]
    widths = [path.line_width_px for path in paths]
    legend_arms, sizes, order = _name_arms(image, work, legend, colours, widths, [curve for curve, _ in traced],
                                           calibration, arms, elsewhere)
    naming = at_risk.name_rows([legend_arms[k] for k in order], [colours[k] for k in order], arms_given=arms is not None)
    names = [""] * len(colours)
    for k, name in zip(order, naming.arm_names):
        names[k] = name
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
        "n": pd.array([sizes[k] for k in order], dtype="Int64"),
    })
    at_risk_table, at_risk_warnings = at_risk.named(row_names=naming.row_names)
    quality, warnings = _quality(table, [paths[k] for k in order], calibration)
    quality["deskew_degrees"] = skew_deg
    quality["plot_areas"] = len(areas)
    if skew_deg:
        warnings.insert(0, f"the figure was rotated by {skew_deg:+.2f} degrees and was turned straight before "
                           f"it was read (its horizontal and vertical lines agree on the angle); check overlay.png")
    warnings = border_warnings(image, plot_area) + warnings
    warnings += [f"arm {names[k]} is paler and thinner than the others, as the edge of a band fill is, "
                 f"but was taken as an arm: the numbers-at-risk table has {table_rows} rows; check overlay.png"
                 for k in called_back]
    told = [names[k] for k in order if found[k].on_table_word]
    if told:
        warnings.append(f"arm(s) {', '.join(told)} share their ink with another arm and run close to it; they were "
                        f"told apart only because the numbers-at-risk table has {table_rows} rows: check overlay.png")
    if table_rows > len(colours):
        warnings.append(f"the numbers-at-risk table has {table_rows} rows but {len(colours)} curve(s) were "
                        f"traced: a curve may be missing, or arms drawn alike (in one ink and line type) lie "
                        f"on one another and could not be told apart; check overlay.png, or name the arms with "
                        f"--arms")
    if arms is None:
        curve_tables = [curve for curve, _ in traced]
        warnings += _legend_entries_without_curve(work, legend[0], colours, widths, curve_tables, calibration)
    warnings += naming.warnings + ([naming.problem] if naming.problem else []) + _size_warnings(table, at_risk_table)
    # The lowest survival the window shows (its bottom; its top for rising cumulative incidence).
    floor = float(min(calibration.survival([plot_area.top, plot_area.bottom])))
    warnings += window_exits(curves, floor, (max(widths) / work.scale + 2) * calibration.y.value_per_px(), "plot window")
    return DigitizationResult(
        curves=curves[["arm", "time", "survival"]],
        censor_marks=marks[["arm", "time"]],
        at_risk=at_risk_table,
        calibration=calibration,
        arms=table,
        quality=quality,
        warnings=warnings + at_risk_warnings,
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
    pale_thin : bool
        Paler and thinner than the other arms, as the edge of a band fill is (see
        :func:`_without_fill_edges`): an arm only when the numbers-at-risk table calls it back.
    on_table_word : bool
        Told from another arm of its ink only because the numbers-at-risk table has a row more
        (see :func:`digitize.line_type.separate_line_types`).
    """

    colour: np.ndarray
    path: ArmPath
    corners: pd.DataFrame
    mark_x_px: np.ndarray
    pale_thin: bool = False
    on_table_word: bool = False


def _read_curves(work: WorkingImage, inks: Future | None = None, arms_wanted: int = 0) -> list[_ArmPixels]:
    """Find the arms in the plot area of the working image and read each from its pixels alone.

    Needs no calibration, so it runs beside the OCR of the tick labels (see :func:`digitize`).
    The arm colours found (before tracing tells which are curves) are set on ``inks``.
    ``arms_wanted`` (the numbers-at-risk table's rows, when known) lets two arms of one ink that
    run close be told apart (see :func:`digitize.line_type.separate_line_types`).
    """
    plot = plot_ink(work.image, work.plot_area)
    colours, fills = find_inks(plot)
    colours, alphas = merge_lines_under_bands(plot, colours, arm_alpha(plot, colours, fills))
    colours, alphas = merge_split_shades(colours, alphas)
    if inks is not None:
        inks.set_result(colours)
    # Rule lines are not curves: an arm may pass under them, but not be followed along them.
    ink = np.where(plot.rules, 0.0, plot.any_ink)
    # Two arms of one colour (solid and dashed) become two arms, each with its own ink.
    alphas, paths, colour_of_arm, on_table_word = separate_line_types(alphas, trace_arms(alphas, ink), ink,
                                                                      arms_wanted)
    colours = colours[colour_of_arm]
    keep = [k for k, path in enumerate(paths) if _is_curve(path, plot, alphas[k])]
    coloured = np.hypot(*to_lab(colours.astype(np.float32))[:, 1:].T) > SAME_HUE_MIN_CHROMA
    keep, thin_pale = _without_fill_edges(keep, paths, relative_strength(colours, plot.background),
                                          paler_tints(colours, plot.background), coloured)
    keep = _distinct(keep, paths)
    if not keep:
        raise InputError("no Kaplan-Meier curve found in the plot (no line that only falls); is this a KM figure?")
    # The pale thin arms are read too, after the others (a fill edge does not outrank an arm, nor
    # lend its form to their censor marks), for the numbers-at-risk table to call back.
    thin_pale = [k for k in _distinct(keep + thin_pale, paths, first=keep) if k not in keep]
    others = [np.where(alphas[k] >= INKED, 0.0, plot.any_ink) for k in keep + thin_pale]
    candidates = [find_censor_marks(alphas[k], paths[k], other, plot) for k, other in zip(keep + thin_pale, others)]
    marks = marks_of_one_form(candidates[: len(keep)]) + marks_of_one_form(candidates)[len(keep):]
    return [replace(_read_arm(plot, alphas[k], paths[k], colours[k], other, arm_marks), pale_thin=k in thin_pale,
                    on_table_word=bool(on_table_word[k]))
            for k, other, arm_marks in zip(keep + thin_pale, others, marks)]


def _falling_or_rising(work: WorkingImage, reading: Future, calibration: Calibration,
                       table_rows: int) -> tuple[list[_ArmPixels], Calibration]:
    """The arms as falling (survival) curves or, failing that, as rising (cumulative-incidence) ones.

    ``reading`` holds the arms read as falling curves (:func:`_read_curves`). A
    plot of cumulative incidence (1 - S: R's ``fun = "event"``, lifelines'
    ``plot_cumulative_density``) has no line that only falls, or only lines
    that start low on the y axis, where a survival curve starts at 1. Its
    curves are then read by the same tracer from the plot mirrored top to
    bottom, where they fall from the top, and taken as rising when two pieces
    of evidence agree: every arm starts in the lower half of the y axis as it
    is labelled, and the curves' ink passes through time 0 at 0 (the
    bottom-left). The calibration returned says which
    (:attr:`Calibration.measure`): it turns every row into survival, so
    nothing after this step sees the difference. Of the pale thin arms read
    (:attr:`_ArmPixels.pale_thin`), those the numbers-at-risk table's
    ``table_rows`` call for are kept (:func:`_called_back`).
    """
    try:
        falling, refusal = _as_many_as_the_table(_called_back(reading.result(), table_rows), work, table_rows), None
    except InputError as error:
        falling, refusal = None, error
    if falling is not None and not np.all(_first_survival(falling, work, calibration) < 0.5):
        return falling, calibration
    incidence = calibration.with_measure("cumulative_incidence")
    mirrored = _mirrored(work)
    try:
        rising = _as_many_as_the_table(_called_back(_read_curves(mirrored), table_rows), mirrored, table_rows)
        rising = [_unmirrored(arm, mirrored) for arm in rising]
    except InputError:
        rising = None
    if (rising is not None and np.all(_first_survival(rising, work, incidence) >= 0.5)
            and _ink_at_origin(rising, work, incidence)):
        return rising, incidence
    if falling is not None:
        return falling, calibration
    raise InputError(str(refusal).replace("(no line that only falls)",
                                          "(no line that only falls, nor one that only rises from 0)"))


def _as_many_as_the_table(arms: list[_ArmPixels], work: WorkingImage, table_rows: int) -> list[_ArmPixels]:
    """The arms read from ``work``, read again with the numbers-at-risk table's ``table_rows`` as
    the arms wanted when fewer were found (two arms of one ink may run close,
    :func:`_read_curves`); the second reading is taken when it finds more arms, but not more
    than the table has rows."""
    if len(arms) >= table_rows:
        return arms
    try:
        again = _called_back(_read_curves(work, arms_wanted=table_rows), table_rows)
    except InputError:  # the second reading found no curve: the first stands
        return arms
    return again if len(arms) < len(again) <= table_rows else arms


def _called_back(arms: list[_ArmPixels], table_rows: int) -> list[_ArmPixels]:
    """The arms, without the pale thin ones (:attr:`_ArmPixels.pale_thin`) but as many, the best
    seen first, as the numbers-at-risk table has rows beyond the other arms: a band fill's edge
    has no row of its own, a light grey arm has."""
    sure = [arm for arm in arms if not arm.pale_thin]
    pale = sorted((arm for arm in arms if arm.pale_thin), key=lambda arm: -arm.path.seen)
    wanted = {id(arm) for arm in pale[: max(table_rows - len(sure), 0)]}
    return [arm for arm in arms if not arm.pale_thin or id(arm) in wanted]


def _first_survival(arms: list[_ArmPixels], work: WorkingImage, calibration: Calibration) -> np.ndarray:
    """Survival at each arm's first traced level."""
    first_rows = [work.to_original(float(arm.corners["y_px"].iloc[0])) for arm in arms]
    return calibration.survival(np.array(first_rows))


def _ink_at_origin(arms: list[_ArmPixels], work: WorkingImage, calibration: Calibration) -> bool:
    """Whether some arm's ink lies within a line width (and 2 px) of time 0 at survival 1.

    Every curve starts there; where they start together, the arm drawn last
    covers the others.
    """
    x_px, y_px = work.from_original([calibration.x_px(0.0), calibration.y_px(1.0)])
    reach = int(np.ceil(max(arm.path.line_width_px for arm in arms))) + 2
    col, row = int(round(float(x_px))), int(round(float(y_px)))
    patch = work.image[max(row - reach, 0) : row + reach + 1, max(col - reach, 0) : col + reach + 1]
    if patch.size == 0:
        return False
    colours = to_lab(np.array([arm.colour for arm in arms], dtype=np.uint8))
    distances = np.linalg.norm(to_lab(patch).reshape(-1, 1, 3) - colours[None], axis=2)
    return bool(distances.min() < SAME_ARM_DELTA_E)


def _mirrored(work: WorkingImage) -> WorkingImage:
    """The working image turned upside down, with its plot area (the same pixels, mirrored)."""
    height, area = work.image.shape[0], work.plot_area
    return WorkingImage(np.ascontiguousarray(work.image[::-1]),
                        replace(area, top=height - area.bottom, bottom=height - area.top), work.scale)


def _unmirrored(arm: _ArmPixels, mirrored: WorkingImage) -> _ArmPixels:
    """An arm read from a mirrored working image (:func:`_mirrored`), its corners in the image's own rows."""
    last_row = mirrored.image.shape[0] - 1
    return replace(arm, corners=arm.corners.assign(y_px=last_row - arm.corners["y_px"]))


def _is_curve(path: ArmPath | None, plot: PlotInk, own: np.ndarray) -> bool:
    """Whether a traced path is a KM curve: a line that only falls, through most of its ink
    (``own``, the alpha of its ink), and falls where its ink shows.

    A rule of a table or a legend box printed inside the plot traces as a path
    that runs hidden under the arms along the top, drops through the empty
    plot and runs along the rule: its ink shows on one level alone (within
    :data:`LEVEL_SPREAD_WIDTHS` line widths, over the middle 90% of it).
    """
    if not (path is not None and path.seen >= MIN_SEEN and path.coverage >= MIN_COVERAGE
            and len(path.rows) >= 10 and path.line_width_px <= MAX_LINE_SHARE * plot.crop.shape[0]):
        return False
    shown = path.rows[own[path.rows, path.cols] >= INKED]
    return len(shown) > 0 and float(np.ptp(np.percentile(shown, [5, 95]))) > LEVEL_SPREAD_WIDTHS * path.line_width_px


def _without_fill_edges(indices: list[int], paths: list[ArmPath], strength: np.ndarray,
                        tint: np.ndarray, coloured: np.ndarray) -> tuple[list[int], list[int]]:
    """Split the arms into those kept, the pale thin ones and bands (dropped).

    Pale thin arms are pale arms drawn much thinner than the others (the edges between
    overlapping band fills, which trace like step curves), or ``coloured`` arms drawn thinner in a
    paler tint of another arm (``tint``, see :func:`digitize.colours.paler_tints`): the edge of
    that arm's band (a grey is a tint of black, and grey arms beside black ones are common). But a
    light grey arm beside darker ones, drawn in the same width, may read as thin too
    (its anti-aliased edges fall below the ink threshold), so the numbers-at-risk table may call
    them back (:func:`_called_back`). Arms drawn much wider than the others in such a tint are
    that arm's band, and dropped.

    Returns
    -------
    kept, thin_pale : list of int
    """
    kept, thin_pale = [], []
    for k in indices:
        others = [paths[j].line_width_px for j in indices if j != k]
        width = float(np.median(others)) if others else paths[k].line_width_px
        thin = paths[k].line_width_px < FILL_EDGE_WIDTH_SHARE * width
        wide = paths[k].line_width_px > BAND_WIDTH_SHARE * width
        tint_edge = tint[k] and coloured[k] and paths[k].line_width_px < TINT_EDGE_WIDTH_SHARE * width
        if (thin and strength[k] < FILL_EDGE_STRENGTH) or tint_edge:
            thin_pale.append(k)
        elif not (wide and tint[k]):
            kept.append(k)
    return kept, thin_pale


def _distinct(indices: list[int], paths: list[ArmPath], first: list[int] = ()) -> list[int]:
    """Drop arms whose path runs along a better-seen arm's for nearly all its length (a colour
    fringe or a line seen through a band, not an arm of its own); the arms ``first`` are kept
    before any other is looked at."""
    kept: list[int] = list(first)
    for k in sorted(set(indices) - set(first), key=lambda k: -paths[k].seen):
        if all(_overlap_share(paths[k], paths[j], of_first=True) < DUPLICATE_OVERLAP for j in kept):
            kept.append(k)
    return sorted(kept)


def _read_arm(plot: PlotInk, own: np.ndarray, path: ArmPath, colour: np.ndarray, other: np.ndarray,
              marks: pd.DataFrame) -> _ArmPixels:
    """One arm's step corners, from ``own``, the alpha of its ink in ``plot`` (``other``: of all
    other ink), and its censor marks (see :func:`digitize.censor.marks_of_one_form`)."""
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
                  reading: Future, elsewhere: np.ndarray) -> tuple[LegendPixels, dict]:
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
    swatches = find_swatches(legend, inks.result(), elsewhere)
    return legend, read_labels(image, [work.box_to_original(box) for box in swatches["label"]])


def _name_arms(image: np.ndarray, work: WorkingImage, legend: tuple[LegendPixels, dict] | None,
               colours: np.ndarray, line_widths_px: list[float], curves: list[pd.DataFrame],
               calibration: Calibration, arms, elsewhere: np.ndarray | None) -> tuple[list[Reading], list, list[int]]:
    """Names of the arms as read, the arm sizes printed with them, and the order to list them in
    (arm indices).

    ``arms`` given by the user wins (only the arms it names are listed, in its
    order); else the legend text next to each swatch, as OCR read it (the name
    in it: :func:`digitize.names.split_label`); else ``arm1``, ``arm2`` in
    legend order (the order of the swatches, else of the curves), for the
    at-risk table's labels to name (:func:`digitize.names.reconcile`).
    ``legend`` (see :func:`_early_legend`) and ``elsewhere`` (the pixels of
    other plots' legends, :func:`_nearer_other_plots`) are needed only when ``arms`` is None.
    """
    if arms is not None:
        named = parse_arm_colours(arms)
        pairs = match_named_colours(named, colours)
        names = [Reading("")] * len(colours)
        for pair in pairs.itertuples():
            names[pair.index] = Reading(pair.arm)
        return names, [None] * len(colours), [int(pairs.loc[pairs["arm"] == name, "index"].iloc[0]) for name in named]
    pixels, labels = legend
    swatches = find_swatches(pixels, colours, _curve_mask(work, curves, calibration) | elsewhere, line_widths_px)
    order = list(swatches["arm_index"]) + [k for k in range(len(colours)) if k not in set(swatches["arm_index"])]
    # Swatches are found in the working image, their labels read in the figure: OCR misreads
    # small type scaled down further.
    read = legend_names(image, swatches.assign(label=[work.box_to_original(box) for box in swatches["label"]],
                                               alternatives=[[work.box_to_original(box) for box in boxes]
                                                             for boxes in swatches["alternatives"]]),
                        known=labels)
    names = {k: split_label(reading.text) for k, reading in read.items()}
    taken = [name for name, _ in names.values() if is_name(name)]
    readings, sizes = [Reading("", 0.0)] * len(colours), [None] * len(colours)
    for position, k in enumerate(order, start=1):
        name, sizes[k] = names.get(k, ("", None))
        # A name read for two arms names neither; an arm without one is numbered in legend order.
        single = is_name(name) and taken.count(name) == 1
        readings[k] = Reading(name, read[k].confidence) if single else Reading(f"arm{position}", 0.0)
    return readings, sizes, order


def _nearer_other_plots(work: WorkingImage, areas: list, panel: int) -> np.ndarray:
    """Pixels of ``work.image`` nearer another plot of the figure than plot ``panel``: a legend
    belongs to the plot it is printed beside, and the panels of a figure often share colours."""
    elsewhere = np.zeros(work.image.shape[:2], dtype=bool)
    if len(areas) == 1:
        return elsewhere
    rows, cols = np.arange(work.image.shape[0]), np.arange(work.image.shape[1])

    def distance(area) -> np.ndarray:
        left, top, right, bottom = work.from_original([area.left, area.top, area.right, area.bottom])
        return np.hypot(np.maximum(np.maximum(top - rows, rows - bottom), 0)[:, None],
                        np.maximum(np.maximum(left - cols, cols - right), 0)[None, :])

    own = distance(areas[panel])
    for other in (area for k, area in enumerate(areas) if k != panel):
        elsewhere |= distance(other) < own
    return elsewhere


def _size_warnings(arms: pd.DataFrame, at_risk: pd.DataFrame) -> list[str]:
    """Where an arm size printed in the legend (``n=145``) is not the at-risk table's first count."""
    at_start = at_risk[at_risk["time"] == 0].groupby("arm")["n_risk"].first()
    return [f"arm {arm.arm}: the legend says n={arm.n} but its at-risk row starts at {at_start[arm.arm]}"
            for arm in arms.itertuples() if pd.notna(arm.n) and arm.arm in at_start and arm.n != at_start[arm.arm]]


def _legend_entries_without_curve(work: WorkingImage, pixels: LegendPixels, colours: np.ndarray,
                                  line_widths_px: list[float], curves: list[pd.DataFrame],
                                  calibration: Calibration) -> list[str]:
    """A warning for each legend entry whose swatch has a colour no traced arm has (see
    :func:`digitize.legend.further_legend_entries`): a curve was missed.

    Entries of the arms' colours are not counted: a swatch found off the legend (on a curve's
    dense censor marks) would count its arm twice.
    """
    swatches = find_swatches(pixels, colours, _curve_mask(work, curves, calibration), line_widths_px)
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
