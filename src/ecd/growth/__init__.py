"""WHO 2006 Child Growth Standards: z-scores and prevalence, as WHO's R package ``anthro``.

Public API
----------
zscores
    Length/height-, weight-, BMI-, head/arm circumference- and skinfold-for-age
    and weight-for-length/height z-scores with flags (``anthro_zscores``).
"""
from __future__ import annotations

from ._zscores import zscores

__all__ = ["zscores"]
