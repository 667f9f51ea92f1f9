"""Turn an executed notebook plus its prose into chapter HTML.

The executed notebook gives glued numbers, figures and tables (tagged by
``ecd.book.glue/figure/table``). The prose (``chapters/<id>.md``) gives the
text; in it ``{{name}}`` is a glued number, ``{{chapter-id:name}}`` a number
glued by another chapter (computed once, stated everywhere), ``@fig-x``/``@tbl-x`` a
cross-reference, ``[[fig-x]]`` on a line of its own places a figure or table
(unplaced ones follow the prose in notebook order) and ``[@key]`` cites
``references.bib``. A composed notebook (markdown + HTML outputs, no code) is
rendered by nbconvert's HTML exporter with inputs excluded, so no code, stderr
or traceback reaches the book.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field

from ecd.book._display import META_KEY, MIME_GLUE, MIME_TABLE
from ecd.errors import BuildError

_PLACEHOLDER = re.compile(r"\{\{\s*(?:([a-z0-9][a-z0-9_-]*):)?([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_XREF = re.compile(r"@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9])")
_PLACE = re.compile(r"^\s*\[\[((?:fig|tbl)-[A-Za-z0-9_-]+)\]\]\s*$")
_CITE = re.compile(r"\[@([A-Za-z0-9_:-]+)\]")
_KIND_ZH = {"figure": "图", "table": "表"}


@dataclass
class Outputs:
    """What a chapter's executed notebook handed to the book."""

    glue: dict = field(default_factory=dict)  # name -> payload
    items: list = field(default_factory=list)  # figures and tables in order


def collect(nb) -> Outputs:
    out = Outputs()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            if MIME_GLUE in data:
                g = data[MIME_GLUE]
                out.glue[g["name"]] = g
                continue
            meta = (o.get("metadata") or {}).get(META_KEY)
            if not meta:
                continue
            item = dict(meta)
            if meta["kind"] == "figure":
                item["png"] = data.get("image/png", "")
            else:
                item["html"] = data.get("text/html", "")
                item["cells"] = data.get(MIME_TABLE)
            out.items.append(item)
    return out


def _esc(s) -> str:
    return html.escape(str(s), quote=True)


def number_items(items: list, chapter_number: int, start: dict | None = None) -> dict:
    """Assign 图/表 numbers ``chapter-k``; return label -> display number."""
    counters = dict(start or {"figure": 0, "table": 0})
    numbers = {}
    for it in items:
        counters[it["kind"]] += 1
        it["number"] = f"{_KIND_ZH[it['kind']]} {chapter_number}-{counters[it['kind']]}"
        numbers[it["label"]] = it["number"]
    if start is not None:
        start.update(counters)
    return numbers


def register(cites: dict | None, kind: str, key: str, fields: dict | None = None) -> int:
    """Number a publication (``kind="pub"``) or references.bib entry (``"bib"``) in the chapter's 参考文献."""
    if cites is None:
        return 0
    entry = (kind, key)
    if entry not in cites["order"]:
        cites["order"].append(entry)
        if kind == "pub":
            cites.setdefault("pubs", {})[key] = fields or {}
    return cites["order"].index(entry) + 1


def ref_anchor(kind: str, key: str) -> str:
    return f"ref-{key}" if kind == "bib" else f"ref-pub-{key}"


def _check_bib(key: str, cites: dict | None, where: str) -> None:
    if cites is not None and key not in cites["entries"]:
        raise BuildError(f"{where}: citation {key!r} is not in chapters/references.bib")


def source_html(it: dict, cites: dict | None, where: str = "") -> str:
    """The 数据来源 line: each publication of the rows drawn once, GB/T 7714, linked to the 参考文献."""
    from ecd.book._bib import format_gbt7714, format_publication

    src = it.get("sources")
    if not src:  # an output written before sources were structured: its text, without a doubled lead
        return _esc(re.sub(r"^\s*数据来源\s*[:：]\s*", "", str(it.get("source", ""))))
    parts = []
    for p in src.get("pubs", []):
        n = register(cites, "pub", p["key"], p)
        text = format_publication(p).rstrip(".")
        parts.append(f'<a class="cite-src" data-pub="{_esc(p["key"])}" data-rows="{int(p.get("rows", 0))}" '
                     f'href="#{_esc(ref_anchor("pub", p["key"]))}">{_esc(text)}</a>'
                     + (f'<sup class="cite">[{n}]</sup>' if n else ""))
    for key in src.get("bib", []):
        _check_bib(key, cites, where)
        n = register(cites, "bib", key)
        text = format_gbt7714(cites["entries"][key]).rstrip(".") if cites else key
        parts.append(f'<a class="cite-src" data-bib="{_esc(key)}" href="#{_esc(ref_anchor("bib", key))}">{_esc(text)}</a>'
                     + (f'<sup class="cite">[{n}]</sup>' if n else ""))
    parts += [_esc(t) for t in src.get("text", [])]
    return "；".join(parts)


