"""The whole job, chaining the stages: figures -> curves -> IPD -> pooled results.

:func:`extract` turns one figure into IPD (``digitize`` then ``reconstruct``);
:func:`run` does it for every figure listed in a folder's manifest and pools
the studies with ``meta``. Both return result objects whose ``to_folder``
writers are kept apart from the computation, so the CLI can stage them.

The manifest, ``studies.csv`` in the figures folder, has one row a figure:

========== ======== ============================================================
column     required meaning
========== ======== ============================================================
figure     yes      image file, relative to the folder
study      yes      study label (the same study may have several outcomes)
outcome    yes      e.g. ``OS`` or ``PFS``; studies are pooled per outcome
arms       no       ``NAME=COLOUR,...``: which curve is which group (digitize's ``--arms``)
at_risk    no       at-risk CSV (``arm,time,n_risk``) relative to the folder
n          no       ``NAME=N,...``: arm sizes, when the figure prints no at-risk table
events     no       ``NAME=N,...``: published totals of events
panel      no       which plot of a multi-panel figure (0 = first)
x_range    no       ``A,B``: first and last x tick values, when OCR cannot read them
y_range    no       ``A,B``: the same for the y axis
========== ======== ============================================================

An optional ``analysis.json`` beside it sets ``treatment``, ``control``,
``milestones`` and ``tau`` for the pooling; command-line options win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from digitize import DigitizationResult, digitize  # noqa: E402
from digitize.diagnosis import Findings  # noqa: E402
from kmipd.errors import InputError, input_source  # noqa: E402
from kmipd.options import parse_counts, parse_range  # noqa: E402
from kmipd.progress import progress  # noqa: E402
from kmipd.tables import AT_RISK, read_table  # noqa: E402
from meta import analyse  # noqa: E402
from meta.result import MetaResult  # noqa: E402
from reconstruct import Reconstruction, reconstruct  # noqa: E402
from reconstruct.at_risk import AtRiskTableError  # noqa: E402
from reconstruct.plot import plot_reconstruction  # noqa: E402

MANIFEST = "studies.csv"
ANALYSIS = "analysis.json"
REQUIRED_COLUMNS = ("figure", "study", "outcome")
OPTIONAL_COLUMNS = ("arms", "at_risk", "n", "events", "panel", "x_range", "y_range")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: Warn when a reconstructed KM runs farther than this many line widths from its trace, on average.
FIT_WARNING_LINE_WIDTHS = 2.0


@dataclass
class Extraction:
    """One figure read into curves and reconstructed into IPD.

    Attributes
    ----------
    digitization : DigitizationResult
        Curves, censor marks, calibration and quality of the figure.
    at_risk : pandas.DataFrame
        The at-risk table used (given, or read from the figure; may be empty).
    reconstruction : Reconstruction
        The IPD of every arm and its fit diagnostics.
    """

    digitization: DigitizationResult
    at_risk: pd.DataFrame
    reconstruction: Reconstruction

    @property
    def ipd(self) -> pd.DataFrame:
        """``arm, time, event``: one row a reconstructed patient."""
        return self.reconstruction.ipd

    def to_folder(self, folder: str | Path) -> None:
        """Write digitize's files, ``at_risk.csv``, ``ipd.csv`` and ``reconstruction.png``."""
        folder = Path(folder)
        self.digitization.to_folder(folder)
        if len(self.at_risk):
            self.at_risk.to_csv(folder / "at_risk.csv", index=False)
        self.ipd.to_csv(folder / "ipd.csv", index=False, float_format="%.6g")
        figure = plot_reconstruction(self.reconstruction)
        figure.savefig(folder / "reconstruction.png", dpi=120, metadata={"Software": None})
        plt.close(figure)


def extract(figure, *, at_risk: pd.DataFrame | None = None, n_total: dict | None = None,
            total_events: dict | None = None, **figure_options) -> Extraction:
    """Digitize a KM figure and reconstruct the IPD of its arms.

    A numbers-at-risk table read from the figure is checked like a typed one;
    when it contradicts itself or the curve (journals do print such tables),
    it is set aside with a warning and the arm sizes ``n_total`` are used
    instead, or, without them, the job stops and says what to give.

    Parameters
    ----------
    figure : str, Path or ndarray
        The figure (see :func:`digitize.digitize`).
    at_risk : pandas.DataFrame, optional
        ``arm, time, n_risk``, typed from the paper; by default the table read
        from the figure, if any.
    n_total, total_events : dict of str -> int, optional
        Per-arm sizes and published totals of events (see :func:`reconstruct.reconstruct`).
    **figure_options
        ``arms``, ``x_range``, ``y_range``, ``x_ticks``, ``y_ticks``, ``panel``:
        how to read the figure (see :func:`digitize.digitize`).

    Returns
    -------
    Extraction

    Raises
    ------
    InputError
        When the figure cannot be read, or the at-risk table or counts do not fit the curves.
    """
    digitization = digitize(figure, **figure_options)
    try:
        at_risk, reconstruction = _reconstruct_digitized(digitization, at_risk, n_total, total_events)
    except InputError as error:
        error.findings = Findings.from_result(digitization, error)  # what --explain shows
        raise
    digitization.warnings.extend(fit_warnings(digitization, reconstruction))
    return Extraction(digitization, at_risk, reconstruction)


