"""Frozen result objects of :mod:`ecd.compare`; ``.tidy()`` is the single source of numbers."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class LatestResult:
    """The latest observation per group (e.g. per indicator × country)."""

    table: pd.DataFrame
    by: tuple

    def tidy(self) -> pd.DataFrame:
        """One row per group: the ``by`` columns, ``year, value, source_id, n_years, first_year``."""
        return self.table.copy()

    def wide(self, index: str = "geo", columns: str = "indicator", fmt: str = "{:.1f}",
             year_fmt: str = "（{}）") -> pd.DataFrame:
        """A display table: one row per ``index``, one column per ``columns``.

        Each cell reads ``value`` formatted with ``fmt`` followed by its year
        (``year_fmt``), so a reader sees which year every number belongs to;
        groups without data are missing (the book shows "—").
        """
        t = self.table
        text = [fmt.format(v) + year_fmt.format(int(y)) for v, y in zip(t["value"], t["year"])]
        out = (t.assign(_text=text)
               .pivot_table(index=index, columns=columns, values="_text", aggfunc="first", sort=False))
        return out.rename_axis(columns=None)


@dataclass(frozen=True)
class TargetCheck:
    """Latest observed values set against the policy targets that refer to them."""

    table: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """One row per indicator × target: ``indicator, geo, target_code, policy, target_geo,
        target_year, comparison, target, year, value, gap, status, kind, target_kind, borrowed_from``.

        ``gap`` is ``value − target`` (in the indicator's unit); ``status`` is
        ``"met"``, ``"not met"``, ``"no data"`` (no observation),
        ``"not assessable"`` (a target the series cannot be compared with, e.g. a
        percentage reduction of the number of children) or ``"different kind"``
        (the target was set on another kind of data, e.g. a survey, and the
        series is routine reporting: no verdict).
        """
        return self.table.copy()

    def counts(self) -> dict:
        """How many rows were judged (met or not met), met, not met, and left without a verdict.

        Examples
        --------
        >>> import pandas as pd
        >>> from ecd.compare import TargetCheck
        >>> TargetCheck(pd.DataFrame({"status": ["met", "not met", "different kind", "met"]})).counts()
        {'rows': 4, 'judged': 3, 'met': 2, 'not_met': 1, 'no_verdict': 1}
        """
        s = self.table["status"]
        met, not_met = int((s == "met").sum()), int((s == "not met").sum())
        return {"rows": len(s), "judged": met + not_met, "met": met, "not_met": not_met,
                "no_verdict": len(s) - met - not_met}


@dataclass(frozen=True)
class CoverageResult:
    """Which indicator has data for which geography and year."""

    table: pd.DataFrame
    cells: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """One row per indicator × geo: ``indicator, geo, level, n_years, first_year,
        last_year, n_obs, n_sources``."""
        return self.table.copy()

    def matrix(self, geo: str, years: tuple[int, int] | None = None) -> pd.DataFrame:
        """Indicator × year matrix of 1 (data) / 0 (none) for one geography.

        Parameters
        ----------
        geo : str
            Geography code, e.g. ``"CN"``.
        years : (int, int), optional
            Inclusive year range of the columns; default the observed range.
            Every year in the range is a column, so gaps show as zeros.
        """
        c = self.cells[self.cells["geo"] == geo].drop_duplicates()
        if c.empty:
            return pd.DataFrame(dtype="int64")
        lo, hi = years if years is not None else (int(c["year"].min()), int(c["year"].max()))
        m = pd.crosstab(c["indicator"], c["year"]).clip(upper=1)
        m = m.reindex(columns=range(lo, hi + 1), fill_value=0)
        return m.rename_axis(index="indicator", columns="year").astype("int64")

    def by_level(self) -> pd.DataFrame:
        """Number of geographies with any data, per indicator (rows) and geography level (columns)."""
        t = self.table
        out = pd.crosstab(t["indicator"], t["level"]).rename_axis(index="indicator", columns=None)
        return out.astype("int64")

    def missing_years(self, indicator: str, geo: str, start: int, end: int) -> list[int]:
        """Years in ``start..end`` (inclusive) without any observation of ``indicator`` for ``geo``."""
        c = self.cells
        have = set(c.loc[(c["indicator"] == indicator) & (c["geo"] == geo), "year"].astype(int))
        return [y for y in range(int(start), int(end) + 1) if y not in have]
