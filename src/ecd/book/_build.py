"""The build: plan (cache keys), execute (papermill), render (nbconvert), assemble, publish."""
from __future__ import annotations

import datetime as _dt
import html
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

import ecd
from ecd import paths
from ecd._io import describe, is_storage_error
from ecd.book import _cache, _render
from ecd.book._manifest import Chapter, Manifest, load_manifest
from ecd.book._publish import BuildLock, atomic_write, current_release, new_run_id, previous_release, promote
from ecd.errors import BuildDirError, BuildError, ConfigError, ParameterError, RunError

EXIT_OK, EXIT_USAGE, EXIT_FALLBACKS, EXIT_NOTHING = 0, 2, 10, 20
TEMPLATES = Path(__file__).parent / "templates"


# ----------------------------------------------------------------------------- planning
def _input_hashes(m: Manifest, c: Chapter, step_keys: dict) -> dict:
    home = paths.home()
    out = {}
    for u in c.uses:
        out[u] = step_keys[u] if u in step_keys else _cache.hash_path(home / u)
    return out


def exec_parts(m: Manifest, c: Chapter, step_keys: dict) -> dict:
    """The named parts of a chapter's execution key."""
    return {
        "code": _cache.code_hash(paths.home() / c.notebook),
        "params": _cache.params_hash(c.params),
        "inputs": _cache.combine(_input_hashes(m, c, step_keys)),
        "src": _cache.src_hash(),
        "env": _cache.env_hash(),
        "epoch": str(_cache.EPOCH),
    }


def data_step_keys(m: Manifest) -> dict:
    home = paths.home()
    return {d.id: _cache.combine({u: _cache.hash_path(home / u) for u in d.uses} or {"raw": _cache.hash_path(paths.raw_dir())})
            for d in m.data_steps}


def _state_path(cid: str) -> Path:
    return paths.cache_dir() / "state" / f"{cid}.json"


def _exec_store(key: str) -> Path:
    return paths.cache_dir() / "exec" / key


def prose_references(m: Manifest) -> dict:
    """Chapters whose glued numbers each chapter's prose cites: ``{group: {chapter id: [(file:line, name), ...]}}``.

    ``{{chapter-id:name}}`` must name a chapter of the manifest (a foreach section by its
    id, e.g. ``province--cn-bj``); otherwise a ConfigError names the prose file and line.
    """
    ids = {c.id for c in m.chapters}
    out: dict = {}
    problems: list[str] = []  # every wrong reference of every prose file, reported together
    for g in m.groups:
        group = [c for c in m.chapters if c.group == g]
        for prose in sorted({c.prose for c in group if c.prose}):  # a foreach intro has its own prose
            own = {c.id for c in group if c.prose == prose}
            for line, chapter, name in _render.references((paths.home() / prose).read_text(encoding="utf-8")):
                if chapter not in ids:
                    problems.append(f"{prose}:{line}: {{{{{chapter}:{name}}}}} names no chapter of chapters/book.yml "
                                    f"(chapter ids: {sorted(ids)})")
                elif chapter in own:
                    problems.append(f"{prose}:{line}: {{{{{chapter}:{name}}}}} cites the chapter itself; "
                                    f"write {{{{{name}}}}}")
                else:
                    out.setdefault(g, {}).setdefault(chapter, []).append((f"{prose}:{line}", name))
    problems = list(dict.fromkeys(problems))  # a prose file shared by several chapters says each once
    if len(problems) > 1:
        raise ConfigError(f"{len(problems)} problems in the prose:\n" + "\n".join(problems))
    if problems:
        raise ConfigError(problems[0])
    return out


def _cited_groups(m: Manifest, groups: set, refs: dict) -> set:
    """The chapter groups whose numbers ``groups`` cite, directly or through other chapters."""
    group_of = {c.id: c.group for c in m.chapters}
    todo, seen = list(groups), set()
    while todo:
        g = todo.pop()
        for cid in refs.get(g, {}):
            cg = group_of[cid]
            if cg not in groups and cg not in seen:
                seen.add(cg)
                todo.append(cg)
    return seen


# ----------------------------------------------------------------------------- status
@dataclass
class ChapterState:
    id: str
    group: str
    state: str = "pending"  # ok | cached | failed | timeout | skipped | not-run
    seconds: float = 0.0
    cache_hit: bool = False
    error: str | None = None
    notebook: str | None = None
    kernels: int = 0  # kernels started for this notebook (0: it ran in a warm kernel, or came from the cache)
    kernel_seconds: float | None = None  # starting its kernel (and papermill's setup before the first cell)
    exec_seconds: float | None = None  # executing its cells


@dataclass
class BuildResult:
    run_id: str
    exit_code: int
    published: bool
    release: str | None
    chapters: list = field(default_factory=list)
    fallbacks: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # wall seconds per phase (ecd build --profile)
    rendered: list = field(default_factory=list)  # chapters rendered this run (the others' pages from the cache)
    not_built: list = field(default_factory=list)  # chapters left out: never built, not selected by --only


