# SYNTHETIC province-like data and R's k-means (Lloyd) on scale()d columns.
# Run: Rscript make_kmeans_reference.R   (writes kmeans_input.csv, kmeans_expected.csv, kmeans_inertia.csv)
set.seed(20261129)
n <- 31
grp <- rep(1:3, length.out = n)
x <- data.frame(
  geo = sprintf("P%02d", 1:n),
  cbr_1997 = round(c(18, 14, 10)[grp] + rnorm(n, 0, 1.5), 2),
  cbr_2021 = round(c(10, 7, 6)[grp] + rnorm(n, 0, 0.8), 2),
  gdp_2023 = round(c(60000, 75000, 150000)[grp] + rnorm(n, 0, 9000), 0)
)
z <- scale(x[, -1])
for (k in c(2, 3, 4)) {
  st <- seq_len(k)
  fit <- kmeans(z, centers = z[st, , drop = FALSE], algorithm = "Lloyd", iter.max = 100)
  out <- data.frame(k = k, geo = x$geo, cluster = fit$cluster)
  cen <- data.frame(k = k, cluster = seq_len(k), fit$centers)
  ine <- data.frame(k = k, tot_withinss = fit$tot.withinss, iter = fit$iter)
  if (k == 2) { A <- out; C <- cen; I <- ine } else { A <- rbind(A, out); C <- rbind(C, cen); I <- rbind(I, ine) }
}
write.csv(x, "kmeans_input.csv", row.names = FALSE)
write.csv(A, "kmeans_expected.csv", row.names = FALSE)
write.csv(C, "kmeans_centers_z.csv", row.names = FALSE)
write.csv(format(I, digits = 17), "kmeans_inertia.csv", row.names = FALSE)
write.csv(data.frame(mean = attr(z, "scaled:center"), sd = attr(z, "scaled:scale"), feature = colnames(z)),
          "scale_expected.csv", row.names = FALSE)
cat(R.version.string, "\n")
