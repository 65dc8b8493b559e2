"""Regenerate ``benchmarks/real_trials/``: ``python -m benchmarks.make_real_trials``.

A job of three real trials whose IPD ships with lifelines (they compare other
treatments, so they are a benchmark, not one pooled analysis), each drawn as a journal
would print it (survminer with a risk table, base R in black and grey, SAS
with a risk table), with the manifest a reviewer would write for them: which
curve is the treatment, the at-risk tables typed from the figures, the arm
sizes where a figure prints no table. Times are in months in every figure so
that the studies can be pooled. :func:`true_ipd` gives the IPD each figure was
drawn from, for the end-to-end benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmarks import datasets
from benchmarks.figures import FAMILIES, convert_time, draw_km_figure, save_image
from benchmarks.km_points import at_risk_table

FOLDER = Path(__file__).resolve().parent / "real_trials"
TREATMENT, CONTROL = "treatment", "control"

#: study label, dataset, its time unit, treatment arm, control arm, figure style, risk table typed in
STUDIES = [
    ("Rossi 1980", "rossi", "weeks", "financial aid", "no aid", "survminer", True),
    ("Freireich 1963", "leukemia", "weeks", "6-MP", "placebo", "base_r", False),
    ("Schumacher 1994", "gbsg2", "days", "hormone", "no hormone", "sas", True),
]


def true_ipd(dataset: str, unit: str, treatment_arm: str, control_arm: str) -> pd.DataFrame:
    """The IPD a figure of :data:`STUDIES` is drawn from: arms renamed to the groups, time in months."""
    ipd = convert_time(datasets.load(dataset), unit, "months")
    ipd = ipd[ipd["arm"].isin([treatment_arm, control_arm])]
    return ipd.assign(arm=ipd["arm"].map({treatment_arm: TREATMENT, control_arm: CONTROL}))


def main(folder: Path = FOLDER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for study, dataset, unit, treatment_arm, control_arm, family, typed_table in STUDIES:
        stem = study.lower().replace(" ", "_")
        ipd = convert_time(datasets.load(dataset), unit, "months")
        # drawn with the trial's own arm names, treatment first, as the paper would
        ipd = pd.concat([ipd[ipd["arm"] == treatment_arm], ipd[ipd["arm"] == control_arm]])
        style = FAMILIES[family].but(risk_table=typed_table)
        image, truth = draw_km_figure(ipd, style, time_label="Time (months)")
        save_image(image, folder / f"{stem}.png")
        colours = {arm["name"]: arm["colour"] for arm in truth["arms"]}
        row = {"figure": f"{stem}.png", "study": study, "outcome": "EFS",
               "arms": f"{TREATMENT}={colours[treatment_arm]},{CONTROL}={colours[control_arm]}",
               "at_risk": "", "n": "", "time_unit": "months"}
        groups = true_ipd(dataset, unit, treatment_arm, control_arm)
        if typed_table:
            table = at_risk_table(groups, truth["x_ticks"])
            table.to_csv(folder / f"{stem}_at_risk.csv", index=False, float_format="%g")
            row["at_risk"] = f"{stem}_at_risk.csv"
        else:
            sizes = groups["arm"].value_counts()
            row["n"] = f"{TREATMENT}={sizes[TREATMENT]},{CONTROL}={sizes[CONTROL]}"
        rows.append(row)
    pd.DataFrame(rows).to_csv(folder / "studies.csv", index=False)
    settings = {"treatment": TREATMENT, "control": CONTROL, "milestones": [6, 12]}
    (folder / "analysis.json").write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    print(f"{len(rows)} figures in {folder}")


if __name__ == "__main__":
    main()
