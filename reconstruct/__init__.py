"""Stage 2: reconstruct individual patient data from digitized KM curves and at-risk tables.

>>> from reconstruct import reconstruct
>>> result = reconstruct(curves, at_risk)          # doctest: +SKIP
>>> result.ipd                                     # arm, time, event  # doctest: +SKIP

One module per step: :mod:`~reconstruct.clean` (messy points -> drops),
:mod:`~reconstruct.at_risk` (checking the table), :mod:`~reconstruct.censoring`
(the censoring model), :mod:`~reconstruct.counts` (numbers at risk and deaths
at every drop), :mod:`~reconstruct.result` and :mod:`~reconstruct.plot`.
"""

from reconstruct.reconstruction import reconstruct, reconstruct_arm
from reconstruct.result import ArmReconstruction, Reconstruction

__all__ = ["reconstruct", "reconstruct_arm", "ArmReconstruction", "Reconstruction"]
