# Kaplan-Meier figures drawn by R itself (survminer ggsurvplot, base plot(survfit)), many per process.
#
# Run by `python -m benchmarks.make_world_corpus` when Rscript is installed; the images and what R
# reports of them are committed, so nothing in kmipd needs R. Two modes:
#   Rscript world_figures.R export DATA_DIR        R's survival data sets as small CSVs
#   Rscript world_figures.R draw SPECS.jsonl META.jsonl
# SPECS.jsonl has one figure a line (a JSON object): `ipd` (CSV with arm,time,event, arms in
# drawing order), `out` (image path), `program` ("survminer" or "base"), `device` ("png" or
# "jpeg"), `width`, `height`, `res`, `quality`, and the drawing options read below. META.jsonl gets
# one line a figure: what R knows of it (colours drawn, numbers at risk and cumulative events it
# printed, break times, and for base graphics the plot box in device pixels); null where R cannot
# say.
suppressPackageStartupMessages({
  library(survival)
  library(survminer)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)

export_data <- function(folder) {
  dir.create(folder, showWarnings = FALSE, recursive = TRUE)
  put <- function(frame, name) {
    frame <- frame[!is.na(frame$time) & !is.na(frame$event) & frame$time > 0, ]
    write.csv(frame, file.path(folder, paste0(name, ".csv")), row.names = FALSE)
  }
  put(data.frame(time = lung$time, event = lung$status - 1,
                 sex = c("Male", "Female")[lung$sex], ecog = lung$ph.ecog), "lung")
  deaths <- colon[colon$etype == 2, ]
  put(data.frame(time = deaths$time, event = deaths$status, rx = as.character(deaths$rx),
                 sex = c("Female", "Male")[deaths$sex + 1]), "colon")
  put(data.frame(time = veteran$time, event = veteran$status,
                 trt = c("Standard", "Test")[veteran$trt], celltype = as.character(veteran$celltype)),
      "veteran")
  put(data.frame(time = ovarian$futime, event = ovarian$fustat,
                 rx = c("Cyclophosphamide", "Cyclophosphamide + adriamycin")[ovarian$rx]), "ovarian")
  trial <- pbc[!is.na(pbc$trt), ]
  put(data.frame(time = trial$time, event = as.integer(trial$status == 2),
                 trt = c("D-penicillamine", "Placebo")[trial$trt], stage = trial$stage), "pbc")
  first <- survival::myeloma[survival::myeloma$entry == 0, ]  # survminer has a myeloma of its own
  put(data.frame(time = first$futime, event = first$death,
                 era = as.character(cut(first$year, c(0, 69, 79, 100),
                                        labels = c("Before 1970", "1970-1979", "1980 or later")))),
      "myeloma")
  put(data.frame(time = mgus2$futime, event = mgus2$death, sex = as.character(mgus2$sex)), "mgus2")
  once <- cgd[cgd$enum == 1, ]
  put(data.frame(time = once$tstop - once$tstart, event = once$status,
                 treat = ifelse(once$treat == "placebo", "Placebo", "Interferon gamma")), "cgd")
  put(data.frame(time = retinopathy$futime, event = retinopathy$status,
                 trt = c("Untreated eye", "Laser-treated eye")[retinopathy$trt + 1],
                 type = as.character(retinopathy$type)), "retinopathy")
  put(data.frame(time = aml$time, event = aml$status, x = as.character(aml$x)), "aml")
  put(data.frame(time = rotterdam$dtime, event = rotterdam$death,
                 chemo = c("No chemotherapy", "Chemotherapy")[rotterdam$chemo + 1],
                 hormon = c("No hormone therapy", "Hormone therapy")[rotterdam$hormon + 1]),
      "rotterdam")
  put(data.frame(time = nwtco$edrel, event = nwtco$rel,
                 histol = c("Favourable histology", "Unfavourable histology")[nwtco$histol],
                 stage = nwtco$stage), "nwtco")
  put(data.frame(time = flchain$futime, event = flchain$death,
                 sex = c("Female", "Male")[as.integer(flchain$sex == "M") + 1]), "flchain")
}

# A JSON value: `value` unless it is null/NA/missing, else `default`.
opt <- function(spec, name, default = NULL) {
  value <- spec[[name]]
  if (is.null(value) || (length(value) == 1 && is.na(value))) default else value
}

hex <- function(colours) {
  rgb <- grDevices::col2rgb(colours)
  sprintf("#%02X%02X%02X", rgb[1, ], rgb[2, ], rgb[3, ])
}

open_device <- function(spec) {
  if (spec$device == "jpeg") {
    jpeg(spec$out, width = spec$width, height = spec$height, res = spec$res,
         quality = opt(spec, "quality", 90), type = "cairo")
  } else {
    png(spec$out, width = spec$width, height = spec$height, res = spec$res, type = "cairo")
  }
}

fit_arms <- function(ipd) {
  if (nlevels(ipd$arm) == 1) survfit(Surv(time, event) ~ 1, data = ipd)
  else survfit(Surv(time, event) ~ arm, data = ipd)
}

# Numbers at risk (time >= t) and cumulative events (time <= t) per arm at `times`, by summary().
printed_counts <- function(fit, times, arms) {
  s <- summary(fit, times = times, extend = TRUE)
  strata <- if (is.null(s$strata)) rep(arms[1], length(s$time)) else arms[as.integer(s$strata)]
  list(arm = strata, time = s$time, n_risk = s$n.risk,
       cum_events = ave(s$n.event, strata, FUN = cumsum))
}

legend_position <- function(legend) if (length(legend) == 2) as.numeric(legend) else legend

draw_survminer <- function(spec, ipd, fit, arms) {
  palette <- opt(spec, "palette", "hue")
  legend <- legend_position(opt(spec, "legend", "top"))
  call <- list(fit, data = ipd, legend.labs = arms, legend.title = opt(spec, "legend_title", "Strata"),
               conf.int = isTRUE(spec$conf_int), censor = isTRUE(spec$censor),
               censor.shape = opt(spec, "censor_shape", "+"), censor.size = opt(spec, "censor_size", 4.5),
               size = opt(spec, "line_size", 1), xlim = c(0, spec$x_max),
               break.time.by = spec$break_by, xlab = spec$xlab, ylab = spec$ylab,
               legend = legend, pval = isTRUE(spec$pval),
               surv.median.line = opt(spec, "surv_median_line", "none"),
               risk.table = isTRUE(spec$risk_table), cumevents = isTRUE(spec$cumevents),
               tables.height = opt(spec, "tables_height", 0.25),
               fontsize = opt(spec, "table_font_size", 4.5),
               font.main = 13, font.x = 13, font.y = 13, font.tickslab = 11, font.legend = 11,
               ggtheme = theme_survminer())
  if (!identical(palette, "hue")) call$palette <- palette
  if (!is.null(opt(spec, "linetype"))) call$linetype <- spec$linetype
  if (!is.null(opt(spec, "fun"))) call$fun <- spec$fun
  if (isTRUE(spec$risk_table)) {
    call$risk.table.col <- opt(spec, "risk_table_col", "black")
    call$risk.table.y.text <- !isFALSE(spec$risk_table_y_text)
    call$risk.table.y.text.col <- TRUE
    if (!is.null(opt(spec, "risk_table_title"))) call$risk.table.title <- spec$risk_table_title
  }
  if (isTRUE(spec$clean_tables)) call$tables.theme <- theme_cleantable()
  plot <- do.call(ggsurvplot, call)
  print(plot)
  built <- ggplot_build(plot$plot)$data[[1]]
  colours <- if (length(arms) == 1) built$colour[1] else built$colour[match(seq_along(arms), built$group)]
  list(colours = hex(colours), plot_box = NULL,
       risk_table = if (isTRUE(spec$risk_table))
         list(arm = arms[as.integer(plot$table$data$strata)], time = plot$table$data$time,
              n_risk = plot$table$data$n.risk) else NULL)
}

draw_base <- function(spec, ipd, fit, arms) {
  colours <- unlist(opt(spec, "colours", "black"))[seq_along(arms)]
  line_types <- unlist(opt(spec, "line_types", 1))[seq_along(arms)]
  line_width <- opt(spec, "line_width", 1)
  breaks <- seq(0, spec$x_max, by = spec$break_by)
  at_risk <- isTRUE(spec$risk_table)
  label_lines <- max(nchar(arms)) * 0.55
  par(mar = c(4.1 + if (at_risk) 1.6 + 1.1 * length(arms) else 0,
              4.1 + if (at_risk) label_lines else 0, 1.5, 1.5),
      las = 1, bty = opt(spec, "box_type", "l"), cex = opt(spec, "cex", 1))
  call <- list(fit, col = colours, lty = line_types, lwd = line_width,
               mark.time = isTRUE(spec$censor), mark = opt(spec, "mark", 3),
               conf.int = isTRUE(spec$conf_int), xlim = c(0, spec$x_max), xaxt = "n",
               xlab = spec$xlab, ylab = spec$ylab)
  if (!is.null(opt(spec, "fun"))) call$fun <- spec$fun
  do.call(plot, call)
  axis(1, at = breaks)
  if (length(arms) > 1 || isTRUE(spec$legend_single)) {
    legend(opt(spec, "legend", "topright"), legend = arms, col = colours, lty = line_types,
           lwd = line_width, bty = opt(spec, "legend_box", "n"), inset = 0.02)
  }
  counts <- printed_counts(fit, breaks, arms)
  if (at_risk) {
    usr <- par("usr")
    mtext("Number at risk", side = 1, line = 4.2, at = usr[1], adj = 0.6, font = 2,
          cex = par("cex"))
    for (i in seq_along(arms)) {
      row <- counts$arm == arms[i]
      ink <- if (isTRUE(spec$risk_table_colour)) colours[i] else "black"
      gap <- strwidth(format(max(counts$n_risk)), cex = par("cex")) / 2 + strwidth("  ", cex = par("cex"))
      mtext(arms[i], side = 1, line = 4.2 + 1.1 * i, at = breaks[1] - gap, adj = 1, col = ink,
            cex = par("cex"))
      mtext(counts$n_risk[row], side = 1, line = 4.2 + 1.1 * i, at = counts$time[row], col = ink,
            cex = par("cex"))
    }
  }
  usr <- par("usr")
  box <- list(left = grconvertX(usr[1], "user", "device"), right = grconvertX(usr[2], "user", "device"),
              top = grconvertY(usr[4], "user", "device"), bottom = grconvertY(usr[3], "user", "device"))
  list(colours = hex(colours), plot_box = box, x_limits = usr[1:2], y_limits = usr[3:4],
       risk_table = if (at_risk) counts[c("arm", "time", "n_risk")] else NULL)
}

draw_all <- function(spec_file, meta_file) {
  lines <- character(0)
  for (line in readLines(spec_file)) {
    spec <- fromJSON(line)
    ipd <- read.csv(spec$ipd, stringsAsFactors = FALSE)
    ipd$arm <- factor(ipd$arm, levels = unique(ipd$arm))
    arms <- levels(ipd$arm)
    fit <- fit_arms(ipd)
    open_device(spec)
    drawn <- if (spec$program == "survminer") draw_survminer(spec, ipd, fit, arms)
             else draw_base(spec, ipd, fit, arms)
    invisible(dev.off())
    breaks <- seq(0, spec$x_max, by = spec$break_by)
    drawn$out <- spec$out
    drawn$breaks <- breaks
    drawn$summary <- printed_counts(fit, breaks, arms)
    lines <- c(lines, toJSON(drawn, auto_unbox = TRUE, null = "null", digits = NA))
  }
  writeLines(lines, meta_file)
}

if (args[1] == "export") export_data(args[2]) else draw_all(args[2], args[3])
