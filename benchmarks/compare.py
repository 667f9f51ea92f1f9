"""Benchmark ecd.compare (coverage and latest) against plain pandas and DuckDB SQL on SYNTHETIC data.

A long table of N rows (indicator × geo × year, some values missing, two sources) is summarised
the way the data appendix does: per indicator × geo the years with data, first/last year,
observations and sources; and the latest observation per indicator × geo. The peers compute the
same numbers (checked equal) with a hand-written pandas groupby and with DuckDB SQL.
Every side is timed best of ``--repeat`` runs on the same frame; the ratio printed is
peer / ecd (wall/wall and CPU/CPU; below 1 the peer is faster — ecd also validates and adds
notes). The peers' numbers are compared with ecd's in the same run.
Usage: python benchmarks/compare.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

import _bench as B
import ecd.compare

COLS = ["n_years", "first_year", "last_year", "n_obs", "n_sources"]
EXACT = {c: (0.0, 0.0) for c in COLS}


def synthetic(n: int, seed: int = 20261129) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ind = rng.integers(0, 80, n)
    geo = rng.integers(0, 60, n)
    year = rng.integers(1960, 2026, n)
    df = pd.DataFrame({"indicator": pd.Series(ind).map(lambda i: f"ind{i:02d}"),
                       "geo": pd.Series(geo).map(lambda g: f"G{g:02d}"), "year": year,
                       "value": rng.uniform(0, 100, n), "source_id": np.where(rng.random(n) < 0.5, "s1", "s2")})
    df = df.drop_duplicates(["indicator", "geo", "year"]).reset_index(drop=True)
    df.loc[rng.random(len(df)) < 0.03, "value"] = np.nan
    return df


def pandas_coverage(df):
    d = df[df["value"].notna()]
    return (d.groupby(["indicator", "geo"]).agg(n_years=("year", "nunique"), first_year=("year", "min"),
                                               last_year=("year", "max"), n_obs=("value", "size"),
                                               n_sources=("source_id", "nunique")).reset_index())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = B.common_args(ap).parse_args(argv)
    report = B.Report("compare", "coverage and latest observation, ecd.compare vs pandas and DuckDB", args)
    df = synthetic(args.rows)
    report.note(f"SYNTHETIC long table: {len(df):,} rows (80 indicators × 60 geos × years, 3 % values missing)")
    size = f"{len(df):,} rows"
    levels = {f"G{g:02d}": "country" for g in range(60)}
    t_ecd, cov = B.best_of(lambda: ecd.compare.coverage(df, levels=levels).tidy(), args.repeat)
    cov = cov.sort_values(["indicator", "geo"]).reset_index(drop=True)
    t_pd, ref = B.best_of(lambda: pandas_coverage(df), args.repeat)
    report.timed("coverage", size, t_ecd, t_pd, "pandas groupby")
    report.agreement("coverage", "pandas groupby", B.compare(cov, ref, EXACT), what="per indicator × geo",
                     tolerance="exact")
    duckdb = report.py_peer("DuckDB", "duckdb")
    if duckdb is not None:
        sql = ("select indicator, geo, count(distinct year) n_years, min(year) first_year, max(year) last_year, "
               "count(*) n_obs, count(distinct source_id) n_sources from df where value is not null "
               "group by 1, 2 order by 1, 2")
        t_db, db = B.best_of(lambda: duckdb.query_df(df, "df", sql).df(), args.repeat)
        report.timed("coverage", size, t_ecd, t_db, "DuckDB SQL")
        report.agreement("coverage", "DuckDB SQL", B.compare(cov, db, EXACT), what="per indicator × geo",
                         tolerance="exact")
    d = df.dropna(subset=["value"])
    t_last, last = B.best_of(lambda: ecd.compare.latest(d).tidy(), args.repeat)
    t_pd2, ref2 = B.best_of(lambda: d.sort_values("year").groupby(["indicator", "geo"]).tail(1)
                            .sort_values(["indicator", "geo"]).reset_index(drop=True), args.repeat)
    report.timed("latest", size, t_last, t_pd2, "pandas sort+tail")
    last = last.sort_values(["indicator", "geo"]).reset_index(drop=True)
    report.agreement("latest", "pandas sort+tail", B.compare(last, ref2, {"year": (0.0, 0.0), "value": (0.0, 0.0)}),
                     what="latest year and value per indicator × geo", tolerance="exact")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
