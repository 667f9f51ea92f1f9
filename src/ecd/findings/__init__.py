"""What the data say, as structured facts with Chinese wording.

Chapters state findings through these helpers, so a widening relative gap, a
slowing decline or a target still pending is found by the same rule everywhere
and cannot go unsaid (:func:`ecd.book.glue_findings` glues every finding; the
book refuses a chapter whose prose leaves one out).

- :func:`gap_directions` — the absolute gap (difference) and the relative gap
  (ratio) between two groups, and when they moved in opposite directions.
- :func:`trend_shifts` — a trend that slowed, sped up or turned at a joinpoint.
- :func:`target_progress` — every catalogued target judged on data of its kind,
  met or pending, with the projected year of attainment.
- wording: :func:`direction`, :func:`gap_direction`, :func:`level_text`,
  :func:`difference_text`, :func:`ratio_text`, :func:`attainment_year`.

Each returns a :class:`FindingsResult`: ``tidy()`` has one row per series examined;
``findings`` the :class:`Finding` objects (``key``, ``kind``, ``text_zh`` and the
``facts`` behind the sentence, each with a quantity id).

Examples
--------
>>> from ecd.findings import gap_direction, difference_text
>>> gap_direction(17.82, 5.45), difference_text(5.45, "nmr")
('narrowed', '5.5个千分点')
"""
from __future__ import annotations

from ._gaps import gap_directions
from ._results import Fact, Finding, FindingsResult
from ._targets import TargetProgress, target_progress
from ._trends import SHIFT_ZH, trend_shifts
from ._words import (
    GAP_NOUNS,
    GAP_VERBS,
    LEVEL_NOUNS,
    LEVEL_VERBS,
    attainment_year,
    difference_text,
    direction,
    gap_direction,
    level_text,
    ratio_text,
)

__all__ = ["Fact", "Finding", "FindingsResult", "TargetProgress", "gap_directions", "trend_shifts",
           "target_progress", "direction", "gap_direction", "level_text", "difference_text", "ratio_text",
           "attainment_year", "LEVEL_VERBS", "LEVEL_NOUNS", "GAP_VERBS", "GAP_NOUNS", "SHIFT_ZH"]
