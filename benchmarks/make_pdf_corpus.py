"""Regenerate the PDF corpus of the vector reader: ``python -m benchmarks.make_pdf_corpus``.

Writes ``tests/data/world/pdf/*.pdf`` and ``truth.json`` (one record a KM plot: file, page,
panel, arms with their true KM corners and censor times, the printed numbers at risk, the legend
names; plus, per page, how many KM plots and which other plots it holds). The IPD is real
(:mod:`benchmarks.datasets`); the figures are drawn by the real programs:

- R's ``pdf()`` device (``benchmarks/r/km_pdf.R``): survminer ``ggsurvplot`` with its risk
  table and ``+`` censor marks, and base ``plot(survfit)`` with ``mark.time`` and a legend
  (kept as committed when ``Rscript`` is not installed), and base in black with the arms told
  apart by line type (``lty``: a dash pattern) and censor marks printed as the character ``+``,
  and base as it comes (every arm black and solid, no legend: named arm1, arm2 by the reader);
- matplotlib ``savefig(...pdf)``: ``step`` curves with ``|`` or ``+`` censor markers, a
  numbers-at-risk row of text under the axis, one figure with two black arms told apart by
  dashes;
- journal pages: an A4 page of text columns with one or two KM figures among them, a bar chart
  and a scatter plot that are not KM plots, captions; and one page holding a KM figure as an
  embedded raster image (the image route).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.digitize_scoring import step_values  # noqa: E402
from benchmarks.km_points import at_risk_table, censor_marks, km_step_corners  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "world" / "pdf"
R_SCRIPT = Path(__file__).with_name("r") / "km_pdf.R"
#: The R figures: file stem, dataset, look, at-risk step, x label, colours, and where survminer's x
#: axis is cut (None: R's own choice).
R_FIGURES = [
    ("r_survminer_leukemia", "leukemia", "survminer", 5, "Weeks", "#E7B800,#2E9FDF"),
    ("r_survminer_leukemia_xlim", "leukemia", "survminer", 5, "Weeks", "#E7B800,#2E9FDF", 25),
    ("r_survminer_lung", "lung", "survminer", 200, "Days", "#F8766D,#00BFC4"),
    ("r_base_larynx", "larynx", "base", 2, "Years", "#D55E00,#0072B2"),
    ("r_base_rossi", "rossi", "base", 10, "Weeks", "black,red"),
    ("r_base_bw_lung", "lung", "base_bw", 200, "Days", "black,black"),
    ("r_base_plain_leukemia", "leukemia", "base_plain", 10, "Weeks", "black,black"),
]
#: Fixed PDF metadata, so that the files are the same on every run.
PDF_METADATA = {"Creator": "kmipd benchmarks.make_pdf_corpus", "Producer": None, "CreationDate": None}
LOREM = ("Reconstructed individual patient data allow time-to-event outcomes to be pooled across trials "
         "when only the published figures are available. Patients were followed from randomisation "
         "until the event or the end of follow-up, whichever came first, and those without an event "
         "were censored at their last contact. Survival was estimated by the Kaplan-Meier method and "
         "compared by the log-rank test; hazard ratios come from Cox models stratified by centre. ")


def arm_truth(ipd: pd.DataFrame, order: list[str]) -> list[dict]:
    """Per arm (in ``order``): name, true KM corners and distinct censor times."""
    corners, marks = km_step_corners(ipd), censor_marks(ipd)
    return [{"name": arm,
             "km": {"time": corners.loc[corners["arm"] == arm, "time"].tolist(),
                    "survival": corners.loc[corners["arm"] == arm, "survival"].tolist()},
             "censor_times": marks.loc[marks["arm"] == arm, "time"].tolist()} for arm in order]


def at_risk_truth(ipd: pd.DataFrame, times) -> dict:
    table = at_risk_table(ipd, times)
    return {"arm": table["arm"].tolist(), "time": table["time"].tolist(), "n_risk": table["n_risk"].tolist()}


def arm_order(ipd: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(ipd["arm"]))


def draw_r_figure(stem: str, name: str, look: str, break_by: float, xlab: str, colours: str,
                  x_max: float | None = None) -> dict:
    """Draw one R figure (when Rscript is there) and return its truth record."""
    ipd = datasets.load(name)
    path = CORPUS / f"{stem}.pdf"
    printed = CORPUS / f"{stem}_at_risk.csv"  # the table R printed, written by R itself
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as folder:
            csv = Path(folder) / "ipd.csv"
            ipd.to_csv(csv, index=False)
            table_argument = [str(printed)] if look == "survminer" else []
            table_argument += [str(x_max)] if x_max is not None else []
            subprocess.run(["Rscript", str(R_SCRIPT), str(csv), str(path), look, str(break_by), xlab, colours,
                            *table_argument], check=True)
    elif not path.is_file():
        sys.exit(f"Rscript is needed to draw {path.name}")
    # R orders the strata as the IPD lists its arms (factor levels in order of appearance).
    order = arm_order(ipd)
    at_risk = None
    if look == "survminer":
        table = pd.read_csv(printed)
        # Past a cut x axis the table's counts are clipped away with the curves' ends.
        table = table[table["time"] <= (x_max if x_max is not None else np.inf)]
        at_risk = {"arm": table["arm"].tolist(), "time": table["time"].astype(float).tolist(),
                   "n_risk": table["n_risk"].astype(int).tolist()}
    return {"file": path.name, "page": 1, "panel": 0, "program": f"R {look}", "dataset": name,
            "arms": arm_truth(ipd, order), "legend": [] if look == "base_plain" else order, "at_risk": at_risk}


def draw_km_axes(ax, ipd: pd.DataFrame, *, marker: str, colours: list[str], dashes: list[bool],
                 break_by: float, xlab: str, at_risk_row: bool) -> dict:
    """A matplotlib KM plot of ``ipd`` on ``ax``: steps, censor markers, legend, at-risk row."""
    order = arm_order(ipd)
    corners, marks = km_step_corners(ipd), censor_marks(ipd)
    for arm, colour, dashed in zip(order, colours, dashes):
        curve = corners[corners["arm"] == arm]
        ax.step(curve["time"], curve["survival"], where="post", color=colour, lw=1.4,
                linestyle="--" if dashed else "-", label=arm)
        times = marks.loc[marks["arm"] == arm, "time"].to_numpy()
        ax.plot(times, step_values(curve["time"], curve["survival"], times), linestyle="none",
                marker=marker, color=colour, markersize=6, markeredgewidth=1.0)
    end = float(ipd["time"].max())
    ticks = np.arange(0, end + 1e-9, break_by)
    ax.set_xticks(ticks)
    ax.set_xlim(0, ticks[-1] if ticks[-1] >= end else end)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlab)
    ax.set_ylabel("Survival probability")
    ax.legend(loc="upper right", frameon=False)
    if at_risk_row:
        # Offsets in points under the axis, so the table keeps its layout on a small plot.
        table = at_risk_table(ipd, ticks)
        under = blended_transform_factory(ax.transData, ax.transAxes)
        ax.annotate("Number at risk", (0, 0), xycoords="axes fraction", xytext=(-40, -42),
                    textcoords="offset points", ha="left", fontsize=7, weight="bold")
        for row, arm in enumerate(order):
            ax.annotate(arm, (0, 0), xycoords="axes fraction", xytext=(-14, -53 - 10 * row),
                        textcoords="offset points", ha="right", fontsize=7)
            for time, n_risk in table.loc[table["arm"] == arm, ["time", "n_risk"]].itertuples(index=False):
                ax.annotate(str(n_risk), (time, 0), xycoords=under, xytext=(0, -53 - 10 * row),
                            textcoords="offset points", ha="center", fontsize=7)
    return {"arms": arm_truth(ipd, order), "legend": order,
            "at_risk": at_risk_truth(ipd, ticks) if at_risk_row else None}


def draw_matplotlib_figures() -> list[dict]:
    """Two single-figure PDFs by matplotlib's PDF backend."""
    records = []
    for stem, name, marker, colours, dashes, break_by, xlab in [
        ("mpl_leukemia", "leukemia", "|", ["#1f77b4", "#d62728"], [False, False], 5, "Weeks"),
        ("mpl_gbsg2_dashed", "gbsg2", "+", ["black", "black"], [False, True], 365, "Days"),
    ]:
        figure, ax = plt.subplots(figsize=(6.4, 5.2))
        figure.subplots_adjust(left=0.2, bottom=0.3, right=0.96, top=0.95)
        truth = draw_km_axes(ax, datasets.load(name), marker=marker, colours=colours, dashes=dashes,
                             break_by=break_by, xlab=xlab, at_risk_row=True)
        figure.savefig(CORPUS / f"{stem}.pdf", metadata=PDF_METADATA)
        plt.close(figure)
        records.append({"file": f"{stem}.pdf", "page": 1, "panel": 0, "program": "matplotlib",
                        "dataset": name, **truth})
    return records


