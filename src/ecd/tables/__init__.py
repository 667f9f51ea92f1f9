"""Rules for published tables.

Public API
----------
small_cell
    The DHS small-cell rule: suppress estimates from fewer than 25 unweighted
    cases, show those from 25–49 in parentheses (thresholds configurable).
small_cell_status
    The rule's verdict per row ("suppressed", "caution", "ok").
"""
from __future__ import annotations

from ._small_cell import small_cell, small_cell_status

__all__ = ["small_cell", "small_cell_status"]
