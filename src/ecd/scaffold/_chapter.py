"""Writing a new chapter: notebook, prose and manifest entry, validated together or not at all."""
from __future__ import annotations

import contextlib
import fcntl
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ecd import paths
from ecd.errors import ConfigError, ParameterError

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # as the manifest's chapter ids
LOCK = Path("/tmp/bookyml.lock")
FOREACH = ("provinces",)


@dataclass(frozen=True)
class ChapterScaffold:
    """The files :func:`ecd.scaffold.new_chapter` wrote (paths relative to the project home)."""

    id: str
    notebook: str
    prose: str
    manifest: str
    foreach: str | None

    def __str__(self) -> str:
        return (f"New chapter {self.id!r}: {self.notebook}, {self.prose} and an entry in {self.manifest}. "
                f"Build it with `ecd build --only {self.id}`.")


@contextlib.contextmanager
def _locked():
    with open(LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _code(source: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {"tags": tags} if tags else {},
            "outputs": [], "source": source}


def _md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook_json(cid: str, title: str, indicator: str, foreach: str | None, geos: list[str]) -> dict:
    """The chapter notebook: parameters, setup, a labelled figure, glued numbers (no def/class)."""
    stem = cid.replace("-", "_")
    if foreach:
        params = f'indicator = "{indicator}"\nprovince = "CN-BJ"\n'
        places = "places = [province]\n"
    else:
        params = f'indicator = "{indicator}"\ngeos = {json.dumps(geos)}\n'
        places = "places = list(geos)\n"
    cells = [
        _md(f"# {title}\n\n本笔记本为蓝皮书章节提供图和数字；正文见 `chapters/{stem}.md`。"),
        _code(params, ["parameters"]),
        _code("import matplotlib.pyplot as plt\n\nimport ecd\n\necd.viz.use_theme()\n" + places
              + "entry = ecd.catalog.indicator(indicator)\n"
                "df = ecd.data.load(indicator, geo=places)\n"
                "if df.empty:\n"
                "    raise ValueError(f\"no rows of {indicator!r} for {places} in the warehouse; "
                "check `ecd.data.load({indicator!r})`\")"),
        _md("## 图"),
        _code("if set(df[\"area\"]) & {\"urban\", \"rural\"}:\n"
              "    fig = ecd.viz.urban_rural_panels(df, geos=places, ylabel=entry[\"unit\"],\n"
              "                                     geo_labels={g: ecd.catalog.geo_name(g) for g in places})\n"
              "else:\n"
              "    fig, ax = plt.subplots(figsize=(6, 3.6))\n"
              "    for geo, rows in df[df[\"area\"] == \"total\"].groupby(\"geo\"):\n"
              "        ax.plot(rows[\"year\"], rows[\"value\"], marker=\"o\", label=ecd.catalog.geo_name(geo))\n"
              "    ax.set_xlabel(\"年份\")\n"
              "    ax.set_ylabel(entry[\"unit\"])\n"
              "    ax.legend()\n"
              f"ecd.book.figure(fig, label=\"fig-{cid}\", caption=f\"{{entry['name_zh']}}（{{'、'.join(ecd.catalog.geo_name(g) for g in places)}}）\",\n"
              "                source=df)"),
        _md("## 正文中的数字"),
        _code("latest = df.sort_values([\"year\", \"geo\"]).iloc[-1]\n"
              "ecd.book.glue(\"indicator_name\", entry[\"name_zh\"])\n"
              "ecd.book.glue(\"latest_year\", int(latest[\"year\"]), fmt=\"{}\")\n"
              "ecd.book.glue(\"latest_geo\", ecd.catalog.geo_name(latest[\"geo\"]))\n"
              "ecd.book.glue(\"latest_value\", float(latest[\"value\"]), fmt=\"{:.1f}\", origin=latest, unit=entry[\"unit\"])"),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"{stem[:50]}-{i}"
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def prose_text(cid: str) -> str:
    return ("## 要点\n\n"
            "- 最新数据（{{latest_year}}年）中，{{latest_geo}}的{{indicator_name}}为 {{latest_value}}。\n\n"
            f"[[fig-{cid}]]\n\n"
            f"@fig-{cid} 的数据来源见图注。（正文待写：每个数字都由笔记本 `ecd.book.glue` 提供，不手写数字。）\n")


def manifest_entry(cid: str, title: str, stem: str, indicator: str, foreach: str | None, geos: list[str],
                   uses: str, indent: str) -> str:
    q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 (a JSON string is a YAML double-quoted scalar)
    lines = [f"- id: {cid}", f"  title: {q(title)}", f"  notebook: notebooks/chapters/{stem}.ipynb",
             f"  prose: chapters/{stem}.md", "  parameters:", f"    indicator: {{type: str, default: {q(indicator)}}}"]
    if foreach:
        lines += ["    province: {type: str, default: CN-BJ}", f"  foreach: {{matrix: {foreach}, as: province}}"]
    else:
        lines += [f"    geos: {{type: list, items: {{type: str}}, default: {json.dumps(geos)}}}"]
    lines += [f"  uses: [{uses}]", "  required: false"]
    return "".join(indent + line + "\n" for line in lines)


def insert_chapter(text: str, entry_of_indent) -> str:
    """Insert a chapter entry at the end of the ``chapters:`` list, keeping every other line as it is."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if re.match(r"^chapters:\s*(#.*)?$", ln)), None)
    if start is None:
        raise ConfigError("chapters/book.yml: no top-level `chapters:` list to add the chapter to")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_]", lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    item = next((re.match(r"^(\s*)- ", ln) for ln in lines[start + 1:end] if re.match(r"^\s*- ", ln)), None)
    indent = item.group(1) if item else "  "
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join(lines[:end]) + entry_of_indent(indent) + "".join(lines[end:])


def new_chapter(name: str, *, title: str | None = None, foreach: str | None = None, indicator: str = "imr",
                geos=("CN",)) -> ChapterScaffold:
    """Scaffold a chapter that builds immediately: notebook, prose, and a ``chapters/book.yml`` entry.

    Parameters
    ----------
    name : str
        Chapter id (lower-case letters, digits, ``-`` and ``_``); the files are
        ``notebooks/chapters/<name>.ipynb`` and ``chapters/<name>.md`` with ``-`` → ``_``.
    title : str, optional
        Chapter title (default: the indicator's Chinese name).
    foreach : {"provinces"}, optional
        One section per province (parameter ``province``) instead of one chapter
        over ``geos``.
    indicator : str
        Catalog code the figure stub plots (a user-catalog code works too).
    geos : sequence of str
        Geo codes the figure shows (without ``foreach``).

    Returns
    -------
    ChapterScaffold

    Raises
    ------
    ecd.errors.ParameterError
        Invalid id, existing chapter or file, unknown indicator, geo or foreach matrix.
    ecd.errors.ConfigError
        The manifest would not validate with the new entry (nothing is kept).

    Examples
    --------
    >>> import os, shutil, tempfile
    >>> import ecd.paths, ecd.scaffold
    >>> home, before = tempfile.mkdtemp(), os.environ.get("ECD_HOME")
    >>> for part in ("chapters", "notebooks", "data/raw"):
    ...     _ = shutil.copytree(ecd.paths.home() / part, os.path.join(home, part))
    >>> os.environ["ECD_HOME"] = home
    >>> print(ecd.scaffold.new_chapter("births-demo", indicator="births", title="出生人口"))
    New chapter 'births-demo': notebooks/chapters/births_demo.ipynb, chapters/births_demo.md and an entry in chapters/book.yml. Build it with `ecd build --only births-demo`.
    >>> ecd.scaffold.new_chapter("births-demo")
    Traceback (most recent call last):
    ...
    ecd.errors.ParameterError: parameter 'NAME': chapter 'births-demo' already exists in chapters/book.yml (choose another id)
    >>> _ = os.environ.pop("ECD_HOME") if before is None else os.environ.update(ECD_HOME=before)
    >>> shutil.rmtree(home)
    """
    from ecd.book._manifest import load_manifest
    from ecd.catalog._load import catalog_doc, known_geos, suggest

    if not isinstance(name, str) or not _ID.match(name):
        raise ParameterError("NAME", f"{name!r} is not a valid chapter id (expected lower-case letters, digits, - and _, "
                                     f"starting with a letter or digit, e.g. births-by-province)")
    if foreach is not None and foreach not in FOREACH:
        raise ParameterError("--foreach", f"{foreach!r}; expected one of {', '.join(FOREACH)}")
    entries = catalog_doc()["indicators"]
    if indicator not in entries:
        raise ParameterError("--indicator", f"unknown indicator code {indicator!r}; {suggest(indicator, entries)}")
    geos = [str(g) for g in geos]
    bad = [g for g in geos if g not in known_geos()]
    if bad or not geos:
        raise ParameterError("--geo", f"unknown geo code(s) {bad or geos}; expected codes of ecd.catalog.geos() such as CN")
    home = paths.home()
    stem = name.replace("-", "_")
    nb_path = paths.notebooks_dir() / "chapters" / f"{stem}.ipynb"
    prose_path = paths.chapters_dir() / f"{stem}.md"
    manifest = paths.manifest_path()
    title = title or entries[indicator]["name_zh"]
    with _locked():
        original = manifest.read_text(encoding="utf-8")
        current = load_manifest(manifest, check_notebooks=False)
        if name in current.groups or name in {d.id for d in current.data_steps}:
            raise ParameterError("NAME", f"chapter {name!r} already exists in chapters/book.yml (choose another id)")
        for p in (nb_path, prose_path):
            if p.exists():
                raise ParameterError("NAME", f"{p.relative_to(home).as_posix()} already exists (choose another id, "
                                             f"or add that notebook to chapters/book.yml by hand)")
        if foreach and foreach not in current.matrices:
            raise ParameterError("--foreach", f"chapters/book.yml defines no matrix {foreach!r} "
                                              f"(add `matrices: {{{foreach}: {{from: {foreach}}}}}`)")
        uses = "warehouse" if "warehouse" in {d.id for d in current.data_steps} else "data/raw"
        nb_path.parent.mkdir(parents=True, exist_ok=True)
        prose_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            nb_path.write_text(json.dumps(notebook_json(name, title, indicator, foreach, geos), ensure_ascii=False,
                                          indent=1) + "\n", encoding="utf-8")
            prose_path.write_text(prose_text(name), encoding="utf-8")
            manifest.write_text(insert_chapter(original, lambda ind: manifest_entry(
                name, title, stem, indicator, foreach, geos, uses, ind)), encoding="utf-8")
            load_manifest(manifest)
        except BaseException:
            manifest.write_text(original, encoding="utf-8")
            nb_path.unlink(missing_ok=True)
            prose_path.unlink(missing_ok=True)
            raise
    rel = lambda p: p.relative_to(home).as_posix()  # noqa: E731
    return ChapterScaffold(id=name, notebook=rel(nb_path), prose=rel(prose_path), manifest=rel(manifest), foreach=foreach)
