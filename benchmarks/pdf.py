"""Benchmark of the PDF route: ``python -m benchmarks.pdf``.

On the PDF corpus (``tests/data/world/pdf``, drawn by ``benchmarks/make_pdf_corpus.py``) it
finds the KM plots of every page (found, missed, non-KM plots taken for one), digitizes each,
and scores it against the truth: IAE of the curves (:mod:`benchmarks.digitize_scoring`),
censor-mark precision and recall (a mark right within a tenth of a point, in time units), the
share of the printed numbers at risk read right, the legend names, and, after
:func:`kmipd.pipeline.extract` (reconstruct with the at-risk table read), the events per arm
against the IPD's. Prints a table and the seconds (wall and CPU) a page takes to find its plots;
writes ``benchmarks/results/pdf.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks import datasets
from benchmarks.digitize_scoring import score_at_risk, score_censor_marks, score_curves
from digitize.pdf import digitize_pdf_plot, find_km_plots
from digitize.vector import PIXELS_PER_PT
from kmipd.errors import InputError
from kmipd.pipeline import extract

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "world" / "pdf"
RESULTS = Path(__file__).with_name("results") / "pdf.json"
#: A censor mark is right within this many points of a censor time (the PDF's coordinates are exact);
#: on an embedded image, within 1% of the x axis (as :mod:`benchmarks.digitize` scores images).
MARK_TOLERANCE_PT = 0.1


def truth() -> dict:
    return json.loads((CORPUS / "truth.json").read_text())


def score_plot(path: Path, plot, record: dict) -> dict:
    """Digitize one plot found in a PDF and score it against its truth record."""
    result = digitize_pdf_plot(path, plot)
    curves = score_curves(result.curves, record["arms"])
    names = {arm["digitized_arm"]: arm["true_arm"] for arm in curves["arms"] if arm["matched"]}
    if plot.kind == "vector":
        tolerance = MARK_TOLERANCE_PT * PIXELS_PER_PT * abs(result.calibration.x.slope)
    else:  # as benchmarks.digitize scores raster figures: 1% of the x axis
        tolerance = 0.01 * max(arm["km"]["time"][-1] for arm in record["arms"])
    marks = score_censor_marks(result.censor_marks, record["arms"], names, tolerance)
    at_risk = (score_at_risk(result.at_risk, record["at_risk"], names, 1e-6 * max(record["at_risk"]["time"]))
               if record["at_risk"] else None)
    row = {"file": path.name, "page": plot.page, "panel": plot.panel, "kind": plot.kind,
           "program": record["program"], "iae": curves["iae"], "max_error": curves["max_error"],
           "n_arms": curves["n_found_arms"], "right_n_arms": curves["right_n_arms"],
           "legend_right": sorted(result.arms["arm"]) == (sorted(record["legend"])
                                                           or [f"arm{k + 1}" for k in range(len(record["arms"]))]),
           "at_risk_right": at_risk, **marks}
    if record["at_risk"] and plot.kind == "vector":
        extraction = extract(path, page=plot.page, panel=plot.panel)
        ipd = datasets.load(record["dataset"])
        events = extraction.ipd.groupby("arm")["event"].sum().to_dict()
        true_events = ipd.groupby("arm")["event"].sum().to_dict()
        row["events"] = {arm: [int(events.get(arm, -1)), int(n)] for arm, n in true_events.items()}
        row["events_exact"] = all(found == true for found, true in row["events"].values())
    return row


def run() -> dict:
    records = truth()
    rows, pages, seconds, cpu_seconds = [], [], [], []
    for path in sorted(CORPUS.glob("*.pdf")):
        started, cpu_started = time.perf_counter(), time.process_time()
        plots = find_km_plots(path)
        n_pages = max([r["page"] for r in records["plots"] if r["file"] == path.name] + [1])
        seconds.append((time.perf_counter() - started) / n_pages)
        cpu_seconds.append((time.process_time() - cpu_started) / n_pages)
        expected = [r for r in records["plots"] if r["file"] == path.name]
        for page in records["pages"].get(path.name, []):
            found = [p for p in plots if p.page == page["page"]]
            pages.append({"file": path.name, "page": page["page"], "n_km_plots": page["n_km_plots"],
                          "n_found": len(found), "other_plots": page["other_plots"]})
        for plot in plots:
            record = next((r for r in expected if r["page"] == plot.page and r["panel"] == plot.panel), None)
            if record is None:
                rows.append({"file": path.name, "page": plot.page, "panel": plot.panel, "false_plot": True})
                continue
            try:
                rows.append(score_plot(path, plot, record))
            except InputError as error:
                rows.append({"file": path.name, "page": plot.page, "panel": plot.panel, "error": str(error)})
        missed = [r for r in expected if not any(p.page == r["page"] and p.panel == r["panel"] for p in plots)]
        rows += [{"file": path.name, "page": r["page"], "panel": r["panel"], "missed": True} for r in missed]
    vector = [r for r in rows if r.get("kind") == "vector"]
    recall = [r["censor_recall"] for r in vector if r.get("censor_recall") is not None]
    summary = {
        "n_plots": len(records["plots"]), "n_read": len([r for r in rows if "iae" in r]),
        "n_missed": len([r for r in rows if r.get("missed")]),
        "n_false_plots": len([r for r in rows if r.get("false_plot")]),
        "vector_max_iae": max(r["iae"] for r in vector),
        "vector_min_censor_recall": min(recall), "vector_median_censor_recall": float(np.median(recall)),
        "vector_min_censor_precision": min(r["censor_precision"] for r in vector if r["censor_precision"] is not None),
        "at_risk_all_right": all(r["at_risk_right"] in (None, 1.0) for r in vector),
        "events_exact": [f"{r['file']} p{r['page']} k{r['panel']}" for r in vector if r.get("events_exact")],
        "events_not_exact": [f"{r['file']} p{r['page']} k{r['panel']}: {r['events']}" for r in vector
                             if "events_exact" in r and not r["events_exact"]],
        "seconds_per_page_max": max(seconds), "seconds_per_page_median": float(np.median(seconds)),
        "cpu_seconds_per_page_max": max(cpu_seconds), "cpu_seconds_per_page_median": float(np.median(cpu_seconds)),
    }
    return {"summary": summary, "plots": rows, "pages": pages}


def main() -> None:
    report = run()
    for row in report["plots"]:
        if "iae" in row:
            recall = "-" if row["censor_recall"] is None else f"{row['censor_recall']:.3f}"
            precision = "-" if row["censor_precision"] is None else f"{row['censor_precision']:.3f}"
            print(f"{row['file']:26s} p{row['page']} k{row['panel']} {row['kind']:6s} IAE {row['iae']:.2e} "
                  f"arms {row['n_arms']} legend {'ok' if row['legend_right'] else 'WRONG'} "
                  f"marks P {precision} R {recall} at-risk {row['at_risk_right']} "
                  f"events {'exact' if row.get('events_exact') else row.get('events', '-')}")
        else:
            print(f"{row['file']:26s} p{row['page']} k{row['panel']} {row}")
    for page in report["pages"]:
        print(f"{page['file']} page {page['page']}: {page['n_found']} of {page['n_km_plots']} KM plots found "
              f"(also holds: {', '.join(page['other_plots'])})")
    print(json.dumps(report["summary"], indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
