"""Arm names: legend entries and at-risk row labels reconciled (digitize.names), and on figures
drawn by R survminer, base R and lifelines (tests/data/world/names, benchmarks/legend_names.py)."""

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from digitize import digitize
from digitize.names import NAME_TOLERANCE, Reading, name_distance, reconcile, split_label
from kmipd.cli import main
from kmipd.errors import InputError
from kmipd.pipeline import extract

FIGURES = Path(__file__).parent / "data" / "world" / "names"


@pytest.mark.parametrize("text, name, n", [
    ("1992-2004 (n=2392): MS 13 mos; 1-yr 52% ...", "1992-2004", 2392),
    ("Placebo (n=145)", "Placebo", 145),
    ("Male (n = 138)", "Male", 138),
    ("Treatment, median 12.1 mo", "Treatment", None),
    ("arm=Treatment A|", "Treatment A", None),
    ("Strata arm=Male", "Male", None),
    ("sex=1", "sex=1", None),  # the level alone names nothing
    ("Lev+5FU", "Lev+5FU", None),
    ("Stage I-II", "Stage I-II", None),
    ("Pembrolizumab (2 mg/kg)", "Pembrolizumab (2 mg/kg)", None),
])
def test_split_label_keeps_the_name_and_the_arm_size(text, name, n):
    assert split_label(text) == (name, n)


@pytest.mark.parametrize("misread, printed", [("Treatmet", "Treatment"), ("Treatnent", "Treatment"),
                                              ("TreatmetA|", "Treatment A"), ("treatment", "Treatment")])
def test_ocr_slips_are_within_the_tolerance(misread, printed):
    assert name_distance(misread, printed) <= NAME_TOLERANCE
    assert name_distance("Placebo", printed) > NAME_TOLERANCE


def test_slipped_names_pair_and_take_the_better_read_spelling():
    naming = reconcile([Reading("Control", 0.99), Reading("Treatmet", 0.71)],
                       [Reading("Treatment", 0.97), Reading("Contro|", 0.62)])
    assert naming.row_arms == [1, 0]
    assert naming.arm_names == ["Control", "Treatment"]
    assert naming.row_names == ["Treatment", "Control"]
    assert naming.problem is None


def test_a_reading_that_lost_letters_gives_way_to_the_fuller_one():
    # survminer_03: the table's 'grade I' read as 'grade', with more confidence than the legend's.
    naming = reconcile([Reading("grade I", 0.95), Reading("grade II", 0.99), Reading("grade III", 0.89)],
                       [Reading("grade", 0.96), Reading("grade II", 0.99), Reading("grade III", 0.95)])
    assert naming.arm_names == naming.row_names == ["grade I", "grade II", "grade III"]


def test_names_alike_pair_one_to_one():
    # "Stage I" is nearer "Stage III" than "Stage I-II" is to "Stage 1-": only the pairing as a whole tells.
    naming = reconcile([Reading("Stage 1-", 0.8), Reading("Stage I", 0.9), Reading("Stage IV", 0.99)],
                       [Reading("Stage I-II", 0.95), Reading("Stage III", 0.97), Reading("Stage IV", 0.99)])
    assert naming.arm_names == ["Stage I-II", "Stage III", "Stage IV"]


def test_one_arm_and_one_row_are_each_other():
    assert reconcile([Reading("arm1", 0.0)], [Reading("Arm A", 0.9)]).arm_names == ["Arm A"]
    titled = reconcile([Reading("All patients", 0.9)], [Reading("Number at risk", 0.9)])
    assert (titled.arm_names, titled.row_names, titled.warnings) == (["All patients"], ["All patients"], [])
    differing = reconcile([Reading("All patients", 0.9)], [Reading("Arm A", 0.9)])
    assert differing.row_names == ["All patients"] and differing.warnings


def test_rows_in_the_arms_colours_take_the_legend_names_or_name_the_arms():
    by_legend = reconcile([Reading("Placebo", 0.9), Reading("Drug", 0.9)], None, rows_by_colour=[1, 0])
    assert by_legend.row_names == ["Drug", "Placebo"]
    by_rows = reconcile([Reading("arm1", 0.0), Reading("arm2", 0.0)],
                        [Reading("Drug", 0.9), Reading("Placebo", 0.9)], rows_by_colour=[1, 0])
    assert by_rows.arm_names == ["Placebo", "Drug"]


def test_the_users_names_are_kept():
    naming = reconcile([Reading("Treatment")], [Reading("Treatmet", 0.99)], arms_given=True)
    assert naming.arm_names == naming.row_names == ["Treatment"]


