"""What the decompositions share: the two groups, the model frame and resampling."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecd.errors import DataError, ModelError, ParameterError
from ecd.survey._formula import model_frame


def resolve_data(df, design):
    """The data frame and weights (ones without a design)."""
    if design is None:
        if not isinstance(df, pd.DataFrame):
            raise ParameterError("df", f"expected a pandas DataFrame, got {type(df).__name__}.")
        return df, np.ones(len(df))
    if not (hasattr(design, "_influence_vcov") or hasattr(design, "_replicate_vcov")):
        raise ParameterError("design", f"expected an ecd.survey Design or ReplicateDesign, got {type(design).__name__}.")
    if df is not None and df is not design.data and (len(df) != len(design.data) or not df.index.equals(design.data.index)):
        raise ParameterError("df", "is not the design's data: pass df=design.data (or df=None) with design=, so that "
                             "rows and weights line up.")
    return design.data, design._w


def group_codes(data: pd.DataFrame, group: str):
    """0/1 code per row (NaN where missing) and the two levels, group 0 first.

    A 0/1 (or boolean) column keeps its coding; otherwise the first level in
    sorted order is group 0.
    """
    if not isinstance(group, str) or group not in data.columns:
        raise ParameterError("group", f"{group!r} is not a column of the data (columns: {list(data.columns)[:20]}).")
    col = data[group]
    present = pd.unique(col.dropna())
    if len(present) != 2:
        raise DataError(f"group column {group!r} must have exactly two levels to compare; it has {len(present)}: "
                        f"{sorted(map(str, present))[:10]}. Recode it to two groups (e.g. urban/rural) or subset the data.")
    if pd.api.types.is_bool_dtype(col) or set(present.tolist()) <= {0, 1}:
        levels = [0, 1] if not pd.api.types.is_bool_dtype(col) else [False, True]
    else:
        levels = sorted(present.tolist())
    code = np.full(len(col), np.nan)
    code[(col == levels[0]).to_numpy()] = 0
    code[(col == levels[1]).to_numpy()] = 1
    return code, levels


def frame(formula, data, group, na):
    """Model frame of the rows with a group and every formula column; group code of those rows."""
    code, levels = group_codes(data, group)
    miss = np.isnan(code)
    if miss.any() and na == "raise":
        from ecd.errors import MissingDataError
        from ecd.survey._codes import row_labels

        raise MissingDataError(f"group column {group!r} is missing in row(s) {row_labels(data, miss)}; "
                               "pass na=\"drop\" to leave those rows out.")
    sub = data if not miss.any() else data.iloc[np.flatnonzero(~miss)]
    mf = model_frame(formula, sub, na=na)
    base_rows = np.flatnonzero(~miss)
    rows = base_rows if mf.rows is None else base_rows[mf.rows]
    if group in mf.variables:
        raise ParameterError("formula", f"the group column {group!r} is on the right-hand side of {formula!r}; "
                             "the decomposition compares the groups, leave it out of the formula.")
    return mf, code[rows].astype(np.int64), rows, levels


def check_groups(X, g, terms, levels, group):
    """A term that is 0 (or constant) in every row of one group cannot get that group's coefficient."""
    for k in (0, 1):
        Xk = X[g == k]
        if len(Xk) == 0:
            raise DataError(f"group {levels[k]!r} of {group!r} has no row with every model column.")
        for j, t in enumerate(terms):
            if t == "Intercept":
                continue
            col = Xk[:, j]
            if np.all(col == 0) and np.any(X[g != k][:, j] != 0):
                raise ModelError(f"term {t!r} is 0 in every row of group {group}={levels[k]!r}: the category "
                                 "occurs in one group only, so that group's coefficient for it cannot be "
                                 "estimated and the decomposition would be arbitrary. Merge the category with "
                                 "a neighbour or drop those rows.")


def rao_wu_multipliers(design, rng):
    """Weight multipliers of one Rao-Wu rescaling bootstrap replicate (n_h - 1 PSUs drawn with
    replacement within each stratum), per row."""
    st = design._stages[0]
    counts = np.zeros(st.n_cluster)
    mult = np.zeros(st.n_cluster)
    for h in range(st.n_groups):
        psus = np.flatnonzero(st.group == h)
        n_h = len(psus)
        if n_h < 2:
            mult[psus] = 1.0
            continue
        drawn = rng.choice(psus, size=n_h - 1, replace=True)
        np.add.at(counts, drawn, 1.0)
        mult[psus] = counts[psus] * n_h / (n_h - 1)
    return mult[st.cluster]
