"""A miniature project home (ECD_HOME) for fast, isolated pipeline tests.

It has no warehouse: notebooks read a small CSV under data/raw so that input
hashing, caching and failure handling are exercised without the real data.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import yaml

NOTEBOOK_BODY = '''
import time
import pandas as pd
import matplotlib.pyplot as plt
import ecd
ecd.viz.use_theme()
if mode == "raise":
    raise RuntimeError("boom: the notebook failed on purpose")
if mode == "sleep":
    time.sleep(120)
df = pd.read_csv(data_file)
total = float(df["value"].sum()) * scale
ecd.book.glue("total", total, fmt="{:.1f}", origin=f"测试数据 {data_file}")
ecd.book.glue("label_text", label)
fig, ax = plt.subplots()
ax.plot(df["year"], df["value"], label="城市")
ax.set_title("测试图：城乡")
ecd.book.figure(fig, label="fig-values", caption=f"测试数值 {label}", source="测试数据")
ecd.book.table(df, label="tbl-values", caption=f"测试表 {label}", source=f"测试数据 {label}")
'''


def make_notebook(path: Path, params: str, body: str = NOTEBOOK_BODY) -> None:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(textwrap.dedent(params).strip())
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), p, nbformat.v4.new_code_cell(body.strip())]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


PARAMS = '''
mode = "ok"
scale = 1.0
label = "x"
data_file = "data/raw/a/values.csv"
item = "none"
'''

PROSE = "## 小节\n\n合计为 {{total}}，标签 {{label_text}}，见 @fig-values 与 @tbl-values。\n\n[[fig-values]]\n\n正文继续。\n"


def default_manifest() -> dict:
    spec = {
        "mode": {"type": "enum", "values": ["ok", "raise", "sleep"], "default": "ok"},
        "scale": {"type": "float", "default": 1.0},
        "label": {"type": "str", "default": "x"},
        "data_file": {"type": "str", "default": "data/raw/a/values.csv"},
    }
    return {
        "book": {"title": "测试蓝皮书", "edition": "2026", "lang": "zh-CN", "publisher": "测试"},
        "matrices": {"places": {"items": [{"id": "P1", "title": "甲地"}, {"id": "P2", "title": "乙地"}]}},
        "chapters": [
            {"id": "alpha", "title": "第一章标题", "notebook": "notebooks/ch.ipynb", "prose": "chapters/alpha.md",
             "parameters": spec, "params": {"label": "110000"}, "uses": ["data/raw/a"], "required": True},
            {"id": "beta", "title": "第二章标题", "notebook": "notebooks/ch.ipynb", "prose": "chapters/alpha.md",
             "parameters": spec, "params": {"data_file": "data/raw/b/values.csv"}, "uses": ["data/raw/b"],
             "required": False},
            {"id": "places", "title": "各地概况", "notebook": "notebooks/ch.ipynb", "prose": "chapters/alpha.md",
             "parameters": {**spec, "item": {"type": "str", "default": "none"}},
             "foreach": {"matrix": "places", "as": "item"}, "uses": ["data/raw/a"], "required": False},
        ],
    }


class MiniHome:
    def __init__(self, root: Path):
        self.root = root

    def write_manifest(self, manifest: dict) -> None:
        (self.root / "chapters" / "book.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
                                                        encoding="utf-8")

    def set_data(self, which: str, values: list[float]) -> None:
        p = self.root / "data" / "raw" / which / "values.csv"
        p.parent.mkdir(parents=True, exist_ok=True)
        rows = "\n".join(f"{2020 + i},{v}" for i, v in enumerate(values))
        p.write_text(f"year,value\n{rows}\n", encoding="utf-8")

    def chapter_html(self, cid: str) -> str:
        return (self.root / "build" / "current" / f"{cid}.html").read_text(encoding="utf-8")


