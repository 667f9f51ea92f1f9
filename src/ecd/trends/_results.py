"""Small frozen result objects; ``.tidy()`` is the single source of numbers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def pct(b):
    """Annual percent change from a log-scale slope: ``100 (e^b - 1)``."""
    return 100.0 * np.expm1(b)


def quantile(level: float, df: float | None) -> float:
    q = 0.5 + level / 2.0
    return float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))


@dataclass(frozen=True)
class TableResult:
    """A result that is one table: ``tidy()`` returns a copy of it."""

    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """The long table (one row per estimate) with fixed snake_case columns."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.table._repr_html_()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n{self.table.to_string()}\n)"


class APCResult(TableResult):
    """Log-linear annual percent change (see `ecd.trends.apc`)."""


class SegmentsResult(TableResult):
    """Segments of a joinpoint fit: ``start, end, slope, apc, ci_low, ci_high, ...``."""


class AAPCResult(TableResult):
    """Average annual percent change over a period (see `Joinpoint.aapc`)."""


class CompareResult(TableResult):
    """Tests of coincidence and parallelism of two joinpoint trends."""


class ConvergenceResult(TableResult):
    """Beta and sigma convergence across units.

    ``sigma_by_year`` holds the dispersion of log values across units per year.
    """

    def __init__(self, table, sigma_by_year, notes=()):
        super().__init__(table, tuple(notes))
        object.__setattr__(self, "sigma_by_year", sigma_by_year)


class TargetResult(TableResult):
    """Projected attainment of a target; ``projection`` holds the yearly path."""

    def __init__(self, table, projection, notes=()):
        super().__init__(table, tuple(notes))
        object.__setattr__(self, "projection", projection)
