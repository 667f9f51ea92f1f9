"""Benchmark ``ecd.survey`` against R ``survey`` and svy (PyPI) on 1,000,000 SYNTHETIC rows.

Run with ``.venv-bench/bin/python benchmarks/survey.py [--rows 1000000] [--r-rows 1000000]
[--repeat 3]``.

Task, the same for every tool: build the design (60 strata, 3,000 PSUs, weights), estimate the
proportion stunted by urban/rural with its logit CI (R ``svyby(~stunted, ~urban, d, svyciprop,
method = "logit", vartype = c("se", "ci"))``) and the mean HAZ by 6 regions with SEs (``svyby(~haz,
~region, d, svymean)``). R and ecd read the same CSV file (reading not timed) and their estimates,
SEs and proportion CIs are compared (rel 1e-9; CIs 1e-7, the tolerance of
tests/unit/test_survey_reference.py). svy (polars; benchmark environment only) runs the same
task on the same frame and its estimates and SEs are compared too.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
from ecd.survey import Design

REL, REL_CI = 1e-9, 1e-7
STRATA, PSUS = 60, 3000


def make_data(rows: int, seed: int = 20261129) -> pd.DataFrame:
    """SYNTHETIC two-stage sample: ``STRATA`` strata of ``PSUS / STRATA`` PSUs, weights, HAZ."""
    rng = np.random.default_rng(seed)
    psu = np.sort(rng.integers(0, PSUS, rows))
    stratum = psu // (PSUS // STRATA)
    urban_psu = rng.random(PSUS) < 0.45
    region_psu = (np.arange(PSUS) // (PSUS // STRATA)) % 6
    effect = rng.normal(0, 0.4, PSUS)
    haz = rng.normal(-1.1 + 0.5 * urban_psu[psu] + effect[psu], 1.1)
    return pd.DataFrame({
        "stratum": stratum.astype(np.int64),
        "psu": psu.astype(np.int64),
        "weight": rng.uniform(20, 400, rows),
        "urban": np.where(urban_psu[psu], "urban", "rural"),
        "region": np.array(["r1", "r2", "r3", "r4", "r5", "r6"])[region_psu[psu]],
        "haz": haz,
        "stunted": (haz < -2).astype(np.int64),
    })


def ecd_task(df: pd.DataFrame) -> pd.DataFrame:
    d = Design(df, strata="stratum", psu="psu", weights="weight")
    p = d.proportion("stunted", by="urban", ci="logit").tidy()
    m = d.mean("haz", by="region").tidy()
    return pd.concat([p.assign(what="proportion"), m.assign(what="mean")], ignore_index=True)


def tidy(out: pd.DataFrame) -> pd.DataFrame:
    out = out.assign(domain=out["domain"].astype(str))
    out = out.set_index(["what", "domain"])[["estimate", "se", "ci_low", "ci_high"]].sort_index()
    out.loc["mean", ["ci_low", "ci_high"]] = np.nan  # R's svyby(svymean) reports none: not compared
    return out


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
df <- read.csv(ecd_args[1], stringsAsFactors = FALSE); out <- ecd_args[2]
res <- ecd_bench("survey", function() {
  d <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = df)
  p <- svyby(~stunted, ~urban, d, svyciprop, method = "logit", vartype = c("se", "ci"))
  m <- svyby(~haz, ~region, d, svymean)
  list(p = p, m = m)
})
p <- res$p; m <- res$m
ecd_write(rbind(
  data.frame(what = "proportion", domain = as.character(p$urban), estimate = coef(p), se = SE(p),
             ci_low = p$ci_l, ci_high = p$ci_u),
  data.frame(what = "mean", domain = as.character(m$region), estimate = coef(m), se = SE(m),
             ci_low = NA, ci_high = NA)), out)
"""


TASK = "design + proportion by urban/rural + mean by region"


