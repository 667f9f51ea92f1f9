"""Benchmark: breakpoints of log-linear trends, ecd vs R segmented (``selgmented``), same series.

Run with ``.venv-bench/bin/python benchmarks/trends.py [--series 100] [--r-series 100]
[--permutations 4499] [--repeat 3]``.

- Continuous breakpoints: for every SYNTHETIC series (15–35 annual points, one or two true
  joinpoints, some years missing; ``ecd.trends.synthetic_series``, seeded) R runs
  ``selgmented(lm(log(value) ~ year), seg.Z = ~year, type = "bic", Kmax = 3)`` (segmented) and
  ecd ``joinpoint(..., continuous=True, select="bic", max_joinpoints=3)``, which ports segmented's
  algorithm including its seeded bootstrap restarts. Both read the same CSV file; the number of
  breakpoints selected must be equal and the breakpoints agree to rel 1e-4 (the tolerance of
  tests/unit/test_trends_reference.py).
- Joinpoint permutation test (Kim et al. 2000; 4,499 permutations, k <= 3, 30 points): ecd alone
  (NCI's Joinpoint program is a desktop application; no peer runs here).
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
import ecd.trends as tr
from ecd.errors import EcdError

REL_SEG = 1e-4
MAX_K = 3


def make_series(n_series: int, seed: int = 5) -> pd.DataFrame:
    """SYNTHETIC log-linear series: 15–35 years, one or two joinpoints, two years missing in every third."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(15, 36, n_series)
    starts, noise = rng.uniform(5, 60, n_series), rng.uniform(0.01, 0.08, n_series)
    parts = []
    for i, (n, start, sd) in enumerate(zip(lengths, starts, noise)):
        years = np.arange(1991, 1991 + n)
        k = 1 + i % 2
        d = tr.synthetic_series(years, start=float(start), apcs=tuple(rng.uniform(-10, -1, k + 1)),
                                joinpoints=tuple(np.sort(rng.choice(years[3:-3], k, replace=False))),
                                log_sd=float(sd), random_state=i)
        gaps = rng.choice(np.arange(1, n - 1), 2, replace=False) if i % 3 == 0 else []
        parts.append(d.drop(index=d.index[gaps]).assign(series=f"s{i}")[["series", "year", "value"]])
    return pd.concat(parts, ignore_index=True)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(segmented))
d <- read.csv(ecd_args[1], stringsAsFactors = FALSE); out <- ecd_args[2]; kmax <- as.integer(ecd_args[3])
groups <- split(d, factor(d$series, levels = unique(d$series)))
res <- ecd_bench("selgmented", function() {
  psi <- list()
  for (s in names(groups)) {
    # selgmented refits the lm through update(), which looks for the data in the global environment
    g <<- groups[[s]]
    g$ly <<- log(g$value)
    o <- tryCatch(selgmented(lm(ly ~ year, data = g), seg.Z = ~year, type = "bic", Kmax = kmax, msg = FALSE),
                  error = function(e) structure(conditionMessage(e), class = "failed"))
    psi[[s]] <- if (inherits(o, "failed")) o else if (inherits(o, "segmented")) o$psi[, 2] else numeric(0)
  }
  psi
})
failed <- sapply(res, function(p) is.character(p))
ecd_write(data.frame(series = names(res), n_psi = ifelse(failed, NA, sapply(res, length)),
                     psi = sapply(res, function(p) if (is.character(p)) "" else paste(sprintf("%.17g", p), collapse = ";")),
                     error = ifelse(failed, sapply(res, function(p) if (is.character(p)) p[1] else ""), NA)), out)
"""


def ecd_selgmented(groups: list[tuple[str, pd.DataFrame]]) -> dict[str, np.ndarray | str]:
    """Breakpoints per series, or the error's message (as R's loop records selgmented's errors)."""
    out = {}
    for name, g in groups:
        try:
            out[name] = tr.joinpoint(g, continuous=True, select="bic", max_joinpoints=MAX_K).joinpoints_
        except Exception as err:  # noqa: BLE001 — recorded and checked against R, never fatal
            kind = type(err).__name__ if isinstance(err, EcdError) else f"UNEXPECTED {type(err).__name__}"
            out[name] = f"{kind}: {err}"
    return out


