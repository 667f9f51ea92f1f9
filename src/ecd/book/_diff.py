"""Edition diff: what changed between two releases (glued numbers, table cells, figures, chapters)."""
from __future__ import annotations

import html
import json
from pathlib import Path


def _load(site: Path, name: str) -> dict:
    try:
        return json.loads((site / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


RECORDS = ("numbers", "tables", "figures", "chapters")


def diff_sites(old: Path | None, new: Path) -> dict:
    """Compare two rendered sites (releases); ``old=None`` means a first edition."""
    o = {k: _load(old, f"{k}.json") if old else {} for k in RECORDS}
    n = {k: _load(new, f"{k}.json") for k in RECORDS}
    return {"old": old.name if old else None, "new": new.name, **diff_records(o, n)}


def diff_records(o: dict, n: dict, number_fields: tuple = ("value",)) -> dict:
    """What changed from records ``o`` to ``n`` (each ``{numbers, tables, figures, chapters}`` as in a site's JSON).

    A glued number counts as changed when any of ``number_fields`` differs (the
    edition diff compares values; the chapter review also the text shown).

    Examples
    --------
    >>> o = {"numbers": {"a:x": {"value": 1.0, "text": "1.0"}}, "figures": {"a:fig-f": {"sha256": "1"}}}
    >>> n = {"numbers": {"a:x": {"value": 2.0, "text": "2.0"}}, "figures": {"a:fig-f": {"sha256": "2"}}}
    >>> d = diff_records(o, n)
    >>> [(x["key"], x["old"], x["new"]) for x in d["numbers"]], d["figures_changed"]
    ([('a:x', '1.0', '2.0')], ['a:fig-f'])
    """
    o = {k: o.get(k) or {} for k in RECORDS}
    n = {k: n.get(k) or {} for k in RECORDS}
    numbers = []
    for key in sorted(set(o["numbers"]) | set(n["numbers"])):
        a, b = o["numbers"].get(key), n["numbers"].get(key)
        if a is None or b is None or any(a.get(f) != b.get(f) for f in number_fields):
            numbers.append({"key": key, "old": a and a.get("text"), "new": b and b.get("text"),
                            "source": (b or a).get("origin", "")})
    cells = []
    for key in sorted(set(o["tables"]) & set(n["tables"])):
        a, b = o["tables"][key].get("cells") or {}, n["tables"][key].get("cells") or {}
        if a.get("columns") != b.get("columns") or len(a.get("data", [])) != len(b.get("data", [])):
            cells.append({"table": key, "row": None, "column": None, "old": "(structure)", "new": "(structure)"})
            continue
        for i, (ra, rb) in enumerate(zip(a.get("data", []), b.get("data", []))):
            for j, (va, vb) in enumerate(zip(ra, rb)):
                if va != vb:
                    cells.append({"table": key, "row": i + 1, "column": b["columns"][j], "old": va, "new": vb})
    figures = sorted(k for k in set(o["figures"]) & set(n["figures"]) if o["figures"][k]["sha256"] != n["figures"][k]["sha256"])
    return {
        "numbers": numbers, "table_cells": cells, "figures_changed": figures,
        "figures_added": sorted(set(n["figures"]) - set(o["figures"])),
        "figures_removed": sorted(set(o["figures"]) - set(n["figures"])),
        "tables_added": sorted(set(n["tables"]) - set(o["tables"])),
        "tables_removed": sorted(set(o["tables"]) - set(n["tables"])),
        "chapters_added": sorted(set(n["chapters"]) - set(o["chapters"])),
        "chapters_removed": sorted(set(o["chapters"]) - set(n["chapters"])),
    }


def diff_html(d: dict) -> str:
    e = lambda s: html.escape("" if s is None else str(s))  # noqa: E731
    if d["old"] is None:
        return "<h1 class=\"chapter-title\">本版变化</h1><p>这是第一个发布版本，没有可比较的上一版本。</p>"
    return (f'<h1 class="chapter-title">本版变化</h1><p>与上一版本 <code>{e(d["old"])}</code> 相比。</p>'
            + changes_html(d))


def changes_html(d: dict, level: int = 2, old_label: str = "上一版", new_label: str = "本版",
                 skip_empty: bool = False) -> str:
    """The changed numbers, table cells, figures, tables and chapters of a diff as HTML sections
    (``skip_empty``: no heading for a kind with no change)."""
    e = lambda s: html.escape("" if s is None else str(s))  # noqa: E731
    h = f"h{level}"
    out = [f"<{h}>数字（{len(d['numbers'])} 处变化）</{h}>"] if d["numbers"] or not skip_empty else []
    if d["numbers"]:
        out.append(f'<table class="ecd-table"><tr><th>位置</th><th>{e(old_label)}</th><th>{e(new_label)}</th><th>来源</th></tr>'
                   + "".join(f"<tr><td>{e(x['key'])}</td><td>{e(x['old'] or '（无）')}</td><td>{e(x['new'] or '（删除）')}</td>"
                             f"<td>{e(x['source'])}</td></tr>" for x in d["numbers"]) + "</table>")
    if d["table_cells"] or not skip_empty:
        out.append(f"<{h}>表格单元格（{len(d['table_cells'])} 处变化）</{h}>")
    if d["table_cells"]:
        out.append(f'<table class="ecd-table"><tr><th>表</th><th>行</th><th>列</th><th>{e(old_label)}</th><th>{e(new_label)}</th></tr>'
                   + "".join(f"<tr><td>{e(x['table'])}</td><td>{e(x['row'])}</td><td>{e(x['column'])}</td>"
                             f"<td>{e(x['old'])}</td><td>{e(x['new'])}</td></tr>" for x in d["table_cells"][:500]) + "</table>")
    for k, title in (("figures_changed", "变化的图"), ("figures_added", "新增的图"), ("figures_removed", "删除的图"),
                     ("tables_added", "新增的表"), ("tables_removed", "删除的表"),
                     ("chapters_added", "新增的章"), ("chapters_removed", "删除的章")):
        if d[k]:
            out.append(f"<{h}>{title}</{h}><ul>" + "".join(f"<li>{e(x)}</li>" for x in d[k]) + "</ul>")
    return "".join(out)


def write_changes(site: Path, base: Path | None, m, toc, run_id: str) -> dict:
    from ecd.book._build import _footer, write_page

    d = diff_sites(base, site)
    (site / "changes.json").write_text(json.dumps(d, ensure_ascii=False, indent=1), encoding="utf-8")
    write_page(site, "changes.html", m, toc, None, "本版变化", diff_html(d), _footer(m, None, run_id, {}), False)
    return d
