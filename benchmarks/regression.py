"""Benchmark design-based regression and gap decomposition: ecd vs R ``survey`` (svyglm) and R ``oaxaca``.

Run with ``.venv/bin/python benchmarks/regression.py [--rows 1000000] [--decomp-rows 100000]
[--draws 200] [--repeat 3] [--decomp-repeat 1]``.

1. ``svyglm``: SYNTHETIC 1,000,000 rows, 60 strata, 3,000 PSUs, weights; a logistic model with 10
   terms besides the intercept (six numeric covariates and a 5-level factor). Timed on both sides:
   building the design and fitting the model with design-based SEs (R: ``svydesign`` +
   ``svyglm(family = quasibinomial())`` + ``summary``; ecd: ``Design`` + ``ecd.survey.glm`` +
   ``tidy``). Coefficients and SEs are compared in the same run (rel 1e-6: R stops IRLS at its
   default ``epsilon = 1e-8``, which leaves SEs about 1e-8 relative from the converged solution).
2. Blinder-Oaxaca: SYNTHETIC 100,000 rows, two groups, five covariates, bootstrap SEs from 200
   draws (R: ``oaxaca(y ~ ... | group, R = 200)``; ecd: ``ecd.gap.oaxaca(draws=200)``). Point
   estimates of every reference are compared (rel 1e-8); the bootstrap SEs come from different
   random draws on the two sides, so they are compared within Monte Carlo error (rel 4/sqrt(draws)).

Both sides read the same CSV file (not timed); best of ``--repeat`` runs on each side.
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
import ecd
from ecd.survey import Design

STRATA, PSUS = 60, 3000
GLM_FORMULA = "stunted ~ x1 + x2 + x3 + x4 + x5 + x6 + region"
OAXACA_FORMULA = "y ~ x1 + x2 + x3 + x4 + x5"


def make_glm_data(rows: int, seed: int = 20261204) -> pd.DataFrame:
    """SYNTHETIC survey: clusters in strata, weights, six covariates, a 5-level factor, a 0/1 outcome."""
    rng = np.random.default_rng(seed)
    psu = np.sort(rng.integers(0, PSUS, rows))
    stratum = psu // (PSUS // STRATA)
    effect = rng.normal(0, 0.3, PSUS)
    x = rng.normal(size=(rows, 6)) + rng.normal(0, 0.5, (PSUS, 6))[psu]
    region = rng.integers(0, 5, PSUS)[psu]
    eta = -1.0 + x @ np.array([0.4, -0.3, 0.2, 0.0, 0.1, -0.2]) + 0.15 * region + effect[psu]
    df = pd.DataFrame({"stratum": stratum, "psu": psu, "weight": rng.uniform(20, 400, rows),
                       "region": np.array(["r1", "r2", "r3", "r4", "r5"])[region],
                       "stunted": (rng.random(rows) < 1 / (1 + np.exp(-eta))).astype(np.int64)})
    for j in range(6):
        df[f"x{j + 1}"] = x[:, j]
    return df


def make_oaxaca_data(rows: int, seed: int = 20261205) -> pd.DataFrame:
    """SYNTHETIC two-group sample: group 1 has lower covariates and a lower intercept."""
    rng = np.random.default_rng(seed)
    g = (rng.random(rows) < 0.45).astype(np.int64)
    x = rng.normal(size=(rows, 5)) - 0.4 * g[:, None]
    y = 1.0 + x @ np.array([0.5, 0.3, -0.2, 0.1, 0.25]) - 0.3 * g + 0.1 * g * x[:, 0] + rng.normal(0, 1, rows)
    df = pd.DataFrame({f"x{j + 1}": x[:, j] for j in range(5)})
    df["group"], df["y"] = g, y
    return df


def glm_task(df: pd.DataFrame) -> pd.DataFrame:
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    return ecd.survey.glm(GLM_FORMULA, d, family="quasibinomial").tidy()


def oaxaca_task(df: pd.DataFrame, draws: int) -> pd.DataFrame:
    return ecd.gap.oaxaca(df, OAXACA_FORMULA, group="group", draws=draws, random_state=1).table()


R_GLM = r"""
suppressPackageStartupMessages(library(survey))
df <- read.csv(ecd_args[1], stringsAsFactors = FALSE); out <- ecd_args[2]
s <- ecd_bench("svyglm", function() {
  d <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = df)
  f <- svyglm(stunted ~ x1 + x2 + x3 + x4 + x5 + x6 + region, design = d, family = quasibinomial())
  summary(f)$coefficients
})
ecd_write(data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2]), out)
"""

R_OAXACA = r"""
suppressPackageStartupMessages(library(oaxaca))
df <- read.csv(ecd_args[1]); out <- ecd_args[2]; draws <- as.integer(ecd_args[3])
set.seed(1)
r <- ecd_bench("oaxaca", function() suppressMessages(oaxaca(y ~ x1 + x2 + x3 + x4 + x5 | group, data = df, R = draws)))
tw <- r$twofold$overall
ecd_write(rbind(
  data.frame(decomposition = "twofold", weight = tw[, "group.weight"], component = "explained",
             estimate = tw[, "coef(explained)"], se = tw[, "se(explained)"]),
  data.frame(decomposition = "twofold", weight = tw[, "group.weight"], component = "unexplained",
             estimate = tw[, "coef(unexplained)"], se = tw[, "se(unexplained)"]),
  data.frame(decomposition = "threefold", weight = NA, component = c("endowments", "coefficients", "interaction"),
             estimate = r$threefold$overall[c(1, 3, 5)], se = r$threefold$overall[c(2, 4, 6)])), out)
