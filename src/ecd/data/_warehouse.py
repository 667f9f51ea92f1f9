"""Validate every raw file and (re)build the warehouse atomically.

raw file + sidecar → reader (by ``format``) → pandera schemas → one tidy long
table → ``data/processed/{warehouse.parquet, warehouse.duckdb, manifest.json}``.
Every failure of every file is collected before anything is written; if there
is one, nothing is written and the previous warehouse stays byte-identical.

The manifest records the sha256 of every file written. They are verified when
the warehouse is opened (:func:`read_fresh`, the book's data step, ``ecd data
check``); a file damaged after it was built is rebuilt from ``data/raw`` (the
raw files are the truth) and the rebuild is said, never silently read.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecd import paths
from ecd.data import _publications as pub
from ecd.data._readers import empty_raw, get_reader, reader_names
from ecd.data._schema import KEY, Context, typed, validate
from ecd.data._sidecar import SIDECAR_SUFFIX, read_sidecar, sha256_file
from ecd.errors import ProvenanceError, SchemaError

WAREHOUSE_COLUMNS = ["indicator", "geo", "area", "year", "value", "unit", "source_id", "citation", "se", "ci_low", "ci_high",
                     "publication", "trust", "note"]
SOURCE_COLUMNS = [
    "source_id", "file", "title", "producer", "citation", "url", "date_accessed", "licence", "trust",
    "trust_notes", "definition_notes", "gaps", "format", "encoding", "year_kind", "sha256",
]
MANIFEST_VERSION = 3  # 3: content_sha256 of the files written
_OWNED = ("warehouse.parquet", "warehouse.duckdb", "manifest.json", "publications.parquet", "retrievals.parquet")
# once every raw file maps its rows to publications, a row without one is a failure everywhere;
# until then only in files that declare publications
REQUIRE_PUBLICATIONS = True
_CONVENTION = ("(line = line number in the file as a text editor or spreadsheet shows it; line 1 is the header; "
               "file paths are relative to the project home)")


@dataclass(frozen=True)
class BuildSummary:
    """What :func:`ecd.data.build` or :func:`ecd.data.check` found (and wrote).

    Attributes
    ----------
    files, rows, indicators, sources : int
        Raw data files read, warehouse rows, distinct indicator codes and sources.
    years : tuple of int or None
        First and last year in the rows (``None`` when there are no rows).
    written : bool
        Whether the warehouse was (re)written (``False`` for ``check``).
    location : str
        The processed-data folder relative to the project home.
    per_file : tuple of tuple
        ``(file, source_id, format, rows, indicators)`` per raw file.
    conflicts : pandas.DataFrame
        Rows of keys that two sources give with different values (all resolved
        by the catalog's ``prefer``, else the build fails); see :func:`ecd.data.conflicts`.
    damaged : tuple of str
        ``check`` only: files of the existing warehouse that no longer match the
        sha256 of its manifest (``ecd data build`` rebuilds them from data/raw).
    """

    files: int
    rows: int
    indicators: int
    sources: int
    years: tuple[int, int] | None
    written: bool
    location: str
    per_file: tuple[tuple[str, str, str, int, int], ...] = field(repr=False, default=())
    conflicts: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)
    damaged: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """One row per raw file: ``file, source_id, format, rows, indicators``."""
        return pd.DataFrame(list(self.per_file), columns=["file", "source_id", "format", "rows", "indicators"])

    def __str__(self) -> str:
        verb = (f"Warehouse written to {self.location}/ (warehouse.parquet, warehouse.duckdb, manifest.json)."
                if self.written else "Nothing written (check only).")
        span = f", years {self.years[0]}–{self.years[1]}" if self.years else ""
        return (f"Validated {self.files} raw files from {self.sources} sources: {self.rows:,} rows of "
                f"{self.indicators} indicators{span}, no failures. {verb}")


def _label(path: Path) -> str:
    try:
        return path.relative_to(paths.home()).as_posix()
    except ValueError:
        return path.as_posix()


def raw_files(raw: Path | None = None) -> list[Path]:
    """Every raw data file (not sidecars, not dotfiles), sorted."""
    raw = raw or paths.raw_dir()
    if not raw.is_dir():
        return []
    return sorted(
        p for p in raw.rglob("*")
        if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
        and not any(part.startswith(".") for part in p.relative_to(raw).parts)
    )


def catalog_sha256() -> str:
    from ecd.catalog import _load

    h = hashlib.sha256()
    for path in _load.catalog_files():  # the packaged YAML, then the user catalog ($ECD_HOME/catalog/*.yaml)
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(files: list[Path] | None = None) -> dict[str, dict[str, str]]:
    """sha256 of every raw file and its sidecar, keyed by path relative to ``data/raw``."""
    raw = paths.raw_dir()
    out = {}
    for f in files if files is not None else raw_files(raw):
        side = f.with_name(f.stem + SIDECAR_SUFFIX)
        out[f.relative_to(raw).as_posix()] = {
            "sha256": sha256_file(f),
            "meta_sha256": sha256_file(side) if side.exists() else "",
        }
    return out


@dataclass
class _Collected:
    frame: pd.DataFrame
    sources: pd.DataFrame
    per_file: list[tuple[str, str, str, int, int]]
    files: dict[str, dict[str, str]]
    publications: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=pub.PUBLICATION_COLUMNS))
    retrievals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=pub.RETRIEVAL_COLUMNS))


def _collect() -> _Collected:
    """Read and validate every raw file; raise one error listing every failure."""
    raw = paths.raw_dir()
    files = raw_files(raw)
    schema_failures: list[str] = []
    provenance_failures: list[str] = []
    if not files:
        raise ProvenanceError(f"no raw data files under {_label(raw)}/ (expected data/raw/<source_id>/<file>.csv "
                              f"with a .meta.yaml beside each; set ECD_HOME to the project folder)")
    # sidecars without a data file are provenance errors too
    stems = {f.with_name(f.stem + SIDECAR_SUFFIX) for f in files}
    for side in sorted(raw.rglob("*" + SIDECAR_SUFFIX)):
        if side not in stems:
            provenance_failures.append(f"{_label(side)}: sidecar without a data file (expected "
                                       f"{side.name[: -len(SIDECAR_SUFFIX)]}.<ext> beside it; remove the sidecar or restore the file)")
    # a symbolic link out of the project would be read, but what it points to is not the project's record
    for link in sorted(p for p in raw.rglob("*") if p.is_symlink()):
        why = paths.outside_home(link)
        if why:
            provenance_failures.append(f"{_label(link)}: {why}; raw files are the project's record and must live in "
                                       f"it: copy the file (with its .meta.yaml) into data/raw/<source_id>/ instead "
                                       f"of linking to it")
            files = [f for f in files if f != link and link not in f.parents]
    ctx = Context.current()
    frames, metas, per_file, shas = [], [], [], {}
    pending = []  # (frame index in frames or None, checked frame, meta, label, meta label) for publication resolution
    pub_defs: list[tuple[str, dict]] = []
    ret_items: list[tuple[str, dict]] = []
    for f in files:
        label = _label(f)
        if f.parent == raw:
            provenance_failures.append(f"{label}: raw files live in a source folder (expected "
                                       f"data/raw/<source_id>/{f.name}; move it there with its .meta.yaml)")
            continue
        sha = sha256_file(f)
        meta, prov = read_sidecar(f, label, sha)
        provenance_failures += prov
        side = f.with_name(f.stem + SIDECAR_SUFFIX)
        meta_label = _label(side)
        provenance_failures += pub.check_block(meta, meta_label)
        if isinstance(meta.get("publications"), dict):
            pub_defs.append((meta_label, meta["publications"]))
        if isinstance(meta.get("retrievals"), list):
            ret_items += [(f.relative_to(raw).as_posix(), r) for r in meta["retrievals"]]
        shas[f.relative_to(raw).as_posix()] = {"sha256": sha, "meta_sha256": sha256_file(side) if side.exists() else ""}
        reader = get_reader(str(meta.get("format")))
        if reader is None:
            provenance_failures.append(f"{label}: format {meta.get('format')!r} in its .meta.yaml has no reader "
                                       f"(expected one of {', '.join(reader_names())})")
            continue
        table = reader(f, meta, label)
        schema_failures += table.failures
        checked, fails = validate(table.frame, label, ctx, str(meta.get("year_kind", "observation")))
        schema_failures += fails
        source_id = f.parent.name
        n_rows = len(checked) if table.contributes_rows else 0
        if n_rows:
            checked = checked.assign(source_id=source_id, _label=label, _line=table.frame["_line"].to_numpy())
            frames.append(checked)
            pending.append((len(frames) - 1, meta, label, meta_label))
        metas.append({**meta, "file": f.relative_to(raw).as_posix(), "sha256": sha})
        per_file.append((label, source_id, str(meta.get("format")), n_rows,
                         checked["indicator"].nunique() if n_rows else 0))
    registry, defined_in, clash = pub.merge_registry(pub_defs)
    provenance_failures += clash
    for file, r in ret_items:
        key = r.get("publication") if isinstance(r, dict) else None
        if isinstance(key, str) and key and key not in registry:
            provenance_failures.append(f"data/raw/{file}: a retrieval names publication {key!r}, which is not "
                                       f"defined in the publications of any sidecar")
    for i, meta, label, meta_label in pending:
        fr = frames[i]
        required = ((REQUIRE_PUBLICATIONS and not meta.get("_default")) or pub.declares_publications(meta)
                    or bool((fr["publication"] != "").any()))
        keys, fails = pub.resolve_rows(fr, meta, label, meta_label, registry, required)
        schema_failures += fails
        frames[i] = fr.assign(publication=keys, trust=_row_trust(fr, keys, meta))
    if not frames:
        frames = [typed(empty_raw()).assign(source_id=pd.Series([], dtype=object), _label=pd.Series([], dtype=object),
                                            _line=pd.Series([], dtype="int64"))]
    frame = pd.concat(frames, ignore_index=True)
    # a key must be unique within a source even when the source has several files
    if not frame.empty:
        dup = frame[frame.duplicated([*KEY, "source_id"], keep=False) & frame["year"].notna()]
        for _, grp in dup.groupby([*KEY, "source_id"], sort=True):
            if grp["_label"].nunique() > 1:
                where = ", ".join(f"{r['_label']} line {r['_line']}" for r in grp.to_dict("records"))
                k = grp.iloc[0]
                schema_failures.append(f'{where}, column "year": duplicate key (indicator, geo, area, year) = '
                                       f"({k.indicator}, {k.geo}, {k.area}, {int(k.year)}) in two files of source "
                                       f"{k.source_id!r} (expected each key once per source: keep one row)")
    if not schema_failures and not provenance_failures:  # overlaps between broken files are noise
        schema_failures += _unresolved_overlaps(frame)
    if schema_failures:
        raise SchemaError(f"{len(schema_failures) + len(provenance_failures)} problem(s) in the raw data "
                          f"{_CONVENTION}; nothing was written:", schema_failures + provenance_failures)
    if provenance_failures:
        err = ProvenanceError(f"{len(provenance_failures)} provenance problem(s) in the raw data; nothing was written:\n"
                              + "\n".join(f"  - {p}" for p in provenance_failures))
        err.failures = provenance_failures
        raise err
    return _Collected(_assemble(frame), _sources_frame(metas), per_file, shas,
                      pub.publications_frame(registry, defined_in), pub.retrievals_frame(ret_items))


def _unresolved_overlaps(frame: pd.DataFrame) -> list[str]:
    """One failure per key that sources give with different values and no catalog `prefer` resolves."""
    from ecd.data._prefer import KEY as PKEY
    from ecd.data._prefer import conflicts

    if frame.empty or frame["year"].isna().any():
        return []
    typed = frame.assign(year=frame["year"].astype("int64"))
    c = conflicts(typed)
    c = c.loc[~c["resolved"].astype(bool)]
    out = []
    for k, grp in c.groupby(PKEY, sort=True):
        rows = typed.loc[(typed[PKEY] == pd.Series(k, index=PKEY)).all(axis=1)]
        where = "; ".join(f"{r['_label']} line {r['_line']} ({r['source_id']}: {r['value']:g})" for r in rows.to_dict("records"))
        sources = sorted(set(rows["source_id"]))
        out.append(f'{where}, column "value": ({k[0]}, {k[1]}, {k[2]}, {k[3]}) differs between sources and no catalog '
                   f"`prefer` for {k[0]!r} names any of them (expected `prefer: [{', '.join(sources)}]` — most "
                   f"preferred first — on {k[0]} in src/ecd/catalog/indicators.yaml or a user catalog's `prefer:`; "
                   f"`ecd data add --prefer` sets it for a new vintage; values are never averaged)")
    return out


def _row_trust(fr: pd.DataFrame, keys: pd.Series, meta: dict) -> pd.Series:
    """A row's trust: its own cell, else the one trust its publication's retrievals in this sidecar
    agree on, else the sidecar's trust when that is a single level."""
    from ecd.data._sidecar import TRUST_LEVELS

    by_pub: dict[str, set] = {}
    for r in meta.get("retrievals") or []:
        if isinstance(r, dict) and r.get("trust") in TRUST_LEVELS:
            by_pub.setdefault(str(r.get("publication")), set()).add(r["trust"])
    file_level = str(meta.get("trust", "")).strip()
    file_level = file_level if file_level in TRUST_LEVELS else ""
    fallback = keys.map(lambda k: next(iter(by_pub[k])) if len(by_pub.get(k, ())) == 1 else file_level)
    return fr["trust"].where(fr["trust"] != "", fallback)


def _assemble(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "indicator": frame["indicator"].astype("string"),
        "geo": frame["geo"].astype("string"),
        "area": frame["area"].astype("string"),
        "year": frame["year"].astype("int64"),
        "value": frame["value"].astype("float64"),
        "unit": frame["unit"].astype("string"),
        "source_id": frame["source_id"].astype("string"),
        "citation": frame["source"].astype("string"),
        "se": frame["se"].astype("float64"),
        "ci_low": frame["ci_low"].astype("float64"),
        "ci_high": frame["ci_high"].astype("float64"),
        "publication": frame["publication"].astype("string"),
        "trust": frame["trust"].astype("string"),
        "note": frame["note"].astype("string"),
    })
    return out.sort_values(["indicator", "geo", "area", "year", "source_id"], kind="stable").reset_index(drop=True)


