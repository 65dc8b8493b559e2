"""Two-stage pooling of per-study estimates, as R's metafor ``rma.uni``.

Common-effect (inverse variance) and random-effects models with tau^2 by
DerSimonian-Laird, REML or Paule-Mandel (never negative); Wald (``test="z"``)
or Hartung-Knapp-Sidik-Jonkman (``test="knha"``) confidence intervals; the
prediction interval of Higgins et al. (t with k - 2 df); Cochran's Q, its p,
I^2 and H^2 as metafor defines them; and the Q-profile CI of tau^2.

statsmodels' ``combine_effects`` does not clip the DL tau^2 at 0, and the
project does not depend on statsmodels; scipy has none of this, so it is
written here (the tests check it against metafor's published examples).

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control
Clin Trials 7:177-188.
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res
Natl Bur Stand 87:377-385.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance
estimators in the random-effects model. J Educ Behav Stat 30:261-293 (REML).
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity
in meta-analysis. Stat Med 26:37-52 (Q-profile).
Hartung J, Knapp G (2001). A refined method for the meta-analysis of
controlled clinical trials with binary outcome. Stat Med 20:3875-3889;
Sidik K, Jonkman JN (2002). A simple confidence interval for meta-analysis.
Stat Med 21:3153-3159.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of
random-effects meta-analysis. JRSS A 172:137-159 (prediction interval).
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor
package. J Stat Softw 36(3):1-48.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize

from kmipd.errors import InputError
from meta.distributions import chi2_quantile, chi2_sf, normal_quantile, normal_sf, t_quantile, t_sf

#: tau^2 estimators; "common" is the common-effect (fixed-effect) model.
MODELS = ("common", "DL", "REML", "PM")
#: Confidence-interval methods: normal (Wald), Hartung-Knapp-Sidik-Jonkman, and HKSJ with the
#: ad-hoc correction of its scaling factor to at least 1 (metafor ``test="adhoc"``, R meta's
#: ``adhoc.hakn.ci = "se"``): never narrower than Wald, which plain HKSJ can be by far when the
#: studies agree more closely than their SEs say (k = 2 gave a CI 20x narrower than either study's).
CI_METHODS = ("wald", "hksj", "hksj_adhoc")
#: How each CI method is named in figures and reports.
CI_LABELS = {"wald": "Wald", "hksj": "HKSJ", "hksj_adhoc": "HKSJ, ad hoc"}
#: The reported default (REML with HKSJ, Cochrane Handbook since 2025; with the ad-hoc correction).
DEFAULT_MODEL, DEFAULT_CI = "REML", "hksj_adhoc"
#: How each model is named in figures and reports.
MODEL_LABELS = {"common": "common effect", "DL": "DerSimonian-Laird", "REML": "REML", "PM": "Paule-Mandel"}


def method_label(model: str, ci_method: str) -> str:
    """``"REML + HKSJ, ad hoc"``: a model and CI method as figures and the console name them."""
    return f"{MODEL_LABELS[model]} + {CI_LABELS[ci_method]}"


def check_method(model: str, ci_method: str) -> None:
    """Raise :class:`~kmipd.errors.InputError` naming the choices when ``model`` or ``ci_method`` is
    not one of them."""
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}, got '{model}'")
    if ci_method not in CI_METHODS:
        raise InputError(f"CI method must be one of {', '.join(CI_METHODS)}, got '{ci_method}'")

_LEVEL = 0.95


@dataclass(frozen=True)
class Pooled:
    """One pooled estimate (one model x one CI method), as a row of ``pooled.csv``.

    Attributes
    ----------
    model, ci_method : str
        See :data:`MODELS`, :data:`CI_METHODS`.
    k : int
        Number of studies.
    estimate, se, ci_low, ci_high, p_value : float
        The pooled effect, on the scale it was given (e.g. log HR).
    pi_low, pi_high : float
        95% prediction interval (random effects, k >= 3); NaN otherwise.
    tau2, tau2_ci_low, tau2_ci_high : float
        Between-study variance and its Q-profile 95% CI (0 for common).
    i2, h2 : float
        I^2 (percent) and H^2 for this model's tau^2, as metafor.
    q, q_df, q_p : float
        Cochran's Q, its degrees of freedom and p-value.
    note : str
        Why a value is missing, when one is.
    """

    model: str
    ci_method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    pi_low: float
    pi_high: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    note: str = ""

    def as_row(self) -> dict:
        """A plain dict for a DataFrame row."""
        return asdict(self)


def _weighted_mean(y, v, tau2):
    w = 1.0 / (v + tau2)
    return np.sum(w * y) / np.sum(w), w


def generalised_q(y, v, tau2: float) -> float:
    """``sum (y - mu(tau2))^2 / (v + tau2)``; Cochran's Q at ``tau2 = 0``."""
    mu, w = _weighted_mean(y, v, tau2)
    return float(np.sum(w * (y - mu) ** 2))


