"""Seeded SYNTHETIC trend series for tests, examples and notebooks (never data about China)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import ParameterError


def synthetic_series(years=range(1991, 2021), start: float = 50.0, apcs=(-3.0, -9.0), joinpoints=(2003,),
                     log_sd: float = 0.04, random_state=None, name: str = "SYNTHETIC") -> pd.DataFrame:
    """A SYNTHETIC log-linear joinpoint series with lognormal noise.

    ``apcs`` gives the annual percent change of each segment (one more than
    ``joinpoints``); the true rate starts at ``start``. Columns: ``series, year,
    value, true_value``.

    Examples
    --------
    >>> from ecd.trends import synthetic_series
    >>> df = synthetic_series(range(2000, 2005), start=10, apcs=(-10.0,), joinpoints=(), log_sd=0,
    ...                       random_state=0)
    >>> df["value"].round(2).tolist()
    [10.0, 9.0, 8.1, 7.29, 6.56]
    """
    years = np.asarray(list(years), dtype=float)
    jps = np.asarray(joinpoints, dtype=float)
    if len(apcs) != jps.size + 1:
        raise ParameterError("apcs", f"need one APC per segment ({jps.size + 1}), found {len(apcs)}.")
    slopes = np.log1p(np.asarray(apcs, float) / 100.0)
    t = years - years[0]
    log_true = np.log(start) + slopes[0] * t
    for j, tau in enumerate(jps):
        log_true += (slopes[j + 1] - slopes[j]) * np.clip(years - tau, 0, None)
    rng = np.random.default_rng(random_state)
    noise = rng.normal(0.0, log_sd, years.size) if log_sd > 0 else np.zeros(years.size)
    return pd.DataFrame({"series": name, "year": years, "value": np.exp(log_true + noise),
                         "true_value": np.exp(log_true)})
