"""Reconstruction of IPD from one arm's curve (:func:`reconstruct_arm`) or a whole figure (:func:`reconstruct`)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from kmipd.errors import InputError
from reconstruct.at_risk import (AtRiskTableError, CurveTableConflict, check_at_risk, snap_to_table,
                                 table_shortfall)
from reconstruct.censoring import CensoringModel
from reconstruct.clean import clean_curve, merge_subevent_drops
from reconstruct.counts import fit_counts
from reconstruct.result import (ArmReconstruction, Reconstruction, build_intervals, kaplan_meier,
                                step_distance)

#: Deaths fewer than a drop's size suggests that a smoothed (jittered) curve may have.
SPARE_DEATHS = 2
#: Bisection steps of each search for a published total of events.
MAX_SEARCH_STEPS = 40
#: How far (in survival noises) a curve may fall below what its at-risk table allows and the table
#: still be followed: a pixel, four times the quarter pixel a traced level is read to.
READING_ERROR_NOISES = 4.0


def reconstruct_arm(curve: pd.DataFrame, at_risk: pd.DataFrame | None = None, *,
                    n_total: int | None = None, total_events: int | None = None,
                    censor_times=None, survival_noise: float | None = None,
                    time_error: float | None = None) -> ArmReconstruction:
    """Reconstruct the individual patient data of one arm from its KM curve.

    The curve is cleaned (:func:`reconstruct.clean.clean_curve`), the
    at-risk table checked (:func:`reconstruct.at_risk.check_at_risk`), the
    number at risk and deaths at every drop chosen by an exact dynamic
    programme that meets the table and fits the relative size of every drop
    (:func:`reconstruct.counts.fit_counts`), and censored patients are given
    times evenly between events or at the censor marks
    (:class:`reconstruct.censoring.CensoringModel`).

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``time, survival``: digitized points, in any order, not necessarily clean.
    at_risk : pandas.DataFrame, optional
        Columns ``time, n_risk``: the numbers-at-risk table under the figure.
    n_total : int, optional
        Number of patients; needed when there is no table or it lacks time 0.
    total_events : int, optional
        Published total of events; the reconstruction then has exactly this
        many when the curve allows it (a note says so otherwise).
    censor_times : array_like, optional
        Times of the censor marks drawn on the curve.
    survival_noise : float, optional
        Standard deviation of the digitizing error of a survival value;
        estimated from the points by default. A digitizer that traces clean
        step functions should say it (see
        :attr:`digitize.result.DigitizationResult.survival_noise`): the drop
        sizes are otherwise taken as exact.
    time_error : float, optional
        How far digitizing may have moved a drop in time (time units);
        estimated from the points by default (see :func:`reconstruct.clean.clean_curve`).

    Returns
    -------
    ArmReconstruction

    Raises
    ------
    InputError
        If the curve holds no drop, the table contradicts itself or the curve,
        or neither a table nor ``n_total`` is given. A curve that falls below
        what the table allows by no more than its reading error (a pixel,
        :data:`READING_ERROR_NOISES` survival noises) is not refused: the
        table is followed and a note says so; further below,
        :class:`reconstruct.at_risk.CurveTableConflict` says where.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier
    survival curves. BMC Med Res Methodol 2012;12:9.

    Examples
    --------
    >>> from benchmarks.datasets import load
    >>> from benchmarks.km_points import km_step_corners, at_risk_table
    >>> ipd = load("leukemia").query("arm == '6-MP'")
    >>> result = reconstruct_arm(km_step_corners(ipd), at_risk_table(ipd, [0, 10, 20, 30]))
    >>> result.n_total, result.n_events
    (21, 9)
    """
    drops = clean_curve(curve["time"], curve["survival"], survival_noise, time_error)
    notes = list(drops.notes)
    if at_risk is not None and len(at_risk):
        table_time, table_n, table_notes = check_at_risk(
            at_risk["time"], at_risk["n_risk"], end_time=drops.end_time, n_total=n_total)
        notes += table_notes
    elif n_total is not None:
        if n_total < 1:
            raise InputError(f"the number of patients must be positive, got {n_total}")
        table_time, table_n = np.zeros(1), np.array([n_total])
    else:
        raise InputError("give the numbers-at-risk table or the number of patients (--n ARM=N)")
    if total_events is not None and not 0 < total_events <= table_n[0]:
        raise InputError(f"total events {total_events} must be between 1 and N = {table_n[0]}")

    censoring = CensoringModel(drops, table_time, table_n, censor_times)
    if drops.smoothed:
        drops = merge_subevent_drops(drops, censoring.expected_at_risk(drops.time), table_time)
        censoring = CensoringModel(drops, table_time, table_n, censor_times)

    def fitter(spare_deaths: int):
        """:func:`fit_counts` of this arm's drops, up to ``spare_deaths`` deaths short of their sizes."""
        def fit(times, model: CensoringModel, price: float = 0.0):
            return fit_counts(times, drops.before, drops.after, drops.drop_noise, model, price,
                              spare_deaths=spare_deaths)
        return fit

    spare_deaths = SPARE_DEATHS if drops.smoothed else 0
    fit = fitter(spare_deaths)

    try:
        drop_time, counts = _read_drop_times(fit, censoring, drops, table_time)
    except AtRiskTableError:
        # The curve and the table are two readings of one arm: within the curve's reading error the
        # table is followed (fewer deaths than the drops' sizes say), beyond it the conflict is named.
        shortfall = table_shortfall(snap_to_table(drops.time, table_time, drops.time_error), drops.after,
                                    drops.before[0], table_time, table_n)
        reading_error = READING_ERROR_NOISES * drops.noise
        if shortfall.survival > reading_error:
            raise CurveTableConflict(
                f"the at-risk count {shortfall.n_risk} at time {shortfall.time:g} cannot be met: "
                f"{shortfall.describe()}; the curve or the table is misread near time {shortfall.time:g}",
                shortfall.time) from None
        # A level misread by the reading error at survival S with n at risk is that error * n / S
        # deaths, at most reading error * N (n <= N * S).
        fit = fitter(max(spare_deaths, int(np.ceil(reading_error * table_n[0]))))
        drop_time, counts = _read_drop_times(fit, censoring, drops, table_time)
        notes.append(f"the curve falls up to {max(shortfall.survival, 0.0):.3f} below what the at-risk "
                     f"table allows (at time {shortfall.time:g}), within its reading error: the table "
                     "was followed, with fewer deaths than the drops' sizes say")
    if total_events is not None:
        censoring, counts = _meet_total_events(partial(fit, drop_time), censoring, total_events,
                                               counts)
        if counts.events.sum() != total_events:
            notes.append(f"total events {total_events} cannot be met by this curve and table; "
                         f"{counts.events.sum()} is the closest")

    death_times = np.repeat(drop_time, counts.events)
    start, end, count = counts.censored.T
    tail_start = max(drop_time[-1], table_time[-1])
    time = np.r_[death_times, censoring.censor_times(start, end, count.astype(np.int64)),
                 censoring.censor_times(tail_start, drops.end_time, counts.remaining, tail=True)]
    event = np.r_[np.ones(death_times.size, dtype=np.int64), np.zeros(time.size - death_times.size,
                                                                     dtype=np.int64)]
    order = np.lexsort((event, time))
    time, event = time[order], event[order]

    km_time, km_survival = kaplan_meier(time, event)
    distance = step_distance(km_time, km_survival, drops.points_time, drops.points_survival,
                             drops.time_error)
    result = ArmReconstruction(
        ipd=pd.DataFrame({"time": time, "event": event}),
        intervals=build_intervals(time, event, table_time, table_n),
        max_abs_error=float(distance.max()), mean_abs_error=float(distance.mean()), notes=notes,
        curve=pd.DataFrame({"time": drops.points_time, "survival": drops.points_survival}))
    worst = int(np.argmax(distance))
    if distance[worst] > 0.05 + 4 * drops.noise:
        notes.append(f"the reconstruction misses the curve by {distance[worst]:.3f} at time "
                     f"{drops.points_time[worst]:g}: the curve disagrees with the at-risk table, "
                     "N or total events")
    return result


