"""Arms of one colour told apart by line type (solid and dashed), scored against the true KM of real IPD.

Black-and-white journals print both arms in black, one solid and one dashed;
the figures are drawn in tmp_path from lifelines datasets by the corpus drawer
(:func:`benchmarks.make_digitize_corpus.make_figure`), in sizes and styles
other than the committed corpus, and digitized with no user input.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_digitize_corpus import CORPUS, draw_figure
from benchmarks.world_data import CORPUS as WORLD
from benchmarks.world_data import read_truth
from digitize import digitize

BLACK_AND_WHITE = dict(colours=("#000000", "#000000"), line_styles=("-", "--"))


def _draw(tmp_path, source, unit, family, **changes):
    """Draw a one-plot figure into tmp_path; return its path and truth record."""
    path, truths = draw_figure(tmp_path, source, unit, family, **changes)
    return path, truths[0]


# (source, unit, family, style changes): rossi by financial aid, whose curves touch and cross
# early on; rossi split in random halves, whose curves cross again and again (each arm must
# keep to its own line through the crossings); leukemia, far apart with few, tall steps; gbsg2
# with dense censor marks, the dashed arm drawn first; waltons dotted; at several sizes and
# line widths.
FIGURES = [
    ("rossi", "weeks", "base_r", dict(width_px=1000, height_px=800, line_width_px=2.0)),
    ("rossi:halves", "weeks", "base_r", dict(width_px=900, height_px=700)),
    ("leukemia", "weeks", "sas", dict(width_px=640, height_px=520, line_width_px=1.5)),
    ("gbsg2", "days", "stata", dict(width_px=700, height_px=560, line_styles=("--", "-"))),
    ("waltons", "days", "base_r", dict(width_px=800, height_px=640, line_styles=("-", ":"))),
]


@pytest.mark.parametrize("source,unit,family,changes", FIGURES, ids=[f"{f[2]}-{f[0]}" for f in FIGURES])
def test_two_black_arms_solid_and_dashed_are_both_found(tmp_path, source, unit, family, changes):
    path, truth = _draw(tmp_path, source, unit, family, **{**BLACK_AND_WHITE, **changes})
    result = digitize(path)
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == 2, score
    assert score["iae"] <= 0.01, score
    # Each true arm is matched by its own digitized arm, each well under the target.
    assert sorted(arm["true_arm"] for arm in score["arms"] if arm["matched"]) == sorted(
        arm["name"] for arm in truth["arms"])
    assert all(arm["iae"] <= 0.01 for arm in score["arms"]), score
    assert list(result.arms["colour"]) == [result.arms["colour"].iloc[0]] * 2
    # The arms table tells the solid line from the dashed (or dotted) one; the truth lists arms in
    # drawing order.
    line_types = dict(zip(result.arms["arm"], result.arms["line_type"]))
    read = {arm["true_arm"]: line_types[arm["digitized_arm"]] for arm in score["arms"]}
    assert [read[arm["name"]] for arm in truth["arms"]] == [
        "solid" if style == "-" else "dashed" for style in truth["style"]["line_styles"]]
    assert sorted(arm["line_type"] for arm in result.to_dict()["arms"]) == ["dashed", "solid"]  # digitization.json


# Two arms both drawn as solid black lines: rossi by financial aid, whose curves touch and cross
# early on; lung by sex, where one arm's drop lands on the other's level late in follow-up. Traced
# one at a time, the first arm keeps to the upper line where the two meet and the arms swap there.
@pytest.mark.parametrize("source,unit,family,changes", [
    ("rossi", "weeks", "base_r", dict(width_px=1000, height_px=800)),
    ("lung", "days", "base_r", dict(width_px=900, height_px=700)),
], ids=["rossi", "lung"])
def test_two_solid_black_arms_keep_to_their_own_lines_where_they_meet(tmp_path, source, unit, family, changes):
    path, truth = _draw(tmp_path, source, unit, family, colours=("#000000", "#000000"), **changes)
    result = digitize(path)
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == 2, score
    assert all(arm["matched"] and arm["iae"] <= 0.004 for arm in score["arms"]), score
    assert list(result.arms["line_type"]) == ["solid", "solid"]


@pytest.mark.parametrize("source,family,changes", [
    ("kidney_transplant=female", "base_r", dict(width_px=700, height_px=560, censor_marker="|")),
    ("lung=male", "sas", dict(width_px=800, height_px=600, censor_marker="+", line_width_px=2.0)),
])
def test_a_one_arm_black_figure_with_censor_marks_gets_no_second_arm(tmp_path, source, family, changes):
    path, truth = _draw(tmp_path, source, "days", family, colours=("#000000",), **changes)
    assert truth["n_arms"] == 1 and any(truth["arms"][0]["censor_times"])
    result = digitize(path)
    assert list(result.arms["line_type"]) == ["solid"]
    assert score_curves(result.curves, truth["arms"])["iae"] <= 0.01


def test_confidence_limits_drawn_as_dashed_lines_of_the_arms_colour_are_not_arms():
    # Base R's plot(survfit) draws the 95% limits of a lone arm as dashed lines in its colour
    # (a real R figure of the corpus): two lines bracketing the arm, not a second arm.
    truth = next(record for record in json.loads((CORPUS / "truth.json").read_text())
                 if record["id"] == "r_base_05.png")
    result = digitize(CORPUS / truth["file"])
    assert list(result.arms["line_type"]) == ["solid"]
    assert score_curves(result.curves, truth["arms"])["iae"] <= 0.01


def test_a_thin_dashed_colour_arm_falling_steeply_is_traced_over_its_dashes():
    # Base R (world corpus dev figure), a blue lty = 2 arm beside a red solid one, 1 px wide: its
    # dashes alone trace nothing, and over its dash pattern a drop every column or two priced
    # following it above giving it up at once.
    truth = next(record for record in read_truth("dev") if record["id"] == "r_base_dev_024")
    result = digitize(WORLD / "dev" / truth["file"])
    assert dict(zip(result.arms["colour"], result.arms["line_type"])) == {"#0303ff": "dashed", "#ff0404": "solid"}
    assert max(arm["iae"] for arm in score_curves(result.curves, truth["arms"])["arms"]) < 0.005
