"""Log-scaled time axes and truncated y axes, read from pixels (PNG) and from vectors (SVG).

The figures are real IPD (lifelines datasets) drawn in the test by matplotlib: ``set_xscale("log")``
with the decades labelled 1, 10, 100, ..., and ``set_ylim(0.4, 1)`` with curves falling out of the
window.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.digitize_scoring import curve_errors, score_curves, step_values  # noqa: E402
from benchmarks.km_points import censor_marks, km_step_corners  # noqa: E402
from benchmarks.make_pdf_corpus import arm_truth  # noqa: E402
from digitize import digitize  # noqa: E402

LOG_DATASETS = ["gbsg2", "lung", "kidney_transplant"]
TRUNCATED_DATASETS = ["gbsg2", "lung", "rossi"]
#: Bottom of the truncated y axes.
WINDOW_BOTTOM = 0.4


@lru_cache(maxsize=None)
def km_figure(name: str, look: str, suffix: str, folder: str) -> Path:
    """A matplotlib KM figure of a dataset (``look``: "log" time axis or "truncated" y axis)."""
    ipd = datasets.load(name)
    corners, marks = km_step_corners(ipd), censor_marks(ipd)
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kmipd"}):
        figure, ax = plt.subplots(figsize=(6, 4.5))
        for arm, colour in zip(dict.fromkeys(ipd["arm"]), ["#1f77b4", "#d62728"]):
            curve = corners[corners["arm"] == arm]
            ax.step(curve["time"], curve["survival"], where="post", color=colour, lw=1.4, label=arm)
            times = marks.loc[marks["arm"] == arm, "time"].to_numpy()
            ax.plot(times, step_values(curve["time"], curve["survival"], times), linestyle="none", marker="|",
                    color=colour, markersize=6)
        if look == "log":
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())  # 1, 10, 100 printed as numbers
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(1, 10 ** np.ceil(np.log10(ipd["time"].max())))
            ax.set_ylim(0, 1.02)
        else:
            ax.set_xlim(0, None)
            ax.set_ylim(WINDOW_BOTTOM, 1.0)
        ax.legend(frameon=False, loc="upper right")
        ax.set_xlabel("Time")
        ax.set_ylabel("Survival probability")
        path = Path(folder) / f"{look}_{name}.{suffix}"
        figure.savefig(path, dpi=150)
        plt.close(figure)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("axes"))


def truth_of(name: str) -> list[dict]:
    ipd = datasets.load(name)
    return arm_truth(ipd, list(dict.fromkeys(ipd["arm"])))


@pytest.mark.parametrize("suffix, iae_bound", [("svg", 0.0005), ("png", 0.01)])
@pytest.mark.parametrize("name", LOG_DATASETS)
def test_a_log_time_axis_is_found_from_its_tick_labels_and_read(name, suffix, iae_bound, folder, tmp_path):
    result = digitize(km_figure(name, "log", suffix, folder))
    assert result.calibration.x.scale == "log" and result.calibration.y.scale == "linear"
    decades = np.log10(result.calibration.x.ticks["value"].to_numpy(float))
    assert len(decades) >= 3 and np.allclose(decades, np.round(decades))
    curves = score_curves(result.curves, truth_of(name))
    assert curves["right_n_arms"] and curves["iae"] <= iae_bound
    result.to_folder(tmp_path)
    assert json.loads((tmp_path / "digitization.json").read_text())["calibration"]["x"]["scale"] == "log"


def _within_window(true_arm: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """A true KM's corners and the time it leaves the window (falls under :data:`WINDOW_BOTTOM`),
    its last time when it never does."""
    time, survival = np.asarray(true_arm["km"]["time"]), np.asarray(true_arm["km"]["survival"])
    below = survival < WINDOW_BOTTOM
    return time, survival, float(time[np.argmax(below)] if below.any() else time[-1])


@pytest.mark.parametrize("suffix, iae_bound", [("svg", 0.0005), ("png", 0.005)])
@pytest.mark.parametrize("name", TRUNCATED_DATASETS)
def test_a_truncated_y_axis_is_read_and_a_curve_leaving_it_is_warned_of(name, suffix, iae_bound, folder):
    result = digitize(km_figure(name, "truncated", suffix, folder))
    # The window's bottom edge is read as survival 0.4, to a pixel.
    bottom_row = result.plot_area.bottom if suffix == "png" else result.plot_area.bottom / 1.0
    assert float(result.calibration.survival(bottom_row)) == pytest.approx(WINDOW_BOTTOM, abs=0.005)
    truth = truth_of(name)
    curves = score_curves(result.curves, truth)
    assert curves["right_n_arms"]
    for true_arm, scored in zip(truth, curves["arms"]):
        time, survival, exit_time = _within_window(true_arm)
        digitized = result.curves[result.curves["arm"] == scored["digitized_arm"]]
        # Right up to where the curve leaves the window (what the figure shows of it).
        assert curve_errors(digitized, time, survival, end=exit_time)[0] <= iae_bound
        leaves = bool((survival < WINDOW_BOTTOM).any())
        # Read from pixels it ends at the window's edge; from vectors it runs on under the window
        # (the path is kept whole) down to the figure's edge, where matplotlib cut it.
        name = scored["digitized_arm"]
        warned = [w for w in result.warnings if w.startswith(f"arm {name} leaves the")
                  or w.startswith("arm(s) ") and name in w.split(" run on past")[0][len("arm(s) "):].split(", ")]
        assert bool(warned) == leaves, result.warnings
