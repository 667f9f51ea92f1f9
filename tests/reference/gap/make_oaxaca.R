# Blinder-Oaxaca reference values for ecd.gap.oaxaca (issue 19).
# Run from this folder:  Rscript make_oaxaca.R   (R 4.2, oaxaca 0.1.5 from the package's public
# repository, Hlavac 2022). Data: the package's `chicago` (712 Hispanic workers in Chicago, CPS), written
# to chicago.csv. Outputs: oaxaca_reference.csv (long: model, decomposition, weight, component, term,
# stat, value) and oaxaca_draws_<model>.csv (the bootstrap row indices R drew, 1-based, one column per
# draw: oaxaca() draws sample(1:n, n, replace = TRUE) per replicate after set.seed, nothing else
# consumes the generator, so replaying set.seed + sample gives exactly its draws).
suppressMessages(library(oaxaca))
data("chicago")
write.csv(chicago, "chicago.csv", row.names = FALSE)
out <- list()
add <- function(model, dec, w, comp, term, stat, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, decomposition = dec, weight = w, component = comp,
                                        term = term, stat = stat, value = sprintf("%.17g", value))
}
models <- list(
  plain = list(f = ln.real.wage ~ age + female + LTHS + some.college + college + advanced.degree | foreign.born,
               gw = NULL, R = 200, seed = 20261204),
  dummies = list(f = ln.real.wage ~ age + female + LTHS + some.college + college + advanced.degree | foreign.born |
                   LTHS + some.college + college + advanced.degree,
                 gw = c(0.2, 0.4), R = 100, seed = 3104))
for (nm in names(models)) {
  m <- models[[nm]]
  set.seed(m$seed)
  r <- suppressMessages(oaxaca(m$f, data = chicago, group.weights = m$gw, R = m$R))
  set.seed(m$seed)
  idx <- sapply(seq_len(m$R), function(i) sample(1:nrow(chicago), size = nrow(chicago), replace = TRUE))
  colnames(idx) <- paste0("draw", seq_len(m$R))
  write.csv(idx, paste0("oaxaca_draws_", nm, ".csv"), row.names = FALSE)
  add(nm, "means", NA, "y", "A", "estimate", r$y$y.A); add(nm, "means", NA, "y", "B", "estimate", r$y$y.B)
  add(nm, "means", NA, "y", "diff", "estimate", r$y$y.diff)
  add(nm, "means", NA, "n", "A", "estimate", r$n$n.A); add(nm, "means", NA, "n", "B", "estimate", r$n$n.B)
  comps3 <- c("endowments", "coefficients", "interaction")
  for (k in comps3) {
    add(nm, "threefold", NA, k, "overall", "estimate", r$threefold$overall[[paste0("coef(", k, ")")]])
    add(nm, "threefold", NA, k, "overall", "se", r$threefold$overall[[paste0("se(", k, ")")]])
    v <- r$threefold$variables
    for (t in rownames(v)) {
      add(nm, "threefold", NA, k, t, "estimate", v[t, paste0("coef(", k, ")")])
      add(nm, "threefold", NA, k, t, "se", v[t, paste0("se(", k, ")")])
    }
  }
  comps2 <- c("explained", "unexplained", "unexplained A", "unexplained B")
  tw <- r$twofold$overall
  for (i in seq_len(nrow(tw))) {
    w <- tw[i, "group.weight"]
    for (k in comps2) {
      add(nm, "twofold", w, k, "overall", "estimate", tw[i, paste0("coef(", k, ")")])
      add(nm, "twofold", w, k, "overall", "se", tw[i, paste0("se(", k, ")")])
      v <- r$twofold$variables[[i]]
      for (t in rownames(v)) {
        add(nm, "twofold", w, k, t, "estimate", v[t, paste0("coef(", k, ")")])
        add(nm, "twofold", w, k, t, "se", v[t, paste0("se(", k, ")")])
      }
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, "oaxaca_reference.csv", row.names = FALSE)
cat("R", R.version$major, R.version$minor, "oaxaca", as.character(packageVersion("oaxaca")), "rows", nrow(res), "\n")
