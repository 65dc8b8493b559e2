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
# rows in the arms' colours) | mtext_black, style, at-risk step (months), and optionally a look:
# small (600 px at 72 dpi), a survminer palette (lancet, jco), bw (black and grey40), dashed, boxed.
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
  list("base_nolegend_black_ovarian", "ovarian", "rx", "Arm A,Arm B", "none", "", "mtext_black", "base", 6),
  list("sm_lancet_small_strata_lung", "lung", "sex", NA, "top", "Strata", "none", "survminer", 6, "small lancet"),
  list("sm_jco_small_inside_vet", "veteran", "trt", "Standard,Test", "inside", "", "none", "survminer", 6, "small jco"),
  list("base_bw_dashed_lung", "lung", "sex", "Male,Female", "topright", "", "none", "base", 6, "bw dashed"),
  list("base_bw_boxed_lung", "lung", "sex", "Male,Female", "bottomleft", "", "none", "base", 6, "bw boxed")
)

for (spec in specs) {
  if (length(spec) == 9) spec[[10]] <- ""
  names(spec) <- c("id", "data", "group", "labs", "position", "title", "table", "style", "step", "look")
  look <- strsplit(spec$look, " ")[[1]]
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
  small <- "small" %in% look
  png(file.path(out_dir, paste0(spec$id, ".png")), width = if (small) 600 else 900,
      height = (if (small) 450 else 600) + (if (spec$table == "none") 0 else 120), res = if (small) 72 else 110,
      type = "cairo")
  if (spec$style == "survminer") {
    position <- if (spec$position == "inside") c(0.8, 0.85) else spec$position
    args <- list(fit, data = data, legend = position, legend.title = spec$title,
                 break.time.by = spec$step, xlab = "Time (months)", risk.table = spec$table != "none",
                 risk.table.y.text = spec$table != "bars", tables.height = 0.25,
                 tables.theme = theme_cleantable(), risk.table.title = "Number at risk")
    if (!is.null(labs)) args$legend.labs <- labs
    if (spec$table != "black") args$risk.table.col <- "strata"
    if (single) args$palette <- "#2E9FDF"
    palette <- intersect(look, c("lancet", "jco"))
    if (length(palette)) args$palette <- palette
    print(do.call(ggsurvplot, args))
  } else {
    colours <- (if ("bw" %in% look) c("black", "grey40") else c("#D7191C", "#2B83BA", "#1A9641"))[seq_along(printed)]
    lty <- if ("dashed" %in% look) seq_along(printed) else 1
    par(las = 1, mar = c(if (startsWith(spec$table, "mtext")) 8 else 5, 7, 2, 2))
    plot(fit, col = colours, lty = lty, lwd = 2, mark.time = TRUE, xlab = "Time (months)",
         ylab = "Survival probability", xaxt = "n")
    axis(1, at = breaks)
    if (spec$position != "none")
      legend(spec$position, legend = printed, col = colours, lty = lty, lwd = 2, bty = if ("boxed" %in% look) "o" else "n")
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
                legend_position = spec$position, legend_title = spec$title, table = spec$table, look = spec$look,
                arms = arms)
  write_json(truth, file.path(out_dir, paste0(spec$id, ".json")), auto_unbox = TRUE, pretty = TRUE, digits = NA)
}

# Black-and-grey base R figures with R's default axes and a boxed legend (the text's ink is the
# black arm's; the grey arm's swatch sits beside black text), solid or dashed, small and large.
lung_fit <- survfit(Surv(time, status) ~ sex, data = lung2)
for (size in list(c(600, 450, 72), c(1200, 900, 150))) for (dashed in c(FALSE, TRUE)) {
  id <- sprintf("base_bw_%s_%d", if (dashed) "dashed" else "solid", size[1])
  lty <- if (dashed) 1:2 else 1
  png(file.path(out_dir, paste0(id, ".png")), width = size[1], height = size[2], res = size[3], type = "cairo")
  plot(lung_fit, col = c("black", "grey40"), lty = lty, lwd = 2, mark.time = TRUE)
  legend("topright", c("Male", "Female"), col = c("black", "grey40"), lty = lty, lwd = 2)
  invisible(dev.off())
  arms <- lapply(1:2, function(k) list(legend = c("Male", "Female")[k], n = lung_fit$n[k]))
  write_json(list(id = id, program = "R base graphics", data = "R survival::lung by sex", legend_position = "topright",
                  legend_title = "", table = "none", look = paste("bw boxed", if (dashed) "dashed" else ""),
                  arms = arms), file.path(out_dir, paste0(id, ".json")), auto_unbox = TRUE, pretty = TRUE, digits = NA)
}
