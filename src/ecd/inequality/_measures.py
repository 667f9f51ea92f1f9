"""The 21 summary measures for one stratum (formulas in MEASURES.md §3)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MEASURES = (
    "D", "R", "PAR", "PAF", "ACI", "RCI", "SII", "RII", "BGV", "BGSD", "COV",
    "MDBU", "MDBW", "MDMU", "MDMW", "MDRU", "MDRW", "IDISU", "IDISW", "TI", "MLD",
)
SIMULATED = ("BGSD", "COV", "MDBU", "MDBW", "MDMU", "MDMW", "MDRU", "MDRW", "IDISU", "IDISW")
ORDERED_ONLY = ("ACI", "RCI", "SII", "RII")
NONORDERED_ONLY = ("BGV", "BGSD", "COV", "MDBU", "MDBW", "MDMU", "MDMW", "MDRU", "MDRW",
                   "IDISU", "IDISW", "TI", "MLD")
NEED_POP = ("BGV", "BGSD", "COV", "MDMW", "MDBW", "MDRW", "IDISW", "TI", "MLD")

NA = np.nan


@dataclass
class Stratum:
    """One stratum's subgroups with an estimate, in HEAT's order."""

    y: np.ndarray
    se: np.ndarray
    pop: np.ndarray
    order: np.ndarray
    ref: np.ndarray  # bool
    favourable: bool
    ordered: bool
    scale: float
    setting_average: float
    n_total: int  # subgroups including those without an estimate
    ends_present: bool  # ordered: the min- and max-order subgroups have estimates

    @cached_property
    def n(self) -> int:
        return self.y.size

    @cached_property
    def has_pop(self) -> bool:
        return self.n > 0 and bool(np.all(np.isfinite(self.pop))) and float(self.pop.sum()) > 0

    @cached_property
    def has_se(self) -> bool:
        return self.n > 0 and bool(np.all(np.isfinite(self.se)))

    @cached_property
    def share(self) -> np.ndarray:
        return self.pop / self.pop.sum()

    @cached_property
    def wmean(self) -> float:
        return float(self.share @ self.y) if self.has_pop else NA

    @cached_property
    def mean(self) -> float:
        """HEAT's setting mean: weighted mean, else the setting average."""
        return self.wmean if self.has_pop else float(self.setting_average)

    @cached_property
    def ref_index(self) -> int | None:
        idx = np.flatnonzero(self.ref)
        return int(idx[0]) if idx.size == 1 else None


def _res(est=NA, se=NA, lo=NA, hi=NA, note=""):
    return (float(est), float(se), float(lo), float(hi), note)


def _sqrt(x: float) -> float:
    return float(np.sqrt(x)) if x >= 0 else NA


# ---------------------------------------------------------------- D and R
def pair(s: Stratum, use_ref_when_ordered: bool = False) -> tuple[int, int] | str:
    """Indices (i1, i2) of the two subgroups compared by D and R, or a reason.

    Ordered dimensions compare the extreme groups; HEAT (not healthequal) uses a
    flagged reference subgroup even there.
    """
    if s.ordered and not (use_ref_when_ordered and s.ref_index is not None):
        if not s.ends_present:
            return "the most or least advantaged subgroup has no estimate"
        lo, hi = int(np.argmin(s.order)), int(np.argmax(s.order))
        return (hi, lo) if s.favourable else (lo, hi)
    r = s.ref_index
    if r is not None:
        others = np.flatnonzero(~s.ref)
        if s.favourable:
            return r, int(others[np.argmin(s.y[others])])
        return int(others[np.argmax(s.y[others])]), r
    return int(np.argmax(s.y)), int(np.argmin(s.y))


def difference(s: Stratum, i1: int, i2: int, z: float):
    d = s.y[i1] - s.y[i2]
    se = _sqrt(s.se[i1] ** 2 + s.se[i2] ** 2)
    return _res(d, se, d - z * se, d + z * se, "" if np.isfinite(se) else "no subgroup SE: CI not computed")


def ratio(s: Stratum, i1: int, i2: int, z: float, report_log_se: bool):
    y1, y2 = s.y[i1], s.y[i2]
    if y2 == 0:
        return _res(note="ratio undefined: the comparison subgroup's estimate is 0")
    with np.errstate(over="ignore", invalid="ignore"):  # overflow of r² → NaN SE, reported below
        r = y1 / y2
        if not np.isfinite(r):
            return _res(note="ratio is infinite (the comparison subgroup's estimate is ~0)")
        se_r = _sqrt((s.se[i1] ** 2 + r**2 * s.se[i2] ** 2) / y2**2)
    if not np.isfinite(se_r):
        return _res(r, note="no subgroup SE: CI not computed")
    if r <= 0:
        return _res(r, se_r, note="ratio is 0: log-scale CI undefined")
    se_log = se_r / r
    return _res(r, se_log if report_log_se else se_r, np.exp(np.log(r) - z * se_log),
                np.exp(np.log(r) + z * se_log))


