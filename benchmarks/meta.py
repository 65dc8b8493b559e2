"""Speed and accuracy of the ``meta`` stage.

Run from the project root::

    python -m benchmarks.meta

Speed: 50 studies of 500 patients each, built by resampling the real gbsg2
IPD (hormone therapy vs none, days) with a fixed seed; each study gets its
own baseline time scale and a small study-specific treatment effect, so
there is real heterogeneity to estimate. Timed: per-study analyses plus
two-stage pooling, one-stage Cox models, pooled arms, and writing every
table and figure. Target: under 10 s in all.

Scale: ``kmipd meta`` run as a command on 10^6 patients (50 studies of
20,000, the same resampling), timed end to end with its peak memory.
Target: under 10 s and 1 GB.

Accuracy: the published reference values the tests also check (metafor's
BCG example, survRM2's PBC example) and the agreement of the two-stage and
one-stage hazard ratios on the simulated studies.

Prints a table and writes ``benchmarks/results/meta.json``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.datasets import load
from meta import analyse
from meta.km import kaplan_meier
from meta.one_stage import one_stage
from meta.per_study import per_study
from meta.pooled_arms import pooled_arms
from meta.pooling import pool
from meta.rmst import rmst, rmst_difference

RESULTS = Path(__file__).parent / "results" / "meta.json"
TESTS_DATA = Path(__file__).parent.parent / "tests" / "data"
N_STUDIES, N_PER_STUDY, SEED = 50, 500, 20251121
TREATMENT, CONTROL = "TKI+ICI", "TKI"
TARGET_SECONDS = 10.0
#: The scale test: studies x patients per study (10^6 patients), and its memory target.
LARGE_STUDIES, LARGE_PER_STUDY, TARGET_MEGABYTES = 50, 20_000, 1024


def simulated_studies(n_studies: int = N_STUDIES, n_per_study: int = N_PER_STUDY, seed: int = SEED) -> pd.DataFrame:
    """Resampled gbsg2 patients as ``study, arm, time, event`` (hormone -> TKI+ICI)."""
    rng = np.random.default_rng(seed)
    source = load("gbsg2")
    arms = {TREATMENT: source[source["arm"] == "hormone"], CONTROL: source[source["arm"] == "no hormone"]}
    studies = []
    for index in range(n_studies):
        baseline = np.exp(rng.normal(0, 0.3))  # study's time scale
        effect = np.exp(rng.normal(0, 0.15))  # study-specific extra treatment effect on time
        for label, arm in arms.items():
            sample = arm.iloc[rng.integers(0, len(arm), n_per_study // 2)]
            scale = baseline * (effect if label == TREATMENT else 1.0)
            studies.append(pd.DataFrame({"study": f"study {index + 1:02d}", "arm": label,
                                         "time": np.round(sample["time"].to_numpy() * scale, 1),
                                         "event": sample["event"].to_numpy()}))
    return pd.concat(studies, ignore_index=True)


def _timed(function, *args, **kwargs):
    """Value, wall-clock seconds and CPU seconds (the CPU figure is what a loaded machine cannot inflate)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    return value, (time.perf_counter() - start, time.process_time() - start_cpu)


def speed() -> list[dict]:
    """Seconds of each part on the simulated studies, and of the whole stage."""
    ipd = simulated_studies()
    tau = float(ipd.groupby(["study", "arm"])["time"].max().min())
    rows = []

    def add(part, seconds):
        rows.append({"part": part, "wall_seconds": seconds[0], "cpu_seconds": seconds[1]})

    add("per-study analyses (50 studies)", _timed(per_study, ipd, TREATMENT, CONTROL, tau, [365.0, 1095.0])[1])
    add("one-stage: stratified + gamma frailty Cox", _timed(one_stage, ipd, TREATMENT, CONTROL)[1])
    add("pooled arms (curves, medians, milestones)", _timed(pooled_arms, ipd, [365.0, 1095.0])[1])
    result, analysing = _timed(analyse, ipd, TREATMENT, CONTROL, milestones=[365, 1095])
    add("analyse(): all of the above + pooling + leave-one-out", analysing)
    with tempfile.TemporaryDirectory() as folder:
        _, writing = _timed(result.to_folder, folder)
    add("writing 5 CSV + JSON + 3 figures", writing)
    add(f"TOTAL analyse + write (target < {TARGET_SECONDS:g} s)",
        (analysing[0] + writing[0], analysing[1] + writing[1]))
    return rows, result


