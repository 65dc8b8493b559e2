"""Per-study analyses of a treatment-versus-control comparison.

For each study: N and events per arm; KM median with 95% CI (R's
``survfit`` default log band and quantile rule); survival at
milestones with Greenwood SE and their difference; the Cox hazard ratio
(Efron ties, as R's ``coxph`` and lifelines) with Wald CI and p; the
log-rank test (R's ``survdiff``); the Grambsch-Therneau PH test (R's
``cox.zph``, KM time scale); and RMST per arm at tau with their difference
(survRM2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmipd.progress import progress
from meta.distributions import normal_sf
from meta.km import Z_95, kaplan_meier, logrank, median_with_ci
from meta.risk_sets import RiskSets, tally
from meta.rmst import RMST, rmst, rmst_difference
from meta.zph import ph_test

#: The two roles of a comparison, in column names.
ROLES = ("treatment", "control")
#: A fitted |log HR| beyond this (HR outside 1e-7 .. 1e7) means the partial likelihood has no maximum.
MAX_ABS_LOG_HR = 16.0


def cox_hazard_ratio(time, event, treated) -> dict:
    """Cox log hazard ratio of ``treated`` (Efron ties), SE, 95% CI, Wald p, PH test.

    The partial likelihood is maximised by :meth:`meta.risk_sets.RiskSets.fit`
    (the same Efron likelihood as lifelines ``CoxPHFitter`` and R ``coxph``,
    checked against lifelines in the tests; a lifelines fit costs ~80 ms, too
    slow for pooling many studies).
    """
    (distinct_time, distinct_event, distinct_treated), counts, _ = tally(time, event, treated)
    risk_sets = RiskSets(distinct_time, distinct_event, distinct_treated, weights=counts)
    log_hr = risk_sets.fit()
    if not abs(log_hr) <= MAX_ABS_LOG_HR:
        return {"log_hr": log_hr}
    se = 1.0 / np.sqrt(risk_sets.terms(log_hr).information.sum())
    zph = ph_test(time, event, treated, log_hr)
    return {**hazard_ratio_summary(log_hr, se), "ph_chisq": zph.chisq, "ph_p": zph.p_value}


def hazard_ratio_summary(log_hr: float, se: float) -> dict:
    """log HR, its SE, the HR with its 95% Wald CI, and the Wald p-value."""
    return {"log_hr": log_hr, "se_log_hr": se, "hr": np.exp(log_hr),
            "hr_ci_low": np.exp(log_hr - Z_95 * se), "hr_ci_high": np.exp(log_hr + Z_95 * se),
            "hr_p": 2 * normal_sf(abs(log_hr) / se)}


def study_row(study: pd.DataFrame, treatment: str, control: str, tau: float,
              milestones=()) -> dict:
    """All per-study results of one two-arm study, as one flat dict.

    Parameters
    ----------
    study : DataFrame
        Columns ``arm, time, event`` of one study (other arms are ignored).
    treatment, control : str
        The arm labels compared.
    tau : float
        RMST truncation time; at most each arm's last observed time.
    milestones : sequence of float
        Times at which to report survival.

    Returns
    -------
    dict
        Flat, CSV-ready; ``note`` says why any value is missing.
    """
    row: dict = {}
    notes = []
    rmsts = {}
    for role, label in zip(ROLES, (treatment, control)):
        arm = study[study["arm"] == label]
        km = kaplan_meier(arm["time"], arm["event"])
        median, low, high = median_with_ci(km)
        # An RMST up to tau needs follow-up up to tau (the default tau is chosen so; an arm with
        # no follow-up at all is the exception, and gets none).
        rmsts[role] = rmst(km, tau) if tau <= km.max_time else RMST(np.nan, np.nan, tau)
        if tau > km.max_time:
            notes.append(f"{label} followed up only to {km.max_time:g}, not to tau {tau:g}: no RMST")
        row.update({
            f"n_{role}": len(arm), f"events_{role}": int(arm["event"].sum()),
            f"median_{role}": median, f"median_{role}_ci_low": low, f"median_{role}_ci_high": high,
            f"rmst_{role}": rmsts[role].estimate, f"rmst_{role}_se": rmsts[role].se,
        })
        if not np.isfinite(median):
            notes.append(f"median of {label} not reached")
        for milestone in milestones:
            survival, greenwood = km.at([milestone])
            estimable = milestone <= km.max_time
            row[f"survival_{role}_at_{milestone:g}"] = survival[0] if estimable else np.nan
            row[f"survival_{role}_at_{milestone:g}_se"] = (survival[0] * np.sqrt(greenwood[0])
                                                          if estimable else np.nan)
            if not estimable:
                notes.append(f"{label} followed up only to {km.max_time:g}, not to milestone {milestone:g}")
    for milestone in milestones:
        first, second = (row[f"survival_{role}_at_{milestone:g}"] for role in ROLES)
        se_first, se_second = (row[f"survival_{role}_at_{milestone:g}_se"] for role in ROLES)
        row[f"survival_difference_at_{milestone:g}"] = first - second
        row[f"survival_difference_at_{milestone:g}_se"] = np.hypot(se_first, se_second)
    difference = rmst_difference(rmsts["treatment"], rmsts["control"])
    row.update({"tau": tau, "rmst_difference": difference.estimate, "rmst_difference_se": difference.se,
                "rmst_difference_ci_low": difference.ci_low, "rmst_difference_ci_high": difference.ci_high,
                "rmst_difference_p": difference.p_value})

    pair = study[study["arm"].isin([treatment, control])]
    treated = (pair["arm"] == treatment).to_numpy(dtype=float)
    test = logrank(pair["time"], pair["event"], treated.astype(bool))
    row.update({"logrank_chisq": test.chisq, "logrank_p": test.p_value})
    no_events = [label for role, label in zip(ROLES, (treatment, control)) if row[f"events_{role}"] == 0]
    cox = {} if no_events else cox_hazard_ratio(pair["time"].to_numpy(), pair["event"].to_numpy(), treated)
    if no_events:
        notes.append(f"no events in arm {', '.join(no_events)}: hazard ratio and PH test not estimable, "
                     "study left out of hazard-ratio pooling")
        if row["events_treatment"] + row["events_control"] == 0:
            notes.append("no events in either arm: log-rank test not estimable")
    elif not abs(cox["log_hr"]) <= MAX_ABS_LOG_HR:
        # monotone likelihood: every event of one arm happens where the other arm has none at risk
        notes.append("Cox model does not converge (monotone likelihood, the hazard ratio is 0 or "
                     "infinite): study left out of hazard-ratio pooling")
        cox = {}
    row.update(cox or dict.fromkeys(["log_hr", "se_log_hr", "hr", "hr_ci_low", "hr_ci_high", "hr_p",
                                     "ph_chisq", "ph_p"], np.nan))
    row["note"] = "; ".join(notes)
    return row


def per_study(ipd: pd.DataFrame, treatment: str, control: str, tau: float, milestones=(),
              show_progress: bool = False) -> pd.DataFrame:
    """:func:`study_row` for every study holding both arms, one row per study (input order).

    With ``show_progress``, a line per study goes to standard error.
    """
    rows = []
    studies = list(comparative_pairs(ipd, treatment, control).groupby("study", sort=False))
    for name, study in progress(studies, "meta: per-study analyses") if show_progress else studies:
        rows.append({"study": name, **study_row(study, treatment, control, tau, milestones)})
    return pd.DataFrame(rows)


def comparative_pairs(ipd: pd.DataFrame, treatment: str, control: str) -> pd.DataFrame:
    """The treatment and control rows of the studies that have both arms (input order kept)."""
    pair = ipd[ipd["arm"].isin([treatment, control])]
    treated = pair["arm"] == treatment
    both = np.intersect1d(pair.loc[treated, "study"].unique(), pair.loc[~treated, "study"].unique())
    return pair[pair["study"].isin(both)]
