# make_itembank.R -- a SYNTHETIC item bank in the layout R dscore exports (builtin_itembank:
# key, item, tau, label, instrument, domain, mode, number) with two keys and items whose tau is NA,
# and what R dscore 1.10.0 computes with it. Nothing here comes from a real item bank.
#
# Run from this folder after make_synthetic.R:  Rscript make_itembank.R
# Needs R >= 4.2 and dscore 1.10.0 on the library path (R_LIBS).
#
# Files written:
#   synthetic_itembank.csv          two keys, written as a researcher exports an item bank
#                                   (write.csv(..., row.names = FALSE): NA is the text "NA")
#   synthetic_itembank_dscore.csv   id, a, n, p, d, sem from dscore(key = "zz_synthetic",
#                                   itembank = <that file>) on synthetic_input.csv
suppressPackageStartupMessages(library(dscore))
stopifnot(as.character(packageVersion("dscore")) == "1.10.0")
options(warn = 1)

INTERCEPT <- 54.939147
SLOPE <- 4.064264
QP <- seq(-10, 100, by = 1)

key <- read.csv("synthetic_key.csv", stringsAsFactors = FALSE)
# five uncalibrated items spread over the difficulty range: R leaves them out of the key
uncal <- key$item[c(8, 19, 30, 41, 52)]
parts <- decompose_itemnames(key$item)
bank_one <- function(name, tau) data.frame(
  key = name, item = key$item, tau = tau,
  label = paste("SYNTHETIC item", parts$number),
  instrument = parts$instrument, domain = parts$domain, mode = parts$mode, number = parts$number,
  stringsAsFactors = FALSE)
tau_main <- ifelse(key$item %in% uncal, NA_real_, key$tau)
# a second key on the same items, every tau 7 D higher (selecting the wrong key changes every d)
bank <- rbind(bank_one("zz_other", key$tau + 7), bank_one("zz_synthetic", tau_main))
write.csv(bank, "synthetic_itembank.csv", row.names = FALSE)
cat("wrote synthetic_itembank.csv", nrow(bank), "rows; NA tau:", paste(uncal, collapse = ", "), "\n")

inp <- read.csv("synthetic_input.csv", check.names = FALSE, colClasses = c(id = "character"))
items <- setdiff(names(inp), c("id", "agedays", "age"))
exp <- read.csv("synthetic_dscore.csv", colClasses = c(id = "character"))
stopifnot(identical(exp$id, inp$id))
ib <- read.csv("synthetic_itembank.csv", stringsAsFactors = FALSE)
res <- withCallingHandlers(
  dscore(inp, items = items, key = "zz_synthetic", itembank = ib, transform = c(INTERCEPT, SLOPE),
         qp = QP, prior_mean = exp$prior_mean, prepend = "id"),
  warning = function(w) if (grepl("^Reference .* not found", conditionMessage(w))) invokeRestart("muffleWarning"))
out <- res[, c("id", "a", "n", "p", "d", "sem")]
for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]][is.nan(out[[j]])] <- NA_real_
write.csv(out, "synthetic_itembank_dscore.csv", row.names = FALSE, na = "")
cat("wrote synthetic_itembank_dscore.csv", nrow(out), "rows\n")
# the uncalibrated items' answers are not counted: n drops by the answers they had
answered <- rowSums(!is.na(inp[, uncal]))
stopifnot(all(out$n[exp$n > 0] == (exp$n - answered)[exp$n > 0]))
cat("answers to uncalibrated items ignored:", sum(answered), "\n")
