"""Benchmark: D-score + DAZ for 100,000 children x 50 items, ecd vs R dscore.

Run with ``.venv-bench/bin/python benchmarks/development.py [--n 100000] [--items 50]``.

R ``dscore`` is timed on the same data when ``Rscript`` with ``dscore`` is on the
path. Otherwise the ratio is taken against the issue's stated R time (48 s on
this machine class), and the output says so: that figure was not measured here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ecd.development import Key, Reference, dscore
from ecd.development._synthetic import synthetic_key_paths, synthetic_reference_path

ISSUE_R_SECONDS = 48.0


def make_data(key: Key, n: int, n_items: int, seed: int = 20261129) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = np.sort(rng.choice(len(key.items), size=n_items, replace=False))
    agedays = rng.integers(14, 1096, size=n)
    a = np.round(agedays / 365.25, 4)
    d_true = key.prior_mean(a) + rng.normal(0, 4, size=n)
    tau = key.tau[cols]
    p = 1 / (1 + np.exp(-(d_true[:, None] - tau[None, :]) / key.slope))
    x = (rng.random(p.shape) < p).astype(float)
    x[rng.random(p.shape) < 0.15] = np.nan
    df = pd.DataFrame(x, columns=[key.items[j] for j in cols])
    df.insert(0, "agedays", agedays)
    return df


def time_ecd(df, key, ref, repeat=5):
    """Best wall time and best CPU time of ``repeat`` runs (the machine is shared: best-of is the signal)."""
    wall, cpu = np.inf, np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = dscore(df, key, age="agedays", age_unit="days", reference=ref)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu, out


R_SCRIPT = r"""
suppressPackageStartupMessages(library(dscore))
args <- commandArgs(TRUE)
key <- read.csv(args[1]); data <- read.csv(args[2], check.names = FALSE)
items <- setdiff(names(data), c("agedays", "mu"))
ib <- data.frame(key = "zz_synthetic", item = key$item, tau = key$tau)
t0 <- proc.time()[["elapsed"]]
r <- dscore(data, items = items, key = "zz_synthetic", itembank = ib, xname = "agedays", xunit = "days",
            transform = c(54.939147, 4.064264), qp = -10:100, prior_mean = data$mu)
cat(proc.time()[["elapsed"]] - t0, "\n")
"""


def time_r(df, key):
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None, "peer not available: Rscript is not installed"
    probe = subprocess.run([rscript, "-e", "library(dscore)"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, "peer not available: R package dscore is not installed (CRAN is not reachable here)"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        key.table().to_csv(tmp / "key.csv", index=False)
        df.assign(mu=key.prior_mean(np.round(df["agedays"] / 365.25, 4))).to_csv(tmp / "data.csv", index=False, na_rep="NA")
        (tmp / "bench.R").write_text(R_SCRIPT)
        res = subprocess.run([rscript, str(tmp / "bench.R"), str(tmp / "key.csv"), str(tmp / "data.csv")],
                             capture_output=True, text=True)
        if res.returncode != 0:
            return None, f"peer failed: {res.stderr.strip()[:300]}"
        return float(res.stdout.split()[-1]), "R dscore, measured here"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=50)
    args = ap.parse_args(argv)
    key = Key.from_files(*synthetic_key_paths())
    ref = Reference.from_csv(synthetic_reference_path("bct"))
    df = make_data(key, args.n, args.items)
    print(f"D-score + DAZ (BCT), {args.n:,} children x {args.items} items, 15% missing answers, SYNTHETIC key")
    ecd_s, cpu_s, out = time_ecd(df, key, ref)
    print(f"ecd.development.dscore: {ecd_s:.3f} s wall, {cpu_s:.3f} s CPU (best of 5); "
          f"scored {int(out['d'].notna().sum()):,} rows; load average {os.getloadavg()[0]:.1f}")
    try:  # one BLAS thread: a measure that a busy shared machine disturbs less
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            one_s, one_cpu, _ = time_ecd(df, key, ref)
        print(f"ecd.development.dscore, 1 thread: {one_s:.3f} s wall, {one_cpu:.3f} s CPU (best of 5)")
    except ImportError:
        one_cpu = None
    r_s, note = time_r(df, key)
    if r_s is None:
        print(note)
        print(f"R dscore: {ISSUE_R_SECONDS:.0f} s -- the ISSUE'S STATED FIGURE, not a measurement on this machine")
        r_s = ISSUE_R_SECONDS
    else:
        print(f"R dscore: {r_s:.2f} s ({note})")
    print(f"ratio R / ecd (wall): {r_s / ecd_s:.0f}x (goal >= 50x)")
    if one_cpu:
        print(f"ratio R / ecd (1-thread CPU time): {r_s / one_cpu:.0f}x")


if __name__ == "__main__":
    main()
