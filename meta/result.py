"""The result of :func:`meta.analyse`: tables, figures, and writers kept apart from computation."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from meta.curves_plot import pooled_km_plot
from meta.forest import forest_plot
from meta.pooling import DEFAULT_CI, DEFAULT_MODEL, method_label

#: Tables written as ``<name>.csv``, in this order.
TABLES = ("per_study", "pooled", "one_stage", "leave_one_out", "pooled_arms")

#: Figures: file stem -> pooled measure drawn (None for the pooled curves).
FIGURES = {"forest_hr": "log_hr", "forest_rmst": "rmst_difference", "pooled_km": None}

_FLOAT_FORMAT = "%.10g"
#: Figures are written for print: PNG at this resolution, and SVG beside each.
_DPI = 300


def _with_outcome(parts: dict, key: str) -> pd.DataFrame:
    frames = [part[key].assign(outcome=name) for name, part in parts.items() if not part[key].empty]
    if not frames:
        # No rows (e.g. no leave-one-out with two studies): the CSV still has its header.
        columns = next(iter(parts.values()))[key].columns if parts else []
        return pd.DataFrame(columns=["outcome", *[c for c in columns if c != "outcome"]])
    table = pd.concat(frames, ignore_index=True)
    return table[["outcome"] + [c for c in table.columns if c != "outcome"]]


def printed_time(value: float) -> str:
    """A time as a paper prints it: three significant digits, whole numbers from 100 up (5.28, 2467)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _json_value(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


@dataclass
class MetaResult:
    """Everything :func:`meta.analyse` computed, as tidy DataFrames.

    Each table has an ``outcome`` column (empty when the IPD has none).

    Attributes
    ----------
    per_study : DataFrame
        One row per study: N/events, medians, milestone survival, Cox HR,
        log-rank, PH test, RMST (see :func:`meta.per_study.study_row`).
    pooled : DataFrame
        One row per measure x model x CI method (:class:`meta.pooling.Pooled`
        fields); ``default`` marks the pooling reported (:attr:`model` with
        :attr:`ci_method`).
    one_stage : DataFrame
        Stratified Cox and gamma-frailty Cox.
    leave_one_out : DataFrame
        Default model refitted without each study, per measure.
    pooled_arms : DataFrame
        Pooled median and milestone survival per arm.
    pooled_curves : DataFrame
        The pooled survival curve of every arm: the study-stratified
        average-hazard curve that is drawn (``survival, ci_low, ci_high``) and
        the per-time-point random-effects pool the medians and milestones are
        read from (``re_survival, re_ci_low, re_ci_high, tau2``); see
        :mod:`meta.pooled_arms`.
    tau : dict
        RMST truncation time used, per outcome.
    notes : list of str
        Caveats (one study, studies left out, ...).
    ipd : dict
        The IPD analysed, per outcome (for the numbers at risk of the figures).
    time_unit : str
        The unit of every time ("" when not given), shown on every time axis.
    model, ci_method : str
        The pooling reported (see :func:`meta.analyse`).
    reconstructed : bool
        Whether the IPD was reconstructed from figures (``kmipd run`` sets
        it): the forest plots then mark their events and N so.
    break_steps : dict
        Per outcome, the time between the columns of the studies' printed
        at-risk tables (``kmipd run`` sets it), followed by the pooled KM's table.
    """

    per_study: pd.DataFrame
    pooled: pd.DataFrame
    one_stage: pd.DataFrame
    leave_one_out: pd.DataFrame
    pooled_arms: pd.DataFrame
    pooled_curves: pd.DataFrame
    tau: dict
    treatment: str
    control: str
    milestones: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    ipd: dict = field(default_factory=dict, repr=False)
    time_unit: str = ""
    model: str = DEFAULT_MODEL
    ci_method: str = DEFAULT_CI
    reconstructed: bool = False
    break_steps: dict = field(default_factory=dict)

    @classmethod
    def from_outcomes(cls, parts: dict, treatment: str, control: str, milestones, ipd: dict,
                      time_unit: str = "", model: str = DEFAULT_MODEL, ci_method: str = DEFAULT_CI) -> "MetaResult":
        """Combine the per-outcome dicts of :func:`meta.analyse.analyse_outcome`."""
        notes = [f"{name}: {note}" if name else note for name, part in parts.items() for note in part["notes"]]
        return cls(**{key: _with_outcome(parts, key) for key in TABLES + ("pooled_curves",)},
                   tau={name: part["tau"] for name, part in parts.items()}, treatment=treatment,
                   control=control, milestones=list(milestones), notes=notes, ipd=ipd, time_unit=time_unit,
                   model=model, ci_method=ci_method)

    @property
    def outcomes(self) -> list[str]:
        """The outcomes analysed ("" when the IPD has no outcome column)."""
        return list(self.tau)

    def headline(self) -> list[str]:
        """The default pooled results in words, one line per outcome and measure (for the console)."""
        lines = []
        default = self.pooled[self.pooled["default"].eq(True)]
        for row in default.itertuples():
            label = f"{row.outcome}: " if row.outcome else ""
            if row.measure == "log_hr":
                what, value = "hazard ratio", f"{row.hr:.3f} (95% CI {row.hr_ci_low:.3f} to {row.hr_ci_high:.3f})"
            else:
                at = (f" at {row.milestone:g}" if row.measure == "survival_difference"
                      else f" (tau = {printed_time(self.tau[row.outcome])}{self._unit})")
                what = row.measure.replace("_", " ") + at
                value = f"{row.estimate:.3f} (95% CI {row.ci_low:.3f} to {row.ci_high:.3f})"
            lines.append(f"{label}pooled {what}, {self.treatment} vs {self.control} "
                         f"({method_label(self.model, self.ci_method)}, {row.k} studies): {value}, "
                         f"p = {row.p_value:.3g}")
        return lines

    def to_json(self) -> str:
        """Every table and setting as JSON text: sorted keys, no NaN (null instead).

        Each table is a list of row objects, one row a line: readable and diffable, and quick to
        write for 10^6 patients (the pooled curves have a row per event time), which an indented
        document is not.
        """
        settings = {"treatment": self.treatment, "control": self.control, "milestones": self.milestones,
                    "tau": self.tau, "notes": self.notes, "time_unit": self.time_unit, "model": self.model,
                    "ci_method": self.ci_method}
        parts = {key: json.dumps(value, sort_keys=True, allow_nan=False) for key, value in settings.items()}
        for name in TABLES + ("pooled_curves",):
            rows = [json.dumps({key: _json_value(value) for key, value in row.items()}, sort_keys=True,
                               allow_nan=False) for row in getattr(self, name).to_dict(orient="records")]
            parts[name] = "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"
        return "{\n" + ",\n".join(f" {json.dumps(key)}: {parts[key]}" for key in sorted(parts)) + "\n}\n"

    def file_suffix(self, outcome: str) -> str:
        """What the figure files of ``outcome`` add to their names ("" when there is one outcome)."""
        # outcome names become part of file names: keep letters, digits, '-' and '.'
        return "_" + re.sub(r"[^A-Za-z0-9.-]+", "-", outcome) if len(self.outcomes) > 1 else ""

    def figures(self) -> dict:
        """``{file name: matplotlib Figure}``; one set per outcome, suffixed when several."""
        drawn = {}
        for outcome in self.outcomes:
            suffix = self.file_suffix(outcome)
            label = f"{outcome}: " if outcome else ""
            per_study = self.per_study[self.per_study["outcome"] == outcome]
            for stem, measure in FIGURES.items():
                if measure is None:
                    curves = self.pooled_curves[self.pooled_curves["outcome"] == outcome]
                    figure = pooled_km_plot(curves, self.ipd[outcome], title=f"{label}pooled survival per arm",
                                            time_unit=self.time_unit, break_step=self.break_steps.get(outcome))
                else:
                    figure = self._forest(per_study, outcome, measure, label)
                drawn[f"{stem}{suffix}.png"] = figure
        return drawn

    def _forest(self, per_study: pd.DataFrame, outcome: str, measure: str, label: str):
        se_column = "se_log_hr" if measure == "log_hr" else f"{measure}_se"
        studies = per_study.rename(columns={measure: "estimate", se_column: "se"})
        chosen = self.pooled[(self.pooled["outcome"] == outcome) & (self.pooled["measure"] == measure)]
        default = chosen[chosen["default"].eq(True)]  # NaN (nothing pooled) is not the default
        pooled = default.iloc[0] if len(default) else None
        name = {"log_hr": "hazard ratio", "rmst_difference": "RMST difference"}[measure]
        tau = f" (\u03c4 = {printed_time(self.tau[outcome])}{self._unit})" if measure == "rmst_difference" else ""
        return forest_plot(studies, pooled, measure, self.treatment, self.control,
                           title=f"{label}{name}{tau}, {self.treatment} vs {self.control}", time_unit=self.time_unit,
                           counts_reconstructed=self.reconstructed)

    @property
    def _unit(self) -> str:
        return f" {self.time_unit}" if self.time_unit else ""

    def write(self, path_for: Callable[[str], Path]) -> list[str]:
        """Write every table, ``results.json`` and every figure.

        Parameters
        ----------
        path_for : callable
            File name -> path to write it to (e.g. a staging folder's).

        Returns
        -------
        list of str
            The file names written.
        """
        names = []
        for name in TABLES:
            getattr(self, name).to_csv(path_for(f"{name}.csv"), index=False, float_format=_FLOAT_FORMAT)
            names.append(f"{name}.csv")
        Path(path_for("results.json")).write_text(self.to_json(), encoding="utf-8")
        names.append("results.json")
        for name, figure in self.figures().items():
            # no date in the metadata, so the same inputs give the same bytes; zlib level 1 encodes
            # faster than the default 6, and these flat-colour plots come out about as small
            figure.savefig(path_for(name), dpi=_DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
            vector = name.removesuffix(".png") + ".svg"
            # A fixed hash salt and no date keep the SVG's ids and bytes the same on every run.
            with plt.rc_context({"svg.hashsalt": "kmipd", "svg.fonttype": "none"}):
                figure.savefig(path_for(vector), format="svg", metadata={"Date": None, "Creator": None})
            plt.close(figure)
            names += [name, vector]
        return names

    def to_folder(self, folder) -> list[str]:
        """Write everything into ``folder`` (created if needed); see :meth:`write`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return self.write(lambda name: folder / name)
