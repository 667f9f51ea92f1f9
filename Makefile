# Every target sets up what it needs: a .venv with ecd installed (idempotent,
# skipped when pyproject.toml has not changed), and on Debian as root the CJK
# font, Pango (for the PDF) and Chromium (for the phone test). Where these cannot be installed the build
# says so and goes on without them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ecd-installed
BENCH_VENV := .venv-bench
JOBS ?= 2

.PHONY: help setup system git-filters book test test-fast lab shell bench clean

help:
	@echo "make book   build the whole book from the shipped data (build/current/index.html)"
	@echo "make test   run the test suite"
	@echo "make lab    start JupyterLab (kernel ecd) on 127.0.0.1 and print its address"
	@echo "make shell  a shell with .venv active, so that \`ecd\` is on PATH"
	@echo "make bench  run the benchmarks against the peers, write benchmarks/RESULTS.md"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,dask,pdf]'
	@touch $(STAMP)

setup: $(STAMP) git-filters

# starter notebooks are committed without outputs (.gitattributes); register the filter that keeps them so
git-filters:
	@bash scripts/git-filters.sh

# System packages: a CJK font, Pango for the PDF (WeasyPrint), Chromium for the phone test, poppler for the PDF tests.
system:
	@bash scripts/ensure-system.sh

book: setup system
	$(VENV)/bin/ecd build --publish -j $(JOBS)
	@echo "the book: $(CURDIR)/build/current/index.html (PDF: build/current/book.pdf when Pango is installed)"

test: setup system
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# JupyterLab on 127.0.0.1 (LAB_PORT, default 8888 or the next free port); --allow-root only when root
lab: setup system
	@VENV=$(VENV) bash scripts/lab.sh

shell: setup
	@echo "a shell with $(VENV) active: ecd, python and jupyter are on PATH (leave it with exit)"
	@bash --rcfile <(printf '[ -f ~/.bashrc ] && . ~/.bashrc\n. "%s/bin/activate"\n' "$(CURDIR)/$(VENV)") -i

$(BENCH_VENV)/.installed: pyproject.toml benchmarks/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dask]' -r benchmarks/requirements.txt
	@touch $@

# Like-for-like benchmarks against the R packages (and Python/SQL peers); writes benchmarks/RESULTS.md.
# Options through BENCH_ARGS, e.g. BENCH_ARGS="--quick", "--only survey trends", "--r-libs DIR", "--no-r".
bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf build data/processed
