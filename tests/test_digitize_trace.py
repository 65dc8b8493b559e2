"""Arm separation, step tracing and censor marks, scored against the true KM of real IPD.

Figures are drawn in tmp_path from lifelines datasets by the corpus drawer
(:func:`benchmarks.make_digitize_corpus.make_figure`), in styles and sizes
other than the committed corpus, and digitized with no user input.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_digitize_corpus import draw_figure
from digitize import digitize
from digitize.axes import PlotArea
from digitize.colours import arm_alpha, parse_arm_colours, plot_ink
from digitize.trace import ArmPath, step_corners, trace_arms
from kmipd.errors import InputError


def _draw(tmp_path, source, unit, family, **changes):
    """Draw a figure into tmp_path; return its path and the truth record of each panel."""
    path, truths = draw_figure(tmp_path, source, unit, family, **changes)
    return path, truths if "|" in source else truths[0]


def _check(result, truth, max_iae):
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == len(truth["arms"]), score
    assert score["iae"] <= max_iae, score
    for arm in result.curves.groupby("arm", sort=False):
        survival = arm[1]["survival"].to_numpy()
        assert np.all(np.diff(arm[1]["time"].to_numpy()) >= 0)
        assert np.all(np.diff(survival) <= 0)
    return score


# (source, unit, family, style changes, IAE allowed): colour, black-and-grey, bands, grids,
# crossing curves, 3 and 4 arms, JPEG, percent axes.
FIGURES = [
    ("rossi", "weeks", "lifelines", dict(width_px=700, height_px=500, bands=False), 0.004),
    ("leukemia", "weeks", "base_r", dict(width_px=800, height_px=600, line_width_px=2.0), 0.006),
    ("gbsg2", "months", "ggplot_grey", dict(width_px=1000, height_px=700, bands=True), 0.005),
    ("larynx:stage", "years", "survminer", dict(width_px=1000, height_px=800, risk_table=False), 0.008),
    ("lung", "days", "prism", dict(width_px=900, height_px=650, jpeg_quality=85), 0.006),
    ("gbsg2:grade", "years", "sas", dict(width_px=900, height_px=700, line_width_px=2.0), 0.006),
]


@pytest.mark.parametrize("source,unit,family,changes,max_iae", FIGURES,
                         ids=[f"{f[2]}-{f[0]}" for f in FIGURES])
def test_curves_match_the_true_km(tmp_path, source, unit, family, changes, max_iae):
    path, truth = _draw(tmp_path, source, unit, family, **changes)
    result = digitize(path)
    _check(result, truth, max_iae)
    assert len(result.arms) == len(truth["arms"])
    # Every arm starts at (0, 1), as the figures do.
    starts = result.curves.groupby("arm", sort=False).first()
    assert np.allclose(starts["time"], 0.0) and np.allclose(starts["survival"], 1.0)


def test_censor_marks_fall_on_true_censor_times_and_stay_out_of_the_curve(tmp_path):
    path, truth = _draw(tmp_path, "leukemia", "weeks", "survminer", width_px=900, height_px=700,
                        risk_table=False, line_width_px=2.0)
    result = digitize(path)
    score = _check(result, truth, 0.006)
    x_range = truth["x_limits"][1] - truth["x_limits"][0]
    for matched in score["arms"]:
        true_arm = next(arm for arm in truth["arms"] if arm["name"] == matched["true_arm"])
        censored = np.unique(true_arm["censor_times"])
        found = result.censor_marks.loc[result.censor_marks["arm"] == matched["digitized_arm"], "time"].to_numpy()
        if len(censored) == 0:
            assert len(found) == 0
            continue
        # Each mark found is at a censor time (within 1% of the axis), and most distinct times are found.
        distance = np.abs(found[:, None] - censored[None, :]).min(axis=1)
        assert np.all(distance <= 0.01 * x_range), (found, censored)
        assert len(found) >= 0.6 * len(censored)


def test_the_panel_asked_for_is_read_from_a_two_panel_figure(tmp_path):
    path, truths = _draw(tmp_path, "rossi|leukemia", "weeks", "survminer", width_px=1400, height_px=600,
                         risk_table=False)
    _check(digitize(path, panel=1), truths[1], 0.008)
    with pytest.raises(InputError, match="panel"):
        digitize(path, panel=2)


def test_user_named_arms_take_their_colours_and_order(tmp_path):
    path, truth = _draw(tmp_path, "rossi", "weeks", "matplotlib", width_px=700, height_px=500)
    first, second = truth["arms"]
    result = digitize(path, arms=f"late={second['colour']},early={first['colour']}")
    assert list(result.arms["arm"]) == ["late", "early"]
    renamed = result.curves.replace({"arm": {"late": second["name"], "early": first["name"]}})
    assert score_curves(renamed, truth["arms"])["iae"] <= 0.004
    assert list(result.arms["colour"]) == [second["colour"].lower(), first["colour"].lower()]


def test_arms_are_named_from_the_legend(tmp_path):
    path, truth = _draw(tmp_path, "rossi", "weeks", "lifelines", width_px=800, height_px=550)
    result = digitize(path)
    assert sorted(result.arms["arm"]) == sorted(arm["name"] for arm in truth["arms"])


def test_a_figure_that_is_not_a_km_plot_is_refused(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
    ax.plot([0, 10, 20, 30, 40], [0.1, 0.3, 0.35, 0.7, 0.9], color="tab:blue", lw=2)
    ax.set_xlim(0, 40)
    ax.set_ylim(0, 1)
    fig.savefig(tmp_path / "rising.png")
    plt.close(fig)
    with pytest.raises(InputError, match="Kaplan-Meier"):
        digitize(tmp_path / "rising.png")


def _stroke_image(corners_px, width, shape=(200, 300), colour=(200, 30, 30), image=None):
    """A white image with a step curve through ``corners_px`` (x, y) stroked ``width`` px wide (anti-aliased)."""
    scale = 16  # draw 16x larger and shrink: exact anti-aliasing at sub-pixel positions
    big = np.full((shape[0] * scale, shape[1] * scale, 3), 255, np.uint8) if image is None else \
        cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    points = (np.asarray(corners_px, float) + 0.5) * scale - 0.5
    cv2.polylines(big, [np.round(points).astype(np.int32)], False, colour, int(round(width * scale)))
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def _trace_whole_image(image, colours):
    """Arm alphas and traced paths of an image whose whole area is the plot's inside."""
    canvas = np.pad(image, ((0, 0), (1, 0), (0, 0)), constant_values=255)  # column 0: the y axis
    plot = plot_ink(canvas, PlotArea(left=0, top=0, right=image.shape[1], bottom=image.shape[0], framed=False))
    alphas = arm_alpha(plot, np.array(colours, np.uint8))
    return alphas, trace_arms(alphas, plot.any_ink)


