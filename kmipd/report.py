"""``report.html``: the whole job on one self-contained page a reviewer can read top to bottom.

Built from a :class:`kmipd.pipeline.RunResult` after its files are written
(the figures are embedded from those files, so nothing is drawn twice):
every warning in one place, the characteristics and results of the included
studies, per outcome the per-study table, forest plots and pooled curves,
per figure the original beside the overlay of what was read, the
reconstruction over the digitized points and the numbers at risk printed vs
reconstructed, and the methods in words with references.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from kmipd import __version__
from meta.pooling import MODEL_LABELS
from meta.result import printed_time

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.pair{display:flex;gap:1em;flex-wrap:wrap}.pair figure{flex:1;min-width:320px;margin:0}
img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;color:#555}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.4em .8em}.ok{color:#2a7a2a}
"""


def not_reached(value: float, digits: int = 2) -> str:
    """A time or estimate as printed; NR for "not reached" (an infinite bound), – for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "NR"
    return f"{value:.{digits}f}"


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = "jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix.lower().lstrip(".")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/{kind};base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _bounds(low, high, digits: int = 2) -> str:
    return f"[{not_reached(low, digits)}, {not_reached(high, digits)}]"


def _interval(estimate, low, high, digits: int = 2) -> str:
    return f"{not_reached(estimate, digits)} {_bounds(low, high, digits)}"


def _characteristics(run) -> str:
    """One row per study and outcome: both arms' N and events, medians, HR (reconstructed)."""
    meta = run.meta
    rows = []
    for row in meta.per_study.itertuples():
        rows.append({
            "study": row.study, "outcome": row.outcome,
            f"{meta.treatment} N / events": f"{row.n_treatment} / {row.events_treatment}",
            f"{meta.control} N / events": f"{row.n_control} / {row.events_control}",
            f"median {meta.treatment} [95% CI]": _interval(row.median_treatment, row.median_treatment_ci_low,
                                                          row.median_treatment_ci_high),
            f"median {meta.control} [95% CI]": _interval(row.median_control, row.median_control_ci_low,
                                                        row.median_control_ci_high),
            "HR [95% CI]": _interval(row.hr, row.hr_ci_low, row.hr_ci_high),
            "note": row.note if isinstance(row.note, str) else "",
        })
    return _table(pd.DataFrame(rows))


def _published(run) -> str:
    if not len(run.published):
        return ("<p>No published values given: add <code>published_hr</code>, <code>published_median</code>, "
                "<code>events</code> or <code>n</code> to studies.csv to check the reconstruction against the paper.</p>")
    # Counts (N, events) as whole numbers, the rest (HR, medians) to three decimals.
    digits = run.published["quantity"].isin(["N", "events"]).map({True: 0, False: 3})
    shown = run.published.assign(
        **{column: [not_reached(value, places) for value, places in zip(run.published[column], digits)]
           for column in ("published", "reconstructed", "difference")},
        agrees=run.published["agrees"].map({True: "yes", False: "NO"}))
    return ("<p>Differences are reconstructed minus published (for the hazard ratio, of log HR).</p>"
            + _table(shown.rename(columns={"agrees": "agrees?"})))


def _pooled(run, outcome: str) -> str:
    pooled = run.meta.pooled
    chosen = pooled[(pooled["outcome"] == outcome) & pooled["default"].eq(True)]
    rows = []
    for row in chosen.itertuples():
        if row.measure == "log_hr":
            what, value = "hazard ratio", _interval(row.hr, row.hr_ci_low, row.hr_ci_high)
            prediction = _bounds(row.hr_pi_low, row.hr_pi_high)
        else:
            what = row.measure.replace("_", " ") + (f" at {row.milestone:g}" if row.measure == "survival_difference" else "")
            value = _interval(row.estimate, row.ci_low, row.ci_high, 3)
            prediction = _bounds(row.pi_low, row.pi_high, 3)
        rows.append({"measure": what, "k": row.k, "pooled [95% CI]": value, "prediction interval": prediction,
                     "p": f"{row.p_value:.3g}", "I² (%)": f"{row.i2:.0f}", "τ²": f"{row.tau2:.3g}",
                     "note": row.note if isinstance(row.note, str) else ""})
    return _table(pd.DataFrame(rows)) if rows else "<p>Nothing pooled for this outcome.</p>"


def _figure_section(name: str, extraction, source: Path | None, folder: Path) -> str:
    parts = [f'<h3 id="{html.escape(name)}">{html.escape(name)}</h3>']
    parts.append("".join(f'<p class="warn">{html.escape(w)}</p>' for w in extraction.warnings)
                 or '<p class="ok">No warning.</p>')
    if source is None:
        parts.append("<p>Curves digitized by hand (no figure given): reconstructed from the points given.</p>")
    else:
        parts.append('<div class="pair">' + _image(source, f"the figure as published ({source.name})")
                     + _image(folder / "overlay.png", "what was read: calibrated axes, traced curves, censor marks")
                     + "</div>")
    parts.append(_image(folder / "reconstruction.png", "reconstructed KM (IPD) over the digitized points"))
    summary = extraction.reconstruction.summary
    table = summary[["arm", "n", "events", "censored", "max_abs_dS", "at_risk_published", "at_risk_reconstructed"]]
    parts.append(_table(table.assign(max_abs_dS=table["max_abs_dS"].map(lambda v: f"{v:.4f}"))
                        .rename(columns={"max_abs_dS": "max |ΔS|", "at_risk_published": "at risk, printed",
                                         "at_risk_reconstructed": "at risk, reconstructed"})))
    return "".join(parts)


