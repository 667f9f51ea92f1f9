"""ecd.growth.zscores against R anthro 1.1.0.9000 (tests/reference/growth/PROVENANCE.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import ecd.growth
from ecd.errors import EcdWarning, ParameterError, SchemaError
from ecd.growth._tables import age_table, length_table

READ = dict(keep_default_na=False, na_values=["NA"])
OPTIONAL = dict(headc="headc", armc="armc", triskin="triskin", subskin="subskin", oedema="oedema")


@pytest.fixture(scope="module")
def reference(request):
    folder = request.config.rootpath / "tests" / "reference" / "growth"
    data = pd.read_csv(folder / "zscore_input_days.csv", dtype={"sex": str, "measure": str, "oedema": str}, **READ)
    expected = pd.read_csv(folder / "zscore_output_days.csv", dtype={"cmeasure": str}, **READ)
    with pytest.warns(EcdWarning, match="109 of 4392 rows have an age of 60 months"):
        got = ecd.growth.zscores(data, **OPTIONAL, invalid="anthro")  # R's handling of weight/length <= 0
    return data, expected, got


def test_reference_columns_and_index(reference):
    data, expected, got = reference
    assert list(got.columns) == ecd.growth.OUTPUT_COLUMNS == list(expected.columns[1:])
    assert got.index.equals(data.index)


@pytest.mark.parametrize("name", ["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"])
def test_reference_zscores_exact_at_2dp(reference, name):
    _, expected, got = reference
    assert_allclose(got[name].to_numpy(float), expected[name].to_numpy(float), rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["flen", "fwei", "fwfl", "fbmi", "fhc", "fac", "fts", "fss", "c9mo_flag", "csex"])
def test_reference_flags_exact(reference, name):
    _, expected, got = reference
    assert_array_equal(got[name].isna().to_numpy(), expected[name].isna().to_numpy())
    ok = expected[name].notna().to_numpy()
    assert_array_equal(got[name].to_numpy(float)[ok], expected[name].to_numpy(float)[ok])


def test_reference_cleaned_measures(reference):
    _, expected, got = reference
    assert_allclose(got["clenhei"].to_numpy(float), expected["clenhei"].to_numpy(float), rtol=0, atol=1e-9)
    assert_allclose(got["cbmi"].to_numpy(float), expected["cbmi"].to_numpy(float), rtol=1e-12, atol=1e-9)
    assert_array_equal(got["cmeasure"].astype(object).fillna("NA"), expected["cmeasure"].fillna("NA"))


def test_reference_quirks_are_reproduced(reference):
    data, _, got = reference
    row = dict(zip(data["id"], range(len(data))))
    # weight 0 gives a finite, flagged zwfl; lenhei 0 gives cbmi = zbmi = Inf (ALGORITHM.md §2.6)
    assert np.isfinite(got["zwfl"].iloc[row[4345]]) and got["fwfl"].iloc[row[4345]] == 1
    assert np.isinf(got["zbmi"].to_numpy(float)).any()
    # the three lengths 103.1 - 0.7 whose interpolation uses the 102.5 cm row
    assert got["zwfl"].iloc[[row[2929], row[3372], row[3506]]].tolist() == [-0.47, 0.02, 0.13]


def test_age_in_months_equals_days():
    kids = ecd.growth.synthetic_survey(400, random_state=3)
    days = ecd.growth.zscores(kids, oedema="oedema")
    months = ecd.growth.zscores(kids.assign(age=kids["age"] / 30.4375), age_in_months=True, oedema="oedema")
    pd.testing.assert_frame_equal(days, months)


def test_rounding_happens_before_flagging():
    # a height whose unrounded zlen is just above 6 but rounds to 6.00 is not flagged
    lms = age_table("len")
    L, M, S = lms.l[1, 400], lms.m[1, 400], lms.s[1, 400]
    height = M * (1 + L * S * 6.004) ** (1 / L)
    z = ecd.growth.zscores(pd.DataFrame({"sex": [1, 1], "age": [400, 400], "weight": [np.nan] * 2,
                                         "lenhei": [height, height + 0.2], "measure": [None, None]}))
    assert z["zlen"].tolist()[0] == 6.0 and z["flen"].tolist() == [0, 1]


def test_nine_month_rule_and_adjustment():
    frame = pd.DataFrame({"sex": [1, 1, 1, 1], "age": [273.9, 274.0, 730.4, 730.5], "weight": 9.0,
                          "lenhei": 70.0, "measure": ["h", "h", "h", "l"]})
    z = ecd.growth.zscores(frame)
    assert z["c9mo_flag"].tolist() == [1, 0, 0, 0]
    assert z["cmeasure"].astype(object).fillna("NA").tolist() == ["NA", "h", "h", "l"]
    assert_allclose(z["clenhei"], [70.0, 70.7, 70.7, 69.3])


# --- property tests -----------------------------------------------------------------------------

ages = st.integers(min_value=0, max_value=1826)
sexes = st.sampled_from([1, 2])


@settings(max_examples=60, deadline=None)
@given(sex=sexes, day=ages)
def test_median_has_z_zero(sex, day):
    def median(indicator):
        return age_table(indicator).m[sex, day]

    frame = pd.DataFrame({"sex": [sex], "age": [day], "weight": [median("wei")], "lenhei": [median("len")],
                          "headc": [median("hc")], "armc": [median("ac")], "triskin": [median("ts")],
                          "subskin": [median("ss")], "measure": [None]})
    z = ecd.growth.zscores(frame, headc="headc", armc="armc", triskin="triskin", subskin="subskin")
    for name in ("zlen", "zwei", "zhc") + (("zac", "zts", "zss") if day >= 91 else ()):
        assert z[name].iloc[0] == 0.0, name


@settings(max_examples=40, deadline=None)
@given(sex=sexes, tenth=st.integers(min_value=450, max_value=1100))
def test_weight_for_length_median_has_z_zero(sex, tenth):
    t = length_table("wfl")
    frame = pd.DataFrame({"sex": [sex], "age": [np.nan], "weight": [t.m[sex, tenth - t.offset]],
                          "lenhei": [tenth / 10], "measure": ["l"]})
    assert ecd.growth.zscores(frame)["zwfl"].iloc[0] == 0.0


@settings(max_examples=40, deadline=None)
@given(sex=sexes, day=ages, low=st.floats(1.0, 40.0), step=st.floats(0.01, 30.0))
def test_monotone_in_the_measurement(sex, day, low, step):
    frame = pd.DataFrame({"sex": [sex, sex], "age": [day, day], "weight": [low, low + step],
                          "lenhei": [40 + 2 * low, 40 + 2 * (low + step)], "measure": [None, None]})
    z = ecd.growth.zscores(frame)
    for name in ("zlen", "zwei"):
        a, b = z[name].to_numpy(float)
        assert b >= a, name
    # at fixed length, heavier is never lower
    fixed = frame.assign(lenhei=80.0)
    a, b = ecd.growth.zscores(fixed)["zwfl"].to_numpy(float)
    assert b >= a


# --- bad input ----------------------------------------------------------------------------------

def _kids(**changes):
    frame = pd.DataFrame({"sex": [1, 2, 1], "age": [100.0, 200.0, 300.0], "weight": [6.0, 7.0, 8.0],
                          "lenhei": [60.0, 65.0, 70.0], "measure": ["l", "l", "l"], "oedema": ["n", "n", "n"]},
                         index=[10, 11, 12])
    for column, value in changes.items():
        frame[column] = value
    return frame


@pytest.mark.parametrize(
    "column, values, words",
    [
        ("sex", [1, 3, 2], ["sex", "[11]", "3"]),
        ("sex", ["m", "female", "F"], ["sex", "[11]", "female"]),
        ("measure", ["l", "x", "H"], ["measure", "[11]", "'x'"]),
        ("oedema", ["n", "maybe", "Y"], ["oedema", "[11]", "maybe"]),
        ("age", [100.0, -1.0, -2.0], ["age", "[11, 12]", "negative"]),
        ("weight", ["6", "heavy", None], ["weight", "[11]", "numeric"]),
    ],
)
def test_bad_codes_name_the_rows(column, values, words):
    with pytest.raises(SchemaError) as info:
        ecd.growth.zscores(_kids(**{column: values}), oedema="oedema")
    for word in words:
        assert word in str(info.value)


def test_accepted_codes():
    z = ecd.growth.zscores(_kids(sex=[" M", "f", 1.0], measure=["L", "h", None], oedema=[1, 2, None]),
                           oedema="oedema")
    assert z["csex"].tolist() == [1, 2, 1]
    assert z["zwei"].isna().tolist() == [True, False, False]  # oedema = 1 means yes


def test_unknown_column_is_a_parameter_error():
    with pytest.raises(ParameterError, match="'headcirc'"):
        ecd.growth.zscores(_kids(), headc="headcirc")


def test_old_ages_warn_with_the_count():
    with pytest.warns(EcdWarning, match="2 of 3 rows"):
        z = ecd.growth.zscores(_kids(age=[100.0, 1826.25, 2000.0]))
    assert z["zlen"].notna().tolist() == [True, False, False]


# --- issue 16: a measurement <= 0 or infinite is not a measurement ------------------------------

def test_weight_at_or_below_zero_is_na_and_flagged_not_silently_missing():
    # the tester's reproduction: weight 0 / -1 gave zwei NA with no flag (and weight 0 a zwfl of -15.37)
    kids = pd.DataFrame({"sex": [1, 2, 1], "age": [500, 500, 500], "weight": [0.0, -1.0, 10.0],
                         "lenhei": [75.0, 75.0, 75.0], "measure": ["l"] * 3})
    z = ecd.growth.zscores(kids)
    for name in ("zwei", "zwfl", "zbmi"):
        assert z[name].iloc[:2].isna().all(), name
        assert z["f" + name[1:]].iloc[:2].tolist() == [1, 1], name
    assert z["cbmi"].iloc[:2].isna().all()
    assert z["zlen"].notna().all() and z["flen"].tolist() == [0, 0, 0]  # length is still a measurement
    assert z.iloc[2].equals(ecd.growth.zscores(kids.iloc[[2]]).iloc[0])  # other rows unchanged


@pytest.mark.parametrize("column, zs", [("lenhei", ("zlen", "zwfl", "zbmi")), ("weight", ("zwei", "zwfl", "zbmi")),
                                        ("headc", ("zhc",)), ("armc", ("zac",))])
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_an_infinite_measurement_is_na_and_flagged_not_an_infinite_z(column, zs, value):
    kids = pd.DataFrame({"sex": [1], "age": [500], "weight": [10.0], "lenhei": [75.0], "measure": ["l"],
                         "headc": [46.0], "armc": [15.0]})
    kids[column] = value
    z = ecd.growth.zscores(kids, headc="headc", armc="armc")
    for name in zs:
        assert np.isnan(z[name].iloc[0]) and z["f" + name[1:]].iloc[0] == 1, name
    assert np.isfinite(z[["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac"]].to_numpy(float)[~np.isnan(
        z[["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac"]].to_numpy(float))]).all()


def test_invalid_must_be_flag_or_anthro():
    with pytest.raises(ParameterError, match="parameter 'invalid': got 'drop'"):
        ecd.growth.zscores(pd.DataFrame({"sex": [1], "age": [1], "weight": [3.0], "lenhei": [50.0]}), invalid="drop")
