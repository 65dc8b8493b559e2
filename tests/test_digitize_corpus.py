"""The digitizer's figure corpus, its scorer, and the digitizer's accuracy on each figure style.

The corpus (``benchmarks/digitize_corpus``) is real lifelines IPD drawn in the looks of survminer,
ggplot2, base R, SAS, Prism, Stata, lifelines and matplotlib, plus real R figures (survminer, base
graphics); ``truth.json`` holds the true Kaplan-Meier step corners. The full run is ``python -m benchmarks.digitize``; here a
representative subset guards every style against regressions.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from benchmarks.digitize_scoring import (NO_CURVE_IAE, automatic_calibration, curve_errors,
                                         score_at_risk, score_curves, step_values)
from benchmarks.figures import FAMILIES, convert_time, truth_to_pixels
from benchmarks.km_points import km_step_corners, quantise
from benchmarks.make_digitize_corpus import CORPUS, SPECS, load_source, make_figure
from digitize import digitize

#: Truth records by id: the file name, followed by #A, #B for the panels of a multi-panel figure.
TRUTH = {record["id"]: record for record in json.loads((CORPUS / "truth.json").read_text())}


def _read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _curves(arms: dict[str, dict]) -> pd.DataFrame:
    """A digitizer-like ``arm,time,survival`` frame from truth-style arms (name -> km)."""
    return pd.concat([pd.DataFrame({"arm": name, **km}) for name, km in arms.items()],
                     ignore_index=True)


def _true_arm(name: str, time, survival) -> dict:
    return {"name": name, "km": {"time": list(time), "survival": list(survival)}}


# --- the scorer on known inputs -------------------------------------------------------------

@pytest.fixture(scope="module")
def rossi_arm():
    arm = TRUTH["sas_03.jpg"]["arms"][0]
    return pd.DataFrame(arm["km"]), arm


def test_a_curve_scores_zero_against_itself(rossi_arm):
    curve, arm = rossi_arm
    assert curve_errors(curve, curve["time"], curve["survival"], end=curve["time"].iloc[-1]) == (0, 0)
    assert score_curves(curve.assign(arm="x"), [arm])["iae"] == 0


def test_a_curve_lowered_by_a_constant_scores_that_constant(rossi_arm):
    curve, arm = rossi_arm
    iae, max_error = curve_errors(curve.assign(survival=curve["survival"] - 0.05), curve["time"],
                                  curve["survival"], end=curve["time"].iloc[-1])
    assert iae == pytest.approx(0.05, abs=1e-12)
    assert max_error == pytest.approx(0.05, abs=1e-12)


def test_a_step_drawn_late_costs_its_height_times_the_delay_over_the_window():
    true_time, true_survival = [0, 5, 5, 10], [1.0, 1.0, 0.6, 0.6]
    late = pd.DataFrame({"time": [0, 6, 6, 10], "survival": [1.0, 1.0, 0.6, 0.6]})
    iae, max_error = curve_errors(late, true_time, true_survival, end=10)
    assert iae == pytest.approx(0.4 * 1 / 10)
    assert max_error == pytest.approx(0.4)


def test_steps_are_right_continuous_and_held_flat_outside_the_corners():
    time, survival = [2, 5, 5, 8], [0.9, 0.9, 0.5, 0.5]
    assert step_values(time, survival, [0, 2, 4.99, 5, 7, 100]).tolist() == [0.9, 0.9, 0.9, 0.5,
                                                                               0.5, 0.5]


def test_drop_points_and_double_corners_describe_the_same_curve(rossi_arm):
    curve, _ = rossi_arm
    drops = curve.drop_duplicates("time", keep="last")
    grid = np.linspace(0, curve["time"].max(), 997)
    np.testing.assert_array_equal(step_values(drops["time"], drops["survival"], grid),
                                  step_values(curve["time"], curve["survival"], grid))


def test_pixel_rounding_of_a_real_curve_costs_about_a_pixel():
    ipd = load_source("rossi")[0]
    corners = km_step_corners(ipd)
    exact = corners[corners["arm"] == "no aid"]
    rounded = quantise(exact, width_px=500, height_px=400)
    iae, _ = curve_errors(rounded, exact["time"], exact["survival"], end=exact["time"].max())
    assert 0 < iae < 1 / 400


def test_arms_are_matched_by_curve_not_by_name_or_order():
    high = _true_arm("high", [0, 4, 4, 10], [1, 1, 0.8, 0.8])
    low = _true_arm("low", [0, 2, 2, 10], [1, 1, 0.3, 0.3])
    digitized = _curves({"arm1": low["km"], "arm2": high["km"]})
    score = score_curves(digitized, [high, low])
    assert [a["digitized_arm"] for a in score["arms"]] == ["arm2", "arm1"]
    assert score["iae"] == 0 and score["right_n_arms"]
    assert (score["n_missing"], score["n_extra"]) == (0, 0)


def test_extra_and_missing_arms_are_counted_and_a_merge_costs_what_it_hides():
    high = _true_arm("high", [0, 4, 4, 10], [1, 1, 0.8, 0.8])
    low = _true_arm("low", [0, 2, 2, 10], [1, 1, 0.3, 0.3])
    extra = score_curves(_curves({"a": high["km"], "b": low["km"], "noise": high["km"]}),
                         [high, low])
    assert (extra["n_extra"], extra["n_missing"], extra["right_n_arms"]) == (1, 0, False)
    merged = score_curves(_curves({"a": high["km"]}), [high, low])
    assert (merged["n_missing"], merged["n_found_arms"]) == (1, 1)
    # "low" is scored against "high": 0.7 below it on [2, 4), 0.5 below on [4, 10]
    assert merged["arms"][1]["iae"] == pytest.approx((0.7 * 2 + 0.5 * 6) / 10)
    assert merged["iae"] == pytest.approx(merged["arms"][1]["iae"] / 2)


def test_nothing_digitized_scores_the_worst():
    arm = _true_arm("only", [0, 1, 1, 2], [1, 1, 0.5, 0.5])
    empty = pd.DataFrame(columns=["arm", "time", "survival"])
    score = score_curves(empty, [arm])
    assert score["iae"] == NO_CURVE_IAE and score["n_missing"] == 1


def test_numbers_at_risk_count_right_only_in_the_right_arm_and_column():
    truth = TRUTH["survminer_01.png"]["at_risk"]
    printed = pd.DataFrame(truth)
    read = printed.assign(arm=printed["arm"].map({"hormone": "arm1", "no hormone": "arm2"}),
                          time=printed["time"] + 0.3)
    names = {"arm1": "hormone", "arm2": "no hormone"}
    assert score_at_risk(read, truth, names, time_tolerance=0.5) == 1
    assert score_at_risk(read, truth, names, time_tolerance=0.1) == 0
    swapped = {"arm1": "no hormone", "arm2": "hormone"}
    assert score_at_risk(read, truth, swapped, time_tolerance=0.5) == 0
    one_misread = read.assign(n_risk=np.where(read.index == 0, 999, read["n_risk"]))
    assert score_at_risk(one_misread, truth, names, 0.5) == pytest.approx(1 - 1 / len(printed))
    assert score_at_risk(read.iloc[:0], truth, names, 0.5) == 0


# --- the corpus itself ----------------------------------------------------------------------

def test_corpus_has_every_style_and_one_to_four_arms_within_its_size_budget():
    images = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".png", ".jpg"))
    assert images == sorted({record["file"] for record in TRUTH.values()})
    assert 40 <= len(images) <= 80
    assert {record["family"] for record in TRUTH.values()} == set(FAMILIES)
    assert {record["n_arms"] for record in TRUTH.values()} == {1, 2, 3, 4}
    widths = [record["style"]["width_px"] for record in TRUTH.values()]
    assert min(widths) <= 400 and max(widths) >= 2400
    assert sum(p.stat().st_size for p in CORPUS.iterdir()) < 6e6


@pytest.mark.parametrize("plot", ["survminer_03.jpg", "base_r_05.png", "lifelines_05.png",
                                  "annotated_05.png", "panels_01.png#B"])
def test_true_corners_agree_with_lifelines(plot):
    truth = TRUTH[plot]
    ipd, unit = load_source(truth["source"])
    ipd = convert_time(ipd, unit, truth["time_unit"])
    for arm in truth["arms"]:
        rows = ipd[ipd["arm"] == arm["name"]]
        fitter = KaplanMeierFitter().fit(rows["time"], rows["event"])
        grid = np.linspace(0, arm["km"]["time"][-1], 501)  # the end of the plotted curve
        np.testing.assert_allclose(step_values(arm["km"]["time"], arm["km"]["survival"], grid),
                                   fitter.survival_function_at_times(grid).to_numpy(), atol=1e-12)
        assert arm["n"] == len(rows)


@pytest.mark.parametrize("stem", ["base_r_07", "prism_05", "panels_02"])
def test_committed_figures_are_what_the_generator_draws(stem):
    spec = next(spec for spec in SPECS if spec[0] == stem)
    image, truths = make_figure(*spec)
    for truth in truths:
        assert json.loads(json.dumps(truth)) == TRUTH[truth["id"]]
    committed = _read_rgb(CORPUS / truths[0]["file"])
    assert image.shape == committed.shape
    # another freetype or matplotlib may render text a little differently: the curves must not move
    differs = np.abs(image.astype(int) - committed.astype(int)).max(axis=2) > 16
    assert differs.mean() < 0.01


@pytest.mark.parametrize("plot", ["base_r_01.png", "prism_01.png", "sas_01.png", "stata_01.png",
                                  "survminer_01.png", "matplotlib_01.png", "panels_01.png#B"])
def test_true_plot_area_lies_on_the_drawn_axes(plot):
    box = TRUTH[plot]["plot_area"]
    grey = _read_rgb(CORPUS / TRUTH[plot]["file"]).mean(axis=2)
    left, right = round(box["left"]), round(box["right"])
    top, bottom = round(box["top"]), round(box["bottom"])
    # within a pixel: matplotlib snaps straight lines to the pixel grid
    x_axis = grey[bottom - 1:bottom + 2, left + 5:right - 5].min(axis=0)
    y_axis = grey[top + 5:bottom - 5, left - 1:left + 2].min(axis=1)
    assert np.mean(x_axis < 100) > 0.95
    assert np.mean(y_axis < 100) > 0.95


@pytest.mark.parametrize("plot", ["base_r_01.png", "survminer_01.png", "prism_01.png",
                                  "lifelines_01.png", "annotated_04.png", "panels_01.png#B"])
def test_true_curves_lie_on_the_drawn_curves(plot):
    truth = TRUTH[plot]
    image = _read_rgb(CORPUS / truth["file"]).astype(float)
    # thin lines are anti-aliased: a pixel is the arm's when its colour is nearer to the arm's
    # than to the other arms' and to white
    palette = np.array([[int(arm["colour"][i:i + 2], 16) for i in (1, 3, 5)]
                        for arm in truth["arms"]] + [[255, 255, 255]], float)
    for index, arm in enumerate(truth["arms"]):
        x_px, y_px = truth_to_pixels(truth, arm["km"]["time"], arm["km"]["survival"])
        # the middle of every flat stretch at least 6 px long, within a pixel up or down
        flat = (np.diff(x_px) >= 6) & (np.diff(y_px) == 0)
        columns = np.round((x_px[:-1][flat] + x_px[1:][flat]) / 2).astype(int)
        rows = np.round(y_px[:-1][flat]).astype(int)
        near = np.stack([image[rows + shift, columns] for shift in (-1, 0, 1)], axis=1)
        distance = np.linalg.norm(near[:, :, None, :] - palette, axis=3)  # sample, shift, colour
        best_shift = np.argmin(distance[:, :, index], axis=1)
        owner = np.argmin(distance[np.arange(len(rows)), best_shift], axis=1)
        assert flat.sum() >= 5
        assert np.mean(owner == index) > 0.9, arm["name"]


# --- the digitizer on a representative subset, one or two figures per style ----------------

#: Plot -> largest IAE allowed. 0.01 is the issue's 95th-percentile target; figures that are
#: hard for a stated reason get the issue's no-figure-above target, 0.03.
SUBSET = {
    "survminer_01.png": 0.01,
    "survminer_03.jpg": 0.03,      # JPEG, 3 arms, small text
    "ggplot_grey_01.png": 0.01,
    "ggplot_grey_05.png": 0.03,    # 360 px wide, dense censor marks
    "base_r_01.png": 0.01,
    "base_r_06.png": 0.03,         # both arms black, one dashed
    "stata_07.jpg": 0.01,          # both arms black and solid, touching early on; JPEG
    "sas_02.png": 0.01,
    "prism_01.png": 0.01,
    "prism_04.jpg": 0.01,
    "stata_01.png": 0.01,
    "lifelines_01.png": 0.01,
    "lifelines_05.png": 0.03,      # 4 close, crossing arms with confidence bands
    "matplotlib_01.png": 0.01,
    "matplotlib_04.jpg": 0.03,     # two random halves: the arms overlap most of the time
    "annotated_03.png": 0.01,      # y axis from 0.4, a p value printed inside the plot
    "annotated_04.png": 0.01,      # x axis cut before the end of follow-up
    "r_survminer_01.png": 0.01,    # real R figures
    "r_base_01.png": 0.01,
    "panels_03.jpg#B": 0.03,       # right-hand panel; two random halves that overlap
}


#: Plots the digitizer is known to get wrong, and why; strict, so a fix shows up as a failure
#: that asks for the entry to be removed.
KNOWN_LIMITS: dict[str, str] = {}


@pytest.mark.parametrize("plot", [
    pytest.param(plot, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LIMITS[plot])) if plot in KNOWN_LIMITS
    else plot for plot in sorted(SUBSET)])
def test_digitizer_meets_the_accuracy_target_on_each_style(plot):
    truth = TRUTH[plot]
    result = digitize(CORPUS / truth["file"], panel=truth["panel"])
    score = score_curves(result.curves, truth["arms"])
    assert automatic_calibration(result.calibration), "tick labels not read automatically"
    assert score["n_found_arms"] == truth["n_arms"]
    assert score["iae"] <= SUBSET[plot], score["arms"]