def _alpha(image, colour):
    """Share of ``colour`` in each pixel of an image drawn over white."""
    colour = np.asarray(colour, float)
    direction = colour - 255.0
    return np.clip((image.astype(float) - 255.0) @ direction / (direction @ direction), 0, 1)


@pytest.mark.parametrize("width", [1.0, 2.0, 3.0])
def test_corners_are_read_at_the_line_centre_to_sub_pixel_precision(width):
    truth = np.array([[10, 20.3], [80.4, 20.3], [80.4, 61.7], [150.2, 61.7], [150.2, 65.2],
                      [240.6, 65.2], [240.6, 140.5], [280, 140.5]])
    own = _alpha(_stroke_image(truth, width), (200, 30, 30))
    (path,) = trace_arms(own[None], own)
    corners = step_corners(own, path)
    assert len(corners) == len(truth)
    assert np.abs(corners["y_px"].to_numpy() - truth[:, 1]).max() <= 0.35
    # Drops (inner corners) within half a pixel; the line's ends within its width.
    assert np.abs(corners["x_px"].to_numpy()[1:-1] - truth[1:-1, 0]).max() <= 0.5
    assert np.abs(corners["x_px"].to_numpy()[[0, -1]] - truth[[0, -1], 0]).max() <= width


def test_an_arm_is_followed_under_another_that_covers_it():
    hidden = np.array([[5, 30.0], [120, 30.0], [120, 90.0], [290, 90.0]])
    covering = np.array([[5, 30.0], [200, 30.0], [200, 150.0], [290, 150.0]])
    red, blue = (200, 30, 30), (30, 60, 200)
    image = _stroke_image(covering, 2.0, colour=blue, image=_stroke_image(hidden, 2.0, colour=red))
    alphas, (red_path, blue_path) = _trace_whole_image(image, [red, blue])
    assert isinstance(red_path, ArmPath)
    assert red_path.first_col <= 6 and red_path.hidden > 0.2
    corners = step_corners(alphas[0], red_path, other=alphas[1])
    assert np.abs(corners["y_px"].to_numpy() - [30, 30, 90, 90]).max() <= 0.5
    assert abs(corners["x_px"].iloc[1] - 120) <= 0.5


def test_a_curve_ends_where_its_line_ends_not_at_a_swatch_of_its_colour_far_right():
    # Red ends at x=150; a red legend swatch sits at the top right; blue runs on to the right edge.
    red, blue = (200, 30, 30), (30, 60, 200)
    image = _stroke_image([[5, 20.0], [60, 20.0], [60, 80.0], [150, 80.0]], 2.0, colour=red)
    image = _stroke_image([[250, 10.0], [280, 10.0]], 2.0, colour=red, image=image)
    image = _stroke_image([[5, 20.0], [200, 20.0], [200, 120.0], [295, 120.0]], 2.0, colour=blue, image=image)
    alphas, (red_path, blue_path) = _trace_whole_image(image, [red, blue])
    assert abs(red_path.cols[-1] - 150) <= 2 and abs(blue_path.cols[-1] - 295) <= 2
    assert red_path.first_col <= 6 and red_path.hidden > 0.3  # followed under blue from the start


def test_arm_colours_parse_names_and_hex_codes():
    assert parse_arm_colours("A=red, B=#1f77b4,C=tab:green") == {
        "A": (255, 0, 0), "B": (31, 119, 180), "C": (44, 160, 44)}
    assert parse_arm_colours({"A": "ff0000"}) == {"A": (255, 0, 0)}
    for bad in ("A", "A=nocolour", "A=red,A=blue", "=red", "", {"A": "nocolour"}):
        with pytest.raises(InputError):
            parse_arm_colours(bad)


def test_digitizing_is_deterministic(tmp_path):
    path, _ = _draw(tmp_path, "waltons", "days", "stata", width_px=700, height_px=500)
    first, second = digitize(path), digitize(path)
    pd.testing.assert_frame_equal(first.curves, second.curves)
    pd.testing.assert_frame_equal(first.censor_marks, second.censor_marks)
    assert first.to_dict() == second.to_dict()
