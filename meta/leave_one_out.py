"""Leave-one-out sensitivity analysis of a pooled estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta.pooling import DEFAULT_CI, DEFAULT_MODEL, pool


def leave_one_out(studies, estimates, standard_errors, model: str = DEFAULT_MODEL,
                  ci_method: str = DEFAULT_CI) -> pd.DataFrame:
    """Pool again without each study in turn (metafor's ``leave1out``).

    Parameters
    ----------
    studies : sequence of str
        Study labels, aligned with the estimates.
    estimates, standard_errors : array_like
        Per-study estimates and SEs (at least three studies).
    model, ci_method : str
        As :func:`meta.pooling.pool`; REML with ad-hoc HKSJ by default.

    Returns
    -------
    DataFrame
        One row per omitted study: ``omitted`` and the :class:`meta.pooling.Pooled` fields.
    """
    estimates = np.asarray(estimates, dtype=float)
    standard_errors = np.asarray(standard_errors, dtype=float)
    rows = []
    for i, study in enumerate(studies):
        keep = np.arange(len(estimates)) != i
        result = pool(estimates[keep], standard_errors[keep], model, ci_method)
        rows.append({"omitted": study, **result.as_row()})
    return pd.DataFrame(rows)
