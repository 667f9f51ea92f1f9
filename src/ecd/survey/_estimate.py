"""Estimators: influence values per row, one variance pass for all domains."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import DataError, MissingDataError, ParameterError
from ecd.survey import _ciprop
from ecd.survey._codes import codes as _codes
from ecd.survey._codes import row_labels as _rows
from ecd.survey._results import ContrastResult, EstimateResult, ProportionResult
from ecd.survey._variance import (cell_variances, design_variances, factor_covariance,
                                  factor_variances, stage_cells)


def _columns(design, cols, name):
    cols = [cols] if isinstance(cols, str) else list(cols)
    if not cols:
        raise ParameterError(name, "no column given.")
    for c in cols:
        if c not in design.data.columns:
            raise ParameterError(name, f"column {c!r} is not in the data (columns: {list(design.data.columns)[:20]}).")
    return cols


def _domains(design, by):
    """Domain code per row (0..D-1), the domain table and labels."""
    if by is None:
        return np.zeros(design.n, dtype=np.int64), (), pd.DataFrame(index=[0]), ("all",)
    cols = _columns(design, by, "by")
    data = design.data
    for c in cols:
        miss = data[c].isna().to_numpy()
        if miss.any():
            raise MissingDataError(f"by column {c!r} is missing in row(s) {_rows(data, miss)}; every row must belong to a domain. Recode the missing values as their own category (e.g. \"unknown\") or drop those rows before building the design.")
    if len(cols) == 1:
        codes, uniq = _codes(data[cols[0]])
        table = pd.DataFrame({cols[0]: np.asarray(uniq)})
    else:
        grouped = data.groupby(cols, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        table = grouped.size().reset_index()[cols]
    labels = tuple(".".join(str(v) for v in row) for row in table.itertuples(index=False))
    return np.asarray(codes, dtype=np.int64), tuple(cols), table.reset_index(drop=True), labels


def _values(design, cols, name, na, override=None):
    """Numeric matrix (m variables x n rows), variable names, a row-validity mask, the
    missing-value matrix and whether the matrix is a fresh copy (not a view of the data)."""
    data = design.data
    mats, names = [], []
    for c in cols:
        if override is not None and c in override:
            mats.append(np.asarray(override[c], dtype=float)[None, :])
            names.append(c)
            continue
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            mats.append(s.to_numpy(dtype=float, na_value=np.nan)[None, :])
            names.append(c)
        else:
            _refuse_numbers_as_text(data, c)
            miss = s.isna().to_numpy()
            levels = np.sort(pd.unique(s[~miss]))
            arr = s.to_numpy()
            m = np.vstack([(arr == lv) for lv in levels]).astype(float)
            m[:, miss] = np.nan
            mats.append(m)
            names.extend(f"{c}={lv}" for lv in levels)
    y = mats[0] if len(mats) == 1 else np.vstack(mats)
    nan = np.isnan(y)
    bad = nan.any(axis=0)
    if na not in NA_OPTIONS:
        raise ParameterError("na", f"got {na!r}; expected one of {NA_OPTIONS}.")
    if bad.any() and na == "raise":
        which = [c for c in cols if c in data.columns and data[c].isna().any()]
        raise MissingDataError(f"{name} column(s) {which} missing in row(s) {_rows(data, bad)}; pass na=\"drop\" to leave those rows out (R's na.rm=TRUE) or impute them first.")
    return y, tuple(names), ~bad, nan, len(mats) > 1


NA_OPTIONS = ("raise", "drop", "drop_each")


def _number_like(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, str):
        try:
            float(v.strip())
        except ValueError:
            return False
        return True
    return False


def _refuse_numbers_as_text(data: pd.DataFrame, c: str) -> None:
    """A text column that holds numbers would silently become category shares: say so instead.

    Text labels (a categorical variable, R's factor) give category shares; a pandas
    ``category`` column always does. A column of numbers stored as text, or of numbers
    with stray text cells, is refused, naming the rows.
    """
    s = data[c]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return
    present = s.notna().to_numpy()
    vals = s.to_numpy()
    # judged once per distinct value: a text column of a million rows has a few labels
    numbers = [u for u in pd.unique(vals[present]) if _number_like(u)]
    if not numbers:
        return
    num = present & s.isin(numbers).to_numpy()
    text = present & ~num
    if text.any():
        shown = ", ".join(repr(v) for v in pd.unique(vals[text])[:5])
        raise DataError(f"column {c!r} holds numbers and text: row(s) {_rows(data, text)} hold {shown}, the others "
                        f"numbers. A mean of it would silently be the share of each distinct value; convert it with "
                        f"pd.to_numeric(df[{c!r}], errors=\"coerce\") (the text cells become missing: see na=) or, "
                        f"for categories, .astype(\"category\").")
    raise DataError(f"column {c!r} holds numbers stored as text (e.g. {str(vals[num][0])!r}); a mean of it would be the "
                    f"share of each distinct value. Convert it with pd.to_numeric(df[{c!r}]) or, for categories, "
                    f".astype(\"category\").")


def _domain_df(design, dcode, D):
    """R's degf of each domain subset: PSUs minus strata among its rows with weight != 0."""
    st = design._stages[0]
    if design._all_weighted:
        d, cl = dcode, st.cluster
    else:
        keep = design._w != 0
        d, cl = dcode[keep], st.cluster[keep]
    has_psu = (np.bincount(d * st.n_cluster + cl, minlength=D * st.n_cluster) > 0).reshape(D, -1)
    # PSUs are nested in strata: a stratum has domain rows when one of its PSUs has
    dd, pp = np.nonzero(has_psu)
    has_str = np.bincount(dd * st.n_groups + st.group[pp], minlength=D * st.n_groups) > 0
    return (has_psu.sum(1) - has_str.reshape(D, -1).sum(1)).astype(float)


def _value_part(design, cols, name, na, den, override):
    """Values (m x rows used), denominators, per-variable validity (``drop_each``) and rows used."""
    y, names, valid, nan, fresh = _values(design, cols, name, na, override)
    x = None
    if den is not None:
        x, _, valid_x, nan_x, _ = _values(design, den, "den", na)
        valid &= valid_x
    if na == "drop_each" and not valid.all():
        # each variable keeps its own rows: a missing value takes the row out
        # of that variable's domains only (weight 0 there), as one call per variable
        if den is not None:
            nan |= nan_x
            x = np.where(nan, 0.0, x)
        if fresh:  # our own copy: zero the missing values in place
            np.copyto(y, 0.0, where=nan)
        else:
            y = np.where(nan, 0.0, y)
        part = (names, y, x, ~nan, None)
    elif valid.all():  # no copies: row subsets only when values are missing
        part = (names, y, x, None, None)
    else:
        rows = np.flatnonzero(valid)
        part = (names, y[:, valid], None if x is None else x[:, valid], None, rows)
    for a in part[1:4]:
        if isinstance(a, np.ndarray) and a.base is None:
            a.flags.writeable = False  # shared by later calls through the cache
    return part


class _Prepared:
    """Rows, domains and values shared by the estimators."""

    def __init__(self, design, cols, name, by, na, den=None, override=None):
        # domains are coded once per design and by-columns (the data are fixed
        # when the design is built), so several indicators by the same domains
        # share the work
        key = None if by is None else tuple(_columns(design, by, "by"))
        cached = design._domain_cache.get(key)
        if cached is None:
            dcode, by_cols, table, labels = _domains(design, by)
            D = len(labels)
            df = (np.full(D, float(design.df)) if by is None else _domain_df(design, dcode, D))
            # rows per domain in the subset design (R's nrow(design) for "beta")
            nrow = np.bincount(dcode, minlength=D).astype(float)
            cached = design._domain_cache[key] = (dcode, by_cols, table, labels, df, nrow)
        self.dcode_all, self.by, self.table, self.labels, self.df, self.nrow = cached
        self.D = len(self.labels)
        # the values of the last variables asked for are kept too: the same
        # indicators by several domain columns (one call per column) reuse them
        vkey = None if override is not None else (tuple(cols), name, na, None if den is None else tuple(den))
        vcache = design.__dict__.setdefault("_values_cache", {})
        part = vcache.get(vkey) if vkey is not None else None
        if part is None:
            part = _value_part(design, cols, name, na, den, override)
            if vkey is not None:
                vcache.clear()
                vcache[vkey] = part
        self.names, self.y, self.x, self.valid, self.rows = part
        self.m = len(self.names)
        if self.rows is None:
            self.w, self.d = design._w, self.dcode_all
        else:
            self.w, self.d = design._w[self.rows], self.dcode_all[self.rows]

    def sums(self, v):
        return np.bincount(self.d, weights=v, minlength=self.D)


def _variance(design, prep, z):
    """Covariance factors of the totals of ``z`` (m x n_valid) over variables x domains."""
    return design._vfactors(z, prep.d, prep.D, prep.rows)


def estimate(design, statistic, var, den, by, na, conf_level, override=None, vcov=True):
    """Mean, total or ratio by domain; returns the result (and the prepared rows
    when ``override`` supplies derived columns)."""
    if override is None:
        cols = _columns(design, var, "var" if statistic != "ratio" else "num")
    else:
        cols = [var]
    dcols = _columns(design, den, "den") if statistic == "ratio" else None
    if statistic == "ratio" and len(dcols) != len(cols):
        raise ParameterError("den", f"got {len(dcols)} denominator(s) for {len(cols)} numerator(s); give one per numerator.")
    _check_level(conf_level)
    prep = _Prepared(design, cols, "var", by, na, den=dcols, override=override)
    D, m = prep.D, prep.m
    count1 = np.bincount(prep.d, minlength=D)
    nobs1 = (count1.astype(float) if design._all_weighted
             else np.bincount(prep.d, weights=(prep.w != 0).astype(float), minlength=D))
    W1 = prep.sums(prep.w)
    est = np.empty((m, D))
    # SEs only, one stage's variance: influence totals go straight to the
    # (PSU, domain) cells, never through a row-level influence matrix
    by_cells = not vcov and not design._cal and (len(design._stages) == 1 or not design._has_fpc)
    if by_cells:
        cell, cell_group, cell_dom = stage_cells(design._stages[0], prep.d, D, prep.rows)
        n_cells = cell_group.size
        totals = np.empty((m, n_cells))
    else:
        z = np.empty_like(prep.y)
    svyvar = np.empty((m, D))
    Wm, nobsm, countm = np.empty((m, D)), np.empty((m, D)), np.empty((m, D))
    # variables with the same missing rows (common with na="drop_each": indicators
    # derived from one measurement) share their weights and counts
    patterns: dict[bytes, tuple] = {}
    cell_w_all = (np.bincount(cell, weights=prep.w, minlength=n_cells)
                     if by_cells and prep.valid is None else None)
    # a domain without values or weight has no estimate: it is NA with a note (below), not a numpy warning
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(m):
            yj = prep.y[j]
            if prep.valid is None:
                w, W, nobs, count = prep.w, W1, nobs1, count1
            else:
                ok = prep.valid[j]
                key = np.packbits(ok).tobytes()
                shared = patterns.get(key)
                if shared is None:
                    w = prep.w * ok
                    W = prep.sums(w)
                    count = np.bincount(prep.d, weights=ok.astype(float), minlength=D)
                    nobs = np.bincount(prep.d, weights=(w != 0).astype(float), minlength=D)
                    cell_w = np.bincount(cell, weights=w, minlength=n_cells) if by_cells else None
                    shared = patterns[key] = (w, W, nobs, count, cell_w)
                w, W, nobs, count = shared[:4]
            Wm[j], nobsm[j], countm[j] = W, nobs, count
            wy = w * yj
            Y = prep.sums(wy)
            if by_cells:
                cell_y = np.bincount(cell, weights=wy, minlength=n_cells)
            if statistic == "ratio":
                wx = w * prep.x[j]
                X = prep.sums(wx)
                est[j] = Y / X
                if by_cells:
                    cell_x = np.bincount(cell, weights=wx, minlength=n_cells)
                    totals[j] = (cell_y - est[j][cell_dom] * cell_x) / X[cell_dom]
                else:
                    z[j] = w * (yj - est[j][prep.d] * prep.x[j]) / X[prep.d]
            else:
                mean = Y / W
                est[j] = mean if statistic == "mean" else Y
                wr = yj - mean.take(prep.d)  # take: faster than indexing, same values
                r2 = wr * wr
                r2 *= w
                svyvar[j] = prep.sums(r2) / W * nobs / (nobs - 1)
                # mean: w (y - mean) / W; total: w y
                if by_cells and statistic == "mean":
                    cell_w = shared[4] if prep.valid is not None else cell_w_all
                    totals[j] = (cell_y - mean[cell_dom] * cell_w) / W[cell_dom]
                elif by_cells:
                    totals[j] = cell_y
                else:
                    wr *= w
                    z[j] = wr * (1.0 / W).take(prep.d) if statistic == "mean" else wy
        if by_cells:
            factors = ()
            var_flat = cell_variances(design._stages[0], totals, cell_group, cell_dom, D, design.lonely_psu)
        elif vcov or design._cal:
            factors = tuple(_variance(design, prep, z))
            var_flat = factor_variances(factors)
        else:
            factors = ()
            var_flat = design_variances(design._stages, z, prep.d, prep.D, design.lonely_psu, prep.rows,
                                        use_later_stages=design._has_fpc)
    se = np.sqrt(var_flat)
    W, nobs = Wm, nobsm
    empty = (countm == 0).ravel()
    # a total over weights that are all 0 is 0 (R's svytotal); a mean or ratio has no value
    if statistic == "mean":
        weightless = ~empty & (W == 0).ravel()
    elif statistic == "ratio":
        weightless = ~empty & ~np.isfinite(est.ravel())
    else:
        weightless = np.zeros_like(empty)
    note = np.full(m * D, "", dtype=object)
    note[empty] = "no non-missing values in this domain (n = 0): no estimate"
    note[weightless] = ("all weights are 0 in this domain: no estimate" if statistic != "ratio"
                        else "the denominator is 0 in this domain: no estimate")
    gone = empty | weightless
    if gone.any():
        est = est.ravel().copy()
        est[gone], se[gone] = np.nan, np.nan
        est = est.reshape(m, D)
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "mean":
            vsrs = svyvar * (W - nobs) / (W * nobs)
            vsrs_r = svyvar / nobs
        elif statistic == "total":
            vsrs = svyvar * W ** 2 * (W - nobs) / (W * nobs)
            vsrs_r = svyvar * W ** 2 / nobs
        else:
            vsrs = vsrs_r = np.full((m, D), np.nan)
        deff = var_flat / vsrs.ravel()
        deff_r = var_flat / vsrs_r.ravel()
        if statistic == "mean":
            deff = np.where((W < nobs).ravel(), np.nan, deff)
    deff = np.where(gone, np.nan, deff)
    deff_r = np.where(gone, np.nan, deff_r)
    names = prep.names if statistic != "ratio" else tuple(f"{a}/{b}" for a, b in zip(prep.names, dcols))
    res = EstimateResult(
        statistic=statistic, variables=names, by=prep.by, domains=prep.table,
        domain_labels=prep.labels, terms=_terms(names, prep.labels, prep.by),
        estimate=est.ravel(), se=se, vcov_factors=factors, df=np.tile(prep.df, m),
        deff=deff, deff_replace=deff_r,
        n=countm.ravel().astype(np.int64),
        design_df=design.df, conf_level=conf_level, note=note)
    return res if override is None else (res, prep)


def _terms(names, labels, by):
    if not by:
        return tuple(names)
    if len(names) == 1:
        return tuple(labels)
    return tuple(f"{v}[{d}]" for v in names for d in labels)


def _check_level(conf_level):
    if not (isinstance(conf_level, (int, float)) and 0 < conf_level < 1):
        raise ParameterError("conf_level", f"got {conf_level!r}; expected a number strictly between 0 and 1, e.g. 0.95.")


def proportion(design, var, level, by, ci, na, conf_level) -> ProportionResult:
    if not isinstance(var, str):
        raise ParameterError("var", f"expected one column name, got {var!r}.")
    _columns(design, var, "var")
    if ci not in _ciprop.METHODS:
        raise ParameterError("ci", f"got {ci!r}; expected one of {_ciprop.METHODS}.")
    _check_level(conf_level)
    data = design.data
    s = data[var]
    miss = s.isna().to_numpy()
    numeric = pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)
    if numeric and not isinstance(level, str) and level in (0, 1):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~miss & (v != 0) & (v != 1)
        if bad.any():
            vals = pd.unique(v[bad])[:5].tolist()
            raise DataError(f"column {var!r} is not 0/1: row(s) {_rows(data, bad)} hold {vals}. A proportion needs a 0/1 (or boolean) indicator; recode it, or pass level=<value> to count the rows equal to one value.")
        y = v if level == 1 else 1.0 - v
    else:
        present = pd.unique(s[~miss])
        if level not in set(present.tolist()):
            raise ParameterError("level", f"{level!r} does not occur in column {var!r} (values: {list(present[:10])}).")
        y = (s.to_numpy() == level).astype(float)
        y[miss] = np.nan
    na = "drop" if na == "drop_each" else na
    if miss.any() and na == "raise":
        raise MissingDataError(f"var column {var!r} is missing in row(s) {_rows(data, miss)}; pass na=\"drop\" to leave those rows out (R's na.rm=TRUE) or impute them first.")
    res, prep = estimate(design, "mean", var, None, by, na, conf_level, override={var: y})
    est, se = res.estimate, res.se
    lo, hi, point = _ciprop.interval(ci, design, prep, est, se, conf_level, prep.df, prep.nrow)
    return ProportionResult(
        statistic="proportion", variables=(var,), by=res.by, domains=res.domains,
        domain_labels=res.domain_labels, terms=_terms((var,), res.domain_labels, res.by),
        estimate=point, se=se, vcov_factors=res.vcov_factors, df=res.df, deff=res.deff,
        deff_replace=res.deff_replace, n=res.n, design_df=design.df, conf_level=conf_level,
        ci_method=ci, ci_low=np.where(res.note != "", np.nan, lo), ci_high=np.where(res.note != "", np.nan, hi),
        note=res.note)


