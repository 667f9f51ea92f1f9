"""SYNTHETIC key, references and survey for tests, doctests and the demo notebook.

Everything here is invented (see ``synthetic/README.md``): never use it to score
real data and never show it in the book except labelled SYNTHETIC.
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent / "synthetic"


def synthetic_key_paths() -> tuple[Path, Path]:
    """Paths of the SYNTHETIC ``key.csv`` and ``key_params.yaml`` shipped for tests and demos."""
    return _HERE / "synthetic_key.csv", _HERE / "synthetic_key_params.yaml"


def synthetic_reference_path(kind: str = "bct") -> Path:
    """Path of the SYNTHETIC BCT (``"bct"``) or LMS (``"lms"``) reference table."""
    return _HERE / f"synthetic_reference_{kind}.csv"
