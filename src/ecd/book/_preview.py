"""``ecd preview``: the book on a local web server that follows the authors' edits.

The server (127.0.0.1; a free port unless one is given) renders each chapter page when it is
requested and its inputs changed since it was last rendered — the chapter's render key: its
notebooks' execution keys, the chapters whose numbers it cites, its prose, the bibliography,
the templates and the manifest. A notebook whose execution key changed (code, parameters,
data) is executed first, by the ordinary build (so only it, from the cache otherwise); a
prose edit only re-renders the page. ``watchfiles`` watches the prose, the manifest, the
notebooks, ``data/raw``, the templates and the executed-notebook store (a build run in
another terminal); when an open page's render key changes, the page is told to reload
(Server-Sent Events) and keeps its scroll position. The PDF is never made here.

The preview's pages live in ``build/preview/`` (not a release; nothing is published).
"""
from __future__ import annotations

import html
import http.server
import os
import shutil
import socketserver
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from ecd import paths
from ecd.book import _cache

RELOAD_JS = """<script>(function(){
var page=location.pathname.split('/').pop()||'index.html',k='ecd-preview-y:'+page;
window.addEventListener('load',function(){var y=sessionStorage.getItem(k);if(y!==null){window.scrollTo(0,+y);sessionStorage.removeItem(k);}});
var es=new EventSource('/__events?page='+encodeURIComponent(page));
es.onmessage=function(e){if(e.data==='reload'){sessionStorage.setItem(k,String(window.scrollY));location.reload();}};
})();</script>"""


