"""Taylor-linearization variance of estimated totals (R ``survey``'s ``svyrecvar``).

The design is factorized once (:class:`_Stage`); a statistic hands in its
influence values row by row together with the column (variable x domain) each
row contributes to, and the variance is computed from PSU totals in one pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecd.errors import DesignError


@dataclass(frozen=True)
class _Stage:
    """One sampling stage, factorized.

    ``cluster`` maps rows to cluster codes ``0..C-1`` (clusters nested in their
    parents); ``group`` maps clusters to the stratum they were drawn in (for
    stage > 1 the stratum is nested in the parent cluster); ``n_group`` is the
    number of clusters sampled per group in the full design; ``f_group`` the
    finite population correction factor ``(N - n) / N`` (1 without fpc) and
    ``frac_group`` the sampling fraction ``n / N`` (0 without fpc).
    """

    cluster: np.ndarray
    n_cluster: int
    group: np.ndarray
    n_groups: int
    n_group: np.ndarray
    f_group: np.ndarray
    frac_group: np.ndarray
    parent_of_group: np.ndarray  # stage-1: zeros (one call of R's onestage)
    n_parents: int
    group_labels: tuple


def _cluster_totals(stage: _Stage, z: np.ndarray, dom: np.ndarray, n_dom: int,
                    rows: np.ndarray | None = None) -> np.ndarray:
    """Totals of influence values per cluster, variable and domain.

    ``z`` is (m variables x selected rows), ``dom`` the domain of each selected
    row; the result is (n_cluster, m * n_dom) with variable-major columns.
    """
    cl = stage.cluster if rows is None else stage.cluster[rows]
    idx = cl * n_dom + dom if n_dom > 1 else cl
    m = z.shape[0]
    out = np.empty((stage.n_cluster, m * n_dom))
    for j in range(m):
        out[:, j * n_dom:(j + 1) * n_dom] = np.bincount(
            idx, weights=z[j], minlength=stage.n_cluster * n_dom).reshape(stage.n_cluster, n_dom)
    return out


def _onestage(stage: _Stage, tot: np.ndarray, lonely_psu: str, present: np.ndarray,
              multiplier: np.ndarray | None = None) -> np.ndarray:
    """Between-cluster covariance of one stage, as a factor ``x`` with cov = x' x.

    ``x`` (n_cluster x k) holds the centred, scaled cluster totals, so standard
    errors need only its column sums of squares and the full covariance is
    formed only when asked for.

    ``tot`` are cluster totals (n_cluster x k). ``present`` is a boolean
    (n_groups x k) marking the groups in which column k has rows (R drops the
    other groups from a domain's subset, which matters only for
    ``lonely_psu="average"``). Under ``"adjust"`` a lonely PSU is centred at
    zero, as R survey 4.1.1 does: for a mean that is the grand mean of the
    influence values, for a total it is not. ``multiplier`` (n_groups,) scales
    each group's contribution (products of earlier stages' sampling fractions).
    """
    g = stage.group
    n_h = stage.n_group
    k = tot.shape[1]
    sums = np.zeros((stage.n_groups, k))
    _rowsum_into(sums, g, tot)
    # a lonely group sampled with certainty (fpc = n) is not lonely for R: its
    # variance is zero before the lonely-PSU rule is looked at
    lonely = (n_h == 1) & (stage.f_group >= 1e-7)
    means = sums / n_h[:, None]
    dev = tot - means[g]
    if lonely.any():
        lonely_c = lonely[g]
        if lonely_psu == "adjust":
            dev[lonely_c] = tot[lonely_c]
        else:
            dev[lonely_c] = 0.0
    scale = np.where(n_h > 1, stage.f_group * n_h / np.maximum(n_h - 1, 1), stage.f_group)
    # A self-representing group (f == 0) contributes nothing.
    scale = np.where(stage.f_group < 1e-7, 0.0, scale)
    if multiplier is not None:
        scale = scale * multiplier
    if lonely_psu == "average" and lonely.any():
        # R: sum over strata with a variance, times (strata) / (strata with > 1 PSU),
        # counting only the strata where the column has rows, per call of onestage.
        par = stage.parent_of_group
        n_str = np.zeros((stage.n_parents, k))
        n_ok = np.zeros((stage.n_parents, k))
        _rowsum_into(n_str, par, present.astype(float))
        _rowsum_into(n_ok, par, (present & ~lonely[:, None]).astype(float))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(n_ok > 0, n_str / np.where(n_ok > 0, n_ok, 1.0), 0.0)
        # per-column scaling differs; fold sqrt(ratio) into the deviations so the
        # cross-products of two columns use the geometric mean of their scalings
        dev = dev * np.sqrt(ratio[par[g]])
        dev[lonely[g]] = 0.0
    return dev * np.sqrt(scale[g])[:, None]


def _rowsum_into(out: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``out[index[i]] += values[i]`` for 2-D values, fast for many rows."""
    n_out, k = out.shape
    for j in range(k):
        out[:, j] += np.bincount(index, weights=values[:, j], minlength=n_out)


