"""The drawn pooled curve per arm: the study-stratified average-hazard estimator, on real IPD."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from benchmarks.datasets import load
from meta.curves_plot import pooled_km_plot
from meta.km import kaplan_meier
from meta.pooled_arms import pooled_arms, stratified_curve

#: Administrative end of follow-up of each of four gbsg2 "studies" (days): very different lengths.
FOLLOW_UP_ENDS = {"study 1": 300.0, "study 2": 900.0, "study 3": 1500.0, "study 4": np.inf}


@pytest.fixture(scope="module")
def staggered():
    """gbsg2 dealt to four studies, each censored at its own end of follow-up."""
    source = load("gbsg2")
    ipd = source.assign(study=[f"study {i % 4 + 1}" for i in range(len(source))])
    end = ipd["study"].map(FOLLOW_UP_ENDS)
    return ipd.assign(event=np.where(ipd["time"] > end, 0, ipd["event"]), time=np.minimum(ipd["time"], end))


def _lifelines_km(time, event, at):
    kmf = KaplanMeierFitter().fit(time, event)  # log(-log) band by default, as ours
    band = kmf.confidence_interval_survival_function_
    index = np.searchsorted(kmf.timeline, at, side="right") - 1
    return (kmf.survival_function_.iloc[index, 0].to_numpy(), band.iloc[index, 0].to_numpy(),
            band.iloc[index, 1].to_numpy())


def test_pooled_curve_never_increases_where_studies_stop(staggered):
    _, curves = pooled_arms(staggered, milestones=[365, 1095])
    for _, curve in curves.groupby("arm"):
        assert (np.diff(curve["survival"]) <= 0).all()
        assert (curve["ci_low"] <= curve["survival"]).all() and (curve["survival"] <= curve["ci_high"]).all()
    # the per-time-point random-effects pool, kept for medians and milestones, does step up here
    assert (np.diff(curves.loc[curves["arm"] == "hormone", "re_survival"]) > 0).any()


def test_after_a_study_ends_the_pooled_hazard_is_the_remaining_studies(staggered):
    """Beyond 1500 days only study 4 is followed: the pooled curve falls as its KM does."""
    arm = staggered[staggered["arm"] == "no hormone"]
    kms = [kaplan_meier(s["time"], s["event"]) for _, s in arm.groupby("study")]
    times = np.unique(np.r_[0.0, 100.0, 1500.0, arm.loc[arm["event"] == 1, "time"]])
    curve = stratified_curve(kms, times).set_index("time")
    late = times[times > 1500]
    last = kms[3]
    ratio = last.at(late)[0] / last.at([1500.0])[0]
    assert np.allclose(curve.loc[late, "survival"] / curve.loc[1500.0, "survival"], ratio, rtol=1e-12)
    assert (curve.loc[late, "followed"] == 1).all() and curve.loc[100.0, "followed"] == 4


def test_pooled_curve_of_one_study_is_its_kaplan_meier_with_band():
    ipd = load("leukemia")
    arm = ipd[ipd["arm"] == "placebo"]
    km = kaplan_meier(arm["time"], arm["event"])
    curve = stratified_curve([km], km.time)
    survival, lower, upper = _lifelines_km(arm["time"], arm["event"], km.time)
    assert np.allclose(curve["survival"], survival, atol=1e-12)
    inside = (survival > 0) & (survival < 1)
    assert np.allclose(curve["ci_low"][inside], lower[inside], atol=1e-9)
    assert np.allclose(curve["ci_high"][inside], upper[inside], atol=1e-9)


def test_pooled_curve_of_identical_studies_is_their_kaplan_meier():
    """Three copies of one real arm: the curve is its KM, the band that of the three copies together."""
    ipd = load("leukemia")
    arm = ipd[ipd["arm"] == "6-MP"]
    kms = [kaplan_meier(arm["time"], arm["event"])] * 3
    times = np.unique(arm["time"])
    curve = stratified_curve(kms, times)
    tripled = pd.concat([arm] * 3)
    survival, lower, upper = _lifelines_km(tripled["time"], tripled["event"], times)
    assert np.allclose(curve["survival"], survival, atol=1e-12)
    assert np.allclose(curve["ci_low"], lower, atol=1e-9) and np.allclose(curve["ci_high"], upper, atol=1e-9)


def test_figure_draws_up_to_the_second_longest_follow_up(staggered):
    _, curves = pooled_arms(staggered)
    figure = pooled_km_plot(curves, staggered)
    try:
        drawn_to = max(line.get_xdata().max() for line in figure.axes[0].get_lines())
    finally:
        plt.close(figure)
    assert drawn_to == staggered.loc[staggered["study"] == "study 3", "time"].max() == 1500.0
