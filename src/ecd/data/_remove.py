"""Take a source (a folder of ``data/raw``) out of the project, unless a chapter of the book uses it."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ecd import paths
from ecd.errors import ConfigError, ParameterError

__all__ = ["remove", "chapters_using"]


def _source_dir(source: str) -> Path:
    raw = paths.raw_dir()
    folder = raw / source
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", source or "") or source in (".", "..") or not folder.is_dir():
        from ecd.catalog._load import suggest

        known = sorted(p.name for p in raw.iterdir() if p.is_dir()) if raw.is_dir() else []
        raise ParameterError("source", f"no source {source!r} under {raw}; {suggest(source, known, where='ecd sources')}")
    return folder


def _publication_keys(folder: Path) -> set[str]:
    from ecd._yaml import load_yaml

    keys = set()
    for meta in sorted(folder.rglob("*.meta.yaml")):
        doc = load_yaml(meta.read_text(encoding="utf-8"), str(meta)) or {}
        keys |= set((doc.get("publications") or {}).keys())
        if doc.get("publication"):
            keys.add(str(doc["publication"]))
    return keys


def chapters_using(source: str) -> dict[str, list[str]]:
    """The chapters of ``chapters/book.yml`` that use ``source``, each with the reasons found.

    A chapter uses a source when its ``uses`` names the source's folder (or a file in it), when its
    notebook or prose names the source id in quotes, or when its page in ``build/current`` cites a
    publication defined in the source's sidecars.
    """
    from ecd.book._manifest import load_manifest

    folder = _source_dir(source)
    rel = folder.relative_to(paths.home()).as_posix()
    keys = _publication_keys(folder)
    quoted = re.compile(rf"""["']{re.escape(source)}["']""")
    found: dict[str, list[str]] = {}
    for c in load_manifest(check_notebooks=False).chapters:
        why = [f"uses: {u}" for u in c.uses if u == rel or u.startswith(rel + "/")]
        for label in (c.notebook, c.prose):
            f = paths.home() / label if label else None
            if f and f.is_file() and quoted.search(f.read_text(encoding="utf-8")):
                why.append(f"{label} names {source!r}")
        for page in {paths.current_dir() / f"{c.id}.html", paths.current_dir() / f"{c.group}.html"}:
            if page.is_file() and keys:
                cited = set(re.findall(r'data-pub="([^"]+)"', page.read_text(encoding="utf-8"))) & keys
                if cited:
                    why.append(f"build/current/{page.name} cites {', '.join(sorted(cited))}")
        for reason in why:
            if reason not in found.setdefault(c.group, []):
                found[c.group].append(reason)
    return {cid: why for cid, why in found.items() if why}


def remove(source: str, force: bool = False) -> str:
    """Delete ``data/raw/<source>`` (files and sidecars) and the ``catalog/prefer-<source>.yaml`` that
    ``ecd data add --prefer`` wrote for it; the warehouse is rebuilt on the next load.

    Parameters
    ----------
    source : str
        A folder of ``data/raw`` (see ``ecd sources``).
    force : bool
        Remove even when a chapter uses the source (its next build will lack those rows).

    Returns
    -------
    str
        What was removed.

    Raises
    ------
    ecd.errors.ParameterError
        No such source.
    ecd.errors.ConfigError
        A chapter uses the source and ``force`` is false; nothing is removed.
    """
    folder = _source_dir(source)
    users = chapters_using(source)
    if users and not force:
        lines = "; ".join(f"{cid} ({', '.join(why)})" for cid, why in sorted(users.items()))
        raise ConfigError(f"source {source!r} is used by {len(users)} chapter(s): {lines}. Nothing removed; "
                          f"`ecd data remove {source} --force` removes it anyway")
    n = sum(1 for p in folder.rglob("*") if p.is_file())
    trash = folder.with_name(f".{source}.removing-{os.getpid()}")
    os.replace(folder, trash)  # one rename: the source is gone at once, never half-deleted for a reader
    shutil.rmtree(trash)
    note = f" (used by {', '.join(sorted(users))}: their next build lacks its rows)" if users else ""
    prefer = paths.home() / "catalog" / f"prefer-{source}.yaml"  # what `ecd data add --prefer` wrote for it
    if prefer.is_file():
        prefer.unlink()
        note += f" and catalog/{prefer.name}"
    return f"removed data/raw/{source} ({n} file(s)){note}; `ecd data build` or the next load() rebuilds the warehouse"
