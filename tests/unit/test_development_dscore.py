"""D-score, DAZ and posterior against R dscore 1.10.0 on the SYNTHETIC key.

Expected values: tests/reference/development/ (see PROVENANCE.md there). Tolerances
are those of that folder's README ("Tolerances"); SEM uses the issue's 1e-9.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ecd.development import Key, Reference, daz, dscore, dscore_posterior, zad
from ecd.errors import DataError, ParameterError, SchemaError

REFDIR = Path(__file__).resolve().parents[1] / "reference" / "development"


@pytest.fixture(scope="module")
def refdir():
    return REFDIR


@pytest.fixture(scope="module")
def key(refdir):
    return Key.from_files(refdir / "synthetic_key.csv", refdir / "synthetic_key_params.yaml")


@pytest.fixture(scope="module")
def refs(refdir):
    return {
        "bct": Reference.from_csv(refdir / "synthetic_reference_bct.csv"),
        "lms": Reference.from_csv(refdir / "synthetic_reference_lms.csv"),
        "bct_shape": Reference.from_csv(refdir / "synthetic_reference_bct_shape.csv"),
    }


@pytest.fixture(scope="module")
def inp(refdir):
    return pd.read_csv(refdir / "synthetic_input.csv", keep_default_na=False, na_values=[""],
                       dtype={"id": str}).set_index("id")


@pytest.fixture(scope="module")
def expected(refdir):
    return pd.read_csv(refdir / "synthetic_dscore.csv", keep_default_na=False, na_values=[""],
                       dtype={"id": str}).set_index("id")


def assert_same_na(actual, desired, label):
    a, d = np.isnan(np.asarray(actual, float)), np.isnan(np.asarray(desired, float))
    assert np.array_equal(a, d), f"{label}: NA pattern differs at {np.flatnonzero(a != d).tolist()}"


def assert_close_na(actual, desired, atol, label):
    actual, desired = np.asarray(actual, float), np.asarray(desired, float)
    assert_same_na(actual, desired, label)
    m = ~np.isnan(desired)
    assert_allclose(actual[m], desired[m], rtol=0, atol=atol, err_msg=label)


def assert_daz_bct(actual, desired, atol, label):
    """README's BCT upper-tail rule: where R's DAZ >= 6, or R is NA while ours >= 6, accept NA or >= 6."""
    actual, desired = np.asarray(actual, float), np.asarray(desired, float)
    tail = (desired >= 6) | (np.isnan(desired) & (actual >= 6))
    assert np.all(np.isnan(actual[tail]) | (actual[tail] >= 6)), label
    assert_close_na(actual[~tail], desired[~tail], atol, label)


def assert_scores(out, exp, *, sem_atol=1e-9, daz_atol=1e-9, d_atol=1e-9, skip_a_n0=True):
    exp = exp.loc[out.index]
    rows = out["n"].to_numpy() > 0 if skip_a_n0 else slice(None)
    assert_close_na(out["a"].to_numpy()[rows], exp["a"].to_numpy()[rows], 1e-9, "a")
    assert_array_equal_int(out["n"], exp["n"])
    assert_close_na(out["p"], exp["p"], 1e-9, "p")
    assert_close_na(out["d"], exp["d"], d_atol, "d")
    assert_close_na(out["sem"], exp["sem"], sem_atol, "sem")
    if "daz" in exp:
        assert_daz_bct(out["daz"], exp["daz"], daz_atol, "daz")


def assert_array_equal_int(actual, desired):
    np.testing.assert_array_equal(np.asarray(actual, int), np.asarray(desired, int))


# ---------------------------------------------------------------------------- main output
def test_main_output_matches_r(key, refs, inp, expected):
    out = dscore(inp, key, age="age", reference=refs["bct"])
    assert list(out.columns) == ["a", "n", "p", "d", "sem", "daz"]
    assert out.index.equals(inp.index)
    assert_scores(out, expected)


def test_lms_daz_matches_r(key, refs, inp, expected):
    out = dscore(inp, key, reference=refs["lms"])
    assert_close_na(out["daz"], expected["daz_lms"], 1e-9, "daz_lms")


def test_age_in_days_and_months_give_the_same_scores(key, refs, inp, expected):
    by_year = dscore(inp, key, reference=refs["bct"])
    by_day = dscore(inp.drop(columns="age"), key, age="agedays", age_unit="days", reference=refs["bct"])
    pd.testing.assert_frame_equal(by_year, by_day)
    months = inp.drop(columns="age").assign(age_m=inp["agedays"] / 365.25 * 12)
    by_month = dscore(months, key, age="age_m", age_unit="months", reference=refs["bct"])
    assert_scores(by_month, expected)


def test_default_reference_comes_from_the_key_file(key, refs, inp):
    pd.testing.assert_frame_equal(dscore(inp, key), dscore(inp, key, reference=refs["bct"]))


def test_per_row_prior_mean_column(key, refs, inp, expected):
    data = inp.assign(mu=expected["prior_mean"].where(inp["age"].notna() & (inp["age"] >= -1 / 12)))
    assert_scores(dscore(data, key, prior_mean="mu", reference=refs["bct"]), expected)


# ---------------------------------------------------------------------------- variants
@pytest.fixture(scope="module")
def variants(refdir):
    v = pd.read_csv(refdir / "synthetic_dscore_variants.csv", keep_default_na=False, na_values=[""],
                    dtype={"id": str})
    return {run: g.set_index("id") for run, g in v.groupby("run")}


def test_variant_prior_for_missing_age(key, refs, inp, variants):
    out = dscore(inp, key, reference=refs["bct"], prior_mean_na=key.prior_mean_na, prior_sd_na=key.prior_sd_na)
    assert (key.prior_mean_na, key.prior_sd_na) == (50.0, 20.0)
    assert_scores(out, variants["prior_na_50_20"])
    assert np.isfinite(out.loc["E04", "d"])


def test_variant_prior_sd_10(key, refs, inp, variants):
    out = dscore(inp, key, reference=refs["bct"], prior_sd=10)
    assert_scores(out, variants["prior_sd_10"])
    assert_close_na(dscore(inp, key, reference=refs["lms"], prior_sd=10)["daz"],
                    variants["prior_sd_10"]["daz_lms"], 1e-9, "daz_lms")


def test_variant_dec_12(key, refs, inp, variants):
    exp = variants["dec_12"]
    out = dscore(inp, key, reference=refs["bct"], decimals={"d": 12, "daz": 12})
    assert_scores(out, exp, sem_atol=1e-8, d_atol=1e-8, daz_atol=1e-7)
    lms = dscore(inp, key, reference=refs["lms"], decimals={"d": 12, "daz": 12})
    assert_close_na(lms["daz"], exp["daz_lms"], 1e-7, "daz_lms")


def test_variant_logit(key, refs, inp, variants):
    out = dscore(inp, key, reference=refs["bct"], metric="logit")
    assert_scores(out.drop(columns="daz"), variants["logit"].drop(columns=["daz", "daz_lms"]))
    assert out["daz"].isna().all()


# ---------------------------------------------------------------------------- edge cases
def test_edge_cases_follow_the_readme(key, refs, inp):
    out = dscore(inp, key, reference=refs["bct"])
    lms = dscore(inp, key, reference=refs["lms"])["daz"]
    e = out.loc
    # E01 newborn: d defined, BCT DAZ NA (below 14 days), LMS DAZ defined
    assert np.isfinite(e["E01", "d"]) and np.isnan(e["E01", "daz"]) and np.isfinite(lms["E01"])
    assert np.isfinite(e["E02", "daz"])  # first table age is inclusive
    for row in ("E03", "E09"):  # no valid answer: real age kept, the rest NA
        assert e[row, "n"] == 0 and e[row, "a"] == 0.9993
        assert e[row, ["p", "d", "sem", "daz"]].isna().all()
    assert e["E04", "n"] == 22 and e["E04", "p"] == 0.5 and e["E04", ["a", "d", "sem", "daz"]].isna().all()
    assert 2 < e["E05", "sem"] < 3 and 2 < e["E06", "sem"] < 3 and e["E05", "d"] > e["E06", "d"]
    assert 4.3 < e["E07", "sem"] < 4.6 and 4.3 < e["E08", "sem"] < 4.6
    pd.testing.assert_series_equal(out.loc["E10"], out.loc["E11"], check_names=False)
    assert np.isnan(e["E13", "daz"]) and np.isfinite(lms["E13"])
    assert np.isnan(e["E14", "daz"]) and np.isnan(lms["E14"])
    assert np.isfinite(e["E15", "d"]) and np.isnan(e["E15", "daz"])
    assert np.isnan(e["E16", "d"]) and e["E16", "n"] == 6
    assert (e["E17", "d"], e["E18", "d"]) == (80.13, 10.88)


def test_no_key_item_columns_at_all(key):
    out = dscore(pd.DataFrame({"age": [1.0, np.nan], "other": [1, 0]}), key)
    assert out["n"].tolist() == [0, 0] and out["a"].iloc[0] == 1.0
    assert out[["p", "d", "sem", "daz"]].isna().all().all()


def test_invalid_score_is_refused_naming_row_and_item(key, refdir):
    bad = pd.read_csv(refdir / "synthetic_invalid_input.csv", keep_default_na=False, na_values=[""],
                      dtype={"id": str}).set_index("id")
    with pytest.raises(SchemaError, match="not 0") as info:
        dscore(bad, key)
    assert info.value.failures == ["row 'X01', item 'zz1lgc010': 2"]


@pytest.mark.parametrize("value", [0.6, -1, "yes", True + 1])
def test_other_invalid_scores(key, value):
    df = pd.DataFrame({"age": [1.0], "zz1moc030": pd.Series([value], dtype=object)})
    with pytest.raises(SchemaError):
        dscore(df, key)


def test_boolean_and_nullable_scores_are_accepted(key):
    df = pd.DataFrame({"age": [1.0, 1.0], "zz1moc030": pd.array([True, None], dtype="boolean")})
    out = dscore(df, key)
    assert out["n"].tolist() == [1, 0] and out["p"].iloc[0] == 1.0


def test_duplicate_item_columns_by_case_are_refused(key):
    df = pd.DataFrame({"age": [1.0], "zz1moc030": [1], "ZZ1MOC030": [0]})
    with pytest.raises(DataError, match="both match"):
        dscore(df, key)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"age_unit": "weeks"}, "age_unit"), ({"metric": "z"}, "metric"), ({"age": "nope"}, "age"),
     ({"prior_mean": "nope"}, "prior_mean"), ({"prior_sd": -1.0}, "prior_sd"),
     ({"decimals": {"dd": 3}}, "decimals")],
)
def test_bad_parameters_name_the_parameter(key, kwargs, name):
    with pytest.raises(ParameterError) as info:
        dscore(pd.DataFrame({"age": [1.0], "zz1moc030": [1]}), key, **kwargs)
    assert info.value.name == name


# ---------------------------------------------------------------------------- components
def test_posterior_matches_r(key, refdir, inp):
    exp = pd.read_csv(refdir / "synthetic_posterior.csv", keep_default_na=False, na_values=[""],
                      dtype={"id": str}).set_index("id")
    post = dscore_posterior(inp.loc[exp.index], key)
    assert_allclose(post.to_numpy(), exp.to_numpy(), rtol=0, atol=1e-12)
    assert [f"qp_{c}" for c in post.columns] == list(exp.columns)


def test_posterior_without_answers_is_the_rows_own_prior(key):
    post = dscore_posterior(pd.DataFrame({"age": [1.0, 0.5]}), key)
    for age, row in zip([1.0, 0.5], post.to_numpy()):
        prior = np.exp(-0.5 * ((key.qp - key.prior_mean([age])[0]) / key.prior_sd) ** 2)
        assert_allclose(row, prior / prior.sum(), rtol=0, atol=1e-15)


def test_prior_mean_grid(key, refdir):
    grid = pd.read_csv(refdir / "synthetic_prior_mean_grid.csv", keep_default_na=False, na_values=[""])
    assert_close_na(key.prior_mean(grid["age"].to_numpy(float)), grid["prior_mean"], 1e-12, "prior_mean")


@pytest.mark.parametrize("name", ["bct", "lms", "bct_shape"])
def test_daz_grid(refs, refdir, name):
    g = pd.read_csv(refdir / "synthetic_daz_grid.csv", keep_default_na=False, na_values=[""])
    g = g[g["reference"] == name]
    check = assert_daz_bct if name.startswith("bct") else assert_close_na
    check(daz(g["d"], g["age"], refs[name], dec=3), g["daz_dec3"], 1e-9, f"{name} dec 3")
    check(daz(g["d"], g["age"], refs[name], dec=12), g["daz_dec12"], 1e-7, f"{name} dec 12")


@pytest.mark.parametrize("name", ["bct", "lms", "bct_shape"])
def test_zad_grid(refs, refdir, name):
    g = pd.read_csv(refdir / "synthetic_zad_grid.csv", keep_default_na=False, na_values=[""])
    g = g[g["reference"] == name]
    assert_close_na(zad(g["z"], g["age"], refs[name], dec=2), g["d_dec2"], 1e-9, f"{name} dec 2")
    assert_close_na(zad(g["z"], g["age"], refs[name], dec=12), g["d_dec12"], 1e-8, f"{name} dec 12")


def test_key_without_prior_rule_needs_prior_means(key):
    from dataclasses import replace

    bare = replace(key, mean_pieces=())
    df = pd.DataFrame({"age": [1.0], "zz1moc030": [1], "mu": key.prior_mean([1.0])})
    with pytest.raises(ParameterError, match="no prior-mean rule"):
        dscore(df, bare)
    pd.testing.assert_frame_equal(dscore(df, bare, prior_mean="mu"), dscore(df, key))


def test_key_and_reference_file_errors(tmp_path, refdir):
    bad = tmp_path / "key.csv"
    bad.write_text("item,tau\nzz1,abc\n")
    with pytest.raises(SchemaError, match="tau"):
        Key.from_files(bad, refdir / "synthetic_key_params.yaml")
    params = tmp_path / "p.yaml"
    params.write_text("key: x\n")
    with pytest.raises(DataError, match="missing .quadrature"):
        Key.from_files(refdir / "synthetic_key.csv", params)
    ref = tmp_path / "ref.csv"
    ref.write_text("distribution,age,mu,sigma,nu\nXYZ,0,1,1,1\nXYZ,1,2,1,1\n")
    with pytest.raises(ParameterError, match="BCT"):
        Reference.from_csv(ref)


# ---------------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=60, max_size=60),
    st.floats(min_value=0.05, max_value=3.9),
)
def test_daz_inverts_zad_and_more_passes_raise_d(key, refs, answers, age):
    a = round(age, 4)
    row = pd.DataFrame([dict(zip(key.items, answers), age=a)])
    out = dscore(row, key, reference=refs["bct"], decimals={"d": None, "daz": None})
    x = np.array(answers)
    if np.any(x == 0):  # turning a fail into a pass cannot lower the EAP (monotone likelihood ratio)
        j = int(np.flatnonzero(x == 0)[0])
        better = row.assign(**{key.items[j]: 1.0})
        assert dscore(better, key, decimals={"d": None})["d"].iloc[0] >= out["d"].iloc[0] - 1e-9
    z = out["daz"].iloc[0]
    if np.isfinite(z) and abs(z) < 5:
        assert_allclose(zad([z], [a], refs["bct"], dec=None), [out["d"].iloc[0]], rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=-4, max_value=4), st.floats(min_value=0, max_value=5))
def test_lms_zad_daz_roundtrip(refs, z, age):
    d = zad([z], [age], refs["lms"], dec=None)
    if np.isfinite(d[0]) and d[0] > 0:
        assert_allclose(daz(d, [age], refs["lms"], dec=None), [z], atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=0, max_value=2**31 - 1),
    st.sampled_from([(-10.0, 100.0, 1.0), (0.0, 90.0, 0.5), (-5.0, 60.0, 2.5)]),
)
def test_vectorised_posterior_equals_item_by_item_update(m, n_children, seed, grid):
    """dscore's own order of work (multiply item by item, renormalise each time) on a random key and grid."""
    from ecd.development import PriorPiece

    rng = np.random.default_rng(seed)
    lo, hi, by = grid
    key = Key(items=tuple(f"it{j}" for j in range(m)), tau=np.round(rng.uniform(0, 80, m), 2), name="random",
              qp=np.arange(lo, hi + by / 2, by), slope=float(rng.uniform(2, 6)), prior_sd=float(rng.uniform(2, 10)),
              mean_pieces=(PriorPiece(-np.inf, np.inf, 20.0, 15.0, 0.0, 1.0),))
    x = rng.choice([0.0, 1.0, np.nan], size=(n_children, m))
    age = np.round(rng.uniform(0, 3, n_children), 4)
    df = pd.DataFrame(x, columns=list(key.items)).assign(age=age)
    post = dscore_posterior(df, key).to_numpy()
    out = dscore(df, key, decimals={"d": None})
    for i in range(n_children):
        w = np.exp(-0.5 * ((key.qp - key.prior_mean([age[i]])[0]) / key.prior_sd) ** 2)
        w /= w.sum()
        for j in np.argsort(key.items):
            if not np.isnan(x[i, j]):
                eta = (key.qp - key.tau[j]) / key.slope  # fails as exp(-log(1 + e^eta)), not 1 - P (README)
                w = w * np.exp(-np.logaddexp(0, -eta) if x[i, j] == 1 else -np.logaddexp(0, eta))
                w /= w.sum()
        assert_allclose(post[i], w, rtol=0, atol=1e-12)
        if np.any(~np.isnan(x[i])):
            eap = np.sum(w * key.qp)
            assert_allclose(out["d"].iloc[i], eap, rtol=0, atol=1e-9)
            assert_allclose(out["sem"].iloc[i], np.sqrt(np.sum(w * (key.qp - eap) ** 2)), rtol=0, atol=1e-9)
        else:
            assert np.isnan(out["d"].iloc[i])
