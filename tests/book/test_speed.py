"""A cold edition's speed: a foreach chapter's sections share warm kernels; progress and --profile."""
from __future__ import annotations

import io
import json

import nbformat
import pytest

from ecd.book._build import build
from ecd.book._progress import Progress, profile_report
from ecd.errors import ConfigError
from minihome import PARAMS, default_manifest, make_notebook

pytestmark = pytest.mark.slow

# a section that finds anything left by an earlier section fails: the kernel must be clean each time
SECTION = '''
import time
import ecd
assert "leftover" not in globals(), "a variable of an earlier section leaked into this one"
import matplotlib.pyplot as plt
assert not plt.get_fignums(), "a figure of an earlier section is still open"
leftover = item
if item == mode:
    raise RuntimeError(f"boom in {item}")
if item == "P3" and mode == "sleep-P3":
    time.sleep(300)
fig, ax = plt.subplots()
ax.plot([1, 2], [1, len(item)])
ecd.book.glue("total", float(len(item) * scale), fmt="{:.1f}")
ecd.book.glue("label_text", item)
ecd.book.figure(fig, label="fig-values", caption=f"测试数值 {item}", source="测试数据")
ecd.book.table(__import__("pandas").DataFrame({"地": [item]}), label="tbl-values", caption=f"测试表 {item}", source="测试数据")
plt.figure()  # left open on purpose: the next section must not see it
'''


def _places_home(mini, n: int, mode: str = "ok"):
    make_notebook(mini.root / "notebooks" / "section.ipynb", PARAMS.replace('mode = "ok"', 'mode = "ok"'), SECTION)
    m = default_manifest()
    m["chapters"] = [m["chapters"][2]]
    m["chapters"][0]["notebook"] = "notebooks/section.ipynb"
    m["chapters"][0]["parameters"]["mode"] = {"type": "str", "default": "ok"}
    m["chapters"][0]["params"] = {"mode": mode}
    m["matrices"]["places"]["items"] = [{"id": f"P{i}", "title": f"地{i}"} for i in range(1, n + 1)]
    mini.write_manifest(m)


def _status(mini) -> dict:
    return {c["id"]: c for c in json.loads((mini.root / "build" / "status.json").read_text(encoding="utf-8"))["chapters"]}


def test_foreach_sections_share_two_kernels_and_stay_separate(mini):
    _places_home(mini, 5)
    lines = []
    res = build(jobs=2, pdf=False, log=lines.append)
    assert res.exit_code == 0, res.chapters
    st = _status(mini)
    assert all(c["state"] == "ok" for c in st.values())
    assert sum(c["kernels"] for c in st.values()) == 2  # 5 sections, 2 workers: 2 kernel starts, not 5
    html = mini.chapter_html("places")
    for i in range(1, 6):
        assert f"测试数值 P{i}" in html and f"地{i}" in html
    # each section's executed notebook is its own, numbered as a fresh kernel numbers it
    for i in range(1, 6):
        nb = nbformat.read(mini.root / "build" / "runs" / res.run_id / "notebooks" / f"places--p{i}.ipynb", as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))
    # progress lines with an ETA while notebooks remain; --profile's report names the kernel starts
    done = [x for x in lines if x.startswith("[")]
    assert len(done) == 5 and "· ETA" in done[0] and "ETA" not in done[-1]
    report = profile_report(res.timings, res.chapters, sum(res.timings.values()))
    assert "5 notebook(s), 2 kernel start(s)" in report and "render chapters" in report
    # and each section is cached on its own: nothing re-runs
    again = build(jobs=2, pdf=False, log=lines.append)
    assert {c["state"] for c in again.chapters} == {"cached"}


def test_a_failed_or_hung_section_does_not_take_the_others_down(mini):
    _places_home(mini, 4, mode="P2")  # P2 raises
    res = build(jobs=1, pdf=False, keep_going=True, log=lambda _: None)
    st = _status(mini)
    assert st["places--p2"]["state"] == "failed" and "boom in P2" in st["places--p2"]["error"]
    assert [st[f"places--p{i}"]["state"] for i in (1, 3, 4)] == ["ok"] * 3
    assert sum(c["kernels"] for c in st.values()) == 1  # a failed cell leaves the kernel usable
    assert res.exit_code == 10

    _places_home(mini, 4, mode="sleep-P3")  # P3 hangs past its timeout
    res = build(jobs=1, pdf=False, keep_going=True, timeout=45, log=lambda _: None)
    st = _status(mini)
    assert st["places--p3"]["state"] == "timeout" and "timed out after 45 s" in st["places--p3"]["error"]
    assert st["places--p4"]["state"] == "ok"
    assert st["places--p4"]["kernels"] == 1  # a fresh worker and kernel after the hung one was stopped


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise():
    out, logged = io.StringIO(), []
    p = Progress(["a", "b", "c"], jobs=1, log=logged.append, estimates={"a": 10, "b": 20, "c": 30}, tty=True, stream=out)
    p.start("a")
    assert "0/3" in out.getvalue() and "running: a" in out.getvalue() and "ETA 1:00" in out.getvalue()
    p.done("a", 12.0, "ok      a (12.0 s)")
    assert logged == ["[1/3] ok      a (12.0 s) · ETA 0:50"]
    assert out.getvalue().count("\r") >= 2  # the bar is cleared before the line and drawn again
    p.close()
    plain, logged = io.StringIO(), []
    q = Progress(["a", "b"], jobs=2, log=logged.append, tty=False, stream=plain)
    q.start("a")
    q.done("a", 4.0, "ok      a (4.0 s)")
    q.done("b", 6.0, "ok      b (6.0 s)")
    assert plain.getvalue() == "" and logged == ["[1/2] ok      a (4.0 s) · ETA 0:02", "[2/2] ok      b (6.0 s)"]


def test_a_cold_book_runs_every_notebook_in_the_warm_kernels_unless_a_chapter_asks_for_its_own(mini):
    res = build(jobs=2, pdf=False, log=lambda _: None)
    assert res.exit_code == 0
    st = _status(mini)
    assert len(st) == 4 and sum(c["kernels"] for c in st.values()) == 2  # 3 chapters, 4 notebooks: 2 kernels
    numbers = (mini.root / "build" / "current" / "numbers.json").read_text(encoding="utf-8")
    assert ">6.5<" in mini.chapter_html("alpha") and ">30.0<" in mini.chapter_html("beta")

    m = default_manifest()
    m["chapters"][0]["own_kernel"] = True
    mini.write_manifest(m)
    res = build(jobs=2, pdf=False, force=True, log=lambda _: None)
    st = _status(mini)
    assert st["alpha"]["kernels"] == 1 and sum(c["kernels"] for c in st.values()) == 3
    # the same numbers whichever kernel ran them
    assert (mini.root / "build" / "current" / "numbers.json").read_text(encoding="utf-8") == numbers

    m["chapters"][0]["own_kernel"] = "yes"
    mini.write_manifest(m)
    with pytest.raises(ConfigError, match=r"own_kernel.*not a bool"):
        build(jobs=2, pdf=False, log=lambda _: None)