#: The CI methods in words, with metafor's name for each.
_CI_IN_WORDS = {
    "wald": 'the Wald (normal) CI, as metafor\'s <code>rma(test = "z")</code>',
    "hksj": 'the Hartung-Knapp-Sidik-Jonkman CI (Knapp and Hartung 2003), as metafor\'s <code>rma(test = "knha")</code>',
    "hksj_adhoc": ('the Hartung-Knapp-Sidik-Jonkman CI with the ad-hoc correction of its scaling factor to at least 1 '
                   '(Knapp and Hartung 2003), as metafor\'s <code>rma(test = "adhoc")</code>'),
}


def _pooling_in_words(model: str, ci_method: str) -> str:
    """The pooling model and CI method as the methods section says them."""
    if model == "common":
        return f"a common-effect (inverse-variance) model and {_CI_IN_WORDS[ci_method]}"
    return (f"a random-effects model, {MODEL_LABELS[model]} estimate of τ², and {_CI_IN_WORDS[ci_method]}; "
            "prediction intervals on t(k − 2)")


def _methods(run) -> str:
    meta = run.meta
    unit = f" {meta.time_unit}" if meta.time_unit else ""
    taus = ", ".join(f"{outcome or 'all'}: {printed_time(tau)}{unit}" for outcome, tau in meta.tau.items())
    return f"""
<p>Each Kaplan-Meier figure was digitized by kmipd {__version__}: the plot axes were found and
calibrated from the tick labels read by OCR (RapidOCR), the arms separated by colour and line type and
traced as step functions, censor marks located, and the numbers at risk printed under the figure read.
Individual patient data were reconstructed from the curves and the numbers at risk with the algorithm of
Guyot et al. (2012), extended so that the size of each drop pins down the number at risk there, with
censorings placed at the censor marks seen. Per study, the hazard ratio ({meta.treatment} vs
{meta.control}) was estimated by Cox regression (Efron ties), with the log-rank test, the
score test of proportional hazards (R's cox.zph), Kaplan-Meier medians with 95% CIs (log band, as R's
survfit), and the restricted mean survival time difference up to τ ({taus}; as survRM2). Log hazard ratios and RMST differences
were pooled with {_pooling_in_words(meta.model, meta.ci_method)}. One-stage models (Cox stratified by study, and gamma-frailty Cox) are
reported beside. All numbers of patients and events are <em>reconstructed</em>, not published.</p>
<p>References: Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival data:
reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol 2012;12:9.
Knapp G, Hartung J. Improved tests for a random effects meta-regression with a single covariate. Stat Med
2003;22:2693-2710. IntHout J, Ioannidis JP, Borm GF. The Hartung-Knapp-Sidik-Jonkman method for random
effects meta-analysis is straightforward and considerably outperforms the standard DerSimonian-Laird
method. BMC Med Res Methodol 2014;14:25. Viechtbauer W. Conducting meta-analyses in R with the metafor
package. J Stat Softw 2010;36(3):1-48. Royston P, Parmar MK. Restricted mean survival time: an alternative
to the hazard ratio. BMC Med Res Methodol 2013;13:152.</p>"""


def render_report(run, folder: str | Path) -> str:
    """The HTML of ``report.html`` for ``run``, whose files are already written in ``folder``.

    Parameters
    ----------
    run : kmipd.pipeline.RunResult
        The job.
    folder : str or Path
        Where ``run.to_folder`` wrote its files (figures are embedded from there).

    Returns
    -------
    str
        A complete, self-contained HTML document (images inline).
    """
    folder = Path(folder)
    meta = run.meta
    warnings = run.warnings
    body = [f"<h1>kmipd report: {html.escape(meta.treatment)} vs {html.escape(meta.control)}</h1>",
            f"<p>{len(run.extractions)} figures of {len(set(meta.per_study['study']))} studies; kmipd "
            f"{__version__}; times in {html.escape(meta.time_unit or 'the figures’ own unit')}. "
            "Every number of patients and events below is reconstructed from the published figures.</p>",
            "<h2>Warnings</h2>",
            "".join(f'<p class="warn">{html.escape(w)}</p>' for w in warnings) or '<p class="ok">No warning.</p>',
            "<h2>Characteristics and results of included studies</h2>", _characteristics(run),
            "<h2>Reconstructed vs published</h2>", _published(run)]
    for outcome in meta.outcomes:
        tag = meta.file_suffix(outcome)
        body.append(f"<h2>Outcome {html.escape(outcome) if outcome else ''}: pooled results</h2>")
        body.append(_pooled(run, outcome))
        for stem, caption in (("forest_hr", "forest plot, hazard ratio"), ("forest_rmst", "forest plot, RMST difference"),
                              ("pooled_km", "pooled survival per arm")):
            path = folder / "meta" / f"{stem}{tag}.png"
            if path.is_file():
                body.append(_image(path, caption))
    body.append("<h2>Figures: what was read and reconstructed</h2>")
    for name, extraction in run.extractions.items():
        body.append(_figure_section(name, extraction, run.sources[name], folder / "figures" / name))
    body.append("<h2>Methods</h2>" + _methods(run))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kmipd report</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n")
