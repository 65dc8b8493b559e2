# R figures for the calibration tests (tests/data/world/calib): where R puts every tick, and
# cumulative-incidence curves (fun = "event") as survminer and base graphics draw them.
#
# Run by `python -m benchmarks.make_calib_figures` (which also downscales and JPEG-compresses
# some of them); the images are committed, so the tests need no R. Usage:
#   Rscript calib_figures.R OUT_FOLDER
# Writes PNGs and, per figure, NAME.json: the tick positions in device pixels (base graphics:
# grconvertX/grconvertY of the ticks drawn) and the true KM of every arm (summary(survfit)).
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
  library(jsonlite)
})
out <- commandArgs(trailingOnly = TRUE)[1]

km_truth <- function(fit, arms) {
  s <- summary(fit, censored = FALSE)
  strata <- if (is.null(s$strata)) rep(arms[1], length(s$time)) else as.character(s$strata)
  lapply(seq_along(arms), function(k) {
    label <- if (is.null(fit$strata)) arms[1] else names(fit$strata)[k]
    keep <- strata == label
    list(name = arms[k], time = c(0, s$time[keep]), survival = c(1, s$surv[keep]))
  })
}

base_figure <- function(name, fit, arms, colours, fun = NULL, width = 700, height = 500, res = 96,
                        xlab = "Days", ylab = "Survival probability", lty = 1, pointsize = 12) {
  png(file.path(out, paste0(name, ".png")), width = width, height = height, res = res,
      pointsize = pointsize, type = "cairo")
  par(las = 1)
  args <- list(fit, col = colours, lwd = 2, lty = lty, mark.time = FALSE, xlab = xlab, ylab = ylab)
  if (!is.null(fun)) args$fun <- fun
  do.call(plot, args)
  if (length(arms) > 1) legend("topright", legend = arms, col = colours, lwd = 2, bty = "n")
  x_ticks <- axTicks(1); y_ticks <- axTicks(2)
  # Device pixels: x from the left edge, y from the top edge, continuous (pixel k spans [k, k+1)).
  truth <- list(x_ticks = x_ticks, y_ticks = y_ticks,
                x_device = grconvertX(x_ticks, "user", "device"),
                y_device = grconvertY(y_ticks, "user", "device"),
                measure = if (is.null(fun)) "survival" else "cumulative_incidence",
                arms = km_truth(fit, arms))
  invisible(dev.off())
  write_json(truth, file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

survminer_figure <- function(name, fit, data, arms, palette, fun = NULL, width = 700, height = 500,
                             res = 96, xlab = "Days", font_size = 12) {
  png(file.path(out, paste0(name, ".png")), width = width, height = height, res = res, type = "cairo")
  print(ggsurvplot(fit, data = data, palette = palette, legend.labs = arms, legend.title = "",
                   fun = fun, censor = FALSE, xlab = xlab, font.tickslab = font_size,
                   font.x = font_size + 1, font.y = font_size + 1, font.legend = font_size))
  invisible(dev.off())
  write_json(list(measure = if (is.null(fun)) "survival" else "cumulative_incidence",
                  arms = km_truth(fit, arms)),
             file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

lung$sex_name <- factor(lung$sex, labels = c("Male", "Female"))
lung_fit <- survfit(Surv(time, status) ~ sex_name, data = lung)
veteran$trt_name <- factor(veteran$trt, labels = c("Standard", "Test"))
veteran_fit <- survfit(Surv(time, status) ~ trt_name, data = veteran)
colon_death <- subset(colon, etype == 2)
colon_fit <- survfit(Surv(time, status) ~ rx, data = colon_death)
ovarian_fit <- survfit(Surv(futime, fustat) ~ rx, data = ovarian)

# Tick positions: base graphics at three sizes and resolutions.
base_figure("base_lung_ticks", lung_fit, c("Male", "Female"), c("#D55E00", "#0072B2"))
base_figure("base_veteran_ticks", veteran_fit, c("Standard", "Test"), c("black", "#E69F00"),
            width = 613, height = 431, res = 83)
base_figure("base_ovarian_ticks", ovarian_fit, c("rx 1", "rx 2"), c("#1B9E77", "#7570B3"),
            width = 1000, height = 707, res = 150)
# Cumulative incidence, rising from 0.
base_figure("base_lung_event", lung_fit, c("Male", "Female"), c("#E41A1C", "#377EB8"), fun = "event",
            ylab = "Cumulative incidence")
survminer_figure("survminer_veteran_event", veteran_fit, veteran, c("Standard", "Test"),
                 c("#E7B800", "#2E9FDF"), fun = "event")
survminer_figure("survminer_colon_event", colon_fit, colon_death, c("Obs", "Lev", "Lev+5FU"),
                 "jco", fun = "event")
# Drawn large in small type, downscaled to a journal's column by make_calib_figures (tick labels
# 5-8 px high).
base_figure("base_colon_large", colon_fit, c("Obs", "Lev", "Lev+5FU"), c("black", "#E41A1C", "#377EB8"),
            width = 1400, height = 1000, res = 200, pointsize = 9)
survminer_figure("survminer_lung_large", lung_fit, lung, c("Male", "Female"), c("#E7B800", "#2E9FDF"),
                 width = 1400, height = 1000, res = 200, font_size = 8)