def design_factors(stages: list[_Stage], z: np.ndarray, dom: np.ndarray, n_dom: int,
                   lonely_psu: str, rows: np.ndarray | None = None,
                   use_later_stages: bool = True) -> list[np.ndarray]:
    """Factors ``x_s`` of the covariance of the totals of influence values ``z``
    (m variables x rows) per variable and domain ``dom``: cov = sum of ``x_s' x_s``
    over stages, of size (m * n_dom) squared, variable-major.

    Implements R ``survey``'s multistage recursion: the first-stage between-PSU
    variance plus, when every stage has an fpc, each later stage's
    within-cluster variance multiplied by the earlier stages' sampling
    fractions.
    """
    first = stages[0]
    tot = _cluster_totals(first, z, dom, n_dom, rows)
    present = _present(first, dom, n_dom, z.shape[0], rows, lonely_psu)
    v = [_onestage(first, tot, lonely_psu, present)]
    if use_later_stages and len(stages) > 1:
        multiplier_cluster = first.frac_group[first.group]  # per stage-1 cluster
        for s in range(1, len(stages)):
            st = stages[s]
            t = _cluster_totals(st, z, dom, n_dom, rows)
            pres = _present(st, dom, n_dom, z.shape[0], rows, lonely_psu)
            # parent cluster of each group of this stage = a cluster of stage s-1
            mult = multiplier_cluster[st.parent_of_group]
            v.append(_onestage(st, t, lonely_psu, pres, mult))
            multiplier_cluster = mult[st.group] * st.frac_group[st.group]
    return v


def factor_variances(factors) -> np.ndarray:
    """Diagonal of the covariance given by its factors."""
    return sum(np.einsum("ij,ij->j", f, f) for f in factors)


def factor_covariance(factors) -> np.ndarray:
    """Full covariance given by its factors."""
    return sum(f.T @ f for f in factors)


def _present(stage: _Stage, dom: np.ndarray, n_dom: int, m: int, rows: np.ndarray | None,
             lonely_psu: str) -> np.ndarray | None:
    """Which groups hold at least one row of each domain, tiled over the m
    variables (n_groups x m * n_dom).

    Only ``lonely_psu="average"`` with lonely groups needs it; otherwise ``None``.
    """
    if lonely_psu != "average" or not np.any((stage.n_group == 1) & (stage.f_group >= 1e-7)):
        return None
    cl = stage.cluster if rows is None else stage.cluster[rows]
    g = stage.group[cl]
    counts = np.bincount(g * n_dom + dom, minlength=stage.n_groups * n_dom)
    return np.tile(counts.reshape(stage.n_groups, n_dom) > 0, (1, m))


def check_lonely(stages: list[_Stage], lonely_psu: str, with_later: bool) -> None:
    """Raise under ``lonely_psu="fail"`` when a stratum was sampled with one PSU."""
    if lonely_psu != "fail":
        return
    for s, st in enumerate(stages if with_later else stages[:1]):
        bad = np.flatnonzero((st.n_group == 1) & (st.f_group >= 1e-7))
        if bad.size:
            labels = [st.group_labels[i] for i in bad[:10]]
            more = f" (and {bad.size - 10} more)" if bad.size > 10 else ""
            unit = "PSU" if s == 0 else f"stage-{s + 1} unit"
            raise DesignError(
                f"stage {s + 1}: stratum {', '.join(map(str, labels))}{more} has only one "
                f"{unit}; its variance cannot be estimated (expected >= 2 {unit}s per "
                "stratum). Merge the stratum with a similar one, or choose "
                'lonely_psu="remove", "certainty", "adjust" or "average" as in R survey.'
            )


