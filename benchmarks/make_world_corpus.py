"""Build the world corpus: ``python -m benchmarks.make_world_corpus``.

Kaplan-Meier figures drawn by the programs that draw published figures, from real IPD
(:mod:`benchmarks.world_data`), with truth, in two halves: ``benchmarks/world_corpus/dev`` and
``.../test`` (images and ``truth.json.gz``, one record a line, sorted by id, sorted keys, floats to 6 digits). The
programs are R survminer ``ggsurvplot`` and base ``plot(survfit)`` (``benchmarks/r/world_figures.R``,
one R process for all of them), lifelines and hand-made matplotlib figures
(:mod:`benchmarks.world_drawing`), and a minority of look-alikes: SAS, Stata and Prism
(:func:`benchmarks.figures.draw_km_figure`) and journal redraws. Every figure's options are drawn
from a generator seeded by its half and number (its *style seed*); a share of figures is then
degraded (JPEG, downscaling, blur, rotation, a screenshot margin, greyscale). Each image is kept
under :data:`MAX_IMAGE_BYTES` (JPEG, then downscaling, where needed).

Where ``Rscript`` is not installed, the committed R images are kept and their truth is rebuilt in
Python from the IPD (``data/*.csv``) and what R reported when it drew them (``r_meta.jsonl``).

The halves are split by data set (:data:`DEV_DATASETS`): every figure of a data set is in one
half, so nothing tuned on ``dev`` shares patients with ``test``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from benchmarks.figures import DAYS_PER_UNIT, FAMILIES, draw_km_figure
from benchmarks.km_points import table_times
from benchmarks.world_data import (CORPUS, TRIAL_NAMES, TRUTH_FILE, UNITS, load_source, read_truth, seed_of, splits,
                                   write_truth)
from benchmarks.world_drawing import MATPLOTLIB_COLOURS, degrade, draw_lifelines, draw_matplotlib, encode, n_at_risk
from kmipd.progress import progress

R_SCRIPT = Path(__file__).with_name("r") / "world_figures.R"
R_META = CORPUS / "r_meta.jsonl"
MAX_IMAGE_BYTES = 120_000
HALVES = ("dev", "test")

#: Data sets whose figures all go to the ``dev`` half; every other data set goes to ``test``.
DEV_DATASETS = ("lung", "colon", "pbc", "mgus2", "aml", "nwtco", "rossi", "leukemia",
                "kidney_transplant", "dd", "sim_trial_1", "sim_trial_2", "sim_trial_3")

#: Figures per program (look-alikes: sas, stata, prism, journal; under 30% of the corpus).
PROGRAM_COUNTS = {"r_survminer": 230, "r_base": 136, "lifelines": 64, "matplotlib": 60,
                  "journal": 48, "sas": 24, "stata": 10, "prism": 10}

R_PROGRAMS = ("r_survminer", "r_base")
SURVMINER_PALETTES = {"jco": ("#0073C2", "#EFC000", "#868686", "#CD534C"),
                      "lancet": ("#00468B", "#ED0000", "#42B540", "#0099B4"),
                      "npg": ("#E64B35", "#4DBBD5", "#00A087", "#3C5488")}
BASE_COLOURS = [("black", "black", "black", "black"), ("red", "blue", "darkgreen", "orange"),
                ("#E41A1C", "#377EB8", "#4DAF4A", "#984EA3"), ("black", "grey50", "grey75", "grey30"),
                ("darkblue", "darkred", "darkgreen", "purple")]
JOURNAL_COLOURS = [("#BC3C29", "#0072B5", "#E18727", "#20854E"), ("#00468B", "#ED0000", "#42B540", "#925E9F"),
                   ("#000000", "#7F7F7F", "#BFBFBF", "#404040")]


def choose(rng: np.random.Generator, options, weights=None):
    """One of ``options`` (any objects), drawn by ``rng`` with optional ``weights``."""
    index = rng.choice(len(options), p=None if weights is None else np.asarray(weights) / np.sum(weights))
    return options[int(index)]


def datasets_of(half: str) -> list[str]:
    """The data sets of a half, in a fixed order."""
    return [name for name in UNITS if (name in DEV_DATASETS) == (half == "dev")]


def printed_unit(rng, unit: str) -> str:
    """The unit a paper prints a data set's times in (days often shown as months or years)."""
    if unit == "days":
        return choose(rng, ["days", "months", "years"], [0.3, 0.5, 0.2])
    if unit == "weeks":
        return choose(rng, ["weeks", "months"], [0.7, 0.3])
    return unit