# ---------------------------------------------------------------- PAR and PAF
def par_paf(s: Stratum, z: float, use_ref_flag: bool, paf_se_percent: bool):
    if s.ordered:
        iref = int(np.argmax(s.order))
    elif use_ref_flag and s.ref_index is not None:
        iref = s.ref_index
    else:
        iref = int(np.argmax(s.y)) if s.favourable else int(np.argmin(s.y))
    yref = s.y[iref]
    mu = s.mean
    if not np.isfinite(mu) or mu == 0:
        note = "no populations and no setting_average: no mean to compare with"
        return _res(note=note), _res(note=note)
    par = yref - mu
    paf = 100.0 * par / mu
    if s.favourable:
        par, paf = max(par, 0.0), max(paf, 0.0)
    else:
        par, paf = min(par, 0.0), min(paf, 0.0)
    if not s.has_pop:
        note = "no populations: CI not computed (mean taken from setting_average)"
        return _res(par, note=note), _res(paf, note=note)
    n_all = s.pop.sum()
    n_ref = s.pop[iref]
    c = yref / s.scale * n_ref
    d = n_ref - c
    a = mu / s.scale * n_all - c
    b = n_all - a - n_ref
    with np.errstate(all="ignore"):
        var = c * n_all * (a * d * (n_all - c) + b * c**2) / ((a + c) ** 3 * (c + d) ** 3)
    se_paf = _sqrt(var)
    if not np.isfinite(se_paf):
        note = "Walter variance is negative for these inputs (check indicator_scale): CI not computed"
        return _res(par, note=note), _res(paf, note=note)
    se_par = mu * se_paf
    se_paf_rep = 100.0 * se_paf if paf_se_percent else se_paf
    return (_res(par, se_par, par - z * se_par, par + z * se_par),
            _res(paf, se_paf_rep, paf - z * se_paf_rep, paf + z * se_paf_rep))


# ---------------------------------------------------------------- ordered
def ridit(n: np.ndarray) -> np.ndarray:
    p = n / n.sum()
    return np.cumsum(p) - p / 2.0


def aci_rci(s: Stratum, z: float, bounds=None, normalisation=None):
    w = s.pop if s.has_pop else np.ones(s.n)
    k = np.argsort(s.order, kind="stable")
    y, w = s.y[k], w[k]
    if bounds is not None:  # healthequal lmin/lmax: rescale to 0..1 first
        y = (y - bounds[0]) / (bounds[1] - bounds[0])
    p = w / w.sum()
    x = ridit(w)
    mu = float(p @ y)
    var_x = float(p @ (x - 0.5) ** 2)
    lhs = 2.0 * var_x * y
    xbar = float(p @ x)
    slope = float(p @ ((x - xbar) * (lhs - p @ lhs))) / float(p @ (x - xbar) ** 2)
    intercept = float(p @ lhs) - slope * xbar
    resid = lhs - intercept - slope * x
    se = _sqrt(float(w @ resid**2) / (s.n - 2) / float(w @ (x - xbar) ** 2))
    aci = _res(slope, se, slope - z * se, slope + z * se)
    if mu == 0:
        return aci, _res(note="mean is 0: RCI undefined")
    rci, se_r = slope / mu, se / abs(mu)
    if normalisation == "wagstaff":
        factor = 1.0 / (1.0 - mu)
    elif normalisation == "erreygers":
        factor = 4.0 * mu
    else:
        factor = 1.0
    rci, se_r = rci * factor, se_r * abs(factor)
    return aci, _res(rci, se_r, rci - z * se_r, rci + z * se_r)


_SCALES = (1.0, 100.0, 1000.0, 1e4, 1e5)


def _round_half_even(x: np.ndarray) -> np.ndarray:
    return np.round(x)  # numpy rounds half to even, like R's round()


