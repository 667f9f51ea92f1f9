"""Provinces: per-province data profiles and a k-means typology on standardized indicators.

Examples
--------
>>> import pandas as pd
>>> import ecd.regional
>>> X = pd.DataFrame({"cbr": [6.0, 6.5, 12.0, 13.0]}, index=["A", "B", "C", "D"])
>>> ecd.regional.ProvinceTypology(n_clusters=2).fit(X).labels_.tolist()
[1, 1, 2, 2]
"""
from __future__ import annotations

from ecd.regional._profile import profile
from ecd.regional._typology import ProvinceTypology, province_typology
from ecd.regional._standing import MIN_RANKED, RELATION_ZH, REFERENCE_ZH, TRUST_ZH, is_total, standing, standing_sentences

__all__ = ["ProvinceTypology", "province_typology", "profile", "standing", "standing_sentences", "is_total", "RELATION_ZH", "REFERENCE_ZH", "TRUST_ZH", "MIN_RANKED"]
