"""``ecd data add`` and the user catalog: all or nothing, every missing piece named."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from ecd.cli import main
from ecd.errors import ConfigError, ParameterError, SchemaError

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "readers"
FIELDS = ["--producer", "SYNTHETIC test producer", "--citation", "SYNTHETIC fixture", "--url", "tests/fixtures/readers",
          "--licence", "test fixture", "--trust", "low", "--publication", "ecd_test_fixture",
          "--publications", str(FIX / "publications.yaml")]
PUB = {"publication": "ecd_test_fixture", "publications": FIX / "publications.yaml"}
USER_CATALOG = {"indicators": {"births_registered": {
    "name_zh": "户籍出生人口", "name_en": "Births, registered population", "unit": "万人", "domain": "demography",
    "direction": "neutral", "definition": "SYNTHETIC test indicator", "sources": ["demo"]}}}


@pytest.fixture
def home(fixture_home) -> Path:
    return fixture_home


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_user_catalog(home: Path, doc=USER_CATALOG, name="demo.yaml") -> None:
    (home / "catalog").mkdir(exist_ok=True)
    (home / "catalog" / name).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_add_wdi_export_writes_file_and_complete_sidecar(home, tmp_path, capsys):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("indicator_map: {SH.DYN.MORT: u5mr_igme}\ngeos: [CHN, JPN]\n", encoding="utf-8")
    rc = main(["data", "add", str(FIX / "wdi_bulk.csv"), "--source", "wdi_demo", "--mapping", str(mapping), *FIELDS])
    assert rc == 0
    target = home / "data/raw/wdi_demo/wdi_bulk.csv"
    assert target.read_bytes() == (FIX / "wdi_bulk.csv").read_bytes()
    meta = yaml.safe_load(target.with_name("wdi_bulk.meta.yaml").read_text(encoding="utf-8"))
    assert meta["format"] == "wdi_csv" and meta["encoding"] == "utf-8"  # guessed from the file
    assert meta["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert meta["mapping"] == {"indicator_map": {"SH.DYN.MORT": "u5mr_igme"}, "geos": ["CHN", "JPN"]}
    assert (meta["producer"], meta["trust"], meta["source_id"]) == ("SYNTHETIC test producer", "low", "wdi_demo")
    assert "15 rows of u5mr_igme" in capsys.readouterr().out
    from ecd.data import check

    assert check().files == 3  # the new file passes the same checks as `ecd data check`


@pytest.mark.parametrize("fixture, fmt", [("unicef_sdmx.csv", "sdmx_csv"), ("who_gho.csv", "who_gho"),
                                          ("wdi_databank.csv", "wdi_csv")])
def test_format_is_guessed_from_the_first_line(fixture, fmt):
    from ecd.data._add import detect_format

    assert detect_format(FIX / fixture, None) == fmt


def test_missing_fields_exit_2_and_name_them_without_a_terminal(home, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    before = tree(home)
    rc = main(["data", "add", str(FIX / "who_gho.csv"), "--source", "gho", "--producer", "WHO", "--citation", "x"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "missing provenance field(s) url, licence, trust; pass --url … --licence … --trust …" in err
    assert tree(home) == before


def test_missing_fields_are_asked_for_in_a_terminal(home, tmp_path):
    from ecd.data._add import add

    asked = []
    answers = iter(["https://example.org/gho", "", "CC BY-NC-SA 3.0 IGO", "fairly good", "medium"])

    def ask(prompt):
        asked.append(prompt.split(" ")[0])
        return next(answers)

    mapping = {"indicator_map": {"MDG_0000000007": "u5mr_igme"}}
    result = add(FIX / "who_gho.csv", "gho", mapping=mapping, fields={"producer": "WHO", "citation": "x"}, ask=ask,
                 **PUB)
    assert asked == ["URL", "Licence", "Licence", "Trust", "Trust"]  # asked again after an empty or unknown answer
    meta = yaml.safe_load(result.sidecar.read_text(encoding="utf-8"))
    assert (meta["url"], meta["licence"], meta["trust"]) == ("https://example.org/gho", "CC BY-NC-SA 3.0 IGO", "medium")
    assert result.rows == 6 and result.indicators == ("u5mr_igme",)


def test_unknown_indicator_leaves_nothing_and_says_how_to_add_it(home, capsys):
    before = tree(home)
    rc = main(["data", "add", str(FIX / "yearbook_births_gbk.csv"), "--source", "demo",
               "--mapping", str(FIX / "yearbook_births_gbk.mapping.yaml"), *FIELDS])
    assert rc == 2
    err = capsys.readouterr().err
    assert "indicator code(s) not in the catalog: births_registered" in err
    assert f"{home / 'catalog' / 'demo.yaml'}" in err and "unit: 万人" in err
    assert tree(home) == before and not (home / "data/raw/demo").exists()


def test_user_catalog_lets_the_table_in(home):
    write_user_catalog(home)
    rc = main(["data", "add", str(FIX / "yearbook_births_gbk.csv"), "--source", "demo",
               "--mapping", str(FIX / "yearbook_births_gbk.mapping.yaml"), *FIELDS])
    assert rc == 0
    meta = yaml.safe_load((home / "data/raw/demo/yearbook_births_gbk.meta.yaml").read_text(encoding="utf-8"))
    assert meta["encoding"] == "gbk" and meta["format"] == "yearbook_wide" and meta["mapping"]["indicator"] == "births_registered"
    import ecd.catalog

    assert ecd.catalog.indicator("births_registered")["unit"] == "万人"
    assert ecd.catalog.indicators().set_index("code").loc["births_registered", "sources"] == "demo"


def test_invalid_values_leave_nothing(home, tmp_path):
    bad = tmp_path / "who.csv"
    bad.write_text((FIX / "who_gho.csv").read_text(encoding="utf-8").replace(",2019,SEX,SEX_BTSX", ",2099,SEX,SEX_BTSX"),
                   encoding="utf-8")
    before = tree(home)
    from ecd.data._add import add

    with pytest.raises(SchemaError) as e:
        add(bad, "gho", mapping={"indicator_map": {"MDG_0000000007": "u5mr_igme"}},
            fields=dict(zip([f[2:] for f in FIELDS[::2]], FIELDS[1::2])), **PUB)
    assert "nothing added (file and sidecar removed again)" in str(e.value)
    # the message names the user's file, not the removed copy under data/raw/
    assert any(f.startswith(f'{bad} line 5, column "year": \'2099\' is out of range') for f in e.value.failures)
    assert "data/raw/gho" not in str(e.value)
    assert tree(home) == before


def test_existing_file_and_bad_ids_are_refused(home):
    from ecd.data._add import add

    fields = dict(zip([f[2:] for f in FIELDS[::2]], FIELDS[1::2]))
    with pytest.raises(ParameterError, match="'Bad-Id' is not a valid source id"):
        add(FIX / "who_gho.csv", "Bad-Id", fields=fields)
    with pytest.raises(ParameterError, match="'stata' is not a known format"):
        add(FIX / "who_gho.csv", "gho", fmt="stata", fields=fields)
    with pytest.raises(ParameterError, match="looks like a yearbook table .*: pass --mapping"):
        add(FIX / "yearbook_regions_utf8.csv", "yb", fmt="yearbook_wide", fields=fields)
    with pytest.raises(ParameterError, match="'low-ish'; expected one of high"):
        add(FIX / "who_gho.csv", "gho", fields={**fields, "trust": "low-ish"})
    with pytest.raises(ConfigError, match="data/raw/nhc_official/mini_official.csv already exists"):
        add(home / "data/raw/nhc_official/mini_official.csv", "nhc_official", fields=fields)


@pytest.mark.parametrize("doc, expected", [
    ({"indicators": {"imr": USER_CATALOG["indicators"]["births_registered"]}},
     "catalog/demo.yaml: indicators.imr: 'imr' is already a packaged indicator"),
    ({"indicators": {"Births": USER_CATALOG["indicators"]["births_registered"]}},
     "catalog/demo.yaml: indicators.Births: 'Births' is not a valid indicator code"),
    ({"indicators": {"x_births": {"name_zh": "出生"}}},
     "catalog/demo.yaml: indicators.x_births: missing or empty field(s) name_en, unit, domain, direction, definition"),
    ({"indicators": {"x_births": {**USER_CATALOG["indicators"]["births_registered"], "direction": "up"}}},
     "catalog/demo.yaml: indicators.x_births.direction: 'up'; expected one of favourable, adverse, neutral"),
    ({"indicator": {}}, "catalog/demo.yaml: expected a mapping with `indicators:` (code → fields) and/or `prefer:`"),
])
def test_user_catalog_errors_name_file_and_key(home, doc, expected):
    import ecd.catalog

    write_user_catalog(home, doc)
    with pytest.raises(ConfigError) as e:
        ecd.catalog.indicators()
    assert str(e.value).startswith(expected), str(e.value)


def test_without_user_catalog_the_packaged_one_is_unchanged(home):
    from ecd.catalog._load import _yaml, catalog_doc

    assert catalog_doc() is _yaml("indicators.yaml")
    write_user_catalog(home)
    merged = catalog_doc()
    assert set(merged["indicators"]) - set(_yaml("indicators.yaml")["indicators"]) == {"births_registered"}
    assert "births_registered" not in _yaml("indicators.yaml")["indicators"]  # the packaged copy is not mutated


def test_year_kind_target_admits_future_years(home, tmp_path):
    future = tmp_path / "who.csv"
    future.write_text((FIX / "who_gho.csv").read_text(encoding="utf-8").replace(",2019,SEX,", ",2030,SEX,"),
                      encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("indicator_map: {MDG_0000000007: u5mr_igme}\n", encoding="utf-8")
    args = ["data", "add", str(future), "--source", "gho", "--mapping", str(mapping), *FIELDS]
    assert main(args) == 2 and not (home / "data/raw/gho").exists()
    assert main([*args, "--year-kind", "target"]) == 0
    meta = yaml.safe_load((home / "data/raw/gho/who.meta.yaml").read_text(encoding="utf-8"))
    assert meta["year_kind"] == "target"


def test_a_file_without_publication_is_refused_naming_the_flag(home, tmp_path, capsys):
    before = tree(home)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("indicator_map: {MDG_0000000007: u5mr_igme}\n", encoding="utf-8")
    rc = main(["data", "add", str(FIX / "who_gho.csv"), "--source", "gho", "--mapping", str(mapping), *FIELDS[:10]])
    assert rc == 2
    err = capsys.readouterr().err
    assert "ecd data add who_gho.csv: missing --publication KEY" in err and "--publications PUBS.yaml" in err
    assert tree(home) == before
