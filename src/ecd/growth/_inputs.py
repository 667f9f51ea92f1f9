"""Validation and coding of the input columns shared by ``zscores`` and ``prevalence``.

Codes are mapped on the unique values only (``pandas.factorize``), so a million
string cells cost one hash pass rather than a million ``str.lower`` calls.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ecd.errors import ParameterError, SchemaError

__all__ = ["column", "numeric", "coded", "SEX_CODES", "MEASURE_CODES", "OEDEMA_CODES", "describe_rows"]

# normalised text -> integer code; 0 is reserved for "missing"
SEX_CODES = {"m": 1, "1": 1, "f": 2, "2": 2}
MEASURE_CODES = {"l": 1, "h": 2}
OEDEMA_CODES = {"n": 0, "2": 0, "y": 1, "1": 1}


def describe_rows(index: pd.Index, mask: np.ndarray, limit: int = 10) -> str:
    """'rows [3, 17, 18] (3 rows)' naming the first ``limit`` index labels of ``mask``."""
    labels = index[np.flatnonzero(mask)]
    shown = ", ".join(repr(x) for x in labels[:limit].tolist())
    more = ", ..." if len(labels) > limit else ""
    return f"rows [{shown}{more}] ({len(labels)} row{'s' if len(labels) != 1 else ''})"


def column(df: pd.DataFrame, name: str | None, parameter: str) -> pd.Series | None:
    """The column ``name`` of ``df`` (None passes through), or a ParameterError naming it."""
    if name is None:
        return None
    if name not in df.columns:
        raise ParameterError(
            parameter,
            f"column {name!r} is not in the data (columns: {list(df.columns)}); "
            f"pass the name of the column holding {parameter}, or None if there is none.",
        )
    return df[name]


def numeric(series: pd.Series | None, parameter: str, n: int) -> np.ndarray:
    """A float64 copy of ``series`` (NaN for missing); text that is not a number is an error."""
    if series is None:
        return np.full(n, np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(series, errors="coerce")
    bad = (values.isna() & series.notna()).to_numpy()
    if bad.any():
        examples = sorted({repr(v) for v in series[bad].head(5)})
        raise SchemaError(
            f"column {series.name!r} ({parameter}) must be numeric: "
            f"{describe_rows(series.index, bad)} hold {', '.join(examples)}.",
            [f"fix or blank these cells, then pass a numeric column for {parameter}"],
        )
    return values.to_numpy(dtype=float, na_value=np.nan)


def _normalise(value: object, trim: bool) -> str:
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        number = float(value)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() else str(value)
    text = str(value).lower()
    return text.strip() if trim else text


def coded(
    series: pd.Series | None,
    parameter: str,
    codes: dict[str, int],
    n: int,
    *,
    trim: bool = False,
    expected: str,
) -> np.ndarray:
    """Integer codes (0 = missing) of a categorical column; unknown values are an error."""
    if series is None:
        return np.zeros(n, dtype=np.int8)
    factor, uniques = pd.factorize(series, use_na_sentinel=True)
    lookup = np.zeros(len(uniques) + 1, dtype=np.int8)  # last slot: the NA sentinel -1
    unknown = []
    for position, value in enumerate(uniques):
        key = _normalise(value, trim)
        if key in codes:
            lookup[position] = codes[key]
        else:
            unknown.append(position)
    if unknown:
        bad = np.isin(factor, unknown)
        found = ", ".join(repr(uniques[i]) for i in unknown[:5])
        raise SchemaError(
            f"column {series.name!r} ({parameter}): {describe_rows(series.index, bad)} "
            f"hold {found}; expected {expected} or missing.",
            [f"recode these values of {series.name!r} to {expected}"],
        )
    return lookup[factor]
