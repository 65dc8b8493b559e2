# Kaplan-Meier figures drawn by R itself for the arm-finding cases of issue 9 (item 5): dashed
# colour arms, arms over their own confidence bands, dark palettes beside black, legend boxes
# and inset tables with rules. Run by `python -m benchmarks.make_arm_figures`; the images are
# committed, so nothing in kmipd needs R. Usage:
#   Rscript arm_figures.R IPD.csv OUT.png SPEC.json
# IPD.csv has columns arm,time,event (arms in drawing order). SPEC.json holds: program
# ("survminer" or "base"), width, height, res; for survminer: palette (a name such as "lancet",
# "default" for ggplot's hues, or a list of hex codes), conf_int, linetype_strata, censor,
# risk_table, legend ("top", "right", "none" or [x, y] inside); for base: col, lty, lwd,
# conf_int, mark_time, legend_box ("o" or "n"); for both: inset (an HR table printed inside
# the plot: a ruled table for survminer, a boxed legend() for base R).
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
ipd <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]
spec <- fromJSON(args[3])
opt <- function(name, default) if (is.null(spec[[name]])) default else spec[[name]]

ipd$arm <- factor(ipd$arm, levels = unique(ipd$arm))
arms <- levels(ipd$arm)
fit <- survfit(Surv(time, event) ~ arm, data = ipd)
hr_lines <- c("HR 0.72 (95% CI 0.55-0.94)", "Log-rank p = 0.016")

png(out, width = spec$width, height = spec$height, res = spec$res, type = "cairo")
if (spec$program == "survminer") {
  palette <- opt("palette", "default")
  if (identical(palette, "default")) palette <- NULL
  legend <- opt("legend", "top")
  plot <- ggsurvplot(fit, data = ipd, palette = palette, legend.labs = arms, legend.title = "",
                     conf.int = opt("conf_int", FALSE), censor = opt("censor", TRUE),
                     linetype = if (opt("linetype_strata", FALSE)) "strata" else 1,
                     size = opt("size", 1), legend = legend,
                     risk.table = opt("risk_table", FALSE), risk.table.col = "strata",
                     tables.height = 0.25, xlab = opt("xlab", "Time"),
                     ylab = "Survival probability", tables.theme = theme_cleantable())
  if (opt("inset", FALSE)) {
    # An HR table with rules above and below, as journals print one inside the plot.
    x0 <- 0.05 * max(ipd$time); x1 <- 0.55 * max(ipd$time)
    plot$plot <- plot$plot +
      annotate("segment", x = x0, xend = x1, y = c(0.32, 0.22, 0.06), yend = c(0.32, 0.22, 0.06),
               linewidth = 0.4) +
      annotate("text", x = x0, y = c(0.27, 0.14), hjust = 0, size = 3.2,
               label = c("Hazard ratio (95% CI)", "0.72 (0.55-0.94); p = 0.016"))
  }
  print(plot)
} else {
  par(las = 1, mar = c(4.5, 4.5, 1.5, 1))
  col <- opt("col", seq_along(arms))
  lty <- opt("lty", rep(1, length(arms)))
  lwd <- opt("lwd", 1)
  plot(fit, col = col, lty = lty, lwd = lwd, mark.time = opt("mark_time", TRUE),
       conf.int = opt("conf_int", FALSE), xlab = opt("xlab", "Time"), ylab = "Survival probability")
  legend("topright", legend = arms, col = col, lty = lty, lwd = lwd, bty = opt("legend_box", "n"))
  if (opt("inset", FALSE)) legend("bottomleft", legend = hr_lines, bty = "o", inset = 0.02)
}
invisible(dev.off())