def _read_drop_times(fit, censoring: CensoringModel, drops, table_time):
    """The drop times as given, or moved onto the table times just after them if that fits better.

    Digitizing can put a drop at a table time a little before it (see
    :func:`reconstruct.at_risk.snap_to_table`); both readings are fitted and
    the one of lower cost wins (the one that fits at all, if only one does).

    Returns
    -------
    drop_time : ndarray
    counts : Counts
        The fit of those drop times.
    """
    snapped = snap_to_table(drops.time, table_time, drops.time_error)
    if np.array_equal(snapped, drops.time):
        return drops.time, fit(drops.time, censoring)
    fits = []
    for times in (drops.time, snapped):
        try:
            fits.append(fit(times, censoring))
        except AtRiskTableError:
            fits.append(None)
    if fits[0] is None and fits[1] is None:
        fit(snapped, censoring)  # raises the table's error
    costs = [np.inf if counts is None else counts.cost for counts in fits]
    return (snapped, fits[1]) if costs[1] < costs[0] else (drops.time, fits[0])


def _meet_total_events(fit, censoring: CensoringModel, total_events: int, counts):
    """Find the censoring pace, then if need be a price per death, giving ``total_events`` deaths.

    As Guyot et al. (2012) do, the published total fixes the censoring after
    the last table time: its pace is bisected (faster censoring, fewer
    deaths). Where the curve's drop sizes resist, a price per death (a
    Lagrange multiplier, doubled until it brackets the target, then
    bisected) finishes the job. Both searches are bounded; the closest fit wins.

    ``counts`` is the fit with ``censoring`` as it is, where the search starts.

    Returns
    -------
    censoring : CensoringModel
        With the pace found.
    counts : Counts
    """
    def gap(counts):
        return int(counts.events.sum()) - total_events

    best_model, best = censoring, counts
    low, high = 0.0, censoring.last_rate_to_empty()
    for _ in range(MAX_SEARCH_STEPS if gap(best) > 0 and high > 0 else 0):
        rate = 0.5 * (low + high)
        model = censoring.with_last_rate(rate)
        counts = fit(model)
        if abs(gap(counts)) < abs(gap(best)):
            best_model, best = model, counts
        if gap(counts) == 0:
            return model, counts
        low, high = (rate, high) if gap(counts) > 0 else (low, rate)

    low, high = None, None
    price = 1.0 if gap(best) > 0 else -1.0
    for _ in range(MAX_SEARCH_STEPS if gap(best) else 0):
        counts = fit(best_model, price)
        if abs(gap(counts)) < abs(gap(best)):
            best = counts
        if gap(counts) == 0:
            break
        low, high = (price, high) if gap(counts) > 0 else (low, price)
        price = 0.5 * (low + high) if low is not None and high is not None else 2.0 * price
    return best_model, best


