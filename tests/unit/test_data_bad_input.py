"""The bad-input battery: one malformed raw file at a time in an otherwise valid home.

Each case asserts that the error names the file, the line and the column, what
was found and what was expected; that ``ecd data build`` exits 2; and that the
previous warehouse is byte-identical afterwards.
"""
from __future__ import annotations

import pytest

from ecd.cli import main
from ecd.data import build, check
from ecd.errors import DataError, ProvenanceError, SchemaError

from test_data_support import _built_template, add_raw, built_home, snapshot  # noqa: F401  (fixtures)

LABEL = "data/raw/testsrc/"

# fixture file, extra sidecar fields, error class, fragments the message must contain
CASES = {
    "missing_column": ("missing_column.csv", {}, SchemaError,
                       ["missing_column.csv line 1 (header)", "missing column(s) 'unit'", "expected ["]),
    "non_numeric_value": ("non_numeric_value.csv", {}, SchemaError,
                          ['non_numeric_value.csv line 3, column "value"', "'n/a' is not a number", "expected a numeric value"]),
    "unknown_area": ("unknown_area.csv", {}, SchemaError,
                     ['unknown_area.csv line 4, column "area"', "'town' is not an area code", "expected one of total, urban, rural"]),
    "unknown_province": ("unknown_province.csv", {}, SchemaError,
                         ['unknown_province.csv line 3, column "geo"', "'CN-ZZ' is not a known geo code", "expected CN, a CN-XX province"]),
    "duplicate_key": ("duplicate_key.csv", {}, SchemaError,
                      ['duplicate_key.csv line 3, column "year"', 'duplicate_key.csv line 5, column "year"',
                       "(nmr, CN, total, 2023)", "expected each key once per source"]),
    "percent_above_100": ("percent_above_100.csv", {}, SchemaError,
                          ['percent_above_100.csv line 3, column "value"', "'135.2' is not a percentage", "expected 0–100"]),
    "negative_rate": ("negative_rate.csv", {}, SchemaError,
                      ['negative_rate.csv line 4, column "value"', "'-2.7' is negative", "expected a rate, ratio or count ≥ 0"]),
    "gbk_encoded": ("gbk_encoded.csv", {}, SchemaError,
                    ["gbk_encoded.csv line 3", "not valid utf-8", "looks GBK/GB18030-encoded", "expected UTF-8",
                     "iconv -f GBK -t UTF-8", "encoding: gbk"]),
    "empty": ("empty.csv", {}, SchemaError, ["empty.csv: the file is empty", "expected a header line"]),
    "header_only": ("header_only.csv", {}, SchemaError, ["header_only.csv: the file has a header but no data rows"]),
    "future_year": ("future_year.csv", {}, SchemaError,
                    ['future_year.csv line 3, column "year"', "'2999' is out of range", "expected a year not in the future"]),
    "unknown_indicator": ("unknown_indicator.csv", {}, SchemaError,
                          ['unknown_indicator.csv line 3, column "indicator"', "'nmrr' is not in the indicator catalog",
                           "did you mean 'nmr'"]),
    "ragged_row": ("ragged_row.csv", {}, SchemaError,
                   ["ragged_row.csv line 3: 8 fields but the header has 7", "must be quoted"]),
    "bad_year": ("bad_year.csv", {}, SchemaError,
                 ['bad_year.csv line 3, column "year"', "'20x3' is not a year", "expected a whole number"]),
    "target_year_too_late": ("target_year_too_late.csv", {"year_kind": "target"}, SchemaError,
                             ['target_year_too_late.csv line 2, column "year"', "'2040' is out of range",
                              "expected target years 1900–2035"]),
    "sha256_mismatch": ("valid.csv", {"sha256": "1a" * 32}, ProvenanceError,
                        ["valid.csv: sha256", "does not match the sidecar's 1a1a", "restore the original"]),
    "sidecar_missing_field": ("valid.csv", {"licence": None}, ProvenanceError,
                              ["valid.meta.yaml: missing field(s) licence", "expected all of"]),
    "unknown_format": ("valid.csv", {"format": "sdmx_json"}, ProvenanceError,
                       ["valid.csv: format 'sdmx_json'", "has no reader", "expected one of", "tidy_csv"]),
}


