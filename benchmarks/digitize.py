"""Accuracy and speed of the digitizer on the figure corpus: ``python -m benchmarks.digitize``.

Runs :func:`digitize.digitize` on every figure of ``benchmarks/digitize_corpus`` (drawn from real
IPD by ``python -m benchmarks.make_digitize_corpus``) with no user input, scores the curves
against the true Kaplan-Meier curves (:mod:`benchmarks.digitize_scoring`), and prints per style
family, per difficulty tag and overall: median, 95th percentile and maximum IAE, the share of
figures calibrated automatically, the share with the right number of arms, the share of printed
numbers at risk read right (on the figures that print them), the precision and recall of the
censor marks (on the figures that draw them; a mark within 1% of the x axis of a censor time),
and seconds per figure (the OCR engine, loaded once per process, is loaded before timing). Then, when
``/work/shared/real_figures/plos`` exists, digitizes those published figures and compares
survival at the landmarks and the medians printed in the papers (no IPD there).
Writes everything to ``benchmarks/results/digitize.json``, and the digitizer's overlay of every
figure above the maximum IAE target to ``benchmarks/results/digitize_overlays/``.

Targets (issue 3): median IAE <= 0.003, 95th percentile <= 0.01, no figure above 0.03, 100%
automatic calibration, under 1.5 s per figure.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from benchmarks.digitize_scoring import (NO_CURVE_IAE, automatic_calibration, score_at_risk,
                                         score_censor_marks, score_curves, step_values)
from benchmarks.figures import save_image
from digitize import digitize
from digitize.axes import find_plot_areas
from digitize.image import load_image
from digitize.ocr import read_text
from kmipd.progress import progress

CORPUS = Path(__file__).with_name("digitize_corpus")
REAL_FIGURES = Path("/work/shared/real_figures/plos")
RESULTS = Path(__file__).with_name("results") / "digitize.json"
OVERLAYS = RESULTS.with_name("digitize_overlays")
TARGETS = {"median_iae": 0.003, "p95_iae": 0.01, "max_iae": 0.03, "automatic_calibration": 1.0,
           "seconds_per_figure": 1.5}


def target_met(name: str, value: float) -> bool:
    """Whether ``value`` meets :data:`TARGETS` ``[name]`` (a floor for shares, a ceiling else)."""
    goal = TARGETS[name]
    return value >= goal if name == "automatic_calibration" else value <= goal


def run_figure(path: Path, truth: dict, overlays: Path | None = None) -> dict:
    """Digitize one corpus plot (a figure, or one panel of it) with no user input and score it.

    Failures are recorded and score as no curve at all. ``seconds`` is wall time,
    ``cpu_seconds`` the process's CPU time (all threads), which other jobs on the machine
    disturb less. With ``overlays``, the digitizer's overlay of every plot above the maximum
    IAE target is saved there, for a person to look at.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        result = digitize(path, panel=truth["panel"])
        error = None
    except Exception as exception:  # a benchmark records every failure and goes on
        result, error = None, f"{type(exception).__name__}: {exception}"
    timing = {"seconds": time.perf_counter() - started,
              "cpu_seconds": time.process_time() - cpu_started}
    prints_at_risk = bool(truth["style"]["risk_table"] and truth["at_risk"])
    draws_marks = truth["style"]["censor_marker"] is not None
    if result is None:
        return {"id": truth["id"], "error": error, **timing, "iae": NO_CURVE_IAE,
                "max_error": NO_CURVE_IAE, "automatic_calibration": False,
                "at_risk_read": 0.0 if prints_at_risk else None, "right_n_arms": False,
                "n_true_arms": truth["n_arms"], "n_found_arms": 0,
                "censor_precision": None, "censor_recall": 0.0 if draws_marks else None}
    score = score_curves(result.curves, truth["arms"])
    arm_names = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    marks = {"censor_precision": None, "censor_recall": None}
    if draws_marks:
        marks = score_censor_marks(result.censor_marks, truth["arms"], arm_names,
                                   time_tolerance=0.01 * _x_axis_length(truth))
    if overlays is not None and score["iae"] > TARGETS["max_iae"]:
        overlays.mkdir(parents=True, exist_ok=True)
        save_image(result.overlay(), overlays / (truth["id"].replace("#", "_") + ".png"))
    at_risk_read = None
    if prints_at_risk:
        at_risk_read = score_at_risk(result.at_risk, truth["at_risk"], arm_names,
                                     time_tolerance=0.01 * truth["x_limits"][1])
    return {"id": truth["id"], "error": None, **timing,
            "automatic_calibration": automatic_calibration(result.calibration),
            "at_risk_read": at_risk_read, "warnings": list(result.warnings), **marks, **score}


