"""Reading the numbers-at-risk table under KM figures drawn from real IPD (lifelines data)."""

from __future__ import annotations

import pandas as pd
import pytest

from digitize.at_risk import read_at_risk_table
from digitize.axes import find_plot_area
from digitize.calibration import calibrate
from digitize.image import load_image
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
