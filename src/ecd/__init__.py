"""ecd — research workbench for China's 0–3 early childhood development blue book.

Subpackages load on first use, so ``import ecd`` is cheap::

    import ecd
    df = ecd.data.load("nmr", area=["urban", "rural"])

Public subpackages: ``data``, ``catalog``, ``survey``, ``gap``, ``growth``, ``development``,
``inequality``, ``trends``, ``childcare``, ``policy``, ``regional``, ``compare``, ``findings``, ``tables``, ``viz``,
``book``, ``scaffold``; plus
``errors`` and ``paths``.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "book", "catalog", "childcare", "compare", "data", "development", "errors", "findings", "gap", "growth", "inequality",
    "paths", "policy", "regional", "scaffold", "survey", "tables", "trends", "viz",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"ecd.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ecd' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
