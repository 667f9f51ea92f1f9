"""Trends and targets: APC, joinpoint/AAPC, comparability, target attainment, convergence.

Every model is log-linear in the year (``ln value = a + b·year`` per segment), so
a slope ``b`` is an annual percent change ``100 (e^b − 1)``. Series may have gaps
(the years used are reported); with standard errors the fits are weighted by
``value² / se²``.

- `apc` — one log-linear slope per period, t and normal intervals.
- `joinpoint` / `Joinpoint` — NCI Joinpoint's grid search (joinpoints at observed
  years) with BIC, BIC3, weighted BIC or Kim et al.'s permutation tests; or, with
  ``continuous=True``, breakpoints anywhere exactly as R ``segmented`` finds them.
  Segments, AAPC (Clegg et al. 2009; Muggeo 2010) and fitted curves.
- `compare` — coincidence and parallelism of two trends (e.g. urban vs rural).
- `target_attainment` — projected year a target is met, with an interval.
- `convergence` — β and σ convergence across units.
- `synthetic_series` — seeded SYNTHETIC series for tests and examples.

``MIN_TREND_POINTS`` (8): a trend with a residual-based (t) interval gets an
interval and a verdict only from at least this many observations; fewer give
the change without either; a joinpoint model may have ``joinpoints_allowed(n)``
joinpoints by the same rule (see ``ecd.trends._rules``). ``STATUS_ZH`` words the
target statuses in Chinese.

Examples
--------
>>> import ecd
>>> df = ecd.trends.synthetic_series(range(1991, 2021), apcs=(-3.0, -9.0), joinpoints=(2003,),
...                                  log_sd=0.02, random_state=1)
>>> ecd.trends.joinpoint(df, max_joinpoints=2).joinpoints_.tolist()
[2003.0]
"""
from __future__ import annotations

from ._apc import apc
from ._compare import compare
from ._convergence import convergence
from ._joinpoint import Joinpoint, joinpoint
from ._results import (
    AAPCResult,
    APCResult,
    CompareResult,
    ConvergenceResult,
    SegmentsResult,
    TargetResult,
)
from ._rules import MIN_TREND_POINTS, STATUS_ZH, joinpoints_allowed
from ._synthetic import synthetic_series
from ._targets import target_attainment

__all__ = [
    "MIN_TREND_POINTS",
    "STATUS_ZH",
    "joinpoints_allowed",
    "AAPCResult",
    "APCResult",
    "CompareResult",
    "ConvergenceResult",
    "Joinpoint",
    "SegmentsResult",
    "TargetResult",
    "apc",
    "compare",
    "convergence",
    "joinpoint",
    "synthetic_series",
    "target_attainment",
]
