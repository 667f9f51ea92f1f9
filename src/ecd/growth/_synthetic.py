"""A seeded SYNTHETIC anthropometric survey for tests, benchmarks and the demo notebook.

Not data about China: the numbers are drawn around the WHO medians so that the
z-scores look like a survey's (mean HAZ about -0.6, SD about 1.1).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._tables import age_table, length_table

__all__ = ["synthetic_survey"]

_REGIONS = ("East", "Central", "West", "Northeast")
_EDUCATION = ("None", "Primary", "Secondary", "Tertiary")


def synthetic_survey(n: int = 2000, *, random_state: int | np.random.Generator | None = None,
                     clusters_per_stratum: int = 12) -> pd.DataFrame:
    """A SYNTHETIC two-stage cluster sample of children aged 0–59 months.

    Parameters
    ----------
    n : int
        Number of children.
    random_state : int, numpy.random.Generator or None
        Seed or generator; the same seed gives the same survey.
    clusters_per_stratum : int
        PSUs (villages/communities) per stratum; strata are region x area.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, sex (1 male, 2 female), age (days), weight (kg), lenhei
        (cm), measure ("l"/"h"), oedema ("n"/"y"), strata, cluster (restarting
        within stratum), sw (sampling weight), area (Urban/Rural), region,
        wealthq (1–5), mothered``.

    Examples
    --------
    >>> import ecd.growth
    >>> ecd.growth.synthetic_survey(5, random_state=0).columns.tolist()[:6]
    ['id', 'sex', 'age', 'weight', 'lenhei', 'measure']
    """
    rng = np.random.default_rng(random_state)
    n_strata = len(_REGIONS) * 2
    stratum = rng.integers(0, n_strata, n)
    cluster = rng.integers(0, clusters_per_stratum, n)
    rural = stratum % 2 == 1
    region = np.array(_REGIONS)[stratum // 2]
    # a cluster effect makes the design matter (intra-cluster correlation)
    effect = rng.normal(0.0, 0.35, (n_strata, clusters_per_stratum))[stratum, cluster]
    wealth = np.clip(np.round(3 - 0.8 * rural + effect * 2 + rng.normal(0, 1.1, n)), 1, 5).astype(int)
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, 1826, n).astype(float)
    haz = -0.35 - 0.5 * rural + effect + 0.15 * (wealth - 3) + rng.normal(0, 1.0, n)
    whz = 0.1 + 0.5 * effect + rng.normal(0, 1.0, n)
    day = age.astype(int)
    lms = age_table("len")
    L, M, S = lms.l[sex, day], lms.m[sex, day], lms.s[sex, day]
    length = M * np.power(1 + L * S * haz, 1 / L)
    measure = np.where(age < 731, "l", "h")
    # lying length is ~0.7 cm longer than standing height
    lenhei = np.round(length - 0.7 * ((age >= 731) & (measure == "h")) + 0.7 * ((age < 731) & (measure == "h")), 1)
    use = np.where(age < 731, "wfl", "wfh")
    weight = np.empty(n)
    for which in ("wfl", "wfh"):
        rows = use == which
        t = length_table(which)
        k = np.clip(np.rint(length[rows] * 10).astype(int) - t.offset, 0, t.l.shape[1] - 2)
        Lw, Mw, Sw = t.l[sex[rows], k], t.m[sex[rows], k], t.s[sex[rows], k]
        weight[rows] = Mw * np.power(1 + Lw * Sw * whz[rows], 1 / Lw)
    weight = np.round(weight, 1)
    oedema = np.where(rng.random(n) < 0.004, "y", "n")
    base_weight = np.where(rural, 900.0, 500.0) * (1 + 0.5 * (stratum // 2))
    sw = np.round(base_weight * rng.uniform(0.7, 1.3, n), 3)
    order = np.lexsort((cluster, stratum))
    frame = pd.DataFrame(
        {
            "sex": sex,
            "age": age,
            "weight": weight,
            "lenhei": lenhei,
            "measure": measure,
            "oedema": oedema,
            "strata": stratum + 1,
            "cluster": cluster + 1,
            "sw": sw,
            "area": np.where(rural, "Rural", "Urban"),
            "region": region,
            "wealthq": wealth,
            "mothered": np.array(_EDUCATION)[np.clip(wealth - 1 - rural + rng.integers(-1, 2, n), 0, 3)],
        }
    ).iloc[order].reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, n + 1))
    return frame
