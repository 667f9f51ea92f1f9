"""Benchmark: the 21 HEAT summary measures with CIs, ecd vs R healthequal, on SYNTHETIC strata.

Run with ``.venv-bench/bin/python benchmarks/inequality.py [--strata 1000] [--r-strata 24]
[--repeat 3]``.

Strata come from ``ecd.inequality.synthetic_strata`` (seed 2026): one third binary urban/rural
(urban the reference), one third ordered quintiles, one third non-ordered with 3–8 regions. In
half of the region strata R1 is flagged as the reference subgroup (so that MDRU and MDRW apply),
and half of them have no setting average (healthequal's ``idisu`` crashes when given SEs,
populations and a setting average), crossed, so that all 21 measures are computed somewhere:

- binary: D, R;
- ordered: D, R, PAF, PAR, ACI, RCI, SII, RII;
- non-ordered: D, R, PAF, PAR, BGV, BGSD, COV, IDISU, IDISW, MDBU, MDBW, MDMU, MDMW, TI, MLD,
  and MDRU, MDRW where a reference subgroup is flagged.

R calls each healthequal function once per stratum and measure, as a healthequal user would,
with every argument the function takes that the data have (estimates, SEs, populations,
favourable flag, ordering, reference flag, setting average, scale); simulation measures use
healthequal's default seed 123456. ecd runs ``summarize(df, method="healthequal")`` (R's seed
reproduced) on the same strata read from the same CSV file. Both are timed on ``--r-strata``
strata (R needs ~3 s per stratum here: 1,000 strata would take ~54 minutes) and every estimate,
SE and CI compared: rel 1e-9, except SII/RII SE and CI rel 1e-4 (healthequal differentiates them
numerically; tests/reference/inequality/PROVENANCE.md). ecd alone on ``--strata`` strata.

healthequal computes RII through marginaleffects; marginaleffects older than 0.11.1 ignores
``comparison = "lnratio"`` (0.9.0 with a warning) and RII comes out silently wrong, 0.11.0
crashes. With such a version R's RII is refused (not run) and the output says so.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
import ecd.inequality as ineq

KEYS = ["indicator_abbr", "measure"]
REL = 1e-9
REL_SII = 1e-4
MIN_MARGINALEFFECTS = (0, 11, 1)
FUNCTIONS = {"d": "D", "r": "R", "paf": "PAF", "parisk": "PAR", "aci": "ACI", "rci": "RCI", "sii": "SII",
             "rii": "RII", "bgv": "BGV", "bgsd": "BGSD", "covar": "COV", "idisu": "IDISU", "idisw": "IDISW",
             "mdbu": "MDBU", "mdbw": "MDBW", "mdmu": "MDMU", "mdmw": "MDMW", "mdru": "MDRU", "mdrw": "MDRW",
             "ti": "TI", "mld": "MLD"}


def make_data(n_strata: int) -> pd.DataFrame:
    df = ineq.synthetic_strata(n_strata, random_state=2026)
    regions = df.loc[df["dimension"] == "Region", "indicator_abbr"].unique()
    flagged = {k for i, k in enumerate(regions) if i % 4 in (0, 1)}
    df.loc[df["indicator_abbr"].isin(flagged) & (df["subgroup"] == "R1"), "reference_subgroup"] = 1
    no_average = set(regions[1::2])
    df.loc[df["indicator_abbr"].isin(no_average), "setting_average"] = np.nan
    return df


R_SCRIPT = r"""
suppressPackageStartupMessages(library(healthequal))
dat <- read.csv(ecd_args[1], stringsAsFactors = FALSE); out <- ecd_args[2]
skip <- if (length(ecd_args) >= 3) strsplit(ecd_args[3], ",")[[1]] else character(0)
FUN <- list(binary = c("d", "r"),
            ordered = c("d", "r", "paf", "parisk", "aci", "rci", "sii", "rii"),
            nonordered = c("d", "r", "paf", "parisk", "bgv", "bgsd", "covar", "idisu", "idisw",
                           "mdbu", "mdbw", "mdmu", "mdmw", "ti", "mld"))
