"""ecd.tables.small_cell: the DHS small-cell rule applied to growth tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecd.growth
import ecd.tables
from ecd.errors import ParameterError


def test_dhs_thresholds_at_the_boundaries():
    table = pd.DataFrame({"estimate": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan], "n": [0, 24, 25, 49, 50, 80]})
    out = ecd.tables.small_cell(table, columns=["estimate"])
    assert out["estimate"].tolist() == ["*", "*", "(3.0)", "(4.0)", "5.0", "–"]
    assert out["small_cell"].tolist() == ["suppressed"] * 2 + ["caution"] * 2 + ["ok"] * 2


def test_configurable_and_missing_counts():
    table = pd.DataFrame({"estimate": [1.234, 2.0, 3.0], "n": [5, np.nan, 12]})
    out = ecd.tables.small_cell(table, suppress_below=5, caution_below=10, fmt="{:.2f}", suppressed="n/a")
    assert out["estimate"].tolist() == ["(1.23)", "n/a", "3.00"]


def test_bad_parameters():
    table = pd.DataFrame({"estimate": [1.0], "n": [30]})
    with pytest.raises(ParameterError, match="suppress_below"):
        ecd.tables.small_cell(table, suppress_below=50, caution_below=25)
    with pytest.raises(ParameterError, match="'cases'"):
        ecd.tables.small_cell(table, n="cases")
    with pytest.raises(ParameterError, match="negative"):
        ecd.tables.small_cell(table.assign(n=-1))


@settings(max_examples=50, deadline=None)
@given(counts=st.lists(st.integers(0, 200), min_size=1, max_size=30), low=st.integers(0, 60), extra=st.integers(0, 60))
def test_status_is_monotone_in_n(counts, low, extra):
    table = pd.DataFrame({"n": counts})
    codes = ecd.tables.small_cell_status(table, suppress_below=low, caution_below=low + extra).cat.codes
    order = np.argsort(counts, kind="stable")
    assert np.all(np.diff(codes.to_numpy()[order]) >= 0)


def test_applied_to_a_prevalence_table():
    kids = ecd.growth.synthetic_survey(400, random_state=5)
    long = ecd.growth.prevalence(kids, measure="measure", sw="sw", cluster="cluster", strata="strata",
                                 typeres="area", tidy=True)
    stunting = long[long["indicator"] == "HA_2"]
    out = ecd.tables.small_cell(stunting, columns=["estimate", "ci_low", "ci_high"])
    small = stunting["n"] < 25
    assert small.any() and (out.loc[small, "estimate"] == "*").all()
    assert not out.loc[~small & (stunting["n"] >= 50), "estimate"].str.startswith("(").any()