def _assert_refused(home, err_type, fragments, capsys):
    before = snapshot(home / "data" / "processed")
    assert before  # there is a previous warehouse to protect
    with pytest.raises(err_type) as info:
        build()
    message = str(info.value)
    for frag in fragments:
        assert frag in message, f"{frag!r} not in:\n{message}"
    assert main(["data", "build"]) == 2
    err = capsys.readouterr().err
    assert fragments[0] in err
    assert snapshot(home / "data" / "processed") == before
    # no staging folder left behind
    assert not [p for p in (home / "data").iterdir() if p.name.startswith(".processed-new-")]
    return info.value


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_is_refused_and_warehouse_kept(case, built_home, capsys):
    fixture, meta, err_type, fragments = CASES[case]
    add_raw(built_home, fixture, **meta)
    fragments = [LABEL + fragments[0] if not fragments[0].startswith(LABEL) else fragments[0], *fragments[1:]]
    err = _assert_refused(built_home, err_type, fragments, capsys)
    assert isinstance(err, DataError)


def test_missing_sidecar(built_home, capsys):
    add_raw(built_home, "valid.csv", sidecar=False)
    _assert_refused(built_home, ProvenanceError,
                    [LABEL + "valid.csv: no provenance sidecar", "data/raw/testsrc/valid.meta.yaml", "expected one beside"],
                    capsys)


def test_gbk_file_is_accepted_when_declared(built_home):
    add_raw(built_home, "gbk_encoded.csv", encoding="gbk")
    summary = build()
    assert summary.files == 3
    from ecd.data import load

    df = load("nmr", years=(2023, 2023))
    assert "国家卫生健康委" in " ".join(df["citation"])


def test_schema_error_lists_one_line_per_failing_cell(built_home):
    add_raw(built_home, "unknown_area.csv")
    with pytest.raises(SchemaError) as info:
        build()
    assert info.value.failures == [
        'data/raw/testsrc/unknown_area.csv line 4, column "area": \'town\' is not an area code '
        "(expected one of total, urban, rural)"
    ]
    assert "line 1 is the header" in str(info.value)  # the convention is stated


def test_every_problem_of_every_file_is_reported_at_once(built_home, capsys):
    add_raw(built_home, "percent_above_100.csv", source_id="src_a")
    add_raw(built_home, "negative_rate.csv", source_id="src_b")
    add_raw(built_home, "gbk_encoded.csv", source_id="src_b")
    add_raw(built_home, "unknown_province.csv", source_id="src_c")
    add_raw(built_home, "valid.csv", source_id="src_e", sha256="f" * 64)
    add_raw(built_home, "valid.csv", source_id="src_d", sidecar=False)
    before = snapshot(built_home / "data" / "processed")
    with pytest.raises(SchemaError) as info:
        build()
    failures = info.value.failures
    expected = [
        ('data/raw/src_a/percent_above_100.csv line 3, column "value"', "not a percentage"),
        ('data/raw/src_b/negative_rate.csv line 4, column "value"', "is negative"),
        ("data/raw/src_b/gbk_encoded.csv line 3", "GBK"),
        ('data/raw/src_c/unknown_province.csv line 3, column "geo"', "not a known geo code"),
        ("data/raw/src_e/valid.csv: sha256", "does not match"),
        ("data/raw/src_d/valid.csv: no provenance sidecar", "expected one beside"),
    ]
    for where, what in expected:
        assert any(f.startswith(where) and what in f for f in failures), (where, failures)
    assert len(failures) == len(expected)
    assert main(["data", "build"]) == 2
    with pytest.raises(SchemaError) as again:
        check()
    assert again.value.failures == failures
    assert main(["data", "check"]) == 2
    assert snapshot(built_home / "data" / "processed") == before


def test_duplicate_key_across_files_of_one_source(built_home):
    add_raw(built_home, "valid.csv", source_id="src_a")
    add_raw(built_home, "duplicate_key.csv", source_id="src_a", name="again.csv")
    with pytest.raises(SchemaError) as info:
        build()
    joined = "\n".join(info.value.failures)
    assert "in two files of source 'src_a'" in joined
    assert "data/raw/src_a/again.csv line 2" in joined and "data/raw/src_a/valid.csv line 2" in joined


def test_same_key_in_two_sources_is_allowed(built_home):
    add_raw(built_home, "valid.csv", source_id="src_a")
    add_raw(built_home, "valid.csv", source_id="src_b")
    summary = build()
    assert summary.sources == 4


def test_file_outside_a_source_folder_and_orphan_sidecar(built_home, capsys):
    raw = built_home / "data" / "raw"
    (raw / "loose.csv").write_bytes((raw / "nhc_official" / "mini_official.csv").read_bytes())
    add_raw(built_home, "valid.csv", source_id="src_a")
    (raw / "src_a" / "valid.csv").unlink()
    err = _assert_refused(built_home, ProvenanceError,
                          ["data/raw/loose.csv: raw files live in a source folder", "data/raw/<source_id>/loose.csv"],
                          capsys)
    assert any(f.startswith("data/raw/src_a/valid.meta.yaml: sidecar without a data file") for f in err.failures)
