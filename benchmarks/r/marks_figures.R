# Kaplan-Meier figures drawn by R, with and without censor marks, for kmipd's censor-mark tests.
#
# Run by `python -m benchmarks.make_marks_figures` when Rscript is installed; the images are
# committed, so nothing in kmipd needs R. Usage:
#   Rscript marks_figures.R IPD.csv OUT.png LOOK WIDTH HEIGHT RES CENSOR LWD
# IPD.csv has columns arm,time,event (arms in drawing order); LOOK is survminer or base;
# CENSOR is 0 (ggsurvplot(censor = FALSE), plot(fit, mark.time = FALSE)) or 1; LWD is R's lwd
# (ggsurvplot's size).
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
})
args <- commandArgs(trailingOnly = TRUE)
ipd <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]; look <- args[3]
width <- as.integer(args[4]); height <- as.integer(args[5]); res <- as.integer(args[6])
censor <- args[7] == "1"; lwd <- as.numeric(args[8])

ipd$arm <- factor(ipd$arm, levels = unique(ipd$arm))
arms <- levels(ipd$arm)
fit <- survfit(Surv(time, event) ~ arm, data = ipd)

png(out, width = width, height = height, res = res, type = "cairo")
if (look == "survminer") {
  plot <- ggsurvplot(fit, data = ipd, legend.labs = arms, legend.title = "", censor = censor,
                     size = lwd, xlab = "Time")
  print(plot)
} else {
  par(las = 1)
  plot(fit, col = c("black", "red")[seq_along(arms)], lwd = lwd, mark.time = censor,
       xlab = "Time", ylab = "Survival probability")
  legend("topright", legend = arms, col = c("black", "red")[seq_along(arms)], lwd = lwd, bty = "n")
}
invisible(dev.off())
