"""Arms named by the label the figure prints (``NAME=label:TEXT``) instead of by colour."""

from pathlib import Path

import pytest

from kmipd.arm_labels import digitize_named, parse_arm_labels
from kmipd.cli import main
from kmipd.errors import InputError
from kmipd.pipeline import extract

FIGURE = Path(__file__).parent.parent / "figures_in" / "yin_2025_pfs.png"  # legend and table: TKI+ICI, TKI


def test_labels_are_parsed_with_spaces_and_plus_signs_kept():
    assert parse_arm_labels("Combination=label:TKI + PD-1 inhibitor, Mono=label:Lenvatinib") == {
        "Combination": "TKI + PD-1 inhibitor", "Mono": "Lenvatinib"}
    assert parse_arm_labels("A=red,B=#00bfc4") is None and parse_arm_labels(None) is None
    with pytest.raises(InputError, match="not both"):
        parse_arm_labels("A=label:Drug,B=#00bfc4")


def test_arms_take_the_group_names_and_the_printed_table_stays_matched():
    plain = digitize_named(FIGURE)
    named = digitize_named(FIGURE, arms="Combination=label:TKI + ICI,Mono=label:TKI")
    renaming = {"TKI+ICI": "Combination", "TKI": "Mono"}
    assert list(named.arms["arm"]) == [renaming[arm] for arm in plain.arms["arm"]]
    assert list(named.arms["colour"]) == list(plain.arms["colour"])
    assert named.at_risk["arm"].tolist() == plain.at_risk["arm"].map(renaming).tolist()
    assert named.at_risk["n_risk"].tolist() == plain.at_risk["n_risk"].tolist()
    assert named.curves["survival"].tolist() == plain.curves["survival"].tolist()
    ipd = extract(FIGURE, arms="Combination=label:TKI + ICI,Mono=label:TKI").ipd
    assert set(ipd["arm"]) == {"Combination", "Mono"}


def test_a_label_the_figure_does_not_print_is_refused_naming_what_was_read(tmp_path, capsys):
    assert main(["digitize", str(FIGURE), "--arms", "A=label:Sorafenib,B=label:TKI", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert "'Sorafenib'" in error and "'TKI+ICI'" in error and error.count("\n") == 1
    assert not (tmp_path / "o").exists()
