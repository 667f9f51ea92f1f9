"""Summary measures of health inequality (WHO HEAT 6 / healthequal), with CIs.

Public API
----------
summarize
    The 21 HEAT summary measures per stratum, from a HEAT Plus template table.
InequalityResult
    Its frozen result; ``.tidy()`` is the single source of numbers.
gap_trend, GapTrendResult
    Beyond HEAT: change in D and R between two dates and their trend over time.
from_warehouse
    Warehouse tidy table (``ecd.data.load``) → HEAT Plus template.
synthetic_strata
    Seeded SYNTHETIC strata for tests, benchmarks and demonstrations.
MEASURES
    The 21 measure codes.
"""
from ._adapter import from_warehouse
from ._measures import MEASURES
from ._summarize import InequalityResult, summarize
from ._synthetic import synthetic_strata
from ._trend import GapTrendResult, gap_trend

__all__ = ["MEASURES", "GapTrendResult", "InequalityResult", "from_warehouse", "gap_trend",
           "summarize", "synthetic_strata"]
