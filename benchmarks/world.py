"""The fully automatic chain on figures the world prints: ``python -m benchmarks.world``.

Runs :func:`kmipd.pipeline.extract` with no options on every figure of the world corpus
(``benchmarks/world_corpus/{dev,test}``, built by ``python -m benchmarks.make_world_corpus``),
in one process with the OCR engine loaded before timing, and scores each figure against its
truth:

- ``completed``: extract returned (an ``InputError`` is recorded with its message, any other
  exception as a crash with the last line of its traceback); ``digitized``: its digitize stage
  returned (the scores below are of that stage's result, also when reconstruction then failed);
- ``right_n_arms``; ``legend_exact`` / ``legend_loose``: share of true arms whose printed legend
  name was read exactly / up to case and spaces;
- ``at_risk_cells``: printed numbers at risk read right over numbers printed, ``at_risk_rows``:
  rows read over rows printed (read arms matched to true arms by name, else by colour, else by
  order; a cell is right at the right time, within 1% of the x axis);
- ``iae``: per arm, the digitized curve against the true KM over the plotted range
  (:mod:`benchmarks.digitize_scoring`, arms matched on IAE);
- censor marks: precision and recall (marks within 1% of the x axis), and ``no_false_marks``
  on the figures that draw none;
- ``log_hr_error``: on 2-arm figures, |log HR| of the reconstructed IPD minus that of the true
  IPD (censored at the end of the x axis), Cox models by lifelines;
- ``silent_wrong``: an arm IAE above 0.02 or a log HR error above 0.1 with no warning emitted;
- ``seconds``.

Prints a table per program and half and the most common failure messages; writes
``benchmarks/results/world.json`` (sorted keys) and ``benchmarks/results/world_failures.csv``.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import re
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from scipy.optimize import linear_sum_assignment

from benchmarks.digitize_scoring import NO_CURVE_IAE, score_censor_marks, score_curves
from benchmarks.figures import DAYS_PER_UNIT
from benchmarks.world_data import CORPUS, UNITS, load_source, read_truth
from digitize.ocr import read_text
from kmipd.errors import InputError
from kmipd import pipeline
from kmipd.progress import progress

RESULTS = Path(__file__).with_name("results") / "world.json"
IAE_LIMIT, LOG_HR_LIMIT = 0.02, 0.1


def loose(name: str) -> str:
    """A name up to case and spaces."""
    return re.sub(r"\s+", "", str(name)).lower()


def _rgb(colour: str) -> np.ndarray:
    colour = str(colour).lstrip("#")
    return np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)], float) if len(colour) == 6 else np.full(3, np.nan)


def match_arms(read: list[str], read_colours: list[str], true_arms: list[dict]) -> dict[str, str]:
    """Read arm name -> true arm name: by name (up to case and spaces), then colour, then order."""
    matched, free = {}, [arm["name"] for arm in true_arms]
    for name in read:
        same = [true for true in free if loose(true) == loose(name)]
        if same:
            matched[name] = same[0]
            free.remove(same[0])
    rest = [(name, colour) for name, colour in zip(read, read_colours) if name not in matched]
    colours = {arm["name"]: _rgb(arm["colour"]) for arm in true_arms}
    if rest and free:
        cost = np.array([[np.nan_to_num(np.linalg.norm(_rgb(c) - colours[t]), nan=1e3) for t in free]
                         for _, c in rest])
        for i, j in zip(*linear_sum_assignment(cost)):
            matched[rest[i][0]] = free[j]
    return matched


def score_at_risk(read: pd.DataFrame, truth: dict, names: dict[str, str], tolerance: float) -> dict:
    """Cells of the printed at-risk table read right, and rows read, over those printed."""
    printed = pd.DataFrame(truth["at_risk"])
    read = read.assign(arm=read["arm"].map(names)).dropna(subset=["arm"]) if len(read) else read
    right = 0
    for arm, t, n in printed[["arm", "time", "n_risk"]].itertuples(index=False):
        cell = read[(read["arm"] == arm) & (np.abs(read["time"] - t) <= tolerance)] if len(read) else read
        right += bool(len(cell)) and int(cell["n_risk"].iloc[0]) == n
    rows_printed = printed["arm"].nunique()
    rows_read = len(set(read["arm"]) & set(printed["arm"])) if len(read) else 0
    return {"cells_right": int(right), "cells_printed": len(printed),
            "rows_read": int(rows_read), "rows_printed": int(rows_printed)}


def true_ipd(truth: dict) -> pd.DataFrame:
    """The figure's IPD in printed units, censored at the end of the x axis."""
    names = tuple(arm["name"] for arm in truth["arms"]) if truth["split"] in ("halves", "thirds", "all") else None
    ipd = load_source(truth["source"], names)
    ipd = ipd.assign(time=ipd["time"] * DAYS_PER_UNIT[UNITS[truth["dataset"]]] / DAYS_PER_UNIT[truth["time_unit"]])
    end = truth["options"]["x_max"]
    return ipd.assign(event=np.where(ipd["time"] > end, 0, ipd["event"]), time=np.minimum(ipd["time"], end))


