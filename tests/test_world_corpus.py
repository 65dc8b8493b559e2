"""The world corpus (benchmarks/world_corpus) is whole and consistent, and the chain runs on it.

Needs no R: the images and R's report are committed. Accuracy assertions on a test slice come
once the digitizer reads these figures.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from benchmarks.make_world_corpus import MAX_IMAGE_BYTES
from benchmarks.world_drawing import n_at_risk
from benchmarks.world_data import CORPUS, UNITS, load_source, read_truth
from benchmarks.figures import DAYS_PER_UNIT
from kmipd.errors import InputError
from kmipd.pipeline import extract

HALVES = ("dev", "test")


def records(half: str) -> list[dict]:
    return read_truth(half)


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict]]:
    return {half: records(half) for half in HALVES}


def test_every_record_has_a_small_image_that_decodes(corpus):
    total = 0
    for half, truths in corpus.items():
        assert len(truths) >= 150
        for truth in truths:
            path = CORPUS / half / truth["file"]
            data = path.read_bytes()
            assert len(data) <= MAX_IMAGE_BYTES, truth["id"]
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None and image.shape[:2] == (truth["image_height_px"],
                                                            truth["image_width_px"]), truth["id"]
            total += len(data)
    assert total <= 25e6


def test_true_curves_start_at_one_and_only_fall(corpus):
    for truth in corpus["dev"] + corpus["test"]:
        assert truth["n_arms"] == len(truth["arms"]) >= 1
        for arm in truth["arms"]:
            time, survival = np.asarray(arm["km"]["time"]), np.asarray(arm["km"]["survival"])
            assert (time[0], survival[0]) == (0.0, 1.0), truth["id"]
            assert np.all(np.diff(time) >= 0) and np.all(np.diff(survival) <= 0), truth["id"]
            assert time[-1] <= truth["options"]["x_max"] + 1e-9


def test_numbers_at_risk_fall_with_time(corpus):
    printed = [truth for truth in corpus["dev"] + corpus["test"] if truth["at_risk"]]
    assert len(printed) >= 100
    for truth in printed:
        table = pd.DataFrame(truth["at_risk"])
        for arm, rows in table.groupby("arm"):
            assert np.all(np.diff(rows.sort_values("time")["n_risk"].to_numpy()) <= 0), truth["id"]
            n = next(a["n"] for a in truth["arms"] if a["name"] == arm)
            assert rows["n_risk"].max() <= n


def test_r_figures_tables_are_rs_counts(corpus):
    """What R reported printing (summary(fit, times), survminer's table) is the truth, and the IPD
    rebuilt from the committed CSVs gives the same counts."""
    reports = {json.loads(line)["id"]: json.loads(line)
               for line in (CORPUS / "r_meta.jsonl").read_text().splitlines()}
    checked = 0
    for truth in corpus["dev"] + corpus["test"]:
        if not truth["program"].startswith("r_") or not truth["at_risk"] or checked >= 6:
            continue
        report = pd.DataFrame(reports[truth["id"]]["summary"])
        mine = pd.DataFrame(truth["at_risk"]).merge(report, on=["arm", "time"], suffixes=("", "_r"))
        assert len(mine) == len(truth["at_risk"]["n_risk"])
        assert (mine["n_risk"] == mine["n_risk_r"]).all(), truth["id"]
        names = tuple(a["name"] for a in truth["arms"]) if truth["split"] in ("halves", "thirds", "all") else None
        ipd = load_source(truth["source"], names)
        ipd = ipd.assign(time=ipd["time"] * DAYS_PER_UNIT[UNITS[truth["dataset"]]]
                         / DAYS_PER_UNIT[truth["time_unit"]])
        again = n_at_risk(ipd, sorted(set(truth["at_risk"]["time"])))
        both = mine.merge(again, on=["arm", "time"], suffixes=("", "_again"))
        assert len(both) == len(mine) and (both["n_risk"] == both["n_risk_again"]).all(), truth["id"]
        checked += 1
    assert checked == 6


def test_halves_share_no_data_set(corpus):
    datasets = {half: {truth["dataset"] for truth in truths} for half, truths in corpus.items()}
    assert not datasets["dev"] & datasets["test"]
    assert all(truth["half"] == half for half, truths in corpus.items() for truth in truths)


@pytest.mark.parametrize("figure_id", ["r_survminer_dev_000", "r_base_dev_002", "lifelines_dev_001"])
def test_extract_does_not_crash(figure_id):
    truth = next(t for t in records("dev") if t["id"] == figure_id)
    try:
        extraction = extract(CORPUS / "dev" / truth["file"])
    except InputError as error:  # refusing with a clear message is allowed for now
        assert str(error)
    else:
        assert len(extraction.ipd)
