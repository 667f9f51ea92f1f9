"""ecd.inequality against WHO HEAT 6 and R healthequal 1.0.1 (tests/reference/inequality)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ecd.inequality as ineq

REF = Path(__file__).resolve().parents[1] / "reference" / "inequality"
KEYS = ["setting", "date", "source", "indicator_abbr", "dimension"]
RTOL = 1e-9
RTOL_SII = 1e-4  # healthequal/HEAT differentiate SII/RII numerically (PROVENANCE.md)


def _read(name: str) -> pd.DataFrame:
    # "None" is a subgroup name (mother's education), not a missing value
    return pd.read_csv(REF / name, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def heat_inputs() -> pd.DataFrame:
    return _read("heat_format_inputs.csv")


@lru_cache(maxsize=1)
def _draws_frame() -> pd.DataFrame:
    """Reference draws, labelled with the strata of heat_format_inputs.csv they belong to."""
    parts = []
    for source in ["testvec_nonordered25_ref", "testvec_nonordered25_noref"]:
        d = _read("healthequal_sim_draws_testvec_nonordered25.csv")
        parts.append(d.assign(source=source))
    d = _read("healthequal_sim_draws_SYN5_anaemia_region.csv")
    parts.append(d.assign(source="SYN5_anaemia_region"))
    return pd.concat(parts, ignore_index=True)


def _compare(ours: pd.DataFrame, expected: pd.DataFrame, est: str, se: str, lo: str, hi: str):
    expected = expected.rename(columns={c: f"ref_{c}" for c in (est, se, lo, hi)})
    est, se, lo, hi = (f"ref_{c}" for c in (est, se, lo, hi))
    merged = expected.merge(ours, on=KEYS + ["measure"], how="left", validate="one_to_one")
    assert len(merged) == len(expected)
    for _, row in merged.iterrows():
        rtol = RTOL_SII if row["measure"] in ("SII", "RII") else RTOL
        what = f"{row['source']} {row['measure']}"
        assert_allclose(row["estimate"], row[est], rtol=RTOL, atol=1e-12, err_msg=what)
        assert_allclose(row["se"], row[se], rtol=rtol, atol=1e-12, equal_nan=True, err_msg=what)
        assert_allclose([row["ci_low"], row["ci_high"]], [row[lo], row[hi]], rtol=rtol,
                        atol=1e-12, err_msg=what)


@pytest.mark.parametrize("use_draws", [True, False], ids=["injected_draws", "r_seed_123456"])
def test_heat_engine_reproduced(heat_inputs, use_draws):
    expected = _read("heat_expected.csv").rename(columns={"year": "date"})
    res = ineq.summarize(heat_inputs, method="heat", draws=_draws_frame() if use_draws else None)
    ours = res.tidy()
    _compare(ours, expected, "inequal", "se", "se.lowerci", "se.upperci")


def test_heat_applicability_matches_heat_output(heat_inputs):
    """HEAT reports exactly the measures its rules allow; every other one is NA with a reason."""
    expected = _read("heat_expected.csv").rename(columns={"year": "date"})
    ours = ineq.summarize(heat_inputs, method="heat").tidy()
    have = set(map(tuple, ours.loc[ours["estimate"].notna(), KEYS[2:3] + ["measure"]].to_numpy()))
    want = set(map(tuple, expected[KEYS[2:3] + ["measure"]].to_numpy()))
    assert have == want
    na = ours.loc[ours["estimate"].isna()]
    assert len(na) > 0
    assert na["note"].str.len().gt(0).all()


# ----------------------------------------------------------------- healthequal
_HE_SOURCE = {"testvec_nonordered25": "testvec_nonordered25_ref"}
_FUNC = {"d": "D", "r": "R", "paf": "PAF", "parisk": "PAR", "aci": "ACI", "rci": "RCI",
         "sii": "SII", "rii": "RII", "bgv": "BGV", "bgsd": "BGSD", "covar": "COV",
         "idisu": "IDISU", "idisw": "IDISW", "mdbu": "MDBU", "mdbw": "MDBW", "mdmu": "MDMU",
         "mdmw": "MDMW", "mdru": "MDRU", "mdrw": "MDRW", "ti": "TI", "mld": "MLD"}


def _he_case(heat_inputs: pd.DataFrame, row: pd.Series):
    """The HEAT Plus frame and options equivalent to one healthequal call."""
    source = _HE_SOURCE.get(row["dataset"], row["dataset"])
    df = heat_inputs.loc[heat_inputs["source"] == source].copy()
    args = row["args"]
    if "reference_subgroup=" not in args:
        df["reference_subgroup"] = 0
    if "se=" not in args:
        df["se"] = np.nan
    if "pop=" not in args:
        df["population"] = np.nan
    if "setting_average=" not in args:
        df["setting_average"] = np.nan
    opts = {"conf_level": 0.9 if "conf.level=0.9" in args else 0.95}
    if "linear=TRUE" in args:
        opts["sii_model"] = "linear"
    if "lmin=" in args:
        lmin = float(args.split("lmin=")[1].split(";")[0])
        lmax = float(args.split("lmax=")[1].split(";")[0])
        opts["bounds"] = (lmin, lmax)
    for norm in ("wagstaff", "erreygers"):
        if f"method={norm}" in args:
            opts["rci_normalisation"] = norm
    if "sim=500" in args:
        opts.update(sims=500, random_state=1)
    return df, opts


def _he_rows():
    he = _read("healthequal_expected.csv")
    return [pytest.param(r, id=f"{r['case_id']}-{r['func']}-{r['variant']}") for _, r in he.iterrows()]


@pytest.mark.parametrize("row", _he_rows())
def test_healthequal_reproduced(heat_inputs, row):
    df, opts = _he_case(heat_inputs, row)
    code = _FUNC[row["func"]]
    draws = None
    if code in ("BGSD", "COV", "IDISU", "IDISW", "MDBU", "MDBW", "MDMU", "MDMW", "MDRU", "MDRW") \
            and "sims" not in opts and "se=" in row["args"]:
        draws = _draws_frame()
    out = ineq.summarize(df, measures=[code], method="healthequal", draws=draws, **opts).tidy()
    assert len(out) == 1
    got = out.iloc[0]
    error = row["error"]
    if isinstance(error, str) and error:
        if "more than two subgroups" in error:
            # a real rule of healthequal: reproduced as NA with the reason
            assert np.isnan(got["estimate"]) and "more than two subgroups" in got["note"]
        else:
            # healthequal crashes here; we return the estimate without a CI (or with the
            # populations, when both populations and a setting average are given)
            assert np.isfinite(got["estimate"])
        return
    if code in ("SII", "RII") and "pop=" not in row["args"]:
        # healthequal silently sets every population to 1 and returns garbage
        # (SII 0, 100 or 1e-22): a documented refusal here
        assert np.isnan(got["estimate"]) and "population" in got["note"]
        return
    rtol = RTOL_SII if code in ("SII", "RII") else RTOL
    assert_allclose(got["estimate"], row["estimate"], rtol=RTOL, atol=1e-12)
    assert_allclose(got["se"], row["se"], rtol=rtol, atol=1e-12, equal_nan=True)
    assert_allclose([got["ci_low"], got["ci_high"]], [row["lowerci"], row["upperci"]],
                    rtol=rtol, atol=1e-12, equal_nan=True)
    if np.isnan(row["lowerci"]):
        assert got["note"]


# ----------------------------------------------------------------- populations AND a setting average
def _setting_average_case(with_se: bool) -> pd.DataFrame:
    ref = _read("healthequal_setting_average.csv").iloc[0]
    est, se, pop = ([float(v) for v in str(ref[c]).split(";")] for c in ("subgroup_est", "subgroup_se", "subgroup_pop"))
    return pd.DataFrame({
        "setting": "SYNTHETIC", "date": 2020, "source": "SYNTHETIC", "indicator_abbr": "sa",
        "dimension": "Region", "subgroup": [f"R{i}" for i in range(1, len(est) + 1)], "estimate": est,
        "se": se if with_se else np.nan, "population": pop, "setting_average": float(ref["setting_average"]),
        "favourable_indicator": 0, "indicator_scale": 100, "ordered_dimension": 0})


@pytest.mark.parametrize("args", ["est;se;pop;scaleval;setting_average", "est;pop;scaleval;setting_average",
                                  "est;se;pop;scaleval"])
def test_healthequal_takes_the_setting_average_when_given_with_populations(args):
    """healthequal 1.0.1's MDMU/IDISU use setting_average whenever it is passed (found by benchmarks/inequality.py)."""
    expected = _read("healthequal_setting_average.csv").query("args == @args and error.isna()")
    df = _setting_average_case(with_se="se;" in args)
    if "setting_average" not in args:
        df["setting_average"] = np.nan
    got = ineq.summarize(df, measures=["MDMU", "IDISU"], method="healthequal").tidy().set_index("measure")
    for _, row in expected.iterrows():
        g = got.loc[_FUNC[row["func"]]]
        assert_allclose(g["estimate"], row["estimate"], rtol=RTOL, err_msg=row["func"])
        if not np.isnan(row["lowerci"]):
            assert_allclose([g["ci_low"], g["ci_high"]], [row["lowerci"], row["upperci"]], rtol=RTOL)


def test_healthequal_idisu_crash_with_populations_setting_average_and_se_is_recorded():
    row = _read("healthequal_setting_average.csv").query("func == 'idisu' and args.str.contains('se;')").iloc[0]
    assert "popsh" in row["error"] and np.isnan(float(row["estimate"]))
    got = ineq.summarize(_setting_average_case(with_se=True), measures=["IDISU"], method="healthequal").tidy()
    # where healthequal crashes, ecd still gives its point estimate (with the setting average)
    expected = _read("healthequal_setting_average.csv").query("args == 'est;pop;scaleval;setting_average'")
    assert_allclose(got["estimate"].iloc[0], expected["estimate"].iloc[0], rtol=RTOL)
