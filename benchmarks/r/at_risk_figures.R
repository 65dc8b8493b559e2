# Kaplan-Meier figures with numbers-at-risk tables in the layouts R prints, for the at-risk reader.
#
# Usage: Rscript benchmarks/r/at_risk_figures.R OUT_DIR
# Draws each figure with the real programs (survminer ggsurvplot, base plot(survfit) + mtext) from
# R's survival datasets and writes OUT_DIR/truth_r.json: per figure the numbers at risk as printed
# (from ggsurvplot's own table data, or summary(fit, times = breaks)$n.risk), the rows of any
# cumulative-events table, the legend names and how to rebuild the KM from the IPD.
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
})
args <- commandArgs(trailingOnly = TRUE)
out_dir <- args[1]

datasets <- list(
  lung_sex = list(data = within(lung, { group <- factor(sex, 1:2, c("Male", "Female")); status <- status - 1 }),
                  time = "time", event = "status", labs = c("Male", "Female"), by = 250),
  lung_ecog = list(data = within(subset(lung, !is.na(ph.ecog) & ph.ecog < 3),
                                 { group <- factor(ph.ecog, 0:2, c("ECOG 0", "ECOG 1", "ECOG 2")); status <- status - 1 }),
                   time = "time", event = "status", labs = c("ECOG 0", "ECOG 1", "ECOG 2"), by = 200),
  colon_rx = list(data = within(subset(colon, etype == 2), group <- factor(rx, c("Obs", "Lev", "Lev+5FU"),
                                                                            c("Observation", "Levamisole", "Lev + 5-FU"))),
                  time = "time", event = "status", labs = c("Observation", "Levamisole", "Lev + 5-FU"), by = 500),
  veteran_trt = list(data = within(veteran, group <- factor(trt, 1:2, c("Standard", "Test"))),
                     time = "time", event = "status", labs = c("Standard", "Test"), by = 100),
  pbc_trt = list(data = within(subset(pbc, !is.na(trt)), { group <- factor(trt, 1:2, c("D-penicillamine", "Placebo"));
                                                            status <- as.integer(status == 2) }),
                 time = "time", event = "status", labs = c("D-penicillamine", "Placebo"), by = 1000),
  ovarian_rx = list(data = within(ovarian, group <- factor(rx, 1:2, c("Arm A", "Arm B"))),
                    time = "futime", event = "fustat", labs = c("Arm A", "Arm B"), by = 200)
)

fit_of <- function(d) {
  df <- data.frame(time = d$data[[d$time]], event = d$data[[d$event]], group = d$data$group)
  list(df = df, fit = surv_fit(Surv(time, event) ~ group, data = df))
}

# Rows of a survminer table (risk or cumulative events) as printed: strata label, time, value.
table_rows <- function(tab, labs, column) {
  lapply(seq_along(labs), function(i) {
    rows <- tab[as.integer(tab$strata) == i, ]
    list(label = labs[i], time = rows$time, value = rows[[column]])
  })
}

records <- list()
add <- function(file, program, variant, key, d, at_risk, extra = list()) {
  records[[length(records) + 1]] <<- c(list(file = file, program = program, variant = variant, dataset = key,
                                          ipd = list(dataset = key, time = d$time, event = d$event),
                                          legend = d$labs, at_risk = at_risk), extra)
}

ggsurv <- function(file, key, variant, width, height, res, ...) {
  d <- datasets[[key]]; f <- fit_of(d)
  png(file.path(out_dir, file), width = width, height = height, res = res, type = "cairo")
  p <- ggsurvplot(f$fit, data = f$df, legend.labs = d$labs, legend.title = "", break.time.by = d$by,
                  xlab = "Time (days)", ...)
  print(p)
  invisible(dev.off())
  tab <- p$table$data
  extra <- list()
  if (!is.null(p$cumevents)) extra$cumevents <- table_rows(p$cumevents$data, d$labs, "cum.n.event")
  add(file, "survminer", variant, key, d, table_rows(tab, d$labs, "n.risk"), extra)
}

ggsurv("sm_default_lung_sex.png", "lung_sex", "risk.table=TRUE", 800, 700, 100, risk.table = TRUE)
ggsurv("sm_colour_lung_ecog.png", "lung_ecog", "risk.table.col=strata", 800, 750, 100,
       risk.table = TRUE, risk.table.col = "strata", palette = "jco")
