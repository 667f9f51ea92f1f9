"""Childcare (托育) supply and demand: children under 3 from birth cohorts, slots against children, subsidy cost.

Every assumption is a parameter of a function and is said where its result is
shown; published inputs (slots, enrolment and demand shares, prices) come from
the warehouse with their publications.

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

from ecd.childcare._inputs import population_from_birth_rate
from ecd.childcare._population import Population03Result, cohort_survivors, population_0_3, survival
from ecd.childcare._subsidy import SubsidyCostResult, subsidy_cost
from ecd.childcare._supply import (SUPPLY_MEASURES, EnrolmentSensitivity, SupplyDemandResult, enrolment_sensitivity,
                                   supply_demand)

__all__ = [
    "SUPPLY_MEASURES",
    "EnrolmentSensitivity",
    "Population03Result",
    "SubsidyCostResult",
    "SupplyDemandResult",
    "cohort_survivors",
    "enrolment_sensitivity",
    "population_0_3",
    "population_from_birth_rate",
    "subsidy_cost",
    "supply_demand",
    "survival",
]
