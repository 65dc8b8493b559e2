"""Pooled survival of each treatment group across studies (study-stratified).

A naive Kaplan-Meier of all patients of a group pooled together mixes
studies with different follow-up and baseline risk. Instead, at each time
t, each study's Kaplan-Meier estimate is put on the complementary log-log
scale, ``log(-log S_i(t))`` with delta-method variance
``greenwood_i(t) / log(S_i(t))^2``, and pooled with DerSimonian-Laird
random effects; the pooled estimate and its 95% CI are transformed back.
This is the univariate, per-time-point form of the approach of Combescure
et al. (2014), here on the cloglog scale and with DerSimonian-Laird (closed
form, so thousands of time points pool in milliseconds).

Conventions: at time t only studies followed up to t contribute (the
``k`` column of the curves says how many, so the end of a curve, where few
studies remain, can be read with care). A study whose KM is still 1 (no
event yet) has no variance on this scale; it enters with half an event
among its patients (``S = 1 - 0.5 / n``), the usual continuity correction,
so early times are not driven by the one study with an early event. A KM
of 0 (everyone has died) is left out. Before the first event of any study
the pooled curve is 1. The pooled median is the first time the pooled
curve is at or below 0.5, and its CI the first times the lower and upper
limits are.

References
----------
Combescure C, Foucher Y, Jackson D (2014). Meta-analysis of single-arm
survival data using the multivariate DerSimonian-Laird method.
Stat Med 33:2521-2537.
DerSimonian R, Laird N (1986). Control Clin Trials 7:177-188.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta.km import KaplanMeier, from_loglog, kaplan_meier


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
        ``arm, time, survival, ci_low, ci_high, tau2, k, followed``: the pooled curves.
    """
    summaries, curves = [], []
    for arm, group in ipd.groupby("arm", sort=True):
        kms = [kaplan_meier(study["time"], study["event"]) for _, study in group.groupby("study", sort=True)]
        event_times = np.unique(group.loc[group["event"] == 1, "time"])
        times = np.unique(np.concatenate(([0.0], event_times, np.asarray(milestones, dtype=float))))
        times = times[times <= max(km.max_time for km in kms)]
        curve = pooled_curve(kms, times)
        curves.append(curve.assign(arm=arm))
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
    curve_columns = ["arm", "time", "survival", "ci_low", "ci_high", "tau2", "k", "followed"]
    return pd.DataFrame(summaries)[columns], pd.concat(curves, ignore_index=True)[curve_columns]