def test_rows_matching_no_arm_say_which_readings_disagree():
    naming = reconcile([Reading("arm1", 0.0), Reading("arm2", 0.0)], [Reading("Arm A", 0.9), Reading("Arm B", 0.9)])
    assert naming.row_arms == [None, None]
    assert naming.problem.startswith("the at-risk table's row(s) 'Arm A', 'Arm B' match no arm; "
                                     "the legend read 'arm1', 'arm2'; give --arms")


def test_unnamed_rows_pair_with_unnamed_arms_in_legend_order_with_a_warning():
    naming = reconcile([Reading("arm1", 0.0), Reading("arm2", 0.0)], [Reading("", 0.0), Reading("", 0.0)])
    assert naming.row_names == ["arm1", "arm2"] and naming.warnings


def _dev_figure(figure_id: str):
    from benchmarks.world_data import read_truth
    truth = next(figure for figure in read_truth("dev") if figure["id"] == figure_id)
    return truth, Path(__file__).parents[1] / "benchmarks" / "world_corpus" / "dev" / truth["file"]


@lru_cache(maxsize=None)
def _truth(figure_id: str) -> dict:
    return json.loads((FIGURES / f"{figure_id}.json").read_text())


def _printed_rows(figure_id: str) -> dict:
    return {arm["legend"]: arm["at_risk"]["n_risk"] for arm in _truth(figure_id)["arms"]}


def test_legend_misread_is_reconciled_with_the_table_labels():
    """lifelines, three arms: OCR reads the legend's 'Stage I-II' as 'Stage 1-' and 'Stage III' as 'Stage I'."""
    result = digitize(FIGURES / "ll_larynx_stage.png")
    assert list(result.arms["arm"]) == ["Stage I-II", "Stage III", "Stage IV"]
    read = result.at_risk.groupby("arm", sort=False)["n_risk"].apply(list).to_dict()
    assert read == _printed_rows("ll_larynx_stage")


def test_survminer_strata_prefix_and_title_are_not_the_name():
    """survminer without legend.labs prints 'Strata' and 'arm=Male', 'arm=Female'."""
    result = digitize(FIGURES / "sm_top_strata_lung.png")
    assert list(result.arms["arm"]) == ["Male", "Female"]
    assert set(result.at_risk["arm"]) <= {"Male", "Female"}


def test_n_in_the_legend_is_the_arm_size(tmp_path):
    """base R legend 'Male (n=138)', 'Female (n=90)' and no at-risk table: `kmipd extract` completes with those N."""
    assert main(["extract", str(FIGURES / "base_topright_lung.png"), "--out", str(tmp_path)]) == 0
    arms = json.loads((tmp_path / "digitization.json").read_text())["arms"]
    assert {arm["arm"]: arm["n"] for arm in arms} == {"Male": 138, "Female": 90}
    ipd = pd.read_csv(tmp_path / "ipd.csv")
    assert ipd.groupby("arm").size().to_dict() == {"Male": 138, "Female": 90}


def test_single_arm_takes_its_row_label():
    """survminer, one arm, no legend, the risk table's row labelled 'Arm A'."""
    extraction = extract(FIGURES / "sm_single_rowlabel_lung.png")
    assert list(extraction.digitization.arms["arm"]) == ["Arm A"]
    assert list(extraction.at_risk["n_risk"]) == _printed_rows("sm_single_rowlabel_lung")["Arm A"]


def test_table_rows_named_by_nothing_the_figure_agrees_on_are_refused_with_the_evidence():
    """base R, no legend, a black at-risk block with rows 'Arm A', 'Arm B': which curve is which is unknown."""
    with pytest.raises(InputError, match=r"row\(s\) 'Arm A', 'Arm B' match no arm; the legend read 'arm1' \(#"):
        extract(FIGURES / "base_nolegend_black_ovarian.png")


@pytest.mark.parametrize("figure_id", ["base_bw_solid_1200", "base_bw_dashed_600"])
def test_grey_arm_beside_black_text_finds_its_own_swatch(figure_id):
    """base R, black and grey40 arms, boxed legend: the anti-aliased edges of black letters and
    lines are grey (they passed for the grey arm's swatch: 'T', 'Female ['), and a dashed
    swatch is a run of dashes."""
    assert sorted(digitize(FIGURES / f"{figure_id}.png").arms["arm"]) == ["Female", "Male"]


def test_each_panel_reads_its_own_legend():
    """Two panels side by side in the same two inks: panel B's arms took panel A's legend names."""
    corpus = Path(__file__).parents[1] / "benchmarks" / "digitize_corpus"
    assert sorted(digitize(corpus / "panels_03.jpg", panel=1).arms["arm"]) == ["group A", "group B"]


def test_fewer_rows_than_arms_is_said():
    naming = reconcile([Reading("Male", 0.9), Reading("Female", 0.9)], [Reading("Male", 0.9)])
    assert naming.row_names == ["Male"] and naming.warnings == ["the at-risk table read has 1 row(s) for 2 arms"]


