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


# Within one build the same files are hashed for many chapters (31 province
# sections share their inputs): file digests are memoized by identity and stat,
# and the memo is cleared at the start of every build (``reset``), so nothing is
# ever reused across builds.
_FILE_MEMO: dict = {}


def reset() -> None:
    """Forget every memoized digest (called at the start of each build and status)."""
    _FILE_MEMO.clear()
    src_hash.cache_clear()
    env_hash.cache_clear()


def _file_digest(p: Path) -> bytes:
    st = p.stat()
    key = (str(p), st.st_ino, st.st_size, st.st_mtime_ns)
    d = _FILE_MEMO.get(key)
    if d is None:
        d = _FILE_MEMO[key] = hashlib.sha256(p.read_bytes()).digest()
    return d


def hash_path(path: Path, skip: tuple = ()) -> str:
    """Hash a file's bytes, or a folder's files (relative names + bytes), recursively.

    ``skip``: sub-folders (relative, POSIX) left out.
    """
    path = Path(path)
    if path.is_file():
        return _file_digest(path).hex()
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if any(rel.as_posix().startswith(f"{s}/") for s in skip):
            continue
        if p.is_file() and not (_SKIP_DIRS & set(rel.parts)) and p.suffix != ".pyc":
            h.update(p.relative_to(path).as_posix().encode())
            h.update(b"\0")
            h.update(_file_digest(p))
    return h.hexdigest()


def code_hash(nb_path: Path) -> str:
    """Hash of a notebook's code cells only (markdown and outputs do not count)."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    code = ["".join(c["source"]).strip() if isinstance(c["source"], list) else c["source"].strip()
            for c in nb["cells"] if c["cell_type"] == "code"]
    return sha256_text(json.dumps(code, ensure_ascii=False))


def params_hash(params: dict) -> str:
    return sha256_text(json.dumps(params, sort_keys=True, ensure_ascii=False, default=str))


@functools.lru_cache(maxsize=1)
def src_hash() -> str:
    """The ``ecd`` source tree, less the page templates and CSS: no notebook runs them, and the render key
    hashes them (a stylesheet edit re-renders the book without re-executing it)."""
    from ecd import paths

    return hash_path(paths.PACKAGE_DIR, skip=("book/templates",))


@functools.lru_cache(maxsize=1)
def env_hash() -> str:
    """The installed environment: every distribution's name and version on sys.path.

    Read from the ``*.dist-info`` / ``*.egg-info`` folder names (name-version), which
    is what pip writes, and is much faster than asking importlib.metadata for each.
    """
    import sys

    names = set()
    for entry in sys.path:
        p = Path(entry)
        if p.is_dir():
            for child in p.iterdir():
                if child.suffix in (".dist-info", ".egg-info"):
                    names.add(child.name.lower())
    names.add(sys.version)
    return sha256_text("\n".join(sorted(names)))


def combine(parts: dict) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True))


# ----------------------------------------------------------------------------- verified entries
# A cache entry (an executed notebook, a rendered chapter) is written with the sha256 of its bytes
# beside it, and verified when it is read: a damaged entry (truncated by a full disk, edited, half
# written by a killed build) is discarded, logged and recomputed instead of breaking every later build.

def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def put(path: Path, data: bytes) -> None:
    """Store ``data`` at ``path`` with its sha256 (the digest first, then the entry, each atomically)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}.{id(data)}"
    for target, payload in ((_digest_path(path), sha256_bytes(data).encode()), (path, data)):
        tmp = target.with_name(f".{target.name}.{tag}.tmp")
        try:
            tmp.write_bytes(payload)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def problem(path: Path) -> str | None:
    """Why the entry at ``path`` cannot be used (``None``: it is intact); ``"missing"`` when absent."""
    if not path.exists():
        return "missing"
    digest = _digest_path(path)
    if not digest.exists():
        return "its sha256 record is missing (written by an interrupted build?)"
    try:
        recorded = digest.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        recorded = ""
    if sha256_bytes(path.read_bytes()) != recorded:
        return "its content does not match the sha256 recorded when it was stored"
    return None


def get(path: Path, what: str, log=None) -> bytes | None:
    """The bytes of an intact entry; ``None`` for a missing one. A damaged one is removed and logged."""
    why = problem(path)
    if why == "missing":
        return None
    if why is not None:
        discard(path)
        if log is not None:
            log(f"cache: discarded {what} ({_shown(path)}: {why}); recomputing it")
        return None
    return path.read_bytes()


def _shown(path: Path) -> str:
    from ecd import paths

    try:
        return path.relative_to(paths.home()).as_posix()
    except ValueError:
        return str(path)


def discard(path: Path) -> None:
    """Remove a cache entry and its digest."""
    for p in (path, _digest_path(path)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
