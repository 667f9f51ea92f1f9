"""Replicate-weight designs (R ``svrepdesign``): JK1, JKn, BRR, Fay, bootstrap."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ecd.errors import DataError, DesignError, MissingDataError, ParameterError
from ecd.survey._codes import row_labels as _rows
from ecd.survey._results import EstimateResult

TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


class ReplicateDesign:
    """A design given by replicate weights, as R ``svrepdesign``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sampled unit, with the replicate-weight columns.
    repweights : list of str or str
        The replicate-weight columns, or a regular expression matching their
        names (R's ``repweights="rw[0-9]+"``).
    weights : str or None
        The full-sample weight column (``None``: weight 1, as R with a warning).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        Replication method; it sets R's default ``scale``: JK1 (R-1)/R, BRR 1/R,
        Fay 1/(R (1-rho)^2), bootstrap 1/(R-1); JKn needs ``rscales``.
    scale : float, optional
        Overall multiplier of the variance (R's ``scale``), overriding the default.
    rscales : sequence of float, optional
        Per-replicate multipliers (R's ``rscales``; for JKn (n_h - 1) / n_h).
    rho : float, optional
        Fay's coefficient (required for ``type="Fay"``).
    combined_weights : bool
        The replicate columns are full weights (R's default ``TRUE``); with
        ``False`` they are multiplied by ``weights``.
    mse : bool
        Centre the replicates at the full-sample estimate instead of their mean.

    Attributes
    ----------
    n, n_replicates : int
    df : int
        R's ``degf``: rank of the replicate-weight matrix minus one.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ecd.survey import ReplicateDesign
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0] * 4})
    >>> for r in range(4):
    ...     df[f"rw{r}"] = np.where(np.arange(4) == r, 0.0, 4 / 3)
    >>> d = ReplicateDesign(df, repweights="rw[0-9]", weights="w", type="JK1")
    >>> round(float(d.mean("y").tidy()["se"][0]), 6)
    0.645497
    """

    def __init__(self, data: pd.DataFrame, repweights, weights=None, type: str = "JK1", scale=None,
                 rscales=None, rho=None, combined_weights: bool = True, mse: bool = False):
        if not isinstance(data, pd.DataFrame):
            raise ParameterError("data", f"expected a pandas DataFrame, got {type(data).__name__}.")
        if type not in TYPES:
            raise ParameterError("type", f"got {type!r}; expected one of {TYPES}.")
        if isinstance(repweights, str):
            cols = [c for c in data.columns if re.search(repweights, str(c))]
        else:
            cols = list(repweights)
        if not cols:
            raise ParameterError("repweights", f"{repweights!r} matches no column of the data (columns: {list(data.columns)[:20]}).")
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise ParameterError("repweights", f"column(s) {missing} are not in the data.")
        rw = data[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(rw).all(axis=1)
        if bad.any():
            raise DesignError(f"replicate weights are missing or not numbers in row(s) {_rows(data, bad)}; "
                              "R's svrepdesign refuses missing replicate weights too.")
        if weights is None:
            w = np.ones(len(data))
        else:
            if weights not in data.columns:
                raise ParameterError("weights", f"column {weights!r} is not in the data.")
            w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(w) | (w < 0)
            if bad.any():
                raise DesignError(f"weights column {weights!r} must be finite and >= 0 in every row; row(s) "
                                  f"{_rows(data, bad)} are not.")
            if len(w) and not (w > 0).any():
                raise DesignError(f"weights column {weights!r} is 0 in every row; expected at least one positive "
                                  f"sampling weight. Check how the weights were derived.")
        R = rw.shape[1]
        if type == "Fay" and rho is None:
            raise ParameterError("rho", "type='Fay' needs Fay's coefficient rho (e.g. 0.3).")
        if type == "JKn" and rscales is None:
            if combined_weights:
                raise ParameterError("rscales", "type='JKn' with combined weights needs rscales = (n_h - 1) / n_h "
                                     "of each replicate's stratum (R: 'Must provide rscales').")
            rscales = 1 / rw.max(axis=0)
        if type == "BRR":
            scale = 1 / R
        elif type == "Fay":
            scale = 1 / (R * (1 - rho) ** 2)
        elif type == "bootstrap" and scale is None:
            scale = 1 / (R - 1)
        elif type == "JK1" and scale is None:
            scale = (R - 1) / R if combined_weights else 1 / rw[:, 0].max()
        rs = np.ones(R) if rscales is None else np.broadcast_to(np.asarray(rscales, dtype=float), (R,)).copy()
        self.data = data
        self.type = type
        self.repweights = cols
        self.weights = weights
        self.scale = float(1.0 if scale is None else scale)
        self.rscales = rs
        self.rho = rho
        self.mse = bool(mse)
        self.n = len(data)
        self.n_replicates = R
        self._w = w
        self._rw = rw if combined_weights else rw * w[:, None]
        self._cal = ()
        self.df = _rank(self._rw) - 1

    def __repr__(self) -> str:
        return f"ReplicateDesign(n={self.n}, type={self.type!r}, replicates={self.n_replicates}, df={self.df})"

    # ------------------------------------------------------------------ variance
    def _replicate_factor(self, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Factor x with cov = x'x from replicate estimates (R x k), as R's ``svrVar``."""
        center = full if self.mse else thetas[self.rscales > 0].mean(axis=0)
        return (thetas - center) * np.sqrt(self.scale * self.rscales)[:, None]

    def _replicate_vcov(self, thetas, full):
        x = self._replicate_factor(np.asarray(thetas, dtype=float), np.asarray(full, dtype=float))
        return x.T @ x

    def _degf(self, rows=None) -> int:
        return self.df

    # ------------------------------------------------------------------ estimators
    def mean(self, var, by=None, na: str = "raise", conf_level: float = 0.95) -> EstimateResult:
        """Replicate-weight mean(s) (R ``svymean`` / ``svyby`` on an ``svyrep.design``)."""
        return self._estimate("mean", var, by, na, conf_level)

    def total(self, var, by=None, na: str = "raise", conf_level: float = 0.95) -> EstimateResult:
        """Replicate-weight total(s) (R ``svytotal``)."""
        return self._estimate("total", var, by, na, conf_level)

    def _estimate(self, statistic, var, by, na, conf_level):
        cols = [var] if isinstance(var, str) else list(var)
        for c in cols + ([] if by is None else [by] if isinstance(by, str) else list(by)):
            if c not in self.data.columns:
                raise ParameterError("var" if c in cols else "by", f"column {c!r} is not in the data.")
        if na not in ("raise", "drop"):
            raise ParameterError("na", f"got {na!r}; expected 'raise' or 'drop'.")
        raw = self.data[cols]
        Yf = raw.apply(pd.to_numeric, errors="coerce")
        for c in cols:
            text = (Yf[c].isna() & raw[c].notna()).to_numpy()
            if text.any():  # never read as missing (na="drop" would drop it silently)
                shown = ", ".join(repr(v) for v in pd.unique(raw[c].to_numpy()[text])[:5])
                raise DataError(f"column {c!r} is not numeric: row(s) {_rows(self.data, text)} hold {shown}; "
                                f"convert it with pd.to_numeric(df[{c!r}], errors=\"coerce\") if those cells are "
                                f"missing values (then see na=).")
        Y = Yf.to_numpy(dtype=float)
        miss = np.isnan(Y).any(axis=1)
        if miss.any() and na == "raise":
            raise MissingDataError(f"column(s) {cols} missing in row(s) {_rows(self.data, miss)}; pass na=\"drop\".")
        keep = ~miss
        if by is None:
            dcode = np.zeros(self.n, dtype=np.int64)
            table = pd.DataFrame(index=[0])
            labels = ("all",)
            by_cols = ()
        else:
            by_cols = (by,) if isinstance(by, str) else tuple(by)
            g = self.data.groupby(list(by_cols), sort=True, observed=True)
            dcode = g.ngroup().to_numpy()
            table = g.size().reset_index()[list(by_cols)]
            labels = tuple(".".join(str(v) for v in row) for row in table.itertuples(index=False))
        D = len(labels)
        onehot = np.zeros((self.n, D))
        onehot[np.arange(self.n)[keep], dcode[keep]] = 1.0
        Yz = np.where(keep[:, None], Y, 0.0)
        allw = np.column_stack([self._w, self._rw])  # full + replicates
        est_all = []
        count = onehot.sum(axis=0)
        den = allw.T @ onehot
        with np.errstate(divide="ignore", invalid="ignore"):  # empty or weightless domains: NA with a note below
            for j in range(len(cols)):
                num = allw.T @ (onehot * Yz[:, [j]])  # (1+R) x D
                est_all.append(num / den if statistic == "mean" else num)
        E = np.concatenate(est_all, axis=1)  # (1+R) x (m*D), variable-major
        full, reps = E[0], E[1:]
        with np.errstate(invalid="ignore"):
            x = self._replicate_factor(reps, full)
        empty = np.tile(count == 0, len(cols))
        weightless = ~empty & np.tile(den[0] == 0, len(cols)) if statistic == "mean" else np.zeros_like(empty)
        note = np.full(empty.size, "", dtype=object)
        note[empty] = "no non-missing values in this domain (n = 0): no estimate"
        note[weightless] = "all weights are 0 in this domain: no estimate"
        gone = empty | weightless
        if gone.any():
            full = np.where(gone, np.nan, full)
            x = np.where(gone[None, :], np.nan, x)
        terms = (tuple(cols) if not by_cols else tuple(labels) if len(cols) == 1
                 else tuple(f"{v}[{d}]" for v in cols for d in labels))
        k = E.shape[1]
        nan = np.full(k, np.nan)
        return EstimateResult(statistic=statistic, variables=tuple(cols), by=by_cols, domains=table,
                              domain_labels=labels, terms=terms, estimate=full,
                              se=np.sqrt(np.einsum("ij,ij->j", x, x)), vcov_factors=(x,),
                              df=np.full(k, float(self.df)), deff=nan, deff_replace=nan,
                              n=np.tile(onehot.sum(axis=0).astype(np.int64), len(cols)),
                              design_df=self.df, conf_level=conf_level, note=note)


def _rank(W: np.ndarray, tol: float = 1e-5) -> int:
    """Rank of the replicate-weight matrix as R's ``qr(x, tol = 1e-5)$rank``."""
    from scipy.linalg import qr

    _, R, _ = qr(W, mode="economic", pivoting=True)
    d = np.abs(np.diag(R))
    return int(np.sum(d > tol * d[0])) if d.size else 0