ggsurv("sm_bars_colon_rx.png", "colon_rx", "risk.table.y.text=FALSE", 800, 750, 100,
       risk.table = TRUE, risk.table.col = "strata", risk.table.y.text = FALSE, palette = "lancet")
ggsurv("sm_bars_black_lung_sex.png", "lung_sex", "risk.table.y.text=FALSE, black counts", 800, 700, 100,
       risk.table = TRUE, risk.table.y.text = FALSE)
ggsurv("sm_clean_veteran.png", "veteran_trt", "theme_cleantable", 700, 650, 100,
       risk.table = TRUE, risk.table.col = "strata", tables.theme = theme_cleantable(), palette = "npg")
ggsurv("sm_title_pbc.png", "pbc_trt", "risk.table.title", 800, 700, 100,
       risk.table = TRUE, risk.table.title = "Patients at risk", tables.height = 0.3)
ggsurv("sm_cumevents_lung_sex.png", "lung_sex", "cumevents=TRUE", 800, 900, 100,
       risk.table = TRUE, cumevents = TRUE, risk.table.col = "strata", cumevents.col = "strata",
       tables.theme = theme_cleantable())
ggsurv("sm_cumcens_colon_rx.png", "colon_rx", "risk.table=nrisk_cumcensor", 900, 750, 100,
       risk.table = "nrisk_cumcensor", tables.theme = theme_cleantable(), palette = "jco")
ggsurv("sm_grey_ovarian.png", "ovarian_rx", "palette=grey, tables.height=0.35", 700, 700, 100,
       risk.table = TRUE, palette = "grey", tables.height = 0.35, fontsize = 5)
ggsurv("sm_small_veteran.jpg", "veteran_trt", "small JPEG", 560, 520, 80,
       risk.table = TRUE, risk.table.col = "strata", tables.theme = theme_cleantable())

# Base R: plot(survfit) with an mtext block of numbers at risk under the axis, as papers code it.
base_r <- function(file, key, width, height, res, cols, by = datasets[[key]]$by, label_at = -0.2) {
  d <- datasets[[key]]; f <- fit_of(d)
  breaks <- seq(0, max(f$df$time), by = by)
  n_risk <- summary(f$fit, times = breaks, extend = TRUE)
  png(file.path(out_dir, file), width = width, height = height, res = res, type = "cairo")
  par(mar = c(4 + 2 + length(d$labs), 4 - 20 * label_at, 2, 2), las = 1)
  plot(f$fit, col = cols, lwd = 2, xaxt = "n", xlab = "", ylab = "Survival probability", xlim = range(breaks))
  axis(1, at = breaks)
  mtext("Time (days)", side = 1, line = 2.2)
  mtext("Number at risk", side = 1, line = 3.6, adj = 0, at = label_at * max(breaks), font = 2)
  rows <- list()
  for (i in seq_along(d$labs)) {
    n <- n_risk$n.risk[as.integer(n_risk$strata) == i]
    mtext(n, side = 1, line = 3.6 + i, at = breaks, col = cols[i])
    mtext(d$labs[i], side = 1, line = 3.6 + i, at = label_at * max(breaks), adj = 0, col = cols[i])
    rows[[i]] <- list(label = d$labs[i], time = breaks, value = n)
  }
  legend("topright", legend = d$labs, col = cols, lwd = 2, bty = "n")
  invisible(dev.off())
  add(file, "base R", "mtext", key, d, rows)
}
base_r("base_mtext_veteran.png", "veteran_trt", 800, 650, 100, c("black", "red"))
base_r("base_mtext_lung_ecog.png", "lung_ecog", 800, 700, 100, c("darkblue", "darkorange", "darkgreen"))
# Large type: 3-digit counts a space apart, grouped into one word by the pixels.
base_r("base_mtext_colon_dense.png", "colon_rx", 1000, 950, 150, c("black", "black", "black"), by = 250,
       label_at = -0.3)

writeLines(jsonlite::toJSON(records, auto_unbox = TRUE, pretty = TRUE, digits = NA),
           file.path(out_dir, "truth_r.json"))
