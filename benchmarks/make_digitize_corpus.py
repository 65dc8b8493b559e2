"""Regenerate the digitizer's figure corpus: ``python -m benchmarks.make_digitize_corpus [STEM ...]``.

Writes ``benchmarks/digitize_corpus/*.png|jpg`` and ``truth.json`` (one record a figure, sorted
by file name, sorted keys), byte-identical on every run with the same library versions (R's
PNGs are not: name the figures to redraw, as STEM arguments, to leave the others alone). Each
figure is real IPD from :mod:`benchmarks.datasets` (or another split of the same lifelines
datasets, for 1, 3 and 4 arms) drawn by :func:`benchmarks.figures.draw_km_figure` in one of the
styles of :data:`benchmarks.figures.FAMILIES`, varied in size, DPI, line width, font, grid,
legend, censor marks, confidence bands, y in percent, time unit and JPEG quality. The ``r_*``
figures are drawn by R itself (survminer, base graphics; ``benchmarks/r/km_figures.R``) when
``Rscript`` is installed, and otherwise kept as committed, their truth recomputed in Python.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import datasets as lifelines_datasets

from benchmarks import datasets
from benchmarks.figures import (FAMILIES, convert_time, draw_km_panels, draw_r_figure,
                                r_figure_truth, save_image)
from kmipd.progress import progress

CORPUS = Path(__file__).with_name("digitize_corpus")

#: Time unit of each dataset in :mod:`benchmarks.datasets`.
DATASET_UNITS = {"rossi": "weeks", "gbsg2": "days", "leukemia": "weeks", "larynx": "years",
                 "kidney_transplant": "days", "waltons": "days", "lung": "days"}


def _arms(frame: pd.DataFrame, time: str, event: str, arm) -> pd.DataFrame:
    return datasets.as_ipd(frame, time, event, pd.Series(arm, index=frame.index))


def _more_arms(name: str) -> pd.DataFrame:
    """Splits with 3 or 4 arms, from the lifelines datasets :mod:`benchmarks.datasets` uses."""
    if name == "gbsg2:grade":
        df = lifelines_datasets.load_gbsg2()
        return _arms(df, "time", "cens", "grade " + df["tgrade"].astype(str))
    if name == "lung:ecog":
        df = lifelines_datasets.load_lung().dropna(subset=["ph.ecog"])
        ecog = np.minimum(df["ph.ecog"], 2).map({0: "ECOG 0", 1: "ECOG 1", 2: "ECOG 2-3"})
        return _arms(df, "time", "status", ecog)
    if name == "larynx:stage":
        df = lifelines_datasets.load_larynx()
        stage = np.select([df["Stage_IV"] == 1, df["Stage_III"] == 1, df["Stage_II"] == 1],
                          ["stage IV", "stage III", "stage II"], "stage I")
        return _arms(df, "time", "death", stage)
    if name == "kidney_transplant:group":
        df = lifelines_datasets.load_kidney_transplant()
        white_female = 1 - df["black_male"] - df["white_male"] - df["black_female"]
        group = np.select([df["black_male"] == 1, df["white_male"] == 1, df["black_female"] == 1,
                           white_female == 1], ["black male", "white male", "black female",
                                                "white female"], "other")
        return _arms(df, "time", "death", group)
    raise KeyError(name)


def load_source(source: str) -> tuple[pd.DataFrame, str]:
    """IPD (``arm,time,event``, arms in drawing order) and its time unit for a source name.

    ``"rossi"`` is a dataset of :mod:`benchmarks.datasets`; ``"lung=male"`` one of its arms;
    ``"rossi:halves"`` the whole dataset split in two random halves (seeded), so that the
    curves overlap; ``"gbsg2:grade"`` etc. the 3- and 4-arm splits of :func:`_more_arms`.
    """
    dataset = source.split(":")[0].split("=")[0]
    unit = DATASET_UNITS[dataset]
    if "=" in source:
        ipd = datasets.load(dataset)
        return ipd[ipd["arm"] == source.split("=")[1]].reset_index(drop=True), unit
    if source.endswith(":halves"):
        ipd = datasets.load(dataset)
        half = np.random.default_rng(2012).permutation(len(ipd)) % 2
        return ipd.assign(arm=np.where(half == 0, "group A", "group B")), unit
    if ":" in source:
        return _more_arms(source).reset_index(drop=True), unit
    return datasets.load(source), unit


# (file stem, source, unit printed, family, changes to the family's style)
SPECS = [
    ("survminer_01", "gbsg2", "months", "survminer", dict(width_px=900, height_px=760)),
    ("survminer_02", "lung", "days", "survminer", dict(width_px=1200, height_px=1000, dpi=150,
                                                        font_size_px=20, line_width_px=3,
                                                        bands=True, y_percent=True)),
    ("survminer_03", "gbsg2:grade", "years", "survminer", dict(width_px=720, height_px=640,
                                                               font_size_px=12, jpeg_quality=85)),
    ("survminer_04", "kidney_transplant:group", "years", "survminer",
     dict(width_px=1600, height_px=1400, dpi=200, font_size_px=26, line_width_px=4)),
    ("survminer_05", "leukemia", "weeks", "survminer", dict(width_px=520, height_px=420,
                                                            font_size_px=11, risk_table=False,
                                                            legend="inside")),
    ("survminer_06", "rossi:halves", "months", "survminer", dict(width_px=1000, height_px=820)),
    ("survminer_07", "waltons", "days", "survminer", dict(width_px=2400, height_px=2000, dpi=300,
                                                          font_size_px=36, line_width_px=4,
                                                          x_end="at", jpeg_quality=90)),
    ("survminer_08", "gbsg2", "months", "survminer", dict(width_px=900, height_px=760,
                                                          colours=("#333333", "#333333"))),
    ("ggplot_grey_01", "lung", "months", "ggplot_grey", dict()),
    ("ggplot_grey_02", "larynx:stage", "years", "ggplot_grey", dict(width_px=820, height_px=600,
                                                                   bands=True)),
    ("ggplot_grey_03", "rossi", "weeks", "ggplot_grey", dict(width_px=600, height_px=450,
                                                            font_size_px=12, jpeg_quality=75)),
    ("ggplot_grey_04", "gbsg2", "years", "ggplot_grey", dict(width_px=1400, height_px=1000,
                                                            dpi=150, font_size_px=20,
                                                            y_percent=True, line_width_px=3)),
    ("ggplot_grey_05", "kidney_transplant=male", "years", "ggplot_grey",
     dict(width_px=360, height_px=290, font_size_px=10, legend="none", line_width_px=1.5)),
    ("base_r_01", "gbsg2", "days", "base_r", dict(width_px=800, height_px=800)),
    ("base_r_02", "lung", "months", "base_r", dict(width_px=620, height_px=600,
                                                   colours=("#DF536B", "#2297E6"),
                                                   font="DejaVu Serif")),
    ("base_r_03", "leukemia", "weeks", "base_r", dict(width_px=700, height_px=700,
                                                      y_labels_rotated=True, line_width_px=2)),
    ("base_r_04", "larynx", "years", "base_r", dict(width_px=460, height_px=460, font_size_px=11,
                                                    line_width_px=1, jpeg_quality=80)),
    ("base_r_05", "lung:ecog", "months", "base_r", dict(width_px=1000, height_px=900, dpi=150,
                                                        font_size_px=20, line_width_px=2.5,
                                                        colours=("#000000", "#DF536B",
                                                                 "#2297E6"))),
    ("base_r_06", "rossi", "weeks", "base_r", dict(width_px=760, height_px=640,
                                                   colours=("#000000", "#000000"),
                                                   line_styles=("-", "--"))),
    # Two arms in one ink, both solid: they cannot be told apart where they meet.
    ("base_r_09", "lung", "days", "base_r", dict(width_px=900, height_px=700,
                                                 colours=("#000000", "#000000"))),
    ("base_r_07", "kidney_transplant=female", "years", "base_r",
     dict(width_px=320, height_px=320, font_size_px=10, bands=True, legend="none",
          line_width_px=1)),
    ("sas_01", "gbsg2", "days", "sas", dict(width_px=800, height_px=640)),
    ("sas_08", "rossi:halves", "weeks", "sas", dict(width_px=820, height_px=640, line_width_px=1.5,
                                                    colours=("#000000", "#000000"))),
    ("sas_02", "lung:ecog", "months", "sas", dict(width_px=1000, height_px=800)),
    ("sas_03", "rossi", "weeks", "sas", dict(width_px=640, height_px=520, font_size_px=11,
                                             bands=True, jpeg_quality=85)),
    ("sas_04", "kidney_transplant:group", "years", "sas", dict(width_px=1200, height_px=1000,
                                                               dpi=150, font_size_px=18)),
    ("sas_05", "leukemia", "weeks", "sas", dict(width_px=900, height_px=720, font="STIXGeneral",
                                                font_size_px=16)),
    ("sas_06", "larynx", "years", "sas", dict(width_px=2000, height_px=1500, dpi=200,
                                              font_size_px=28, line_width_px=3,
                                              risk_table=False)),
    ("prism_01", "gbsg2", "months", "prism", dict(width_px=800, height_px=600)),
    ("prism_02", "leukemia", "weeks", "prism", dict(width_px=600, height_px=500, line_width_px=4,
                                                    font_size_px=14)),
    ("prism_03", "larynx:stage", "years", "prism", dict(width_px=1000, height_px=800)),
    ("prism_04", "lung", "months", "prism", dict(width_px=700, height_px=520, jpeg_quality=70,
                                                 y_tick_step=0.5)),
    ("prism_05", "waltons=control", "days", "prism", dict(width_px=400, height_px=320,
                                                          font_size_px=11, censor_marker=None,
                                                          legend="none", line_width_px=2)),
    ("prism_06", "rossi", "weeks", "prism", dict(width_px=3000, height_px=2200, dpi=300,
                                                 font_size_px=44, line_width_px=4, x_end="at")),
    ("stata_01", "rossi", "weeks", "stata", dict()),
    ("stata_07", "rossi", "weeks", "stata", dict(width_px=800, height_px=600, jpeg_quality=85,
                                                 colours=("#000000", "#000000"))),
    ("stata_02", "gbsg2:grade", "years", "stata", dict(width_px=1100, height_px=820)),
    ("stata_03", "lung", "days", "stata", dict(width_px=800, height_px=620,
                                               y_labels_rotated=True)),
    ("stata_04", "kidney_transplant", "years", "stata", dict(width_px=700, height_px=520,
                                                             y_percent=True, jpeg_quality=80)),
    ("stata_05", "leukemia", "weeks", "stata", dict(width_px=520, height_px=400, font_size_px=11,
                                                    font="STIXGeneral", title=None)),
    ("stata_06", "larynx", "years", "stata", dict(width_px=1500, height_px=1100, dpi=150,
                                                  font_size_px=21, line_width_px=3)),
    ("lifelines_01", "waltons", "days", "lifelines", dict(width_px=800, height_px=560)),
    ("lifelines_02", "rossi", "weeks", "lifelines", dict(width_px=640, height_px=480,
                                                         font_size_px=12)),
    ("lifelines_03", "lung:ecog", "months", "lifelines", dict(width_px=1200, height_px=800,
                                                              dpi=150, font_size_px=20)),
    ("lifelines_04", "gbsg2", "years", "lifelines", dict(width_px=1000, height_px=700,
                                                         bands=False, grid="major",
                                                         jpeg_quality=90)),
    ("lifelines_05", "kidney_transplant:group", "years", "lifelines",
     dict(width_px=1600, height_px=1100, dpi=200, font_size_px=27, line_width_px=3)),
    ("lifelines_06", "leukemia=6-MP", "weeks", "lifelines", dict(width_px=330, height_px=270,
                                                                 font_size_px=10, legend="none",
                                                                 line_width_px=1.5)),
    ("matplotlib_01", "gbsg2", "months", "matplotlib", dict(width_px=640, height_px=480,
                                                            font_size_px=12)),
    ("matplotlib_02", "lung", "days", "matplotlib", dict(width_px=900, height_px=600,
                                                         grid="major", line_width_px=1)),
    ("matplotlib_03", "larynx:stage", "years", "matplotlib", dict(width_px=1100, height_px=800,
                                                                  dpi=150, font_size_px=19)),
    ("matplotlib_04", "rossi:halves", "months", "matplotlib", dict(width_px=800, height_px=600,
                                                                   jpeg_quality=60)),
    ("matplotlib_05", "kidney_transplant", "years", "matplotlib",
     dict(width_px=2000, height_px=1400, dpi=200, font_size_px=28, line_width_px=3,
          y_percent=True)),
    ("matplotlib_06", "waltons", "days", "matplotlib", dict(width_px=500, height_px=360,
                                                            font_size_px=11,
                                                            censor_marker="|")),
    # shades of one colour, and heavy JPEG compression
    ("matplotlib_07", "lung", "months", "matplotlib", dict(colours=("#1f77b4", "#aec7e8"),
                                                           line_width_px=2.5)),
    ("base_r_08", "lung:ecog", "months", "base_r", dict(width_px=700, height_px=640,
                                                        colours=("#000000", "#666666",
                                                                 "#AAAAAA"))),
    ("sas_07", "gbsg2", "months", "sas", dict(width_px=720, height_px=560, font_size_px=12,
                                              jpeg_quality=40)),
    # printed p values inside the plot, y axes not starting at 0, x axes cut before the end
    ("annotated_01", "gbsg2", "months", "survminer", dict(log_rank=True, risk_table=False)),
    ("annotated_02", "lung", "days", "base_r", dict(width_px=700, height_px=600, log_rank=True,
                                                    colours=("#DF536B", "#2297E6"))),
    ("annotated_03", "kidney_transplant", "years", "sas", dict(y_min=0.4, y_tick_step=0.1,
                                                               log_rank=True, risk_table=False)),
    ("annotated_04", "gbsg2:grade", "months", "prism", dict(x_end="before", y_tick_step=0.2)),
    ("annotated_05", "kidney_transplant=male", "days", "lifelines",
     dict(y_min=0.5, y_tick_step=0.1, x_end="before", legend="none")),
    ("annotated_06", "rossi", "weeks", "stata", dict(y_min=0.6, y_tick_step=0.1,
                                                     log_rank=True, jpeg_quality=85)),
    # two panels side by side (A and B), as in papers showing two outcomes or two splits
    ("panels_01", "gbsg2|gbsg2:grade", "months", "survminer", dict(width_px=1800,
                                                                   height_px=800)),
    ("panels_02", "lung|lung:ecog", "days", "lifelines", dict(width_px=1400, height_px=560,
                                                              font_size_px=13)),
    ("panels_03", "rossi|rossi:halves", "weeks", "prism", dict(width_px=1600, height_px=650,
                                                               jpeg_quality=85)),
    # real R figures: the images are regenerated only where Rscript is installed
    ("r_survminer_01", "gbsg2", "months", "r_survminer", dict(width_px=900, height_px=800,
                                                              dpi=110)),
    ("r_survminer_02", "lung:ecog", "days", "r_survminer", dict(width_px=1000, height_px=900,
                                                                dpi=120, bands=True)),
    ("r_survminer_03", "kidney_transplant:group", "years", "r_survminer",
     dict(width_px=800, height_px=600, dpi=100, risk_table=False)),
    ("r_survminer_04", "leukemia", "weeks", "r_survminer", dict(width_px=620, height_px=520,
                                                                dpi=80, y_percent=True,
                                                                jpeg_quality=80)),
    ("r_survminer_05", "rossi", "weeks", "r_survminer", dict(width_px=800, height_px=600,
                                                             dpi=100, grid="white",
                                                             risk_table=False,
                                                             colours=("#E7B800", "#2E9FDF"))),
    ("r_survminer_06", "larynx:stage", "years", "r_survminer", dict(width_px=1200, height_px=1000,
                                                                    dpi=150, grid="white")),
    ("r_base_01", "gbsg2", "days", "r_base", dict(width_px=700, height_px=600, dpi=96,
                                                  colours=("#000000", "#808080"))),
    ("r_base_02", "lung", "months", "r_base", dict(width_px=800, height_px=700, dpi=110,
                                                   y_percent=True)),
    ("r_base_03", "waltons", "days", "r_base", dict(width_px=600, height_px=500, dpi=80,
                                                    frame=True, jpeg_quality=85)),
    ("r_base_04", "rossi:halves", "weeks", "r_base", dict(width_px=2400, height_px=2000,
                                                          dpi=300)),
    ("r_base_05", "larynx=stage I", "years", "r_base", dict(width_px=420, height_px=360, dpi=72,
                                                            bands=True)),
]


def _pairwise_tags(arms: list[dict]) -> list[str]:
    """``crossing`` when two arms swap order by more than 0.02; ``overlapping`` when two arms are
    within 0.03 of each other on average over their common follow-up."""
    tags = set()
    for i, first in enumerate(arms):
        for second in arms[i + 1:]:
            end = min(first["km"]["time"][-1], second["km"]["time"][-1])
            grid = np.linspace(0, end, 2001)
            gap = _step(first, grid) - _step(second, grid)
            if gap.max() > 0.02 and gap.min() < -0.02:
                tags.add("crossing")
            if np.mean(np.abs(gap)) < 0.03:
                tags.add("overlapping")
    return sorted(tags)


def _step(arm: dict, at: np.ndarray) -> np.ndarray:
    times, survival = np.asarray(arm["km"]["time"]), np.asarray(arm["km"]["survival"])
    return survival[np.searchsorted(times, at, side="right") - 1]


def _shades_of_one_colour(colours) -> bool:
    """Whether the arms differ only in lightness: grey levels, or one hue light and dark."""
    rgb = np.array([[int(colour[i:i + 2], 16) for i in (1, 3, 5)] for colour in colours], float)
    chroma = np.ptp(rgb, axis=1)
    if len(rgb) < 2 or np.all(chroma < 30):
        return len(rgb) >= 2
    hue = (rgb - rgb.min(axis=1, keepdims=True)) / np.maximum(chroma, 1)[:, None]
    return bool(np.ptp(hue, axis=0).max() < 0.25)


def style_tags(truth: dict) -> list[str]:
    """Short tags naming what is hard about a figure, for grouping benchmark results."""
    style = truth["style"]
    flags = {
        "jpeg": style["jpeg_quality"] is not None,
        "grid": style["grid"] != "none",
        "bands": style["bands"],
        "censor_marks": style["censor_marker"] is not None,
        "risk_table": style["risk_table"],
        "percent": style["y_percent"],
        "small": style["width_px"] < 500,
        "large": style["width_px"] >= 2000,
        "rotated_y_labels": style["y_labels_rotated"],
        "dashed": any(s != "-" for s in style["line_styles"]),
        "one_colour": len(set(style["colours"][:truth["n_arms"]])) < truth["n_arms"],
        "shades_of_one_colour": _shades_of_one_colour(style["colours"][:truth["n_arms"]]),
        "thick_lines": style["line_width_px"] >= 3,
        "thin_lines": style["line_width_px"] <= 1,
        "x_end_at_last_time": style["x_end"] == "at",
        "x_end_before_last_time": style["x_end"] == "before",
        "y_axis_above_0": style["y_min"] > 0,
        "text_in_plot": style["log_rank"],
        "l_axes": not style["frame"],
        "legend_" + style["legend"]: True,
        f"{truth['n_arms']}_arms": True,
    }
    return sorted([style["family"], *(tag for tag, on in flags.items() if on),
                   *_pairwise_tags(truth["arms"])])


def make_figure(stem: str, source: str, unit: str, family: str, changes: dict):
    """Draw one corpus figure; return its image and truth records (with file name and tags).

    ``source`` names the IPD (:func:`load_source`); sources joined by ``|`` are drawn as panels
    A, B, ... side by side, one truth record each. Every record has the figure's ``file``, its
    ``panel`` (0 for a single plot) and an ``id`` (the file name, followed by ``#A``, ``#B`` for
    panels). The image of an R figure is None when Rscript is not installed; its truth needs
    no R.
    """
    sources = source.split("|")
    ipds = []
    for one in sources:
        ipd, dataset_unit = load_source(one)
        ipds.append(convert_time(ipd, dataset_unit, unit))
    style = FAMILIES[family].but(**changes)
    time_label = f"Time ({unit})"
    if not family.startswith("r_"):
        image, truths = draw_km_panels(ipds, style, time_label=time_label)
    elif shutil.which("Rscript"):
        image, truth = draw_r_figure(ipds[0], style, time_label=time_label)
        truths = [truth]
    else:
        image, truths = None, [r_figure_truth(ipds[0], style)]
    file = stem + (".jpg" if style.jpeg_quality else ".png")
    for panel, (one, truth) in enumerate(zip(sources, truths)):
        truth.update(file=file, panel=panel, family=family, source=one, time_unit=unit,
                     dataset=one.split(":")[0].split("=")[0],
                     id=file if len(sources) == 1 else f"{file}#{'ABCDEFGH'[panel]}")
        truth["tags"] = style_tags(truth) + (["multi_panel"] if len(sources) > 1 else [])
    return image, truths


def draw_figure(folder: Path, source: str, unit: str, family: str, **changes) -> tuple[Path, list[dict]]:
    """Draw one figure (see :func:`make_figure`) into ``folder``; return its path and truth records."""
    image, truths = make_figure("figure", source, unit, family, changes)
    path = Path(folder) / truths[0]["file"]
    save_image(image, path, truths[0]["style"]["jpeg_quality"])
    return path, truths


def main(folder: Path = CORPUS, stems: list[str] | None = None) -> None:
    """Draw the corpus into ``folder``; only the figures named in ``stems`` (the others' images
    and truth records kept as they are) when given."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = [spec for spec in SPECS if not stems or spec[0] in stems]
    if stems and len(specs) != len(set(stems)):
        raise SystemExit(f"unknown figure(s): {sorted(set(stems) - {spec[0] for spec in specs})}")
    records = []
    if stems:
        kept = json.loads((folder / "truth.json").read_text())
        records = [record for record in kept if Path(record["file"]).stem not in stems]
    for stem, source, unit, family, changes in progress(specs, "drawing figures"):
        image, truths = make_figure(stem, source, unit, family, changes)
        if image is not None:
            save_image(image, folder / truths[0]["file"], truths[0]["style"]["jpeg_quality"])
        records += truths
    records.sort(key=lambda record: record["id"])
    (folder / "truth.json").write_text(json.dumps(records, sort_keys=True, indent=1) + "\n")
    size = sum(path.stat().st_size for path in folder.iterdir())
    print(f"{len(specs)} figures drawn, {len(records)} plots, {size / 1e6:.1f} MB in {folder}")


if __name__ == "__main__":
    main(stems=sys.argv[1:] or None)
