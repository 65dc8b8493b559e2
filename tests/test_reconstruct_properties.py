"""Properties every reconstruction must have, on many small arms drawn by hypothesis.

The arms are resamples of real IPD (lifelines' leukemia and larynx data), so
their times, ties and censoring look like real trials'.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.datasets import load
from benchmarks.km_points import at_risk_table, censor_marks, km_step_corners, quantise
from reconstruct import reconstruct_arm

POOL = {name: load(name) for name in ("leukemia", "larynx", "rossi")}


@st.composite
def arms(draw):
    """A small arm resampled from a real dataset, with at least one event."""
    source = POOL[draw(st.sampled_from(sorted(POOL)))]
    rows = draw(st.lists(st.integers(0, len(source) - 1), min_size=3, max_size=60))
    arm = source.iloc[rows].assign(arm="x")
    if arm["event"].sum() == 0:
        arm = arm.assign(event=np.r_[1, arm["event"].to_numpy()[1:]])
    return arm.sort_values(["time", "event"], kind="mergesort").reset_index(drop=True)


def table_for(arm, n_rows):
    end = arm["time"].max()
    return at_risk_table(arm, np.linspace(0, end, n_rows + 1)[:-1])


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(arm=arms(), n_rows=st.integers(1, 6), pixels=st.booleans())
def test_everyone_is_accounted_for_within_the_curve(arm, n_rows, pixels):
    corners = km_step_corners(arm)
    curve = quantise(corners) if pixels else corners
    result = reconstruct_arm(curve, table_for(arm, n_rows))
    ipd = result.ipd
    assert len(ipd) == len(arm)
    assert result.n_events + result.n_censored == len(arm)
    assert set(ipd["event"]) <= {0, 1}
    assert (ipd["time"] >= 0).all()
    assert (ipd["time"] <= curve["time"].max() + 1e-9).all()
    assert ipd["time"].is_monotonic_increasing


@SETTINGS
@given(arm=arms(), n_rows=st.integers(1, 6))
def test_reconstructed_at_risk_equals_a_consistent_table(arm, n_rows):
    table = table_for(arm, n_rows)
    result = reconstruct_arm(km_step_corners(arm), table)
    assert result.intervals["n_risk_reconstructed"].tolist() == table["n_risk"].tolist()
    assert result.intervals["n_risk_published"].tolist() == table["n_risk"].tolist()
    assert result.max_abs_error < 1e-9


@SETTINGS
@given(arm=arms())
def test_only_n_with_censor_marks(arm):
    result = reconstruct_arm(km_step_corners(arm), n_total=len(arm),
                             censor_times=censor_marks(arm)["time"])
    assert result.n_total == len(arm)
    assert result.max_abs_error < 1e-9
    censored = result.ipd.loc[result.ipd["event"] == 0, "time"]
    assert set(censored) <= set(arm.loc[arm["event"] == 0, "time"]) | {arm["time"].max()}
