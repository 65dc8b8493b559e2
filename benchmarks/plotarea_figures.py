"""Draw the lifelines and matplotlib figures of ``tests/data/world/plotarea/`` by the real programs.

The R figures beside them come from ``benchmarks/r/plotarea_figures.R``. Each figure is written
with a ``truth_<name>.csv`` (``arm, time, survival, n_risk``: lifelines' own KM steps).
Usage: ``python -m benchmarks.plotarea_figures [OUT_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.datasets import load_rossi, load_waltons  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "world" / "plotarea"


def _fits(frame: pd.DataFrame, time: str, event: str, group: str) -> list[KaplanMeierFitter]:
    return [KaplanMeierFitter(label=str(name)).fit(rows[time], rows[event])
            for name, rows in frame.groupby(group, sort=True)]


def _truth(fits: list[KaplanMeierFitter], path: Path) -> None:
    parts = [pd.DataFrame({"arm": fit.label, "time": fit.survival_function_.index,
                           "survival": fit.survival_function_.iloc[:, 0].round(6).to_numpy(),
                           "n_risk": fit.event_table["at_risk"].to_numpy()}) for fit in fits]
    pd.concat(parts).to_csv(path, index=False)


def draw(out: Path = OUT) -> None:
    """Write ``lifelines_rossi.png`` (with at-risk counts), ``lifelines_legend_over_axis.png`` (the
    same arms, truth ``truth_lifelines_rossi.csv``) and ``matplotlib_waltons.png``."""
    out.mkdir(parents=True, exist_ok=True)
    rossi = load_rossi().assign(group=lambda d: d["fin"].map({0: "no aid", 1: "financial aid"}))
    fits = _fits(rossi, "week", "arrest", "group")
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    for fit in fits:
        fit.plot_survival_function(ax=ax, ci_show=False, show_censors=True)
    add_at_risk_counts(*fits, ax=ax)
    figure.tight_layout()
    figure.savefig(out / "lifelines_rossi.png")
    plt.close(figure)
    _truth(fits, out / "truth_lifelines_rossi.csv")

    # The legend box drawn over the top of the y axis (as journals place it): the frame's right
    # line still rises to its top line.
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    for fit in fits:
        fit.plot_survival_function(ax=ax, ci_show=False, show_censors=True)
    ax.legend(loc="upper left", bbox_to_anchor=(-0.15, 0.985), framealpha=1.0, fontsize=15, borderpad=1.5)
    figure.tight_layout()
    figure.savefig(out / "lifelines_legend_over_axis.png")
    plt.close(figure)

    waltons = load_waltons()
    fits = _fits(waltons, "T", "E", "group")
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    for fit in fits:
        table = fit.survival_function_
        ax.step(table.index, table.iloc[:, 0], where="post", label=fit.label)
    ax.set_xlabel("Days")
    ax.set_ylabel("Survival probability")
    ax.set_ylim(0, 1.05)
    ax.legend()
    figure.savefig(out / "matplotlib_waltons.png")
    plt.close(figure)
    _truth(fits, out / "truth_matplotlib_waltons.csv")


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
