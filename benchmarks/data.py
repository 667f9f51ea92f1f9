"""Benchmark: warehouse build and ``ecd.data.load`` on the repository's raw data.

Run with ``.venv-bench/bin/python benchmarks/data.py`` (or ``.venv/bin/python``).

Peers: a plain ``pandas.read_csv`` of every raw file followed by the same
filter (what a notebook would do without the warehouse), and a DuckDB query on
the warehouse file. Works on a temporary copy of ``data/raw`` (``ECD_HOME``), so
the repository's ``data/processed`` is untouched.
"""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(REPO / "data" / "raw", Path(tmp) / "data" / "raw")
        os.environ["ECD_HOME"] = tmp
        import ecd.data
        from ecd import paths

        t_check = timed(ecd.data.check, 3)
        t_build = timed(ecd.data.build, 3)
        query = dict(indicator="imr", geo="CN", area=["urban", "rural"], years=(2000, 2024))
        ecd.data.load(**query)
        t_load = timed(lambda: ecd.data.load(**query), 50)

        files = [f for f in sorted((Path(tmp) / "data" / "raw").glob("*/*.csv")) if f.parent.name != "reference"]

        def pandas_peer():
            df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
            m = (df["indicator"] == "imr") & (df["geo"] == "CN") & df["area"].isin(["urban", "rural"])
            return df[m & df["year"].between(2000, 2024)]

        t_pandas = timed(pandas_peer, 20)
        try:
            import duckdb
        except ImportError:  # pragma: no cover
            print("peer not available: duckdb")
            t_duck = float("nan")
        else:
            def duck_peer():
                con = duckdb.connect(str(paths.warehouse_duckdb()), read_only=True)
                try:
                    return con.execute("SELECT * FROM indicators WHERE indicator='imr' AND geo='CN' AND area IN "
                                       "('urban','rural') AND year BETWEEN 2000 AND 2024").df()
                finally:
                    con.close()

            t_duck = timed(duck_peer, 20)

    print(f"ecd.data.check()            {t_check * 1000:8.1f} ms (11 files, pandera lazy validation)")
    print(f"ecd.data.build()            {t_build * 1000:8.1f} ms (validate + Parquet + DuckDB + atomic swap)")
    print(f"ecd.data.load() warm        {t_load * 1000:8.2f} ms (target < 50 ms)")
    print(f"pandas read_csv + filter    {t_pandas * 1000:8.2f} ms  -> ecd load is {t_pandas / t_load:5.1f}x faster")
    print(f"duckdb open + query         {t_duck * 1000:8.2f} ms  -> ecd load is {t_duck / t_load:5.1f}x faster")


if __name__ == "__main__":
    main()
