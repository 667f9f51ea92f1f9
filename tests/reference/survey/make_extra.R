# Extra R survey reference values for ecd.survey (lonely PSUs, multistage, fpc as fractions).
# Run from this folder:  Rscript make_extra.R   (R survey 4.1.1, Debian r-cran-survey)
# Input: the SYNTHETIC child_survey.csv beside this script. Output: extra_reference.csv.
suppressMessages(library(survey))
cs <- read.csv("child_survey.csv")
out <- list()
add <- function(design, option, call, estimand, domain, stat, value) {
  out[[length(out) + 1]] <<- data.frame(design = design, lonely_psu = option, call = call,
    estimand = estimand, domain = domain, stat = stat, value = sprintf("%.17g", value))
}
stats_of <- function(design, option, call, est, dom = "all") {
  v <- coef(est); s <- SE(est)
  for (i in seq_along(v)) {
    add(design, option, call, names(v)[i], dom, "estimate", v[i])
    add(design, option, call, names(v)[i], dom, "se", s[i])
  }
}
by_of <- function(design, option, call, b) {
  v <- coef(b); s <- SE(b)
  for (i in seq_along(v)) {
    add(design, option, call, "domain", names(v)[i], "estimate", v[i])
    add(design, option, call, "domain", names(v)[i], "se", s[i])
  }
  vc <- vcov(b)
  if (length(v) >= 2) add(design, option, call, "domain", paste(names(v)[1:2], collapse = "|"), "cov", vc[1, 2])
}

# --- lonely PSUs: keep one PSU in strata 1 and 4, all PSUs elsewhere
keep <- !(cs$stratum %in% c(1, 4)) | cs$psu_in_stratum == 1
lon <- cs[keep, ]
write.csv(lon, "extra_lonely_input.csv", row.names = FALSE)
for (opt in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = opt)
  for (withfpc in c(TRUE, FALSE)) {
    dn <- if (withfpc) "lonely_fpc" else "lonely_nofpc"
    d <- if (withfpc) svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N, data = lon)
         else svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = lon)
    stats_of(dn, opt, "svymean(~stunted + haz)", svymean(~stunted + haz, d))
    stats_of(dn, opt, "svytotal(~stunted + haz)", svytotal(~stunted + haz, d))
    by_of(dn, opt, "svyby(~stunted, ~urban_rural, svymean, covmat=TRUE)",
          svyby(~stunted, ~urban_rural, d, svymean, covmat = TRUE))
    by_of(dn, opt, "svyby(~haz, ~sex, svymean, covmat=TRUE)",
          svyby(~haz, ~sex, d, svymean, covmat = TRUE))
    by_of(dn, opt, "svyby(~stunted, ~region, svytotal, covmat=TRUE)",
          svyby(~stunted, ~region, d, svytotal, covmat = TRUE))
    p <- svyciprop(~stunted, d, method = "logit")
    add(dn, opt, "svyciprop(~stunted, method='logit')", "stunted", "all", "ci_lo", attr(p, "ci")[1])
    add(dn, opt, "svyciprop(~stunted, method='logit')", "stunted", "all", "ci_hi", attr(p, "ci")[2])
    add(dn, opt, "degf", "degf", "all", "degf", degf(d))
  }
}
options(survey.lonely.psu = "fail")

# --- two stages with an fpc at each: segments (child_id %% 3) within PSUs, 10 per PSU in the population
ms <- cs
ms$seg <- ms$child_id %% 3
ms$seg_N <- 10
write.csv(ms, "extra_multistage_input.csv", row.names = FALSE)
d2 <- svydesign(id = ~psu + seg, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N + seg_N, data = ms)
stats_of("multistage", "fail", "svymean(~stunted + haz)", svymean(~stunted + haz, d2))
stats_of("multistage", "fail", "svytotal(~stunted + haz)", svytotal(~stunted + haz, d2))
by_of("multistage", "fail", "svyby(~stunted, ~urban_rural, svymean, covmat=TRUE)",
      svyby(~stunted, ~urban_rural, d2, svymean, covmat = TRUE))
add("multistage", "fail", "degf", "degf", "all", "degf", degf(d2))

# --- fpc given as sampling fractions (values <= 1)
fr <- cs
fr$frac <- ave(fr$psu, fr$stratum, FUN = function(x) length(unique(x))) / fr$fpc_psu_N
d3 <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~frac, data = fr)
stats_of("fraction", "fail", "svymean(~stunted + haz)", svymean(~stunted + haz, d3))
stats_of("fraction", "fail", "svytotal(~stunted + haz)", svytotal(~stunted + haz, d3))
write.csv(fr, "extra_fraction_input.csv", row.names = FALSE)