def _sanitize(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace(str(paths.home()), "<ECD_HOME>")


# ----------------------------------------------------------------------------- rendering
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              keep_trailing_newline=True)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(paths.home()), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _render_key(m: Manifest, group: list[Chapter], keys: dict) -> str:
    parts = {c.id: keys[c.id] for c in group}  # an execution key determines the executed notebook
    c0 = group[0]
    proses = sorted({c.prose for c in group if c.prose})  # a foreach chapter's intro has its own prose
    prose = "".join((paths.home() / p).read_text(encoding="utf-8") for p in proses)
    parts["cited"] = {cid: keys.get(cid, "not built") for _, cid, _ in _render.references(prose)}
    parts.update({"templates": _cache.hash_path(TEMPLATES), "prose": _cache.sha256_text(prose),
                  "number": c0.number, "title": c0.title, "book": json.dumps(m.book, sort_keys=True, ensure_ascii=False),
                  "renderer": _cache.combine({n: _cache.hash_path(Path(__file__).parent / n)
                                              for n in ("_render.py", "_bib.py", "_sources.py")}),
                  "bib": _cache.hash_path(paths.chapters_dir() / "references.bib") if (paths.chapters_dir() / "references.bib").exists() else ""})
    return _cache.combine(parts)


def _external_glue(m: Manifest, prose: str, executed: dict, prev: Path | None) -> dict:
    """The glued numbers of the chapters a prose cites, from this build (or, for a chapter that failed
    and falls back, from the previous release, as its page does)."""
    from ecd.book._render import collect

    out = {}
    for cid in sorted({c for _, c, _ in _render.references(prose)}):
        c = m.chapter(cid)
        label = f"第{c.number}章 {c.title}" + (f"（{c.section_title}）" if c.section else "")
        if cid in executed:
            import nbformat

            glue = collect(nbformat.read(executed[cid], as_version=4)).glue
        else:
            old = _read_json(prev / "numbers.json") if prev else {}
            glue = {k.split(":", 1)[1]: {**v, "name": k.split(":", 1)[1]} for k, v in old.items()
                    if k.split(":", 1)[0] == cid}
            if not glue:
                continue  # check_placeholders names the file, line and chapter
        out[cid] = {"glue": glue, "label": label}
    return out


def render_group(m: Manifest, group: list[Chapter], executed: dict, bib: dict | None, prev: Path | None = None) -> dict:
    """Render one manifest chapter (all its foreach sections) to an HTML body and its records."""
    c0 = group[0]
    prose_of = {p: (paths.home() / p).read_text(encoding="utf-8") for p in {c.prose for c in group if c.prose}}
    external = _external_glue(m, "\n".join(prose_of.values()), executed, prev)
    counters = {"figure": 0, "table": 0}
    cites = {"entries": bib or {}, "order": [], "pubs": {}}
    parts, numbers, tables, figures = [], {}, {}, {}
    shared_refs: dict = {}
    for c in group:
        import nbformat  # heavy (jsonschema): only when something is rendered

        nb = nbformat.read(executed[c.id], as_version=4)
        outs = _render.collect(nb)
        suffix = f"--{c.id.split('--', 1)[1]}" if c.section else ""
        nums = _render.number_items(outs.items, c.number, counters)
        anchors = {it["label"]: it["label"] + suffix for it in outs.items}
        refs = {**shared_refs, **{label: (nums[label], anchors[label]) for label in nums}}
        if not c.section:
            shared_refs.update(refs)  # the sections may point at the chapter intro's figures and tables
        where = f"chapter {c.id} ({c.prose or 'no prose'})"
        composed = _render.compose(prose_of.get(c.prose, ""), outs, refs, anchors, where, cites, external,
                                   c.prose or where)
        for i, cell in enumerate(composed.cells):
            cell["id"] = f"c{i}"
        body = _render.to_html(composed)
        if c.section:  # the sections share one page: their cell and heading ids get the section's suffix
            body = (f'<section class="foreach-section" id="sec{html.escape(suffix)}">'
                    f'<h2>{html.escape(c.section_title or c.section)}</h2>{_render.suffix_ids(body, suffix)}</section>')
        parts.append(body)
        for name, g in outs.glue.items():
            numbers[f"{c.id}:{name}"] = {k: g.get(k) for k in ("value", "text", "origin", "unit", "quantity", "sources")}
        for it in outs.items:
            key = f"{c.id}:{it['label']}"
            if it["kind"] == "table":
                tables[key] = {"caption": it["caption"], "source": it["source"], "cells": it.get("cells")}
            else:
                figures[key] = {"caption": it["caption"], "source": it["source"], "sha256": _cache.sha256_text(it["png"]),
                                "overlaps": it.get("overlaps", [])}
    # the chapter's 参考文献: every publication of the rows its figures, tables and numbers drew, and every
    # [@key] of its prose, each once (glued numbers cite on hover, so no list of numbers with names)
    notes = _render.reference_list(cites)
    title = f'<h1 class="chapter-title">第{c0.number}章 {html.escape(c0.title)}</h1>'
    return {"body": title + "".join(parts) + notes, "numbers": numbers, "tables": tables, "figures": figures}