_NUMERIC_CELL = re.compile(r"^[+\-−–]?\s*[\d,]*\.?\d")
_DATE_CELL = re.compile(r"^\d{4}-\d{2}-\d{2}")  # a date (2019-05-09（公布）) reads from the left like text
_EMPTY_CELL = {"", "—", "–", "-"}
PRINT_EM = 53.0  # the 16开 text block (147 mm) in em of the PDF's table type (7.8 pt)


def _em(text) -> float:
    return sum(1.0 if ord(ch) > 0x2E7F else 0.55 for ch in str(text))


def table_layout(cells: dict | None) -> tuple[set, str]:
    """How a book table is set: its text columns (left-aligned) and its print width class.

    A column is text when fewer than half of its filled cells read as numbers
    (``12``, ``−0.5``, ``5.4（2024年）``, ``1990—2024``); numbers stay right-aligned.
    The width class says how far the table's natural width (text columns wrapped
    at 12 characters) exceeds the printed page: ``""``, ``"wide"`` or ``"wider"``
    (print.css sets these in smaller type).

    Examples
    --------
    >>> table_layout({"columns": ["指标", "年份", "判断"], "data": [["婴儿死亡率", 2024, "已达到"], ["新生儿死亡率", "—", "未达到"]]})
    ({0, 2}, '')
    >>> table_layout({"columns": ["日期", "数值"], "data": [["2019-05-09（公布）", 1.5]]})[0]
    {0}
    """
    if not cells or not cells.get("columns") or any(isinstance(c, list) for c in cells["columns"]):
        return set(), ""
    columns, data = cells["columns"], cells.get("data") or []
    text, width = set(), 0.0
    for j, head in enumerate(columns):
        filled = [r[j] for r in data if r[j] is not None and str(r[j]).strip() not in _EMPTY_CELL]
        numeric = sum(1 for v in filled if (isinstance(v, (int, float)) and not isinstance(v, bool))
                      or (_NUMERIC_CELL.match(str(v).strip()) and not _DATE_CELL.match(str(v).strip())))
        natural = max([_em(v) for v in filled] or [0.0])
        if filled and 2 * numeric < len(filled):
            text.add(j)
            natural = min(natural, 12.0)
        width += max(natural, min(_em(head), 6.0)) + 0.8
    return text, ("wider" if width > 1.2 * PRINT_EM else "wide" if width > PRINT_EM else "")


SHORT_EM = 8.0  # a column whose header and cells all fit in this many em is never wrapped (监测系统, 已达到, 4.0（2024年）)


def short_columns(cells: dict | None) -> set:
    """The columns of a table set on one line: every cell and the header at most :data:`SHORT_EM` em wide.

    Only a table that also has a longer column gets them (there the browser would
    otherwise squeeze the short columns into one-character lines), and only while the
    short columns leave the others at least 6 em each of the printed text block (set in
    smaller type for a wide table).

    Examples
    --------
    >>> short_columns({"columns": ["目标", "判断"], "data": [["《健康儿童行动提升计划（2021—2025年）》2025年不高于5.2‰", "已达到"]]})
    {1}
    >>> short_columns({"columns": ["指标", "判断"], "data": [["婴儿死亡率", "已达到"]]})
    set()
    """
    if not cells or not cells.get("columns") or any(isinstance(c, list) for c in cells["columns"]):
        return set()
    columns, data = cells["columns"], cells.get("data") or []
    widths = [max([_em(r[j]) for r in data if r[j] is not None] + [_em(head)]) for j, head in enumerate(columns)]
    if not widths or max(widths) <= SHORT_EM:
        return set()
    short = {j for j, w in enumerate(widths) if w <= SHORT_EM}
    block = PRINT_EM * {"": 1.0, "wide": 7.8 / 6.8, "wider": 7.8 / 6.0}[table_layout(cells)[1]]
    if sum(widths[j] for j in short) + 6.0 * (len(widths) - len(short)) + 0.8 * len(widths) > block:
        return set()
    return short


