"""The small-cell rule for published tables (DHS: <25 suppressed, 25–49 in parentheses)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecd.errors import ParameterError

__all__ = ["small_cell", "small_cell_status", "STATUSES"]

STATUSES = ("suppressed", "caution", "ok")


def _check_thresholds(suppress_below: int, caution_below: int) -> None:
    if not (0 <= suppress_below <= caution_below):
        raise ParameterError(
            "suppress_below",
            f"got suppress_below={suppress_below!r} and caution_below={caution_below!r}; expected "
            "0 <= suppress_below <= caution_below (DHS: 25 and 50).",
        )


def _counts(table: pd.DataFrame, n: str | Sequence[float] | np.ndarray) -> np.ndarray:
    if isinstance(n, str):
        if n not in table.columns:
            raise ParameterError(
                "n", f"column {n!r} is not in the table (columns: {list(table.columns)}); "
                "pass the column holding the unweighted number of cases."
            )
        values = table[n]
    else:
        values = pd.Series(np.asarray(n), index=table.index)
        if len(values) != len(table):
            raise ParameterError("n", f"got {len(values)} counts for a table of {len(table)} rows.")
    counts = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.any(counts < 0):
        raise ParameterError("n", "unweighted case counts must be >= 0; found negative values.")
    return counts


def small_cell_status(
    table: pd.DataFrame,
    n: str | Sequence[float] | np.ndarray = "n",
    *,
    suppress_below: int = 25,
    caution_below: int = 50,
) -> pd.Series:
    """The small-cell verdict of each row: ``"suppressed"``, ``"caution"`` or ``"ok"``.

    Parameters
    ----------
    table : pandas.DataFrame
        One estimate per row.
    n : str or array-like
        Column (or values) of the unweighted number of cases behind each row.
        A missing count is treated as too small (suppressed).
    suppress_below, caution_below : int
        Rows with ``n < suppress_below`` are suppressed; rows with
        ``suppress_below <= n < caution_below`` need caution (parentheses).

    Returns
    -------
    pandas.Series
        Categorical with categories ``suppressed, caution, ok`` on ``table``'s index.

    Examples
    --------
    >>> import pandas as pd, ecd.tables
    >>> ecd.tables.small_cell_status(pd.DataFrame({"n": [10, 30, 80]})).tolist()
    ['suppressed', 'caution', 'ok']
    """
    _check_thresholds(suppress_below, caution_below)
    counts = _counts(table, n)
    code = np.where(np.isnan(counts) | (counts < suppress_below), 0, np.where(counts < caution_below, 1, 2))
    return pd.Series(pd.Categorical.from_codes(code, categories=list(STATUSES)), index=table.index, name="small_cell")


def small_cell(
    table: pd.DataFrame,
    n: str | Sequence[float] | np.ndarray = "n",
    columns: Sequence[str] | None = None,
    *,
    suppress_below: int = 25,
    caution_below: int = 50,
    fmt: str = "{:.1f}",
    suppressed: str = "*",
    missing: str = "–",
) -> pd.DataFrame:
    """Apply the small-cell rule to a table for publication.

    Estimates based on fewer than ``suppress_below`` unweighted cases are
    replaced by ``suppressed``; those based on ``suppress_below`` to
    ``caution_below - 1`` cases are shown in parentheses (the DHS convention).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per estimate (e.g. ``prevalence(..., tidy=True)``).
    n : str or array-like
        Column (or values) of the unweighted number of cases of each row; a
        missing count is treated as too small.
    columns : sequence of str, optional
        Columns to format; default every numeric column except ``n``.
    suppress_below, caution_below : int
        The thresholds (DHS: 25 and 50).
    fmt : str
        Format of a shown number.
    suppressed, missing : str
        Text of a suppressed cell and of a missing estimate.

    Returns
    -------
    pandas.DataFrame
        A copy with ``columns`` as text and a categorical ``small_cell`` column
        (``suppressed``/``caution``/``ok``).

    Examples
    --------
    >>> import pandas as pd, ecd.tables
    >>> t = pd.DataFrame({"group": ["a", "b", "c"], "estimate": [12.34, 20.0, 8.5], "n": [12, 40, 300]})
    >>> ecd.tables.small_cell(t, columns=["estimate"])["estimate"].tolist()
    ['*', '(20.0)', '8.5']
    """
    status = small_cell_status(table, n, suppress_below=suppress_below, caution_below=caution_below)
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and c != n]
    unknown = [c for c in columns if c not in table.columns]
    if unknown:
        raise ParameterError("columns", f"{unknown} are not in the table (columns: {list(table.columns)}).")
    out = table.copy()
    code = status.cat.codes.to_numpy()
    for column in columns:
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = np.array([missing if np.isnan(v) else fmt.format(v) for v in values], dtype=object)
        text = np.where(code == 1, np.char.add(np.char.add("(", text.astype(str)), ")"), text)
        text = np.where(np.isnan(values), missing, text)
        out[column] = np.where(code == 0, suppressed, text)
    out["small_cell"] = status
    return out
