"""Post-stratification, raking and calibration of a design's weights (R ``survey``).

Each returns a new design whose weights meet the population totals and which
remembers how they were made: before the design variance, influence values
are replaced by their residuals from the calibration, as R's ``svyrecvar``
does with ``design$postStrata``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from ecd.errors import DataError, DesignError, ParameterError
from ecd.survey._codes import codes as _codes
from ecd.survey._codes import row_labels as _rows

CALFUNS = ("linear", "raking", "logit")


@dataclass(frozen=True)
class _PostStrata:
    """R: ``x - psw * rowsum(x * oldw / psw) / sum(oldw)`` within post-strata."""

    index: np.ndarray
    psw: np.ndarray
    oldw: np.ndarray

    def __call__(self, Z):
        psw = np.where((self.psw == 0) & (self.oldw == 0), 1.0, self.psw)
        k = int(self.index.max()) + 1
        den = np.bincount(self.index, weights=self.oldw, minlength=k)
        ratio = self.oldw / psw
        out = np.empty_like(Z)
        for j in range(Z.shape[0]):
            means = np.bincount(self.index, weights=Z[j] * ratio, minlength=k) / den
            out[j] = Z[j] - means[self.index] * psw
        return out


@dataclass(frozen=True)
class _Raking:
    """R: ten back-fitting sweeps ``x - psw * ave(x / psw, margin)`` over the margins."""

    margins: tuple  # of (codes, psw)

    def __call__(self, Z):
        Z = Z.copy()
        for _ in range(10):
            for idx, psw in self.margins:
                k = int(idx.max()) + 1
                cnt = np.bincount(idx, minlength=k)
                for j in range(Z.shape[0]):
                    ave = np.bincount(idx, weights=Z[j] / psw, minlength=k) / cnt
                    Z[j] -= psw * ave[idx]
        return Z


@dataclass(frozen=True)
class _Greg:
    """R: ``qr.resid(qr(M * sqrt(w0)), x / wc) * wc`` with ``wc = g * sqrt(w0)``."""

    Q: np.ndarray
    wc: np.ndarray

    def __call__(self, Z):
        with np.errstate(divide="ignore", invalid="ignore"):
            V = np.where(self.wc > 0, Z / self.wc, 0.0)
        R = V - (V @ self.Q) @ self.Q.T
        return R * self.wc


def _reweighted(design, new_w, step):
    d = copy.copy(design)
    d._w = np.asarray(new_w, dtype=float)
    d._cal = tuple(getattr(design, "_cal", ())) + (step,)
    d._domain_cache = {}
    d.__dict__.pop("_values_cache", None)
    d._all_weighted = bool(np.all(d._w != 0))
    return d


def _strata_codes(design, strata):
    cols = [strata] if isinstance(strata, str) else list(strata)
    for c in cols:
        if c not in design.data.columns:
            raise ParameterError("strata", f"column {c!r} is not in the data (columns: {list(design.data.columns)[:20]}).")
        miss = design.data[c].isna().to_numpy()
        if miss.any():
            raise DataError(f"post-stratification column {c!r} is missing in row(s) {_rows(design.data, miss)}; "
                            "every row needs a post-stratum.")
    if len(cols) == 1:
        code, uniq = _codes(design.data[cols[0]])
        labels = [(u,) for u in uniq.tolist()]
    else:
        g = design.data.groupby(cols, sort=True, observed=True)
        code = g.ngroup().to_numpy().astype(np.int64)
        labels = [tuple(k) for k in g.size().index.tolist()]
    return cols, np.asarray(code, dtype=np.int64), labels


def _population_table(cols, population, name):
    """{level tuple: total} from a DataFrame with the columns and ``Freq``, a Series or a dict."""
    if isinstance(population, pd.DataFrame):
        if "Freq" not in population.columns or not all(c in population.columns for c in cols):
            raise ParameterError(name, f"a population table needs the columns {cols} and 'Freq'; got {list(population.columns)}.")
        return {tuple(r[:-1]): float(r[-1]) for r in population[cols + ["Freq"]].itertuples(index=False)}
    if isinstance(population, pd.Series | dict):
        items = population.items()
        return {(k if isinstance(k, tuple) else (k,)): float(v) for k, v in items}
    raise ParameterError(name, f"expected a DataFrame (columns {cols} + 'Freq'), a Series or a dict "
                         f"{{level: population total}}, got {type(population).__name__}.")


def _ps_totals(design, strata, population, partial, w):
    """Post-stratum code of each row and the population total of each post-stratum (NaN: ignored)."""
    cols, code, labels = _strata_codes(design, strata)
    pop = _population_table(cols, population, "population")
    sample = np.bincount(code, weights=w, minlength=len(labels))
    norm = {tuple(str(x) for x in k): v for k, v in pop.items()}
    totals = np.empty(len(labels))
    absent = []
    for i, lab in enumerate(labels):
        key = tuple(str(x) for x in lab)
        if key not in norm or norm[key] == 0:
            if sample[i] != 0:
                absent.append(lab)
            totals[i] = np.nan
        else:
            totals[i] = norm[key]
    if absent:
        raise DataError(f"post-strata {absent[:10]} of {cols} are in the sample but not in the population "
                        "(or have population 0); give every sampled post-stratum a population total.")
    known = {tuple(str(x) for x in lab) for lab in labels}
    only_pop = [k for k, v in norm.items() if k not in known and v != 0]
    zero_sample = [tuple(str(x) for x in lab) for i, lab in enumerate(labels)
                   if sample[i] == 0 and np.isfinite(totals[i]) and totals[i] != 0]
    if (only_pop or zero_sample) and not partial:
        raise DataError(f"post-strata {(only_pop + zero_sample)[:10]} of {cols} have a population total but no "
                        "sampled weight; pass partial=True to ignore them (R's partial=TRUE) or merge post-strata.")
    return code, totals


def _reweight(code, totals, w):
    sample = np.bincount(code, weights=w, minlength=len(totals))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where((sample > 0) & np.isfinite(totals), totals / sample, 1.0)
    return w * factor[code]


def post_stratify(design, strata, population, partial: bool = False):
    w = design._w
    code, totals = _ps_totals(design, strata, population, partial, w)
    new_w = _reweight(code, totals, w)
    return _reweighted(design, new_w, _PostStrata(code, new_w, w.copy()))


def rake(design, margins, population, epsilon: float = 1e-12, max_iter: int = 200):
    margins = [margins] if isinstance(margins, str) else list(margins)
    if isinstance(population, dict) and all(isinstance(m, str) for m in margins) and set(margins) <= set(population):
        pops = [population[m] for m in margins]
    else:
        pops = list(population)
    if len(pops) != len(margins):
        raise ParameterError("population", f"got {len(pops)} population margin(s) for {len(margins)} sample margin(s).")
    w = design._w
    tables = [_ps_totals(design, m, p, False, w) for m, p in zip(margins, pops)]
    sums = [np.nansum(t) for _, t in tables]
    if max(sums) - min(sums) > 1e-9 * max(sums):
        raise DataError(f"the population margins of {margins} have different totals {sums}; raking cannot meet "
                        "them all. Make every margin sum to the same population.")
    total = w.sum()
    for it in range(max_iter):
        old = w
        steps = []
        for code, totals in tables:
            w = _reweight(code, totals, w)
            steps.append((code, w.copy()))
        if np.max(np.abs(w - old)) < epsilon * total / len(w):
            break
    else:
        raise DesignError(f"raking on {margins} did not converge in {max_iter} sweeps; a cell may be empty "
                          "or the margins inconsistent.")
    return _reweighted(design, w, _Raking(tuple(steps)))


def _calfun(name, bounds):
    lo, hi = bounds
    if name == "linear":
        return (lambda u: np.minimum(np.maximum(u, lo - 1), hi - 1),
                lambda u: np.where((u < hi - 1) & (u > lo - 1), 1.0, 0.0))
    if name == "raking":
        return (lambda u: np.minimum(np.maximum(np.exp(u), lo), hi) - 1,
                lambda u: np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ParameterError("bounds", "logit calibration needs finite bounds (lower < 1 < upper), e.g. (0.5, 2).")
    A = (hi - lo) / ((hi - 1) * (1 - lo))

    def fm1(u):
        e = np.exp(A * u)
        return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

    def df(u):
        e = np.exp(A * u)
        den = hi - 1 + (1 - lo) * e
        return hi * (1 - lo) * e * A / den - (lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * A) / den ** 2

    return fm1, df


def calibrate(design, formula, population, calfun="linear", bounds=(-np.inf, np.inf),
              epsilon: float = 1e-12, max_iter: int = 50):
    from formulaic import model_matrix

    if calfun not in CALFUNS:
        raise ParameterError("calfun", f"got {calfun!r}; expected one of {CALFUNS}.")
    if not isinstance(formula, str) or not formula.strip().startswith("~"):
        raise ParameterError("formula", f"expected a one-sided formula such as \"~ urban_rural + age_group\", got {formula!r}.")
    from formulaic import Formula

    need = sorted(map(str, Formula(formula).required_variables))
    missing = [c for c in need if c not in design.data.columns]
    if missing:
        raise ParameterError("formula", f"{formula!r} names column(s) {missing} that are not in the data.")
    mm = model_matrix(formula, design.data[need], na_action="raise")
    names = list(map(str, mm.columns))
    M = np.asarray(mm, dtype=float)
    if isinstance(population, dict | pd.Series):
        pop = dict(population)
        if set(pop) != set(names):
            raise ParameterError("population", f"totals are needed for exactly the model-matrix columns {names} "
                                 f"of {formula!r}; got {sorted(pop)} (missing {sorted(set(names) - set(pop))}, "
                                 f"unexpected {sorted(set(pop) - set(names))}).")
        T = np.array([float(pop[n]) for n in names])
    else:
        T = np.asarray(population, dtype=float).ravel()
        if T.size != len(names):
            raise ParameterError("population", f"got {T.size} totals for the {len(names)} columns {names}.")
    w = design._w
    whalf = np.sqrt(w)
    sample_total = M.T @ w
    lo, hi = bounds
    if calfun == "linear" and not (np.isfinite(lo) or np.isfinite(hi)):
        Tmat = (M * w[:, None]).T @ M
        tT = linalg.solve(Tmat, T - sample_total, assume_a="sym")
        g = 1 + M @ tT
    else:
        fm1, dfun = _calfun(calfun, (lo, hi))
        ww = w
        scales = T / np.where(sample_total == 0, np.nan, sample_total)
        scale = np.nanmean(scales) if np.nanmin(scales) > 20 else None  # R's SOMETHRESHOLD rescaling
        if scale is not None:
            ww = w * scale
            sample_total = sample_total * scale
        eta = np.zeros(M.shape[1])
        xeta = M @ eta
        converged = False
        misfit = T - sample_total
        with np.errstate(all="ignore"):
            for it in range(max_iter):
                Tmat = (M * (ww * dfun(xeta))[:, None]).T @ M
                misfit = T - sample_total - M.T @ (ww * fm1(xeta))
                if not (np.all(np.isfinite(Tmat)) and np.all(np.isfinite(misfit))):
                    break
                try:
                    deta = np.linalg.pinv(Tmat, rcond=256 * np.finfo(float).eps) @ misfit
                except np.linalg.LinAlgError:
                    break
                eta = eta + deta
                xeta = M @ eta
                g = 1 + fm1(xeta)
                halvings = 0
                while halvings < max_iter and not (np.all(np.isfinite(g)) and np.all(np.isfinite(dfun(xeta)))):
                    deta = deta / 2
                    eta = eta - deta
                    xeta = M @ eta
                    g = 1 + fm1(xeta)
                    halvings += 1
                misfit = T - sample_total - M.T @ (ww * fm1(xeta))
                if np.all(np.abs(misfit) / (1 + np.abs(T)) < epsilon):
                    converged = True
                    break
        if not converged:
            achieved = float(np.nanmax(np.abs(misfit) / (1 + np.abs(T)))) if np.any(np.isfinite(misfit)) else np.inf
            raise DesignError(f"calibration ({calfun}, bounds {bounds}) did not converge in {max_iter} iterations "
                              f"(largest relative misfit {achieved:.3g}); the totals may be unreachable within "
                              "the bounds: widen them or check the population totals.")
        if scale is not None:
            g = g * scale
    Q, _ = np.linalg.qr(M * whalf[:, None])
    return _reweighted(design, w * g, _Greg(Q, g * whalf))
