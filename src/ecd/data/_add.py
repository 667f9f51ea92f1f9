"""``ecd data add``: bring one new file into ``data/raw/<source_id>/`` with its provenance, all or nothing.

The file is copied, its ``.meta.yaml`` written (sha256 computed, the reading
mapping embedded under ``mapping:``), and then the whole raw folder is
validated with the same checks as ``ecd data check``. If anything fails, what
was written is removed again and the error says what to fix; indicator codes
that are not in the catalog are listed with a ready-to-paste user-catalog entry.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from ecd import paths
from ecd.catalog._load import catalog_doc, load_yaml
from ecd.data._readers import TIDY_COLUMNS, get_reader, reader_names
from ecd.data._readers_yearbook import MAPPING_KEYS as _YEARBOOK_KEYS
from ecd.data._sidecar import TRUST_LEVELS, _trust_ok, sha256_file, sidecar_path
from ecd.errors import ConfigError, DataError, ParameterError, SchemaError

ASKED_FIELDS = ("producer", "citation", "url", "licence", "trust")
_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_PROMPTS = {
    "producer": "Producer (who made the data, e.g. 国家统计局)",
    "citation": "Citation (as it should appear in the book)",
    "url": "URL (or repo@commit) where the file came from",
    "licence": "Licence (or 'no explicit licence stated — cite the original release')",
    "trust": f"Trust ({', '.join(TRUST_LEVELS)})",
}


@dataclass(frozen=True)
class AddResult:
    """What :func:`add` wrote: the raw file, its sidecar, and the rows it contributes."""

    path: Path
    sidecar: Path
    format: str
    rows: int
    indicators: tuple[str, ...]

    def __str__(self) -> str:
        rel = self.path.relative_to(paths.home()).as_posix() if self.path.is_relative_to(paths.home()) else self.path
        return (f"Added {rel} ({self.format}): {self.rows} rows of {', '.join(self.indicators)}; "
                f"validated with every other raw file. Run `ecd data build` to rebuild the warehouse.")


def detect_format(path: Path, mapping: dict | None) -> str:
    """Guess the reader from the file's first line (and a yearbook mapping's keys)."""
    if mapping and ("year_columns" in mapping or "geo_columns" in mapping):
        return "yearbook_wide"
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head.strip() else ""
    if "REF_AREA" in first and "OBS_VALUE" in first:
        return "sdmx_csv"
    if "IndicatorCode" in first and "SpatialDim" in first:
        return "who_gho"
    if first.lstrip('"').startswith("Data Source") or "Country Code" in first:
        return "wdi_csv"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return "yearbook_wide"
    return "tidy_csv"


_YEARISH = re.compile(r"^(1[89]|20)\d{2}\s*年?$")


def _first_rows(path: Path, n: int = 12) -> list[list[str]]:
    """The first ``n`` non-blank rows of a CSV (UTF-8 or GBK) or XLSX file, as stripped cells."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
            rows = [["" if v is None else str(v).strip() for v in r] for r in ws.iter_rows(max_row=n * 2, values_only=True)]
        except Exception:  # noqa: BLE001 — an unreadable workbook is reported by the reader, with its reason
            return []
    else:
        data = path.read_bytes()[:65536]
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            return []
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    return [r for r in rows if any(r)][:n]


def sniff_table(path: Path) -> str | None:
    """Why a file looks like a yearbook table (years or regions as rows/columns), or ``None``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from ecd.data._add import sniff_table
    >>> sniff_table(Path("tests/fixtures/readers/yearbook_births_gbk.csv"))
    'years as columns on line 2 (2020年, 2021年, 2022年); region names in the first column (北　京, 天津市, 河北省 …)'
    """
    from ecd.data._readers_yearbook import geo_of

    rows = _first_rows(path)
    found = []
    for i, cells in enumerate(rows, start=1):
        years = [c for c in cells if _YEARISH.match(unicodedata.normalize("NFKC", c))]
        if len(years) >= 2:
            found.append(f"years as columns on line {i} ({', '.join(years[:3])}{' …' if len(years) > 3 else ''})")
            break
        regions = [c for c in cells if c and geo_of(c, "names_zh")]
        if len(regions) >= 2:
            found.append(f"region names as columns on line {i} ({', '.join(regions[:3])} …)")
            break
    first = [r[0] for r in rows if r and r[0] and geo_of(r[0], "names_zh")]
    if len(first) >= 2:
        found.append(f"region names in the first column ({', '.join(first[:3])}{' …' if len(first) > 3 else ''})")
    return "; ".join(found) or None


