"""ECDI2030 scoring rule (written by hand from tests/reference/development/README.md,
"ECDI2030 (SDG indicator 4.2.1) scoring rule": no reference software output exists)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ecd.development import FREQUENCY_CODES, ecdi2030, on_track_prevalence, synthetic_survey
from ecd.errors import MissingDataError, ParameterError, SchemaError
from ecd.survey import Design

ITEMS = [f"q{k}" for k in range(1, 21)]


def children(rows):
    """rows: (age in months, list of 20 answers)."""
    return pd.DataFrame([[age, *answers] for age, answers in rows], columns=["age_m", *ITEMS])


def achieved(k):
    return [1] * k + [0] * (20 - k)


@pytest.mark.parametrize(
    "age, threshold, band",
    [(24.0, 7, "24-29"), (29.99, 7, "24-29"), (30.0, 9, "30-35"), (35.5, 9, "30-35"), (36.0, 11, "36-41"),
     (41.9, 11, "36-41"), (42.0, 13, "42-47"), (47.99, 13, "42-47"), (48.0, 15, "48-59"), (59.99, 15, "48-59")],
)
def test_threshold_per_age_band_in_completed_months(age, threshold, band):
    res = ecdi2030(children([(age, achieved(threshold)), (age, achieved(threshold - 1))]),
                   age_months="age_m", items=ITEMS)
    s = res.scores
    assert s["age_band"].tolist() == [band, band] and s["threshold"].tolist() == [threshold, threshold]
    assert s["on_track"].tolist() == [True, False]


@pytest.mark.parametrize("age", [23.99, 60.0, 12.0, np.nan])
def test_children_outside_24_59_months_are_not_in_the_denominator(age):
    s = ecdi2030(children([(age, achieved(20))]), age_months="age_m", items=ITEMS).scores
    assert not s["in_age_range"].iloc[0]
    assert s["on_track"].isna().iloc[0] and s["threshold"].isna().iloc[0]


def test_domain_counts():
    answers = [1, 1, 0, 0] + [1] * 5 + [0] * 6 + [1, 0, 1, 0, 1]
    s = ecdi2030(children([(40, answers)]), age_months="age_m", items=ITEMS).scores.iloc[0]
    assert (s["health"], s["learning"], s["psychosocial"], s["n_achieved"]) == (2, 5, 3, 10)


def test_frequency_items_coded_by_the_given_rule():
    base = achieved(14)[:18]
    df = children([(50, base + [5, 4]), (50, base + [1, 5]), (50, base + [3, 2])])
    res = ecdi2030(df, age_months="age_m", items=ITEMS, frequency_achieved={4, 5}, frequency_codes=FREQUENCY_CODES)
    assert res.scores["n_achieved"].tolist() == [16, 15, 14]
    assert res.scores["on_track"].tolist() == [True, True, False]
    assert "4, 5" in res.frequency_rule or "'4', '5'" in res.frequency_rule
    stricter = ecdi2030(df, age_months="age_m", items=ITEMS, frequency_achieved={5}, frequency_codes=FREQUENCY_CODES)
    assert stricter.scores["n_achieved"].tolist() == [15, 15, 14]


def test_unknown_frequency_code_is_refused():
    df = children([(50, achieved(14)[:18] + [9, 5])])
    with pytest.raises(SchemaError) as info:
        ecdi2030(df, age_months="age_m", items=ITEMS, frequency_achieved={4, 5}, frequency_codes={1, 2, 3, 4, 5})
    assert any("q19" in f and "9" in f for f in info.value.failures)


def test_yes_no_items_other_than_0_1_are_refused_naming_row_and_column():
    answers = achieved(10)
    answers[3] = 2
    df = children([(30, achieved(10)), (30, answers)]).set_axis(["a", "b"])
    with pytest.raises(SchemaError) as info:
        ecdi2030(df, age_months="age_m", items=ITEMS)
    assert info.value.failures == ["row 'b', column 'q4': 2 is not 1 (achieved), 0 or missing"]


def missing_case():
    one_missing = achieved(7)
    one_missing[10] = np.nan  # 7 achieved + 1 missing at 30 months (threshold 9): not uncertain
    border = achieved(9)
    border[8] = np.nan  # 8 achieved, 1 missing, 30 months: on track only if the missing one is achieved
    return children([(30, achieved(9)), (30, one_missing), (30, border), (12, [np.nan] * 20)])


def test_missing_answers_raise_by_default_and_say_how_many_children():
    with pytest.raises(MissingDataError, match=r"2 of 3 children .* for 1 of them"):
        ecdi2030(missing_case(), age_months="age_m", items=ITEMS)


def test_missing_rule_not_achieved_vs_complete_case():
    na = ecdi2030(missing_case(), age_months="age_m", items=ITEMS, missing="not_achieved")
    cc = ecdi2030(missing_case(), age_months="age_m", items=ITEMS, missing="complete_case")
    assert na.scores["on_track"].tolist()[:3] == [True, False, False]
    assert cc.scores["on_track"].isna().tolist() == [False, True, True, True]
    assert na.scores["uncertain"].tolist() == [False, False, True, False]
    total_na, total_cc = na.tidy().iloc[-1], cc.tidy().iloc[-1]
    assert (total_na["n_children"], total_na["n_with_missing"], total_na["n_uncertain"]) == (3, 2, 1)
    assert (total_na["n_excluded"], total_cc["n_excluded"]) == (0, 2)
    assert_allclose([total_na["on_track_pct"], total_cc["on_track_pct"]], [100 / 3, 100.0])


def test_dont_know_codes_are_missing_answers():
    answers = achieved(9)
    answers[0] = 8
    s = ecdi2030(children([(30, answers)]), age_months="age_m", items=ITEMS, dont_know={8},
                 missing="not_achieved").scores.iloc[0]
    assert (s["n_missing"], s["n_achieved"], bool(s["on_track"])) == (1, 8, False)


@pytest.mark.parametrize("kwargs, name", [({"items": ITEMS[:19]}, "items"), ({"missing": "drop"}, "missing"),
                                          ({"age_months": "age"}, "age_months")])
def test_bad_parameters(kwargs, name):
    args = {"age_months": "age_m", "items": ITEMS, **kwargs}
    with pytest.raises(ParameterError) as info:
        ecdi2030(children([(30, achieved(9))]), **args)
    assert info.value.name == name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1]), min_size=20, max_size=20), st.floats(min_value=24, max_value=59.99))
def test_on_track_is_monotone_and_counts_add_up(answers, age):
    s = ecdi2030(children([(age, answers)]), age_months="age_m", items=ITEMS).scores.iloc[0]
    assert s["health"] + s["learning"] + s["psychosocial"] == s["n_achieved"] == sum(answers)
    if 0 in answers:
        better = list(answers)
        better[better.index(0)] = 1
        s2 = ecdi2030(children([(age, better)]), age_months="age_m", items=ITEMS).scores.iloc[0]
        assert bool(s2["on_track"]) >= bool(s["on_track"])


# ---------------------------------------------------------------------------- prevalence
@pytest.fixture(scope="module")
def survey():
    data = synthetic_survey(1500, random_state=7)
    res = ecdi2030(data, age_months="age_months", items=[f"ecdi{k:02d}" for k in range(1, 21)],
                   frequency_achieved={4, 5}, frequency_codes=FREQUENCY_CODES, dont_know={8},
                   missing="not_achieved")
    return data.assign(on_track=res.scores["on_track"])


def test_prevalence_is_the_weighted_share_among_children_24_59(survey):
    design = Design(survey, strata="stratum", psu="psu", weights="weight", nest=True)
    t = on_track_prevalence(design, by="area").tidy()
    assert t["area"].tolist() == ["rural", "urban"]
    for area, row in zip(t["area"], t.itertuples()):
        sub = survey[(survey["area"] == area) & survey["on_track"].notna()]
        expected = 100 * np.average(sub["on_track"].astype(float), weights=sub["weight"])
        assert_allclose(row.estimate, expected, rtol=1e-6)
        assert row.ci_low < row.estimate < row.ci_high and row.n == len(sub)
    assert (t["small_cell"] == "ok").all()


def test_small_cells_are_suppressed_or_flagged(survey):
    design = Design(survey, strata="stratum", psu="psu", weights="weight", nest=True)
    t = on_track_prevalence(design, by=["region", "area"], suppress_below=150, caution_below=160).tidy()
    assert set(t["small_cell"]) <= {"ok", "caution", "suppressed"}
    small = t["n"] < 150
    assert small.any(), "the rule needs a small cell to be tested"
    assert t.loc[small, ["estimate", "se", "ci_low", "ci_high"]].isna().all().all()
    assert (t.loc[small, "small_cell"] == "suppressed").all()
    assert t.loc[~small, "estimate"].notna().all()
    with pytest.raises(ParameterError):
        on_track_prevalence(design, suppress_below=50, caution_below=25)
