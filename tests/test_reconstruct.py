"""reconstruct: IPD from KM curves, checked against the real IPD the curves were drawn from."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.datasets import NAMES, load
from benchmarks.km_points import (at_risk_table, censor_marks, jitter, km_step_corners, quantise,
                                  table_times, traced)
from benchmarks.reconstruct import compare_arm, log_hazard_ratio
from kmipd.errors import InputError
from reconstruct import reconstruct, reconstruct_arm
from reconstruct.at_risk import CurveTableConflict


def _inputs(name):
    truth = load(name)
    return truth, km_step_corners(truth), at_risk_table(truth, table_times(truth))


def _errors(truth, result):
    window = float(truth["time"].max())
    tau = float(truth.groupby("arm")["time"].max().min())
    return {arm: compare_arm(truth[truth["arm"] == arm], result.ipd[result.ipd["arm"] == arm],
                             window, tau) for arm in result.arms}


@pytest.mark.parametrize("name", NAMES)
def test_exact_points_and_table_recover_the_trial(name):
    truth, corners, table = _inputs(name)
    result = reconstruct(corners, table)
    for arm, errors in _errors(truth, result).items():
        assert errors["events"] <= 0.01, arm
        assert errors["iae"] <= 0.001, arm
        assert errors["median"] <= 0.001, arm
        assert result.arms[arm].max_abs_error < 1e-9
        published = result.arms[arm].intervals
        assert (published["n_risk_published"] == published["n_risk_reconstructed"]).all()
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.01


@pytest.mark.parametrize("name", NAMES)
def test_pixel_quantised_points_keep_the_hazard_ratio(name):
    truth, corners, table = _inputs(name)
    result = reconstruct(quantise(corners), table)
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.02
    for arm, errors in _errors(truth, result).items():
        assert errors["iae"] <= 0.005, arm
        assert result.arms[arm].max_abs_error <= 4 / 800, arm  # within four pixels of every point


@pytest.mark.parametrize("name", ["rossi", "lung", "leukemia"])
def test_jittered_messy_points(name):
    truth, corners, table = _inputs(name)
    messy = jitter(corners, seed=3)
    assert (np.diff(messy.loc[messy["arm"] == messy["arm"].iloc[0], "survival"]) > 0).any()
    result = reconstruct(messy, table)
    for arm, errors in _errors(truth, result).items():
        assert errors["iae"] <= 0.02, arm
        assert errors["events"] <= 0.1, arm
        assert any("antitonic" in note for note in result.arms[arm].notes)
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.1


@pytest.mark.parametrize("name", ["rossi", "leukemia", "larynx", "waltons"])
def test_only_n_recovers_light_censoring_from_drop_sizes(name):
    truth, corners, _ = _inputs(name)
    result = reconstruct(corners, n_total=truth.groupby("arm").size().to_dict())
    for arm, errors in _errors(truth, result).items():
        assert errors["events"] <= 0.01, arm
        assert errors["iae"] <= 0.001, arm
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.01


@pytest.mark.parametrize("name", ["gbsg2", "kidney_transplant"])
def test_n_and_total_events_meet_the_total_exactly(name):
    truth, corners, _ = _inputs(name)
    events = truth.groupby("arm")["event"].sum().to_dict()
    for curves in (corners, quantise(corners)):
        result = reconstruct(curves, n_total=truth.groupby("arm").size().to_dict(),
                             total_events=events)
        assert result.ipd.groupby("arm")["event"].sum().to_dict() == events
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.05


@pytest.mark.parametrize("name", ["gbsg2", "leukemia", "larynx"])
def test_censor_marks_put_censorings_where_they_were(name):
    truth, corners, table = _inputs(name)
    result = reconstruct(corners, table, censor_marks=censor_marks(truth))
    for arm in result.arms:
        rebuilt = result.ipd[(result.ipd["arm"] == arm) & (result.ipd["event"] == 0)]["time"]
        true = truth[(truth["arm"] == arm) & (truth["event"] == 0)]["time"]
        assert set(rebuilt) <= set(true)
        assert len(rebuilt) == len(true)
    assert abs(log_hazard_ratio(result.ipd) - log_hazard_ratio(truth)) <= 0.002


def test_result_layout_and_sorting():
    truth, corners, table = _inputs("leukemia")
    result = reconstruct(corners.iloc[::-1], table.iloc[::-1])
    assert list(result.ipd.columns) == ["arm", "time", "event"]
    assert list(result.arms) == sorted(truth["arm"].unique())
    key = result.ipd[["arm", "time"]].apply(tuple, axis=1)
    assert key.is_monotonic_increasing
    arm = result.arms["6-MP"]
    assert list(arm.ipd.columns) == ["time", "event"]
    assert list(arm.intervals.columns) == ["time", "n_risk_published", "n_risk_reconstructed",
                                           "events", "censored"]
    assert arm.intervals["events"].sum() == arm.n_events == 9
    assert arm.intervals["censored"].sum() == arm.n_censored == 12
    assert set(result.summary["arm"]) == {"6-MP", "placebo"}


def test_reconstruction_is_deterministic():
    truth, corners, table = _inputs("lung")
    messy = jitter(corners, seed=1)
    first, second = reconstruct(messy, table), reconstruct(messy, table)
    pd.testing.assert_frame_equal(first.ipd, second.ipd)


# Regression tests: the failures of the R tools listed in the issue.

def test_table_times_need_no_row_indexes_and_may_fall_between_points():
    truth, corners, _ = _inputs("larynx")
    odd_times = at_risk_table(truth, [0, 0.77, 2.31, 3.9, 6.05, 8.8])
    result = reconstruct(corners, odd_times)
    for arm in result.arms.values():
        assert (arm.intervals["n_risk_published"] == arm.intervals["n_risk_reconstructed"]).all()


def test_last_interval_with_a_single_point_and_total_events():
    truth = load("leukemia")
    arm = truth[truth["arm"] == "6-MP"]
    corners = km_step_corners(arm)
    # The last table time (30) leaves one digitized point after it: the curve's end.
    table = at_risk_table(arm, [0, 10, 20, 30])
    assert (corners["time"] > 30).sum() == 1
    result = reconstruct_arm(corners, table, total_events=9)
    assert result.n_total == 21 and result.n_events == 9
    assert result.intervals["n_risk_reconstructed"].tolist() == table["n_risk"].tolist()
    # The censorings of the last interval are kept, not dropped.
    assert (result.ipd["time"] >= 30).sum() == 4


def test_impossible_total_events_stops_and_says_so():
    truth = load("larynx")
    arm = truth[truth["arm"] == "stage IV"]
    result = reconstruct_arm(km_step_corners(arm), n_total=13, total_events=2)
    assert result.n_total == 13
    assert any("misses the curve" in note for note in result.notes)


def test_messy_points_give_no_negative_counts():
    truth, corners, table = _inputs("waltons")
    messy = jitter(corners, seed=11, survival_sd=0.02)
    result = reconstruct(messy, table)
    for arm in result.arms.values():
        assert (arm.intervals[["events", "censored"]] >= 0).all().all()
        assert arm.n_total == arm.intervals["n_risk_published"].iloc[0]


def test_eleven_patient_arm():
    truth = load("larynx")
    arm = truth[truth["arm"] == "stage IV"].iloc[:11]
    result = reconstruct_arm(km_step_corners(arm), at_risk_table(arm, [0, 1, 2, 3]))
    pd.testing.assert_frame_equal(result.ipd[result.ipd["event"] == 1].reset_index(drop=True),
                                  arm.loc[arm["event"] == 1, ["time", "event"]].reset_index(drop=True),
                                  check_dtype=False)
    assert result.n_total == 11


def test_exact_levels_falling_by_sixths_are_not_taken_for_a_coarse_pixel_grid():
    # Six larynx patients: with no censoring early the curve falls by sixths, which once read
    # as survival noise of 0.05 and let one drop be fitted with 3 at risk instead of 4.
    truth = load("larynx")
    arm = truth.loc[[0, 1, 15, 16, 16, 31]].sort_values("time", kind="mergesort")
    table = at_risk_table(arm, [0.0, 3.2, 6.4])
    result = reconstruct_arm(km_step_corners(arm), table)
    assert result.max_abs_error < 1e-9
    assert result.ipd.loc[result.ipd["event"] == 1, "time"].tolist() == [0.6, 1.3, 5.3]
    assert result.intervals["n_risk_reconstructed"].tolist() == [6, 4, 1]


@pytest.mark.parametrize("name", ["gbsg2", "rossi", "kidney_transplant", "lung"])
def test_curves_traced_off_by_fractions_of_a_pixel_keep_their_events_when_told_so(name):
    # An automatic digitizer traces clean steps whose errors cannot be seen in them: told its
    # quarter-pixel noise and pixel-and-a-half time error, reconstruct fits the drops as loosely as
    # they deserve instead of choosing numbers at risk that make them exact.
    truth = load(name)
    curves = traced(km_step_corners(truth), seed=3, width_px=1000, height_px=800)
    result = reconstruct(curves, at_risk_table(truth, table_times(truth)), survival_noise=0.25 / 800,
                         time_error=1.5 * truth["time"].max() / 1000)
    for arm, true_arm in truth.groupby("arm"):
        rebuilt = result.arms[arm]
        assert abs(rebuilt.n_events - true_arm["event"].sum()) <= max(1, 0.02 * true_arm["event"].sum()), arm
    assert log_hazard_ratio(result.ipd) == pytest.approx(log_hazard_ratio(truth), abs=0.02)


def test_total_events_matched_exactly_on_pixel_input():
    truth = load("gbsg2")
    arm = truth[truth["arm"] == "no hormone"]
    corners = quantise(km_step_corners(arm))
    table = at_risk_table(arm, table_times(arm))
    for target in (205, 200, 210):
        assert reconstruct_arm(corners, table, total_events=target).n_events == target


def test_final_drop_is_kept():
    truth = load("larynx")
    arm = truth[truth["arm"] == "stage IV"]
    corners = km_step_corners(arm)
    result = reconstruct_arm(corners, n_total=13)
    last_event = arm.loc[arm["event"] == 1, "time"].max()
    assert result.ipd.loc[result.ipd["event"] == 1, "time"].max() == last_event


# At-risk tables that contradict themselves or the curve.

def _arm(name="leukemia", arm="6-MP"):
    truth = load(name)
    return truth[truth["arm"] == arm]


def test_rising_counts_are_refused():
    arm = _arm()
    table = pd.DataFrame({"time": [0, 10, 20], "n_risk": [21, 15, 16]})
    with pytest.raises(InputError, match="rise from 15 at time 10 to 16 at time 20"):
        reconstruct_arm(km_step_corners(arm), table)


def test_missing_time_zero_needs_n_and_is_reported():
    arm = _arm()
    table = at_risk_table(arm, [10, 20, 30])
    with pytest.raises(InputError, match="no count at time 0"):
        reconstruct_arm(km_step_corners(arm), table)
    result = reconstruct_arm(km_step_corners(arm), table, n_total=21)
    assert any("time 0 taken from N = 21" in note for note in result.notes)
    assert result.intervals["n_risk_reconstructed"].tolist() == [21, 15, 8, 4]


def test_counts_after_the_curve_ends_are_left_out_and_reported():
    arm = _arm()
    table = pd.concat([at_risk_table(arm, [0, 10, 20]),
                       pd.DataFrame({"arm": ["6-MP"], "time": [50.0], "n_risk": [1]})])
    result = reconstruct_arm(km_step_corners(arm), table)
    assert any("after the curve ends" in note for note in result.notes)
    assert result.intervals["time"].tolist() == [0, 10, 20]


def test_table_that_the_curve_cannot_meet_is_refused():
    arm = _arm()
    table = pd.DataFrame({"time": [0, 10], "n_risk": [21, 20]})  # 4 die before week 10
    with pytest.raises(InputError, match="cannot be met"):
        reconstruct_arm(km_step_corners(arm), table)


def _curve_read_low(shift: float):
    """A 300-patient arm with one death a month to month 60 and no censoring before month 100, its
    curve read ``shift`` low from the first drop on, and its at-risk table (300, then 240 at month 100)."""
    n = 300
    ipd = pd.DataFrame({"arm": "A", "time": np.r_[np.arange(1.0, 61.0), np.full(n - 60, 150.0)],
                        "event": np.r_[np.ones(60, dtype=int), np.zeros(n - 60, dtype=int)]})
    curve = km_step_corners(ipd)
    low = curve["survival"].where(curve.index < 2, curve["survival"] - shift)  # the first corners stay at 1
    return curve.assign(survival=low), pd.DataFrame({"time": [0, 100], "n_risk": [n, 240]})


def test_a_table_the_curve_misses_by_its_reading_error_is_followed_with_a_note():
    # Read 0.01 low, the first drop says 4 deaths where 1 died: 63 deaths, 3 more than the table allows.
    curve, table = _curve_read_low(0.01)
    result = reconstruct_arm(curve, table, survival_noise=0.003)  # a pixel of 0.012
    assert result.intervals["n_risk_reconstructed"].tolist() == [300, 240]
    assert int(result.ipd["event"].sum()) == 60
    assert any("within its reading error: the table was followed" in note for note in result.notes)


def test_a_table_the_curve_misses_beyond_its_reading_error_is_refused_where_they_part():
    curve, table = _curve_read_low(0.01)
    with pytest.raises(CurveTableConflict, match=r"240 at time 100 cannot be met: the curve falls to 0\.790 "
                                                 r"by then, 0\.010 below the 0\.800") as refused:
        reconstruct_arm(curve, table, survival_noise=0.001)  # a pixel of 0.004
    assert refused.value.time == 100


def test_inputs_naming_unknown_arms_or_missing_n_are_refused():
    truth, corners, table = _inputs("leukemia")
    with pytest.raises(InputError, match="names arm"):
        reconstruct(corners, table, n_total={"other": 5})
    with pytest.raises(InputError, match="arm 6-MP: give the numbers-at-risk table"):
        reconstruct(corners)
    with pytest.raises(InputError, match="never drops"):
        reconstruct_arm(pd.DataFrame({"time": [0, 5], "survival": [1.0, 1.0]}), n_total=5)
    with pytest.raises(InputError, match="not a percentage"):
        reconstruct_arm(pd.DataFrame({"time": [0, 5], "survival": [100.0, 50.0]}), n_total=5)


def test_plot_shows_every_arm_over_its_points_with_the_table():
    from reconstruct.plot import plot_reconstruction

    truth, corners, table = _inputs("larynx")
    result = reconstruct(quantise(corners), table)
    figure = plot_reconstruction(result, title="larynx")
    curve_axes, table_axes = figure.axes
    labels = [text.get_text() for text in curve_axes.get_legend().get_texts()]
    assert any("stage I: reconstructed (N=33" in label for label in labels)
    assert any("stage IV: input points" in label for label in labels)
    printed = [text.get_text() for text in table_axes.texts]
    assert printed.count("33") == 1 and printed.count("13") == 1
    assert len(printed) == len(table)


def test_a_few_marks_do_not_take_their_intervals_censoring():
    # A digitizer that finds a mark or two where none is drawn (a stair corner of a steep fall),
    # or a few of hundreds: the table still says how many leave each interval. A mark holds one
    # patient, and of the rest the share the marks account for, so the KM follows the curve
    # (taking all of an interval's censoring, two marks held 55 and 116 patients and the KM ran
    # 0.009 and 0.016 off the curve).
    truth = load("gbsg2")
    corners, table = quantise(km_step_corners(truth)), at_risk_table(truth, table_times(truth))
    times = table["time"].unique()
    false_marks = pd.DataFrame([(arm, float(t) + 0.37 * (times[1] - times[0]))
                                for arm in truth["arm"].unique() for t in times[1:3]], columns=["arm", "time"])
    result = reconstruct(corners, table, censor_marks=false_marks)
    for arm, rebuilt in result.arms.items():
        assert rebuilt.max_abs_error <= 0.004, arm
        censored = rebuilt.ipd.loc[rebuilt.ipd["event"] == 0, "time"]
        assert censored.isin(false_marks.loc[false_marks["arm"] == arm, "time"]).sum() <= 6, arm
    for arm, errors in _errors(truth, result).items():
        assert errors["iae"] <= 0.002, arm