def _set_table(html_table: str, cells: dict | None) -> str:
    """Mark a table's text cells (class ``text``), its one-line columns (class ``short``) and its print width
    (class ``wide``/``wider`` on the table)."""
    text, width = table_layout(cells)
    short = short_columns(cells)
    if width:
        html_table = html_table.replace('class="dataframe ecd-table"', f'class="dataframe ecd-table {width}"', 1)
    if not (text or short) or "colspan" in html_table or "rowspan" in html_table:
        return html_table
    n = len(cells["columns"])

    def row(m):
        found = list(re.finditer(r"<(td|th)([^>]*)>", m.group(0)))
        if len(found) != n:
            return m.group(0)
        out, last = [], 0
        for j, c in enumerate(found):
            out.append(m.group(0)[last:c.start()])
            classes = " ".join(k for k, on in (("text", j in text), ("short", j in short)) if on)
            out.append(f'<{c.group(1)} class="{classes}"{c.group(2)}>' if classes and "class=" not in c.group(2) else c.group(0))
            last = c.end()
        return "".join(out) + m.group(0)[last:]

    return re.sub(r"<tr\b[^>]*>.*?</tr>", row, html_table, flags=re.S)


def item_html(it: dict, anchor: str, cites: dict | None = None, where: str = "") -> str:
    cap = f'<span class="num">{_esc(it["number"])}</span> {_esc(it["caption"])}'
    src = f'<div class="source">数据来源：{source_html(it, cites, where)}</div>'
    if it["kind"] == "figure":
        body = f'<img alt="{_esc(it.get("alt") or it["caption"])}" src="data:image/png;base64,{it["png"]}">'
        return f'<figure class="ecd-figure" id="{_esc(anchor)}">{body}<figcaption>{cap}</figcaption>{src}</figure>'
    # the table alone scrolls sideways on a narrow screen (caption and source line stay put); the box is
    # focusable and named so that keyboard and screen-reader users can scroll it too
    scroll = (f'<div class="table-scroll" tabindex="0" role="region" aria-label="{_esc(it["number"])}">'
              f'{_set_table(it["html"], it.get("cells"))}</div>')
    return f'<div class="ecd-table-wrap" id="{_esc(anchor)}"><div class="caption">{cap}</div>{scroll}{src}</div>'



def glue_title(g: dict, cites: dict | None, where: str = "") -> str:
    """The hover of a glued number: the publications of the rows it was computed from (never its name)."""
    from ecd.book._bib import short_publication

    src = g.get("sources")
    if not src:
        return f"来源：{g['origin']}" if g.get("origin") else ""
    names = []
    for p in src.get("pubs", []):
        register(cites, "pub", p["key"], p)
        names.append(short_publication(p))
    for key in src.get("bib", []):
        _check_bib(key, cites, where)
        register(cites, "bib", key)
        e = cites["entries"][key] if cites else {}
        names.append(f"{e.get('author', '')}《{e.get('title', key)}》" if e else key)
    names += list(src.get("text", []))
    return "来源：" + "；".join(names) if names else ""


def reference_list(cites: dict) -> str:
    """The chapter's 参考文献: every publication and references.bib entry cited in it, numbered in citation order."""
    from ecd.book._bib import format_gbt7714, format_publication

    items = []
    for i, (kind, key) in enumerate(cites["order"], start=1):
        text = format_gbt7714(cites["entries"][key]) if kind == "bib" else format_publication(cites["pubs"][key])
        items.append(f'<li id="{_esc(ref_anchor(kind, key))}">[{i}] {_esc(text)}</li>')
    if not items:
        return ""
    return f'<section class="references"><h2>参考文献</h2><ol class="bib">{"".join(items)}</ol></section>'


