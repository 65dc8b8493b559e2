"""How well the numbers-at-risk reader reads the tables R, lifelines and matplotlib print.

``python -m benchmarks.at_risk`` reads every figure of ``tests/data/world/atrisk`` (drawn by
``benchmarks/r/at_risk_figures.R`` and ``python -m benchmarks.at_risk_figures``) with
:func:`digitize.at_risk.read_at_risk_rows`, after the plot area and calibration are found as
:func:`digitize.digitize` finds them, and compares the rows with the truth printed: rows read
(of the true rows), extra rows (rows read that are no printed at-risk row: a cumulative-events
table, an axis), cells exactly right (of the printed cells), labels read as printed, the warnings,
the boxes OCR read (the slow step) and CPU seconds per figure (the at-risk step alone; CPU time,
which other jobs on the machine disturb less than wall time).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

import digitize.at_risk
from digitize.at_risk import read_at_risk_rows
from digitize.axes import find_plot_area
from digitize.calibration import calibrate
from digitize.image import load_image
from digitize.ocr import read_boxes, read_text

FIGURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "world" / "atrisk"


def load_truth(folder: Path = FIGURES) -> list[dict]:
    """The truth records of every figure in ``folder`` (``truth_r.json`` and ``truth_py.json``)."""
    return [record for name in ("truth_r.json", "truth_py.json") if (folder / name).exists()
            for record in json.loads((folder / name).read_text())]


def score_rows(rows: list[dict], labels: list[str], truth_rows: list[dict]) -> dict:
    """Rows read against the rows printed, each true row paired with the read row sharing most cells."""
    right = np.array([[sum(dict(read["cells"]).get(float(t)) == v for t, v in zip(true["time"], true["value"]))
                       for read in rows] for true in truth_rows]).reshape(len(truth_rows), len(rows))
    pairs = list(zip(*linear_sum_assignment(-right))) if right.size else []
    paired = [(i, j) for i, j in pairs if right[i, j] > 0]
    cells = sum(len(true["time"]) for true in truth_rows)
    return {"rows": len(truth_rows), "rows_read": len(paired), "extra_rows": len(rows) - len(paired),
            "cells": cells, "cells_right": int(sum(right[i, j] for i, j in paired)),
            "labels_right": sum(labels[j].strip() == truth_rows[i]["label"] for i, j in paired
                                if truth_rows[i]["label"])}


def run(folder: Path = FIGURES) -> list[dict]:
    """Read and score every figure of ``folder``; one record a figure."""
    read_text(np.full((32, 96, 3), 255, dtype=np.uint8))  # load the OCR engine before the clock runs
    records = []
    for truth in load_truth(folder):
        image = load_image(folder / truth["file"])
        area = find_plot_area(image)
        calibration = calibrate(image, area)
        boxes_read = []

        def counted(image, boxes):
            boxes_read.extend(boxes)
            return read_boxes(image, boxes)

        digitize.at_risk.read_boxes = counted  # counts what the reader asks OCR for
        started = time.process_time()
        table = read_at_risk_rows(image, area, calibration)
        seconds = time.process_time() - started
        digitize.at_risk.read_boxes = read_boxes
        labels = table.row_labels() if hasattr(table, "row_labels") else (table.labels or [""] * len(table.rows))
        records.append({"file": truth["file"], "program": truth["program"], "variant": truth["variant"],
                        "seconds": round(seconds, 3), "boxes_read": len(boxes_read),
                        "warnings": list(getattr(table, "warnings", [])),
                        **score_rows(table.rows, labels, truth["at_risk"])})
    return records


def main() -> None:
    records = run()
    for r in records:
        print(f"{r['file']:28s} rows {r['rows_read']}/{r['rows']} extra {r['extra_rows']}  cells "
              f"{r['cells_right']}/{r['cells']}  labels {r['labels_right']}  {r['boxes_read']} OCR boxes  "
              f"{r['seconds']:.2f} s"
              f"  warnings {len(r['warnings'])}")
    total = {k: sum(r[k] for r in records) for k in ("rows", "rows_read", "extra_rows", "cells", "cells_right")}
    print(f"all: rows read {total['rows_read']}/{total['rows']}, extra rows {total['extra_rows']}, cells right "
          f"{total['cells_right']}/{total['cells']} ({total['cells_right'] / total['cells']:.1%}), "
          f"{np.mean([r['boxes_read'] for r in records]):.1f} OCR boxes and "
          f"{np.median([r['seconds'] for r in records]):.2f} CPU s per figure (median)")


if __name__ == "__main__":
    main()