def _reconstruct_digitized(digitization: DigitizationResult, at_risk: pd.DataFrame | None, n_total: dict | None,
                           total_events: dict | None) -> tuple[pd.DataFrame, Reconstruction]:
    """The at-risk table used and the reconstruction of a digitized figure (see :func:`extract`)."""
    table_read = at_risk is None
    at_risk = (digitization.at_risk if table_read else at_risk).reset_index(drop=True)

    def rebuild(table: pd.DataFrame) -> Reconstruction:
        return reconstruct(digitization.curves, table if len(table) else None, n_total=n_total,
                           total_events=total_events, censor_marks=digitization.censor_marks,
                           **digitization.reading_errors)

    try:
        reconstruction = rebuild(at_risk)
    except AtRiskTableError as error:
        if not (table_read and len(at_risk)):
            raise
        if not n_total:
            raise InputError(f"the numbers-at-risk table read from the figure cannot be right "
                             f"({error.message}); type it into an at-risk CSV, or give the arm sizes") from None
        digitization.warnings.append(f"numbers-at-risk table read from the figure set aside: {error.message}")
        at_risk = at_risk.iloc[0:0]
        reconstruction = rebuild(at_risk)
    return at_risk, reconstruction


def fit_warnings(digitization: DigitizationResult, reconstruction: Reconstruction) -> list[str]:
    """A warning for each arm whose reconstructed KM runs farther from its digitized curve, on
    average, than :data:`FIT_WARNING_LINE_WIDTHS` widths of the line it was traced from.

    The trace lies within the drawn line, its levels read to a quarter of a
    pixel, and a KM of whole patients can follow it to within its own steps:
    on the benchmark corpus, reconstructed with the true numbers at risk, no
    arm's KM keeps farther than about one line width from its trace on
    average. Farther means the numbers at risk, N or events given do not fit
    the curve (or the curve was read wrong), and the IPD is not the figure's.
    """
    warnings = []
    survival_per_px = abs(digitization.calibration.y.slope)
    widths = dict(zip(digitization.arms["arm"], digitization.arms["line_width_px"]))
    for arm, result in reconstruction.arms.items():
        allowed = FIT_WARNING_LINE_WIDTHS * max(widths.get(arm, 1.0), 1.0) * survival_per_px
        if result.mean_abs_error > allowed:
            warnings.append(f"arm {arm}: the reconstructed KM runs {result.mean_abs_error:.3f} on average from the "
                            f"digitized curve, more than {FIT_WARNING_LINE_WIDTHS:g} line widths ({allowed:.3f}): "
                            f"the numbers at risk or N do not fit the curve; check reconstruction.png")
    return warnings


@dataclass
class FigureEntry:
    """One row of the manifest, with its options parsed."""

    figure: Path
    study: str
    outcome: str
    options: dict = field(default_factory=dict)
    at_risk: Path | None = None

    @property
    def name(self) -> str:
        """Folder name for this figure's outputs."""
        safe = "".join(c if c.isalnum() or c in "-+." else "_" for c in f"{self.study}_{self.outcome}")
        return safe.strip("_")


