"""What a reader of the printed book checks, read back from the PDF with poppler and pypdf.

Nothing here asks WeasyPrint: page size from ``pdfinfo``, text per page from ``pdftotext``,
images per page from ``pdfimages -list``, the outline from pypdf, and how full each page is from
the page rendered to pixels by ``pdftoppm``.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MM_PER_PT = 25.4 / 72
# the page box of print.css: 185 x 260 mm, text block between 22 mm (top) and 20 mm (bottom)
PAGE_MM = (185.0, 260.0)
TOP_MM, BOTTOM_MM = 22.0, 20.0

POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdftotext", "pdftoppm", "pdfimages"))


def run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@dataclass
class Book:
    path: Path
    size_mm: tuple
    pages: list  # text of each page (pdftotext -layout)
    images: dict  # page number (1-based) -> count of images drawn on it
    outline: list  # (level, title, page number 1-based)
    dests: dict  # named destination (an element id of the print edition) -> page number 1-based
    depth: dict  # named destination -> mm below the top of the text block on its page
    fill: list  # share of the text block's height used on each page, 0..1

    def footer(self, n: int) -> str:
        lines = [ln.strip() for ln in self.pages[n - 1].splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def chapter_starts(self) -> list[int]:
        return [p for level, title, p in self.outline if level == 1 and re.match(r"第\d+章", title)]


def read(path: Path) -> Book:
    import numpy as np
    from PIL import Image
    from pypdf import PdfReader

    info = run("pdfinfo", str(path))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    text = run("pdftotext", "-layout", str(path), "-")
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    images: dict = {}
    for line in run("pdfimages", "-list", str(path)).splitlines()[2:]:
        page = int(line.split()[0])
        images[page] = images.get(page, 0) + 1
    reader = PdfReader(str(path))
    outline = []

    def walk(items, level):
        for it in items:
            if isinstance(it, list):
                walk(it, level + 1)
            else:
                outline.append((level, it.title, reader.get_destination_page_number(it) + 1))

    walk(reader.outline, 1)
    named = reader.named_destinations
    dests = {name: reader.get_destination_page_number(d) + 1 for name, d in named.items()}
    # how far below the top of the text block each destination sits, in mm
    depth = {name: (h - float(d.top)) * MM_PER_PT - TOP_MM for name, d in named.items() if d.top is not None}
    fill = []
    with tempfile.TemporaryDirectory(prefix="ecd-pdfcheck-") as d:
        subprocess.run(["pdftoppm", "-r", "24", "-gray", str(path), f"{d}/p"], check=True)
        for f in sorted(Path(d).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1])):
            a = np.asarray(Image.open(f))
            top = int(a.shape[0] * TOP_MM / PAGE_MM[1])
            bottom = int(a.shape[0] * (1 - BOTTOM_MM / PAGE_MM[1]))
            inked = np.nonzero((a[top:bottom] < 200).any(axis=1))[0]
            fill.append(float(inked.max() + 1) / (bottom - top) if inked.size else 0.0)
    return Book(path, (w * MM_PER_PT, h * MM_PER_PT), pages, images, outline, dests, depth, fill)


ROMAN = re.compile(r"^[ivxlc]+$")


def check_book(book: Book, chapters: list[tuple[int, str]], may_split: set = frozenset(), fill: bool = True) -> None:
    """The checks every printed edition must pass (the mini book's and the real one's).

    ``chapters``: (number, title) in order; ``may_split``: ids of tables the PDF step let run over a page
    break because keeping them whole would have left a page under a fifth full (class ``may-split``).
    """
    chapter_titles = [t for _, t in chapters]
    # 16开 paper
    assert abs(book.size_mm[0] - PAGE_MM[0]) < 0.5 and abs(book.size_mm[1] - PAGE_MM[1]) < 0.5, book.size_mm
    n = len(book.pages)
    assert n == len(book.fill)
    # the outline: the table of contents, then every chapter in order, in Chinese
    top = [t for level, t, _ in book.outline if level == 1]
    assert top[0] == "目录", top
    assert [re.sub(r"\s+", " ", t) for t in top[1:]] == [f"第{i}章 {t}" for i, t in chapters], top
    starts = book.chapter_starts()
    assert starts == sorted(starts) and len(starts) == len(chapter_titles)
    # a page number on every page but the cover: i, ii, … for the contents, then 1, 2, … from chapter 1
    front = [book.footer(p) for p in range(2, starts[0])]
    assert front and all(ROMAN.match(f) for f in front), front
    body = [book.footer(p) for p in range(starts[0], n + 1)]
    assert body == [str(k) for k in range(1, len(body) + 1)], [b for b in body if not b.isdigit()][:5]
    # the table of contents: 目录, then each chapter with the page it opens on
    contents = "\n".join(book.pages[1:starts[0] - 1])
    assert "目录" in contents
    for (i, title), p in zip(chapters, starts):
        m = re.search(rf"第{i}章\s*{re.escape(title[:8])}.*?(\d+)\s*$", contents, flags=re.M)
        assert m, (i, title)
        assert int(m.group(1)) == p - starts[0] + 1, (title, m.group(1), p)
        assert title[:8] in re.sub(r"\s+", "", book.pages[p - 1]), title  # the title extracts as Chinese text
    # running heads: every page of a chapter after its first carries the book's or the chapter's title
    ends = starts[1:] + [n + 1]
    for i, (s, e) in enumerate(zip(starts, ends)):
        for p in range(s + 1, e):
            head = book.pages[p - 1].strip().splitlines()[0]
            assert chapter_titles[i][:6] in head.replace(" ", "") or "蓝皮书" in head, (p, head)
    # figures and tables are not split: each starts on the page of its source line, the line that closes it
    items = [name[: -len("--source")] for name in book.dests if name.endswith("--source")]
    assert items
    # (a table longer than a page must run on: it then starts at the top of a page, which it was moved to)
    split = [(i, book.dests[i], book.dests[i + "--source"], round(book.depth.get(i, -1))) for i in items
             if book.dests[i] != book.dests[i + "--source"] and i not in may_split
             and not ("--tbl-" in i and 0 <= book.depth.get(i, -1) <= 8)]
    assert not split, split
    for i in items:  # and a figure's image is on that page
        if "--fig-" in i:
            assert book.images.get(book.dests[i]), (i, "no image on its page")
    if fill:
        assert not underfilled(book), underfilled(book)


def underfilled(book: Book) -> list[tuple[int, float]]:
    """Pages under a fifth full, other than the cover, the contents' last page and a chapter's last page."""
    starts, n = book.chapter_starts(), len(book.pages)
    allowed = {1, starts[0] - 1} | {s - 1 for s in starts[1:]} | {n}
    return [(p, round(f, 2)) for p, f in enumerate(book.fill, 1) if f < 0.2 and p not in allowed]
