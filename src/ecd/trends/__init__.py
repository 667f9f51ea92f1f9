"""Trends and targets: APC, joinpoint/AAPC, comparability, target attainment, convergence.

Every model is log-linear in the year (``ln value = a + b·year`` per segment), so
a slope ``b`` is an annual percent change ``100 (e^b − 1)``.
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
from ._synthetic import synthetic_series
from ._targets import target_attainment

__all__ = [
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