def _as_text(v) -> str:
    if isinstance(v, list):
        return "; ".join(_as_text(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_as_text(x)}" for k, x in v.items())
    return "" if v is None else str(v)


def _sources_frame(metas: list[dict]) -> pd.DataFrame:
    rows = [{c: _as_text(m.get(c)) for c in SOURCE_COLUMNS} for m in metas]
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS).astype("string")


def _summary(c: _Collected, written: bool) -> BuildSummary:
    years = (int(c.frame["year"].min()), int(c.frame["year"].max())) if len(c.frame) else None
    return BuildSummary(
        files=len(c.per_file), rows=len(c.frame), indicators=int(c.frame["indicator"].nunique()),
        sources=int(c.sources["source_id"].nunique()), years=years, written=written,
        location=_label(paths.processed_dir()), per_file=tuple(c.per_file), conflicts=_conflicts_of(c.frame),
    )


def _conflicts_of(frame: pd.DataFrame) -> pd.DataFrame:
    from ecd.data._prefer import conflicts

    return conflicts(frame)


@contextlib.contextmanager
def _build_lock():
    """Serialise builds (parallel notebooks may all call ``load`` on first use)."""
    # the lock lives outside the project so it never shows up in git status
    tag = hashlib.sha1(str(paths.home()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"ecd-warehouse-{tag}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write(c: _Collected, target: Path) -> None:
    import duckdb

    from ecd.catalog import indicators

    target.mkdir(parents=True)
    c.frame.to_parquet(target / "warehouse.parquet", index=False)
    c.publications.to_parquet(target / "publications.parquet", index=False)
    c.retrievals.to_parquet(target / "retrievals.parquet", index=False)
    con = duckdb.connect(str(target / "warehouse.duckdb"))
    try:
        for name, df in (("indicators", c.frame), ("sources", c.sources), ("catalog", indicators()),
                         ("publications", c.publications), ("retrievals", c.retrievals)):
            con.register("_df", df)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _df")
            con.unregister("_df")
    finally:
        con.close()
    manifest = {
        "version": MANIFEST_VERSION,
        "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "rows": len(c.frame),
        "catalog_sha256": catalog_sha256(),
        "files": c.files,
        # what was written, so that damage after the build is noticed when the warehouse is opened
        "content_sha256": {name: sha256_file(target / name) for name in _OWNED if name != "manifest.json"},
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in _OWNED:  # on disk before the folder is switched in
        with open(target / name, "rb") as fh:
            os.fsync(fh.fileno())


def build() -> BuildSummary:
    """Validate every raw file and replace the warehouse atomically (see :mod:`ecd.data`)."""
    with _build_lock():
        return _build_locked()


def read_fresh() -> pd.DataFrame:
    """The warehouse table, rebuilt first if missing, stale or damaged (under the build lock, so a
    concurrent build's directory swap is never observed half-way)."""
    with _build_lock():
        manifest = read_manifest()
        if is_stale(manifest):
            _build_locked()
        else:
            heal(manifest)
        return pd.read_parquet(paths.warehouse_parquet())


def damaged(manifest: dict | None = None) -> list[str]:
    """Files of the warehouse whose content no longer matches the sha256 recorded in its manifest.

    Returns ``[]`` when there is no warehouse (nothing to verify) or every file matches.
    """
    manifest = manifest if manifest is not None else read_manifest()
    if not manifest:
        return []
    recorded = manifest.get("content_sha256") or {}
    folder = paths.processed_dir()
    out = []
    for name in _OWNED:
        if name == "manifest.json":
            continue
        p = folder / name
        if name not in recorded or not p.is_file() or sha256_file(p) != recorded[name]:
            out.append(_label(p))
    return out


def heal(manifest: dict | None = None, log=None) -> list[str]:
    """Rebuild the warehouse from ``data/raw`` when a file of it is damaged, and say so.

    Call with the build lock held. Returns the damaged files (``[]``: nothing to do).
    The rebuild is announced with an :class:`~ecd.errors.EcdWarning`, or through
    ``log`` when given (the book build's log).
    """
    bad = damaged(manifest)
    if bad:
        msg = (f"{', '.join(bad)} did not match the sha256 recorded in its manifest (damaged after it was built); "
               f"rebuilt from data/raw, the raw files being the truth")
        _build_locked()
        if log is not None:
            log(f"data: {msg}")
        else:
            import warnings

            from ecd.errors import EcdWarning

            warnings.warn(msg, EcdWarning, stacklevel=3)
    return bad


def _build_locked() -> BuildSummary:
    collected = _collect()
    final = paths.processed_dir()
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    for left in parent.glob(".processed-new-*"):  # staging of a build that was killed (we hold the lock)
        shutil.rmtree(left, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".processed-new-", dir=parent))
    try:
        staged = tmp / "processed"
        _write(collected, staged)
        if final.exists():
            # keep anything else that lives in data/processed
            for entry in final.iterdir():
                if entry.name not in _OWNED:
                    (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, staged / entry.name)
            if not _exchange(staged, final):
                os.replace(final, tmp / "old")
                os.replace(staged, final)
        else:
            os.replace(staged, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _summary(collected, written=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); ``False`` where unsupported.

    With it a reader (or a kill) never finds data/processed missing between the old and the new
    warehouse; elsewhere the two renames leave a moment without it, which the manifest check heals.
    """
    import ctypes
    import errno as _errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (_errno.ENOSYS, _errno.EINVAL, _errno.ENOTSUP):  # kernel or file system without exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def check() -> BuildSummary:
    """Validate every raw file without writing anything; name warehouse files damaged since their build."""
    import dataclasses

    return dataclasses.replace(_summary(_collect(), written=False), damaged=tuple(damaged()))


def read_manifest() -> dict | None:
    try:
        return json.loads((paths.processed_dir() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_stale(manifest: dict | None = None) -> bool:
    """True when the warehouse is missing or was built from other raw files or another catalog."""
    manifest = manifest if manifest is not None else read_manifest()
    if not manifest or manifest.get("version") != MANIFEST_VERSION or not paths.warehouse_parquet().exists():
        return True
    return manifest.get("files") != fingerprint() or manifest.get("catalog_sha256") != catalog_sha256()

