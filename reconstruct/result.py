"""Results of a reconstruction: the IPD, the per-interval check against the table, fit diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class ArmReconstruction:
    """The reconstruction of one arm.

    Attributes
    ----------
    ipd : pandas.DataFrame
        Columns ``time, event`` (1 = event, 0 = censored), one row a patient, sorted by time.
    intervals : pandas.DataFrame
        One row per at-risk table time: ``time``, ``n_risk_published``,
        ``n_risk_reconstructed`` and the ``events`` and ``censored`` from that
        time to the next.
    max_abs_error, mean_abs_error : float
        Largest and mean distance of the input points from the reconstructed
        KM curve (its vertical drops included), in survival units.
    notes : list of str
        Corrections applied to the input and warnings about the result.
    curve : pandas.DataFrame
        The input points (``time, survival``, after clamping), for plots.
    """

    ipd: pd.DataFrame
    intervals: pd.DataFrame
    max_abs_error: float
    mean_abs_error: float
    notes: list = field(default_factory=list)
    curve: pd.DataFrame | None = None

    @property
    def n_total(self) -> int:
        return len(self.ipd)

    @property
    def n_events(self) -> int:
        return int(self.ipd["event"].sum())

    @property
    def n_censored(self) -> int:
        return self.n_total - self.n_events


@dataclass
class Reconstruction:
    """The reconstruction of every arm of a figure.

    Attributes
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``, sorted by arm then time.
    arms : dict of str -> ArmReconstruction
        Per-arm results, in arm order.
    """

    ipd: pd.DataFrame
    arms: dict

    @property
    def summary(self) -> pd.DataFrame:
        """One row per arm: N, events, censored, fit errors, and published vs reconstructed at-risk."""
        rows = []
        for arm, result in self.arms.items():
            table = result.intervals
            rows.append({
                "arm": arm, "n": result.n_total, "events": result.n_events,
                "censored": result.n_censored, "max_abs_dS": result.max_abs_error,
                "mean_abs_dS": result.mean_abs_error,
                "at_risk_published": " ".join(_counts(table["n_risk_published"])),
                "at_risk_reconstructed": " ".join(_counts(table["n_risk_reconstructed"])),
            })
        return pd.DataFrame(rows)


def _counts(values) -> list[str]:
    return ["-" if pd.isna(v) else str(int(v)) for v in values]


def kaplan_meier(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate: event times and survival just after each.

    Written with NumPy rather than lifelines' ``KaplanMeierFitter`` because it
    runs on every arm of every reconstruction, where the fitter's set-up would
    cost more than the whole reconstruction.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    event_times, deaths = np.unique(time[event], return_counts=True)
    n_risk = time.size - np.searchsorted(np.sort(time), event_times, side="left")
    return event_times, np.cumprod(1.0 - deaths / n_risk)


def step_distance(step_time, step_survival, time, survival, time_error: float = 0.0) -> np.ndarray:
    """Distance of points from a right-continuous step function starting at 1, drops included.

    A point anywhere between the level just before ``time - time_error`` and
    the level at ``time + time_error`` lies on the curve: a digitizer traces
    the vertical segments too, and may place them up to ``time_error`` off.
    """
    levels = np.r_[1.0, step_survival]
    right = levels[np.searchsorted(step_time, np.asarray(time) + time_error, side="right")]
    left = levels[np.searchsorted(step_time, np.asarray(time) - time_error, side="left")]
    return np.maximum(np.maximum(right - survival, survival - left), 0.0)


def build_intervals(time, event, table_time, published) -> pd.DataFrame:
    """Per at-risk interval: published and reconstructed numbers at risk, events and censored.

    ``time`` and ``event`` are the IPD's columns, sorted by time.
    """
    time, event = np.asarray(time, dtype=float), np.asarray(event) == 1
    bounds = np.r_[table_time, np.inf]
    return pd.DataFrame({
        "time": np.asarray(table_time, dtype=float),
        "n_risk_published": pd.array(published, dtype="Int64"),
        "n_risk_reconstructed": time.size - np.searchsorted(time, table_time, side="left"),
        "events": np.diff(np.searchsorted(time[event], bounds, side="left")),
        "censored": np.diff(np.searchsorted(time[~event], bounds, side="left")),
    })