def design_variances(stages: list[_Stage], z: np.ndarray, dom: np.ndarray, n_dom: int,
                     lonely_psu: str, rows: np.ndarray | None = None,
                     use_later_stages: bool = True) -> np.ndarray:
    """Variances only (the diagonal of :func:`design_factors`' covariance), variable-major.

    Never forms a (clusters x variables * domains) matrix: influence values are
    summed into the (cluster, domain) cells that hold rows, and a group's
    contribution ``sum_c (t_c - mean)^2`` over its ``n_h`` clusters is
    ``S2 - S1^2 / n_h`` from the cell sums (the clusters without rows of a
    domain have ``t_c = 0``). Memory and time grow with the rows, not with
    clusters x domains, which matters when every row is its own PSU.
    """
    first = stages[0]
    out = _stage_variances(first, z, dom, n_dom, rows, lonely_psu, None)
    if use_later_stages and len(stages) > 1:
        multiplier_cluster = first.frac_group[first.group]
        for s in range(1, len(stages)):
            st = stages[s]
            mult = multiplier_cluster[st.parent_of_group]
            out = out + _stage_variances(st, z, dom, n_dom, rows, lonely_psu, mult)
            multiplier_cluster = mult[st.group] * st.frac_group[st.group]
    return out


def _stage_variances(stage: _Stage, z: np.ndarray, dom: np.ndarray, n_dom: int,
                     rows: np.ndarray | None, lonely_psu: str,
                     multiplier: np.ndarray | None) -> np.ndarray:
    """One stage's between-cluster variances (m * n_dom,), as ``_onestage`` without the factor."""
    cell, cell_group, cell_dom = stage_cells(stage, dom, n_dom, rows)
    totals = np.empty((z.shape[0], cell_group.size))
    for j in range(z.shape[0]):
        totals[j] = np.bincount(cell, weights=z[j], minlength=cell_group.size)
    return cell_variances(stage, totals, cell_group, cell_dom, n_dom, lonely_psu, multiplier)


def stage_cells(stage: _Stage, dom: np.ndarray, n_dom: int,
                rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (cluster, domain) cells holding rows: cell of each row, group and domain of each cell."""
    from ecd.survey._codes import codes

    cl = stage.cluster if rows is None else stage.cluster[rows]
    cell, used = codes(cl * n_dom + dom if n_dom > 1 else cl)
    return cell, stage.group[used // n_dom], used % n_dom


def cell_variances(stage: _Stage, totals: np.ndarray, cell_group: np.ndarray, cell_dom: np.ndarray,
                   n_dom: int, lonely_psu: str, multiplier: np.ndarray | None = None) -> np.ndarray:
    """Between-cluster variances (m * n_dom,) from influence totals per cell (m x cells).

    A group's contribution ``sum_c (t_c - mean)^2`` over its ``n_h`` clusters is
    ``S2 - S1^2 / n_h``: clusters without rows of a domain have ``t_c = 0``.
    """
    m, G = totals.shape[0], stage.n_groups
    key = cell_group * n_dom + cell_dom
    s1 = np.empty((m, G * n_dom))
    s2 = np.empty((m, G * n_dom))
    for j in range(m):
        t = totals[j]
        s1[j] = np.bincount(key, weights=t, minlength=G * n_dom)
        s2[j] = np.bincount(key, weights=t * t, minlength=G * n_dom)
    s1 = s1.reshape(m, G, n_dom)
    s2 = s2.reshape(m, G, n_dom)
    n_h = stage.n_group
    f = stage.f_group
    lonely = (n_h == 1) & (f >= 1e-7)
    within = s2 - s1 * s1 / n_h[None, :, None]
    if lonely.any():
        within[:, lonely] = s2[:, lonely] if lonely_psu == "adjust" else 0.0
    scale = np.where(n_h > 1, f * n_h / np.maximum(n_h - 1, 1), f)
    scale = np.where(f < 1e-7, 0.0, scale)
    if multiplier is not None:
        scale = scale * multiplier
    within = within * scale[None, :, None]
    if lonely_psu == "average" and lonely.any():
        # as _onestage: strata (with rows of the domain) over strata with a
        # variance, per parent; lonely groups add nothing
        present = np.zeros((G, n_dom), dtype=bool)
        present[cell_group, cell_dom] = True
        par = stage.parent_of_group
        n_str = np.zeros((stage.n_parents, n_dom))
        n_ok = np.zeros((stage.n_parents, n_dom))
        np.add.at(n_str, par, present.astype(float))
        np.add.at(n_ok, par, (present & ~lonely[:, None]).astype(float))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(n_ok > 0, n_str / np.where(n_ok > 0, n_ok, 1.0), 0.0)
        within = within * ratio[par][None, :, :]
        within[:, lonely] = 0.0
    return np.maximum(within.sum(axis=1), 0.0).reshape(m * n_dom)
