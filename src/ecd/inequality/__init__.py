"""Summary measures of health inequality (WHO HEAT 6 / healthequal), with CIs.

Public API
----------
summarize
    The 21 HEAT summary measures per stratum, from a HEAT Plus template table.
InequalityResult
    Its frozen result; ``.tidy()`` is the single source of numbers.
MEASURES
    The measure codes, in HEAT's order.
"""
from ._measures import MEASURES
from ._summarize import InequalityResult, summarize

__all__ = ["MEASURES", "InequalityResult", "summarize"]
