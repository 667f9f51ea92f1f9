"""Benchmark: the 0–2 cohort estimate and the k-means typology, ecd vs DuckDB SQL and R ``kmeans``.

Run with ``.venv-bench/bin/python benchmarks/childcare.py [--geos 2844] [--years 15] [--fits 200]
[--repeat 3]``.

Data are SYNTHETIC (seeded): births for ``--geos`` county-like units × ``--years``
years with a few holes, and national IMR/U5MR by year with holes. The same
cohort estimate (births of the birth year × survival) is written as one DuckDB
SQL query; the two outputs are compared. The typology is timed on 31 SYNTHETIC
provinces × 4 indicators, ``--fits`` fits per run, against R's
``kmeans(scale(x), centers, algorithm = "Lloyd")`` (R start-up and reading excluded:
R times its own loop) on the same CSV file; inertia and cluster labels are compared.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

import numpy as np
import pandas as pd

import _bench as B
import ecd.childcare as cc
import ecd.regional as rg


SQL = """
with grid as (
  select b.geo, b.year, a.age, b.year - a.age as birth_year
  from (select distinct geo, year from births) b cross join (select unnest([0, 1, 2]) as age) a
)
select g.geo, g.year, g.age,
       bb.births * (1 - case when g.age = 0 then ? * m.imr
                             else m.imr + (m.u5mr - m.imr) * (g.age - 0.5) / 4 end / 1000) as children
from grid g
left join births bb on bb.geo = g.geo and bb.year = g.birth_year
left join mortality m on m.year = g.birth_year
order by g.geo, g.year, g.age
"""


def synthetic(n_geo: int, n_year: int, seed: int = 20261129):
    rng = np.random.default_rng(seed)
    years = np.arange(2025 - n_year + 1, 2026)
    geo = np.repeat([f"G{i:05d}" for i in range(n_geo)], n_year)
    births = pd.DataFrame({"geo": geo, "year": np.tile(years, n_geo),
                           "births": rng.gamma(4.0, 1500.0, n_geo * n_year).round()})
    births = births[rng.random(len(births)) > 0.03].reset_index(drop=True)  # 3 % holes
    imr = np.linspace(8.0, 4.0, n_year)
    mort = pd.DataFrame({"year": years, "imr": imr, "u5mr": imr * 1.4})
    mort.loc[mort.sample(frac=0.2, random_state=1).index, "u5mr"] = np.nan
    return births, mort


def bench_cohorts(report: B.Report, n_geo: int, n_year: int, repeat: int) -> None:
    births, mort = synthetic(n_geo, n_year)
    size = f"{len(births):,} births rows ({n_geo:,} geos × {n_year} years), ages 0–2"
    t_ecd, res = B.best_of(lambda: cc.population_0_3(births, mort, infant_death_fraction=0.75).tidy(), repeat)
    duckdb = report.py_peer("DuckDB", "duckdb")
    if duckdb is None:
        report.timed("cohort estimate 0–2", size, t_ecd, note="ecd alone")
        return
    con = duckdb.connect()
    con.register("births", births)
    con.register("mortality", mort)
    t_sql, sql = B.best_of(lambda: con.execute(SQL, [0.75]).df(), repeat)
    report.timed("cohort estimate 0–2", size, t_ecd, t_sql, "DuckDB SQL",
                 note="ecd also returns a status and notes per row")
    ours = res[["geo", "year", "age", "children"]].reset_index(drop=True)
    report.agreement("cohort estimate 0–2", "DuckDB SQL",
                     B.compare(ours, sql, {"year": (0, 0), "age": (0, 0), "children": (0, 1e-12)}),
                     what=f"{len(ours):,} rows", tolerance="rel 1e-12, missing where an input is missing")


R_SCRIPT = r"""
x <- read.csv(ecd_args[1]); z <- scale(x[, -1]); fits <- as.integer(ecd_args[2])
fit <- ecd_bench("kmeans", function() {
  for (i in seq_len(fits)) fit <- kmeans(z, centers = z[1:3, ], algorithm = "Lloyd", iter.max = 100)
  fit
})
ecd_write(data.frame(geo = x[[1]], cluster = fit$cluster, inertia = fit$tot.withinss), ecd_args[3])
"""


def bench_typology(report: B.Report, fits: int, args) -> None:
    rng = np.random.default_rng(7)
    grp = np.arange(31) % 3
    X = pd.DataFrame({"cbr_1997": np.array([18, 14, 10])[grp] + rng.normal(0, 1.5, 31),
                      "cbr_2021": np.array([10, 7, 6])[grp] + rng.normal(0, 0.8, 31),
                      "gdp_2023": np.array([6e4, 7.5e4, 1.5e5])[grp] + rng.normal(0, 9e3, 31),
                      "urban_2015": np.array([45, 55, 75])[grp] + rng.normal(0, 5, 31)},
                     index=pd.Index([f"P{i:02d}" for i in range(31)], name="geo"))
    size = f"31 provinces × 4 indicators, k = 3, {fits} fits from the same start"
    peer = report.r_peer([], args, label="R kmeans (stats)")
    with tempfile.TemporaryDirectory() as tmp:
        path = B.share(X.reset_index(), tmp, "provinces")
        X = B.read_shared(path).set_index("geo")
        z = ((X - X.mean()) / X.std(ddof=1)).to_numpy()

        def ecd_fits():
            for _ in range(fits):
                fit = rg.ProvinceTypology(n_clusters=3, init=z[:3]).fit(X)
            return fit

        t_ecd, fit = B.best_of(ecd_fits, args.repeat)
        if peer is None:
            report.timed("typology (k-means, Lloyd)", size, t_ecd, note="ecd alone")
            return
        out = f"{tmp}/kmeans_r.csv"
        r_times = report.run_r(peer, R_SCRIPT, [path, fits, out], args, f"R kmeans, {fits} fits")
        if r_times is None:
            return
        report.timed("typology (k-means, Lloyd)", size, t_ecd, r_times["kmeans"], "R kmeans",
                     note="ecd's fit also validates, standardizes and relabels")
        theirs = B.read_shared(out)
        report.agreement("typology (k-means, Lloyd)", "R kmeans",
                         [B.compare_column(pd.Series([fit.inertia_]), theirs["inertia"].iloc[:1], 0, 1e-9,
                                           name="inertia"),
                          B.compare_column(_canonical(fit.labels_.reindex(X.index).to_numpy()),
                                           _canonical(theirs["cluster"].to_numpy()), 0, 0, name="partition")],
                         what="total within-cluster sum of squares and the partition (labels up to renaming)",
                         tolerance="inertia rel 1e-9, partition exact")


def _canonical(labels) -> pd.Series:
    """Labels renamed in order of first appearance, so two partitions compare regardless of numbering."""
    first = {}
    return pd.Series([first.setdefault(v, len(first)) for v in labels], dtype=float)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--geos", type=int, default=2844)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--fits", type=int, default=200)
    args = B.common_args(ap).parse_args(argv)
    report = B.Report("childcare", "0–2 cohort estimate vs DuckDB SQL; k-means typology vs R kmeans", args)
    report.note("SYNTHETIC births, mortality and provinces (seeded)")
    bench_cohorts(report, args.geos, args.years, args.repeat)
    bench_typology(report, args.fits, args)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
