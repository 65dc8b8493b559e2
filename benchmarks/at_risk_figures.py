"""Python-drawn KM figures with numbers-at-risk tables, for the at-risk reader's tests.

``python -m benchmarks.at_risk_figures [OUT_DIR]`` draws, from real IPD (the lifelines
datasets) and one simulated large trial, the tables lifelines' ``add_at_risk_counts`` prints and
matplotlib look-alikes of journal tables the R figures (``benchmarks/r/at_risk_figures.R``) do not
cover: thousands separators, counts with the number censored in brackets, a row label printed
against its first count, a table inside the plot area (SAS), rows in light tints. Writes the images
and ``truth_py.json`` (per figure the rows as printed: label, times, counts; the legend names;
how to rebuild the KM) to OUT_DIR (default ``tests/data/world/atrisk``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402

from benchmarks.datasets import load  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "world" / "atrisk"


def simulated_trial(seed: int = 9) -> pd.DataFrame:
    """A large two-arm trial (2,400 and 2,350 patients, months), exponential events, uniform entry."""
    rng = np.random.default_rng(seed)
    arms = []
    for arm, n, median in (("Fulvestrant 250 mg", 2400, 14.0), ("Anastrozole 1 mg", 2350, 10.0)):
        event = rng.exponential(median / np.log(2), n)
        censor = rng.uniform(12, 48, n)
        arms.append(pd.DataFrame({"arm": arm, "time": np.minimum(event, censor).round(2),
                                  "event": (event <= censor).astype(int)}))
    return pd.concat(arms, ignore_index=True)


def _n_risk(group: pd.DataFrame, times) -> list[int]:
    return [int((group["time"] >= t).sum()) for t in times]


def _n_censored(group: pd.DataFrame, times) -> list[int]:
    return [int(((group["time"] < t) & (group["event"] == 0)).sum()) for t in times]


def _draw_km(ax, ipd: pd.DataFrame) -> list[str]:
    """Each arm's KM curve on ``ax`` (lifelines' plot); the arm names in drawing order."""
    arms = list(dict.fromkeys(ipd["arm"]))
    for arm in arms:
        group = ipd[ipd["arm"] == arm]
        KaplanMeierFitter().fit(group["time"], group["event"], label=arm).plot_survival_function(ax=ax, ci_show=False)
    ax.set_ylim(0, 1.05)
    return arms


def lifelines_table(ipd: pd.DataFrame, path: Path, rows_to_show) -> list[dict]:
    """lifelines' own table; the truth is the counts lifelines printed (its tick labels)."""
    fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
    fitters = []
    for arm in dict.fromkeys(ipd["arm"]):
        group = ipd[ipd["arm"] == arm]
        fitters.append(KaplanMeierFitter().fit(group["time"], group["event"], label=arm))
        fitters[-1].plot_survival_function(ax=ax, ci_show=False)
    add_at_risk_counts(*fitters, ax=ax, rows_to_show=rows_to_show)
    table_ax = [a for a in fig.axes if a is not ax][0]
    fig.canvas.draw()
    times = [float(t) for t in table_ax.get_xticks()]
    cells = [label.get_text().split("\n") for label in table_ax.get_xticklabels()]
    # Each tick label holds, per fitter, a line per row shown (and a blank line between fitters).
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    # The first tick label holds the row labels and the first counts ("   At risk   129"); the
    # lines that hold a fitter's at-risk counts are the same in every tick label.
    first = cells[0]
    at_risk_lines = [i for i, line in enumerate(first) if re.search(r"\d+\s*$", line)
                     and ("At risk" in line or len(rows_to_show) == 1)]
    rows = []
    for fitter, line in zip(fitters, at_risk_lines):
        rows.append({"label": fitter._label, "time": times,
                     "value": [int(column[line].split()[-1]) for column in cells]})
    return rows


def journal_table(ipd: pd.DataFrame, path: Path, **table) -> list[dict]:
    """A matplotlib look-alike of a journal figure with its table (see :func:`_table_on`)."""
    fig, ax = plt.subplots(figsize=(7.5, 5.2), dpi=100)
    rows = _table_on(fig, ax, ipd, **table)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return rows


def stacked_panels(top: pd.DataFrame, bottom: pd.DataFrame, path: Path, step_top: float,
                   step_bottom: float) -> list[dict]:
    """Two plots one above the other (OS over PFS, as papers stack them), each with its table;
    the truth is the top plot's table (its rows must not run on into the plot below)."""
    fig, (upper, lower) = plt.subplots(2, 1, figsize=(7.5, 9), dpi=100)
    rows = _table_on(fig, upper, top, step=step_top)
    _table_on(fig, lower, bottom, step=step_bottom)
    fig.subplots_adjust(left=0.3, bottom=0.12, hspace=0.6)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return rows


