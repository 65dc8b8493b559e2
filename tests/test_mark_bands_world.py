"""Arms under a solid band of censor marks, on dev figures of the world corpus (``benchmarks/world_corpus/dev``).

Hundreds of censored patients (the nwtco data set) draw censor marks closer than their own
width: they merge into a band along the curve, and every column through it holds a mark's
height of ink. The line's width is read across its upright strokes there
(:func:`digitize.trace.upright_stroke_width`), not from the marks' height.
"""

from __future__ import annotations

import numpy as np

from benchmarks.digitize_scoring import score_censor_marks, score_curves
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize
from digitize.axes import find_plot_areas
from digitize.colours import arm_alpha, find_inks, plot_ink
from digitize.image import load_image, working_image
from digitize.trace import INKED, bare_stroke_width, stroke_width, trace_path, upright_stroke_width

TRUTHS = {record["id"]: record for record in read_truth("dev")}


def _read(figure_id: str):
    truth = TRUTHS[figure_id]
    result = digitize(CORPUS / "dev" / truth["file"])
    return truth, result, score_curves(result.curves, truth["arms"])


def test_three_arms_under_bands_of_marks_are_each_read_at_their_own_width():
    # survminer, four arms of nwtco by stage, '+' marks: the three arms whose marks merge into bands
    # traced as one curve before (the band's height taken for the line's width).
    truth, result, score = _read("r_survminer_dev_047")
    assert len(result.arms) == 3, result.arms
    matched = sorted(arm["iae"] for arm in score["arms"] if arm["matched"])
    assert len(matched) == 3 and matched[-1] <= 0.005, score["arms"]


def test_an_arm_under_a_band_of_marks_is_a_curve_and_its_width_is_the_lines():
    # matplotlib, grey arm with '+' marks merged along its level stretch, drawn 1 pt wide at 150 dpi.
    truth, result, score = _read("matplotlib_dev_006")
    grey = [arm for arm in score["arms"] if arm["matched"] and arm["iae"] <= 0.01]
    assert len(grey) == 1, score["arms"]
    image = load_image(CORPUS / "dev" / truth["file"])
    work = working_image(image, find_plot_areas(image)[0])
    plot = plot_ink(work.image, work.plot_area)
    colours, fills = find_inks(plot)
    alphas = arm_alpha(plot, colours, fills)
    widths = []
    for own in alphas:
        path = trace_path(own, np.where(own >= INKED, 0.0, plot.any_ink))
        if path is not None and path.line_width_px < 0.5 * stroke_width(own):
            widths.append((path.line_width_px, upright_stroke_width(own, path)))
    # The grey arm's marks read 3 px or more down its columns; its line, at most 2 px across.
    assert widths and all(width <= 2.0 for width, _ in widths), widths


def _marks_found(truth, result, score):
    names = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    return score_censor_marks(result.censor_marks, truth["arms"], names, 0.01 * truth["options"]["x_max"])


def test_a_line_under_a_gapless_band_of_marks_is_traced_at_the_width_its_gaps_show():
    # survminer, nwtco (4028 patients, 2533 censor times), '+' marks merged into one solid band
    # 10 px tall along the whole curve: no upright stroke shows, only a few gaps near its end. Read
    # at the band's width, the curve's rows spread less than three widths and it was no curve.
    truth, result, score = _read("r_survminer_dev_008")
    assert len(result.arms) == 1 and score["arms"][0]["matched"] and score["arms"][0]["iae"] <= 0.005, score
    found = _marks_found(truth, result, score)
    assert found["censor_precision"] >= 0.95 and found["censor_recall"] >= 0.7, found
    (own, other), = _inks("r_survminer_dev_008")
    band_path = trace_path(own, other, line_width_px=stroke_width(own))
    line_width = bare_stroke_width(own, band_path)
    assert line_width is not None and line_width <= 0.5 * stroke_width(own), (line_width, stroke_width(own))
    assert trace_path(own, other).line_width_px == line_width


def test_arms_drawn_greyscale_under_bands_of_marks_are_curves():
    # base R, nwtco by stage in greys, '|' marks merged into bands 24 px tall: the best arm is read.
    truth, result, score = _read("r_base_dev_000")
    assert min(arm["iae"] for arm in score["arms"] if arm["matched"]) <= 0.005, score["arms"]


def test_an_ordinary_line_shows_no_bare_columns():
    # survminer, thin lines 2-3 px: columns where a line crosses the pixel rows hold a 1 px run,
    # which is no line bare between marks (read so, the arm was traced at 1 px and lost).
    for own, other in _inks("r_survminer_dev_062"):
        path = trace_path(own, other, line_width_px=stroke_width(own))
        assert path is None or bare_stroke_width(own, path) is None


def _inks(figure_id: str):
    """Each ink's alpha in the plot of a dev figure, with the alpha of all other ink."""
    image = load_image(CORPUS / "dev" / TRUTHS[figure_id]["file"])
    work = working_image(image, find_plot_areas(image)[0])
    plot = plot_ink(work.image, work.plot_area)
    colours, fills = find_inks(plot)
    return [(own, np.where(own >= INKED, 0.0, plot.any_ink)) for own in arm_alpha(plot, colours, fills)
            if own.max() >= INKED]