# --- proportions with missing values, by domain, every CI method; ratios by domain; zero weights
ci_of <- function(design, option, call, p, dom) {
  add(design, option, call, "p", dom, "estimate", coef(p))
  add(design, option, call, "p", dom, "se", SE(p))
  add(design, option, call, "p", dom, "ci_lo", attr(p, "ci")[1])
  add(design, option, call, "p", dom, "ci_hi", attr(p, "ci")[2])
}
na <- cs
na$stunted_na <- ifelse(is.na(na$haz_na), NA, as.numeric(na$haz_na < -2))
write.csv(na, "extra_na_input.csv", row.names = FALSE)
dn <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N, data = na)
for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit")) {
  call <- sprintf("svyciprop(~stunted_na, method='%s', na.rm=TRUE)", m)
  ci_of("na", "fail", call, svyciprop(~stunted_na, dn, method = m, na.rm = TRUE), "all")
  for (ur in c("rural", "urban")) {
    sub <- subset(dn, urban_rural == ur)
    ci_of("na", "fail", sprintf("svyciprop(~stunted_na, subset(urban_rural), method='%s', na.rm=TRUE)", m),
          svyciprop(~stunted_na, sub, method = m, na.rm = TRUE), ur)
    ci_of("na", "fail", sprintf("svyciprop(~stunted, subset(urban_rural), method='%s')", m),
          svyciprop(~stunted, sub, method = m), ur)
  }
}
r <- svyby(~stunted, ~urban_rural, dn, svyratio, denominator = ~hh_kids, covmat = TRUE)
for (i in 1:2) {
  add("na", "fail", "svyby(~stunted, ~urban_rural, svyratio, denominator=~hh_kids)", "ratio", rownames(r)[i], "estimate", coef(r)[i])
  add("na", "fail", "svyby(~stunted, ~urban_rural, svyratio, denominator=~hh_kids)", "ratio", rownames(r)[i], "se", SE(r)[i])
}
zw <- cs
zw$weight[1:30] <- 0
write.csv(zw, "extra_zero_weight_input.csv", row.names = FALSE)
dz <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc_psu_N, data = zw)
mz <- svymean(~stunted + haz, dz, deff = TRUE)
for (v in c("stunted", "haz")) {
  add("zero_weight", "fail", "svymean(~stunted + haz, deff=TRUE)", v, "all", "estimate", coef(mz)[v])
  add("zero_weight", "fail", "svymean(~stunted + haz, deff=TRUE)", v, "all", "se", SE(mz)[v])
  add("zero_weight", "fail", "svymean(~stunted + haz, deff=TRUE)", v, "all", "deff", deff(mz)[v])
}
ci_of("zero_weight", "fail", "svyciprop(~stunted, method='beta')", svyciprop(~stunted, dz, method = "beta"), "all")
add("zero_weight", "fail", "degf", "degf", "all", "degf", degf(dz))

# --- R's bundled apiclus2: two-stage cluster sample (districts, schools) with an fpc per stage
data(api)
write.csv(apiclus2, "extra_apiclus2.csv", row.names = FALSE)
dc2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
stats_of("apiclus2", "fail", "svymean(~api00 + api99)", svymean(~api00 + api99, dc2))
stats_of("apiclus2", "fail", "svymean(~enroll, na.rm=TRUE)", svymean(~enroll, dc2, na.rm = TRUE))
stats_of("apiclus2", "fail", "svytotal(~enroll, na.rm=TRUE)", svytotal(~enroll, dc2, na.rm = TRUE))
by_of("apiclus2", "fail", "svyby(~api00, ~stype, svymean, covmat=TRUE)", svyby(~api00, ~stype, dc2, svymean, covmat = TRUE))
for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit")) {
  ci_of("apiclus2", "fail", sprintf("svyciprop(~I(sch.wide=='Yes'), method='%s')", m),
        svyciprop(~I(sch.wide == "Yes"), dc2, method = m), "all")
}
add("apiclus2", "fail", "degf", "degf", "all", "degf", degf(dc2))

res <- do.call(rbind, out)
write.csv(res, "extra_reference.csv", row.names = FALSE)
cat(R.version.string, "survey", as.character(packageVersion("survey")), "\n")