strata <- split(dat, factor(dat$indicator_abbr, levels = unique(dat$indicator_abbr)))
run_all <- function() {
  res <- list()
  for (k in names(strata)) {
    s <- strata[[k]]
    ord <- s$ordered_dimension[1] == 1
    if (ord) s <- s[order(s$subgroup_order), ]
    kind <- if (ord) "ordered" else if (nrow(s) <= 2) "binary" else "nonordered"
    fns <- FUN[[kind]]
    if (kind == "nonordered" && any(s$reference_subgroup == 1)) fns <- c(fns, "mdru", "mdrw")
    fns <- setdiff(fns, skip)
    have <- list(est = s$estimate, se = s$se, pop = s$population,
                 favourable_indicator = s$favourable_indicator, ordered_dimension = s$ordered_dimension,
                 subgroup_order = s$subgroup_order, reference_subgroup = s$reference_subgroup,
                 setting_average = s$setting_average, scaleval = s$indicator_scale)
    if (all(is.na(s$setting_average))) have$setting_average <- NULL
    for (f in fns) {
      fun <- getExportedValue("healthequal", f)
      r <- tryCatch(suppressWarnings(do.call(fun, have[intersect(names(formals(fun)), names(have))])),
                    error = function(e) data.frame(estimate = NA, se = NA, lowerci = NA, upperci = NA,
                                                   error = conditionMessage(e)))
      res[[length(res) + 1]] <- data.frame(indicator_abbr = k, func = f, estimate = r$estimate[1],
                                           se = r$se[1], lowerci = r$lowerci[1], upperci = r$upperci[1],
                                           error = if (is.null(r$error)) NA else r$error[1])
    }
  }
  do.call(rbind, res)
}
r <- ecd_bench("healthequal", run_all)
ecd_write(r, out)
"""


def refused_measures(peer: B.RPeer) -> tuple[set[str], str | None]:
    """Measures R healthequal must not run with the installed peer versions, and why.

    marginaleffects < 0.11.1 makes healthequal's RII silently wrong (0.9.0) or crash (0.11.0).
    """
    if peer.version("marginaleffects") < MIN_MARGINALEFFECTS:
        return {"RII"}, (f"REFUSED: R healthequal's RII is not run — marginaleffects {peer.versions['marginaleffects']}"
                         " < 0.11.1 ignores comparison='lnratio' (0.9.0) or crashes (0.11.0), so RII would be "
                         "silently wrong; install marginaleffects >= 0.11.1 (needs insight >= 0.19.7)")
    return set(), None


def r_skip(refused: set[str]) -> str:
    """The R script's skip argument: healthequal function names of the refused measures."""
    return ",".join(k for k, v in FUNCTIONS.items() if v in refused)