def log_hr(ipd: pd.DataFrame, second: str) -> float:
    """log HR of arm ``second`` against the other arm (Cox model)."""
    data = pd.DataFrame({"time": ipd["time"], "event": ipd["event"], "x": (ipd["arm"] == second).astype(int)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(CoxPHFitter().fit(data, "time", "event").params_["x"])


class DigitizeSpy:
    """Keeps what :func:`kmipd.arm_labels.digitize_named` returned inside :func:`kmipd.pipeline.extract`,
    so that a figure whose reconstruction fails still has its curves, names and table scored (no second run)."""

    def __init__(self):
        self.original, self.result = pipeline.digitize_named, None

    def __call__(self, *args, **kwargs):
        self.result = self.original(*args, **kwargs)
        return self.result


SPY = DigitizeSpy()


def run_figure(path: Path, truth: dict) -> dict:
    """Extract one figure with no options and score it (its digitization also when reconstruction fails)."""
    started = time.perf_counter()
    SPY.result, pipeline.digitize_named = None, SPY
    try:
        extraction, status, message = pipeline.extract(path), "completed", None
    except InputError as error:
        extraction, status, message = None, "input_error", str(error)
    except Exception:  # a benchmark records every failure and goes on
        extraction, status = None, "crash"
        message = traceback.format_exc().strip().splitlines()[-1]
    finally:
        pipeline.digitize_named = SPY.original
    seconds = time.perf_counter() - started
    true_arms = truth["arms"]
    digitization = extraction.digitization if extraction is not None else SPY.result
    result = {"id": truth["id"], "half": truth["half"], "program": truth["program"], "tags": truth["tags"],
              "status": status, "message": message, "seconds": round(seconds, 3),
              "n_true_arms": len(true_arms), "completed": extraction is not None,
              "digitized": digitization is not None}
    if digitization is None:
        result.update(right_n_arms=False, legend_exact=0.0, legend_loose=0.0,
                      iae=[NO_CURVE_IAE] * len(true_arms), censor_precision=None,
                      censor_recall=0.0 if truth["censor_marks_drawn"] else None,
                      no_false_marks=None, log_hr_error=None, silent_wrong=False, warnings=[])
        if truth["at_risk"]:
            printed = pd.DataFrame(truth["at_risk"])
            result.update(cells_right=0, cells_printed=len(printed), rows_read=0,
                          rows_printed=int(printed["arm"].nunique()))
        return result
    curves = digitization.curves
    read = [str(name) for name in dict.fromkeys(curves["arm"])]
    colours = dict(zip(digitization.arms["arm"].astype(str), digitization.arms["colour"]))
    true_names = [arm["legend_name"] for arm in true_arms]
    tolerance = 0.01 * truth["options"]["x_max"]
    result["right_n_arms"] = len(read) == len(true_arms)
    result["legend_exact"] = float(np.mean([name in read for name in true_names]))
    result["legend_loose"] = float(np.mean([loose(name) in map(loose, read) for name in true_names]))
    names = match_arms(read, [colours.get(name, "") for name in read], true_arms)
    if truth["at_risk"]:
        result.update(score_at_risk(digitization.at_risk, truth, names, tolerance))
    curve_score = score_curves(curves, true_arms)
    result["iae"] = [round(arm["iae"], 6) for arm in curve_score["arms"]]
    by_curve = {arm["digitized_arm"]: arm["true_arm"] for arm in curve_score["arms"] if arm["matched"]}
    marks = score_censor_marks(digitization.censor_marks, true_arms, by_curve, tolerance)
    result["censor_precision"], result["censor_recall"] = marks["censor_precision"], marks["censor_recall"]
    result["n_marks_found"] = marks["n_marks_found"]
    result["no_false_marks"] = None if truth["censor_marks_drawn"] else marks["n_marks_found"] == 0
    result["log_hr_error"] = None
    if extraction is not None and len(true_arms) == 2 and len(read) == 2 and len(set(by_curve.values())) == 2:
        second = true_arms[1]["name"]
        reconstructed = extraction.ipd.assign(arm=extraction.ipd["arm"].astype(str).map(by_curve))
        result["log_hr_error"] = round(abs(log_hr(reconstructed, second) - log_hr(true_ipd(truth), second)), 6)
    result["warnings"] = list(digitization.warnings)
    bad = max(result["iae"]) > IAE_LIMIT or (result["log_hr_error"] or 0) > LOG_HR_LIMIT
    result["silent_wrong"] = bool(extraction is not None and bad and not result["warnings"])
    return result


def _share(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def summarise(results: list[dict]) -> dict:
    """Aggregate figures' scores: shares, pooled at-risk and censor scores, IAE and log HR quantiles."""
    iae = [v for r in results if r["digitized"] for v in r["iae"]]
    hr = [r["log_hr_error"] for r in results if r.get("log_hr_error") is not None]
    tables = [r for r in results if "cells_printed" in r]
    precision = [r["censor_precision"] for r in results if r["censor_precision"] is not None]
    return {
        "n": len(results), "completed": _share(r["completed"] for r in results),
        "digitized": _share(r["digitized"] for r in results),
        "crashes": sum(r["status"] == "crash" for r in results),
        "right_n_arms": _share(r["right_n_arms"] for r in results),
        "legend_exact": _share(r["legend_exact"] for r in results),
        "legend_loose": _share(r["legend_loose"] for r in results),
        "at_risk_cells": round(sum(r["cells_right"] for r in tables) / max(1, sum(r["cells_printed"] for r in tables)), 4)
        if tables else None,
        "at_risk_rows": round(sum(r["rows_read"] for r in tables) / max(1, sum(r["rows_printed"] for r in tables)), 4)
        if tables else None,
        "median_arm_iae": round(float(np.median(iae)), 5) if iae else None,
        "p95_arm_iae": round(float(np.percentile(iae, 95)), 5) if iae else None,
        "censor_precision": _share(precision), "censor_recall": _share(r["censor_recall"] for r in results),
        "no_false_marks": _share(r["no_false_marks"] for r in results),
        "median_log_hr_error": round(float(np.median(hr)), 4) if hr else None,
        "n_log_hr": len(hr), "silent_wrong": sum(r["silent_wrong"] for r in results),
        "seconds_per_figure": round(float(np.mean([r["seconds"] for r in results])), 3),
    }


def failure_kind(message: str) -> str:
    """A message with its numbers and quoted names blanked, to group failures of one kind."""
    kind = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    kind = re.sub(r"\barm(s|\(s\))? [^:;()]+?(?= with|:)", "arm …", kind)  # arm names
    kind = re.sub(r"curves have [^;)]*", "curves have …", kind)
    return re.sub(r"\d+(\.\d+)?", "N", kind)


COLUMNS = [("completed", "done"), ("digitized", "digit."), ("right_n_arms", "arms"), ("legend_exact", "names"),
           ("legend_loose", "names~"), ("at_risk_cells", "cells"), ("at_risk_rows", "rows"),
           ("median_arm_iae", "IAE50"), ("censor_precision", "c.prec"), ("censor_recall", "c.rec"),
           ("no_false_marks", "nofalse"), ("median_log_hr_error", "dlogHR"), ("silent_wrong", "silent"),
           ("seconds_per_figure", "s")]


def table(groups: dict[str, dict]) -> str:
    """A compact text table of group summaries."""
    head = f"{'group':<24}{'n':>4}" + "".join(f"{label:>8}" for _, label in COLUMNS)
    lines = [head]
    for name, summary in groups.items():
        cells = "".join(f"{'-' if summary[key] is None else format(summary[key], 'g'):>8}" for key, _ in COLUMNS)
        lines.append(f"{name:<24}{summary['n']:>4}{cells}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--only", help="glob on figure ids, e.g. 'r_survminer_*'")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    halves = ["dev", "test"] if args.half == "both" else [args.half]
    figures = [(CORPUS / half / truth["file"], truth) for half in halves
               for truth in read_truth(half)
               if not args.only or fnmatch.fnmatch(truth["id"], args.only)]
    read_text(np.full((32, 96, 3), 255, dtype=np.uint8))  # load the OCR engine before timing
    results = [run_figure(path, truth) for path, truth in progress(figures, "world figures")]
    groups = {}
    for half in halves:
        mine = [r for r in results if r["half"] == half]
        for program in sorted({r["program"] for r in mine}):
            groups[f"{half}/{program}"] = summarise([r for r in mine if r["program"] == program])
        groups[f"{half}/all"] = summarise(mine)
    tags = sorted({tag for r in results for tag in r["tags"]})
    by_tag = {tag: summarise([r for r in results if tag in r["tags"]]) for tag in tags}
    print(table(groups))
    failed = [r for r in results if not r["completed"]]
    kinds = {}
    for r in failed:
        kinds.setdefault((r["half"], r["status"], failure_kind(r["message"])), []).append(r["id"])
    print(f"\n{len(failed)} of {len(results)} figures failed; most common failures:")
    for (half, status, kind), ids in sorted(kinds.items(), key=lambda item: (-len(item[1]), item[0]))[:15]:
        print(f"{len(ids):>4}  {half:<4} {status:<11} {kind[:150]}  (e.g. {ids[0]})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    output = {"groups": groups, "by_tag": by_tag, "figures": results,
              "failure_kinds": [{"half": h, "status": s, "kind": k, "count": len(ids), "ids": ids}
                                for (h, s, k), ids in sorted(kinds.items(), key=lambda item: (-len(item[1]), item[0]))]}
    args.out.write_text(json.dumps(output, sort_keys=True, indent=1, default=float) + "\n")
    with open(args.out.with_name(args.out.stem + "_failures.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "half", "program", "status", "message", "tags"])
        for r in failed:
            writer.writerow([r["id"], r["half"], r["program"], r["status"], r["message"], " ".join(r["tags"])])
    return output


if __name__ == "__main__":
    main()
