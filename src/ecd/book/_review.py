"""Chapter review and sign-off: who approved which chapter, and what changed since.

``ecd review approve CHAPTER --by NAME`` records, in ``reviews/CHAPTER.yml`` (kept
in git), the reviewer, the date and the chapter's *content hash*: its prose files,
the values and texts of its glued numbers, its table cells and its figures' hashes,
as the current edition (``build/current``) shows them. A snapshot of those parts
is stored beside the hash, so that ``ecd review status`` can say exactly which
numbers, table cells and figures changed since the approval (the edition diff of
:mod:`ecd.book._diff`, applied to one chapter), even on a machine that never had
the approved release.

``ecd review comment CHAPTER --on LABEL TEXT`` attaches a note to a figure, a
table or a glued number; notes appear as margin notes in a ``--review`` build
(``build/review/``) and never in the published book.

A review file::

    chapter: nutrition
    approved: {by: 张三, date: '2026-12-04', hash: 3f…, release: 20261204T…, note: …}
    history: [...]           # earlier approvals (by, date, hash)
    snapshot: {prose: {chapters/nutrition.md: <sha256>}, numbers: {…}, tables: {…}, figures: {…}}
    comments: [{on: fig-stunting, key: 'nutrition:fig-stunting', text: …, by: …, date: …}]
"""
from __future__ import annotations

import datetime as _dt
import html
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ecd import paths
from ecd.book import _cache
from ecd.book._diff import changes_html, diff_records
from ecd.errors import ConfigError

STATES_ZH = {"approved": "已审阅通过", "changed": "审阅后有变化", "never": "尚未审阅"}
_NUMBER_FIELDS = ("value", "text")  # a reader sees the text: a changed wording of the same value is a change


def reviews_dir() -> Path:
    """``reviews/`` under the project home (one YAML file per chapter, kept in git)."""
    return paths.home() / "reviews"


def review_path(chapter: str) -> Path:
    return reviews_dir() / f"{chapter}.yml"


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _edition(site: Path | None) -> Path:
    from ecd.book._publish import current_release

    site = site or current_release()
    if site is None or not (site / "chapters.json").exists():
        raise ConfigError("no built edition to review: run `ecd build` first (build/current is missing)")
    return site


def _group_of(m) -> dict:
    return {c.id: c.group for c in m.chapters}


def _check_chapter(m, chapter: str) -> None:
    if chapter not in m.groups:
        raise ConfigError(f"no chapter {chapter!r} in chapters/book.yml; chapter ids: {m.groups}")


def chapter_snapshot(m, chapter: str, site: Path) -> dict:
    """The reviewed parts of one chapter: prose file hashes, glued numbers, table cells, figure hashes."""
    group_of = _group_of(m)

    def mine(key: str) -> bool:
        return group_of.get(key.split(":", 1)[0]) == chapter

    numbers = _load_json(site / "numbers.json")
    tables = _load_json(site / "tables.json")
    figures = _load_json(site / "figures.json")
    proses = sorted({c.prose for c in m.chapters if c.group == chapter and c.prose})
    return {
        "prose": {p: _cache.hash_path(paths.home() / p) for p in proses},
        "numbers": {k: {"value": v.get("value"), "text": v.get("text"), "origin": v.get("origin") or ""}
                    for k, v in sorted(numbers.items()) if mine(k)},
        "tables": {k: {"caption": v.get("caption"), "cells": v.get("cells")} for k, v in sorted(tables.items()) if mine(k)},
        "figures": {k: {"caption": v.get("caption"), "sha256": v.get("sha256")} for k, v in sorted(figures.items()) if mine(k)},
    }


def content_hash(snapshot: dict) -> str:
    """sha256 over what a reviewer approves: prose, numbers (value and text), table cells, figure hashes.

    Examples
    --------
    >>> s = {"prose": {"a.md": "1"}, "numbers": {"a:x": {"value": 1, "text": "1", "origin": "甲"}},
    ...      "tables": {}, "figures": {}}
    >>> content_hash(s) == content_hash({**s, "numbers": {"a:x": {"value": 1, "text": "1", "origin": "乙"}}})
    True
    >>> content_hash(s) == content_hash({**s, "numbers": {"a:x": {"value": 2, "text": "2", "origin": "甲"}}})
    False
    """
    parts = {
        "prose": snapshot.get("prose") or {},
        "numbers": {k: [v.get(f) for f in _NUMBER_FIELDS] for k, v in (snapshot.get("numbers") or {}).items()},
        "tables": {k: v.get("cells") for k, v in (snapshot.get("tables") or {}).items()},
        "figures": {k: v.get("sha256") for k, v in (snapshot.get("figures") or {}).items()},
    }
    return _cache.sha256_text(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str))