def test_unlabelled_rows_take_the_legend_names_in_order_and_named_rows_still_pair_by_name():
    naming = reconcile([Reading("Low dose", 0.9), Reading("High dose", 0.9), Reading("Placebo", 0.9)],
                       [Reading("", 0.0), Reading("", 0.0), Reading("", 0.0)])
    assert naming.row_arms == [0, 1, 2] and naming.problem is None and naming.warnings
    # A row whose label is read pairs by it; the one unlabelled row takes the one arm left.
    mixed = reconcile([Reading("Drug X + SOC", 0.9), Reading("SOC alone", 0.9)],
                      [Reading("SOC alone", 0.9), Reading("_", 0.3)])
    assert (mixed.row_arms, mixed.problem) == ([1, 0], None)
    # A legend read in part gives no order to trust: refused, saying what was read.
    partial = reconcile([Reading("Nonmaintained", 0.9), Reading("arm2", 0.0)], [Reading("", 0.0), Reading("_", 0.3)])
    assert partial.problem.startswith("the at-risk table's row(s) 'row 1', 'row 2' match no arm")


@pytest.mark.parametrize("figure_id", ["lifelines_dev_017", "sas_dev_000"])
def test_table_without_row_labels_is_named_after_the_legend(figure_id):
    """World corpus dev figures: lifelines' add_at_risk_counts and a SAS-style inner table print
    the counts with no readable row label; the legend names every arm."""
    truth, path = _dev_figure(figure_id)
    result = digitize(path)
    printed = pd.DataFrame(truth["at_risk"])
    assert list(result.arms["arm"]) == list(dict.fromkeys(printed["arm"]))
    read = result.at_risk.groupby("arm", sort=False)["n_risk"].apply(list).to_dict()
    for arm, counts in printed.groupby("arm", sort=False)["n_risk"]:
        assert read[arm][:3] == list(counts)[:3]


def test_a_row_label_with_a_neighbours_text_glued_on_pairs_by_the_name_at_its_end():
    # lifelines_dev_014: the x-axis title 'Years' was read into the first row's label.
    naming = reconcile([Reading("ECOG 0", 0.9), Reading("ECOG 1", 0.9), Reading("ECOG 2", 0.9)],
                       [Reading("ECOG OYears", 0.8), Reading("ECOG 1", 0.9), Reading("ECOG 2", 0.9)])
    assert (naming.row_names, naming.problem) == (["ECOG 0", "ECOG 1", "ECOG 2"], None)
    assert "'ECOG OYears'" in naming.warnings[0]
    # A shorter row label is no legend name with text glued on: 'Lev' is not 'Lev+5FU'.
    other_arm = reconcile([Reading("Lev+5FU", 0.9), Reading("arm2", 0.0)], [Reading("Lev", 0.9), Reading("Obs", 0.9)])
    assert other_arm.problem.startswith("the at-risk table's row(s) 'Lev', 'Obs' match no arm")


def test_a_short_legend_misreading_found_loosely_in_a_label_pairs_nothing():
    # r_base_dev_026: 'atr' (OCR of 'at risk') is alike 'tre', the start of 'Treatment', but not held there.
    naming = reconcile([Reading("atr", 0.5)], [Reading("Treatment", 0.9), Reading("Placebo", 0.9)])
    assert naming.row_arms == [None, None] and naming.problem


@pytest.mark.parametrize("glued, printed", [("S placebo", "placebo"), ("UDrug X + SOC", "Drug X + SOC"),
                                            ("desLow dose", "Low dôse")])
def test_a_neighbours_ink_read_before_a_name_is_not_taken_for_its_letters(glued, printed):
    # survminer's rotated 'Strata' beside the table's rows, read into their labels ('S placebo').
    naming = reconcile([Reading(printed, 0.9)], [Reading(glued, 1.0)])
    assert naming.arm_names == [printed.replace("ô", "o")]
    # ... while letters a reading lost inside a word are the other's ('veral' is 'Overall').
    assert reconcile([Reading("veral", 1.0)], [Reading("Overall", 1.0)]).arm_names == ["Overall"]


