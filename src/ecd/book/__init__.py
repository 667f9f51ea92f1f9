"""The book: notebook-side helpers (glue, figure, table) and the build pipeline.

In a chapter notebook::

    import ecd
    rows = ecd.data.load("nmr", geo="CN-WEST", years=(2015, 2015))
    ecd.book.glue("nmr_gap_2015", 4.2, fmt="{:.1f}", origin=rows)        # hover: the rows' publications
    ecd.book.figure(fig, label="fig-nmr", caption="新生儿死亡率", source=rows)  # 数据来源: the same, GB/T 7714
    ecd.book.glue_change("u5mr", series, origin="…")          # first/last, 降至/升至, % change
    ecd.book.glue_findings(ecd.findings.gap_directions(df), "gaps", none="…")  # must be stated in the prose

In the prose, ``{{name}}`` shows this chapter's number and ``{{chapter-id:name}}``
another chapter's (a quantity is computed once and cited everywhere).

From the shell: ``ecd build`` (see README). Exit codes: 0 ok, 2 usage/config
error, 10 published with fallbacks, 20 nothing published.
"""
from __future__ import annotations

from ecd.book._display import MIME_GLUE, figure, format_value, glue, table
from ecd.book._sources import cite, short_citation

# the notebook helpers that need pandas load on first use, so that `ecd build` with nothing to do
# (and `ecd review`, `ecd preview`) start without importing pandas
_FACTS = ("change_words", "fmt_values", "glue_change", "glue_findings", "glue_table", "pair_text", "quantity",
          "quantity_conflicts", "target_table")


def __getattr__(name: str):
    if name in _FACTS:
        from ecd.book import _facts

        value = getattr(_facts, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ecd.book' has no attribute {name!r}")

__all__ = ["glue", "figure", "table", "format_value", "MIME_GLUE", "build", "status", "load_manifest",
           "diff", "build_cli", "status_cli", "diff_cli", "glue_change", "glue_table", "glue_findings",
           "change_words", "pair_text", "quantity", "fmt_values", "quantity_conflicts", "target_table",
           "cite", "short_citation"]


def build(**kwargs):
    """Build the book (see :func:`ecd.book._build.build`)."""
    from ecd.book._build import build as _b

    return _b(**kwargs)


def status(overrides=None):
    from ecd.book._build import status as _s

    return _s(overrides)


def load_manifest(path=None, overrides=None):
    from ecd.book._manifest import load_manifest as _l

    return _l(path, overrides)


def diff(old, new):
    """Compare two releases (folders); returns the diff dict."""
    from pathlib import Path

    from ecd.book._diff import diff_sites

    return diff_sites(Path(old) if old else None, Path(new))


def _overrides(params: list[str]) -> dict:
    from ecd.errors import ConfigError

    out = {}
    for p in params:
        if "=" not in p or "." not in p.split("=", 1)[0]:
            raise ConfigError(f"--param {p!r}: expected CHAPTER.NAME=VALUE")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


def build_cli(args) -> int:
    from ecd.book._build import build as _b

    review = getattr(args, "review", False)
    res = _b(jobs=args.jobs, only=args.only, force=args.force, keep_going=args.keep_going, timeout=args.timeout,
             overrides=_overrides(args.param), publish=not (args.no_publish or review), render=args.render,
             wait=args.wait, executor=args.executor, scheduler=args.scheduler,
             pdf=False if (args.no_pdf or review) else None, docx=getattr(args, "docx", False))
    if getattr(args, "profile", False):
        from ecd.book._progress import profile_report

        print(profile_report(res.timings, res.chapters, sum(res.timings.values())))
    if review:
        from ecd import paths
        from ecd.book._review import write_review_site

        site = paths.runs_dir() / res.run_id / "site"
        if (site / "chapters.json").exists():  # assembled (a failed optional chapter shows its fallback)
            out = write_review_site(site)
            print(f"review copy: {out}/index.html (审阅: {out}/review.html)")
    return res.exit_code


def status_cli(args) -> int:
    rows = status()
    for r in rows:
        line = f"{r['state']:<6} {r['id']}"
        if args.why and r["why"]:
            line += "  (changed: " + ", ".join(r["why"]) + ")"
        print(line)
    return 0


def diff_cli(args) -> int:
    import json
    from pathlib import Path

    from ecd import paths
    from ecd.book._diff import diff_html, diff_sites
    from ecd.errors import ConfigError

    def resolve(x):
        p = Path(x)
        for cand in (p, paths.build_dir() / x, *paths.releases_dir().glob(f"*/{x}")):
            if cand.is_dir():
                return cand
        raise ConfigError(f"release {x!r} not found (give a folder or a run id under build/releases)")

    a, b = resolve(args.old), resolve(args.new)
    d = diff_sites(a, b)
    out = Path(args.output) if args.output else paths.build_dir() / f"diff-{a.name}-{b.name}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "diff.json").write_text(json.dumps(d, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "diff.html").write_text("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>版本差异</title></head><body>"
                                   + diff_html(d) + "</body></html>", encoding="utf-8")
    print(f"{len(d['numbers'])} number(s), {len(d['table_cells'])} table cell(s), {len(d['figures_changed'])} figure(s) changed; "
          f"written to {out}")
    return 0


def docx_cli(args) -> int:
    """``ecd docx``: the Word manuscript of the current edition (``build/current``), without building."""
    from pathlib import Path

    from ecd import paths
    from ecd.book._docx import cached_notebooks, write_docx
    from ecd.book._manifest import load_manifest
    from ecd.book._publish import current_release
    from ecd.errors import ConfigError

    site = current_release()
    if site is None:
        raise ConfigError("no current edition: run `ecd build` first (or `ecd build --docx`)")
    m = load_manifest()
    out = Path(args.output) if args.output else paths.build_dir() / "docx"
    write_docx(site, m, notebooks=cached_notebooks(m), out=out, log=print)
    return 0