def draw_source(rng, dataset: str) -> tuple[str, pd.DataFrame, dict]:
    """A source of ``dataset`` (its groups mostly; random splits, one arm), its IPD and how it was split."""
    choices = splits(dataset)
    weights = [3.0] * (len(choices) - 3) + [1.5, 0.7, 0.8]
    split = choose(rng, choices, weights)
    n_arms = {"halves": 2, "thirds": 3, "all": 1}.get(split)
    names = tuple(choose(rng, TRIAL_NAMES[n_arms])) if n_arms else None
    source = f"{dataset}:{split}"
    return source, load_source(source, names), {"dataset": dataset, "split": split}


def axis_range(rng, ipd: pd.DataFrame) -> tuple[float, float, bool]:
    """``x_max, break_by`` (round, as a paper's x axis) and whether the axis cuts the curves off."""
    step = float(np.diff(table_times(ipd, int(choose(rng, [4, 5, 6, 8]))))[0])
    last = float(ipd["time"].max())
    cut = rng.random() < 0.12 and last / step >= 4
    x_max = np.floor(0.7 * last / step) * step if cut else np.ceil(last / step - 1e-9) * step
    return float(x_max), step, bool(cut)


def size_px(rng, res: int, inches: tuple[float, float]) -> tuple[int, int]:
    width_in = rng.uniform(*inches)
    height_in = width_in * rng.uniform(0.75, 1.0)
    return int(round(width_in * res)), int(round(height_in * res))


def survminer_options(rng, n_arms: int) -> dict:
    """A ggsurvplot call's options, drawn across survminer's common options."""
    palette = choose(rng, ["hue", "jco", "lancet", "npg", "grey", "black"], [3, 1.5, 1.5, 1.5, 1, 1])
    risk_table = rng.random() < 0.7
    options = {"palette": ["black"] * n_arms if palette == "black" else palette,
               "linetype": "strata" if palette == "black" or rng.random() < 0.15 else None,
               "conf_int": bool(rng.random() < 0.25), "censor": bool(rng.random() < 0.75),
               "censor_shape": choose(rng, ["+", "|"], [3, 1]),
               "risk_table": bool(risk_table),
               "risk_table_col": choose(rng, ["strata", "black"], [3, 2]) if risk_table else None,
               "risk_table_y_text": bool(rng.random() > 0.25) if risk_table else None,
               "clean_tables": bool(risk_table and rng.random() < 0.5),
               "risk_table_title": (choose(rng, ["Number at risk", "No. at risk"])
                                    if risk_table and rng.random() < 0.3 else None),
               "cumevents": bool(rng.random() < 0.15),
               "surv_median_line": "hv" if rng.random() < 0.15 else "none",
               "pval": bool(n_arms > 1 and rng.random() < 0.3),
               "legend": choose(rng, ["top", "right", "bottom", [0.8, 0.8]], [4, 1.5, 1.5, 2]),
               "legend_title": choose(rng, ["Strata", "", "Group"], [3, 2, 1]),
               "fun": "event" if rng.random() < 0.12 else None,
               "line_size": float(choose(rng, [0.5, 0.8, 1.0, 1.2])),
               "program": "survminer"}
    if options["risk_table_y_text"] is False:  # colour bars stand for the names: colour the table
        options["risk_table_col"] = "strata"
    return options


