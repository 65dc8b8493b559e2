"""Regenerate ``figures_in/``, the example job of the README: ``python -m benchmarks.make_figures_in``.

The job kmipd exists for: second-line TKI monotherapy vs TKI + immune
checkpoint inhibitor after lenvatinib failure in liver cancer, PFS and OS, in
four studies. The trials are SIMULATED (the papers publish no IPD): two match
the arm sizes and medians of the seed papers (Yin 2025: TKI n = 21, TKI + ICI
n = 49, median PFS 3.10 vs 5.27 and OS 7.50 vs 12.53 months; Zhang 2024: TKI
n = 39, TKI + ICI n = 145, PFS 4.0 vs 7.0, OS 11.0 vs 23.0 months), two more
are in the same spirit. Each figure is drawn as a journal would print it
(survminer with a numbers-at-risk table, a base-R JPEG without one, SAS and
Prism styles), with the manifest a reviewer would write: which curve is which
group, the arm sizes where no table is printed, the time unit. The true IPD is
written beside them (``simulated_ipd.csv``, not in the manifest) so that
``benchmarks.pipeline`` scores the pooled answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from benchmarks.figures import FAMILIES, draw_km_figure, save_image

FOLDER = Path(__file__).resolve().parent.parent / "figures_in"
TREATMENT, CONTROL = "TKI+ICI", "TKI"
TRUTH = "simulated_ipd.csv"

#: study, n (TKI, TKI+ICI), median PFS and OS in months (TKI, TKI+ICI), figure style, JPEG quality,
#: how N is known: "read" (the numbers-at-risk table printed, read from the figure), "typed" (printed,
#: and typed into an at-risk CSV as a reviewer does when it cannot be read), "n" (no table: N given)
STUDIES = [
    ("Yin 2025 (simulated)", (21, 49), {"PFS": (3.10, 5.27), "OS": (7.50, 12.53)}, "survminer", None, "read"),
    ("Zhang 2024 (simulated)", (39, 145), {"PFS": (4.0, 7.0), "OS": (11.0, 23.0)}, "base_r", 85, "n"),
    ("Li 2023 (simulated)", (34, 58), {"PFS": (3.4, 5.9), "OS": (8.9, 14.8)}, "sas", None, "typed"),
    ("Chen 2024 (simulated)", (47, 52), {"PFS": (2.9, 4.4), "OS": (8.1, 12.0)}, "prism", None, "n"),
]
#: Months of accrual, of follow-up after the last patient, and the yearly rate of loss to follow-up.
ACCRUAL_MONTHS, FOLLOW_UP_MONTHS, LOSS_PER_YEAR = 18.0, 12.0, 0.05


def simulate_arm(n: int, median_months: float, rng: np.random.Generator) -> pd.DataFrame:
    """Exponential event times with the given median, censored by staggered entry and loss to follow-up."""
    event_time = rng.exponential(median_months / np.log(2), n)
    entry = rng.uniform(0.0, ACCRUAL_MONTHS, n)
    lost = rng.exponential(12.0 / LOSS_PER_YEAR, n)
    censor_time = np.minimum(ACCRUAL_MONTHS + FOLLOW_UP_MONTHS - entry, lost)
    time = np.round(np.minimum(event_time, censor_time), 2)
    return pd.DataFrame({"time": np.maximum(time, 0.01), "event": (event_time <= censor_time).astype(int)})


def simulated_ipd() -> pd.DataFrame:
    """``study, outcome, arm, time, event`` of every simulated study (seeded: the same on every run).

    Each arm's times are scaled so that its Kaplan-Meier median is the published one (a small
    arm's sample median strays far from the median it was drawn with).
    """
    parts = []
    for index, (study, sizes, medians, *_rest) in enumerate(STUDIES):
        for outcome_index, (outcome, (tki, combination)) in enumerate(medians.items()):
            rng = np.random.default_rng([2025, index, outcome_index])
            for arm, n, median in ((TREATMENT, sizes[1], combination), (CONTROL, sizes[0], tki)):
                simulated = simulate_arm(n, median, rng)
                drawn_median = KaplanMeierFitter().fit(simulated["time"], simulated["event"]).median_survival_time_
                simulated["time"] = np.maximum(np.round(simulated["time"] * median / drawn_median, 2), 0.01)
                parts.append(simulated.assign(study=study, outcome=outcome, arm=arm))
    return pd.concat(parts, ignore_index=True)[["study", "outcome", "arm", "time", "event"]]


def true_ipd(study: str, outcome: str) -> pd.DataFrame:
    """``arm, time, event``: the IPD one figure of ``figures_in`` was drawn from (read from its truth file)."""
    truth = pd.read_csv(FOLDER / TRUTH)
    chosen = truth[(truth["study"] == study) & (truth["outcome"] == outcome)]
    return chosen[["arm", "time", "event"]].reset_index(drop=True)


def main(folder: Path = FOLDER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ipd = simulated_ipd()
    ipd.to_csv(folder / TRUTH, index=False, float_format="%.2f")
    rows = []
    for study, _sizes, medians, family, jpeg_quality, known_by in STUDIES:
        for outcome in medians:
            arms = ipd[(ipd["study"] == study) & (ipd["outcome"] == outcome)][["arm", "time", "event"]]
            style = FAMILIES[family].but(risk_table=known_by != "n")
            image, truth = draw_km_figure(arms, style, time_label=f"{outcome}, months")
            stem = f"{study.split(' (')[0].lower().replace(' ', '_')}_{outcome.lower()}"
            name = f"{stem}.{'jpg' if jpeg_quality else 'png'}"
            save_image(image, folder / name, jpeg_quality=jpeg_quality)
            colours = {arm["name"]: arm["colour"] for arm in truth["arms"]}
            sizes = arms["arm"].value_counts()
            at_risk = ""
            if known_by == "typed":
                at_risk = f"{stem}_at_risk.csv"
                pd.DataFrame(truth["at_risk"]).to_csv(folder / at_risk, index=False, float_format="%g")
            rows.append({"figure": name, "study": study, "outcome": outcome,
                         "arms": f"{TREATMENT}={colours[TREATMENT]},{CONTROL}={colours[CONTROL]}",
                         "at_risk": at_risk,
                         "n": f"{TREATMENT}={sizes[TREATMENT]},{CONTROL}={sizes[CONTROL]}" if known_by == "n" else "",
                         "time_unit": "months"})
    pd.DataFrame(rows).to_csv(folder / "studies.csv", index=False)
    settings = {"treatment": TREATMENT, "control": CONTROL, "milestones": [6, 12], "time_unit": "months"}
    (folder / "analysis.json").write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    (folder / "README.md").write_text(
        "# figures_in: an example job (SIMULATED studies)\n\n"
        "Second-line TKI monotherapy vs TKI + immune checkpoint inhibitor after lenvatinib failure, PFS and OS,\n"
        "in four studies. The trials are simulated, two to match the arm sizes and medians of real papers\n"
        "(Yin 2025, Zhang 2024), and drawn as journals print them; no figure here is a published one.\n"
        f"`{TRUTH}` holds the simulated IPD, for scoring the reconstruction (`python -m benchmarks.pipeline`);\n"
        "`studies.csv` and `analysis.json` are what a reviewer would write. Regenerate with\n"
        "`python -m benchmarks.make_figures_in`.\n")
    print(f"{len(rows)} figures in {folder}")


if __name__ == "__main__":
    main()
