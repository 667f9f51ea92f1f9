"""Input that shifts, mixes or bypasses checks is refused (issue 16, "silently wrong").

Each case puts one file into an otherwise valid home with a built warehouse and
asserts: ``ecd data build`` exits 2, the message names the file, the line and
what was found and expected, and the previous warehouse is byte-identical.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from ecd.cli import main
from ecd.data import build, load
from ecd.errors import DuplicateKeyError, SchemaError

from test_data_support import _built_template, built_home, sha256, sidecar_for, snapshot  # noqa: F401

HEAD = "indicator,geo,area,year,value,unit,source\n"


def put(home: Path, name: str, text: str | bytes, source: str = "testsrc", **meta) -> str:
    """Write a raw file and its sidecar (correct sha256 unless ``meta`` overrides it); return its label."""
    target = home / "data" / "raw" / source / name
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.write_bytes if isinstance(text, bytes) else lambda t: target.write_text(t, encoding="utf-8"))(text)
    side = sidecar_for(target, **meta)
    target.with_name(target.stem + ".meta.yaml").write_text(yaml.safe_dump(side, allow_unicode=True, sort_keys=False),
                                                            encoding="utf-8")
    return f"data/raw/{source}/{name}"


def refused(home: Path, capsys, *fragments: str) -> str:
    """``ecd data build`` exits 2 naming every fragment; the warehouse is untouched. Returns the message."""
    before = snapshot(home / "data" / "processed")
    assert before
    assert main(["data", "build"]) == 2
    err = capsys.readouterr().err
    for frag in fragments:
        assert frag in err, f"{frag!r} not in:\n{err}"
    assert snapshot(home / "data" / "processed") == before
    return err


# --------------------------------------------------------------------------- 1. row width, every reader

YEARBOOK = {"format": "yearbook_wide", "mapping": {"indicator": "births", "unit": "万人", "geo_column": "地区",
                                                   "year_columns": "^(\\d{4})年?$"}}


def test_yearbook_row_with_more_fields_than_the_header_is_refused(built_home, capsys):
    # the tester's reproduction: stored 2019 = 1.0, 2020 = 234.0 with exit 0
    label = put(built_home, "yb.csv", "地区,2019年,2020年\n北京,15.1,14.0\n上海,1,234,16.0\n", **YEARBOOK)
    refused(built_home, capsys, f"{label} line 3: 4 fields but the header has 3",
            "values would shift into the wrong columns", "must be quoted")


def test_yearbook_short_row_is_refused_not_padded(built_home, capsys):
    label = put(built_home, "yb.csv", "地区,2019年,2020年\n北京,15.1,14.0\n上海,16.0\n", **YEARBOOK)
    refused(built_home, capsys, f"{label} line 3: 2 fields but the header has 3", "would be read as empty")


def test_yearbook_footnote_line_is_named_as_such(built_home, capsys):
    label = put(built_home, "yb.csv", "地区,2019年,2020年\n北京,15.1,14.0\n注：本表为SYNTHETIC数据\n", **YEARBOOK)
    err = refused(built_home, capsys, f"{label} line 3: 1 field ('注：本表为SYNTHETIC数据')", "note or footnote line",
                  "skip_rows")
    assert "a comma inside a value must be quoted" not in err


def test_yearbook_year_error_names_the_header_the_user_sees(built_home, capsys):
    label = put(built_home, "yb.csv", "地区,1899年,2020年\n北京,15.1,14.0\n", **YEARBOOK)
    refused(built_home, capsys, f'{label} line 2, column "1899年" (header): \'1899\' is out of range')


def test_repeated_header_row_is_named_not_offered_as_a_new_indicator(built_home, capsys):
    text = HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\n" + HEAD + "imr,CN,total,2021,5.0,per 1000 live births,x\n"
    label = put(built_home, "twice.csv", text)
    err = refused(built_home, capsys, f"{label} line 3: repeats the header of line 1")
    assert "not in the indicator catalog" not in err


@pytest.mark.parametrize("fmt, text, line", [
    ("tidy_csv", HEAD + "imr,CN,total,2020,5.4,per 1000 live births\n", 2),
    ("sdmx_csv", "REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE\nCHN,CME_MRY0T4,2020,7.5,extra\n", 2),
    ("who_gho", "IndicatorCode,SpatialDim,TimeDim,NumericValue\nMDG_0000000007,CHN,2020\n", 2),
    ("wdi_csv", "Country Name,Country Code,Indicator Name,Indicator Code,2019,2020\n"
                "China,CHN,Mortality rate,SH.DYN.MORT,7.9,7.5,7.1\n", 2),
])
def test_every_reader_checks_row_width(built_home, capsys, fmt, text, line):
    meta = {"format": fmt}
    if fmt != "tidy_csv":
        meta["mapping"] = {"indicator_map": {"CME_MRY0T4": "u5mr_igme", "MDG_0000000007": "u5mr_igme",
                                             "SH.DYN.MORT": "u5mr_igme"}}
    label = put(built_home, f"w.{fmt}.csv", text, **meta)
    refused(built_home, capsys, f"{label} line {line}: ", "fields but the header has")


def test_microdata_short_row_is_refused(built_home, capsys):
    meta = {"format": "item_microdata", "mapping": {"id_column": "id", "age_column": "age", "age_unit": "days",
                                                    "item_pattern": "^it"}}
    label = put(built_home, "kids.csv", "id,age,it1,it2\n1,300,1,0\n2,310,1\n", **meta)
    refused(built_home, capsys, f"{label} line 3: 3 fields but the header has 4")


# --------------------------------------------------------------------------- 2. units against the catalog

def test_unit_that_is_not_the_catalog_unit_is_refused(built_home, capsys):
    # imr in "%" next to "per 1000 live births" used to be stored side by side
    text = HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\nimr,CN,total,2021,0.50,%,x\n"
    label = put(built_home, "imr_mixed.csv", text)
    refused(built_home, capsys, f'{label} line 3, column "unit": \'%\' is not the unit of indicator \'imr\'',
            "expected 'per 1000 live births'", "‰")


def test_permille_hospital_delivery_rate_is_refused(built_home, capsys):
    # 950 ‰ passed because the 0–100 bound applied only to units spelled "percent…"
    label = put(built_home, "hdr.csv", HEAD + "hospital_delivery_rate,CN,total,2020,950,‰,x\n")
    refused(built_home, capsys, f'{label} line 2, column "unit": \'‰\' is not the unit of indicator '
                                f"'hospital_delivery_rate' (expected 'percent'")


def test_percent_bound_applies_to_every_spelling_of_percent(built_home, capsys):
    label = put(built_home, "pct.csv", HEAD + "hospital_delivery_rate,CN,total,2020,135.2,%,x\n")
    refused(built_home, capsys, f'{label} line 2, column "value": \'135.2\' is not a percentage')


def test_listed_spelling_is_stored_in_the_canonical_unit_with_a_note(built_home):
    put(built_home, "imr_permille.csv", HEAD + "imr,CN,total,1992,46.7,‰,x\nimr,CN,total,1993,45.0,per 1000,x\n")
    build()
    rows = load("imr", geo="CN", area="total", years=(1992, 1993), source="testsrc")
    assert rows["unit"].tolist() == ["per 1000 live births"] * 2
    assert rows["value"].tolist() == [46.7, 45.0]  # same scale: never rescaled
    assert rows["note"].tolist() == ["unit '‰' read as 'per 1000 live births'",
                                     "unit 'per 1000' read as 'per 1000 live births'"]


def test_yearbook_unit_is_checked_and_named_as_the_mapping_key(built_home, capsys):
    meta = {**YEARBOOK, "mapping": {**YEARBOOK["mapping"], "unit": "人"}}
    label = put(built_home, "yb.csv", "地区,2019年,2020年\n北京,151000,140000\n", **meta)
    refused(built_home, capsys, f"{label} line 2, mapping key 'unit' (.meta.yaml): '人' is not the unit of indicator "
                                f"'births' (expected '10k persons (万人)'")


def test_every_catalog_unit_zh_symbol_agrees_with_its_unit():
    from ecd.catalog._load import catalog_doc
    from ecd.catalog._units import parse, symbols

    known = set(symbols().values())
    wrong = []
    for code, e in catalog_doc()["indicators"].items():
        zh = e.get("unit_zh")
        p = parse(e["unit"])
        if zh in known and (p is None or symbols()[p.measure] != zh):
            wrong.append((code, e["unit"], zh))
    assert wrong == []


# --------------------------------------------------------------------------- 3. sha256 cannot be bypassed

@pytest.mark.parametrize("value", [0, "0" * 64, False, None, "abc123", "g" * 64])
def test_sidecar_sha256_must_be_64_hex_and_match(built_home, capsys, value):
    label = put(built_home, "valid.csv", HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\n", sha256=value)
    side = label.replace(".csv", ".meta.yaml")
    if value is None:
        refused(built_home, capsys, f"{side}: missing field(s) sha256")
    else:
        refused(built_home, capsys, f"{side}, field sha256: {value!r} is not a sha256", "cannot be switched off")


# --------------------------------------------------------------------------- 4. duplicate YAML keys

def test_duplicate_key_in_a_sidecar_is_refused(built_home, capsys):
    label = put(built_home, "valid.csv", HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\n")
    side = built_home / label.replace(".csv", ".meta.yaml")
    text = side.read_text(encoding="utf-8")
    side.write_text(text + "trust: high\n", encoding="utf-8")  # `trust: low` is already there
    line = len(text.splitlines()) + 1
    first = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("trust:"))
    refused(built_home, capsys, f"{side.relative_to(built_home).as_posix()} line {line}: duplicate key 'trust' "
                                f"(first on line {first})")


def test_duplicate_key_in_book_yml_is_refused(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "chapters").mkdir(parents=True)
    (home / "chapters" / "book.yml").write_text(
        "book: {title: 测试, edition: '2026'}\n"
        "chapters:\n"
        "  - id: a\n"
        "    title: A\n"
        "    notebook: a.ipynb\n"
        "    required: true\n"
        "    required: false\n", encoding="utf-8")
    monkeypatch.setenv("ECD_HOME", str(home))
    assert main(["build", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "chapters/book.yml line 7: duplicate key 'required' (first on line 6)" in err
    assert not (home / "build" / "current").exists()


def test_second_top_level_chapters_list_is_refused():
    from ecd._yaml import load_yaml

    with pytest.raises(DuplicateKeyError, match=r"book.yml line 4: duplicate key 'chapters' \(first on line 2\)"):
        load_yaml("book: {title: x, edition: '1'}\nchapters:\n  - {id: a}\nchapters:\n  - {id: b}\n", "book.yml")


def test_duplicate_key_in_a_user_catalog_is_refused(built_home, capsys):
    (built_home / "catalog").mkdir()
    (built_home / "catalog" / "mine.yaml").write_text(
        "prefer:\n  imr: [nhc_official]\n  imr: [testsrc]\n", encoding="utf-8")
    refused(built_home, capsys, "catalog/mine.yaml line 3: duplicate key 'imr' (first on line 2)")


def test_duplicate_key_in_a_data_add_mapping_is_refused(built_home, tmp_path, capsys):
    src = tmp_path / "yb.csv"
    src.write_text("地区,2019年\n北京,15.1\n", encoding="utf-8")
    mapping = tmp_path / "yb.mapping.yaml"
    mapping.write_text("indicator: births\nunit: 万人\ngeo_column: 地区\nyear_columns: '^(\\d{4})'\nunit: 人\n",
                       encoding="utf-8")
    before = snapshot(built_home / "data")
    rc = main(["data", "add", str(src), "--source", "yb", "--mapping", str(mapping), "--producer", "p",
               "--citation", "c", "--url", "u", "--licence", "l", "--trust", "low", "--publication", "ecd_test_fixture"])
    assert rc == 2
    assert f"{mapping} line 5: duplicate key 'unit' (first on line 2)" in capsys.readouterr().err
    assert snapshot(built_home / "data") == before


def test_every_project_yaml_is_read_by_the_strict_loader():
    """No module parses YAML on its own (a second loader would accept duplicate keys again)."""
    src = Path(__file__).resolve().parents[2] / "src" / "ecd"
    offenders = [p.relative_to(src).as_posix() for p in src.rglob("*.py")
                 if p.name != "_yaml.py" and any(s in p.read_text(encoding="utf-8")
                                                  for s in ("yaml.safe_load(", "yaml.load(", "yaml.full_load("))]
    assert offenders == []


def test_existing_project_yaml_has_no_duplicate_keys():
    from ecd._yaml import load_yaml

    repo = Path(__file__).resolve().parents[2]
    files = [*repo.glob("data/raw/*/*.meta.yaml"), repo / "chapters" / "book.yml", *repo.glob("src/ecd/**/*.yaml")]
    for f in files:
        load_yaml(f.read_text(encoding="utf-8"), str(f))  # raises on a duplicate
    assert len(files) > 30


# --------------------------------------------------------------------------- symlinks out of the project
def test_raw_file_symlinked_from_outside_the_project_is_refused(built_home, tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "imr.csv").write_text(HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\n", encoding="utf-8")
    label = put(built_home, "placeholder.csv", "x")
    link = built_home / label
    link.unlink()
    os.symlink(outside / "imr.csv", link)
    refused(built_home, capsys, f"{label}: is a symbolic link out of the project ({label} -> {outside / 'imr.csv'}",
            "copy the file (with its .meta.yaml) into data/raw/")


def test_raw_folder_symlinked_from_outside_the_project_is_refused_not_skipped(built_home, tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, built_home / "data" / "raw" / "linked")
    refused(built_home, capsys, "data/raw/linked: is a symbolic link out of the project (data/raw/linked -> ")


# --------------------------------------------------------------------------- messages name the user's file
@pytest.mark.parametrize("text, what", [
    (HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\nimr,CN,total,2021,abc,per 1000 live births,x\n",
     "line 3, column \"value\": 'abc'"),
    (HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\nimr,CN,total,2021,5.0,per 1000 live births,x,extra\n",
     "line 3: 8 fields but the header has 7"),
    (HEAD + "imr,CN,total,2020,5.4,‰‰,x\n", "line 2, column \"unit\": '‰‰' is not the unit of indicator 'imr'"),
])
def test_data_add_errors_name_the_users_file_not_the_copy_under_data_raw(built_home, tmp_path, capsys, text, what):
    # issue 16: "errors name the deleted copy under data/raw/ instead of the user's file" (tidy CSV; W-research's
    # tests/unit/test_readers_forgiving.py covers yearbook tables and mappings)
    from test_readers_add import FIELDS

    mine = tmp_path / "my_imr.csv"
    mine.write_text(text, encoding="utf-8")
    before = snapshot(built_home)
    assert main(["data", "add", str(mine), "--source", "mine", *FIELDS]) == 2
    err = capsys.readouterr().err
    assert f"{mine} {what}" in err, err
    assert "data/raw/mine" not in err
    assert snapshot(built_home) == before


def test_tidy_csv_footnote_line_is_named_as_such(built_home, capsys):
    label = put(built_home, "foot.csv", HEAD + "imr,CN,total,2020,5.4,per 1000 live births,x\n注：SYNTHETIC数据\n")
    err = refused(built_home, capsys, f"{label} line 3: 1 field ('注：SYNTHETIC数据')", "note or footnote line")
    assert "a comma inside a value must be quoted" not in err