def _text_column(figure, left: float, top: float, width_chars: int, n_lines: int) -> None:
    """A column of body text (9 pt), as a journal page has around its figures."""
    lines = textwrap.wrap(LOREM * 8, width_chars)[:n_lines]
    figure.text(left, top, "\n".join(lines), fontsize=7.5, va="top", family="serif", linespacing=1.35)


def draw_journal_pages() -> list[dict]:
    """A4 pages: text columns with KM figures, a bar chart and a scatter plot among them."""
    records = []
    # Page 1 of journal_two_pages.pdf: one KM figure at the top across both columns, a bar chart
    # in the right column, text around. Page 2: two KM figures side by side and a scatter plot.
    from matplotlib.backends.backend_pdf import PdfPages

    path = CORPUS / "journal_two_pages.pdf"
    rng = np.random.default_rng(12)
    with PdfPages(path, metadata=PDF_METADATA) as pages:
        page = plt.figure(figsize=(8.27, 11.69))
        page.text(0.08, 0.96, "Results", fontsize=12, weight="bold", family="serif")
        ax = page.add_axes((0.2, 0.66, 0.7, 0.27))
        truth = draw_km_axes(ax, datasets.load("rossi"), marker="|", colours=["#2ca02c", "#9467bd"],
                             dashes=[False, False], break_by=10, xlab="Weeks since release", at_risk_row=True)
        page.text(0.08, 0.575, "Figure 1. Kaplan-Meier estimates of time to re-arrest by financial aid.",
                  fontsize=8, family="serif")
        records.append({"file": path.name, "page": 1, "panel": 0, "program": "matplotlib journal page",
                        "dataset": "rossi", "caption": "Figure 1", **truth})
        _text_column(page, 0.08, 0.55, 58, 48)
        bars = page.add_axes((0.6, 0.33, 0.33, 0.18))
        bars.bar(["I", "II", "III", "IV"], [34, 51, 27, 13], color="#1f77b4")
        bars.set_ylabel("Patients")
        page.text(0.55, 0.285, "Figure 2. Patients by stage.", fontsize=8, family="serif")
        _text_column(page, 0.55, 0.26, 58, 20)
        pages.savefig(page)
        plt.close(page)

        page = plt.figure(figsize=(8.27, 11.69))
        for panel, (name, colours, break_by, xlab, left) in enumerate([
            ("lung", ["#e41a1c", "#377eb8"], 200, "Days", 0.16),
            ("larynx", ["#ff7f00", "#4daf4a"], 2, "Years", 0.62),
        ]):
            ax = page.add_axes((left, 0.7, 0.32, 0.22))
            truth = draw_km_axes(ax, datasets.load(name), marker="+", colours=colours, dashes=[False, False],
                                 break_by=break_by, xlab=xlab, at_risk_row=True)
            ax.set_title(f"{'AB'[panel]}", loc="left", weight="bold")
            records.append({"file": path.name, "page": 2, "panel": panel, "program": "matplotlib journal page",
                            "dataset": name, "caption": "Figure 3", **truth})
        page.text(0.08, 0.585, "Figure 3. Overall survival: (A) NCCTG lung cancer by sex; (B) larynx cancer by stage.",
                  fontsize=8, family="serif")
        _text_column(page, 0.08, 0.56, 58, 24)
        scatter = page.add_axes((0.62, 0.38, 0.31, 0.15))
        x = rng.uniform(40, 80, 60)
        scatter.scatter(x, 0.5 * x + rng.normal(0, 6, 60), s=8, color="#444444")
        scatter.set_xlabel("Age (years)")
        scatter.set_ylabel("Tumour size (mm)")
        page.text(0.55, 0.33, "Figure 4. Tumour size by age.", fontsize=8, family="serif")
        _text_column(page, 0.08, 0.27, 120, 20)
        pages.savefig(page)
        plt.close(page)
    return records


