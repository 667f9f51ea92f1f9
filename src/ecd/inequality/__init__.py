"""Summary measures of health inequality (WHO HEAT 6 / R healthequal 1.0.1), with CIs.

Input is the HEAT Plus template (one row per subgroup; a stratum is setting × date ×
source × indicator × dimension). :func:`summarize` computes the 21 HEAT summary
measures (D, R, PAR, PAF, ACI, RCI, SII, RII, BGV, BGSD, COV, MDBU, MDBW, MDMU, MDMW,
MDRU, MDRW, IDISU, IDISW, TI, MLD); a measure that HEAT's applicability rules exclude
for a stratum is NaN with the reason in ``note``. Beyond HEAT, :func:`gap_trend`
says whether a gap is closing (change between two dates and trend over all dates).

Three engines (``method=``):

==================  ==========================  ==========================  =========================
aspect              ``"heat"`` (HEAT 6)         ``"healthequal"`` (1.0.1)   ``"corrected"``
==================  ==========================  ==========================  =========================
R's reported SE     se(R)                       se(ln R)                    se(R)
PAR/PAF reference   flagged subgroup, else best best (flag ignored)         as HEAT
PAR/PAF, binary     computed                    NA (needs > 2 subgroups)    computed
PAF SE              fraction (CI ~100× narrow)  fraction                    percent
TI/MLD SE           unscaled (CI ~1000× narrow) unscaled                    ×1000
SII/RII scale       ``indicator_scale``         inferred from max(y)        ``indicator_scale``
SII/RII GLM weights N² (both engines)           N²                          N (grouped logistic)
SII SE              0–1 scale                   0–1 scale                   indicator scale
ACI/RCI no pops     NA                          groups weighted equally     NA
BGSD/COV/IDISU sims mean fixed                  mean recomputed             mean recomputed
IDISW sims          mean recomputed             mean fixed                  mean recomputed
MDRU/MDRW sims      best draw (HEAT's slip)     reference draw              reference draw
sim CI level        always 95 %                 always 95 %                 ``conf_level``
==================  ==========================  ==========================  =========================

Simulation intervals reproduce R's ``set.seed(123456); rnorm()`` stream exactly (or
use injected ``draws=`` / a numpy ``Generator``). Formulas and quirks are those of
``tests/reference/inequality/MEASURES.md``. Not offered: HEAT's percentile D/R for
≥ 30 subgroups and healthequal's individual-level survey estimators.

Public API
----------
summarize, InequalityResult
    The summary measures; ``.tidy()`` is the single source of numbers.
gap_trend, GapTrendResult
    Change in D and R between two dates and their trend over time.
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
from ._trend import VERDICT_ZH, GapTrendResult, gap_trend

__all__ = ["MEASURES", "VERDICT_ZH", "GapTrendResult", "InequalityResult", "from_warehouse", "gap_trend",
           "summarize", "synthetic_strata"]
