"""The whole book as one printed book (``book.pdf``), laid out by WeasyPrint from CSS paged media.

The PDF is its own document, not a print of the web pages: a cover from the
``book:`` metadata of ``chapters/book.yml``, a table of contents whose page
numbers come from ``target-counter()``, running chapter titles from
``string-set``, page numbers in the page margins, 16开 paper (185 × 260 mm), a
PDF outline from the heading levels, and figures and tables kept whole
(``templates/print.css``).

Why WeasyPrint: it does every one of these from CSS alone. Chromium's
``--print-to-pdf`` has no ``target-counter()`` or ``string-set`` (a table of
contents with page numbers would need a JavaScript pagination polyfill or a
second pass over the printed PDF) and no outline from headings. When Pango, the
text library WeasyPrint needs, is missing, the PDF is skipped with a message
(``make book`` installs it as root on Debian).
"""
from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from urllib.parse import unquote

TEMPLATES = Path(__file__).parent / "templates"

_ID = re.compile(r'(\sid=")([^"]*)(")')
_HREF = re.compile(r'(\shref="#)([^"]*)(")')
_H2 = re.compile(r"<h2(\s[^>]*)?>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")
# a figure or table up to the end of the source line that closes it (cells, captions and source lines are
# escaped, so no markup inside them can look like this)
_ITEM = re.compile(r'(<(?:figure|div) class="(?:ecd-figure|ecd-table-wrap)" id="([^"]+)">.*?<div class="source">.*?)(</div>)',
                   re.S)
# headings of a chapter's back matter: in the PDF outline, not in the table of contents
_BACK_MATTER = ("本章数字来源", "参考文献")


def engine_missing() -> str | None:
    """Why the PDF cannot be made here, or None when WeasyPrint and Pango load.

    Examples
    --------
    >>> engine_missing() is None or engine_missing().startswith("PDF skipped")
    True
    """
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi; OSError when the library is absent)
    except ImportError:
        return "PDF skipped: WeasyPrint is not installed (pip install 'ecd[pdf]'; `make book` does this)"
    except OSError as e:
        return (f"PDF skipped: WeasyPrint cannot load Pango ({e}); Debian: apt-get install libpango-1.0-0 "
                "libpangoft2-1.0-0 libharfbuzz-subset0 (`make book` does this as root)")
    return None


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def scope_ids(body: str, prefix: str) -> str:
    """Prefix every ``id`` and in-page ``href="#…"`` of a chapter body, so chapters share one document.

    Examples
    --------
    >>> scope_ids('<h2 id="a">x</h2><a href="#a">see</a>', "ch1")
    '<h2 id="ch1--a">x</h2><a href="#ch1--a">see</a>'
    >>> scope_ids('<p id="c0">甲</p><p id="c0">乙</p><h2 id="%E8%A6%81">要</h2>', "p")
    '<p id="p--c0">甲</p><p id="p--c0-2">乙</p><h2 id="p--要">要</h2>'
    """
    # nbconvert writes heading ids percent-encoded (id="%E4%BA%94…") and a link's fragment is decoded before
    # it is looked up, so both are decoded here: the link finds its heading and the outline reads Chinese
    seen: dict[str, int] = {}

    def unique(m):  # foreach sections repeat cell ids (c0, c1, …): later ones get -2, -3, …; links go to the first
        name = f"{prefix}--{unquote(m.group(2))}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}-{seen[name]}"
        return f"{m.group(1)}{html.escape(name)}{m.group(3)}"

    body = _ID.sub(unique, body)
    return _HREF.sub(lambda m: f"{m.group(1)}{prefix}--{html.escape(unquote(m.group(2)))}{m.group(3)}", body)


_PAGE_HREF = re.compile(r'(\shref=")([A-Za-z0-9_-]+)\.html(?:#([^"]*))?(")')


