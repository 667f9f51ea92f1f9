"""What a researcher meets building part of the book (issue 17.4), on the miniature project.

``--only`` on a fresh home leaves the chapters it did not build out (and says which) instead of publishing
stub pages; ``--no-publish`` never exits 10; every prose mistake of a build is reported by that one build.
"""
from __future__ import annotations

import json

import pytest

from ecd.book._build import build, prose_references
from ecd.book._manifest import load_manifest
from ecd.cli import main
from ecd.errors import ConfigError

from minihome import default_manifest


@pytest.mark.slow
def test_only_on_a_fresh_home_names_the_chapters_not_built_and_publishes_no_stub(mini, capsys):
    assert main(["build", "--only", "alpha", "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert "not built: beta, places" in err and "`ecd build` builds every chapter" in err
    current = mini.root / "build" / "current"
    assert (current / "alpha.html").exists()
    assert not (current / "beta.html").exists() and not (current / "places.html").exists()
    for page in ("index.html", "alpha.html"):
        text = (current / page).read_text(encoding="utf-8")
        assert "尚未生成" in text and 'href="beta.html"' not in text and 'href="places.html"' not in text
        assert "本章尚未生成" not in text  # the old stub's banner
    assert 'href="alpha.html"' in (current / "index.html").read_text(encoding="utf-8")
    status = json.loads((mini.root / "build" / "status.json").read_text(encoding="utf-8"))
    assert status["not_built"] == ["beta", "places"] and status["exit_code"] == 0
    chapters = json.loads((current / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["beta"]["state"] == "not-built" and chapters["alpha"]["state"] == "ok"

    # once built, a later --only keeps the others from the release (nothing is "not built" any more)
    assert main(["build", "--no-pdf"]) == 0
    res = build(only=["alpha"], pdf=False, log=lambda _: None)
    assert res.exit_code == 0 and res.not_built == []
    assert (current / "beta.html").exists() and (current / "places.html").exists()


@pytest.mark.slow
def test_no_publish_never_exits_10(built, capsys):
    m = default_manifest()
    m["chapters"][1]["params"]["mode"] = "raise"  # beta (optional) fails
    built.write_manifest(m)
    before = (built.root / "build" / "current").resolve()
    assert main(["build", "--no-publish", "--keep-going", "--no-pdf"]) == 20
    assert "chapter(s) failed: beta" in capsys.readouterr().err
    assert (built.root / "build" / "current").resolve() == before  # nothing published
    assert main(["build", "--keep-going", "--no-pdf"]) == 10  # published with a fallback: the one case of 10
    m["chapters"][1]["params"]["mode"] = "ok"
    built.write_manifest(m)
    assert main(["build", "--no-publish", "--no-pdf"]) == 0
    assert main(["run", "--only", "beta"]) == 0
    m["chapters"][1]["params"]["mode"] = "raise"
    built.write_manifest(m)
    assert main(["run", "--only", "beta", "--keep-going"]) == 20  # a notebook that fails fails `ecd run`


@pytest.mark.slow
def test_every_prose_mistake_is_reported_by_one_build(built):
    (built.root / "chapters" / "alpha.md").write_text(
        "## 小节\n\n合计为 {{totl}}，见 @fig-valeus。\n\n[[fig-nope]]\n\n引用 [@no_such_key]，又 {{label_txt}}。\n",
        encoding="utf-8")
    res = build(only=["alpha"], pdf=False, log=lambda _: None)
    assert res.exit_code == 20  # alpha is required
    err = next(c for c in res.chapters if c["id"] == "alpha")["error"]
    assert "chapters/alpha.md: 5 problems in the prose" in err
    for line, what in ((3, "{{totl}}"), (3, "@fig-valeus"), (5, "[[fig-nope]]"), (7, "[@no_such_key]"),
                       (7, "{{label_txt}}")):
        assert any(row.startswith(f"chapters/alpha.md:{line}:") and what in row for row in err.splitlines()), what


def test_every_wrong_chapter_reference_is_reported_together(mini):
    (mini.root / "chapters" / "alpha.md").write_text("{{gamma:total}}\n\n{{alpha:total}}\n\n{{delta:x}}\n",
                                                     encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        prose_references(load_manifest())
    lines = str(e.value).splitlines()
    assert lines[0] == "3 problems in the prose:"
    assert lines[1].startswith("chapters/alpha.md:1: {{gamma:total}} names no chapter")
    assert lines[2].startswith("chapters/alpha.md:3: {{alpha:total}} cites the chapter itself")
    assert lines[3].startswith("chapters/alpha.md:5: {{delta:x}} names no chapter")