def _footer(m: Manifest, group: list[Chapter] | None, run_id: str, input_hashes: dict) -> str:
    bits = [f"ecd {html.escape(ecd.__version__)}", f"git {html.escape(_git_commit())}", f"运行 {html.escape(run_id)}"]
    if group:
        params = json.dumps(group[0].params if len(group) == 1 else {k: v for k, v in group[0].params.items()
                                                                      if all(c.params.get(k) == v for c in group)},
                            ensure_ascii=False, sort_keys=True)
        bits.append(f"参数 <code>{html.escape(params)}</code>")
        if input_hashes:
            bits.append("数据 " + "，".join(f"<code>{html.escape(k)}</code> sha256:{v[:12]}" for k, v in sorted(input_hashes.items())))
    return "可复现信息：" + " · ".join(bits)


_LEAD = re.compile(r"<(p|li)\b[^>]*>(.*?)</\1>", re.S)
_TAGS = re.compile(r"<[^>]+>")


def lead_text(body: str, limit: int = 120) -> str:
    """The first finding or first paragraph of a page body, as plain text for a link preview.

    The first list item or paragraph with some substance (a key finding when the chapter opens with
    them); cut at the last full stop within ``limit`` characters, else at ``limit`` with an ellipsis.

    Examples
    --------
    >>> lead_text('<h1>标题</h1><ol><li><strong>儿童死亡率。</strong> 从 <span>61.0</span>‰ 降至 5.6‰。</li></ol>')
    '儿童死亡率。 从 61.0‰ 降至 5.6‰。'
    >>> lead_text("<p>" + "很长的句子" * 40 + "</p>", limit=12)
    '很长的句子很长的句子很…'
    """
    for m in _LEAD.finditer(body):
        text = " ".join(html.unescape(_TAGS.sub("", m.group(2))).split())
        if len(text) < 8:
            continue
        if len(text) <= limit:
            return text
        cut = text.rfind("。", 0, limit)
        return text[:cut + 1] if cut >= limit // 2 else text[:limit - 1] + "…"
    return ""


def write_page(site: Path, name: str, m: Manifest, toc: list, current: str | None, page_title: str, body: str,
               footer: str, has_pdf: bool, description: str | None = None, share_title: str | None = None) -> None:
    """Write one web page; its title, description and Open Graph tags name the chapter and its first finding."""
    tpl = _env().get_template("page.html.j2")
    text = tpl.render(book=m.book, toc=toc, current=current, page_title=page_title, body=body, footer=footer,
                      has_pdf=has_pdf, description=description if description is not None else lead_text(body),
                      share_title=share_title or page_title)
    (site / name).write_text(text, encoding="utf-8")


def _chapter_title(c: Chapter) -> str:
    return f"第{c.number}章 {c.title}"


# ----------------------------------------------------------------------------- build
def build(*, jobs: int = 1, only=(), force: bool = False, keep_going: bool = False, timeout: int | None = None,
          overrides: dict | None = None, publish: bool = True, render: bool = True, wait: bool = False,
          executor: str = "local", scheduler: str | None = None, pdf: bool | None = None, docx: bool = False,
          log=None) -> BuildResult:
    """Build the book; see the module docstring and README for the exit codes."""
    tty = log is None  # our own messages on stderr: a progress bar when it is a terminal
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    _cache.reset()
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        raise ParameterError("timeout", f"{timeout!r} is not a positive whole number of seconds; pass None for "
                                        f"each chapter's own timeout.")
    m = load_manifest(overrides=overrides)
    for o in only:
        if o not in m.groups:
            raise ConfigError(f"--only {o}: no chapter of that id; known: {m.groups}")
    refs = prose_references(m)
    run_id = new_run_id()
    _check_build_dir()
    try:
        lock = BuildLock(run_id, wait=wait, log=log).__enter__()
    except OSError as e:
        if not is_storage_error(e):
            raise
        raise BuildDirError(f"build/ cannot be used: {describe(e)}. Nothing was built; build/current is "
                            f"unchanged.") from None
    try:
        return _build_locked(m, run_id, jobs=jobs, only=set(only), refs=refs, force=force, keep_going=keep_going,
                             timeout=timeout, publish=publish, render=render, executor=executor,
                             scheduler=scheduler, pdf=pdf, docx=docx, log=log, tty=tty)
    except OSError as e:
        if not is_storage_error(e):
            raise
        raise _run_failed(run_id, e, log) from None
    finally:
        lock.__exit__(None, None, None)


