"""Before/after views of a series around a policy date — descriptive, never causal."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecd.errors import DataError, ParameterError

#: Chinese wording of :attr:`AroundResult.verdict`.
VERDICT_ZH = {
    "too short": "序列太短，不能把前后变化归因于政策",
    "descriptive": "前后各有足够年份，可描述变化，但仍不能据此归因于政策",
}


@dataclass(frozen=True)
class AroundResult:
    """A series split at a policy year.

    Attributes
    ----------
    policy_year : int
        The year of the policy; its own year belongs to neither side (a
        transition year).
    min_points : int
        Years each side needs before a change of pace may even be described.
    verdict : str
        ``"too short"`` when either side has fewer than ``min_points`` years,
        otherwise ``"descriptive"``; :data:`VERDICT_ZH` has the Chinese wording.
    """

    sides: pd.DataFrame
    policy_year: int
    min_points: int
    verdict: str

    def tidy(self) -> pd.DataFrame:
        """One row per side: ``side, n_years, first_year, last_year, first_value, last_value, slope``.

        ``slope`` is the least-squares change per year (NaN with fewer than two
        years on that side).
        """
        return self.sides.copy()


def _side(s: pd.DataFrame, name: str, year: str, value: str) -> dict:
    if s.empty:
        return {"side": name, "n_years": 0, "first_year": pd.NA, "last_year": pd.NA, "first_value": np.nan,
                "last_value": np.nan, "slope": np.nan}
    x, y = s[year].to_numpy(dtype=float), s[value].to_numpy(dtype=float)
    slope = float(np.polyfit(x, y, 1)[0]) if len(s) >= 2 else np.nan
    return {"side": name, "n_years": int(len(s)), "first_year": int(x[0]), "last_year": int(x[-1]),
            "first_value": float(y[0]), "last_value": float(y[-1]), "slope": slope}


def around(df: pd.DataFrame, policy_year: int, *, year: str = "year", value: str = "value",
           min_points: int | None = None) -> AroundResult:
    """Split one series at a policy year and describe each side.

    A series that spans a policy date invites a before/after reading. This
    says how many years each side has and the pace of change on each side,
    and gives a verdict: with fewer than ``min_points`` years on either side
    the series is too short to attribute any change to the policy; with
    enough years the change can be described, still without attribution (no
    counterfactual is estimated).

    Parameters
    ----------
    df : pandas.DataFrame
        One series: one row per year (e.g. one indicator × geo × area of
        :func:`ecd.data.load`).
    policy_year : int
        Year of the policy document.
    year, value : str
        Column names.
    min_points : int, optional
        Years needed on each side; default :data:`ecd.trends.MIN_TREND_POINTS`.

    Returns
    -------
    AroundResult

    Raises
    ------
    ecd.errors.DataError
        The frame holds more than one value for a year (filter it to one series).
    ecd.errors.ParameterError
        A column is missing or ``min_points`` is below 2.

    Examples
    --------
    >>> import pandas as pd
    >>> import ecd.policy
    >>> s = pd.DataFrame({"year": [2016, 2017, 2018, 2020, 2021], "value": [10.0, 9.0, 8.0, 7.0, 6.5]})
    >>> r = ecd.policy.around(s, 2019)
    >>> r.verdict, r.tidy()[["side", "n_years", "slope"]].round(2).values.tolist()
    ('too short', [['before', 3, -1.0], ['after', 2, -0.5]])
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df", f"expected a pandas DataFrame, found {type(df).__name__}")
    missing = [c for c in (year, value) if c not in df.columns]
    if missing:
        raise ParameterError("df", f"column(s) {missing} not found; the frame has {list(df.columns)}")
    if min_points is None:
        from ecd.trends import MIN_TREND_POINTS

        min_points = MIN_TREND_POINTS
    if int(min_points) < 2:
        raise ParameterError("min_points", f"{min_points} (expected at least 2 years per side)")
    d = df[[year, value]].dropna().sort_values(year)
    if d[year].duplicated().any():
        dup = int(d.loc[d[year].duplicated(), year].iloc[0])
        raise DataError(f"around: year {dup} has more than one value; expected one series (filter to one "
                        f"indicator, geo, area and source first)")
    py = int(policy_year)
    sides = pd.DataFrame([_side(d[d[year] < py], "before", year, value), _side(d[d[year] > py], "after", year, value)])
    enough = (sides["n_years"] >= int(min_points)).all()
    return AroundResult(sides, py, int(min_points), "descriptive" if enough else "too short")
