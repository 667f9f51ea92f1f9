"""The Word manuscript, opened with python-docx: headings, captions, tables, images, glued numbers, references."""
from __future__ import annotations

import json
import re

import docx
import pytest
from docx.oxml.ns import qn

from ecd.book._build import build
from ecd.book._docx import PRINT_DPI
from ecd.cli import main

pytestmark = pytest.mark.slow

BIB = "@misc{k2, author = {国务院}, title = {中国儿童发展纲要（2021—2030年）}, year = 2021}\n"


def _east_asia_font(style) -> str:
    return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _png_width(blob: bytes) -> int:
    return int.from_bytes(blob[16:20], "big")


def test_build_docx_writes_the_book_and_one_file_per_chapter(built):
    mini = built
    (mini.root / "chapters" / "references.bib").write_text(BIB, encoding="utf-8")
    prose = mini.root / "chapters" / "alpha.md"
    prose.write_text(prose.read_text(encoding="utf-8") + "\n政策依据见纲要[@k2]。\n", encoding="utf-8")
    res = build(jobs=2, pdf=False, docx=True)
    assert res.exit_code == 0 and res.published
    cur = mini.root / "build" / "current"
    assert {p.name for p in (cur / "docx").glob("*.docx")} == {"alpha.docx", "beta.docx", "places.docx"}
    assert 'href="book.docx"' in (cur / "index.html").read_text(encoding="utf-8")
    doc = docx.Document(str(cur / "book.docx"))

    # headings in the Chinese heading styles (黑体 for East Asian text, 宋体 for the text)
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == ["第1章 第一章标题", "第2章 第二章标题", "第3章 各地概况"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert {"小节", "甲地", "乙地", "参考文献"} <= set(h2)
    assert _east_asia_font(doc.styles["Heading 1"]) == "黑体" and _east_asia_font(doc.styles["Normal"]) == "宋体"
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == "测试蓝皮书"

    # 图/表 captions with the book's numbers, each followed by its source line
    caps = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert caps == ["图 1-1 测试数值 110000", "表 1-1 测试表 110000", "图 2-1 测试数值 x", "表 2-1 测试表 x",
                    "图 3-1 测试数值 x", "表 3-1 测试表 x", "图 3-2 测试数值 x", "表 3-2 测试表 x"]
    sources = [p.text for p in doc.paragraphs if p.style.name == "Source"]
    assert len(sources) == 8 and all(s.startswith("数据来源：测试数据") for s in sources)

    # tables as Word tables, header row repeated on each page
    assert len(doc.tables) == 4
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == ["year", "value"]
    assert [[c.text for c in r.cells] for r in t.rows[1:]] == [["2020", "1.0"], ["2021", "2.0"], ["2022", "3.5"]]
    assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None

    # figures embedded at print resolution
    assert len(doc.inline_shapes) == 4
    for shape in doc.inline_shapes:
        blob = shape._inline.graphic.graphicData.pic.blipFill.blip
        part = doc.part.related_parts[blob.embed]
        dpi = _png_width(part.blob) / shape.width.inches
        assert dpi >= PRINT_DPI - 1, dpi

    # every glued number the prose states, in the chapter where it is stated
    numbers = json.loads((cur / "numbers.json").read_text(encoding="utf-8"))
    used = set(re.findall(r"\{\{(\w+)\}\}", prose.read_text(encoding="utf-8")))
    text = _text(doc)
    for key, v in numbers.items():
        if key.split(":", 1)[1] in used:
            assert v["text"] in text, key
    chapter = docx.Document(str(cur / "docx" / "beta.docx"))
    assert [p.text for p in chapter.paragraphs if p.style.name == "Heading 1"] == ["第2章 第二章标题"]
    assert "合计为 30.0，标签 x" in _text(chapter) and len(chapter.tables) == 1 and len(chapter.inline_shapes) == 1

    # the bibliography: the prose's citation, GB/T 7714, in the chapter's 参考文献
    bib = [p.text for p in doc.paragraphs if p.style.name == "Bibliography"]
    assert bib == ["[1] 国务院. 中国儿童发展纲要（2021—2030年）[Z]. 2021."] * 3  # the chapters share one prose
    assert "纲要[1]" in text


def test_docx_cli_from_the_current_edition(built, tmp_path, capsys):
    out = tmp_path / "manuscript"
    assert main(["docx", "-o", str(out)]) == 0
    assert "4 at 300 dpi" in capsys.readouterr().out  # the print figures found in the executed notebooks
    doc = docx.Document(str(out / "book.docx"))
    assert len(doc.inline_shapes) == 4 and (out / "docx" / "places.docx").exists()