def _is_tidy(path: Path) -> bool:
    rows = _first_rows(path, 1)
    return bool(rows) and set(TIDY_COLUMNS) <= set(rows[0])


def detect_encoding(path: Path) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("gbk", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path.name}: neither UTF-8 nor GBK/GB18030 (expected a text file in one of them); "
                    f"pass --encoding with its codec")


def read_mapping(path: Path) -> dict:
    try:
        doc = load_yaml(Path(path).read_text(encoding="utf-8"), str(path))
    except OSError as e:
        raise ParameterError("--mapping", f"cannot read {path}: {e.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{Path(path).name}: not readable YAML ({type(e).__name__}: {e}); expected a UTF-8 YAML "
                          f"mapping such as `indicator: births` …") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{Path(path).name}: expected a YAML mapping — for a yearbook table the keys "
                          f"{', '.join(_YEARBOOK_KEYS)}; for WDI/SDMX/GHO exports indicator_map, geo_map, geos, "
                          f"units, keep, totals — found {type(doc).__name__}")
    return doc


def _user_catalog_hint(codes: list[str], source_id: str, units: dict) -> str:
    """The ready-to-paste user-catalog entry for new indicator codes (said once, whatever else failed)."""
    from ecd.catalog._load import KINDS

    entries = {c: {"name_zh": "…", "name_en": "…", "unit": units.get(c, "…"), "unit_zh": "…",
                   "kind": "…", "domain": "demography", "direction": "neutral", "definition": "…",
                   "sources": [source_id]} for c in codes}
    text = yaml.safe_dump({"indicators": entries}, allow_unicode=True, sort_keys=False)
    return (f"indicator code(s) not in the catalog: {', '.join(codes)}. Add them to a user catalog "
            f"{paths.home() / 'catalog' / (source_id + '.yaml')} (no package code needs to change), e.g.\n{text}"
            f"(domain: one of {', '.join(catalog_doc()['domains'])}; direction: favourable, adverse or neutral; "
            f"kind: one of {', '.join(KINDS)}; unit_zh: the unit as the book prints it, e.g. 万人), "
            f"or map the file's codes to existing ones (mapping key indicator / indicator_map); then run "
            f"`ecd data add` again.")


def _mapping_codes(mapping: dict | None) -> set[str]:
    """Indicator codes a mapping names (a yearbook's ``indicator``, an export's ``indicator_map`` values)."""
    if not isinstance(mapping, dict):
        return set()
    out = {mapping["indicator"]} if isinstance(mapping.get("indicator"), str) else set()
    imap = mapping.get("indicator_map")
    if isinstance(imap, dict):
        out |= {v for v in imap.values() if isinstance(v, str)}
    return out


class _UserView:
    """Messages about the copy under data/raw/ rewritten to name what the user gave: FILE and --mapping."""

    def __init__(self, label: str, meta_label: str, shown: str, mapping_shown: str | None):
        self.pairs = []
        where = mapping_shown or f"{shown} (--mapping)"
        self.pairs += [(f"{label} (.meta.yaml), mapping key", f"{where}: mapping key"),
                       (f"{label} (.meta.yaml), field mapping.", f"{where}: key "),
                       (f"{label} (.meta.yaml)", f"{shown} (its sidecar)"),
                       ("(.meta.yaml)", f"({where})" if mapping_shown else "(--mapping)"),
                       (meta_label, f"the sidecar of {shown} (from the flags, --mapping and --publications)"),
                       (label, shown)]

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            text = text.replace(old, new)
        return text