def compare_breakpoints(report: B.Report, ours: dict[str, np.ndarray | str], theirs: pd.DataFrame) -> None:
    theirs = theirs.set_index("series")
    r_failed = set(theirs.index[theirs["error"].notna()])
    ecd_failed = {s for s, v in ours.items() if isinstance(v, str)}
    if r_failed:
        report.note(f"R's selgmented stopped with an error on {len(r_failed)} of {len(theirs)} series (not compared): "
                    f"{theirs.loc[sorted(r_failed)[0], 'error'][:120]}; ecd on them: "
                    + "; ".join(f"{s} {'error' if s in ecd_failed else np.round(ours[s], 2).tolist()}"
                                for s in sorted(r_failed)[:5]))
    only_ecd = ecd_failed - r_failed
    report.check("breakpoints", "R segmented", not only_ecd, "ecd fits every series R fits",
                 "ecd failed on " + "; ".join(f"{s}: {ours[s]}" for s in sorted(only_ecd)[:3]) if only_ecd
                 else f"{len(theirs) - len(r_failed)} series")
    ours = {s: v for s, v in ours.items() if s not in r_failed | ecd_failed}
    theirs = theirs.drop(index=sorted(r_failed | ecd_failed))
    n_ours = pd.Series({s: len(v) for s, v in ours.items()})
    n_r = theirs["n_psi"].reindex(n_ours.index)
    differ = n_ours.index[n_ours.to_numpy() != n_r.to_numpy()]
    report.check("breakpoints", "R segmented", len(differ) == 0, "number of breakpoints selected (BIC)",
                 f"equal on {len(n_ours) - len(differ)} of {len(n_ours)} series"
                 + (f"; differs on {', '.join(differ[:10])}" if len(differ) else "")
                 + f"; selected k: {n_ours.value_counts().sort_index().to_dict()}")
    same = [s for s in n_ours.index if s not in set(differ) and n_ours[s] > 0]
    mine = pd.Series(np.concatenate([ours[s] for s in same]) if same else [], dtype=float, name="breakpoint")
    r_psi = [np.array([float(v) for v in str(theirs.loc[s, "psi"]).split(";")]) for s in same]
    r = pd.Series(np.concatenate(r_psi) if same else [], dtype=float, name="breakpoint")
    report.agreement("breakpoints", "R segmented", [B.compare_column(mine, r, 0.0, REL_SEG, name="breakpoint")],
                     what=f"{len(mine)} breakpoints of the {len(same)} series with k > 0 selected alike",
                     tolerance=f"rel {REL_SEG:g}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100, help="series for ecd alone")
    ap.add_argument("--r-series", type=int, default=100, help="series for ecd and R segmented")
    ap.add_argument("--permutations", type=int, default=4499)
    args = B.common_args(ap).parse_args(argv)

    report = B.Report("trends", "breakpoints (selgmented, BIC) ecd vs R segmented; joinpoint permutation test", args)
    report.note(f"SYNTHETIC series (15–35 points, one or two joinpoints, some years missing); Kmax = {MAX_K}")
    peer = report.r_peer(["segmented"], args, label="R segmented")
    task = f"breakpoints, selgmented(type='bic', Kmax={MAX_K})"
    if peer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = B.share(make_series(args.r_series), tmp, "series")
            data = B.read_shared(path, dtype={"series": str})
            groups = list(data.groupby("series", sort=False))
            out = f"{tmp}/selgmented_r.csv"
            r_times = report.run_r(peer, R_SCRIPT, [path, out, MAX_K], args, f"R segmented on {len(groups)} series")
            ecd_t, ours = B.best_of(lambda: ecd_selgmented(groups), args.repeat)
            if r_times is not None:
                report.timed(task, f"{len(groups)} series, {len(data):,} points", ecd_t, r_times["selgmented"],
                             "R segmented")
                compare_breakpoints(report, ours, B.read_shared(out, dtype={"series": str, "psi": str, "error": str}))
    if peer is None or args.series != args.r_series:
        data = make_series(args.series)
        groups = list(data.groupby("series", sort=False))
        ecd_t, _ = B.best_of(lambda: ecd_selgmented(groups), args.repeat)
        report.timed(task, f"{len(groups)} series, {len(data):,} points", ecd_t, note="ecd alone")

    df = tr.synthetic_series(range(1991, 2021), start=58.0, apcs=(-3.0, -9.5, -7.0),
                             joinpoints=(1999, 2011), log_sd=0.035, random_state=20261129)
    t, jp = B.best_of(lambda: tr.joinpoint(df, max_joinpoints=3, select="permutation",
                                           n_permutations=args.permutations, random_state=1), args.repeat)
    report.timed("joinpoint, permutation test", f"30 points, k <= 3, {args.permutations:,} permutations per test", t,
                 note=f"ecd alone; selected k={jp.n_joinpoints_} at {jp.joinpoints_.tolist()} "
                      "(true joinpoints 1999, 2011)")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
