"""Turning a tidy frame into one validated annual series on the log scale."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecd.errors import DataError, MissingDataError, ParameterError


@dataclass(frozen=True)
class Series:
    """One series ready for log-linear fitting (sorted by year).

    ``w`` are the weights of the log-scale regression: 1 without standard
    errors, ``value**2 / se**2`` with them (the delta-method variance of
    ``ln(value)`` is ``se**2 / value**2``).
    """

    x: np.ndarray
    value: np.ndarray
    w: np.ndarray
    weighted: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def y(self) -> np.ndarray:
        return np.log(self.value)

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def years_used(self) -> str:
        return describe_years(self.x)

    def missing_years(self) -> list[int]:
        """Whole years absent between the first and last observed year."""
        if self.n == 0:
            return []
        span = np.arange(int(np.floor(self.x[0])), int(np.floor(self.x[-1])) + 1)
        return [int(v) for v in np.setdiff1d(span, self.x)]


def describe_years(x: np.ndarray) -> str:
    """Compact text of the years used, e.g. ``"1991–1995, 1998, 2000–2020"``."""
    xs = [float(v) for v in np.sort(np.asarray(x))]
    if not xs:
        return ""
    if any(v != int(v) for v in xs):
        return ", ".join(f"{v:g}" for v in xs)
    runs: list[list[int]] = []
    for v in map(int, xs):
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def _check_column(df: pd.DataFrame, name: str, role: str) -> None:
    if name not in df.columns:
        raise ParameterError(
            role,
            f"column {name!r} is not in the data (columns: {list(df.columns)}); "
            f"pass {role}=<the column holding the {role}>.",
        )


def prepare_series(
    df: pd.DataFrame,
    year: str = "year",
    value: str = "value",
    se: str | None = None,
    period: tuple[float, float] | None = None,
    missing: str = "raise",
    what: str = "series",
) -> Series:
    """Validate and sort one annual series for a log-linear model.

    Missing *years* (gaps) are allowed and reported in ``notes``; missing
    *values* follow ``missing`` ("raise" or "drop"). Non-positive values or
    standard errors cannot enter a log-linear model and raise `DataError`
    naming the year.
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", f"expected a pandas DataFrame, found {type(df).__name__}.")
    if missing not in ("raise", "drop"):
        raise ParameterError("missing", f"expected 'raise' or 'drop', found {missing!r}.")
    _check_column(df, year, "year")
    _check_column(df, value, "value")
    cols = [year, value] + ([se] if se is not None else [])
    if se is not None:
        _check_column(df, se, "se")
    frame = df[cols].copy()
    for c in cols:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    notes: list[str] = []
    if period is not None:
        lo, hi = _check_period(period)
        frame = frame[(frame[year] >= lo) & (frame[year] <= hi)]
    bad = frame[cols].isna().any(axis=1)
    if bad.any():
        where = ", ".join(
            f"row {i} (year {frame.at[i, year]:g})" if pd.notna(frame.at[i, year]) else f"row {i}"
            for i in frame.index[bad][:10]
        )
        if missing == "raise":
            raise MissingDataError(
                f"{what}: {int(bad.sum())} row(s) with a missing year, {value!r}"
                + (f" or {se!r}" if se else "")
                + f": {where}. Expected numbers; drop these rows or pass missing='drop'."
            )
        notes.append(f"dropped {int(bad.sum())} row(s) with missing values: {where}")
        frame = frame[~bad]
    dup = frame[year].duplicated(keep=False)
    if dup.any():
        years = sorted(set(frame.loc[dup, year].tolist()))
        raise DataError(
            f"{what}: year(s) {', '.join(f'{v:g}' for v in years)} appear more than once in "
            f"column {year!r}; expected one row per year. Filter the data to a single series "
            "(e.g. one geo and area) before fitting."
        )
    frame = frame.sort_values(year)
    nonpos = frame[value] <= 0
    if nonpos.any():
        rows = frame[nonpos]
        found = ", ".join(f"{y:g}: {v:g}" for y, v in zip(rows[year], rows[value]))
        raise DataError(
            f"{what}: column {value!r} has non-positive value(s) in year(s) {found}; a "
            "log-linear model needs values > 0. Remove or correct these years (or use "
            "period= to exclude them)."
        )
    x = frame[year].to_numpy(float)
    v = frame[value].to_numpy(float)
    if se is not None:
        s = frame[se].to_numpy(float)
        if np.any(s <= 0):
            found = ", ".join(f"{y:g}: {e:g}" for y, e in zip(x[s <= 0], s[s <= 0]))
            raise DataError(
                f"{what}: column {se!r} has non-positive standard error(s) in year(s) "
                f"{found}; expected SE > 0. Correct them or fit without se=."
            )
        w = v**2 / s**2
    else:
        w = np.ones_like(v)
    gaps = Series(x=x, value=v, w=w, weighted=se is not None).missing_years()
    if gaps:
        notes.append(f"{len(gaps)} year(s) missing inside the range: {describe_years(np.array(gaps))}")
    return Series(x=x, value=v, w=w, weighted=se is not None, notes=tuple(notes))


def _check_period(period) -> tuple[float, float]:
    try:
        lo, hi = (float(p) for p in period)
    except (TypeError, ValueError):
        raise ParameterError(
            "period", f"expected a pair (first_year, last_year), found {period!r}."
        ) from None
    if not lo < hi:
        raise ParameterError("period", f"first year must be before last year, found {period!r}.")
    return lo, hi
