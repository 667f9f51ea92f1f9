"""Overlaps and vintages: one row per key by the catalog's preference, differences listed, never averaged."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ecd.cli import main
from ecd.errors import ConfigError, DataError, ParameterError

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "readers"
KEY = ["indicator", "geo", "area", "year"]
# a second WDI vintage of u5mr_igme: SYNTHETIC values in the real export layout (tests/fixtures/readers/README.md)
VINTAGE = ["data", "add", str(FIX / "wdi_bulk.csv"), "--source", "wdi_2026", "--producer", "SYNTHETIC World Bank",
           "--citation", "SYNTHETIC WDI vintage", "--url", "tests/fixtures/readers", "--licence", "test fixture",
           "--trust", "low", "--publication", "ecd_test_fixture", "--publications", str(FIX / "publications.yaml")]


@pytest.fixture
def real_home(tmp_path, monkeypatch) -> Path:
    shutil.copytree(REPO / "data" / "raw", tmp_path / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def mapping(tmp_path) -> str:
    m = tmp_path / "m.yaml"
    m.write_text("indicator_map: {SH.DYN.MORT: u5mr_igme}\ngeos: [CHN, JPN]\n", encoding="utf-8")
    return str(m)


def test_a_differing_vintage_without_a_preference_is_refused(real_home, mapping, capsys):
    before = sorted(p.name for p in (real_home / "data/raw").rglob("*"))
    assert main([*VINTAGE, "--mapping", mapping]) == 2
    err = capsys.readouterr().err
    assert "nothing added" in err and "(u5mr_igme, CHN, total, 2020) differs between sources" in err
    assert "ecd data add --prefer" in err and "data/raw/wdi_mortality/intl_wdi_mortality.csv line" in err
    assert sorted(p.name for p in (real_home / "data/raw").rglob("*")) == before
    assert not (real_home / "catalog").exists()


def test_a_preferred_vintage_keeps_load_unique_and_lists_the_differences(real_home, mapping, capsys):
    import ecd.data

    old = ecd.data.load("u5mr_igme", geo="CHN", years=2020)
    assert main([*VINTAGE, "--mapping", mapping, "--prefer"]) == 0
    assert yaml.safe_load((real_home / "catalog/prefer-wdi_2026.yaml").read_text(encoding="utf-8")) == {
        "prefer": {"u5mr_igme": ["wdi_2026"]}}
    assert main(["data", "build"]) == 0
    df = ecd.data.load("u5mr_igme")
    assert not df.duplicated(KEY).any()
    chn = df[(df["geo"] == "CHN") & (df["year"] == 2020)]
    assert chn[["value", "source_id"]].values.tolist() == [[7.3, "wdi_2026"]]
    both = ecd.data.load("u5mr_igme", geo="CHN", years=2020, resolve="all")
    assert sorted(both["source_id"]) == ["wdi_2026", "wdi_mortality"] and old["value"].iloc[0] in set(both["value"])
    older = ecd.data.load("u5mr_igme", geo="CHN", years=2020, source="wdi_mortality")
    assert older[["value", "source_id"]].values.tolist() == old[["value", "source_id"]].values.tolist()
    c = ecd.data.conflicts("u5mr_igme")
    key2020 = c[(c["geo"] == "CHN") & (c["year"] == 2020)]
    assert key2020[["source_id", "chosen", "resolved"]].values.tolist() == [["wdi_2026", True, True],
                                                                             ["wdi_mortality", False, True]]
    capsys.readouterr()
    assert main(["data", "conflicts", "u5mr_igme"]) == 0
    out = capsys.readouterr().out
    import re

    assert re.search(r"^u5mr_igme\s+CHN\s+total\s+2020\s+wdi_2026\s+7\.3\s+ecd_test_fixture\s+\*\s+prefer$", out, re.M)
    assert re.search(r"^u5mr_igme\s+CHN\s+total\s+2020\s+wdi_mortality\s+\S+\s+wdi_2025_10\s+prefer$", out, re.M)
    assert "UNRESOLVED" not in out


def test_years_two_sources_agree_on_are_not_conflicts(real_home):
    import ecd.data

    c = ecd.data.conflicts()
    merged = ecd.data.load(list(c["indicator"].unique()) or "imr", resolve="all")
    for _, grp in c.groupby(KEY):
        assert grp["value"].nunique() > 1  # only keys whose values differ are listed
    assert len(merged) >= len(c)


def test_load_parameters_are_checked():
    import ecd.data

    with pytest.raises(ParameterError, match="'resolve': got 'mean'; expected one of prefer, all"):
        ecd.data.load("imr", resolve="mean")
    with pytest.raises(ParameterError, match="unknown source id 'nhc_oficial'; did you mean 'nhc_official'"):
        ecd.data.load("imr", source="nhc_oficial")


def test_user_catalog_prefer_is_checked(real_home):
    import ecd.data

    (real_home / "catalog").mkdir()
    (real_home / "catalog" / "p.yaml").write_text("prefer: {u5mr_igmee: [wdi_mortality]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="prefer.u5mr_igmee: 'u5mr_igmee' is not an indicator code; did you mean"):
        ecd.data.check()
    (real_home / "catalog" / "p.yaml").write_text("prefer: {u5mr_igme: wdi_mortality}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a non-empty list of source ids"):
        ecd.data.check()


def test_an_unresolved_overlap_names_both_rows(real_home):
    import ecd.data

    folder = real_home / "data/raw/synth_vintage"
    folder.mkdir()
    csv = folder / "v.csv"
    csv.write_text("indicator,geo,area,year,value,unit,source,publication\n"
                   "u5mr_igme,CHN,total,2020,99.9,per 1000 live births,SYNTHETIC,ecd_test_fixture\n", encoding="utf-8")
    from test_data_support import sidecar_for

    (folder / "v.meta.yaml").write_text(yaml.safe_dump(sidecar_for(csv), allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError) as e:
        ecd.data.check()
    msg = str(e.value)
    assert "data/raw/synth_vintage/v.csv line 2 (synth_vintage: 99.9)" in msg and "wdi_mortality" in msg
    assert "expected `prefer: [synth_vintage, wdi_mortality]`" in msg