def reconstruct(curves: pd.DataFrame, at_risk: pd.DataFrame | None = None, *,
                n_total: dict | None = None, total_events: dict | None = None,
                censor_marks: pd.DataFrame | None = None,
                survival_noise: float | None = None, time_error: float | None = None) -> Reconstruction:
    """Reconstruct the IPD of every arm of a figure.

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns ``arm, time, survival`` (the curves contract).
    at_risk : pandas.DataFrame, optional
        Columns ``arm, time, n_risk``; arms without rows need ``n_total``.
    n_total, total_events : dict of str -> int, optional
        Per-arm number of patients and published total of events.
    censor_marks : pandas.DataFrame, optional
        Columns ``arm, time``: censor marks seen on each arm.
    survival_noise, time_error : float, optional
        Digitizing errors of survival values and times (see :func:`reconstruct_arm`).

    Returns
    -------
    Reconstruction
        ``.ipd`` with columns ``arm, time, event`` sorted by arm then time,
        and ``.arms`` with each arm's :class:`ArmReconstruction`.

    Raises
    ------
    InputError
        Naming the arm, for any problem :func:`reconstruct_arm` finds, or when
        a table, a count or a mark names an arm that has no curve.
    """
    n_total, total_events = dict(n_total or {}), dict(total_events or {})
    curve_arm, table_arm, mark_arm = (
        None if frame is None else frame["arm"].astype(str).to_numpy()
        for frame in (curves, at_risk, censor_marks))
    arms = sorted(set(curve_arm))
    for what, names in (("at-risk table", [] if at_risk is None else table_arm),
                        ("--n", n_total), ("--total-events", total_events),
                        ("censor marks", [] if censor_marks is None else mark_arm)):
        unknown = sorted(set(map(str, names)) - set(arms))
        if unknown:
            raise InputError(f"{what} names arm(s) {', '.join(unknown)} with no curve; "
                             f"curves have {', '.join(arms)}")
    results = {}
    for arm in arms:
        rows = None if at_risk is None else at_risk[table_arm == arm]
        marks = None if censor_marks is None else censor_marks.loc[mark_arm == arm, "time"]
        try:
            results[arm] = reconstruct_arm(
                curves[curve_arm == arm], rows, n_total=n_total.get(arm),
                total_events=total_events.get(arm), censor_times=marks, survival_noise=survival_noise,
                time_error=time_error)
        except InputError as error:
            error.message = f"arm {arm}: {error.message}"
            raise
    arm_ipd = [result.ipd for result in results.values()]
    ipd = pd.DataFrame({"arm": np.repeat(np.array(arms, dtype=object), [len(i) for i in arm_ipd]),
                        "time": np.concatenate([i["time"].to_numpy() for i in arm_ipd]),
                        "event": np.concatenate([i["event"].to_numpy() for i in arm_ipd])})
    return Reconstruction(ipd=ipd, arms=results)
