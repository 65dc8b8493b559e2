"""Meta figures on real per-study results: the forest's x range follows the CIs, not a wide
prediction interval; the pooled KM's at-risk table follows the studies' printed breaks."""

from dataclasses import replace
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from benchmarks.datasets import load
from kmipd.pipeline import printed_break_steps
from meta import analyse
from meta.curves_plot import MAX_BREAKS
from meta.forest import HR_AXES

TREATED, CONTROL = "treated", "control"


@pytest.fixture(scope="module")
def heterogeneous():
    """Two halves of the Rossi trial (financial aid, HR ~0.7) and the leukemia trial (6-MP, HR ~0.2); weeks."""
    rossi = load("rossi")
    rossi = rossi.assign(study=[f"rossi {i % 2 + 1}" for i in range(len(rossi))],
                         arm=rossi["arm"].map({"financial aid": TREATED, "no aid": CONTROL}))
    leukemia = load("leukemia")
    leukemia = leukemia.assign(study="leukemia", arm=leukemia["arm"].map({"6-MP": TREATED, "placebo": CONTROL}))
    return analyse(pd.concat([rossi, leukemia], ignore_index=True), treatment=TREATED, control=CONTROL)


def test_hazard_ratio_axis_holds_the_cis_and_cuts_the_prediction_interval(heterogeneous):
    figure = heterogeneous.figures()["forest_hr.png"]
    try:
        middle = figure.axes[1]
        low, high = middle.get_xlim()
        per_study = heterogeneous.per_study
        pooled = heterogeneous.pooled.query("default & measure == 'log_hr'").iloc[0]
        needed = np.exp(np.abs(np.r_[np.log(per_study["hr_ci_low"]), np.log(per_study["hr_ci_high"]),
                                     pooled["ci_low"], pooled["ci_high"]]).max())
        # the narrowest symmetric range that holds every CI
        assert (low, high) == pytest.approx((1 / high, high))
        assert high == min(limit for limit, _ in HR_AXES if limit >= needed)
        assert np.exp(pooled["pi_high"]) > high  # the prediction interval is cut, not the axis stretched
        figure.canvas.draw()
        boxes = [label.get_window_extent() for label in middle.get_xticklabels() if label.get_text()]
        assert len(boxes) >= 3
        assert all(left.x1 < right.x0 for left, right in zip(boxes, boxes[1:]))  # no overprinting
    finally:
        plt.close(figure)


def test_the_pooled_km_table_follows_the_studies_printed_breaks():
    # two studies print their tables every 3 months, one every 6 (given in weeks: 26 weeks ~ 6 months)
    tables = [pd.DataFrame({"arm": "A", "time": times, "n_risk": 1}) for times in
              ([0, 3, 6, 9], [0, 3, 6], [0, 26.0892857, 52.1785714])]
    entries = [SimpleNamespace(name=f"s{i}", outcome="OS", time_unit=unit)
               for i, unit in enumerate(("months", "months", "weeks"))]
    extractions = {entry.name: SimpleNamespace(at_risk=table) for entry, table in zip(entries, tables)}
    assert printed_break_steps(entries, extractions, "months") == {"OS": 3.0}
    ipd = load("gbsg2").assign(study=lambda d: (d.index % 3).astype(str), time=lambda d: d["time"] / 30.4375)
    result = analyse(ipd, treatment="hormone", control="no hormone")
    for step in (6.0, 12.0):
        ticks = replace(result, break_steps={"": step}).figures()["pooled_km.png"].axes[1].get_xticks()
        assert np.allclose(ticks, step * np.arange(len(ticks))) and len(ticks) > 3
    # a step that would print more than MAX_BREAKS columns (3 months over 7 years) is not followed
    ticks = replace(result, break_steps={"": 3.0}).figures()["pooled_km.png"].axes[1].get_xticks()
    assert len(ticks) <= MAX_BREAKS and not np.allclose(np.diff(ticks), 3.0)
