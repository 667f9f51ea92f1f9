"""Policy documents on 0–3 early childhood development, the targets they set, and how far each stands.

The inventory lives in ``data/raw/policies/`` (one row per document, each
resolving to the document as issued in its sidecar's ``publications``; one row
per document × numeric target, whose value comes from the warehouse's target
rows). The warehouse build validates both files; these functions read them:

>>> import ecd.policy
>>> docs = ecd.policy.inventory(level="national", years=(2019, 2025))
>>> bool(len(docs) >= 15 and docs["citation"].str.len().gt(0).all())
True
>>> sorted(ecd.policy.TYPES_ZH.values())[:2]
['妇幼健康', '学前/早期教育']
"""
from __future__ import annotations

from ecd.policy._around import VERDICT_ZH, AroundResult, around
from ecd.policy._inventory import citation, inventory, progress, series, targets
from ecd.policy._schema import DATE_KINDS_ZH, LEVELS_ZH, TYPES_ZH

__all__ = ["inventory", "targets", "progress", "series", "citation", "around", "AroundResult", "TYPES_ZH", "LEVELS_ZH",
           "DATE_KINDS_ZH", "VERDICT_ZH"]