def draw_raster_page() -> list[dict]:
    """An A4 page holding a KM figure as an embedded PNG (a scanned or pasted figure)."""
    path = CORPUS / "journal_raster.pdf"
    source = Path(__file__).with_name("digitize_corpus") / "survminer_01.png"
    truth = json.loads(Path(__file__).with_name("digitize_corpus").joinpath("truth.json").read_text())
    record = next(r for r in truth if r["file"] == source.name)
    image = plt.imread(source)
    page = plt.figure(figsize=(8.27, 11.69))
    height, width = image.shape[:2]
    ax = page.add_axes((0.1, 0.55, 0.8, 0.8 * 8.27 * height / width / 11.69))  # the image's own aspect
    ax.imshow(image, interpolation="none")
    ax.set_axis_off()
    page.text(0.08, 0.5, "Figure 1. Kaplan-Meier curves (image).", fontsize=8, family="serif")
    _text_column(page, 0.08, 0.47, 120, 30)
    # The figure's pixels are kept as drawn: saved at the image's own resolution.
    page.savefig(path, metadata=PDF_METADATA, dpi=width / (0.8 * 8.27))
    plt.close(page)
    return [{"file": path.name, "page": 1, "panel": 0, "program": "embedded raster", "dataset": record.get("source"),
             "arms": record["arms"], "legend": [arm["name"] for arm in record["arms"]], "at_risk": record["at_risk"]}]


def main() -> None:
    CORPUS.mkdir(parents=True, exist_ok=True)
    records = [draw_r_figure(*figure) for figure in R_FIGURES]
    records += draw_matplotlib_figures() + draw_journal_pages() + draw_raster_page()
    pages = {"journal_two_pages.pdf": [{"page": 1, "n_km_plots": 1, "other_plots": ["bar chart"]},
                                       {"page": 2, "n_km_plots": 2, "other_plots": ["scatter plot"]}]}
    (CORPUS / "truth.json").write_text(json.dumps({"plots": records, "pages": pages}, indent=1, sort_keys=True) + "\n")
    for path in sorted(CORPUS.glob("*.pdf")):
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
