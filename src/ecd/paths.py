"""Every path ``ecd`` uses, in one place.

The project home (where ``data/``, ``chapters/``, ``notebooks/`` and ``build/``
live) is the environment variable ``ECD_HOME`` when set, else the repository
root that contains this package (src layout). Nothing here touches the disk at
import time; functions compute paths on demand so that tests can point
``ECD_HOME`` at a temporary folder.

Examples
--------
>>> import os, ecd.paths
>>> os.environ["ECD_HOME"] = "/tmp/team-book"
>>> str(ecd.paths.raw_dir())
'/tmp/team-book/data/raw'
>>> del os.environ["ECD_HOME"]
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PACKAGE_DIR",
    "home",
    "data_dir",
    "raw_dir",
    "processed_dir",
    "warehouse_parquet",
    "warehouse_duckdb",
    "chapters_dir",
    "manifest_path",
    "notebooks_dir",
    "build_dir",
    "runs_dir",
    "releases_dir",
    "current_dir",
    "cache_dir",
]

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = PACKAGE_DIR.parent.parent


def home() -> Path:
    """Project home: ``$ECD_HOME`` or the repository root."""
    env = os.environ.get("ECD_HOME")
    return Path(env).expanduser().resolve() if env else _REPO_ROOT


def data_dir() -> Path:
    return home() / "data"


def raw_dir() -> Path:
    """Immutable source files, one folder per source, each file with a ``.meta.yaml``."""
    return data_dir() / "raw"


def processed_dir() -> Path:
    """Derived data rebuilt by ``ecd data build`` (never edited by hand)."""
    return data_dir() / "processed"


def warehouse_parquet() -> Path:
    return processed_dir() / "warehouse.parquet"


def warehouse_duckdb() -> Path:
    return processed_dir() / "warehouse.duckdb"


def chapters_dir() -> Path:
    return home() / "chapters"


def manifest_path() -> Path:
    return chapters_dir() / "book.yml"


def notebooks_dir() -> Path:
    return home() / "notebooks"


def build_dir() -> Path:
    return home() / "build"


def runs_dir() -> Path:
    return build_dir() / "runs"


def releases_dir() -> Path:
    return build_dir() / "releases"


def current_dir() -> Path:
    """The last good render (a symlink switched atomically on publish)."""
    return build_dir() / "current"


def cache_dir() -> Path:
    """Executed notebooks and outputs stored by cache key."""
    return build_dir() / "cache"
