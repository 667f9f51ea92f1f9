"""The build pipeline on a miniature project: publish, cache, failures, fallbacks, locks, determinism."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecd.book import _pdf
from ecd.book._build import build
from ecd.book._publish import BuildLock
from ecd.cli import main
from ecd.errors import ConfigError, LockError

from minihome import default_manifest

pytestmark = pytest.mark.slow


def _states(res):
    return {c["id"]: c["state"] for c in res.chapters}


def _strip_stamp(text: str) -> str:
    return re.sub(r'<footer class="provenance">.*?</footer>', "", text, flags=re.S)


def test_build_publishes_and_reuses_cache(_built_once, built):
    mini, res = built, _built_once[1]
    assert res.exit_code == 0 and res.published
    cur = mini.root / "build" / "current"
    assert cur.is_symlink()
    index = (cur / "index.html").read_text(encoding="utf-8")
    assert "测试蓝皮书" in index and "第1章 第一章标题" in index
    html = mini.chapter_html("alpha")
    assert '<span class="glued"' in html and ">6.5<" in html  # 1 + 2 + 3.5
    assert "图 1-1" in html and "表 1-1" in html and 'href="#fig-values"' in html
    assert "In&nbsp;[" not in html and "Traceback" not in html and "{{" not in html
    assert "<script" not in html.lower()
    assert str(mini.root) not in html
    places = mini.chapter_html("places")
    assert "甲地" in places and "乙地" in places and "图 3-2" in places  # numbering continues across sections
    for page in ("alpha", "places"):  # the foreach sections share one page: no element id twice
        ids = re.findall(r'\sid="([^"]*)"', mini.chapter_html(page))
        assert ids and len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    status = json.loads((mini.root / "build" / "status.json").read_text(encoding="utf-8"))
    assert status["exit_code"] == 0 and all(c["state"] == "ok" for c in status["chapters"])

    # no-op rebuild: everything from the cache, nothing executed, no new release
    link = os.readlink(cur)
    res2 = build(jobs=2, pdf=False)
    assert set(_states(res2).values()) == {"cached"}
    assert res2.exit_code == 0 and not res2.published and "up to date" in res2.messages[0]
    assert os.readlink(cur) == link
    assert len(list((mini.root / "build" / "releases" / "2026").iterdir())) == 1


def test_changed_input_reruns_exactly_its_dependents(built):
    mini = built
    mini.set_data("b", [10.0, 21.0])  # only beta uses data/raw/b
    res = build(jobs=2, pdf=False)
    assert _states(res) == {"alpha": "cached", "beta": "ok", "places--p1": "cached", "places--p2": "cached"}
    assert ">31.0<" in mini.chapter_html("beta")
    changes = json.loads((mini.root / "build" / "current" / "changes.json").read_text(encoding="utf-8"))
    changed = {c["key"]: (c["old"], c["new"]) for c in changes["numbers"]}
    assert changed == {"beta:total": ("30.0", "31.0")}
    assert any(c["table"] == "beta:tbl-values" and c["new"] == 21.0 for c in changes["table_cells"])


def test_prose_change_rerenders_without_executing(built):
    mini = built
    prose = mini.root / "chapters" / "alpha.md"
    prose.write_text(prose.read_text(encoding="utf-8") + "\n新增的一句话。\n", encoding="utf-8")
    res = build(jobs=2, pdf=False)
    assert set(_states(res).values()) == {"cached"}
    assert "新增的一句话" in mini.chapter_html("alpha")


def test_a_prose_edit_renders_only_its_page_and_those_citing_changed_numbers(built):
    mini = built
    chapters = mini.root / "chapters"
    (chapters / "beta.md").write_text("## 乙\n\n本章合计 {{total}}；甲章合计 {{alpha:total}}。\n", encoding="utf-8")
    (chapters / "places.md").write_text("## 各地\n\n合计 {{total}}。\n", encoding="utf-8")
    m = default_manifest()
    m["chapters"][1]["prose"], m["chapters"][2]["prose"] = "chapters/beta.md", "chapters/places.md"
    mini.write_manifest(m)
    res = build(jobs=2, pdf=False)
    assert set(_states(res).values()) == {"cached"} and res.rendered == ["beta", "places"]

    def edit(name: str, line: str):
        p = chapters / name
        p.write_text(p.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
        return build(jobs=2, pdf=False)

    res = edit("beta.md", "乙章新增一句。")
    assert set(_states(res).values()) == {"cached"} and res.rendered == ["beta"]
    assert "乙章新增一句" in mini.chapter_html("beta") and res.published
    status = json.loads((mini.root / "build" / "status.json").read_text(encoding="utf-8"))
    assert status["rendered"] == ["beta"]
    # beta cites alpha's number, which a prose edit of alpha does not change: beta's page is kept
    res = edit("alpha.md", "甲章新增一句。")
    assert res.rendered == ["alpha"] and "甲章新增一句" in mini.chapter_html("alpha")
    # a changed number re-renders the pages that state it, and only those
    mini.set_data("a", [1.0, 2.0, 4.5])
    res = build(jobs=2, pdf=False)
    assert _states(res)["beta"] == "cached" and res.rendered == ["alpha", "beta", "places"]
    assert "甲章合计 <span" in mini.chapter_html("beta") and ">7.5" in mini.chapter_html("beta")
    mini.set_data("b", [10.0, 21.0])
    assert build(jobs=2, pdf=False).rendered == ["beta"]  # nobody cites beta


def test_status_why_names_the_changed_part(built, capsys):
    mini = built
    mini.set_data("a", [5.0])
    assert main(["status", "--why"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"stale\s+alpha\s+\(changed: inputs\)", out)
    assert re.search(r"fresh\s+beta", out)


def test_failed_optional_chapter_falls_back_with_banner(built):
    mini = built
    m = default_manifest()
    m["chapters"][1]["params"]["mode"] = "raise"
    mini.write_manifest(m)
    res = build(jobs=2, keep_going=True, pdf=False)
    assert res.exit_code == 10 and res.fallbacks == ["beta"]
    html = mini.chapter_html("beta")
    assert "banner-fallback" in html and ">30.0<" in html
    status = json.loads((mini.root / "build" / "status.json").read_text(encoding="utf-8"))
    beta = next(c for c in status["chapters"] if c["id"] == "beta")
    assert beta["state"] == "failed" and "boom" in beta["error"]
    assert beta["notebook"].endswith("beta.ipynb")


def test_failed_required_chapter_publishes_nothing(built):
    mini = built
    before = os.readlink(mini.root / "build" / "current")
    m = default_manifest()
    m["chapters"][0]["params"]["mode"] = "raise"
    mini.write_manifest(m)
    assert main(["build", "-j", "2", "--no-pdf"]) == 20
    assert os.readlink(mini.root / "build" / "current") == before
    assert "boom" in (mini.root / "build" / "status.html").read_text(encoding="utf-8")


def test_timeout_stops_the_notebook(mini):
    m = default_manifest()
    m["chapters"] = [m["chapters"][0]]
    m["chapters"][0]["params"]["mode"] = "sleep"
    m["chapters"][0]["timeout"] = 8
    mini.write_manifest(m)
    t0 = time.monotonic()
    res = build(jobs=1, pdf=False)
    assert time.monotonic() - t0 < 100
    assert res.exit_code == 20 and _states(res) == {"alpha": "timeout"}


def test_concurrent_build_is_refused_and_names_the_holder(mini, capsys):
    with BuildLock("run-holding-the-lock"):
        with pytest.raises(LockError, match="run-holding-the-lock"):
            build(pdf=False)
        assert main(["build", "--no-pdf"]) == 2
    assert "run-holding-the-lock" in capsys.readouterr().err


def test_sigkill_mid_build_keeps_current_and_next_build_recovers(built):
    mini = built
    cur = mini.root / "build" / "current"
    before = os.readlink(cur)
    mini.set_data("a", [7.0, 8.0])
    env = {**os.environ, "ECD_HOME": str(mini.root)}
    proc = subprocess.Popen([sys.executable, "-m", "ecd.cli", "build", "-j", "2", "--no-pdf"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    runs = mini.root / "build" / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(runs.glob("*/notebooks/*.task.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.readlink(cur) == before
    assert ">6.5<" in mini.chapter_html("alpha")
    res = build(jobs=2, pdf=False)
    assert res.exit_code == 0
    assert ">15.0<" in mini.chapter_html("alpha")


def test_two_cold_builds_are_byte_identical_apart_from_the_stamp(built):
    import shutil

    mini = built
    first = {p.name: _strip_stamp(p.read_text(encoding="utf-8")) for p in (mini.root / "build" / "current").glob("*.html")
             if p.name not in ("status.html", "changes.html")}
    shutil.rmtree(mini.root / "build")
    build(jobs=2, pdf=False)
    second = {p.name: _strip_stamp(p.read_text(encoding="utf-8")) for p in (mini.root / "build" / "current").glob("*.html")
              if p.name not in ("status.html", "changes.html")}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_strings_from_data_are_escaped(mini):
    (mini.root / "data" / "raw" / "a" / "values.csv").write_text(
        "year,value,name\n2020,1,<script>alert(1)</script>\n", encoding="utf-8")
    m = default_manifest()
    m["chapters"] = [m["chapters"][0]]
    m["chapters"][0]["params"]["label"] = "<script>alert('x')</script>"
    mini.write_manifest(m)
    assert build(pdf=False).exit_code == 0
    html = mini.chapter_html("alpha")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a table cell
    assert "测试数值 &lt;script&gt;alert(" in html  # a figure caption from a parameter
    assert "数据来源：测试数据 &lt;script&gt;" in html  # a source line


@pytest.mark.skipif(_pdf.engine_missing() is not None or not shutil.which("pdftotext"),
                    reason="WeasyPrint/Pango or poppler-utils missing: `make test` installs them as root on Debian")
def test_pdf_has_the_chinese_titles(built):
    mini = built
    assert build(jobs=2).exit_code == 0
    pdf = mini.root / "build" / "current" / "book.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "第一章标题" in text and "第二章标题" in text and "测试蓝皮书" in text


def test_dask_executor_gives_the_same_book(mini):
    pytest.importorskip("distributed")
    m = default_manifest()
    m["chapters"] = m["chapters"][:1]
    mini.write_manifest(m)
    res = build(jobs=1, executor="dask", pdf=False)
    assert res.exit_code == 0 and set(_states(res).values()) == {"ok"}
    assert ">6.5<" in mini.chapter_html("alpha")


def test_diff_cli_between_releases(built, tmp_path):
    mini = built
    first = Path(os.path.realpath(mini.root / "build" / "current"))
    mini.set_data("b", [1.0])
    build(jobs=2, pdf=False)
    second = Path(os.path.realpath(mini.root / "build" / "current"))
    out = tmp_path / "d"
    assert main(["diff", first.name, second.name, "-o", str(out)]) == 0
    d = json.loads((out / "diff.json").read_text(encoding="utf-8"))
    assert {x["key"] for x in d["numbers"]} == {"beta:total"}
    assert "beta:total" in (out / "diff.html").read_text(encoding="utf-8")
    assert first.exists()  # old releases are never modified or removed


def test_foreach_intro_is_executed_and_rendered_once_before_the_sections(mini):
    from minihome import make_notebook

    make_notebook(mini.root / "notebooks" / "intro.ipynb", 'scale = 1.0\nlabel = "x"', body='''
import pandas as pd
import ecd
ecd.book.glue("n_places", 2, fmt="{}")
ecd.book.table(pd.DataFrame({"类型": ["甲"], "地区": ["甲地、乙地"]}), label="tbl-types", caption="全部地区的类型", source="测试数据")
''')
    (mini.root / "chapters" / "intro.md").write_text("本章共 {{n_places}} 个地区。\n\n[[tbl-types]]\n", encoding="utf-8")
    (mini.root / "chapters" / "place.md").write_text("本地合计 {{total}}，类型见 @tbl-types。\n", encoding="utf-8")
    m = default_manifest()
    m["chapters"][2].update(prose="chapters/place.md", intro={"notebook": "notebooks/intro.ipynb", "prose": "chapters/intro.md"})
    mini.write_manifest(m)
    res = build(jobs=1, pdf=False, only=["places"])
    assert _states(res)["places--intro"] == "ok", res.chapters
    page = mini.chapter_html("places")
    assert page.count("全部地区的类型") == 1  # once for the chapter, not once per section
    assert page.index("全部地区的类型") < page.index("甲地") < page.index("乙地")
    assert page.count('href="#tbl-types"') == 2  # each section points at the one table
    tables = json.loads((mini.root / "build" / "current" / "tables.json").read_text(encoding="utf-8"))
    assert [k for k in tables if k.endswith("tbl-types")] == ["places--intro:tbl-types"]
    m["chapters"][2]["intro"] = {"notebook": "notebooks/intro.ipynb", "colour": "red"}
    mini.write_manifest(m)
    with pytest.raises(ConfigError, match=r"intro: expected"):
        build(jobs=1, pdf=False, only=["places"])
