"""Coding identifiers as 0..k-1 in sorted order; naming rows in messages."""
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
        arrow = _arrow_codes(values)
        if arrow is not None:
            return arrow
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


def _arrow_codes(values: pd.Series):
    """Dictionary-encode an Arrow-backed string column without leaving Arrow."""
    data = getattr(values.array, "_pa_array", None)
    if data is None or values.hasnans:
        return None
    import pyarrow as pa

    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return None
    enc = data.dictionary_encode()
    uniques = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[enc.indices.to_numpy(zero_copy_only=False)], uniques[order]


def row_labels(data: pd.DataFrame, mask, limit: int = 10) -> str:
    """Readable list of the index labels where ``mask`` is true (for error messages)."""
    idx = data.index[np.asarray(mask)]
    more = f" (and {len(idx) - limit} more)" if len(idx) > limit else ""
    return ", ".join(map(str, idx[:limit])) + more
