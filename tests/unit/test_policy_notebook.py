"""The 政策进展 chapter: a thin notebook that runs, glues every number its prose uses, and agrees with ecd.policy."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "chapters" / "policy.ipynb"
PROSE = ROOT / "chapters" / "policy.md"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_PLACE = re.compile(r"^\s*\[\[((?:fig|tbl)-[A-Za-z0-9_-]+)\]\]\s*$", re.M)
LABELS = ["tbl-policy-inventory", "fig-policy-timeline", "tbl-policy-progress", "fig-policy-around", "tbl-policy-around",
          "tbl-policy-provincial", "tbl-policy-references"]


def test_notebook_is_a_thin_view():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    for cell in code:
        for line in cell.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), line


def test_prose_has_no_typed_numbers():
    """The book's rule (tests/book/test_real_book.py): digits only in glued values, document titles in 《》, ages,
    indicator names of the catalog."""
    import ecd.catalog

    text = PROSE.read_text(encoding="utf-8")
    for name in sorted({str(n) for n in ecd.catalog.indicators()["name_zh"]}, key=len, reverse=True):
        text = text.replace(name, " ")
    for pattern in (r"\{\{[^}]*\}\}", r"@(?:fig|tbl)-[\w-]+|\[\[[^\]]*\]\]", r"《[^》]*》", r"\d+(?:—\d+)?岁",
                    r"[每/]10万"):
        text = re.sub(pattern, " ", text)
    found = re.findall(r".{0,15}\d.{0,15}", text)
    assert not found, f"typed numbers in prose: {found[:5]}"


@pytest.mark.slow
def test_notebook_executes_and_glues_every_placeholder(run_notebook):
    import ecd.policy
    from notebook_helpers import glued, labels

    outputs = run_notebook(NOTEBOOK)
    glue = glued(outputs)
    prose = PROSE.read_text(encoding="utf-8")
    missing = set(_PLACEHOLDER.findall(prose)) - set(glue)
    assert not missing, f"prose placeholders without a glued value: {sorted(missing)}"
    assert labels(outputs) == set(LABELS)
    refs = set(_XREF.findall(prose)) | set(_PLACE.findall(prose))
    assert refs <= set(LABELS)
    assert all(o["metadata"]["ecd"]["source"] for o in outputs if "ecd" in (o.get("metadata") or {}))
    for g in glue.values():
        assert not re.search(r"\bnan\b|\bNone\b|\binf\b|<NA>", g["text"], flags=re.I), g
    g = {k: v["value"] for k, v in glue.items()}
    docs = ecd.policy.inventory(level="national", years=(2019, 2025))
    assert g["n_docs"] == len(docs) >= 15
    assert sum(g[f"n_{t}"] for t in ecd.policy.TYPES_ZH) == g["n_docs"]
    p = ecd.policy.progress()
    p = p[p["publication"].isin(set(docs["publication"]))]
    assert g["n_targets"] == len(p) and g["n_met"] == int((p["status"] == "met").sum())
    slots = p.set_index("target").loc["fyp14_target_childcare_slots_u3_per_1000_pop"]
    assert g["slots_target"] == pytest.approx(4.5) and g["slots_latest"] == pytest.approx(float(slots["latest_value"]))
    assert g["subsidy_standard"] == pytest.approx(3600)
    # the series around the policy dates are short today: the chapter says so
    assert g["n_around_short"] == g["n_around"]
    assert g["around_births_verdict"] == ecd.policy.VERDICT_ZH["too short"]


@pytest.mark.slow
def test_parameters_reach_the_before_after_view(run_notebook):
    import ecd.policy
    from notebook_helpers import glued

    outputs = run_notebook(NOTEBOOK, {"around_indicators": ["imr"], "around_documents": ["cn_nhc_2021_33"], "min_points": 3})
    g = {k: v["value"] for k, v in glued(outputs).items()}
    assert g["n_around"] == 1 and g["min_points"] == 3
    assert g["around_imr_verdict"] == ecd.policy.VERDICT_ZH["descriptive"]
