"""The raw data in the repository: byte-identical to the data seed, each with a complete sidecar."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecd.data._sidecar import REQUIRED_FIELDS, TRUST_LEVELS

from test_data_support import sha256

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw"
SEED = REPO.parent / "shared" / "data-seed"
FILES = sorted(p for p in RAW.rglob("*.csv"))


def _meta(p: Path) -> dict:
    return yaml.safe_load(p.with_name(p.stem + ".meta.yaml").read_text(encoding="utf-8"))


def test_every_seed_file_is_present():
    names = {p.name for p in FILES}
    assert len(FILES) >= 11 and len(names) == len(FILES)  # the 11 seed files, then hunted sources; one name each
    if SEED.is_dir():  # CI has ../shared beside the clone
        assert {p.name for p in SEED.glob("*.csv")} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sidecar_is_complete_and_sha256_matches(path):
    meta = _meta(path)
    for field in REQUIRED_FIELDS:
        assert field in meta and (meta[field] not in (None, "") or field == "gaps"), field
    assert meta["source_id"] == path.parent.name
    assert meta["sha256"] == sha256(path)
    assert meta["encoding"] == "utf-8"
    assert meta["format"] in {"tidy_csv", "geo_codes", "policy_documents", "policy_target_links"}
    for note in meta.get("trust_notes", []):
        assert note["trust"] in TRUST_LEVELS and note["rows"] and note["note"]
    path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_raw_file_is_byte_identical_to_the_seed(path):
    seed = SEED / path.name
    if not seed.exists():
        pytest.skip(f"data seed not available at {SEED}")
    assert path.read_bytes() == seed.read_bytes()


def test_definition_notes_carry_the_key_caveats():
    text = {p.parent.name: " ".join(_meta(p)["definition_notes"]) + " " + _meta(p)["trust"] for p in FILES}
    assert "监测地区" in text["nhc_official"] and "not the census" in text["nhc_official"]
    assert "unweighted" in text["mchss"]
    assert "modelled" in text["wdi_mortality"] and "modelled" in text["wdi_imr_nmr_nutrition"]
    assert "medium-low" in text["province_yearbook"]


def test_every_row_resolves_to_a_described_publication(tmp_path, monkeypatch):
    """Issue 13: every row of the real data names its original publication (and the warehouse carries it)."""
    import shutil

    import ecd.data

    shutil.copytree(RAW, tmp_path / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(tmp_path))
    ecd.data.build()
    from ecd.data._load import warehouse

    rows = warehouse()
    assert (rows["publication"] != "").all()
    pubs = ecd.data.publications().set_index("publication")
    assert set(rows["publication"]) <= set(pubs.index)
    assert (pubs["title"] != "").all() and (pubs["type"] != "").all()
    named = pubs[pubs["title_supplied"] != "True"]
    assert (named["author"] != "").all() and (named["year"] != "").all()
    # a supplied title is the exception, and says why in its note
    supplied = pubs[pubs["title_supplied"] == "True"]
    assert len(supplied) < len(pubs) / 4 and (supplied["note"] != "").all()
    # every publication the rows use has at least one retrieval copy recorded
    assert set(rows["publication"]) <= set(ecd.data.retrievals()["publication"])
