"""Benchmark: warehouse build and ``ecd.data.load`` on the repository's raw data.

Run with ``.venv-bench/bin/python benchmarks/data.py [--repeat 3]`` (or ``.venv/bin/python``).

Peers for a warm ``load``: a plain ``pandas.read_csv`` of every raw file followed by the same
filter (what a notebook would do without the warehouse), and a DuckDB query on the warehouse
file; both must return the same rows (area, year, value). ``check`` and ``build`` are timed
alone. Works on a temporary copy of ``data/raw`` (``ECD_HOME``), so the repository's
``data/processed`` is untouched. Every task is timed best of ``--repeat`` runs (``load`` and its
peers best of 10 × that, being milliseconds).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import _bench as B

REPO = Path(__file__).resolve().parents[1]
QUERY = dict(indicator="imr", geo="CN", area=["urban", "rural"], years=(2000, 2024))
SAME = {"area": (0.0, 0.0), "year": (0.0, 0.0), "value": (0.0, 0.0)}


def rows(df):
    return df[["area", "year", "value"]].sort_values(["area", "year"]).reset_index(drop=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = B.common_args(ap).parse_args(argv)
    import pandas as pd

    report = B.Report("data", "warehouse check/build and a warm load, ecd vs pandas read_csv and DuckDB", args)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(REPO / "data" / "raw", Path(tmp) / "data" / "raw")
        os.environ["ECD_HOME"] = tmp
        import ecd.data
        from ecd import paths

        files = [f for f in sorted((Path(tmp) / "data" / "raw").glob("*/*.csv")) if f.parent.name != "reference"]
        t, _ = B.best_of(ecd.data.check, args.repeat)
        report.timed("ecd.data.check()", f"{len(files)} raw files", t, note="ecd alone; pandera lazy validation")
        t, _ = B.best_of(ecd.data.build, args.repeat)
        report.timed("ecd.data.build()", f"{len(files)} raw files", t,
                     note="ecd alone; validate + Parquet + DuckDB + atomic swap")
        ecd.data.load(**QUERY)
        t_load, ours = B.best_of(lambda: ecd.data.load(**QUERY), 10 * args.repeat)
        size = "imr, CN, urban+rural, 2000–2024"

        def pandas_peer():
            df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
            m = (df["indicator"] == "imr") & (df["geo"] == "CN") & df["area"].isin(["urban", "rural"])
            return df[m & df["year"].between(2000, 2024)]

        t_pd, theirs = B.best_of(pandas_peer, 10 * args.repeat)
        report.timed("warm load", size, t_load, t_pd, "pandas read_csv + filter")
        report.agreement("warm load", "pandas read_csv + filter", B.compare(rows(ours), rows(theirs), SAME),
                         what=f"{len(ours)} rows", tolerance="exact")
        duckdb = report.py_peer("DuckDB", "duckdb")
        if duckdb is not None:
            def duck_peer():
                con = duckdb.connect(str(paths.warehouse_duckdb()), read_only=True)
                try:
                    return con.execute("SELECT * FROM indicators WHERE indicator='imr' AND geo='CN' AND area IN "
                                       "('urban','rural') AND year BETWEEN 2000 AND 2024").df()
                finally:
                    con.close()

            t_db, db = B.best_of(duck_peer, 10 * args.repeat)
            report.timed("warm load", size, t_load, t_db, "DuckDB open + query")
            report.agreement("warm load", "DuckDB open + query", B.compare(rows(ours), rows(db), SAME),
                             what=f"{len(ours)} rows", tolerance="exact")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