def sii_rii(s: Stratum, z: float, *, scale: float, weight_power: int, model: str,
            sii_se_scaled: bool, rii_cap: float | None):
    k = np.argsort(s.order, kind="stable")
    y, pop = s.y[k], s.pop[k]
    nn = np.ceil(pop)
    cases = _round_half_even(y / scale * nn)
    if np.any(cases < 0) or np.any(cases > nn):
        note = f"estimates exceed the indicator scale ({scale:g}): counts outside 0..N"
        return _res(note=note), _res(note=note)
    x = ridit(nn)
    prop = cases / nn
    design = np.column_stack([np.ones_like(x), x])
    n = s.n
    if model == "logit":
        w = nn**weight_power
        beta = _irls_logit(design, prop, w)
        if beta is None:
            note = "logistic regression did not converge"
            return _res(note=note), _res(note=note)
        eta = design @ beta
        v = 1.0 / (1.0 + np.exp(-eta))
        bread = np.linalg.inv((design * (w * v * (1 - v))[:, None]).T @ design)
        u = design * (w * (prop - v))[:, None]
        vcov = n / (n - 2) * bread @ (u.T @ u) @ bread
        v1 = 1.0 / (1.0 + np.exp(-(beta[0] + beta[1])))
        v0 = 1.0 / (1.0 + np.exp(-beta[0]))
        g_sii = np.array([v1 * (1 - v1) - v0 * (1 - v0), v1 * (1 - v1)])
        g_rii = np.array([(1 - v1) - (1 - v0), 1 - v1])
    else:  # linear probability model (healthequal linear=TRUE): raw y/s, weights N'
        w = nn
        prop = y / scale
        bread = np.linalg.inv((design * w[:, None]).T @ design)
        beta = bread @ (design * w[:, None]).T @ prop
        u = design * (w * (prop - design @ beta))[:, None]
        vcov = n / (n - 2) * bread @ (u.T @ u) @ bread
        v1, v0 = beta[0] + beta[1], beta[0]
        g_sii = np.array([0.0, 1.0])
        g_rii = np.array([1 / v1 - 1 / v0, 1 / v1])
    se_f = _sqrt(float(g_sii @ vcov @ g_sii))
    sii = scale * (v1 - v0)
    sii_res = _res(sii, scale * se_f if sii_se_scaled else se_f,
                   scale * (v1 - v0 - z * se_f), scale * (v1 - v0 + z * se_f))
    if v0 <= 0 or v1 <= 0:
        return sii_res, _res(note="fitted value at a rank end is <= 0: RII undefined")
    rii = v1 / v0
    if rii_cap is not None and not (0 <= rii <= rii_cap):
        return sii_res, _res(note=f"RII {rii:.4g} outside HEAT's plausible range [0, {rii_cap:g}]")
    se_l = _sqrt(float(g_rii @ vcov @ g_rii))
    return sii_res, _res(rii, se_l, np.exp(np.log(rii) - z * se_l), np.exp(np.log(rii) + z * se_l))


def _irls_logit(design: np.ndarray, prop: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    mu = (w * prop + 0.5) / (w + 1.0)
    eta = np.log(mu / (1 - mu))
    beta = None
    for _ in range(100):
        var = mu * (1 - mu)
        zz = eta + (prop - mu) / var
        ww = w * var
        xtw = (design * ww[:, None]).T
        new = np.linalg.solve(xtw @ design, xtw @ zz)
        if beta is not None and np.all(np.abs(new - beta) <= 1e-13 * (1 + np.abs(new))):
            return new
        beta = new
        eta = design @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        if not np.all(np.isfinite(mu)) or np.any(mu <= 0) or np.any(mu >= 1):
            return None
    return beta


def infer_scale(y: np.ndarray) -> float:
    """healthequal 1.0.1's scale: the smallest of 1, 100, 1000, 1e4, 1e5 >= max(y)."""
    top = float(np.max(y))
    for c in _SCALES:
        if c >= top:
            return c
    return _SCALES[-1]


# ---------------------------------------------------------------- non-ordered analytic
def bgv(s: Stratum, z: float):
    p, y, se = s.share, s.y, s.se
    mu = float(p @ y)
    est = float(p @ (y - mu) ** 2)
    if not s.has_se:
        return _res(est, note="no subgroup SE: CI not computed")
    a = p**2 * se**2
    var = 4 * float(a @ (y - mu) ** 2) + 2 * (a.sum() ** 2 - float((a**2).sum())
                                              + float((p**2 * (1 - p) ** 2 * se**4).sum()))
    sd = _sqrt(var)
    return _res(est, sd, est - z * sd, est + z * sd)


def theil_mld(s: Stratum, z: float, se_factor: float):
    p = s.share
    y = np.where(s.y == 0, 1e-6, s.y)
    mu = float(p @ y)
    r = y / mu
    lr = np.log(r)
    ti = 1000.0 * float(p @ (r * lr))
    mld = 1000.0 * float(p @ -lr)
    if not s.has_se:
        note = "no subgroup SE: CI not computed"
        return _res(ti, note=note), _res(mld, note=note)
    se2 = p**2 * s.se**2 / mu**2
    centre = float(p @ (r * (1 + lr)))
    se_ti = se_factor * _sqrt(float(((1 + lr - centre) ** 2) @ se2))
    se_mld = se_factor * _sqrt(float(((1 - 1 / r) ** 2) @ se2))
    return (_res(ti, se_ti, ti - z * se_ti, ti + z * se_ti),
            _res(mld, se_mld, mld - z * se_mld, mld + z * se_mld))
