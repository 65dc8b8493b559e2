"""Score digitized Kaplan-Meier curves against the true curves of a figure.

The measure is the integrated absolute error (IAE) over the plotted window,

    IAE = (1 / T) * integral from 0 to T of |S_digitized(t) - S_true(t)| dt,

with T the end of the true curve, i.e. the mean absolute survival error over time. It is the
measure of KM-GPT (median 0.0067) and of other published extractors (0.007-0.008), which
report it on a fine time grid; both curves here are step functions, so the integral is computed
exactly over the union of their breakpoints (the limit of an ever finer grid). Digitized arms are
matched to true arms by the Hungarian method on IAE (:func:`scipy.optimize.linear_sum_assignment`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

#: IAE given to a true arm when nothing at all was digitized (the largest possible value).
NO_CURVE_IAE = 1.0


def step_values(time, survival, at) -> np.ndarray:
    """Evaluate a right-continuous step function given by its corners.

    Parameters
    ----------
    time, survival : array_like
        Corners of the step function. Rows are sorted by time (stably, so that of two corners
        at one time, the later row, the value after the step, wins).
    at : array_like
        Times to evaluate at.

    Returns
    -------
    numpy.ndarray
        S(t) = survival of the last corner with ``time <= t``; before the first corner, the
        first corner's survival (a curve that does not reach back to 0 is held flat).
    """
    time, survival = np.asarray(time, float), np.asarray(survival, float)
    order = np.argsort(time, kind="stable")
    time, survival = time[order], survival[order]
    index = np.searchsorted(time, np.asarray(at, float), side="right") - 1
    return survival[np.clip(index, 0, None)]


def curve_errors(digitized: pd.DataFrame, true_time, true_survival, end: float) -> tuple[float, float]:
    """IAE and maximum absolute error of a digitized curve over ``[0, end]``.

    Parameters
    ----------
    digitized : pandas.DataFrame
        Columns ``time, survival``: the digitized corners of one arm.
    true_time, true_survival : array_like
        Corners of the true step function.
    end : float
        End of the window, the last time of the true curve.

    Returns
    -------
    iae : float
        Mean of |S_digitized - S_true| over ``[0, end]``, integrated exactly.
    max_error : float
        Largest |S_digitized - S_true| on any stretch of positive length.
    """
    breaks = np.unique(np.concatenate([[0.0, end], np.asarray(true_time, float),
                                       digitized["time"].to_numpy(float)]))
    breaks = breaks[(breaks >= 0) & (breaks <= end)]
    starts, widths = breaks[:-1], np.diff(breaks)
    gap = np.abs(step_values(digitized["time"], digitized["survival"], starts)
                 - step_values(true_time, true_survival, starts))
    return float(np.sum(gap * widths) / end), float(gap[widths > 0].max())


def score_curves(curves: pd.DataFrame, true_arms: list[dict]) -> dict:
    """Match digitized arms to true arms and score each match.

    Parameters
    ----------
    curves : pandas.DataFrame
        Digitized corners, columns ``arm, time, survival`` (the ``curves.csv`` contract).
    true_arms : list of dict
        The ``arms`` of a truth record: ``name`` and ``km`` (``time`` and ``survival`` lists).

    Returns
    -------
    dict
        ``iae``: mean IAE over the true arms; ``max_error``: largest error of any arm;
        ``arms``: per true arm, the digitized arm matched (or None), its ``iae`` and
        ``max_error``; ``n_true_arms``, ``n_found_arms``, ``n_missing``, ``n_extra``,
        ``right_n_arms``. A true arm left unmatched (fewer digitized arms than true ones, e.g.
        two close arms traced as one) is scored against the nearest digitized arm, so a merge
        costs what it hides; with no digitized arm at all it scores :data:`NO_CURVE_IAE`.
    """
    found = list(dict.fromkeys(curves["arm"])) if len(curves) else []
    iae = np.full((len(true_arms), len(found)), NO_CURVE_IAE)
    max_error = np.full_like(iae, NO_CURVE_IAE)
    for i, arm in enumerate(true_arms):
        true_time, true_survival = arm["km"]["time"], arm["km"]["survival"]
        for j, name in enumerate(found):
            iae[i, j], max_error[i, j] = curve_errors(curves[curves["arm"] == name], true_time,
                                                      true_survival, end=true_time[-1])
    rows, cols = linear_sum_assignment(iae) if found else (np.array([], int), np.array([], int))
    matched = dict(zip(rows.tolist(), cols.tolist()))
    per_arm = []
    for i, arm in enumerate(true_arms):
        j = matched.get(i, int(np.argmin(iae[i])) if found else None)
        per_arm.append({"true_arm": arm["name"], "matched": i in matched,
                        "digitized_arm": None if j is None else str(found[j]),
                        "iae": NO_CURVE_IAE if j is None else float(iae[i, j]),
                        "max_error": NO_CURVE_IAE if j is None else float(max_error[i, j])})
    return {"iae": float(np.mean([arm["iae"] for arm in per_arm])),
            "max_error": float(max(arm["max_error"] for arm in per_arm)),
            "arms": per_arm, "n_true_arms": len(true_arms), "n_found_arms": len(found),
            "n_missing": len(true_arms) - len(matched), "n_extra": len(found) - len(matched),
            "right_n_arms": len(found) == len(true_arms)}


def automatic_calibration(calibration) -> bool:
    """True when both axes were calibrated from the tick labels read by OCR, with no user input."""
    return calibration.x.source == "ocr" and calibration.y.source == "ocr"


def score_at_risk(at_risk: pd.DataFrame, true_at_risk: dict, arm_names: dict[str, str],
                  time_tolerance: float) -> float:
    """Share of the printed numbers at risk that were read right.

    Parameters
    ----------
    at_risk : pandas.DataFrame
        The numbers read, columns ``arm, time, n_risk`` (digitized arm names).
    true_at_risk : dict
        The truth record's ``at_risk``: lists ``arm``, ``time``, ``n_risk``.
    arm_names : dict
        Digitized arm name -> true arm name, from the curve matching of :func:`score_curves`.
    time_tolerance : float
        Largest difference between a read time and a printed one still taken as that column.

    Returns
    -------
    float
        Correct numbers over printed numbers; a number read at the wrong column, for the wrong
        arm or not at all is wrong.
    """
    truth = pd.DataFrame(true_at_risk)
    read = at_risk.assign(arm=at_risk["arm"].map(arm_names)).dropna(subset=["arm"])
    correct = 0
    for arm, time, n_risk in truth[["arm", "time", "n_risk"]].itertuples(index=False):
        same = read[(read["arm"] == arm) & (np.abs(read["time"] - time) <= time_tolerance)]
        correct += bool(len(same)) and int(same["n_risk"].iloc[0]) == n_risk
    return correct / len(truth)


def score_censor_marks(censor_marks: pd.DataFrame, true_arms: list[dict], arm_names: dict[str, str],
                       time_tolerance: float) -> dict:
    """Precision and recall of the censor marks found, pooled over a figure's arms.

    Several censorings at one time are one mark, so the truth is each arm's distinct censor
    times. A mark found is right when it lies within ``time_tolerance`` of a censor time of the
    true arm its curve was matched to; a censor time is found when a mark of that arm lies
    within ``time_tolerance`` of it (marks of close times overlap, so one mark may find two).

    Parameters
    ----------
    censor_marks : pandas.DataFrame
        The marks found, columns ``arm, time`` (digitized arm names).
    true_arms : list of dict
        The ``arms`` of a truth record: ``name`` and ``censor_times``.
    arm_names : dict
        Digitized arm name -> true arm name, from the curve matching of :func:`score_curves`;
        marks of an unmatched arm are all wrong.
    time_tolerance : float
        Largest distance (time units) between a mark and a censor time still taken as that time.

    Returns
    -------
    dict
        ``censor_precision`` (None when no mark was found), ``censor_recall`` (None when the
        truth has no censor time), ``n_marks_found``, ``n_censor_times``.
    """
    true_times = {arm["name"]: np.unique(np.asarray(arm["censor_times"], float)) for arm in true_arms}
    right_marks = found_times = n_marks = 0
    for arm, marks in censor_marks.groupby("arm", sort=True):
        times = marks["time"].to_numpy(float)
        n_marks += len(times)
        truth = true_times.get(arm_names.get(arm), np.empty(0))
        if len(truth):
            right_marks += int((np.abs(times[:, None] - truth[None, :]).min(axis=1) <= time_tolerance).sum())
    for name, truth in true_times.items():
        arms = [arm for arm, true_name in arm_names.items() if true_name == name]
        times = censor_marks.loc[censor_marks["arm"].isin(arms), "time"].to_numpy(float)
        if len(truth) and len(times):
            found_times += int((np.abs(truth[:, None] - times[None, :]).min(axis=1) <= time_tolerance).sum())
    n_true = sum(len(truth) for truth in true_times.values())
    return {"censor_precision": right_marks / n_marks if n_marks else None,
            "censor_recall": found_times / n_true if n_true else None,
            "n_marks_found": n_marks, "n_censor_times": n_true}
