"""Arm names read from legends and at-risk tables, on figures drawn by R and lifelines.

``python -m benchmarks.legend_names draw`` redraws ``tests/data/world/names/``: the R figures
by ``benchmarks/r/legend_names.R`` (when ``Rscript`` is installed) and the lifelines figures
below (``KaplanMeierFitter.plot`` + ``add_at_risk_counts``), each PNG with a truth JSON beside
it (legend names as printed, arm sizes, numbers at risk). ``python -m benchmarks.legend_names``
runs the fully automatic ``kmipd extract`` on each and prints, per figure, whether it completed
and whether the arms got their printed names; it writes ``benchmarks/results/legend_names.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

FIGURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "world" / "names"
RESULTS = Path(__file__).with_name("results") / "legend_names.json"
R_SCRIPT = Path(__file__).with_name("r") / "legend_names.R"


def _lifelines_specs():
    """(id, IPD per arm in legend order {label: (durations, events)}, at-risk step, time label)."""
    from lifelines import datasets

    rossi = datasets.load_rossi()
    gbsg2 = datasets.load_gbsg2()
    gbsg2 = gbsg2.assign(months=gbsg2["time"] / 30.44)
    leukemia = datasets.load_leukemia()
    larynx = datasets.load_larynx()
    stage = np.select([larynx["Stage_IV"] == 1, larynx["Stage_III"] == 1], ["Stage IV", "Stage III"], "Stage I-II")

    def split(frame, time, event, groups, labels):
        return {label: (frame.loc[groups == g, time].to_numpy(), frame.loc[groups == g, event].to_numpy())
                for g, label in zip(sorted(set(groups)), labels)}

    return [
        ("ll_rossi_fin", split(rossi, "week", "arrest", rossi["fin"], ["No aid", "Financial aid"]), 10, "Weeks"),
        ("ll_gbsg2_n", split(gbsg2, "months", "cens", gbsg2["horTh"],
                             ["No hormone therapy (n=440)", "Hormone therapy (n=246)"]), 12, "Months"),
        ("ll_leukemia_single", {"All patients": (leukemia["t"].to_numpy(), leukemia["status"].to_numpy())}, 5,
         "Weeks"),
        ("ll_larynx_stage", {label: (larynx.loc[stage == label, "time"].to_numpy(),
                                     larynx.loc[stage == label, "death"].to_numpy())
                             for label in ["Stage I-II", "Stage III", "Stage IV"]}, 2, "Years"),
    ]


def draw_lifelines() -> None:
    """The lifelines figures of :func:`_lifelines_specs`, with their truth JSON."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lifelines import KaplanMeierFitter
    from lifelines.plotting import add_at_risk_counts

    for figure_id, arms, step, unit in _lifelines_specs():
        figure, axes = plt.subplots(figsize=(8, 6), dpi=100)
        fitters = []
        for label, (durations, events) in arms.items():
            fitter = KaplanMeierFitter(label=label).fit(durations, events)
            fitter.plot_survival_function(ax=axes, ci_show=False, show_censors=True)
            fitters.append(fitter)
        axes.set_xticks(np.arange(0, max(d.max() for d, _ in arms.values()) + step, step))
        axes.set_xlabel(unit)
        axes.set_ylabel("Survival probability")
        add_at_risk_counts(*fitters, ax=axes, rows_to_show=["At risk"])
        # The counts as lifelines prints them: under each visible tick, all at 0, else those left after it.
        low, high = axes.get_xlim()
        ticks = [float(t) for t in axes.get_xticks() if low <= t <= high]
        truth_arms = [{"legend": label, "n": len(durations), "at_risk": {
            "time": ticks, "n_risk": [int((durations >= t).sum() if t <= 0 else (durations > t).sum()) for t in ticks]}}
            for label, (durations, _) in arms.items()]
        figure.tight_layout()
        figure.savefig(FIGURES / f"{figure_id}.png", metadata={"Software": None})
        plt.close(figure)
        truth = {"id": figure_id, "program": "lifelines KaplanMeierFitter.plot + add_at_risk_counts",
                 "data": f"lifelines.datasets ({figure_id.split('_')[1]})", "legend_position": "best",
                 "legend_title": "", "table": "names", "arms": truth_arms}
        (FIGURES / f"{figure_id}.json").write_text(json.dumps(truth, indent=2) + "\n")


def draw() -> None:
    """Redraw every figure of ``tests/data/world/names``."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    if shutil.which("Rscript"):
        subprocess.run(["Rscript", str(R_SCRIPT), str(FIGURES)], check=True)
    draw_lifelines()


def expected_names(truth: dict) -> list[str] | None:
    """The names the arms should get: the legend's labels (or, without a legend, the at-risk
    rows') without survminer's ``arm=`` prefix or statistics; None when the figure prints no
    name (any will do)."""
    if truth["legend_position"] == "none" and truth["table"] in ("none", "bars"):
        return None
    names = []
    for arm in truth["arms"]:
        name = re.sub(r"^\w+=", "", arm["legend"])
        for end in (" (n=", ", median"):
            name = name.split(end)[0]
        names.append(name)
    return names


def measure() -> dict:
    """Run ``extract`` on every figure and compare the arm names with the printed legend."""
    from kmipd.errors import InputError
    from kmipd.pipeline import extract

    rows = []
    for truth_path in sorted(FIGURES.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        expected = expected_names(truth)
        row = {"id": truth["id"], "expected": expected}
        try:
            extraction = extract(truth_path.with_suffix(".png"))
        except InputError as error:
            row.update(completed=False, error=error.message)
            names = None
        else:
            names = list(extraction.digitization.arms["arm"])
            row.update(completed=True, names=names,
                       at_risk_arms=sorted(set(extraction.at_risk["arm"])) if len(extraction.at_risk) else [])
        if names is None:
            from digitize import digitize

            try:
                names = list(digitize(truth_path.with_suffix(".png")).arms["arm"])
            except InputError:
                names = []
            row["digitize_names"] = names
        row["names_right"] = (len(names) == len(truth["arms"]) if expected is None
                              else sorted(names) == sorted(expected))
        rows.append(row)
        status = "ok  " if row["completed"] else "FAIL"
        print(f"{status} names {'right' if row['names_right'] else 'WRONG'}  {truth['id']}: {names} "
              f"(expected {expected}){'' if row['completed'] else '  -- ' + row['error']}")
    summary = {"figures": len(rows), "completed": sum(r["completed"] for r in rows),
               "names_right": sum(r["names_right"] for r in rows),
               "completed_with_right_names": sum(r["completed"] and r["names_right"] for r in rows)}
    print(json.dumps(summary))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "figures": rows}, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    draw() if sys.argv[1:] == ["draw"] else measure()
