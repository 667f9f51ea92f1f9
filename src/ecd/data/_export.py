"""Rows of the warehouse to a spreadsheet or CSV a colleague can read without ``ecd``, with a codebook.

An ``.xlsx`` file has four sheets: ``data`` (the rows as given), ``codebook`` (one row per
indicator: names, unit, definition, the publications its rows are from), ``publications``
(each original publication once, in GB/T 7714 form) and ``columns`` (what each data column is,
and its type, so :func:`read_export` gives back the same DataFrame). A ``.csv`` file holds the
data; the other three tables are written beside it as ``<name>.codebook.csv``,
``<name>.publications.csv`` and ``<name>.columns.csv`` (UTF-8 with a byte-order mark, so that
Excel shows the Chinese). Files are written to a temporary name and moved into place: a failed
export leaves nothing half-written.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from ecd.errors import ParameterError

__all__ = ["export", "read_export"]

SHEETS = ("data", "codebook", "publications", "columns")
_COLUMN_MEANING = {
    "indicator": "指标代码（见 codebook）", "geo": "地区代码（CN 全国，CN-XX 省份，ISO3 国家）",
    "area": "城乡：total 合计，urban 城市，rural 农村", "year": "年份", "value": "数值（单位见 unit）",
    "unit": "单位", "source_id": "数据来源文件夹（data/raw/<source_id>）", "citation": "来源文件的说明",
    "se": "标准误", "ci_low": "置信区间下限", "ci_high": "置信区间上限",
    "publication": "原始出版物代码（见 publications）", "trust": "可信度", "note": "备注",
}


def _suffix(path: Path) -> str:
    kind = path.suffix.lower()
    if kind not in (".xlsx", ".csv"):
        raise ParameterError("path", f"{str(path)!r}: cannot export to {kind or 'a file without a suffix'}; "
                                     "name a .xlsx or a .csv file")
    return kind


def _companions(path: Path) -> dict[str, Path]:
    stem = path.name[: -len(path.suffix)]
    return {name: path.with_name(f"{stem}.{name}.csv") for name in SHEETS[1:]}


def _codebook(df: pd.DataFrame, pubs: pd.DataFrame) -> pd.DataFrame:
    from ecd.catalog import indicators

    cat = indicators().set_index("code")
    rows = []
    for code, part in df.groupby("indicator", sort=True):
        entry = cat.loc[code] if code in cat.index else None
        keys = sorted(set(part["publication"].dropna().astype(str)) - {""}) if "publication" in part else []
        years = part["year"].dropna().astype(int) if "year" in part else pd.Series(dtype=int)
        rows.append({
            "indicator": code,
            "name_zh": "" if entry is None else entry["name_zh"],
            "name_en": "" if entry is None else entry["name_en"],
            "unit": "; ".join(sorted(set(part["unit"].dropna().astype(str)))) if "unit" in part
            else ("" if entry is None else entry["unit"]),
            "unit_zh": "" if entry is None else entry["unit_zh"],
            "domain": "" if entry is None else entry["domain"],
            "definition": "not in the ecd catalog" if entry is None else entry["definition"],
            "n_rows": len(part),
            "years": f"{years.min()}–{years.max()}" if len(years) else "",
            "geos": "; ".join(sorted(set(part["geo"].astype(str)))) if "geo" in part else "",
            "publications": "; ".join(keys),
            "citations": "; ".join(pubs.set_index("publication").loc[keys, "citation"]) if keys else "",
        })
    return pd.DataFrame(rows, columns=["indicator", "name_zh", "name_en", "unit", "unit_zh", "domain", "definition",
                                       "n_rows", "years", "geos", "publications", "citations"])


def _publications(df: pd.DataFrame) -> pd.DataFrame:
    from ecd.book._bib import format_publication
    from ecd.data._load import publications

    cols = ["publication", "citation", "type", "author", "title", "year", "url", "lang", "n_rows"]
    if "publication" not in df:
        return pd.DataFrame(columns=cols)
    keys = df["publication"].dropna().astype(str)
    keys = keys[keys != ""]
    if keys.empty:
        return pd.DataFrame(columns=cols)
    table = publications(sorted(set(keys)))
    table = table.assign(citation=[format_publication({k: v for k, v in r.items() if v not in ("", None)})
                                   for r in table.astype(object).where(table.notna(), "").to_dict("records")],
                         n_rows=table["publication"].map(keys.value_counts()).astype(int))
    return table[cols].reset_index(drop=True)


def _columns(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"column": list(df.columns), "dtype": [str(t) for t in df.dtypes],
                         "meaning": [_COLUMN_MEANING.get(c, "") for c in df.columns]})


# Excel keeps numbers to 16 significant digits (openpyxl writes "%.16g"); beyond this they round to infinity
_EXCEL_MAX = 1.797693134862315e308


def _check_excel_numbers(df: pd.DataFrame) -> None:
    for col in df.select_dtypes("number").columns:
        big = df[col].abs() > _EXCEL_MAX
        if big.any():
            i = int(big.to_numpy().nonzero()[0][0])
            raise ParameterError("df", f"column {col!r}, row {i}: {df[col].iloc[i]!r} is too large for an .xlsx "
                                       "cell (it would read back as infinity); export to .csv instead")


def _text_stays_text(sheet) -> None:
    """A cell of text that starts with '=' is text, not a formula (openpyxl would store it as one)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"


