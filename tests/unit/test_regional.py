"""ecd.regional: k-means typology against R's kmeans/scale, bad input, properties, profile."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ecd.regional as rg
from ecd.errors import DataError, ParameterError

REF = Path(__file__).resolve().parents[1] / "reference" / "regional"
RTOL = 1e-9  # PROVENANCE.md: 15 significant digits from write.csv


@pytest.fixture(scope="module")
def synthetic():
    return pd.read_csv(REF / "kmeans_input.csv").set_index("geo")


def _same_partition(a, b) -> bool:
    """True when two labelings define the same groups (labels may differ)."""
    pairs = set(zip(a, b))
    return len(pairs) == len(set(a)) == len(set(b))


def test_standardization_matches_r_scale(synthetic):
    exp = pd.read_csv(REF / "scale_expected.csv").set_index("feature")
    t = rg.ProvinceTypology(n_clusters=2).fit(synthetic)
    assert_allclose(t.mean_[exp.index], exp["mean"], rtol=RTOL)
    assert_allclose(t.scale_[exp.index], exp["sd"], rtol=RTOL)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_kmeans_matches_r_lloyd_from_same_start(synthetic, k):
    exp = pd.read_csv(REF / "kmeans_expected.csv")
    exp = exp[exp["k"] == k].set_index("geo")["cluster"]
    centers = pd.read_csv(REF / "kmeans_centers_z.csv")
    centers = centers[centers["k"] == k].set_index("cluster")[list(synthetic.columns)]
    inertia = pd.read_csv(REF / "kmeans_inertia.csv").set_index("k").loc[k, "tot_withinss"]
    z = (synthetic - synthetic.mean()) / synthetic.std(ddof=1)
    t = rg.ProvinceTypology(n_clusters=k, init=z.iloc[:k].to_numpy()).fit(synthetic)
    assert _same_partition(t.labels_.loc[exp.index].tolist(), exp.tolist())
    assert_allclose(t.inertia_, inertia, rtol=RTOL)
    # map R's cluster ids to ours through the rows, then compare centres
    mapping = dict(zip(exp.tolist(), t.labels_.loc[exp.index].tolist()))
    ours = t.centers_z_.loc[[mapping[c] for c in centers.index]]
    assert_allclose(ours.to_numpy(), centers.to_numpy(), rtol=RTOL, atol=1e-12)
    # centres in original units are the member means
    for c in t.centers_.index:
        assert_allclose(t.centers_.loc[c], synthetic[t.labels_ == c].mean(), rtol=1e-9)


def test_labels_ordered_by_feature_and_independent_of_seed(synthetic):
    a = rg.ProvinceTypology(n_clusters=3, order_by="gdp_2023", random_state=1).fit(synthetic)
    b = rg.ProvinceTypology(n_clusters=3, order_by="gdp_2023", random_state=7).fit(synthetic)
    assert a.centers_["gdp_2023"].is_monotonic_increasing
    pd.testing.assert_series_equal(a.labels_, b.labels_)


def test_missing_policies():
    X = pd.DataFrame({"a": [1.0, 2.0, 8.0, 9.0], "b": [1.0, np.nan, 5.0, 6.0]}, index=list("PQRS"))
    t = rg.ProvinceTypology(n_clusters=2).fit(X)
    assert t.features_ == ["a"] and t.dropped_features_ == ["b"] and len(t.labels_) == 4
    assert any("b" in c for c in t.caveats())
    t = rg.ProvinceTypology(n_clusters=2, missing="drop_geo").fit(X)
    assert t.dropped_geos_ == ["Q"] and list(t.labels_.index) == ["P", "R", "S"]
    with pytest.raises(DataError, match=r"column 'b'.*\['Q'\]"):
        rg.ProvinceTypology(n_clusters=2, missing="raise").fit(X)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_clusters": 1}, "n_clusters"),
    ({"n_clusters": 2.5}, "n_clusters"),
    ({"missing": "impute"}, "missing"),
    ({"order_by": "zzz"}, "order_by"),
    ({"init": np.zeros((3, 1))}, "init"),
])
def test_bad_parameters(kwargs, match):
    X = pd.DataFrame({"a": [1.0, 2.0, 8.0, 9.0]}, index=list("PQRS"))
    with pytest.raises(ParameterError, match=match):
        rg.ProvinceTypology(**{"n_clusters": 2, **kwargs}).fit(X)


def test_bad_data():
    with pytest.raises(ParameterError, match="DataFrame"):
        rg.ProvinceTypology().fit(np.zeros((4, 2)))
    with pytest.raises(DataError, match="same value"):
        rg.ProvinceTypology(n_clusters=2).fit(pd.DataFrame({"a": [1.0] * 4, "b": [1.0, 2, 3, 4]}))
    with pytest.raises(DataError, match="not a number"):
        rg.ProvinceTypology(n_clusters=2).fit(pd.DataFrame({"a": ["x", 1, 2, 3]}))
    with pytest.raises(DataError, match="duplicate"):
        rg.ProvinceTypology(n_clusters=2).fit(pd.DataFrame({"a": [1.0, 2, 3, 4]}, index=list("PPQR")))
    with pytest.raises(DataError, match="usable rows"):
        rg.ProvinceTypology(n_clusters=3).fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ParameterError, match="not fitted"):
        rg.ProvinceTypology().tidy()


def test_tidy_and_describe(synthetic):
    t = rg.ProvinceTypology(n_clusters=3, order_by="gdp_2023").fit(synthetic)
    td = t.tidy()
    assert list(td.columns) == ["geo", "cluster", "feature", "value", "z"]
    assert len(td) == synthetic.size
    assert_allclose(td.groupby("feature")["z"].mean(), 0, atol=1e-12)
    d = t.describe({"gdp_2023": "收入"})
    assert d[3].count("高收入") == 1 and d[1].count("低收入") == 1


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.01, 1e6), st.floats(-1e3, 1e3))
def test_invariant_to_units_and_shift(seed, scale, shift):
    """Standardizing makes the typology independent of each indicator's unit and origin."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(12, 3)), columns=list("abc"), index=[f"p{i}" for i in range(12)])
    a = rg.ProvinceTypology(n_clusters=3, n_init=5, random_state=0).fit(X)
    Y = X.copy()
    Y["b"] = Y["b"] * scale + shift
    b = rg.ProvinceTypology(n_clusters=3, n_init=5, random_state=0).fit(Y)
    assert _same_partition(a.labels_.tolist(), b.labels_.tolist())


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_row_order_does_not_change_groups(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(10, 2)) + np.repeat([[0, 0], [6, 6]], 5, axis=0), columns=["a", "b"],
                     index=[f"p{i}" for i in range(10)])
    a = rg.ProvinceTypology(n_clusters=2, order_by="a", n_init=3).fit(X)
    b = rg.ProvinceTypology(n_clusters=2, order_by="a", n_init=3).fit(X.sample(frac=1, random_state=seed))
    pd.testing.assert_series_equal(a.labels_, b.labels_.loc[a.labels_.index])


