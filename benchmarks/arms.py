"""Arms lost and added on the figures of the real programs: ``python -m benchmarks.arms``.

Digitizes every figure of ``tests/data/world/arms`` (drawn by
:mod:`benchmarks.make_arm_figures`) with no user input and prints, per figure, the arms drawn
and found, each true arm's IAE against the digitized arm matched to it
(:func:`benchmarks.digitize_scoring.score_curves`) and the warnings about arms; then the share of
figures with the right number of arms and the median and largest IAE per arm. Writes
``benchmarks/results/arms.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_arm_figures import FOLDER, true_arms
from digitize import digitize
from kmipd.progress import progress

RESULTS = Path(__file__).with_name("results") / "arms.json"


def run_figure(truth: dict) -> dict:
    """Digitize one figure and score its arms; a failure scores as no arm found."""
    arms = true_arms(truth)
    try:
        result = digitize(FOLDER / truth["file"])
    except Exception as error:  # a benchmark records every failure and goes on
        return {"id": truth["id"], "error": f"{type(error).__name__}: {error}", "n_true_arms": len(arms),
                "n_found_arms": 0, "right_n_arms": False, "arm_iae": [1.0] * len(arms), "warnings": []}
    score = score_curves(result.curves, arms)
    return {"id": truth["id"], "error": None, "n_true_arms": len(arms), "n_found_arms": score["n_found_arms"],
            "right_n_arms": score["right_n_arms"], "arm_iae": [arm["iae"] for arm in score["arms"]],
            "line_types": {"drawn": [arm["line_type"] for arm in truth["arms"]],
                           "read": list(result.arms["line_type"])},
            "warnings": [w for w in result.warnings if "arm" in w or "curve" in w]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="*", help="glob of figure ids to run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    truths = [t for t in json.loads((FOLDER / "truth.json").read_text()) if Path(t["id"]).match(args.only)]
    records = [run_figure(truth) for truth in progress(truths, "digitizing")]
    for record in records:
        iae = " ".join(f"{value:.4f}" for value in record["arm_iae"])
        flag = "" if record["right_n_arms"] else "  <-- WRONG ARMS"
        print(f"{record['id']:24s} arms {record['n_true_arms']} found {record['n_found_arms']}  IAE {iae}{flag}"
              + (f"  {record['error']}" if record["error"] else ""))
        for warning in record["warnings"]:
            print(f"    warning: {warning}")
    arm_iae = np.concatenate([record["arm_iae"] for record in records])
    summary = {"figures": len(records), "right_n_arms": int(sum(r["right_n_arms"] for r in records)),
               "arms": len(arm_iae), "median_arm_iae": float(np.median(arm_iae)),
               "p95_arm_iae": float(np.percentile(arm_iae, 95)), "max_arm_iae": float(arm_iae.max())}
    print(f"right number of arms on {summary['right_n_arms']} of {summary['figures']} figures; IAE per arm "
          f"(of {summary['arms']}): median {summary['median_arm_iae']:.4f}, 95th percentile "
          f"{summary['p95_arm_iae']:.4f}, max {summary['max_arm_iae']:.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "figures": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
