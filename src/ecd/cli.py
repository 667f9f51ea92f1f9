"""The ``ecd`` command line.

Exit codes: 0 ok, 2 usage/config/data error, 10 published with fallbacks,
20 nothing published (see ``ecd.book``).
"""
from __future__ import annotations

import argparse
import sys

from ecd.errors import BuildDirError, BuildError, ConfigError, DataError, EcdError, LockError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FALLBACKS = 10
EXIT_NOTHING = 20


def _cmd_data_build(args: argparse.Namespace) -> int:
    from ecd import data

    summary = data.build()
    print(summary)
    return EXIT_OK


def _conflict_table(c) -> str:
    """The differing overlaps as an aligned text table (the row load() returns is marked *)."""
    from ecd._cli_research import aligned

    if c.empty:
        return "No overlapping rows differ."
    shown = c.assign(year=c["year"].astype(int).astype(str), value=c["value"].map("{:g}".format),
                     chosen=c["chosen"].map({True: "*", False: ""}),
                     resolved=c["resolved"].map({True: "prefer", False: "UNRESOLVED"}))
    cols = ["indicator", "geo", "area", "year", "source_id", "value", "publication", "chosen", "resolved"]
    head = ["indicator", "geo", "area", "year", "source", "value", "publication", "used", "by"]
    keys = c[["indicator", "geo", "area", "year"]].drop_duplicates()
    return (f"{len(keys)} key(s) that sources give with different values ({len(c)} rows; * = the row load() "
            f"returns, by the catalog's `prefer`):\n" + aligned([head] + shown[cols].astype(str).values.tolist()))


