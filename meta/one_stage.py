"""One-stage pooling: Cox models fitted to all studies' IPD at once.

Two models of a common treatment effect: the Cox model stratified by study
(each study its own baseline hazard; R ``coxph(Surv(time, event) ~ treated
+ strata(study))``), and the shared gamma-frailty Cox model (one baseline
hazard, a gamma-distributed multiplier per study; R ``coxph(... +
frailty(study, distribution="gamma"))``), which also estimates the frailty
variance theta, the one-stage analogue of tau^2.

lifelines fits the stratified model but has no frailty models; both are fitted
here on :class:`meta.risk_sets.RiskSets` (the stratified fit is checked against
lifelines in the tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from meta.per_study import comparative_pairs, hazard_ratio_summary
from meta.risk_sets import RiskSets, tally

#: Range searched for the frailty variance theta.
THETA_RANGE = (1e-6, 10.0)
#: Columns of the one-stage table, whatever was fitted.
COLUMNS = ["model", "log_hr", "se_log_hr", "hr", "hr_ci_low", "hr_ci_high", "hr_p", "k", "n", "events",
           "frailty_variance", "note"]


def _summary(model: str, log_hr: float, se: float, ipd: pd.DataFrame, **extra) -> dict:
    return {"model": model, **hazard_ratio_summary(log_hr, se), "k": ipd["study"].nunique(),
            "n": len(ipd), "events": int(ipd["event"].sum()), **extra}


def stratified_cox(ipd: pd.DataFrame, treated: np.ndarray) -> dict:
    """Cox model of ``treated``, stratified by study, Efron ties; one summary row."""
    study_index = np.unique(ipd["study"].to_numpy(), return_inverse=True)[1]
    (time, event, x, stratum), counts, _ = tally(ipd["time"], ipd["event"], treated, study_index)
    risk_sets = RiskSets(time, event, x, strata=stratum, weights=counts)
    log_hr = risk_sets.fit()
    se = 1.0 / np.sqrt(risk_sets.terms(log_hr).information.sum())
    return _summary("stratified Cox", log_hr, se, ipd, frailty_variance=np.nan,
                    note="common effect, baseline hazard per study")


class GammaFrailtyCox:
    """Shared gamma-frailty Cox model for one covariate, fitted by EM with a profiled theta.

    For a fixed frailty variance theta, the EM algorithm of Klein (1992)
    alternates the expected frailty of each study, ``(1/theta + D) / (1/theta
    + H)`` (D its events, H its cumulative hazard), with a Cox fit (Efron ties)
    that takes the log frailties as an offset and a Breslow baseline hazard.
    theta is chosen by maximising the marginal log-likelihood (frailties
    integrated out, Klein 1992) over ``THETA_RANGE`` on the log scale.

    The standard error of the log HR is the ``beta`` element of the inverse
    information of the penalised partial likelihood in ``(beta, log
    frailties)``, as R's ``coxph`` ``se(coef)`` (R approximates the frailty
    block by its diagonal when there are more than five groups; this uses
    the full matrix).

    Attributes
    ----------
    log_hr_, se_log_hr_ : float
        Treatment effect and its SE.
    theta_ : float
        Frailty variance.
    frailty_ : pandas.Series
        Estimated frailty of each study.
    log_likelihood_ : float
        Marginal log-likelihood at the estimate.

    References
    ----------
    Klein JP (1992). Semiparametric estimation of random effects using the Cox
    model based on the EM algorithm. Biometrics 48:795-806.
    Nielsen GG, Gill RD, Andersen PK, Sorensen TIA (1992). A counting process
    approach to maximum likelihood estimation in frailty models. Scand J Stat
    19:25-43.
    Therneau TM, Grambsch PM, Pankratz VS (2003). Penalized survival models
    and frailty. J Comput Graph Stat 12:156-175.
    """

    def __init__(self, tol: float = 1e-8, max_iter: int = 500):
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, time, event, treated, study) -> "GammaFrailtyCox":
        """Fit to the pooled IPD; returns self."""
        self._studies, study_index = np.unique(np.asarray(study), return_inverse=True)
        # identical subjects are one weighted row: the EM runs on the distinct rows only
        (time, event, treated, cluster), counts, _ = tally(time, event, treated, study_index)
        self._risk_sets = RiskSets(time, event, treated, weights=counts)
        self._counts = counts
        self._cluster = cluster.astype(int)
        self._events_per_study = np.bincount(self._cluster, weights=event * counts)
        # death times never change between fits: where each row's time falls among them
        self._death_index = np.searchsorted(self._risk_sets.death_time, time, side="right")
        self._x = treated
        self._beta = 0.0
        self._log_frailty = np.zeros(len(self._studies))
        log_low, log_high = np.log(THETA_RANGE)
        best = optimize.minimize_scalar(lambda s: -self._profile(np.exp(s)), bounds=(log_low, log_high),
                                        method="bounded", options={"xatol": 1e-4})
        self.theta_ = float(np.exp(best.x))
        self.log_likelihood_ = self._profile(self.theta_)
        self.log_hr_ = float(self._beta)
        self.se_log_hr_ = self._penalised_se(self.theta_)
        self.frailty_ = pd.Series(np.exp(self._log_frailty), index=self._studies, name="frailty")
        return self

    def _penalised_se(self, theta: float) -> float:
        """SE of beta from the penalised partial likelihood's information in (beta, log frailties).

        The gamma frailty adds ``exp(u) / theta`` to the information of each
        log frailty u (Therneau, Grambsch & Pankratz 2003).
        """
        offset = self._log_frailty[self._cluster]
        information = self._risk_sets.information_with_groups(self._beta, offset, self._cluster,
                                                               len(self._studies))
        information[1:, 1:] += np.diag(np.exp(self._log_frailty) / theta)
        return float(np.sqrt(np.linalg.inv(information)[0, 0]))

    def _cumulative_hazard(self, terms) -> np.ndarray:
        """Breslow cumulative baseline hazard at each distinct row's time (the order of ``tally``)."""
        cumulative = np.concatenate(([0.0], np.cumsum(terms.n_deaths / terms.risk_total)))
        return cumulative[self._death_index]

    def _em_step(self, log_frailty: np.ndarray, nu: float) -> np.ndarray:
        """One ECM iteration: a Newton step for beta with the frailties as offset,
        the Breslow baseline hazard, then the expected frailties.

        A single Newton step (not a full refit) has the same fixed point and
        needs one pass over the data.
        """
        offset = log_frailty[self._cluster]
        terms = self._risk_sets.terms(self._beta, offset)
        self._beta += terms.score.sum() / terms.information.sum()
        cumulative = self._cumulative_hazard(terms)
        return np.log((nu + self._events_per_study) / (nu + self._study_hazard(cumulative)))

    def _study_hazard(self, cumulative: np.ndarray) -> np.ndarray:
        """Each study's summed cumulative hazard (``H`` of the EM step), frailties left out."""
        return np.bincount(self._cluster, weights=self._counts * cumulative * np.exp(self._beta * self._x),
                           minlength=len(self._studies))

    def _profile(self, theta: float) -> float:
        """EM at fixed theta (warm-started, SQUAREM-accelerated); the marginal log-likelihood.

        SQUAREM (Varadhan & Roland 2008, Scand J Stat 35:335-353) extrapolates
        two EM steps; EM alone converges slowly when theta is large.
        """
        nu = 1.0 / theta
        d = self._events_per_study
        u = self._log_frailty
        for _ in range(self.max_iter):
            u1 = self._em_step(u, nu)
            u2 = self._em_step(u1, nu)
            r, v = u1 - u, u2 - 2 * u1 + u
            if np.linalg.norm(v) > 0:
                alpha = min(-1.0, -np.linalg.norm(r) / np.linalg.norm(v))
                u_next = self._em_step(u - 2 * alpha * r + alpha**2 * v, nu)
            else:
                u_next = u2
            change = np.max(np.abs(u_next - u))
            u = u_next
            if change < self.tol:
                break
        self._log_frailty = u
        offset = u[self._cluster]
        self._beta = self._risk_sets.fit(offset, beta=self._beta)
        terms = self._risk_sets.terms(self._beta, offset)
        hazard = terms.n_deaths / terms.risk_total
        h = self._study_hazard(self._cumulative_hazard(terms))
        # marginal likelihood (frailties integrated out) at the EM estimate of beta and h0
        linear = (self._beta * np.dot(self._risk_sets.deaths, self._risk_sets.x)
                  + np.sum(terms.n_deaths * np.log(hazard)))
        clusters = np.sum(d * np.log(theta) + special.gammaln(nu + d) - special.gammaln(nu)
                          - (nu + d) * np.log1p(theta * h))
        return float(linear + clusters)


