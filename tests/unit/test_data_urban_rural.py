"""Urban/rural MCH mortality and child-nutrition series (issue 13): coverage, provenance, agreement.

These tests read the repository's own raw files (data/raw/mch_surveillance, cnhs, mch_routine) and the
warehouse built from a copy of them, so they fail when a row loses its publication, when a new vintage
silently disagrees with nhc_official, or when the urban/rural coverage falls below what the book needs.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ecd.catalog as cat
import ecd.data

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw"
NEW = ("mch_surveillance", "cnhs", "mch_routine")
MORTALITY = ["nmr", "imr", "u5mr", "mmr"]
KEY = ["indicator", "geo", "area", "year"]


def _files(source: str) -> list[Path]:
    return sorted((RAW / source).glob("*.csv"))


def _raw(source: str) -> pd.DataFrame:
    return pd.concat([pd.read_csv(f, dtype={"year": int, "value": float}) for f in _files(source)], ignore_index=True)


def _meta(path: Path) -> dict:
    return yaml.safe_load(path.with_name(path.stem + ".meta.yaml").read_text(encoding="utf-8"))


def _all_publications() -> dict:
    pubs: dict = {}
    for f in RAW.glob("*/*.meta.yaml"):
        pubs.update(yaml.safe_load(f.read_text(encoding="utf-8")).get("publications") or {})
    return pubs


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(RAW, home / "data" / "raw")
    mp = pytest.MonkeyPatch()
    mp.setenv("ECD_HOME", str(home))
    ecd.data.build()
    yield home
    mp.undo()


@pytest.mark.parametrize("source", NEW)
def test_every_row_names_a_complete_publication_and_a_trust(source):
    known = _all_publications()  # keys are global: a row may use a key defined in another sidecar
    retrieved = {r["publication"] for s in NEW for p in _files(s) for r in _meta(p)["retrievals"]}
    for path in _files(source):
        df, meta = pd.read_csv(path), _meta(path)
        assert set(df["publication"]) <= set(known), set(df["publication"]) - set(known)
        assert set(df["publication"]) <= retrieved, "a publication read without a recorded retrieval"
        own = meta.get("publications") or {}
        assert set(own) <= set(_raw(source)["publication"]), "a publication without rows"
        for key in set(df["publication"]):
            for field in ("type", "author", "title", "year", "lang"):
                assert known[key].get(field) not in (None, "", []), (key, field)
        assert set(df["trust"]) <= {"high", "medium-high", "medium", "medium-low", "low"}
        assert df["source"].str.strip().ne("").all()


def test_a_publication_shared_by_two_sidecars_carries_identical_fields():
    seen: dict[str, dict] = {}
    for source in NEW:
        for path in _files(source):
            for key, pub in (_meta(path).get("publications") or {}).items():
                assert seen.setdefault(key, pub) == pub, key


def test_urban_rural_mortality_covers_at_least_ten_years_1991_2024(warehouse):
    df = ecd.data.load(MORTALITY, geo="CN", area=["urban", "rural"], years=(1991, 2024))
    both = df.groupby(["indicator", "year"])["area"].nunique()
    years = sorted({year for (_, year), n in both.items() if n == 2})
    assert len(years) >= 10, years
    # the surveillance papers and reports added here, not only the bulletins already in nhc_official
    assert {2000, 2006, 2010, 2016, 2017, 2018} <= set(years)
    assert df.groupby(KEY).size().max() == 1  # one row per key after the catalog's preference


def test_new_mortality_rows_agree_with_nhc_official_except_the_flagged_1990_mmr():
    old = pd.read_csv(RAW / "nhc_official" / "cn_national_mch_official.csv", dtype={"year": int, "value": float})
    old = old[old["indicator"].isin(MORTALITY)]
    for name in ("cn_mch_mortality_urban_rural", "cn_mch_u5mr_2017_bulletin"):
        points = pd.read_csv(RAW / "mch_surveillance" / f"{name}.csv", dtype={"year": int})
        assert points.merge(old, on=KEY).empty  # these only add keys; second publications live in their own file
    both = _raw("mch_surveillance").merge(old, on=KEY, suffixes=("_new", "_old"))
    differ = both[both["value_new"] != both["value_old"]]
    assert differ[KEY].values.tolist() in ([], [["mmr", "CN", "total", 1990]])
    assert differ["note"].str.contains("CONFLICT").all()
    assert (differ["value_old"] == 88.8).all() and (differ["value_new"] == 88.9).all()
    for code in MORTALITY:
        # the official series wins over the surveillance papers; only an NHC bulletin re-read for a value
        # nhc_official cites from a lesser publication (MMR 2015, nhc_bulletin_extra) may come first
        prefer = cat.indicator(code)["prefer"]
        assert prefer.index("nhc_official") < prefer.index("mch_surveillance"), code
        assert set(prefer[: prefer.index("nhc_official")]) <= {"nhc_bulletin_extra"}, code


def test_the_1990_mmr_conflict_is_listed_and_resolved_to_nhc_official(warehouse):
    conflicts = ecd.data.conflicts(["nmr", "imr", "u5mr", "mmr"])
    assert conflicts[KEY].drop_duplicates().values.tolist() == [["mmr", "CN", "total", 1990]]
    chosen = conflicts[conflicts["chosen"]]
    assert chosen[["source_id", "value"]].values.tolist() == [["nhc_official", 88.8]]
    assert set(conflicts["value"]) == {88.8, 88.9}
    # every overlapping key resolves to one row, and the cross-check rows stay reachable on request
    total = ecd.data.load(MORTALITY, geo="CN", area="total")
    assert total.groupby(KEY).size().max() == 1
    both = ecd.data.load("mmr", geo="CN", area="total", years=(1990, 1990), resolve="all")
    assert sorted(both["value"]) == [88.8, 88.9]


def test_strata_codes_keep_their_area_and_are_survey_data():
    df = _raw("cnhs")
    strata = df[df["indicator"].str.contains(r"_u6_survey_")]
    assert len(strata) == 12
    city = strata["indicator"].str.endswith("_city")
    assert (strata.loc[city, "area"] == "urban").all() and (strata.loc[~city, "area"] == "rural").all()
    for code in df["indicator"].unique():
        assert cat.kind(code) == "survey", code
    for code in _raw("mch_routine")["indicator"].unique():
        assert cat.kind(code) == "routine", code
    for code in _raw("mch_surveillance")["indicator"].unique():
        assert cat.kind(code) == "surveillance", code


def test_survey_and_routine_breastfeeding_stay_distinct_indicators(warehouse):
    survey = ecd.data.load("ebf_0_5m_survey", geo="CN", years=(2013, 2013))
    routine = ecd.data.load("ebf_rate_0_5m", geo="CN", years=(2013, 2013))
    assert survey.set_index("area")["value"].to_dict() == {"rural": 22.3, "total": 20.8, "urban": 19.6}
    assert routine["value"].tolist() == [75.3]
    assert "ebf_rate_0_5m" in {d["code"] for d in cat.indicator("ebf_0_5m_survey")["differs_from"]}
