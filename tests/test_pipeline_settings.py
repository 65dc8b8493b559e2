"""``analysis.json``: every value checked before any figure is read, with a one-line error."""

import json

import pytest

from kmipd.cli import main
from kmipd.pipeline import read_analysis


@pytest.mark.parametrize("settings, fragment", [
    ({"treatment": "A", "control": "B", "milestones": "six"}, '"milestones" must be a list of positive times'),
    ({"treatment": "A", "control": "B", "milestones": [[6]]}, '"milestones" must be a list of positive times'),
    ({"treatment": "A", "control": "B", "milestones": [6, -1]}, '"milestones" must be a list of positive times'),
    ({"treatment": "A", "control": "B", "tau": "long"}, '"tau" must be a positive time'),
    ({"treatment": "A", "control": "B", "tau": -3}, '"tau" must be a positive time'),
    ({"treatment": "A", "control": "B", "tau": {"OS": "long"}}, '"tau" must be a positive time'),
    ({"treatment": "A", "control": "B", "tau": True}, '"tau" must be a positive time'),
    ({"treatment": 3, "control": "B"}, '"treatment" must be a group name'),
    ({"treatment": "A", "control": "B", "model": "Bayes"}, "model must be one of"),
    ({"treatment": "A", "control": "B", "ci": "bootstrap"}, "CI method must be one of"),
])
def test_a_bad_setting_stops_the_run_before_any_figure_is_read(tmp_path, capsys, settings, fragment):
    (tmp_path / "analysis.json").write_text(json.dumps(settings))
    # The figure named does not exist: the settings must be refused before the figures are looked at.
    (tmp_path / "studies.csv").write_text("figure,study,outcome\nmissing.png,S1,OS\n")
    with pytest.raises(Exception, match=fragment):
        read_analysis(tmp_path)
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and fragment in error and "analysis.json" in error
    assert not (tmp_path / "out").exists()


def test_per_outcome_tau_is_accepted(tmp_path):
    (tmp_path / "analysis.json").write_text(json.dumps({"treatment": "A", "control": "B", "tau": {"OS": 24}}))
    assert read_analysis(tmp_path)["tau"] == {"OS": 24}


def test_a_long_study_label_gets_a_short_unique_output_folder(tmp_path):
    from kmipd.pipeline import FigureEntry

    long_a, long_b = "A" * 300 + " 2024", "A" * 300 + " 2025"
    names = [FigureEntry(tmp_path / "f.png", label, "OS").name for label in (long_a, long_b)]
    assert len(set(names)) == 2 and all(len(name) <= 100 for name in names)
    assert FigureEntry(tmp_path / "f.png", "Yin 2025", "PFS").name == "Yin_2025_PFS"


def test_an_error_about_a_name_with_a_newline_is_one_line(tmp_path, capsys):
    curves = tmp_path / "curves.csv"
    curves.write_text('arm,time,survival\n"two\nlines",0,1\n"two\nlines",5,1.5\n')
    assert main(["reconstruct", str(curves), "--out", str(tmp_path / "ipd.csv")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("content, fragment", [
    ("1,90,3\n2,80,3\n", "expected two columns x,y"),
    ("x,y\n1,90\n2,eighty\n", "line 3: x and y must be numbers"),
    ("", "not a CSV file"),
])
def test_a_bad_curve_export_is_refused_naming_the_file_and_line(tmp_path, content, fragment):
    from kmipd.errors import InputError
    from kmipd.hand_curves import read_hand_curves

    (tmp_path / "arm.csv").write_text(content)
    with pytest.raises(InputError, match=fragment) as caught:
        read_hand_curves("A=arm.csv", tmp_path)
    assert caught.value.source == str(tmp_path / "arm.csv")


def test_a_curve_export_with_a_header_in_probabilities_is_read_as_is(tmp_path):
    from kmipd.hand_curves import read_hand_curves

    (tmp_path / "a.csv").write_text("x,y\n0,1\n2.5,0.8\n")
    curves, notes = read_hand_curves("A=a.csv", tmp_path)
    assert curves.to_dict("list") == {"arm": ["A", "A"], "time": [0.0, 2.5], "survival": [1.0, 0.8]} and notes == []
