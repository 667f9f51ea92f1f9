"""Seeded SYNTHETIC strata in HEAT Plus template form (tests, benchmarks, demos)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import ParameterError


def synthetic_strata(n_strata: int = 10, random_state=None) -> pd.DataFrame:
    """Generate SYNTHETIC strata: binary residence, ordered wealth quintiles, regions.

    Every third stratum is a binary urban/rural dimension (urban reference), every
    third an ordered 5-group dimension, the rest non-ordered with 3–8 regions.
    Estimates are percentages (scale 100) with SEs and population counts. The data
    describe nothing real and must never appear in the book as findings.

    Parameters
    ----------
    n_strata : int
        Number of strata.
    random_state : int or numpy.random.Generator, optional
        Seed.

    Returns
    -------
    pandas.DataFrame
        HEAT Plus template columns, source ``"SYNTHETIC"``.

    Examples
    --------
    >>> import ecd.inequality as ineq
    >>> df = ineq.synthetic_strata(3, random_state=1)
    >>> sorted(df["dimension"].unique())
    ['Economic status', 'Place of residence', 'Region']
    """
    if not (isinstance(n_strata, (int, np.integer)) and n_strata >= 1):
        raise ParameterError("n_strata", f"{n_strata!r}; expected a positive integer")
    rng = np.random.default_rng(random_state)
    parts = []
    for i in range(int(n_strata)):
        kind = i % 3
        fav = int(rng.integers(0, 2))
        if kind == 0:
            dim, groups, ordered = "Place of residence", ["urban", "rural"], 0
        elif kind == 1:
            dim, groups, ordered = "Economic status", [f"Q{k}" for k in range(1, 6)], 1
        else:
            dim, ordered = "Region", 0
            groups = [f"R{k}" for k in range(1, int(rng.integers(3, 9)) + 1)]
        n = len(groups)
        base = rng.uniform(10, 70)
        step = rng.uniform(-4, 4)
        est = np.clip(base + step * np.arange(n) + rng.normal(0, 3, n), 1.0, 99.0)
        pop = rng.integers(500, 6000, n).astype(float)
        se = rng.uniform(0.5, 3.0, n)
        parts.append(pd.DataFrame({
            "setting": "SYNTHETIC", "date": 2000 + i // 50, "source": "SYNTHETIC",
            "indicator_abbr": f"ind{i:05d}", "indicator_name": f"synthetic indicator {i}",
            "dimension": dim, "subgroup": groups, "estimate": np.round(est, 2),
            "se": np.round(se, 2), "population": pop,
            "setting_average": float(np.round(pop @ est / pop.sum(), 2)),
            "favourable_indicator": fav, "indicator_scale": 100, "ordered_dimension": ordered,
            "subgroup_order": np.arange(1, n + 1) if ordered else 0,
            "reference_subgroup": [int(g == "urban") for g in groups],
        }))
    return pd.concat(parts, ignore_index=True)
