# Calibration (postStratify, rake, calibrate) and replicate-weight designs (svrepdesign) reference
# values for ecd.survey (issue 19). Run from this folder:  Rscript make_calib.R
# R 4.2, R survey 4.1.1 (Debian r-cran-survey). Inputs: apistrat.csv, apiclus1.csv (R survey's `api`
# data) and the SYNTHETIC child_survey.csv. Outputs: calib_reference.csv (long: case, estimand, term,
# stat, value) and rep_<case>_input.csv (the replicate weights R built, with the analysis columns).
# Iterative methods are run to tight convergence (rake epsilon 1e-13 of the weight total, calibrate
# epsilon 1e-12, glm epsilon 1e-14) so that the tests compare converged solutions at rel 1e-8.
suppressMessages(library(survey))
strat <- read.csv("apistrat.csv"); clus1 <- read.csv("apiclus1.csv"); cs <- read.csv("child_survey.csv")
for (nm in c("strat", "clus1")) {
  d <- get(nm); d$sch_wide <- as.numeric(d$sch.wide == "Yes"); assign(nm, d)
}
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
dchild <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = cs)
out <- list()
add <- function(case, estimand, term, stat, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, estimand = estimand, term = term, stat = stat,
                                        value = sprintf("%.17g", value))
}
stats_of <- function(case, estimand, x) {
  v <- coef(x); s <- SE(x)
  for (i in seq_along(v)) { add(case, estimand, names(v)[i], "estimate", v[i]); add(case, estimand, names(v)[i], "se", s[i]) }
}
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
tight <- function(formula, design, family = gaussian()) {
  f0 <- eval(bquote(svyglm(.(formula), design = .(design), family = .(family), control = ctl)))
  if (inherits(design, "svyrep.design")) return(f0)  # replicate fits restart from the full coefficients
  suppressWarnings(eval(bquote(svyglm(.(formula), design = .(design), family = .(family), control = ctl,
                                      start = .(coef(f0))))))
}
estimates <- function(case, d, api = TRUE) {
  if (api) {
    stats_of(case, "svymean(~api00)", svymean(~api00, d))
    stats_of(case, "svytotal(~enroll)", svytotal(~enroll, d))
    b <- svyby(~api00, ~stype, d, svymean)
    for (i in seq_len(nrow(b))) { add(case, "svyby(~api00,~stype,svymean)", as.character(b$stype[i]), "estimate", coef(b)[i]); add(case, "svyby(~api00,~stype,svymean)", as.character(b$stype[i]), "se", SE(b)[i]) }
    f <- tight(api00 ~ ell + meals, d)
    stats_of(case, "svyglm(api00~ell+meals)", f)
    add(case, "svyglm(api00~ell+meals)", "(model)", "df", f$df.residual)
    g <- tight(sch_wide ~ ell + meals, d, quasibinomial())
    stats_of(case, "svyglm(sch_wide~ell+meals,quasibinomial)", g)
  } else {
    stats_of(case, "svymean(~haz)", svymean(~haz, d))
    stats_of(case, "svytotal(~stunted)", svytotal(~stunted, d))
    b <- svyby(~haz, ~urban_rural, d, svymean)
    for (i in seq_len(nrow(b))) { add(case, "svyby(~haz,~urban_rural,svymean)", as.character(b$urban_rural[i]), "estimate", coef(b)[i]); add(case, "svyby(~haz,~urban_rural,svymean)", as.character(b$urban_rural[i]), "se", SE(b)[i]) }
    f <- tight(stunted ~ urban_rural + sex, d, quasibinomial())
    stats_of(case, "svyglm(stunted~urban_rural+sex,quasibinomial)", f)
  }
  add(case, "degf", "(design)", "value", degf(d))
}
# ---- calibration on apiclus1 (the examples of R survey's documentation) and the child survey
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
estimates("clus1_post", postStratify(dclus1, ~stype, pop.types))
estimates("clus1_rake", rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                             control = list(maxit = 200, epsilon = 1e-13)))
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
estimates("clus1_cal_linear", calibrate(dclus1, ~stype, pop.totals))
pop.totals2 <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
estimates("clus1_cal_linear2", calibrate(dclus1, ~stype + api99, pop.totals2))
estimates("clus1_cal_raking", calibrate(dclus1, ~stype + api99, pop.totals2, calfun = "raking", epsilon = 1e-12))
estimates("clus1_cal_logit", calibrate(dclus1, ~stype + api99, pop.totals2, calfun = "logit",
                                       bounds = c(0.5, 2.5), epsilon = 1e-12))
