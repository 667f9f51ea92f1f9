"""Domain means with Taylor-linearized standard errors, batched over many variables.

TEMPORARY WORKAROUND (reported to the lead with issue 4): ``ecd.survey.Design``
is the project's survey engine, and ``tests/unit/test_growth_prevalence.py``
checks this module against it. ``prevalence`` needs ~30 variables, each with
its own missing values, in ~40 domains; through ``Design.mean`` (one call per
variable and grouping, full covariance matrix) that takes ~10 s for 100,000
children, against a goal of 1 s. Until ``ecd.survey`` offers a batched form
(many variables, ``na="drop"`` per variable, standard errors without the full
covariance), this module computes the one case ``anthro_prevalence`` needs: a
one-stage stratified cluster design without fpc, domain means with
``na.rm = TRUE`` (a row whose value is missing leaves the domain but stays in
the design), and ``survey.lonely.psu = "adjust"`` (a stratum with one PSU is
centred at the grand mean of PSU totals, which is 0 for a mean's influence
values). Rows with weight 0 stay in the design but not in the degrees of
freedom (R ``degf``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Clusters", "DomainMeans", "domain_means"]


@dataclass(frozen=True)
class Clusters:
    """Row -> PSU code and PSU -> stratum code, with PSUs counted per stratum."""

    psu: np.ndarray  # (n,) int64 in 0..P-1, or None when every row is its own PSU
    stratum_of_psu: np.ndarray  # (P,) int64 in 0..H-1
    psus_in_stratum: np.ndarray  # (H,) int64
    df: int  # PSUs minus strata among rows with a non-zero weight (R ``degf``)

    @classmethod
    def from_codes(cls, strata: np.ndarray | None, cluster: np.ndarray | None, weights: np.ndarray) -> Clusters:
        """PSUs nested in strata (R ``nest = TRUE``); ``cluster=None`` makes every row a PSU.

        ``strata`` and ``cluster`` are integer codes from 0 (``pandas.factorize``).
        """
        n = weights.size
        h = np.zeros(n, dtype=np.int64) if strata is None else strata.astype(np.int64)
        if cluster is None:
            psu = np.arange(n, dtype=np.int64)
        else:
            pair = h * (int(cluster.max(initial=0)) + 1) + cluster.astype(np.int64)
            _, psu = np.unique(pair, return_inverse=True)
        n_psu = int(psu.max(initial=-1)) + 1
        stratum_of_psu = np.zeros(n_psu, dtype=np.int64)
        stratum_of_psu[psu] = h
        n_strata = int(h.max(initial=-1)) + 1
        counts = np.bincount(stratum_of_psu, minlength=n_strata)
        sampled = weights != 0
        df = np.unique(psu[sampled]).size - np.unique(h[sampled]).size
        return cls(psu=psu, stratum_of_psu=stratum_of_psu, psus_in_stratum=counts, df=int(df))


@dataclass(frozen=True)
class DomainMeans:
    """Arrays (G levels x V variables)."""

    mean: np.ndarray
    se: np.ndarray
    weight: np.ndarray  # sum of weights of the non-missing rows
    count: np.ndarray  # number of non-missing rows
    stdev: np.ndarray  # sqrt of the weighted variance with n/(n-1) (R svyvar)


def domain_means(
    y: np.ndarray, level: np.ndarray, n_levels: int, weights: np.ndarray, design: Clusters
) -> DomainMeans:
    """Means of each column of ``y`` (n x V, NaN = missing) in each level of ``level``.

    ``level`` is -1 for rows outside every domain (they stay in the design:
    their PSUs count, their totals are zero).
    """
    n, v = y.shape
    inside = level >= 0
    rows = np.flatnonzero(inside)
    yy = y[rows]
    lev = level[rows]
    w = weights[rows]
    ok = ~np.isnan(yy)
    wy = np.where(ok, yy, 0.0) * w[:, None]
    wok = ok * w[:, None]
    key = lev[:, None] * v + np.arange(v)[None, :]
    size = n_levels * v

    def by_domain(values: np.ndarray) -> np.ndarray:
        return np.bincount(key.ravel(), weights=values.ravel(), minlength=size).reshape(n_levels, v)

    weight = by_domain(wok)
    count = by_domain(ok.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = by_domain(wy) / weight
        centred = np.where(ok, yy - mean[lev], 0.0)
        ss = by_domain(w[:, None] * centred**2)
        stdev = np.sqrt(ss / weight * count / (count - 1))
        influence = w[:, None] * centred / weight[lev]
    influence = np.where(ok, influence, 0.0)

    # PSU totals of the influence values, only for the (PSU, level) pairs that occur
    psu = design.psu[rows]
    pair, pair_id = np.unique(psu * n_levels + lev, return_inverse=True)
    n_pairs = pair.size
    totals = np.zeros((n_pairs, v))
    for j in range(v):
        totals[:, j] = np.bincount(pair_id, weights=influence[:, j], minlength=n_pairs)
    pair_psu = pair // n_levels
    pair_level = pair % n_levels
    pair_stratum = design.stratum_of_psu[pair_psu]
    n_strata = design.psus_in_stratum.size
    cell = (pair_stratum * n_levels + pair_level)[:, None] * v + np.arange(v)[None, :]
    cells = n_strata * n_levels * v

    def by_cell(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell.ravel(), weights=values.ravel(), minlength=cells).reshape(n_strata, n_levels, v)

    sum_t = by_cell(totals)
    sum_t2 = by_cell(totals**2)
    n_h = design.psus_in_stratum.astype(float)[:, None, None]
    lonely = design.psus_in_stratum == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(n_h > 1, n_h / (n_h - 1) * (sum_t2 - sum_t**2 / n_h), 0.0)
    # "adjust": a lonely PSU deviates from the grand mean of PSU totals, here 0
    within[lonely] = sum_t2[lonely]
    variance = within.sum(axis=0)
    se = np.sqrt(np.maximum(variance, 0.0))
    se[np.isnan(mean)] = np.nan
    return DomainMeans(mean=mean, se=se, weight=weight, count=count, stdev=stdev)
