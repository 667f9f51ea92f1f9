"""Trends and targets: APC, joinpoint/AAPC, comparability, target attainment, convergence.

Every model is log-linear in the year (``ln value = a + b·year`` per segment), so
a slope ``b`` is an annual percent change ``100 (e^b − 1)``.
"""
from __future__ import annotations

from ._apc import apc
from ._joinpoint import Joinpoint, joinpoint
from ._results import AAPCResult, APCResult, SegmentsResult

__all__ = [
    "AAPCResult",
    "APCResult",
    "Joinpoint",
    "SegmentsResult",
    "apc",
    "joinpoint",
]
