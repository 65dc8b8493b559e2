"""Draw the arm-finding figures of issue 9 (item 5): ``python -m benchmarks.make_arm_figures``.

Figures on which arms were lost or added, drawn by the programs that draw published figures
from real IPD (:func:`benchmarks.make_digitize_corpus.load_source`): R's survminer
``ggsurvplot`` across palettes with ``conf.int`` and ``linetype = "strata"``, base R
``plot(survfit)`` with ``col``/``lty``/``lwd`` (dashed colour arms, boxed legends, an HR box),
lifelines ``KaplanMeierFitter.plot_survival_function`` with its confidence bands and matplotlib
step plots with a ruled inset table; then some are downscaled or saved as JPEG. Writes the
images and ``truth.json`` (the IPD source, each arm's colour and line type as drawn, the legend
names; :func:`true_arms` rebuilds the true KM from the source) to ``tests/data/world/arms/``.
R figures need ``Rscript`` with survminer; the images are committed, so the tests and
:mod:`benchmarks.arms` need no R. Name figures (file stems) to redraw only those.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402

from benchmarks.figures import save_image  # noqa: E402
from benchmarks.km_points import km_step_corners  # noqa: E402
from benchmarks.make_digitize_corpus import load_source  # noqa: E402
from kmipd.progress import progress  # noqa: E402

FOLDER = Path(__file__).parents[1] / "tests" / "data" / "world" / "arms"
R_SCRIPT = Path(__file__).with_name("r") / "arm_figures.R"
#: ggsci's palettes as survminer draws them, and ggplot's default hues for 2-4 groups.
PALETTES = {
    "lancet": ["#00468B", "#ED0000", "#42B540", "#0099B4"],
    "jco": ["#0073C2", "#EFC000", "#868686", "#CD534C"],
    "npg": ["#E64B35", "#4DBBD5", "#00A087", "#3C5488"],
    "default2": ["#F8766D", "#00BFC4"],
    "default3": ["#F8766D", "#00BA38", "#619CFF"],
    "default4": ["#F8766D", "#7CAE00", "#00BFC4", "#C77CFF"],
}
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
BASE_COLOURS = ["#000000", "#DF536B", "#61D04F", "#2297E6"]  # R 4's palette(): 1, 2, 3, 4

# (file stem, program, IPD source, drawing options, degradation: width_px to scale to, jpeg quality)
SPECS = [
    # survminer: arms over their own bands, palettes, line types, dark arms beside black
    ("sm_default_ci_2", "survminer", "lung", dict(palette="default", conf_int=True), {}),
    ("sm_lancet_ci_2", "survminer", "gbsg2", dict(palette="lancet", conf_int=True), {}),
    ("sm_jco_ci_2", "survminer", "rossi", dict(palette="jco", conf_int=True), dict(jpeg=80)),
    ("sm_npg_ci_3", "survminer", "lung:ecog", dict(palette="npg", conf_int=True), {}),
    ("sm_lancet_ci_3", "survminer", "gbsg2:grade", dict(palette="lancet", conf_int=True), dict(jpeg=70)),
    ("sm_npg_ci_4", "survminer", "larynx:stage", dict(palette="npg", conf_int=True), dict(jpeg=75)),
    ("sm_jco_lt_4", "survminer", "kidney_transplant:group", dict(palette="jco", linetype_strata=True), {}),
    ("sm_lancet_lt_2", "survminer", "leukemia", dict(palette="lancet", linetype_strata=True), {}),
    ("sm_default_lt_ci_3", "survminer", "gbsg2:grade",
     dict(palette="default", conf_int=True, linetype_strata=True), {}),
    ("sm_npg_lt_ci_2", "survminer", "rossi", dict(palette="npg", conf_int=True, linetype_strata=True),
     dict(jpeg=65)),
    ("sm_black_jco", "survminer", "rossi", dict(palette=["#000000", "#0073C2"]), {}),
    ("sm_black_lancet", "survminer", "gbsg2", dict(palette=["#000000", "#00468B"]), dict(jpeg=70)),
    ("sm_black_lancet_ci", "survminer", "lung", dict(palette=["#000000", "#00468B"], conf_int=True), {}),
    ("sm_inset_default", "survminer", "lung", dict(palette="default", inset=True), {}),
    ("sm_inset_jco_table", "survminer", "gbsg2", dict(palette="jco", inset=True, risk_table=True,
                                                      height=900), {}),
    ("sm_lancet_ci_72dpi", "survminer", "lung", dict(palette="lancet", conf_int=True, width=504,
                                                     height=432, res=72), {}),
    ("sm_jco_ci_300dpi", "survminer", "gbsg2", dict(palette="jco", conf_int=True, width=2100,
                                                    height=1800, res=300), dict(width_px=900, jpeg=85)),
    ("sm_lancet_ci_4", "survminer", "kidney_transplant:group", dict(palette="lancet", conf_int=True),
     dict(jpeg=70)),
    ("sm_default_ci_4_72dpi", "survminer", "larynx:stage", dict(palette="default", conf_int=True, width=504,
                                                               height=432, res=72), {}),
    ("sm_jco_lt_ci_3", "survminer", "lung:ecog", dict(palette="jco", conf_int=True, linetype_strata=True),
     dict(jpeg=70)),
    # base R: dashed colour arms, navy beside black, boxed legends and an HR box
    ("base_red_dashed", "base", "gbsg2", dict(col=["black", "red"], lty=[1, 2]), {}),
    ("base_red_dashed_lwd2", "base", "lung", dict(col=["black", "red"], lty=[1, 2], lwd=2), {}),
    ("base_red_dashed_72dpi", "base", "rossi", dict(col=["black", "red"], lty=[1, 2], width=504,
                                                    height=432, res=72), dict(jpeg=60)),
    ("base_red_dashed_halves", "base", "rossi:halves", dict(col=["black", "red"], lty=[1, 2]), {}),
    ("base_red_dashed_72dpi_lung", "base", "lung", dict(col=["black", "red"], lty=[1, 2], width=504, height=432,
                                                        res=72), dict(jpeg=75)),
    ("base_grey_dotted_72dpi", "base", "rossi", dict(col=["black", "gray60"], lty=[1, 3], width=504, height=432,
                                                     res=72), dict(jpeg=60)),
    ("base_three_lty", "base", "lung:ecog", dict(col=["black", "red", "blue"], lty=[1, 2, 3]), {}),
    ("base_blue_dashed", "base", "rossi", dict(col=["black", "blue"], lty=[1, 2], lwd=1.5), {}),
    ("base_navy", "base", "gbsg2", dict(col=["black", "#00468B"], lwd=2), dict(jpeg=80)),
    ("base_jco_blue", "base", "leukemia", dict(col=["black", "#0073C2"], lwd=1.5), {}),
    ("base_box_inset", "base", "leukemia", dict(col=["black", "red"], legend_box="o", inset=True), {}),
    ("base_inset_dashed", "base", "rossi", dict(col=["black", "red"], lty=[1, 2], lwd=2, inset=True,
                                                legend_box="o"), dict(jpeg=85)),
    ("base_four", "base", "kidney_transplant:group", dict(col=[1, 2, 3, 4], lty=[1, 2, 3, 4], lwd=1.5), {}),
    ("base_300dpi", "base", "gbsg2", dict(col=["black", "red"], lty=[1, 2], lwd=2, width=2100,
                                          height=1800, res=300), dict(width_px=800, jpeg=90)),
    # lifelines: arms over their own bands
    ("ll_ci_2", "lifelines", "rossi", dict(), {}),
    ("ll_ci_3", "lifelines", "lung:ecog", dict(), dict(jpeg=75)),
    ("ll_ci_4", "lifelines", "larynx:stage", dict(at_risk=True), {}),
    ("ll_ci_2_small", "lifelines", "gbsg2", dict(width=5.0, height=3.6, dpi=80), dict(jpeg=70)),
    # matplotlib: dashed colour arms, navy beside black, a ruled inset table and a legend box
    ("mpl_red_dashed", "matplotlib", "gbsg2", dict(colours=["black", "red"], styles=["-", "--"]), {}),
    ("mpl_navy_black", "matplotlib", "rossi", dict(colours=["black", "#00468B"], styles=["-", "-"]), {}),
    ("mpl_inset_table", "matplotlib", "lung", dict(colours=["#0073C2", "#EFC000"], styles=["-", "-"],
                                                   inset=True), {}),
    ("mpl_three_inset", "matplotlib", "gbsg2:grade",
     dict(colours=["black", "#ED0000", "#00468B"], styles=["-", "--", "-."], inset=True), dict(jpeg=80)),
]


def _colours(program: str, options: dict, n_arms: int) -> list[str]:
    """The hex colour of each arm as the program draws it."""
    if program == "survminer":
        palette = options.get("palette", "default")
        if isinstance(palette, list):
            return palette[:n_arms]
        return PALETTES[f"default{n_arms}" if palette == "default" else palette][:n_arms]
    if program == "base":
        named = {"black": "#000000", "red": "#FF0000", "blue": "#0000FF"}
        return [BASE_COLOURS[c - 1] if isinstance(c, int) else named.get(c, c)
                for c in options.get("col", range(1, n_arms + 1))][:n_arms]
    if program == "lifelines":
        return TAB10[:n_arms]
    return [matplotlib.colors.to_hex(c) for c in options["colours"]][:n_arms]


def _line_types(program: str, options: dict, n_arms: int) -> list[str]:
    if program == "survminer":
        return ["solid"] + ["dashed"] * (n_arms - 1) if options.get("linetype_strata") else ["solid"] * n_arms
    if program == "base":
        return ["solid" if lty == 1 else "dashed" for lty in options.get("lty", [1] * n_arms)]
    if program == "matplotlib":
        return ["solid" if style == "-" else "dashed" for style in options["styles"]]
    return ["solid"] * n_arms


def _draw_r(ipd, program: str, options: dict) -> np.ndarray:
    spec = {"program": program, "width": 800, "height": 640, "res": 100, **options}
    with tempfile.TemporaryDirectory() as folder:
        ipd_csv, png, spec_json = (Path(folder) / name for name in ("ipd.csv", "figure.png", "spec.json"))
        ipd.to_csv(ipd_csv, index=False)
        spec_json.write_text(json.dumps(spec))
        subprocess.run(["Rscript", str(R_SCRIPT), str(ipd_csv), str(png), str(spec_json)], check=True,
                       capture_output=True)
        return cv2.cvtColor(cv2.imread(str(png), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _figure_pixels(figure) -> np.ndarray:
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return image


def _draw_lifelines(ipd, options: dict) -> np.ndarray:
    figure, ax = plt.subplots(figsize=(options.get("width", 8.0), options.get("height", 6.0)),
                              dpi=options.get("dpi", 100))
    fitters = []
    for name, rows in ipd.groupby("arm", sort=False):
        fitter = KaplanMeierFitter(label=str(name)).fit(rows["time"], rows["event"])
        fitter.plot_survival_function(ax=ax, ci_show=True)
        fitters.append(fitter)
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival probability")
    if options.get("at_risk"):
        add_at_risk_counts(*fitters, ax=ax)
    figure.tight_layout()
    return _figure_pixels(figure)


def _draw_matplotlib(ipd, options: dict, colours: list[str]) -> np.ndarray:
    figure, ax = plt.subplots(figsize=(8.0, 6.0), dpi=100)
    corners = km_step_corners(ipd)
    for (name, _), colour, style in zip(ipd.groupby("arm", sort=False), colours, options["styles"]):
        arm = corners[corners["arm"] == name]
        ax.plot(arm["time"], arm["survival"], color=colour, linestyle=style, linewidth=1.5, label=str(name))
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, None)
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival probability")
    ax.legend(loc="upper right", frameon=True)
    if options.get("inset"):
        # A ruled HR table in the lower left: three rules across it, text between them.
        right = 0.5 * float(ipd["time"].max())
        for y in (0.30, 0.20, 0.05):
            ax.plot([0.04 * right, right], [y, y], color="black", linewidth=0.8)
        ax.text(0.06 * right, 0.25, "Hazard ratio (95% CI)", va="center", fontsize=9)
        ax.text(0.06 * right, 0.125, "0.72 (0.55-0.94); p = 0.016", va="center", fontsize=9)
    return _figure_pixels(figure)


def _degrade(image: np.ndarray, width_px: int | None) -> np.ndarray:
    if width_px is None or width_px >= image.shape[1]:
        return image
    height_px = int(round(image.shape[0] * width_px / image.shape[1]))
    return cv2.resize(image, (width_px, height_px), interpolation=cv2.INTER_AREA)


def make_figure(stem: str, program: str, source: str, options: dict, degradation: dict) -> tuple[np.ndarray, dict]:
    """Draw one figure; return its image and truth record."""
    ipd, _ = load_source(source)
    arm_names = list(dict.fromkeys(ipd["arm"].astype(str)))
    colours = _colours(program, options, len(arm_names))
    if program in ("survminer", "base"):
        image = _draw_r(ipd, program, options)
    elif program == "lifelines":
        image = _draw_lifelines(ipd, options)
    else:
        image = _draw_matplotlib(ipd, options, colours)
    image = _degrade(image, degradation.get("width_px"))
    arms = [{"name": name, "colour": colour, "line_type": kind}
            for name, colour, kind in zip(arm_names, colours, _line_types(program, options, len(arm_names)))]
    jpeg = degradation.get("jpeg")
    truth = {"id": stem, "file": stem + (".jpg" if jpeg else ".png"), "program": program, "source": source,
             "options": options, "degradation": degradation, "n_arms": len(arms), "arms": arms,
             "legend_names": arm_names}
    return image, truth


def true_arms(truth: dict) -> list[dict]:
    """The arms of a truth record with their true KM corners (``km``: ``time`` and ``survival``
    lists, as :func:`benchmarks.digitize_scoring.score_curves` takes them), rebuilt from its IPD."""
    ipd, _ = load_source(truth["source"])
    corners = km_step_corners(ipd.assign(arm=ipd["arm"].astype(str)))
    return [{**arm, "km": {"time": corners.loc[corners["arm"] == arm["name"], "time"].tolist(),
                           "survival": corners.loc[corners["arm"] == arm["name"], "survival"].tolist()}}
            for arm in truth["arms"]]


def main(stems: list[str] | None = None) -> None:
    """Draw the figures (only those named in ``stems`` when given) into :data:`FOLDER`."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    truth_path = FOLDER / "truth.json"
    kept = json.loads(truth_path.read_text()) if stems and truth_path.exists() else []
    records = [record for record in kept if record["id"] not in (stems or [])]
    for stem, program, source, options, degradation in progress(
            [spec for spec in SPECS if not stems or spec[0] in stems], "drawing"):
        image, truth = make_figure(stem, program, source, options, degradation)
        save_image(image, FOLDER / truth["file"], degradation.get("jpeg"))
        records.append(truth)
    records.sort(key=lambda record: record["id"])
    truth_path.write_text(json.dumps(records, sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:] or None)
