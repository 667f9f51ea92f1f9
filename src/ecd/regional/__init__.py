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
from ecd.regional._typology import ProvinceTypology
from ecd.regional._units import unit_zh

__all__ = ["ProvinceTypology", "profile", "unit_zh"]
