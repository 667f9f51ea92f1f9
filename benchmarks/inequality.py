"""Benchmark: all 21 HEAT summary measures with simulation CIs on 1,000 strata, ecd vs R healthequal.

Run with ``.venv-bench/bin/python benchmarks/inequality.py [--strata 1000] [--repeat 3]``.

The strata are SYNTHETIC (``ecd.inequality.synthetic_strata``, seed 2026): one third
binary urban/rural, one third ordered quintiles, one third 3–8 regions; every
measure that applies is computed, the ten simulation measures with 100 draws each
(R's seed 123456, as HEAT does). The peer is R ``healthequal`` (one function call
per measure and stratum, as a healthequal user would write it). When R or the
package is missing (CRAN is unreachable in the project's build environment) the
script says so and reports ecd's own throughput. Goal: ecd >= 10x faster.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

try:
    import ecd.inequality as ineq
except ImportError as exc:  # pragma: no cover - the bench venv installs ecd
    raise SystemExit(f"peer not available: ecd ({exc}); install with pip install -e .") from exc

GOAL_RATIO = 10.0

R_SCRIPT = r"""
suppressMessages(library(healthequal))
he <- asNamespace("healthequal")
dat <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
t0 <- proc.time()[["elapsed"]]
for (k in unique(dat$indicator_abbr)) {
  s <- dat[dat$indicator_abbr == k, ]
  ord <- s$ordered_dimension[1] == 1
  if (ord) s <- s[order(s$subgroup_order), ]
  base <- list(est = s$estimate, se = s$se, favourable_indicator = s$favourable_indicator,
               ordered_dimension = s$ordered_dimension)
  if (ord) base$subgroup_order <- s$subgroup_order else base$reference_subgroup <- s$reference_subgroup
  do.call(he$d, base); do.call(he$r, base)
  if (nrow(s) <= 2) next
  imp <- list(est = s$estimate, pop = s$population, favourable_indicator = s$favourable_indicator,
              ordered_dimension = s$ordered_dimension, scaleval = s$indicator_scale)
  if (ord) imp$subgroup_order <- s$subgroup_order
  do.call(he$paf, imp); do.call(he$parisk, imp)
  if (ord) {
    rk <- list(est = s$estimate, subgroup_order = s$subgroup_order, pop = s$population)
    do.call(he$aci, rk); do.call(he$rci, rk); do.call(he$sii, rk); do.call(he$rii, rk)
  } else {
    an <- list(est = s$estimate, se = s$se, pop = s$population)
    sim <- c(an, list(scaleval = s$indicator_scale))
    do.call(he$bgv, an); do.call(he$ti, an); do.call(he$mld, an)
    do.call(he$bgsd, sim); do.call(he$covar, sim); do.call(he$idisu, sim); do.call(he$idisw, sim)
    do.call(he$mdmu, sim); do.call(he$mdmw, sim)
    do.call(he$mdbu, list(est = s$estimate, se = s$se, scaleval = s$indicator_scale,
                          favourable_indicator = s$favourable_indicator))
    do.call(he$mdbw, c(sim, list(favourable_indicator = s$favourable_indicator)))
  }
}
cat(proc.time()[["elapsed"]] - t0, "\n")
"""


def healthequal_available() -> str:
    """'' when R and healthequal can run, else why not."""
    if shutil.which("Rscript") is None:
        return "Rscript not found (install r-base-core)"
    probe = subprocess.run(["Rscript", "-e", "cat(requireNamespace('healthequal', quietly=TRUE))"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != "TRUE":
        return ("R package healthequal is not installed (CRAN is unreachable here; "
                "install it from source to compare)")
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strata", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    df = ineq.synthetic_strata(args.strata, random_state=2026)
    print(f"{args.strata} SYNTHETIC strata, {len(df)} subgroup rows; all 21 measures, "
          "simulation CIs with 100 draws")
    best = {}
    for method in ("heat", "healthequal", "corrected"):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = ineq.summarize(df, method=method)
            times.append(time.perf_counter() - t0)
        best[method] = min(times)
        tidy = res.tidy()
        print(f"ecd method={method:<12} best of {args.repeat}: {best[method]:.3f} s  "
              f"({args.strata / best[method]:,.0f} strata/s, {1e3 * best[method] / args.strata:.2f} ms/stratum; "
              f"{int(tidy['estimate'].notna().sum())} measures estimated)")

    why = healthequal_available()
    if why:
        print(f"peer not available: {why}")
        print("ratio: not measured (ecd timed alone)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "strata.csv"
        df.to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(path)], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"peer not available: healthequal failed: {out.stderr.strip()[-400:]}")
            return
        r_seconds = float(out.stdout.split()[-1])
    ratio = r_seconds / best["healthequal"]
    print(f"R healthequal: {r_seconds:.3f} s ({args.strata / r_seconds:,.0f} strata/s)")
    print(f"ratio healthequal/ecd: {ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x: "
          f"{'met' if ratio >= GOAL_RATIO else 'NOT met'})")


if __name__ == "__main__":
    main()