def _has_publication_column(path: Path, fmt: str) -> bool:
    if fmt != "tidy_csv":
        return False
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head.strip() else ""
    return "publication" in [c.strip() for c in first.split(",")]


def read_publications(doc) -> dict:
    """The publication blocks of a ``--publications`` YAML (or dict) for a new sidecar.

    The document is either a sidecar-like mapping with any of ``publications``,
    ``retrievals``, ``row_publications`` and ``publication``, or a bare mapping of
    publication key -> fields.

    Examples
    --------
    >>> from ecd.data._add import read_publications
    >>> read_publications({"wdi_2026": {"type": "dataset", "author": "World Bank", "title": "World Development "
    ...                    "Indicators", "year": 2026}})["publications"]["wdi_2026"]["type"]
    'dataset'
    """
    name = "--publications"
    if isinstance(doc, (str, Path)):
        path = Path(doc)
        try:
            doc = load_yaml(path.read_text(encoding="utf-8"), str(path))
        except OSError as e:
            raise ParameterError(name, f"cannot read {path}: {e.strerror}") from None
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path.name}: not readable YAML ({type(e).__name__}: {e}); expected a mapping "
                              f"`publications: {{key: {{type, author, title, year …}}}}`") from None
        name = path.name
    if not isinstance(doc, dict) or not doc:
        raise ConfigError(f"{name}: expected a YAML mapping of publications (key -> type, author, title, year …) or "
                          f"a block with publications/retrievals/row_publications, found {type(doc).__name__}")
    blocks = ("publications", "retrievals", "row_publications", "publication")
    if any(k in doc for k in blocks):
        unknown = sorted(set(doc) - set(blocks))
        if unknown:
            raise ConfigError(f"{name}: unknown top-level key(s) {', '.join(unknown)} (expected only "
                              f"{', '.join(blocks)})")
        return {k: doc[k] for k in blocks if k in doc}
    return {"publications": doc}