def references(prose: str) -> list[tuple[int, str, str]]:
    """Every ``{{chapter-id:name}}`` in the prose as ``(line number, chapter id, name)``."""
    out = []
    for i, line in enumerate(prose.splitlines(), start=1):
        out += [(i, m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(line) if m.group(1)]
    return out


def check_placeholders(prose: str, glue: dict, external: dict, prose_path: str, *, items=None, refs=None,
                       bib=None) -> None:
    r"""Every ``{{name}}``, ``{{chapter-id:name}}``, ``[[fig-x]]``, ``@fig-x`` and ``[@key]`` resolves, and every
    glued finding is stated.

    Otherwise one BuildError lists every problem of the prose file, each with its line (a writer fixes them
    all after one build). ``items`` (labels the notebook produced), ``refs`` (labels ``@`` may point at) and
    ``bib`` (references.bib keys) are checked when given.

    Examples
    --------
    >>> from ecd.book._render import check_placeholders
    >>> check_placeholders("共 {{n}} 项，见 @fig-a。\n又 {{m}}。\n[[tbl-b]]", {"n": {"name": "n"}}, {}, "x.md",
    ...                    items=["fig-a"], refs={"fig-a": ("图 1-1", "fig-a")})
    Traceback (most recent call last):
    ...
    ecd.errors.BuildError: x.md: 2 problems in the prose:
    x.md:2: {{m}} — the notebook glued no number of that name (glued: ['n']); add ecd.book.glue('m', ...) to the notebook, or write {{chapter-id:name}} for another chapter's number
    x.md:3: [[tbl-b]] places a figure/table the notebook did not produce (produced: ['fig-a'])
    """
    problems = []
    used = {m.group(2) for m in _PLACEHOLDER.finditer(prose) if m.group(1) is None}
    unstated = sorted(n for n, g in glue.items() if g.get("finding") and n not in used)
    if unstated:
        g = glue[unstated[0]]
        problems.append(f"{prose_path}: the notebook found {g['finding']!r} but the prose does not state it; add "
                        f"{{{{{unstated[0]}}}}} to the prose ({len(unstated)} finding(s) unstated: {unstated})")
    for i, line in enumerate(prose.splitlines(), start=1):
        at = f"{prose_path}:{i}:"
        for m in _PLACEHOLDER.finditer(line):
            chapter, name = m.group(1), m.group(2)
            if chapter is None:
                if name not in glue:
                    problems.append(f"{at} {{{{{name}}}}} — the notebook glued no number of that name "
                                    f"(glued: {sorted(glue) or 'none'}); add ecd.book.glue({name!r}, ...) to the "
                                    "notebook, or write {{chapter-id:name}} for another chapter's number")
            elif chapter not in external:
                problems.append(f"{at} {{{{{chapter}:{name}}}}} — chapter {chapter!r} has no output "
                                f"in this build (chapters available: {sorted(external) or 'none'})")
            elif name not in external[chapter]["glue"]:
                problems.append(f"{at} {{{{{chapter}:{name}}}}} — chapter {chapter!r} glued no number "
                                f"{name!r} (it glued: {sorted(external[chapter]['glue']) or 'none'})")
        place = _PLACE.match(line)
        if place and items is not None and place.group(1) not in items:
            problems.append(f"{at} [[{place.group(1)}]] places a figure/table the notebook did not produce "
                            f"(produced: {sorted(items)})")
        if refs is not None and not place:
            for label in sorted({m.group(1) for m in _XREF.finditer(line)} - set(refs)):
                problems.append(f"{at} cross-reference @{label} names no figure or table of this chapter "
                                f"(known: {sorted(refs)})")
        if bib is not None:
            for key in [m.group(1) for m in _CITE.finditer(line) if m.group(1) not in bib]:
                problems.append(f"{at} citation [@{key}] is not in chapters/references.bib")
    if len(problems) == 1:
        raise BuildError(problems[0])
    if problems:
        raise BuildError(f"{prose_path}: {len(problems)} problems in the prose:\n" + "\n".join(problems))


def _glued_span(g: dict, title: str, chapter: str | None = None) -> str:
    data = f' data-chapter="{_esc(chapter)}"' if chapter else ""
    src = g.get("sources") or {}
    refs = [ref_anchor("pub", p["key"]) for p in src.get("pubs", [])] + [ref_anchor("bib", k) for k in src.get("bib", [])]
    if refs:
        data += f' data-refs="{_esc(" ".join(refs))}"'
    return (f'<span class="glued" data-name="{_esc(g["name"])}"{data} title="{_esc(title)}">'
            f'{_esc(g["text"])}</span>')


def substitute(text: str, glue: dict, refs: dict, where: str, cites: dict | None = None,
               external: dict | None = None) -> str:
    """Replace ``{{name}}``, ``{{chapter-id:name}}``, ``@fig-x`` and ``[@key]`` in prose; unknown names are build errors.

    ``external`` maps a chapter id to ``{"glue": {name: payload}, "label": "第4章 趋势与目标进展"}``.
    """
    external = external or {}
    found = {(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(text)}
    missing = sorted(n for c, n in found if c is None and n not in glue)
    if missing:
        raise BuildError(f"{where}: the prose uses {{{{{missing[0]}}}}} but the notebook glued no number of that name "
                         f"(glued: {sorted(glue) or 'none'}); add ecd.book.glue({missing[0]!r}, ...) to the notebook")
    unknown = sorted(f"{c}:{n}" for c, n in found if c is not None and n not in external.get(c, {}).get("glue", {}))
    if unknown:
        raise BuildError(f"{where}: the prose uses {{{{{unknown[0]}}}}} but that chapter glued no number of that name")
    bad = sorted({m.group(1) for m in _XREF.finditer(text)} - set(refs))
    if bad:
        raise BuildError(f"{where}: cross-reference @{bad[0]} names no figure or table of this chapter (known: {sorted(refs)})")

    def glue_sub(m):
        chapter, name = m.group(1), m.group(2)
        if chapter is None:
            g = glue[name]
            return _glued_span(g, glue_title(g, cites, where) or "由本章计算")
        g, label = external[chapter]["glue"][name], external[chapter]["label"]
        title = glue_title(g, cites, where)
        return _glued_span(g, f"{title}（由{label}计算）" if title else f"由{label}计算", chapter)

    text = _PLACEHOLDER.sub(glue_sub, text)
    text = _XREF.sub(lambda m: f'<a class="xref" href="#{_esc(refs[m.group(1)][1])}">{_esc(refs[m.group(1)][0])}</a>', text)
    if cites is not None:
        def cite_sub(m):
            key = m.group(1)
            if key not in cites["entries"]:
                raise BuildError(f"{where}: citation [@{key}] is not in chapters/references.bib")
            n = register(cites, "bib", key)
            return f'<sup class="cite"><a href="#{_esc(ref_anchor("bib", key))}">[{n}]</a></sup>'

        text = _CITE.sub(cite_sub, text)
    return text


def compose(prose: str, outputs: Outputs, refs: dict, anchors: dict, where: str, cites: dict | None = None,
            external: dict | None = None, prose_path: str | None = None):
    """Build the notebook nbconvert renders: prose cells with items placed, the rest appended.

    ``external`` holds other chapters' glued numbers (see :func:`substitute`); a
    placeholder that does not resolve is a BuildError naming ``prose_path`` and the line.
    """
    import nbformat

    by_label = {it["label"]: it for it in outputs.items}
    check_placeholders(prose, outputs.glue, external or {}, prose_path or where, items=list(by_label), refs=refs,
                       bib=cites["entries"] if cites is not None else None)
    nb = nbformat.v4.new_notebook()
    placed: set = set()
    buf: list[str] = []

    def flush():
        if "".join(buf).strip():
            nb.cells.append(nbformat.v4.new_markdown_cell(substitute("\n".join(buf), outputs.glue, refs, where, cites,
                                                                     external)))
        buf.clear()

    def add_item(it):
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data",
                                               data={"text/html": item_html(it, anchors[it["label"]], cites, where)})]
        nb.cells.append(cell)

    for line in prose.splitlines():
        m = _PLACE.match(line)
        if m:
            label = m.group(1)
            if label not in by_label:
                raise BuildError(f"{where}: [[{label}]] places a figure/table the notebook did not produce "
                                 f"(produced: {sorted(by_label)})")
            flush()
            add_item(by_label[label])
            placed.add(label)
        else:
            buf.append(line)
    flush()
    for it in outputs.items:
        if it["label"] not in placed:
            add_item(it)
    return nb