def _warehouse_whole() -> bool:
    """True when every file of the warehouse matches the sha256 its manifest records.

    A quick check that needs neither pandas nor ``ecd.data`` (a no-op build stays fast); anything
    else — a mismatch, a missing or unreadable manifest — goes to ``ecd.data._warehouse.heal``,
    which decides and rebuilds.
    """
    folder = paths.processed_dir()
    try:
        recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["content_sha256"]
        present = {p.name for p in folder.iterdir() if p.suffix in (".parquet", ".duckdb")}
        return bool(recorded) and present <= set(recorded) and all(
            _cache.sha256_bytes((folder / name).read_bytes()) == digest for name, digest in recorded.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _check_build_dir() -> None:
    """Refuse, before anything starts, a build/ that cannot be written (read-only, no permission, full)."""
    import os
    import tempfile

    where = paths.build_dir()
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=where)
        try:
            os.write(fd, b"ecd build probe\n" * 64)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        if not is_storage_error(e):
            raise
        raise BuildDirError(f"build/ cannot be used: {describe(OSError(e.errno, e.strerror, str(where)))}. Nothing "
                            f"was built; build/current is unchanged.") from None


def _run_failed(run_id: str, exc: OSError, log) -> RunError:
    """Clean up a run that a storage error stopped (nothing half published) and name what happened."""
    run_dir = paths.runs_dir() / run_id
    shutil.rmtree(run_dir, ignore_errors=True)  # its staging is of no use, and the space may be needed
    for partial in paths.releases_dir().glob(f"*/.{run_id}.partial"):
        shutil.rmtree(partial, ignore_errors=True)
    prev = current_release()
    shown = f"build/current still shows {prev.name}" if prev else "there is no published edition yet"
    msg = (f"run {run_id} failed: {describe(exc, str(paths.build_dir()))}. Nothing was published ({shown}); the "
           f"run's staging folder build/runs/{run_id} was removed.")
    try:  # say so on the status page too, if there is room for it
        status = {"run_id": run_id, "exit_code": EXIT_NOTHING, "published": False, "release": None,
                  "fallbacks": [], "required_failed": [], "chapters": [], "messages": [msg]}
        atomic_write(paths.build_dir() / "status.json", json.dumps(status, ensure_ascii=False, indent=1))
    except OSError:
        pass
    return RunError(msg)


