# Reference outputs for ecd.compare from base R (no packages), on SYNTHETIC data.
# Run: Rscript make_reference.R   (in tests/reference/compare/)
d <- read.csv("synthetic_long.csv", na.strings = "NA", stringsAsFactors = FALSE)
d <- d[!is.na(d$value), ]
# latest observation per indicator x geo
o <- d[order(d$indicator, d$geo, -d$year), ]
last <- o[!duplicated(o[, c("indicator", "geo")]), c("indicator", "geo", "year", "value")]
n <- aggregate(year ~ indicator + geo, data = d, FUN = function(y) length(unique(y)))
names(n)[3] <- "n_years"
f <- aggregate(year ~ indicator + geo, data = d, FUN = min)
names(f)[3] <- "first_year"
last <- merge(merge(last, n), f)
last <- last[order(last$indicator, last$geo), ]
write.csv(last, "r_latest.csv", row.names = FALSE)
# coverage: years with data, first/last year, observations per indicator x geo
cov <- do.call(rbind, lapply(split(d, list(d$indicator, d$geo), drop = TRUE), function(s)
  data.frame(indicator = s$indicator[1], geo = s$geo[1], n_years = length(unique(s$year)),
             first_year = min(s$year), last_year = max(s$year), n_obs = nrow(s),
             n_sources = length(unique(s$source_id)))))
cov <- cov[order(cov$indicator, cov$geo), ]
write.csv(cov, "r_coverage.csv", row.names = FALSE)
# indicator x year presence matrix for CN (1 = data)
cn <- d[d$geo == "CN", ]
m <- table(cn$indicator, factor(cn$year, levels = min(cn$year):max(cn$year)))
m[m > 1] <- 1
write.csv(as.data.frame.matrix(m), "r_matrix_CN.csv")
writeLines(R.version.string, "r_version.txt")
