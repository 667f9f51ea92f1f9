"""Coding identifiers as 0..k-1 in sorted order."""
from __future__ import annotations

import numpy as np
import pandas as pd


def codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 in sorted order of the values, and the sorted unique values.

    Integer identifiers with a compact range (the usual case for strata and
    PSUs) are coded in one O(n) pass instead of a hash or a sort.
    """
    if isinstance(values, pd.Series) and not pd.api.types.is_integer_dtype(values):
        # strings stay in Arrow: converting them to a numpy object array costs more
        # than the whole factorization
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), np.asarray(uniques)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= 4 * arr.size + 1024:
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[arr - lo] = True
            mapping = np.cumsum(present) - 1
            return mapping[arr - lo].astype(np.int64), np.flatnonzero(present) + lo
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)