def _table_on(fig, ax, ipd: pd.DataFrame, *, cell="{n}", label_gap_px=25, inside=False, row_alpha=1.0,
              labels=True, step=None) -> list[dict]:
    """KM curves on ``ax`` and a journal's table: one row per arm at the x ticks; the rows printed.

    ``cell`` formats a count (``{n}``, ``{n:,}``, ``{n} ({c})`` with ``c`` the number censored
    before the tick); ``label_gap_px`` is the gap between a row label and the first count (pixels);
    ``inside`` prints the rows inside the plot area just above the x axis (SAS);
    ``row_alpha`` prints the rows in tints of the arm colours.
    """
    arms = _draw_km(ax, ipd)
    x_end = float(np.ceil(ipd["time"].max() / step) * step)
    ticks = np.arange(0, x_end + step / 2, step)
    ax.set_xlim(-(0.06 if inside else 0.02) * x_end, x_end * 1.02)
    ax.set_xticks(ticks)
    ax.set_xlabel("Months")
    ax.set_ylabel("Progression-free survival")
    if inside:
        ax.set_ylim(-0.04 - 0.07 * len(arms), 1.04)
        ax.set_yticks(np.linspace(0, 1, 6))
    else:
        fig.subplots_adjust(left=0.3, bottom=0.16 + 0.06 * len(arms))
    under = ax.get_xaxis_transform()
    rows = []
    for k, (arm, line) in enumerate(zip(arms, ax.get_lines())):
        group = ipd[ipd["arm"] == arm]
        colour = line.get_color()
        n_risk, n_censored = _n_risk(group, ticks), _n_censored(group, ticks)
        y = (0.035 + 0.07 * (len(arms) - 1 - k) + 0.01) if inside else (-0.2 - 0.07 * k)
        texts = [ax.text(t, y, cell.format(n=n, c=c), transform=under, ha="center", va="center",
                         color=colour, alpha=row_alpha, fontsize=10)
                 for t, n, c in zip(ticks, n_risk, n_censored)]
        if labels:
            # The label ends label_gap_px left of the first count's ink.
            first = texts[0].get_window_extent(fig.canvas.get_renderer())
            label_x = ax.transData.inverted().transform((first.x0 - label_gap_px, 0))[0]
            ax.text(label_x, y, arm, transform=under, ha="right", va="center", color=colour, alpha=row_alpha,
                    fontsize=10)
        rows.append({"label": arm if labels else "", "time": [float(t) for t in ticks], "value": n_risk})
    if not inside:
        ax.text(-0.3 * x_end, -0.13, "Number at risk", transform=under, ha="left", va="center", fontsize=10)
    ax.legend(loc="upper right", frameon=False)
    return rows


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    records = []

    def add(file, program, variant, dataset, ipd, rows):
        records.append({"file": file, "program": program, "variant": variant, "dataset": dataset,
                        "legend": list(dict.fromkeys(ipd["arm"])), "at_risk": rows})

    waltons, larynx, gbsg2 = load("waltons"), load("larynx"), load("gbsg2")
    kidney = load("kidney_transplant")
    add("ll_waltons_at_risk.png", "lifelines", "rows_to_show=['At risk']", "waltons", waltons,
        lifelines_table(waltons, out / "ll_waltons_at_risk.png", ["At risk"]))
    add("ll_kidney_at_risk.png", "lifelines", "rows_to_show=['At risk'], 2 rows", "kidney_transplant", kidney,
        lifelines_table(kidney, out / "ll_kidney_at_risk.png", ["At risk"]))
    add("ll_gbsg2_default.png", "lifelines", "default rows (At risk, Censored, Events)", "gbsg2", gbsg2,
        lifelines_table(gbsg2, out / "ll_gbsg2_default.png", ["At risk", "Censored", "Events"]))
    trial = simulated_trial()
    add("mpl_thousands.png", "matplotlib", "thousands separators 1,234, glued labels", "simulated", trial,
        journal_table(trial, out / "mpl_thousands.png", cell="{n:,}", label_gap_px=3, step=6))
    add("mpl_brackets.png", "matplotlib", "n (censored)", "simulated", trial,
        journal_table(trial, out / "mpl_brackets.png", cell="{n} ({c})", step=12))
    add("mpl_sas_inside.png", "matplotlib", "SAS: coloured rows inside the plot area, no labels", "gbsg2", gbsg2,
        journal_table(gbsg2, out / "mpl_sas_inside.png", inside=True, labels=False, step=500))
    add("mpl_tints.png", "matplotlib", "rows in light tints of the arm colours", "larynx", larynx,
        journal_table(larynx, out / "mpl_tints.png", row_alpha=0.45, step=2))
    lung = load("lung")
    add("mpl_stacked.png", "matplotlib", "two plots stacked, a table under each (truth: the top one)", "waltons",
        waltons, stacked_panels(waltons, lung, out / "mpl_stacked.png", 10, 200))
    (out / "truth_py.json").write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
