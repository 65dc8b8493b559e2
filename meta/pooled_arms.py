"""Pooled survival of each treatment group across studies (study-stratified).

A naive Kaplan-Meier of all patients of a group pooled together mixes
studies with different follow-up and baseline risk. Two study-stratified
estimates are made instead, each for what it does best.

**The pooled curve** (drawn, and the ``survival, ci_low, ci_high`` columns
of ``pooled_curves``) is the average-hazard estimator: at each event time
t the pooled hazard increment is the weighted mean of the studies'
Kaplan-Meier (Nelson-Aalen) increments ``d_j(t) / Y_j(t)`` over the studies
still at risk at t, with fixed study weights (the number of patients of the
arm in the study) renormalised over those studies; ``S(t) = prod (1 -
dLambda)``. Every factor lies in [0, 1], so the curve never increases, also
where a study's follow-up ends. Its variance is Greenwood's formula with the
weights, ``Var S(t) = S(t)^2 sum_t sum_j w_j(t)^2 d_j / (Y_j (Y_j - d_j))``,
and its 95% band is on the log(-log) scale. With one study, or with
identical studies, it is their Kaplan-Meier estimate and band exactly.
Weighting by study size rather than inverse variance keeps the weights
fixed over time (inverse-variance weights depend on the time at which they
are taken). Neither lifelines nor scipy has this estimator, so it is
written here.

**The pooled median and milestone survival** (``pooled_arms.csv``) are
random-effects pools, so that their CIs carry the between-study
heterogeneity: at each time t each study's Kaplan-Meier estimate is put on
the complementary log-log scale, ``log(-log S_i(t))`` with delta-method
variance ``greenwood_i(t) / log(S_i(t))^2``, and pooled with
DerSimonian-Laird random effects; the pooled estimate and its 95% CI are
transformed back. This is the univariate, per-time-point form of the
approach of Combescure et al. (2014), here on the cloglog scale and with
DerSimonian-Laird (closed form, so thousands of time points pool in
milliseconds). Taken over all times it is not a survival curve: it can step
up where a study stops being followed, as the mix of studies changes. It
is kept in ``pooled_curves`` as ``re_survival, re_ci_low, re_ci_high`` (and
``tau2``) and read at the milestones and at 0.5; when the studies agree it
is close to the drawn curve, and where they differ the random-effects
values are the ones to quote, the curve the picture of the shape.

Conventions of the random-effects pool: at time t only studies followed up
to t contribute (the ``k`` column of the curves says how many, ``followed``
how many are followed up, and hence enter the drawn curve). A study whose
KM is still 1 (no event yet) has no variance on this scale; it enters with
half an event among its patients (``S = 1 - 0.5 / n``), the usual
continuity correction, so early times are not driven by the one study with
an early event. A KM of 0 (everyone has died) is left out. Before the first
event of any study the pooled curve is 1. The pooled median is the first
time the pooled curve is at or below 0.5, and its CI the first times the
lower and upper limits are.

References
----------
Combescure C, Foucher Y, Jackson D (2014). Meta-analysis of single-arm
survival data using the multivariate DerSimonian-Laird method.
Stat Med 33:2521-2537.
DerSimonian R, Laird N (1986). Control Clin Trials 7:177-188.
Greenwood M (1926). The errors of sampling of the survivorship tables.
Reports on Public Health 33.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta.km import KaplanMeier, from_loglog, kaplan_meier, loglog_band


def _dl_pool(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise DerSimonian-Laird pooling of ``y`` (times x studies; NaN = absent)."""
    present = np.isfinite(y) & np.isfinite(v) & (v > 0)
    w = np.where(present, 1.0 / np.where(present, v, 1.0), 0.0)
    y0 = np.where(present, y, 0.0)
    sum_w = w.sum(axis=1)
    k = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_common = (w * y0).sum(axis=1) / sum_w
        q = (w * (y0 - mean_common[:, None]) ** 2).sum(axis=1)
        c = sum_w - (w**2).sum(axis=1) / sum_w
        tau2 = np.where((k > 1) & (c > 0), np.maximum(0.0, (q - (k - 1)) / c), 0.0)
        w_random = np.where(present, 1.0 / (np.where(present, v, 1.0) + tau2[:, None]), 0.0)
        mean = (w_random * y0).sum(axis=1) / w_random.sum(axis=1)
        se = np.sqrt(1.0 / w_random.sum(axis=1))
    return mean, se, tau2, k


