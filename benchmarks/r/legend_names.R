# Kaplan-Meier figures as R prints their legends and at-risk row names, for the arm-naming
# measure (benchmarks/legend_names.py) and tests/data/world/names.
#
# Usage: Rscript legend_names.R OUT_DIR
# Draws every figure of `specs` below from R's own survival datasets with survminer 0.4.9
# (ggsurvplot: legend top/right/bottom/inside, legend title "Strata" or none, strata= prefixes
# or legend.labs, risk tables named by text or by colour bars) and base graphics (legend(),
# an mtext at-risk block), and writes OUT_DIR/<id>.png with OUT_DIR/<id>.json: the legend
# names as printed, the arm sizes and the numbers at risk at the table's times, in legend order.
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
  library(jsonlite)
})
out_dir <- commandArgs(trailingOnly = TRUE)[1]

lung2 <- within(survival::lung, {
  time <- time / 30.44; status <- status - 1
  sex <- factor(sex, 1:2, c("Male", "Female"))
  ecog <- factor(pmin(ph.ecog, 2), 0:2, c("ECOG 0", "ECOG 1", "ECOG 2+"))
})
lung2 <- lung2[!is.na(lung2$ecog), ]
colon2 <- within(subset(survival::colon, etype == 2), {
  time <- time / 365.25
  rx <- factor(rx, c("Obs", "Lev", "Lev+5FU"), c("Observation", "Levamisole", "Lev+5FU"))
})
vet2 <- within(survival::veteran, {
  time <- time / 30.44
  trt <- factor(trt, 1:2, c("Standard", "Test"))
})
ovarian2 <- within(survival::ovarian, {
  time <- futime / 30.44; status <- fustat
  rx <- factor(rx, 1:2, c("Treatment A", "Treatment B"))
})
data_sets <- list(lung = lung2, colon = colon2, veteran = vet2, ovarian = ovarian2)

# id, data, group (NA = one arm), legend.labs (NA = survminer's strata= names), legend position,
# legend title, table: none | names (coloured row names) | bars (colour bars) | black | mtext (base R,
# rows in the arms' colours) | mtext_black, style, at-risk step (months).
specs <- list(
  list("sm_top_strata_lung", "lung", "sex", NA, "top", "Strata", "names", "survminer", 6),
  list("sm_top_labs_lung", "lung", "sex", "Male,Female", "top", "", "names", "survminer", 6),
  list("sm_right_strata_colon", "colon", "rx", NA, "right", "Strata", "names", "survminer", 2),
  list("sm_bottom_labs_colon", "colon", "rx", "Observation,Levamisole,Lev+5FU", "bottom", "Treatment", "names", "survminer", 2),
  list("sm_inside_labs_vet", "veteran", "trt", "Standard,Test", "inside", "", "names", "survminer", 6),
  list("sm_bars_labs_ovarian", "ovarian", "rx", "Treatment A,Treatment B", "top", "", "bars", "survminer", 6),
  list("sm_bars_strata_lung3", "lung", "ecog", NA, "top", "Strata", "bars", "survminer", 6),
  list("sm_black_labs_lung3", "lung", "ecog", "ECOG 0,ECOG 1,ECOG 2+", "right", "strata", "black", "survminer", 6),
  list("sm_single_lung", "lung", NA, "All patients", "top", "", "names", "survminer", 6),
  list("sm_single_notable_vet", "veteran", NA, "Veterans", "none", "", "none", "survminer", 6),
  list("sm_notable_strata_vet", "veteran", "trt", NA, "top", "Strata", "none", "survminer", 6),
  list("sm_inside_labs_colon", "colon", "rx", "Observation,Levamisole,Lev+5FU", "inside", "", "none", "survminer", 2),
  list("base_topright_lung", "lung", "sex", "Male (n=138),Female (n=90)", "topright", "", "none", "base", 6),
  list("base_bottomleft_colon", "colon", "rx", "Observation,Levamisole,Lev+5FU", "bottomleft", "", "mtext", "base", 2),
  list("base_topright_ovarian", "ovarian", "rx", "Treatment A,Treatment B", "topright", "", "mtext", "base", 6),
  list("base_stats_vet", "veteran", "trt", "Standard, median 3.3 mo,Test, median 3.2 mo", "topright", "", "none", "base", 6),
  list("sm_single_rowlabel_lung", "lung", NA, "Arm A", "none", "", "names", "survminer", 6),
  list("base_nolegend_black_ovarian", "ovarian", "rx", "Arm A,Arm B", "none", "", "mtext_black", "base", 6)
)