def tau2_dl(y, v) -> float:
    """DerSimonian-Laird moment estimate, clipped at 0."""
    w = 1.0 / v
    q = generalised_q(y, v, 0.0)
    c = w.sum() - np.sum(w**2) / w.sum()
    return max(0.0, (q - (len(y) - 1)) / c)


def _upper_bracket(f, start: float) -> float:
    """A point where the decreasing function ``f`` is negative, by doubling."""
    upper = max(start, 1e-4)
    while f(upper) > 0:
        upper *= 2
        if upper > 1e12:
            raise ArithmeticError("no root below 1e12")
    return upper


def _root_on_positive_axis(f, scale: float) -> float:
    """Root of decreasing ``f`` on [0, inf); 0 when ``f(0) <= 0``."""
    if f(0.0) <= 0:
        return 0.0
    return optimize.brentq(f, 0.0, _upper_bracket(f, scale), xtol=1e-14, rtol=1e-14, maxiter=500)


def tau2_pm(y, v) -> float:
    """Paule-Mandel estimate: the tau^2 at which the generalised Q equals k - 1."""
    k = len(y)
    return _root_on_positive_axis(lambda t: generalised_q(y, v, t) - (k - 1), np.var(y) + np.mean(v))


def tau2_reml(y, v) -> float:
    """REML estimate: root of the restricted log-likelihood's derivative, clipped at 0."""

    def derivative(tau2):
        mu, w = _weighted_mean(y, v, tau2)
        return float(np.sum(w**2 * (y - mu) ** 2) - np.sum(w) + np.sum(w**2) / np.sum(w))

    return _root_on_positive_axis(derivative, np.var(y) + np.mean(v))


_ESTIMATORS = {"DL": tau2_dl, "REML": tau2_reml, "PM": tau2_pm}


def tau2_q_profile_ci(y, v, level: float = _LEVEL) -> tuple[float, float]:
    """Q-profile CI of tau^2 (Viechtbauer 2007; metafor's ``confint``).

    The limits are the tau^2 at which the generalised Q equals the upper and
    lower chi-square(k - 1) quantiles; a limit is 0 when even tau^2 = 0 gives
    a smaller Q.
    """
    k = len(y)
    alpha = 1 - level
    scale = np.var(y) + np.mean(v)
    upper_quantile, lower_quantile = chi2_quantile([1 - alpha / 2, alpha / 2], k - 1)
    low = _root_on_positive_axis(lambda t: generalised_q(y, v, t) - upper_quantile, scale)
    high = _root_on_positive_axis(lambda t: generalised_q(y, v, t) - lower_quantile, scale)
    return low, high


def _typical_variance(v) -> float:
    """metafor's 'typical' within-study variance s^2 used in I^2 and H^2."""
    w = 1.0 / v
    k = len(v)
    return (k - 1) * w.sum() / (w.sum() ** 2 - np.sum(w**2))


