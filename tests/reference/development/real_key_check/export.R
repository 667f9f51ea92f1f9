# export.R -- exports R dscore 1.10.0's item bank, references and key table, and scores the real
# gcdg_chn children (childdevdata, CC BY 4.0) with two built-in keys, for check.py to compare with
# ecd. Everything it writes stays in the working directory OUTSIDE the repository: the GSED tables
# are AGPL-3 and are not part of ecd.
#
#   mkdir -p /tmp/realkey && cd /tmp/realkey && Rscript <repo>/tests/reference/development/real_key_check/export.R
#   <repo>/.venv/bin/python <repo>/tests/reference/development/real_key_check/check.py
suppressPackageStartupMessages(library(dscore))
stopifnot(as.character(packageVersion("dscore")) == "1.10.0")
data_path <- Sys.getenv("GCDG_CHN", "/work/shared/data-seed/batch-2026-12/microdata/gcdg_chn.tsv")
write.csv(builtin_itembank, "itembank.csv", row.names = FALSE)
write.csv(builtin_references, "references.csv", row.names = FALSE)
d <- read.delim(data_path)
a <- round(d$agedays / 365.25, 4)
for (k in c("gsed2406", "gcdg")) {
  bk <- builtin_keys[builtin_keys$key == k, ]
  # the key's parameters in ecd's key_params.yaml layout; the prior mean is passed per child
  writeLines(c(paste0("key: ", k), paste0("base_population: ", bk$base_population),
               sprintf("transform: {intercept: %.15g, slope: %.15g}", bk$intercept, bk$slope),
               sprintf("quadrature: {from: %g, to: %g, by: %g}", bk$from, bk$to, bk$by),
               "prior: {sd: 5}"), paste0(k, ".yaml"))
  r <- dscore(d, key = k, xname = "agedays", xunit = "days", prepend = "subjid")
  r$mu <- get_mu(a, key = k)
  write.csv(r, paste0("r_", k, ".csv"), row.names = FALSE, na = "")
  t0 <- Sys.time(); invisible(dscore(d, key = k, xname = "agedays", xunit = "days"))
  cat(k, "R dscore seconds:", format(as.numeric(Sys.time() - t0, units = "secs")), "\n")
}
