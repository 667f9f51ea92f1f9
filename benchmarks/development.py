"""Benchmark: D-score + DAZ for 100,000 children × 50 items, ecd vs R dscore.

Run with ``.venv-bench/bin/python benchmarks/development.py [--n 100000] [--r-n 20000] [--items 50]
[--repeat 3]``.

Data: SYNTHETIC Rasch responses on the SYNTHETIC 60-item key shipped with ecd (50 items drawn,
15 % unanswered), ages 14–1095 days. R ``dscore`` scores them with that key passed as an item
bank (the key's transform, quadrature points and per-row prior means) and ``daz()`` with the
SYNTHETIC BCT reference table; ecd runs ``ecd.development.dscore`` with the same key and
reference. Both are timed on the same ``--r-n`` children read from one CSV file and their
``a, n, p, d, sem, daz`` compared (tests/reference/development/README.md tolerances: a, n, p,
d and daz exact after rounding, sem 1e-8); ecd alone on ``--n``. ecd's BLAS thread count is
left as installed; the CPU/CPU ratio shows what threads contribute.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
from ecd.development import Key, Reference, dscore
from ecd.development._synthetic import synthetic_key_paths, synthetic_reference_path

EXACT = 1e-9
TOLERANCES = {"a": (EXACT, 0.0), "n": (0.0, 0.0), "p": (EXACT, 0.0), "d": (EXACT, 0.0), "sem": (1e-8, 0.0),
              "daz": (EXACT, 0.0)}


def make_data(key: Key, n: int, n_items: int, seed: int = 20261129) -> pd.DataFrame:
    """SYNTHETIC Rasch responses: ``agedays`` and ``n_items`` item columns (0/1, 15 % missing)."""
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


R_SCRIPT = r"""
suppressPackageStartupMessages(library(dscore))
key <- read.csv(ecd_args[1]); ref <- read.csv(ecd_args[2])
data <- read.csv(ecd_args[3], check.names = FALSE); out <- ecd_args[4]
transform <- as.numeric(ecd_args[5:6]); qp <- seq(as.numeric(ecd_args[7]), as.numeric(ecd_args[8]))
items <- setdiff(names(data), c("agedays", "mu"))
ib <- data.frame(key = key$key[1], item = key$item, tau = key$tau)
r <- ecd_bench("dscore", function() {
  # dscore() looks for a built-in reference of this key and warns that there is none; its daz
  # column is replaced by daz() with the SYNTHETIC reference table, as a user would do
  r <- withCallingHandlers(
    dscore(data, items = items, key = key$key[1], itembank = ib, xname = "agedays", xunit = "days",
           transform = transform, qp = qp, prior_mean = data$mu),
    warning = function(w) if (grepl("^Reference .* not found", conditionMessage(w))) invokeRestart("muffleWarning"))
  r$daz <- daz(r$d, r$a, reference_table = ref, dec = 3)
  r
})
ecd_write(r[, c("a", "n", "p", "d", "sem", "daz")], out)
"""


def run(key, ref, df):
    return dscore(df, key, age="agedays", age_unit="days", reference=ref)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="children scored by ecd alone")
    ap.add_argument("--r-n", type=int, default=20_000, help="children scored by both ecd and R dscore")
    ap.add_argument("--items", type=int, default=50)
    args = B.common_args(ap).parse_args(argv)
    key = Key.from_files(*synthetic_key_paths())
    ref_path = synthetic_reference_path("bct")
    ref = Reference.from_csv(ref_path)

    report = B.Report("development", "D-score + DAZ, ecd vs R dscore", args)
    report.note(f"SYNTHETIC key ({len(key.items)} items) and BCT reference; {args.items} items per child, "
                "15 % unanswered")
    peer = report.r_peer(["dscore"], args, label="R dscore")
    size = lambda n: f"{n:,} children × {args.items} items"  # noqa: E731
    if peer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            df = make_data(key, args.r_n, args.items)
            # R gets the key's prior mean per row (computed here, outside both timings); ecd applies
            # the same rule inside dscore() — a few vectorised operations, included in ecd's time
            shared = df.assign(mu=key.prior_mean(np.round(df["agedays"] / 365.25, key.rounding["age"])))
            data_path = B.share(shared, tmp, "children")
            key_path = B.share(key.table().assign(key=key.name), tmp, "key")
            df = B.read_shared(data_path).drop(columns="mu")
            out = f"{tmp}/dscore_r.csv"
            r_times = report.run_r(peer, R_SCRIPT, [key_path, ref_path, data_path, out, key.intercept, key.slope,
                                                    int(key.qp[0]), int(key.qp[-1])], args,
                                   f"R dscore on {len(df):,} children")
            ecd_t, ours = B.best_of(lambda: run(key, ref, df), args.repeat)
            if r_times is not None:
                report.timed("D-score + DAZ", size(len(df)), ecd_t, r_times["dscore"], "R dscore")
                theirs = B.read_shared(out)
                report.agreement("D-score + DAZ", "R dscore", B.compare(ours, theirs, TOLERANCES),
                                 what="a, n, p, d, sem, daz of every child",
                                 tolerance="a, n, p, d, daz exact after rounding (abs 1e-9), sem abs 1e-8")
    if peer is None or args.n != args.r_n:
        df = make_data(key, args.n, args.items)
        ecd_t, out = B.best_of(lambda: run(key, ref, df), args.repeat)
        report.timed("D-score + DAZ", size(args.n), ecd_t,
                     note=f"ecd alone; scored {int(out['d'].notna().sum()):,} rows")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
