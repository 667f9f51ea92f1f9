"""Model frames from R-like formulas (``formulaic``), with the checks every model needs.

Categorical coding is R's: a string, categorical or boolean column (or ``C(x)``)
enters with treatment contrasts against its first level in sorted order when
the model has an intercept; numbers enter as they are.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import DataError, MissingDataError, ModelError, ParameterError
from ecd.survey._codes import row_labels as _rows

# names a formula may use that are not data columns (functions resolved by formulaic or numpy)
_CONTEXT_NAMES = {"np", "numpy", "math", "C", "log", "exp", "sqrt", "center", "scale", "poly",
                  "bs", "lag", "I", "Q", "T", "TREATMENT", "SUM", "contr", "abs"}


@dataclass(frozen=True)
class ModelFrame:
    """Response, model matrix and what is needed to rebuild it for new data.

    ``rows`` are the positions (in the data given) of the rows used, ``None``
    when all rows are used.
    """

    y: np.ndarray
    X: np.ndarray
    terms: tuple
    spec: object  # formulaic ModelSpec of the right-hand side
    response: str
    rows: np.ndarray | None
    variables: tuple


def parse(formula: str):
    """The formulaic ``Formula`` of a two-sided formula, or a ParameterError."""
    from formulaic import Formula

    if not isinstance(formula, str) or "~" not in formula:
        raise ParameterError("formula", f"expected a two-sided formula such as \"y ~ x1 + C(x2)\", got {formula!r}.")
    try:
        f = Formula(formula)
    except Exception as exc:  # formulaic's parser errors
        raise ParameterError("formula", f"{formula!r} cannot be parsed: {exc}") from None
    if not hasattr(f, "lhs") or len(f.lhs) != 1:
        raise ParameterError("formula", f"{formula!r} needs exactly one response on the left of '~'.")
    return f


def required_columns(formula: str, data: pd.DataFrame, name: str = "formula") -> tuple[str, list]:
    """The response and every data column the formula names; a clear error for a missing one."""
    f = parse(formula)
    lhs = sorted(map(str, f.lhs.required_variables))
    rhs = sorted(map(str, f.rhs.required_variables))
    used = [v for v in dict.fromkeys(lhs + rhs) if v not in _CONTEXT_NAMES or v in data.columns]
    missing = [v for v in used if v not in data.columns]
    if missing:
        raise ParameterError(name, f"{formula!r} names column(s) {missing} that are not in the data "
                             f"(columns: {list(data.columns)[:30]}). Check the spelling, or wrap a "
                             "column whose name is not a Python identifier in backticks: `sch.wide`.")
    if len(lhs) != 1:
        raise ParameterError(name, f"{formula!r}: the left-hand side must be one column, got {lhs}.")
    return lhs[0], used


def model_frame(formula: str, data: pd.DataFrame, na: str = "raise", name: str = "formula",
                weights: np.ndarray | None = None) -> ModelFrame:
    """Build the response and model matrix of ``formula`` on ``data``.

    ``na="raise"`` refuses missing values in the columns the formula uses
    (naming rows and columns); ``na="drop"`` leaves those rows out (R's
    ``na.omit``). Rows with weight 0 stay in the frame (they contribute nothing).
    """
    from formulaic import model_matrix

    if na not in ("raise", "drop"):
        raise ParameterError("na", f"got {na!r}; expected 'raise' or 'drop' (R's na.omit).")
    response, used = required_columns(formula, data, name)
    sub = data[used]
    miss = sub.isna().to_numpy().any(axis=1)
    rows = None
    if miss.any():
        if na == "raise":
            cols = [c for c in used if sub[c].isna().any()]
            raise MissingDataError(f"column(s) {cols} of the formula {formula!r} are missing in row(s) "
                                   f"{_rows(data, miss)}; pass na=\"drop\" to leave those rows out "
                                   "(R's na.omit) or impute them first.")
        rows = np.flatnonzero(~miss)
        sub = sub.iloc[rows]
        if len(sub) == 0:
            raise MissingDataError(f"no row of the data has every column of {formula!r}.")
    try:
        mm = model_matrix(formula, sub, na_action="raise")
    except Exception as exc:
        raise ParameterError(name, f"{formula!r} cannot be evaluated on the data: {type(exc).__name__}: {exc}") from None
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise DataError(f"the response {response!r} of {formula!r} must be numeric or boolean (0/1 for "
                        f"binomial); it expands to {list(lhs.columns)}. Recode it as numbers first.")
    y = np.asarray(lhs.iloc[:, 0], dtype=float)
    X = _row_major(np.asarray(rhs, dtype=float))  # the cross-products run over row blocks
    if X.shape[1] == 0:
        raise ParameterError(name, f"{formula!r} has no term on the right-hand side.")
    return ModelFrame(y=y, X=X, terms=tuple(map(str, rhs.columns)),
                      spec=rhs.model_spec, response=response, rows=rows, variables=tuple(used))


def _row_major(a: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """A row-major copy of a (column-major) matrix, block by block (faster than one transpose)."""
    if a.flags["C_CONTIGUOUS"]:
        return a
    out = np.empty(a.shape)
    for s in range(0, len(a), chunk):
        out[s:s + chunk] = a[s:s + chunk]
    return out


def check_rank(X: np.ndarray, w: np.ndarray, terms, formula: str, A: np.ndarray | None = None) -> None:
    """Raise :class:`ModelError` naming the terms that are linear combinations of others.

    R's ``glm`` would report ``NA`` for them; here a singular design matrix is
    an error so that no coefficient is silently dropped.
    """
    if A is None:
        A = (X.T * w) @ X
    d = np.sqrt(np.diag(A))
    zero = d == 0
    if zero.any():
        which = [terms[i] for i in np.flatnonzero(zero)]
        raise ModelError(f"singular design matrix in {formula!r}: term(s) {which} are zero in every row "
                         "with positive weight (a category with no observations, or a constant 0). "
                         "Drop the term or merge the category.")
    S = A / np.outer(d, d)
    from scipy.linalg import qr

    _, R, piv = qr(S, pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > diag[0] * 1e-10))
    if rank < len(terms):
        which = [terms[i] for i in piv[rank:]]
        raise ModelError(f"singular design matrix in {formula!r}: term(s) {which} are linear combinations "
                         f"of the other terms (rank {rank} < {len(terms)} terms); R's glm would report NA "
                         "for them. Drop one of the collinear terms or merge categories.")
