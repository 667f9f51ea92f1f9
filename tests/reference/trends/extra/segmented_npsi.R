# segmented 1.6-2 with its defaults (seg.control(): n.boot = 10, seed = 12345) on each series, npsi = 1, 2
suppressPackageStartupMessages(library(segmented))
d <- read.csv("synthetic_series_40.csv")
out <- list()
for (s in unique(d$series)) {
  g <- d[d$series == s, ]
  g$ly <- log(g$value)
  m0 <- lm(ly ~ year, data = g)
  for (k in 1:2) {
    r <- tryCatch({
      o <- segmented(m0, seg.Z = ~year, npsi = k)
      if (is.null(o$psi)) stop("no psi")
      data.frame(series = s, npsi = k, psi = paste(o$psi[, 2], collapse = ";"), rss = sum(resid(o)^2))
    }, error = function(e) data.frame(series = s, npsi = k, psi = NA, rss = NA))
    out[[length(out) + 1]] <- r
  }
}
write.csv(do.call(rbind, out), "segmented_npsi.csv", row.names = FALSE)
