# svyglm / svypredmeans reference values for ecd.survey.glm (issue 19).
# Run from this folder:  Rscript make_glm.R   (R 4.2, R survey 4.1.1 = Debian r-cran-survey)
# Inputs beside this script: apistrat.csv, apiclus1.csv (R survey's bundled data, written by data(api)),
# child_survey.csv (SYNTHETIC). Output: glm_reference.csv (long: model, term, stat, value).
# Every model is fitted twice: with glm's default control (epsilon 1e-8), stat prefix "default_",
# and with epsilon 1e-14, restarted from its own solution (start = coef) so that glm's information
# matrix (which R takes from the weights of the last-but-one iteration) is evaluated at the converged
# coefficients: the converged solution, which the tests compare at rel 1e-8. The default fits differ
# from it by glm's convergence tolerance (SEs up to ~2e-8 relative here).
suppressMessages(library(survey))
strat <- read.csv("apistrat.csv"); clus1 <- read.csv("apiclus1.csv"); cs <- read.csv("child_survey.csv")
for (nm in c("strat", "clus1")) {
  d <- get(nm)
  d$sch_wide <- as.numeric(d$sch.wide == "Yes")
  d$comp_imp <- as.numeric(d$comp.imp == "Yes")
  assign(nm, d)
}
designs <- list(
  api_strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
  api_clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1),
  child_fpc = svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N, data = cs),
  child_nofpc = svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = cs))
models <- list(
  list("g_strat", "api_strat", api00 ~ ell + meals + mobility, "gaussian"),
  list("g_strat_factor", "api_strat", api00 ~ ell + meals + stype, "gaussian"),
  list("b_strat", "api_strat", sch_wide ~ ell + meals + stype, "quasibinomial"),
  list("b_strat_binomial", "api_strat", sch_wide ~ ell + meals + stype, "binomial"),
  list("p_strat", "api_strat", enroll ~ meals + stype, "quasipoisson"),
  list("g_clus", "api_clus1", api00 ~ ell + meals + mobility, "gaussian"),
  list("b_clus", "api_clus1", comp_imp ~ api99 + stype, "quasibinomial"),
  list("p_clus", "api_clus1", enroll ~ meals + stype, "poisson"),
  list("b_child", "child_fpc", stunted ~ urban_rural + sex + age_group + hh_kids, "quasibinomial"),
  list("b_child_nofpc", "child_nofpc", stunted ~ urban_rural + sex + age_group + hh_kids, "quasibinomial"),
  list("g_child_na", "child_fpc", haz_na ~ urban_rural + age_group + sex, "gaussian"),
  list("g_child_inter", "child_fpc", haz ~ urban_rural * age_group, "gaussian"),
  list("p_child", "child_fpc", hh_kids ~ urban_rural + region, "quasipoisson"))
fam <- list(gaussian = gaussian(), quasibinomial = quasibinomial(), binomial = binomial(),
            quasipoisson = quasipoisson(), poisson = poisson())