def contrast(result, contrasts, conf_level) -> ContrastResult:
    if not isinstance(result, EstimateResult):
        raise ParameterError("result", f"expected a result of Design.mean/total/ratio/proportion, got {type(result).__name__}.")
    if not isinstance(contrasts, dict) or not contrasts:
        raise ParameterError("contrasts", "expected a non-empty dict {name: {term: coefficient}}.")
    _check_level(conf_level)
    if not result.vcov_factors:
        raise ParameterError("result", "has no covariances (it was computed with vcov=False); "
                             "estimate again with vcov=True to form contrasts.")
    lookup = {t: i for i, t in enumerate(result.terms)}
    m = len(result.variables)
    for i, v in enumerate(result.variables):
        for j, lab in enumerate(result.domain_labels):
            lookup.setdefault(f"{v}[{lab}]", i * len(result.domain_labels) + j)
    C = np.zeros((len(contrasts), len(result.terms)))
    for r, (name, coefs) in enumerate(contrasts.items()):
        if not isinstance(coefs, dict) or not coefs:
            raise ParameterError("contrasts", f"{name!r}: expected a dict {{term: coefficient}}, got {coefs!r}.")
        for term, c in coefs.items():
            if term not in lookup:
                raise ParameterError("contrasts", f"{name!r}: term {term!r} is not an estimate of this result; available: {list(result.terms)[:20]}.")
            C[r, lookup[term]] += float(c)
    est = C @ result.estimate
    V = factor_covariance([f @ C.T for f in result.vcov_factors])
    return ContrastResult(names=tuple(contrasts), estimate=est, se=np.sqrt(np.diag(V)),
                          vcov_matrix=V, df=result.design_df, conf_level=conf_level)
