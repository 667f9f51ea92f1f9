"""Warehouse files, the manifest, DuckDB tables and the atomic replacement."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

import ecd.data
from ecd import paths
from ecd.cli import main
from ecd.data import _warehouse

from test_data_support import _built_template, add_raw, built_home, sha256, snapshot  # noqa: F401


def test_build_writes_parquet_duckdb_and_manifest(built_home, capsys):
    summary = ecd.data.build()
    assert summary.written and summary.files == 2 and summary.sources == 2
    text = str(summary)
    assert text.startswith("Validated 2 raw files from 2 sources") and "\n" not in text
    assert "data/processed" in text
    assert list(summary.tidy().columns) == ["file", "source_id", "format", "rows", "indicators"]
    assert summary.tidy()["rows"].sum() == summary.rows

    parquet = pd.read_parquet(paths.warehouse_parquet())
    con = duckdb.connect(str(paths.warehouse_duckdb()), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert tables == {"indicators", "sources", "catalog", "publications", "retrievals"}
        db = con.execute("SELECT * FROM indicators").df()
        n_catalog = con.execute("SELECT count(*) FROM catalog").fetchone()[0]
    finally:
        con.close()
    assert len(db) == len(parquet) == summary.rows
    assert list(db.columns) == list(parquet.columns) == _warehouse.WAREHOUSE_COLUMNS
    assert n_catalog == len(ecd.data.catalog())

    manifest = json.loads((paths.processed_dir() / "manifest.json").read_text(encoding="utf-8"))
    raw = paths.raw_dir()
    assert manifest["files"]["nhc_official/mini_official.csv"]["sha256"] == sha256(raw / "nhc_official/mini_official.csv")
    assert manifest["rows"] == summary.rows
    assert not _warehouse.is_stale()

    assert main(["data", "build"]) == 0
    assert "Validated 2 raw files" in capsys.readouterr().out


def test_check_writes_nothing(tmp_path, monkeypatch, capsys):
    from test_data_support import HOME_TEMPLATE
    import shutil

    shutil.copytree(HOME_TEMPLATE, tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    summary = ecd.data.check()
    assert not summary.written and "Nothing written" in str(summary)
    assert main(["data", "check"]) == 0
    assert not paths.processed_dir().exists()


def test_rebuild_replaces_the_whole_warehouse_and_keeps_other_files(built_home):
    extra = paths.processed_dir() / "notes" / "keep.txt"
    extra.parent.mkdir()
    extra.write_text("not ours", encoding="utf-8")
    add_raw(built_home, "valid.csv", source_id="new_source")
    ecd.data.build()
    assert extra.read_text(encoding="utf-8") == "not ours"
    assert "new_source" in set(pd.read_parquet(paths.warehouse_parquet())["source_id"])
    assert not [p for p in paths.data_dir().iterdir() if p.name.startswith(".processed-new-")]


def test_failure_while_writing_leaves_the_old_warehouse(built_home, monkeypatch):
    before = snapshot(paths.processed_dir())
    add_raw(built_home, "valid.csv", source_id="new_source")

    def broken(collected, target):
        target.mkdir(parents=True)
        (target / "warehouse.parquet").write_bytes(b"half written")
        raise OSError("disk full")

    monkeypatch.setattr(_warehouse, "_write", broken)
    with pytest.raises(OSError, match="disk full"):
        ecd.data.build()
    assert snapshot(paths.processed_dir()) == before
    assert not [p for p in paths.data_dir().iterdir() if p.name.startswith(".processed-new-")]


def test_stale_detection(built_home):
    assert not _warehouse.is_stale()
    meta = paths.raw_dir() / "nhc_official" / "mini_official.meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")
    assert _warehouse.is_stale()  # a sidecar edit counts (its provenance is in the warehouse)
    ecd.data.build()
    assert not _warehouse.is_stale()
    (paths.processed_dir() / "manifest.json").unlink()
    assert _warehouse.is_stale()


def test_reference_table_is_checked_against_the_catalog(tmp_path, monkeypatch):
    from test_data_support import REPO
    import shutil

    ref = tmp_path / "data" / "raw" / "reference"
    shutil.copytree(REPO / "data" / "raw" / "reference", ref)
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    summary = ecd.data.build()  # a reference table alone gives an empty warehouse
    assert summary.rows == 0 and summary.years is None and "years" not in str(summary)
    assert ecd.data.load("imr").empty

    csv_path = ref / "province_codes.csv"
    text = csv_path.read_text(encoding="utf-8").replace("CN-GD,440000,广东", "CN-GD,440001,广东")
    csv_path.write_text(text, encoding="utf-8")
    meta = ref / "province_codes.meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        meta.read_text(encoding="utf-8").split("sha256: ")[1].strip(), sha256(csv_path)), encoding="utf-8")
    from ecd.errors import SchemaError

    with pytest.raises(SchemaError) as info:
        ecd.data.build()
    assert info.value.failures == [
        "data/raw/reference/province_codes.csv line 20, column \"gb2260\": '440001' disagrees with the catalog "
        "(expected '440000'; fix one of the two)"]
