"""The Word manuscript: ``book.docx`` and one DOCX per chapter, for the publisher.

Why python-docx (PyPI) rather than pandoc (Debian): it installs with ``pip`` into
the project's environment on every machine (no system package, no root), it is
what the test opens the result with, and it gives direct control over what a
Chinese publisher checks — East Asian fonts on every style (黑体 headings, 宋体
text), 图/表 captions in Word's Caption style with the book's numbers, tables as
Word tables with a repeated header row, figures at print resolution — which an
HTML → DOCX conversion would leave to a hand-made reference document.

The input is the chapter exactly as the book shows it: the ``<main>`` of each
rendered page (prose with its glued numbers, placed figures and tables with
their source lines, the chapter's 参考文献). Figures are embedded from the
print-resolution PNG that :func:`ecd.book.figure` stores beside the screen one
(found in the executed notebooks by the screen image's hash); an output made
before that existed falls back to the screen PNG at its own size.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path

from ecd.book._cache import sha256_text
from ecd.book._display import MIME_PRINT_PNG, PRINT_DPI

SCREEN_DPI = 150  # savefig.dpi of the house theme (the screen PNG)
FONT_TEXT = ("Times New Roman", "宋体")
FONT_HEAD = ("Arial", "黑体")
PAGE_MM = (185, 260)  # 16开, as the print edition
MARGIN_MM = (25, 20)  # top/bottom, left/right
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"


# ----------------------------------------------------------------------------- print-resolution figures
def print_figures(notebooks) -> dict:
    """``{sha256 of the screen PNG's base64: print PNG bytes}`` from executed notebooks."""
    out = {}
    for nb_path in notebooks:
        try:
            nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in nb.get("cells", []):
            for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                data = o.get("data") or {}
                if MIME_PRINT_PNG in data and "image/png" in data:
                    screen = data["image/png"]
                    screen = "".join(screen) if isinstance(screen, list) else screen
                    hi = data[MIME_PRINT_PNG]
                    out[sha256_text(screen.strip())] = base64.b64decode("".join(hi) if isinstance(hi, list) else hi)
    return out


def cached_notebooks(m) -> list[Path]:
    """The executed notebooks of the last build of each chapter (``build/cache``), where they still exist."""
    from ecd import paths
    from ecd.book import _cache

    out = []
    for c in m.chapters:
        try:
            key = json.loads((paths.cache_dir() / "state" / f"{c.id}.json").read_text(encoding="utf-8"))["key"]
        except (OSError, ValueError, KeyError):
            continue
        nb = paths.cache_dir() / "exec" / key / "notebook.ipynb"
        if _cache.problem(nb) is None:  # present and matching its sha256 (a damaged entry is not read)
            out.append(nb)
    return out


# ----------------------------------------------------------------------------- styles
def _fonts(style, fonts, size=None, bold=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    rpr = style.element.get_or_add_rPr()
    rf = rpr.find(qn("w:rFonts"))
    if rf is None:
        rf = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rf)
    for a in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rf.attrib.pop(qn(a), None)
    rf.set(qn("w:ascii"), fonts[0])
    rf.set(qn("w:hAnsi"), fonts[0])
    rf.set(qn("w:eastAsia"), fonts[1])
    rf.set(qn("w:cs"), fonts[0])
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)


