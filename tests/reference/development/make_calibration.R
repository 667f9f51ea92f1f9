# make_calibration.R -- pairwise Rasch difficulties of the SYNTHETIC calibration input with R sirt
# (rasch.pairwise.itemcluster, the estimator the D-score keys were calibrated with). Nothing here is
# real data. (Conditional ML with eRm::RM was tried for comparison: on this input, with its many
# missing-answer patterns, it did not finish within 20 minutes on the shared 2-core machine.)
#
# Input: synthetic_calibration_input.csv (1,500 SYNTHETIC children, age + 60 items of the SYNTHETIC
# key; made with ecd.development.synthetic_responses(1500, random_state=20261204)).
# Run from this folder:  Rscript make_calibration.R
# Needs sirt 4.3-21 (alexanderrobitzsch/sirt@0a41c72, with CDM 8.4-2, TAM 4.4-2, pbv 0.6-9 from the
# same author's repositories; R 4.2.2 from Debian).
suppressPackageStartupMessages(library(sirt))
stopifnot(as.character(packageVersion("sirt")) == "4.3.21")
inp <- read.csv("synthetic_calibration_input.csv", check.names = FALSE)
dat <- as.matrix(inp[, setdiff(names(inp), "age")])
# items passed (or failed) by every child who answered them have no finite difficulty: left out,
# as ecd.development.calibrate leaves them out
p <- colMeans(dat, na.rm = TRUE)
cat("left out:", colnames(dat)[!(p > 0 & p < 1)], "\n")
dat <- dat[, p > 0 & p < 1]
# sirt's fixed-point iteration stops on the largest change only (it ignores maxiter): 1e-7 is reached
# (about 1,500 iterations), 1e-8 was not within 2 minutes (its internal 1e-10 offsets), so compare at 1e-4
pw <- rasch.pairwise.itemcluster(dat, conv = 1e-7, progress = FALSE)
b_pw <- pw$item$b
out <- data.frame(item = colnames(dat), b_pairwise = b_pw - mean(b_pw))
write.csv(out, "synthetic_calibration_sirt.csv", row.names = FALSE)
cat("wrote synthetic_calibration_sirt.csv", nrow(out), "items; sirt iterations:", pw$iter, "\n")
