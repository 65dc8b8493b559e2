"""Figures with and without censor marks, drawn by the real programs: ``python -m benchmarks.make_marks_figures``.

Writes ``tests/data/world/marks/*.png`` and ``truth.json`` beside them. Each
figure draws the Kaplan-Meier curves of real IPD (the lifelines datasets of
:mod:`benchmarks.datasets`) or of a simulated trial of 300-1000 patients an
arm, whose curves fall steeply in many small steps, by the program itself:

* matplotlib ``ax.step(..., where="post")`` and ``plt.plot`` of the KM step
  corners, with no marks, or with ``|`` / ``+`` marks plotted at the censor times;
* lifelines ``KaplanMeierFitter.plot_survival_function`` with ``show_censors``
  off or on;
* R survminer ``ggsurvplot(censor = ...)`` and base ``plot(fit, mark.time = ...)``
  (``benchmarks/r/marks_figures.R``), when ``Rscript`` is installed.

Line widths of 1-3 px and resolutions of 72-200 dpi. The truth record of a
figure: ``file``, ``program``, ``marks_drawn``, ``source`` (how to rebuild the
IPD: :func:`load_source`) and per arm its ``name``, ``n``, true KM corners and
censor times (empty where no marks are drawn: every mark found there is false).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.km_points import km_step_corners  # noqa: E402

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "world" / "marks"
R_SCRIPT = Path(__file__).resolve().parent / "r" / "marks_figures.R"
#: Committed images are at most this large (bytes).
MAX_BYTES = 80_000

#: (stem, program, source, dpi, line width in px, marks drawn). Programs: ``step`` (ax.step),
#: ``corners`` (plt.plot of the step corners), ``lifelines``, ``lifelines_ci`` (with its band),
#: ``r_survminer``, ``r_base``; marks ``None`` or the marker (``|``, ``+``; R draws its own).
FIGURES = [
    ("step_sim1", "step", "sim:1:800:600", 100, 1.0, None),
    ("step_sim2", "step", "sim:2:1000:900", 150, 2.0, None),
    ("step_sim3", "step", "sim:3:400:300", 72, 1.5, None),
    ("step_sim4", "step", "sim:4:600:700", 200, 3.0, None),
    ("step_sim5", "step", "sim:5:900:500", 120, 2.5, None),
    ("step_gbsg2", "step", "gbsg2", 100, 1.5, None),
    ("step_kidney", "step", "kidney_transplant", 150, 1.0, None),
    ("step_rossi", "step", "rossi", 72, 2.0, None),
    ("step_waltons", "step", "waltons", 200, 2.0, None),
    ("corners_sim6", "corners", "sim:6:700:800", 100, 2.0, None),
    ("corners_sim7", "corners", "sim:7:350:1000", 150, 1.0, None),
    ("corners_gbsg2", "corners", "gbsg2", 200, 3.0, None),
    ("lifelines_sim8", "lifelines", "sim:8:500:500", 100, 2.0, None),
    ("lifelines_ci_sim9", "lifelines_ci", "sim:9:900:700", 120, 1.5, None),
    ("lifelines_kidney", "lifelines", "kidney_transplant", 72, 1.0, None),
    ("lifelines_ci_gbsg2", "lifelines_ci", "gbsg2", 150, 2.5, None),
    ("r_survminer_sim10", "r_survminer", "sim:10:800:600", 100, 1.0, None),
    ("r_survminer_gbsg2", "r_survminer", "gbsg2", 150, 1.5, None),
    ("r_base_sim11", "r_base", "sim:11:600:1000", 100, 1.0, None),
    ("r_base_kidney", "r_base", "kidney_transplant", 120, 2.0, None),
    ("step_marks_sim12", "step", "sim:12:500:400", 100, 1.5, "|"),
    ("step_marks_gbsg2", "step", "gbsg2", 150, 2.0, "+"),
    ("corners_marks_lung", "corners", "lung", 100, 1.5, "|"),
    ("lifelines_marks_rossi", "lifelines", "rossi", 100, 1.5, "+"),
    ("lifelines_marks_sim13", "lifelines", "sim:13:300:350", 150, 2.0, "+"),
    ("r_survminer_marks_lung", "r_survminer", "lung", 100, 1.0, "+"),
    ("r_survminer_marks_gbsg2", "r_survminer", "gbsg2", 120, 1.0, "+"),
    ("r_base_marks_kidney", "r_base", "kidney_transplant", 100, 1.0, "+"),
]


def simulated_trial(seed: int, n_first: int, n_second: int) -> pd.DataFrame:
    """Two arms of a trial with exponential event times (medians 10 and 14 months) and uniform
    accrual over 24 months, analysed at 36 months: IPD in months, many small steps."""
    rng = np.random.default_rng(seed)
    frames = []
    for name, n, median in (("control", n_first, 10.0), ("treatment", n_second, 14.0)):
        event_time = rng.exponential(median / np.log(2), n)
        follow_up = 36.0 - rng.uniform(0.0, 24.0, n)
        time = np.round(np.minimum(event_time, follow_up), 2)
        frames.append(pd.DataFrame({"arm": name, "time": time, "event": (event_time <= follow_up).astype(int)}))
    return pd.concat(frames, ignore_index=True)


def load_source(source: str) -> pd.DataFrame:
    """The IPD of a figure (``arm,time,event``): ``"sim:SEED:N1:N2"`` (:func:`simulated_trial`)
    or a dataset of :mod:`benchmarks.datasets`."""
    if source.startswith("sim:"):
        seed, n_first, n_second = (int(part) for part in source.split(":")[1:])
        return simulated_trial(seed, n_first, n_second)
    return datasets.load(source)


def _points(px: float, dpi: int) -> float:
    return px * 72.0 / dpi


def draw_python(ipd: pd.DataFrame, program: str, dpi: int, line_px: float, marker: str | None) -> bytes:
    """A figure drawn by matplotlib or lifelines, as PNG bytes (6 x 4 inches at ``dpi``)."""
    fig, ax = plt.subplots(figsize=(6, 4), dpi=dpi)
    line_width = _points(line_px, dpi)
    for index, (name, rows) in enumerate(ipd.groupby("arm", sort=False)):
        colour = f"C{index}"
        fitter = KaplanMeierFitter(label=name).fit(rows["time"], rows["event"])
        if program.startswith("lifelines"):
            fitter.plot_survival_function(ax=ax, ci_show=program == "lifelines_ci", show_censors=marker is not None,
                                          censor_styles={"marker": marker, "ms": 6}, color=colour, lw=line_width)
            continue
        survival = fitter.survival_function_.iloc[:, 0]
        if program == "step":
            ax.step(survival.index, survival.to_numpy(), where="post", color=colour, lw=line_width, label=name)
        else:
            corners = km_step_corners(rows.assign(arm=name))
            ax.plot(corners["time"], corners["survival"], color=colour, lw=line_width, label=name)
        if marker is not None:
            censored = np.unique(rows.loc[rows["event"] == 0, "time"])
            ax.plot(censored, fitter.survival_function_at_times(censored), ls="none", marker=marker,
                    color=colour, ms=6)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival probability")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def draw_r(ipd: pd.DataFrame, program: str, dpi: int, line_px: float, marks: bool, rscript: str) -> bytes:
    """A figure drawn by R (survminer or base graphics), as PNG bytes (6 x 4 inches at ``dpi``)."""
    look = "survminer" if program == "r_survminer" else "base"
    # R's lwd 1 is 1/96 inch; ggplot2's size 1 is lwd 72.27 / 25.4.
    lwd = line_px * 96.0 / dpi / (1.0 if look == "base" else 72.27 / 25.4)
    with tempfile.TemporaryDirectory() as folder:
        ipd_csv, png = Path(folder) / "ipd.csv", Path(folder) / "figure.png"
        ipd.to_csv(ipd_csv, index=False)
        subprocess.run([rscript, str(R_SCRIPT), str(ipd_csv), str(png), look, str(6 * dpi), str(4 * dpi),
                        str(dpi), str(int(marks)), f"{lwd:.3f}"], check=True, capture_output=True)
        return png.read_bytes()


def small_png(data: bytes) -> bytes:
    """The PNG as it is if small enough, else with its colours reduced to a palette of 256."""
    if len(data) <= MAX_BYTES:
        return data
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").quantize(256).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def truth_record(stem: str, program: str, source: str, dpi: int, line_px: float, marker, ipd: pd.DataFrame) -> dict:
    arms = []
    for name, rows in ipd.groupby("arm", sort=False):
        corners = km_step_corners(rows)
        censored = np.unique(rows.loc[rows["event"] == 0, "time"]) if marker is not None else []
        arms.append({"name": str(name), "n": len(rows),
                     "km": {"time": corners["time"].tolist(), "survival": corners["survival"].tolist()},
                     "censor_times": list(map(float, censored))})
    return {"file": f"{stem}.png", "program": program, "source": source, "dpi": dpi, "line_width_px": line_px,
            "marks_drawn": marker is not None, "arms": arms}


def main(folder: Path = FOLDER) -> None:
    rscript = shutil.which("Rscript")
    folder.mkdir(parents=True, exist_ok=True)
    truth_path = folder / "truth.json"
    old = {record["file"]: record for record in json.loads(truth_path.read_text())} if truth_path.exists() else {}
    records = []
    for stem, program, source, dpi, line_px, marker in FIGURES:
        ipd = load_source(source)
        if program.startswith("r_"):
            if rscript is None:  # keep the committed R figure
                records.append(old[f"{stem}.png"])
                continue
            data = draw_r(ipd, program, dpi, line_px, marker is not None, rscript)
        else:
            data = draw_python(ipd, program, dpi, line_px, marker)
        (folder / f"{stem}.png").write_bytes(small_png(data))
        records.append(truth_record(stem, program, source, dpi, line_px, marker, ipd))
        print(stem, len((folder / f"{stem}.png").read_bytes()), file=sys.stderr)
    truth_path.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
