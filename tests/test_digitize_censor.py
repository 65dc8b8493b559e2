"""Censor marks and the drop that ends a curve, checked against the true KM of real IPD.

Figures are drawn in tmp_path from lifelines datasets by the corpus drawer
(:func:`benchmarks.make_digitize_corpus.make_figure`), or taken from the committed corpus with
its truth, and digitized with no user input.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_censor_marks, score_curves
from benchmarks.make_digitize_corpus import CORPUS, draw_figure
from digitize import digitize


def _draw(tmp_path, source, unit, family, **changes):
    """Draw a one-plot figure into tmp_path; return its path and truth record."""
    path, truths = draw_figure(tmp_path, source, unit, family, **changes)
    return path, truths[0]


# Rossi in months: both arms end at 11.96 months, where everyone still followed is censored; in
# the no-aid arm 4 people are rearrested that same week, so its curve ends with a drop from 0.713
# to 0.694, with the censor mark (when drawn) at the drop's foot. (family, style changes, largest
# error allowed on the last level): `+` marks, `+` marks cut in half by the plot's right edge
# (lifelines), no marks, `|` marks (whose lower half lengthens the drop's stroke).
END_DROP_FIGURES = [
    ("survminer", dict(width_px=900, height_px=650, risk_table=False), 0.002),
    ("lifelines", dict(width_px=800, height_px=600, bands=False), 0.003),
    ("matplotlib", dict(width_px=800, height_px=600), 0.003),
    ("stata", dict(width_px=900, height_px=650), 0.003),
    ("base_r", dict(width_px=800, height_px=600, line_width_px=2.0), 0.01),
]


@pytest.mark.parametrize("family,changes,max_error", END_DROP_FIGURES, ids=[f[0] for f in END_DROP_FIGURES])
def test_a_drop_at_the_very_end_of_a_curve_is_kept(tmp_path, family, changes, max_error):
    path, truth = _draw(tmp_path, "rossi", "months", family, **changes)
    result = digitize(path)
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == 2 and score["iae"] <= 0.002, score
    x_range = truth["x_limits"][1] - truth["x_limits"][0]
    for matched in score["arms"]:
        true_arm = next(arm for arm in truth["arms"] if arm["name"] == matched["true_arm"])
        curve = result.curves[result.curves["arm"] == matched["digitized_arm"]]
        assert abs(curve["survival"].iloc[-1] - true_arm["km"]["survival"][-1]) <= max_error
        assert abs(curve["time"].iloc[-1] - true_arm["km"]["time"][-1]) <= 0.01 * x_range
    no_aid = next(arm for arm in score["arms"] if arm["true_arm"] == "no aid")
    curve = result.curves[result.curves["arm"] == no_aid["digitized_arm"]]
    # The last drop is there, at the last time, not lost in a flat end at 0.713.
    last_drop = curve["survival"].iloc[-1] - curve.loc[curve["survival"] > curve["survival"].iloc[-1], "survival"].min()
    assert -0.03 <= last_drop <= -0.012
    if truth["style"]["censor_marker"] == "+":
        # The mark at the drop's foot is a censor mark too, at the last time.
        for matched in score["arms"]:
            marks = result.censor_marks.loc[result.censor_marks["arm"] == matched["digitized_arm"], "time"]
            assert np.abs(marks.to_numpy() - 11.9589).min() <= 0.01 * x_range, marks


def test_the_rossi_figure_keeps_the_events_of_its_last_drop():
    # The committed example figure of the README (survminer look): the control arm ends with a drop.
    result = digitize("benchmarks/real_trials/rossi_1980.png", arms="treatment=#F8766D,control=#00BFC4")
    control = result.curves[result.curves["arm"] == "control"]
    assert abs(control["survival"].iloc[-1] - 0.694444) <= 0.002
    assert abs(control["time"].iloc[-1] - 11.9589) <= 0.05
    marks = result.censor_marks
    assert sorted(marks["arm"]) == ["control", "treatment"]
    assert np.abs(marks["time"].to_numpy() - 11.9589).max() <= 0.05


def test_censor_mark_scores_count_one_mark_a_time_and_match_arms_by_curve():
    truth = [{"name": "A", "censor_times": [1.0, 1.0, 2.0, 5.0]}, {"name": "B", "censor_times": [3.0]}]
    marks = pd.DataFrame({"arm": ["x", "x", "x", "y"], "time": [1.02, 2.2, 4.0, 3.0]})
    score = score_censor_marks(marks, truth, {"x": "A", "y": "B"}, time_tolerance=0.05)
    # Marks: 1.02 and 3.0 right, 2.2 and 4.0 wrong; censor times: 1 and 3 found, 2 and 5 not.
    assert score == {"censor_precision": 0.5, "censor_recall": 0.5, "n_marks_found": 4, "n_censor_times": 4}
    # Marks of an arm matched to no true arm are all wrong.
    assert score_censor_marks(marks, truth, {"x": "A"}, 0.05)["censor_precision"] == 0.25


# (source, unit, family, style changes, largest IAE, least precision, least recall) for mark
# styles an earlier reading of marks missed:
# - many censorings fall at event times, where the mark sits at the foot of a drop and sticks out
#   of no level (gbsg2, larynx);
# - SAS `+` marks on 1.5 px lines: the line's pixels blend with the white, the 1 px mark strokes
#   are solid, so the marks are a darker shade of the arm's colour than its line;
# - lifelines `+` marks on a small plot with bands: the same, and the band fill around the line;
# - base R `|` ticks on a thin black line, a few pixels tall, hundreds merging into bars.
MARKED_FIGURES = [
    ("gbsg2", "months", "survminer", dict(width_px=1000, height_px=700, risk_table=False), 0.003, 0.95, 0.85),
    ("larynx", "years", "base_r", dict(width_px=800, height_px=600, line_width_px=2.0), 0.003, 0.9, 0.95),
    ("leukemia", "weeks", "sas", dict(width_px=760, height_px=600, font_size_px=14), 0.007, 0.9, 0.9),
    ("leukemia=6-MP", "weeks", "lifelines", dict(width_px=380, height_px=300, font_size_px=10,
                                                 legend="none", line_width_px=1.5), 0.007, 0.9, 0.8),
    ("kidney_transplant=female", "years", "base_r", dict(width_px=360, height_px=340, font_size_px=10,
                                                         bands=True, legend="none", line_width_px=1),
     0.007, 0.9, 0.65),
]


@pytest.mark.parametrize("source,unit,family,changes,largest_iae,precision,recall", MARKED_FIGURES,
                         ids=[f"{f[2]}-{f[0]}" for f in MARKED_FIGURES])
def test_censor_marks_are_found_and_kept_out_of_the_curve(tmp_path, source, unit, family, changes,
                                                          largest_iae, precision, recall):
    path, truth = _draw(tmp_path, source, unit, family, **changes)
    result = digitize(path)
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == len(truth["arms"]) and score["iae"] <= largest_iae, score
    arm_names = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    marks = score_censor_marks(result.censor_marks, truth["arms"], arm_names,
                               time_tolerance=0.01 * (truth["x_limits"][1] - truth["x_limits"][0]))
    assert marks["n_marks_found"] > 0, marks
    assert marks["censor_precision"] >= precision and marks["censor_recall"] >= recall, marks


# (corpus plot, largest IAE, least precision, least recall) for marks an earlier reading found
# under 0.6 of the times of. Marks drawn so densely along a curve that they merge with each other
# and with its steps:
# - ggplot_grey_05: kidney_transplant males on a 360 px plot, 1.5 px line, + marks along all of
#   it: the lower quartile of the ink across the arm is marks, so the line was read 3.9 px wide
#   and the marks, 5 px tall, did not stick out of it;
# - lifelines_05: four arms with bands that overlap into solid colour, which read as lines
#   hiding the level before a drop, so every mark on them looked like a drop's stroke;
# - survminer_03.jpg: gbsg2 grade II, hundreds of marks in JPEG, its line read 3.4 px wide;
# - prism_01: gbsg2 in months, marks between steps a pixel or two apart, whose tips meet the
#   level above (as a drop's stroke does).
# Marks a pixel wide, which the arm's alpha does not own:
# - r_survminer_04.jpg: leukemia drawn by R's survminer, + marks whose 1 px strokes JPEG turns
#   grey (their hue is stored at half the resolution);
# - r_base_05: lung stage I drawn by R's base graphics at 72 dpi, black + marks anti-aliased into
#   two columns of half-black grey.
# Marks and drops among them (the fringe of a drop's stroke, a column blurred by JPEG or
# anti-aliasing, is shorter than the stroke and was taken for a mark):
# - r_base_02: lung in months drawn by R's base graphics, two arms of + marks;
# - prism_04.jpg: lung in months, Prism look, | marks in JPEG quality 70.
# Marks in a darker shade at the end of a curve (SAS, rossi: everyone left censored at 52 weeks):
# - sas_03.jpg: the financial-aid arm ends level with a + mark whose upright stroke lies a column
#   past its line;
# - sas_08: both arms in one grey ink end with a short drop and a black + at its foot (the arms'
#   crossings still give false marks: two arms of one ink share their ink).
CORPUS_MARK_PLOTS = [
    ("ggplot_grey_05.png", 0.004, 0.95, 0.7),
    ("lifelines_05.png", 0.0025, 0.95, 0.85),
    ("survminer_03.jpg", 0.0025, 0.95, 0.85),
    ("prism_01.png", 0.004, 0.95, 0.8),
    ("r_survminer_04.jpg", 0.002, 0.9, 0.9),
    ("r_base_05.png", 0.002, 0.85, 0.7),
    ("r_base_02.png", 0.002, 0.97, 0.95),
    ("prism_04.jpg", 0.003, 0.95, 0.85),
    ("sas_03.jpg", 0.002, 1.0, 0.5),
    ("sas_08.png", 0.004, 0.2, 1.0),
]
TRUTH = {record["id"]: record for record in json.loads((CORPUS / "truth.json").read_text())}


@pytest.mark.parametrize("plot,largest_iae,precision,recall", CORPUS_MARK_PLOTS,
                         ids=[plot[0] for plot in CORPUS_MARK_PLOTS])
def test_censor_marks_merged_or_faint_are_read(plot, largest_iae, precision, recall):
    truth = TRUTH[plot]
    result = digitize(CORPUS / truth["file"], panel=truth["panel"])
    score = score_curves(result.curves, truth["arms"])
    assert score["iae"] <= largest_iae, score
    arm_names = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    # R-drawn plots record no axis limits: their x axis is about as long as the longest curve.
    x_length = (truth["x_limits"][1] - truth["x_limits"][0] if truth["x_limits"]
                else max(arm["km"]["time"][-1] for arm in truth["arms"]))
    marks = score_censor_marks(result.censor_marks, truth["arms"], arm_names, time_tolerance=0.01 * x_length)
    assert marks["censor_precision"] >= precision and marks["censor_recall"] >= recall, marks
