"""Childcare (托育) supply and demand: children under 3 from birth cohorts, slot gap and subsidy cost.

Every assumption is a parameter and is returned with the result
(:attr:`ScenarioResult.assumptions`), so a chapter can print it in a table.

Examples
--------
>>> import pandas as pd
>>> import ecd.childcare as cc
>>> b = pd.DataFrame({"geo": "X", "year": [2021, 2022], "births": [10.0, 10.0]})
>>> m = pd.DataFrame({"year": [2021, 2022], "imr": 5.0, "u5mr": 7.0})
>>> cc.population_0_3(b, m, ages=(0, 1)).totals()["children"].round(4).tolist()
[nan, 19.91]
"""
from __future__ import annotations

from ecd.childcare._inputs import one_source, population_from_birth_rate
from ecd.childcare._population import Population03Result, population_0_3, survival
from ecd.childcare._scenario import MEASURES, ScenarioResult, scenario

__all__ = [
    "MEASURES",
    "Population03Result",
    "ScenarioResult",
    "one_source",
    "population_0_3",
    "population_from_birth_rate",
    "scenario",
    "survival",
]
