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

# Property tests: reproducible (derandomized, no example database) and free of
# wall-clock deadlines, which a loaded 2-core CI machine would turn into flakes.
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("ecd", deadline=None, derandomize=True, database=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("ecd")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass


@pytest.fixture
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture
def fixture_home(tmp_path, monkeypatch) -> Path:
    """A temporary copy of the small test project home (``tests/fixtures/data/home``), as ``ECD_HOME``."""
    import shutil

    h = tmp_path / "home"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "data" / "home", h)
    monkeypatch.setenv("ECD_HOME", str(h))
    return h


# --------------------------------------------------------------------------- notebooks
@pytest.fixture
def run_notebook(tmp_path):
    """Execute a notebook with papermill into tmp_path; return its outputs (errors fail the test)."""
    def _run(path, parameters=None, cwd=None):
        import papermill

        out = tmp_path / (Path(path).stem + ".out.ipynb")
        papermill.execute_notebook(str(path), str(out), parameters=parameters or {}, kernel_name="python3",
                                   cwd=str(cwd or tmp_path), progress_bar=False)
        from notebook_helpers import notebook_outputs

        outputs = notebook_outputs(out)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        assert not errors, errors
        return outputs

    return _run