def _build_locked(m: Manifest, run_id: str, *, jobs, only, refs, force, keep_going, timeout, publish, render, executor,
                  scheduler, pdf, log, docx=False, tty=False) -> BuildResult:
    t_start = time.monotonic()
    cited = _cited_groups(m, only, refs) if only else set()  # run too (unless cached): their numbers are cited
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    home = paths.home()
    run_dir = paths.runs_dir() / run_id
    for partial in paths.releases_dir().glob("*/.*.partial"):  # a killed build's half-copied release (we hold the lock)
        shutil.rmtree(partial, ignore_errors=True)
    (run_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    result = BuildResult(run_id=run_id, exit_code=EXIT_OK, published=False, release=None)
    clock = [t_start]

    def mark(phase: str) -> None:  # the wall time since the previous mark goes to ``phase`` (--profile)
        now = time.monotonic()
        result.timings[phase] = result.timings.get(phase, 0.0) + now - clock[0]
        clock[0] = now

    # 1. data steps (the warehouse) before any notebook reads it
    step_keys = data_step_keys(m)
    for d in m.data_steps:
        marker = paths.cache_dir() / "data" / f"{d.id}.key"
        known = marker.read_text(encoding="utf-8", errors="replace") if marker.exists() else None
        if force or known != step_keys[d.id] or not paths.warehouse_parquet().exists():
            from ecd import data

            log(f"data: building the warehouse ({d.id})")
            data.build()
            atomic_write(marker, step_keys[d.id])
        elif not _warehouse_whole():
            from ecd.data import _warehouse

            with _warehouse._build_lock():  # a warehouse file damaged since its build is rebuilt, and said
                _warehouse.heal(log=log)
    mark("data")

    # 2. plan: keys, cache hits, tasks
    states = {c.id: ChapterState(c.id, c.group) for c in m.chapters}
    executed: dict[str, Path] = {}
    keys, parts_of = {}, {}
    tasks = []
    for c in m.chapters:
        parts = exec_parts(m, c, step_keys)
        key = _cache.combine(parts)
        keys[c.id], parts_of[c.id] = key, parts
        out = run_dir / "notebooks" / f"{c.id}.ipynb"
        store = _exec_store(key) / "notebook.ipynb"
        selected = not only or c.group in only
        if (not force or not selected) and _cache.get(store, f"the executed notebook of {c.id}", log) is not None:
            executed[c.id] = store  # copied into the run folder below, unless nothing changed at all
            states[c.id].state, states[c.id].cache_hit = "cached", True
            continue
        if not selected and c.group not in cited:  # a chapter whose numbers a selected one cites runs too
            states[c.id].state = "skipped"
            continue
        tasks.append({"id": c.id, "group": c.group, "after": list(c.after), "notebook": str(home / c.notebook),
                      "output": str(out), "params": c.params, "cwd": str(home), "key": key,
                      "timeout": timeout or c.timeout, "env": {"ECD_HOME": str(home), "ECD_BUILD_RUN": run_id},
                      "fresh": c.own_kernel})  # the others share the build's warm kernels (ecd.book._execute)
    mark("plan")

    # 3. execute in dependency order
    total = len(tasks)
    done_groups = {c.group for c in m.chapters} - {t["group"] for t in tasks}
    waiting = list(tasks)
    failed_groups: set = set()
    stop = {"flag": False}
    from ecd.book._progress import Progress, notebook_times, previous_seconds

    progress = Progress([t["id"] for t in tasks], jobs, log, previous_seconds(paths.build_dir() / "status.json"),
                        tty=None if tty else False)

    def ready() -> list[dict]:
        if stop["flag"]:
            return []
        out = [t for t in waiting if all(a in done_groups for a in t["after"])]
        for t in out:
            waiting.remove(t)
        return out

    def on_done(r: dict) -> None:
        if r.get("io_errno"):  # the worker could not write (disk full, read-only): the run cannot go on
            stop["flag"] = True
            raise OSError(r["io_errno"], r["error"], r.get("io_path"))
        st = states[r["id"]]
        st.seconds = r["seconds"]
        st.notebook = f"runs/{run_id}/notebooks/{r['id']}.ipynb"
        st.kernels = r.get("kernels", 1)
        times = notebook_times(run_dir / "notebooks" / f"{r['id']}.ipynb")
        st.exec_seconds = times.get("execution")
        st.kernel_seconds = r["kernel_seconds"] if "kernel_seconds" in r else times.get("setup")
        group = next(c.group for c in m.chapters if c.id == r["id"])
        if r["ok"]:
            st.state = "ok"
            out = run_dir / "notebooks" / f"{r['id']}.ipynb"
            executed[r["id"]] = out
            _cache.put(_exec_store(keys[r["id"]]) / "notebook.ipynb", out.read_bytes())
            progress.done(r["id"], r["seconds"], f"ok      {r['id']} ({r['seconds']:.1f} s)")
        else:
            st.state = "timeout" if r["timed_out"] else "failed"
            st.error = _sanitize(r["error"])
            failed_groups.add(group)
            progress.done(r["id"], r["seconds"], f"FAILED  {r['id']}: {st.error}")
            if not keep_going:
                stop["flag"] = True
        if all(states[c.id].state in ("ok", "cached") for c in m.chapters if c.group == group):
            done_groups.add(group)

    first = ready()
    if first or waiting:
        log(f"executing {total} notebook(s) with {jobs} worker(s) ({executor}); {len(m.chapters) - total} from cache")
        if executor == "dask":
            from ecd.book._execute import run_dask

            run_dask(first, jobs, on_done, ready, scheduler=scheduler)
        else:
            from ecd.book._execute import run_local

            run_local(first, jobs, on_done, ready, on_start=progress.start)
    progress.close()
    mark("execute")
    for t in waiting:
        states[t["id"]].state = "not-run"
        states[t["id"]].error = "not run: an earlier chapter failed (use --keep-going to run the rest)" if stop["flag"] \
            else "not run: a chapter it depends on failed"

    # remember keys for `ecd status --why`
    for c in m.chapters:
        if c.id in executed:
            atomic_write(_state_path(c.id), json.dumps({"key": keys[c.id], "parts": parts_of[c.id]}, sort_keys=True))

    # 4. render and assemble — unless nothing at all changed since the current release
    prev = current_release()
    site_key = None
    if render and all(c.id in executed for c in m.chapters) and not force:
        site_key = _cache.combine({"render": [_render_key(m, [c for c in m.chapters if c.group == g], keys)
                                              for g in m.groups],
                                   "manifest": _cache.hash_path(m.path), "pdf": str(pdf),
                                   **({"docx": True} if docx else {})})
        if publish and prev is not None and (prev / "site.key").exists() and (prev / "site.key").read_text() == site_key:
            shutil.rmtree(run_dir, ignore_errors=True)
            result.published, result.release = False, str(prev.relative_to(paths.build_dir().resolve()))
            result.chapters = [states[c.id].__dict__ for c in m.chapters]
            result.messages.append("up to date: nothing changed since the current release")
            log(f"up to date: build/current ({prev.name}) already reflects every input; nothing to publish")
            status = {"run_id": run_id, "started": started, "seconds": round(time.monotonic() - t_start, 2),
                      "exit_code": EXIT_OK, "published": False, "up_to_date": True, "release": result.release,
                      "fallbacks": [], "required_failed": [], "chapters": result.chapters, "messages": result.messages}
            _write_status(run_dir, status, m)
            return result
    for cid, path in list(executed.items()):
        if path.parent != run_dir / "notebooks":
            out = run_dir / "notebooks" / f"{cid}.ipynb"
            _link_or_copy(path, out)
            executed[cid] = out
    site = run_dir / "site"
    site.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "style.css", site / "style.css")
    bib_path = paths.chapters_dir() / "references.bib"
    bib = None
    if bib_path.exists():
        from ecd.book._bib import read_bib

        bib = read_bib(bib_path)
    # chapters never built (not selected by --only, nothing cached, no earlier release to keep them from): the
    # site leaves them out and says so, rather than publishing a stub page for each
    not_built = [g for g in m.groups if all(states[c.id].state == "skipped" for c in m.chapters if c.group == g)
                 and not (prev and (prev / f"{g}.html").exists())] if render else []
    toc = [{"id": g, "number": next(c.number for c in m.chapters if c.group == g),
            "title": next(c.title for c in m.chapters if c.group == g),
            "href": None if g in not_built else f"{g}.html"} for g in m.groups]
    if not_built:
        result.not_built = not_built
        result.messages.append(f"not built: {', '.join(not_built)} — not selected by --only, not in the cache and "
                               "not in an earlier release; their pages are left out (`ecd build` builds every chapter)")
        log(result.messages[-1])
    records = {"numbers": {}, "tables": {}, "figures": {}, "chapters": {}}
    required_failed, fallbacks = [], []
    page_bodies: dict[str, str] = {}
    if render:
        for g in m.groups:
            group = [c for c in m.chapters if c.group == g]
            ok = all(c.id in executed for c in group)
            rec = None
            if ok:
                try:
                    rkey = _render_key(m, group, keys)
                    rstore = paths.cache_dir() / "render" / f"{rkey}.json"
                    cached = _cache.get(rstore, f"the rendered chapter {g}", log)
                    rec = _render_record(cached) if cached is not None else None
                    if cached is not None and rec is None:
                        _cache.discard(rstore)
                        log(f"cache: discarded the rendered chapter {g} (not a render record); recomputing it")
                    if rec is None:
                        rec = render_group(m, group, executed, bib, prev)
                        result.rendered.append(g)
                        if all(cid in executed for cid in refs.get(g, {})):  # not when citing a fallback's numbers
                            _cache.put(rstore, json.dumps(rec, ensure_ascii=False).encode("utf-8"))
                except (BuildError, ConfigError) as e:
                    ok = False
                    for c in group:
                        states[c.id].state, states[c.id].error = "failed", _sanitize(str(e))
                    log(f"render FAILED {g}: {e}")
            if ok:
                inputs = {}
                for c in group:
                    inputs.update(_input_hashes(m, c, step_keys))
                footer = _footer(m, group, run_id, inputs)
                page_bodies[g] = rec["body"]
                write_page(site, f"{g}.html", m, toc, g, _chapter_title(group[0]), rec["body"], footer, False)
                for k in ("numbers", "tables", "figures"):
                    records[k].update(rec[k])
                records["chapters"][g] = {"title": group[0].title, "number": group[0].number, "state": "ok"}
                continue
            skipped = all(states[c.id].state == "skipped" for c in group)
            if skipped:
                # not selected by --only and not in the cache: keep the last good page as it is
                old = (prev / f"{g}.html") if prev else None
                if old and old.exists():
                    shutil.copyfile(old, site / f"{g}.html")
                    records["chapters"][g] = {"title": group[0].title, "number": group[0].number, "state": "kept",
                                              "from": prev.name}
                    _keep_records(records, prev, g)
                else:
                    records["chapters"][g] = {"title": group[0].title, "number": group[0].number, "state": "not-built"}
                continue
            required = any(c.required for c in group)
            if required:
                required_failed.append(g)
                continue
            old = (prev / f"{g}.html") if prev else None
            if old and old.exists():
                text = old.read_text(encoding="utf-8")
                banner = ('<div class="banner-fallback" role="alert">本章在本次构建中未能更新（执行失败），'
                          f'以下为上一版本（{html.escape(prev.name)}）的内容。</div>')
                text = text.replace("<main>", "<main>\n" + banner, 1)
                (site / f"{g}.html").write_text(text, encoding="utf-8")
                fallbacks.append(g)
                records["chapters"][g] = {"title": group[0].title, "number": group[0].number, "state": "fallback",
                                          "from": prev.name}
                _keep_records(records, prev, g)
            else:
                fallbacks.append(g)
                records["chapters"][g] = {"title": group[0].title, "number": group[0].number, "state": "missing"}
                body = (f'<h1 class="chapter-title">第{group[0].number}章 {html.escape(group[0].title)}</h1>'
                        '<div class="banner-fallback" role="alert">本章执行失败，且没有可用的上一版本。</div>')
                write_page(site, f"{g}.html", m, toc, g, _chapter_title(group[0]), body, _footer(m, None, run_id, {}), False)
    mark("render")

    for s in states.values():
        if s.state in ("failed", "timeout", "not-run") and s.group not in required_failed and s.group not in fallbacks:
            if any(c.required for c in m.chapters if c.group == s.group):
                required_failed.append(s.group)
    result.fallbacks = fallbacks
    result.chapters = [states[c.id].__dict__ for c in m.chapters]

    if render and not required_failed:
        _write_json(site / "numbers.json", records["numbers"])
        _write_json(site / "tables.json", records["tables"])
        _write_json(site / "figures.json", records["figures"])
        _write_json(site / "chapters.json", records["chapters"])
        if site_key and not fallbacks:
            (site / "site.key").write_text(site_key)
        from ecd.book._diff import write_changes

        base = previous_release()
        write_changes(site, base, m, toc, run_id)
        mark("assemble")
        want_pdf = pdf if pdf is not None else True
        if want_pdf:
            from ecd.book._pdf import write_pdf

            msg = write_pdf(site, m, toc, page_bodies, log)
            if msg:
                result.messages.append(msg)
            mark("pdf")
        if docx:
            from ecd.book._docx import write_docx

            write_docx(site, m, notebooks=list(executed.values()), log=log)
            mark("docx")
        _write_index(site, m, toc, run_id, records)  # after the PDF, so it can link to it

    # 5. publish
    if required_failed:
        result.exit_code = EXIT_NOTHING
        log(f"nothing published: required chapter(s) failed: {', '.join(sorted(set(required_failed)))}; "
            f"build/current still shows the last good edition")
    elif render and publish:
        release = promote(site, m.book["edition"], run_id)
        result.published, result.release = True, str(release.relative_to(paths.build_dir()))
        result.exit_code = EXIT_FALLBACKS if fallbacks else EXIT_OK
        log(f"published {result.release}" + (f" with fallbacks: {', '.join(fallbacks)}" if fallbacks else ""))
    elif fallbacks:  # --no-publish, ecd run: nothing is published, so never 10; a failed chapter fails the run
        result.exit_code = EXIT_NOTHING
        log(f"chapter(s) failed: {', '.join(fallbacks)}; the run is staged in build/runs/{run_id} (not published)")
    elif not render and any(st.state in ("failed", "timeout", "not-run") for st in states.values()):
        result.exit_code = EXIT_NOTHING
    seconds = round(time.monotonic() - t_start, 2)
    status = {"run_id": run_id, "started": started, "seconds": seconds, "exit_code": result.exit_code,
              "published": result.published, "release": result.release, "fallbacks": fallbacks,
              "required_failed": sorted(set(required_failed)), "chapters": result.chapters,
              "rendered": result.rendered, "not_built": result.not_built, "messages": result.messages}
    try:
        _write_status(run_dir, status, m)
    except OSError as e:
        if not (result.published and is_storage_error(e)):
            raise
        # the release is out and complete; only its status page could not be written
        result.messages.append(f"published, but the status page could not be written: {describe(e)}")
        log(result.messages[-1])
    mark("publish")
    return result