def fit_tables(options: dict, n_arms: int) -> None:
    """survminer's ``tables.height`` (a share of the figure, per table) such that the table rows
    do not overlap: about 0.25 inch a row plus 0.85 inch for the title and the axis; a figure too
    short for its tables and a plot is made taller."""
    n_tables = int(options["risk_table"]) + int(options["cumevents"])
    height_in = options["height"] / options["res"]
    table_in = 0.25 * n_arms + 0.85
    if n_tables and n_tables * table_in > 0.55 * height_in:
        height_in = n_tables * table_in / 0.55
        options["height"] = int(round(height_in * options["res"]))
    options["tables_height"] = round(min(0.45, table_in / height_in), 3)


def base_options(rng, n_arms: int) -> dict:
    """A base-R ``plot(survfit)`` call's options: colours, line types, marks, legend, mtext table."""
    colours = list(choose(rng, BASE_COLOURS))[:n_arms]
    dashed = colours[0] == "black" and len(set(colours)) == 1 or rng.random() < 0.3
    return {"program": "base", "colours": colours,
            "line_types": list(range(1, n_arms + 1)) if dashed else [1] * n_arms,
            "line_width": float(choose(rng, [1, 1.5, 2, 2.5])), "censor": bool(rng.random() < 0.6),
            "mark": choose(rng, [3, "|"]), "risk_table": bool(rng.random() < 0.6),
            "risk_table_colour": bool(rng.random() < 0.5),
            "legend": choose(rng, ["topright", "bottomleft", "bottomright"], [3, 1, 1]),
            "legend_box": choose(rng, ["n", "o"], [3, 1]), "box_type": choose(rng, ["l", "o"], [2, 1]),
            "fun": "event" if rng.random() < 0.1 else None, "conf_int": bool(rng.random() < 0.1)}


def r_device(rng) -> dict:
    res = int(choose(rng, [72, 96, 100, 120, 150, 200, 300], [1, 2, 2, 1.5, 1.5, 1, 0.7]))
    inches = (4.2, 5.0) if res >= 200 else (5.5, 8.0)
    width, height = size_px(rng, res, inches)
    jpeg = rng.random() < 0.25
    return {"device": "jpeg" if jpeg else "png", "res": res, "width": width, "height": height,
            "quality": int(rng.integers(60, 96)) if jpeg else None}


def time_label(unit: str) -> str:
    return f"Time ({unit})" if unit != "years" else "Years"


def survival_label(measure: str, rng) -> str:
    if measure == "cumulative_incidence":
        return choose(rng, ["Cumulative incidence", "Cumulative event rate"])
    return choose(rng, ["Survival probability", "Overall survival", "Progression-free survival",
                        "Proportion surviving"])


def degradation_steps(rng) -> tuple[list[dict], int | None]:
    """The damage done to a figure (none for about half of them) and the JPEG quality to save at."""
    if rng.random() < 0.55:
        return [], None
    kinds = list(rng.choice(["jpeg", "downscale", "blur", "rotate", "border", "greyscale"],
                            size=int(rng.integers(1, 3)), replace=False))
    steps = []
    for kind in ["border", "rotate", "downscale", "blur", "greyscale"]:
        if kind not in kinds:
            continue
        if kind == "border":
            steps.append({"kind": kind, "pad_px": int(rng.integers(8, 40)), "grey": int(rng.integers(225, 256))})
        elif kind == "rotate":
            steps.append({"kind": kind, "degrees": round(float(rng.uniform(0.5, 1.5) * choose(rng, [-1, 1])), 2)})
        elif kind == "downscale":
            steps.append({"kind": kind, "width_px": int(rng.integers(350, 901))})
        elif kind == "blur":
            steps.append({"kind": kind, "sigma_px": round(float(rng.uniform(0.5, 1.2)), 2)})
        else:
            steps.append({"kind": kind})
    return steps, int(rng.integers(40, 91)) if "jpeg" in kinds else None


