"""Starting points for researchers: a new book chapter that builds immediately.

:func:`new_chapter` writes ``notebooks/chapters/<name>.ipynb`` (a ``parameters``
cell, setup that loads one indicator from the warehouse, a labelled figure and
glued numbers), ``chapters/<name>.md`` (prose with a glued number and the
figure's placement) and appends its entry to ``chapters/book.yml`` (under a
file lock, keeping every other line of the manifest). The command line is
``ecd new chapter NAME [--foreach provinces] [--title TITLE] [--indicator CODE]``.

Examples
--------
>>> from ecd.scaffold import manifest_entry
>>> print(manifest_entry("births", "出生", "births", "births", None, ["CN"], "warehouse", "  "), end="")
  - id: births
    title: "出生"
    notebook: notebooks/chapters/births.ipynb
    prose: chapters/births.md
    parameters:
      indicator: {type: str, default: "births"}
      geos: {type: list, items: {type: str}, default: ["CN"]}
    uses: [warehouse]
    required: false
"""
from __future__ import annotations

from ecd.scaffold._chapter import ChapterScaffold, manifest_entry, new_chapter

__all__ = ["new_chapter", "ChapterScaffold", "manifest_entry"]
