"""A damaged warehouse is noticed when opened, rebuilt from data/raw and said (issue 16, fault 7)."""
from __future__ import annotations

import json

import pytest

import ecd.data
from ecd import paths
from ecd.cli import main
from ecd.data import _warehouse
from ecd.errors import EcdWarning

from test_data_support import _built_template, built_home, snapshot  # noqa: F401


def _flip(path, at: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_manifest_records_the_content_of_every_file(built_home):
    manifest = json.loads((paths.processed_dir() / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["content_sha256"]) == {"warehouse.parquet", "warehouse.duckdb", "publications.parquet",
                                               "retrievals.parquet"}
    assert _warehouse.damaged() == []


@pytest.mark.parametrize("name", ["warehouse.parquet", "warehouse.duckdb"])
def test_damaged_file_is_named_by_check_and_rebuilt_by_load(built_home, capsys, name):
    good = snapshot(paths.processed_dir())
    _flip(paths.processed_dir() / name)
    # ecd data check says so (exit 2) and writes nothing
    assert main(["data", "check"]) == 2
    err = capsys.readouterr().err
    assert f"data/processed/{name} no longer match" in err and "ecd data build" in err
    # load() notices it when it opens the warehouse, rebuilds from raw, and says so
    ecd.data._load._CACHE.clear()
    with pytest.warns(EcdWarning, match=rf"data/processed/{name} did not match the sha256 .* rebuilt from data/raw"):
        df = ecd.data.load("imr", geo="CN", area="total")
    assert len(df) > 0 and _warehouse.damaged() == []
    healed = snapshot(paths.processed_dir())
    assert {k: v for k, v in healed.items() if k != "manifest.json"}.keys() == good.keys() - {"manifest.json"}
    assert main(["data", "check"]) == 0


def test_truncated_parquet_no_longer_ends_in_arrow_invalid(built_home):
    p = paths.warehouse_parquet()
    p.write_bytes(p.read_bytes()[:50])
    ecd.data._load._CACHE.clear()
    with pytest.warns(EcdWarning, match="rebuilt from data/raw"):
        assert len(ecd.data.load("imr")) > 0


def test_a_killed_warehouse_build_leaves_no_staging_behind(built_home):
    stale = paths.processed_dir().parent / ".processed-new-dead"
    (stale / "processed").mkdir(parents=True)
    ecd.data.build()
    assert not stale.exists() and _warehouse.damaged() == []