def export(df: pd.DataFrame, path) -> Path:
    """Write rows (e.g. from :func:`ecd.data.load`) with a codebook to ``.xlsx`` or ``.csv``.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with an ``indicator`` column; ``publication`` (as :func:`load` gives) fills the
        codebook's and the publications sheet's citations.
    path : str or pathlib.Path
        ``*.xlsx`` (sheets data, codebook, publications, columns) or ``*.csv`` (the data;
        ``*.codebook.csv``, ``*.publications.csv``, ``*.columns.csv`` beside it).
        An ``.xlsx`` cell keeps 16 significant digits of a number (as Excel does); a ``.csv``
        file keeps every digit.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ecd.errors.ParameterError
        Another suffix, no ``indicator`` column, a missing folder, or a number too large for ``.xlsx``.

    Examples
    --------
    >>> import tempfile, pathlib, ecd.data
    >>> rows = ecd.data.load("imr", geo="CN", area="total", years=(2023, 2024))
    >>> out = ecd.data.export(rows, pathlib.Path(tempfile.mkdtemp()) / "imr.xlsx")
    >>> ecd.data.read_export(out).equals(rows)
    True
    >>> import pandas as pd
    >>> pd.read_excel(out, sheet_name="codebook")[["indicator", "name_zh", "publications"]].values.tolist()
    [['imr', '婴儿死亡率', 'nhc_bulletin_2023; nhc_bulletin_2024']]
    """
    path = Path(path)
    kind = _suffix(path)
    if not isinstance(df, pd.DataFrame) or "indicator" not in df:
        raise ParameterError("df", "expected rows with an indicator column (e.g. from ecd.data.load())")
    if not path.parent.is_dir():
        raise ParameterError("path", f"{str(path)!r}: folder {str(path.parent)!r} does not exist")
    pubs = _publications(df)
    tables = {"data": df, "codebook": _codebook(df, pubs), "publications": pubs, "columns": _columns(df)}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".ecd-export-") as tmp:
        staged = {}
        if kind == ".xlsx":
            staged[path] = Path(tmp) / "out.xlsx"
            _check_excel_numbers(df)
            with pd.ExcelWriter(staged[path], engine="openpyxl") as xl:
                for name, table in tables.items():
                    table.to_excel(xl, sheet_name=name, index=False)
                    _text_stays_text(xl.sheets[name])
        else:
            targets = {"data": path, **_companions(path)}
            for name, table in tables.items():
                staged[targets[name]] = Path(tmp) / f"{name}.csv"
                table.to_csv(staged[targets[name]], index=False, encoding="utf-8-sig")
        for target, tmpfile in staged.items():
            os.replace(tmpfile, target)
    return path


def read_export(path) -> pd.DataFrame:
    """The data of a file written by :func:`export`, with the column types it had.

    Examples
    --------
    >>> import ecd.data
    >>> ecd.data.read_export("no/such/file.csv")
    Traceback (most recent call last):
    ...
    ecd.errors.ParameterError: parameter 'path': 'no/such/file.csv' does not exist
    """
    path = Path(path)
    kind = _suffix(path)
    if not path.is_file():
        raise ParameterError("path", f"{str(path)!r} does not exist")
    if kind == ".xlsx":
        columns = pd.read_excel(path, sheet_name="columns", dtype=str)
        data = pd.read_excel(path, sheet_name="data", dtype=str, keep_default_na=False)
    else:
        columns = pd.read_csv(_companions(path)["columns"], dtype=str, encoding="utf-8-sig")
        data = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out = {}
    for col, dtype in zip(columns["column"], columns["dtype"]):
        text = data[col]
        if dtype == "string" or dtype == "object":
            out[col] = text.astype(dtype)
        elif dtype == "bool":
            out[col] = text.map({"True": True, "False": False})
        else:
            out[col] = pd.to_numeric(text.mask(text == "")).astype(dtype)
    return pd.DataFrame(out, columns=list(columns["column"]))