def pool(estimates, standard_errors, model: str = DEFAULT_MODEL, ci_method: str = DEFAULT_CI) -> Pooled:
    """Pool per-study estimates, as ``metafor::rma(yi, sei=, method=, test=)``.

    Parameters
    ----------
    estimates : array_like
        Per-study estimates on a scale where they are roughly normal (log HR,
        RMST difference, survival difference).
    standard_errors : array_like
        Their standard errors (all > 0).
    model : {"common", "DL", "REML", "PM"}
        "common" is metafor's ``method="EE"``.
    ci_method : {"wald", "hksj", "hksj_adhoc"}
        ``test="z"``, ``test="knha"`` (no truncation of the HKSJ factor) or
        ``test="adhoc"`` (the factor truncated at 1: the SE is the larger of
        HKSJ's and Wald's), as metafor.

    Returns
    -------
    Pooled

    Raises
    ------
    ValueError
        With fewer than two studies or a non-positive standard error.
    """
    y = np.asarray(estimates, dtype=float)
    se_i = np.asarray(standard_errors, dtype=float)
    if model not in MODELS or ci_method not in CI_METHODS:
        raise ValueError(f"unknown model {model!r} or CI method {ci_method!r}")
    k = len(y)
    if k < 2:
        raise ValueError("pooling needs at least two studies")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(se_i)) or np.any(se_i <= 0):
        raise ValueError("every study needs a finite estimate and a positive standard error")
    v = se_i**2
    tau2 = 0.0 if model == "common" else _ESTIMATORS[model](y, v)
    mu, w = _weighted_mean(y, v, tau2)
    q = generalised_q(y, v, 0.0)
    q_df = k - 1
    s2 = _typical_variance(v)
    if model == "common":
        i2 = 100 * max(0.0, (q - q_df) / q) if q > 0 else 0.0
        h2 = max(1.0, q / q_df)
        tau2_ci = (0.0, 0.0)
    else:
        i2 = 100 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2
        tau2_ci = tau2_q_profile_ci(y, v)
    note = ""
    wald_se = float(np.sqrt(1.0 / w.sum()))
    if ci_method in ("hksj", "hksj_adhoc"):
        scaling = float(np.sum(w * (y - mu) ** 2) / (k - 1))  # HKSJ's factor on Wald's variance
        se = float(np.sqrt(max(scaling, 1.0) if ci_method == "hksj_adhoc" else scaling) * wald_se)
        critical = t_quantile(1 - (1 - _LEVEL) / 2, k - 1)
        p_value = 2 * t_sf(abs(mu) / se, k - 1) if se > 0 else np.nan
        if scaling < 1:
            note = (f"HKSJ scaling factor {scaling:.2g} < 1: corrected to 1 (ad hoc), the CI as wide as Wald's at "
                    "least" if ci_method == "hksj_adhoc" else
                    f"HKSJ scaling factor {scaling:.2g} < 1: this CI is narrower than Wald's; see hksj_adhoc")
    else:
        se = wald_se
        critical = normal_quantile(1 - (1 - _LEVEL) / 2)
        p_value = 2 * normal_sf(abs(mu) / se)
    if model == "common":
        pi = (np.nan, np.nan)
        note = "no prediction interval for the common-effect model"
    elif k < 3:
        pi = (np.nan, np.nan)
        note = "; ".join(filter(None, [note, "two studies: tau^2 is barely estimable and no prediction "
                                             "interval (needs 3); read the CI with care"]))
    else:
        half = t_quantile(1 - (1 - _LEVEL) / 2, k - 2) * np.sqrt(tau2 + se**2)
        pi = (mu - half, mu + half)
    if ci_method != "wald" and se == 0:
        note = "; ".join(filter(None, [note, "HKSJ standard error is 0 (all studies agree exactly)"]))
    return Pooled(
        model=model, ci_method=ci_method, k=k, estimate=float(mu), se=se,
        ci_low=float(mu - critical * se), ci_high=float(mu + critical * se), p_value=float(p_value),
        pi_low=float(pi[0]), pi_high=float(pi[1]), tau2=float(tau2),
        tau2_ci_low=float(tau2_ci[0]), tau2_ci_high=float(tau2_ci[1]), i2=float(i2), h2=float(h2),
        q=q, q_df=q_df, q_p=float(chi2_sf(q, q_df)), note=note,
    )


def pool_all(estimates, standard_errors) -> list[Pooled]:
    """Every model x CI method: common (Wald), and DL/REML/PM each with Wald, HKSJ and ad-hoc HKSJ."""
    combos = [("common", "wald")] + [(m, c) for m in MODELS[1:] for c in CI_METHODS]
    return [pool(estimates, standard_errors, m, c) for m, c in combos]


def study_weights(standard_errors, tau2: float) -> np.ndarray:
    """Percent weight of each study in a model with this tau^2 (for forest plots)."""
    w = 1.0 / (np.asarray(standard_errors, dtype=float) ** 2 + tau2)
    return 100 * w / w.sum()
