# selgmented(type = "bic", Kmax = 3) of segmented 1.6-2 on each series (and the two reference series)
suppressPackageStartupMessages(library(segmented))
d <- read.csv("synthetic_series_40.csv")
r0 <- read.csv("../imr_synthetic_urban_rural_1991_2020.csv"); r0$value <- r0$rate
d <- rbind(d[, c("series", "year", "value")], r0[, c("series", "year", "value")])
out <- list()
for (s in unique(d$series)) {
  g <- d[d$series == s, ]
  g$ly <- log(g$value)
  m0 <- lm(ly ~ year, data = g)
  o <- selgmented(m0, seg.Z = ~year, type = "bic", Kmax = 3, msg = FALSE)
  p <- if (inherits(o, "segmented")) o$psi[, 2] else numeric(0)
  out[[length(out) + 1]] <- data.frame(series = s, n_psi = length(p), psi = paste(p, collapse = ";"))
}
write.csv(do.call(rbind, out), "selgmented_bic.csv", row.names = FALSE)