def _link_or_copy(src: Path, dst: Path) -> None:
    """A cached executed notebook into the run folder: a hard link where possible (the store replaces an
    entry by renaming a new file over it, never by writing into it, so the run's link keeps its bytes)."""
    import os

    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _keep_records(records: dict, prev: Path, g: str) -> None:
    """A page kept from the previous release keeps its numbers, tables and figures in the records too
    (the edition diff and the chapter review would otherwise see them removed)."""
    for k in ("numbers", "tables", "figures"):
        for key, v in _read_json(prev / f"{k}.json").items():
            if key.split(":", 1)[0].split("--")[0] == g:
                records[k][key] = v


def _render_record(data: bytes) -> dict | None:
    """A stored render record, or ``None`` when the bytes are not one (a digest only proves they are unchanged)."""
    try:
        rec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(rec, dict) or not {"body", "numbers", "tables", "figures"} <= set(rec):
        return None
    return rec


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


def _write_index(site: Path, m: Manifest, toc: list, run_id: str, records: dict) -> None:
    rows = "".join(
        (f'<li><a href="{html.escape(t["href"])}">第{t["number"]}章 {html.escape(t["title"])}</a>' if t["href"] else
         f'<li>第{t["number"]}章 {html.escape(t["title"])} <span class="status-failed">（尚未生成）</span>')
        + (' <span class="status-fallback">（沿用上一版本）</span>' if records["chapters"].get(t["id"], {}).get("state") == "fallback" else "")
        + (' <span class="status-failed">（本次未能生成）</span>' if records["chapters"].get(t["id"], {}).get("state") == "missing" else "")
        + "</li>" for t in toc)
    sub = f"<p class=\"subtitle\">{html.escape(m.book.get('subtitle', ''))}</p>" if m.book.get("subtitle") else ""
    body = (f'<h1 class="chapter-title">{html.escape(m.book["title"])}</h1>{sub}'
            f'<p>{html.escape(m.book["edition"])} 年版{" · " + html.escape(m.book["publisher"]) if m.book.get("publisher") else ""}</p>'
            f'<h2>目录</h2><ul class="index-toc">{rows}</ul>'
            '<p><a href="changes.html">与上一版本相比的变化</a></p>'
            + ('<p><a href="book.docx">Word 书稿（book.docx）</a></p>' if (site / "book.docx").exists() else ""))
    write_page(site, "index.html", m, toc, None, "目录", body, _footer(m, None, run_id, {}), (site / "book.pdf").exists(),
               description=m.book.get("subtitle", ""), share_title=f"{m.book['title']}（{m.book['edition']} 年版）")


