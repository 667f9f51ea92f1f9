"""API input that used to give a silent or unreadable answer (issue 16, "smaller, same spirit").

The survey cases (stray text cell, all-zero weights, all-missing with na="drop")
are in test_survey_design.py; z-scores of non-measurements in test_growth_zscores.py.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ecd.inequality as ineq
from ecd.childcare import population_from_birth_rate
from ecd.errors import DataError, EcdWarning, ParameterError, SchemaError, plain

TEMPLATE = ["setting", "date", "source", "indicator_abbr", "dimension", "subgroup", "estimate", "population",
            "favourable_indicator", "indicator_scale", "ordered_dimension", "subgroup_order", "reference_subgroup"]


# --------------------------------------------------------------------------- inequality on nothing
def test_inequality_summarize_on_an_empty_frame_is_a_clear_error():
    # the tester's reproduction: an empty template frame returned an empty result silently
    with pytest.raises(DataError, match=r"summarize: the input has no rows, so there is nothing to summarise"):
        ineq.summarize(pd.DataFrame(columns=TEMPLATE))


def test_inequality_gap_trend_on_an_empty_frame_is_the_same_error():
    with pytest.raises(DataError, match=r"the input has no rows"):
        ineq.gap_trend(pd.DataFrame(columns=TEMPLATE))


def test_inequality_on_a_filtered_away_frame_says_so():
    rows = pd.DataFrame({"setting": "China", "date": 2020, "source": "SYNTHETIC", "indicator_abbr": "imr",
                         "dimension": "Place of residence", "subgroup": ["urban", "rural"], "estimate": [3.6, 6.2],
                         "favourable_indicator": 0, "indicator_scale": 1000, "ordered_dimension": 0,
                         "reference_subgroup": [1, 0]})
    assert len(ineq.summarize(rows, measures=["D"]).tidy()) == 1
    with pytest.raises(DataError, match="no rows"):
        ineq.summarize(rows[rows["date"] == 1999], measures=["D"])


# --------------------------------------------------------------------------- messages show values, not numpy reprs
def test_api_message_shows_the_value_not_its_numpy_repr():
    # the tester's reproduction: "crude_birth_rate row 3: np.float64(-1.0) is not a positive rate"
    b = pd.DataFrame({"geo": ["X"] * 4, "year": [2020, 2021, 2022, 2023], "births": [10.0] * 4})
    r = pd.DataFrame({"geo": ["X"] * 4, "year": [2020, 2021, 2022, 2023], "crude_birth_rate": [6.0, 6.0, 6.0, -1.0]})
    with pytest.raises(DataError) as e:
        population_from_birth_rate(b, r)
    assert "row 3: -1.0 is not a positive rate" in str(e.value) and "np." not in str(e.value)


@pytest.mark.parametrize("value, shown", [
    (np.int64(3), "3"), (np.int32(-7), "-7"), (np.uint8(3), "3"), (np.float64(2.5), "2.5"),
    (np.float64("nan"), "nan"), (np.float32(1.5), "1.5"), (np.str_("北京"), "'北京'"), (np.str_("a(b)"), "'a(b)'"),
    (np.True_, "True"), (np.datetime64("2020-01-01"), "'2020-01-01'"),
])
@pytest.mark.parametrize("error", [
    lambda m: ParameterError("years", m), lambda m: DataError(m), lambda m: SchemaError("bad cells", [m]),
    lambda m: EcdWarning(m),
])
def test_every_ecd_message_shows_numpy_scalars_as_values(value, shown, error):
    text = str(error(f"row {value!r}: found {value!r}"))
    assert f"row {shown}: found {shown}" in text and "np." not in text


def test_plain_leaves_other_text_alone():
    text = "convert it with pd.to_numeric(df['x']) or np.asarray(x); see numpy.int64(3) docs"
    assert plain(text) == text
