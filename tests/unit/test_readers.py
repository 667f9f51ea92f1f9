"""Readers of foreign layouts (WDI, SDMX-CSV, GHO, wide yearbook tables) on SYNTHETIC fixtures.

Expected values are read off the fixture files in tests/fixtures/readers/ (see
its README); every bad input must be reported with the file, line and column
(or mapping key) the user has to fix.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from ecd.data._readers import LINE, TIDY_COLUMNS, get_reader, reader_names
from ecd.data._readers_yearbook import check_mapping, geo_of, names_zh
from ecd.data._schema import Context, validate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"


def read(fmt: str, path: Path, mapping: dict | None = None, **meta) -> tuple[pd.DataFrame, list[str]]:
    meta = {"citation": "SYNTHETIC fixture", "encoding": "utf-8", **meta}
    if mapping is not None:
        meta["mapping"] = mapping
    table = get_reader(fmt)(path, meta, path.name)
    return table.frame, table.failures


def mapping_of(name: str) -> dict:
    return yaml.safe_load((FIX / name).read_text(encoding="utf-8"))


def ctx_with(*extra_codes: str) -> Context:
    cur = Context.current()
    return Context(indicators=cur.indicators | set(extra_codes), signed_indicators=cur.signed_indicators,
                   over_100_indicators=cur.over_100_indicators, geos=cur.geos, max_year=cur.max_year)


def as_series(frame: pd.DataFrame, *key) -> dict:
    return {tuple(r[k] for k in key): float(r["value"]) for r in frame.to_dict("records")}


def test_every_format_is_registered():
    assert {"tidy_csv", "wdi_csv", "sdmx_csv", "who_gho", "yearbook_wide"} <= set(reader_names())


# --- World Bank WDI -----------------------------------------------------------------------------

def test_wdi_bulk_download_keeps_selected_countries_and_skips_empty_years():
    frame, failures = read("wdi_csv", FIX / "wdi_bulk.csv",
                           {"indicator_map": {"SH.DYN.MORT": "u5mr_igme"}, "geos": ["CHN", "JPN", "WLD"]})
    assert failures == []
    assert list(frame.columns[:7]) == list(TIDY_COLUMNS)
    assert set(frame["geo"]) == {"CHN", "JPN", "WLD"}  # Arab World (ARB) left out by mapping.geos
    assert len(frame) == 8 + 7 + 8  # Japan 2022 is empty
    values = as_series(frame, "geo", "year")
    assert values[("CHN", "2015")] == 10.7 and values[("WLD", "2022")] == 37.0
    assert ("JPN", "2022") not in values
    assert set(frame["unit"]) == {"per 1000 live births"}  # from the catalog entry of u5mr_igme
    assert frame.loc[frame["geo"] == "CHN", LINE].unique().tolist() == [7]  # header on line 5, ARB on 6
    _, problems = validate(frame, "wdi_bulk.csv", Context.current())
    assert problems == []


def test_wdi_databank_export_reads_yr_headers_and_dots():
    frame, failures = read("wdi_csv", FIX / "wdi_databank.csv",
                           {"indicator_map": {"SP.DYN.IMRT.IN": "imr_igme", "SH.DYN.NMRT": "nmr_igme"}})
    assert failures == []
    assert as_series(frame, "indicator", "year") == {("imr_igme", "2019"): 6.1, ("imr_igme", "2020"): 5.6,
                                                     ("nmr_igme", "2019"): 3.9, ("nmr_igme", "2020"): 3.5,
                                                     ("nmr_igme", "2021"): 3.2}


def test_wdi_unmapped_code_is_named_by_the_catalog_check():
    frame, failures = read("wdi_csv", FIX / "wdi_databank.csv")
    assert failures == []
    _, problems = validate(frame, "wdi_databank.csv", Context.current())
    assert problems[0].startswith('wdi_databank.csv line 2, column "indicator": \'SP.DYN.IMRT.IN\' is not in the indicator catalog')


def test_wdi_non_number_cell(tmp_path):
    p = tmp_path / "wdi.csv"
    p.write_text((FIX / "wdi_databank.csv").read_text(encoding="utf-8").replace(",3.5,", ",n/a,"), encoding="utf-8")
    _, failures = read("wdi_csv", p)
    assert failures == ['wdi.csv line 3, column "2020 [YR2020]": \'n/a\' is not a number (expected a numeric value '
                        'such as 12.5, or an empty cell / ".." for no data)']


def test_wdi_without_header_is_explained(tmp_path):
    p = tmp_path / "wdi.csv"
    p.write_text("country,year,value\nCHN,2020,5\n", encoding="utf-8")
    _, failures = read("wdi_csv", p)
    assert len(failures) == 1 and failures[0].startswith('wdi.csv: no header line with "Country Code"')


# --- UNICEF SDMX-CSV ----------------------------------------------------------------------------

def test_sdmx_keeps_sex_totals_maps_residence_and_bounds():
    frame, failures = read("sdmx_csv", FIX / "unicef_sdmx.csv", {"indicator_map": {"CME_MRY0T4": "u5mr_igme"}})
    assert failures == []
    assert len(frame) == 3 * 3 + 1  # (total, urban, rural) x 3 years for both sexes, plus Japan
    values = as_series(frame, "geo", "area", "year")
    assert values[("CHN", "total", "2019")] == 4.9
    assert values[("CHN", "urban", "2021")] == 2.6
    assert values[("CHN", "rural", "2020")] == 6.1
    row = frame[(frame["area"] == "rural") & (frame["year"] == "2020")].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == ("5.6", "6.7")
    assert frame.loc[frame["geo"] == "JPN", ["ci_low", "ci_high"]].iloc[0].tolist() == ["", ""]
    typed, problems = validate(frame, "unicef_sdmx.csv", Context.current())
    assert problems == [] and typed["ci_low"].isna().sum() == 1


def test_sdmx_keep_selects_another_disaggregation():
    frame, failures = read("sdmx_csv", FIX / "unicef_sdmx.csv",
                           {"indicator_map": {"CME_MRY0T4": "u5mr_igme"}, "keep": {"SEX": "F"}})
    assert failures == []
    assert as_series(frame, "area", "year")[("total", "2019")] == 4.7


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("OBS_VALUE:Observation Value", "VALUE"),
     "unicef.csv line 1 (header): missing column(s) ['OBS_VALUE']"),
    (lambda t: t.replace("_T: Total,2020,4.6", "_T: Total,2020-Q1,4.6"),
     'unicef.csv line 3, column "TIME_PERIOD:Time period": \'2020-Q1\' is not a year'),
    (lambda t: t.replace("_T: Total,2021,4.3", "_T: Total,2021,<5"),
     'unicef.csv line 4, column "OBS_VALUE:Observation Value": \'<5\' is not a number'),
])
def test_sdmx_problems_name_line_and_column(tmp_path, edit, expected):
    p = tmp_path / "unicef.csv"
    p.write_text(edit((FIX / "unicef_sdmx.csv").read_text(encoding="utf-8")), encoding="utf-8")
    _, failures = read("sdmx_csv", p)
    assert len(failures) == 1 and failures[0].startswith(expected), failures


def test_sdmx_keep_naming_an_absent_column():
    _, failures = read("sdmx_csv", FIX / "unicef_sdmx.csv", {"keep": {"AGE": "Y0T4"}})
    assert failures[0].startswith("unicef_sdmx.csv (.meta.yaml), field mapping.keep: column 'AGE' is not in the file")


# --- WHO GHO ------------------------------------------------------------------------------------

def test_gho_keeps_both_sexes_with_bounds():
    frame, failures = read("who_gho", FIX / "who_gho.csv", {"indicator_map": {"MDG_0000000007": "u5mr_igme"}})
    assert failures == []
    assert len(frame) == 6  # 2 countries x 3 years, SEX_BTSX only
    assert as_series(frame, "geo", "year") == {("CHN", "2018"): 8.0, ("CHN", "2019"): 7.5, ("CHN", "2020"): 7.0,
                                               ("THA", "2018"): 9.1, ("THA", "2019"): 8.6, ("THA", "2020"): 8.1}
    first = frame.iloc[0]
    assert (first["ci_low"], first["ci_high"], first[LINE]) == ("7.20", "8.90", 2)
    _, problems = validate(frame, "who_gho.csv", Context.current())
    assert problems == []


def test_gho_residence_dimension_becomes_area(tmp_path):
    text = (FIX / "who_gho.csv").read_text(encoding="utf-8")
    text = text.replace("SEX,SEX_MLE", "RESIDENCEAREATYPE,RESIDENCEAREATYPE_URB").replace(
        "SEX,SEX_FMLE", "RESIDENCEAREATYPE,RESIDENCEAREATYPE_RUR")
    p = tmp_path / "gho.csv"
    p.write_text(text, encoding="utf-8")
    frame, failures = read("who_gho", p, {"indicator_map": {"MDG_0000000007": "u5mr_igme"}})
    assert failures == [] and frame.groupby("area").size().to_dict() == {"rural": 6, "total": 6, "urban": 6}


def test_gho_bad_value_and_missing_columns(tmp_path):
    p = tmp_path / "gho.csv"
    p.write_text((FIX / "who_gho.csv").read_text(encoding="utf-8").replace(",8.0,7.20,", ",8.0*,7.20,", 1),
                 encoding="utf-8")
    _, failures = read("who_gho", p)
    assert failures == ['gho.csv line 2, column "NumericValue": \'8.0*\' is not a number (expected a numeric value '
                        'such as 12.5, or an empty cell / ".." for no data)']
    p.write_text("IndicatorCode,SpatialDim,Value\nX,CHN,1\n", encoding="utf-8")
    _, failures = read("who_gho", p)
    assert failures[0].startswith("gho.csv line 1 (header): missing column(s) ['TimeDim', 'NumericValue']")


# --- wide yearbook tables -----------------------------------------------------------------------

def test_yearbook_gbk_years_as_columns():
    frame, failures = read("yearbook_wide", FIX / "yearbook_births_gbk.csv",
                           mapping_of("yearbook_births_gbk.mapping.yaml"), encoding="gbk")
    assert failures == []
    values = as_series(frame, "geo", "year")
    # 北　京 (full-width space), 天津市, 内蒙古自治区, 广西壮族自治区, 西  藏 all resolve via the catalog names
    assert values[("CN-BJ", "2020")] == 17.4 and values[("CN-NM", "2022")] == 13.8
    assert values[("CN-GX", "2021")] == 52.9 and values[("CN-XZ", "2021")] == 5.6
    assert ("CN-XZ", "2022") not in values  # "…" is no data
    assert "CN" not in set(frame["geo"])  # the 合计 row is skipped by the mapping
    assert len(frame) == 17 and set(frame["unit"]) == {"万人"} and set(frame["area"]) == {"total"}
    assert frame.loc[frame["geo"] == "CN-BJ", LINE].unique().tolist() == [3]
    _, problems = validate(frame, "yearbook_births_gbk.csv", ctx_with("births_registered"))
    assert problems == []


def test_yearbook_regions_as_columns():
    frame, failures = read("yearbook_wide", FIX / "yearbook_regions_utf8.csv", mapping_of("yearbook_regions_utf8.mapping.yaml"))
    assert failures == []
    values = as_series(frame, "geo", "year")
    assert values == {("CN", "2020"): 96.8, ("CN-BJ", "2020"): 97.1, ("CN-SH", "2020"): 99.2, ("CN-GD", "2020"): 95.4,
                      ("CN", "2021"): 97.0, ("CN-BJ", "2021"): 97.4, ("CN-SH", "2021"): 99.3, ("CN-GD", "2021"): 95.9,
                      ("CN", "2022"): 97.3, ("CN-BJ", "2022"): 97.8, ("CN-SH", "2022"): 99.4}
    _, problems = validate(frame, "yearbook_regions_utf8.csv", Context.current())
    assert problems == []


def test_yearbook_gbk_file_declared_utf8_says_so():
    _, failures = read("yearbook_wide", FIX / "yearbook_births_gbk.csv", mapping_of("yearbook_births_gbk.mapping.yaml"))
    assert len(failures) == 1 and failures[0].startswith("yearbook_births_gbk.csv line 1: byte 0x")
    assert "declare `encoding: gbk`" in failures[0]


@pytest.mark.parametrize("change, expected", [
    ({"indicator": None}, "mapping key 'indicator': found None; expected a non-empty string"),
    ({"colour": "red"}, "mapping key 'colour': unknown key"),
    ({"geo_columns": "names_zh"}, "mapping key 'year_columns': give exactly one of year_columns"),
    ({"year_columns": "^\\d{4}$"}, "mapping key 'year_columns': '^\\\\d{4}$' has no group"),
    ({"year_columns": "^(\\d{4}"}, "mapping key 'year_columns': '^(\\\\d{4}' is not a regular expression"),
    ({"area": "city"}, "mapping key 'area': 'city'; expected one of total, urban, rural"),
    ({"geo": "CN"}, "mapping key 'geo_column': with year_columns give exactly one of geo_column"),
    ({"header_row": 0}, "mapping key 'header_row': 0; expected a line number ≥ 1"),
    ({"geo_map": "pinyin"}, "mapping key 'geo_map': 'pinyin'; expected names_zh, codes or {name: geo code}"),
])
def test_bad_mapping_names_the_key(change, expected):
    m = {**mapping_of("yearbook_births_gbk.mapping.yaml"), **change}
    _, failures = read("yearbook_wide", FIX / "yearbook_births_gbk.csv", m, encoding="gbk")
    assert len(failures) == 1
    assert failures[0].startswith("yearbook_births_gbk.csv (.meta.yaml), " + expected), failures


def test_yearbook_without_mapping():
    _, failures = read("yearbook_wide", FIX / "yearbook_births_gbk.csv", encoding="gbk")
    assert failures[0].startswith("yearbook_births_gbk.csv (.meta.yaml): format yearbook_wide needs a `mapping:`")


def _gbk_with(tmp_path, old: str, new: str) -> Path:
    p = tmp_path / "t.csv"
    p.write_bytes((FIX / "yearbook_births_gbk.csv").read_bytes().decode("gbk").replace(old, new).encode("gbk"))
    return p


@pytest.mark.parametrize("old, new, expected", [
    ("天津市,", "津门,", 't.csv line 4, column "地区": \'津门\' is not a region name the mapping knows; did you mean '
                        "天津 (CN-TJ)? (mapping key 'geo_map': add `津门: CN-TJ`, or list it in 'skip_rows')"),
    (",9.9,", ",9.9万,", 't.csv line 4, column "2021年": \'9.9万\' is not a number'),
    ("地区,", "省份,", "t.csv (.meta.yaml), mapping key 'geo_column': column '地区' is not in the header on line 2"),
])
def test_yearbook_bad_cells_name_line_and_header(tmp_path, old, new, expected):
    p = _gbk_with(tmp_path, old, new)
    _, failures = read("yearbook_wide", p, mapping_of("yearbook_births_gbk.mapping.yaml"), encoding="gbk")
    assert len(failures) == 1 and failures[0].startswith(expected), failures


def test_explicit_geo_map_and_area_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("地区,口径,2021\n京,城市,3.1\n京,农村,4.0\n", encoding="utf-8")
    m = {"indicator": "imr", "unit": "per 1000 live births", "geo_column": "地区", "geo_map": {"京": "CN-BJ"},
         "area_column": "口径", "area_map": {"城市": "urban", "农村": "rural"}, "year_columns": "^(\\d{4})$"}
    frame, failures = read("yearbook_wide", p, m)
    assert failures == [] and as_series(frame, "geo", "area") == {("CN-BJ", "urban"): 3.1, ("CN-BJ", "rural"): 4.0}
    p.write_text("地区,口径,2021\n京,镇,3.1\n", encoding="utf-8")
    _, failures = read("yearbook_wide", p, m)
    assert failures == ["t.csv line 2, column \"口径\": '镇' is not in mapping key 'area_map' (expected one of ['农村', '城市'])"]


def test_year_pattern_mismatch_when_regions_are_columns(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("年份,全国\n2020年,96.8\n注：…,\n", encoding="utf-8")
    _, failures = read("yearbook_wide", p, mapping_of("yearbook_regions_utf8.mapping.yaml"))
    assert failures[0].startswith("t.csv line 3, column \"年份\": '注：…' does not match mapping key 'year_pattern'")


def test_check_mapping_fills_defaults():
    m = check_mapping({"indicator": "births", "unit": "万人", "geo": "CN", "year_columns": "^(\\d{4})"}, "x")
    assert (m["area"], m["geo_map"], m["header_row"]) == ("total", "names_zh", 1)


def test_every_province_name_resolves_with_and_without_suffixes():
    from ecd.catalog import provinces

    p = provinces()
    for name, geo in zip(p["name_zh"], p["geo"]):
        assert geo_of(name, "names_zh") == geo
        assert geo_of(" ".join(name), "names_zh") == geo  # yearbooks pad short names with spaces
    assert geo_of("新疆维吾尔自治区", "names_zh") == "CN-XJ" and geo_of("上海市", "names_zh") == "CN-SH"
    assert geo_of("全国", "names_zh") == "CN" and geo_of("火星", "names_zh") is None
    assert len(set(names_zh().values())) == len(names_zh()) - 4  # 全国/中国 and the 地区 aliases are the only doubles


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is not None, reason="openpyxl installed: see the xlsx test")
def test_xlsx_without_openpyxl_says_what_is_missing(tmp_path):
    p = tmp_path / "t.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a workbook")
    _, failures = read("yearbook_wide", p, mapping_of("yearbook_regions_utf8.mapping.yaml"))
    assert failures == ["t.xlsx: reading .xlsx needs the openpyxl package, which is not installed (install it, or "
                        "save the sheet as CSV and declare its encoding)"]


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl not installed: see the test above")
def test_xlsx_is_read_like_csv(tmp_path):
    rows = [line.split(",") for line in (FIX / "yearbook_regions_utf8.csv").read_text(encoding="utf-8").splitlines()]
    p = tmp_path / "t.xlsx"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(p, index=False)
    frame, failures = read("yearbook_wide", p, mapping_of("yearbook_regions_utf8.mapping.yaml"))
    csv_frame, _ = read("yearbook_wide", FIX / "yearbook_regions_utf8.csv", mapping_of("yearbook_regions_utf8.mapping.yaml"))
    assert failures == [] and frame.drop(columns="source").equals(csv_frame.drop(columns="source"))


PROVINCES = sorted(names_zh())[:40]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_wide_to_tidy_round_trip(tmp_path_factory, data):
    """Whatever the table, the tidy rows are exactly its non-missing cells (pivoting back gives the table)."""
    from ecd.catalog import provinces

    names = data.draw(st.lists(st.sampled_from(sorted(provinces()["name_zh"])), min_size=1, max_size=6, unique=True))
    years = data.draw(st.lists(st.integers(1990, 2024), min_size=1, max_size=5, unique=True))
    cells = data.draw(st.lists(st.lists(st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2))),
                                        min_size=len(years), max_size=len(years)), min_size=len(names), max_size=len(names)))
    wide = pd.DataFrame(cells, index=names, columns=[f"{y}年" for y in years])
    encoding = data.draw(st.sampled_from(["utf-8", "gbk"]))
    p = tmp_path_factory.mktemp("wide") / "t.csv"
    p.write_bytes(wide.rename_axis("地区").reset_index().to_csv(index=False, na_rep="-").encode(encoding))
    frame, failures = read("yearbook_wide", p, {"indicator": "births", "unit": "万人", "geo_column": "地区",
                                                "year_columns": "^(\\d{4})年$"}, encoding=encoding)
    n_cells = int(wide.notna().sum().sum())
    if n_cells == 0:
        assert len(failures) == 1 and "no data rows" in failures[0]
        return
    assert failures == [] and len(frame) == n_cells
    back = frame.assign(value=frame["value"].astype(float), year=frame["year"].astype(int))
    code_to_name = dict(zip(provinces()["geo"], provinces()["name_zh"]))
    got = back.pivot(index="geo", columns="year", values="value").rename(index=code_to_name)
    want = wide.rename(columns=lambda c: int(c[:-1])).dropna(how="all").dropna(axis=1, how="all")
    pd.testing.assert_frame_equal(got.loc[want.index, want.columns], want, check_names=False, check_dtype=False)
    np.testing.assert_array_equal(np.sort(back["_line"].unique()) - 2,
                                  np.sort([names.index(n) for n in want.index]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), fmt=st.sampled_from([("sdmx_csv", "unicef_sdmx.csv"), ("who_gho", "who_gho.csv")]))
def test_export_rows_in_any_order_and_subset_give_the_same_observations(tmp_path_factory, data, fmt):
    """Each kept observation depends on its own line only: a shuffled subset gives the matching subset."""
    reader, name = fmt
    lines = (FIX / name).read_text(encoding="utf-8").splitlines()
    full, _ = read(reader, FIX / name)
    by_line = {int(r[LINE]): r for r in full.drop(columns="source").to_dict("records")}
    picked = data.draw(st.lists(st.integers(2, len(lines)), min_size=1, max_size=len(lines) - 1, unique=True))
    p = tmp_path_factory.mktemp("export") / name
    p.write_text("\n".join([lines[0]] + [lines[i - 1] for i in picked]) + "\n", encoding="utf-8")
    part, failures = read(reader, p)
    want = sorted((r["geo"], r["area"], r["year"], r["value"]) for i, r in by_line.items() if i in picked)
    got = sorted(zip(part["geo"], part["area"], part["year"], part["value"])) if len(part) else []
    assert got == want
    if want:
        assert failures == []
    else:  # only disaggregated rows picked: said, not silently empty
        assert len(failures) == 1 and failures[0].startswith(f"{name}: no data rows were found")
