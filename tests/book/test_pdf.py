"""The PDF is a book: cover, contents with page numbers, running heads, page numbers, 16开, outline,
figures and tables whole, no near-empty pages. Read back with poppler and pypdf (pdfcheck.py)."""
from __future__ import annotations

import re

import pytest

from ecd.book._build import build
from ecd.book._pdf import engine_missing
from minihome import default_manifest
from pdfcheck import POPPLER, check_book, read, underfilled

pytestmark = [
    pytest.mark.skipif(engine_missing() is not None, reason=f"{engine_missing()}"),
    pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfinfo, pdftotext, pdftoppm, pdfimages) not installed: "
                                           "`make test` installs it as root on Debian"),
]

MINI_CHAPTERS = [(1, "第一章标题"), (2, "第二章标题"), (3, "各地概况")]


@pytest.fixture
def mini_pdf(built):
    m = default_manifest()
    m["book"].update(subtitle="城乡与服务", editors=["甲编者", "乙编者"], data_cutoff="2026年12月",
                     editorial_board={"主任": "丙主任", "委员": ["丁委员", "戊委员"]})
    built.write_manifest(m)
    assert build(jobs=2).exit_code == 0  # every notebook from the cache; pages re-rendered for the new metadata
    return built.root / "build" / "current" / "book.pdf"


def test_mini_pdf_is_a_book(mini_pdf):
    book = read(mini_pdf)
    check_book(book, MINI_CHAPTERS)
    cover = re.sub(r"\s+", "", book.pages[0])
    for text in ("测试蓝皮书", "城乡与服务", "2026年版", "甲编者", "乙编者", "编著", "主任丙主任", "委员丁委员戊委员",
                 "数据截至2026年12月", "测试"):
        assert text in cover, text
    assert not re.fullmatch(r"\d+|[ivxlc]+", book.footer(1))  # no page number on the cover


def test_contents_lists_sections_with_their_pages(mini_pdf):
    book = read(mini_pdf)
    contents = book.pages[1]
    # the foreach chapter's sections (甲地, 乙地) are listed with the pages they open on
    for place in ("甲地", "乙地"):
        m = re.search(rf"{place}.*?(\d+)\s*$", contents, flags=re.M)
        assert m, place
        page = int(m.group(1)) + book.chapter_starts()[0] - 1
        assert place in book.pages[page - 1]
    # the outline nests the sections under their chapter
    assert (2, "甲地") in {(level, t) for level, t, _ in book.outline}


def test_tables_and_figures_keep_whole_when_a_chapter_is_long(built):
    """A chapter long enough to fill pages: no figure or table is split and no page is left near empty."""
    prose = (built.root / "chapters" / "alpha.md")
    filler = "本段是排版测试用的正文，用来把图和表推到页面底部附近，检查它们不被拆开。" * 6
    prose.write_text("\n\n".join([f"## 第{k}节\n\n{filler}\n\n" + ("[[fig-values]]" if k == 3 else "") for k in range(1, 9)])
                     + "\n\n见 @fig-values 与 @tbl-values。\n", encoding="utf-8")
    assert build(jobs=2).exit_code == 0
    book = read(built.root / "build" / "current" / "book.pdf")
    check_book(book, MINI_CHAPTERS)
    assert book.chapter_starts()[1] - book.chapter_starts()[0] >= 2  # chapter 1 really runs over pages


@pytest.mark.slow
def test_real_book_pdf_is_a_book(real_book_pdf):
    import yaml

    home, res, seconds = real_book_pdf
    assert res.exit_code == 0 and not [msg for msg in res.messages if msg.startswith("PDF")], res.messages
    manifest = yaml.safe_load((home / "chapters" / "book.yml").read_text(encoding="utf-8"))
    chapters = [(i, c["title"]) for i, c in enumerate(manifest["chapters"], 1)]
    book = read(home / "build" / "current" / "book.pdf")
    may_split = set(re.findall(r'ecd-table-wrap may-split" id="([^"]+)"',
                               (home / "build" / "current" / "print" / "book.html").read_text(encoding="utf-8")))
    check_book(book, chapters, may_split=may_split, fill=False)  # fill: the test below
    cover = re.sub(r"\s+", "", book.pages[0])
    assert manifest["book"]["title"] in cover and manifest["book"]["editors"] in cover
    print(f"real book: {len(book.pages)} pages, build with the PDF {seconds:.0f} s, tables allowed to split: {sorted(may_split)}")


@pytest.mark.slow
def test_real_book_pages_are_at_least_a_fifth_full(real_book_pdf):
    home, _, _ = real_book_pdf
    assert not underfilled(read(home / "build" / "current" / "book.pdf"))


def test_real_book_pdf_links_stay_inside_the_book(real_book_pdf):
    """主要发现's "见[…](policy.html)" and every other cross-reference lead to a place in the PDF, not to a web page."""
    home, _, _ = real_book_pdf
    doc = (home / "build" / "current" / "print" / "book.html").read_text(encoding="utf-8")
    body = doc.split("<body", 1)[1]
    assert not re.findall(r'href="(?!#|https?:|mailto:)[^"]*\.html[^"]*"', body)
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    missing = sorted({t for t in re.findall(r'href="#([^"]*)"', body)} - ids)
    assert not missing, missing[:10]
    assert 'href="#ch-policy"' in body  # the 总报告's pointer to 政策进展
