"""End-to-end accuracy and speed on the example job: ``python -m benchmarks.pipeline``.

Runs ``kmipd.pipeline.run`` on ``figures_in/`` (three real trials drawn as
journal figures) and compares each study's reconstruction with the IPD it
was drawn from: events, integrated absolute error of the KM curves, log
hazard ratio, and the pooled log hazard ratio. Writes
``benchmarks/results/pipeline.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from benchmarks.make_figures_in import FOLDER, STUDIES, TREATMENT, true_ipd
from benchmarks.reconstruct import compare_arm, log_hazard_ratio
from kmipd.pipeline import run
from meta import analyse

RESULTS = Path(__file__).with_name("results") / "pipeline.json"


def arm_errors(truth: pd.DataFrame, rebuilt: pd.DataFrame, arm: str) -> dict:
    """Errors of one reconstructed arm against its true IPD (see :func:`benchmarks.reconstruct.compare_arm`)."""
    window = float(truth["time"].max())
    tau = float(truth.groupby("arm")["time"].max().min())
    return compare_arm(truth[truth["arm"] == arm], rebuilt[rebuilt["arm"] == arm], window, tau)


def pooled_log_hr(pooled: pd.DataFrame) -> float:
    chosen = pooled[pooled["default"].astype(bool) & (pooled["measure"] == "log_hr")]
    return float(chosen["estimate"].item())


def main() -> dict:
    started = time.perf_counter()
    result = run(FOLDER)
    seconds = time.perf_counter() - started
    rows, truths = [], []
    for study, dataset, unit, treatment_arm, control_arm, family, _ in STUDIES:
        truth = true_ipd(dataset, unit, treatment_arm, control_arm)
        truths.append(truth.assign(study=study, outcome="EFS"))
        rebuilt = result.ipd[result.ipd["study"] == study]
        row = {"study": study, "style": family,
               "log_hr_true": log_hazard_ratio(truth), "log_hr_rebuilt": log_hazard_ratio(rebuilt)}
        row["abs_log_hr_error"] = abs(row["log_hr_true"] - row["log_hr_rebuilt"])
        for arm in (TREATMENT, "control"):
            true_arm, rebuilt_arm = truth[truth["arm"] == arm], rebuilt[rebuilt["arm"] == arm]
            row[f"{arm}_events_true"] = int(true_arm["event"].sum())
            row[f"{arm}_events_rebuilt"] = int(rebuilt_arm["event"].sum())
            row[f"{arm}_iae"] = arm_errors(truth, rebuilt, arm)["iae"]
        rows.append(row)
    expected = analyse(pd.concat(truths), treatment=TREATMENT, control="control").pooled
    summary = {
        "studies": rows,
        "pooled_log_hr_true": pooled_log_hr(expected),
        "pooled_log_hr_rebuilt": pooled_log_hr(result.meta.pooled),
        "seconds_total": seconds,
        "seconds_per_figure": seconds / len(STUDIES),
    }
    summary["abs_pooled_log_hr_error"] = abs(summary["pooled_log_hr_true"] - summary["pooled_log_hr_rebuilt"])
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"pooled log HR: true {summary['pooled_log_hr_true']:.4f}, rebuilt "
          f"{summary['pooled_log_hr_rebuilt']:.4f} (|error| {summary['abs_pooled_log_hr_error']:.4f})")
    print(f"whole job: {seconds:.2f} s ({summary['seconds_per_figure']:.2f} s per figure)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


if __name__ == "__main__":
    main()