def read_review(chapter: str) -> dict | None:
    """The review file of a chapter, or None when it was never reviewed."""
    from ecd.catalog._load import load_yaml

    p = review_path(chapter)
    if not p.exists():
        return None
    try:
        data = load_yaml(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"reviews/{p.name} is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"reviews/{p.name}: expected a mapping (chapter, approved, snapshot, comments)")
    approved = data.get("approved")
    if approved is not None and not (isinstance(approved, dict) and approved.get("hash") and approved.get("by")):
        raise ConfigError(f"reviews/{p.name}: 'approved' needs at least 'by' and 'hash' (found {approved!r}); "
                          "re-run `ecd review approve`")
    comments = data.get("comments") or []
    if not isinstance(comments, list) or not all(isinstance(c, dict) and c.get("on") and c.get("text") for c in comments):
        raise ConfigError(f"reviews/{p.name}: 'comments' must be a list of {{on, text, ...}}")
    return data


def _write_review(chapter: str, data: dict) -> Path:
    p = review_path(chapter)
    p.parent.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)
    return p


def _today(today) -> str:
    return str(today or _dt.date.today().isoformat())


def approve(chapter: str, *, by: str, note: str | None = None, site: Path | None = None, today=None) -> dict:
    """Approve ``chapter`` as the edition in ``site`` (default ``build/current``) shows it.

    Returns the review record written to ``reviews/CHAPTER.yml``.
    """
    from ecd.book._manifest import load_manifest

    if not isinstance(by, str) or not by.strip():
        raise ConfigError("--by: the reviewer's name is required (e.g. --by 张三)")
    m = load_manifest()
    _check_chapter(m, chapter)
    site = _edition(site)
    state = _load_json(site / "chapters.json").get(chapter, {}).get("state")
    if state not in ("ok", "kept"):
        raise ConfigError(f"chapter {chapter!r} is not rendered from this build's outputs in {site.name} "
                          f"(state {state or 'absent'}): fix and rebuild it before approving")
    snap = chapter_snapshot(m, chapter, site)
    old = read_review(chapter) or {}
    history = list(old.get("history") or [])
    if old.get("approved"):
        history.append({k: old["approved"].get(k) for k in ("by", "date", "hash", "release")})
    approved = {"by": by.strip(), "date": _today(today), "hash": content_hash(snap), "release": site.name}
    if note:
        approved["note"] = note
    data = {"chapter": chapter, "title": next(c.title for c in m.chapters if c.group == chapter),
            "approved": approved, "history": history, "snapshot": snap, "comments": list(old.get("comments") or [])}
    _write_review(chapter, data)
    return data


def _resolve_target(m, chapter: str, on: str, site: Path) -> str:
    """The record key (``chapter-id:label-or-name``) a comment's ``--on`` names."""
    snap = chapter_snapshot(m, chapter, site)
    kind = "figures" if on.split(":")[-1].startswith("fig-") else "tables" if on.split(":")[-1].startswith("tbl-") else "numbers"
    keys = list(snap[kind])
    cands = [k for k in keys if k == on] if ":" in on else [k for k in keys if k.split(":", 1)[1] == on]
    what = {"figures": "figure", "tables": "table", "numbers": "glued number"}[kind]
    if not cands:
        known = sorted({k.split(":", 1)[1] for k in keys})
        raise ConfigError(f"--on {on}: chapter {chapter!r} has no {what} of that name in {site.name} "
                          f"(its {what}s: {known[:30] or 'none'})")
    if len(cands) > 1:
        raise ConfigError(f"--on {on}: {len(cands)} sections of chapter {chapter!r} have it; name one, e.g. "
                          f"--on {cands[0]} (candidates: {cands[:5]}{' …' if len(cands) > 5 else ''})")
    return cands[0]


