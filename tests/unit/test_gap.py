"""ecd.gap: Blinder-Oaxaca against R oaxaca 0.1.5 on its `chicago` data; Fairlie by its properties.

Expected values: tests/reference/gap/oaxaca_reference.csv and oaxaca_draws_*.csv from
make_oaxaca.R (see tests/reference/gap/PROVENANCE.md). Point estimates at rel 1e-8 (atol 1e-12
for components that are zero by construction); bootstrap SEs replayed with R's own draws at rel 1e-8.
No published Fairlie example with its data was found (searched), so Fairlie is tested by its
properties: the contributions sum to the simulated explained part draw by draw, the simulated part
matches the analytic one within simulation error, and random orders make the result (nearly)
independent of the order of the variables in the formula.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ecd
from ecd.errors import DataError, ModelError, ParameterError
from ecd.survey import Design, ReplicateDesign

REF = Path(__file__).resolve().parents[1] / "reference"
EXPECTED = pd.read_csv(REF / "gap" / "oaxaca_reference.csv")
FORMULA = "ln_real_wage ~ age + female + LTHS + some_college + college + advanced_degree"
EDU = ["LTHS", "some_college", "college", "advanced_degree"]
R_WEIGHT = {0.0: "group1", 1.0: "group0", 0.5: "reimers", -1.0: "neumark", -2.0: "pooled", 0.2: "0.2", 0.4: "0.4"}
R_COMPONENT = {"unexplained A": "unexplained_group0", "unexplained B": "unexplained_group1"}


@lru_cache(maxsize=None)
def chicago() -> pd.DataFrame:
    df = pd.read_csv(REF / "gap" / "chicago.csv")
    df.columns = [c.replace(".", "_") for c in df.columns]
    return df


@lru_cache(maxsize=None)
def fitted(model: str):
    draws = pd.read_csv(REF / "gap" / f"oaxaca_draws_{model}.csv").to_numpy().T - 1  # R is 1-based
    kw = dict(normalize=[EDU], group_weights=[0.2, 0.4]) if model == "dummies" else {}
    return ecd.gap.oaxaca(chicago(), FORMULA, group="foreign_born", na="drop", draws=draws, **kw)


def joined(model: str) -> pd.DataFrame:
    ref = EXPECTED[(EXPECTED["model"] == model) & (EXPECTED["decomposition"] != "means")].copy()
    ref["reference"] = [R_WEIGHT.get(round(float(w), 6), "cotton") if d == "twofold" else ""
                        for w, d in zip(ref["weight"], ref["decomposition"])]
    ref["component"] = ref["component"].replace(R_COMPONENT)
    ref["term"] = ref["term"].str.replace(".", "_").replace({"(Intercept)": "Intercept"})
    ref = ref.pivot_table(index=["decomposition", "reference", "component", "term"], columns="stat",
                          values="value").reset_index()
    ours = fitted(model).table()
    return ref.merge(ours, on=["decomposition", "reference", "component", "term"], how="left",
                     suffixes=("_r", ""), validate="one_to_one")


@pytest.mark.parametrize("model", ["plain", "dummies"])
def test_point_estimates_match_r_oaxaca(model):
    m = joined(model)
    if model == "dummies":
        # R quirk: for the pooled reference (weight -2) R splits by variable with the pooled model's
        # coefficients left unnormalized while the group coefficients are normalized; ecd normalizes
        # all of them, so the dummy rows, intercept and (Base) of that reference differ by design
        quirk = (m["reference"] == "pooled") & (m["term"] != "overall") & m["term"].isin(EDU + ["Intercept", "(Base)"])
        m = m[~quirk]
    assert m["estimate"].notna().all()
    assert_allclose(m["estimate"], m["estimate_r"], rtol=1e-8, atol=1e-12)
    means = EXPECTED[(EXPECTED["model"] == model) & (EXPECTED["decomposition"] == "means")]
    r = fitted(model)
    assert_allclose(r.means, means.loc[means["term"].isin(["A", "B"]) & (means["component"] == "y"), "value"], rtol=1e-12)
    assert r.n == tuple(means.loc[(means["component"] == "n"), "value"].astype(int))


@pytest.mark.parametrize("model", ["plain", "dummies"])
def test_bootstrap_ses_with_r_draws_match(model):
    m = joined(model)
    # R quirk: its bootstrap weights Cotton's reference by group B's share (its point estimate by A's)
    m = m[m["reference"] != "cotton"]
    if model == "dummies":
        m = m[~((m["reference"] == "pooled") & m["term"].isin(EDU + ["Intercept", "(Base)"]))]
    assert_allclose(m["se"], m["se_r"], rtol=1e-8, atol=1e-13)


def test_r_cotton_bootstrap_uses_the_other_share():
    df = chicago().dropna(subset=["ln_real_wage"])
    share_b = (df["foreign_born"] == 1).mean()
    draws = pd.read_csv(REF / "gap" / "oaxaca_draws_plain.csv").to_numpy().T - 1
    r = ecd.gap.oaxaca(chicago(), FORMULA, group="foreign_born", na="drop", draws=draws,
                       group_weights=[share_b])
    key = f"{float(share_b):g}"
    t = r.table()
    ours = t[(t["reference"] == key) & (t["term"] == "overall")].set_index("component")["se"]
    m = joined("plain").query("reference == 'cotton' and term == 'overall'").set_index("component")["se_r"]
    assert_allclose(ours[m.index], m, rtol=1e-8)


def test_components_add_up():
    t = fitted("plain").table()
    gap = t.loc[t["decomposition"] == "gap", "estimate"].iloc[0]
    assert_allclose(gap, 0.14336572340422826, rtol=1e-10)  # R's y.diff
    two = t[(t["decomposition"] == "twofold") & (t["term"] == "overall")].pivot(index="reference", columns="component", values="estimate")
    assert_allclose(two["explained"] + two["unexplained"], gap, rtol=1e-10)
    assert_allclose(two["unexplained_group0"] + two["unexplained_group1"], two["unexplained"], rtol=1e-10)
    three = t[(t["decomposition"] == "threefold") & (t["term"] == "overall")]["estimate"].sum()
    assert_allclose(three, gap, rtol=1e-10)
    by_term = t[(t["decomposition"] == "twofold") & (t["term"] != "overall")].groupby(["reference", "component"])["estimate"].sum()
    overall = t[(t["decomposition"] == "twofold") & (t["term"] == "overall")].set_index(["reference", "component"])["estimate"]
    assert_allclose(by_term, overall[by_term.index], rtol=1e-9, atol=1e-14)


def test_linearization_agrees_with_the_bootstrap_within_simulation_error():
    lin = ecd.gap.oaxaca(chicago(), FORMULA, group="foreign_born", na="drop").table()
    boot = fitted("plain").table()
    keep = (lin["term"] == "overall") & (lin["reference"] != "cotton")
    b = boot.loc[keep, "se"].to_numpy()
    real = b > 1e-10  # the pooled reference's unexplained_group0 is zero by construction
    ratio = lin.loc[keep, "se"].to_numpy()[real] / b[real]
    # 200 draws: the SD of a bootstrap SE is about 5 %; linearization and bootstrap differ a little more
    assert np.all(np.abs(ratio - 1) < 0.2), ratio


def test_a_design_of_independent_rows_gives_the_plain_linearization():
    df = chicago().dropna(subset=["ln_real_wage"]).reset_index(drop=True)
    plain = ecd.gap.oaxaca(df, FORMULA, group="foreign_born").table()
    design = ecd.gap.oaxaca(None, FORMULA, group="foreign_born", design=Design(df)).table()
    assert_allclose(design["estimate"], plain["estimate"], rtol=1e-12, atol=1e-15)
    assert_allclose(design["se"], plain["se"], rtol=1e-10, atol=1e-15)


@lru_cache(maxsize=None)
def child() -> pd.DataFrame:
    return pd.read_csv(REF / "survey" / "child_survey.csv")


def test_design_weights_and_normalization():
    d = Design(child(), strata="stratum", psu="psu", weights="weight")
    r = ecd.gap.oaxaca(None, "haz ~ sex + age_group + hh_kids", group="urban_rural", design=d,
                       threefold=True, normalize=True)
    assert r.levels == ("rural", "urban") and r.se_method == "linearization (design)" and r.df == d.df
    means = d.mean("haz", by="urban_rural").tidy().set_index("urban_rural")["estimate"]
    assert_allclose(r.means, [means["rural"], means["urban"]], rtol=1e-12)
    t = r.tidy(by="variable")
    assert {"age_group", "sex", "hh_kids", "(Base)", "Intercept", "overall"} <= set(t["term"])
    # the normalized detailed results do not depend on the omitted age group
    relabelled = child().assign(age_group=child()["age_group"].map({"0-11m": "z0-11m", "12-23m": "12-23m", "24-35m": "24-35m"}))
    d2 = Design(relabelled, strata="stratum", psu="psu", weights="weight")
    r2 = ecd.gap.oaxaca(None, "haz ~ sex + age_group + hh_kids", group="urban_rural", design=d2,
                        threefold=True, normalize=True)
    a = r.tidy(by="variable").set_index(["decomposition", "component", "term"])["estimate"]
    b = r2.tidy(by="variable").set_index(["decomposition", "component", "term"])["estimate"]
    rows = [k for k in a.index if k[2] in ("sex", "hh_kids", "Intercept", "overall")]
    assert_allclose(a[rows], b[rows], rtol=1e-9, atol=1e-12)
    assert_allclose((a.xs("age_group", level=2) + a.xs("(Base)", level=2)),
                    (b.xs("age_group", level=2) + b.xs("(Base)", level=2)), rtol=1e-9, atol=1e-12)


def test_replicate_design_and_rao_wu_bootstrap():
    data = pd.read_csv(REF / "survey" / "rep_jk1_input.csv")
    d = ReplicateDesign(data, repweights="rw[0-9]+", weights="pw", type="JK1", scale=14 / 15)
    data = data.assign(elem=(data["stype"] == "E").astype(int))
    d = ReplicateDesign(data, repweights="rw[0-9]+", weights="pw", type="JK1", scale=14 / 15)
    r = ecd.gap.oaxaca(None, "api00 ~ ell + meals", group="elem", design=d)
    assert r.se_method.startswith("replicate") and np.all(np.isfinite(r.se))
    cs = child()
    dt = Design(cs, strata="stratum", psu="psu", weights="weight")
    b1 = ecd.gap.oaxaca(None, "haz ~ sex + hh_kids", group="urban_rural", design=dt, draws=30, random_state=5)
    b2 = ecd.gap.oaxaca(None, "haz ~ sex + hh_kids", group="urban_rural", design=dt, draws=30, random_state=5)
    lin = ecd.gap.oaxaca(None, "haz ~ sex + hh_kids", group="urban_rural", design=dt)
    assert_allclose(b1.se, b2.se)
    assert b1.se_method.startswith("bootstrap (Rao-Wu")
    gap_se = [x.table().query("component == 'gap'")["se"].iloc[0] for x in (b1, lin)]
    assert abs(gap_se[0] / gap_se[1] - 1) < 0.4


# ---------------------------------------------------------------- bad input
def test_group_with_other_than_two_levels():
    with pytest.raises(DataError, match="exactly two levels"):
        ecd.gap.oaxaca(child(), "haz ~ sex", group="region")
    with pytest.raises(DataError, match="exactly two levels"):
        ecd.gap.fairlie(child().assign(one="a"), "stunted ~ sex", group="one")


def test_category_present_in_one_group_only():
    df = child().copy()
    df["service"] = np.where(df["urban_rural"] == "urban", df["region"], "none")
    with pytest.raises(ModelError, match="one group only"):
        ecd.gap.oaxaca(df, "haz ~ sex + service", group="urban_rural")


def test_formula_naming_a_missing_column_and_group_in_formula():
    with pytest.raises(ParameterError, match="mothered"):
        ecd.gap.oaxaca(child(), "haz ~ sex + mothered", group="urban_rural")
    with pytest.raises(ParameterError, match="right-hand side"):
        ecd.gap.oaxaca(child(), "haz ~ sex + urban_rural", group="urban_rural")
    with pytest.raises(ParameterError, match="reference"):
        ecd.gap.oaxaca(child(), "haz ~ sex", group="urban_rural", reference="stata")


# ---------------------------------------------------------------- Fairlie
FAIR = "stunted ~ sex + age_group + hh_kids"


def test_fairlie_contributions_sum_to_the_simulated_explained_part():
    r = ecd.gap.fairlie(child(), FAIR, group="urban_rural", draws=40, random_state=3)
    assert_allclose(r.contributions.sum(), r.per_draw.sum(axis=1).mean(), rtol=1e-12)
    # each draw's contributions telescope to that draw's difference of mean predictions
    assert r.per_draw.shape == (40, 3)
    # the simulated explained part estimates the analytic one (paired subsample of the larger group)
    assert abs(r.contributions.sum() - r.explained) < 3 * max(r.se_totals[1], 1e-3)
    t = r.tidy()
    assert_allclose(t.loc[0, "estimate"], t.loc[1, "estimate"] + t.loc[2, "estimate"])
    y = child().groupby("urban_rural")["stunted"].mean()
    assert_allclose(r.gap, y["rural"] - y["urban"], rtol=1e-12)


def test_fairlie_random_orders_make_the_order_of_variables_irrelevant():
    a = ecd.gap.fairlie(child(), FAIR, group="urban_rural", draws=400, random_state=11)
    b = ecd.gap.fairlie(child(), "stunted ~ hh_kids + age_group + sex", group="urban_rural", draws=400,
                        random_state=12)
    ca = dict(zip(a.variables, a.contributions))
    cb = dict(zip(b.variables, b.contributions))
    for v in ca:
        assert abs(ca[v] - cb[v]) < 0.15 * abs(a.explained) + 2e-3, (v, ca[v], cb[v])


def test_fairlie_is_reproducible_and_design_aware():
    d = Design(child(), strata="stratum", psu="psu", weights="weight")
    a = ecd.gap.fairlie(None, FAIR, group="urban_rural", design=d, draws=20, random_state=1)
    b = ecd.gap.fairlie(None, FAIR, group="urban_rural", design=d, draws=20, random_state=1)
    assert_allclose(a.contributions, b.contributions)
    p = d.mean("stunted", by="urban_rural").tidy().set_index("urban_rural")["estimate"]
    assert_allclose(a.gap, p["rural"] - p["urban"], rtol=1e-12)
    assert np.isfinite(a.tidy()["se"]).all() and a.df == d.df


def test_fairlie_bad_input():
    with pytest.raises(DataError, match="0/1"):
        ecd.gap.fairlie(child(), "haz ~ sex", group="urban_rural")
    with pytest.raises(ParameterError, match="order"):
        ecd.gap.fairlie(child(), FAIR, group="urban_rural", order="alphabetical")
