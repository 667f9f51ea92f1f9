"""Compare ecd with R dscore on the real gcdg_chn children and two built-in keys (see export.R).

Reads the files export.R wrote in the current directory; prints the largest difference per column.
"""
import os
import time

import numpy as np
import pandas as pd
import yaml

from ecd.development import Key, Reference, dscore

data = pd.read_csv(os.environ.get("GCDG_CHN", "/work/shared/data-seed/batch-2026-12/microdata/gcdg_chn.tsv"),
                   sep="\t")
for name in ("gsed2406", "gcdg"):
    params = yaml.safe_load(open(f"{name}.yaml", encoding="utf-8"))
    key = Key.from_itembank("itembank.csv", key=name, params=f"{name}.yaml")
    ref = Reference.from_csv("references.csv", population=params["base_population"], key=name)
    r = pd.read_csv(f"r_{name}.csv")
    start = time.perf_counter()
    out = dscore(data.assign(mu=r["mu"]), key, age="agedays", age_unit="days", reference=ref, prior_mean="mu")
    seconds = time.perf_counter() - start
    print(f"{name}: {len(key.items)} items, uncalibrated {key.uncalibrated_}, ecd {seconds:.3f} s")
    for col in ("n", "p", "d", "sem", "daz"):
        got, want = out[col].to_numpy(float), r[col].to_numpy(float)
        same_na = np.array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        print(f"  {col}: NA pattern equal {same_na}, max |ecd - R| = {np.max(np.abs(got[ok] - want[ok])):.3g}")
