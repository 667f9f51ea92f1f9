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
from scipy import sparse

__all__ = ["Clusters", "DomainMeans", "PreparedOutcomes", "domain_means"]


@dataclass(frozen=True)
class Clusters:
    """Row -> PSU code and PSU -> stratum code, with PSUs counted per stratum."""

    psu: np.ndarray  # (n,) int64 in 0..P-1 (0..n-1 when every row is its own PSU)
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


class PreparedOutcomes:
    """Per-row sums shared by every grouping: computed once, aggregated per grouping.

    Everything a domain mean, its linearized SE and its weighted SD need can be
    built from sums over (PSU, level) cells of ``w``, ``w·y``, ``w·y²`` and the
    count of non-missing values, because the influence total of a PSU is
    ``(Σw·y − ȳ·Σw) / W``. Aggregating with a sparse indicator matrix keeps
    each grouping to one pass over the rows.
    """

    def __init__(self, y: np.ndarray, weights: np.ndarray, design: Clusters, spread: np.ndarray | None = None):
        ok = ~np.isnan(y)
        y0 = np.where(ok, y, 0.0)
        # columns sharing a missing-value pattern share their weight and count sums
        patterns: list[int] = []
        self.pattern = np.empty(y.shape[1], dtype=np.int64)
        for j in range(y.shape[1]):
            same = next((k for k, p in enumerate(patterns) if np.array_equal(ok[:, p], ok[:, j])), None)
            if same is None:
                same = len(patterns)
                patterns.append(j)
            self.pattern[j] = same
        self.spread = np.arange(y.shape[1]) if spread is None else np.asarray(spread)
        okp = ok[:, patterns]
        wy = y0 * weights[:, None]
        self.v, self.k, self.n = y.shape[1], len(patterns), y.shape[0]
        self.sums = np.hstack(
            [okp * weights[:, None], okp.astype(float), wy, wy[:, self.spread] * y0[:, self.spread]]
        )
        self.design = design

    def by(self, level: np.ndarray, n_levels: int) -> DomainMeans:
        """Means of every column in each level (``level`` -1: outside every domain).

        ``stdev`` is computed for the columns in ``spread`` only (NaN elsewhere).
        """
        v, design = self.v, self.design
        inside = level >= 0
        pair, pair_id = np.unique(np.where(inside, design.psu * n_levels + level, -1), return_inverse=True)
        outside = pair[0] < 0  # the first unique is -1 when some rows are outside
        rows_to_pairs = sparse.csr_array(
            (np.ones(self.n), (pair_id.ravel(), np.arange(self.n))), shape=(pair.size, self.n)
        )
        cells = rows_to_pairs @ self.sums
        if outside:
            pair, cells = pair[1:], cells[1:]
        pair_level = pair % n_levels
        pair_stratum = design.stratum_of_psu[pair // n_levels]
        n_pairs = pair.size
        to_levels = sparse.csr_array(
            (np.ones(n_pairs), (pair_level, np.arange(n_pairs))), shape=(n_levels, n_pairs)
        )
        totals = to_levels @ cells
        k, p = self.k, self.pattern
        weight, count = totals[:, :k][:, p], totals[:, k:2 * k][:, p]
        wy, wy2 = totals[:, 2 * k:2 * k + v], totals[:, 2 * k + v:]
        stdev = np.full((n_levels, v), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = wy / weight
            sp = self.spread
            ss = np.maximum(wy2 - mean[:, sp] * wy[:, sp], 0.0)
            stdev[:, sp] = np.sqrt(ss / weight[:, sp] * count[:, sp] / (count[:, sp] - 1))
            # influence totals of the (PSU, level) cells
            cell_weight = cells[:, :k][:, p]
            t = (cells[:, 2 * k:2 * k + v] - mean[pair_level] * cell_weight) / weight[pair_level]
        t = np.nan_to_num(t, nan=0.0, posinf=0.0, neginf=0.0)
        n_strata = design.psus_in_stratum.size
        to_strata = sparse.csr_array(
            (np.ones(n_pairs), (pair_stratum * n_levels + pair_level, np.arange(n_pairs))),
            shape=(n_strata * n_levels, n_pairs),
        )
        by_stratum = to_strata @ np.hstack([t, t * t])
        sum_t = by_stratum[:, :v].reshape(n_strata, n_levels, v)
        sum_t2 = by_stratum[:, v:].reshape(n_strata, n_levels, v)
        n_h = design.psus_in_stratum.astype(float)[:, None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            within = np.where(n_h > 1, n_h / (n_h - 1) * (sum_t2 - sum_t**2 / n_h), 0.0)
        # "adjust": a lonely PSU deviates from the grand mean of PSU totals, here 0
        lonely = design.psus_in_stratum == 1
        within[lonely] = sum_t2[lonely]
        se = np.sqrt(np.maximum(within.sum(axis=0), 0.0))
        se[np.isnan(mean)] = np.nan
        return DomainMeans(mean=mean, se=se, weight=weight, count=count, stdev=stdev)


def domain_means(
    y: np.ndarray, level: np.ndarray, n_levels: int, weights: np.ndarray, design: Clusters
) -> DomainMeans:
    """Means of each column of ``y`` (n x V, NaN = missing) in each level of ``level``.

    ``level`` is -1 for rows outside every domain (they stay in the design:
    their PSUs count, their totals are zero).
    """
    return PreparedOutcomes(y, weights, design).by(level, n_levels)