def comment(chapter: str, *, on: str, text: str, by: str | None = None, site: Path | None = None, today=None) -> dict:
    """Attach a reviewer's note to a figure, table or glued number of ``chapter``; returns the note."""
    from ecd.book._manifest import load_manifest

    if not isinstance(text, str) or not text.strip():
        raise ConfigError("the comment text is empty")
    m = load_manifest()
    _check_chapter(m, chapter)
    site = _edition(site)
    key = _resolve_target(m, chapter, on, site)
    data = read_review(chapter) or {"chapter": chapter, "approved": None}
    note = {"on": on, "key": key, "text": text.strip(), "by": (by or os.environ.get("USER") or "").strip() or "（未署名）",
            "date": _today(today)}
    data["comments"] = list(data.get("comments") or []) + [note]
    _write_review(chapter, data)
    return note


@dataclass
class ChapterReview:
    """One chapter's review state against an edition."""

    chapter: str
    title: str
    number: int
    state: str  # approved | changed | never
    approved: dict | None = None
    prose_changed: list = field(default_factory=list)
    diff: dict | None = None
    comments: list = field(default_factory=list)

    def changes(self) -> list[str]:
        """One line per change since approval (prose files, numbers, table cells, figures, tables)."""
        if self.state != "changed":
            return []
        d = self.diff or {}
        out = [f"prose {p} changed" for p in self.prose_changed]
        out += [f"number {x['key']}: {x['old'] if x['old'] is not None else '(none)'} → "
                f"{x['new'] if x['new'] is not None else '(removed)'}" for x in d.get("numbers", [])]
        out += [f"table cell {x['table']} row {x['row']} column {x['column']}: {x['old']} → {x['new']}"
                if x["row"] is not None else f"table {x['table']}: rows or columns changed" for x in d.get("table_cells", [])]
        for k, word in (("figures_changed", "figure changed"), ("figures_added", "figure added"),
                        ("figures_removed", "figure removed"), ("tables_added", "table added"),
                        ("tables_removed", "table removed")):
            out += [f"{word} {x}" for x in d.get(k, [])]
        return out or ["content hash differs"]


def status(site: Path | None = None, m=None) -> list[ChapterReview]:
    """Every chapter of the manifest: approved, changed since approval (with what changed) or never reviewed."""
    from ecd.book._manifest import load_manifest

    m = m or load_manifest()
    site = _edition(site)
    out = []
    for g in m.groups:
        c0 = next(c for c in m.chapters if c.group == g)
        data = read_review(g) or {}
        r = ChapterReview(g, c0.title, c0.number, "never", approved=data.get("approved"),
                          comments=list(data.get("comments") or []))
        if r.approved:
            snap = chapter_snapshot(m, g, site)
            if content_hash(snap) == r.approved["hash"]:
                r.state = "approved"
            else:
                r.state = "changed"
                old = data.get("snapshot") or {}
                r.prose_changed = sorted(p for p in set(snap["prose"]) | set(old.get("prose") or {})
                                         if snap["prose"].get(p) != (old.get("prose") or {}).get(p))
                r.diff = diff_records(old, snap, number_fields=_NUMBER_FIELDS)
        out.append(r)
    return out


def status_lines(reviews: list[ChapterReview]) -> list[str]:
    lines = []
    for r in reviews:
        a = r.approved or {}
        head = {"approved": "approved", "changed": "CHANGED ", "never": "never   "}[r.state]
        line = f"{head} {r.chapter}"
        if a:
            line += f"  (approved by {a.get('by')} on {a.get('date')})"
        if r.comments:
            line += f"  [{len(r.comments)} comment(s)]"
        lines.append(line)
        lines += [f"           {x}" for x in r.changes()]
    return lines


