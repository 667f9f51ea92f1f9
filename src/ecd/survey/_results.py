"""Result objects of ``ecd.survey``: frozen, with ``.tidy()`` as the single source of numbers."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ecd.errors import ParameterError
from ecd.survey._variance import factor_covariance


def _quantile(conf_level: float, df) -> np.ndarray:
    """Two-sided quantile: t with ``df`` (NaN where df <= 0), or normal for ``df=None``."""
    a = (1 - conf_level) / 2
    if df is None:
        return stats.norm.isf(a)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        q = stats.t.isf(a, np.where(df > 0, df, np.nan))
    return q


def _wald(est, se, conf_level, df=None):
    q = _quantile(conf_level, df)
    return est - q * se, est + q * se


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """Means, totals or ratios, per variable and domain.

    ``terms`` label the estimates (``"rural"`` for one variable by one domain
    column, ``"haz"`` without domains, ``"haz[rural]"`` otherwise). ``vcov`` is
    the full covariance matrix of all estimates (R ``svyby(covmat=TRUE)``), formed
    on first use from ``vcov_factors`` (one matrix ``x`` per stage, cov = sum x'x).
    Intervals use the normal quantile (R ``confint``'s default) with
    ``ci="z"`` and the t quantile with the design (or domain) degrees of freedom
    with ``ci="t"``.
    """

    statistic: str
    variables: tuple
    by: tuple
    domains: pd.DataFrame = field(repr=False)
    domain_labels: tuple
    terms: tuple
    estimate: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    vcov_factors: tuple = field(repr=False)
    df: np.ndarray = field(repr=False)
    deff: np.ndarray = field(repr=False)
    deff_replace: np.ndarray = field(repr=False)
    n: np.ndarray = field(repr=False)
    design_df: int = 0
    conf_level: float = 0.95
    note: np.ndarray = field(default=None, repr=False)  # why an estimate is NA ("" where it is not)

    @cached_property
    def vcov_matrix(self) -> np.ndarray:
        """Covariance of the estimates (formed on first use from ``vcov_factors``)."""
        if not self.vcov_factors:
            raise ParameterError("vcov", "this result has standard errors only (it was computed with "
                                 "vcov=False); estimate again with vcov=True for the covariance.")
        return factor_covariance(self.vcov_factors)

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the estimates as a DataFrame indexed by ``terms``."""
        return pd.DataFrame(self.vcov_matrix, index=list(self.terms), columns=list(self.terms))

    def confint(self, ci: str = "z", conf_level: float | None = None) -> pd.DataFrame:
        """Confidence intervals: ``ci="z"`` (normal) or ``"t"`` (t with ``df``)."""
        level = self.conf_level if conf_level is None else conf_level
        if ci not in ("z", "t"):
            raise ParameterError("ci", f"got {ci!r}; expected 'z' (normal) or 't' (t with design df).")
        lo, hi = _wald(self.estimate, self.se, level, None if ci == "z" else self.df)
        return pd.DataFrame({"ci_low": lo, "ci_high": hi}, index=list(self.terms))

    def tidy(self, ci: str = "z") -> pd.DataFrame:
        """One row per variable and domain.

        Columns: ``variable``, one column per ``by`` variable, ``domain``,
        ``estimate, se, ci_low, ci_high, ci_method, df, deff, deff_replace, n, note``
        (``note`` says why an estimate is NA — no values in the domain (n = 0), no
        weight — and is empty otherwise).
        """
        ints = self.confint(ci)
        return _frame(self, ints["ci_low"].to_numpy(), ints["ci_high"].to_numpy(), ci)


@dataclass(frozen=True, eq=False)
class ProportionResult(EstimateResult):
    """Proportions with ``svyciprop`` intervals (method ``ci_method``).

    ``estimate`` is the ``svymean`` value except for ``ci_method`` "logit" and
    "likelihood", where, as in R, it is the fitted value of the intercept-only
    quasi-binomial model (equal up to the model's convergence tolerance).
    """

    ci_method: str = "logit"
    ci_low: np.ndarray = field(default=None, repr=False)
    ci_high: np.ndarray = field(default=None, repr=False)

    def tidy(self, ci: str | None = None) -> pd.DataFrame:
        """One row per domain; ``ci_low/ci_high`` from ``ci_method`` unless ``ci`` is "z"/"t"."""
        if ci is None:
            return _frame(self, self.ci_low, self.ci_high, self.ci_method)
        return super().tidy(ci)


def _frame(res: EstimateResult, lo, hi, method) -> pd.DataFrame:
    m, d = len(res.variables), len(res.domain_labels)
    out = {"variable": np.repeat(np.asarray(res.variables, dtype=object), d)}
    for c in res.by:
        out[c] = np.tile(res.domains[c].to_numpy(), m)
    out["domain"] = np.tile(np.asarray(res.domain_labels, dtype=object), m)
    out.update(estimate=res.estimate, se=res.se, ci_low=lo, ci_high=hi,
               ci_method=method, df=res.df, deff=res.deff, deff_replace=res.deff_replace,
               n=res.n, note=res.note if res.note is not None else np.full(m * d, "", dtype=object))
    return pd.DataFrame(out)


@dataclass(frozen=True, eq=False)
class ContrastResult:
    """Linear combinations of estimates (R ``svycontrast``)."""

    names: tuple
    estimate: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    vcov_matrix: np.ndarray = field(repr=False)
    df: int = 0
    conf_level: float = 0.95

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the contrasts."""
        return pd.DataFrame(self.vcov_matrix, index=list(self.names), columns=list(self.names))

    def tidy(self, ci: str = "z") -> pd.DataFrame:
        """Columns ``contrast, estimate, se, ci_low, ci_high, ci_method, df``."""
        if ci not in ("z", "t"):
            raise ParameterError("ci", f"got {ci!r}; expected 'z' or 't'.")
        dfs = np.full(len(self.names), self.df, dtype=float)
        lo, hi = _wald(self.estimate, self.se, self.conf_level, None if ci == "z" else dfs)
        return pd.DataFrame({"contrast": list(self.names), "estimate": self.estimate,
                             "se": self.se, "ci_low": lo, "ci_high": hi, "ci_method": ci,
                             "df": dfs})
