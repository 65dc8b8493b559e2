"""Stage 3: per-study survival analyses and their pooling across studies.

:func:`analyse` runs everything on the IPD of several studies and returns a
:class:`MetaResult`; the modules hold one concern each: :mod:`meta.km`
(Kaplan-Meier, log-rank), :mod:`meta.rmst` (survRM2's RMST),
:mod:`meta.risk_sets` and :mod:`meta.zph` (Cox terms, R's ``cox.zph``),
:mod:`meta.per_study`, :mod:`meta.pooling` (metafor's ``rma``),
:mod:`meta.leave_one_out`, :mod:`meta.one_stage` (stratified and frailty
Cox), :mod:`meta.pooled_arms` (pooled curves per arm), :mod:`meta.forest`
and :mod:`meta.curves_plot` (figures), :mod:`meta.result` (writers).
"""

from meta.analyse import analyse
from meta.result import MetaResult

__all__ = ["analyse", "MetaResult"]