def _x_axis_length(truth: dict) -> float:
    """Length of the x axis (time units): the drawn limits, or for R-drawn figures, which do not
    record them, the longest true curve."""
    if truth["x_limits"]:
        return truth["x_limits"][1] - truth["x_limits"][0]
    return max(arm["km"]["time"][-1] for arm in truth["arms"])


def summarise(scores: pd.DataFrame) -> dict:
    """The benchmark's figures for a group of scored figures."""
    iae = scores["iae"].to_numpy(float)
    at_risk_read = scores["at_risk_read"].dropna()
    precision, recall = scores["censor_precision"].dropna(), scores["censor_recall"].dropna()
    return {"figures": len(scores), "median_iae": float(np.median(iae)),
            "p95_iae": float(np.percentile(iae, 95)), "max_iae": float(iae.max()),
            "automatic_calibration": float(scores["automatic_calibration"].mean()),
            "right_n_arms": float(scores["right_n_arms"].mean()),
            "failed": int(scores["error"].notna().sum()),
            # share of printed numbers at risk read right, over the figures that print them
            "at_risk_read": float(at_risk_read.mean()) if len(at_risk_read) else None,
            # censor marks, over the figures that draw them (precision: over those with marks found)
            "censor_precision": float(precision.mean()) if len(precision) else None,
            "censor_recall": float(recall.mean()) if len(recall) else None,
            "seconds_per_figure": float(scores["seconds"].mean()),
            "cpu_seconds_per_figure": float(scores["cpu_seconds"].mean())}


def summary_table(scores: pd.DataFrame, groups: dict[str, pd.Index]) -> pd.DataFrame:
    """One summary row per named group of figures (rows of ``scores``)."""
    rows = {name: summarise(scores.loc[index]) for name, index in groups.items() if len(index)}
    return pd.DataFrame.from_dict(rows, orient="index")


