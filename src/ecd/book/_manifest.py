"""The book manifest (``chapters/book.yml``): load, validate, expand.

Everything is validated before anything executes; errors name the key path
(``chapters[2].parameters.start_year``), what was found and what was expected.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecd import paths
from ecd._yaml import load_yaml
from ecd.errors import ConfigError

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PARAM_TYPES = {"int", "float", "str", "bool", "list", "enum", "pattern"}
_BOOK_KEYS = {"title", "subtitle", "edition", "lang", "publisher", "editors", "editorial_board", "data_cutoff",
              "bibliography", "previous_edition"}
_TOP_KEYS = {"book", "matrices", "data", "chapters"}
_CHAPTER_KEYS = {"id", "title", "notebook", "prose", "parameters", "params", "foreach", "intro", "uses", "after", "required",
                 "timeout", "own_kernel"}
_DATA_KEYS = {"id", "action", "uses"}
_SPEC_KEYS = {"type", "default", "items", "values", "pattern", "min", "max", "description"}


def _label(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.home().resolve()).as_posix()
    except ValueError:
        return str(path)


def _where(path: str) -> str:
    return f"chapters/book.yml: {path}"


@dataclass(frozen=True)
class ParamSpec:
    """One typed parameter: int, float, str, bool, list (with ``items``), enum (``values``) or pattern."""

    name: str
    type: str
    default: Any = None
    items: "ParamSpec | None" = None
    values: tuple = ()
    pattern: str | None = None
    min: float | None = None
    max: float | None = None

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` if it fits this spec, else raise ConfigError naming ``where``."""
        t = self.type
        bad = None
        if t == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                bad = "an integer"
        elif t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                bad = "a number"
            elif not math.isfinite(value):
                # nan compares False with any bound: it would pass min/max unseen
                bad = "a finite number (not nan or inf)"
            else:
                value = float(value)
        elif t == "str":
            if not isinstance(value, str):
                bad = "a string (quote it in YAML, e.g. \"110000\")"
        elif t == "bool":
            if not isinstance(value, bool):
                bad = "true or false"
        elif t == "enum":
            if value not in self.values:
                bad = f"one of {list(self.values)}"
        elif t == "pattern":
            if not isinstance(value, str) or not re.fullmatch(self.pattern or "", value):
                bad = f"a string matching /{self.pattern}/"
        elif t == "list":
            if not isinstance(value, list):
                bad = "a list"
            elif self.items is not None:
                value = [self.items.check(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if bad:
            raise ConfigError(f"{_where(where)}: {value!r} ({type(value).__name__}) is not valid; expected {bad}")
        if t in ("int", "float") and (self.min is not None and value < self.min or self.max is not None and value > self.max):
            raise ConfigError(f"{_where(where)}: {value!r} is outside the allowed range [{self.min}, {self.max}]")
        return value

    def parse_cli(self, text: str, where: str) -> Any:
        """Parse a ``--param`` value by this spec's type ("110000" stays a string for str)."""
        t = self.type
        try:
            if t == "int":
                value: Any = int(text)
            elif t == "float":
                value = float(text)
            elif t == "bool":
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                value = text.lower() in ("true", "1", "yes")
            elif t == "list":
                value = [self.items.parse_cli(x.strip(), where) if self.items else x.strip() for x in text.split(",") if x.strip()]
            elif t == "enum":
                # enum values may be non-strings (years); match by text
                matches = [v for v in self.values if str(v) == text]
                value = matches[0] if matches else text
            else:
                value = text
        except ValueError:
            raise ConfigError(f"--param {where}: {text!r} is not a valid {t}") from None
        return self.check(value, where)


def _parse_spec(name: str, raw: Any, where: str) -> ParamSpec:
    if not isinstance(raw, dict):
        raise ConfigError(f"{_where(where)}: expected a mapping with at least 'type', found {raw!r}")
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise ConfigError(f"{_where(where)}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_SPEC_KEYS)}")
    t = raw.get("type")
    if t not in _PARAM_TYPES:
        raise ConfigError(f"{_where(where + '.type')}: {t!r} is not a parameter type; expected one of {sorted(_PARAM_TYPES)}")
    for k in ("min", "max"):
        v = raw.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
            raise ConfigError(f"{_where(where + '.' + k)}: {v!r} is not a finite number")
        if v is not None and t not in ("int", "float"):
            raise ConfigError(f"{_where(where + '.' + k)}: bounds apply to int and float parameters, not {t}")
    if raw.get("min") is not None and raw.get("max") is not None and raw["min"] > raw["max"]:
        raise ConfigError(f"{_where(where)}: min {raw['min']!r} is greater than max {raw['max']!r}, so no value "
                          f"is allowed; swap them")
    items = _parse_spec(name, raw["items"], where + ".items") if "items" in raw else None
    if t == "enum" and not raw.get("values"):
        raise ConfigError(f"{_where(where + '.values')}: an enum needs a non-empty list of values")
    if t == "pattern":
        try:
            re.compile(raw.get("pattern") or "")
        except re.error as e:
            raise ConfigError(f"{_where(where + '.pattern')}: invalid regular expression: {e}") from None
    spec = ParamSpec(name=name, type=t, items=items, values=tuple(raw.get("values") or ()),
                     pattern=raw.get("pattern"), min=raw.get("min"), max=raw.get("max"))
    if "default" in raw:
        spec = ParamSpec(**{**spec.__dict__, "default": spec.check(raw["default"], where + ".default")})
    return spec


@dataclass(frozen=True)
class DataStep:
    id: str
    action: str
    uses: tuple[str, ...]


@dataclass(frozen=True)
class Chapter:
    """One executable unit: a notebook with its parameters (one per foreach item)."""

    id: str
    title: str
    notebook: str
    prose: str | None
    params: dict
    uses: tuple[str, ...]
    after: tuple[str, ...]
    required: bool
    timeout: int | None
    group: str  # the manifest chapter id (sections of a foreach share it)
    section: str | None = None  # the foreach item, e.g. "CN-BJ"
    section_title: str | None = None  # its display name, e.g. "北京"
    number: int = 0  # chapter number in the book
    own_kernel: bool = False  # run in a fresh worker and kernel of its own, not in a build's warm kernel


@dataclass(frozen=True)
class Manifest:
    path: Path
    book: dict
    matrices: dict
    data_steps: tuple[DataStep, ...]
    chapters: tuple[Chapter, ...]
    specs: dict = field(default_factory=dict)  # group id -> {name: ParamSpec}

    def chapter(self, cid: str) -> Chapter:
        for c in self.chapters:
            if c.id == cid:
                return c
        raise ConfigError(f"no chapter {cid!r}; known: {[c.id for c in self.chapters]}")

    @property
    def groups(self) -> list[str]:
        seen: list[str] = []
        for c in self.chapters:
            if c.group not in seen:
                seen.append(c.group)
        return seen


def _matrix_items(name: str, raw: Any, where: str) -> list[dict]:
    if not isinstance(raw, dict) or not ({"items", "from"} & set(raw)):
        raise ConfigError(f"{_where(where)}: a matrix needs 'items: [...]' or 'from: provinces'")
    if "items" in raw:
        items = raw["items"]
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{_where(where + '.items')}: expected a non-empty list")
        return [it if isinstance(it, dict) else {"id": it} for it in items]
    if raw["from"] != "provinces":
        raise ConfigError(f"{_where(where + '.from')}: {raw['from']!r} is not a known matrix source; expected 'provinces'")
    from ecd.book._provinces import province_items

    return province_items()


def _notebook_parameters(nb_path: Path, where: str) -> dict:
    import json

    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c.get("cell_type") == "code"
                 and "parameters" in (c.get("metadata") or {}).get("tags", [])]
    except (ValueError, KeyError, TypeError, AttributeError) as e:  # malformed notebook JSON
        raise ConfigError(f"{_where(where)}: cannot read notebook {nb_path.name}: {e}") from None
    if not cells:
        raise ConfigError(
            f"{_where(where)}: notebook {nb_path.name} has no cell tagged 'parameters'; "
            "tag its first code cell 'parameters' (JupyterLab: property inspector → cell tags)"
        )
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    names: dict = {}
    for line in source.splitlines():
        m = re.match(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=", line)
        if m:
            names[m.group(1)] = line
    return names


def _names(value, where: str) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f"{_where(where)}: expected a name or a list of names (non-empty strings), found {value!r}")
    return names


def _check_book_people(book: dict) -> None:
    """``editors`` (a name or names), ``editorial_board`` (role → names) and ``data_cutoff`` print on the cover."""
    if "editors" in book:
        _names(book["editors"], "book.editors")
    board = book.get("editorial_board")
    if board is not None:
        if not isinstance(board, dict) or not board:
            raise ConfigError(f"{_where('book.editorial_board')}: expected a mapping of role to names, "
                              f"e.g. {{主任: 张三, 委员: [李四, 王五]}}; found {board!r}")
        for role, names in board.items():
            _names(names, f"book.editorial_board.{role}")
    if "data_cutoff" in book and (not isinstance(book["data_cutoff"], str) or not book["data_cutoff"].strip()):
        raise ConfigError(f"{_where('book.data_cutoff')}: expected text such as \"2026年12月\", found {book['data_cutoff']!r}")


def load_manifest(path: Path | None = None, overrides: dict | None = None, check_notebooks: bool = True) -> Manifest:
    """Read and validate the manifest; expand ``foreach``; apply ``--param`` overrides.

    ``overrides`` maps ``"chapter.name"`` to a CLI string.
    """
    path = Path(path) if path else paths.manifest_path()
    home = paths.home()
    if not path.exists():
        raise ConfigError(f"no manifest at {path}; create chapters/book.yml (see README)")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), _label(path))
    except yaml.YAMLError as e:
        raise ConfigError(f"chapters/book.yml is not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError("chapters/book.yml: expected a mapping at the top level")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{_where(sorted(unknown)[0])}: unknown top-level key; allowed: {sorted(_TOP_KEYS)}")
    book = raw.get("book")
    if not isinstance(book, dict):
        raise ConfigError(f"{_where('book')}: missing; it needs at least title and edition")
    for k in set(book) - _BOOK_KEYS:
        raise ConfigError(f"{_where('book.' + k)}: unknown key; allowed: {sorted(_BOOK_KEYS)}")
    for k in ("title", "edition"):
        if not isinstance(book.get(k), str) or not book.get(k):
            raise ConfigError(f"{_where('book.' + k)}: required, a non-empty string (quote an edition like \"2026\")")
    if re.search(r"[/\\\x00]", book["edition"]) or book["edition"].startswith("."):
        # the edition names the release folder build/releases/<edition>/: it must stay one folder in the project
        raise ConfigError(f"{_where('book.edition')}: {book['edition']!r} would name a folder outside "
                          f"build/releases/ (no /, \\ or leading .); use e.g. \"2026\"")
    _check_book_people(book)
    book = {"lang": "zh-CN", **book}

    matrices = {}
    for name, m in (raw.get("matrices") or {}).items():
        matrices[name] = _matrix_items(name, m, f"matrices.{name}")

    data_steps = []
    for i, d in enumerate(raw.get("data") or []):
        w = f"data[{i}]"
        if not isinstance(d, dict):
            raise ConfigError(f"{_where(w)}: expected a mapping")
        for k in set(d) - _DATA_KEYS:
            raise ConfigError(f"{_where(w + '.' + k)}: unknown key; allowed: {sorted(_DATA_KEYS)}")
        if d.get("action") not in ("warehouse",):
            raise ConfigError(f"{_where(w + '.action')}: {d.get('action')!r}; expected 'warehouse'")
        if not isinstance(d.get("id"), str) or not _ID.match(d["id"]):
            raise ConfigError(f"{_where(w + '.id')}: {d.get('id')!r} is not a valid id (lower-case letters, digits, - and _)")
        data_steps.append(DataStep(d["id"], d["action"], tuple(d.get("uses") or ())))

    chapters_raw = raw.get("chapters")
    if not isinstance(chapters_raw, list) or not chapters_raw:
        raise ConfigError(f"{_where('chapters')}: expected a non-empty list of chapters")
    overrides = dict(overrides or {})
    seen_ids = {d.id for d in data_steps}
    chapters: list[Chapter] = []
    specs: dict = {}
    for i, c in enumerate(chapters_raw):
        w = f"chapters[{i}]"
        if not isinstance(c, dict):
            raise ConfigError(f"{_where(w)}: expected a mapping")
        for k in set(c) - _CHAPTER_KEYS:
            raise ConfigError(f"{_where(w + '.' + k)}: unknown key; allowed: {sorted(_CHAPTER_KEYS)}")
        cid = c.get("id")
        if not isinstance(cid, str) or not _ID.match(cid):
            raise ConfigError(f"{_where(w + '.id')}: {cid!r} is not a valid id (lower-case letters, digits, - and _)")
        if cid in seen_ids:
            raise ConfigError(f"{_where(w + '.id')}: duplicate id {cid!r}")
        seen_ids.add(cid)
        w = f"chapters[{i}] ({cid})"
        for k in ("title", "notebook"):
            if not isinstance(c.get(k), str) or not c.get(k):
                raise ConfigError(f"{_where(w + '.' + k)}: required, a non-empty string")
        for k in ("notebook", "prose"):
            _inside(home, c.get(k), w + "." + k)
        nb = home / c["notebook"]
        if check_notebooks and not nb.exists():
            raise ConfigError(f"{_where(w + '.notebook')}: {c['notebook']} does not exist")
        nb_params = _notebook_parameters(nb, w + ".notebook") if check_notebooks else None
        prose = c.get("prose")
        if prose is not None and not (home / prose).exists():
            raise ConfigError(f"{_where(w + '.prose')}: {prose} does not exist")
        for k, typ in (("required", bool), ("timeout", int), ("own_kernel", bool)):
            if k in c and (not isinstance(c[k], typ) or isinstance(c[k], bool) != (typ is bool)):
                raise ConfigError(f"{_where(w + '.' + k)}: {c[k]!r} is not a {typ.__name__}")
        if "timeout" in c and c["timeout"] <= 0:
            raise ConfigError(f"{_where(w + '.timeout')}: {c['timeout']!r} is not a positive number of seconds "
                              f"(a notebook needs time to run); leave the key out for the build's default")
        for k in ("uses", "after"):
            if k in c and not (isinstance(c[k], list) and all(isinstance(x, str) for x in c[k])):
                raise ConfigError(f"{_where(w + '.' + k)}: expected a list of strings")
        spec_raw = c.get("parameters") or {}
        if not isinstance(spec_raw, dict):
            raise ConfigError(f"{_where(w + '.parameters')}: expected a mapping name → {{type: ...}}")
        cspecs = {n: _parse_spec(n, s, f"{w}.parameters.{n}") for n, s in spec_raw.items()}
        if nb_params is not None:
            for n in cspecs:
                if n not in nb_params:
                    raise ConfigError(
                        f"{_where(w + '.parameters.' + n)}: the notebook's parameters cell has no {n!r} "
                        f"(it has {sorted(nb_params)})"
                    )
        given = c.get("params") or {}
        if not isinstance(given, dict):
            raise ConfigError(f"{_where(w + '.params')}: expected a mapping")
        values = {}
        for n, v in given.items():
            if n not in cspecs:
                raise ConfigError(f"{_where(w + '.params.' + n)}: unknown parameter; declared: {sorted(cspecs)}")
            values[n] = cspecs[n].check(v, f"{w}.params.{n}")
        for n, spec in cspecs.items():
            if n not in values and spec.default is not None:
                values[n] = copy.deepcopy(spec.default)
        for key in [k for k in overrides if k.split(".", 1)[0] == cid]:
            n = key.split(".", 1)[1] if "." in key else ""
            if n not in cspecs:
                raise ConfigError(f"--param {key}: chapter {cid!r} has no parameter {n!r}; declared: {sorted(cspecs)}")
            values[n] = cspecs[n].parse_cli(overrides.pop(key), key)
        specs[cid] = cspecs
        base = dict(
            title=c["title"], notebook=c["notebook"], prose=prose, uses=tuple(c.get("uses") or ()),
            after=tuple(c.get("after") or ()), required=c.get("required", True), timeout=c.get("timeout"),
            group=cid, number=i + 1, own_kernel=c.get("own_kernel", False),
        )
        fe = c.get("foreach")
        if fe is None:
            chapters.append(Chapter(id=cid, params=values, **base))
            continue
        if not isinstance(fe, dict) or set(fe) != {"matrix", "as"}:
            raise ConfigError(f"{_where(w + '.foreach')}: expected {{matrix: NAME, as: PARAMETER}}")
        if fe["matrix"] not in matrices:
            raise ConfigError(f"{_where(w + '.foreach.matrix')}: no matrix {fe['matrix']!r}; defined: {sorted(matrices)}")
        if nb_params is not None and fe["as"] not in nb_params:
            raise ConfigError(f"{_where(w + '.foreach.as')}: the notebook's parameters cell has no {fe['as']!r}")
        intro = c.get("intro")
        if intro is not None:
            # a chapter-level part rendered once, before the sections: what is about all items together
            # (a typology of all provinces, a map, a ranking) instead of repeating it in every section
            if not isinstance(intro, dict) or set(intro) - {"notebook", "prose"} or not isinstance(intro.get("notebook"), str):
                raise ConfigError(f"{_where(w + '.intro')}: expected {{notebook: PATH, prose: PATH}} (prose optional)")
            _inside(home, intro["notebook"], w + ".intro.notebook")
            _inside(home, intro.get("prose"), w + ".intro.prose")
            inb = home / intro["notebook"]
            if check_notebooks and not inb.exists():
                raise ConfigError(f"{_where(w + '.intro.notebook')}: {intro['notebook']} does not exist")
            iprose = intro.get("prose")
            if iprose is not None and not (isinstance(iprose, str) and (home / iprose).exists()):
                raise ConfigError(f"{_where(w + '.intro.prose')}: {iprose!r} does not exist")
            inb_params = _notebook_parameters(inb, w + ".intro.notebook") if check_notebooks else None
            iparams = {k: v for k, v in values.items() if inb_params is None or k in inb_params}
            if any(str(it["id"]).lower() == "intro" for it in matrices[fe["matrix"]]):
                raise ConfigError(f"{_where(w + '.intro')}: the matrix {fe['matrix']!r} has an item 'intro', "
                                  "whose section id would clash with the chapter's intro")
            chapters.append(Chapter(id=f"{cid}--intro", params=iparams,
                                    **{**base, "notebook": intro["notebook"], "prose": iprose}))
        for item in matrices[fe["matrix"]]:
            item_id = str(item["id"])
            sid = f"{cid}--{re.sub(r'[^a-z0-9_-]', '-', item_id.lower())}"
            chapters.append(Chapter(id=sid, params={**values, fe["as"]: item_id}, section=item_id,
                                    section_title=str(item.get("title", item_id)), **base))
    if overrides:
        raise ConfigError(f"--param {sorted(overrides)[0]}: no chapter of that id; known: {sorted(specs)}")

    # dependencies: after → chapter groups; uses → data step ids or paths
    groups = {c.group for c in chapters}
    step_ids = {d.id for d in data_steps}
    for c in chapters:
        for a in c.after:
            if a not in groups:
                raise ConfigError(f"{_where('chapters (' + c.group + ').after')}: no chapter {a!r}")
        for u in c.uses:
            if u not in step_ids:
                _inside(home, u, "chapters (" + c.group + ").uses")
            if u not in step_ids and not (home / u).exists():
                raise ConfigError(f"{_where('chapters (' + c.group + ').uses')}: {u!r} is neither a data step nor an existing path")
    _check_cycles(chapters)
    return Manifest(path=path, book=book, matrices=matrices, data_steps=tuple(data_steps),
                    chapters=tuple(chapters), specs=specs)


def _inside(home: Path, rel: Any, where: str) -> None:
    """Refuse a path of the manifest that leads out of the project (``..``, absolute, a symlink out):
    what it names would be read and hashed but is not part of the project."""
    if not isinstance(rel, str) or not rel:
        return
    why = paths.outside_home(Path(rel), home)
    if why:
        raise ConfigError(f"{_where(where)}: {rel!r} {why}; a chapter may only use files of the project. Copy "
                          f"the file into the project (data under data/raw/ with its .meta.yaml) instead")


def _check_cycles(chapters: list[Chapter]) -> None:
    import graphlib

    g = graphlib.TopologicalSorter()
    for c in chapters:
        g.add(c.group, *c.after)
    try:
        g.prepare()
    except graphlib.CycleError as e:
        cycle = " → ".join(e.args[1])
        raise ConfigError(f"chapters/book.yml: chapters depend on each other in a cycle: {cycle}") from None