def gamma_frailty_cox(ipd: pd.DataFrame, treated: np.ndarray) -> dict:
    """:class:`GammaFrailtyCox` on the pooled IPD; one summary row."""
    model = GammaFrailtyCox().fit(ipd["time"], ipd["event"], treated, ipd["study"])
    at_bound = model.theta_ <= THETA_RANGE[0] * 1.01
    note = ("frailty variance 0 (at the search's lower bound): no detectable between-study heterogeneity"
            if at_bound else "gamma frailty by study, EM with profiled theta")
    return _summary("gamma frailty Cox", model.log_hr_, model.se_log_hr_, ipd,
                    frailty_variance=0.0 if at_bound else model.theta_, note=note)


def one_stage(ipd: pd.DataFrame, treatment: str, control: str) -> pd.DataFrame:
    """Both one-stage models on the treatment and control arms of every study holding both.

    Returns one row per model, or a single row saying why nothing was fitted
    (fewer than two studies, or an arm without events in every study).
    """
    pair = comparative_pairs(ipd, treatment, control)
    k = pair["study"].nunique()
    events = pair.groupby("arm")["event"].sum()
    if k < 2:
        rows = [{"model": "one-stage", "k": k, "note": "fewer than two studies: nothing pooled"}]
    elif (events == 0).any():
        empty = ", ".join(events.index[events == 0])
        rows = [{"model": "one-stage", "k": k, "note": f"no events in arm {empty} of any study: not estimable"}]
    else:
        treated = (pair["arm"] == treatment).to_numpy(dtype=float)
        rows = [stratified_cox(pair, treated), gamma_frailty_cox(pair, treated)]
    return pd.DataFrame(rows, columns=COLUMNS)
