"""WHO 2006 Child Growth Standards: z-scores and prevalence, as WHO's R package ``anthro``.

Public API
----------
zscores
    Length/height-, weight-, BMI-, head/arm circumference- and skinfold-for-age
    and weight-for-length/height z-scores with flags (``anthro_zscores``).
prevalence
    Prevalence of stunting, wasting, underweight, overweight and mean z-scores
    by age, sex and other groups, with design-based CIs (``anthro_prevalence``).
synthetic_survey
    A seeded SYNTHETIC survey for tests, benchmarks and demonstrations.
"""
from __future__ import annotations

from ._prevalence import PREVALENCE_COLUMNS, TIDY_COLUMNS, prevalence
from ._synthetic import synthetic_survey
from ._zscores import OUTPUT_COLUMNS, zscores

__all__ = ["zscores", "prevalence", "synthetic_survey", "OUTPUT_COLUMNS", "PREVALENCE_COLUMNS", "TIDY_COLUMNS"]
