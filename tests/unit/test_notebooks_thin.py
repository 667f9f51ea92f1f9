"""Every notebook is a thin view: a `parameters` cell first, no def/class (logic lives in src/ecd)."""
from __future__ import annotations

import ast
import json

import pytest
from notebook_helpers import NOTEBOOKS

ALL = sorted(NOTEBOOKS.glob("*/*.ipynb"))


def test_there_are_notebooks():
    assert len(ALL) >= 5


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_a_thin_view(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    assert "parameters" in code[0]["metadata"].get("tags", []), "the first code cell must be tagged 'parameters'"
    for i, cell in enumerate(code):
        source = "".join(cell["source"])
        # IPython magics and shell escapes are not Python
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        tree = ast.parse(source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        named = [n for n in defs if not isinstance(n, ast.Lambda)]
        assert not named, f"cell {i} defines {[n.name for n in named]}: move it into src/ecd"
    assert not any(o for c in code for o in c.get("outputs", [])), "commit notebooks without outputs"