"""

R_WEIGHT = {0.0: "group1", 1.0: "group0", 0.5: "reimers", -1.0: "neumark", -2.0: "pooled"}


def r_term(term: str) -> str:
    if term == "Intercept":
        return "(Intercept)"
    return term.replace("[T.", "").replace("]", "")


def run_glm(report, peer, args):
    task = f"design + logistic svyglm, 10 terms, {STRATA} strata, {PSUS:,} PSUs"
    with tempfile.TemporaryDirectory() as tmp:
        path = B.share(make_glm_data(args.rows), tmp, "glm")
        df = B.read_shared(path, dtype={"region": str})
        r_times = None
        if peer is not None:
            out = f"{tmp}/glm_r.csv"
            r_times = report.run_r(peer, R_GLM, [path, out], args, f"R svyglm on {len(df):,} rows")
        ecd_t, ours = B.best_of(lambda: glm_task(df), args.repeat)
        report.timed(task, f"{len(df):,} rows", ecd_t, r_times["svyglm"] if r_times else None, "R survey")
        if r_times:
            theirs = B.read_shared(out).set_index("term")
            mine = ours.assign(term=ours["term"].map(r_term)).set_index("term").loc[theirs.index]
            report.agreement(task, "R survey", B.compare(mine.reset_index(), theirs.reset_index(),
                             {"estimate": (0, 1e-6), "se": (0, 1e-6)}),
                             what="11 coefficients and SEs", tolerance="rel 1e-6 (R's default glm epsilon)")


def run_oaxaca(report, peer, args):
    task = f"Blinder-Oaxaca twofold (5 references) + threefold, {args.draws} bootstrap draws"
    dargs = copy.copy(args)
    dargs.repeat = args.decomp_repeat
    with tempfile.TemporaryDirectory() as tmp:
        path = B.share(make_oaxaca_data(args.decomp_rows), tmp, "oaxaca")
        df = B.read_shared(path)
        r_times = None
        if peer is not None:
            out = f"{tmp}/oaxaca_r.csv"
            r_times = report.run_r(peer, R_OAXACA, [path, out, args.draws], dargs,
                                   f"R oaxaca on {len(df):,} rows, {args.draws} draws")
        ecd_t, ours = B.best_of(lambda: oaxaca_task(df, args.draws), dargs.repeat)
        report.timed(task, f"{len(df):,} rows", ecd_t, r_times["oaxaca"] if r_times else None, "R oaxaca")
        if r_times:
            theirs = B.read_shared(out)
            refs = [R_WEIGHT.get(round(float(w), 6), "cotton") if d == "twofold" else ""
                    for w, d in zip(theirs["weight"], theirs["decomposition"])]
            theirs = theirs.assign(reference=refs)
            # R's bootstrap weights Cotton's reference by the other group's share: its SE is not comparable
            mine = ours[ours["term"] == "overall"].set_index(["decomposition", "reference", "component"])
            mine = mine.loc[list(zip(theirs["decomposition"], theirs["reference"], theirs["component"]))].reset_index()
            report.agreement(task, "R oaxaca", B.compare(mine, theirs, {"estimate": (1e-12, 1e-8)}),
                             what="overall components of every reference", tolerance="rel 1e-8")
            keep = (theirs["reference"] != "cotton").to_numpy()
            # two independent bootstrap SEs from R draws each differ by about 1/sqrt(R) relative
            mc = 4 / np.sqrt(args.draws)
            report.agreement(task, "R oaxaca", B.compare(mine[keep], theirs[keep], {"se": (0, mc)}),
                             what="bootstrap SEs (different random draws on each side; Cotton left out: R "
                             "bootstraps it with the other group's share)",
                             tolerance=f"rel {mc:.2f} = 4 Monte Carlo SDs of {args.draws} draws")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the svyglm task")
    ap.add_argument("--decomp-rows", type=int, default=100_000, help="rows of the decomposition task")
    ap.add_argument("--draws", type=int, default=200, help="bootstrap draws of the decomposition")
    ap.add_argument("--decomp-repeat", type=int, default=1, help="runs of the decomposition on both sides")
    ap.add_argument("--only", choices=["glm", "oaxaca"], help="run one task only")
    args = B.common_args(ap).parse_args(argv)
    report = B.Report("regression", "design-based logistic regression and Oaxaca decomposition, ecd vs R", args)
    report.note("SYNTHETIC data (seeded); the same CSV is read by both sides")
    if args.only in (None, "glm"):
        peer = report.r_peer(["survey"], args, label="R survey")
        run_glm(report, peer, args)
    if args.only in (None, "oaxaca"):
        peer = report.r_peer(["oaxaca"], args, label="R oaxaca")
        run_oaxaca(report, peer, args)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
