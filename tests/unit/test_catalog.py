"""The indicator and geography catalog: complete, consistent with the raw data, well-formed."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

import ecd.catalog as cat
from ecd.errors import ParameterError

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw"
DOMAINS = {"good_health", "adequate_nutrition", "responsive_caregiving", "early_learning", "security_safety",
           "services", "demography", "economy", "policy_target"}


def _rows(pattern: str) -> list[dict]:
    out = []
    for f in sorted(RAW.glob(pattern)):
        with open(f, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                out.append({**r, "source_id": f.parent.name})
    return out


# indicator rows only: the reference tables and the policy inventory (data/raw/policies) carry none
DATA = [r for r in _rows("*/*.csv") if r["source_id"] not in ("reference", "policies")]
ENTRIES = cat.indicator.__globals__["catalog_doc"]()["indicators"]


def test_every_code_in_the_data_is_catalogued_and_vice_versa():
    in_data = {r["indicator"] for r in DATA}
    assert in_data - set(ENTRIES) == set()
    assert set(ENTRIES) - in_data == set()


def test_sources_of_each_indicator_match_the_data():
    by_code: dict[str, set] = {}
    for r in DATA:
        by_code.setdefault(r["indicator"], set()).add(r["source_id"])
    for code, e in ENTRIES.items():
        assert set(e["sources"]) == by_code[code], code


def test_entries_are_well_formed():
    for code, e in ENTRIES.items():
        for field in ("name_zh", "name_en", "unit", "domain", "direction", "definition", "sources"):
            assert e.get(field), (code, field)
        assert e["domain"] in DOMAINS, code
        assert e["direction"] in {"favourable", "adverse", "neutral"}, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e["name_zh"]), code
        for ref in e.get("related", []):
            assert ref in ENTRIES, (code, ref)
        for d in e.get("differs_from", []):
            assert d["code"] in ENTRIES and d["how"], (code, d)
        if e["domain"] == "policy_target":
            assert e["comparison"] in {"max", "min", "min_reduction", "baseline"}, code
            assert e["target_of"] is None or ENTRIES[e["target_of"]]["domain"] != "policy_target", code
            assert code.startswith(e["policy"] + "_"), code
        else:
            assert "target_of" not in e, code


def test_targets_are_exactly_the_policy_target_rows():
    rows = _rows("policy_targets/*.csv")
    expected = {}
    for r in rows:
        e = ENTRIES[r["indicator"]]
        if e["target_of"] and e["comparison"] != "baseline":
            expected.setdefault(e["target_of"], []).append(
                (r["indicator"], r["geo"], int(r["year"]), float(r["value"]), r["unit"], e["comparison"]))
    got = {
        code: [(t["code"], t["geo"], t["year"], t["value"], t["unit"], t["comparison"]) for t in e.get("targets", [])]
        for code, e in ENTRIES.items() if e.get("targets")
    }
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in expected.items()}
    for e in ENTRIES.values():
        for t in e.get("targets", []):
            assert t["policy"] == ENTRIES[t["code"]]["policy"]


def test_national_mortality_targets_are_listed():
    imr = cat.indicator("imr")
    targets = {(t["code"], t["year"], t["value"], t["comparison"]) for t in imr["targets"]}
    assert ("ncpd2030_target_max_imr", 2030, 5.0, "max") in targets
    assert ("hcaip2025_target_max_imr", 2025, 5.2, "max") in targets


def test_official_and_modelled_indicators_stay_distinct_and_say_how_they_differ():
    for official, modelled in (("imr", "imr_igme"), ("nmr", "nmr_igme"), ("u5mr", "u5mr_igme"), ("mmr", "mmr_mmeig")):
        a, b = cat.indicator(official), cat.indicator(modelled)
        assert a["sources"] != b["sources"]
        assert modelled in {d["code"] for d in a["differs_from"]}
        assert official in {d["code"] for d in b["differs_from"]}
        assert "model" in " ".join(d["how"] for d in a["differs_from"]).lower()


def test_indicators_frame():
    df = cat.indicators()
    assert list(df.columns[:7]) == ["code", "name_zh", "name_en", "unit", "domain", "direction", "definition"]
    assert df["code"].is_unique and len(df) == len(ENTRIES)
    targets = df[df["domain"] == "policy_target"]
    assert targets["comparison"].notna().all()
    assert df.set_index("code").loc["imr", "n_targets"] == len(ENTRIES["imr"]["targets"])


def test_unknown_indicator_suggests_close_matches():
    with pytest.raises(ParameterError, match=r"unknown indicator code 'imrr'.*did you mean 'imr'"):
        cat.indicator("imrr")


def test_provinces_match_the_raw_reference_table():
    with open(RAW / "reference" / "province_codes.csv", encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    p = cat.provinces()
    assert len(p) == 31 and p["geo"].is_unique and p["gb2260"].is_unique
    assert p.to_dict("records") == [
        {"geo": r["geo"], "gb2260": r["gb2260"], "name_zh": r["name_zh"], "name_en": r["name_en"],
         "region": r["region_3"].lower()} for r in raw]
    assert all(isinstance(g, str) and len(g) == 6 for g in p["gb2260"])
    assert set(p["region"]) == {"east", "central", "west"}


def test_every_geo_in_the_data_is_known():
    known = cat.known_geos()
    assert {r["geo"] for r in DATA} <= known
    assert {"CN", "CN-EAST", "CN-CENTRAL", "CN-WEST", "WLD"} <= known


def test_geo_names():
    assert cat.geo_name("CHN") == "中国"
    assert cat.geo_name("IND") == "印度" and cat.geo_name("JPN") == "日本"
    assert cat.geo_name("CN-EAST", lang="en") == "East China"
    assert cat.geo_name("CN-NM") == "内蒙古"
    with pytest.raises(ParameterError, match="did you mean 'CN-GD'"):
        cat.geo_name("CN-GDD")
    with pytest.raises(ParameterError, match="lang"):
        cat.geo_name("CN", lang="fr")
    g = cat.geos()
    assert g["geo"].is_unique
    assert set(g["level"]) == {"country", "region", "world", "province"}


def test_returned_objects_are_copies():
    e = cat.indicator("imr")
    e["targets"].clear()
    assert cat.indicator("imr")["targets"]


def test_every_indicator_says_its_kind_and_chinese_unit():
    for code, e in ENTRIES.items():
        assert e.get("kind") in cat.KINDS, code
        assert (e["kind"] == "target") == (e["domain"] == "policy_target"), code
        u = e.get("unit_zh")
        assert isinstance(u, str) and u.strip(), code
        assert not any("a" <= ch.lower() <= "z" for ch in u), (code, u)  # a Chinese unit, no English words
        assert cat.KIND_ZH[e["kind"]]


def test_every_target_says_the_kind_of_data_it_was_set_on():
    for code, e in ENTRIES.items():
        if e["domain"] == "policy_target":
            assert e.get("set_on") in set(cat.KINDS) - {"target"}, code
        for t in e.get("targets", []):
            assert t.get("kind") in set(cat.KINDS) - {"target"}, (code, t["code"])
            assert t["kind"] == ENTRIES[t["code"]]["set_on"], (code, t["code"])  # one judgement, two views


def test_kind_and_unit_accessors():
    assert cat.kind("ebf_rate_0_5m") == "routine" and cat.kind("ebf_rate_0_5m_wdi") == "survey"
    assert cat.unit_zh("u5mr") == "‰" and cat.unit_zh("mmr", after_number=True) == "/10万"
    assert cat.unit_zh("births") == "万人"
    df = cat.indicators().set_index("code")
    assert df.loc["anemia_u5_who", "kind"] == "modelled" and df.loc["nmr", "unit_zh"] == "‰"


def test_user_catalog_kind_is_checked(tmp_path, monkeypatch):
    from ecd.errors import ConfigError

    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "mine.yaml").write_text(
        "indicators:\n  my_rate:\n    name_zh: 我的率\n    name_en: My rate\n    unit: percent\n    domain: services\n"
        "    direction: favourable\n    definition: A rate.\n    kind: guess\n", encoding="utf-8")
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match=r"mine.yaml: indicators.my_rate.kind: 'guess'; expected one of survey"):
        cat.indicator("my_rate")
