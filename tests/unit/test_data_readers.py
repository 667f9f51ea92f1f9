"""Readers and schemas: line numbers as a user sees them, the registry, and property tests."""
from __future__ import annotations

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import ecd.data
from ecd.data._readers import _READERS, LINE, read_csv_cells, read_tidy_csv, register_reader
from ecd.data._schema import Context, validate

from test_data_support import BAD, _built_template, add_raw, built_home, sidecar_for  # noqa: F401

COLS = ("indicator", "geo", "area", "year", "value", "unit", "source")
CTX = Context(indicators=frozenset({"imr", "sys_mgmt_rate_u3", "imr_rural_minus_urban", "preprimary_ger_uis"}),
              signed_indicators=frozenset({"imr_rural_minus_urban"}), over_100_indicators=frozenset({"preprimary_ger_uis"}),
              geos=frozenset({"CN", "CN-BJ", "CHN"}), max_year=2026)


def test_line_numbers_count_the_header_blank_lines_and_multiline_cells():
    text = ('indicator,geo,area,year,value,unit,source\r\n'
            'imr,CN,total,2020,5.4,per 1000 live births,"a citation\nover two lines"\r\n'
            '\r\n'
            'imr,CN,total,2021,5.0,per 1000 live births,x\r\n')
    t = read_csv_cells(text, "f.csv", COLS)
    assert t.failures == []
    assert t.frame[LINE].tolist() == [2, 5]
    assert t.frame["source"].tolist() == ["a citation\nover two lines", "x"]


def test_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeff".encode() + (BAD / "valid.csv").read_bytes())
    t = read_tidy_csv(p, {"encoding": "utf-8"}, "bom.csv")
    assert t.failures == [] and len(t.frame) == 3


def test_optional_columns_and_interval_checks():
    text = ("indicator,geo,area,year,value,unit,source,se,ci_low,ci_high\n"
            "imr,CN,total,2020,5.4,per 1000 live births,x,0.2,5.0,5.8\n"
            "imr,CN,total,2021,5.4,per 1000 live births,x,-0.1,5.5,5.8\n"
            "imr,CN,total,2022,5.4,per 1000 live births,x,,,\n")
    t = read_csv_cells(text, "f.csv", COLS, ("se", "ci_low", "ci_high"))
    frame, failures = validate(t.frame, "f.csv", CTX)
    assert failures == [
        'f.csv line 3, column "value": \'5.4\' lies outside its interval [5.5, 5.8] (expected ci_low ≤ value ≤ ci_high)',
        'f.csv line 3, column "se": \'-0.1\' is negative (expected a standard error ≥ 0)',
    ]
    assert frame["se"].isna().tolist() == [False, False, True]


def test_catalogued_exceptions_to_the_value_checks():
    text = ("indicator,geo,area,year,value,unit,source\n"
            "imr_rural_minus_urban,CN,total,2011,-1.5,per 1000,x\n"
            "preprimary_ger_uis,CHN,total,2011,104.2,percent,x\n"
            "preprimary_ger_uis,CHN,total,2012,-0.5,percent,x\n"
            "sys_mgmt_rate_u3,CN,total,2011,100.5,percent,x\n")
    _, failures = validate(read_csv_cells(text, "f.csv", COLS).frame, "f.csv", CTX)
    assert [f.split(":")[0] for f in failures] == ['f.csv line 4, column "value"', 'f.csv line 5, column "value"']
    assert "is negative" in failures[0] and "is not a percentage" in failures[1]


@pytest.fixture
def semicolon_reader():
    @register_reader("semicolon_csv_test")
    def _read(path, meta, label):
        return read_csv_cells(path.read_text(encoding="utf-8").replace(";", ","), label, COLS)

    yield
    _READERS.pop("semicolon_csv_test")


def test_a_new_reader_plugs_in_through_the_registry(built_home, semicolon_reader):
    path = add_raw(built_home, "valid.csv", source_id="semi", format="semicolon_csv_test")
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_text(text, encoding="utf-8")
    meta_path = path.with_name("valid.meta.yaml")
    import yaml

    meta_path.write_text(yaml.safe_dump(sidecar_for(path, format="semicolon_csv_test")), encoding="utf-8")
    ecd.data.build()
    assert ecd.data.load("nmr")["source_id"].unique().tolist() == ["semi"]


# ---- property tests -------------------------------------------------------------------------

ROW = st.fixed_dictionaries({
    "indicator": st.sampled_from(["imr", "sys_mgmt_rate_u3"]),
    "geo": st.sampled_from(["CN", "CN-BJ", "CHN"]),
    "area": st.sampled_from(["total", "urban", "rural"]),
    "value": st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 2)),
})


@st.composite
def valid_tables(draw):
    rows = draw(st.lists(ROW, min_size=1, max_size=25))
    years = draw(st.lists(st.integers(1950, 2026), min_size=len(rows), max_size=len(rows), unique=True))
    lines = ["indicator,geo,area,year,value,unit,source"]
    for r, y in zip(rows, years):
        unit = "percent" if r["indicator"] == "sys_mgmt_rate_u3" else "per 1000 live births"
        lines.append(f'{r["indicator"]},{r["geo"]},{r["area"]},{y},{r["value"]},{unit},"src, {y}"')
    return "\n".join(lines) + "\n"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_tables())
def test_valid_tables_pass_and_keep_every_value(text):
    t = read_csv_cells(text, "f.csv", COLS)
    frame, failures = validate(t.frame, "f.csv", CTX)
    assert t.failures == [] and failures == []
    expect = pd.read_csv(pd.io.common.StringIO(text))
    assert frame["value"].tolist() == expect["value"].astype(float).tolist()
    assert t.frame[LINE].tolist() == list(range(2, len(expect) + 2))


BREAKERS = {
    "value": ("135.2x", "is not a number"),
    "area": ("town", "is not an area code"),
    "geo": ("CN-XX", "is not a known geo code"),
    "year": ("3000", "is out of range"),
    "indicator": ("imrx", "is not in the indicator catalog"),
}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_tables(), st.data())
def test_one_broken_cell_is_reported_at_its_line_and_column(text, data):
    lines = text.splitlines()
    i = data.draw(st.integers(1, len(lines) - 1), label="data line index")
    col = data.draw(st.sampled_from(sorted(BREAKERS)), label="column")
    bad, phrase = BREAKERS[col]
    cells = lines[i].split(",", 6)
    cells[COLS.index(col)] = bad
    lines[i] = ",".join(cells)
    t = read_csv_cells("\n".join(lines) + "\n", "f.csv", COLS)
    _, failures = validate(t.frame, "f.csv", CTX)
    assert len(failures) == 1, failures
    assert failures[0].startswith(f'f.csv line {i + 1}, column "{col}": {bad!r} {phrase}')

