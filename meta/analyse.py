"""The ``meta`` stage in one call: IPD of several studies -> every analysis."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from kmipd.errors import InputError
from meta.leave_one_out import leave_one_out
from meta.one_stage import one_stage
from meta.per_study import comparative_pairs, per_study
from meta.pooled_arms import pooled_arms
from meta.pooling import DEFAULT_CI, DEFAULT_MODEL, Pooled, check_method, pool_all
from meta.result import MetaResult


_POOLED_FIELDS = [field.name for field in fields(Pooled)]
#: Columns of the pooled table: the measure, the :class:`meta.pooling.Pooled` fields, and HR-scale copies.
POOLED_COLUMNS = (["measure", "milestone"] + _POOLED_FIELDS
                  + ["default", "hr", "hr_ci_low", "hr_ci_high", "hr_pi_low", "hr_pi_high"])
#: Columns of the leave-one-out table.
LEAVE_ONE_OUT_COLUMNS = ["measure", "milestone", "omitted"] + _POOLED_FIELDS


def measures(milestones=()) -> list[dict]:
    """The pooled measures: log HR, RMST difference, survival difference at each milestone.

    Each is a dict with ``measure``, ``milestone`` (or NaN) and the
    ``per_study`` columns of its estimate and SE.
    """
    found = [{"measure": "log_hr", "milestone": np.nan, "column": "log_hr", "se": "se_log_hr"},
             {"measure": "rmst_difference", "milestone": np.nan, "column": "rmst_difference",
              "se": "rmst_difference_se"}]
    for milestone in milestones:
        column = f"survival_difference_at_{milestone:g}"
        found.append({"measure": "survival_difference", "milestone": float(milestone),
                      "column": column, "se": f"{column}_se"})
    return found


def _check(ipd: pd.DataFrame, treatment: str, control: str) -> pd.DataFrame:
    missing = [c for c in ("study", "arm", "time", "event") if c not in ipd.columns]
    if missing:
        raise InputError(f"IPD lacks column(s) {', '.join(missing)}")
    if treatment == control:
        raise InputError(f"treatment and control are the same arm '{treatment}'")
    ipd = ipd.copy()
    ipd["study"] = ipd["study"].astype(str)
    ipd["arm"] = ipd["arm"].astype(str)
    ipd["time"] = pd.to_numeric(ipd["time"], errors="coerce").astype(float)
    if not np.all(np.isfinite(ipd["time"])) or (ipd["time"] < 0).any():
        raise InputError("every time must be a finite number >= 0")
    if not ipd["event"].isin([0, 1]).all():
        raise InputError("event must be 1 (event) or 0 (censored)")
    ipd["event"] = ipd["event"].astype(int)
    return ipd


def _default_tau(comparative: pd.DataFrame, tau: float | None) -> float:
    """tau: the largest time every compared arm of every study reaches, or the user's, checked.

    Arms with no follow-up at all (every time 0, a broken input) do not set the default: they
    would make it 0 and take the RMST of every study with them; their own RMST is then left out
    of the pooling (see its note).
    """
    last = comparative.groupby(["study", "arm"], sort=True)["time"].max()
    if tau is None:
        followed = last[last > 0]
        if followed.empty:
            raise InputError("no arm has any follow-up (every time is 0)")
        return float(followed.min())
    if not np.isfinite(tau) or tau <= 0:
        raise InputError(f"tau must be a positive number, got {tau}")
    short = last[last < tau]
    if len(short):
        (study, arm), reach = short.index[0], short.iloc[0]
        raise InputError(f"tau={tau:g} is beyond the follow-up of study '{study}' arm '{arm}' "
                         f"(last time {reach:g}); use a tau of at most {last.min():g}")
    return float(tau)


def _pool_measures(table: pd.DataFrame, milestones, model: str, ci_method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    pooled_rows, loo_rows = [], []
    for spec in measures(milestones):
        head = {"measure": spec["measure"], "milestone": spec["milestone"]}
        usable = table[np.isfinite(table[spec["column"]]) & (table[spec["se"]] > 0)]
        k = len(usable)
        if k < 2:
            note = ("one study: nothing pooled, see per_study" if k == 1
                    else "no study with an estimate: nothing pooled")
            pooled_rows.append({**head, "k": k, "note": note})
            continue
        left_out = sorted(set(table["study"]) - set(usable["study"]))
        for result in pool_all(usable[spec["column"]], usable[spec["se"]]):
            row = {**head, **result.as_row(),
                   "default": result.model == model and result.ci_method == ci_method}
            if left_out:  # no estimate (see per_study notes) or a zero SE (e.g. no event yet)
                row["note"] = "; ".join(filter(None, [row["note"], f"left out: {', '.join(left_out)}"]))
            if spec["measure"] == "log_hr":  # the hazard ratio itself, for reading
                row.update({f"hr_{name}" if name != "estimate" else "hr": np.exp(row[name])
                            for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")})
            pooled_rows.append(row)
        if k >= 3:
            loo = leave_one_out(usable["study"], usable[spec["column"]], usable[spec["se"]], model, ci_method)
            loo_rows.append(loo.assign(**head))
    loo = pd.concat(loo_rows, ignore_index=True) if loo_rows else pd.DataFrame()
    # the same columns whatever could be pooled, so the CSV files keep one layout
    return (pd.DataFrame(pooled_rows).reindex(columns=POOLED_COLUMNS),
            loo.reindex(columns=LEAVE_ONE_OUT_COLUMNS))


def analyse_outcome(ipd: pd.DataFrame, treatment: str, control: str, tau=None, milestones=(),
                    show_progress: bool = False, model: str = DEFAULT_MODEL, ci_method: str = DEFAULT_CI) -> dict:
    """Every analysis of one outcome; a dict of tables and notes (see :func:`analyse`)."""
    notes = []
    present = set(ipd["arm"])
    for label in (treatment, control):
        if label not in present:
            raise InputError(f"no arm '{label}' in the IPD (arms: {', '.join(sorted(present))})")
    comparative = comparative_pairs(ipd, treatment, control)
    if comparative.empty:
        raise InputError(f"no study has both arms '{treatment}' and '{control}'")
    arms_of = ipd.groupby("study")["arm"].unique()
    for study in sorted(set(arms_of.index) - set(comparative["study"])):
        notes.append(f"study {study} left out of every comparison: it lacks arm "
                     f"'{treatment if treatment not in arms_of[study] else control}' "
                     f"(its arms: {', '.join(sorted(arms_of[study]))})")
    tau = _default_tau(comparative, tau)
    table = per_study(ipd, treatment, control, tau, milestones, show_progress=show_progress)
    pooled, loo = _pool_measures(table, milestones, model, ci_method)
    if len(table) == 1:
        notes.append("one study: per-study results only, nothing is pooled")
    if len(table) == 2:
        notes.append("two studies: no leave-one-out analysis and no prediction interval (need 3)")
    corrected = pooled[pooled["default"].astype(bool) & pooled["note"].str.contains("ad hoc", na=False)]
    if len(corrected):
        labels = [row.measure.replace("_", " ") + (f" at {row.milestone:g}" if np.isfinite(row.milestone) else "")
                  for row in corrected.itertuples()]
        notes.append(f"the studies agree more closely than their SEs say (HKSJ factor < 1) for {', '.join(labels)}: "
                     "the ad-hoc correction widened those CIs to Wald's (pooled.csv's hksj rows keep the plain ones)")
    stage_one = one_stage(comparative, treatment, control)
    dropped = table.loc[table["note"].str.contains("left out of hazard-ratio pooling"), "study"]
    if len(dropped):
        notes.append(f"left out of hazard-ratio pooling (see their notes): {', '.join(dropped)}")
    arms_summary, curves = pooled_arms(ipd, milestones)
    return {"per_study": table, "pooled": pooled, "one_stage": stage_one, "leave_one_out": loo,
            "pooled_arms": arms_summary, "pooled_curves": curves, "tau": tau, "notes": notes}


def analyse(ipd: pd.DataFrame, treatment: str = "TKI+ICI", control: str = "TKI", tau: float | dict | None = None,
            milestones=None, outcome: str | None = None, show_progress: bool = False,
            time_unit: str = "", model: str = DEFAULT_MODEL, ci_method: str = DEFAULT_CI) -> MetaResult:
    """Per-study, two-stage, one-stage and pooled-arm analyses of IPD from several studies.

    Parameters
    ----------
    ipd : DataFrame
        ``study, arm, time, event`` and optionally ``outcome`` (one row a patient).
    treatment, control : str
        Arm labels compared (hazard ratio of treatment vs control, RMST and
        survival differences treatment minus control).
    tau : float or dict of str -> float, optional
        RMST truncation time, or one per outcome (``{"OS": 24, "PFS": 12}``;
        an outcome it does not name takes the default); by default the largest
        time every compared arm of every study reaches (reported in the result).
    milestones : sequence of float, optional
        Times for survival (per study, differences pooled, pooled arms).
    outcome : str, optional
        Analyse only this outcome; by default every outcome in the ``outcome``
        column (or the whole table when there is none).
    show_progress : bool
        Print a progress line per study to standard error (the CLI does).
    time_unit : str, optional
        The unit of the times (``"months"``), stated in the results and on every time axis.
    model, ci_method : str
        The pooling reported as the result (``default`` in ``pooled``; the
        forests, the headline and the leave-one-out analysis): a model of
        :data:`meta.pooling.MODELS` and a CI method of
        :data:`meta.pooling.CI_METHODS`; every combination is in ``pooled``
        anyway. By default REML with the HKSJ CI, ad-hoc corrected.

    Returns
    -------
    MetaResult

    Raises
    ------
    InputError
        When an arm is missing, no study has both arms, or tau is beyond follow-up.

    Examples
    --------
    >>> from benchmarks.datasets import load
    >>> ipd = load("gbsg2").assign(study=lambda d: (d.index % 3).astype(str))
    >>> result = analyse(ipd, treatment="hormone", control="no hormone")
    >>> result.pooled.query("default & measure == 'log_hr'")[["estimate", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    check_method(model, ci_method)
    ipd = _check(ipd, treatment, control)
    milestones = sorted(float(m) for m in (milestones or ()))
    if any(m <= 0 for m in milestones):
        raise InputError("milestones must be positive times")
    if "outcome" in ipd.columns:
        ipd["outcome"] = ipd["outcome"].astype(str)
        outcomes = sorted(ipd["outcome"].unique())
        if outcome is not None:
            if outcome not in outcomes:
                raise InputError(f"no outcome '{outcome}' in the IPD (outcomes: {', '.join(outcomes)})")
            outcomes = [outcome]
    elif outcome is not None:
        raise InputError(f"outcome '{outcome}' asked for but the IPD has no outcome column")
    else:
        outcomes = [""]
    if isinstance(tau, dict):
        unknown = sorted(set(tau) - set(outcomes))
        if unknown:
            raise InputError(f"tau is given for outcome(s) {', '.join(unknown)} that the IPD does not have "
                             f"(outcomes: {', '.join(o for o in outcomes if o) or 'none'})")
    parts, subsets = {}, {}
    for name in outcomes:
        subset = ipd[ipd["outcome"] == name] if name else ipd
        subsets[name] = subset
        try:
            outcome_tau = tau.get(name) if isinstance(tau, dict) else tau
            parts[name] = analyse_outcome(subset, treatment, control, outcome_tau, milestones, show_progress,
                                          model, ci_method)
        except InputError as error:
            if name:
                error.message = f"outcome {name}: {error.message}"
                error.args = (error.message,)
            raise
    return MetaResult.from_outcomes(parts, treatment=treatment, control=control, milestones=milestones,
                                    ipd=subsets, time_unit=time_unit, model=model, ci_method=ci_method)