@pytest.mark.parametrize("figure_id", [
    # matplotlib: 'Male' printed in its arm's grey beside a dashed swatch ending in a gap; the grey
    # anti-aliased top of the x-axis title's 'T' is no swatch ('ime (months)' was the arm's name)
    "journal_dev_010",
    # words printed in an arm's ink are no swatch: 'Number at risk' ('at r'), the start of a label
    # ('ble histology', 'ial aid'), the at-risk rows printed in the arms' colours ('t} o')
    "r_survminer_dev_029", "lifelines_dev_006", "r_base_dev_001", "r_survminer_dev_054",
    # a legend laid out in a row: each label ends where the next entry's swatch begins
    # ('ECOG 1 + ECOG 2'); the top of a label's letters is no swatch ('DG 0')
    "r_survminer_dev_016", "r_base_dev_008",
    # a swatch a curve passes by is the whole line, not the piece outside the curve's mask ('- Stage 3')
    "r_base_dev_023",
    # survminer, a rotated JPEG: two arms in one ink (solid, dashed), the legend on top; a table's
    # row label and its tick mark are no swatch
    "r_survminer_dev_034",
])
def test_legend_entries_are_lines_beside_their_labels(figure_id):
    """World corpus dev figures: every traced arm takes a printed legend name, its own."""
    truth, path = _dev_figure(figure_id)
    named = [name for name in digitize(path).arms["arm"] if not re.fullmatch(r"arm\d+", name)]
    printed = [arm["legend_name"] for arm in truth["arms"]]
    assert named and set(named) <= set(printed) and len(set(named)) == len(named)


@pytest.mark.parametrize("figure_id", [
    # survminer: a light grey arm's colour is within the swatch tolerance of white: only the pixels
    # nearer it than the page are its (its swatch was lost in the page)
    "r_survminer_dev_020", "r_survminer_dev_057",
    # a blurred dark blue arm's label is lighter than the arm: a coloured arm's text is any dark grey
    "r_survminer_dev_063",
    # the plot frame's side beside a short label is no letter ('F' was read 'FI', 'Arm A' 'Arm AI')
    "journal_dev_000", "lifelines_dev_004", "r_base_dev_022",
    # the risk table's colour bar beside its count is the widest piece of the arm's colour; its
    # label names nothing, so the next entry is read
    "r_survminer_dev_055",
])
def test_every_arm_reads_its_own_printed_legend_name(figure_id):
    """World corpus dev figures: each traced arm's name is its printed legend name, exactly."""
    truth, path = _dev_figure(figure_id)
    printed = {arm["legend_name"] for arm in truth["arms"]}
    named = list(digitize(path).arms["arm"])
    assert len(named) == len(printed) and set(named) == printed


def test_a_blurred_swatch_is_a_tint_of_its_arm_and_each_row_pairs_with_the_arm_it_names():
    """lifelines_dev_013, a small blurred JPEG: the blue swatch is diluted halfway to white, beyond
    the colour's tolerance; as a tint of the arm's colour it is found and its label read (OCR reads
    'Arm' as 'Amm'). The table names each arm over its rows ('At risk' read 'Alt risk' over the
    first): the blue arm takes the first row, the other arm the second, each by its name."""
    truth, path = _dev_figure("lifelines_dev_013")
    result = digitize(path)
    assert not [warning for warning in result.warnings if "match no arm" in warning]
    def rgb(colour):
        return np.array([int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)], float)
    for arm in truth["arms"]:  # the arm of the true arm's colour is named after it, but for OCR's slips
        nearest = min(result.arms.itertuples(), key=lambda read: np.linalg.norm(rgb(read.colour) - rgb(arm["colour"])))
        assert name_distance(nearest.arm, arm["legend_name"]) <= NAME_TOLERANCE
    assert sorted(set(result.at_risk["arm"])) == sorted(result.arms["arm"])


def test_labels_read_unsure_name_no_arm_against_the_legends_order():
    # sas_dev_001: the legend is drawn over the table's labels; OCR reads its specks unsure ('EDO', 0.26).
    arms = [Reading("Low dose", 0.9), Reading("High dose", 0.9), Reading("Placebo", 0.9)]
    naming = reconcile(arms, [Reading("Low dose", 0.84), Reading("", 0.0), Reading("EDO", 0.26)])
    assert naming.row_arms == [0, 1, 2] and naming.problem is None
    assert any("legend order" in warning for warning in naming.warnings)
    assert any("'EDO' (paired by the legend's order" in warning for warning in naming.warnings)
    # read sure, a label naming no arm is no unlabelled row
    assert reconcile(arms, [Reading("Low dose", 0.84), Reading("", 0.0), Reading("EDO", 0.9)]).problem


def test_names_ending_in_other_one_character_words_do_not_pair():
    naming = reconcile([Reading("Amm A", 0.85), Reading("arm2", 0.0)], [Reading("Alt risk", 0.9), Reading("Amm B", 0.9)])
    assert naming.row_arms == [None, None] and naming.problem
    # ... but for a glyph OCR reads for a digit
    assert reconcile([Reading("ECOG O", 0.9)], [Reading("ECOG 0", 0.9)]).row_arms == [0]


def test_the_next_entrys_dash_read_with_a_label_is_not_in_the_name():
    assert split_label("Maintained -") == ("Maintained", None)
