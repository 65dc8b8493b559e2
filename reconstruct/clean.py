"""Input cleaning: digitized points of one arm -> the drops of a non-increasing step curve.

Everything downstream works on the :class:`Drops` made here, so this is the
one place where messy points (unsorted, outside [0, 1], rising, duplicated,
slanted drops) are made into a proper survival curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import isotonic_regression

from kmipd.errors import InputError

#: Survival noise assumed for exact input (float rounding of printed values).
MIN_SURVIVAL_NOISE = 1e-6
#: How far above 1 digitized survival may stray before it is taken for a percentage.
MAX_OVERSHOOT = 0.05
#: A smoothed drop this close to a whole number of deaths (or closer, given its noise) is one.
MIN_DEATH_SLACK = 0.25
#: Fewest and most pixels a plot spans along an axis (bounds on a pixel grid's step).
MIN_PLOT_PX, MAX_PLOT_PX = 100, 20000
#: Time error of jittered points, as a fraction of the time range (a few pixels of a plot).
JITTER_TIME_ERROR = 0.003


@dataclass(frozen=True)
class Drops:
    """A cleaned survival curve, as the list of its downward steps.

    Attributes
    ----------
    time : ndarray
        Time of each drop (the time of its lower point), increasing.
    before, after : ndarray
        Survival just before and just after each drop.
    end_time : float
        Last time of the curve (end of follow-up shown).
    noise : float
        Estimated noise (standard deviation) of one digitized survival value.
    drop_noise : ndarray
        Estimated noise of each drop's size (of both its levels, each fitted to
        one or more points).
    smoothed : bool
        Whether the points needed the antitonic fit (jittered, hand-clicked points).
    time_error : float
        How far a drop's time may be off: half the step of the grid the input
        times lie on (a pixel column); for jittered points, which lie on no
        grid, :data:`JITTER_TIME_ERROR` of the time range; else 0.
    points_time, points_survival : ndarray
        The input points after clamping, kept to measure the fit against.
    notes : list of str
        Corrections made to the input, for the diagnostics.
    """

    time: np.ndarray
    before: np.ndarray
    after: np.ndarray
    end_time: float
    noise: float
    drop_noise: np.ndarray
    smoothed: bool
    time_error: float
    points_time: np.ndarray
    points_survival: np.ndarray
    notes: list = field(default_factory=list)

    def survival_at(self, t) -> np.ndarray:
        """Survival of the cleaned curve at times ``t`` (right-continuous)."""
        return np.r_[1.0, self.after][np.searchsorted(self.time, t, side="right")]

    def survival_before(self, t) -> np.ndarray:
        """Survival of the cleaned curve just before times ``t`` (left limit)."""
        return np.r_[1.0, self.after][np.searchsorted(self.time, t, side="left")]


def clean_curve(time, survival, survival_noise: float | None = None,
                time_error: float | None = None) -> Drops:
    """Make digitized points of one arm into a non-increasing step curve starting at (0, 1).

    The points are sorted by time (and, at equal times, from the highest
    survival down, so the upper and lower point of a vertical drop both
    stay), survival is clamped to [0, 1] and made non-increasing by an
    antitonic least-squares fit (pool-adjacent-violators, which averages
    jitter out instead of letting one low point cut the curve as a running
    minimum would). Points at the same time collapse to one drop, and so do
    drops closer in time than the digitizing error (jitter splits a vertical
    drop); runs at the same survival collapse to their first point; ``(0, 1)``
    is prepended and everything after the curve reaches 0 is dropped.

    Parameters
    ----------
    time, survival : array_like
        The points, in any order.
    survival_noise : float, optional
        Standard deviation of the digitizing error of a survival value. By
        default it is estimated: the residual of the antitonic fit for jittered
        points, the grid step / sqrt(12) for points on a pixel grid, else
        :data:`MIN_SURVIVAL_NOISE`.
    time_error : float, optional
        How far digitizing may have moved a drop in time (see
        :attr:`Drops.time_error`). By default half the grid step of times on a
        pixel grid, a share of the time range for jittered points, else 0.

    Returns
    -------
    Drops

    Raises
    ------
    InputError
        If there are no points, survival looks like a percentage, or the
        curve never drops.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier survival
    curves. BMC Med Res Methodol 2012;12:9 (the cleaning they ask of the user).
    """
    time = np.asarray(time, dtype=float)
    survival = np.asarray(survival, dtype=float)
    if time.size == 0:
        raise InputError("the curve has no points")
    if survival.max() > 1.0 + MAX_OVERSHOOT:
        raise InputError(f"survival goes up to {survival.max():g}: give it as a probability in "
                         "[0, 1], not a percentage")
    notes = []
    if np.any(time < 0):
        notes.append(f"{int(np.sum(time < 0))} point(s) before time 0 moved to time 0")
    outside = (survival < 0) | (survival > 1)
    if np.any(outside):
        notes.append(f"{int(outside.sum())} survival value(s) outside [0, 1] clamped")
    time = np.clip(time, 0.0, None)
    survival = np.clip(survival, 0.0, 1.0)

    order, fitted, moved = _antitonic_fit(time, survival)
    jittered = moved.max() > 1e-12
    points_time = time
    if jittered:
        # Jitter can put the lower point of a vertical drop before its upper point, which
        # the fit would average into two half drops: points this close are one time.
        time = _merge_close_times(time, JITTER_TIME_ERROR * time.max())
        order, fitted, moved = _antitonic_fit(time, survival)
        notes.append(f"{int(np.sum(moved > 1e-12))} rising point(s) smoothed by an antitonic fit "
                     f"(largest move {moved.max():.4f})")

    all_time = np.r_[0.0, time[order]]
    all_level = np.r_[1.0, fitted]
    # At each distinct time the curve ends at its lowest (last, after sorting) point.
    distinct, first = np.unique(all_time, return_index=True)
    level = all_level[np.r_[first[1:] - 1, all_level.size - 1]]
    previous = np.r_[1.0, level[:-1]]
    is_drop = level < previous - 1e-12
    zero = np.flatnonzero(level <= 0.0)
    if zero.size:
        is_drop[zero[0] + 1:] = False
    if not is_drop.any():
        raise InputError("the curve never drops below survival 1, so it holds no events")
    noise = survival_noise if survival_noise is not None else _estimate_noise(moved, level)
    time_error = time_error if time_error is not None else _time_error(distinct, jittered)
    # Drops within the time error of a drop are one drop that jitter split.
    index = np.flatnonzero(is_drop)
    starts = _groups_within(distinct[index], time_error)
    first, last = index[starts], index[np.r_[starts[1:] - 1, index.size - 1]]
    before, after = previous[first], level[last]
    if jittered:
        # A level fitted to m independent points is known sqrt(m) times better than one point.
        levels, counts = np.unique(all_level, return_counts=True)
        points = lambda value: counts[np.searchsorted(levels, value)]  # noqa: E731
        drop_noise = noise * np.sqrt(1.0 / points(before) + 1.0 / points(after))
    else:
        drop_noise = np.full(before.size, np.sqrt(2.0) * noise)
    return Drops(time=distinct[last], before=before, after=after,
                 end_time=float(distinct[zero[0]] if zero.size else distinct[-1]), noise=float(noise),
                 drop_noise=drop_noise, smoothed=bool(jittered), time_error=time_error,
                 points_time=points_time, points_survival=survival, notes=notes)


def _antitonic_fit(time: np.ndarray, survival: np.ndarray):
    """Order of the points (by time, highest survival first), the antitonic fit, and the moves."""
    order = np.lexsort((-survival, time))
    fitted = isotonic_regression(survival[order], increasing=False).x
    return order, fitted, np.abs(fitted - survival[order])


def _merge_close_times(time: np.ndarray, width: float) -> np.ndarray:
    """``time`` with each group of times spanning less than ``width`` replaced by its mean."""
    order = np.argsort(time, kind="stable")
    starts = _groups_within(time[order], width)
    means = np.add.reduceat(time[order], starts) / np.diff(np.r_[starts, time.size])
    merged = np.empty_like(time)
    merged[order] = np.repeat(means, np.diff(np.r_[starts, time.size]))
    return merged


def _groups_within(times: np.ndarray, width: float) -> np.ndarray:
    """Start indexes of groups of sorted ``times``, each spanning less than ``width`` (greedy)."""
    if width <= 0 or np.all(np.diff(times) > width):
        return np.arange(times.size)
    starts = [0]
    for i in range(1, times.size):
        if times[i] - times[starts[-1]] > width:
            starts.append(i)
    return np.asarray(starts)


def merge_subevent_drops(drops: Drops, expected_at_risk, breaks=()) -> Drops:
    """Merge the small drops of a smoothed curve until each holds at least one death.

    An antitonic fit to jittered points turns one death into a staircase of
    small drops, none of which alone rounds to a death, and averages the two
    points of a vertical drop that jitter swapped into two drops of 1.5
    deaths each. Walking the drops as Guyot et al. (2012) do, with the
    expected number at risk, each drop is measured against the survival
    reconstructed so far; a drop that does not add up to a whole number of
    deaths (at least one), within its noise and the uncertainty of the
    expected number at risk, is merged into the next one, unless one of the
    ``breaks`` (at-risk table times) lies between them.

    Parameters
    ----------
    drops : Drops
        A cleaned curve.
    expected_at_risk : ndarray
        Expected number at risk at each drop (the censoring model's prior).
    breaks : array_like
        Times no merged drop may span.

    Returns
    -------
    Drops
        With fewer, larger drops; the time of each is that of its last piece.
    """
    n = np.maximum(np.asarray(expected_at_risk, dtype=float), 1.0)
    period = np.searchsorted(np.asarray(breaks, dtype=float), drops.time, side="right")
    last_in_period = np.r_[period[1:] != period[:-1], True]
    lasts = []
    survival = 1.0
    for k in range(drops.time.size):
        fraction = 1.0 - drops.after[k] / survival if survival > 0 else 0.0
        deaths = min(np.round(n[k] * fraction), n[k])
        # How far from whole the deaths may be: the drop's noise, and n known to about sqrt(n).
        slack = max(MIN_DEATH_SLACK, 2.0 * n[k] * drops.drop_noise[k] / max(survival, 1e-9),
                    0.5 * fraction * np.sqrt(n[k]))
        whole = abs(n[k] * fraction - deaths) <= slack
        if (deaths >= 1 and whole) or last_in_period[k]:
            lasts.append(k)
            survival *= 1.0 - deaths / n[k]
    lasts = np.asarray(lasts)
    firsts = np.r_[0, lasts[:-1] + 1]
    noise = np.maximum.reduceat(drops.drop_noise, firsts)
    return replace(drops, time=drops.time[lasts], before=drops.before[firsts],
                   after=drops.after[lasts], drop_noise=noise)


def _estimate_noise(moved: np.ndarray, level: np.ndarray) -> float:
    """Digitizing noise of a survival value, from the antitonic fit's residual or the pixel grid."""
    if moved.max() > 1e-12:
        # A robust spread (1.4826 median absolute residual), not swayed by the points of a
        # vertical drop that jitter put in the wrong order; the fit absorbs about a quarter
        # of the jitter, so the residual is scaled up by 1.3.
        return max(1.3 * 1.4826 * float(np.median(moved)), MIN_SURVIVAL_NOISE)
    grid = _grid_step(np.unique(level), span=1.0)
    return max(grid / np.sqrt(12.0), MIN_SURVIVAL_NOISE) if grid else MIN_SURVIVAL_NOISE


def _time_error(times: np.ndarray, jittered: bool) -> float:
    """How far digitizing may have moved a drop in time (see :attr:`Drops.time_error`)."""
    step = _grid_step(times, span=float(times[-1] - times[0]) if times.size else 0.0)
    if step:
        return 0.5 * step
    return JITTER_TIME_ERROR * float(times[-1]) if jittered else 0.0


def _grid_step(levels: np.ndarray, span: float) -> float | None:
    """The step of the pixel grid all ``levels`` (sorted, distinct) lie on, or None if none.

    ``span`` is the extent of the axis the levels were read on (1 for
    survival). A plot is 100 to 20000 pixels across, so steps from
    ``span / 100`` down to ``span / 20000`` are tried, coarsest first, as the
    smallest gap divided by 1, 2, 3, ...: a coarser grid is the data's own
    spacing (an arm of 6 with no censoring falls by sixths), not pixels. The
    coarsest candidate is tried first, then all the others at once: as the
    smallest gap is at most the span over ``levels.size - 1``, those are at
    most 20000 * n / (n - 1) values.
    """
    if levels.size < 4 or span <= 0:
        return None
    smallest = float(np.min(np.diff(levels)))
    divisors = np.arange(max(1, int(np.ceil(smallest / (span / MIN_PLOT_PX)))),
                         int(smallest / (span / MAX_PLOT_PX)) + 1)
    for tried in (divisors[:1], divisors[1:]):
        steps = smallest / tried
        units = levels / steps[:, np.newaxis]
        fits = np.all(np.abs(units - np.round(units)) < 1e-6 * np.maximum(1.0, units), axis=1)
        if fits.any():
            return float(steps[np.argmax(fits)])
    return None
