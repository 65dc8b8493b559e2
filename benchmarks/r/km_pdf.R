# Real R Kaplan-Meier figures drawn to PDF (vector) for kmipd's PDF reader corpus.
#
# Run by `python -m benchmarks.make_pdf_corpus` when Rscript is installed; the PDFs are committed,
# so nothing in kmipd needs R. Usage:
#   Rscript km_pdf.R IPD.csv OUT.pdf LOOK BREAK_BY XLAB COLOURS [TABLE.csv [X_MAX]]
# IPD.csv has columns arm,time,event (arms in drawing order); LOOK is survminer (ggsurvplot with a
# risk table at every BREAK_BY), base (plot(survfit) with mark.time and a legend) or base_bw (the
# same in black, arms told apart by line type, censor marks the character "+") or base_plain
# (plot(survfit, mark.time = TRUE) as it comes: every arm black and solid, no legend); COLOURS is a
# comma-separated list of hex codes; survminer's printed risk table (strata,time,n.risk) goes to
# TABLE.csv when given (the truth of what was printed); X_MAX cuts survminer's x axis there
# (xlim: the curves run on past it, clipped).
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
})
args <- commandArgs(trailingOnly = TRUE)
ipd <- read.csv(args[1], stringsAsFactors = FALSE)
out <- args[2]; look <- args[3]; break_by <- as.numeric(args[4]); xlab <- args[5]
colours <- strsplit(args[6], ",")[[1]]

ipd$arm <- factor(ipd$arm, levels = unique(ipd$arm))
arms <- levels(ipd$arm)
fit <- survfit(Surv(time, event) ~ arm, data = ipd)
colours <- colours[seq_along(arms)]

pdf(out, width = 7, height = if (look == "survminer") 6.5 else 5, useDingbats = FALSE)
if (look == "survminer") {
  plot <- ggsurvplot(fit, data = ipd, palette = colours, legend.labs = arms, legend.title = "",
                     censor = TRUE, censor.shape = 3, risk.table = TRUE, risk.table.col = "strata",
                     break.time.by = break_by, tables.height = 0.25, xlab = xlab,
                     ylab = "Survival probability", ggtheme = theme_survminer(),
                     tables.theme = theme_cleantable(),
                     xlim = if (length(args) >= 8) c(0, as.numeric(args[8])) else NULL)
  print(plot, newpage = FALSE)  # no blank first page
  if (length(args) >= 7) {
    printed <- plot$data.survtable
    write.csv(data.frame(arm = arms[as.integer(printed$strata)], time = printed$time, n_risk = printed$n.risk),
              args[7], row.names = FALSE)
  }
} else if (look == "base_plain") {
  plot(fit, mark.time = TRUE, xlab = xlab, ylab = "Survival probability")
} else {
  bw <- look == "base_bw"
  line_types <- if (bw) seq_along(arms) else 1
  if (bw) colours <- rep("black", length(arms))
  par(las = 1, bty = "l")
  plot(fit, col = colours, lty = line_types, lwd = 2, mark.time = TRUE, mark = if (bw) "+" else 3,
       xlab = xlab, ylab = "Survival probability", xaxt = "n")
  axis(1, at = seq(0, max(ipd$time), by = break_by))
  legend("topright", legend = arms, col = colours, lty = line_types, lwd = 2, bty = "n")
}
invisible(dev.off())
