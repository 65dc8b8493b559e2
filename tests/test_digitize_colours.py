"""Arm separation by colour: black beside grey, shades of one colour, strokes versus band fills.

Figures are drawn in tmp_path from lifelines datasets by the corpus drawer
(:func:`benchmarks.make_digitize_corpus.make_figure`), in sizes and data other
than the committed corpus, and digitized with no user input unless said.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_digitize_corpus import draw_figure
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize
from digitize.axes import PlotArea
from digitize.colours import find_inks, plot_ink, stroke_centres


def _draw(tmp_path, source, unit, family, **changes):
    """Draw a one-plot figure into tmp_path; return its path and truth record."""
    path, truths = draw_figure(tmp_path, source, unit, family, **changes)
    return path, truths[0]


def _check(result, truth, max_iae):
    score = score_curves(result.curves, truth["arms"])
    assert len(result.arms) == len(truth["arms"]), result.arms
    assert score["n_found_arms"] == len(truth["arms"]), score
    assert score["iae"] <= max_iae, score
    return score


# Thin anti-aliased lines of base R's default palette (black, grey), three greys, and a light
# blue beside a dark blue (matplotlib's paired palette): a pale line's pixels are no stronger
# than a dark line's anti-aliased edges, and must still be an arm of their own.
SHADES = [
    ("leukemia", "weeks", "base_r", dict(width_px=760, height_px=620, colours=("#000000", "#9E9E9E"),
                                         line_width_px=1.5), 0.006),
    ("gbsg2:grade", "months", "base_r", dict(width_px=820, height_px=640, line_width_px=1.5,
                                             colours=("#000000", "#666666", "#AAAAAA")), 0.008),
    ("rossi", "weeks", "matplotlib", dict(width_px=850, height_px=600, colours=("#1f77b4", "#aec7e8"),
                                          line_width_px=2.5), 0.006),
]


@pytest.mark.parametrize("source,unit,family,changes,max_iae", SHADES,
                         ids=["black-grey", "three-greys", "light-blue"])
def test_pale_arms_beside_dark_ones_are_found(tmp_path, source, unit, family, changes, max_iae):
    path, truth = _draw(tmp_path, source, unit, family, **changes)
    _check(digitize(path), truth, max_iae)


def test_black_and_grey_arms_are_named_by_their_colours(tmp_path):
    path, truth = _draw(tmp_path, "leukemia", "weeks", "base_r", width_px=760, height_px=620,
                        colours=("#000000", "#9E9E9E"), line_width_px=1.5)
    first, second = truth["arms"]
    result = digitize(path, arms=f"late={second['colour']},early={first['colour']}")
    assert list(result.arms["arm"]) == ["late", "early"]
    renamed = result.curves.replace({"arm": {"late": second["name"], "early": first["name"]}})
    assert score_curves(renamed, truth["arms"])["iae"] <= 0.006


def test_confidence_band_fills_and_their_edges_are_not_arms(tmp_path):
    # Three overlapping bands: their overlaps and edges are pale strokes and areas of mixed colours.
    path, truth = _draw(tmp_path, "gbsg2:grade", "months", "lifelines", width_px=820, height_px=580,
                        bands=True, line_width_px=1.5)
    _check(digitize(path), truth, 0.008)


def test_stroke_centres_lie_on_thin_lines_not_inside_fills():
    strength = np.zeros((60, 80), np.float32)
    big = np.zeros((60 * 8, 80 * 8), np.float32)
    cv2.line(big, (0, 8 * 20 + 3), (8 * 80, 8 * 20 + 3), 40.0, 12)  # 1.5 px line across row 20
    strength += cv2.resize(big, (80, 60), interpolation=cv2.INTER_AREA)
    strength[35:55, 10:70] = 20.0  # a filled band
    centres = stroke_centres(strength)
    rows = np.unique(np.nonzero(centres[:, 5:75])[0])
    assert set(rows) <= {19, 20, 21} and centres[18:23, 5:75].any(axis=0).all()
    assert not centres[38:52, 13:67].any()


def test_a_dark_rim_along_a_coloured_line_is_not_an_arm():
    # Resampled figures leave a dark rim on one side of a line (seen on a published SAS figure).
    image = np.full((240, 400, 3), 255, np.uint8)
    red = [[5, 20], [120, 20], [120, 90], [260, 90], [260, 150], [395, 150]]
    blue = [[5, 30], [180, 30], [180, 120], [395, 120]]
    cv2.polylines(image, [np.array(red, np.int32) - [0, 2]], False, (36, 10, 9), 2)
    cv2.polylines(image, [np.array(red, np.int32)], False, (139, 0, 0), 3)
    cv2.polylines(image, [np.array(blue, np.int32)], False, (0, 0, 139), 3)
    canvas = np.pad(image, ((0, 0), (1, 0), (0, 0)), constant_values=255)
    plot = plot_ink(canvas, PlotArea(left=0, top=0, right=400, bottom=240, framed=False))
    found, _ = find_inks(plot)
    assert len(found) == 2, found
    assert sorted(np.argmax(found, axis=1)) == [0, 2]  # one red, one blue


@pytest.mark.parametrize("arms, message", [
    # two arms given one colour would share out the curves
    ("treatment=#00BFC4,control=#00BFC4", "one colour"),
    # a grey the figure lacks would silently take the teal curve
    ("treatment=#F8766D,control=grey", "matches no curve"),
    # two reds: the second would take the teal curve
    ("treatment=#E41A1C,control=#F8766D", "colour #e41a1c of arm treatment matches no curve"),
])
def test_arm_colours_that_disagree_with_the_figure_are_refused(arms, message):
    from kmipd.errors import InputError

    with pytest.raises(InputError, match=message):
        digitize("benchmarks/real_trials/rossi_1980.png", arms=arms)


def test_loose_colour_names_still_find_their_curves():
    result = digitize("benchmarks/real_trials/rossi_1980.png", arms="treatment=red,control=blue")
    assert dict(zip(result.arms["arm"], result.arms["colour"])) == {"treatment": "#f8766d", "control": "#00bfc4"}


@pytest.mark.parametrize("figure", [
    # survminer, sex in the lung data: the cyan arm runs along the salmon one and the median's
    # dashed black lines are the strongest ink. Pale against black, the cyan was taken for a band's
    # edge; against the coloured lines it is as full as they are.
    "r_survminer_dev_030",
    # survminer, npg palette: its light blue is much paler than its red, but drawn opaque.
    "r_survminer_dev_033",
    # survminer, two arms in black and light grey: the light grey line reads thinner than the
    # black one, as the edge of a band fill does; the at-risk table's two rows call it back
    "r_survminer_dev_026",
    "r_survminer_dev_057",
    # lifelines, two arms with their bands: the orange band's edge, in its tint and thinner than
    # the arms, traced as a third arm; the table's two rows do not call it back
    "lifelines_dev_001",
    # base R, a grey arm beside a black one, thinner, and no table: a grey is a tint of black, but
    # a grey line is no band's edge
    "r_base_dev_002",
    # base R, a blue dashed arm (lty = 2) beside a red solid one, 1 px wide in a small figure: over
    # its dash pattern, a drop every column or two made following it cost more than giving it up
    "r_base_dev_024",
])
def test_light_arms_are_arms_and_band_edges_are_not(figure):
    # World corpus dev figures.
    truth = next(record for record in read_truth("dev") if record["id"] == figure)
    result = digitize(CORPUS / "dev" / truth["file"])
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == len(truth["arms"]) == 2, result.arms
    assert max(arm["iae"] for arm in score["arms"]) < 0.006, score["arms"]