estimates("clus1_cal_bounded_linear", calibrate(dclus1, ~stype + api99, pop.totals2, calfun = "linear",
                                                bounds = c(0.5, 2.5), epsilon = 1e-12))
# child survey (SYNTHETIC population counts, chosen for the test)
pop.age <- data.frame(age_group = c("0-11m", "12-23m", "24-35m"), Freq = c(60000, 61000, 59000))
pop.area <- data.frame(urban_rural = c("rural", "urban"), Freq = c(95000, 85000))
estimates("child_post", postStratify(dchild, ~age_group, pop.age), api = FALSE)
estimates("child_post2", postStratify(dchild, ~urban_rural + age_group,
          data.frame(expand.grid(urban_rural = c("rural", "urban"), age_group = c("0-11m", "12-23m", "24-35m")),
                     Freq = c(31000, 29000, 32000, 29000, 32000, 27000))), api = FALSE)
estimates("child_rake", rake(dchild, list(~age_group, ~urban_rural), list(pop.age, pop.area),
                             control = list(maxit = 200, epsilon = 1e-13)), api = FALSE)
estimates("child_cal_raking", calibrate(dchild, ~age_group + urban_rural + hh_kids,
          c(`(Intercept)` = 180000, `age_group12-23m` = 61000, `age_group24-35m` = 59000,
            urban_ruralurban = 85000, hh_kids = 270000), calfun = "raking", epsilon = 1e-12), api = FALSE)
# ---- replicate-weight designs: R builds the weights, ecd reads them as svrepdesign would
reps <- list(
  jk1 = list(d = as.svrepdesign(dclus1, type = "JK1"), data = clus1, api = TRUE),
  jkn = list(d = as.svrepdesign(dstrat, type = "JKn"), data = strat, api = TRUE),
  boot = list(d = { set.seed(20261204); as.svrepdesign(dclus1, type = "bootstrap", replicates = 50) },
              data = clus1, api = TRUE))
two <- cs[cs$psu_in_stratum <= 2, ]
dtwo <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = two)
reps$brr <- list(d = as.svrepdesign(dtwo, type = "BRR"), data = two, api = FALSE)
reps$fay <- list(d = as.svrepdesign(dtwo, type = "Fay", fay.rho = 0.3), data = two, api = FALSE)
for (nm in names(reps)) {
  r <- reps[[nm]]
  rw <- weights(r$d, "analysis")
  colnames(rw) <- paste0("rw", seq_len(ncol(rw)))
  keep <- if (r$api) c("stype", "api00", "enroll", "ell", "meals", "sch_wide", "pw") else
    c("urban_rural", "sex", "haz", "stunted", "weight")
  write.csv(cbind(r$data[, keep], rw), paste0("rep_", nm, "_input.csv"), row.names = FALSE)
  # the same design as a user would declare it from the file: svrepdesign(repweights=, type=, ...)
  inp <- read.csv(paste0("rep_", nm, "_input.csv"))
  args <- list(data = inp, repweights = "rw[0-9]+", weights = if (r$api) ~pw else ~weight,
               type = r$d$type, combined.weights = TRUE)
  if (nm == "jk1") args$scale <- r$d$scale
  if (nm == "jkn") { args$scale <- r$d$scale; args$rscales <- r$d$rscales }
  if (nm == "fay") args$rho <- 0.3
  dd <- do.call(svrepdesign, args)
  add(paste0("rep_", nm), "params", "scale", "value", dd$scale)
  for (i in seq_along(dd$rscales)) add(paste0("rep_", nm), "params", paste0("rscale", i), "value", dd$rscales[i])
  estimates(paste0("rep_", nm), dd, api = r$api)
}
res <- do.call(rbind, out)
write.csv(res, "calib_reference.csv", row.names = FALSE)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")), "rows", nrow(res), "\n")
