# R 4.x defaults (Mersenne-Twister, Inversion, Rejection): the numbers ecd.trends._segmented.RRandom must give
set.seed(12345)
s <- sample(30, 40, replace = TRUE)
u <- runif(5)
set.seed(1)
s2 <- sample(7, 20, replace = TRUE)
o <- optimize(function(h) (h - 0.3)^2 + sin(5 * h), c(0, 1))
o2 <- optimize(function(h) abs(h - 0.123456), c(0, 1))
out <- rbind(
  data.frame(what = "sample_seed12345_n30", i = seq_along(s), value = s),
  data.frame(what = "runif_after_sample_seed12345", i = seq_along(u), value = u),
  data.frame(what = "sample_seed1_n7", i = seq_along(s2), value = s2),
  data.frame(what = "optimize_sin_minimum", i = 1, value = o$minimum),
  data.frame(what = "optimize_abs_minimum", i = 1, value = o2$minimum))
write.csv(out, "r_rng_optimize.csv", row.names = FALSE)
cat(R.version.string, "\n")
