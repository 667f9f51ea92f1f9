"""``ecd new chapter``: the files and the manifest entry, refusals, and the manifest's other lines kept."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from ecd.cli import main
from ecd.errors import ParameterError
from ecd.scaffold import new_chapter
from ecd.scaffold._chapter import insert_chapter

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    for part in ("chapters", "notebooks"):
        shutil.copytree(REPO / part, h / part)
    shutil.copytree(REPO / "data" / "raw", h / "data" / "raw")
    monkeypatch.setenv("ECD_HOME", str(h))
    return h


def test_scaffold_writes_notebook_prose_and_entry(home, capsys):
    before = (home / "chapters/book.yml").read_text(encoding="utf-8")
    assert main(["new", "chapter", "births-demo", "--title", "出生人口", "--indicator", "births", "--geo", "CN"]) == 0
    assert "ecd build --only births-demo" in capsys.readouterr().out
    after = (home / "chapters/book.yml").read_text(encoding="utf-8")
    from ecd.scaffold import manifest_entry

    added = manifest_entry("births-demo", "出生人口", "births_demo", "births", None, ["CN"], "warehouse", "  ")
    assert added in after and after.replace(added, "", 1) == before  # every other line kept as it was
    doc = yaml.safe_load(after)
    entry = doc["chapters"][-1]
    assert entry == {"id": "births-demo", "title": "出生人口", "notebook": "notebooks/chapters/births_demo.ipynb",
                     "prose": "chapters/births_demo.md",
                     "parameters": {"indicator": {"type": "str", "default": "births"},
                                    "geos": {"type": "list", "items": {"type": "str"}, "default": ["CN"]}},
                     "uses": ["warehouse"], "required": False}
    nb = json.loads((home / "notebooks/chapters/births_demo.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"]["tags"] == ["parameters"] and code[0]["source"] == 'indicator = "births"\ngeos = ["CN"]\n'
    body = "".join(c["source"] for c in code)
    assert 'label="fig-births-demo"' in body and "def " not in body and "class " not in body
    prose = (home / "chapters/births_demo.md").read_text(encoding="utf-8")
    assert "[[fig-births-demo]]" in prose and "{{latest_value}}" in prose
    from ecd.book import load_manifest

    m = load_manifest()
    assert m.chapter("births-demo").params == {"indicator": "births", "geos": ["CN"]}


def test_foreach_provinces_expands_to_one_section_per_province(home):
    result = new_chapter("prov-births", foreach="provinces", indicator="births")
    assert result.foreach == "provinces"
    from ecd.book import load_manifest

    sections = [c for c in load_manifest().chapters if c.group == "prov-births"]
    assert len(sections) == 31 and sections[0].params == {"indicator": "births", "province": sections[0].section}
    nb = json.loads((home / result.notebook).read_text(encoding="utf-8"))
    assert 'province = "CN-BJ"' in nb["cells"][1]["source"]


@pytest.mark.parametrize("args, message", [
    (["new", "chapter", "urban-rural-mortality"], "chapter 'urban-rural-mortality' already exists"),
    (["new", "chapter", "Births"], "'Births' is not a valid chapter id"),
    (["new", "chapter", "-x"], ""),  # argparse: not even an id
    (["new", "chapter", "ok", "--indicator", "imrr"], "unknown indicator code 'imrr'; did you mean"),
    (["new", "chapter", "ok", "--geo", "XX"], "unknown geo code(s) ['XX']"),
])
def test_refusals_exit_2_and_change_nothing(home, capsys, args, message):
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and "data" not in p.parts}
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and "data" not in p.parts} == before


def test_existing_notebook_is_not_overwritten(home):
    nb = home / "notebooks/chapters/mine.ipynb"
    nb.write_text("{}", encoding="utf-8")
    with pytest.raises(ParameterError, match="notebooks/chapters/mine.ipynb already exists"):
        new_chapter("mine")
    assert nb.read_text(encoding="utf-8") == "{}"


def test_insert_keeps_comments_and_later_sections():
    text = ("# top comment\nbook:\n  title: t\n  edition: \"1\"\nchapters:\n    - id: a\n      title: A\n"
            "    # a trailing comment stays after the new entry\n\nextra_after: 1\n")
    out = insert_chapter(text, lambda ind: f"{ind}- id: b\n{ind}  title: B\n")
    assert out == ("# top comment\nbook:\n  title: t\n  edition: \"1\"\nchapters:\n    - id: a\n      title: A\n"
                   "    - id: b\n      title: B\n"
                   "    # a trailing comment stays after the new entry\n\nextra_after: 1\n")
    assert yaml.safe_load(out)["chapters"] == [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]


def test_a_manifest_that_would_not_validate_is_restored(home, monkeypatch):
    import ecd.scaffold._chapter as chap

    original = (home / "chapters/book.yml").read_text(encoding="utf-8")
    monkeypatch.setattr(chap, "manifest_entry", lambda *a, **k: "  - id: broken\n")
    with pytest.raises(Exception, match="title"):
        new_chapter("broken")
    assert (home / "chapters/book.yml").read_text(encoding="utf-8") == original
    assert not (home / "notebooks/chapters/broken.ipynb").exists() and not (home / "chapters/broken.md").exists()
