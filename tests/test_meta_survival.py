"""Per-study survival statistics against R (survival, survRM2) and lifelines, on real data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from benchmarks.datasets import load
from meta.km import kaplan_meier, logrank, loglog_band, median_with_ci
from meta.risk_sets import RiskSets, tally
from meta.rmst import rmst, rmst_difference
from meta.zph import ph_test, time_transform

DATA = Path(__file__).parent / "data"
TWO_ARM = ("rossi", "gbsg2", "leukemia", "larynx", "waltons", "lung")


def _two_arms(name):
    ipd = load(name)
    first = sorted(ipd["arm"].unique())[0]
    return ipd["time"].to_numpy(), ipd["event"].to_numpy(), (ipd["arm"] == first).to_numpy(dtype=float)


@pytest.fixture(scope="module")
def pbc():
    """survRM2's ``rmst2.sample.data()``: the 312 randomised Mayo PBC patients.

    ``tests/data/pbc_randomised.csv`` holds ``days, status, trt`` of rows 1-312 of
    R survival's ``pbc`` (transcribed from the public Mayo data set); survRM2 takes
    ``time = days / 365.25``, ``status = (status == 2)``, ``arm = (trt == 1)``.
    """
    raw = pd.read_csv(DATA / "pbc_randomised.csv")
    return pd.DataFrame({"time": raw["days"] / 365.25, "event": (raw["status"] == 2).astype(int),
                         "arm": (raw["trt"] == 1).astype(int)})


def test_rmst_matches_survrm2_vignette(pbc):
    # survRM2 vignette, rmst2(time, status, arm, tau=10): RMST arm 1 7.146 (se 0.283),
    # arm 0 7.283 (se 0.295), difference -0.137, p 0.738 (printed to 3 decimals)
    arms = {a: rmst(kaplan_meier(g["time"], g["event"]), tau=10) for a, g in pbc.groupby("arm")}
    assert (arms[1].estimate, arms[1].se) == pytest.approx((7.146, 0.283), abs=5e-4)
    assert (arms[0].estimate, arms[0].se) == pytest.approx((7.283, 0.295), abs=5e-4)
    difference = rmst_difference(arms[1], arms[0])
    assert difference.estimate == pytest.approx(-0.137, abs=5e-4)
    assert difference.p_value == pytest.approx(0.738, abs=5e-4)


@pytest.mark.parametrize("name", TWO_ARM)
def test_rmst_area_matches_lifelines(name):
    time, event, _ = _two_arms(name)
    tau = float(np.median(time))
    kmf = KaplanMeierFitter().fit(time, event)
    assert rmst(kaplan_meier(time, event), tau).estimate == pytest.approx(
        restricted_mean_survival_time(kmf, t=tau), rel=1e-9)


@pytest.mark.parametrize("name", TWO_ARM)
def test_kaplan_meier_median_and_band_match_lifelines(name):
    time, event, _ = _two_arms(name)
    km = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    lifelines_survival = kmf.survival_function_.iloc[:, 0]
    assert np.allclose(km.survival, lifelines_survival.loc[km.time].to_numpy(), atol=1e-12)
    # lifelines' band is the log(-log) transform of Greenwood's variance, as ours
    lower, upper = loglog_band(km.survival, km.greenwood)
    band = kmf.confidence_interval_.loc[km.time]
    inside = (km.survival > 0) & (km.survival < 1)
    assert np.allclose(lower[inside], band.iloc[:, 0].to_numpy()[inside], atol=1e-9)
    assert np.allclose(upper[inside], band.iloc[:, 1].to_numpy()[inside], atol=1e-9)
    median, low, high = median_with_ci(km, band="log-log")
    assert median == kmf.median_survival_time_
    expected = median_survival_times(kmf.confidence_interval_).iloc[0].to_numpy()
    assert np.allclose([low, high], expected)


@pytest.mark.parametrize("name", TWO_ARM)
def test_logrank_matches_lifelines(name):
    time, event, first = _two_arms(name)
    ours = logrank(time, event, first.astype(bool))
    theirs = logrank_test(time[first == 1], time[first == 0], event[first == 1], event[first == 0])
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)


def test_median_and_ci_on_lung_match_r():
    # R: survfit(Surv(time, status) ~ 1, lung) prints median 310, 0.95LCL 285, 0.95UCL 363;
    # ~ sex: sex=1 270 (212, 310), sex=2 426 (348, 550)
    ipd = load("lung")
    assert median_with_ci(kaplan_meier(ipd["time"], ipd["event"])) == (310, 285, 363)
    for arm, expected in (("male", (270, 212, 310)), ("female", (426, 348, 550))):
        one = ipd[ipd["arm"] == arm]
        assert median_with_ci(kaplan_meier(one["time"], one["event"])) == expected


def test_logrank_on_lung_matches_r():
    # R: survdiff(Surv(time, status) ~ sex, data = lung): sex=1 observed 112, expected 91.6;
    # "Chisq= 10.3 on 1 degrees of freedom, p= 0.001"
    ipd = load("lung")
    result = logrank(ipd["time"], ipd["event"], (ipd["arm"] == "male").to_numpy())
    assert result.observed == 112 and result.expected == pytest.approx(91.6, abs=0.05)
    assert result.chisq == pytest.approx(10.3, abs=0.05)
    assert round(result.p_value, 3) == 0.001


@pytest.mark.parametrize("name", TWO_ARM)
def test_cox_efron_matches_lifelines(name):
    time, event, x = _two_arms(name)
    fitter = CoxPHFitter().fit(pd.DataFrame({"time": time, "event": event, "x": x}), "time", "event",
                               fit_options={"precision": 1e-12, "r_precision": 1e-14, "max_steps": 200})
    risk_sets = RiskSets(time, event, x)
    beta = risk_sets.fit()
    terms = risk_sets.terms(beta)
    assert beta == pytest.approx(fitter.params_["x"], abs=1e-6)
    assert 1 / np.sqrt(terms.information.sum()) == pytest.approx(fitter.standard_errors_["x"], abs=1e-6)
    assert terms.log_likelihood.sum() == pytest.approx(fitter.log_likelihood_, abs=1e-6)


def test_cox_on_lung_matches_r():
    # R: coxph(Surv(time, status) ~ sex, data = lung) prints coef -0.5310, se(coef) 0.1672
    time, event, _ = _two_arms("lung")
    female = (load("lung")["arm"] == "female").to_numpy(dtype=float)
    risk_sets = RiskSets(time, event, female)
    beta = risk_sets.fit()
    assert beta == pytest.approx(-0.5310, abs=5e-5)
    assert 1 / np.sqrt(risk_sets.terms(beta).information.sum()) == pytest.approx(0.1672, abs=5e-5)


def test_stratified_cox_matches_lifelines():
    parts = []
    for name in ("rossi", "gbsg2", "waltons"):
        time, event, x = _two_arms(name)
        parts.append(pd.DataFrame({"time": time, "event": event, "x": x, "study": name}))
    data = pd.concat(parts, ignore_index=True)
    fitter = CoxPHFitter().fit(data, "time", "event", strata=["study"],
                               fit_options={"precision": 1e-12, "r_precision": 1e-14, "max_steps": 200})
    risk_sets = RiskSets(data["time"], data["event"], data["x"], strata=data["study"])
    beta = risk_sets.fit()
    assert beta == pytest.approx(fitter.params_["x"], abs=1e-6)
    assert risk_sets.terms(beta).log_likelihood.sum() == pytest.approx(fitter.log_likelihood_, abs=1e-6)


def test_zph_is_the_score_test_of_therneau_and_grambsch_appendix():
    # survival's own test (Therneau & Grambsch 2000, appendix E, data set 1, Breslow ties):
    # the MLE is log(r), r = (3 + sqrt(33)) / 2, and cox.zph(fit, transform="identity") equals
    # the score test built from the per-death score U and information below, g = death times.
    time = np.array([9, 1, 1, 6, 6, 8.0])
    event = np.array([1, 1, 0, 1, 1, 0])
    x = np.array([0, 1, 1, 1, 0, 0.0])
    r = (3 + np.sqrt(33)) / 2
    u = np.array([1 / (r + 1), 3 / (r + 3), -r / (r + 3), 0])
    info = np.array([r / (r + 1) ** 2, 3 * r / (r + 3) ** 2, 3 * r / (r + 3) ** 2, 0])
    g = np.array([1, 6, 6, 9.0])
    u2 = np.array([u.sum(), (g * u).sum()])
    i2 = np.array([[info.sum(), (g * info).sum()], [(g * info).sum(), (g**2 * info).sum()]])
    expected = np.linalg.solve(i2, u2) @ u2
    assert RiskSets(time, event, x, ties="breslow").fit() == pytest.approx(np.log(r), abs=1e-10)
    result = ph_test(time, event, x, np.log(r), ties="breslow", transform="identity")
    assert result.chisq == pytest.approx(expected, rel=1e-10)


def _efron_loglik_time_varying(time, event, x, g_of_time, beta, gamma):
    """Efron log partial likelihood of beta*x + gamma*x*g(t), written plainly (one loop per death time)."""
    total = 0.0
    for t in np.unique(time[event == 1]):
        at_risk = time >= t
        dead = (time == t) & (event == 1)
        eta = (beta + gamma * g_of_time[t]) * x
        d = dead.sum()
        total += eta[dead].sum()
        for l in range(d):
            total -= np.log(np.exp(eta[at_risk]).sum() - l / d * np.exp(eta[dead]).sum())
    return total


@pytest.mark.parametrize("name", ["leukemia", "larynx", "rossi"])
def test_zph_efron_equals_numerical_score_test(name):
    """cox.zph's statistic from numerical derivatives of the extended model's likelihood."""
    time, event, x = _two_arms(name)
    beta = RiskSets(time, event, x).fit()
    g_subject = time_transform(time, event, "km")
    g_subject = g_subject - g_subject[event == 1].mean()
    g_of_time = {t: g_subject[time == t][0] for t in np.unique(time[event == 1])}

    def loglik(params):
        return _efron_loglik_time_varying(time, event, x, g_of_time, *params)

    h = 1e-3  # central differences: truncation ~h^2, rounding ~eps/h^2; 1e-3 balances them
    point = np.array([beta, 0.0])
    grad = np.zeros(2)
    hess = np.zeros((2, 2))
    for i in range(2):
        e_i = np.eye(2)[i] * h
        grad[i] = (loglik(point + e_i) - loglik(point - e_i)) / (2 * h)
        for j in range(2):
            e_j = np.eye(2)[j] * h
            hess[i, j] = (loglik(point + e_i + e_j) - loglik(point + e_i - e_j)
                          - loglik(point - e_i + e_j) + loglik(point - e_i - e_j)) / (4 * h * h)
    score = np.array([0.0, grad[1]])  # R sets the first block to 0, as at the exact MLE
    expected = score @ np.linalg.solve(-hess, score)
    assert ph_test(time, event, x, beta).chisq == pytest.approx(expected, rel=1e-5)


def test_zph_on_lung_matches_r():
    # R survival >= 3: cox.zph(coxph(Surv(time, status) ~ sex, data = lung)) prints sex 2.86, p 0.091
    time, event, _ = _two_arms("lung")
    female = (load("lung")["arm"] == "female").to_numpy(dtype=float)
    result = ph_test(time, event, female, RiskSets(time, event, female).fit())
    assert result.chisq == pytest.approx(2.86, abs=5e-3)
    assert result.p_value == pytest.approx(0.091, abs=5e-4)


def test_km_time_transform_is_left_continuous():
    time = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    event = np.array([1, 1, 0, 1, 0])
    # S = 0.8 after t=1, 0.6 after t=2, 0.3 after t=3; g(t) = 1 - S(t-)
    assert np.allclose(time_transform(time, event, "km"), [0.0, 0.2, 0.2, 0.4, 0.7])


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_information_with_groups_is_minus_the_hessian(ties):
    """Analytic information of (beta, group effects) against numerical second derivatives."""
    time, event, x = _two_arms("gbsg2")
    n_groups = 4
    group = np.arange(len(time)) % n_groups
    effects = np.array([0.3, -0.2, 0.1, -0.4])  # log frailties
    risk_sets = RiskSets(time, event, x, ties=ties)
    information = risk_sets.information_with_groups(-0.3, effects[group], group, n_groups)

    def loglik(params):
        return risk_sets.terms(params[0], params[1:][group]).log_likelihood.sum()

    point, h, n = np.r_[-0.3, effects], 1e-3, n_groups + 1
    hessian = np.array([[(loglik(point + h * (np.eye(n)[i] + np.eye(n)[j]))
                          - loglik(point + h * (np.eye(n)[i] - np.eye(n)[j]))
                          - loglik(point - h * (np.eye(n)[i] - np.eye(n)[j]))
                          + loglik(point - h * (np.eye(n)[i] + np.eye(n)[j]))) / (4 * h * h)
                         for j in range(n)] for i in range(n)])
    assert np.allclose(information, -hessian, rtol=1e-5, atol=1e-5)


def test_tally_merges_identical_rows_and_maps_each_row_back():
    time = np.array([3.0, 1.0, 3.0, 2.0, 3.0])
    event = np.array([1, 0, 1, 1, 0])
    (distinct_time, distinct_event), counts, inverse = tally(time, event)
    assert distinct_time.tolist() == [1.0, 2.0, 3.0, 3.0]
    assert distinct_event.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert counts.tolist() == [1, 1, 1, 2]
    assert np.array_equal(distinct_time[inverse], time) and np.array_equal(distinct_event[inverse], event)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_frequency_weights_give_the_terms_of_the_expanded_data(ties):
    """Tied real data (gbsg2 times in whole days, resampled twice over) merged into weighted rows."""
    time, event, x = _two_arms("gbsg2")
    rows = np.random.default_rng(7).integers(0, len(time), 3 * len(time))
    time, event, x = np.round(time[rows], -1), event[rows], x[rows]
    group = rows % 3
    effects = np.array([0.2, -0.1, 0.3])
    (t, e, w_x, g), counts, _ = tally(time, event, x, group)
    assert len(counts) < len(time) / 2  # the data really are tied
    expanded = RiskSets(time, event, x, ties=ties)
    weighted = RiskSets(t, e, w_x, ties=ties, weights=counts)
    for field in ("score", "information", "log_likelihood", "risk_total", "n_deaths"):
        assert np.allclose(getattr(expanded.terms(-0.4, effects[group]), field),
                           getattr(weighted.terms(-0.4, effects[g.astype(int)]), field), rtol=1e-12), field
    assert weighted.fit() == pytest.approx(expanded.fit(), abs=1e-12)
    assert np.allclose(expanded.information_with_groups(-0.4, effects[group], group, 3),
                       weighted.information_with_groups(-0.4, effects[g.astype(int)], g.astype(int), 3),
                       rtol=1e-10)
