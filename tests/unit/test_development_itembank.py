"""Keys as researchers have them: item banks with uncalibrated items (tau NA), several keys in one
file, and references for several populations and keys (R dscore's export layouts).

Expected values: tests/reference/development/synthetic_itembank_dscore.csv, made by
make_itembank.R with R dscore 1.10.0 on the SYNTHETIC key (see PROVENANCE.md there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ecd.development import Key, Reference, dscore
from ecd.errors import ParameterError, SchemaError

UNCALIBRATED = ("zz1sec008", "zz1mod019", "zz1moc030", "zz1lgc041", "zz1lgc052")
COLUMNS = ["a", "n", "p", "d", "sem", "daz"]


@pytest.fixture(scope="module")
def inp(reference_dir_module):
    return pd.read_csv(reference_dir_module / "synthetic_input.csv", keep_default_na=False, na_values=[""],
                       dtype={"id": str}).set_index("id")


@pytest.fixture(scope="module")
def reference_dir_module():
    return Path(__file__).resolve().parents[1] / "reference" / "development"


@pytest.fixture(scope="module")
def params(reference_dir_module):
    return reference_dir_module / "synthetic_key_params.yaml"


@pytest.fixture(scope="module")
def bank_key(reference_dir_module, params):
    return Key.from_itembank(reference_dir_module / "synthetic_itembank.csv", key="zz_synthetic", params=params)


def write_key(tmp_path, rows, name="key.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_na_tau_rows_score_identically_to_the_key_without_them(tmp_path, reference_dir_module, params, inp):
    full = pd.read_csv(reference_dir_module / "synthetic_key.csv")
    with_na = full.assign(tau=full["tau"].astype(object))
    # both spellings R writes for a missing tau: "NA" (write.csv) and empty (na = "")
    with_na.loc[with_na["item"].isin(UNCALIBRATED[:3]), "tau"] = "NA"
    with_na.loc[with_na["item"].isin(UNCALIBRATED[3:]), "tau"] = ""
    key_na = Key.from_files(write_key(tmp_path, with_na, "na.csv"), params)
    key_without = Key.from_files(write_key(tmp_path, full[~full["item"].isin(UNCALIBRATED)], "without.csv"), params)

    assert key_na.uncalibrated_ == UNCALIBRATED
    assert key_without.uncalibrated_ == ()
    assert key_na.items == key_without.items
    assert key_na.domain == key_without.domain
    a, b = dscore(inp, key_na, age="age"), dscore(inp, key_without, age="age")
    pd.testing.assert_frame_equal(a[COLUMNS], b[COLUMNS])
    # the answers to uncalibrated items are counted as ignored, not as part of n
    answered = int(inp[list(UNCALIBRATED)].notna().to_numpy().sum())
    assert answered > 0
    assert a.attrs["uncalibrated_responses"] == answered
    assert a.attrs["uncalibrated_items"] == UNCALIBRATED
    assert b.attrs["uncalibrated_responses"] == 0
    all_items = [c for c in inp.columns if c.startswith("zz1") and c in set(full["item"])]
    assert_array_equal(a["n"] + inp[list(UNCALIBRATED)].notna().sum(axis=1), inp[all_items].notna().sum(axis=1))


def test_itembank_key_reproduces_r_dscore(reference_dir_module, bank_key, inp):
    expected = pd.read_csv(reference_dir_module / "synthetic_itembank_dscore.csv", keep_default_na=False,
                           na_values=[""], dtype={"id": str}).set_index("id")
    out = dscore(inp, bank_key, age="age")
    assert bank_key.uncalibrated_ == UNCALIBRATED and len(bank_key.items) == 55
    assert_array_equal(out["n"], expected["n"])
    answered = out["n"].to_numpy() > 0
    assert_allclose(out["a"][answered], expected["a"][answered], rtol=0, atol=1e-12)
    for col, atol in (("p", 1e-12), ("d", 1e-9), ("sem", 1e-8)):
        got, want = out[col].to_numpy(float), expected[col].to_numpy(float)
        assert_array_equal(np.isnan(got), np.isnan(want), err_msg=col)
        ok = ~np.isnan(want)
        assert_allclose(got[ok], want[ok], rtol=0, atol=atol, err_msg=col)


def test_itembank_with_several_keys_loads_the_one_named(reference_dir_module, params, bank_key):
    other = Key.from_itembank(reference_dir_module / "synthetic_itembank.csv", key="zz_other", params=params)
    assert other.name == "zz_other" and bank_key.name == "zz_synthetic"
    assert other.uncalibrated_ == ()
    shared = [other.items.index(i) for i in bank_key.items]
    assert_allclose(other.tau[shared] - bank_key.tau, 7.0, atol=1e-9)
    with pytest.raises(ParameterError, match=r"'gsed2406' is not in .*zz_other.*zz_synthetic"):
        Key.from_itembank(reference_dir_module / "synthetic_itembank.csv", key="gsed2406", params=params)


def test_itembank_reads_tab_separated_files_and_dict_params(tmp_path, reference_dir_module, params, bank_key):
    import yaml

    bank = pd.read_csv(reference_dir_module / "synthetic_itembank.csv", dtype=str, keep_default_na=False)
    tsv = tmp_path / "bank.txt"
    bank.to_csv(tsv, sep="\t", index=False)
    as_dict = yaml.safe_load(params.read_text(encoding="utf-8"))
    as_dict.pop("reference")
    key = Key.from_itembank(tsv, key="zz_synthetic", params=as_dict)
    assert key.items == bank_key.items and key.uncalibrated_ == bank_key.uncalibrated_
    assert_allclose(key.tau, bank_key.tau)


def test_text_in_tau_is_refused_with_row_and_column(tmp_path, reference_dir_module, params):
    bank = pd.read_csv(reference_dir_module / "synthetic_itembank.csv", dtype=str, keep_default_na=False)
    row = int(np.flatnonzero(bank["key"] == "zz_synthetic")[3])
    bank.loc[row, "tau"] = "12,5"
    path = tmp_path / "bank.csv"
    bank.to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        Key.from_itembank(path, key="zz_synthetic", params=params)
    assert f"row {row + 2}, column 'tau': '12,5' is not a number" in str(err.value)
    key_csv = write_key(tmp_path, {"item": ["a1", "a2"], "tau": ["20", "hard"]})
    with pytest.raises(SchemaError, match=r"row 3, column 'tau': 'hard' is not a number"):
        Key.from_files(key_csv, params)


def test_itembank_without_key_column_is_refused(tmp_path, params):
    path = write_key(tmp_path, {"item": ["a1"], "tau": [20.0]})
    with pytest.raises(SchemaError, match=r"\['key'\] are missing"):
        Key.from_itembank(path, key="zz_synthetic", params=params)


def test_key_from_arrays_drops_missing_tau_but_not_infinite():
    key = Key(items=("a", "b", "c"), tau=np.array([10.0, np.nan, 30.0]), domain=("x", "y", "z"))
    assert key.items == ("a", "c") and key.domain == ("x", "z") and key.uncalibrated_ == ("b",)
    assert_array_equal(key.table()["item"], ["a", "c"])
    with pytest.raises(ParameterError, match="infinite"):
        Key(items=("a", "b"), tau=np.array([10.0, np.inf]))
    with pytest.raises(ParameterError, match="every tau is missing"):
        Key(items=("a",), tau=np.array([np.nan]))
    with pytest.raises(ParameterError, match="more than once"):
        Key(items=("a", "A"), tau=np.array([10.0, np.nan]))


def test_ignored_answers_are_matched_case_insensitively(bank_key):
    kids = pd.DataFrame({"age": [1.0, 1.0], "ZZ1SEC008": [1, None], "zz1moc030": [0, 1], "zz1moc001": [1, 1]})
    out = dscore(kids, bank_key)
    assert out["n"].tolist() == [1, 1]
    assert out.attrs["uncalibrated_responses"] == 3
    assert out.attrs["uncalibrated_items"] == ("ZZ1SEC008", "zz1moc030")


def test_references_select_population_and_key(tmp_path, reference_dir_module):
    bct = pd.read_csv(reference_dir_module / "synthetic_reference_bct.csv")
    lms = pd.read_csv(reference_dir_module / "synthetic_reference_lms.csv")
    table = pd.concat([
        bct.assign(population="zz_a", key="zz_synthetic"),
        lms.assign(population="zz_a", key="zz_other"),
        lms.assign(population="zz_b", key="zz_synthetic"),
    ], ignore_index=True)
    table["P50"] = table["mu"]  # builtin_references carries centile columns; they are ignored
    path = tmp_path / "references.csv"
    table.to_csv(path, index=False, na_rep="NA")

    chosen = Reference.from_csv(path, population="zz_a", key="zz_synthetic")
    single = Reference.from_csv(reference_dir_module / "synthetic_reference_bct.csv")
    assert chosen.distribution == "BCT" and (chosen.population, chosen.key) == ("zz_a", "zz_synthetic")
    assert_allclose(chosen.daz([40.0, 55.0], [0.5, 1.5]), single.daz([40.0, 55.0], [0.5, 1.5]))
    assert Reference.from_csv(path, population="zz_a", key="zz_other").distribution == "LMS"
    with pytest.raises(SchemaError, match="column 'key' holds several values"):
        Reference.from_csv(path, population="zz_a")
    with pytest.raises(ParameterError, match=r"'gsed2406' is not in .*zz_other"):
        Reference.from_csv(path, population="zz_a", key="gsed2406")


def test_reference_text_is_reported_at_its_file_row(tmp_path, reference_dir_module):
    lms = pd.read_csv(reference_dir_module / "synthetic_reference_lms.csv")
    table = pd.concat([lms.assign(population="zz_a"), lms.assign(population="zz_b")], ignore_index=True)
    table["mu"] = table["mu"].astype(object)
    table.loc[len(lms) + 4, "mu"] = "n/a"
    path = tmp_path / "references.csv"
    table.to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        Reference.from_csv(path, population="zz_b")
    assert f"row {len(lms) + 6}, column 'mu': 'n/a' is not a number" in str(err.value)
