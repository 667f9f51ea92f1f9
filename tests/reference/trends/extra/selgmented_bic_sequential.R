# selgmented(type = "bic", Kmax = 3) of segmented 1.6-2 on series where segmented(npsi = 3) from its
# default start fails but selgmented's sequential search (found by benchmarks/trends.py) does not
suppressPackageStartupMessages(library(segmented))
d <- read.csv("synthetic_series_sequential.csv")
out <- list()
for (s in unique(d$series)) {
  g <- d[d$series == s, ]
  g$ly <- log(g$value)
  m0 <- lm(ly ~ year, data = g)
  o <- selgmented(m0, seg.Z = ~year, type = "bic", Kmax = 3, msg = FALSE)
  p <- if (inherits(o, "segmented")) o$psi[, 2] else numeric(0)
  n3 <- tryCatch(length(segmented(m0, seg.Z = ~year, npsi = 3)$psi[, 2]), error = function(e) NA)
  out[[length(out) + 1]] <- data.frame(series = s, n_psi = length(p), psi = paste(p, collapse = ";"),
                                       segmented_npsi3 = n3)
}
write.csv(do.call(rbind, out), "selgmented_bic_sequential.csv", row.names = FALSE)
