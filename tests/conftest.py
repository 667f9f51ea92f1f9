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
