"""End-to-end accuracy and speed of whole jobs: ``python -m benchmarks.pipeline``.

Runs ``kmipd.pipeline.run`` on the README's example job ``figures_in/`` (simulated TKI vs
TKI + ICI studies, PFS and OS) and on ``benchmarks/real_trials/`` (three real trials drawn as
journal figures), and compares each figure's reconstruction with the IPD it was drawn from:
events, integrated absolute error of the KM curves, log hazard ratio, and the pooled log hazard
ratio per outcome. Writes ``benchmarks/results/pipeline.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from benchmarks import make_figures_in, make_real_trials
from benchmarks.reconstruct import compare_arm, log_hazard_ratio
from kmipd.pipeline import run
from meta import analyse

RESULTS = Path(__file__).with_name("results") / "pipeline.json"


def arm_errors(truth: pd.DataFrame, rebuilt: pd.DataFrame, arm: str) -> dict:
    """Errors of one reconstructed arm against its true IPD (see :func:`benchmarks.reconstruct.compare_arm`)."""
    window = float(truth["time"].max())
    tau = float(truth.groupby("arm")["time"].max().min())
    return compare_arm(truth[truth["arm"] == arm], rebuilt[rebuilt["arm"] == arm], window, tau)


def pooled_log_hr(pooled: pd.DataFrame, outcome: str) -> float:
    chosen = pooled[pooled["default"].astype(bool) & (pooled["measure"] == "log_hr") & (pooled["outcome"] == outcome)]
    return float(chosen["estimate"].item())


def score_job(folder: Path, truth: pd.DataFrame, treatment: str, control: str) -> dict:
    """Run the job in ``folder`` and score it against ``truth`` (``study, outcome, arm, time, event``)."""
    started = time.perf_counter()
    result = run(folder)
    seconds = time.perf_counter() - started
    rows = []
    for (study, outcome), true_figure in truth.groupby(["study", "outcome"], sort=True):
        rebuilt = result.ipd[(result.ipd["study"] == study) & (result.ipd["outcome"] == outcome)]
        # log hazard ratio of the treatment vs the control, with the control as the reference
        reference = {"arm": lambda d: d["arm"].map({control: "control", treatment: "treatment"})}
        row = {"study": study, "outcome": outcome,
               "log_hr_true": log_hazard_ratio(true_figure.assign(**reference)),
               "log_hr_rebuilt": log_hazard_ratio(rebuilt.assign(**reference))}
        row["abs_log_hr_error"] = abs(row["log_hr_true"] - row["log_hr_rebuilt"])
        for arm in (treatment, control):
            true_arm, rebuilt_arm = true_figure[true_figure["arm"] == arm], rebuilt[rebuilt["arm"] == arm]
            row[f"{arm}_events_true"] = int(true_arm["event"].sum())
            row[f"{arm}_events_rebuilt"] = int(rebuilt_arm["event"].sum())
            row[f"{arm}_iae"] = arm_errors(true_figure, rebuilt, arm)["iae"]
        rows.append(row)
    expected = analyse(truth, treatment=treatment, control=control).pooled
    pooled = {outcome: {"true": pooled_log_hr(expected, outcome), "rebuilt": pooled_log_hr(result.meta.pooled, outcome)}
              for outcome in sorted(truth["outcome"].unique())}
    for values in pooled.values():
        values["abs_error"] = abs(values["true"] - values["rebuilt"])
    figures = len(rows)
    return {"figures": rows, "pooled_log_hr": pooled, "seconds_total": seconds, "seconds_per_figure": seconds / figures}


def _real_trials_truth() -> pd.DataFrame:
    parts = [make_real_trials.true_ipd(dataset, unit, treatment_arm, control_arm).assign(study=study, outcome="EFS")
             for study, dataset, unit, treatment_arm, control_arm, _, _ in make_real_trials.STUDIES]
    return pd.concat(parts, ignore_index=True)


def main() -> dict:
    jobs = {
        "figures_in": score_job(make_figures_in.FOLDER, pd.read_csv(make_figures_in.FOLDER / make_figures_in.TRUTH),
                                make_figures_in.TREATMENT, make_figures_in.CONTROL),
        "real_trials": score_job(make_real_trials.FOLDER, _real_trials_truth(), make_real_trials.TREATMENT,
                                 make_real_trials.CONTROL),
    }
    for name, summary in jobs.items():
        print(f"== {name}")
        print(pd.DataFrame(summary["figures"]).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        for outcome, values in summary["pooled_log_hr"].items():
            print(f"pooled log HR {outcome}: true {values['true']:.4f}, rebuilt {values['rebuilt']:.4f} "
                  f"(|error| {values['abs_error']:.4f})")
        print(f"whole job: {summary['seconds_total']:.2f} s ({summary['seconds_per_figure']:.2f} s per figure)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(jobs, indent=1, sort_keys=True) + "\n")
    return jobs


if __name__ == "__main__":
    main()
