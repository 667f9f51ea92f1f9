"""Frozen result objects of :mod:`ecd.findings`; ``.tidy()`` is the single source of numbers."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Fact:
    """One number (or word) a finding rests on, formatted as the prose states it."""

    value: object
    text: str
    quantity: str | None = None


@dataclass(frozen=True)
class Finding:
    """What the data say, in one Chinese sentence, with the facts behind it.

    ``key`` is stable across editions (e.g. ``"gap_divergence.nmr.CN-WEST"``) and
    names the glued facts (:func:`ecd.book.glue_findings`); ``facts`` maps a short
    name to a :class:`Fact`.
    """

    key: str
    kind: str
    indicator: str
    geo: str
    text_zh: str
    facts: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The key as a glue name (letters, digits and ``_``)."""
        return "".join(ch if ch.isalnum() else "_" for ch in self.key).lower()


@dataclass(frozen=True)
class FindingsResult:
    """Per-series facts (``tidy()``) and the findings they support (``findings``)."""

    table: pd.DataFrame = field(repr=False)
    findings: tuple = ()

    def tidy(self) -> pd.DataFrame:
        """One row per series examined (a copy), whether or not it gave a finding."""
        return self.table.copy()

    def statements(self) -> pd.DataFrame:
        """One row per finding: ``key, kind, indicator, geo, text_zh``."""
        return pd.DataFrame([{"key": f.key, "kind": f.kind, "indicator": f.indicator, "geo": f.geo,
                              "text_zh": f.text_zh} for f in self.findings],
                            columns=["key", "kind", "indicator", "geo", "text_zh"])

    def get(self, key: str) -> Finding:
        """The finding with this key (KeyError naming the keys there are)."""
        for f in self.findings:
            if f.key == key:
                return f
        raise KeyError(f"no finding {key!r}; there are {[f.key for f in self.findings]}")

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)