_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
_SPLIT = re.compile(r"(<[^>]+>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
_BLOCK = {"p", "li", "div", "td", "th", "br", "h1", "h2", "h3", "h4", "h5", "figcaption", "tr", "ul", "ol", "section",
          "figure", "table", "article"}
_VERBATIM = {"pre", "code", "style", "script"}
THIN_SPACE = "\u2009"


def tight_spaces(body: str) -> str:
    """Set the spaces between Chinese text and a number (or other Latin text) as thin spaces in the print edition.

    Justified lines stretch only ordinary spaces: a line of Chinese with one glued number
    put its whole slack into the two spaces around that number (全书共   13   章). A thin
    space does not stretch, so the line keeps even spacing. Spaces with no Chinese
    neighbour (English titles in the references) and text in ``pre``/``code`` are kept.

    Examples
    --------
    >>> tight_spaces('<p>全书共 <span class="glued" title="a b">13</span> 章，UN IGME 估计</p><pre>甲 1</pre>')
    '<p>全书共\u2009<span class="glued" title="a b">13</span>\u2009章，UN IGME\u2009估计</p><pre>甲 1</pre>'
    """
    parts = _SPLIT.split(body)
    stream: list[str] = []  # the visible characters; a block boundary or verbatim text is a newline
    where: list = []
    verbatim = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            m = _TAG_NAME.match(part)
            name = m.group(2).lower() if m else ""
            if name in _VERBATIM:
                verbatim += -1 if m.group(1) else 1
            if name in _BLOCK or name in _VERBATIM:
                stream.append("\n")
                where.append(None)
            continue
        for k, ch in enumerate(part):
            stream.append(ch if verbatim <= 0 else "\n")
            where.append((i, k) if verbatim <= 0 else None)
    change: dict = {}
    for n, ch in enumerate(stream):
        if ch == " " and where[n] is not None:
            left = stream[n - 1] if n else "\n"
            right = stream[n + 1] if n + 1 < len(stream) else "\n"
            if _CJK.match(left) or _CJK.match(right):
                change.setdefault(where[n][0], set()).add(where[n][1])
    for i, ks in change.items():
        parts[i] = "".join(THIN_SPACE if k in ks else ch for k, ch in enumerate(parts[i]))
    return "".join(parts)


_FIGURE_PNG = re.compile(r'(<figure class="ecd-figure" id="[^"]+")(><img [^>]*?src="data:image/png;base64,)([A-Za-z0-9+/=]{44})')
TALL = 1.1  # height / width from which a figure prints taller than the usual cap (print.css: [data-shape="tall"])


def mark_tall_figures(body: str) -> str:
    """Mark figures taller than wide (``data-shape="tall"``) so the print edition gives them more height.

    A figure of many labelled rows (51 test items, 31 provinces) capped at the usual
    height would shrink to a narrow column with unreadable labels.

    Examples
    --------
    >>> import base64, struct
    >>> png = base64.b64encode(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\0\\0\\0\\rIHDR" + struct.pack(">II", 100, 150) + bytes(8)).decode()
    >>> mark_tall_figures(f'<figure class="ecd-figure" id="f"><img alt="" src="data:image/png;base64,{png}">')[:60]
    '<figure class="ecd-figure" id="f" data-shape="tall"><img alt'
    """
    import base64

    def sub(m):
        head = base64.b64decode(m.group(3))
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        tall = head[12:16] == b"IHDR" and width > 0 and height / width >= TALL
        return (m.group(1) + (' data-shape="tall"' if tall else "")) + m.group(2) + m.group(3)

    return _FIGURE_PNG.sub(sub, body)


def link_chapters(body: str, ids) -> str:
    """Point links to another chapter's web page (``href="<id>.html"``) at that chapter inside the print edition.

    A page link becomes the chapter's anchor (``#ch-<id>``), a link with a fragment the scoped target
    (``#ch-<id>--<fragment>``, as :func:`scope_ids` names it); links to pages that are not chapters of the
    print edition are left alone.

    Examples
    --------
    >>> link_chapters('<a href="policy.html">政策</a> <a href="nutrition.html#tbl-x">表</a> <a href="x.html">x</a>',
    ...               {"policy", "nutrition"})
    '<a href="#ch-policy">政策</a> <a href="#ch-nutrition--tbl-x">表</a> <a href="x.html">x</a>'
    """
    def sub(m):
        page, frag = m.group(2), m.group(3)
        if page not in ids:
            return m.group(0)
        target = f"ch-{page}--{html.escape(unquote(frag))}" if frag else f"ch-{page}"
        return f"{m.group(1)}#{target}{m.group(4)}"

    return _PAGE_HREF.sub(sub, body)


def _sections(body: str, prefix: str) -> tuple[str, list[dict]]:
    """Give every ``<h2>`` an id; return the body and the headings for the table of contents."""
    entries: list[dict] = []
    count = iter(range(1, 1 << 30))

    def sub(m):
        attrs, inner = m.group(1) or "", m.group(2)
        title = _text(inner)
        found = re.search(r'\sid="([^"]*)"', attrs)
        anchor = found.group(1) if found else f"{prefix}--h{next(count)}"
        if not found:
            attrs += f' id="{anchor}"'
        if title and title not in _BACK_MATTER:
            entries.append({"anchor": anchor, "title": title})
        return f"<h2{attrs}>{inner}</h2>"

    return _H2.sub(sub, body), entries


def print_document(m, toc: list, bodies: dict) -> str:
    """The print edition as one HTML document: cover, table of contents, then every chapter."""
    import jinja2

    chapters = []
    printed = {t["id"] for t in toc if t["id"] in bodies}
    for t in toc:
        if t["id"] not in bodies:
            continue
        prefix = f"ch-{t['id']}"
        body, sections = _sections(tight_spaces(link_chapters(scope_ids(bodies[t["id"]], prefix), printed)), prefix)
        # the end of each source line is a named destination too: a reader (and the PDF test) finds where each
        # figure or table ends, so it can see that none is split across pages
        body = _ITEM.sub(lambda m: f'{m.group(1)}<span id="{m.group(2)}--source"></span>{m.group(3)}', body)
        body = mark_tall_figures(body)
        chapters.append({**t, "anchor": prefix, "body": body, "sections": sections})
    listed = lambda v: [v] if isinstance(v, str) else list(v or [])  # noqa: E731  (the manifest checked the shape)
    board = [(role, listed(names)) for role, names in (m.book.get("editorial_board") or {}).items()]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template("print.html.j2").render(
        book=m.book, chapters=chapters, editors=listed(m.book.get("editors")), board=board,
        css=(TEMPLATES / "print.css").read_text(encoding="utf-8"))


# a page other than a chapter's last is at least a fifth full; the layout is measured a little stricter (a quarter)
# than the promise, as the boxes' extent and the inked pixels a reader sees differ by a line or so
MIN_FILL = 0.25


def _content_bottom(page) -> float:
    """How far down the page (share of its height) its text and images reach."""
    from weasyprint.formatting_structure import boxes

    box = page._page_box  # no public API gives a page's boxes; WeasyPrint is pinned in pyproject.toml
    bottom = box.content_box_y()
    for b in box.children[0].descendants():
        if isinstance(b, (boxes.LineBox, boxes.ReplacedBox)):
            bottom = max(bottom, b.position_y + b.margin_height())
    return (bottom - box.content_box_y()) / (box.height or 1)


def tables_to_split(doc) -> list[str]:
    """Tables to let run over a page break: each would otherwise leave the page before it under a fifth full.

    A table is kept whole (``break-inside: avoid``); when it does not fit below what precedes it, it moves to
    the next page. That is right unless the page it leaves holds only a few lines and is not the last page of
    its chapter: then the table starts there instead and continues on the next page.
    """
    out = []
    pages = doc.pages
    for page, following in zip(pages, pages[1:]):
        chapter = {a for a in page.anchors if a.startswith("ch-") and "--" not in a}
        if not chapter or chapter != {a for a in following.anchors if a.startswith("ch-") and "--" not in a}:
            continue  # the cover, the contents, or a chapter's last page
        if _content_bottom(page) >= MIN_FILL:
            continue
        starting = [(rect[1], a) for a, rect in following.anchors.items()
                    if "--tbl-" in a and not a.endswith("--source") and a not in page.anchors]
        if starting:
            out.append(min(starting)[1])
    return out


def write_pdf(site: Path, m, toc, bodies: dict, log) -> str | None:
    """Write ``site/book.pdf`` and its source ``site/print/book.html``; return why it was skipped, else None.

    The source sits in a folder of its own: it is the PDF's, not one of the web pages.
    """
    msg = engine_missing()
    if msg:
        log(msg)
        return msg
    import weasyprint

    source = site / "print" / "book.html"
    source.parent.mkdir(exist_ok=True)
    text = print_document(m, toc, bodies)
    out = site / "book.pdf"
    tmp = site / ".book.pdf.tmp"
    said = _Collect()
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(said)
    propagate, wlog.propagate = wlog.propagate, False
    try:
        source.write_text(text, encoding="utf-8")
        doc = weasyprint.HTML(filename=str(source), base_url=str(site)).render()
        loose = tables_to_split(doc)
        if loose:  # lay out once more, letting these tables run over a page break (their header row repeats)
            for anchor in loose:
                text = text.replace(f'<div class="ecd-table-wrap" id="{anchor}">',
                                    f'<div class="ecd-table-wrap may-split" id="{anchor}">', 1)
            source.write_text(text, encoding="utf-8")
            doc = weasyprint.HTML(filename=str(source), base_url=str(site)).render()
        doc.write_pdf(str(tmp))
    except Exception as e:  # a layout failure must not lose the web edition; the message names it
        tmp.unlink(missing_ok=True)
        msg = f"PDF failed: WeasyPrint: {type(e).__name__}: {e}"
        log(msg)
        return msg
    finally:
        wlog.removeHandler(said)
        wlog.propagate = propagate
    tmp.replace(out)
    if said.messages:  # CSS it ignored, links without a target: worth a look, not a failure
        log(f"PDF: WeasyPrint said {len(said.messages)} thing(s), e.g. {said.messages[0]}")
    return None


class _Collect(logging.Handler):
    """Keeps WeasyPrint's warnings for one line in the build log instead of one line each on stderr."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())
