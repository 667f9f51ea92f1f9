"""Peer comparisons and data coverage: latest values, targets and what is missing.

The chapters on nutrition, services, international comparison and the data
appendix read the warehouse through these three functions, so "the latest
survey point per country", "is the target met" and "which years have data"
are computed once, the same way, and tested.

Examples
--------
>>> import pandas as pd
>>> import ecd.compare
>>> df = pd.DataFrame({"indicator": ["u5mr"] * 3, "geo": ["CHN", "CHN", "IND"],
...                    "year": [2000, 2020, 2020], "value": [36.9, 7.3, 32.6]})
>>> ecd.compare.latest(df).wide().to_dict("index")
{'CHN': {'u5mr': '7.3（2020）'}, 'IND': {'u5mr': '32.6（2020）'}}
"""
from __future__ import annotations

from ecd.compare._core import STATUS_ZH, coverage, latest, survey_design, target_check
from ecd.compare._results import CoverageResult, LatestResult, TargetCheck

__all__ = ["coverage", "latest", "target_check", "survey_design", "STATUS_ZH", "CoverageResult", "LatestResult", "TargetCheck"]
