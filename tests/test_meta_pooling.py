"""Two-stage pooling against R metafor's published examples and direct computation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from meta.leave_one_out import leave_one_out
from meta.pooling import generalised_q, pool, pool_all, tau2_q_profile_ci

# BCG vaccine trials, metafor's dat.bcg (Colditz et al. 1994): tpos, tneg, cpos, cneg
# (the 2x2 counts are also printed in metafor's vanhouwelingen2002 analysis page).
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892],
    [29, 7470, 45, 7232], [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338],
    [27, 16886, 29, 17825],
], dtype=float)

# metafor prints 4 decimals; a value matches when it rounds to the printed one
PRINTED = 5e-5


@pytest.fixture(scope="module")
def bcg_log_rr():
    """``escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``."""
    tpos, tneg, cpos, cneg = BCG.T
    yi = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    vi = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return yi, np.sqrt(vi)


def test_common_effect_matches_metafor(bcg_log_rr):
    # metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (rma(yi, vi, method="EE")):
    # estimate -0.4303, CI -0.5097 to -0.3509, z -10.6247, QE 152.2330
    result = pool(*bcg_log_rr, model="common", ci_method="wald")
    assert result.estimate == pytest.approx(-0.4303, abs=PRINTED)
    assert (result.ci_low, result.ci_high) == pytest.approx((-0.5097, -0.3509), abs=PRINTED)
    assert result.estimate / result.se == pytest.approx(-10.6247, abs=PRINTED)
    assert result.q == pytest.approx(152.2330, abs=PRINTED)
    assert result.q_df == 12 and result.tau2 == 0


def test_dersimonian_laird_matches_metafor(bcg_log_rr):
    # same metafor test file, rma(yi, vi, method="DL"): -0.7141 [-1.0644, -0.3638], tau2 .3088, I2 92.1
    result = pool(*bcg_log_rr, model="DL", ci_method="wald")
    assert result.estimate == pytest.approx(-0.7141, abs=PRINTED)
    assert (result.ci_low, result.ci_high) == pytest.approx((-1.0644, -0.3638), abs=PRINTED)
    assert result.tau2 == pytest.approx(0.3088, abs=PRINTED)
    assert result.i2 == pytest.approx(92.1, abs=0.05)


def test_reml_matches_metafor_documentation(bcg_log_rr):
    # metafor's rma.uni help example / Viechtbauer (2010, J Stat Softw 36(3)), REML on dat.bcg:
    # tau^2 = 0.3132, I^2 = 92.22%, H^2 = 12.86, estimate -0.7145, se 0.1798, CI -1.0669 to -0.3622;
    # confint(res): tau^2 Q-profile CI 0.1197 to 1.1115
    result = pool(*bcg_log_rr, model="REML", ci_method="wald")
    assert result.tau2 == pytest.approx(0.3132, abs=PRINTED)
    assert result.estimate == pytest.approx(-0.7145, abs=PRINTED)
    assert result.se == pytest.approx(0.1798, abs=PRINTED)
    assert (result.ci_low, result.ci_high) == pytest.approx((-1.0669, -0.3622), abs=PRINTED)
    assert result.i2 == pytest.approx(92.22, abs=0.005)
    assert result.h2 == pytest.approx(12.86, abs=0.005)
    assert (result.tau2_ci_low, result.tau2_ci_high) == pytest.approx((0.1197, 1.1115), abs=PRINTED)


def test_estimators_agree_with_direct_computation(bcg_log_rr):
    """To 1e-6: DL's closed form, REML's likelihood maximum, PM's and Q-profile's defining equations."""
    yi, sei = bcg_log_rr
    vi = sei**2
    k = len(yi)
    w = 1 / vi
    q = np.sum(w * (yi - np.sum(w * yi) / w.sum()) ** 2)
    tau2_dl = (q - (k - 1)) / (w.sum() - np.sum(w**2) / w.sum())
    assert pool(yi, sei, "DL").tau2 == pytest.approx(tau2_dl, abs=1e-12)

    def restricted_loglik(tau2):
        wt = 1 / (vi + tau2)
        mu = np.sum(wt * yi) / wt.sum()
        return -0.5 * (np.sum(np.log(vi + tau2)) + np.log(wt.sum()) + np.sum(wt * (yi - mu) ** 2))

    best = optimize.minimize_scalar(lambda t: -restricted_loglik(t), bounds=(0, 5), method="bounded",
                                    options={"xatol": 1e-12})
    assert pool(yi, sei, "REML").tau2 == pytest.approx(best.x, abs=1e-6)
    assert generalised_q(yi, vi, pool(yi, sei, "PM").tau2) == pytest.approx(k - 1, abs=1e-8)
    low, high = tau2_q_profile_ci(yi, vi)
    assert generalised_q(yi, vi, low) == pytest.approx(stats.chi2.ppf(0.975, k - 1), abs=1e-8)
    assert generalised_q(yi, vi, high) == pytest.approx(stats.chi2.ppf(0.025, k - 1), abs=1e-8)


def test_hksj_and_prediction_interval_formulas(bcg_log_rr):
    """HKSJ (metafor test="knha", no truncation) and Higgins' prediction interval on t(k-2)."""
    yi, sei = bcg_log_rr
    k = len(yi)
    result = pool(yi, sei, "REML", "hksj")
    w = 1 / (sei**2 + result.tau2)
    mu = np.sum(w * yi) / w.sum()
    se = np.sqrt(np.sum(w * (yi - mu) ** 2) / ((k - 1) * w.sum()))
    assert result.se == pytest.approx(se, rel=1e-12)
    assert result.ci_high - result.estimate == pytest.approx(stats.t.ppf(0.975, k - 1) * se, rel=1e-12)
    half = stats.t.ppf(0.975, k - 2) * np.sqrt(result.tau2 + se**2)
    assert (result.pi_low, result.pi_high) == pytest.approx((mu - half, mu + half), rel=1e-12)


def test_homogeneous_studies_give_zero_tau2_for_every_estimator():
    # studies agreeing more than chance allows: Q < k - 1, so DL would go negative unclipped
    yi = np.array([0.10, 0.11, 0.09, 0.10])
    sei = np.array([0.2, 0.25, 0.3, 0.2])
    for result in pool_all(yi, sei):
        assert result.tau2 == 0.0
        assert result.tau2_ci_low == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.05, 2)), min_size=3, max_size=12))
def test_pooled_estimates_are_well_formed(studies):
    yi, sei = map(np.array, zip(*studies))
    for result in pool_all(yi, sei):
        assert result.tau2 >= 0
        assert result.ci_low <= result.estimate <= result.ci_high
        assert min(yi) - 1e-9 <= result.estimate <= max(yi) + 1e-9
        assert result.tau2_ci_low <= result.tau2_ci_high
        if result.model != "common":  # t(k-2) and tau^2 widen the PI beyond the CI
            assert result.pi_low <= result.ci_low + 1e-12 and result.pi_high >= result.ci_high - 1e-12


def test_leave_one_out_matches_pooling_without_the_study(bcg_log_rr):
    yi, sei = bcg_log_rr
    table = leave_one_out([f"trial {i}" for i in range(len(yi))], yi, sei)
    assert len(table) == len(yi)
    third = pool(np.delete(yi, 2), np.delete(sei, 2), "REML", "hksj")
    row = table.set_index("omitted").loc["trial 2"]
    assert row["estimate"] == third.estimate and row["k"] == len(yi) - 1


def test_pooling_refuses_a_single_study():
    with pytest.raises(ValueError, match="at least two"):
        pool([0.1], [0.2])
