# segmented_boundary.R -- a SYNTHETIC series on which segmented(npsi = 3) stops: its bootstrap ends
# with breakpoints outside the data and the final lm() refit fails ("0 (non-NA) cases").
# The series is s54 of benchmarks/trends.py (seeded), which found ecd raising numpy's
# LinAlgError here. Written by w-bench on 2026-12-04; run from this folder with
# `Rscript segmented_boundary.R` (R 4.2.2, Debian r-cran-segmented 1.6-2-1).
suppressPackageStartupMessages(library(segmented))
stopifnot(as.character(packageVersion("segmented")) == "1.6.2")
g <- read.csv("synthetic_series_boundary.csv"); g$ly <- log(g$value)
out <- list()
for (k in 1:3) {
  r <- tryCatch(segmented(lm(ly ~ year, data = g), seg.Z = ~year, npsi = k), error = function(e) conditionMessage(e))
  out[[k]] <- data.frame(series = "b54", call = paste0("segmented npsi=", k),
                         psi = if (inherits(r, "segmented")) paste(sprintf("%.17g", r$psi[, 2]), collapse = ";") else "",
                         error = if (is.character(r)) r else "")
}
o <- selgmented(lm(ly ~ year, data = g), seg.Z = ~year, type = "bic", Kmax = 3, msg = FALSE)
out[[4]] <- data.frame(series = "b54", call = "selgmented bic Kmax=3",
                       psi = if (inherits(o, "segmented")) paste(sprintf("%.17g", o$psi[, 2]), collapse = ";") else "",
                       error = "")
write.csv(do.call(rbind, out), "segmented_boundary.csv", row.names = FALSE)
cat("wrote segmented_boundary.csv\n")