def pooled_curve(kms: list[KaplanMeier], times) -> pd.DataFrame:
    """Pool several studies' Kaplan-Meier estimates of one group at ``times``.

    Parameters
    ----------
    kms : list of KaplanMeier
        One per study.
    times : array_like
        Ascending times at which to pool.

    Returns
    -------
    DataFrame
        ``time, survival, ci_low, ci_high, tau2, k, followed``: ``k`` studies
        pooled at that time, ``followed`` studies still followed up.
    """
    times = np.asarray(times, dtype=float)
    y = np.full((len(times), len(kms)), np.nan)
    v = np.full_like(y, np.nan)
    followed = np.zeros_like(y, dtype=bool)
    for j, km in enumerate(kms):
        survival, greenwood = km.at(times)
        followed[:, j] = times <= km.max_time
        # before a study's first event: half an event among its n patients
        n = km.n_risk[0]
        no_event_yet = followed[:, j] & (survival >= 1.0)
        survival = np.where(no_event_yet, 1.0 - 0.5 / n, survival)
        greenwood = np.where(no_event_yet, 0.5 / (n * (n - 0.5)), greenwood)
        usable = followed[:, j] & (survival > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            y[usable, j] = np.log(-np.log(survival[usable]))
            v[usable, j] = greenwood[usable] / np.log(survival[usable]) ** 2
    mean, se, tau2, k = _dl_pool(y, v)
    survival, ci_low, ci_high = from_loglog(mean, se)
    # before any event in any study the pooled curve is 1, not the corrected value
    first_event = min((km.time[km.n_event > 0][0] for km in kms if km.n_event.any()), default=np.inf)
    before_any = times < first_event
    survival[before_any] = ci_low[before_any] = ci_high[before_any] = 1.0
    return pd.DataFrame({"time": times, "survival": survival, "ci_low": ci_low,
                         "ci_high": ci_high, "tau2": tau2, "k": k, "followed": followed.sum(axis=1)})


def stratified_curve(kms: list[KaplanMeier], times, weights=None) -> pd.DataFrame:
    """Average-hazard pooled survival of one group at ``times`` (see the module notes).

    Parameters
    ----------
    kms : list of KaplanMeier
        One per study.
    times : array_like
        Ascending times; they must include every event time of every study
        for the product to be the estimator (the times in between only add
        points to the step function).
    weights : array_like, optional
        A fixed weight per study; default the study's number of patients.

    Returns
    -------
    DataFrame
        ``time, survival, ci_low, ci_high, followed``: S(t) just after t, its
        95% log(-log) band, and the number of studies at risk at t.
    """
    times = np.asarray(times, dtype=float)
    weights = np.array([km.n_risk[0] for km in kms] if weights is None else weights, dtype=float)
    at_risk = np.zeros((len(times), len(kms)))
    deaths = np.zeros_like(at_risk)
    for j, km in enumerate(kms):
        index = np.searchsorted(km.time, times, side="left")
        inside = index < len(km.time)
        at_risk[inside, j] = km.n_risk[index[inside]]
        exact = inside & (km.time[np.minimum(index, len(km.time) - 1)] == times)
        deaths[exact, j] = km.n_event[index[exact]]
    share = np.where(at_risk > 0, weights, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.nan_to_num(share / share.sum(axis=1, keepdims=True))
        hazard = np.where(at_risk > 0, deaths / at_risk, 0.0)
        # as in kaplan_meier: nothing is added once everyone at risk in a study has died
        greenwood = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    survival = np.cumprod(1.0 - (share * hazard).sum(axis=1))
    ci_low, ci_high = loglog_band(survival, np.cumsum((share**2 * greenwood).sum(axis=1)))
    return pd.DataFrame({"time": times, "survival": survival, "ci_low": ci_low, "ci_high": ci_high,
                         "followed": (at_risk > 0).sum(axis=1)})


def _first_time_at_or_below_half(curve: pd.DataFrame, column: str) -> float:
    below = curve.index[curve[column] <= 0.5]
    return float(curve.loc[below[0], "time"]) if len(below) else np.inf


def pooled_arms(ipd: pd.DataFrame, milestones=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled curve, median and milestone survival for every arm label.

    Parameters
    ----------
    ipd : DataFrame
        ``study, arm, time, event``; every arm label is one group, pooled
        over the studies that have it (one study is fine).
    milestones : sequence of float
        Times for pooled survival.

    Returns
    -------
    summary : DataFrame
        One row per arm and quantity (``median`` or ``survival``):
        ``arm, quantity, time, estimate, ci_low, ci_high, k, n, events, note``.
    curves : DataFrame
        ``arm, time, survival, ci_low, ci_high, tau2, k, followed, re_survival,
        re_ci_low, re_ci_high``: the average-hazard pooled curve and its band
        (:func:`stratified_curve`), then the per-time-point random-effects pool
        (:func:`pooled_curve`) with its tau^2, the number of studies ``k`` it
        pooled, and the number of studies ``followed`` up (at risk) at each time.
    """
    summaries, curves = [], []
    for arm, group in ipd.groupby("arm", sort=True):
        kms = [kaplan_meier(study["time"], study["event"]) for _, study in group.groupby("study", sort=True)]
        event_times = np.unique(group.loc[group["event"] == 1, "time"])
        # each study's end of follow-up too, so a curve is drawn right up to where studies stop
        ends = [km.max_time for km in kms]
        times = np.unique(np.concatenate(([0.0], event_times, ends, np.asarray(milestones, dtype=float))))
        times = times[times <= max(ends)]
        curve = pooled_curve(kms, times)
        drawn = stratified_curve(kms, times)
        curves.append(drawn.drop(columns="followed").assign(
            arm=arm, tau2=curve["tau2"], k=curve["k"], followed=curve["followed"], re_survival=curve["survival"],
            re_ci_low=curve["ci_low"], re_ci_high=curve["ci_high"]))
        base = {"arm": arm, "k": len(kms), "n": len(group), "events": int(group["event"].sum())}
        median = _first_time_at_or_below_half(curve, "survival")
        summaries.append({**base, "quantity": "median", "time": np.nan, "estimate": median,
                          "ci_low": _first_time_at_or_below_half(curve, "ci_low"),
                          "ci_high": _first_time_at_or_below_half(curve, "ci_high"),
                          "note": "" if np.isfinite(median) else "median not reached"})
        for milestone in milestones:
            at = curve[curve["time"] == milestone]
            if at.empty:
                summaries.append({**base, "quantity": "survival", "time": milestone, "estimate": np.nan,
                                  "ci_low": np.nan, "ci_high": np.nan,
                                  "note": f"no study of {arm} followed up to {milestone:g}"})
                continue
            row = at.iloc[0]
            summaries.append({**base, "quantity": "survival", "time": milestone, "estimate": row["survival"],
                              "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                              "note": f"pooled over {int(row['k'])} of {len(kms)} studies"})
    columns = ["arm", "quantity", "time", "estimate", "ci_low", "ci_high", "k", "n", "events", "note"]
    curve_columns = ["arm", "time", "survival", "ci_low", "ci_high", "tau2", "k", "followed",
                     "re_survival", "re_ci_low", "re_ci_high"]
    return pd.DataFrame(summaries)[columns], pd.concat(curves, ignore_index=True)[curve_columns]