def compare_measures(report: B.Report, ours: pd.DataFrame, theirs: pd.DataFrame, refused: set[str]) -> None:
    """Every (stratum, measure) ecd has; R's values where R ran the function, else missing."""
    theirs = theirs.assign(measure=theirs["func"].map(FUNCTIONS)).rename(
        columns={"lowerci": "ci_low", "upperci": "ci_high"})
    errors = theirs[theirs["error"].notna()]
    if len(errors):
        kinds = errors.groupby(["func", "error"]).size()
        report.note(f"healthequal crashed on {len(errors)} calls, not compared: " + "; ".join(
            f"{f} ×{n}: {e[:100]}" for (f, e), n in kinds.items())
            + " (e.g. idisu with se, pop and setting_average: MEASURES.md §5.8)")
        crashed = errors.set_index(KEYS).index
        ours = ours[~ours.set_index(KEYS).index.isin(crashed)]
        theirs = theirs[theirs["error"].isna()]
    ours = ours[~ours["measure"].isin(refused)]
    merged = ours[KEYS + ["estimate", "se", "ci_low", "ci_high", "note"]].merge(
        theirs[KEYS + ["estimate", "se", "ci_low", "ci_high"]], on=KEYS, how="left", suffixes=("", "_r"),
        validate="one_to_one")
    not_ours = theirs[~theirs.set_index(KEYS).index.isin(merged.set_index(KEYS).index)]
    if len(not_ours):
        report.check("21 measures", "R healthequal", False, "every measure R computed is in ecd's table",
                     f"{len(not_ours)} missing, e.g. {not_ours[KEYS].iloc[0].tolist()}")
    checks, shown = [], []
    for m in sorted(merged["measure"].unique(), key=list(FUNCTIONS.values()).index):
        part = merged[merged["measure"] == m]
        sii = m in ("SII", "RII")
        tol = {"estimate": (1e-12, REL), "se": (1e-12, REL_SII if sii else REL),
               "ci_low": (1e-12, REL_SII if sii else REL), "ci_high": (1e-12, REL_SII if sii else REL)}
        theirs_part = part[[f"{c}_r" for c in tol]].set_axis(list(tol), axis=1)
        cols = [B.ColumnAgreement(**{**c.__dict__, "column": f"{m}.{c.column}"})
                for c in B.compare(part[list(tol)], theirs_part, tol)]
        checks += cols
        shown.append(max(cols, key=lambda c: (not c.ok, c.max_rel if np.isfinite(c.max_rel) else np.inf)))
    n_measures = merged.loc[merged["estimate_r"].notna(), "measure"].nunique()
    report.agreement("21 measures", "R healthequal", checks,
                     what=f"{n_measures} measures computed by R on {merged['indicator_abbr'].nunique()} strata; "
                          "estimate, SE, CI per measure (worst column of each measure shown)",
                     tolerance="rel 1e-9; SII/RII SE and CI rel 1e-4; NA where R did not compute", shown=shown)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strata", type=int, default=1000, help="strata for ecd alone")
    ap.add_argument("--r-strata", type=int, default=24, help="strata for ecd and R healthequal (R: ~3 s each)")
    args = B.common_args(ap).parse_args(argv)

    report = B.Report("inequality", "21 HEAT summary measures with CIs, ecd vs R healthequal", args)
    report.note("SYNTHETIC strata (ecd.inequality.synthetic_strata, seed 2026; in half of the region strata R1 "
                "is the reference, half have no setting average); simulation CIs with 100 draws, R's seed "
                "123456 on both sides")
    peer = report.r_peer(["healthequal", "marginaleffects", "insight"], args, label="R healthequal")
    if peer is not None:
        refused, why = refused_measures(peer)
        if why:
            report.note(why)
        with tempfile.TemporaryDirectory() as tmp:
            path = B.share(make_data(args.r_strata), tmp, "strata")
            df = B.read_shared(path, dtype={"subgroup": str})
            out = f"{tmp}/healthequal_r.csv"
            skip = r_skip(refused)
            r_times = report.run_r(peer, R_SCRIPT, [path, out, skip], args, f"R healthequal on {args.r_strata} strata")
            ecd_t, res = B.best_of(lambda: ineq.summarize(df, method="healthequal"), args.repeat)
            if r_times is not None:
                t = r_times["healthequal"]
                report.timed("21 measures", f"{args.r_strata} strata, {len(df)} subgroup rows", ecd_t, t,
                             "R healthequal", note=f"R {t.wall / args.r_strata:.2f} s per stratum (wall), "
                                                   f"ecd {1e3 * ecd_t.wall / args.r_strata:.2f} ms")
                compare_measures(report, res.tidy(), B.read_shared(out), refused)
    if peer is None or args.strata != args.r_strata:
        df = make_data(args.strata)
        for method in ("healthequal", "heat"):
            t, res = B.best_of(lambda: ineq.summarize(df, method=method), args.repeat)
            n_est = int(res.tidy()["estimate"].notna().sum())
            report.timed(f"21 measures, method={method}", f"{args.strata} strata, {len(df)} subgroup rows", t,
                         note=f"ecd alone; {args.strata / t.wall:,.0f} strata/s, {n_est:,} estimates "
                              f"of {res.tidy()['measure'].nunique()} measures")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
