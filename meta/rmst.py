"""Restricted mean survival time (RMST) and its standard error, as survRM2.

lifelines' ``restricted_mean_survival_time(return_variance=True)`` returns
the variance of ``min(T, tau)`` in the population, not the variance of the
RMST *estimator*, and its RMST difference test returns nothing; neither is
usable for pooling. This module writes survRM2's ``rmst1``/``rmst2``.

References
----------
Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative
to the hazard ratio for the design and analysis of randomized trials with a
time-to-event outcome. BMC Med Res Methodol 13:152.
Uno H et al. (2014). Moving beyond the hazard ratio in quantifying the
between-group difference in survival analysis. J Clin Oncol 32:2380-2385;
R package survRM2 (``rmst1``: area under the KM curve, variance by the
delta method on the Greenwood terms).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meta.distributions import normal_quantile, normal_sf
from meta.km import KaplanMeier


@dataclass(frozen=True)
class RMST:
    """RMST up to ``tau`` with its standard error (time units of the data)."""

    estimate: float
    se: float
    tau: float


def rmst(km: KaplanMeier, tau: float) -> RMST:
    """RMST of one arm up to ``tau`` (survRM2's ``rmst1``).

    Parameters
    ----------
    km : KaplanMeier
        The arm's Kaplan-Meier estimate (:func:`meta.km.kaplan_meier`).
    tau : float
        Truncation time, at most the arm's last observed time.

    Returns
    -------
    RMST
        ``se`` is ``sqrt(sum_i A_i^2 d_i / (n_i (n_i - d_i)))`` over the
        times ``t_i <= tau``, where ``A_i`` is the area under the KM curve
        between ``t_i`` and ``tau``.
    """
    inside = km.time <= tau
    times = km.time[inside]
    survival = km.survival[inside]
    widths = np.diff(np.concatenate(([0.0], times, [tau])))
    areas = widths * np.concatenate(([1.0], survival))
    step = np.diff(np.concatenate(([0.0], km.greenwood)))[inside]
    # area after each time t_i up to tau
    area_after = np.cumsum(areas[1:][::-1])[::-1]
    variance = np.sum(area_after**2 * step)
    return RMST(float(areas.sum()), float(np.sqrt(variance)), float(tau))


@dataclass(frozen=True)
class RMSTDifference:
    """Difference of two RMSTs (first minus second), SE, 95% CI and two-sided p."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


def rmst_difference(first: RMST, second: RMST) -> RMSTDifference:
    """``first - second`` with the independent-arms SE and a normal test (survRM2's ``rmst2``)."""
    estimate = first.estimate - second.estimate
    se = float(np.hypot(first.se, second.se))
    z = normal_quantile(0.975)
    p_value = float(2 * normal_sf(abs(estimate) / se)) if se > 0 else np.nan
    return RMSTDifference(estimate, se, estimate - z * se, estimate + z * se, p_value)