def large() -> dict:
    """``kmipd meta`` on 10^6 patients in a child process: wall and CPU seconds, peak memory (MB)."""
    with tempfile.TemporaryDirectory() as folder:
        ipd_file = Path(folder) / "ipd.csv"
        simulated_studies(LARGE_STUDIES, LARGE_PER_STUDY).to_csv(ipd_file, index=False)
        command = [sys.executable, "-m", "kmipd", "meta", str(ipd_file), "--treatment", TREATMENT,
                   "--control", CONTROL, "--milestones", "365,1095", "--out", str(Path(folder) / "out")]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"patients": LARGE_STUDIES * LARGE_PER_STUDY, "wall_seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_megabytes": usage.ru_maxrss / 1024,
            "target_seconds": TARGET_SECONDS, "target_megabytes": TARGET_MEGABYTES}


def accuracy(result) -> list[dict]:
    """Deviations from published reference values, and two-stage vs one-stage agreement."""
    bcg = np.array([[4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
                    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619],
                    [505, 87886, 499, 87892], [29, 7470, 45, 7232], [17, 1699, 65, 1600],
                    [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825]], float)
    tpos, tneg, cpos, cneg = bcg.T
    yi = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    sei = np.sqrt(1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg))
    reml = pool(yi, sei, "REML", "wald")
    rows = [
        {"check": "metafor BCG REML tau^2 (ref 0.3132)", "value": reml.tau2, "abs_error": abs(reml.tau2 - 0.3132)},
        {"check": "metafor BCG REML estimate (ref -0.7145)", "value": reml.estimate,
         "abs_error": abs(reml.estimate + 0.7145)},
        {"check": "metafor BCG Q-profile upper (ref 1.1115)", "value": reml.tau2_ci_high,
         "abs_error": abs(reml.tau2_ci_high - 1.1115)},
    ]
    pbc_file = TESTS_DATA / "pbc_randomised.csv"
    if pbc_file.exists():
        raw = pd.read_csv(pbc_file)
        years, died = raw["days"] / 365.25, (raw["status"] == 2).astype(int)
        first, second = (rmst(kaplan_meier(years[raw["trt"] == arm], died[raw["trt"] == arm]), 10) for arm in (1, 2))
        difference = rmst_difference(first, second)
        rows += [{"check": "survRM2 PBC RMST arm 1 (ref 7.146)", "value": first.estimate,
                  "abs_error": abs(first.estimate - 7.146)},
                 {"check": "survRM2 PBC RMST difference (ref -0.137)", "value": difference.estimate,
                  "abs_error": abs(difference.estimate + 0.137)}]
    two_stage = result.pooled.query("default & measure == 'log_hr'")["estimate"].iloc[0]
    stratified = result.one_stage.set_index("model").loc["stratified Cox", "log_hr"]
    rows.append({"check": "simulated: two-stage vs stratified log HR", "value": two_stage,
                 "abs_error": abs(two_stage - stratified)})
    return rows


def main() -> None:
    """Run, print the tables, write the JSON."""
    speed_rows, result = speed()
    accuracy_rows = accuracy(result)
    scale = large()
    print(f"meta stage, {N_STUDIES} studies x {N_PER_STUDY} patients (resampled gbsg2, seed {SEED}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(pd.DataFrame(speed_rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print()
    print(pd.DataFrame(accuracy_rows).to_string(index=False, float_format=lambda v: f"{v:.6f}"))
    print()
    print(f"kmipd meta on {scale['patients']:,} patients: {scale['wall_seconds']:.1f} s wall, "
          f"{scale['cpu_seconds']:.1f} s CPU, peak {scale['peak_megabytes']:.0f} MB "
          f"(targets {TARGET_SECONDS:g} s, {TARGET_MEGABYTES} MB)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"speed": speed_rows, "accuracy": accuracy_rows, "large": scale,
                                   "load_average": os.getloadavg()[0],
                                   "studies": N_STUDIES, "patients_per_study": N_PER_STUDY, "seed": SEED},
                                  sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    main()
