"""Reading the numbers-at-risk table under KM figures drawn from real IPD (lifelines and R data)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.at_risk import load_truth, score_rows
from benchmarks.world_data import CORPUS, read_truth
from digitize.at_risk import AtRiskRows, _count, _doubts, _split_glued, read_at_risk_rows, read_at_risk_table
from digitize.axes import find_plot_area, find_plot_areas
from digitize.calibration import calibrate
from digitize.deskew import deskewed
from digitize.image import load_image
from digitize.names import NAME_TOLERANCE, Reading, name_distance
from test_digitize_axes import km_figure


def read_drawn(path, **style):
    truth = km_figure(path, **style)[0]
    image = load_image(path)
    area = find_plot_area(image)
    return image, area, calibrate(image, area), truth


@pytest.mark.parametrize("rows", ["colour", "black"])
def test_counts_read_under_their_ticks_and_rows_named_by_label(tmp_path, rows):
    image, area, calibration, truth = read_drawn(tmp_path / "table.png", dataset="gbsg2", at_risk=rows)
    table = read_at_risk_table(image, area, calibration)
    expected = truth["at_risk"]
    pd.testing.assert_frame_equal(table.sort_values(["arm", "time"]).reset_index(drop=True),
                                  expected.sort_values(["arm", "time"]).reset_index(drop=True))


def test_coloured_rows_named_after_the_arm_colours(tmp_path):
    image, area, calibration, truth = read_drawn(tmp_path / "table.png", dataset="leukemia", at_risk="colour")
    # matplotlib's first two colours, named differently from the printed labels.
    table = read_at_risk_table(image, area, calibration, arm_colours={"blue arm": "#1f77b4", "orange arm": "#ff7f0e"})
    expected = truth["at_risk"].replace({"arm": {"6-MP": "blue arm", "placebo": "orange arm"}})
    assert sorted(table["arm"].unique()) == ["blue arm", "orange arm"]
    pd.testing.assert_frame_equal(table.sort_values(["arm", "time"]).reset_index(drop=True),
                                  expected.sort_values(["arm", "time"]).reset_index(drop=True))


def test_no_table_gives_an_empty_frame(tmp_path):
    image, area, calibration, _ = read_drawn(tmp_path / "plain.png", dataset="rossi")
    table = read_at_risk_table(image, area, calibration)
    assert table.empty and list(table.columns) == ["arm", "time", "n_risk"]


# --- tables as the world prints them (tests/data/world/atrisk, drawn by R, lifelines, matplotlib) ---

WORLD = Path(__file__).parent / "data" / "world" / "atrisk"
TRUTH = {record["file"]: record for record in load_truth(WORLD)}


@lru_cache(maxsize=None)
def read_world(name: str):
    image = load_image(WORLD / name)
    area = find_plot_area(image)
    return image, area, calibrate(image, area), TRUTH[name]


def read_world_rows(name: str) -> AtRiskRows:
    image, area, calibration, _ = read_world(name)
    return read_at_risk_rows(image, area, calibration)


@pytest.mark.parametrize("name", [
    "sm_clean_veteran.png",      # survminer theme_cleantable: rows 2.5 text heights apart, 11 columns
    "sm_title_pbc.png",          # survminer's own table panel with title, axis and coloured names
    "sm_cumcens_colon_rx.png",   # "315 (0)": number censored in brackets, 3 rows
    "mpl_thousands.png",         # "2,400", the row label printed against it
    "mpl_sas_inside.png",        # SAS: coloured rows inside the plot frame, no labels
    "mpl_tints.png",             # rows in light tints of the arm colours
    "ll_gbsg2_default.png",      # lifelines: At risk / Censored / Events per arm, arm named above
    "mpl_stacked.png",           # two plots stacked: the top table ends where the plot below begins
    "base_mtext_colon_dense.png",  # base R mtext, large type: counts a space apart, 14 columns
])
def test_every_row_and_cell_of_the_printed_tables_is_read(name):
    image, area, calibration, truth = read_world(name)
    rows = read_at_risk_rows(image, area, calibration)
    score = score_rows(rows.rows, rows.row_labels(), truth["at_risk"])
    assert score["rows_read"] == score["rows"] and score["extra_rows"] == 0
    assert score["cells_right"] == score["cells"]
    assert score["labels_right"] == sum(bool(row["label"]) for row in truth["at_risk"])


def test_cumulative_events_table_under_the_risk_table_is_not_read_as_rows():
    image, area, calibration, truth = read_world("sm_cumevents_lung_sex.png")
    rows = read_at_risk_rows(image, area, calibration)
    assert [dict(row["cells"]) for row in rows.rows] == [
        dict(zip(map(float, true["time"]), true["value"])) for true in truth["at_risk"]]


def test_glued_label_keeps_its_label_and_its_first_count():
    rows = read_world_rows("mpl_thousands.png")  # "Fulvestrant 250 mg 2,400", 3 px apart
    assert rows.row_labels() == ["Fulvestrant 250 mg", "Anastrozole 1 mg"]
    assert [row["cells"][0] for row in rows.rows] == [(0.0, 2400), (0.0, 2350)]


def test_tinted_rows_are_named_after_the_arm_colour_they_are_a_tint_of():
    image, area, calibration, _ = read_world("mpl_tints.png")
    table, warnings = read_at_risk_rows(image, area, calibration).named({"blue": "#1f77b4", "orange": "#ff7f0e"})
    assert table.groupby("arm")["n_risk"].first().to_dict() == {"blue": 33, "orange": 13}
    assert warnings == []


def test_a_row_of_no_arm_colour_is_flagged():
    image, area, calibration, _ = read_world("mpl_tints.png")
    table, warnings = read_at_risk_rows(image, area, calibration).named({"blue": "#1f77b4", "green": "#2ca02c"})
    assert sorted(table["arm"].unique()) == ["blue", "green"]
    assert len(warnings) == 1 and warnings[0].startswith("numbers at risk, row 2 (colour #ff")
    assert "near no arm's colour" in warnings[0]


def test_two_rows_matching_one_arm_colour_are_flagged():
    rows = [{"cells": [(0.0, n)], "confidence": [1.0], "doubts": [], "colour": np.array(colour, float)}
            for n, colour in ((40, (154, 193, 221)), (30, (120, 170, 210)))]  # two tints of one blue
    table, warnings = AtRiskRows(rows, np.zeros((1, 1, 3), np.uint8), None).named(
        {"blue": "#1f77b4", "orange": "#ff7f0e"})
    assert len(warnings) == 2 and all("match too" in w for w in warnings)


def test_a_missing_cell_is_named_with_its_arm_and_time():
    image, area, calibration, truth = read_world("sm_default_lung_sex.png")
    rows = read_at_risk_rows(image, area, calibration).rows
    x, y, half = int(calibration.x_px(500.0)), int(rows[1]["centre"]), int(rows[1]["height"])
    blanked = image.copy()
    blanked[y - half:y + half + 1, x - 2 * half:x + 2 * half] = 255
    _, warnings = read_at_risk_rows(blanked, area, calibration).named()
    assert warnings == ["numbers at risk, arm Female at time 500: no count read"]


@pytest.mark.parametrize("text, count", [("46", 46), ("1,234", 1234), ("1 234", 1234), ("1.234", 1234),
                                         ("256 (0)", 256), ("256(12)", 256), ("63 (100)", 63), ("O", 0),
                                         ("Arm A", None), ("12.5", None)])
def test_cell_formats(text, count):
    assert _count(text) == count


@pytest.mark.parametrize("text, split", [("Arm A 46", ("Arm A", 46)),
                                         ("Fulvestrant 250 mg374", ("Fulvestrant 250 mg", 374)),
                                         ("control   129", ("control", 129)), ("Placebo", ("Placebo", None)),
                                         ("ECOG 2 1,050 (3)", ("ECOG 2", 1050))])
def test_label_split_from_its_glued_count(text, split):
    assert _split_glued(text) == split


def test_a_count_rising_along_a_row_and_a_low_confidence_cell_are_flagged():
    row = {"cells": [(0.0, 90), (250.0, 53), (500.0, 58), (750.0, 3)], "confidence": [0.99, 0.99, 0.97, 0.55],
           "label_words": [], "glued_label": None, "caption": None, "colour": np.zeros(3)}
    row["doubts"] = _doubts(row, [0.0, 250.0, 500.0, 750.0, 1000.0])
    _, warnings = AtRiskRows([row], np.zeros((1, 1, 3), np.uint8), ["Female"]).named()
    assert warnings == ["numbers at risk, arm Female at time 500: 58 is more than the 53 before it",
                        "numbers at risk, arm Female at time 750: 3 read at low OCR confidence (0.55)",
                        "numbers at risk, arm Female at time 1000: no count read here or after (the row ends at "
                        "time 750, the table at 1000)"]


def test_rows_named_by_their_colour_bars_when_the_counts_are_black():
    image, area, calibration, truth = read_world("sm_bars_black_lung_sex.png")  # risk.table.y.text = FALSE
    table, warnings = read_at_risk_rows(image, area, calibration).named({"Male": "#F8766D", "Female": "#00BFC4"})
    expected = {row["label"]: row["value"] for row in truth["at_risk"]}
    assert {arm: list(group["n_risk"]) for arm, group in table.groupby("arm")} == expected
    assert warnings == []


# --- dev figures of the world corpus (benchmarks/world_corpus/dev) ---

def dev_truth(figure: str) -> dict:
    return next(record for record in read_truth("dev") if record["id"] == figure)


@lru_cache(maxsize=None)
def read_dev_rows(figure: str):
    """The at-risk rows read from a dev figure of the world corpus, and its true table (arm -> {time: count})."""
    truth = dev_truth(figure)
    image, _ = deskewed(load_image(CORPUS / "dev" / truth["file"]))  # as digitize reads it
    areas = find_plot_areas(image)
    rows = read_at_risk_rows(image, areas[0], calibrate(image, areas[0]), areas)
    table = pd.DataFrame(truth["at_risk"])
    return rows, {arm: dict(zip(group["time"], group["n_risk"])) for arm, group in table.groupby("arm", sort=False)}


@pytest.mark.parametrize("figure", [
    "r_survminer_dev_019",  # survminer's table axis: its tick mark between 'F' and 631, one word
    "r_survminer_dev_045",
    "sas_dev_002",          # SAS: 'F 631', the label a space from its count
    "r_base_dev_024",       # base R mtext: 'F 631'
    "r_base_dev_013",       # base R mtext: 'Stage 1 1572'
    "r_survminer_dev_021",  # 'Favourable histology 3569', the 3 cut to a sliver by the table's axis
])
def test_a_label_printed_one_word_with_its_first_count_is_split_from_it(figure):
    rows, truth = read_dev_rows(figure)
    assert rows.row_labels() == list(truth)
    assert [dict(row["cells"]) for row in rows.rows] == list(truth.values())


@pytest.mark.parametrize("figure", [
    "r_survminer_dev_002",  # survminer's table x axis drawn against the digits of its one row
    "r_survminer_dev_029",
    "r_survminer_dev_042",  # and a slanted scan
    "r_survminer_dev_055",  # the letters of the y-axis title 'Group', printed upward, touch the second row
    "r_survminer_dev_053",  # 'Drug X + SOC-339': the tick mark read into the count as '1 339'
])
def test_every_count_of_a_row_touching_an_axis_or_a_title_is_read(figure):
    rows, truth = read_dev_rows(figure)
    assert [dict(row["cells"]) for row in rows.rows] == list(truth.values())


@pytest.mark.parametrize("figure", [
    "lifelines_dev_002",    # lifelines: the arm named on a line of its own over 'At risk' ('Male' is short)
    "r_survminer_dev_032",  # 'F' left of the table's axis, centred nearer the column before the first
    "r_survminer_dev_053",
])
def test_each_row_takes_its_own_label(figure):
    rows, truth = read_dev_rows(figure)
    assert rows.row_labels() == list(truth)


@pytest.mark.parametrize("figure", [
    "r_survminer_dev_016",  # jco palette: blue, yellow and grey rows, by colour bars
    "r_survminer_dev_020",  # grey palette: light and dark grey rows, unlabelled but for grey bars
])
def test_rows_in_greys_of_their_own_pair_with_the_arms_by_colour(figure):
    rows, truth = read_dev_rows(figure)
    arms = dev_truth(figure)["arms"]
    # The arms given in reverse order, under names no row prints: only the colours pair them.
    arms = arms[::-1]
    naming = rows.name_rows([Reading(f"arm {k}") for k in range(len(arms))], [arm["colour"] for arm in arms])
    assert [arms[k]["name"] for k in naming.row_arms] == list(truth) and naming.problem is None


def test_a_grey_arm_takes_the_row_in_its_own_grey_not_a_lighter_one():
    # survminer's grey palette, one of its two arms given: a light grey is a tint of the dark grey
    # too, but is the other arm's colour. The first count of the dark row touches the table's y axis.
    rows, truth = read_dev_rows("r_survminer_dev_043")
    arm = next(arm for arm in dev_truth("r_survminer_dev_043")["arms"] if arm["name"] == "SOC alone")
    naming = rows.name_rows([Reading("SOC alone")], [arm["colour"]])
    assert naming.row_arms == [None, 0]
    assert dict(rows.rows[1]["cells"]) == truth["SOC alone"]


@pytest.mark.parametrize("figure", [
    "lifelines_dev_003",  # 'Stage 1' over the first rows, on the line of the x-axis title 'Time (days)'
    "r_survminer_dev_018",  # 'Stage 3' in the arm's colour so close to a black '120' that both are one word
    "sas_dev_007",        # SAS's table in the frame: 'Arm A' over the first column, the last count on the frame
    "lifelines_dev_000",  # small and blurred: the letters of 'patients' run into one band, no rule
])
def test_each_row_takes_its_own_label_and_every_count(figure):
    rows, truth = read_dev_rows(figure)
    assert rows.row_labels() == list(truth)
    assert [dict(row["cells"]) for row in rows.rows] == list(truth.values())


def test_a_count_centred_on_the_frames_side_is_read():
    # sas_dev_001: the last column (5000 days, all 0) is printed across the frame's right side; the
    # first (1000 days) is hidden under the legend, drawn over the table.
    rows, truth = read_dev_rows("sas_dev_001")
    assert [dict(row["cells"]) for row in rows.rows] == [{t: n for t, n in counts.items() if t > 1000}
                                                        for counts in truth.values()]


def test_a_blurred_table_without_tick_marks_has_a_count_under_every_tick():
    # lifelines_dev_013, a blurred JPEG: no tick mark is found and only every other tick label read
    # (0, 20, 40, 60); the counts sit under 10, 30 and 50 too. 'At risk' read as 'Alt risk' still
    # says the row's kind: the arm is named over it. A count read wrong is flagged.
    rows, truth = read_dev_rows("lifelines_dev_013")
    assert len(rows.rows) == len(truth)
    assert all(name_distance(label, arm) <= NAME_TOLERANCE for label, arm in zip(rows.row_labels(), truth))
    for row, counts in zip(rows.rows, truth.values()):
        assert [time for time, _ in row["cells"]] == list(counts)
        doubted = {time for time, _ in row["doubts"]}
        assert all(count == counts[time] or time in doubted for time, count in row["cells"])