def test_profile_marks_missing_and_keeps_reported():
    d = pd.DataFrame({"indicator": ["b", "b", "g"], "geo": ["A", "B", "A"], "area": ["total", "total", "urban"],
                      "year": [2022, 2022, 2020], "value": [1.0, 2.0, 3.0], "unit": "u", "source_id": "s"})
    p = rg.profile(d, "A", {"b": [2021, 2022], "c": [1997]})
    assert p[["indicator", "year", "status"]].values.tolist() == [
        ["b", 2021, "missing"], ["b", 2022, "reported"], ["c", 1997, "missing"]]
    assert p.loc[p["status"] == "missing", "value"].isna().all()
    assert p.loc[p["status"] == "reported", "value"].tolist() == [1.0]
    with pytest.raises(ParameterError, match="geo"):
        rg.profile(d, "")


def test_profile_on_warehouse_province():
    import ecd

    data = ecd.data.load(["births", "crude_birth_rate", "gdp_per_capita"], area="total")
    p = rg.profile(data, "CN-GS", {"births": [2022], "crude_birth_rate": [1997, 2015, 2021]})
    status = p.set_index(["indicator", "year"])["status"]
    assert status[("crude_birth_rate", 2015)] == "missing"  # the 2015 yearbook copy stops before Gansu
    assert status[("births", 2022)] == "reported"
    assert (p["indicator"] == "gdp_per_capita").sum() == 9


def test_standing_describes_guangdong_by_its_own_values_not_a_cluster_label():
    import ecd

    codes = ["births", "crude_birth_rate", "gdp_per_capita", "urbanization_rate"]
    data = ecd.data.load(codes, area="total")
    st = rg.standing(data, "CN-GD", codes).set_index("indicator")
    gdp = st.loc["gdp_per_capita"]
    prov = data[(data["indicator"] == "gdp_per_capita") & (data["year"] == gdp["year"])
                & data["geo"].isin(ecd.catalog.provinces()["geo"])].drop_duplicates("geo")
    assert gdp["n"] == len(prov) == 31
    assert gdp["rank"] == int((prov["value"] > gdp["value"]).sum()) + 1  # recomputed by hand
    assert gdp["value"] > prov["value"].median() and gdp["relation"] == "above"
    text = "；".join(rg.standing_sentences(st.reset_index()))
    assert "低人均" not in text and "高于" in text
    assert "births" not in text and not re.search(r"[A-Za-z]", text)
    # totals are compared with the other provinces, never with the national total
    if "births" in st.index:
        assert st.loc["births", "reference_kind"] == "median"


def test_standing_ranks_ties_and_picks_a_year_most_provinces_share():
    import pandas as pd

    provs = [f"P{i}" for i in range(25)]
    rows = [{"indicator": "crude_birth_rate", "geo": g, "year": 2021, "value": 5.0 + (i % 5), "source_id": "a"}
            for i, g in enumerate(provs)]
    rows += [{"indicator": "crude_birth_rate", "geo": g, "year": 2023, "value": 9.0, "source_id": "a"} for g in provs[:3]]
    rows += [{"indicator": "crude_birth_rate", "geo": "CN", "year": 2021, "value": 7.0, "source_id": "a"}]
    st = rg.standing(pd.DataFrame(rows), "P4", ["crude_birth_rate"], provinces=provs)
    r = st.iloc[0]
    assert r["year"] == 2021 and r["n"] == 25  # 2023 has only 3 provinces
    assert r["value"] == 9.0 and r["rank"] == 1  # five provinces share the top value and the top rank
    assert r["relation"] == "above" and r["reference"] == 7.0
    with pytest.raises(ParameterError, match="not one of the provinces"):
        rg.standing(pd.DataFrame(rows), "CN-XX", ["crude_birth_rate"], provinces=provs)