out <- list()
add <- function(model, term, stat, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, term = term, stat = stat,
                                        value = sprintf("%.17g", value))
}
for (m in models) {
  des <- designs[[m[[2]]]]
  for (tight in c(FALSE, TRUE)) {
    ctl <- if (tight) glm.control(epsilon = 1e-14, maxit = 100) else glm.control()
    pre <- if (tight) "" else "default_"
    f <- withCallingHandlers(svyglm(m[[3]], design = des, family = fam[[m[[4]]]], control = ctl),
      warning = function(w) { if (!grepl("non-integer", conditionMessage(w))) message(m[[1]], ": ", conditionMessage(w)); invokeRestart("muffleWarning") })
    if (tight) f <- suppressWarnings(svyglm(m[[3]], design = des, family = fam[[m[[4]]]], control = ctl, start = coef(f)))
    tab <- summary(f)$coefficients
    ci <- confint(f)
    for (i in seq_len(nrow(tab))) {
      t <- rownames(tab)[i]
      add(m[[1]], t, paste0(pre, "estimate"), tab[i, 1])
      add(m[[1]], t, paste0(pre, "se"), tab[i, 2])
      if (tight) {
        add(m[[1]], t, "statistic", tab[i, 3]); add(m[[1]], t, "p_value", tab[i, 4])
        add(m[[1]], t, "ci_low", ci[i, 1]); add(m[[1]], t, "ci_high", ci[i, 2])
        add(m[[1]], t, "df", f$df.residual)
      }
    }
    if (tight) {
      v <- vcov(f)
      add(m[[1]], paste(rownames(v)[1:2], collapse = "|"), "cov", v[1, 2])
      add(m[[1]], "(model)", "n", nobs(f))
      add(m[[1]], "(model)", "dispersion", as.numeric(summary(f)$dispersion))
    }
  }
}
# ---- predictive margins ----------------------------------------------------------------------
# svypredmeans adds the group factor to the model: the model given to it leaves the factor out, so
# its margins are those of the model with the factor (the model ecd fits, terms in another order).
suppressMessages(library(marginaleffects))
cs$urban_rural <- factor(cs$urban_rural); cs$age_group <- factor(cs$age_group); cs$sex <- factor(cs$sex)
dcs <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N, data = cs)
strat$stype <- factor(strat$stype)
dst <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
tightfit <- function(formula, design, family, restart = TRUE) {
  f0 <- eval(bquote(svyglm(.(formula), design = .(design), family = .(family),
                           control = glm.control(epsilon = 1e-14, maxit = 100))))
  if (!restart) return(f0)
  suppressWarnings(eval(bquote(svyglm(.(formula), design = .(design), family = .(family),
                                      control = glm.control(epsilon = 1e-14, maxit = 100), start = .(coef(f0))))))
}
# "unconditional": the margin's linearization through the design, written out here with survey's
# own pieces: influence = w (mu_g - m_g) / sum(w) + dm_g/dbeta' (estfun %*% naive.cov), put through
# svyrecvar (the variance svyglm uses for its coefficients).
uncond <- function(full, design, var, levels) {
  w <- weights(design, "sampling"); W <- sum(w)
  estfun <- model.matrix(full) * resid(full, "working") * full$weights
  infl <- estfun %*% full$naive.cov
  Z <- NULL; est <- NULL
  for (lv in levels) {
    mf <- model.frame(design); mf[[var]] <- factor(lv, levels = levels(mf[[var]]))
    mm <- model.matrix(terms(full), mf)
    eta <- drop(mm %*% coef(full)); mu <- full$family$linkinv(eta)
    m <- sum(w * mu) / W
    g <- colSums(w * full$family$mu.eta(eta) * mm) / W
    Z <- cbind(Z, w * (mu - m) / W + drop(infl %*% g)); est <- c(est, m)
  }
  V <- svyrecvar(Z, design$cluster, design$strata, design$fpc, postStrata = design$postStrata)
  list(est = est, V = V)
}
margin_refs <- function(label, reduced, fullf, design, var, family) {
  # svypredmeans refits the model (update): it gets the epsilon 1e-14 fit without the restart, so
  # its SEs carry glm's convergence error (~1e-8 relative)
  f <- tightfit(reduced, design, family, restart = FALSE)
  pm <- svypredmeans(f, as.formula(paste0("~", var)))
  lv <- levels(model.frame(design)[[var]])
  for (l in lv) {
    add(label, l, "svypredmeans_estimate", coef(pm)[l]); add(label, l, "svypredmeans_se", SE(pm)[l])
  }
  full <- tightfit(fullf, design, family)
  w <- weights(design, "sampling")
  ap <- avg_predictions(full, variables = var, vcov = vcov(full), wts = w, newdata = model.frame(design))
  for (i in seq_len(nrow(ap))) {
    l <- as.character(ap[[var]][i])
    add(label, l, "delta_estimate", ap$estimate[i]); add(label, l, "delta_se", ap$std.error[i])
  }
  ac <- avg_comparisons(full, variables = var, vcov = vcov(full), wts = w, newdata = model.frame(design))
  for (i in seq_len(nrow(ac))) {
    add(label, ac$contrast[i], "delta_estimate", ac$estimate[i]); add(label, ac$contrast[i], "delta_se", ac$std.error[i])
  }
  u <- uncond(full, design, var, lv)
  for (i in seq_along(lv)) {
    add(label, lv[i], "unconditional_estimate", u$est[i]); add(label, lv[i], "unconditional_se", sqrt(u$V[i, i]))
  }
  for (i in seq_along(lv)[-1]) {
    add(label, paste(lv[i], "-", lv[1]), "unconditional_estimate", u$est[i] - u$est[1])
    add(label, paste(lv[i], "-", lv[1]), "unconditional_se", sqrt(u$V[i, i] + u$V[1, 1] - 2 * u$V[i, 1]))
  }
}
margin_refs("margins_child_urban_rural", stunted ~ sex + age_group + hh_kids,
            stunted ~ urban_rural + sex + age_group + hh_kids, dcs, "urban_rural", quasibinomial())
margin_refs("margins_child_age_group", stunted ~ urban_rural + sex + hh_kids,
            stunted ~ urban_rural + sex + age_group + hh_kids, dcs, "age_group", quasibinomial())
margin_refs("margins_strat_stype", api00 ~ ell + meals, api00 ~ ell + meals + stype, dst, "stype", gaussian())
margin_refs("margins_child_poisson", hh_kids ~ sex + age_group, hh_kids ~ urban_rural + sex + age_group,
            dcs, "urban_rural", quasipoisson())
res <- do.call(rbind, out)
write.csv(res, "glm_reference.csv", row.names = FALSE)
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")), "marginaleffects", as.character(packageVersion("marginaleffects")), "rows", nrow(res), "\n")
