"""Child-level microdata under data/raw: the shipped gcdg_chn file reads as its sidecar says, and a bad
file is refused with its line and column (by the warehouse check and by ecd.data.microdata)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import ecd.data
from ecd.data._microdata import read_item_microdata
from ecd.data._sidecar import sha256_file
from ecd.errors import DataError, SchemaError

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw" / "gcdg_chn"


def test_gcdg_chn_reads_as_its_codebook_describes():
    kids = ecd.data.microdata("gcdg_chn")
    raw = pd.read_csv(RAW / "gcdg_chn.tsv", sep="\t")
    assert len(kids.frame) == len(raw) == 990
    assert kids.frame["subjid"].is_unique
    items = kids.items
    assert len(items) == 76 and items["item"].str.match(r"^by3(cg|fm)d\d{3}$").all()
    assert items.groupby("domain_zh").size().to_dict() == {"精细动作": 27, "认知": 49}
    assert (items["label"] != "").all() and (items["label_zh"] != "").all()
    # the values are the file's own: every answer 0/1, missing where the file is empty
    x = kids.frame[items["item"]].to_numpy()
    assert np.array_equal(np.isnan(x), raw[items["item"]].isna().to_numpy())
    assert set(np.unique(x[~np.isnan(x)])) == {0.0, 1.0}
    assert kids.age("days").min() == raw["agedays"].min() == 514
    assert kids.age("months").max() == pytest.approx(670 / (365.25 / 12))
    meta = yaml.safe_load((RAW / "gcdg_chn.meta.yaml").read_text(encoding="utf-8"))
    assert meta["sha256"] == sha256_file(RAW / "gcdg_chn.tsv")
    assert "lozoff_2016_jn" in meta["publications"] and "CC BY 4.0" in meta["licence"]
    assert kids.citation.startswith("LOZOFF B")


def copy_home(tmp_path, monkeypatch, edit=None, side_edit=None):
    folder = tmp_path / "data" / "raw" / "gcdg_chn"
    folder.mkdir(parents=True)
    data = folder / "gcdg_chn.tsv"
    shutil.copy(RAW / "gcdg_chn.tsv", data)
    if edit:
        lines = data.read_text(encoding="utf-8").splitlines()
        edit(lines)
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = yaml.safe_load((RAW / "gcdg_chn.meta.yaml").read_text(encoding="utf-8"))
    meta["sha256"] = sha256_file(data)
    if side_edit:
        side_edit(meta)
    (folder / "gcdg_chn.meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    return data, meta


def set_cell(line_no, column, value):
    def edit(lines):
        header = lines[0].split("\t")
        cells = lines[line_no - 1].split("\t")
        cells[header.index(column)] = value
        lines[line_no - 1] = "\t".join(cells)
    return edit


@pytest.mark.parametrize("edit, fragments", [
    (set_cell(5, "by3cgd049", "2"), ["line 5, column 'by3cgd049': '2' is not a milestone score", "expected 0, 1 or empty"]),
    (set_cell(7, "agedays", "18m"), ["line 7, column 'agedays': '18m' is not an age"]),
    (set_cell(9, "subjid", "4100001"), ["id '4100001' in column 'subjid' occurs more than once"]),
])
def test_bad_cells_are_named_by_line_and_column(tmp_path, monkeypatch, edit, fragments):
    data, meta = copy_home(tmp_path, monkeypatch, edit=edit)
    failures = read_item_microdata(data, meta, "data/raw/gcdg_chn/gcdg_chn.tsv").failures
    text = "\n".join(failures)
    for fragment in fragments:
        assert fragment in text
    with pytest.raises(SchemaError) as err:
        ecd.data.microdata("gcdg_chn")
    assert fragments[0] in str(err.value)


def test_a_sidecar_without_its_mapping_is_refused(tmp_path, monkeypatch):
    data, meta = copy_home(tmp_path, monkeypatch, side_edit=lambda m: m["mapping"].pop("age_column"))
    failures = read_item_microdata(data, meta, "data/raw/gcdg_chn/gcdg_chn.tsv").failures
    assert any("no 'age_column'" in f for f in failures)


def test_unknown_source_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    with pytest.raises(DataError, match="no such source folder"):
        ecd.data.microdata("nope")
