"""Coverage and provenance of the national series gathered for issue 13 (births, 托育 supply).

Read straight from the raw files, so the assertions hold whatever the warehouse's
overlap preference later picks: every row names a publication described in its
sidecar, carries a known trust level, and the series cover the years the book needs.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from ecd.data._sidecar import TRUST_LEVELS

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
NEW_SOURCES = ("nbs_communique", "childcare_supply", "childcare_conference", "mch_resources", "mch_coverage", "census")
FILES = sorted(p for s in NEW_SOURCES for p in (RAW / s).glob("*.csv"))


def _rows(*sources):
    out = []
    for p in FILES:
        if p.parent.name in sources:
            out += list(csv.DictReader(p.open(encoding="utf-8")))
    return out


def _years(rows, indicator):
    return {int(r["year"]) for r in rows if r["indicator"] == indicator and r["geo"] == "CN"}


def test_every_new_source_has_files():
    assert {p.parent.name for p in FILES} == set(NEW_SOURCES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rows_resolve_to_a_described_publication(path):
    meta = yaml.safe_load(path.with_name(path.stem + ".meta.yaml").read_text(encoding="utf-8"))
    pubs, retrieved = meta["publications"], {r["publication"] for r in meta["retrievals"]}
    for line, row in enumerate(csv.DictReader(path.open(encoding="utf-8")), start=2):
        key = row["publication"]
        assert key in pubs and key in retrieved, f"{path.name} line {line}: publication {key!r}"
        assert row["trust"] in TRUST_LEVELS, f"{path.name} line {line}: trust {row['trust']!r}"
        assert row["source"].strip(), f"{path.name} line {line}: empty source"
    for key, pub in pubs.items():
        assert pub["author"] and pub["title"] and pub["type"] and pub["lang"] in ("zh", "en"), key


def test_births_cover_2013_to_2025_with_cbr_and_population():
    rows = _rows("nbs_communique")
    births = _years(rows, "births")
    assert set(range(2013, 2026)) <= births
    assert {2000, 2001, 2002, 2005, 2006, 2008, 2009, 2011} <= births
    assert {1999, 2003, 2010, 2012} <= births  # third batch (yearbook notes, People's Daily, NBS slide)
    assert set(range(2015, 2026)) | {1999, 2002, 2003, 2013} <= _years(rows, "crude_birth_rate")
    assert set(range(1990, 2000)) | {2002, 2003} <= _years(rows, "resident_population")


def test_third_batch_births_are_the_original_vintages_the_notes_cross_check():
    """The NBS slide's 2010/2012 births sit in a table whose other years equal the stored communiqué values."""
    rows = {(r["indicator"], int(r["year"])): r for r in _rows("nbs_communique") if r["geo"] == "CN"}
    assert float(rows["births", 2010]["value"]) == 1592 and float(rows["births", 2012]["value"]) == 1635
    assert [float(rows["births", y]["value"]) for y in (2011, 2013, 2014)] == [1604, 1640, 1687]
    assert rows["births", 2010]["trust"] == rows["births", 2012]["trust"] == "medium-low"
    assert float(rows["births", 2003]["value"]) == 1599 and float(rows["crude_birth_rate", 2003]["value"]) == 12.41


def test_every_year_without_births_is_named_in_a_gaps_record():
    """1990–2025: a year has a births row or a sidecar gap entry names it (where it was searched)."""
    births = _years(_rows("nbs_communique"), "births")
    gaps = " ".join(g for p in FILES if p.parent.name == "nbs_communique"
                    for g in yaml.safe_load(p.with_name(p.stem + ".meta.yaml").read_text(encoding="utf-8"))["gaps"])
    missing = [y for y in range(1990, 2026) if y not in births and str(y) not in gaps]
    assert missing == []
    assert "searched" in gaps


def test_childcare_slots_per_1000_cover_2020_and_2022_to_2025():
    rows = _rows("childcare_supply")
    assert {2020, 2022, 2023, 2024, 2025} <= _years(rows, "childcare_slots_u3_per_1000_pop")
    assert {2020, 2022, 2023, 2024, 2025} <= _years(rows, "childcare_slots_u3")
    assert {2020, 2022, 2024, 2025} <= _years(rows, "childcare_institutions")


def test_mch_coverage_2020_2021_rows():
    rows = _rows("mch_coverage")
    assert {2020, 2021, 2022} <= _years(rows, "sys_mgmt_rate_u3")
    assert {r["area"] for r in rows if r["indicator"] == "hospital_delivery_rate" and r["year"] == "2020"} == {
        "total", "urban", "rural"}


def test_conflicting_2022_childcare_values_stay_in_a_separate_source():
    bulletin = {r["indicator"]: float(r["value"]) for r in _rows("childcare_supply") if r["year"] == "2022"}
    conference = {r["indicator"]: float(r["value"]) for r in _rows("childcare_conference") if r["year"] == "2022"}
    assert bulletin["childcare_slots_u3_per_1000_pop"] == 2.57
    assert conference["childcare_slots_u3_per_1000_pop"] == 2.5
    assert all("CONFLICT" in r["note"] or "conflict" in r["note"] for r in _rows("childcare_conference")
               if r["indicator"] != "childcare_central_budget_investment")


def test_census_2010_2020_young_ages_cover_the_nation_and_every_province():
    """Age 0 and 1–4 for both censuses, nationally and in all 31 provinces; the provinces add up to the nation."""
    rows = [r for r in _rows("census") if r["year"] in ("2010", "2020")]
    for code in ("census_pop_age_0", "census_pop_age_1_4"):
        for year in ("2010", "2020"):
            got = {r["geo"]: int(r["value"]) for r in rows if r["indicator"] == code and r["year"] == year}
            assert len(got) == 32 and "CN" in got, (code, year)
            assert sum(v for g, v in got.items() if g != "CN") == got["CN"], (code, year)
    singles = {r["indicator"]: int(r["value"]) for r in rows if r["year"] == "2010" and r["geo"] == "CN"}
    assert singles["census_pop_age_1"] + singles["census_pop_age_2"] + singles["census_pop_age_3"] < singles[
        "census_pop_age_1_4"]
    assert {r["trust"] for r in rows if r["geo"] != "CN"} == {"medium-low"}

