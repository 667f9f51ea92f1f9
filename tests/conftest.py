"""Shared test configuration.

``ecd``'s own warnings are errors (pyproject's ``filterwarnings``); tests that
expect one use ``pytest.warns``. Tests never touch the user's ``data/`` or
``build/``: fixtures that need a project home point ``ECD_HOME`` at a temporary
copy.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = Path(__file__).resolve().parent / "reference"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def reference_dir() -> Path:
    return REFERENCE


# --------------------------------------------------------------------------- notebooks
NOTEBOOKS = REPO / "notebooks"


def notebook_outputs(path) -> list[dict]:
    """Every output of every code cell of an executed notebook."""
    import json

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def glued(outputs: list[dict]) -> dict:
    """name -> glue payload from notebook outputs."""
    key = "application/vnd.ecd.glue+json"
    return {o["data"][key]["name"]: o["data"][key] for o in outputs if key in o.get("data", {})}


def labels(outputs: list[dict]) -> set:
    """Labels of the figures and tables a notebook handed to the book."""
    return {o["metadata"]["ecd"]["label"] for o in outputs if "ecd" in (o.get("metadata") or {})}


@pytest.fixture
def run_notebook(tmp_path):
    """Execute a notebook with papermill into tmp_path; return its outputs (errors fail the test)."""
    def _run(path, parameters=None, cwd=None):
        import papermill

        out = tmp_path / (Path(path).stem + ".out.ipynb")
        papermill.execute_notebook(str(path), str(out), parameters=parameters or {}, kernel_name="python3",
                                   cwd=str(cwd or tmp_path), progress_bar=False)
        outputs = notebook_outputs(out)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        assert not errors, errors
        return outputs

    return _run
