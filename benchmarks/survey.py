"""Benchmark ``ecd.survey`` against svy (PyPI) and R ``survey`` on 1,000,000 synthetic rows.

Run with the benchmark environment::

    .venv-bench/bin/python benchmarks/survey.py [--rows 1000000] [--repeat 3]

Task timed for every tool: build the design (60 strata, 3,000 PSUs, weights),
estimate the proportion stunted by urban/rural and the mean HAZ by region
(6 domains), with SEs. Data generation and loading are not timed. A peer that
is not installed is reported as "peer not available: ..." and skipped.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def make_data(rows: int, seed: int = 20261129) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_strata, n_psu = 60, 3000
    psu = np.sort(rng.integers(0, n_psu, rows))
    stratum = psu // (n_psu // n_strata)
    urban_psu = rng.random(n_psu) < 0.45
    region_psu = stratum[np.searchsorted(psu, np.arange(n_psu)).clip(0, rows - 1)] % 6
    effect = rng.normal(0, 0.4, n_psu)
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


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run_ecd(df: pd.DataFrame, repeat: int):
    from ecd.survey import Design

    def task():
        d = Design(df, strata="stratum", psu="psu", weights="weight")
        p = d.proportion("stunted", by="urban", ci="logit")
        m = d.mean("haz", by="region")
        return p.tidy(), m.tidy()

    t, (p, m) = best_of(task, repeat)
    return t, p.set_index("domain")[["estimate", "se"]], m.set_index("domain")[["estimate", "se"]]


def run_svy(df: pd.DataFrame, repeat: int):
    try:
        import polars as pl
        import svy
    except ImportError as exc:  # pragma: no cover - depends on the bench venv
        print(f"peer not available: svy ({exc})")
        return None
    pdf = pl.from_pandas(df)

    def task():
        design = svy.Design(stratum="stratum", psu="psu", wgt="weight")
        sample = svy.Sample(data=pdf, design=design)
        p = sample.estimation.prop(y="stunted", by="urban")
        m = sample.estimation.mean(y="haz", by="region")
        return p, m

    try:
        t, (p, m) = best_of(task, repeat)
    except Exception as exc:  # pragma: no cover - peer API drift
        print(f"peer not available: svy failed ({type(exc).__name__}: {exc})")
        return None
    return t, p, m


R_SCRIPT = r"""
suppressMessages(library(survey))
df <- read.csv("%(path)s")
tm <- system.time({
  d <- svydesign(id=~psu, strata=~stratum, weights=~weight, data=df)
  p <- svyby(~stunted, ~urban, d, svymean)
  m <- svyby(~haz, ~region, d, svymean)
})
cat("ELAPSED", tm[["elapsed"]], "\n")
out <- rbind(data.frame(domain = as.character(p[[1]]), estimate = coef(p), se = SE(p)),
             data.frame(domain = as.character(m[[1]]), estimate = coef(m), se = SE(m)))
write.csv(out, "%(out)s", row.names = FALSE)
"""


def run_r(df: pd.DataFrame):
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("peer not available: R survey (no Rscript on PATH)")
        return None
    ok = subprocess.run([rscript, "-e", "suppressMessages(library(survey))"], capture_output=True)
    if ok.returncode != 0:
        print("peer not available: R survey (Rscript found, package 'survey' is not installed)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.csv")
        df.to_csv(path, index=False)
        out = os.path.join(tmp, "r_out.csv")
        script = os.path.join(tmp, "bench.R")
        with open(script, "w") as fh:
            fh.write(R_SCRIPT % {"path": path, "out": out})
        res = subprocess.run([rscript, script], capture_output=True, text=True)
        if res.returncode != 0:
            print(f"peer not available: R survey failed ({res.stderr.strip()[-300:]})")
            return None
        numbers = pd.read_csv(out).set_index("domain")
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("ELAPSED"))
    return float(line.split()[1]), numbers


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true", help="skip R survey")
    args = ap.parse_args(argv)

    df = make_data(args.rows)
    print(f"rows={len(df):,} strata={df.stratum.nunique()} psus={df.psu.nunique()} "
          f"task: design + proportion(stunted) by urban/rural + mean(haz) by 6 regions")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (timings are wall clock)")
    t_ecd, p_ecd, m_ecd = run_ecd(df, args.repeat)
    print(f"ecd.survey : {t_ecd:8.3f} s (best of {args.repeat})")
    ours = pd.concat([p_ecd, m_ecd])
    print(ours.round(6).to_string())

    svy_res = run_svy(df, args.repeat)
    if svy_res is not None:
        t_svy, p_svy, m_svy = svy_res
        print(f"svy        : {t_svy:8.3f} s (best of {args.repeat})   ecd is {t_svy / t_ecd:5.1f}x faster")
        print(p_svy)
    r_res = None if args.no_r else run_r(df)
    if r_res is not None:
        t_r, numbers = r_res
        print(f"R survey   : {t_r:8.3f} s (one run)        ecd is {t_r / t_ecd:5.1f}x faster")
        both = ours.join(numbers.add_suffix("_r"), how="inner")
        rel = (both[["estimate", "se"]].to_numpy() / both[["estimate_r", "se_r"]].to_numpy() - 1)
        print(f"agreement with R on {len(both)} domains: max relative difference {abs(rel).max():.1e}"
              " (proportions: ecd reports svyciprop's logit fit, R here svymean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
