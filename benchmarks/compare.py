"""Benchmark ecd.compare (coverage and latest) against plain pandas and DuckDB SQL on SYNTHETIC data.

A long table of N rows (indicator × geo × year, some values missing, two sources) is summarised
the way the data appendix does: per indicator × geo the years with data, first/last year,
observations and sources; and the latest observation per indicator × geo. The peers compute the
same numbers (checked equal) with a hand-written pandas groupby and with DuckDB SQL.
Prints median wall seconds of 3 runs and the ratio ecd / peer.
Usage: python benchmarks/compare.py [--rows 1000000]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

import ecd.compare


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


def timed(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def pandas_coverage(df):
    d = df[df["value"].notna()]
    return (d.groupby(["indicator", "geo"]).agg(n_years=("year", "nunique"), first_year=("year", "min"),
                                               last_year=("year", "max"), n_obs=("value", "size"),
                                               n_sources=("source_id", "nunique")).reset_index())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    df = synthetic(args.rows)
    print(f"SYNTHETIC long table: {len(df):,} rows after de-duplication")
    levels = {f"G{g:02d}": "country" for g in range(60)}
    t_ecd, cov = timed(lambda: ecd.compare.coverage(df, levels=levels).tidy())
    t_pd, ref = timed(lambda: pandas_coverage(df))
    cols = ["n_years", "first_year", "last_year", "n_obs", "n_sources"]
    assert (cov[cols].to_numpy() == ref[cols].to_numpy()).all()
    print(f"coverage  ecd {t_ecd:.3f} s   pandas groupby {t_pd:.3f} s   ratio {t_ecd / t_pd:.2f}")
    try:
        import duckdb
    except ImportError:
        print("peer not available: duckdb")
    else:
        sql = ("select indicator, geo, count(distinct year) n_years, min(year) first_year, max(year) last_year, "
               "count(*) n_obs, count(distinct source_id) n_sources from df where value is not null "
               "group by 1, 2 order by 1, 2")
        t_db, db = timed(lambda: duckdb.query_df(df, "df", sql).df())
        assert (db[cols].to_numpy() == cov[cols].to_numpy()).all()
        print(f"coverage  ecd {t_ecd:.3f} s   duckdb SQL {t_db:.3f} s   ratio {t_ecd / t_db:.2f}")
    d = df.dropna(subset=["value"])
    t_last, last = timed(lambda: ecd.compare.latest(d).tidy())
    t_pd2, ref2 = timed(lambda: d.sort_values("year").groupby(["indicator", "geo"]).tail(1)
                        .sort_values(["indicator", "geo"]).reset_index(drop=True))
    assert (last["year"].to_numpy() == ref2["year"].to_numpy()).all()
    print(f"latest    ecd {t_last:.3f} s   pandas sort+tail {t_pd2:.3f} s   ratio {t_last / t_pd2:.2f}")


if __name__ == "__main__":
    main()