def plan(half: str, program: str, number: int) -> dict:
    """One figure's plan: id, source and IPD in printed units, the drawing options, the damage."""
    figure_id = f"{program}_{half}_{number:03d}"
    rng = np.random.default_rng(seed_of(figure_id))  # the style seed
    names = datasets_of(half)
    dataset = names[(number + seed_of(program)) % len(names)]
    source, ipd, source_info = draw_source(rng, dataset)
    unit = printed_unit(rng, UNITS[dataset])
    ipd = ipd.assign(time=ipd["time"] * DAYS_PER_UNIT[UNITS[dataset]] / DAYS_PER_UNIT[unit])
    x_max, break_by, cut = axis_range(rng, ipd)
    n_arms = ipd["arm"].nunique()
    if program == "r_survminer":
        options = {**survminer_options(rng, n_arms), **r_device(rng)}
        fit_tables(options, n_arms)
    elif program == "r_base":
        options = {**base_options(rng, n_arms), **r_device(rng)}
    elif program == "lifelines":
        res = int(choose(rng, [72, 100, 150]))
        width, height = size_px(rng, res, (5.5, 8.5))
        options = {"width": width, "height": height, "dpi": res, "ci": bool(rng.random() < 0.5),
                   "censor": bool(rng.random() < 0.6),
                   "at_risk_rows": choose(rng, [[], ["At risk"], ["At risk", "Censored", "Events"]], [1, 2, 2]),
                   "legend": "none" if n_arms == 1 else choose(rng, ["upper right", "lower left"], [3, 1])}
    else:
        options = matplotlib_options(rng, program, n_arms, unit)
    options.update(x_max=x_max, break_by=break_by, x_cut=cut)
    measure = "cumulative_incidence" if options.get("fun") == "event" else "survival"
    options.update(xlab=time_label(unit), ylab=survival_label(measure, rng))
    steps, jpeg_quality = degradation_steps(rng)
    return {"id": figure_id, "half": half, "program": program, "source": source, **source_info,
            "ipd": ipd, "time_unit": unit, "options": options, "measure": measure,
            "degradations": steps, "jpeg_quality": jpeg_quality, "style_seed": seed_of(figure_id)}


def matplotlib_options(rng, program: str, n_arms: int, unit: str) -> dict:
    """Options of a hand-made matplotlib figure, a journal redraw, or a SAS/Stata/Prism look-alike."""
    res = int(choose(rng, [72, 100, 150, 200]))
    width, height = size_px(rng, res, (5.5, 8.0) if res < 200 else (4.5, 5.5))
    if program in ("stata", "prism") or (program == "sas" and rng.random() < 0.5):
        return {"drawer": "figures", "family": program, "width": max(width, 640),
                "height": max(height, 520), "dpi": res}
    journal = program == "journal"
    sas = program == "sas"
    colours = (["#445694", "#A23A2E", "#01665E", "#9D3CDB"] if sas else
               list(choose(rng, JOURNAL_COLOURS)) if journal else
               list(choose(rng, [MATPLOTLIB_COLOURS, ("#000000", "#7F7F7F", "#000000", "#7F7F7F")])))
    return {"drawer": "matplotlib", "width": width, "height": height, "dpi": res,
            "colours": colours[:n_arms],
            "line_styles": choose(rng, [["-"] * 4, ["-", "--", ":", "-."]], [3, 1])[:n_arms],
            "line_width": float(choose(rng, [1.0, 1.5, 2.0])),
            "censor": choose(rng, [None, "+", "|"], [1, 2, 1]),
            "legend": "none" if n_arms == 1 and not journal else choose(rng, ["upper right", "lower left"], [3, 1]),
            "at_risk": "inside" if sas else ("below" if journal or rng.random() < 0.6 else "none"),
            "count_format": "n (censored)" if journal and rng.random() < 0.4 else "n",
            "legend_stats": bool(journal and rng.random() < 0.5),
            "hazard_ratio": bool(journal and n_arms == 2 and rng.random() < 0.5),
            "row_label_bold": bool(journal and (n_arms == 1 or rng.random() < 0.3)),
            "unit": unit, "frame": bool(sas or rng.random() < 0.4),
            "title": "Product-Limit Survival Estimates" if sas else None,
            "font_size": float(choose(rng, [9, 10, 11, 12]))}