def suffix_ids(body: str, suffix: str) -> str:
    """Give every ``id`` of a foreach section's body (and its in-page links) the section's suffix.

    The sections of a foreach chapter share one page, and each renders the same
    notebook and prose: their cell and heading ids would repeat. Ids that
    already end with the suffix (figure and table anchors) are kept.

    Examples
    --------
    >>> suffix_ids('<h3 id="a">x</h3><a href="#a">x</a><div id="fig-x--p1"></div><a href="#fig-x--p1">图</a>', "--p1")
    '<h3 id="a--p1">x</h3><a href="#a--p1">x</a><div id="fig-x--p1"></div><a href="#fig-x--p1">图</a>'
    """
    ids = {m for m in re.findall(r'\sid="([^"]*)"', body) if not m.endswith(suffix)}
    if not ids:
        return body
    body = re.sub(r'(\sid=")([^"]*)(")', lambda m: m.group(0) if m.group(2) not in ids else
                  f"{m.group(1)}{m.group(2)}{suffix}{m.group(3)}", body)
    return re.sub(r'(\shref="#)([^"]*)(")', lambda m: m.group(0) if m.group(2) not in ids else
                  f"{m.group(1)}{m.group(2)}{suffix}{m.group(3)}", body)


_EXPORTERS = threading.local()  # one exporter per thread: its templates load once, not per section


def to_html(nb) -> str:
    """Render a composed notebook to an HTML fragment with nbconvert (no inputs, no prompts)."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _EXPORTERS.html = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                                                  exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb)
    return body
