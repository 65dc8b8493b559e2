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
