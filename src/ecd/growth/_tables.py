"""The WHO 2006 LMS tables as dense numpy arrays, loaded once.

Age-based tables are indexed ``[sex, age_in_days]`` (sex 1 = male, 2 = female;
row 0 is unused), with NaN where the table has no row (e.g. arm circumference
before day 91), so that anthro's exact join on (sex, day) becomes an array
lookup. Weight-for-length/height tables are indexed ``[sex, tenths_of_cm - offset]``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["LMS", "age_table", "length_table", "weight_for_lenhei", "AGE_TABLES", "MAX_TABLE_DAY"]

#: indicator -> file shipped under ``ecd/growth/data``
AGE_TABLES = {
    "len": "lenanthro.csv",
    "wei": "weianthro.csv",
    "bmi": "bmianthro.csv",
    "hc": "hcanthro.csv",
    "ac": "acanthro.csv",
    "ts": "tsanthro.csv",
    "ss": "ssanthro.csv",
}
LENGTH_TABLES = {"wfl": ("wflanthro.csv", "length"), "wfh": ("wfhanthro.csv", "height")}
#: anthro validates age_in_days <= 1856 although the tables stop at day 1826
MAX_TABLE_DAY = 1856


@dataclass(frozen=True)
class LMS:
    """L, M and S as arrays of shape (3, n); ``offset`` is the key of column 0."""

    l: np.ndarray
    m: np.ndarray
    s: np.ndarray
    offset: int


def _read(name: str) -> pd.DataFrame:
    with resources.files("ecd.growth").joinpath("data", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _dense(sex: np.ndarray, key: np.ndarray, frame: pd.DataFrame, size: int, offset: int) -> LMS:
    arrays = []
    for column in ("l", "m", "s"):
        out = np.full((3, size), np.nan)
        out[sex, key - offset] = frame[column].to_numpy(dtype=float)
        out.setflags(write=False)
        arrays.append(out)
    return LMS(*arrays, offset=offset)


@functools.cache
def age_table(indicator: str) -> LMS:
    """LMS by (sex, day) for an age-based indicator (``len``, ``wei``, ``bmi``, ...)."""
    frame = _read(AGE_TABLES[indicator])
    sex = frame["sex"].to_numpy(dtype=int)
    day = frame["age"].to_numpy(dtype=int)
    # one spare column beyond the largest valid day keeps look-ups in bounds
    return _dense(sex, day, frame, MAX_TABLE_DAY + 1, 0)


@functools.cache
def length_table(which: str) -> LMS:
    """LMS by (sex, length in tenths of a cm) for ``wfl`` (45–110 cm) or ``wfh`` (65–120 cm)."""
    name, column = LENGTH_TABLES[which]
    frame = _read(name)
    sex = frame["sex"].to_numpy(dtype=int)
    tenths = np.rint(frame[column].to_numpy(dtype=float) * 10).astype(int)
    offset = int(tenths.min())
    # one spare column so that row k + 1 exists for the last k
    return _dense(sex, tenths, frame, int(tenths.max()) - offset + 2, offset)


@functools.cache
def weight_for_lenhei() -> tuple[LMS, int]:
    """Length and height tables side by side, so one gather serves both.

    Returns the joined LMS (columns of ``wfl`` then of ``wfh``; the offset is
    that of ``wfl``) and the shift from a height in tenths of a cm to its column.
    """
    wfl, wfh = length_table("wfl"), length_table("wfh")
    start = wfl.l.shape[1]
    joined = [np.concatenate([a, b], axis=1) for a, b in zip((wfl.l, wfl.m, wfl.s), (wfh.l, wfh.m, wfh.s))]
    for arr in joined:
        arr.setflags(write=False)
    return LMS(*joined, offset=wfl.offset), start - wfh.offset
