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
    "outside_home",
]

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = PACKAGE_DIR.parent.parent


def home() -> Path:
    """Project home: ``$ECD_HOME`` or the repository root."""
    env = os.environ.get("ECD_HOME")
    return Path(env).expanduser().resolve() if env else _REPO_ROOT


def outside_home(path: Path, root: Path | None = None) -> str | None:
    """Why ``path`` leads out of the project (``root``, default :func:`home`), or None when it stays in.

    A relative path is taken from ``root``. Symbolic links are followed: a link
    inside the project whose target lies outside it is named with its target,
    since what it points to is neither versioned nor hashed with the project.

    Examples
    --------
    >>> from pathlib import Path
    >>> outside_home(Path("data/raw"), Path("/tmp/book")) is None
    True
    >>> print(outside_home(Path("../elsewhere"), Path("/tmp/book")))
    is outside the project (it is /tmp/elsewhere, the project is /tmp/book)
    """
    root = (root or home()).resolve()
    p = Path(path)
    p = p if p.is_absolute() else root / p
    target = p.resolve()
    if target == root or root in target.parents:
        return None
    lexical = Path(os.path.normpath(p))
    if lexical == root or root in lexical.parents:
        # the name is in the project: a symbolic link on the way leads out
        link = next((q for q in [*reversed(lexical.parents), lexical] if root in q.parents and q.is_symlink()),
                    lexical)
        return (f"is a symbolic link out of the project ({link.relative_to(root).as_posix()} -> "
                f"{os.readlink(link) if link.is_symlink() else target}, which resolves to {target})")
    return f"is outside the project (it is {target}, the project is {root})"


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
