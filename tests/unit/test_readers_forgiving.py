"""Issue 17: readers that forgive what yearbooks print and say once what they cannot read.

Each case is a SYNTHETIC table as a researcher would bring it (a GBK or UTF-8 yearbook table with a
title line, full-width digits, thousands separators, a footnote) read through ``ecd data add`` or the
reader itself: it parses, or fails with one message per problem naming the user's own file.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_readers_add import FIELDS, FIX, home, tree  # noqa: F401  (home is a fixture)

from ecd.cli import main
from ecd.data._readers import get_reader
from ecd.errors import ParameterError

# a yearbook table as printed: title line, padded names, full-width digits, a thousands separator, a total
# row and a note under the table (SYNTHETIC values)
TABLE = """表 3-1 各地区户籍出生人口（万人）,,,
地区,2020年,2021年,２０２２年
北　京,17.4,14.2,13.9
天津市,１０．６,9.9,8.8
河北省,"1,083.1",70.3,64.0
合计,1111.1,94.4,86.7
注：本表数据为SYNTHETIC示例。,,,
资料来源：SYNTHETIC。
"""
MAPPING = {"indicator": "sys_mgmt_rate_u3", "unit": "percent", "header_row": 2, "geo_column": "地区",
           "year_columns": "^(\\d{4})年?$", "skip_rows": ["合计"]}


def read(path: Path, mapping: dict, encoding: str = "utf-8"):
    t = get_reader("yearbook_wide")(path, {"mapping": mapping, "encoding": encoding, "citation": "SYNTHETIC"}, path.name)
    return t.frame, t.failures


def table(tmp_path: Path, text: str = TABLE, name: str = "出生人口.csv", encoding: str = "gbk") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_thousands_full_width_and_notes_are_read_with_the_declared_options(tmp_path):
    p = table(tmp_path)
    frame, failures = read(p, {**MAPPING, "thousands": ",", "skip_rows_matching": ["^注", "资料来源"]}, "gbk")
    assert failures == []
    got = {(g, int(y)): float(v) for g, y, v in zip(frame["geo"], frame["year"], frame["value"])}
    assert got[("CN-HE", 2020)] == 1083.1            # "1,083.1" with thousands: ","
    assert got[("CN-TJ", 2020)] == 10.6               # full-width "１０．６"
    assert got[("CN-BJ", 2022)] == 13.9               # full-width header "２０２２年"
    assert len(frame) == 9                            # 合计 and both footer lines left out
    # the full-width cell is recorded, as printed, in the row's note (provenance)
    note = frame.loc[(frame["geo"] == "CN-TJ") & (frame["year"] == "2020"), "note"].item()
    assert note == 'column "2020年": \'１０．６\' read as 10.6 (full-width characters)'
    assert set(frame.loc[frame["geo"] == "CN-BJ", "note"]) == {""}


def test_without_the_options_each_problem_is_said_once_with_its_fix(tmp_path):
    p = table(tmp_path)
    frame, failures = read(p, {**MAPPING, "skip_rows": ["合计", "注"]}, "gbk")
    assert failures == [
        '出生人口.csv line 5, column "2020年": \'1,083.1\' is not a number (it has thousands separators: declare them '
        'with mapping key \'thousands\' (thousands: ",") to read it as 1083.1)',
        '出生人口.csv line 7, column "地区": \'注：本表数据为SYNTHETIC示例。\' looks like a note or footer, not a region: '
        'leave such rows out with mapping key skip_rows_matching: ["^注"] (skip_rows \'注\' matches whole cells only)',
        "出生人口.csv line 8: 1 field ('资料来源：SYNTHETIC。') but the header has 4 — a note or footnote line inside the "
        'table? (expected one field per column; leave such rows out with mapping key skip_rows_matching: ["^资料来源"])',
    ]


def test_a_misspelled_region_gets_the_catalog_name_to_use(tmp_path):
    p = table(tmp_path, TABLE.replace("天津市", "新彊维吾尔自治区"))
    _, failures = read(p, {**MAPPING, "thousands": ",", "skip_rows_matching": ["^注", "^资料来源"]}, "gbk")
    assert failures == ['出生人口.csv line 4, column "地区": \'新彊维吾尔自治区\' is not a region name the mapping knows; '
                        "did you mean 新疆 (CN-XJ)? (mapping key 'geo_map': add `新彊维吾尔自治区: CN-XJ`, or list it "
                        "in 'skip_rows')"]


def test_a_misspelled_mapping_key_gets_a_did_you_mean_and_hides_nothing(tmp_path):
    p = table(tmp_path, TABLE.replace("天津市", "新彊维吾尔自治区"))
    m = {**{k: v for k, v in MAPPING.items() if k != "geo_column"}, "geo_colum": "地区", "thousand": ",",
         "skip_rows_matching": ["^注", "^资料来源"]}
    frame, failures = read(p, m, "gbk")
    assert failures[:2] == [
        "出生人口.csv (.meta.yaml), mapping key 'geo_colum': unknown key; did you mean 'geo_column'? (the table was "
        "read as if it were, to report any other problem now)",
        "出生人口.csv (.meta.yaml), mapping key 'thousand': unknown key; did you mean 'thousands'? (the table was read "
        "as if it were, to report any other problem now)"]
    # … and the table's own problem is reported in the same run
    assert len(failures) == 3 and "新彊维吾尔自治区" in failures[2] and "did you mean 新疆 (CN-XJ)" in failures[2]


def test_a_mapping_problem_that_stops_reading_still_lists_every_mapping_problem(tmp_path):
    p = table(tmp_path)
    _, failures = read(p, {**MAPPING, "area": "city", "header_row": 0, "skip_rows_matching": "^注"}, "gbk")
    assert [f.split(": ", 1)[0] for f in failures] == [
        "出生人口.csv (.meta.yaml), mapping key 'area'", "出生人口.csv (.meta.yaml), mapping key 'header_row'",
        "出生人口.csv (.meta.yaml), mapping key 'skip_rows_matching'"]


def test_tidy_csv_reads_full_width_numbers_and_keeps_them_in_the_note(home, tmp_path):
    p = tmp_path / "tidy.csv"
    p.write_text("indicator,geo,area,year,value,unit,source\n"
                 "sys_mgmt_rate_u3,CN-BJ,total,２０２０,９５．５,percent,SYNTHETIC\n"
                 "sys_mgmt_rate_u3,CN-BJ,total,2021,96.0,percent,SYNTHETIC\n", encoding="utf-8")
    assert main(["data", "add", str(p), "--source", "fw_demo", *FIELDS]) == 0
    assert main(["data", "build"]) == 0
    import ecd.data

    df = ecd.data.load("sys_mgmt_rate_u3", geo="CN-BJ", source="fw_demo")
    assert df[["year", "value"]].values.tolist() == [[2020, 95.5], [2021, 96.0]]
    assert df["note"].tolist()[0] == "year '２０２０' read as 2020 (full-width characters); value '９５．５' read as 95.5 " \
                                     "(full-width characters)"


def test_a_yearbook_table_without_mapping_is_recognised(home, tmp_path, capsys):
    p = table(tmp_path)
    before = tree(home)
    assert main(["data", "add", str(p), "--source", "demo", *FIELDS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # one message, not the tidy reader's three
    assert err[0].startswith(f"ecd: error: parameter '--mapping': {p} looks like a yearbook table (years as columns "
                             f"on line 2 (2020年, 2021年, ２０２２年); region names in the first column")
    assert "pass --mapping MAPPING.yaml" in err[0]
    assert tree(home) == before


def test_an_unknown_layout_asks_for_the_format(home, tmp_path, capsys):
    p = tmp_path / "x.csv"
    p.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"cannot tell the format of .*x\.csv: its first line \['a', 'b', 'c'\]"):
        from ecd.data._add import add

        add(p, "demo", fields={"producer": "p", "citation": "c", "url": "u", "licence": "l", "trust": "low"},
            publication="ecd_test_fixture", publications=FIX / "publications.yaml")


def test_errors_name_the_users_file_and_mapping_and_a_new_code_gets_its_entry_once(home, tmp_path, capsys):
    p = table(tmp_path)
    mapping = tmp_path / "births.mapping.yaml"
    mapping.write_text(yaml.safe_dump({**MAPPING, "indicator": "births_registered_demo", "unit": "万人",
                                       "skip_rows_matching": ["^注", "^资料来源"]}, allow_unicode=True), encoding="utf-8")
    before = tree(home)
    assert main(["data", "add", str(p), "--source", "demo", "--mapping", str(mapping), *FIELDS]) == 2
    err = capsys.readouterr().err
    assert "data/raw/demo" not in err
    assert f'{p} line 5, column "2020年": \'1,083.1\' is not a number' in err
    # the new code: one failure line for all its rows, and the user-catalog entry once, at the end
    lines = [x for x in err.splitlines() if "'births_registered_demo' is not in the indicator catalog" in x]
    assert len(lines) == 1 and lines[0].startswith(f"  - {p} line 3, mapping key 'indicator' ({mapping})")
    assert "the same on line(s) 4, 5 (3 lines in all)" in lines[0]
    assert err.count("indicators:\n  births_registered_demo:") == 1
    assert err.rstrip().endswith("then run `ecd data add` again.")
    assert tree(home) == before


def test_many_rows_of_a_new_code_give_one_line_and_one_entry(home, tmp_path, capsys):
    rows = [f"new_code_x,CN,total,{1977 + i},{i}.5,percent,SYNTHETIC" for i in range(48)]
    p = tmp_path / "many.csv"
    p.write_text("indicator,geo,area,year,value,unit,source\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["data", "add", str(p), "--source", "many", *FIELDS]) == 2
    err = capsys.readouterr().err
    assert err.count("new_code_x") <= 3  # the summary, the entry's key — not 48 lines
    assert err.count("indicators:") == 1 and "unit: percent" in err


def test_an_indicator_typo_gets_the_code_it_meant(tmp_path):
    from ecd.data._readers import TEXT_COLUMNS, TIDY_COLUMNS, read_csv_cells
    from ecd.data._schema import Context, validate

    t = read_csv_cells("indicator,geo,area,year,value,unit,source\nimrr,CN,total,2020,5.4,per 1000 live births,x\n"
                       "imrr,北京,total,2021,5.0,per 1000 live births,x\n", "t.csv", TIDY_COLUMNS, TEXT_COLUMNS)
    _, failures = validate(t.frame, "t.csv", Context.current())
    assert failures[0].startswith('t.csv line 2, column "indicator": \'imrr\' is not in the indicator catalog')
    assert "did you mean 'imr'" in failures[0] and "the same on line(s) 3 (2 lines in all)" in failures[0]
    assert failures[1].startswith('t.csv line 3, column "geo": \'北京\' is not a known geo code')
    assert failures[1].endswith("'北京' is the place CN-BJ: write the code)")


def test_load_accepts_chinese_place_names(home):
    assert main(["data", "add", str(FIX / "yearbook_regions_utf8.csv"), "--source", "regions_demo",
                 "--mapping", str(FIX / "yearbook_regions_utf8.mapping.yaml"), "--prefer", *FIELDS]) == 0
    import ecd.data

    by_code = ecd.data.load("sys_mgmt_rate_u3", geo="CN-BJ", source="regions_demo")
    assert len(by_code) == 3
    for name in ("北京", "北京市", "北　京", "Beijing"):
        df = ecd.data.load("sys_mgmt_rate_u3", geo=name, source="regions_demo")
        assert df.equals(by_code), name
    both = ecd.data.load("sys_mgmt_rate_u3", geo=["上海市", "广东省"], source="regions_demo")
    assert sorted(set(both["geo"])) == ["CN-GD", "CN-SH"]
    with pytest.raises(ParameterError, match=r"unknown geo code '新彊维吾尔自治区' .*did you mean 新疆 \(CN-XJ\)\?"):
        ecd.data.load("sys_mgmt_rate_u3", geo="新彊维吾尔自治区")
    with pytest.raises(ParameterError, match=r"did you mean 北京 \(CN-BJ\)"):
        ecd.data.load("sys_mgmt_rate_u3", geo="北亰")


def test_geo_code_of_every_province_name_spelling():
    import ecd.catalog

    p = ecd.catalog.provinces()
    for code, name, en in zip(p["geo"], p["name_zh"], p["name_en"]):
        assert ecd.catalog.geo_code(name) == code
        assert ecd.catalog.geo_code(code) == code
        assert ecd.catalog.geo_code(en) == code
    assert ecd.catalog.geo_code("全国") == "CN" and ecd.catalog.geo_code("宁夏回族自治区") == "CN-NX"
    with pytest.raises(ParameterError, match="unknown place .火星."):
        ecd.catalog.geo_code("火星")
