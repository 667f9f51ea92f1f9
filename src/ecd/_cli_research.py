"""The researcher's verbs of the ``ecd`` command line: catalog, sources, export and data remove."""
from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path

from ecd.errors import ParameterError

__all__ = ["add_parsers", "aligned"]


def aligned(rows: list[list[str]]) -> str:
    """Rows of text (the first is the header) as columns padded to their widest cell.

    Examples
    --------
    >>> print(aligned([["code", "unit"], ["imr", "‰"]]))
    code  unit
    imr   ‰
    """
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v + " " * (w - _width(v)) for v, w in zip(r, widths)).rstrip() for r in rows)


def _width(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cmd_catalog(args: argparse.Namespace) -> int:
    from ecd import catalog
    from ecd.catalog._load import suggest

    table = catalog.indicators()
    if args.domain:
        known = list(catalog.domains()["domain"])
        if args.domain not in known:
            raise ParameterError("--domain", f"unknown domain {args.domain!r}; {suggest(args.domain, known, where='ecd catalog')}")
        table = table[table["domain"] == args.domain]
    if args.search:
        word = args.search.casefold()
        text = table[["code", "name_zh", "name_en", "definition", "unit"]].astype(str).agg(" ".join, axis=1)
        table = table[text.str.casefold().str.contains(word, regex=False)]
    if table.empty:
        print("No indicator matches" + (f" {args.search!r}" if args.search else "")
              + (f" in domain {args.domain!r}" if args.domain else "") + ".")
        return 0
    cols = ["code", "name_zh", "unit", "domain", "sources"]
    shown = table.assign(sources=table["sources"].map(lambda s: ", ".join(s) if isinstance(s, (list, tuple)) else str(s)))
    print(aligned([cols] + shown[cols].astype(str).values.tolist()))
    print(f"{len(table)} indicator(s); ecd.catalog.indicator(CODE) gives the definition")
    return 0


def _cmd_sources(args: argparse.Namespace) -> int:
    import pandas as pd

    from ecd import data
    from ecd.data._remove import chapters_using

    src = data.sources()
    rows = data.load(sorted(data.catalog()["code"]), resolve="all")
    counts = rows.groupby("source_id").agg(rows=("value", "size"), indicators=("indicator", "nunique"),
                                          years=("year", lambda y: f"{y.min()}–{y.max()}"))
    table = [["source", "files", "rows", "indicators", "years", "trust", "chapters"]]
    for sid, part in src.groupby("source_id", sort=True):
        n = counts.loc[sid] if sid in counts.index else pd.Series({"rows": 0, "indicators": 0, "years": ""})
        trust = sorted({str(t).split(" ")[0] for t in part["trust"]})
        table.append([sid, str(len(part)), str(n["rows"]), str(n["indicators"]), str(n["years"]), "/".join(trust),
                      ", ".join(sorted(chapters_using(sid))) or "-"])
    print(aligned(table))
    print(f"{len(table) - 1} source(s) under data/raw; ecd.data.sources() has each file's provenance")
    return 0


def _cmd_data_remove(args: argparse.Namespace) -> int:
    from ecd.data._remove import remove

    print(remove(args.source, force=args.force))
    return 0


def _years(text: str | None):
    if text is None:
        return None
    lo, sep, hi = text.partition("-")
    try:
        return (int(lo), int(hi)) if sep else int(lo)
    except ValueError:
        raise ParameterError("--years", f"{text!r}: expected a year (2020) or a range (2015-2024)") from None


def _cmd_export(args: argparse.Namespace) -> int:
    from ecd import data
    from ecd.data._export import _suffix

    _suffix(Path(args.to))  # refuse a bad suffix before loading anything
    rows = data.load(args.indicators, geo=args.geo or None, area=args.area or None, years=_years(args.years))
    if rows.empty:
        raise ParameterError("indicators", f"no rows of {args.indicators} for these filters; nothing written")
    out = data.export(rows, args.to)
    print(f"wrote {len(rows)} row(s) of {rows['indicator'].nunique()} indicator(s) to {out} (with a codebook)")
    return 0


def add_parsers(sub, dsub) -> None:
    """Add ``catalog``, ``sources`` and ``export`` to ``sub`` and ``remove`` to ``dsub`` (the data verbs)."""
    c = sub.add_parser("catalog", help="list the indicators of the catalog (code, Chinese name, unit, domain)",
                       description="List the catalog's indicators, optionally of one domain or matching a word.")
    c.add_argument("--domain", default=None, help="only this domain (e.g. good_health, services, demography)")
    c.add_argument("--search", default=None, metavar="WORD",
                   help="only indicators whose code, names, unit or definition contain WORD (any case; 中文 too)")
    c.set_defaults(func=_cmd_catalog)

    s = sub.add_parser("sources", help="list the sources under data/raw (files, rows, years, trust, chapters)",
                       description="One line per source folder of data/raw, with the chapters that use it.")
    s.set_defaults(func=_cmd_sources)

    e = sub.add_parser("export", help="write indicators with a codebook to .xlsx or .csv",
                       description="Rows of the warehouse for INDICATORS, with a codebook (names, units, "
                                   "definitions, publications), to an .xlsx file (four sheets) or .csv files.")
    e.add_argument("indicators", nargs="+", metavar="INDICATOR", help="indicator code(s) (see `ecd catalog`)")
    e.add_argument("--to", required=True, metavar="FILE",
                   help="file.xlsx (sheets data, codebook, publications, columns) or file.csv "
                        "(plus file.codebook.csv, file.publications.csv, file.columns.csv)")
    e.add_argument("--geo", action="append", default=[], help="geo code or place name (repeatable; default all)")
    e.add_argument("--area", action="append", default=[], choices=["total", "urban", "rural"],
                   help="urban/rural/total (repeatable; default all)")
    e.add_argument("--years", default=None, metavar="YEAR|FROM-TO", help="one year or an inclusive range")
    e.set_defaults(func=_cmd_export)

    r = dsub.add_parser("remove", help="delete a source folder of data/raw (refused if a chapter uses it)",
                        description="Delete data/raw/SOURCE with its sidecars. Refused (exit 2) when a chapter "
                                    "uses the source unless --force.")
    r.add_argument("source", help="source id: the folder under data/raw (see `ecd sources`)")
    r.add_argument("--force", action="store_true", help="remove even when chapters use it")
    r.set_defaults(func=_cmd_data_remove)
