"""The web pages on a phone: every page of the built book opened at 390 × 844 in headless Chromium.

Python ``playwright`` drives Debian's ``/usr/bin/chromium`` (``executable_path``; no browser download) as a
mobile device, so the page's ``<meta name="viewport">`` is honoured as a phone would. Asserted per page: no
page-level horizontal scroll, the chapter title and first paragraph at least 300 px wide, every table either
fits or scrolls inside its own box; the contents fold behind a 目录 button; a table's first column stays in
view while the table scrolls.
"""
from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)),
                shutil.which("chromium"))
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install 'ecd[test]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (Debian: apt-get install chromium; "
                                                          "`make test` does this as root)")

PHONE = {"width": 390, "height": 844}
SLACK = 4  # px a page may exceed the viewport by (sub-pixel rounding, scrollbar-less overlays)

MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const docWidth = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  const width = (el) => el ? el.getBoundingClientRect().width : null;
  const main = document.querySelector("main");
  const h1 = main && main.querySelector("h1");
  const first = main && [...main.querySelectorAll("p, li")].find((e) => e.textContent.trim().length >= 8);
  const label = (t) => { const w = t.closest("[id]"); return (w ? "#" + w.id + " " : "") + t.textContent.trim().slice(0, 30); };
  const loose = [];
  for (const t of document.querySelectorAll("table")) {
    const r = t.getBoundingClientRect();
    if (r.left >= -1 && r.right <= vw + 1) continue;  // fits
    let box = t, ok = false;
    while (box && box !== document.body) {
      const cs = getComputedStyle(box);
      const rb = box.getBoundingClientRect();
      if ((cs.overflowX === "auto" || cs.overflowX === "scroll") && box.scrollWidth > box.clientWidth
          && rb.left >= -1 && rb.right <= vw + 1) { ok = true; break; }  // scrolls inside its own box
      box = box.parentElement;
    }
    if (!ok) loose.push(label(t));
  }
  const shown = (sel) => { const e = document.querySelector(sel); return !!e && getComputedStyle(e).display !== "none"; };
  return {vw, docWidth, h1: width(h1), first: width(first), loose,
          side: shown(".toc-side"), menu: shown("details.toc-menu"),
          menuOpen: !!document.querySelector("details.toc-menu[open]")};
}"""

STICKY = """() => {
  const box = [...document.querySelectorAll(".table-scroll")].find((b) => b.scrollWidth > b.clientWidth + 40);
  if (!box) return null;
  const cell = box.querySelector("tbody td"), other = box.querySelector("tbody td:nth-child(2)");
  const before = cell.getBoundingClientRect().left, otherBefore = other.getBoundingClientRect().left;
  box.scrollLeft = box.scrollWidth;
  return {before, after: cell.getBoundingClientRect().left, box: box.getBoundingClientRect().left,
          secondMoved: other.getBoundingClientRect().left < otherBefore - 20};
}"""


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                                                              "--disable-background-networking"])
        yield b
        b.close()


def measure_pages(browser, site: Path, viewport=PHONE) -> dict:
    ctx = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 800, has_touch=True,
                              device_scale_factor=2)
    page = ctx.new_page()
    out = {}
    try:
        for f in sorted(site.glob("*.html")):
            page.goto(f.resolve().as_uri(), wait_until="load")
            out[f.name] = page.evaluate(MEASURE)
    finally:
        ctx.close()
    return out


def check_phone(results: dict) -> None:
    assert results
    for name, r in results.items():
        assert r["vw"] == PHONE["width"], (name, r["vw"])  # the viewport meta tag is honoured
        assert r["docWidth"] <= r["vw"] + SLACK, (name, "horizontal scroll", r["docWidth"])
        assert not r["loose"], (name, "tables wider than the screen and not in a scroll box", r["loose"])
        if name == "status.html":  # the standalone status page has no book layout
            continue
        assert r["h1"] is not None and r["h1"] >= 300, (name, "chapter title width", r["h1"])
        assert r["first"] is not None and r["first"] >= 300, (name, "first paragraph width", r["first"])
        assert r["menu"] and not r["side"] and not r["menuOpen"], (name, "contents should fold behind 目录", r)


def test_mini_book_on_a_phone(browser, built):
    check_phone(measure_pages(browser, built.root / "build" / "current"))


def test_wide_screen_keeps_the_sidebar(browser, built):
    wide = measure_pages(browser, built.root / "build" / "current", {"width": 1280, "height": 900})
    for name, r in wide.items():
        if name != "status.html":
            assert r["side"] and not r["menu"], (name, r)


def test_menu_opens_the_contents(browser, built):
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.goto((built.root / "build" / "current" / "alpha.html").resolve().as_uri())
        link = page.locator("details.toc-menu a", has_text="第二章标题")
        assert not link.is_visible()
        page.locator("details.toc-menu > summary").click()
        assert link.is_visible()
        box = link.bounding_box()
        assert box["height"] >= 32  # a finger-sized target
    finally:
        ctx.close()


def test_share_preview_names_the_chapter_and_its_first_finding(built):
    text = (built.root / "build" / "current" / "alpha.html").read_text(encoding="utf-8")
    meta = {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', text)}
    assert meta["viewport"] == "width=device-width, initial-scale=1"
    assert meta["og:title"] == "第1章 第一章标题"
    assert re.search(r"<title>第1章 第一章标题 — 测试蓝皮书</title>", text)
    assert meta["og:description"].startswith("合计为 6.5，标签 110000") and meta["description"] == meta["og:description"]
    index = (built.root / "build" / "current" / "index.html").read_text(encoding="utf-8")
    assert '<meta property="og:title" content="测试蓝皮书（2026 年版）">' in index


@pytest.mark.slow
def test_real_book_on_a_phone(browser, real_book):
    home, _ = real_book
    site = home / "build" / "current"
    results = measure_pages(browser, site)
    assert {"index.html", "overview.html"} <= set(results)
    check_phone(results)


@pytest.mark.slow
def test_real_book_tables_keep_their_first_column_in_view(browser, real_book):
    home, _ = real_book
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    seen = 0
    try:
        for f in sorted((home / "build" / "current").glob("*.html")):
            page.goto(f.resolve().as_uri(), wait_until="load")
            r = page.evaluate(STICKY)
            if r is None:
                continue
            seen += 1
            assert r["secondMoved"], (f.name, r)  # the table did scroll …
            assert abs(r["after"] - r["box"]) <= 2, (f.name, r)  # … and its first column stayed at the box's edge
    finally:
        ctx.close()
    assert seen, "no wide table in the book to scroll"
