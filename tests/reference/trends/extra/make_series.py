"""Writes synthetic_series_40.csv: 40 SYNTHETIC log-linear joinpoint series (ecd.trends.synthetic_series)."""
import numpy as np
import pandas as pd

import ecd.trends as tr

rows = []
rng = np.random.default_rng(5)
for i in range(40):
    n = int(rng.integers(15, 36))
    years = np.arange(1991, 1991 + n)
    jps = np.sort(rng.choice(years[3:-3], 2, replace=False)) if i % 2 else [years[n // 2]]
    apcs = tuple(rng.uniform(-10, -1, len(jps) + 1))
    d = tr.synthetic_series(years, start=float(rng.uniform(5, 60)), apcs=apcs, joinpoints=tuple(jps),
                            log_sd=float(rng.uniform(0.01, 0.08)), random_state=i)
    if i % 3 == 0:
        d = d.drop(index=d.index[[2, 5]])
    d["series"] = f"s{i}"
    rows.append(d)
pd.concat(rows).to_csv("synthetic_series_40.csv", index=False)
