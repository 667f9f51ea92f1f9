# make_setting_average.R -- healthequal 1.0.1 when BOTH populations and a setting average are
# given (HEAT Plus data carry both columns). Written by w-bench on 2026-12-04 after
# benchmarks/inequality.py found ecd's MDMU point estimate using the population-weighted mean here.
# Run from this folder: Rscript make_setting_average.R  (R 4.2.2, healthequal 1.0.1 from
# WHOequity/healthequal@3e7e040, marginaleffects 0.23.0). The stratum is SYNTHETIC.
suppressPackageStartupMessages(library(healthequal))
stopifnot(as.character(packageVersion("healthequal")) == "1.0.1")
est <- c(12.5, 20.1, 31.7, 18.2); se <- c(1.2, 2.0, 1.5, 0.9); pop <- c(3000, 1500, 800, 2200)
sa <- rep(19, 4); scale <- rep(100, 4)
row <- function(func, args, r, error = "")
  data.frame(func = func, args = args, estimate = r$estimate, se = r$se, lowerci = r$lowerci,
             upperci = r$upperci, error = error)
crash <- tryCatch({idisu(est = est, se = se, pop = pop, scaleval = scale, setting_average = sa); "no error"},
                  error = function(e) conditionMessage(e))
out <- rbind(
  row("mdmu", "est;se;pop;scaleval;setting_average",
      mdmu(est = est, se = se, pop = pop, scaleval = scale, setting_average = sa)),
  row("mdmu", "est;se;pop;scaleval", mdmu(est = est, se = se, pop = pop, scaleval = scale)),
  row("idisu", "est;pop;scaleval;setting_average",
      suppressWarnings(idisu(est = est, pop = pop, scaleval = scale, setting_average = sa))),
  row("idisu", "est;se;pop;scaleval;setting_average", list(estimate = NA, se = NA, lowerci = NA, upperci = NA),
      crash))
for (j in c("estimate", "se", "lowerci", "upperci"))
  out[[j]] <- ifelse(is.na(out[[j]]), NA, sprintf("%.17g", as.numeric(out[[j]])))
write.csv(cbind(data.frame(subgroup_est = paste(est, collapse = ";"), subgroup_se = paste(se, collapse = ";"),
                           subgroup_pop = paste(pop, collapse = ";"), setting_average = 19), out),
          "healthequal_setting_average.csv", row.names = FALSE, na = "")
cat("wrote healthequal_setting_average.csv\n")