# the status page stands alone (it is also written outside the site): a few rules of its own, phone-safe
_STATUS_CSS = ("body{font-family:sans-serif;margin:1em;line-height:1.5}h1{font-size:1.3em;overflow-wrap:anywhere}"
               ".scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.9em}"
               "td{vertical-align:top}.status-ok{color:#1e8449}.status-failed{color:#c0392b}")


def _review_section(run_dir: Path, m: Manifest) -> str:
    """Which chapters the board approved, and what changed since (when this run rendered a site)."""
    site = run_dir / "site"
    if not (site / "chapters.json").exists():
        return ""
    from ecd.book._review import status_section

    return status_section(site, m)


def _write_status(run_dir: Path, status: dict, m: Manifest) -> None:
    text = json.dumps(status, ensure_ascii=False, indent=1)
    if status.get("up_to_date"):
        atomic_write(paths.build_dir() / "status.json", text)
        return
    atomic_write(run_dir / "status.json", text)
    atomic_write(paths.build_dir() / "status.json", text)
    rows = []
    for c in status["chapters"]:
        cls = {"ok": "status-ok", "cached": "status-ok", "failed": "status-failed", "timeout": "status-failed",
               "not-run": "status-failed"}.get(c["state"], "")
        link = f'<a href="{html.escape(c["notebook"])}">notebook</a>' if c.get("notebook") and c["state"] in ("failed", "timeout") else ""
        rows.append(f'<tr><td>{html.escape(c["id"])}</td><td class="{cls}">{html.escape(c["state"])}</td>'
                    f'<td>{c["seconds"]:.1f}</td><td>{"yes" if c["cache_hit"] else "no"}</td>'
                    f'<td>{html.escape(c.get("error") or "")}</td><td>{link}</td></tr>')
    page = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>构建状态</title>"
            f"<style>{_STATUS_CSS}</style></head><body>"
            f"<h1>构建状态 {html.escape(status['run_id'])}</h1>"
            f"<p>exit {status['exit_code']} · published: {status['published']} · release: {html.escape(str(status['release']))} · "
            f"{status['seconds']} s</p><div class=\"scroll\"><table border=1 cellpadding=4><tr><th>chapter</th><th>state</th>"
            f"<th>seconds</th><th>cache hit</th><th>error</th><th></th></tr>{''.join(rows)}</table></div>{_review_section(run_dir, m)}</body></html>")
    atomic_write(paths.build_dir() / "status.html", page)
    atomic_write(run_dir / "status.html", page.replace('href="runs/', 'href="../../runs/'))
    site = run_dir / "site"
    if site.exists():
        (site / "status.html").write_text(page.replace('href="runs/', 'href="../../../runs/'), encoding="utf-8")


# ----------------------------------------------------------------------------- status (fresh / stale)
def status(overrides: dict | None = None) -> list[dict]:
    """Per chapter: fresh (cached result matches) or stale, and which key parts changed."""
    _cache.reset()
    m = load_manifest(overrides=overrides)
    step_keys = data_step_keys(m)
    out = []
    for c in m.chapters:
        parts = exec_parts(m, c, step_keys)
        key = _cache.combine(parts)
        why_not = _cache.problem(_exec_store(key) / "notebook.ipynb")
        fresh = why_not is None
        why = []
        if why_not not in (None, "missing"):
            why = [f"cache entry damaged ({why_not})"]
        elif not fresh:
            prev = _read_json(_state_path(c.id))
            if not prev:
                why = ["never built"]
            else:
                why = [p for p in parts if prev.get("parts", {}).get(p) != parts[p]] or ["cache entry missing"]
        out.append({"id": c.id, "state": "fresh" if fresh else "stale", "why": why})
    return out
