"""Arms under a solid band of censor marks, on dev figures of the world corpus (``benchmarks/world_corpus/dev``).

Hundreds of censored patients (the nwtco data set) draw censor marks closer than their own
width: they merge into a band along the curve, and every column through it holds a mark's
height of ink. The line's width is read across its upright strokes there
(:func:`digitize.trace.upright_stroke_width`), not from the marks' height.
"""

from __future__ import annotations

import numpy as np

from benchmarks.digitize_scoring import score_curves
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize
from digitize.axes import find_plot_areas
from digitize.colours import arm_alpha, find_inks, plot_ink
from digitize.image import load_image, working_image
from digitize.trace import INKED, stroke_width, trace_path, upright_stroke_width

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