# --- drawing ---------------------------------------------------------------------------------

def draw_python(figure: dict) -> tuple[np.ndarray, dict]:
    """Draw a non-R figure; return the image and what the program drew (colours, box, counts)."""
    options, ipd = figure["options"], figure["ipd"]
    if figure["program"] == "lifelines":
        return draw_lifelines(ipd, options)
    if options["drawer"] == "matplotlib":
        return draw_matplotlib(ipd, options)
    family = FAMILIES[options["family"]]
    style = family.but(width_px=options["width"], height_px=options["height"], dpi=options["dpi"],
                       font_size_px=family.font_size_px * options["dpi"] / 100)
    image, truth = draw_km_figure(ipd, style, time_label=options["xlab"])
    figure["options"].update(x_max=truth["x_limits"][1], break_by=None, x_cut=False)
    drawn = {"colours": [arm["colour"].upper() for arm in truth["arms"]], "plot_box": truth["plot_area"],
             "x_limits": truth["x_limits"], "y_limits": truth["y_limits"],
             "breaks": truth["x_ticks"], "y_percent": truth["y_percent"]}
    if style.risk_table:
        drawn["risk_table"] = truth["at_risk"]
    return image, drawn


def draw_r_figures(figures: list[dict], folder: Path) -> dict[str, tuple[np.ndarray, dict]]:
    """Draw every R figure in one R process; return id -> (image, what R reported)."""
    lines = []
    for figure in figures:
        csv = folder / f"{figure['id']}.csv"
        figure["ipd"].to_csv(csv, index=False)
        suffix = ".jpg" if figure["options"]["device"] == "jpeg" else ".png"
        spec = {**figure["options"], "ipd": str(csv), "out": str(folder / (figure["id"] + suffix))}
        lines.append(json.dumps(spec))
    specs, meta = folder / "specs.jsonl", folder / "meta.jsonl"
    specs.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    subprocess.run(["Rscript", str(R_SCRIPT), "draw", str(specs), str(meta)], check=True)
    print(f"R drew {len(figures)} figures in {time.perf_counter() - started:.0f} s")
    drawn = {}
    for figure, line in zip(figures, meta.read_text().splitlines()):
        report = json.loads(line)
        if report["plot_box"]:  # R's device pixels run from the image edge; centres at integers here
            report["plot_box"] = {side: round(value - 0.5, 2) for side, value in report["plot_box"].items()}
        image = cv2.cvtColor(cv2.imread(report.pop("out"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        drawn[figure["id"]] = (image, report)
    return drawn


def finish_image(figure: dict, image: np.ndarray, box: dict | None) -> tuple[bytes, dict | None, str]:
    """Degrade and encode a figure under :data:`MAX_IMAGE_BYTES`; return bytes, moved box, suffix.

    The R device's own JPEG stays JPEG. Too large a PNG is saved as JPEG at quality 90 down to
    70, then downscaled by 0.85 until it fits; both are recorded in the figure's degradations.
    """
    image, box = degrade(image, box, figure["degradations"])
    quality = figure["jpeg_quality"] or (figure["options"].get("quality")
                                         if figure["options"].get("device") == "jpeg" else None)
    data = encode(image, quality)
    for fallback in (90, 80, 70):
        if len(data) <= MAX_IMAGE_BYTES or (quality and quality <= fallback):
            break
        quality = fallback
        data = encode(image, quality)
    while len(data) > MAX_IMAGE_BYTES:
        width = int(image.shape[1] * 0.85)
        image, box = degrade(image, box, [{"kind": "downscale", "width_px": width}])
        figure["degradations"].append({"kind": "downscale", "width_px": width, "to_fit": True})
        data = encode(image, quality)
    figure["jpeg_quality"] = quality
    return data, box, ".jpg" if quality else ".png"


# --- truth -----------------------------------------------------------------------------------

def km_corners(time: np.ndarray, event: np.ndarray, end: float) -> dict:
    """The corners of the Kaplan-Meier step function (lifelines) up to ``end``.

    ``(0, 1)``, then at each event time the corners above and below its drop, then ``end`` (the
    last follow-up or the end of the x axis, whichever comes first) at the last survival.
    """
    fitter = KaplanMeierFitter().fit(time, event)
    table = fitter.event_table
    survival = fitter.survival_function_.iloc[:, 0]
    drops = table.index[(table["observed"] > 0).to_numpy() & (table.index.to_numpy() > 0)]
    drops = drops[drops <= end]
    times, values = [0.0], [1.0]
    for t in drops:
        before = float(survival[survival.index < t].iloc[-1])
        times += [float(t), float(t)]
        values += [before, float(survival.loc[t])]
    times.append(float(min(end, time.max())))
    values.append(values[-1])
    return {"time": times, "survival": values}


def arms_truth(figure: dict, drawn: dict) -> list[dict]:
    """Per arm in drawing order: name, colour drawn, true KM over the plotted range, drawn censor marks, N."""
    ipd, options = figure["ipd"], figure["options"]
    end = options["x_max"]
    marks_on = bool(options.get("censor", True)) if figure["program"] != "r_base" else bool(options["censor"])
    if options.get("drawer") == "figures":
        marks_on = FAMILIES[options["family"]].censor_marker is not None
    arms = []
    for index, name in enumerate(dict.fromkeys(ipd["arm"])):
        group = ipd[ipd["arm"] == name]
        time, event = group["time"].to_numpy(float), group["event"].to_numpy(int)
        censored = np.unique(time[(event == 0) & (time <= end)])
        arms.append({"name": name, "legend_name": name, "colour": drawn["colours"][index],
                     "n": int(len(group)), "km": km_corners(time, event, end),
                     "censor_times": [round(float(t), 6) for t in censored] if marks_on else []})
    return arms


def at_risk_truth(figure: dict, drawn: dict) -> dict | None:
    """The numbers at risk as printed: ``arm, time, n_risk`` lists, or None when no table is printed.

    R figures: n with ``time >= t`` at every break time (0 past an arm's last follow-up), as
    ``summary(fit, times, extend = TRUE)`` gives them, which is what survminer and the base-R
    ``mtext`` table print; checked against R's own report when R drew the figure. Python figures:
    what the program printed (parsed back from lifelines' labels; the text written by hand).
    """
    options = figure["options"]
    if figure["program"] in R_PROGRAMS:
        if not options["risk_table"]:
            return None
        # rounded as R prints its break times, so 3 * 0.2 is the 0.6 R reports, not 0.6000000000000001
        breaks = np.round(np.arange(0, options["x_max"] + 1e-9, options["break_by"]), 9)
        counts = n_at_risk(figure["ipd"], breaks)
        return {"arm": counts["arm"].tolist(), "time": [float(t) for t in counts["time"]],
                "n_risk": [int(n) for n in counts["n_risk"]]}
    table = drawn.get("risk_table")
    if not table:
        return None
    return {"arm": [str(a) for a in table["arm"]], "time": [float(t) for t in table["time"]],
            "n_risk": [int(n) for n in table["n_risk"]]}


def check_against_r(figure: dict, truth: dict, report: dict) -> None:
    """The at-risk counts computed in Python must be the ones R printed (``summary`` and survminer)."""
    summary = pd.DataFrame(report["summary"])
    mine = n_at_risk(figure["ipd"], np.asarray(report["breaks"], float))
    merged = mine.merge(summary, on=["arm", "time"], how="left", suffixes=("", "_r"))
    if not np.array_equal(merged["n_risk"].to_numpy(), merged["n_risk_r"].fillna(-1).to_numpy()):
        raise AssertionError(f"{figure['id']}: at-risk counts differ from R's summary()")
    if report.get("risk_table") and truth["at_risk"]:
        printed = pd.DataFrame(report["risk_table"])
        expected = pd.DataFrame(truth["at_risk"])
        joined = expected.merge(printed, on=["arm", "time"], how="left", suffixes=("", "_r"))
        if not np.array_equal(joined["n_risk"].to_numpy(), joined["n_risk_r"].fillna(-1).to_numpy()):
            raise AssertionError(f"{figure['id']}: at-risk counts differ from the table R printed")


def tags(figure: dict, truth: dict) -> list[str]:
    """What is hard about a figure, for grouping the benchmark's results."""
    options, kinds = figure["options"], {step["kind"] for step in figure["degradations"]}
    n_arms = len(truth["arms"])
    flags = {
        "risk_table": truth["at_risk"] is not None,
        "table_colour_bars": options.get("risk_table_y_text") is False,
        "table_coloured_names": truth["at_risk"] is not None and (
            (options.get("risk_table_col") == "strata" and options.get("risk_table_y_text") is not False)
            or bool(options.get("risk_table_colour"))),
        "table_inside_plot": options.get("at_risk") == "inside",
        "clean_table_theme": bool(options.get("clean_tables")),
        "risk_table_title": bool(options.get("risk_table_title")),
        "cumevents": bool(options.get("cumevents")),
        "conf_int": bool(options.get("conf_int") or options.get("ci")),
        "linetype": options.get("linetype") == "strata" or len(set(options.get("line_types", [1]))) > 1
                    or len(set(options.get("line_styles", ["-"]))) > 1,
        "one_colour": n_arms > 1 and len({arm["colour"] for arm in truth["arms"]}) == 1,
        "legend_" + (options["legend"] if options.get("legend") in ("top", "right", "bottom", "none")
                     else "inside"): True,
        "cumulative_incidence": truth["measure"] == "cumulative_incidence",
        "median_line": options.get("surv_median_line") == "hv",
        "pval": bool(options.get("pval")),
        "legend_stats": bool(options.get("legend_stats")),
        "inset_hr": bool(options.get("hazard_ratio")),
        "counts_with_censored": options.get("count_format") == "n (censored)",
        "bold_row_label": bool(options.get("row_label_bold")),
        "x_axis_cut": bool(options.get("x_cut")),
        "jpeg": bool(figure["jpeg_quality"]),
        "downscaled": "downscale" in kinds, "blurred": "blur" in kinds, "rotated": "rotate" in kinds,
        "screenshot_border": "border" in kinds, "greyscale": "greyscale" in kinds,
        "no_censor_marks": not any(arm["censor_times"] for arm in truth["arms"]),
        "single_arm": n_arms == 1, f"n_arms_{n_arms}": True,
        "small": truth["image_width_px"] < 500,
    }
    return sorted(tag for tag, on in flags.items() if on)


def truth_record(figure: dict, drawn: dict, file: str, box: dict | None, image_shape) -> dict:
    """The JSON-ready truth of one figure."""
    options = dict(figure["options"])
    record = {"id": figure["id"], "file": file, "half": figure["half"], "program": figure["program"],
              "source": figure["source"], "dataset": figure["dataset"], "split": figure["split"],
              "time_unit": figure["time_unit"], "measure": figure["measure"], "options": options,
              "style_seed": figure["style_seed"], "degradations": figure["degradations"],
              "jpeg_quality": figure["jpeg_quality"],
              "plot_box": box, "x_limits": drawn.get("x_limits"), "y_limits": drawn.get("y_limits"),
              "breaks": [float(b) for b in drawn["breaks"]] if drawn.get("breaks") is not None else None,
              "image_width_px": int(image_shape[1]), "image_height_px": int(image_shape[0])}
    record["arms"] = arms_truth(figure, drawn)
    record["n_arms"] = len(record["arms"])
    record["at_risk"] = at_risk_truth(figure, drawn)
    record["censor_marks_drawn"] = any(arm["censor_times"] for arm in record["arms"])
    record["tags"] = tags(figure, record)
    return record


# --- the corpus ------------------------------------------------------------------------------

def _six_digits(value):
    """``value`` with every float rounded to 6 significant digits (a pixel is far coarser), for a small truth file."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_six_digits(item) for item in value]
    if isinstance(value, dict):
        return {key: _six_digits(item) for key, item in value.items()}
    return value


def plans() -> list[dict]:
    """Every figure's plan, half by half; numbers alternate between the halves per program."""
    figures = []
    for program, count in PROGRAM_COUNTS.items():
        for number in range(count):
            figures.append(plan(HALVES[number % 2], program, number // 2))
    return figures


def main() -> None:
    started = time.perf_counter()
    figures = plans()
    have_r = shutil.which("Rscript") is not None
    kept = {}
    for half in HALVES:
        if (CORPUS / half / TRUTH_FILE).exists():
            kept.update({record["id"]: record for record in read_truth(half)})
    records = {half: [] for half in HALVES}
    r_reports = {}
    with tempfile.TemporaryDirectory() as folder:
        r_figures = [figure for figure in figures if figure["program"] in R_PROGRAMS]
        if have_r:
            for half in HALVES:  # the R images are redrawn: old ones go
                for old in (CORPUS / half).glob("r_*"):
                    old.unlink()
            r_drawn = draw_r_figures(r_figures, Path(folder))
        else:
            r_meta = {json.loads(line)["id"]: json.loads(line) for line in R_META.read_text().splitlines()}
        for figure in progress(figures, "building figures"):
            out = CORPUS / figure["half"]
            out.mkdir(parents=True, exist_ok=True)
            if figure["program"] in R_PROGRAMS and not have_r:
                old = kept[figure["id"]]
                figure["degradations"], figure["jpeg_quality"] = old["degradations"], old["jpeg_quality"]
                report = r_meta[figure["id"]]
                records[figure["half"]].append(truth_record(
                    figure, report, old["file"], old["plot_box"],
                    (old["image_height_px"], old["image_width_px"])))
                continue
            if figure["program"] in R_PROGRAMS:
                image, drawn = r_drawn[figure["id"]]
                r_reports[figure["id"]] = {"id": figure["id"], **drawn}
            else:
                image, drawn = draw_python(figure)
            box = drawn.get("plot_box")
            data, box, suffix = finish_image(figure, image, box)
            file = figure["id"] + suffix
            (out / file).write_bytes(data)
            shape = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape
            record = truth_record(figure, drawn, file, box, shape)
            if figure["program"] in R_PROGRAMS:
                check_against_r(figure, record, drawn)
            records[figure["half"]].append(record)
    if have_r:
        R_META.write_text("".join(json.dumps(r_reports[key], sort_keys=True) + "\n" for key in sorted(r_reports)))
    for half in HALVES:
        folder = CORPUS / half
        files = {record["file"] for record in records[half]}
        for stale in folder.iterdir():
            if stale.suffix in (".png", ".jpg") and stale.name not in files:
                stale.unlink()
        ordered = sorted(records[half], key=lambda record: record["id"])
        write_truth(half, "[\n" + ",\n".join(json.dumps(_six_digits(record), sort_keys=True, separators=(",", ":"))
                                              for record in ordered) + "\n]\n")
    size = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    print(f"{sum(map(len, records.values()))} figures ({', '.join(f'{h}: {len(records[h])}' for h in HALVES)}), "
          f"{size / 1e6:.1f} MB in {CORPUS}, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
