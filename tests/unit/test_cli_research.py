"""The researcher's verbs: ecd catalog, ecd sources, ecd export (+ ecd.data.export) and ecd data remove."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ecd.data
from ecd.book._bib import format_publication
from ecd.cli import main
from ecd.errors import ParameterError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A copy of the project's data, chapters and notebooks as ECD_HOME (remove must never touch the real one)."""
    h = tmp_path / "home"
    for part in ("chapters", "notebooks", "data/raw"):
        shutil.copytree(REPO / part, h / part)
    monkeypatch.setenv("ECD_HOME", str(h))
    return h


# ---- ecd catalog -------------------------------------------------------------------------------------------

def _table_codes(out: str) -> list[str]:
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["code", "name_zh"]
    return [line.split()[0] for line in lines[1:-1]]


def test_catalog_search_finds_chinese_and_english_words_and_only_those(capsys):
    assert main(["catalog", "--search", "婴儿死亡率"]) == 0
    codes = _table_codes(capsys.readouterr().out)
    cat = ecd.data.catalog().set_index("code")
    assert "imr" in codes and "u5mr" not in codes
    assert all("婴儿死亡率" in " ".join(map(str, cat.loc[c, ["name_zh", "name_en", "definition", "unit"]]))
               for c in codes)
    assert main(["catalog", "--search", "INFANT MORTALITY"]) == 0  # any case
    assert "imr" in _table_codes(capsys.readouterr().out)


def test_catalog_domain_lists_exactly_that_domain_and_names_a_misspelt_one(capsys):
    assert main(["catalog", "--domain", "services"]) == 0
    out = capsys.readouterr().out
    cat = ecd.data.catalog()
    assert sorted(_table_codes(out)) == sorted(cat.loc[cat["domain"] == "services", "code"])
    assert f"{(cat['domain'] == 'services').sum()} indicator(s)" in out
    assert main(["catalog", "--domain", "servces"]) == 2
    assert "did you mean 'services'" in capsys.readouterr().err


def test_catalog_with_no_match_says_so(capsys):
    assert main(["catalog", "--search", "no-such-word-xyz"]) == 0
    assert capsys.readouterr().out.startswith("No indicator matches 'no-such-word-xyz'")


# ---- ecd sources -------------------------------------------------------------------------------------------

def test_sources_lists_every_source_folder_with_its_rows_and_users(home, capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    folders = sorted(p.name for p in (home / "data/raw").iterdir() if p.is_dir() and any(p.rglob("*.meta.yaml")))
    listed = {line.split()[0]: line.split() for line in out[1:-1]}
    assert sorted(listed) == folders
    rows = ecd.data.load(sorted(ecd.data.catalog()["code"]), resolve="all")
    assert int(listed["nhc_official"][2]) == (rows["source_id"] == "nhc_official").sum()
    assert listed["gcdg_chn"][-1] == "development"  # book.yml: development uses data/raw/gcdg_chn


# ---- ecd data remove ---------------------------------------------------------------------------------------

def test_remove_refuses_a_source_a_chapter_uses_and_keeps_it(home, capsys):
    assert main(["data", "remove", "gcdg_chn"]) == 2
    err = capsys.readouterr().err
    assert "development" in err and "uses: data/raw/gcdg_chn" in err and "--force" in err
    assert (home / "data/raw/gcdg_chn").is_dir()
    assert main(["data", "remove", "gcdg_chn", "--force"]) == 0
    assert "used by development" in capsys.readouterr().out
    assert not (home / "data/raw/gcdg_chn").exists()


def test_remove_finds_a_chapter_citing_the_source_in_the_built_book(home, capsys):
    (home / "build/current").mkdir(parents=True)
    (home / "build/current/services.html").write_text('<a class="cite-src" data-pub="nbs_census2000_t3_1a">', encoding="utf-8")
    keys = ecd.data.publications()
    assert "census" in set(keys.loc[keys["publication"] == "nbs_census2000_t3_1a", "defined_in"].str.split("/").str[2])
    assert main(["data", "remove", "census"]) == 2
    assert "build/current/services.html cites nbs_census2000_t3_1a" in capsys.readouterr().err
    assert (home / "data/raw/census").is_dir()


def test_remove_an_unused_source_and_the_warehouse_forgets_it(home, capsys):
    assert "census" in set(ecd.data.sources()["source_id"])
    (home / "catalog").mkdir()
    code = sorted(ecd.data.load(sorted(ecd.data.catalog()["code"]), source="census")["indicator"])[0]
    (home / "catalog" / "prefer-census.yaml").write_text(f"prefer: {{{code}: [census]}}\n", encoding="utf-8")
    n = len([p for p in (home / "data/raw/census").rglob("*") if p.is_file()])
    assert main(["data", "remove", "census"]) == 0
    assert f"removed data/raw/census ({n} file(s)) and catalog/prefer-census.yaml" in capsys.readouterr().out
    assert not (home / "catalog" / "prefer-census.yaml").exists()
    assert not (home / "data/raw/census").exists()
    assert not list((home / "data/raw").glob(".census.removing-*"))
    assert "census" not in set(ecd.data.sources()["source_id"])  # rebuilt on the next read


def test_remove_an_unknown_source_names_the_near_one(home, capsys):
    assert main(["data", "remove", "censsu"]) == 2
    assert "did you mean 'census'" in capsys.readouterr().err
    assert main(["data", "remove", ".."]) == 2
    assert (home / "data/raw").is_dir()


# ---- ecd export / ecd.data.export --------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_round_trips_the_rows_of_load(tmp_path, suffix):
    rows = ecd.data.load(["imr", "u5mr", "births", "stunting_u5_survey"], resolve="all")
    out = ecd.data.export(rows, tmp_path / f"rows.{suffix}")
    pd.testing.assert_frame_equal(ecd.data.read_export(out), rows)


def test_export_codebook_names_units_definitions_and_publications(tmp_path):
    rows = ecd.data.load(["imr", "births"], geo="CN", area="total", years=(2020, 2024))
    out = ecd.data.export(rows, tmp_path / "cb.xlsx")
    book = pd.read_excel(out, sheet_name=None, dtype=str, keep_default_na=False)
    assert list(book) == ["data", "codebook", "publications", "columns"]
    cb = book["codebook"].set_index("indicator")
    cat = ecd.data.catalog().set_index("code")
    for code in ("imr", "births"):
        for field in ("name_zh", "name_en", "unit", "definition", "domain"):
            assert cb.loc[code, field] == cat.loc[code, field]
        assert cb.loc[code, "publications"].split("; ") == sorted(set(rows.loc[rows["indicator"] == code, "publication"]))
        assert int(cb.loc[code, "n_rows"]) == (rows["indicator"] == code).sum()
    pubs = book["publications"].set_index("publication")
    assert sorted(pubs.index) == sorted(set(rows["publication"]))
    expected = ecd.data.publications(rows).set_index("publication")
    for key in pubs.index:
        fields = {k: v for k, v in expected.loc[key].astype(object).items() if isinstance(v, str) and v}
        assert pubs.loc[key, "citation"] == format_publication(fields)
        assert int(pubs.loc[key, "n_rows"]) == (rows["publication"] == key).sum()
    assert "原始出版物" in book["columns"].set_index("column").loc["publication", "meaning"]


_text = st.text(alphabet=st.sampled_from(list("abc 北京市，（）=+-.%'\"\t") + ["é", "‰"]), max_size=12)


@given(st.lists(st.tuples(st.sampled_from(["imr", "u5mr", "births"]), _text,
                          st.integers(1949, 2100),
                          st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64),
                                    st.just(1.7976931348623157e308))),
                min_size=1, max_size=20))
