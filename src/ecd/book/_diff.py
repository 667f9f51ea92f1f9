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


def diff_sites(old: Path | None, new: Path) -> dict:
    """Compare two rendered sites (releases); ``old=None`` means a first edition."""
    o = {k: _load(old, f"{k}.json") if old else {} for k in ("numbers", "tables", "figures", "chapters")}
    n = {k: _load(new, f"{k}.json") for k in ("numbers", "tables", "figures", "chapters")}
    numbers = []
    for key in sorted(set(o["numbers"]) | set(n["numbers"])):
        a, b = o["numbers"].get(key), n["numbers"].get(key)
        if a is None or b is None or a.get("value") != b.get("value"):
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
        "old": old.name if old else None, "new": new.name,
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
    out = [f'<h1 class="chapter-title">本版变化</h1><p>与上一版本 <code>{e(d["old"])}</code> 相比。</p>']
    out.append(f"<h2>数字（{len(d['numbers'])} 处变化）</h2>")
    if d["numbers"]:
        out.append('<table class="ecd-table"><tr><th>位置</th><th>上一版</th><th>本版</th><th>来源</th></tr>'
                   + "".join(f"<tr><td>{e(x['key'])}</td><td>{e(x['old'] or '（无）')}</td><td>{e(x['new'] or '（删除）')}</td>"
                             f"<td>{e(x['source'])}</td></tr>" for x in d["numbers"]) + "</table>")
    out.append(f"<h2>表格单元格（{len(d['table_cells'])} 处变化）</h2>")
    if d["table_cells"]:
        out.append('<table class="ecd-table"><tr><th>表</th><th>行</th><th>列</th><th>上一版</th><th>本版</th></tr>'
                   + "".join(f"<tr><td>{e(x['table'])}</td><td>{e(x['row'])}</td><td>{e(x['column'])}</td>"
                             f"<td>{e(x['old'])}</td><td>{e(x['new'])}</td></tr>" for x in d["table_cells"][:500]) + "</table>")
    for k, title in (("figures_changed", "变化的图"), ("figures_added", "新增的图"), ("figures_removed", "删除的图"),
                     ("tables_added", "新增的表"), ("tables_removed", "删除的表"),
                     ("chapters_added", "新增的章"), ("chapters_removed", "删除的章")):
        if d[k]:
            out.append(f"<h2>{title}</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in d[k]) + "</ul>")
    return "".join(out)


def write_changes(site: Path, base: Path | None, m, toc, run_id: str) -> dict:
    from ecd.book._build import _footer, write_page

    d = diff_sites(base, site)
    (site / "changes.json").write_text(json.dumps(d, ensure_ascii=False, indent=1), encoding="utf-8")
    write_page(site, "changes.html", m, toc, None, "本版变化", diff_html(d), _footer(m, None, run_id, {}), False)
    return d
