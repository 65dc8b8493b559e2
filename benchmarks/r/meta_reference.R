# Reference values from R (survival, metafor) for kmipd's meta tests, written as key,value CSV.
# Usage: Rscript meta_reference.R STUDY_IPD.csv OUT.csv
# STUDY_IPD.csv has columns study,treated,time,event (see benchmarks/make_r_reference.py).
suppressPackageStartupMessages({library(survival); library(metafor)})
args <- commandArgs(trailingOnly = TRUE)
ipd <- read.csv(args[1])
out <- list()
put <- function(key, value) out[[key]] <<- unname(value)

put("version.survival", as.character(packageVersion("survival")))
put("version.metafor", as.character(packageVersion("metafor")))

pool_all <- function(prefix, yi, sei) {
  fit <- rma(yi, sei = sei, method = "EE")
  for (name in c("b", "se", "ci.lb", "ci.ub", "QE", "QEp")) put(paste(prefix, "EE.z", name, sep = "."), fit[[name]])
  for (method in c("DL", "REML", "PM")) for (test in c("z", "knha", "adhoc")) {
    # tight tolerances: metafor's defaults (REML threshold 1e-5, uniroot eps^0.25 for PM and
    # the Q-profile) would make the reference itself good to only ~1e-5
    fit <- rma(yi, sei = sei, method = method, test = test,
               control = list(threshold = 1e-12, tol = 1e-12, maxiter = 10000))
    key <- paste(prefix, method, test, sep = ".")
    for (name in c("b", "se", "ci.lb", "ci.ub", "pval", "tau2", "I2", "H2", "QE", "QEp")) put(paste(key, name, sep = "."), fit[[name]])
    if (test == "z") {
      ci <- confint(fit, control = list(tol = 1e-12, tau2.max = 1e4))$random  # metafor stops at 100 by default
      put(paste(key, "tau2.ci.lb", sep = "."), ci["tau^2", "ci.lb"])
      put(paste(key, "tau2.ci.ub", sep = "."), ci["tau^2", "ci.ub"])
    }
  }
}

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
pool_all("bcg", dat$yi, sqrt(dat$vi))
# two studies that agree more closely than their SEs say: HKSJ's factor < 1, the ad-hoc case
pool_all("bcg_two", dat$yi[1:2], sqrt(dat$vi[1:2]))

coefs <- c(); ses <- c()
for (s in sort(unique(ipd$study))) {
  d <- ipd[ipd$study == s, ]
  fit <- coxph(Surv(time, event) ~ treated, data = d, ties = "efron")
  key <- paste("study", s, sep = ".")
  put(paste(key, "log_hr", sep = "."), coef(fit)[1])
  put(paste(key, "se_log_hr", sep = "."), sqrt(vcov(fit)[1, 1]))
  put(paste(key, "logrank_chisq", sep = "."), survdiff(Surv(time, event) ~ treated, data = d)$chisq)
  zph <- cox.zph(fit, transform = "km")
  put(paste(key, "ph_chisq", sep = "."), zph$table["GLOBAL", "chisq"])
  put(paste(key, "ph_p", sep = "."), zph$table["GLOBAL", "p"])
  coefs <- c(coefs, coef(fit)[1]); ses <- c(ses, sqrt(vcov(fit)[1, 1]))
}
pool_all("log_hr", coefs, ses)
strat <- coxph(Surv(time, event) ~ treated + strata(study), data = ipd, ties = "efron")
put("stratified.log_hr", coef(strat)[1])
put("stratified.se_log_hr", sqrt(vcov(strat)[1, 1]))

values <- vapply(out, function(v) if (is.character(v)) v else formatC(v, digits = 17, format = "g"), "")
write.csv(data.frame(key = names(out), value = values), args[2], row.names = FALSE, quote = FALSE)
