"""The whole chain on the figure corpus: ``python -m benchmarks.chain``.

Every figure of ``benchmarks/digitize_corpus`` is digitized with no user input
(:func:`digitize.digitize`); each digitized arm matched to a true arm (as
:mod:`benchmarks.digitize` scores them) is reconstructed
(:func:`reconstruct.reconstruct`) with the true numbers at risk at the
figure's x ticks and the censor marks the digitizer saw, and compared with the
true IPD the figure was drawn from: the error in events, the IAE of the
reconstructed against the true Kaplan-Meier curve, and, on figures of two arms,
the error in the Cox log hazard ratio. Each arm is reconstructed twice: with
the digitizer's errors (:attr:`digitize.result.DigitizationResult.survival_noise`
and ``time_error``, what ``kmipd extract`` and ``kmipd run`` do) and taking the
traced curve as exact.

Prints the figures per style family and overall and writes them to
``benchmarks/results/chain.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.digitize import CORPUS, RESULTS
from benchmarks.digitize_scoring import score_curves
from benchmarks.figures import convert_time
from benchmarks.km_points import at_risk_table, table_times
from benchmarks.make_digitize_corpus import load_source
from benchmarks.reconstruct import compare_arm, log_hazard_ratio
from digitize import digitize
from kmipd.errors import InputError
from kmipd.progress import progress
from reconstruct import reconstruct

OUT = RESULTS.with_name("chain.json")
#: How each arm is reconstructed: with the digitizer's survival noise, or taking the curve as exact.
READINGS = ("digitizer's errors", "curve as exact")


def true_ipd(truth: dict) -> pd.DataFrame:
    """The IPD a corpus figure was drawn from, in the figure's time unit, arms named as drawn."""
    ipd, unit = load_source(truth["source"])
    return convert_time(ipd, unit, truth["time_unit"])


def run_figure(truth: dict) -> list[dict]:
    """Digitize one corpus plot and reconstruct its matched arms both ways; one row a reading
    and arm (``log_hr_error`` on the first arm's row of two-arm figures)."""
    try:
        result = digitize(CORPUS / truth["file"], panel=truth["panel"])
    except InputError:
        return []  # the digitizer's own benchmark counts the failure
    matched = {arm["true_arm"]: arm["digitized_arm"]
               for arm in score_curves(result.curves, truth["arms"])["arms"] if arm["matched"]}
    ipd = true_ipd(truth)
    # R-drawn figures do not record their ticks: regular times like R's stand in for them.
    ticks = np.asarray(truth["x_ticks"] or table_times(ipd, n_intervals=5), dtype=float)
    table = at_risk_table(ipd[ipd["arm"].isin(matched)], ticks[ticks >= 0])
    rename = {digitized: true for true, digitized in matched.items()}
    curves = result.curves[result.curves["arm"].isin(rename)].replace({"arm": rename})
    marks = result.censor_marks[result.censor_marks["arm"].isin(rename)].replace({"arm": rename})
    window = float(ticks.max())
    rows = []
    for reading, digitizing in zip(READINGS, (result.reading_errors, {})):
        try:
            rebuilt = reconstruct(curves, table, censor_marks=marks, **digitizing).ipd
        except InputError as error:
            rows.append({"id": truth["id"], "family": truth["family"], "reading": reading,
                         "error": error.message})
            continue
        for k, arm in enumerate(sorted(matched)):
            errors = compare_arm(ipd[ipd["arm"] == arm], rebuilt[rebuilt["arm"] == arm], window, window)
            row = {"id": truth["id"], "family": truth["family"], "reading": reading, "arm": arm,
                   "events": errors["events"], "iae": errors["iae"]}
            if k == 0 and len(matched) == 2 and truth["n_arms"] == 2:
                row["log_hr_error"] = abs(log_hazard_ratio(rebuilt) - log_hazard_ratio(ipd[ipd["arm"].isin(matched)]))
            rows.append(row)
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Median and max of each error per reading and family, and over all figures."""
    ok = rows[rows["error"].isna()] if "error" in rows else rows
    parts = [ok.assign(family="all"), ok]
    frame = pd.concat(parts, ignore_index=True)
    return frame.groupby(["reading", "family"], sort=True).agg(
        arms=("events", "size"),
        events_med=("events", "median"), events_max=("events", "max"),
        iae_med=("iae", "median"), iae_max=("iae", "max"),
        log_hr_med=("log_hr_error", "median"), log_hr_max=("log_hr_error", "max"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="*", help="glob of corpus files to run, e.g. 'sas_*'")
    args = parser.parse_args(argv)
    records = [record for record in json.loads((CORPUS / "truth.json").read_text())
               if Path(record["file"]).match(args.only)]
    rows = pd.DataFrame([row for record in progress(records, "digitizing and reconstructing")
                         for row in run_figure(record)])
    table = summarise(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.4f}".format):
        print(table)
    failed = rows[rows["error"].notna()] if "error" in rows else rows.iloc[0:0]
    if len(failed):
        print(f"\n{len(failed)} reconstructions refused:\n", failed[["id", "reading", "error"]], sep="")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"summary": json.loads(table.reset_index().to_json(orient="records")),
                               "rows": json.loads(rows.to_json(orient="records"))},
                              indent=1, sort_keys=True) + "\n")
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
