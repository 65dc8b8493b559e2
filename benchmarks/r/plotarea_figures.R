# Figures for kmipd's plot-area and robustness tests (tests/data/world/plotarea/), drawn by R itself
# from R's survival datasets. Usage: Rscript plotarea_figures.R OUT_DIR
# Writes one image per look and truth_<name>.csv (arm,time,survival: R's own KM steps) beside it.
suppressPackageStartupMessages({library(survival); library(survminer)})
out <- commandArgs(trailingOnly = TRUE)[1]

truth <- function(fit, name) {
  s <- summary(fit, censored = TRUE)
  arm <- if (is.null(s$strata)) rep("all", length(s$time)) else sub(".*=", "", as.character(s$strata))
  write.csv(data.frame(arm = arm, time = s$time, survival = round(s$surv, 6), n_risk = s$n.risk),
            file.path(out, paste0("truth_", name, ".csv")), row.names = FALSE)
}

lung2 <- transform(lung, sex = factor(sex, labels = c("Male", "Female")))
fit_sex <- survfit(Surv(time, status) ~ sex, data = lung2)
vet <- transform(veteran, trt = factor(trt, labels = c("Standard", "Test")))
fit_vet <- survfit(Surv(time, status) ~ trt, data = vet)
fit_cell <- survfit(Surv(time, status) ~ celltype, data = subset(veteran, celltype != "adeno"))
fit_one <- survfit(Surv(futime, fustat) ~ 1, data = ovarian)

# survminer with its risk table (a separate panel under the plot).
png(file.path(out, "ggsurvplot_lung.png"), width = 640, height = 560, res = 96, type = "cairo")
print(ggsurvplot(fit_sex, data = lung2, risk.table = TRUE, legend.labs = c("Male", "Female"),
                 legend.title = "", tables.height = 0.25, ggtheme = theme_survminer()))
dev.off(); truth(fit_sex, "ggsurvplot_lung")

# Base R: L axes (bty = "l"), bare axes (bty = "n"), the same closed by box(), and bty = "o".
base <- function(file, fit, cols, bty, boxed = FALSE, legend_names = NULL, device = "png", w = 640, h = 480) {
  if (device == "png") png(file, width = w, height = h, res = 96, type = "cairo")
  else jpeg(file, width = w, height = h, quality = 85, type = "cairo")
  par(las = 1, bty = bty)
  plot(fit, col = cols, lwd = 2, mark.time = TRUE, xlab = "Days", ylab = "Survival probability")
  if (boxed) box(bty = "o")
  if (!is.null(legend_names)) legend("topright", legend_names, col = cols, lwd = 2, bty = "n")
  dev.off()
}
base(file.path(out, "base_l_veteran.png"), fit_vet, c("black", "red"), "l", legend_names = levels(vet$trt))
truth(fit_vet, "base_l_veteran")
base(file.path(out, "base_n_veteran.png"), fit_vet, c("black", "red"), "n", legend_names = levels(vet$trt))
base(file.path(out, "base_boxed_veteran.png"), fit_vet, c("black", "red"), "n", boxed = TRUE,
     legend_names = levels(vet$trt))
base(file.path(out, "base_o_veteran.png"), fit_vet, c("black", "red"), "o", legend_names = levels(vet$trt))

# R's jpeg device at 640x480, 1-3 arms (the size of issue 9's crash).
base(file.path(out, "jpeg640_1arm.jpg"), fit_one, "black", "o", device = "jpeg")
truth(fit_one, "jpeg640_1arm")
base(file.path(out, "jpeg640_2arms.jpg"), fit_sex, c("blue", "red"), "o", legend_names = c("Male", "Female"),
     device = "jpeg")
truth(fit_sex, "jpeg640_2arms")
base(file.path(out, "jpeg640_3arms.jpg"), fit_cell, c("black", "red", "blue"), "o",
     legend_names = c("squamous", "smallcell", "large"), device = "jpeg")
truth(fit_cell, "jpeg640_3arms")

# Base R with the numbers at risk printed in a block of their own, framed by a box, under the plot.
png(file.path(out, "base_boxed_risk_block.png"), width = 640, height = 600, res = 96, type = "cairo")
layout(matrix(1:2), heights = c(2, 1))
par(las = 1, mar = c(4, 6, 1, 1), bty = "n")
plot(fit_vet, col = c("black", "red"), lwd = 2, xlab = "Days", ylab = "Survival probability", xlim = c(0, 1000))
times <- seq(0, 1000, 200)
risk <- summary(fit_vet, times = times, extend = TRUE)
par(mar = c(1, 6, 1, 1))
plot(NULL, xlim = c(0, 1000), ylim = c(0.5, 3), axes = FALSE, xlab = "", ylab = "")
box(bty = "o")
strata <- levels(vet$trt)
for (k in seq_along(strata)) {
  n <- risk$n.risk[as.integer(risk$strata) == k]
  text(times, 3 - k, n, col = c("black", "red")[k])
  mtext(strata[k], side = 2, at = 3 - k, line = 1, col = c("black", "red")[k])
}
text(500, 2.7, "Number at risk")
dev.off()

# Base R, the second arm red and dashed (lty = 2): its dashes do not form a curve that is read.
png(file.path(out, "base_dashed_lung.png"), width = 640, height = 480, res = 96, type = "cairo")
par(las = 1)
plot(fit_sex, col = c("black", "red"), lty = 1:2, lwd = 2, xlab = "Days", ylab = "Survival probability")
legend("topright", c("Male", "Female"), col = c("black", "red"), lty = 1:2, lwd = 2, bty = "n")
dev.off(); truth(fit_sex, "base_dashed_lung")

# survminer with linetype = "strata": the second arm dashed, under a risk table of two rows.
png(file.path(out, "ggsurvplot_dashed_lung.png"), width = 640, height = 560, res = 96, type = "cairo")
print(ggsurvplot(fit_sex, data = lung2, risk.table = TRUE, linetype = "strata", palette = c("black", "red"),
                 legend.labs = c("Male", "Female"), tables.height = 0.25, ggtheme = theme_survminer()))
dev.off(); truth(fit_sex, "ggsurvplot_dashed_lung")