def new_document(title: str):
    """An empty manuscript with the house's Chinese styles, 16开 pages and the book's metadata."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = docx.Document()
    doc.core_properties.title = title
    doc.core_properties.language = "zh-CN"
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    sec.top_margin = sec.bottom_margin = Mm(MARGIN_MM[0])
    sec.left_margin = sec.right_margin = Mm(MARGIN_MM[1])
    st = doc.styles
    normal = st["Normal"]
    _fonts(normal, FONT_TEXT, 10.5)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.makeelement(qn("w:lang"), {qn("w:val"): "en-US", qn("w:eastAsia"): "zh-CN"})
    rpr.append(lang)
    normal.paragraph_format.line_spacing = 1.3
    normal.paragraph_format.space_after = Pt(4)
    # docDefaults: text that names no style still gets the CJK font
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rf in defaults.iter(qn("w:rFonts")):
            for a in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rf.attrib.pop(qn(a), None)
            rf.set(qn("w:eastAsia"), FONT_TEXT[1])
            rf.set(qn("w:ascii"), FONT_TEXT[0])
            rf.set(qn("w:hAnsi"), FONT_TEXT[0])
    body = st["Body Text"]
    _fonts(body, FONT_TEXT, 10.5)
    body.paragraph_format.first_line_indent = Pt(21)  # two characters
    for level, size in ((1, 16), (2, 14), (3, 12), (4, 10.5)):
        h = st[f"Heading {level}"]
        _fonts(h, FONT_HEAD, size, bold=level > 1)
        h.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        h.paragraph_format.space_after = Pt(8 if level == 1 else 4)
        if level == 1:
            h.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            h.paragraph_format.page_break_before = True
    for name, size in (("Title", 26), ("Subtitle", 14)):
        _fonts(st[name], FONT_HEAD, size)
        st[name].font.italic = False
        st[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        ppr = st[name].element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):  # the template's rule under the title
            ppr.remove(border)
    st["Title"].paragraph_format.space_before = Pt(160)
    st["Title"].paragraph_format.space_after = Pt(24)
    cap = st["Caption"]
    _fonts(cap, FONT_HEAD, 9.5, bold=False)
    cap.font.italic = False
    cap.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.keep_with_next = True
    src = st.add_style("Source", 1)  # the 数据来源 line under a figure or table
    src.base_style = normal
    _fonts(src, FONT_TEXT, 8.5)
    src.paragraph_format.space_after = Pt(10)
    bib = st.add_style("Bibliography", 1)
    bib.base_style = normal
    _fonts(bib, FONT_TEXT, 9)
    bib.paragraph_format.left_indent = Pt(21)
    bib.paragraph_format.first_line_indent = Pt(-21)
    note = st.add_style("Notice", 1)  # a banner of the book (fallback, review) kept visible
    note.base_style = normal
    _fonts(note, FONT_HEAD, 9.5)
    for name in ("List Bullet", "List Number", "Quote"):
        _fonts(st[name], FONT_TEXT, 10.5)
    cell = st.add_style("Table Text", 1)
    cell.base_style = normal
    _fonts(cell, FONT_TEXT, 8.5)
    cell.paragraph_format.space_after = Pt(0)
    cell.paragraph_format.line_spacing = 1.0
    return doc


def _text_width(doc):
    from docx.shared import Emu

    sec = doc.sections[-1]
    return Emu(sec.page_width - sec.left_margin - sec.right_margin)


# ----------------------------------------------------------------------------- HTML → Word
def _squash(text: str) -> str:
    r"""HTML whitespace: runs become one space; a line break between two Chinese characters disappears.

    Examples
    --------
    >>> _squash("第5章 营养\n与生长  a\n b")
    '第5章 营养与生长 a b'
    """
    text = re.sub(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])", "", text)  # a line break inside Chinese text
    return re.sub(r"\s+", " ", text)


class _Writer:
    def __init__(self, doc, hires: dict):
        self.doc, self.hires = doc, hires
        self.stats = {"figures": 0, "tables": 0, "print_figures": 0}
        self._ids: dict = {}

    def para(self, style: str | None = None, container=None):
        """A new paragraph; the style is set by id (python-docx's lookup by name is slow on long books)."""
        par = (container or self.doc).add_paragraph()
        if style:
            self.style(par, style)
        return par

    def style(self, par, style: str) -> None:
        sid = self._ids.get(style)
        if sid is None:
            sid = self._ids[style] = self.doc.styles[style].style_id
        par._p.style = sid

    # inline content ----------------------------------------------------------
    def inline(self, par, node, fmt=None):
        from bs4 import NavigableString, Tag

        fmt = dict(fmt or {})
        for ch in node.children if isinstance(node, Tag) else [node]:
            if isinstance(ch, NavigableString):
                if type(ch).__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    continue
                text = _squash(str(ch))
                if text:
                    run = par.add_run(text)
                    run.bold = fmt.get("bold") or None
                    run.italic = fmt.get("italic") or None
                    if fmt.get("sup"):
                        run.font.superscript = True
                    if fmt.get("sub"):
                        run.font.subscript = True
                continue
            if not isinstance(ch, Tag):
                continue
            name = ch.name
            if name == "br":
                par.add_run().add_break()
            elif name in ("strong", "b"):
                self.inline(par, ch, {**fmt, "bold": True})
            elif name in ("em", "i"):
                self.inline(par, ch, {**fmt, "italic": True})
            elif name == "sup":
                self.inline(par, ch, {**fmt, "sup": True})
            elif name == "sub":
                self.inline(par, ch, {**fmt, "sub": True})
            elif name in ("script", "style", "img", "button"):
                continue
            elif name == "a" and "anchor-link" in (ch.get("class") or []):
                continue
            else:  # span.glued, a, code, abbr …: their text, as the reader sees it
                self.inline(par, ch, fmt)

    def paragraph(self, node, style=None):
        par = self.para(style)
        self.inline(par, node)
        # trim the whitespace HTML leaves at the edges of a block
        if par.runs:
            par.runs[0].text = par.runs[0].text.lstrip()
            par.runs[-1].text = par.runs[-1].text.rstrip()
        if not par.text.strip() and not par.runs:
            par._element.getparent().remove(par._element)
            return None
        return par

    # blocks ------------------------------------------------------------------
    def blocks(self, node):
        from bs4 import NavigableString, Tag

        for ch in node.children:
            if isinstance(ch, NavigableString):
                if type(ch).__name__ == "NavigableString" and ch.strip():
                    self.para("Body Text").add_run(_squash(str(ch)).strip())
                continue
            if isinstance(ch, Tag):
                self.block(ch)

    def block(self, el):
        name, cls = el.name, set(el.get("class") or [])
        if name in ("script", "style", "nav", "button", "hr", "template", "noscript"):
            return
        if re.fullmatch(r"h[1-6]", name):
            level = min(int(name[1]), 4)
            self.paragraph(el, style=f"Heading {level}")
            return
        if name == "p":
            self.paragraph(el, style="Body Text")
            return
        if name in ("ul", "ol"):
            self.listing(el, "List Number" if name == "ol" else "List Bullet")
            return
        if name == "figure" or "ecd-figure" in cls:
            self.figure(el)
            return
        if "ecd-table-wrap" in cls:
            self.table_item(el)
            return
        if name == "table":
            self.table(el)
            return
        if name == "section" and "references" in cls:
            for h in el.find_all(re.compile(r"^h[1-6]$"), recursive=False):
                self.paragraph(h, style="Heading 2")
            for li in el.find_all("li"):
                self.paragraph(li, style="Bibliography")
            return
        if name == "blockquote":
            for p in el.find_all("p") or [el]:
                self.paragraph(p, style="Quote")
            return
        if any(c.startswith("banner") for c in cls) or el.get("role") in ("alert", "note"):
            self.paragraph(el, style="Notice")
            return
        if name == "pre":
            self.paragraph(el, style="Body Text")
            return
        self.blocks(el)  # div, section, article, main …

    def listing(self, el, style):
        from bs4 import Tag

        for li in el.find_all("li", recursive=False):
            nested = [n for n in li.children if isinstance(n, Tag) and n.name in ("ul", "ol")]
            par = self.para(style)
            for ch in li.children:
                if ch not in nested:
                    if isinstance(ch, Tag) and ch.name == "p":  # a loose list item's paragraphs
                        self.inline(par, ch)
                    else:
                        self.inline(par, ch)
            if par.runs:
                par.runs[0].text = par.runs[0].text.lstrip()
                par.runs[-1].text = par.runs[-1].text.rstrip()
            for n in nested:
                self.listing(n, "List Number" if n.name == "ol" else "List Bullet")

    def figure(self, el):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Emu, Inches

        img = el.find("img")
        if img is not None and (img.get("src") or "").startswith("data:image/png;base64,"):
            screen = img["src"].split(",", 1)[1].strip()
            png = self.hires.get(sha256_text(screen))
            dpi = PRINT_DPI
            if png is None:
                png, dpi = base64.b64decode(screen), SCREEN_DPI
            else:
                self.stats["print_figures"] += 1
            px = int.from_bytes(png[16:20], "big")  # the PNG header's width
            width = min(Emu(int(Inches(px / dpi))), _text_width(self.doc))
            par = self.para()
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            par.paragraph_format.keep_with_next = True
            par.paragraph_format.first_line_indent = 0
            run = par.add_run()
            run.add_picture(io.BytesIO(png), width=width)
            self.stats["figures"] += 1
        cap = el.find("figcaption")
        if cap is not None:
            self.paragraph(cap, style="Caption")
        src = el.find(class_="source")
        if src is not None:
            self.paragraph(src, style="Source")

    def table_item(self, el):
        cap = el.find(class_="caption")
        if cap is not None:
            self.paragraph(cap, style="Caption")
        tbl = el.find("table")
        if tbl is not None:
            self.table(tbl)
        src = el.find(class_="source", recursive=False) or el.find(class_="source")
        if src is not None:
            self.paragraph(src, style="Source")

    def _widths(self, t, xcells, ncols, header_rows):
        from docx.shared import Pt

        least, want = [0] * ncols, [0] * ncols
        for r, row in enumerate(xcells):
            for j, cell in enumerate(row[:ncols]):
                lo, hi = _cell_needs(cell.text, r < header_rows)
                least[j], want[j] = max(least[j], lo), max(want[j], hi)
        widths = [Pt(w) for w in _column_widths(least, want, int(_text_width(self.doc).pt))]
        t.autofit = False
        for j, col in enumerate(t.columns):
            col.width = widths[j]
        for row in xcells:
            for j, cell in enumerate(row[:ncols]):
                cell.width = widths[j]

    def table(self, tbl):
        """An HTML table as a Word table: spans merged, header rows repeated on each page, numbers right-aligned."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.table import _Cell

        rows = []
        for tr in tbl.find_all("tr"):
            if tr.find_parent("table") is not tbl:
                continue
            cells = [c for c in tr.find_all(["th", "td"], recursive=False)]
            rows.append((cells, tr.find_parent("thead") is not None or all(c.name == "th" for c in cells)))
        if not rows:
            return
        # lay the cells on a grid, honouring rowspan/colspan
        grid: dict = {}
        spans = []
        for r, (cells, _) in enumerate(rows):
            col = 0
            for c in cells:
                while (r, col) in grid:
                    col += 1
                rs, cs = int(c.get("rowspan", 1) or 1), int(c.get("colspan", 1) or 1)
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(r + dr, col + dc)] = None
                grid[(r, col)] = c
                if rs > 1 or cs > 1:
                    spans.append((r, col, r + rs - 1, col + cs - 1))
                col += cs
        nrows = len(rows)
        ncols = max(c for _, c in grid) + 1
        t = self.doc.add_table(rows=nrows, cols=ncols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        # cells straight from the XML (Table.cell() walks the whole table on every call)
        xcells = [[_Cell(tc, t) for tc in tr.tc_lst] for tr in t._tbl.tr_lst]
        for (r, col), c in grid.items():
            if c is None or r >= nrows:
                continue
            par = xcells[r][col].paragraphs[0]
            self.style(par, "Table Text")
            self.inline(par, c, {"bold": rows[r][1] or c.name == "th"})
            if par.runs:
                par.runs[0].text = par.runs[0].text.lstrip()
                par.runs[-1].text = par.runs[-1].text.rstrip()
            text = par.text.strip()
            if col > 0 and re.fullmatch(r"[-+−–]?[\d,.]+%?|—", text):
                par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        header_rows = next((r for r, (_, h) in enumerate(rows) if not h), len(rows))
        self._widths(t, xcells, ncols, header_rows)
        for r0, c0, r1, c1 in spans:
            if r1 < nrows:
                t.cell(r0, c0).merge(t.cell(r1, c1))
        for r, (_, header) in enumerate(rows):
            if not header:
                break
            trpr = t.rows[r]._tr.get_or_add_trPr()
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            trpr.append(el)
        self.stats["tables"] += 1


def _display_width(text: str) -> int:
    """Characters as a reader measures them: a Chinese character is two Latin ones wide."""
    return sum(2 if re.match(rf"[{_CJK}]", ch) else 1 for ch in text)


def _column_widths(least: list[int], want: list[int], total: int, per_char: float = 4.7, pad: float = 12) -> list[int]:
    """Share ``total`` (points) among columns: first what each needs unbroken, the rest by what it would like.

    ``least``: the longest word or number of a column (display characters), which must not wrap;
    ``want``: its longest cell (capped), which may.

    Examples
    --------
    >>> _column_widths([4, 4, 8], [4, 4, 60], 400)
    [76, 76, 246]
    """
    lo = [n * per_char + pad for n in least]
    hi = [max(min(n, 40), m) * per_char + pad for n, m in zip(want, least)]
    if sum(lo) >= total:
        return [int(x * total / sum(lo)) for x in lo]
    spare, extra = total - sum(lo), [h - w for h, w in zip(hi, lo)]
    if sum(extra) <= spare:  # everything fits on one line: share the spare room evenly
        return [int(h + (spare - sum(extra)) / len(hi)) for h in hi]
    return [int(w + spare * e / sum(extra)) for w, e in zip(lo, extra)]


def _cell_needs(text: str, header: bool) -> tuple[int, int]:
    """(longest unbreakable piece, whole length) of a cell's text; Chinese text breaks between characters."""
    pieces = re.findall(rf"[^\s{_CJK}]+", text)
    least = max((_display_width(x) for x in pieces), default=0)
    least = max(least, 4 if re.search(rf"[{_CJK}]", text) else 0)  # two Chinese characters
    if header:  # a header may wrap more freely than its column's numbers
        least = min(least, 8)
    return least, max((_display_width(x) for x in text.split("\n")), default=0)


def _main_html(page: Path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return soup.find("main") or soup.body or soup


def _title_page(doc, book: dict) -> None:
    from docx.enum.text import WD_BREAK

    doc.add_paragraph(book.get("title", ""), style="Title")
    if book.get("subtitle"):
        doc.add_paragraph(book["subtitle"], style="Subtitle")
    doc.add_paragraph(f"{book.get('edition', '')} 年版", style="Subtitle")
    for k in ("editors", "publisher"):
        v = book.get(k)
        if v:
            doc.add_paragraph("、".join(v) if isinstance(v, list) else str(v), style="Subtitle")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _toc_field(doc)


def _toc_field(doc) -> None:
    """A 目录 that Word fills in when the document is opened (F9 / 更新域)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc.add_paragraph("目录", style="TOC Heading")
    par = doc.add_paragraph()
    run = par.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None), (None, None),
                       ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                el.set(qn("w:dirty"), "true")
            run._r.append(el)
        elif text:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            run._r.append(el)
        else:
            t = OxmlElement("w:t")
            t.text = "（在 Word 中右键“更新域”生成目录）"
            run._r.append(t)
    _fonts(doc.styles["TOC Heading"], FONT_HEAD, 16)


def _save(doc, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    doc.save(str(tmp))
    os.replace(tmp, path)


def write_docx(site: Path, m, notebooks=(), out: Path | None = None, log=None) -> dict:
    """Write ``book.docx`` and ``docx/<chapter>.docx`` from a rendered site.

    ``notebooks`` are executed notebooks holding the figures' print-resolution
    PNGs. Returns counts (chapters, figures, print_figures, tables).
    """
    out = Path(out) if out else site
    hires = print_figures(notebooks)
    book = new_document(m.book.get("title", ""))
    _title_page(book, m.book)
    stats = {"chapters": 0, "figures": 0, "print_figures": 0, "tables": 0}
    for g in m.groups:
        page = site / f"{g}.html"
        if not page.exists():
            continue
        main = _main_html(page)
        for doc in (book, None):
            target = doc or new_document(next(c.title for c in m.chapters if c.group == g))
            w = _Writer(target, hires)
            w.blocks(main)
            if doc is None:
                _save(target, out / "docx" / f"{g}.docx")
            else:
                for k in ("figures", "print_figures", "tables"):
                    stats[k] += w.stats[k]
        stats["chapters"] += 1
    _save(book, out / "book.docx")
    if log:
        log(f"Word manuscript: {out / 'book.docx'} and {stats['chapters']} chapter file(s) in {out / 'docx'} "
            f"({stats['figures']} figures, {stats['print_figures']} at {PRINT_DPI} dpi; {stats['tables']} tables)")
    return stats