def run_svy(report: B.Report, df: pd.DataFrame, ours: pd.DataFrame, ecd_t: B.Timing, repeat: int) -> None:
    svy = report.py_peer("svy", "svy")
    pl = None if svy is None else report.py_peer("polars", "polars")
    if svy is None or pl is None:
        return
    pdf = pl.from_pandas(df)

    def task():
        sample = svy.Sample(data=pdf, design=svy.Design(stratum="stratum", psu="psu", wgt="weight"))
        return sample.estimation.prop(y="stunted", by="urban"), sample.estimation.mean(y="haz", by="region")

    try:
        t, (p, m) = B.best_of(task, repeat)
    except Exception as exc:  # noqa: BLE001 — a peer's API drift is reported, not fatal
        report.missing_peer("svy", f"failed ({type(exc).__name__}: {exc})")
        return
    report.timed(TASK, f"{len(df):,} rows", ecd_t, t, "svy")
    try:
        theirs = pd.concat([_svy_frame(p, "urban", "proportion", 1), _svy_frame(m, "region", "mean", None)])
        theirs = theirs.set_index(["what", "domain"]).sort_index()
        mine = ours.loc[theirs.index]
    except Exception as exc:  # noqa: BLE001
        report.check(TASK, "svy", False, "svy's output could be read",
                     f"{type(exc).__name__}: {exc}")
        return
    report.agreement(TASK, "svy", B.compare(mine, theirs, {"estimate": (0, REL), "se": (0, REL)}),
                     what="estimates and SEs of the 8 domains", tolerance=f"rel {REL:g}")


def _svy_frame(est, by: str, what: str, level) -> pd.DataFrame:
    """svy's estimate table as ``what, domain, estimate, se`` (for a proportion: the level ``level``)."""
    frame = est.to_polars().to_pandas() if hasattr(est, "to_polars") else pd.DataFrame(est.to_dicts())
    if level is not None:
        y = next(c for c in frame.columns if c in ("y_level", "level", "stunted"))
        frame = frame[frame[y].astype(str) == str(level)]
    est_col = next(c for c in frame.columns if c.lower() in ("est", "estimate"))
    se_col = next(c for c in frame.columns if c.lower() in ("se", "stderr"))
    return pd.DataFrame({"what": what, "domain": frame[by].astype(str).to_numpy(),
                         "estimate": frame[est_col].to_numpy(float), "se": frame[se_col].to_numpy(float)})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for ecd (and svy)")
    ap.add_argument("--r-rows", type=int, default=1_000_000, help="rows for ecd and R survey")
    args = B.common_args(ap).parse_args(argv)

    report = B.Report("survey", "design + proportion by urban/rural + mean by region, ecd vs R survey", args)
    report.note(f"SYNTHETIC rows: {STRATA} strata, {PSUS:,} PSUs, weights (seeded)")
    peer = report.r_peer(["survey"], args, label="R survey")
    task = TASK
    if peer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = B.share(make_data(args.r_rows), tmp, "survey")
            df = B.read_shared(path, dtype={"urban": str, "region": str})
            out = f"{tmp}/survey_r.csv"
            r_times = report.run_r(peer, R_SCRIPT, [path, out], args, f"R survey on {len(df):,} rows")
            ecd_t, ours = B.best_of(lambda: ecd_task(df), args.repeat)
            if r_times is not None:
                report.timed(task, f"{len(df):,} rows", ecd_t, r_times["survey"], "R survey")
                theirs = tidy(B.read_shared(out, dtype={"domain": str}))
                report.agreement(task, "R survey", B.compare(tidy(ours), theirs, {
                    "estimate": (0, REL), "se": (0, REL), "ci_low": (0, REL_CI), "ci_high": (0, REL_CI)}),
                    what="8 domains; CIs of the proportions (logit, t with the domain's design df)",
                    tolerance=f"estimate and SE rel {REL:g}, CI rel {REL_CI:g}")
    if peer is None or args.rows != args.r_rows:
        df = make_data(args.rows)
        ecd_t, ours = B.best_of(lambda: ecd_task(df), args.repeat)
        report.timed(task, f"{args.rows:,} rows", ecd_t, note="ecd alone")
    run_svy(report, df, tidy(ours), ecd_t, args.repeat)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
