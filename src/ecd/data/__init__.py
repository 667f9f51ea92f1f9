"""Raw data with origins, validation and the indicator warehouse.

Every raw file lives in ``data/raw/<source_id>/`` beside a ``<name>.meta.yaml``
sidecar (producer, citation, URL or repo@commit, date accessed, licence, trust,
definition notes, gaps, sha256, ``format``, ``encoding``). :func:`build` reads
each file with the reader of its ``format``, validates it with pandera (all
failures of all files at once), and writes one tidy long table
``indicator, geo, area, year, value, unit, source_id, citation, se, ci_low,
ci_high`` to ``data/processed/warehouse.parquet`` and ``warehouse.duckdb``
(tables ``indicators``, ``sources``, ``catalog``) with a ``manifest.json`` of
sha256s, replacing the previous warehouse atomically. :func:`load` reads it,
building or refreshing it first when needed. All paths come from
:mod:`ecd.paths` (``ECD_HOME``).

Examples
--------
>>> import ecd.data
>>> df = ecd.data.load("imr", geo="CN", area=["urban", "rural"], years=(2022, 2024))
>>> df.pivot(index="year", columns="area", values="value").to_dict("index")
{2022: {'rural': 5.7, 'urban': 3.1}, 2023: {'rural': 5.2, 'urban': 2.9}, 2024: {'rural': 4.6, 'urban': 2.6}}
>>> sorted(df["source_id"].unique())
['nhc_official']
"""
from __future__ import annotations

import pandas as pd

from ecd.data._add import add
from ecd.data._cite import source_line
from ecd.data._export import export, read_export
from ecd.data._load import conflicts, load, origins, publications, retrievals, sources, target_rows
from ecd.data._microdata import Microdata, microdata
from ecd.data._publications import RETRIEVAL_KIND_ZH, TRUST_ZH
from ecd.data._readers import register_reader
from ecd.data._warehouse import BuildSummary
from ecd.data._warehouse import build as _build
from ecd.data._warehouse import check as _check

__all__ = ["add", "build", "check", "load", "conflicts", "catalog", "sources", "origins", "publications", "retrievals",
           "source_line", "target_rows", "export", "read_export", "BuildSummary", "register_reader", "microdata", "Microdata",
           "TRUST_ZH", "RETRIEVAL_KIND_ZH"]


def build() -> BuildSummary:
    """Validate every raw file and rebuild the warehouse atomically.

    Reads every file under ``data/raw`` with the reader named by its sidecar's
    ``format``, checks the sidecar (present, complete, sha256 matches), validates
    all files lazily with pandera and only then writes ``data/processed/`` (via a
    temporary folder and ``os.replace``). On any failure nothing is written and
    the previous warehouse is left byte-identical.

    Returns
    -------
    BuildSummary
        Counts of files, rows, indicators and sources; ``str()`` is a one-paragraph summary.

    Raises
    ------
    ecd.errors.SchemaError
        Values or file structure break the schema; ``failures`` has one line per
        failing cell, naming the file, line and column, what was found and what
        was expected.
    ecd.errors.ProvenanceError
        Only sidecar problems (missing, incomplete, sha256 mismatch).

    Examples
    --------
    >>> import ecd.data
    >>> summary = ecd.data.build()
    >>> summary.written, summary.rows > 3000, summary.files == len(summary.tidy())
    (True, True, True)
    """
    return _build()


def check() -> BuildSummary:
    """Validate every raw file like :func:`build` but write nothing.

    Examples
    --------
    >>> import ecd.data
    >>> ecd.data.check().written
    False
    """
    return _check()


def catalog() -> pd.DataFrame:
    """The indicator catalog as a DataFrame (see :func:`ecd.catalog.indicators`).

    Examples
    --------
    >>> import ecd.data
    >>> ecd.data.catalog().set_index("code").loc["imr_igme", "name_en"]
    'Infant mortality rate (UN IGME estimate)'
    """
    from ecd.catalog import indicators

    return indicators()