# ----------------------------------------------------------------------------- HTML: status page, banners, notes
def _e(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _who(a: dict) -> str:
    return f"{_e(a.get('by'))}（{_e(a.get('date'))}）" + (f"：{_e(a['note'])}" if a.get("note") else "")


def changes_block(r: ChapterReview, level: int = 3) -> str:
    """What changed in one chapter since its approval, as HTML (reuses the edition diff's sections)."""
    parts = []
    if r.prose_changed:
        parts.append("<p>正文文件有改动：" + "、".join(f"<code>{_e(p)}</code>" for p in r.prose_changed) + "</p>")
    if r.diff:
        parts.append(changes_html(r.diff, level=level, old_label="审阅时", new_label="现在", skip_empty=True))
    return "".join(parts)


def banner_html(r: ChapterReview) -> str:
    """The 审阅 banner at the top of a chapter in a review build."""
    if r.state == "approved":
        return f'<div class="banner-review review-ok" role="note"><b>审阅</b>：本章已审阅通过，{_who(r.approved)}；此后内容未变。</div>'
    if r.state == "never":
        return '<div class="banner-review review-never" role="note"><b>审阅</b>：本章尚未审阅。</div>'
    return (f'<div class="banner-review review-changed" role="alert"><b>审阅</b>：本章曾审阅通过，{_who(r.approved)}；'
            f'此后以下内容有变化，需重新审阅。{changes_block(r, level=4)}</div>')


def status_page_html(reviews: list[ChapterReview]) -> str:
    """The review status of every chapter (a section of the build status page and the review build's 审阅 page)."""
    n = {s: sum(r.state == s for r in reviews) for s in STATES_ZH}
    rows = "".join(
        f'<tr><td>第{r.number}章 {_e(r.title)}（<code>{_e(r.chapter)}</code>）</td>'
        f'<td class="review-{r.state}">{STATES_ZH[r.state]}</td><td>{_who(r.approved) if r.approved else ""}</td>'
        f'<td>{len(r.comments)}</td></tr>' for r in reviews)
    out = [f'<h2>审阅状态</h2><p>已审阅通过 {n["approved"]} 章，审阅后有变化 {n["changed"]} 章，尚未审阅 {n["never"]} 章。</p>'
           f'<table class="ecd-table review-status"><tr><th>章</th><th>状态</th><th>审阅</th><th>意见</th></tr>{rows}</table>']
    for r in reviews:
        if r.state == "changed":
            out.append(f'<h3 id="review-{_e(r.chapter)}">第{r.number}章 {_e(r.title)}：审阅后的变化</h3>'
                       + changes_block(r, level=4))
    return "".join(out)


def status_section(site: Path, m) -> str:
    """The 审阅 section of the build status page (an unreadable review file is shown, not fatal to the build)."""
    try:
        return status_page_html(status(site, m))
    except ConfigError as e:
        return f'<h2>审阅状态</h2><p class="status-failed">{_e(e)}</p>'


REVIEW_CSS = """
.banner-review{border-left:4px solid #b8860b;background:#fff8e1;padding:.6em 1em;margin:1em 0}
.banner-review.review-changed{border-color:#c0392b;background:#fdecea}
.banner-review.review-ok{border-color:#2e7d32;background:#eef7ee}
.review-note{float:right;clear:right;width:16em;margin:0 0 .6em 1em;padding:.4em .6em;font-size:.85em;
  background:#fffbe6;border:1px solid #e0c200;border-radius:3px;text-indent:0;font-weight:normal}
.review-note b{color:#8a6d00}
"""


def _note_html(c: dict, tag: str = "div") -> str:
    return (f'<{tag} class="review-note" role="note"><b>审阅意见</b>（{_e(c.get("by"))}，{_e(c.get("date"))}）：'
            f'{_e(c.get("text"))}</{tag}>')


def _anchor(key: str) -> tuple[str | None, str]:
    """(section suffix or None, label) of a record key: ``province--cn-bj:fig-x`` → (``--cn-bj``, ``fig-x``)."""
    cid, label = key.split(":", 1)
    return (f"--{cid.split('--', 1)[1]}" if "--" in cid else None), label


def place_notes(body: str, comments: list) -> str:
    """Insert each comment as a margin note next to its figure, table or glued number in a page's HTML."""
    unplaced = []
    for c in comments:
        suffix, label = _anchor(c.get("key") or c["on"])
        start = 0
        if suffix:  # a foreach section: look inside its <section id="sec--x">
            m = re.search(rf'id="sec{re.escape(suffix)}"', body)
            start = m.end() if m else len(body)
        if label.startswith(("fig-", "tbl-")):
            anchors = [label + (suffix or ""), label]
            pat = "|".join(re.escape(a) for a in anchors)
            m = re.compile(rf'<(?:figure|div)\b[^>]*\bid="(?:{pat})"').search(body, start)
            if m:
                body = body[:m.start()] + _note_html(c) + body[m.start():]
                continue
        else:
            m = re.compile(rf'<span class="glued" data-name="{re.escape(label)}"(?![^>]*data-chapter=)[^>]*>.*?</span>',
                           re.S).search(body, start)
            if m:
                body = body[:m.end()] + _note_html(c, "span") + body[m.end():]
                continue
        unplaced.append(c)
    if unplaced:  # the item is no longer on the page: keep the note visible at the top
        block = "".join(_note_html(c) for c in unplaced)
        body = body.replace("<main>", "<main>\n" + block, 1) if "<main>" in body else block + body
    return body


def write_review_site(site: Path, out: Path | None = None, m=None) -> Path:
    """Copy a rendered site to ``build/review/`` with 审阅 banners, margin notes and a 审阅 page.

    The published release is never touched: this is the board's working copy.
    """
    from ecd.book._build import _footer, write_page
    from ecd.book._manifest import load_manifest

    m = m or load_manifest()
    out = out or paths.build_dir() / "review"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(site, tmp)
    reviews = status(site, m)
    style = f"<style>{REVIEW_CSS}</style>"
    for r in reviews:
        page = tmp / f"{r.chapter}.html"
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        text = text.replace("</head>", style + "</head>", 1)
        text = place_notes(text, r.comments)
        text = text.replace("<main>", "<main>\n" + banner_html(r), 1)
        page.write_text(text, encoding="utf-8")
    toc = [{"id": g, "number": next(c.number for c in m.chapters if c.group == g),
            "title": next(c.title for c in m.chapters if c.group == g), "href": f"{g}.html"} for g in m.groups]
    write_page(tmp, "review.html", m, toc, None, "审阅状态", style + '<h1 class="chapter-title">审阅状态</h1>'
               + status_page_html(reviews), _footer(m, None, site.name, {}), False)
    for name in ("book.pdf",):  # the review copy is read on screen; the print edition stays with the release
        (tmp / name).unlink(missing_ok=True)
    if out.exists():
        old = out.with_name(f".{out.name}.old.{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)
    return out


# ----------------------------------------------------------------------------- command line
def cli(args) -> int:
    """``ecd review approve|status|comment`` (exit 0; ``status`` exits 10 unless every chapter is approved)."""
    if args.review_command == "approve":
        data = approve(args.chapter, by=args.by, note=args.note)
        a = data["approved"]
        print(f"approved {args.chapter} by {a['by']} on {a['date']} (content {a['hash'][:12]}, edition {a['release']}); "
              f"written to reviews/{args.chapter}.yml — commit it")
        return 0
    if args.review_command == "comment":
        note = comment(args.chapter, on=args.on, text=args.text, by=args.by)
        print(f"comment on {note['key']} by {note['by']} written to reviews/{args.chapter}.yml "
              "(shown in `ecd build --review`, never in the published book)")
        return 0
    reviews = status()
    for line in status_lines(reviews):
        print(line)
    n = {s: sum(r.state == s for r in reviews) for s in STATES_ZH}
    print(f"{n['approved']} approved, {n['changed']} changed since approval, {n['never']} never reviewed")
    return 0 if n["approved"] == len(reviews) else 10


def add_parser(sub) -> None:
    """The ``review`` verb of the ``ecd`` command line."""
    r = sub.add_parser("review", help="chapter sign-off: approve, status, comments")
    rs = r.add_subparsers(dest="review_command", required=True)
    a = rs.add_parser("approve", help="approve a chapter as build/current shows it (writes reviews/CHAPTER.yml)")
    a.add_argument("chapter", help="chapter id of chapters/book.yml")
    a.add_argument("--by", required=True, help="the reviewer's name")
    a.add_argument("--note", default=None, help="a note kept with the approval")
    rs.add_parser("status", help="approved / changed since approval / never reviewed (exit 10 unless all approved)")
    c = rs.add_parser("comment", help="a note on a figure, table or glued number (shown in `ecd build --review`)")
    c.add_argument("chapter", help="chapter id of chapters/book.yml")
    c.add_argument("--on", required=True, metavar="fig-label|tbl-label|glue-name",
                   help="what the note is about (in a foreach chapter: SECTION-ID:NAME)")
    c.add_argument("--by", default=None, help="the reviewer's name (default: $USER)")
    c.add_argument("text", help="the note")
    r.set_defaults(func=cli)
