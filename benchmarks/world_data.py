"""The real and simulated IPD the world corpus is drawn from: data sets, their arm splits, time units.

A *source* is ``DATASET:SPLIT`` (``lung:sex``, ``rossi:halves``, ``sim_trial_2:arms``). The data
sets are R's ``survival`` data (exported to ``benchmarks/world_corpus/data/*.csv`` by
``benchmarks/r/world_figures.R export``, committed so nothing here needs R), the lifelines data
sets of :mod:`benchmarks.datasets` and a few more shipped with lifelines, and simulated trials
(seeded). :func:`load_source` returns IPD ``arm,time,event`` in the data set's own time unit,
arms in drawing order and named as a paper would print them.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import datasets as lifelines_datasets

from benchmarks import datasets

DATA = Path(__file__).with_name("world_corpus") / "data"

#: Time unit of every data set (the unit its ``time`` column is in).
UNITS = {"lung": "days", "colon": "days", "veteran": "days", "ovarian": "days", "pbc": "days",
         "myeloma": "days", "mgus2": "months", "cgd": "days", "retinopathy": "months",
         "aml": "weeks", "rotterdam": "days", "nwtco": "days", "flchain": "days",
         "rossi": "weeks", "gbsg2": "days", "leukemia": "weeks", "larynx": "years",
         "kidney_transplant": "days", "waltons": "days", "dd": "years", "lymphoma": "months",
         "sim_trial_1": "months", "sim_trial_2": "months", "sim_trial_3": "months",
         "sim_trial_4": "months", "sim_trial_5": "months", "sim_trial_6": "months"}

#: R data set -> the grouping columns of its CSV and how each value is printed.
R_SPLITS = {"lung": ("sex", "ecog"), "colon": ("rx", "sex"), "veteran": ("trt", "celltype"),
            "ovarian": ("rx",), "pbc": ("trt", "stage"), "myeloma": ("era",), "mgus2": ("sex",),
            "cgd": ("treat",), "retinopathy": ("trt", "type"), "aml": ("x",),
            "rotterdam": ("chemo", "hormon"), "nwtco": ("histol", "stage"), "flchain": ("sex",)}

#: Names papers give to arms of a random split, by number of arms.
TRIAL_NAMES = {1: [("All patients",), ("Arm A",), ("Overall",)],
               2: [("Treatment", "Placebo"), ("Arm A", "Arm B"), ("Fulvestrant 250 mg", "Fulvestrant 500 mg"),
                   ("Experimental", "Control"), ("Drug X + SOC", "SOC alone")],
               3: [("Arm A", "Arm B", "Arm C"), ("Low dose", "High dose", "Placebo")],
               4: [("Group 1", "Group 2", "Group 3", "Group 4"), ("Q1", "Q2", "Q3", "Q4")]}


def seed_of(text: str) -> int:
    """A stable 32-bit seed for a name (Python's ``hash`` changes between runs)."""
    return zlib.crc32(text.encode())


def _ipd(time, event, arm) -> pd.DataFrame:
    frame = pd.DataFrame({"arm": np.asarray(arm).astype(str), "time": np.asarray(time, float),
                          "event": np.asarray(event, int)})
    return frame[frame["time"] > 0].reset_index(drop=True)


def load_dataset(name: str) -> pd.DataFrame:
    """One data set with ``time, event`` and its grouping columns (R data sets: from the CSVs)."""
    if name in R_SPLITS:
        return pd.read_csv(DATA / f"{name}.csv")
    if name == "dd":
        frame = lifelines_datasets.load_dd()
        return pd.DataFrame({"time": frame["duration"], "event": frame["observed"],
                             "group": frame["democracy"]})
    if name == "lymphoma":
        frame = lifelines_datasets.load_lymphoma()
        return pd.DataFrame({"time": frame["Time"], "event": frame["Censor"],
                             "group": frame["Stage_group"].map({1: "Stage I-II", 2: "Stage III-IV"})})
    if name.startswith("sim_trial_"):
        return simulated_trial(int(name.rsplit("_", 1)[1]))
    ipd = datasets.load(name)
    return pd.DataFrame({"time": ipd["time"], "event": ipd["event"], "group": ipd["arm"]})


def simulated_trial(number: int) -> pd.DataFrame:
    """A seeded randomised trial in months: Weibull event times, uniform accrual, fixed end of study.

    Trial ``number`` sets the seed, the number of arms (2, or 3 for every third trial), the arm
    sizes (60-400) and the hazard ratios, so that the six trials differ in size and spread.
    """
    rng = np.random.default_rng(1000 + number)
    n_arms = 3 if number % 3 == 0 else 2
    names = ["Control", "Treatment", "Treatment high dose"][:n_arms]
    shape, median_months = rng.uniform(0.8, 1.5), rng.uniform(8, 30)
    frames = []
    for index, name in enumerate(names):
        n = int(rng.integers(60, 400))
        hazard_ratio = 1.0 if index == 0 else float(rng.uniform(0.45, 0.9)) ** index
        scale = median_months / np.log(2) ** (1 / shape) / hazard_ratio ** (1 / shape)
        event_time = scale * rng.weibull(shape, n)
        follow_up = 60.0 - rng.uniform(0, 36, n)  # accrual over 3 years, study ends at 5 years
        dropout = rng.exponential(200.0, n)
        time = np.minimum.reduce([event_time, follow_up, dropout])
        frames.append(pd.DataFrame({"time": np.round(time, 2), "event": (event_time <= time).astype(int),
                                    "group": name}))
    return pd.concat(frames, ignore_index=True)


def splits(name: str) -> list[str]:
    """The splits :func:`load_source` knows for a data set: its groupings, ``halves``, ``thirds``, ``all``."""
    grouping = R_SPLITS.get(name, ("group",))
    return [*grouping, "halves", "thirds", "all"]


def load_source(source: str, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """IPD ``arm,time,event`` for ``DATASET:SPLIT`` in the data set's own time unit.

    A grouping split keeps the data set's groups (a fourth and later group by size merged into
    groups of under 5% of the patients dropped, at most 4 arms; missing values dropped);
    ``halves`` and ``thirds`` are seeded random splits named ``names`` (by default ``Arm A``,
    ``Arm B``, ...) and drawn in that order; ``all`` is one arm. Grouped arms are drawn in sorted order.
    """
    dataset, split = source.split(":")
    frame = load_dataset(dataset)
    if split in ("halves", "thirds", "all"):
        n_arms = {"halves": 2, "thirds": 3, "all": 1}[split]
        order = np.random.default_rng(seed_of(source)).permutation(len(frame)) % n_arms
        labels = np.array(names or [f"Arm {letter}" for letter in "ABCD"[:n_arms]])
        arm = labels[order]
    else:
        column = frame[split]
        frame = frame[column.notna()].reset_index(drop=True)
        column = frame[split].astype(str).str.replace(r"\.0$", "", regex=True)
        groups = sorted(column.unique(), key=lambda g: (-np.sum(column == g), g))
        kept = [g for g in groups[:4] if np.mean(column == g) >= 0.05]
        frame, column = frame[column.isin(kept)], column[column.isin(kept)]
        arm = column
        if split in ("ecog", "stage"):
            arm = (split.upper() if split == "ecog" else "Stage") + " " + arm
    ipd = _ipd(frame["time"], frame["event"], arm)
    order = sorted(ipd["arm"].unique(), key=lambda a: (names.index(a) if names and a in names else 99, a))
    ipd["arm"] = pd.Categorical(ipd["arm"], order)
    return ipd.sort_values(["arm", "time", "event"], kind="mergesort").assign(
        arm=lambda f: f["arm"].astype(str)).reset_index(drop=True)


#: The world corpus's folder; each half's truth is ``<half>/truth.json.gz`` (gzip keeps the repository light:
#: the true KM steps of large arms make a few MB of JSON).
CORPUS = Path(__file__).with_name("world_corpus")
TRUTH_FILE = "truth.json.gz"


def read_truth(half: str) -> list[dict]:
    """The truth records of one half of the world corpus (``"dev"`` or ``"test"``), sorted by id."""
    with gzip.open(CORPUS / half / TRUTH_FILE, "rt", encoding="utf-8") as stored:
        return json.load(stored)


def write_truth(half: str, text: str) -> None:
    """Store one half's truth (JSON text), byte-identical for the same text (no time in the gzip header)."""
    with open(CORPUS / half / TRUTH_FILE, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as stored:
        stored.write(text.encode("utf-8"))
