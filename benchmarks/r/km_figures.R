# Real R Kaplan-Meier figures for kmipd's digitizer corpus (survminer and base graphics).
#
# Run by `python -m benchmarks.make_digitize_corpus` when Rscript is installed; the images are
# committed, so nothing in kmipd needs R. Usage:
#   Rscript km_figures.R IPD.csv OUT.png LOOK WIDTH HEIGHT RES XLAB COLOURS PERCENT CENSOR BANDS TABLE
# IPD.csv has columns arm,time,event (arms in drawing order); LOOK is survminer, survminer_grey,
# base or base_boxed; COLOURS is a comma-separated list of hex codes; the last four are 0 or 1.
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
})
args <- commandArgs(trailingOnly = TRUE)
ipd <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]; look <- args[3]
width <- as.integer(args[4]); height <- as.integer(args[5]); res <- as.integer(args[6])
xlab <- args[7]; colours <- strsplit(args[8], ",")[[1]]
percent <- args[9] == "1"; censor <- args[10] == "1"; bands <- args[11] == "1"
table <- args[12] == "1"

ipd$arm <- factor(ipd$arm, levels = unique(ipd$arm))
arms <- levels(ipd$arm)
fit <- survfit(Surv(time, event) ~ arm, data = ipd)
if (length(arms) == 1) fit <- survfit(Surv(time, event) ~ 1, data = ipd)
colours <- colours[seq_along(arms)]

png(out, width = width, height = height, res = res, type = "cairo")
if (startsWith(look, "survminer")) {
  theme <- if (look == "survminer_grey") theme_grey() else theme_survminer()
  plot <- ggsurvplot(fit, data = ipd, palette = colours, legend.labs = arms,
                     legend.title = "", conf.int = bands, censor = censor,
                     risk.table = table, risk.table.col = "strata", tables.height = 0.25,
                     fun = if (percent) "pct" else NULL, xlab = xlab,
                     ylab = if (percent) "Survival (%)" else "Survival probability",
                     ggtheme = theme, tables.theme = theme_cleantable())
  print(plot)
} else {
  par(las = 1, bty = if (look == "base_boxed") "o" else "l")
  plot(fit, col = colours, lwd = 2, mark.time = censor, mark = 3, conf.int = bands,
       xlab = xlab, ylab = if (percent) "Survival (%)" else "Survival probability",
       yscale = if (percent) 100 else 1)
  if (length(arms) > 1) legend("topright", legend = arms, col = colours, lwd = 2, bty = "n")
}
invisible(dev.off())