def add(file, source_id: str, *, fmt: str | None = None, mapping=None, fields: dict | None = None,
        encoding: str | None = None, ask: Callable[[str], str] | None = None, publication: str | None = None,
        publications=None, prefer: bool = False) -> AddResult:
    """Copy ``file`` into ``data/raw/<source_id>/`` with a complete sidecar, validated, or write nothing.

    Parameters
    ----------
    file : path
        The new raw file (CSV or XLSX).
    source_id : str
        Folder under ``data/raw`` (lower-case letters, digits and ``_``).
    fmt : str, optional
        Reader name (``tidy_csv``, ``wdi_csv``, ``sdmx_csv``, ``who_gho``,
        ``yearbook_wide`` …); guessed from the file when omitted.
    mapping : path or dict, optional
        How to read the file (see :mod:`ecd.data._readers_yearbook` and
        :mod:`ecd.data._readers_intl`); stored in the sidecar under ``mapping:``.
    fields : dict, optional
        Sidecar fields: ``producer, citation, url, licence, trust`` are
        required; ``title, date_accessed, definition_notes, gaps, year_kind`` optional.
    encoding : str, optional
        Text encoding; detected (UTF-8, else GBK) when omitted.
    ask : callable, optional
        ``ask(prompt) -> answer`` for missing required fields (the CLI passes
        ``input`` when stdin is a terminal); without it, missing fields are an error.
    publication : str, optional
        Key of the original publication of every row not mapped otherwise
        (written as the sidecar's ``publication:``). The key must be defined in
        ``publications`` or in another sidecar.
    publications : path or dict, optional
        YAML (or dict) of publications (key -> ``type, author, title, year`` …),
        or a block with ``publications``, ``retrievals``, ``row_publications``;
        written into the sidecar (see :mod:`ecd.data._publications`).
    prefer : bool
        Make this source the preferred one for every indicator it gives (a new
        vintage): writes ``$ECD_HOME/catalog/prefer-<source_id>.yaml`` with
        ``prefer: {code: [source_id, …previous preference]}``, so
        :func:`ecd.data.load` returns its rows where sources overlap.

    Returns
    -------
    AddResult

    Raises
    ------
    ecd.errors.ConfigError
        Missing fields (named, with their command-line flags), a bad source id,
        format or mapping, or a file that is already there.
    ecd.errors.DataError
        The new file (or the raw folder with it) fails validation; nothing is left behind.
    """
    src = Path(file)
    if not src.is_file():
        raise ParameterError("FILE", f"{src} is not a file (expected the path of the new raw file)")
    if not isinstance(source_id, str) or not _SOURCE_ID.match(source_id):
        raise ParameterError("--source", f"{source_id!r} is not a valid source id (expected lower-case letters, "
                                         f"digits and _, e.g. gd_yearbook_2023)")
    mapping_doc = read_mapping(Path(mapping)) if isinstance(mapping, (str, Path)) else mapping
    guessed = fmt is None
    fmt = fmt or detect_format(src, mapping_doc)
    if get_reader(fmt) is None:
        raise ParameterError("--format", f"{fmt!r} is not a known format; expected one of {', '.join(reader_names())}")
    how = ("MAPPING.yaml saying how to read it (indicator, unit, header_row, geo_column or geo, year_columns or "
           "geo_columns, skip_rows_matching … — README, 'Adding a source')")
    if fmt == "yearbook_wide" and not mapping_doc:
        why = sniff_table(src)
        raise ParameterError("--mapping", f"{src} looks like a yearbook table{f' ({why})' if why else ''}: pass "
                                          f"--mapping {how}")
    if guessed and fmt == "tidy_csv" and not _is_tidy(src):
        why = sniff_table(src)
        if why:
            raise ParameterError("--mapping", f"{src} looks like a yearbook table ({why}): pass --mapping {how}")
        first = (_first_rows(src, 1) or [[]])[0]
        raise ParameterError("--format", f"cannot tell the format of {src}: its first line {first[:6]} is neither "
                                         f"the tidy header ({', '.join(TIDY_COLUMNS)}) nor that of a WDI, SDMX or "
                                         f"WHO GHO export; pass --format (one of {', '.join(reader_names())}), and "
                                         f"--mapping for a yearbook table")
    fields = {k: v for k, v in (fields or {}).items() if v not in (None, "")}
    missing = [f for f in ASKED_FIELDS if f not in fields]
    if missing and ask is not None:
        for f in missing:
            answer = ""
            while not answer.strip() or (f == "trust" and not _trust_ok(answer.strip())):
                answer = ask(f"{_PROMPTS[f]}: ")
            fields[f] = answer.strip()
        missing = []
    if missing:
        raise ConfigError(f"ecd data add {src.name}: missing provenance field(s) {', '.join(missing)}; pass "
                          f"{' '.join('--' + f + ' …' for f in missing)} (or run it in a terminal to be asked)")
    if not _trust_ok(fields["trust"]):
        raise ParameterError("--trust", f"{fields['trust']!r}; expected one of {', '.join(TRUST_LEVELS)}")

    folder = paths.raw_dir() / source_id
    target = folder / src.name
    side = sidecar_path(target)
    if target.exists() or side.exists():
        raise ConfigError(f"{target.relative_to(paths.home()).as_posix()} already exists (expected a new file: raw "
                          f"files are never replaced; add a new version under another name or source id)")
    encoding = encoding or (detect_encoding(src) if src.suffix.lower() not in (".xlsx", ".xlsm") else "binary")
    meta = {
        "source_id": source_id,
        "file": src.name,
        "title": fields.get("title") or src.stem,
        "producer": fields["producer"],
        "citation": fields["citation"],
        "url": fields["url"],
        "date_accessed": fields.get("date_accessed") or _dt.date.today().isoformat(),
        "licence": fields["licence"],
        "trust": fields["trust"],
        "definition_notes": fields.get("definition_notes") or ["none recorded at `ecd data add`"],
        "gaps": fields.get("gaps") or [],
        "sha256": sha256_file(src),
        "format": fmt,
        "encoding": encoding,
        "year_kind": fields.get("year_kind") or "observation",
    }
    if mapping_doc:
        meta["mapping"] = mapping_doc
    if publications is not None:
        meta.update(read_publications(publications))
    if not (publication or meta.get("publication") or meta.get("row_publications") or _has_publication_column(src, fmt)):
        raise ConfigError(f"ecd data add {src.name}: missing --publication KEY — the original publication its rows are "
                          f"from (issuing body or authors, title, year); define it with --publications PUBS.yaml "
                          f"(`publications: {{KEY: {{type, author, title, year}}}}`) unless another sidecar already "
                          f"defines KEY, or give the file a `publication` column")
    if publication:
        if not _SOURCE_ID.match(str(publication)):
            raise ParameterError("--publication", f"{publication!r} is not a publication key (expected lower-case "
                                                  f"letters, digits and _, e.g. wdi_2026)")
        meta["publication"] = publication

    created_folder = not folder.exists()
    label = target.relative_to(paths.home()).as_posix()
    shown = str(file)
    view = _UserView(label, side.relative_to(paths.home()).as_posix(), shown,
                     str(mapping) if isinstance(mapping, (str, Path)) else None)
    new_codes = ""
    prefer_file = paths.home() / "catalog" / f"prefer-{source_id}.yaml"
    if prefer and prefer_file.exists():
        raise ConfigError(f"{prefer_file.relative_to(paths.home()).as_posix()} already exists (expected a new source id "
                          f"for a new vintage)")
    created_catalog = prefer and not prefer_file.parent.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(src, target)
        side.write_text("# Provenance sidecar written by `ecd data add`; the data file beside it is never edited.\n"
                        + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
        table = get_reader(fmt)(target, meta, label)
        codes = sorted(set(table.frame["indicator"].map(str)) - {""}) if len(table.frame) else []
        known = catalog_doc()["indicators"]
        unknown = sorted({c for c in codes if c not in known} | {c for c in _mapping_codes(mapping_doc) if c not in known})
        if unknown:
            units = dict(zip(table.frame["indicator"], table.frame["unit"])) if len(table.frame) else {}
            if isinstance(mapping_doc, dict) and isinstance(mapping_doc.get("unit"), str):
                units.setdefault(str(mapping_doc.get("indicator")), mapping_doc["unit"])
            new_codes = _user_catalog_hint(unknown, source_id, units)
        if unknown and not table.failures:
            raise SchemaError(f"{shown}: nothing added — " + new_codes)
        if prefer and codes:
            from ecd.data._prefer import prefer_lists

            current = prefer_lists()
            doc = {"prefer": {c: [source_id] + [x for x in current.get(c, []) if x != source_id] for c in codes}}
            prefer_file.parent.mkdir(parents=True, exist_ok=True)
            prefer_file.write_text(f"# written by `ecd data add --prefer`: {source_id} is the preferred source of these "
                                   f"indicators\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                   encoding="utf-8")
        from ecd.data._warehouse import check

        summary = check()
    except BaseException as e:
        target.unlink(missing_ok=True)
        side.unlink(missing_ok=True)
        if prefer:
            prefer_file.unlink(missing_ok=True)
            if created_catalog:
                shutil.rmtree(prefer_file.parent, ignore_errors=True)
        if created_folder:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(e, SchemaError) and "nothing added" not in str(e):
            head = str(e).split("\n", 1)[0]
            raise SchemaError(f"ecd data add {shown}: nothing added (file and sidecar removed again). {view(head)}",
                              [view(f) for f in e.failures], epilogue=new_codes) from None
        if isinstance(e, DataError) and not isinstance(e, SchemaError):
            raise type(e)(f"ecd data add {shown}: nothing added (file and sidecar removed again). {view(str(e))}") from None
        raise
    rel = target.relative_to(paths.raw_dir()).as_posix()
    row = next((r for r in summary.per_file if r[0].endswith(rel)), None)
    return AddResult(path=target, sidecar=side, format=fmt, rows=row[3] if row else len(table.frame),
                     indicators=tuple(codes))
