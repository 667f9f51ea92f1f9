"""Helpers for tests that execute or inspect notebooks (import as `notebook_helpers`)."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

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


