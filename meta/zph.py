"""The Grambsch-Therneau test of proportional hazards, as R's ``cox.zph``.

R's survival (version 3 onwards) computes ``cox.zph`` as a score test: the
model is extended with the time-varying covariate ``x * g(t)`` and the score
test for its coefficient is computed at ``(beta_hat, 0)``. lifelines'
``proportional_hazard_test`` implements the older approximation based on
scaled Schoenfeld residuals, so the statistic is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from meta.distributions import chi2_sf
from meta.km import kaplan_meier
from meta.risk_sets import RiskSets

TRANSFORMS = ("km", "identity", "rank", "log")


@dataclass(frozen=True)
class PHTest:
    """Result of :func:`ph_test`: chi-square on 1 df and its p-value."""

    chisq: float
    p_value: float
    transform: str


def time_transform(time, event, transform: str = "km") -> np.ndarray:
    """``g(t)`` of every subject, as R's ``cox.zph`` defines it.

    ``"km"`` is ``1 - S(t-)``, the left-continuous Kaplan-Meier of all
    subjects pooled (R: ``1 - c(1, surv)[findInterval(t, km$time,
    left.open=TRUE) + 1]``).
    """
    time = np.asarray(time, dtype=float)
    if transform == "identity":
        return time
    if transform == "log":
        return np.log(time)
    if transform == "rank":
        return pd.Series(time).rank(method="average").to_numpy()
    if transform != "km":
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    km = kaplan_meier(time, event)
    # number of distinct times strictly before each subject's time
    before = np.searchsorted(km.time, time, side="left")
    return 1.0 - np.concatenate(([1.0], km.survival))[before]


def ph_test(time, event, x, beta: float, ties: str = "efron", transform: str = "km") -> PHTest:
    """Score test of ``beta(t) = beta + gamma * g(t)``, gamma = 0, for one covariate.

    Parameters
    ----------
    time, event, x : array_like
        Follow-up time, event indicator (1/0) and the covariate.
    beta : float
        The fitted Cox coefficient (e.g. lifelines ``CoxPHFitter.params_``).
    ties : {"efron", "breslow"}
        Must match the fit; Efron for lifelines and R's default.
    transform : {"km", "identity", "rank", "log"}
        The time scale ``g(t)``; ``"km"`` is R's default.

    Returns
    -------
    PHTest

    References
    ----------
    Grambsch PM, Therneau TM (1994). Proportional hazards tests and
    diagnostics based on weighted residuals. Biometrika 81:515-526.
    R package survival, ``cox.zph`` (version 3): the score test at
    ``(beta_hat, 0)`` with the first block of the score set to zero.
    """
    risk_sets = RiskSets(time, event, x, ties=ties)
    g_all = time_transform(time, event, transform)
    event = np.asarray(event, dtype=int)
    g_centered = g_all - g_all[event == 1].mean()
    # g is a function of time: every death at a time shares one value
    g = g_centered[risk_sets.order][risk_sets.death_rows]
    terms = risk_sets.terms(beta)
    u_time = np.sum(g * terms.score)
    i11 = terms.information.sum()
    i12 = np.sum(g * terms.information)
    i22 = np.sum(g**2 * terms.information)
    chisq = u_time**2 / (i22 - i12**2 / i11)
    return PHTest(float(chisq), float(chi2_sf(chisq, 1)), transform)
