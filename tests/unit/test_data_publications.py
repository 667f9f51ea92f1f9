"""The publication contract: sidecars name what rows are from; every failure names file, line/key."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ecd.cli import main
from ecd.errors import DataError


BULLETIN = {"type": "report", "author": "SYNTHETIC 测试机构", "title": "SYNTHETIC 测试统计公报",
            "year": 2023, "date": "2023-10-12", "publisher": "国家卫生健康委员会", "place": "北京"}
OTHER = {**BULLETIN, "title": "另一份公报"}
# SYNTHETIC rows: values chosen for the test, never evidence
ROWS = ("indicator,geo,area,year,value,unit,source,publication,trust,note\n"
        "imr,CN-BJ,total,2022,1.5,per 1000 live births,SYNTHETIC test page,synthetic_bulletin,high,\n"
        "imr,CN-BJ,total,2023,1.4,per 1000 live births,SYNTHETIC test page,synthetic_bulletin,,a note\n")


@pytest.fixture
def home(fixture_home) -> Path:
    return fixture_home


def put(home: Path, source: str, name: str, text: str, **blocks) -> Path:
    """Write a SYNTHETIC tidy file and a complete sidecar (with the given publication blocks)."""
    folder = home / "data" / "raw" / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    meta = {"source_id": source, "title": "SYNTHETIC test file", "producer": "SYNTHETIC", "citation": "SYNTHETIC",
            "url": "tests", "date_accessed": "2026-12-01", "licence": "test", "trust": "low",
            "definition_notes": ["SYNTHETIC"], "gaps": [], "format": "tidy_csv", "encoding": "utf-8",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), **blocks}
    path.with_name(path.stem + ".meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return path


def failures(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def test_rows_carry_their_publication_and_the_warehouse_a_publications_table(home):
    import duckdb

    from ecd import data, paths

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": BULLETIN},
        retrievals=[{"publication": "synthetic_bulletin", "url": "https://mirror.example/x", "kind": "mirror",
                     "accessed": "2026-12-04", "trust": "medium"}])
    data.build()
    df = data.load("imr", geo="CN-BJ")
    assert df["publication"].tolist() == ["synthetic_bulletin", "synthetic_bulletin"]
    assert df["trust"].tolist() == ["high", "medium"]  # the row's own cell, else its retrieval's trust
    assert df["note"].tolist() == ["", "a note"]
    pubs = data.publications(df)
    assert pubs.set_index("publication").loc["synthetic_bulletin", "title"] == BULLETIN["title"]
    assert pubs["lang"].tolist() == ["zh"]  # inferred from the title
    assert "synthetic_bulletin" in set(data.publications()["publication"])
    con = duckdb.connect(str(paths.warehouse_duckdb()), read_only=True)
    try:
        db = con.execute("SELECT * FROM publications").df()
        ret = con.execute("SELECT * FROM retrievals").df()
    finally:
        con.close()
    assert db.set_index("publication").loc["synthetic_bulletin", "date"] == "2023-10-12"
    assert ret[ret["file"] == "synth/synth.csv"][["publication", "kind"]].values.tolist() == [["synthetic_bulletin", "mirror"]]
    parquet = pd.read_parquet(paths.processed_dir() / "publications.parquet")
    assert sorted(parquet["publication"]) == sorted(db["publication"])


def test_row_publications_map_exact_source_text(home):
    from ecd import data

    text = ("indicator,geo,area,year,value,unit,source\n"
            "imr,CN-BJ,total,2022,1.5,per 1000 live births,page A\n"
            "imr,CN-BJ,total,2023,1.4,per 1000 live births,page B\n")
    put(home, "synth", "synth.csv", text, publications={"synthetic_bulletin": BULLETIN,
                                                        "other_pub": OTHER},
        row_publications={"page A": "synthetic_bulletin", "page B": "other_pub"})
    data.build()
    assert data.load("imr", geo="CN-BJ")["publication"].tolist() == ["synthetic_bulletin", "other_pub"]


def test_file_wide_publication_key(home):
    from ecd import data

    text = "indicator,geo,area,year,value,unit,source\nimr,CN-BJ,total,2022,1.5,per 1000 live births,page A\n"
    put(home, "synth", "synth.csv", text, publications={"synthetic_bulletin": BULLETIN}, publication="synthetic_bulletin")
    data.build()
    assert data.load("imr", geo="CN-BJ")["publication"].tolist() == ["synthetic_bulletin"]


@pytest.mark.parametrize("fields, expected", [
    ({**BULLETIN, "type": "pamphlet"}, "publications.synthetic_bulletin, field type: 'pamphlet' is not a publication type"),
    ({k: v for k, v in BULLETIN.items() if k != "title"}, "publications.synthetic_bulletin: missing field(s) title"),
    ({k: v for k, v in BULLETIN.items() if k not in ("author", "year")},
     "publications.synthetic_bulletin: missing field(s) author, year"),
    ({**BULLETIN, "year": "二〇二三"}, "publications.synthetic_bulletin, field year: '二〇二三' is not a publication year"),
    ({**BULLETIN, "titel": "x"}, "publications.synthetic_bulletin: unknown field(s) titel"),
])
def test_bad_publication_fields_are_named_with_file_and_key(home, fields, expected):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": fields})
    with pytest.raises(DataError) as e:
        data.check()
    assert f"data/raw/synth/synth.meta.yaml, {expected}" in failures(e)


def test_a_key_used_by_a_row_but_not_defined(home):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletn": BULLETIN})
    with pytest.raises(DataError) as e:
        data.check()
    assert ('data/raw/synth/synth.csv line 2, column "publication": publication key \'synthetic_bulletin\' (from its '
            "publication cell) is not defined") in failures(e)
    assert "did you mean synthetic_bulletn" in failures(e)


def test_the_same_key_with_different_fields_in_two_sidecars(home):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": BULLETIN})
    put(home, "synth2", "synth2.csv", ROWS.replace("CN-BJ", "CN-TJ"),
        publications={"synthetic_bulletin": {**BULLETIN, "year": 2022}})
    with pytest.raises(DataError) as e:
        data.check()
    assert ("data/raw/synth2/synth2.meta.yaml, publications.synthetic_bulletin: defined with different fields in "
            "data/raw/synth/synth.meta.yaml (differ: year") in failures(e)


def test_the_same_key_with_identical_fields_in_two_sidecars_is_one_publication(home):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": BULLETIN})
    put(home, "synth2", "synth2.csv", ROWS.replace("CN-BJ", "CN-TJ"),
        publications={"synthetic_bulletin": {**BULLETIN, "year": "2023"}})  # same value written as text
    data.build()
    assert data.publications(["synthetic_bulletin"])["defined_in"].tolist() == [
        "data/raw/synth/synth.meta.yaml; data/raw/synth2/synth2.meta.yaml"]


def test_a_row_resolving_to_no_publication_or_to_two(home):
    from ecd import data

    text = ("indicator,geo,area,year,value,unit,source,publication\n"
            "imr,CN-BJ,total,2022,1.5,per 1000 live births,page A,\n"
            "imr,CN-BJ,total,2023,1.4,per 1000 live births,page B,synthetic_bulletin\n")
    put(home, "synth", "synth.csv", text, publications={"synthetic_bulletin": BULLETIN, "other_pub": OTHER},
        row_publications={"page B": "other_pub"})
    with pytest.raises(DataError) as e:
        data.check()
    msg = failures(e)
    assert "data/raw/synth/synth.csv line 2, column \"source\": 'page A' resolves to no publication" in msg
    assert ("data/raw/synth/synth.csv line 3, column \"publication\": 'synthetic_bulletin' but row_publications in "
            "data/raw/synth/synth.meta.yaml maps the row to 'other_pub' — the row resolves to two") in msg


def test_retrieval_kind_and_unknown_publication_are_named(home):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": BULLETIN},
        retrievals=[{"publication": "synthetic_bulletin", "url": "u", "kind": "scrape", "accessed": "2026-12-04"},
                    {"publication": "nowhere", "url": "u", "kind": "mirror", "accessed": "2026-12-04"}])
    with pytest.raises(DataError) as e:
        data.check()
    msg = failures(e)
    assert "data/raw/synth/synth.meta.yaml, retrievals[0], field kind: 'scrape'" in msg
    assert "data/raw/synth/synth.csv: a retrieval names publication 'nowhere'" in msg


def test_row_trust_must_be_a_level(home):
    from ecd import data

    put(home, "synth", "synth.csv", ROWS.replace(",high,", ",sure,"), publications={"synthetic_bulletin": BULLETIN})
    with pytest.raises(DataError) as e:
        data.check()
    assert "data/raw/synth/synth.csv line 2, column \"trust\": 'sure' is not a trust level" in failures(e)


def test_data_add_writes_the_publication_blocks(home, tmp_path, capsys):
    src = tmp_path / "new.csv"
    src.write_text("indicator,geo,area,year,value,unit,source\nimr,CN-BJ,total,2022,1.5,per 1000 live births,p\n",
                   encoding="utf-8")
    pubs = tmp_path / "pubs.yaml"
    pubs.write_text(yaml.safe_dump({"publications": {"synthetic_bulletin": BULLETIN},
                                    "retrievals": [{"publication": "synthetic_bulletin", "url": "u", "kind": "official",
                                                    "accessed": "2026-12-04"}]}, allow_unicode=True), encoding="utf-8")
    fields = ["--producer", "SYNTHETIC", "--citation", "SYNTHETIC", "--url", "u", "--licence", "test", "--trust", "low"]
    assert main(["data", "add", str(src), "--source", "synth", *fields, "--publication", "synthetic_bulletin",
                 "--publications", str(pubs)]) == 0
    meta = yaml.safe_load((home / "data/raw/synth/new.meta.yaml").read_text(encoding="utf-8"))
    assert meta["publication"] == "synthetic_bulletin"
    assert meta["publications"]["synthetic_bulletin"]["title"] == BULLETIN["title"]
    assert meta["retrievals"][0]["kind"] == "official"


def test_data_add_with_an_undefined_publication_adds_nothing(home, tmp_path, capsys):
    src = tmp_path / "new.csv"
    src.write_text("indicator,geo,area,year,value,unit,source\nimr,CN-BJ,total,2022,1.5,per 1000 live births,p\n",
                   encoding="utf-8")
    fields = ["--producer", "SYNTHETIC", "--citation", "SYNTHETIC", "--url", "u", "--licence", "test", "--trust", "low"]
    assert main(["data", "add", str(src), "--source", "synth", *fields, "--publication", "wdi_2099"]) == 2
    err = capsys.readouterr().err
    assert "nothing added" in err and "'wdi_2099'" in err and "not defined" in err
    assert not (home / "data/raw/synth").exists()


def test_one_publication_under_two_keys_is_named(home):
    from ecd import data

    other = {**BULLETIN, "title": "SYNTHETIC 测试 统计公报"}  # a space more
    put(home, "synth", "synth.csv", ROWS, publications={"synthetic_bulletin": BULLETIN, "another_key": other})
    with pytest.raises(DataError) as e:
        data.check()
    assert ("data/raw/synth/synth.meta.yaml, publications.synthetic_bulletin: the same publication (author and title) "
            "as 'another_key'") in failures(e)


def test_rules_tell_apart_rows_with_one_source_text(home):
    from ecd import data

    text = ("indicator,geo,area,year,value,unit,source\n"
            "imr,CN-BJ,total,2022,1.5,per 1000 live births,three communiqués quoted\n"
            "imr,CN-TJ,total,2022,1.4,per 1000 live births,three communiqués quoted\n"
            "imr,CN-HE,total,2022,1.6,per 1000 live births,survey=X 2022; provider=Y\n")
    rules = [{"source": "three communiqués quoted", "geo": "CN-BJ", "publication": "synthetic_bulletin"},
             {"source": "three communiqués quoted", "geo": ["CN-TJ"], "publication": "other_pub"},
             {"source_regex": "^survey=", "publication": "other_pub"}]
    put(home, "synth", "synth.csv", text, publications={"synthetic_bulletin": BULLETIN, "other_pub": OTHER},
        row_publications=rules)
    data.build()
    got = data.load("imr", geo=["CN-BJ", "CN-TJ", "CN-HE"]).set_index("geo")["publication"].to_dict()
    assert got == {"CN-BJ": "synthetic_bulletin", "CN-TJ": "other_pub", "CN-HE": "other_pub"}


def test_a_row_matching_two_rules_and_a_rule_matching_nothing(home):
    from ecd import data

    text = "indicator,geo,area,year,value,unit,source\nimr,CN-BJ,total,2022,1.5,per 1000 live births,quoted\n"
    rules = [{"source": "quoted", "publication": "synthetic_bulletin"},
             {"indicator": "imr", "publication": "other_pub"},
             {"geo": "CN-XZ", "publication": "other_pub"},
             {"publication": "other_pub", "colour": "red"}]
    put(home, "synth", "synth.csv", text, publications={"synthetic_bulletin": BULLETIN, "other_pub": OTHER},
        row_publications=rules)
    with pytest.raises(DataError) as e:
        data.check()
    msg = failures(e)
    assert ('data/raw/synth/synth.csv line 2, column "source": the row resolves to two publications (other_pub, '
            'synthetic_bulletin)') in msg
    assert "data/raw/synth/synth.meta.yaml, row_publications[2]: matches no row of data/raw/synth/synth.csv" in msg
    assert "data/raw/synth/synth.meta.yaml, row_publications[3]: unknown condition(s) colour" in msg
    assert "data/raw/synth/synth.meta.yaml, row_publications[3]: no condition" in msg