def read_manifest(folder: str | Path) -> list[FigureEntry]:
    """The figures of ``folder`` from its ``studies.csv`` (see the module docstring).

    Raises
    ------
    InputError
        Naming the manifest and line of any problem.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError("not a folder", source=folder)
    if not path.is_file():
        images = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        hint = f" (it holds {len(images)} image(s))" if images else ""
        raise InputError(f"no {MANIFEST} listing figure,study,outcome{hint}", source=folder)
    table = read_table(path, {column: "text" for column in REQUIRED_COLUMNS},
                       optional={column: "text or blank" for column in OPTIONAL_COLUMNS}, strict=True)
    entries = []
    for line, row in enumerate(table.to_dict(orient="records"), start=2):
        with input_source(path):
            try:
                entries.append(_entry(folder, row))
            except InputError as error:
                raise InputError(f"line {line}: {error.message}", source=error.source) from None
    names = [entry.name for entry in entries]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(f"study and outcome repeated: {', '.join(duplicated)}", source=path)
    return entries


def _entry(folder: Path, row: dict) -> FigureEntry:
    """One manifest row (required cells already checked non-empty) as a :class:`FigureEntry`."""
    figure = folder / row["figure"]
    if not figure.is_file():
        raise InputError(f"figure {row['figure']} not found")
    options = {}
    if row.get("arms"):
        options["arms"] = row["arms"]
    if row.get("n"):
        options["n_total"] = parse_counts(row["n"])
    if row.get("events"):
        options["total_events"] = parse_counts(row["events"])
    if row.get("panel"):
        if not row["panel"].isdigit():
            raise InputError(f"panel must be 0, 1, ..., got '{row['panel']}'")
        options["panel"] = int(row["panel"])
    for axis in ("x_range", "y_range"):
        if row.get(axis):
            options[axis] = parse_range(row[axis])
    at_risk = None
    if row.get("at_risk"):
        at_risk = folder / row["at_risk"]
        if not at_risk.is_file():
            raise InputError(f"at-risk table {row['at_risk']} not found")
    return FigureEntry(figure, row["study"], row["outcome"], options, at_risk)


def read_analysis(folder: str | Path) -> dict:
    """The pooling settings of ``folder/analysis.json`` (empty when there is none)."""
    path = Path(folder) / ANALYSIS
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid JSON ({error})", source=path) from None
    allowed = {"treatment", "control", "milestones", "tau"}
    if not isinstance(settings, dict) or set(settings) - allowed:
        raise InputError(f"must be an object with keys among {', '.join(sorted(allowed))}", source=path)
    return settings


@dataclass
class RunResult:
    """The whole job over a folder of figures.

    Attributes
    ----------
    extractions : dict
        Figure output name (``study_outcome``) -> :class:`Extraction`.
    ipd : pandas.DataFrame
        ``study, arm, time, event, outcome``: the pooled input of ``meta``.
    summary : pandas.DataFrame
        One row per study, outcome and arm: N, events, censored, fit to the
        digitized curve, digitization warnings.
    meta : MetaResult
        Per-study and pooled results.
    input_files : list of Path
        The manifest, the settings and every figure and table it names.
    """

    extractions: dict
    ipd: pd.DataFrame
    summary: pd.DataFrame
    meta: MetaResult
    input_files: list

    def to_folder(self, folder: str | Path) -> None:
        """Write ``figures/<study_outcome>/...``, ``ipd.csv``, ``summary.csv`` and ``meta/...``."""
        folder = Path(folder)
        for name, extraction in self.extractions.items():
            extraction.to_folder(folder / "figures" / name)
        self.ipd.to_csv(folder / "ipd.csv", index=False, float_format="%.6g")
        self.summary.to_csv(folder / "summary.csv", index=False, float_format="%.6g")
        self.meta.to_folder(folder / "meta")


def run(folder: str | Path, *, treatment: str | None = None, control: str | None = None,
        milestones=None, tau: float | None = None, show_progress: bool = True) -> RunResult:
    """Extract every figure listed in ``folder/studies.csv`` and pool the studies.

    Parameters
    ----------
    folder : str or Path
        A folder with the figures, ``studies.csv`` and optionally ``analysis.json``.
    treatment, control : str, optional
        The groups compared; by default from ``analysis.json``.
    milestones : sequence of float, optional
        Times for milestone survival; by default from ``analysis.json``.
    tau : float, optional
        RMST truncation time; by default from ``analysis.json``, else meta's default.
    show_progress : bool
        Print a progress line per figure on standard error.

    Returns
    -------
    RunResult
    """
    entries = read_manifest(folder)
    settings = read_analysis(folder)
    treatment = treatment or settings.get("treatment")
    control = control or settings.get("control")
    if not treatment or not control:
        raise InputError(f"say which groups to compare: --treatment and --control, or {ANALYSIS}", source=folder)
    milestones = settings.get("milestones", []) if milestones is None else milestones
    tau = settings.get("tau") if tau is None else tau

    extractions, ipd_parts, summary_parts = {}, [], []
    items = progress(entries, "extracting figures") if show_progress else entries
    for entry in items:
        at_risk = read_table(entry.at_risk, AT_RISK) if entry.at_risk else None
        with input_source(entry.figure):
            extraction = extract(entry.figure, at_risk=at_risk, **entry.options)
        extractions[entry.name] = extraction
        ipd_parts.append(extraction.ipd.assign(study=entry.study, outcome=entry.outcome))
        summary_parts.append(extraction.reconstruction.summary.assign(
            study=entry.study, outcome=entry.outcome,
            warnings=" | ".join(extraction.digitization.warnings)))
    ipd = pd.concat(ipd_parts, ignore_index=True)[["study", "arm", "time", "event", "outcome"]]
    summary = pd.concat(summary_parts, ignore_index=True)
    summary = summary[["study", "outcome"] + [c for c in summary.columns if c not in ("study", "outcome")]]
    with input_source(Path(folder) / MANIFEST):
        pooled = analyse(ipd, treatment=treatment, control=control, tau=tau, milestones=milestones)
    folder = Path(folder)
    named = [path for entry in entries for path in (entry.figure, entry.at_risk) if path is not None]
    return RunResult(extractions, ipd, summary, pooled, [folder / MANIFEST, folder / ANALYSIS, *named])