def test_export_round_trips_any_rows(tmp_path_factory, rows):
    """Whatever text (formula-like '=…', quotes, Chinese, tabs) and floats: what is read back is what was written
    (every digit in .csv; in .xlsx the 16 significant digits an Excel cell keeps)."""
    df = pd.DataFrame(rows, columns=["indicator", "note", "year", "value"]).astype(
        {"indicator": "string", "note": "string", "year": "int64", "value": "float64"})
    out = ecd.data.export(df, tmp_path_factory.mktemp("x") / "r.csv")
    pd.testing.assert_frame_equal(ecd.data.read_export(out), df)
    if (df["value"].abs() > 1.797693134862315e308).any():
        with pytest.raises(ParameterError, match="too large for an .xlsx cell"):
            ecd.data.export(df, tmp_path_factory.mktemp("x") / "r.xlsx")
        return
    out = ecd.data.export(df, tmp_path_factory.mktemp("x") / "r.xlsx")
    kept = df.assign(value=df["value"].map(lambda v: float("%.16g" % v), na_action="ignore"))
    pd.testing.assert_frame_equal(ecd.data.read_export(out), kept)


def test_export_refuses_bad_input_and_writes_nothing(tmp_path, capsys):
    rows = ecd.data.load("imr", geo="CN", area="total", years=(2024, 2024))
    with pytest.raises(ParameterError, match=r"\.txt.*name a \.xlsx or a \.csv"):
        ecd.data.export(rows, tmp_path / "x.txt")
    with pytest.raises(ParameterError, match="indicator column"):
        ecd.data.export(rows.drop(columns="indicator"), tmp_path / "x.csv")
    with pytest.raises(ParameterError, match="does not exist"):
        ecd.data.export(rows, tmp_path / "no" / "x.csv")
    assert main(["export", "imr", "--to", str(tmp_path / "x.json")]) == 2
    assert main(["export", "no_such_code", "--to", str(tmp_path / "x.csv")]) == 2
    assert main(["export", "imr", "--years", "twenty", "--to", str(tmp_path / "x.csv")]) == 2
    assert "--years" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_export_cli_writes_the_filtered_rows(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["export", "imr", "u5mr", "--geo", "全国", "--area", "total", "--years", "2015-2024",
                 "--to", str(out)]) == 0
    expected = ecd.data.load(["imr", "u5mr"], geo="CN", area="total", years=(2015, 2024))
    assert f"wrote {len(expected)} row(s) of 2 indicator(s)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(ecd.data.read_export(out), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.codebook.csv", "m.columns.csv", "m.csv",
                                                          "m.publications.csv"]


# ---- --help ------------------------------------------------------------------------------------------------

def _verbs(parser, name="ecd"):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, sub in action.choices.items():
                yield f"{name} {verb}", sub
                yield from _verbs(sub, f"{name} {verb}")


def test_every_flag_of_every_verb_is_described():
    from ecd.cli import build_parser

    verbs = dict(_verbs(build_parser()))
    assert {"ecd catalog", "ecd sources", "ecd export", "ecd data remove", "ecd data add", "ecd run"} <= set(verbs)
    undescribed = [f"{verb} {a.option_strings or a.dest}" for verb, p in verbs.items() for a in p._actions
                   if a.dest != "help" and not (a.help or "").strip() and not a.__class__.__name__.startswith("_Sub")]
    assert undescribed == []


def test_run_help_is_its_own(capsys):
    for verb in ("build", "run"):
        assert main([verb, "--help"]) == 0
    build_help, run_help = capsys.readouterr().out.split("usage: ecd run", 1)
    assert "without rendering or publishing" in run_help and "publish them as a release" in build_help
    for flag in ("--no-pdf", "--publish", "--docx", "--review"):  # flags that mean nothing without rendering
        assert flag in build_help and flag not in run_help