class Preview:
    """The preview's state: which page was rendered from which key, and who is waiting to reload."""

    def __init__(self, log=None, jobs: int = 1):
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.jobs = jobs
        self.site = paths.build_dir() / "preview"
        self.rendered: dict[str, str] = {}  # page group -> the render key it was rendered with
        self.lock = threading.RLock()  # one render or build at a time
        self.changed = threading.Condition()
        self.generation = 0  # bumped after every batch of file changes
        self.timings: list[float] = []  # seconds per on-demand render (reported by the benchmark)

    # keys --------------------------------------------------------------------
    def _manifest(self):
        from ecd.book._manifest import load_manifest

        return load_manifest()

    def key(self, m, g: str) -> str:
        """The render key of chapter group ``g`` now (what its page was, or must be, rendered from)."""
        from ecd.book._build import _render_key, data_step_keys, exec_parts

        step_keys = data_step_keys(m)
        group = [c for c in m.chapters if c.group == g]
        prose = "".join((paths.home() / p).read_text(encoding="utf-8") for p in sorted({c.prose for c in group if c.prose}))
        from ecd.book import _render

        cited = {cid for _, cid, _ in _render.references(prose)}
        keys = {c.id: _cache.combine(exec_parts(m, c, step_keys)) for c in m.chapters if c.group == g or c.id in cited}
        return _cache.combine({"render": _render_key(m, group, keys), "manifest": _cache.hash_path(m.path),
                               "toc": [(c.group, c.number, c.title) for c in m.chapters]})

    # building and rendering --------------------------------------------------
    def start(self) -> None:
        """The whole book once (executing only what is stale), as the preview's starting pages."""
        from ecd.book._build import build

        with self.lock:
            res = build(jobs=self.jobs, publish=False, pdf=False, wait=True, log=self.log)
            run = paths.runs_dir() / res.run_id
            site = run / "site"
            if site.exists():
                tmp = self.site.with_name(".preview.tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                shutil.copytree(site, tmp)
                shutil.rmtree(self.site, ignore_errors=True)
                os.replace(tmp, self.site)
            shutil.rmtree(run, ignore_errors=True)
            m = self._manifest()
            ok = {c.group for c in m.chapters} - {c["group"] for c in res.chapters if c["state"] not in ("ok", "cached")}
            for g in m.groups:
                if g in ok:
                    self.rendered[g] = self.key(m, g)

    def ensure(self, g: str) -> None:
        """Bring page ``g`` up to date: execute what its key needs (the ordinary build), then render it."""
        from ecd.book._build import _exec_store, _footer, data_step_keys, exec_parts, render_group, write_page
        from ecd.book._publish import current_release
        from ecd.errors import BuildError

        with self.lock:
            m = self._manifest()
            want = self.key(m, g)
            if self.rendered.get(g) == want and (self.site / f"{g}.html").exists():
                return
            t0 = time.monotonic()
            step_keys = data_step_keys(m)
            keys = {c.id: _cache.combine(exec_parts(m, c, step_keys)) for c in m.chapters}
            group = [c for c in m.chapters if c.group == g]
            if any(not (_exec_store(keys[c.id]) / "notebook.ipynb").exists() for c in group):
                from ecd.book._build import build

                self.log(f"preview: executing {g} (its notebook or data changed)")
                build(jobs=self.jobs, only=[g], publish=False, render=False, pdf=False, wait=True, log=self.log)
            executed = {cid: _exec_store(k) / "notebook.ipynb" for cid, k in keys.items()
                        if (_exec_store(k) / "notebook.ipynb").exists()}
            missing = [c.id for c in group if c.id not in executed]
            if missing:
                raise BuildError(f"chapter {g}: notebook(s) {missing} did not execute; see build/status.html")
            bib = None
            if (paths.chapters_dir() / "references.bib").exists():
                from ecd.book._bib import read_bib

                bib = read_bib(paths.chapters_dir() / "references.bib")
            rec = render_group(m, group, executed, bib, current_release())
            toc = _toc(m)
            self.site.mkdir(parents=True, exist_ok=True)
            write_page(self.site, f"{g}.html", m, toc, g, group[0].title, rec["body"], _footer(m, group, "preview", {}),
                       False)
            self.rendered[g] = want
            self.timings.append(time.monotonic() - t0)
            self.log(f"preview: rendered {g} ({self.timings[-1]:.2f} s)")

    def stale(self, page: str) -> bool:
        """Whether ``page`` (e.g. ``nutrition.html``) would now render differently from what was served."""
        g = page[:-5] if page.endswith(".html") else page
        try:
            m = self._manifest()
            if g not in m.groups:
                return False
            return self.rendered.get(g) != self.key(m, g)
        except Exception:  # noqa: BLE001 — a half-typed manifest or prose: let the page show the error
            return True

    # watching ----------------------------------------------------------------
    def watch_paths(self) -> list[Path]:
        from ecd.book._build import TEMPLATES

        (paths.cache_dir() / "state").mkdir(parents=True, exist_ok=True)  # a build elsewhere writes here
        out = [paths.chapters_dir(), paths.notebooks_dir(), paths.raw_dir(), paths.cache_dir() / "state", TEMPLATES]
        return [p for p in out if p.exists()]

    def watch(self, stop: threading.Event) -> None:
        import watchfiles

        for _ in watchfiles.watch(*self.watch_paths(), debounce=50, step=20, stop_event=stop,
                                  rust_timeout=500, yield_on_timeout=False):
            with self.changed:
                self.generation += 1
                self.changed.notify_all()


def _toc(m) -> list[dict]:
    return [{"id": g, "number": next(c.number for c in m.chapters if c.group == g),
             "title": next(c.title for c in m.chapters if c.group == g), "href": f"{g}.html"} for g in m.groups]


def _inject(text: str) -> str:
    return text.replace("</body>", RELOAD_JS + "</body>", 1) if "</body>" in text else text + RELOAD_JS


def _error_page(title: str, message: str) -> str:
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>预览出错</title></head><body>"
            f"<h1>预览出错：{html.escape(title)}</h1><pre style=\"white-space:pre-wrap\">{html.escape(message)}</pre>"
            "<p>改正后本页会自动刷新。</p></body></html>")


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview = None  # set on the subclass made by serve()
    stop: threading.Event = None

    def log_message(self, fmt, *args):  # the terminal shows renders, not every request
        pass

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        name = urllib.parse.unquote(url.path.lstrip("/")) or "index.html"
        if name == "__events":
            return self._events(urllib.parse.parse_qs(url.query).get("page", ["index.html"])[0])
        if "/" in name or name.startswith("."):
            return self._send(404, b"not found", "text/plain; charset=utf-8")
        p = self.preview
        if name.endswith(".html"):
            g = name[:-5]
            try:
                m = p._manifest()
                if g in m.groups:
                    p.ensure(g)
            except Exception as e:  # noqa: BLE001 — show the author what is wrong, then reload when it is fixed
                body = _inject(_error_page(name, f"{type(e).__name__}: {e}")).encode("utf-8")
                return self._send(200, body, "text/html; charset=utf-8")
        if name == "style.css":
            from ecd.book._build import TEMPLATES

            f = TEMPLATES / "style.css"
        else:
            f = p.site / name
        if not f.is_file():
            return self._send(404, f"{name}: no such page in the preview".encode("utf-8"), "text/plain; charset=utf-8")
        data = f.read_bytes()
        if name.endswith(".html"):
            return self._send(200, _inject(data.decode("utf-8")).encode("utf-8"), "text/html; charset=utf-8")
        ctype = {".css": "text/css", ".json": "application/json", ".pdf": "application/pdf",
                 ".png": "image/png"}.get(Path(name).suffix, "application/octet-stream")
        return self._send(200, data, ctype)

    def _events(self, page: str) -> None:
        """Server-Sent Events: 'reload' when the open page's render key changes (a comment every 15 s)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        p = self.preview
        seen = p.generation
        try:
            self.wfile.write(b": connected\n\n")
            self.wfile.flush()
            while not self.stop.is_set():
                with p.changed:
                    p.changed.wait_for(lambda: p.generation != seen or self.stop.is_set(), timeout=15)
                if p.generation == seen:
                    self.wfile.write(b": alive\n\n")
                    self.wfile.flush()
                    continue
                seen = p.generation
                if p.stale(page):
                    self.wfile.write(b"data: reload\n\n")
                    self.wfile.flush()
                    return
        except (BrokenPipeError, ConnectionResetError):
            return


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port: int = 0, host: str = "127.0.0.1", jobs: int = 1, log=None, ready=None, stop: threading.Event | None = None):
    """Run the preview until ``stop`` is set (or Ctrl-C); ``ready(url)`` is called once it listens."""
    preview = Preview(log=log, jobs=jobs)
    stop = stop or threading.Event()
    handler = type("Handler", (_Handler,), {"preview": preview, "stop": stop})
    server = _Server((host, port), handler)
    url = f"http://{host}:{server.server_address[1]}/"
    preview.start()
    watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True, name="ecd-preview-watch")
    watcher.start()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="ecd-preview-http")
    thread.start()
    preview.log(f"preview: {url} (Ctrl-C to stop; the PDF is made by `ecd build` only)")
    if ready:
        ready(url, preview)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    finally:
        server.shutdown()
        server.server_close()
        with preview.changed:
            preview.changed.notify_all()
        watcher.join(timeout=5)
    return preview


def cli(args) -> int:
    """``ecd preview [--port N] [-j N]``."""
    serve(port=args.port, jobs=args.jobs)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("preview", help="a local web server with the book, re-rendered as you edit (no PDF)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="workers when notebooks must execute")
    p.set_defaults(func=cli)
