"""Predictive margins and average marginal effects of a design-based GLM, with design SEs."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecd.errors import ParameterError


def _levels(fit, var):
    data = fit._design.data
    rows = fit._frame.rows
    col = data[var] if rows is None else data[var].iloc[rows]
    if pd.api.types.is_bool_dtype(col):
        return "levels", [False, True]
    if pd.api.types.is_numeric_dtype(col):
        values = pd.unique(col)
        if set(values.tolist()) <= {0, 1}:
            return "levels", [0, 1]
        return "slope", None
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.unique().tolist())
        return "levels", [lv for lv in col.cat.categories if lv in present]
    return "levels", sorted(pd.unique(col).tolist())


def margins(fit, var: str, vce: str, conf_level: float) -> "MarginsResult":
    if not isinstance(var, str) or var not in fit._frame.variables or var == fit._frame.response:
        raise ParameterError("var", f"{var!r} is not a column on the right-hand side of {fit.formula!r} "
                             f"(columns used: {[v for v in fit._frame.variables if v != fit._frame.response]}).")
    design = fit._design
    rows = fit._frame.rows
    data = design.data if rows is None else design.data.iloc[rows]
    w = design._w if rows is None else design._w[rows]
    W = w.sum()
    fam = fit._family
    beta = fit.coef
    kind, levels = _levels(fit, var)
    names, est, grads, preds = [], [], [], []
    if kind == "levels":
        for lv in levels:
            X = fit._matrix(data.assign(**{var: _fill(data[var], lv)}))
            eta = X @ beta
            mu = fam.linkinv(eta)
            names.append(f"{var}={lv}")
            est.append(np.dot(w, mu) / W)
            grads.append((w * fam.mu_eta(eta, mu)) @ X / W)
            preds.append(mu)
    else:
        x = data[var].to_numpy(dtype=float)
        h = 1e-5 * max(np.std(x), 1e-8)
        Xp = fit._matrix(data.assign(**{var: x + h}))
        Xm = fit._matrix(data.assign(**{var: x - h}))
        dX = (Xp - Xm) / (2 * h)  # exact for terms linear in var
        X = fit._matrix(data)
        eta = X @ beta
        mu = fam.linkinv(eta)
        me = fam.mu_eta(eta, mu)
        slope = me * (dX @ beta)
        names.append(f"d{var}")
        est.append(np.dot(w, slope) / W)
        # gradient of mean(slope) in beta
        grads.append((w * fam.dmu_eta(mu) * (dX @ beta)) @ X / W + (w * me) @ dX / W)
        preds.append(slope)
    est = np.asarray(est)
    G = np.vstack(grads)  # k x p
    if fit._rep_betas is not None:
        # replicate designs: the margins recomputed with each replicate's weights and coefficients
        rw = design._rw if rows is None else design._rw[rows]
        mats = ([fit._matrix(data.assign(**{var: _fill(data[var], lv)})) for lv in levels]
                if kind == "levels" else None)
        thetas = []
        for r in range(rw.shape[1]):
            b, wr = fit._rep_betas[r], rw[:, r]
            if kind == "levels":
                thetas.append([np.dot(wr, fam.linkinv(X @ b)) / wr.sum() for X in mats])
            else:
                e = X @ b
                m_ = fam.linkinv(e)
                thetas.append([np.dot(wr, fam.mu_eta(e, m_) * (dX @ b)) / wr.sum()])
        V = design._replicate_vcov(np.asarray(thetas), est)
        vce = "replicate"
        return _finish(var, vce, names, kind, levels, est, V, design.df, conf_level)
    # influence of each estimate: the sample mean part and the coefficient part
    mean_part = np.vstack([w * (p - e) / W for p, e in zip(preds, est)])
    score, Ainv = fit._infl
    coef_part = (G @ Ainv) @ (fit._frame.X.T * score)
    if vce == "unconditional":
        V = design._influence_vcov(mean_part + coef_part, rows)
    elif vce == "svypredmeans":
        V = design._influence_vcov(mean_part, rows) + G @ fit.vcov_matrix @ G.T
    else:
        V = G @ fit.vcov_matrix @ G.T
    return _finish(var, vce, names, kind, levels, est, V, float(fit.design_df), conf_level)


def _finish(var, vce, names, kind, levels, est, V, df, conf_level):
    kinds = ["margin" if kind == "levels" else "slope"] * len(names)
    if kind == "levels" and len(levels) > 1:
        C = np.zeros((len(levels) - 1, len(levels)))
        C[:, 0] = -1
        C[np.arange(len(levels) - 1), np.arange(1, len(levels))] = 1
        names += [f"{n} - {names[0]}" for n in names[1:]]
        kinds += ["contrast"] * (len(levels) - 1)
        T = np.vstack([np.eye(len(levels)), C])
        est = T @ est
        V = T @ V @ T.T
    return MarginsResult(var=var, vce=vce, terms=tuple(names), kinds=tuple(kinds), estimate=est,
                         vcov_matrix=V, df=float(df), conf_level=conf_level)


def _fill(col: pd.Series, value):
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical([value] * len(col), categories=col.cat.categories)
    return np.full(len(col), value, dtype=object if isinstance(value, str) else None)


@dataclass(frozen=True, eq=False)
class MarginsResult:
    """Predictive margins (``kind="margin"``), their contrasts with the first level
    (``"contrast"``) or an average marginal effect (``"slope"``)."""

    var: str
    vce: str
    terms: tuple
    kinds: tuple
    estimate: np.ndarray = field(repr=False)
    vcov_matrix: np.ndarray = field(repr=False)
    df: float = np.inf
    conf_level: float = 0.95

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the margins and contrasts."""
        return pd.DataFrame(self.vcov_matrix, index=list(self.terms), columns=list(self.terms))

    def tidy(self) -> pd.DataFrame:
        """Columns ``term, kind, estimate, se, statistic, p_value, ci_low, ci_high, df``;
        t with the design df (PSUs minus strata of the rows used), as Stata's ``svy`` margins."""
        from ecd.survey._glm import _t_table

        se = np.sqrt(np.diag(self.vcov_matrix))
        t, p, lo, hi = _t_table(self.estimate, se, self.df, self.conf_level)
        return pd.DataFrame({"term": list(self.terms), "kind": list(self.kinds),
                             "estimate": self.estimate, "se": se, "statistic": t, "p_value": p,
                             "ci_low": lo, "ci_high": hi, "df": self.df})