def _cmd_data_check(args: argparse.Namespace) -> int:
    from ecd import data

    summary = data.check()
    print(summary)
    print(_conflict_table(summary.conflicts))
    if summary.damaged:
        print(f"ecd: error: {', '.join(summary.damaged)} no longer match(es) the sha256 recorded in "
              f"data/processed/manifest.json (damaged after the warehouse was built); `ecd data build` rebuilds it "
              f"from data/raw (load() and ecd build do so by themselves)", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _cmd_data_conflicts(args: argparse.Namespace) -> int:
    from ecd import data

    print(_conflict_table(data.conflicts(args.indicator or None)))
    return EXIT_OK


def _cmd_data_add(args: argparse.Namespace) -> int:
    from ecd.data._add import add

    fields = {k: getattr(args, k) for k in ("producer", "citation", "url", "licence", "trust", "title",
                                             "date_accessed", "year_kind")}
    ask = input if sys.stdin is not None and sys.stdin.isatty() else None
    result = add(args.file, args.source, fmt=args.format, mapping=args.mapping, fields=fields,
                 encoding=args.encoding, ask=ask, publication=args.publication, publications=args.publications,
                 prefer=args.prefer)
    print(result)
    return EXIT_OK


def _cmd_new_chapter(args: argparse.Namespace) -> int:
    from ecd.scaffold import new_chapter

    result = new_chapter(args.name, title=args.title, foreach=args.foreach, indicator=args.indicator,
                         geos=args.geo or ["CN"])
    print(result)
    return EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    from ecd import book

    return book.build_cli(args)


def _cmd_status(args: argparse.Namespace) -> int:
    from ecd import book

    return book.status_cli(args)


def _cmd_docx(args: argparse.Namespace) -> int:
    from ecd import book

    return book.docx_cli(args)


def _cmd_diff(args: argparse.Namespace) -> int:
    from ecd import book

    return book.diff_cli(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecd", description="0–3 ECD blue book workbench")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="raw data and the warehouse")
    dsub = d.add_subparsers(dest="data_command", required=True)
    dsub.add_parser("build", help="validate every raw file and rebuild the warehouse").set_defaults(
        func=_cmd_data_build
    )
    dsub.add_parser("check", help="validate every raw file without writing").set_defaults(
        func=_cmd_data_check
    )
    cf = dsub.add_parser("conflicts", help="keys that two sources give with different values, and which one load() uses")
    cf.add_argument("indicator", nargs="*", help="only these indicator codes")
    cf.set_defaults(func=_cmd_data_conflicts)
    a = dsub.add_parser("add", help="bring a new file into data/raw/<source>/ with its .meta.yaml, validated")
    a.add_argument("file", help="the new raw file (CSV or XLSX)")
    a.add_argument("--source", required=True, help="source id: the folder under data/raw")
    a.add_argument("--mapping", default=None, help="YAML saying how to read the file (yearbook tables, code maps)")
    a.add_argument("--format", default=None, help="reader: tidy_csv, wdi_csv, sdmx_csv, who_gho, yearbook_wide "
                                                  "(guessed when omitted)")
    a.add_argument("--encoding", default=None, help="text encoding (detected: utf-8, else gbk)")
    for f, what in (("producer", "who issued the data (e.g. 国家统计局)"),
                    ("citation", "how the source is cited in the sidecar (the book cites --publication)"),
                    ("url", "where the file was retrieved (page, repository@commit); never printed in chapters"),
                    ("licence", "terms of use of the file"),
                    ("trust", "high, medium or low (why goes in the sidecar's trust_notes)"),
                    ("title", "a short title of the file")):
        a.add_argument(f"--{f}", default=None, help=f"{what}; asked for when omitted at a terminal")
    a.add_argument("--date-accessed", dest="date_accessed", default=None, help="default: today")
    a.add_argument("--year-kind", dest="year_kind", choices=["observation", "target"], default=None,
                   help="target: policy-target years may lie in the future")
    a.add_argument("--publication", default=None, metavar="KEY",
                   help="publication key of every row (defined in --publications or in another sidecar)")
    a.add_argument("--publications", default=None, metavar="YAML",
                   help="publications (key -> type, author, title, year …) and optionally retrievals, "
                        "row_publications, written into the sidecar")
    a.add_argument("--prefer", action="store_true",
                   help="a new vintage: load() returns this source's rows where sources give the same key "
                        "(writes $ECD_HOME/catalog/prefer-<source>.yaml)")
    a.set_defaults(func=_cmd_data_add)

    n = sub.add_parser("new", help="start something new from a template")
    nsub = n.add_subparsers(dest="new_command", required=True)
    c = nsub.add_parser("chapter", help="scaffold a chapter notebook, prose and manifest entry")
    c.add_argument("name", help="chapter id (lower-case letters, digits, - and _)")
    c.add_argument("--foreach", choices=["provinces"], default=None, help="one section per province")
    c.add_argument("--title", default=None, help="the chapter's Chinese title (default: the indicator's name)")
    c.add_argument("--indicator", default="imr", help="indicator code the figure stub plots (default imr)")
    c.add_argument("--geo", action="append", default=[], help="geo code for the figure (repeatable; default CN)")
    c.set_defaults(func=_cmd_new_chapter)

    for name in ("build", "run"):
        if name == "build":
            b = sub.add_parser(name, help="execute and render the book, then publish it to build/current",
                               description="Execute the chapters' notebooks (cached ones are reused), render the "
                                           "pages and the PDF, and publish them as a release in build/current. "
                                           "Exit 0 published, 2 usage/config/data error, 10 published with "
                                           "fallbacks, 20 nothing published.")
            b.add_argument("--publish", action="store_true",
                           help="promote to build/current when every required chapter succeeded (the default)")
            b.add_argument("--no-publish", action="store_true",
                           help="leave the run staged in build/runs/<id>/ only (exit 0, or 20 if a chapter failed)")
            b.add_argument("--no-pdf", action="store_true", help="skip the PDF")
        else:
            b = sub.add_parser(name, help="execute the notebooks only (no pages, nothing published)",
                               description="Execute the chapters' notebooks into build/runs/<id>/notebooks "
                                           "(cached ones are reused) without rendering or publishing anything. "
                                           "Exit 0 when every notebook ran, 2 usage/config/data error, 20 when "
                                           "one failed.")
        b.add_argument("--executor", choices=["local", "dask"], default="local",
                       help="local worker processes (default) or a Dask cluster")
        b.add_argument("--scheduler", default=None, help="Dask scheduler address (with --executor dask)")
        b.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at once (default 1)")
        b.add_argument("--only", action="append", default=[], metavar="CHAPTER",
                       help="only this chapter id (repeatable); chapters whose numbers it cites run too")
        b.add_argument("--force", action="store_true", help="ignore the cache")
        b.add_argument("--keep-going", action="store_true",
                       help="run the other notebooks when one fails (default: stop starting new ones)")
        b.add_argument("--timeout", type=_seconds, default=None, help="seconds per notebook (a positive whole number)")
        b.add_argument("--param", action="append", default=[], metavar="CHAPTER.NAME=VALUE",
                       help="override a notebook parameter of one chapter (repeatable), e.g. services.year=2023")
        b.add_argument("--wait", action="store_true", help="wait for a running build instead of refusing")
        b.add_argument("--profile", action="store_true",
                       help="print where the time went (kernel starts, execution, render, PDF)")
        if name == "build":
            b.add_argument("--docx", action="store_true",
                           help="also write the Word manuscript: book.docx and docx/<chapter>.docx in the release")
            b.add_argument("--review", action="store_true",
                           help="the board's working copy in build/review/: 审阅 banners and reviewers' margin notes "
                                "(nothing published, no PDF)")
        b.set_defaults(func=_cmd_build, render=(name == "build"))
        if name == "run":
            b.set_defaults(no_publish=True, publish=False, no_pdf=True)

    df = sub.add_parser("diff", help="what changed between two releases")
    df.add_argument("old", help="release folder or run id")
    df.add_argument("new", help="release folder or run id")
    df.add_argument("-o", "--output", default=None, help="folder for diff.html and diff.json")
    df.set_defaults(func=_cmd_diff)

    s = sub.add_parser("status", help="fresh/stale per target")
    s.add_argument("--why", action="store_true", help="name the inputs that changed for each stale chapter")
    s.set_defaults(func=_cmd_status)

    w = sub.add_parser("docx", help="the Word manuscript of build/current (book.docx + one DOCX per chapter)")
    w.add_argument("-o", "--output", default=None, help="folder (default build/docx)")
    w.set_defaults(func=_cmd_docx)

    from ecd._cli_research import add_parsers as _research_parsers
    from ecd.book._preview import add_parser as _preview_parser
    from ecd.book._review import add_parser as _review_parser

    _review_parser(sub)
    _preview_parser(sub)
    _research_parsers(sub, dsub)
    return p


def _seconds(text: str) -> int:
    """A positive whole number of seconds (argparse type): 0 or -5 would stop every notebook at once."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds; leave --timeout out for "
                                         f"each chapter's own timeout")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors already
        return int(e.code or 0)
    try:
        return int(args.func(args) or 0)
    except LockError as e:
        print(f"ecd: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BuildDirError as e:
        print(f"ecd: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, DataError) as e:
        print(f"ecd: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BuildError as e:
        print(f"ecd: build failed: {e}", file=sys.stderr)
        return EXIT_NOTHING
    except EcdError as e:
        print(f"ecd: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        from ecd._io import describe, is_storage_error

        if not is_storage_error(e):
            raise
        # e.g. `ecd data build` on a full or read-only disk: the previous warehouse is untouched
        print(f"ecd: error: {describe(e)}. Nothing was changed.", file=sys.stderr)
        return EXIT_NOTHING


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
