"""Chapter 方法说明与术语表: the notebook runs, glues every placeholder of its prose, reads each method's
parameters from the book manifest (so the chapter follows book.yml) and lists every catalogued indicator once."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_CITE = re.compile(r"\[@([A-Za-z0-9_:-]+)\]")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    papermill = pytest.importorskip("papermill")
    from ecd.book._render import collect

    tmp = tmp_path_factory.mktemp("methods")
    path = tmp / "methods.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "chapters" / "methods.ipynb"), str(path), kernel_name="python3",
                               cwd=str(tmp), progress_bar=False)
    nb = nbformat.read(path, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return collect(nb)


def table(out, label):
    t = next(it for it in out.items if it["label"] == label)
    return pd.DataFrame(t["cells"]["data"], columns=t["cells"]["columns"])


@pytest.mark.slow
def test_methods_prose_is_fully_glued_and_cited(out):
    from ecd.book._bib import read_bib

    prose = (ROOT / "chapters" / "methods.md").read_text(encoding="utf-8")
    assert not set(_PLACEHOLDER.findall(prose)) - set(out.glue)
    assert set(_XREF.findall(prose)) <= {it["label"] for it in out.items}
    assert set(_CITE.findall(prose)) <= set(read_bib(ROOT / "chapters" / "references.bib"))
    assert all(it["source"] for it in out.items)


@pytest.mark.slow
def test_parameters_come_from_the_manifest(out):
    import ecd.book

    m = ecd.book.load_manifest()
    trend = m.chapter("trends-targets").params
    care = m.chapter("childcare").params
    t = table(out, "tbl-methods-parameters").set_index("参数")
    assert t.loc["最多连接点数", "本版取值"] == str(trend["max_joinpoints"])
    assert t.loc["婴儿死亡在出生当年发生的比例", "本版取值"] == f"{100 * care['infant_death_fraction']:.0f}%"
    assert out.glue["max_joinpoints"]["value"] == trend["max_joinpoints"]
    assert out.glue["title_childcare"]["value"] == m.chapter("childcare").title


@pytest.mark.slow
def test_glossary_lists_every_indicator_once(out):
    import ecd.catalog

    cat = ecd.catalog.indicators()
    expected = set(cat.loc[cat["domain"] != "policy_target", "code"])
    parts = [table(out, it["label"]) for it in out.items if it["label"].startswith("tbl-glossary-")
             and it["label"] != "tbl-glossary-definitions"]
    codes = pd.concat(parts)["代码"]
    assert codes.is_unique and set(codes) == expected
    assert out.glue["n_glossary"]["value"] == len(expected)
    merged = pd.concat(parts).set_index("代码")
    assert merged.loc["imr", "中文名称"] == cat.set_index("code").loc["imr", "name_zh"]