for (spec in specs) {
  names(spec) <- c("id", "data", "group", "labs", "position", "title", "table", "style", "step")
  data <- data_sets[[spec$data]]
  single <- is.na(spec$group)
  if (single) {
    data$arm <- factor(rep("all", nrow(data)))
    fit <- survfit(Surv(time, status) ~ 1, data = data)
  } else {
    data$arm <- data[[spec$group]]
    fit <- eval(substitute(survfit(Surv(time, status) ~ arm, data = data)))
  }
  labs <- if (is.na(spec$labs)) NULL else strsplit(spec$labs, ",(?! )", perl = TRUE)[[1]]
  printed <- if (!is.null(labs)) labs else if (single) "All" else paste0("arm=", levels(data$arm))
  breaks <- seq(0, max(data$time), by = spec$step)
  at_risk <- summary(fit, times = breaks, extend = TRUE)
  strata <- if (single) rep(1, length(at_risk$time)) else as.integer(at_risk$strata)
  png(file.path(out_dir, paste0(spec$id, ".png")), width = 900, height = if (spec$table == "none") 600 else 720,
      res = 110, type = "cairo")
  if (spec$style == "survminer") {
    position <- if (spec$position == "inside") c(0.8, 0.85) else spec$position
    args <- list(fit, data = data, legend = position, legend.title = spec$title,
                 break.time.by = spec$step, xlab = "Time (months)", risk.table = spec$table != "none",
                 risk.table.y.text = spec$table != "bars", tables.height = 0.25,
                 tables.theme = theme_cleantable(), risk.table.title = "Number at risk")
    if (!is.null(labs)) args$legend.labs <- labs
    if (spec$table != "black") args$risk.table.col <- "strata"
    if (single) args$palette <- "#2E9FDF"
    print(do.call(ggsurvplot, args))
  } else {
    colours <- c("#D7191C", "#2B83BA", "#1A9641")[seq_along(printed)]
    par(las = 1, mar = c(if (startsWith(spec$table, "mtext")) 8 else 5, 7, 2, 2))
    plot(fit, col = colours, lwd = 2, mark.time = TRUE, xlab = "Time (months)", ylab = "Survival probability",
         xaxt = "n")
    axis(1, at = breaks)
    if (spec$position != "none") legend(spec$position, legend = printed, col = colours, lwd = 2, bty = "n")
    if (startsWith(spec$table, "mtext")) {
      text_colours <- if (spec$table == "mtext_black") rep("black", length(printed)) else colours
      mtext("Number at risk", side = 1, line = 4, adj = 0, at = -0.12 * max(breaks), cex = 0.8)
      for (k in seq_along(printed)) {
        counts <- at_risk$n.risk[strata == k]
        mtext(printed[k], side = 1, line = 4 + k, at = -0.05 * max(breaks), adj = 1, col = text_colours[k], cex = 0.8)
        mtext(counts, side = 1, line = 4 + k, at = breaks[seq_along(counts)], col = text_colours[k], cex = 0.8)
      }
    }
  }
  invisible(dev.off())
  arms <- lapply(seq_along(printed), function(k) list(
    legend = printed[k], n = fit$n[k],
    at_risk = list(time = at_risk$time[strata == k], n_risk = at_risk$n.risk[strata == k])))
  truth <- list(id = spec$id, program = if (spec$style == "base") "R base graphics" else "R survminer 0.4.9",
                data = paste0("R survival::", spec$data, if (single) "" else paste0(" by ", spec$group)),
                legend_position = spec$position, legend_title = spec$title, table = spec$table, arms = arms)
  write_json(truth, file.path(out_dir, paste0(spec$id, ".json")), auto_unbox = TRUE, pretty = TRUE, digits = NA)
}
