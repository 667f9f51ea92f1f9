"""Content-hash cache keys.

An execution key is sha256 over its parts, each hashed on its own so that
``ecd status --why`` can name the part that changed:

- ``code``: the notebook's code cells (not markdown, not outputs);
- ``params``: the typed parameter values;
- ``inputs``: the content of every declared input (files, folders) and the
  keys of upstream data steps;
- ``src``: the ``ecd`` source tree;
- ``env``: the installed distributions and their versions (the locked environment);
- ``epoch``: a number bumped to invalidate every cache on purpose.

The render key covers the executed notebook, the templates, the prose and the
chapter's place in the book, so a prose edit re-renders without re-executing.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

EPOCH = 1
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def hash_path(path: Path) -> str:
    """Hash a file's bytes, or a folder's files (relative names + bytes), recursively."""
    path = Path(path)
    if path.is_file():
        return sha256_bytes(path.read_bytes())
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file() and not (_SKIP_DIRS & set(p.relative_to(path).parts)) and p.suffix != ".pyc":
            h.update(p.relative_to(path).as_posix().encode())
            h.update(b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def code_hash(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    code = [c.source.strip() for c in nb.cells if c.cell_type == "code"]
    return sha256_text(json.dumps(code, ensure_ascii=False))


def params_hash(params: dict) -> str:
    return sha256_text(json.dumps(params, sort_keys=True, ensure_ascii=False, default=str))


@functools.lru_cache(maxsize=1)
def src_hash() -> str:
    from ecd import paths

    return hash_path(paths.PACKAGE_DIR)


@functools.lru_cache(maxsize=1)
def env_hash() -> str:
    from importlib import metadata

    dists = sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions() if d.metadata["Name"]})
    return sha256_text("\n".join(dists))


def combine(parts: dict) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True))
