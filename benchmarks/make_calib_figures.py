"""Figures for the calibration tests: ``python -m benchmarks.make_calib_figures``.

Writes ``tests/data/world/calib/``: figures drawn by R (``benchmarks/r/calib_figures.R``, when
``Rscript`` is installed: base graphics with the device pixel of every tick, cumulative-incidence
curves of ``plot(fit, fun = "event")`` and ``ggsurvplot(fun = "event")``), by lifelines
(``plot_cumulative_density``) and by matplotlib, and small journal-like copies (downscaled to
350-700 px wide by pixel-area averaging and JPEG-compressed at quality 50-75). Beside each image,
``NAME.json``: the true KM of every arm (``arms``: ``name, time, survival``), ``measure`` (what the
figure draws: ``survival`` or ``cumulative_incidence``), the printed tick values and, where the
drawing program tells, the tick positions in the image's pixels (``x_px``, ``y_px``; pixel centres
at whole numbers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402

from benchmarks.datasets import load  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "world" / "calib"
R_SCRIPT = Path(__file__).with_name("r") / "calib_figures.R"
#: Journal copies of figures drawn large: (source, name, width px, JPEG quality).
SMALL_COPIES = [("base_colon_large", "base_colon_350_q50", 350, 50),
                ("base_colon_large", "base_colon_650_q60", 650, 60),
                ("survminer_lung_large", "survminer_lung_420_q50", 420, 50),
                ("survminer_lung_large", "survminer_lung_350_q75", 350, 75),
                ("mpl_gbsg2_large", "mpl_gbsg2_600_q50", 600, 50),
                ("mpl_rossi_large", "mpl_rossi_380_q75", 380, 75)]


def km_arms(dataset: str) -> list[dict]:
    """The true KM of every arm of a lifelines dataset (``name, time, survival``)."""
    arms = []
    for arm, group in load(dataset).groupby("arm", sort=True):
        survival = KaplanMeierFitter().fit(group["time"], group["event"]).survival_function_.iloc[:, 0]
        arms.append({"name": arm, "time": survival.index.tolist(), "survival": survival.tolist()})
    return arms


def lifelines_event_figure(dataset: str, name: str) -> None:
    """lifelines' ``plot_cumulative_density`` of every arm, as its users draw it."""
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for arm, group in load(dataset).groupby("arm", sort=True):
        KaplanMeierFitter(label=arm).fit(group["time"], group["event"]).plot_cumulative_density(ax=ax, ci_show=False)
    ax.set_xlabel("Time"); ax.set_ylabel("Cumulative incidence")
    fig.savefig(OUT / f"{name}.png", dpi=100); plt.close(fig)
    write_truth(name, {"measure": "cumulative_incidence", "arms": km_arms(dataset)})


def matplotlib_large_figure(dataset: str, name: str) -> None:
    """A matplotlib KM figure drawn at print size (to be downscaled), with its tick positions."""
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=200)
    for arm in km_arms(dataset):
        ax.step(arm["time"], arm["survival"], where="post", lw=1.5, label=arm["name"])
    ax.set_xlabel("Time"); ax.set_ylabel("Survival probability"); ax.legend(loc="lower left")
    fig.canvas.draw()
    height = fig.canvas.get_width_height()[1]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x_ticks = [t for t in ax.get_xticks() if x0 <= t <= x1]
    y_ticks = [t for t in ax.get_yticks() if y0 <= t <= y1]
    # matplotlib's display pixels count rows upward from the bottom edge, with centres at half-integers.
    x_px = ax.transData.transform([(t, y0) for t in x_ticks])[:, 0] - 0.5
    y_px = height - ax.transData.transform([(x0, t) for t in y_ticks])[:, 1] - 0.5
    fig.savefig(OUT / f"{name}.png", dpi=200); plt.close(fig)
    write_truth(name, {"measure": "survival", "arms": km_arms(dataset), "x_ticks": x_ticks, "y_ticks": y_ticks,
                       "x_px": x_px.tolist(), "y_px": y_px.tolist()})


def small_copy(source: str, name: str, width_px: int, quality: int) -> None:
    """A journal's copy of a large figure: scaled to ``width_px`` by area averaging, JPEG ``quality``."""
    image = cv2.imread(str(OUT / f"{source}.png"))
    scale = width_px / image.shape[1]
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(OUT / f"{name}.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    truth = json.loads((OUT / f"{source}.json").read_text())
    for axis in ("x_px", "y_px"):  # area averaging maps a pixel centre p to (p + 0.5) * scale - 0.5
        if axis in truth:
            truth[axis] = [(px + 0.5) * scale - 0.5 for px in truth[axis]]
    write_truth(name, {**truth, "scaled_from": source, "scale": scale, "jpeg_quality": quality})


def write_truth(name: str, truth: dict) -> None:
    (OUT / f"{name}.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")


def draw_r_figures() -> None:
    """The R figures, their tick positions turned into pixel centres (R's device pixel k spans [k, k+1))."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["Rscript", str(R_SCRIPT), folder], check=True)
        for png in Path(folder).glob("*.png"):
            shutil.copy(png, OUT / png.name)
            truth = json.loads(png.with_suffix(".json").read_text())
            if "x_device" in truth:
                truth["x_px"] = [x - 0.5 for x in truth.pop("x_device")]
                truth["y_px"] = [y - 0.5 for y in truth.pop("y_device")]
            write_truth(png.stem, truth)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if shutil.which("Rscript"):
        draw_r_figures()
    lifelines_event_figure("waltons", "lifelines_waltons_event")
    matplotlib_large_figure("gbsg2", "mpl_gbsg2_large")
    matplotlib_large_figure("rossi", "mpl_rossi_large")
    for source, name, width_px, quality in SMALL_COPIES:
        if (OUT / f"{source}.png").exists():
            small_copy(source, name, width_px, quality)
    # The large originals are only the sources of the small copies.
    for source, *_ in SMALL_COPIES:
        (OUT / f"{source}.png").unlink(missing_ok=True)
        (OUT / f"{source}.json").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