def run_corpus(pattern: str = "*", overlays: Path | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Digitize and score every corpus plot whose file name matches ``pattern``.

    Returns
    -------
    scores : pandas.DataFrame
        One row a plot (a figure, or a panel of a multi-panel figure), indexed by truth ``id``.
    by_family, by_tag : pandas.DataFrame
        Summaries per style family (plus ``all``) and per difficulty tag.
    """
    truths = [t for t in json.loads((CORPUS / "truth.json").read_text())
              if Path(t["file"]).match(pattern)]
    # The OCR engine loads once per process (about a second): load it before the clock runs, so
    # that each figure's time is its own, not the first figure's.
    read_text(np.full((32, 96, 3), 255, dtype=np.uint8))
    records = [run_figure(CORPUS / truth["file"], truth, overlays)
               for truth in progress(truths, "digitizing")]
    scores = pd.DataFrame(records).set_index("id")
    families = pd.Series({t["id"]: t["family"] for t in truths})
    tags = sorted({tag for t in truths for tag in t["tags"]} - set(families))
    by_family = summary_table(scores, {**{family: families.index[families == family]
                                          for family in sorted(set(families))},
                                       "all": scores.index})
    by_tag = summary_table(scores, {tag: pd.Index([t["id"] for t in truths if tag in t["tags"]])
                                    for tag in tags})
    return scores, by_family, by_tag


def _median_time(curve: pd.DataFrame) -> float | None:
    below = curve.loc[curve["survival"] <= 0.5, "time"]
    return float(below.min()) if len(below) else None


def _hex_to_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)], float)


def run_real_figures(folder: Path = REAL_FIGURES) -> list[dict]:
    """Digitize the published figures and compare with what their papers print.

    Digitized arms are matched to the known arms by line colour (Hungarian on RGB distance), not
    by the printed values, so that the matching cannot hide errors. Every panel of a
    multi-panel figure is digitized.

    Returns
    -------
    list of dict
        One record a panel: arms expected and found, and per known arm the digitized survival
        at each published landmark and the digitized median next to the published ones.
    """
    records = []
    for known in progress(json.loads((folder / "known.json").read_text()), "real figures"):
        path = folder / known["image"]
        for panel in range(len(find_plot_areas(load_image(path)))):
            record = {"image": known["image"], "panel": panel, "expected_arms": len(known["arms"])}
            started = time.perf_counter()
            try:
                result = digitize(path, panel=panel)
            except Exception as error:  # recorded, like any failure
                records.append({**record, "error": f"{type(error).__name__}: {error}"})
                continue
            record.update(seconds=time.perf_counter() - started, error=None,
                          found_arms=len(result.arms),
                          automatic_calibration=automatic_calibration(result.calibration),
                          arms=_compare_published(result, known["arms"]))
            records.append(record)
    return records


def _compare_published(result, known_arms: list[dict]) -> list[dict]:
    """Per known arm: the colour-matched digitized arm's landmarks and median beside the paper's."""
    found = result.arms.reset_index(drop=True)
    distance = np.array([[np.linalg.norm(_hex_to_rgb(arm["approx_colour"]) - _hex_to_rgb(colour))
                          for colour in found["colour"]] for arm in known_arms])
    rows, cols = linear_sum_assignment(distance) if len(found) else ([], [])
    compared = []
    for i, j in zip(rows, cols):
        arm, name = known_arms[i], found.loc[j, "arm"]
        curve = result.curves[result.curves["arm"] == name]
        landmarks = {time_: {"published": value,
                             "digitized": float(step_values(curve["time"], curve["survival"],
                                                            [float(time_)])[0])}
                     for time_, value in arm["published_survival_at"].items()}
        compared.append({"arm": arm["name"], "digitized_arm": str(name),
                         "published_median": arm["published_median"],
                         "digitized_median": _median_time(curve), "landmarks": landmarks})
    return compared


def _print_real(records: list[dict]) -> None:
    landmark_errors, median_errors = [], []
    for record in records:
        head = f"{record['image']} panel {record['panel']}"
        if record.get("error"):
            print(f"{head}: failed: {record['error']}")
            continue
        print(f"{head}: {record['found_arms']} arms (expected {record['expected_arms']}), "
              f"automatic calibration {record['automatic_calibration']}, {record['seconds']:.2f} s")
        for arm in record["arms"]:
            marks = ", ".join(f"S({t})={v['digitized']:.3f} vs {v['published']}"
                              for t, v in arm["landmarks"].items())
            landmark_errors += [abs(v["digitized"] - v["published"])
                                for v in arm["landmarks"].values()]
            median = arm["digitized_median"]
            if median is not None and arm["published_median"] is not None:
                median_errors.append(abs(median - arm["published_median"]))
            print(f"  {arm['arm']}: median {'-' if median is None else f'{median:.1f}'} "
                  f"vs {arm['published_median']}; {marks}")
    if landmark_errors:
        print(f"largest |S - published| at a landmark: {max(landmark_errors):.3f} "
              f"(published to 2 decimals); largest |median - published|: "
              f"{max(median_errors, default=float('nan')):.2f} time units")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="*", help="glob of corpus files to run, e.g. 'sas_*'")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help=f"JSON file to write (default {RESULTS}); the overlays go beside it")
    args = parser.parse_args(argv)

    scores, by_family, by_tag = run_corpus(args.only, args.out.with_name(OVERLAYS.name))
    with pd.option_context("display.width", 320, "display.max_columns", 20,
                           "display.float_format", "{:.4f}".format):
        print("\nper style family\n", by_family, sep="")
        print("\nper difficulty tag\n", by_tag, sep="")
        failing = scores[scores["iae"] > TARGETS["max_iae"]]
        if len(failing):
            print("\nfigures above the maximum IAE target\n",
                  failing[["iae", "n_true_arms", "n_found_arms", "automatic_calibration", "error"]],
                  sep="")
    overall = by_family.loc["all"]
    print("\ntargets: " + ", ".join(
        f"{name} {overall[name]:.4g} {'ok' if target_met(name, overall[name]) else 'MISSED'} ({goal})"
        for name, goal in TARGETS.items()))

    real = run_real_figures() if REAL_FIGURES.exists() else []
    if real:
        print("\nreal published figures (no IPD: compared with the papers' printed values)")
        _print_real(real)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"targets": TARGETS, "by_family": by_family.to_dict(orient="index"),
              "by_tag": by_tag.to_dict(orient="index"),
              "figures": scores.reset_index().to_dict(orient="records"), "real_figures": real}
    args.out.write_text(json.dumps(report, sort_keys=True, indent=1, default=str) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
